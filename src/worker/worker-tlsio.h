/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_WORKER_TLSIO_H
#define OCSM_WORKER_TLSIO_H

/*
 * The TLS connection's transport: GnuTLS's push and pull functions over the
 * TCP socket, with one buffer each way, so that the socket sees one system
 * call per batch of records instead of two or three per record.
 *
 *   pull: one recv() of up to TLSIO_IN_SIZE bytes; GnuTLS then takes its
 *         record headers and bodies from the buffer (it asks for the 5-byte
 *         header and the body separately: two recv() per record without it).
 *   push: the encrypted record is appended to the out buffer and counts as
 *         sent; tlsio_flush() hands the whole buffer to one send(). The
 *         worker flushes before its loop sleeps (an ev_prepare watcher), so
 *         a record never waits longer than the callback that made it: a DPD
 *         answer leaves in the same loop iteration as before.
 *
 * Back-pressure is unchanged for the worker: when the out buffer has no room
 * for a record and a send() cannot make room, push fails with EAGAIN, GnuTLS
 * returns GNUTLS_E_AGAIN and keeps the record, and the worker's send queue
 * (sendq.h) takes over exactly as with a full socket. The out buffer adds at
 * most TLSIO_OUT_SIZE bytes of ciphertext to what the send queue bounds.
 *
 * The in buffer may hold bytes the socket will not signal again: whoever
 * stops reading before GnuTLS says GNUTLS_E_AGAIN checks tlsio_in_pending().
 * (When GnuTLS says GNUTLS_E_AGAIN the buffer is always empty: pull empties
 * it before it asks the socket.)
 *
 * kernel TLS (GnuTLS's ktls) is not used: it needs GnuTLS's own transport on
 * the socket, a `ktls = true` in the system-wide GnuTLS configuration, and a
 * kernel with CONFIG_TLS (doc/spec/architecture.md §1).
 */

#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes read from the socket at once, and encrypted bytes gathered for one
 * send(): each holds about 44 full-size CSTP records of a 1,400-byte MTU. */
#define TLSIO_IN_SIZE (64u * 1024u)
#define TLSIO_OUT_SIZE (64u * 1024u)

struct tlsio {
	int fd;
	uint8_t *in;		/* TLSIO_IN_SIZE; bytes [in_off, in_end) not yet pulled */
	size_t in_off, in_end;
	uint8_t *out;		/* TLSIO_OUT_SIZE; bytes [out_off, out_end) not yet sent */
	size_t out_off, out_end;
	uint64_t sends;		/* send() calls that moved bytes (for tests and debug) */
};

/* Allocate the buffers for socket fd. Returns 0 or -ENOMEM. */
int tlsio_init(struct tlsio *io, int fd);
void tlsio_free(struct tlsio *io);

/* Make session use io as its transport (push, pull, pull timeout). */
void tlsio_attach(struct tlsio *io, gnutls_session_t session);

/* Send what the out buffer holds. Returns 0 when it is empty, 1 when the
 * socket took only part (or nothing): wait for it to be writable, or a
 * negative errno when the connection failed (the buffer is dropped). */
int tlsio_flush(struct tlsio *io);

/* Drop what was not sent yet (the connection is given up). */
void tlsio_out_clear(struct tlsio *io);

static inline bool tlsio_out_pending(const struct tlsio *io)
{
	return io->out_off < io->out_end;
}

static inline bool tlsio_in_pending(const struct tlsio *io)
{
	return io->in_off < io->in_end;
}

/* The transport functions themselves (exposed for the unit test). */
ssize_t tlsio_push(gnutls_transport_ptr_t p, const void *buf, size_t size);
ssize_t tlsio_pull(gnutls_transport_ptr_t p, void *buf, size_t size);
int tlsio_pull_timeout(gnutls_transport_ptr_t p, unsigned int ms);

#endif
