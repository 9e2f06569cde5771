/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_WORKER_KEY_H
#define OCSM_WORKER_KEY_H

/*
 * The worker's TLS credentials without the private key (doc/security.md):
 * the worker loads only the certificate chain; each private-key operation
 * of its handshake is a KeyOpRequest to sec-mod on the key channel (fd
 * WORKER_KEY_FD, sec-mod/sec-mod-key.h), answered by a KeyOpReply. The
 * worker closes the channel as soon as its handshake is over, before it
 * reads any HTTP byte: from then on it cannot ask sec-mod for anything.
 */

#include <gnutls/gnutls.h>
#include <stdbool.h>

#define WORKER_KEY_FD 5
/* How long one operation may wait for sec-mod's answer. */
#define WORKER_KEY_TIMEOUT_MS 5000

/* Credentials with the chain of cert_file and the key behind key_fd (taken
 * over: closed by worker_key_close). check: let GnuTLS sign a test message
 * over the key channel to see that the key fits the chain (a round trip to
 * sec-mod); the zygote, which has no key channel, cannot. 0, or a GnuTLS
 * error code (logged). */
int worker_key_creds(gnutls_certificate_credentials_t *out, const char *cert_file, int key_fd,
		     bool check);

/* The handshake is over (or the worker is ending): close the key channel. */
void worker_key_close(void);

#endif
