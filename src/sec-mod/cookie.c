/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "sec-mod/cookie.h"

#include <errno.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void cookie_encode(const uint8_t raw[COOKIE_RAW_LEN], char out[COOKIE_LEN + 1])
{
	size_t i, o = 0;

	for (i = 0; i + 3 <= COOKIE_RAW_LEN; i += 3) {
		uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 | raw[i + 2];

		out[o++] = b64url[v >> 18];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
		out[o++] = b64url[v & 63];
	}
	/* 32 = 10 * 3 + 2: two bytes left, three characters, no '=' */
	{
		uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8;

		out[o++] = b64url[v >> 18];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
	}
	out[o] = '\0';
}

int cookie_mint(char out[COOKIE_LEN + 1])
{
	uint8_t raw[COOKIE_RAW_LEN];

	out[0] = '\0';
	if (gnutls_rnd(GNUTLS_RND_KEY, raw, sizeof(raw)) < 0)
		return -EIO;
	cookie_encode(raw, out);
	gnutls_memset(raw, 0, sizeof(raw));
	return 0;
}

static int b64url_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

bool cookie_is_wellformed(const char *s)
{
	size_t i;
	int v = 0;

	if (s == NULL)
		return false;
	for (i = 0; i < COOKIE_LEN; i++) {
		v = b64url_value(s[i]); /* stops at NUL: -1 */
		if (v < 0)
			return false;
	}
	/* the last character carries 4 data bits + 2 zero bits */
	return s[COOKIE_LEN] == '\0' && (v & 3) == 0;
}

int cookie_hash(const char *cookie, uint8_t out[COOKIE_HASH_LEN])
{
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, cookie, strlen(cookie), out) < 0)
		return -EIO;
	return 0;
}

void cookie_hash_session_id(const uint8_t hash[COOKIE_HASH_LEN], char out[SESSION_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < SESSION_ID_RAW_LEN; i++) {
		out[2 * i] = hex[hash[i] >> 4];
		out[2 * i + 1] = hex[hash[i] & 15];
	}
	out[SESSION_ID_LEN] = '\0';
}

int cookie_session_id(const char *cookie, char out[SESSION_ID_LEN + 1])
{
	uint8_t md[COOKIE_HASH_LEN];

	out[0] = '\0';
	if (cookie_hash(cookie, md) < 0)
		return -EIO;
	cookie_hash_session_id(md, out);
	return 0;
}

bool cookie_hash_equal(const uint8_t a[COOKIE_HASH_LEN], const uint8_t b[COOKIE_HASH_LEN])
{
	return gnutls_memcmp(a, b, COOKIE_HASH_LEN) == 0;
}

bool cookie_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb)
		return false;
	return gnutls_memcmp(a, b, la) == 0;
}
