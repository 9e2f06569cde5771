/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "codec/dtls-legacy.h"
#include "codec/hex.h"

#include <string.h>

/* The priority string of a pretended session: exactly one protocol
 * version, one cipher, one MAC and one key exchange, so that the suite of
 * the abbreviated handshake is the one the CONNECT reply named. */
#define PRIO(vers, cipher, mac, kx) \
	"NONE:+VERS-" vers ":+COMP-NULL:+" cipher ":+" mac ":+" kx ":+GROUP-ALL:+SIGN-ALL:%COMPAT"

#define GCM12(n, hdr12, c, cname, kx, kxname) \
	{ n, hdr12, GNUTLS_DTLS1_2, kx, c, GNUTLS_MAC_AEAD, PRIO("DTLS1.2", cname, "AEAD", kxname), \
	  DTLS_LEGACY_OVERHEAD_GCM }
#define CBC(n, hdr12, vers, vname, c, cname, kx, kxname) \
	{ n, hdr12, vers, kx, c, GNUTLS_MAC_SHA1, PRIO(vname, cname, "SHA1", kxname), \
	  DTLS_LEGACY_OVERHEAD_CBC_SHA1 }

/* Our order of preference. The key exchange named by a suite never runs
 * (the handshake is a resumption), so it only has to be the one the
 * client's own session will have: the names say which. */
static const struct dtls_legacy_cipher table[] = {
	/* Cisco DTLS 1.2 (X-DTLS12-CipherSuite: AnyConnect 4.x, Secure Client 5;
	 * the ECDSA names are for gateways with an ECDSA certificate) */
	GCM12("ECDHE-RSA-AES256-GCM-SHA384", true, GNUTLS_CIPHER_AES_256_GCM, "AES-256-GCM",
	      GNUTLS_KX_ECDHE_RSA, "ECDHE-RSA"),
	GCM12("ECDHE-ECDSA-AES256-GCM-SHA384", true, GNUTLS_CIPHER_AES_256_GCM, "AES-256-GCM",
	      GNUTLS_KX_ECDHE_ECDSA, "ECDHE-ECDSA"),
	GCM12("AES256-GCM-SHA384", true, GNUTLS_CIPHER_AES_256_GCM, "AES-256-GCM", GNUTLS_KX_RSA,
	      "RSA"),
	/* OpenConnect's DTLS 1.2 names (X-DTLS-CipherSuite) */
	GCM12("OC-DTLS1_2-AES256-GCM", false, GNUTLS_CIPHER_AES_256_GCM, "AES-256-GCM",
	      GNUTLS_KX_RSA, "RSA"),
	GCM12("ECDHE-RSA-AES128-GCM-SHA256", true, GNUTLS_CIPHER_AES_128_GCM, "AES-128-GCM",
	      GNUTLS_KX_ECDHE_RSA, "ECDHE-RSA"),
	GCM12("ECDHE-ECDSA-AES128-GCM-SHA256", true, GNUTLS_CIPHER_AES_128_GCM, "AES-128-GCM",
	      GNUTLS_KX_ECDHE_ECDSA, "ECDHE-ECDSA"),
	GCM12("AES128-GCM-SHA256", true, GNUTLS_CIPHER_AES_128_GCM, "AES-128-GCM", GNUTLS_KX_RSA,
	      "RSA"),
	GCM12("OC-DTLS1_2-AES128-GCM", false, GNUTLS_CIPHER_AES_128_GCM, "AES-128-GCM",
	      GNUTLS_KX_RSA, "RSA"),
	/* Cisco DTLS 1.2 with CBC */
	CBC("AES256-SHA", true, GNUTLS_DTLS1_2, "DTLS1.2", GNUTLS_CIPHER_AES_256_CBC, "AES-256-CBC",
	    GNUTLS_KX_RSA, "RSA"),
	CBC("DHE-RSA-AES256-SHA", true, GNUTLS_DTLS1_2, "DTLS1.2", GNUTLS_CIPHER_AES_256_CBC,
	    "AES-256-CBC", GNUTLS_KX_DHE_RSA, "DHE-RSA"),
	CBC("AES128-SHA", true, GNUTLS_DTLS1_2, "DTLS1.2", GNUTLS_CIPHER_AES_128_CBC, "AES-128-CBC",
	    GNUTLS_KX_RSA, "RSA"),
	CBC("DHE-RSA-AES128-SHA", true, GNUTLS_DTLS1_2, "DTLS1.2", GNUTLS_CIPHER_AES_128_CBC,
	    "AES-128-CBC", GNUTLS_KX_DHE_RSA, "DHE-RSA"),
	/* The pre-standard DTLS 0.9 (wire version 0x0100) of older clients */
	CBC("AES256-SHA", false, GNUTLS_DTLS0_9, "DTLS0.9", GNUTLS_CIPHER_AES_256_CBC,
	    "AES-256-CBC", GNUTLS_KX_RSA, "RSA"),
	CBC("DHE-RSA-AES256-SHA", false, GNUTLS_DTLS0_9, "DTLS0.9", GNUTLS_CIPHER_AES_256_CBC,
	    "AES-256-CBC", GNUTLS_KX_DHE_RSA, "DHE-RSA"),
	CBC("AES128-SHA", false, GNUTLS_DTLS0_9, "DTLS0.9", GNUTLS_CIPHER_AES_128_CBC,
	    "AES-128-CBC", GNUTLS_KX_RSA, "RSA"),
	CBC("DHE-RSA-AES128-SHA", false, GNUTLS_DTLS0_9, "DTLS0.9", GNUTLS_CIPHER_AES_128_CBC,
	    "AES-128-CBC", GNUTLS_KX_DHE_RSA, "DHE-RSA"),
};

