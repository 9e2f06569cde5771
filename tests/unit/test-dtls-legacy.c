/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The DTLS mode chosen from a CONNECT's X-DTLS-* headers
 * (src/codec/dtls-legacy.c, doc/spec/interop.md §6.1, §6.4): PSK-NEGOTIATE
 * or Cisco's legacy resume, the suite picked from the client's two offers,
 * and the X-DTLS-Master-Secret parser.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "codec/dtls-legacy.h"
#include "test-main.h"

/* openconnect 9.01's offers (doc/spec/interop.md §2.1) */
#define OC_CS "PSK-NEGOTIATE:OC-DTLS1_2-AES256-GCM:OC2-DTLS1_2-CHACHA20-POLY1305:" \
	      "OC-DTLS1_2-AES128-GCM:DHE-RSA-AES256-SHA:DHE-RSA-AES128-SHA:AES256-SHA:AES128-SHA"
#define OC_CS12 "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:AES256-GCM-SHA384:" \
		"AES128-GCM-SHA256:DHE-RSA-AES256-SHA:DHE-RSA-AES128-SHA:AES256-SHA:AES128-SHA"
#define MASTER "00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff" \
	       "0123456789abcdef0123456789ABCDEF"

START_TEST(test_master_secret)
{
	uint8_t m[DTLS_LEGACY_MASTER_LEN];
	char buf[200];

	ck_assert_int_eq(strlen(MASTER), 96);
	ck_assert_int_eq(dtls_legacy_parse_master(MASTER, m), DTLS_MASTER_OK);
	ck_assert_int_eq(m[0], 0x00);
	ck_assert_int_eq(m[1], 0x11);
	ck_assert_int_eq(m[10], 0xaa);
	ck_assert_int_eq(m[26], 0xaa);	/* lower case too */
	ck_assert_int_eq(m[47], 0xef);

	ck_assert_int_eq(dtls_legacy_parse_master(NULL, m), DTLS_MASTER_ABSENT);
	ck_assert_int_eq(dtls_legacy_parse_master("", m), DTLS_MASTER_LENGTH);
	/* 95 and 97 characters */
	snprintf(buf, sizeof(buf), "%.95s", MASTER);
	ck_assert_int_eq(dtls_legacy_parse_master(buf, m), DTLS_MASTER_LENGTH);
	snprintf(buf, sizeof(buf), "%s0", MASTER);
	ck_assert_int_eq(dtls_legacy_parse_master(buf, m), DTLS_MASTER_LENGTH);
	/* a non-hex digit anywhere: refused, nothing left in the output */
	for (size_t i = 0; i < 96; i++) {
		snprintf(buf, sizeof(buf), "%s", MASTER);
		buf[i] = i % 2 ? 'g' : ' ';
		ck_assert_int_eq(dtls_legacy_parse_master(buf, m), DTLS_MASTER_NOT_HEX);
		for (size_t j = 0; j < sizeof(m); j++)
			ck_assert_int_eq(m[j], 0);
	}
	ck_assert_str_eq(dtls_master_strerror(DTLS_MASTER_LENGTH), "not 96 characters");
	ck_assert_str_eq(dtls_master_strerror(DTLS_MASTER_NOT_HEX), "not hexadecimal");
	ck_assert_str_eq(dtls_master_strerror(DTLS_MASTER_ABSENT), "absent");
	ck_assert_str_eq(dtls_master_strerror(7), "unknown");
}
END_TEST

START_TEST(test_list_has)
{
	ck_assert(dtls_cipher_list_has(OC_CS, "PSK-NEGOTIATE"));
	ck_assert(dtls_cipher_list_has(OC_CS, "AES128-SHA"));
	ck_assert(dtls_cipher_list_has("::AES128-SHA::", "AES128-SHA"));
	ck_assert(!dtls_cipher_list_has(OC_CS, "AES128"));
	ck_assert(!dtls_cipher_list_has(OC_CS, "aes128-sha"));
	ck_assert(!dtls_cipher_list_has("AES128-SHAX", "AES128-SHA"));
	ck_assert(!dtls_cipher_list_has(NULL, "AES128-SHA"));
	ck_assert(!dtls_cipher_list_has("", ""));
	ck_assert(!dtls_cipher_list_has("a::b", ""));
}
END_TEST

/* PSK wins when offered and allowed, whatever else is offered. */
START_TEST(test_choose_psk)
{
	struct dtls_choice c;

	dtls_choose(OC_CS, OC_CS12, MASTER, true, true, &c);
	ck_assert_int_eq(c.mode, DTLS_MODE_PSK);
	ck_assert_str_eq(dtls_choice_why_str(c.why), "psk");
	ck_assert_ptr_null(c.cipher);
	/* PSK alone, no master secret needed */
	dtls_choose("PSK-NEGOTIATE", NULL, NULL, true, false, &c);
	ck_assert_int_eq(c.mode, DTLS_MODE_PSK);
	/* PSK in the DTLS 1.2 list means nothing */
	dtls_choose(NULL, "PSK-NEGOTIATE", MASTER, true, false, &c);
	ck_assert_int_eq(c.mode, DTLS_MODE_NONE);
	ck_assert_str_eq(dtls_choice_why_str(c.why), "disabled");
}
END_TEST

