/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_RADIUS_MAP_H
#define OCSM_RADIUS_MAP_H

/*
 * RADIUS reply attributes -> what a session gets (doc/radius.md), and the
 * session end -> Acct-Terminate-Cause. Pure code: no radcli, no I/O, no
 * clock, no logging, so that the unit tests and the fuzz target drive it
 * with any bytes. The process (radius.c) turns radcli's list into struct
 * radius_avp entries first.
 *
 * Mapped (RFC 2865, 2866, 2869, 2548 numbers):
 *   Framed-IP-Address (8)       the session's IPv4 (255.255.255.254 and
 *                               255.255.255.255, "the NAS chooses", are not)
 *   Framed-IP-Netmask (9)
 *   Filter-Id (11)              a group, with groupconfig
 *   Reply-Message (18)          the text of a challenge or a refusal
 *   Framed-Route (22)           "NET/PREFIX [GATEWAY [METRIC]]": a route
 *   State (24)                  echoed in the next Access-Request
 *   Class (25)                  echoed in accounting; "OU=g1;OU=g2" gives
 *                               groups with groupconfig
 *   Session-Timeout (27), Idle-Timeout (28), Acct-Interim-Interval (85)
 *   MS-Primary-DNS-Server, MS-Secondary-DNS-Server (vendor 311, 28 and 29)
 * Everything else is ignored. A known attribute with a bad length or value
 * is skipped and counted in `bad`.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/conf.h"
#include "vpn/reason.h"

#define RADIUS_VENDOR_MICROSOFT 311u

enum radius_attr {
	RADIUS_USER_NAME = 1,
	RADIUS_USER_PASSWORD = 2,
	RADIUS_NAS_IP_ADDRESS = 4,
	RADIUS_NAS_PORT = 5,
	RADIUS_SERVICE_TYPE = 6,
	RADIUS_FRAMED_PROTOCOL = 7,
	RADIUS_FRAMED_IP_ADDRESS = 8,
	RADIUS_FRAMED_IP_NETMASK = 9,
	RADIUS_FILTER_ID = 11,
	RADIUS_REPLY_MESSAGE = 18,
	RADIUS_FRAMED_ROUTE = 22,
	RADIUS_STATE = 24,
	RADIUS_CLASS = 25,
	RADIUS_VENDOR_SPECIFIC = 26,
	RADIUS_SESSION_TIMEOUT = 27,
	RADIUS_IDLE_TIMEOUT = 28,
	RADIUS_CALLED_STATION_ID = 30,
	RADIUS_CALLING_STATION_ID = 31,
	RADIUS_NAS_IDENTIFIER = 32,
	RADIUS_ACCT_STATUS_TYPE = 40,
	RADIUS_ACCT_DELAY_TIME = 41,
	RADIUS_ACCT_INPUT_OCTETS = 42,
	RADIUS_ACCT_OUTPUT_OCTETS = 43,
	RADIUS_ACCT_SESSION_ID = 44,
	RADIUS_ACCT_AUTHENTIC = 45,
	RADIUS_ACCT_SESSION_TIME = 46,
	RADIUS_ACCT_INPUT_PACKETS = 47,
	RADIUS_ACCT_OUTPUT_PACKETS = 48,
	RADIUS_ACCT_TERMINATE_CAUSE = 49,
	RADIUS_ACCT_INPUT_GIGAWORDS = 52,
	RADIUS_ACCT_OUTPUT_GIGAWORDS = 53,
	RADIUS_NAS_PORT_TYPE = 61,
	RADIUS_CONNECT_INFO = 77,
	RADIUS_ACCT_INTERIM_INTERVAL = 85,
	RADIUS_MS_PRIMARY_DNS = 28,    /* vendor 311 */
	RADIUS_MS_SECONDARY_DNS = 29,  /* vendor 311 */
};

