/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_OCCTL_RENDER_H
#define OCSM_OCCTL_RENDER_H

/*
 * occtl-modern's output: a CtlReply rendered as text for people or as JSON
 * for scripts. Both come from the same field list, so every label of the text
 * is a key of the JSON (occtl's labels where occtl has the field, doc/spec/interop.md
 * §8). JSON conventions, as occtl's: the label holds the human-readable
 * value, "_Label" a relative companion ("3m 02s ago"), and raw_* keys hold
 * numbers: epoch seconds for times, seconds for durations (null when there is
 * none). Counters occtl prints as quoted strings (RX, TX, MTU, DPD,
 * KeepAlive) stay strings; new numeric fields are JSON numbers.
 *
 * Pure apart from writing the finished text to the FILE: the text is built
 * in memory first, so a JSON document is either printed whole and valid, or
 * not at all (the function then returns a negative errno).
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "occtl/ctlmsg.h"

enum render_kind {
	RENDER_STATUS = 0,     /* show status */
	RENDER_USERS,          /* show users: a table, one line per connection */
	RENDER_USER_INFO,      /* show user / show id: one block per connection */
	RENDER_SESSIONS,       /* show sessions: a table */
	RENDER_SESSION_INFO,   /* show session: one block per session */
	RENDER_BANS,           /* show ip bans */
	RENDER_ACTION,         /* disconnect, terminate, unban, reload, stop */
	RENDER_EVENTS,         /* show events: the reply prints nothing, each event a line */
	RENDER_IROUTES,        /* show iroutes: none exist (no per-user config) */
	RENDER_RESET,          /* reset: the terminal, no server request */
};

/* Write r as kind to f, as JSON if json. Returns 0, -ENOMEM, -EINVAL (a JSON
 * document that would not be valid: never printed) or -EIO. */
int render_reply(FILE *f, enum render_kind kind, bool json, const CtlReply *r);

/* One event of show events as one line: text, or one compact JSON object
 * (JSON lines). Returns as render_reply. */
int render_event(FILE *f, bool json, const CtlEvent *e);

/* "4m 07s", "2h 05m", "3d 04h", "59s"; ms < 0 is taken as 0. Writes into buf
 * (at least 32 bytes) and returns it. */
const char *render_duration(int64_t ms, char *buf, size_t len);

/* Local time "YYYY-MM-DD HH:MM:SS" of an epoch-ms value into buf (32 bytes). */
const char *render_time(int64_t epoch_ms, char *buf, size_t len);

/* "1.5 MB", "812 bytes", ... into buf (32 bytes). */
const char *render_bytes(uint64_t n, char *buf, size_t len);

#endif