/* dtls-psk = false: openconnect's default offer gets Cisco DTLS 1.2 with
 * AES-256-GCM, answered in X-DTLS12-CipherSuite, and the secret. */
START_TEST(test_choose_legacy_openconnect)
{
	struct dtls_choice c;

	dtls_choose(OC_CS, OC_CS12, MASTER, false, true, &c);
	ck_assert_int_eq(c.mode, DTLS_MODE_LEGACY);
	ck_assert_str_eq(dtls_choice_why_str(c.why), "legacy");
	ck_assert_str_eq(c.cipher->name, "ECDHE-RSA-AES256-GCM-SHA384");
	ck_assert(c.cipher->dtls12_header);
	ck_assert_int_eq(c.cipher->version, GNUTLS_DTLS1_2);
	ck_assert_int_eq(c.cipher->cipher, GNUTLS_CIPHER_AES_256_GCM);
	ck_assert_int_eq(c.cipher->mac, GNUTLS_MAC_AEAD);
	ck_assert_int_eq(c.cipher->kx, GNUTLS_KX_ECDHE_RSA);
	ck_assert_int_eq(c.cipher->overhead, 37);
	ck_assert_int_eq(c.master[0], 0x00);
	ck_assert_int_eq(c.master[47], 0xef);
	/* without the DTLS 1.2 list: OpenConnect's own DTLS 1.2 name */
	dtls_choose(OC_CS, NULL, MASTER, false, true, &c);
	ck_assert_str_eq(c.cipher->name, "OC-DTLS1_2-AES256-GCM");
	ck_assert(!c.cipher->dtls12_header);
	ck_assert_int_eq(c.cipher->version, GNUTLS_DTLS1_2);
}
END_TEST

/* What each single offer gets: the name, the header and the version. */
START_TEST(test_choose_each)
{
	static const struct {
		const char *cs, *cs12, *name;
		bool dtls12;
		gnutls_protocol_t version;
		gnutls_cipher_algorithm_t cipher;
	} t[] = {
		{ NULL, "AES256-GCM-SHA384", "AES256-GCM-SHA384", true, GNUTLS_DTLS1_2,
		  GNUTLS_CIPHER_AES_256_GCM },
		{ NULL, "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", true,
		  GNUTLS_DTLS1_2, GNUTLS_CIPHER_AES_128_GCM },
		{ NULL, "AES128-GCM-SHA256", "AES128-GCM-SHA256", true, GNUTLS_DTLS1_2,
		  GNUTLS_CIPHER_AES_128_GCM },
		{ "OC-DTLS1_2-AES128-GCM", NULL, "OC-DTLS1_2-AES128-GCM", false, GNUTLS_DTLS1_2,
		  GNUTLS_CIPHER_AES_128_GCM },
		{ NULL, "AES256-SHA", "AES256-SHA", true, GNUTLS_DTLS1_2, GNUTLS_CIPHER_AES_256_CBC },
		{ NULL, "AES128-SHA", "AES128-SHA", true, GNUTLS_DTLS1_2, GNUTLS_CIPHER_AES_128_CBC },
		{ NULL, "DHE-RSA-AES256-SHA", "DHE-RSA-AES256-SHA", true, GNUTLS_DTLS1_2,
		  GNUTLS_CIPHER_AES_256_CBC },
		/* the same names in X-DTLS-CipherSuite: DTLS 0.9 */
		{ "AES256-SHA", NULL, "AES256-SHA", false, GNUTLS_DTLS0_9, GNUTLS_CIPHER_AES_256_CBC },
		{ "AES128-SHA", NULL, "AES128-SHA", false, GNUTLS_DTLS0_9, GNUTLS_CIPHER_AES_128_CBC },
		{ "DHE-RSA-AES128-SHA", NULL, "DHE-RSA-AES128-SHA", false, GNUTLS_DTLS0_9,
		  GNUTLS_CIPHER_AES_128_CBC },
		/* DTLS 1.2 preferred over 0.9, GCM over CBC */
		{ "AES128-SHA", "AES128-SHA", "AES128-SHA", true, GNUTLS_DTLS1_2,
		  GNUTLS_CIPHER_AES_128_CBC },
		{ "AES256-SHA:OC-DTLS1_2-AES128-GCM", NULL, "OC-DTLS1_2-AES128-GCM", false,
		  GNUTLS_DTLS1_2, GNUTLS_CIPHER_AES_128_GCM },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct dtls_choice c;

		dtls_choose(t[i].cs, t[i].cs12, MASTER, false, true, &c);
		ck_assert_msg(c.mode == DTLS_MODE_LEGACY, "case %zu", i);
		ck_assert_str_eq(c.cipher->name, t[i].name);
		ck_assert_msg(c.cipher->dtls12_header == t[i].dtls12, "case %zu", i);
		ck_assert_msg(c.cipher->version == t[i].version, "case %zu", i);
		ck_assert_msg(c.cipher->cipher == t[i].cipher, "case %zu", i);
		ck_assert_ptr_eq(dtls_legacy_cipher_find(t[i].name, t[i].dtls12), c.cipher);
	}
}
END_TEST