#define TABLE_LEN (sizeof(table) / sizeof(table[0]))

const struct dtls_legacy_cipher *dtls_legacy_cipher_at(size_t i)
{
	return i < TABLE_LEN ? &table[i] : NULL;
}

const struct dtls_legacy_cipher *dtls_legacy_cipher_find(const char *name, bool dtls12)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < TABLE_LEN; i++)
		if (table[i].dtls12_header == dtls12 && strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

bool dtls_cipher_list_has(const char *list, const char *name)
{
	size_t len = name != NULL ? strlen(name) : 0;
	const char *p = list;

	if (p == NULL || len == 0)
		return false;
	while (*p != '\0') {
		size_t n = strcspn(p, ":");

		if (n == len && memcmp(p, name, n) == 0)
			return true;
		p += n;
		if (*p == ':')
			p++;
	}
	return false;
}

int dtls_legacy_parse_master(const char *hex, uint8_t out[DTLS_LEGACY_MASTER_LEN])
{
	memset(out, 0, DTLS_LEGACY_MASTER_LEN);
	if (hex == NULL)
		return DTLS_MASTER_ABSENT;
	if (strnlen(hex, 2 * DTLS_LEGACY_MASTER_LEN + 1) != 2 * DTLS_LEGACY_MASTER_LEN)
		return DTLS_MASTER_LENGTH;
	for (size_t i = 0; i < DTLS_LEGACY_MASTER_LEN; i++) {
		int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			memset(out, 0, DTLS_LEGACY_MASTER_LEN);
			return DTLS_MASTER_NOT_HEX;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return DTLS_MASTER_OK;
}

/* The first suite of our order offered in its header, or NULL. */
static const struct dtls_legacy_cipher *pick(const char *cs, const char *cs12)
{
	for (size_t i = 0; i < TABLE_LEN; i++)
		if (dtls_cipher_list_has(table[i].dtls12_header ? cs12 : cs, table[i].name))
			return &table[i];
	return NULL;
}

void dtls_choose(const char *cs, const char *cs12, const char *master_hex, bool psk_on,
		 bool legacy_on, struct dtls_choice *out)
{
	const struct dtls_legacy_cipher *c;

	memset(out, 0, sizeof(*out));
	out->mode = DTLS_MODE_NONE;
	if (cs == NULL && cs12 == NULL) {
		out->why = DTLS_WHY_NOT_OFFERED;
		return;
	}
	if (psk_on && dtls_cipher_list_has(cs, "PSK-NEGOTIATE")) {
		out->mode = DTLS_MODE_PSK;
		out->why = DTLS_WHY_PSK;
		return;
	}
	if (!legacy_on) {
		out->why = DTLS_WHY_DISABLED;
		return;
	}
	c = pick(cs, cs12);
	if (c == NULL) {
		out->why = DTLS_WHY_NO_COMMON;
		return;
	}
	out->master_err = dtls_legacy_parse_master(master_hex, out->master);
	if (out->master_err != DTLS_MASTER_OK) {
		out->why = DTLS_WHY_BAD_MASTER;
		return;
	}
	out->mode = DTLS_MODE_LEGACY;
	out->why = DTLS_WHY_LEGACY;
	out->cipher = c;
}

const char *dtls_choice_why_str(enum dtls_choice_why why)
{
	switch (why) {
	case DTLS_WHY_PSK:
		return "psk";
	case DTLS_WHY_LEGACY:
		return "legacy";
	case DTLS_WHY_NOT_OFFERED:
		return "not-offered";
	case DTLS_WHY_DISABLED:
		return "disabled";
	case DTLS_WHY_BAD_MASTER:
		return "bad-master-secret";
	case DTLS_WHY_NO_COMMON:
		return "no-common-cipher";
	}
	return "unknown";
}

const char *dtls_master_strerror(int err)
{
	switch (err) {
	case DTLS_MASTER_OK:
		return "ok";
	case DTLS_MASTER_ABSENT:
		return "absent";
	case DTLS_MASTER_LENGTH:
		return "not 96 characters";
	case DTLS_MASTER_NOT_HEX:
		return "not hexadecimal";
	}
	return "unknown";
}
