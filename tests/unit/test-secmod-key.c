/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sec-mod's private key and the workers' key channels (sec-mod-key.h): a
 * signature that verifies with the public key, at most SECMOD_KEY_MAX_OPS
 * operations per channel (the next request closes it unanswered), a channel
 * closed when the worker's CONNECT reaches sec-mod, and a key that does not
 * load. The key is a P-256 key made here with GnuTLS, in a temporary file.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/ipc.h"
#include "sec-mod/sec-mod-key.h"
#include "test-main.h"

static char key_path[64];
static gnutls_pubkey_t pub;

/* A fresh P-256 key in key_path (PEM) and its public half in pub. */
static void make_key(void)
{
	gnutls_x509_privkey_t x;
	gnutls_privkey_t pk;
	gnutls_datum_t pem;
	FILE *f;
	int fd;

	ck_assert_int_eq(gnutls_x509_privkey_init(&x), 0);
	ck_assert_int_eq(gnutls_x509_privkey_generate(x, GNUTLS_PK_ECDSA,
						      GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1),
						      0), 0);
	ck_assert_int_eq(gnutls_x509_privkey_export2(x, GNUTLS_X509_FMT_PEM, &pem), 0);
	snprintf(key_path, sizeof(key_path), "/tmp/test-secmod-key.XXXXXX");
	fd = mkstemp(key_path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(pem.data, 1, pem.size, f), pem.size);
	fclose(f);
	gnutls_free(pem.data);
	ck_assert_int_eq(gnutls_privkey_init(&pk), 0);
	ck_assert_int_eq(gnutls_privkey_import_x509(pk, x, GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE), 0);
	ck_assert_int_eq(gnutls_pubkey_init(&pub), 0);
	ck_assert_int_eq(gnutls_pubkey_import_privkey(pub, pk, 0, 0), 0);
	gnutls_privkey_deinit(pk);
}

static void drop_key(void)
{
	unlink(key_path);
	gnutls_pubkey_deinit(pub);
}

struct rig {
	struct ev_loop *loop;
	struct secmod_keys *keys;
	int worker;	/* the worker's end of the channel */
};

static void rig_up(struct rig *r, pid_t pid)
{
	int sp[2];

	make_key();
	r->loop = ev_loop_new(EVFLAG_AUTO);
	ck_assert_ptr_nonnull(r->loop);
	r->keys = secmod_keys_load(key_path);
	ck_assert_ptr_nonnull(r->keys);
	secmod_keys_start(r->keys, r->loop);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sp), 0);
	secmod_keys_add_channel(r->keys, sp[0], pid);
	r->worker = sp[1];
}

static void rig_down(struct rig *r)
{
	secmod_keys_free(r->keys);
	ev_loop_destroy(r->loop);
	close(r->worker);
	drop_key();
}

/* Send a sign-hash request of hash (32 bytes), let sec-mod run, and return
 * ipc_recv's result on the worker's end (reply in *m). */
static int ask(struct rig *r, const uint8_t *hash, struct ipc_msg *m)
{
	KeyOpRequest req = KEY_OP_REQUEST__INIT;

	req.op = SECMOD_KEY_SIGN_HASH;
	req.has_algo = true;
	req.algo = GNUTLS_SIGN_ECDSA_SHA256;
	req.data.data = (uint8_t *)hash;
	req.data.len = 32;
	ck_assert_int_eq(ipc_send(r->worker, IPC_KEY_OP_REQUEST, &req.base, -1), 0);
	ev_run(r->loop, EVRUN_NOWAIT);
	return ipc_recv(r->worker, m);
}

START_TEST(signs_and_verifies)
{
	struct rig r;
	struct ipc_msg m;
	uint8_t hash[32];
	gnutls_datum_t h = { hash, sizeof(hash) }, sig;

	memset(hash, 0x5a, sizeof(hash));
	rig_up(&r, 4242);
	ck_assert_int_eq(ask(&r, hash, &m), 0);
	ck_assert_int_eq(m.type, IPC_KEY_OP_REPLY);
	ck_assert(m.key_op_reply->ok);
	sig.data = m.key_op_reply->data.data;
	sig.size = (unsigned)m.key_op_reply->data.len;
	ck_assert_int_ge(gnutls_pubkey_verify_hash2(pub, GNUTLS_SIGN_ECDSA_SHA256, 0, &h, &sig), 0);
	ipc_msg_free(&m);
	rig_down(&r);
}
END_TEST

START_TEST(bounded_operations)
{
	struct rig r;
	struct ipc_msg m;
	uint8_t hash[32] = { 1 };

	rig_up(&r, 4243);
	for (unsigned i = 0; i < SECMOD_KEY_MAX_OPS; i++) {
		ck_assert_int_eq(ask(&r, hash, &m), 0);
		ck_assert(m.key_op_reply->ok);
		ipc_msg_free(&m);
	}
	/* one more: no answer, the channel is closed */
	ck_assert_int_eq(ask(&r, hash, &m), IPC_E_EOF);
	rig_down(&r);
}
END_TEST

START_TEST(closed_on_connect)
{
	struct rig r;
	struct ipc_msg m = { .fd = -1 };
	SmOpenRequest open = SM_OPEN_REQUEST__INIT;
	uint8_t hash[32] = { 2 };
	KeyOpRequest req = KEY_OP_REQUEST__INIT;

	rig_up(&r, 4244);
	open.has_worker_pid = true;
	open.worker_pid = 4245;		/* another worker's: this channel stays */
	m.type = IPC_SM_OPEN_REQUEST;
	m.sm_open_request = &open;
	ck_assert_int_eq(secmod_keys_on_message(r.keys, &m), 0);
	ck_assert_int_eq(ask(&r, hash, &m), 0);
	ipc_msg_free(&m);
	open.worker_pid = 4244;
	m = (struct ipc_msg){ .type = IPC_SM_OPEN_REQUEST, .sm_open_request = &open, .fd = -1 };
	ck_assert_int_eq(secmod_keys_on_message(r.keys, &m), 0);
	req.op = SECMOD_KEY_SIGN_HASH;
	req.data.data = hash;
	req.data.len = sizeof(hash);
	/* sec-mod's end is gone: the request cannot even be sent */
	ck_assert_int_eq(ipc_send(r.worker, IPC_KEY_OP_REQUEST, &req.base, -1), -EPIPE);
	rig_down(&r);
}
END_TEST

START_TEST(missing_key)
{
	ck_assert_ptr_null(secmod_keys_load("/nonexistent/server-key.pem"));
	ck_assert_ptr_null(secmod_keys_load(NULL));
}
END_TEST

static Suite *secmod_key_suite(void)
{
	Suite *s = suite_create("secmod-key");
	TCase *tc = tcase_create("secmod-key");

	tcase_add_test(tc, signs_and_verifies);
	tcase_add_test(tc, bounded_operations);
	tcase_add_test(tc, closed_on_connect);
	tcase_add_test(tc, missing_key);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(secmod_key_suite)