START_TEST(test_choose_none)
{
	struct dtls_choice c;

	/* --no-dtls: nothing offered */
	dtls_choose(NULL, NULL, NULL, true, true, &c);
	ck_assert_int_eq(c.mode, DTLS_MODE_NONE);
	ck_assert_str_eq(dtls_choice_why_str(c.why), "not-offered");
	/* legacy off, PSK off */
	dtls_choose(OC_CS, OC_CS12, MASTER, false, false, &c);
	ck_assert_int_eq(c.mode, DTLS_MODE_NONE);
	ck_assert_int_eq(c.why, DTLS_WHY_DISABLED);
	/* a Cisco client (no PSK-NEGOTIATE) on a PSK-only server */
	dtls_choose(NULL, OC_CS12, MASTER, true, false, &c);
	ck_assert_int_eq(c.why, DTLS_WHY_DISABLED);
	/* nothing we take: 3DES, ChaCha20 resume, unknown names */
	dtls_choose("DES-CBC3-SHA:OC2-DTLS1_2-CHACHA20-POLY1305:FOO", "ECDHE-ECDSA-AES256-GCM-SHA384",
		    MASTER, true, true, &c);
	ck_assert_int_eq(c.mode, DTLS_MODE_NONE);
	ck_assert_str_eq(dtls_choice_why_str(c.why), "no-common-cipher");
	/* a malformed or missing secret: no legacy DTLS, and no secret kept */
	dtls_choose(OC_CS, OC_CS12, "00112233", false, true, &c);
	ck_assert_int_eq(c.mode, DTLS_MODE_NONE);
	ck_assert_str_eq(dtls_choice_why_str(c.why), "bad-master-secret");
	ck_assert_int_eq(c.master_err, DTLS_MASTER_LENGTH);
	ck_assert_ptr_null(c.cipher);
	dtls_choose(OC_CS, OC_CS12, NULL, false, true, &c);
	ck_assert_int_eq(c.master_err, DTLS_MASTER_ABSENT);
	dtls_choose(NULL, OC_CS12, MASTER "", false, true, &c);
	ck_assert_int_eq(c.mode, DTLS_MODE_LEGACY);
	/* but a bad secret does not stop PSK */
	dtls_choose(OC_CS, OC_CS12, "zz", true, true, &c);
	ck_assert_int_eq(c.mode, DTLS_MODE_PSK);
	ck_assert_str_eq(dtls_choice_why_str((enum dtls_choice_why)99), "unknown");
}
END_TEST

/* Every row of the table has a priority string GnuTLS accepts, naming its
 * version, and a name found again under its own header. */
START_TEST(test_table)
{
	const struct dtls_legacy_cipher *c;
	size_t i;

	for (i = 0; (c = dtls_legacy_cipher_at(i)) != NULL; i++) {
		gnutls_priority_t p;
		const char *err = NULL;

		ck_assert_msg(gnutls_priority_init(&p, c->priority, &err) == 0, "%s: %s at %s",
			      c->name, c->priority, err != NULL ? err : "");
		gnutls_priority_deinit(p);
		ck_assert_ptr_eq(dtls_legacy_cipher_find(c->name, c->dtls12_header), c);
		ck_assert(strstr(c->priority, c->version == GNUTLS_DTLS0_9 ? "+VERS-DTLS0.9"
									     : "+VERS-DTLS1.2") != NULL);
		/* DTLS 0.9 suites only in the X-DTLS-CipherSuite list */
		ck_assert(c->version != GNUTLS_DTLS0_9 || !c->dtls12_header);
		ck_assert(c->overhead == DTLS_LEGACY_OVERHEAD_GCM ||
			  c->overhead == DTLS_LEGACY_OVERHEAD_CBC_SHA1);
	}
	ck_assert_int_eq(i, 14);
	ck_assert_ptr_null(dtls_legacy_cipher_find("AES256-GCM-SHA384", false));
	ck_assert_ptr_null(dtls_legacy_cipher_find(NULL, true));
}
END_TEST

static Suite *dtls_legacy_suite(void)
{
	Suite *s = suite_create("dtls-legacy");
	TCase *tc = tcase_create("choose");

	tcase_add_test(tc, test_master_secret);
	tcase_add_test(tc, test_list_has);
	tcase_add_test(tc, test_choose_psk);
	tcase_add_test(tc, test_choose_legacy_openconnect);
	tcase_add_test(tc, test_choose_each);
	tcase_add_test(tc, test_choose_none);
	tcase_add_test(tc, test_table);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(dtls_legacy_suite)
