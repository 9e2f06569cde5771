/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * Client certificates: the trust list of ca-cert and crl, the verification
 * of a chain and the names in a subject (cert.h). GnuTLS parses the DER and
 * checks the signatures; what is ours is the choice of the reason and the
 * rules a name taken from a certificate must follow.
 */

#include "common/cert.h"

#include <errno.h>
#include <gnutls/x509.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"

struct cert_trust {
	gnutls_x509_trust_list_t tl;
	unsigned n_cas, n_crls;
};

/* Longest OID text accepted (far more than any real one). */
#define CERT_OID_MAX 128u

int cert_oid_valid(const char *s)
{
	unsigned arcs = 0;
	size_t len = 0;
	bool digit = false;

	if (s == NULL || !(s[0] >= '0' && s[0] <= '2') || s[1] != '.')
		return 0;
	for (const char *p = s; *p != '\0'; p++, len++) {
		if (*p >= '0' && *p <= '9') {
			/* no leading zero in an arc of more than one digit */
			if (*p == '0' && !digit && p[1] >= '0' && p[1] <= '9')
				return 0;
			digit = true;
		} else if (*p == '.' && digit) {
			arcs++;
			digit = false;
		} else {
			return 0;
		}
	}
	return digit && arcs >= 1 && len <= CERT_OID_MAX;
}

/* "key: message" into err; returns ret. */
static int fail(char *err, size_t errlen, int ret, const char *key, const char *msg)
{
	snprintf(err, errlen, "%s: %s", key, msg);
	return ret;
}

/* Each CRL must be signed by one of the CAs: a CRL from elsewhere would be
 * ignored by GnuTLS without a word, and revoke nothing. */
static int check_crls(gnutls_x509_crl_t *crls, unsigned n, gnutls_x509_crt_t *cas,
		      unsigned n_cas, char *err, size_t errlen)
{
	for (unsigned i = 0; i < n; i++) {
		unsigned status = 0;
		int ret = gnutls_x509_crl_verify(crls[i], cas, n_cas, 0, &status);

		if (ret < 0)
			return fail(err, errlen, ret, "crl", gnutls_strerror(ret));
		if (status != 0) {
			snprintf(err, errlen, "crl: CRL %u is not signed by a CA of ca-cert", i + 1);
			return GNUTLS_E_CERTIFICATE_ERROR;
		}
	}
	return 0;
}

static void free_crls(gnutls_x509_crl_t *crls, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		gnutls_x509_crl_deinit(crls[i]);
	gnutls_free(crls);
}

static void free_crts(gnutls_x509_crt_t *crts, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
}

/* The CRLs of crl_pem into t (the CAs are in t already, and in cas). */
static int add_crls(struct cert_trust *t, const void *crl_pem, size_t crl_len,
		    gnutls_x509_crt_t *cas, unsigned n_cas, char *err, size_t errlen)
{
	gnutls_datum_t d = { .data = (unsigned char *)crl_pem, .size = (unsigned)crl_len };
	gnutls_x509_crl_t *crls = NULL;
	unsigned n = 0;
	int ret;

	if (crl_pem == NULL || crl_len == 0)
		return 0;
	ret = gnutls_x509_crl_list_import2(&crls, &n, &d, GNUTLS_X509_FMT_PEM, 0);
	if (ret == 0 && n == 0)
		ret = GNUTLS_E_NO_CERTIFICATE_FOUND;
	if (ret < 0)
		return fail(err, errlen, ret, "crl", gnutls_strerror(ret));
	ret = check_crls(crls, n, cas, n_cas, err, errlen);
	if (ret == 0)
		ret = gnutls_x509_trust_list_add_crls(t->tl, crls, n, 0, 0);
	if (ret < 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "crl: %s", gnutls_strerror(ret));
		free_crls(crls, n);
		return ret;
	}
	/* the list owns the CRLs now, not the array */
	gnutls_free(crls);
	t->n_crls = n;
	return 0;
}

int cert_trust_new(const void *ca_pem, size_t ca_len, const void *crl_pem, size_t crl_len,
		   struct cert_trust **out, char *err, size_t errlen)
{
	gnutls_datum_t d = { .data = (unsigned char *)ca_pem, .size = (unsigned)ca_len };
	gnutls_x509_crt_t *cas = NULL;
	struct cert_trust *t;
	unsigned n = 0;
	int ret;