/* One attribute: vendor 0 for the standard ones; the value in network
 * byte order as on the wire (integers and addresses: 4 bytes). */
struct radius_avp {
	uint32_t vendor, type;
	const uint8_t *val;
	size_t len;
};

#define RADIUS_TEXT_MAX 253u      /* an attribute's value at most */
#define RADIUS_MAX_CLASS 4u
#define RADIUS_MAX_GROUPS 16u
#define RADIUS_MAX_ROUTES 64u
#define RADIUS_MAX_DNS 4u
#define RADIUS_MESSAGE_MAX 512u

enum radius_reply_bits {
	RADIUS_HAS_IPV4 = 1u << 0,
	RADIUS_HAS_NETMASK = 1u << 1,
	RADIUS_HAS_SESSION_TIMEOUT = 1u << 2,
	RADIUS_HAS_IDLE_TIMEOUT = 1u << 3,
	RADIUS_HAS_INTERIM = 1u << 4,
	RADIUS_HAS_ROUTES = 1u << 5,
	RADIUS_HAS_DNS = 1u << 6,
};

struct radius_class {
	uint8_t v[RADIUS_TEXT_MAX];
	size_t len;
};

struct radius_reply {
	uint32_t set;                              /* RADIUS_HAS_* */
	struct in_addr ipv4, netmask;
	uint32_t session_timeout_s, idle_timeout_s, interim_s;   /* > 0 when set */
	struct radius_class cls[RADIUS_MAX_CLASS];
	size_t n_class;
	char groups[RADIUS_MAX_GROUPS][RADIUS_TEXT_MAX + 1];     /* with groupconfig */
	size_t n_groups;
	struct config_route routes[RADIUS_MAX_ROUTES];
	size_t n_routes;
	struct config_addr dns[RADIUS_MAX_DNS];
	size_t n_dns;
	char message[RADIUS_MESSAGE_MAX];          /* Reply-Messages joined by '\n'; control
						    * characters but '\n' dropped */
	uint8_t state[RADIUS_TEXT_MAX];
	size_t state_len;
	unsigned bad;                              /* known attributes skipped: bad value */
	unsigned dropped;                          /* over a limit above */
};

/* Map n attributes into *out (zeroed first). Groups are taken from Class
 * and Filter-Id only with groupconfig. */
void radius_reply_map(const struct radius_avp *a, size_t n, bool groupconfig,
		      struct radius_reply *out);

/* Split RFC 2865 attributes (type, length, value...) of a packet's
 * attribute area into out (at most max), Vendor-Specific ones into their
 * vendor's sub-attributes (type, length, value each). Returns how many,
 * or -1 when the area is malformed (a length below 2 or past the end). */
int radius_avps_from_wire(const uint8_t *buf, size_t len, struct radius_avp *out, size_t max);

/* Acct-Terminate-Cause (RFC 2866 §5.10) of a session that ended for end;
 * dropped: it had lost its tunnel before (a cookie-timeout after a drop is
 * Lost-Carrier). */
enum radius_terminate_cause {
	RADIUS_TC_USER_REQUEST = 1,
	RADIUS_TC_LOST_CARRIER = 2,
	RADIUS_TC_IDLE_TIMEOUT = 4,
	RADIUS_TC_SESSION_TIMEOUT = 5,
	RADIUS_TC_ADMIN_RESET = 6,
	RADIUS_TC_NAS_ERROR = 9,
	RADIUS_TC_NAS_REQUEST = 10,
	RADIUS_TC_NAS_REBOOT = 11,
};
enum radius_terminate_cause radius_terminate_cause(enum vpn_end_reason end, bool dropped);
const char *radius_terminate_cause_str(enum radius_terminate_cause c);

/* A group name taken from RADIUS: 1..RADIUS_TEXT_MAX printable ASCII
 * characters, no '/', not starting with '.' (it names a per-group file). */
bool radius_group_ok(const char *g, size_t len);

#endif
