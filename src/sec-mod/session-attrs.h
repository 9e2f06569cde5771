/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_SESSION_ATTRS_H
#define OCSM_SESSION_ATTRS_H

/*
 * A session's own values (struct session_attrs, session-table.h) on the
 * wire (SessionAttrs of ipc.proto, in SmSession) and in the session store
 * (the same message, packed), and from a RADIUS reply (radius-map.h).
 */

#include <stddef.h>
#include <stdint.h>

#include "common/ipc.h"
#include "sec-mod/radius-map.h"
#include "sec-mod/session-table.h"

/* The message and the storage it points into. */
struct session_attrs_msg {
	SessionAttrs msg;
	ProtobufCBinaryData cls[SESSION_ATTRS_MAX_CLASS];
	uint32_t route_net[SESSION_ATTRS_MAX_ROUTES], route_prefix[SESSION_ATTRS_MAX_ROUTES];
	uint32_t dns[SESSION_ATTRS_MAX_DNS];
};

/* Fill out from a (out->msg points into a and out: valid while both are). */
void session_attrs_to_msg(const struct session_attrs *a, struct session_attrs_msg *out);
/* *out (zeroed first) from m; lists beyond the limits are cut, a route
 * with a prefix above 32 or a Class above 253 bytes left out. */
void session_attrs_from_msg(const SessionAttrs *m, struct session_attrs *out);

/* Packed form for the session store: the length written (at most len), or
 * 0 if it does not fit. */
size_t session_attrs_pack(const struct session_attrs *a, uint8_t *buf, size_t len);
/* 0, or -EINVAL for bytes that are not a SessionAttrs. */
int session_attrs_unpack(const uint8_t *buf, size_t len, struct session_attrs *out);

/* The values of an Access-Accept (a RADIUS login: radius = true). */
void session_attrs_from_radius(const struct radius_reply *r, struct session_attrs *out);

#endif
