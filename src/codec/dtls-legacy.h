/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_DTLS_LEGACY_H
#define OCSM_DTLS_LEGACY_H

/*
 * Choosing a tunnel's DTLS mode from the CONNECT request (doc/spec/interop.md
 * §2.1, §6.1, §6.4): OpenConnect's PSK-NEGOTIATE, or Cisco's legacy "resume"
 * mode that AnyConnect and Secure Client speak.
 *
 * In the legacy mode the client sends X-DTLS-Master-Secret (96 hex digits:
 * 48 random bytes) and its cipher offers, X-DTLS-CipherSuite (DTLS 0.9 and
 * OpenConnect's OC-DTLS1_2-* names) and X-DTLS12-CipherSuite (Cisco's DTLS
 * 1.2 names); the server answers X-DTLS-Session-ID (32 bytes it drew) and
 * its pick in the header the name came from. The client then "resumes" a
 * session that never existed: that session ID, that master secret, the
 * picked cipher and protocol version; the server answers with an
 * abbreviated handshake. The table below gives, for each name we accept,
 * the GnuTLS parameters of that pretended session.
 *
 * Pure functions over strings: no I/O, no logging, safe on any input
 * (fuzzed: tests/fuzz/fuzz-dtls-legacy). The master secret is a secret:
 * nothing here copies it anywhere but the caller's buffer.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gnutls/gnutls.h>

/* X-DTLS-Master-Secret: 48 bytes, 96 hex digits. X-DTLS-Session-ID: 32
 * bytes, 64 hex digits (openconnect refuses any other length). */
#define DTLS_LEGACY_MASTER_LEN 48u
#define DTLS_LEGACY_SESSION_ID_LEN 32u

/* The record overhead each suite adds to a DTLS record (13-byte header,
 * explicit nonce or IV, tag or MAC, worst-case CBC padding): used for the
 * tunnel's DTLS MTU before the session exists. */
#define DTLS_LEGACY_OVERHEAD_GCM (13u + 8u + 16u)
#define DTLS_LEGACY_OVERHEAD_CBC_SHA1 (13u + 16u + 20u + 16u)

struct dtls_legacy_cipher {
	const char *name;		/* as on the wire */
	bool dtls12_header;		/* offered in, and answered with, X-DTLS12-CipherSuite */
	gnutls_protocol_t version;	/* GNUTLS_DTLS0_9 or GNUTLS_DTLS1_2 */
	gnutls_kx_algorithm_t kx;
	gnutls_cipher_algorithm_t cipher;
	gnutls_mac_algorithm_t mac;
	const char *priority;		/* the GnuTLS priority string of the session */
	unsigned overhead;		/* DTLS_LEGACY_OVERHEAD_* */
};

/* The accepted suites in our order of preference (DTLS 1.2 with AES-GCM
 * first, DTLS 0.9 last); i from 0, NULL past the end. */
const struct dtls_legacy_cipher *dtls_legacy_cipher_at(size_t i);

/* The suite named `name` offered in the header X-DTLS12-CipherSuite
 * (dtls12) or X-DTLS-CipherSuite (!dtls12), or NULL. */
const struct dtls_legacy_cipher *dtls_legacy_cipher_find(const char *name, bool dtls12);

/* True when the ':'-separated list (NULL: header absent) holds `name`
 * exactly (case matters, as for openconnect). */
bool dtls_cipher_list_has(const char *list, const char *name);

enum dtls_master_err {
	DTLS_MASTER_OK = 0,
	DTLS_MASTER_ABSENT = -1,	/* no X-DTLS-Master-Secret */
	DTLS_MASTER_LENGTH = -2,	/* not exactly 96 characters */
	DTLS_MASTER_NOT_HEX = -3,	/* a character that is no hex digit */
};

/* Parse X-DTLS-Master-Secret (NULL: absent): exactly 96 hex digits, either
 * case. Returns DTLS_MASTER_OK with out filled, or a DTLS_MASTER_* error
 * (out is then zeroed). */
int dtls_legacy_parse_master(const char *hex, uint8_t out[DTLS_LEGACY_MASTER_LEN]);

enum dtls_mode {
	DTLS_MODE_NONE = 0,	/* no DTLS for this tunnel */
	DTLS_MODE_PSK,		/* PSK-NEGOTIATE */
	DTLS_MODE_LEGACY,	/* Cisco resume with choice.cipher */
};

/* Why the mode is what it is (logs). */
enum dtls_choice_why {
	DTLS_WHY_PSK = 0,		/* PSK-NEGOTIATE offered and dtls-psk on */
	DTLS_WHY_LEGACY,		/* a common legacy suite and a valid secret */
	DTLS_WHY_NOT_OFFERED,		/* no X-DTLS-CipherSuite nor X-DTLS12-CipherSuite */
	DTLS_WHY_DISABLED,		/* the offer needs a mode the configuration turned off */
	DTLS_WHY_BAD_MASTER,		/* legacy offered, X-DTLS-Master-Secret absent or malformed */
	DTLS_WHY_NO_COMMON,		/* legacy offered, no suite we accept */
};

struct dtls_choice {
	enum dtls_mode mode;
	enum dtls_choice_why why;
	int master_err;				/* enum dtls_master_err, for BAD_MASTER */
	const struct dtls_legacy_cipher *cipher;	/* LEGACY: the pick */
	uint8_t master[DTLS_LEGACY_MASTER_LEN];	/* LEGACY: the client's secret */
};

/*
 * The mode for a CONNECT whose X-DTLS-CipherSuite is cs, X-DTLS12-CipherSuite
 * cs12 and X-DTLS-Master-Secret master_hex (each NULL when absent), with
 * dtls-psk = psk_on and dtls-legacy (or cisco-client-compat) = legacy_on:
 * PSK when cs offers PSK-NEGOTIATE and psk_on; else, with legacy_on, the
 * first suite of our order the client offers in the right header, provided
 * the master secret parses; else none. Always fills *out.
 */
void dtls_choose(const char *cs, const char *cs12, const char *master_hex, bool psk_on,
		 bool legacy_on, struct dtls_choice *out);

/* "psk", "legacy", "not-offered", "disabled", "bad-master-secret", "no-common-cipher" */
const char *dtls_choice_why_str(enum dtls_choice_why why);

/* "absent", "not 96 characters", "not hexadecimal", "ok" */
const char *dtls_master_strerror(int err);

#endif