	err[0] = '\0';
	if (ca_pem == NULL || ca_len == 0 || ca_len > UINT32_MAX || crl_len > UINT32_MAX)
		return fail(err, errlen, GNUTLS_E_NO_CERTIFICATE_FOUND, "ca-cert",
			    "no CA certificate");
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return fail(err, errlen, GNUTLS_E_MEMORY_ERROR, "ca-cert", "out of memory");
	ret = gnutls_x509_trust_list_init(&t->tl, 0);
	if (ret < 0) {
		free(t);
		return fail(err, errlen, ret, "ca-cert", gnutls_strerror(ret));
	}
	ret = gnutls_x509_crt_list_import2(&cas, &n, &d, GNUTLS_X509_FMT_PEM, 0);
	if (ret == 0 && n == 0)
		ret = GNUTLS_E_NO_CERTIFICATE_FOUND;
	if (ret < 0) {
		cert_trust_free(t);
		return fail(err, errlen, ret, "ca-cert", gnutls_strerror(ret));
	}
	ret = gnutls_x509_trust_list_add_cas(t->tl, cas, n, 0);
	if (ret < 0) {
		free_crts(cas, n);
		cert_trust_free(t);
		return fail(err, errlen, ret, "ca-cert", gnutls_strerror(ret));
	}
	t->n_cas = n;
	/* the list owns the CAs; the array is still needed to check the CRLs */
	ret = add_crls(t, crl_pem, crl_len, cas, n, err, errlen);
	gnutls_free(cas);
	if (ret < 0) {
		cert_trust_free(t);
		return ret;
	}
	*out = t;
	return 0;
}

void cert_trust_free(struct cert_trust *t)
{
	if (t == NULL)
		return;
	if (t->tl != NULL)
		gnutls_x509_trust_list_deinit(t->tl, 1);
	free(t);
}

int cert_files_read(const char *ca_file, const char *crl_file, gnutls_datum_t *ca,
		    gnutls_datum_t *crl, char *err, size_t errlen)
{
	struct cert_trust *t = NULL;
	int ret;

	*ca = (gnutls_datum_t){ 0 };
	*crl = (gnutls_datum_t){ 0 };
	ret = gnutls_load_file(ca_file, ca);
	if (ret < 0) {
		snprintf(err, errlen, "ca-cert %s: %s", ca_file, gnutls_strerror(ret));
		return ret;
	}
	if (crl_file != NULL) {
		ret = gnutls_load_file(crl_file, crl);
		if (ret < 0)
			snprintf(err, errlen, "crl %s: %s", crl_file, gnutls_strerror(ret));
	}
	if (ret == 0 && (size_t)ca->size + crl->size > CERT_FILES_MAX) {
		snprintf(err, errlen, "ca-cert and crl: %u bytes together, more than %u",
			 ca->size + crl->size, CERT_FILES_MAX);
		ret = GNUTLS_E_LARGE_PACKET;
	}
	if (ret == 0) {
		char why[192];

		ret = cert_trust_new(ca->data, ca->size, crl->data, crl->size, &t, why, sizeof(why));
		if (ret < 0)
			snprintf(err, errlen, "%s (ca-cert %s%s%s)", why, ca_file,
				 crl_file != NULL ? ", crl " : "", crl_file != NULL ? crl_file : "");
	}
	cert_trust_free(t);
	if (ret < 0) {
		gnutls_free(ca->data);
		gnutls_free(crl->data);
		*ca = (gnutls_datum_t){ 0 };
		*crl = (gnutls_datum_t){ 0 };
	}
	return ret;
}

unsigned cert_trust_n_cas(const struct cert_trust *t)
{
	return t != NULL ? t->n_cas : 0;
}

unsigned cert_trust_n_crls(const struct cert_trust *t)
{
	return t != NULL ? t->n_crls : 0;
}

const char *cert_verdict_str(enum cert_verdict v)
{
	switch (v) {
	case CERT_OK:
		return "valid";
	case CERT_MISSING:
		return "no certificate";
	case CERT_MALFORMED:
		return "malformed certificate";
	case CERT_REVOKED:
		return "certificate revoked";
	case CERT_EXPIRED:
		return "certificate expired";
	case CERT_NOT_YET_VALID:
		return "certificate not yet valid";
	case CERT_UNTRUSTED:
		return "certificate not signed by a trusted CA";
	case CERT_WRONG_PURPOSE:
		return "certificate not for client authentication";
	case CERT_INVALID:
		return "certificate invalid";
	}
	return "certificate invalid";
}

