/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * The worker's half of the key channel (worker-key.h): a GnuTLS external
 * private key whose operations are performed by sec-mod.
 */

#include "worker/worker-key.h"

#include <errno.h>
#include <gnutls/abstract.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "common/ipc.h"
#include "common/log.h"
#include "sec-mod/sec-mod-key.h"
#include "vpn/ev-adapter.h"

/* One worker serves one connection: one key, one channel. */
static struct {
	int fd;				/* -1: closed */
	gnutls_pk_algorithm_t pk;	/* of the certificate's public key */
	unsigned bits;
} kc = { .fd = -1 };

/* Wait for sec-mod's answer within the time left; 0 or a negative code. */
static int recv_reply(struct ipc_msg *m)
{
	vpn_ms_t deadline = vpn_now_ms() + WORKER_KEY_TIMEOUT_MS;

	for (;;) {
		struct pollfd pfd = { .fd = kc.fd, .events = POLLIN };
		vpn_ms_t now = vpn_now_ms();
		int r = ipc_recv(kc.fd, m);

		if (r != -EAGAIN && r != -EINTR)
			return r;
		if (now >= deadline)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, (int)(deadline - now)) < 0 && errno != EINTR)
			return -errno;
	}
}

/* Ask sec-mod for one operation; the result is gnutls-allocated in *out. */
static int key_request(enum secmod_key_op op, gnutls_sign_algorithm_t algo,
		       const gnutls_datum_t *in, gnutls_datum_t *out)
{
	KeyOpRequest req = KEY_OP_REQUEST__INIT;
	struct ipc_msg m = { .fd = -1 };
	int r;

	if (kc.fd < 0) {
		log_warn("private-key operation after the handshake: refused");
		return GNUTLS_E_PK_SIGN_FAILED;
	}
	req.op = op;
	req.has_algo = algo != GNUTLS_SIGN_UNKNOWN;
	req.algo = (uint32_t)algo;
	req.data.data = in->data;
	req.data.len = in->size;
	r = ipc_send(kc.fd, IPC_KEY_OP_REQUEST, &req.base, -1);
	if (r == 0)
		r = recv_reply(&m);
	if (r == 0 && m.type != IPC_KEY_OP_REPLY)
		r = IPC_E_UNKNOWN_TYPE;
	if (r < 0) {
		log_err("private-key operation by sec-mod: %s", ipc_strerror(r));
		ipc_msg_free(&m);
		return GNUTLS_E_PK_SIGN_FAILED;
	}
	if (!m.key_op_reply->ok || !m.key_op_reply->has_data) {
		log_info("sec-mod refused or failed the private-key operation");
		ipc_msg_free(&m);
		return op == SECMOD_KEY_DECRYPT ? GNUTLS_E_DECRYPTION_FAILED
						: GNUTLS_E_PK_SIGN_FAILED;
	}
	out->size = (unsigned)m.key_op_reply->data.len;
	out->data = gnutls_malloc(out->size != 0 ? out->size : 1);
	if (out->data != NULL && out->size != 0)
		memcpy(out->data, m.key_op_reply->data.data, out->size);
	ipc_msg_free(&m);
	return out->data != NULL ? 0 : GNUTLS_E_MEMORY_ERROR;
}

static int sign_data_cb(gnutls_privkey_t key, gnutls_sign_algorithm_t algo, void *userdata,
			unsigned flags, const gnutls_datum_t *data, gnutls_datum_t *sig)
{
	return key_request(SECMOD_KEY_SIGN_DATA, algo, data, sig);
}

static int sign_hash_cb(gnutls_privkey_t key, gnutls_sign_algorithm_t algo, void *userdata,
			unsigned flags, const gnutls_datum_t *hash, gnutls_datum_t *sig)
{
	return key_request(SECMOD_KEY_SIGN_HASH, algo, hash, sig);
}

static int decrypt_cb(gnutls_privkey_t key, void *userdata, const gnutls_datum_t *ct,
		      gnutls_datum_t *pt)
{
	return key_request(SECMOD_KEY_DECRYPT, GNUTLS_SIGN_UNKNOWN, ct, pt);
}

static int info_cb(gnutls_privkey_t key, unsigned flags, void *userdata)
{
	if (flags & GNUTLS_PRIVKEY_INFO_PK_ALGO)
		return (int)kc.pk;
	if (flags & GNUTLS_PRIVKEY_INFO_PK_ALGO_BITS)
		return (int)kc.bits;
	if (flags & GNUTLS_PRIVKEY_INFO_HAVE_SIGN_ALGO)
		return gnutls_sign_supports_pk_algorithm(GNUTLS_FLAGS_TO_SIGN_ALGO(flags), kc.pk);
	return GNUTLS_E_INVALID_REQUEST;
}

/* The chain of cert_file into pcerts (at most *n); the key's type from the
 * first certificate. */
static int load_chain(const char *cert_file, gnutls_pcert_st *pcerts, unsigned *n)
{
	int ret = gnutls_pcert_list_import_x509_file(pcerts, n, cert_file, GNUTLS_X509_FMT_PEM,
						     NULL, NULL, 0);

	if (ret < 0)
		return ret;
	if (*n == 0)
		return GNUTLS_E_NO_CERTIFICATE_FOUND;
	ret = gnutls_pubkey_get_pk_algorithm(pcerts[0].pubkey, &kc.bits);
	if (ret < 0)
		return ret;
	kc.pk = (gnutls_pk_algorithm_t)ret;
	return 0;
}

int worker_key_creds(gnutls_certificate_credentials_t *out, const char *cert_file, int key_fd,
		     bool check)
{
	gnutls_pcert_st pcerts[16];
	unsigned n = sizeof(pcerts) / sizeof(pcerts[0]);
	gnutls_certificate_credentials_t creds = NULL;
	gnutls_privkey_t key = NULL;
	int ret;

	kc.fd = key_fd;
	ret = load_chain(cert_file, pcerts, &n);
	if (ret < 0) {
		log_err("cannot load server-cert %s: %s", cert_file, gnutls_strerror(ret));
		return ret;
	}
	ret = gnutls_certificate_allocate_credentials(&creds);
	/* Without the check a key that does not fit fails each client's
	 * handshake instead of the worker's start. */
	if (ret == 0 && !check)
		gnutls_certificate_set_flags(creds, GNUTLS_CERTIFICATE_SKIP_KEY_CERT_MATCH);
	if (ret == 0)
		ret = gnutls_privkey_init(&key);
	if (ret == 0)
		ret = gnutls_privkey_import_ext4(key, NULL, sign_data_cb, sign_hash_cb, decrypt_cb,
						 NULL, info_cb, GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE);
	if (ret == 0) {
		/* on success creds own the certificates and the key */
		ret = gnutls_certificate_set_key(creds, NULL, 0, pcerts, (int)n, key);
		if (ret == 0) {
			*out = creds;
			return 0;
		}
	}
	log_err("TLS credentials: %s", gnutls_strerror(ret));
	if (key != NULL)
		gnutls_privkey_deinit(key);
	for (unsigned i = 0; i < n; i++)
		gnutls_pcert_deinit(&pcerts[i]);
	if (creds != NULL)
		gnutls_certificate_free_credentials(creds);
	return ret;
}

void worker_key_close(void)
{
	if (kc.fd >= 0) {
		close(kc.fd);
		kc.fd = -1;
	}
}
