/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TLS connection's buffered transport (worker-tlsio.h): one recv() and
 * one send() per batch of records.
 */
#include "config.h"

#include "worker/worker-tlsio.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int tlsio_init(struct tlsio *io, int fd)
{
	*io = (struct tlsio){ .fd = fd };
	io->in = malloc(TLSIO_IN_SIZE);
	io->out = malloc(TLSIO_OUT_SIZE);
	if (io->in == NULL || io->out == NULL) {
		tlsio_free(io);
		return -ENOMEM;
	}
	return 0;
}

void tlsio_free(struct tlsio *io)
{
	free(io->in);
	free(io->out);
	io->in = io->out = NULL;
	io->in_off = io->in_end = io->out_off = io->out_end = 0;
}

void tlsio_attach(struct tlsio *io, gnutls_session_t session)
{
	gnutls_transport_set_ptr(session, io);
	gnutls_transport_set_push_function(session, tlsio_push);
	gnutls_transport_set_pull_function(session, tlsio_pull);
	/* GnuTLS's own timeout function would poll the pointer as an fd */
	gnutls_transport_set_pull_timeout_function(session, tlsio_pull_timeout);
}

void tlsio_out_clear(struct tlsio *io)
{
	io->out_off = io->out_end = 0;
}

int tlsio_flush(struct tlsio *io)
{
	while (io->out_off < io->out_end) {
		ssize_t n = send(io->fd, io->out + io->out_off, io->out_end - io->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			io->out_off += (size_t)n;
			io->sends++;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		/* send() of a non-empty buffer never returns 0 on TCP */
		tlsio_out_clear(io);
		return n < 0 ? -errno : -EPIPE;
	}
	tlsio_out_clear(io);
	return 0;
}

/* Room for size more bytes at the end of the out buffer: the unsent bytes
 * moved to its start (once per batch, when the socket took part of it). */
static bool out_room(struct tlsio *io, size_t size)
{
	if (TLSIO_OUT_SIZE - io->out_end >= size)
		return true;
	if (io->out_off > 0) {
		memmove(io->out, io->out + io->out_off, io->out_end - io->out_off);
		io->out_end -= io->out_off;
		io->out_off = 0;
	}
	return TLSIO_OUT_SIZE - io->out_end >= size;
}

ssize_t tlsio_push(gnutls_transport_ptr_t p, const void *buf, size_t size)
{
	struct tlsio *io = p;
	int r;

	if (size > TLSIO_OUT_SIZE) {
		/* never for a TLS record (2^14 + overhead): too big to gather */
		errno = EMSGSIZE;
		return -1;
	}
	if (!out_room(io, size)) {
		r = tlsio_flush(io);
		if (r < 0) {
			errno = -r;
			return -1;
		}
		if (!out_room(io, size)) {
			/* GnuTLS keeps the record and is offered it again */
			errno = EAGAIN;
			return -1;
		}
	}
	memcpy(io->out + io->out_end, buf, size);
	io->out_end += size;
	return (ssize_t)size;
}

ssize_t tlsio_pull(gnutls_transport_ptr_t p, void *buf, size_t size)
{
	struct tlsio *io = p;
	size_t n;

	if (io->in_off == io->in_end) {
		ssize_t r;

		do
			r = recv(io->fd, io->in, TLSIO_IN_SIZE, 0);
		while (r < 0 && errno == EINTR);
		if (r <= 0)
			return r;	/* errno as recv() set it; 0: end of stream */
		io->in_off = 0;
		io->in_end = (size_t)r;
	}
	n = io->in_end - io->in_off;
	if (n > size)
		n = size;
	memcpy(buf, io->in + io->in_off, n);
	io->in_off += n;
	return (ssize_t)n;
}

int tlsio_pull_timeout(gnutls_transport_ptr_t p, unsigned int ms)
{
	struct tlsio *io = p;
	struct pollfd pfd = { .fd = io->fd, .events = POLLIN };
	int r;

	if (tlsio_in_pending(io))
		return 1;
	do
		r = poll(&pfd, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 : (int)ms);
	while (r < 0 && errno == EINTR);
	return r;
}