/* GnuTLS's status bits to one reason: the most basic first (a certificate
 * from another CA may be expired too: it is untrusted above all). */
static enum cert_verdict verdict_of(unsigned status)
{
	static const struct {
		unsigned bit;
		enum cert_verdict v;
	} order[] = {
		{ GNUTLS_CERT_SIGNER_NOT_FOUND, CERT_UNTRUSTED },
		{ GNUTLS_CERT_SIGNER_NOT_CA, CERT_UNTRUSTED },
		{ GNUTLS_CERT_REVOKED, CERT_REVOKED },
		{ GNUTLS_CERT_EXPIRED, CERT_EXPIRED },
		{ GNUTLS_CERT_NOT_ACTIVATED, CERT_NOT_YET_VALID },
		{ GNUTLS_CERT_PURPOSE_MISMATCH, CERT_WRONG_PURPOSE },
	};

	if (status == 0)
		return CERT_OK;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (status & order[i].bit)
			return order[i].v;
	return CERT_INVALID;
}

enum cert_verdict cert_verify(const struct cert_trust *t, const gnutls_datum_t *chain, size_t n)
{
	gnutls_x509_crt_t crts[CERT_CHAIN_MAX];
	/* the leaf must allow TLS client authentication (or say nothing) */
	gnutls_typed_vdata_st purpose = {
		.type = GNUTLS_DT_KEY_PURPOSE_OID,
		.data = (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT,
	};
	enum cert_verdict v = CERT_MALFORMED;
	unsigned status = 0, got = 0;

	if (chain == NULL || n == 0)
		return CERT_MISSING;
	if (t == NULL)
		return CERT_UNTRUSTED;
	if (n > CERT_CHAIN_MAX)
		n = CERT_CHAIN_MAX;
	for (; got < n; got++) {
		if (gnutls_x509_crt_init(&crts[got]) < 0)
			goto out;
		if (gnutls_x509_crt_import(crts[got], &chain[got], GNUTLS_X509_FMT_DER) < 0) {
			got++;
			goto out;
		}
	}
	if (gnutls_x509_trust_list_verify_crt2(t->tl, crts, got, &purpose, 1, 0, &status,
					       NULL) < 0)
		v = CERT_INVALID;
	else
		v = verdict_of(status);
out:
	for (unsigned i = 0; i < got; i++)
		gnutls_x509_crt_deinit(crts[i]);
	return v;
}

/* A value fit for a user or group name: UTF-8, no control character, none
 * of the list separators. */
static bool name_ok(const char *s, size_t len)
{
	if (len == 0 || len > CERT_NAME_MAX || strlen(s) != len)
		return false;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t k = utf8_decode((const unsigned char *)s + i, len - i, &cp);

		if (k == 0 || cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == ',' || cp == ':')
			return false;
		i += k;
	}
	return true;
}

int cert_dn_values(const gnutls_datum_t *der, const char *oid, unsigned max, char *out,
		   size_t len)
{
	gnutls_x509_crt_t crt;
	size_t used = 0;
	int n = 0, ret;

	if (len == 0)
		return -ENOSPC;
	out[0] = '\0';
	if (!cert_oid_valid(oid) || der == NULL || gnutls_x509_crt_init(&crt) < 0)
		return -EINVAL;
	if (gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(crt);
		return -EINVAL;
	}
	for (unsigned i = 0; i < max; i++) {
		char v[CERT_NAME_MAX + 2];
		size_t vlen = sizeof(v);

		ret = gnutls_x509_crt_get_dn_by_oid(crt, oid, i, 0, v, &vlen);
		if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (ret < 0 || !name_ok(v, vlen)) {
			n = -EILSEQ;
			break;
		}
		if (used + (n > 0) + vlen + 1 > len) {
			n = -ENOSPC;
			break;
		}
		if (n > 0)
			out[used++] = ',';
		memcpy(out + used, v, vlen + 1);
		used += vlen;
		n++;
	}
	gnutls_x509_crt_deinit(crt);
	if (n <= 0)
		out[0] = '\0';
	return n == 0 ? -ENOENT : n;
}
