/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_OCCTL_CMDLINE_H
#define OCSM_OCCTL_CMDLINE_H

/*
 * occtl-modern's command words (occtl's, doc/spec/interop.md §8, plus terminate):
 *
 *   show status | show users | show user NAME | show id ID
 *   show sessions [all|valid] (alias: show cookies) | show session SID
 *   show ip bans (alias: show ip ban points)
 *   disconnect user NAME | disconnect id ID
 *   terminate session SID | terminate user NAME
 *   unban ip IP | reload | stop now
 *   show events (a stream) | show iroutes | reset (these two need no server)
 *
 * Pure: parsing only, no I/O.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "occtl/ctlmsg.h"
#include "occtl/render.h"

struct occtl_cmd {
	enum ctl_cmd cmd;   /* 0: occtl-modern answers by itself (show iroutes, reset) */
	enum render_kind kind;
	const char *name;   /* points into argv; NULL if the command takes none */
	uint32_t id;        /* show id / disconnect id */
	bool has_id;
	bool all;           /* show sessions all */
	bool is_show;       /* a show command (--json applies) */
};

/*
 * Parse the words of one command. Returns 0, or -EINVAL with a message in
 * err (e.g. "show user: missing user name", "unknown command 'foo'").
 * Command words may be abbreviated to any unique prefix ("sh us" = show users,
 * as occtl allows).
 */
int occtl_parse(int argc, char *const argv[], struct occtl_cmd *out, char *err, size_t errlen);

/* Split line in place at blanks into at most max words (quotes are not
 * special). Returns the word count, or -E2BIG if there are more. */
int occtl_split(char *line, char *argv[], int max);

/* The help text for the command words (one per line). */
extern const char occtl_commands_help[];

#endif
