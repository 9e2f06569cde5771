/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CSTP/DTLS packet codec: see cstp.h for the wire format and contracts.
 * Pure functions over caller buffers: no allocation, no I/O, no logging.
 */
#include "config.h"

#include "codec/cstp.h"

#include <string.h>

static const uint8_t cstp_magic[4] = { 'S', 'T', 'F', 0x01 };

const char *cstp_type_str(unsigned type)
{
	switch (type) {
	case CSTP_DATA:
		return "DATA";
	case CSTP_DPD_REQ:
		return "DPD-REQ";
	case CSTP_DPD_RESP:
		return "DPD-RESP";
	case CSTP_DISCONNECT:
		return "DISCONNECT";
	case CSTP_KEEPALIVE:
		return "KEEPALIVE";
	case CSTP_COMPRESSED:
		return "COMPRESSED";
	case CSTP_TERMINATE:
		return "TERMINATE";
	}
	return "UNKNOWN";
}

bool cstp_type_known(unsigned type)
{
	switch (type) {
	case CSTP_DATA:
	case CSTP_DPD_REQ:
	case CSTP_DPD_RESP:
	case CSTP_DISCONNECT:
	case CSTP_KEEPALIVE:
	case CSTP_COMPRESSED:
	case CSTP_TERMINATE:
		return true;
	}
	return false;
}

const char *cstp_strerror(int code)
{
	switch ((enum cstp_err)code) {
	case CSTP_OK:
		return "success";
	case CSTP_ERR_SHORT:
		return "CSTP record shorter than the 8-byte header";
	case CSTP_ERR_MAGIC:
		return "CSTP header does not start with \"STF\"";
	case CSTP_ERR_VERSION:
		return "CSTP header version is not 1";
	case CSTP_ERR_LENGTH:
		return "CSTP header length does not match the record size";
	case CSTP_ERR_RESERVED:
		return "CSTP header byte 7 is not zero";
	case CSTP_ERR_DTLS_EMPTY:
		return "empty DTLS record";
	case CSTP_ERR_TOO_BIG:
		return "payload longer than 65535 bytes";
	case CSTP_ERR_NO_SPACE:
		return "output buffer too small";
	case CSTP_ERR_NOT_DPD_REQ:
		return "packet is not a DPD request";
	case CSTP_ERR_BAD_TEXT:
		return "disconnect text is not printable ASCII";
	case CSTP_ERR_INVAL:
		return "invalid argument";
	}
	return "unknown error";
}

int cstp_decode(const uint8_t *rec, size_t rec_len, struct cstp_packet *pkt)
{
	size_t len;

	if (rec == NULL || pkt == NULL)
		return CSTP_ERR_INVAL;
	if (rec_len < CSTP_HEADER_LEN)
		return CSTP_ERR_SHORT;
	if (memcmp(rec, cstp_magic, 3) != 0)
		return CSTP_ERR_MAGIC;
	if (rec[3] != cstp_magic[3])
		return CSTP_ERR_VERSION;
	len = (size_t)rec[4] << 8 | rec[5];
	if (len != rec_len - CSTP_HEADER_LEN)
		return CSTP_ERR_LENGTH;
	if (rec[7] != 0)
		return CSTP_ERR_RESERVED;

	pkt->type = rec[6];
	pkt->len = len;
	pkt->payload = rec + CSTP_HEADER_LEN;
	return CSTP_OK;
}

int dtls_decode(const uint8_t *rec, size_t rec_len, struct cstp_packet *pkt)
{
	if (rec == NULL || pkt == NULL)
		return CSTP_ERR_INVAL;
	if (rec_len < DTLS_HEADER_LEN)
		return CSTP_ERR_DTLS_EMPTY;
	pkt->type = rec[0];
	pkt->len = rec_len - DTLS_HEADER_LEN;
	pkt->payload = rec + DTLS_HEADER_LEN;
	return CSTP_OK;
}

int cstp_write_header(uint8_t *buf, size_t buf_len, uint8_t type,
		      size_t payload_len)
{
	if (buf == NULL)
		return CSTP_ERR_INVAL;
	if (payload_len > CSTP_MAX_PAYLOAD)
		return CSTP_ERR_TOO_BIG;
	if (buf_len < CSTP_HEADER_LEN)
		return CSTP_ERR_NO_SPACE;
	memcpy(buf, cstp_magic, sizeof(cstp_magic));
	buf[4] = (uint8_t)(payload_len >> 8);
	buf[5] = (uint8_t)payload_len;
	buf[6] = type;
	buf[7] = 0;
	return CSTP_HEADER_LEN;
}

int cstp_encode(uint8_t *buf, size_t buf_len, uint8_t type,
		const uint8_t *payload, size_t len)
{
	if (buf == NULL || (payload == NULL && len > 0))
		return CSTP_ERR_INVAL;
	if (len > CSTP_MAX_PAYLOAD)
		return CSTP_ERR_TOO_BIG;
	if (buf_len < CSTP_HEADER_LEN + len)
		return CSTP_ERR_NO_SPACE;
	/* Payload first: it may sit where the header goes. */
	if (len > 0)
		memmove(buf + CSTP_HEADER_LEN, payload, len);
	cstp_write_header(buf, buf_len, type, len);
	return (int)(CSTP_HEADER_LEN + len);
}

