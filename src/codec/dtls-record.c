/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "codec/dtls-record.h"

#include <string.h>

#define HS_CLIENT_HELLO 1u
#define RANDOM_LEN 32u

const char *dtls_record_strerror(int err)
{
	switch (err) {
	case DTLS_REC_OK:
		return "ok";
	case DTLS_REC_SHORT:
		return "shorter than a DTLS record header";
	case DTLS_REC_NOT_DTLS:
		return "not a DTLS record";
	case DTLS_REC_NOT_HELLO:
		return "not a ClientHello";
	case DTLS_REC_MALFORMED:
		return "malformed ClientHello";
	case DTLS_REC_NO_APP_ID:
		return "ClientHello without an App-ID";
	}
	return "unknown error";
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t be24(const uint8_t *p)
{
	return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
}

int dtls_record_peek(const uint8_t *buf, size_t len, struct dtls_record_hdr *out)
{
	uint16_t version;

	if (buf == NULL || len < DTLS_RECORD_HEADER_LEN)
		return DTLS_REC_SHORT;
	if (buf[0] < DTLS_CT_CHANGE_CIPHER_SPEC || buf[0] > DTLS_CT_APPLICATION_DATA)
		return DTLS_REC_NOT_DTLS;
	version = be16(buf + 1);
	/* DTLS versions are 0xfeXX (one's complement of 1.X); Cisco's
	 * pre-standard DTLS 0.9 says 0x0100. */
	if ((version >> 8) != 0xfe && version != 0x0100)
		return DTLS_REC_NOT_DTLS;
	out->type = buf[0];
	out->version = version;
	out->epoch = be16(buf + 3);
	out->seq = 0;
	for (int i = 5; i < 11; i++)
		out->seq = (out->seq << 8) | buf[i];
	out->length = be16(buf + 11);
	return DTLS_REC_OK;
}

bool dtls_record_is_epoch0_handshake(const uint8_t *buf, size_t len)
{
	struct dtls_record_hdr h;

	return dtls_record_peek(buf, len, &h) == DTLS_REC_OK && h.type == DTLS_CT_HANDSHAKE &&
	       h.epoch == 0;
}

/* A bounded reader over one byte range: every take checks what is left. */
struct rd {
	const uint8_t *p;
	size_t left;
};

static bool take(struct rd *r, size_t n, const uint8_t **out)
{
	if (n > r->left)
		return false;
	if (out != NULL)
		*out = r->p;
	r->p += n;
	r->left -= n;
	return true;
}

static bool take_u8(struct rd *r, unsigned *v)
{
	const uint8_t *p;

	if (!take(r, 1, &p))
		return false;
	*v = p[0];
	return true;
}

static bool take_u16(struct rd *r, unsigned *v)
{
	const uint8_t *p;

	if (!take(r, 2, &p))
		return false;
	*v = be16(p);
	return true;
}

/* Look for the App-ID extension in the extension block ext[0..len). Returns
 * DTLS_REC_OK with the ID copied when it is there and well formed,
 * DTLS_REC_NO_APP_ID when it is absent, DTLS_REC_MALFORMED when the block or
 * the extension does not add up. */
static int find_app_id_ext(struct rd ext, uint8_t id[DTLS_APP_ID_MAX], size_t *id_len)
{
	while (ext.left > 0) {
		unsigned type, elen, n;
		const uint8_t *data;
		struct rd e;

		if (!take_u16(&ext, &type) || !take_u16(&ext, &elen) || !take(&ext, elen, &data))
			return DTLS_REC_MALFORMED;
		if (type != DTLS_EXT_APP_ID)
			continue;
		e = (struct rd){ .p = data, .left = elen };
		if (!take_u8(&e, &n) || n == 0 || n > DTLS_APP_ID_MAX || e.left != n)
			return DTLS_REC_MALFORMED;
		memcpy(id, e.p, n);
		*id_len = n;
		return DTLS_REC_OK;
	}
	return DTLS_REC_NO_APP_ID;
}

int dtls_client_hello_app_id(const uint8_t *buf, size_t len, uint8_t id[DTLS_APP_ID_MAX],
			     size_t *id_len)
{
	struct dtls_record_hdr h;
	struct rd rec, body;
	const uint8_t *hs, *sid;
	unsigned sid_len, cookie_len, suites_len, comp_len, ext_len;
	uint32_t msg_len, frag_off, frag_len;
	size_t avail;
	int r;

	r = dtls_record_peek(buf, len, &h);
	if (r != DTLS_REC_OK)
		return r;
	if (h.type != DTLS_CT_HANDSHAKE || h.epoch != 0)
		return DTLS_REC_NOT_HELLO;
	/* The fragment as far as the datagram holds it. */
	avail = len - DTLS_RECORD_HEADER_LEN;
	rec = (struct rd){ .p = buf + DTLS_RECORD_HEADER_LEN,
			   .left = h.length < avail ? h.length : avail };
	if (!take(&rec, DTLS_HANDSHAKE_HEADER_LEN, &hs))
		return DTLS_REC_NOT_HELLO;
	if (hs[0] != HS_CLIENT_HELLO)
		return DTLS_REC_NOT_HELLO;
	msg_len = be24(hs + 1);
	frag_off = be24(hs + 6);
	frag_len = be24(hs + 9);
	if (frag_off != 0)
		return DTLS_REC_NOT_HELLO;	/* a later fragment: no session_id here */
	if (frag_len > msg_len || frag_len > rec.left)
		return DTLS_REC_MALFORMED;
	body = (struct rd){ .p = rec.p, .left = frag_len };

	/* client_version, random, session_id */
	if (!take(&body, 2 + RANDOM_LEN, NULL) || !take_u8(&body, &sid_len))
		return DTLS_REC_MALFORMED;
	if (sid_len > DTLS_APP_ID_MAX || !take(&body, sid_len, &sid))
		return DTLS_REC_MALFORMED;

	/* The rest only when this fragment is the whole message. */
	if (frag_len == msg_len) {
		struct rd ext;

		if (!take_u8(&body, &cookie_len) || !take(&body, cookie_len, NULL) ||
		    !take_u16(&body, &suites_len) || (suites_len & 1) != 0 ||
		    !take(&body, suites_len, NULL) || !take_u8(&body, &comp_len) ||
		    comp_len == 0 || !take(&body, comp_len, NULL))
			return DTLS_REC_MALFORMED;
		if (body.left > 0) {
			const uint8_t *e;

			if (!take_u16(&body, &ext_len) || !take(&body, ext_len, &e) ||
			    body.left != 0)
				return DTLS_REC_MALFORMED;
			ext = (struct rd){ .p = e, .left = ext_len };
			r = find_app_id_ext(ext, id, id_len);
			if (r != DTLS_REC_NO_APP_ID)
				return r;
		}
	}
	if (sid_len == 0)
		return DTLS_REC_NO_APP_ID;
	memcpy(id, sid, sid_len);
	*id_len = sid_len;
	return DTLS_REC_OK;
}
