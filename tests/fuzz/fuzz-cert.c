/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * libFuzzer target for what turns a client certificate into names
 * (src/common/cert.c): cert_dn_values on any bytes, with the OIDs of user
 * and group names, and cert_verify of the same bytes as a chain against a
 * fixed CA. Whatever the bytes, the answers are the documented ones, and a
 * name that comes out is text of at most CERT_NAME_MAX bytes per value with
 * no control character, ',' (except as the separator) or ':'.
 *
 * Input: [1 byte: which OID and how many values][the certificate's DER].
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A CA certificate (P-256, self-signed, "Fuzz CA"), so that cert_verify gets as far
 * as the signature check for inputs that name it as their issuer. */
static const char ca_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBaTCCAQ6gAwIBAgIUOcJTEhpE84ix6ehQsTEcq3fgCiowCgYIKoZIzj0EAwIw\n"
	"EjEQMA4GA1UEAxMHRnV6eiBDQTAeFw0yNjEyMDMwMDA2MjhaFw0zNjExMzAwMDA2\n"
	"MjhaMBIxEDAOBgNVBAMTB0Z1enogQ0EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNC\n"
	"AARLYPiNrF8RRaMBFCYKwKFSydOAhVW6yuRh42iA+IADIoiXs0Vz4j88wMqjHdD+\n"
	"WGAbMeEsvKfSBUw+JTEpNLmto0IwQDAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB\n"
	"/wQEAwIBBjAdBgNVHQ4EFgQUP2OCdl7C93vI5j5clm2ksFi6TNEwCgYIKoZIzj0E\n"
	"AwIDSQAwRgIhAIMr0SqHapDV0eG3a2tWqcRuN+BNe/hixQ7Isy53UToiAiEAmvL8\n"
	"ycBVVK5DFWc63EH20NqRZZgQGnnEz6uaB37PNuk=\n"
	"-----END CERTIFICATE-----\n";

static const char *const oids[] = {
	"0.9.2342.19200300.100.1.1", "2.5.4.3", "2.5.4.11", "1.2.840.113549.1.9.1",
};

static void check_names(const char *out, int n)
{
	size_t len = strlen(out), value = 0;
	int commas = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)out[i];

		if (ch < 0x20 || ch == 0x7f || ch == ':')
			abort();
		if (ch == ',') {
			if (value == 0)
				abort();
			commas++;
			value = 0;
		} else if (++value > CERT_NAME_MAX) {
			abort();
		}
	}
	if (commas != n - 1 || value == 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cert_trust *trust;
	static int tried;
	gnutls_datum_t der;
	char out[CERT_NAME_MAX * 4 + 8], err[256];
	unsigned max;
	int n;

	if (!tried) {
		tried = 1;
		if (cert_trust_new(ca_pem, sizeof(ca_pem) - 1, NULL, 0, &trust, err,
				   sizeof(err)) < 0)
			abort();
	}
	if (size < 1)
		return 0;
	der.data = (unsigned char *)data + 1;
	der.size = (unsigned)(size - 1);
	max = (data[0] >> 2) % 5 + 1;
	n = cert_dn_values(&der, oids[data[0] & 3], max, out, sizeof(out));
	if (n > 0) {
		if ((unsigned)n > max)
			abort();
		check_names(out, n);
	} else if (n != -ENOENT && n != -EINVAL && n != -EILSEQ && n != -ENOSPC) {
		abort();
	} else if (out[0] != '\0') {
		abort();
	}
	(void)cert_verify(trust, &der, 1);
	return 0;
}