int cstp_encode_data_header(uint8_t *buf, size_t buf_len, size_t len)
{
	int r = cstp_write_header(buf, buf_len, CSTP_DATA, len);

	if (r < 0)
		return r;
	/* The caller's payload must fit behind the header too. */
	if (buf_len - CSTP_HEADER_LEN < len)
		return CSTP_ERR_NO_SPACE;
	return r;
}

int cstp_encode_dpd_req(uint8_t *buf, size_t buf_len, const uint8_t *payload,
			size_t len)
{
	return cstp_encode(buf, buf_len, CSTP_DPD_REQ, payload, len);
}

int cstp_encode_keepalive(uint8_t *buf, size_t buf_len)
{
	return cstp_encode(buf, buf_len, CSTP_KEEPALIVE, NULL, 0);
}

int cstp_encode_terminate(uint8_t *buf, size_t buf_len)
{
	return cstp_encode(buf, buf_len, CSTP_TERMINATE, NULL, 0);
}

int cstp_encode_disconnect(uint8_t *buf, size_t buf_len, uint8_t reason,
			   const char *text)
{
	size_t tlen = 0;

	if (buf == NULL)
		return CSTP_ERR_INVAL;
	if (text != NULL) {
		/* The client prints it with '%s': no NUL or control bytes. */
		for (; text[tlen] != '\0'; tlen++) {
			unsigned char c = (unsigned char)text[tlen];

			if (c < 0x20 || c > 0x7e)
				return CSTP_ERR_BAD_TEXT;
			if (tlen >= CSTP_MAX_PAYLOAD)
				return CSTP_ERR_TOO_BIG;
		}
	}
	if (1 + tlen > CSTP_MAX_PAYLOAD)
		return CSTP_ERR_TOO_BIG;
	if (buf_len < CSTP_HEADER_LEN + 1 + tlen)
		return CSTP_ERR_NO_SPACE;
	if (tlen > 0)
		memmove(buf + CSTP_HEADER_LEN + 1, text, tlen);
	buf[CSTP_HEADER_LEN] = reason;
	cstp_write_header(buf, buf_len, CSTP_DISCONNECT, 1 + tlen);
	return (int)(CSTP_HEADER_LEN + 1 + tlen);
}

int cstp_dpd_echo(const uint8_t *rec, size_t rec_len, uint8_t *out,
		  size_t out_len)
{
	struct cstp_packet pkt;
	int r;

	if (out == NULL)
		return CSTP_ERR_INVAL;
	r = cstp_decode(rec, rec_len, &pkt);
	if (r < 0)
		return r;
	if (pkt.type != CSTP_DPD_REQ)
		return CSTP_ERR_NOT_DPD_REQ;
	if (out_len < rec_len)
		return CSTP_ERR_NO_SPACE;
	if (out != rec)
		memmove(out, rec, rec_len);
	out[6] = CSTP_DPD_RESP;
	return (int)rec_len;
}

int dtls_encode(uint8_t *buf, size_t buf_len, uint8_t type,
		const uint8_t *payload, size_t len)
{
	if (buf == NULL || (payload == NULL && len > 0))
		return CSTP_ERR_INVAL;
	if (len > DTLS_MAX_PAYLOAD)
		return CSTP_ERR_TOO_BIG;
	if (buf_len < DTLS_HEADER_LEN + len)
		return CSTP_ERR_NO_SPACE;
	if (len > 0)
		memmove(buf + DTLS_HEADER_LEN, payload, len);
	buf[0] = type;
	return (int)(DTLS_HEADER_LEN + len);
}

int dtls_encode_dpd_req(uint8_t *buf, size_t buf_len, const uint8_t *payload,
			size_t len)
{
	return dtls_encode(buf, buf_len, CSTP_DPD_REQ, payload, len);
}

int dtls_encode_keepalive(uint8_t *buf, size_t buf_len)
{
	return dtls_encode(buf, buf_len, CSTP_KEEPALIVE, NULL, 0);
}

int dtls_dpd_echo(const uint8_t *rec, size_t rec_len, uint8_t *out,
		  size_t out_len)
{
	struct cstp_packet pkt;
	int r;

	if (out == NULL)
		return CSTP_ERR_INVAL;
	r = dtls_decode(rec, rec_len, &pkt);
	if (r < 0)
		return r;
	if (pkt.type != CSTP_DPD_REQ)
		return CSTP_ERR_NOT_DPD_REQ;
	if (pkt.len > DTLS_MAX_PAYLOAD)
		return CSTP_ERR_TOO_BIG;
	if (out_len < rec_len)
		return CSTP_ERR_NO_SPACE;
	if (out != rec)
		memmove(out, rec, rec_len);
	out[0] = CSTP_DPD_RESP;
	return (int)rec_len;
}
