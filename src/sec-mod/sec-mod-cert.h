/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_SEC_MOD_CERT_H
#define OCSM_SEC_MOD_CERT_H

/*
 * The certificate factor of a login in sec-mod (doc/security.md). The
 * worker forwards the chain its client presented (AuthRequest.cert_der);
 * sec-mod verifies it against ca-cert and crl (common/cert.h) and takes the
 * user name from cert-user-oid and the groups from cert-group-oid. A name
 * the client typed counts only where the certificate gives none, and with
 * two factors it must be the certificate's.
 *
 *   auth = certificate alone           the certificate is the login
 *   auth = certificate + auth = plain  both: a valid certificate, and the
 *                                      password of the user it names
 *   auth = plain + enable-auth =       a valid certificate alone, or (no
 *          certificate                 certificate at all) the password
 *
 * A certificate that is presented is always checked: a revoked, expired or
 * untrusted one refuses the login even where a password would do.
 */

#include <stdbool.h>

#include "common/cert.h"
#include "common/ipc.h"

struct secmod_cert {
	bool required;			/* auth = certificate */
	bool sufficient;		/* enable-auth = certificate */
	struct cert_trust *trust;	/* NULL: none yet (every certificate refused) */
	char *user_oid, *group_oid;
};

/* Apply the certificate settings of an SmConfig: a new trust list when it
 * carries ca_cert (a text that cannot be used is logged and the previous
 * list kept). */
void secmod_cert_config(struct secmod_cert *sc, const SmConfig *c);
void secmod_cert_clear(struct secmod_cert *sc);

enum secmod_cert_outcome {
	SECMOD_CERT_UNUSED,	/* no certificate factor here: the password decides */
	SECMOD_CERT_ACCEPT,	/* the certificate alone is the login */
	SECMOD_CERT_FACTOR,	/* valid; the password of the same user is needed too */
	SECMOD_CERT_REJECT,	/* refused: reason says why */
};

/* Room for the groups of a certificate ("g1,g2"). */
#define SECMOD_CERT_GROUPS_MAX 512u
/* Values of cert-group-oid taken at most. */
#define SECMOD_CERT_GROUPS_N 16u

struct secmod_cert_id {
	char user[CERT_NAME_MAX + 1];
	char groups[SECMOD_CERT_GROUPS_MAX];	/* "" with no cert-group-oid or no value */
	char reason[160];			/* REJECT: for the log and the 401 */
};

/* The certificate factor of login a; plain: the configuration has a
 * password factor (auth = plain). */
enum secmod_cert_outcome secmod_cert_check(const struct secmod_cert *sc, const AuthRequest *a,
					   bool plain, struct secmod_cert_id *id);

#endif
