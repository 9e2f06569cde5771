/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The DTLS mode chosen from a CONNECT's X-DTLS-* headers
 * (src/codec/dtls-legacy.c, doc/spec/interop.md §6.1, §6.4): PSK-NEGOTIATE
 * or Cisco's legacy resume, the suite picked from the client's two offers,
 * and the X-DTLS-Master-Secret parser; then, for every suite of the table,
 * a GnuTLS client and server primed as openconnect and the worker are
 * complete the abbreviated handshake (DTLS 0.9 included) over a socketpair,
 * and a wrong secret or session ID does not.
 */
#include "config.h"

#include <check.h>
#include <gnutls/dtls.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

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
		/* an AnyConnect-like offer with ECDSA names first: RSA name preferred,
		 * an ECDSA-only offer gets its ECDSA name */
		{ NULL, "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384",
		  "ECDHE-RSA-AES256-GCM-SHA384", true, GNUTLS_DTLS1_2, GNUTLS_CIPHER_AES_256_GCM },
		{ NULL, "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256",
		  "ECDHE-ECDSA-AES256-GCM-SHA384", true, GNUTLS_DTLS1_2, GNUTLS_CIPHER_AES_256_GCM },
		{ NULL, "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256", true,
		  GNUTLS_DTLS1_2, GNUTLS_CIPHER_AES_128_GCM },
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
	dtls_choose("DES-CBC3-SHA:OC2-DTLS1_2-CHACHA20-POLY1305:FOO", "DHE-RSA-AES256-GCM-SHA384",
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
	ck_assert_int_eq(i, 16);
	ck_assert_ptr_null(dtls_legacy_cipher_find("AES256-GCM-SHA384", false));
	ck_assert_ptr_null(dtls_legacy_cipher_find(NULL, true));
}
END_TEST

/* --- the pretended session, end to end, with GnuTLS on both sides --------- */

/* Never wait: the test drives both ends in turn, without a clock. */
static int poll_now(gnutls_transport_ptr_t p, unsigned int ms)
{
	struct pollfd pfd = { .fd = (int)(intptr_t)p, .events = POLLIN };

	return poll(&pfd, 1, 0);
}

/* One end of a legacy resume over a datagram socket: the row's priority
 * string and gnutls_session_set_premaster() with that session ID and
 * secret, as the worker (server) and openconnect (client) do. */
static gnutls_session_t primed(unsigned entity, int fd, const struct dtls_legacy_cipher *c,
			       const uint8_t *master, const uint8_t *sid)
{
	gnutls_session_t s;
	gnutls_datum_t m = { .data = (uint8_t *)master, .size = DTLS_LEGACY_MASTER_LEN };
	gnutls_datum_t id = { .data = (uint8_t *)sid, .size = DTLS_LEGACY_SESSION_ID_LEN };

	ck_assert_int_eq(gnutls_init(&s, entity | GNUTLS_DATAGRAM | GNUTLS_NONBLOCK), 0);
	ck_assert_int_eq(gnutls_priority_set_direct(s, c->priority, NULL), 0);
	ck_assert_int_eq(gnutls_session_set_premaster(s, entity, c->version, c->kx, c->cipher,
						      c->mac, GNUTLS_COMP_NULL, &m, &id), 0);
	gnutls_transport_set_int(s, fd);
	gnutls_transport_set_pull_timeout_function(s, poll_now);
	return s;
}

/* Drive both handshakes, each step at once (nothing is lost on a socketpair,
 * so nothing needs a retransmission): 0 when both completed, else the first
 * fatal error, or GNUTLS_E_AGAIN when they stopped making progress. */
static int handshake_both(gnutls_session_t cl, gnutls_session_t sv)
{
	bool cdone = false, sdone = false;

	for (int i = 0; i < 100 && !(cdone && sdone); i++) {
		int r;

		if (!cdone) {
			r = gnutls_handshake(cl);
			if (r == 0)
				cdone = true;
			else if (gnutls_error_is_fatal(r))
				return r;
		}
		if (!sdone) {
			r = gnutls_handshake(sv);
			if (r == 0)
				sdone = true;
			else if (gnutls_error_is_fatal(r))
				return r;
		}
	}
	return cdone && sdone ? 0 : GNUTLS_E_AGAIN;
}

static const uint8_t SID[DTLS_LEGACY_SESSION_ID_LEN] = { 0x5e, 0x55, 1, 2, 3, 4, 5, 6, 7, 8 };

/* Every suite we may pick gives the abbreviated handshake the client
 * expects (a full one makes openconnect turn DTLS off for good), at the
 * version and cipher the table names, and carries a record both ways. */
START_TEST(test_resume_every_suite)
{
	const struct dtls_legacy_cipher *c = dtls_legacy_cipher_at((size_t)_i);
	uint8_t master[DTLS_LEGACY_MASTER_LEN];
	int sv[2];
	gnutls_session_t cl, srv;
	char buf[64];

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(dtls_legacy_parse_master(MASTER, master), DTLS_MASTER_OK);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
	cl = primed(GNUTLS_CLIENT, sv[0], c, master, SID);
	srv = primed(GNUTLS_SERVER, sv[1], c, master, SID);
	ck_assert_msg(handshake_both(cl, srv) == 0, "%s (%s)", c->name, c->priority);
	ck_assert_msg(gnutls_session_is_resumed(srv) && gnutls_session_is_resumed(cl),
		      "%s: not a resumption", c->name);
	ck_assert_int_eq(gnutls_protocol_get_version(srv), c->version);
	ck_assert_int_eq(gnutls_cipher_get(srv), c->cipher);
	ck_assert_int_eq(gnutls_record_send(cl, "\x00ping", 5), 5);
	ck_assert_int_eq(gnutls_record_recv(srv, buf, sizeof(buf)), 5);
	ck_assert_int_eq(memcmp(buf, "\x00ping", 5), 0);
	ck_assert_int_eq(gnutls_record_send(srv, "\x04", 1), 1);
	ck_assert_int_eq(gnutls_record_recv(cl, buf, sizeof(buf)), 1);
	gnutls_deinit(cl);
	gnutls_deinit(srv);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* A client with another secret, or resuming another session ID, does not
 * get through: the session ID names the tunnel, the secret proves it. */
START_TEST(test_resume_needs_both)
{
	const struct dtls_legacy_cipher *c = dtls_legacy_cipher_at(0);
	uint8_t master[DTLS_LEGACY_MASTER_LEN], other[DTLS_LEGACY_MASTER_LEN];
	uint8_t sid2[DTLS_LEGACY_SESSION_ID_LEN];
	int sv[2];
	gnutls_session_t cl, srv;

	ck_assert_int_eq(dtls_legacy_parse_master(MASTER, master), DTLS_MASTER_OK);
	memcpy(other, master, sizeof(other));
	other[47] ^= 1;
	memcpy(sid2, SID, sizeof(sid2));
	sid2[31] ^= 1;
	for (int round = 0; round < 2; round++) {
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
		cl = primed(GNUTLS_CLIENT, sv[0], c, round == 0 ? other : master,
			    round == 0 ? SID : sid2);
		srv = primed(GNUTLS_SERVER, sv[1], c, master, SID);
		ck_assert_int_ne(handshake_both(cl, srv), 0);
		gnutls_deinit(cl);
		gnutls_deinit(srv);
		close(sv[0]);
		close(sv[1]);
	}
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

	tc = tcase_create("handshake");
	tcase_add_loop_test(tc, test_resume_every_suite, 0, 16);
	tcase_add_test(tc, test_resume_needs_both);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(dtls_legacy_suite)
