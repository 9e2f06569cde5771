/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * libFuzzer target for the IPC decoder: whatever a (compromised) worker puts
 * in a datagram, ipc_decode() returns 0 or an IPC_E_* code and never reads
 * out of bounds. A decoded message must re-encode to a datagram that decodes
 * again to the same type (pack/unpack agree).
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "common/ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* True if msg or any message nested in it kept unknown fields. */
static bool has_unknown(const ProtobufCMessage *msg)
{
	const ProtobufCMessageDescriptor *d = msg->descriptor;

	if (msg->n_unknown_fields != 0)
		return true;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *base = (const char *)msg;

		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset);
			ProtobufCMessage *const *v = *(ProtobufCMessage *const *const *)(base + f->offset);

			for (size_t j = 0; j < n; j++)
				if (has_unknown(v[j]))
					return true;
		} else {
			const ProtobufCMessage *sub = *(ProtobufCMessage *const *)(base + f->offset);

			if (sub != NULL && has_unknown(sub))
				return true;
		}
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[IPC_MAX_MSG];
	struct ipc_msg m, m2;
	ssize_t n;
	int rc;

	rc = ipc_decode(data, size, &m);
	if (rc != 0) {
		if (rc > IPC_E_EOF || rc < IPC_E_BAD_CMSG || m.base != NULL)
			abort();
		return 0;
	}
	if (m.fd != -1 || m.base == NULL || m.base->descriptor != ipc_type_descriptor(m.type))
		abort();
	if (has_unknown(m.base)) {
		ipc_msg_free(&m);
		return 0;
	}
	n = ipc_encode(m.type, m.base, out, sizeof(out));
	if (n == -EMSGSIZE) { /* only if the input was at the size limit */
		ipc_msg_free(&m);
		return 0;
	}
	if (n < 0 || ipc_decode(out, (size_t)n, &m2) != 0 || m2.type != m.type)
		abort();
	ipc_msg_free(&m2);
	ipc_msg_free(&m);
	return 0;
}
