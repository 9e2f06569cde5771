/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Client certificates (src/common/cert.c): OIDs, the names in a subject,
 * and the verification of a chain against ca-cert and crl; and sec-mod's
 * certificate factor (src/sec-mod/sec-mod-cert.c) on top of them. The test
 * makes its own CAs, certificates and CRLs with GnuTLS (P-256 keys: fast).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <gnutls/x509.h>
#include <string.h>
#include <time.h>

#include "common/cert.h"
#include "sec-mod/sec-mod-cert.h"
#include "test-main.h"

#define OID_UID "0.9.2342.19200300.100.1.1"
#define OID_CN "2.5.4.3"
#define OID_OU "2.5.4.11"
#define DAY (24 * 3600)

struct pair {
	gnutls_x509_crt_t crt;
	gnutls_x509_privkey_t key;
	gnutls_datum_t der;
};

/* One attribute of a subject. */
struct attr {
	const char *oid;
	const char *value;
};

struct spec {
	const struct attr *subject;
	size_t n_attrs;
	const struct pair *issuer;	/* NULL: self-signed */
	unsigned serial;
	time_t not_before, not_after;
	bool ca;
	const char *purpose;		/* an extended key usage; NULL: none */
};

static void make(struct pair *p, const struct spec *s)
{
	unsigned char serial[2] = { (unsigned char)(s->serial >> 8), (unsigned char)s->serial };

	ck_assert_int_eq(gnutls_x509_privkey_init(&p->key), 0);
	ck_assert_int_eq(gnutls_x509_privkey_generate(p->key, GNUTLS_PK_ECDSA,
			 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
	ck_assert_int_eq(gnutls_x509_crt_init(&p->crt), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_version(p->crt, 3), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_serial(p->crt, serial, sizeof(serial)), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_activation_time(p->crt, s->not_before), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_expiration_time(p->crt, s->not_after), 0);
	for (size_t i = 0; i < s->n_attrs; i++) {
		const struct attr *a = &s->subject[i];

		ck_assert_int_eq(gnutls_x509_crt_set_dn_by_oid(p->crt, a->oid, 0, a->value,
				 (unsigned)strlen(a->value)), 0);
	}
	ck_assert_int_eq(gnutls_x509_crt_set_key(p->crt, p->key), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_basic_constraints(p->crt, s->ca, -1), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_key_usage(p->crt, s->ca
			 ? GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN
			 : GNUTLS_KEY_DIGITAL_SIGNATURE), 0);
	if (s->purpose != NULL)
		ck_assert_int_eq(gnutls_x509_crt_set_key_purpose_oid(p->crt, s->purpose, 1), 0);
	ck_assert_int_eq(gnutls_x509_crt_sign2(p->crt, s->issuer ? s->issuer->crt : p->crt,
			 s->issuer ? s->issuer->key : p->key, GNUTLS_DIG_SHA256, 0), 0);
	ck_assert_int_eq(gnutls_x509_crt_export2(p->crt, GNUTLS_X509_FMT_DER, &p->der), 0);
}

static void drop(struct pair *p)
{
	gnutls_free(p->der.data);
	gnutls_x509_crt_deinit(p->crt);
	gnutls_x509_privkey_deinit(p->key);
}

static const struct attr ca_name[] = { { OID_CN, "Test CA" } };
static const struct attr other_ca_name[] = { { OID_CN, "Other CA" } };
static const struct attr alice[] = {
	{ OID_CN, "Alice Example" }, { OID_UID, "alice" }, { OID_OU, "eng" }, { OID_OU, "ops" },
};

static struct pair ca, other_ca;
static gnutls_datum_t ca_pem;

static void make_ca(struct pair *p, const struct attr *name)
{
	time_t now = time(NULL);

	make(p, &(struct spec){ .subject = name, .n_attrs = 1, .serial = 1,
				.not_before = now - DAY, .not_after = now + 365 * DAY, .ca = true });
}

static void setup(void)
{
	make_ca(&ca, ca_name);
	make_ca(&other_ca, other_ca_name);
	ck_assert_int_eq(gnutls_x509_crt_export2(ca.crt, GNUTLS_X509_FMT_PEM, &ca_pem), 0);
}

static void teardown(void)
{
	gnutls_free(ca_pem.data);
	drop(&ca);
	drop(&other_ca);
}

/* A client certificate of alice issued by iss, valid from nb to na. */
static void client(struct pair *p, const struct pair *iss, unsigned serial, time_t nb, time_t na)
{
	make(p, &(struct spec){ .subject = alice, .n_attrs = 4, .issuer = iss, .serial = serial,
				.not_before = nb, .not_after = na });
}

/* The PEM text of a CRL by issuer revoking the certificate r (NULL: none). */
static void crl_pem(const struct pair *issuer, const struct pair *r, gnutls_datum_t *out)
{
	gnutls_x509_crl_t crl;
	time_t now = time(NULL);

	ck_assert_int_eq(gnutls_x509_crl_init(&crl), 0);
	ck_assert_int_eq(gnutls_x509_crl_set_version(crl, 2), 0);
	ck_assert_int_eq(gnutls_x509_crl_set_this_update(crl, now - 60), 0);
	ck_assert_int_eq(gnutls_x509_crl_set_next_update(crl, now + DAY), 0);
	if (r != NULL)
		ck_assert_int_eq(gnutls_x509_crl_set_crt(crl, r->crt, now - 60), 0);
	ck_assert_int_eq(gnutls_x509_crl_sign2(crl, issuer->crt, issuer->key, GNUTLS_DIG_SHA256,
					       0), 0);
	ck_assert_int_eq(gnutls_x509_crl_export2(crl, GNUTLS_X509_FMT_PEM, out), 0);
	gnutls_x509_crl_deinit(crl);
}

static struct cert_trust *trust(const gnutls_datum_t *crl)
{
	struct cert_trust *t = NULL;
	char err[256];
	int r = cert_trust_new(ca_pem.data, ca_pem.size, crl ? crl->data : NULL,
			       crl ? crl->size : 0, &t, err, sizeof(err));

	ck_assert_msg(r == 0, "cert_trust_new: %s", err);
	return t;
}

START_TEST(test_oid)
{
	ck_assert_int_eq(cert_oid_valid(OID_UID), 1);
	ck_assert_int_eq(cert_oid_valid(OID_CN), 1);
	ck_assert_int_eq(cert_oid_valid("1.2"), 1);
	ck_assert_int_eq(cert_oid_valid("2.0.10"), 1);
	ck_assert_int_eq(cert_oid_valid(""), 0);
	ck_assert_int_eq(cert_oid_valid("2"), 0);
	ck_assert_int_eq(cert_oid_valid("3.5.4"), 0);
	ck_assert_int_eq(cert_oid_valid("2.5..3"), 0);
	ck_assert_int_eq(cert_oid_valid("2.5.4."), 0);
	ck_assert_int_eq(cert_oid_valid("2.05.4"), 0);
	ck_assert_int_eq(cert_oid_valid("2.5.4.3 "), 0);
	ck_assert_int_eq(cert_oid_valid("CN"), 0);
	ck_assert_int_eq(cert_oid_valid(NULL), 0);
}
END_TEST

START_TEST(test_dn_values)
{
	struct pair c;
	char out[64];
	time_t now = time(NULL);

	client(&c, &ca, 10, now - DAY, now + DAY);
	ck_assert_int_eq(cert_dn_values(&c.der, OID_UID, 1, out, sizeof(out)), 1);
	ck_assert_str_eq(out, "alice");
	ck_assert_int_eq(cert_dn_values(&c.der, OID_CN, 1, out, sizeof(out)), 1);
	ck_assert_str_eq(out, "Alice Example");
	/* every value for the groups, the first one for a name */
	ck_assert_int_eq(cert_dn_values(&c.der, OID_OU, 16, out, sizeof(out)), 2);
	ck_assert_str_eq(out, "eng,ops");
	ck_assert_int_eq(cert_dn_values(&c.der, OID_OU, 1, out, sizeof(out)), 1);
	ck_assert_str_eq(out, "eng");
	/* absent, no room, not an OID */
	ck_assert_int_eq(cert_dn_values(&c.der, "2.5.4.10", 1, out, sizeof(out)), -ENOENT);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(cert_dn_values(&c.der, OID_OU, 16, out, 6), -ENOSPC);
	ck_assert_int_eq(cert_dn_values(&c.der, OID_UID, 1, out, 5), -ENOSPC);
	ck_assert_int_eq(cert_dn_values(&c.der, "uid", 1, out, sizeof(out)), -EINVAL);
	drop(&c);
}
END_TEST

/* Values that must never become a user or group name. */
START_TEST(test_dn_hostile)
{
	static const char *const bad[] = { "ev\nil", "a,b", "root:0", "\x1b[31m", "x\xc2\x85y" };
	time_t now = time(NULL);
	char out[64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct attr a[] = { { OID_CN, bad[i] } };
		struct pair c;

		make(&c, &(struct spec){ .subject = a, .n_attrs = 1, .issuer = &ca, .serial = 20,
					 .not_before = now - DAY, .not_after = now + DAY });
		ck_assert_int_eq(cert_dn_values(&c.der, OID_CN, 1, out, sizeof(out)), -EILSEQ);
		ck_assert_str_eq(out, "");
		drop(&c);
	}
}
END_TEST

START_TEST(test_dn_malformed)
{
	static unsigned char junk[] = { 0x30, 0x82, 0x01, 0x00, 0x02, 0x01 };
	gnutls_datum_t d = { .data = junk, .size = sizeof(junk) };
	char out[16];

	ck_assert_int_eq(cert_dn_values(&d, OID_CN, 1, out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(cert_dn_values(NULL, OID_CN, 1, out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(cert_dn_values(&d, OID_CN, 1, out, 0), -ENOSPC);
}
END_TEST

START_TEST(test_verify)
{
	struct pair good, expired, future, foreign, revoked, server_only;
	gnutls_datum_t crl;
	struct cert_trust *t, *t_nocrl;
	time_t now = time(NULL);
	unsigned char junk[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	gnutls_datum_t bad = { .data = junk, .size = sizeof(junk) };

	client(&good, &ca, 11, now - DAY, now + DAY);
	client(&expired, &ca, 12, now - 3 * DAY, now - DAY);
	client(&future, &ca, 13, now + DAY, now + 3 * DAY);
	client(&foreign, &other_ca, 14, now - DAY, now + DAY);
	client(&revoked, &ca, 15, now - DAY, now + DAY);
	make(&server_only, &(struct spec){ .subject = alice, .n_attrs = 4, .issuer = &ca,
		.serial = 16, .not_before = now - DAY, .not_after = now + DAY,
		.purpose = GNUTLS_KP_TLS_WWW_SERVER });
	crl_pem(&ca, &revoked, &crl);
	t = trust(&crl);
	t_nocrl = trust(NULL);
	ck_assert_uint_eq(cert_trust_n_cas(t), 1);
	ck_assert_uint_eq(cert_trust_n_crls(t), 1);
	ck_assert_uint_eq(cert_trust_n_crls(t_nocrl), 0);

	ck_assert_int_eq(cert_verify(t, &good.der, 1), CERT_OK);
	ck_assert_int_eq(cert_verify(t, &expired.der, 1), CERT_EXPIRED);
	ck_assert_int_eq(cert_verify(t, &future.der, 1), CERT_NOT_YET_VALID);
	ck_assert_int_eq(cert_verify(t, &foreign.der, 1), CERT_UNTRUSTED);
	ck_assert_int_eq(cert_verify(t, &revoked.der, 1), CERT_REVOKED);
	ck_assert_int_eq(cert_verify(t_nocrl, &revoked.der, 1), CERT_OK);
	ck_assert_int_eq(cert_verify(t, &server_only.der, 1), CERT_WRONG_PURPOSE);
	ck_assert_int_eq(cert_verify(t, NULL, 0), CERT_MISSING);
	ck_assert_int_eq(cert_verify(t, &bad, 1), CERT_MALFORMED);
	ck_assert_str_eq(cert_verdict_str(CERT_REVOKED), "certificate revoked");
	ck_assert_str_eq(cert_verdict_str(CERT_EXPIRED), "certificate expired");

	cert_trust_free(t);
	cert_trust_free(t_nocrl);
	gnutls_free(crl.data);
	drop(&good);
	drop(&expired);
	drop(&future);
	drop(&foreign);
	drop(&revoked);
	drop(&server_only);
}
END_TEST

/* A leaf issued by an intermediate CA: trusted with the intermediate in
 * the chain the client sent, not without it. */
START_TEST(test_verify_chain)
{
	static const struct attr inter_name[] = { { OID_CN, "Intermediate" } };
	struct pair inter, leaf;
	struct cert_trust *t = trust(NULL);
	time_t now = time(NULL);
	gnutls_datum_t chain[2];

	make(&inter, &(struct spec){ .subject = inter_name, .n_attrs = 1, .issuer = &ca,
				     .serial = 30, .not_before = now - DAY,
				     .not_after = now + DAY, .ca = true });
	client(&leaf, &inter, 31, now - DAY, now + DAY);
	chain[0] = leaf.der;
	chain[1] = inter.der;
	ck_assert_int_eq(cert_verify(t, chain, 2), CERT_OK);
	ck_assert_int_eq(cert_verify(t, chain, 1), CERT_UNTRUSTED);
	cert_trust_free(t);
	drop(&leaf);
	drop(&inter);
}
END_TEST

START_TEST(test_trust_errors)
{
	struct cert_trust *t = NULL;
	gnutls_datum_t crl;
	char err[256];

	ck_assert_int_lt(cert_trust_new(NULL, 0, NULL, 0, &t, err, sizeof(err)), 0);
	ck_assert_int_lt(cert_trust_new("junk", 4, NULL, 0, &t, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "ca-cert"));
	/* a CRL of another CA would revoke nothing: refused */
	crl_pem(&other_ca, NULL, &crl);
	ck_assert_int_lt(cert_trust_new(ca_pem.data, ca_pem.size, crl.data, crl.size, &t, err,
					sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "not signed by a CA of ca-cert"));
	ck_assert_int_lt(cert_trust_new(ca_pem.data, ca_pem.size, "junk", 4, &t, err,
					sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "crl"));
	ck_assert_ptr_null(t);
	gnutls_free(crl.data);
}
END_TEST

/* sec-mod's certificate factor (sec-mod-cert.c): which combination of auth
 * and enable-auth decides what, and a reload that cannot be used. */
static enum secmod_cert_outcome factor(const struct secmod_cert *sc, const struct pair *c,
				       bool plain, struct secmod_cert_id *id)
{
	ProtobufCBinaryData der = { 0 };
	AuthRequest a = AUTH_REQUEST__INIT;

	if (c != NULL) {
		der.data = c->der.data;
		der.len = c->der.size;
		a.n_cert_der = 1;
		a.cert_der = &der;
	}
	a.username = "";
	a.password = "";
	a.remote_ip = "192.0.2.7";
	return secmod_cert_check(sc, &a, plain, id);
}

static void sm_config(struct secmod_cert *sc, bool required, bool sufficient,
		      const char *user_oid, const gnutls_datum_t *cas, const gnutls_datum_t *crl)
{
	SmConfig c = SM_CONFIG__INIT;

	c.has_auth_certificate = c.has_enable_auth_certificate = true;
	c.auth_certificate = required;
	c.enable_auth_certificate = sufficient;
	c.cert_user_oid = (char *)user_oid;
	c.cert_group_oid = OID_OU;
	if (cas != NULL) {
		c.has_ca_cert = true;
		c.ca_cert.data = cas->data;
		c.ca_cert.len = cas->size;
	}
	if (crl != NULL) {
		c.has_crl = true;
		c.crl.data = crl->data;
		c.crl.len = crl->size;
	}
	secmod_cert_config(sc, &c);
}

START_TEST(test_secmod_factor)
{
	struct secmod_cert sc = { 0 };
	struct secmod_cert_id id;
	struct pair good, revoked;
	gnutls_datum_t crl, junk = { .data = (unsigned char *)"junk", .size = 4 };
	time_t now = time(NULL);

	client(&good, &ca, 40, now - DAY, now + DAY);
	client(&revoked, &ca, 41, now - DAY, now + DAY);
	crl_pem(&ca, &revoked, &crl);

	/* auth = certificate alone */
	sm_config(&sc, true, false, OID_UID, &ca_pem, &crl);
	ck_assert_int_eq(factor(&sc, &good, false, &id), SECMOD_CERT_ACCEPT);
	ck_assert_str_eq(id.user, "alice");
	ck_assert_str_eq(id.groups, "eng,ops");
	ck_assert_int_eq(factor(&sc, NULL, false, &id), SECMOD_CERT_REJECT);
	ck_assert_str_eq(id.reason, "no certificate");
	ck_assert_int_eq(factor(&sc, &revoked, false, &id), SECMOD_CERT_REJECT);
	ck_assert_str_eq(id.reason, "certificate revoked");
	/* with a password factor: the certificate is one of two */
	ck_assert_int_eq(factor(&sc, &good, true, &id), SECMOD_CERT_FACTOR);
	ck_assert_str_eq(id.user, "alice");
	ck_assert_int_eq(factor(&sc, NULL, true, &id), SECMOD_CERT_REJECT);
	/* a reload whose CA text is unusable keeps the trust list */
	sm_config(&sc, true, false, OID_UID, &junk, NULL);
	ck_assert_int_eq(factor(&sc, &revoked, false, &id), SECMOD_CERT_REJECT);
	ck_assert_int_eq(factor(&sc, &good, false, &id), SECMOD_CERT_ACCEPT);
	/* no such attribute for the user name */
	sm_config(&sc, true, false, "2.5.4.10", NULL, NULL);
	ck_assert_int_eq(factor(&sc, &good, false, &id), SECMOD_CERT_REJECT);
	ck_assert_ptr_nonnull(strstr(id.reason, "names no user"));

	/* enable-auth = certificate: enough alone; without one the password */
	sm_config(&sc, false, true, OID_UID, NULL, NULL);
	ck_assert_int_eq(factor(&sc, &good, true, &id), SECMOD_CERT_ACCEPT);
	ck_assert_int_eq(factor(&sc, NULL, true, &id), SECMOD_CERT_UNUSED);
	ck_assert_int_eq(factor(&sc, &revoked, true, &id), SECMOD_CERT_REJECT);
	/* neither: the certificate is not looked at */
	sm_config(&sc, false, false, OID_UID, NULL, NULL);
	ck_assert_int_eq(factor(&sc, &revoked, true, &id), SECMOD_CERT_UNUSED);
	secmod_cert_clear(&sc);
	/* no trust list at all: every certificate refused */
	sm_config(&sc, true, false, OID_UID, NULL, NULL);
	ck_assert_int_eq(factor(&sc, &good, false, &id), SECMOD_CERT_REJECT);
	ck_assert_ptr_nonnull(strstr(id.reason, "no usable ca-cert"));
	secmod_cert_clear(&sc);

	gnutls_free(crl.data);
	drop(&good);
	drop(&revoked);
}
END_TEST

static Suite *cert_suite(void)
{
	Suite *s = suite_create("cert");
	TCase *tc = tcase_create("cert");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_oid);
	tcase_add_test(tc, test_dn_values);
	tcase_add_test(tc, test_dn_hostile);
	tcase_add_test(tc, test_dn_malformed);
	tcase_add_test(tc, test_verify);
	tcase_add_test(tc, test_verify_chain);
	tcase_add_test(tc, test_trust_errors);
	tcase_add_test(tc, test_secmod_factor);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(cert_suite)
