/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/* The certificate factor of sec-mod's logins (sec-mod-cert.h). */

#include "sec-mod/sec-mod-cert.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

static int set_str(char **dst, const char *v)
{
	char *copy = v != NULL && v[0] != '\0' ? strdup(v) : NULL;

	if (v != NULL && v[0] != '\0' && copy == NULL)
		return -ENOMEM;
	free(*dst);
	*dst = copy;
	return 0;
}

void secmod_cert_config(struct secmod_cert *sc, const SmConfig *c)
{
	struct cert_trust *t = NULL;
	char err[256];

	sc->required = c->has_auth_certificate && c->auth_certificate;
	sc->sufficient = c->has_enable_auth_certificate && c->enable_auth_certificate;
	if (set_str(&sc->user_oid, c->cert_user_oid) < 0 ||
	    set_str(&sc->group_oid, c->cert_group_oid) < 0)
		log_err("sec-mod: certificate settings: out of memory");
	if (!c->has_ca_cert)
		return;
	if (cert_trust_new(c->ca_cert.data, c->ca_cert.len, c->has_crl ? c->crl.data : NULL,
			   c->has_crl ? c->crl.len : 0, &t, err, sizeof(err)) < 0) {
		log_err("sec-mod: %s: keeping the previous CAs and CRLs", err);
		return;
	}
	log_info("sec-mod: client certificates: %u CA(s), %u CRL(s)", cert_trust_n_cas(t),
		 cert_trust_n_crls(t));
	cert_trust_free(sc->trust);
	sc->trust = t;
}

void secmod_cert_clear(struct secmod_cert *sc)
{
	cert_trust_free(sc->trust);
	free(sc->user_oid);
	free(sc->group_oid);
	*sc = (struct secmod_cert){ 0 };
}

static enum secmod_cert_outcome reject(struct secmod_cert_id *id, const char *reason,
				       const char *detail)
{
	snprintf(id->reason, sizeof(id->reason), "%s%s", reason, detail);
	return SECMOD_CERT_REJECT;
}

/* The user name and groups of the valid leaf. */
static enum secmod_cert_outcome names(const struct secmod_cert *sc, const gnutls_datum_t *leaf,
				      struct secmod_cert_id *id)
{
	int n = sc->user_oid != NULL ? cert_dn_values(leaf, sc->user_oid, 1, id->user,
						       sizeof(id->user)) : -ENOENT;

	if (n == -ENOENT)
		return reject(id, "certificate names no user (cert-user-oid ",
			      sc->user_oid != NULL ? "absent from its subject)" : "unset)");
	if (n < 0)
		return reject(id, "certificate's user name is not usable as one", "");
	if (sc->group_oid == NULL)
		return SECMOD_CERT_ACCEPT;
	n = cert_dn_values(leaf, sc->group_oid, SECMOD_CERT_GROUPS_N, id->groups,
			   sizeof(id->groups));
	if (n < 0 && n != -ENOENT)
		return reject(id, "certificate's groups are not usable as group names", "");
	return SECMOD_CERT_ACCEPT;
}

enum secmod_cert_outcome secmod_cert_check(const struct secmod_cert *sc, const AuthRequest *a,
					   bool plain, struct secmod_cert_id *id)
{
	gnutls_datum_t chain[CERT_CHAIN_MAX];
	size_t n = a->n_cert_der < CERT_CHAIN_MAX ? a->n_cert_der : CERT_CHAIN_MAX;
	enum cert_verdict v;
	enum secmod_cert_outcome o;

	*id = (struct secmod_cert_id){ 0 };
	if (!sc->required && !sc->sufficient)
		return SECMOD_CERT_UNUSED;
	if (n == 0) {
		/* enable-auth alone: without a certificate the password decides */
		if (!sc->required)
			return SECMOD_CERT_UNUSED;
		return reject(id, cert_verdict_str(CERT_MISSING), "");
	}
	for (size_t i = 0; i < n; i++) {
		chain[i].data = a->cert_der[i].data;
		chain[i].size = (unsigned)a->cert_der[i].len;
	}
	v = cert_verify(sc->trust, chain, n);
	if (v != CERT_OK)
		return reject(id, cert_verdict_str(v), sc->trust == NULL ? " (no usable ca-cert)" : "");
	o = names(sc, &chain[0], id);
	if (o == SECMOD_CERT_ACCEPT && sc->required && plain)
		return SECMOD_CERT_FACTOR;
	return o;
}
