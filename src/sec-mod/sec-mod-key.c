/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * sec-mod's private key and the workers' key channels (sec-mod-key.h).
 */

#include "sec-mod/sec-mod-key.h"

#include <errno.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

struct key_chan {
	struct key_chan *next, *prev;
	struct secmod_keys *owner;
	ev_io io;
	pid_t pid;
	unsigned ops;
};

struct secmod_keys {
	gnutls_privkey_t key;
	struct ev_loop *loop;
	struct key_chan *chans;
	unsigned n_chans;
	bool configured;	/* the first SmConfig (the key was loaded at start) came */
};

/* The whole file at fd, from its start, into gnutls memory (at most
 * 1 MiB: no key is bigger). 0 or a GnuTLS error code. */
static int read_key_fd(int fd, gnutls_datum_t *out)
{
	const size_t max = 1u << 20;
	unsigned char *buf = gnutls_malloc(max);
	size_t len = 0;

	if (buf == NULL)
		return GNUTLS_E_MEMORY_ERROR;
	for (;;) {
		ssize_t n = pread(fd, buf + len, max - len, (off_t)len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (n > 0 && len + (size_t)n == max)) {
			gnutls_memset(buf, 0, len);
			gnutls_free(buf);
			return GNUTLS_E_FILE_ERROR;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	out->data = buf;
	out->size = (unsigned)len;
	return 0;
}

/* A PEM/DER file (read from fd when it is not -1, else by name; then
 * wiped) or a GnuTLS key URL (pkcs11:, ...). */
static int load_key(const char *path, int fd, gnutls_privkey_t *out)
{
	gnutls_privkey_t key;
	gnutls_datum_t data = { NULL, 0 };
	int ret;

	ret = gnutls_privkey_init(&key);
	if (ret < 0)
		return ret;
	if (gnutls_url_is_supported(path)) {
		ret = gnutls_privkey_import_url(key, path, 0);
	} else {
		ret = fd >= 0 ? read_key_fd(fd, &data) : gnutls_load_file(path, &data);
		if (ret == 0) {
			ret = gnutls_privkey_import_x509_raw(key, &data, GNUTLS_X509_FMT_PEM,
							     NULL, 0);
			if (ret < 0)
				ret = gnutls_privkey_import_x509_raw(key, &data,
								     GNUTLS_X509_FMT_DER, NULL, 0);
			gnutls_memset(data.data, 0, data.size);
			gnutls_free(data.data);
		}
	}
	if (ret < 0) {
		gnutls_privkey_deinit(key);
		return ret;
	}
	*out = key;
	return 0;
}

struct secmod_keys *secmod_keys_load(const char *path)
{
	struct secmod_keys *k = calloc(1, sizeof(*k));
	int ret;

	if (k == NULL) {
		log_err("sec-mod: out of memory");
		return NULL;
	}
	if (path == NULL) {
		log_err("sec-mod: no server-key");
		free(k);
		return NULL;
	}
	ret = load_key(path, -1, &k->key);
	if (ret < 0) {
		log_err("sec-mod: cannot load server-key %s: %s", path, gnutls_strerror(ret));
		free(k);
		return NULL;
	}
	log_debug("sec-mod: server-key %s loaded", path);
	return k;
}

void secmod_keys_reload(struct secmod_keys *k, const char *path, int fd)
{
	gnutls_privkey_t key;
	int ret;

	if (path == NULL)
		return;
	ret = load_key(path, gnutls_url_is_supported(path) ? -1 : fd, &key);
	if (ret < 0) {
		log_warn("sec-mod: cannot load server-key %s again: %s; keeping the key loaded before",
			 path, gnutls_strerror(ret));
		return;
	}
	gnutls_privkey_deinit(k->key);
	k->key = key;
	log_debug("sec-mod: server-key %s loaded again", path);
}

void secmod_keys_start(struct secmod_keys *k, struct ev_loop *loop)
{
	k->loop = loop;
}

static void chan_close(struct key_chan *c)
{
	struct secmod_keys *k = c->owner;

	ev_io_stop(k->loop, &c->io);
	close(c->io.fd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		k->chans = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	k->n_chans--;
	free(c);
}

void secmod_keys_free(struct secmod_keys *k)
{
	if (k == NULL)
		return;
	while (k->chans != NULL)
		chan_close(k->chans);
	gnutls_privkey_deinit(k->key);
	free(k);
}

/* One operation with the key; *out is gnutls-allocated on success. */
static int key_op(gnutls_privkey_t key, const KeyOpRequest *r, gnutls_datum_t *out)
{
	const gnutls_datum_t in = { r->data.data, (unsigned)r->data.len };
	gnutls_sign_algorithm_t algo = r->has_algo ? (gnutls_sign_algorithm_t)r->algo
						   : GNUTLS_SIGN_UNKNOWN;

	switch (r->op) {
	case SECMOD_KEY_SIGN_DATA:
		return gnutls_privkey_sign_data2(key, algo, 0, &in, out);
	case SECMOD_KEY_SIGN_HASH:
		/* RSA PKCS#1 v1.5: the worker sends the DigestInfo to sign as is */
		return gnutls_privkey_sign_hash2(key, algo,
						 algo == GNUTLS_SIGN_RSA_RAW
						 ? GNUTLS_PRIVKEY_SIGN_FLAG_TLS1_RSA : 0,
						 &in, out);
	case SECMOD_KEY_DECRYPT:
		return gnutls_privkey_decrypt_data(key, 0, &in, out);
	default:
		return GNUTLS_E_INVALID_REQUEST;
	}
}

/* Answer one request; false: close the channel. */
static bool chan_request(struct key_chan *c, const KeyOpRequest *r)
{
	KeyOpReply rep = KEY_OP_REPLY__INIT;
	gnutls_datum_t out = { NULL, 0 };
	int ret, sret;

	if (++c->ops > SECMOD_KEY_MAX_OPS) {
		log_warn("sec-mod: worker %ld asked for more than %u private-key operations: "
			 "refused, key channel closed", (long)c->pid, SECMOD_KEY_MAX_OPS);
		return false;
	}
	ret = key_op(c->owner->key, r, &out);
	if (ret < 0) {
		log_info("sec-mod: private-key operation %u for worker %ld failed: %s", r->op,
			 (long)c->pid, gnutls_strerror(ret));
	} else {
		rep.ok = true;
		rep.has_data = true;
		rep.data.data = out.data;
		rep.data.len = out.size;
	}
	sret = ipc_send(c->io.fd, IPC_KEY_OP_REPLY, &rep.base, -1);
	if (out.data != NULL) {
		gnutls_memset(out.data, 0, out.size);
		gnutls_free(out.data);
	}
	if (sret < 0) {
		log_info("sec-mod: answering worker %ld: %s", (long)c->pid, ipc_strerror(sret));
		return false;
	}
	return true;
}

static void chan_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct key_chan *c = io->data;
	struct ipc_msg m;
	int r = ipc_recv(io->fd, &m);
	bool keep;

	if (r == -EAGAIN || r == -EINTR)
		return;
	if (r < 0) {
		if (r != IPC_E_EOF)
			log_warn("sec-mod: key channel of worker %ld: %s: closed", (long)c->pid,
				 ipc_strerror(r));
		chan_close(c);
		return;
	}
	if (m.type != IPC_KEY_OP_REQUEST) {
		log_warn("sec-mod: worker %ld sent %s on its key channel: closed", (long)c->pid,
			 ipc_type_str(m.type));
		keep = false;
	} else {
		keep = chan_request(c, m.key_op_request);
	}
	ipc_msg_free(&m);
	if (!keep)
		chan_close(c);
}

void secmod_keys_add_channel(struct secmod_keys *k, int fd, pid_t pid)
{
	struct key_chan *c;

	if (k->n_chans >= SECMOD_KEY_MAX_CHANNELS) {
		log_warn("sec-mod: %u key channels open: worker %ld gets none", k->n_chans,
			 (long)pid);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		log_err("sec-mod: out of memory: worker %ld gets no key channel", (long)pid);
		close(fd);
		return;
	}
	c->owner = k;
	c->pid = pid;
	ev_io_init(&c->io, chan_cb, fd, EV_READ);
	c->io.data = c;
	ev_io_start(k->loop, &c->io);
	c->next = k->chans;
	if (k->chans != NULL)
		k->chans->prev = c;
	k->chans = c;
	k->n_chans++;
}

void secmod_keys_worker_done(struct secmod_keys *k, pid_t pid, const char *why)
{
	for (struct key_chan *c = k->chans; c != NULL; c = c->next) {
		if (c->pid == pid) {
			log_debug("sec-mod: worker %ld %s: key channel closed", (long)pid, why);
			chan_close(c);
			return;
		}
	}
}

int secmod_keys_on_message(struct secmod_keys *k, struct ipc_msg *m)
{
	switch (m->type) {
	case IPC_SM_KEY_CHANNEL:
		if (m->fd >= 0) {
			secmod_keys_add_channel(k, m->fd, (pid_t)m->sm_key_channel->worker_pid);
			m->fd = -1;
		}
		return 1;
	case IPC_SM_OPEN_REQUEST:
		if (m->sm_open_request->has_worker_pid)
			secmod_keys_worker_done(k, (pid_t)m->sm_open_request->worker_pid,
						"asked for its session");
		return 0;
	case IPC_SM_TUNNEL_UP:
		if (m->sm_tunnel_up->has_worker_pid)
			secmod_keys_worker_done(k, (pid_t)m->sm_tunnel_up->worker_pid,
						"has its tunnel up");
		return 0;
	case IPC_SM_CONFIG:
		/* the first one follows the fork: its key is the one loaded */
		if (k->configured)
			secmod_keys_reload(k, m->sm_config->server_key, m->fd);
		k->configured = true;
		return 0;
	default:
		return 0;
	}
}
