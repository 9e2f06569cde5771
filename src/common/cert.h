/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef COMMON_CERT_H
#define COMMON_CERT_H

/*
 * Client certificates (auth = certificate, doc/security.md): what sec-mod
 * decides about the certificate chain a worker saw in its client's TLS
 * handshake.
 *
 *  - cert_trust_new(): the CAs of ca-cert and the CRLs of crl, from the PEM
 *    text main read (sec-mod opens no file);
 *  - cert_verify(): is the chain (leaf first, DER) signed by one of those
 *    CAs, within its validity period, and not revoked? One reason when not;
 *  - cert_dn_values(): the values of one attribute (cert-user-oid,
 *    cert-group-oid) of the leaf's subject, as text that is safe to use as a
 *    user or group name.
 *
 * The worker proved that its client holds the leaf's private key (the TLS
 * handshake's CertificateVerify); sec-mod checks everything else itself, so
 * a worker cannot make up a certificate, only forward one it was shown.
 */

#include <gnutls/gnutls.h>
#include <stddef.h>
#include <time.h>

struct cert_trust;

/* Certificates of a chain sec-mod looks at (the leaf and intermediates). */
#define CERT_CHAIN_MAX 8u

/* A trust list from ca_pem (one or more CA certificates, required) and
 * crl_pem (zero or more CRLs; NULL or empty: none). Each CRL must be signed
 * by one of the CAs. 0 and *out, or a negative GnuTLS code with a sentence
 * in err. */
int cert_trust_new(const void *ca_pem, size_t ca_len, const void *crl_pem, size_t crl_len,
		   struct cert_trust **out, char *err, size_t errlen);
void cert_trust_free(struct cert_trust *t);

/* What ca-cert and crl may weigh together: main sends their text to
 * sec-mod in one message (SmConfig). */
#define CERT_FILES_MAX (48u * 1024u)

/* Read ca_file and crl_file (NULL: none) into ca and crl (gnutls_free
 * them) and check that they make a trust list (cert_trust_new). 0, or a
 * negative code with a sentence naming the file in err (nothing to free
 * then). */
int cert_files_read(const char *ca_file, const char *crl_file, gnutls_datum_t *ca,
		    gnutls_datum_t *crl, char *err, size_t errlen);
/* CAs and CRLs the list holds (for the log). */
unsigned cert_trust_n_cas(const struct cert_trust *t);
unsigned cert_trust_n_crls(const struct cert_trust *t);

enum cert_verdict {
	CERT_OK = 0,
	CERT_MISSING,		/* no certificate at all */
	CERT_MALFORMED,		/* not a DER certificate */
	CERT_REVOKED,		/* listed in a CRL */
	CERT_EXPIRED,		/* now > notAfter (of any certificate of the chain) */
	CERT_NOT_YET_VALID,	/* now < notBefore */
	CERT_UNTRUSTED,		/* not signed by a CA of ca-cert */
	CERT_WRONG_PURPOSE,	/* its extended key usage excludes TLS clients */
	CERT_INVALID,		/* a bad signature, an insecure algorithm, ... */
};

/* The reason's words for the log and the 401 ("revoked", "expired", ...). */
const char *cert_verdict_str(enum cert_verdict v);

/* Verify chain[0..n) (leaf first; more than CERT_CHAIN_MAX: the rest is
 * ignored) against t at the current time. */
enum cert_verdict cert_verify(const struct cert_trust *t, const gnutls_datum_t *chain, size_t n);

/* Longest name taken from a certificate (IPC_USERNAME_MAX). */
#define CERT_NAME_MAX 256u

/*
 * The values of attribute oid (dotted decimal, "2.5.4.3") in the subject of
 * the DER certificate der, joined with ',' into out (at most len bytes with
 * the NUL): one value for a user name, all of them for the groups. Every
 * value must be 1..CERT_NAME_MAX bytes of UTF-8 without control characters,
 * ',' or ':' (the separators of the group lists and the password file).
 * Returns the number of values (>= 1), or:
 *   -ENOENT  the subject has no such attribute
 *   -EINVAL  der is not a certificate, or oid is not an OID
 *   -EILSEQ  a value that is not such text
 *   -ENOSPC  the values do not fit into out
 * max: how many values at most (1 for the user name).
 */
int cert_dn_values(const gnutls_datum_t *der, const char *oid, unsigned max, char *out,
		   size_t len);

/* 1 if s is an OID in dotted decimal form (at least two arcs, the first
 * 0, 1 or 2, no leading zeros, at most 128 bytes), else 0. */
int cert_oid_valid(const char *s);

#endif
