/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_SEC_MOD_KEY_H
#define OCSM_SEC_MOD_KEY_H

/*
 * The server's private key, held by sec-mod alone (doc/security.md).
 *
 * sec-mod loads the key after main forked it (main never loads it: main
 * reads client bytes, the DTLS datagrams it routes). A worker's TLS
 * handshake needs the key for one signature (or, with RSA key exchange,
 * one decryption); it asks sec-mod on its key channel, a SOCK_SEQPACKET
 * socketpair whose other end main hands to sec-mod with SmKeyChannel:
 *
 *   worker --KeyOpRequest--> sec-mod     sign data / sign hash / decrypt
 *          <-KeyOpReply-----             with the key, at most
 *                                        SECMOD_KEY_MAX_OPS per channel
 *
 * A channel closes when the worker closes it (its handshake is over), when
 * the worker logs in or its tunnel comes up (main tells sec-mod: SmOpenRequest
 * and SmTunnelUp carry the worker's PID), and when it asks for more than
 * SECMOD_KEY_MAX_OPS operations (logged as abuse). A worker whose channel
 * is closed can never ask again.
 */

#include <ev.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/ipc.h"

/* Private-key operations one worker may ask for. A full TLS handshake needs
 * one; a client that restarts it on the same connection a few more. */
#define SECMOD_KEY_MAX_OPS 8u
/* Key channels open at once; more are refused (their handshakes fail). */
#define SECMOD_KEY_MAX_CHANNELS 4096u

enum secmod_key_op {
	SECMOD_KEY_SIGN_DATA = 1,
	SECMOD_KEY_SIGN_HASH = 2,
	SECMOD_KEY_DECRYPT = 3,
};

struct secmod_keys;

/* Load the key from path (a PEM file or a GnuTLS key URL). NULL on failure
 * (logged). Call before the event loop exists. */
struct secmod_keys *secmod_keys_load(const char *path);
/* Load the key again (SIGHUP in main): from fd, the file as main opened it
 * (sec-mod, run-as-user by now, may not be able to open it), else from path
 * (a GnuTLS key URL, or main could not open it). On failure the old key
 * stays and a warning is logged. fd stays the caller's. */
void secmod_keys_reload(struct secmod_keys *k, const char *path, int fd);
/* Start serving channels on loop. */
void secmod_keys_start(struct secmod_keys *k, struct ev_loop *loop);
/* Close every channel and forget the key. */
void secmod_keys_free(struct secmod_keys *k);

/* Take the key channel of worker pid (the fd of an SmKeyChannel). */
void secmod_keys_add_channel(struct secmod_keys *k, int fd, pid_t pid);
/* Worker pid is past its handshake: close its channel if still open. */
void secmod_keys_worker_done(struct secmod_keys *k, pid_t pid, const char *why);

/* The process's share of a message from main: SmKeyChannel is consumed
 * here (returns 1); SmOpenRequest and SmTunnelUp close the worker's channel
 * and return 0, as does every other type (the core handles them). */
int secmod_keys_on_message(struct secmod_keys *k, struct ipc_msg *m);

#endif
