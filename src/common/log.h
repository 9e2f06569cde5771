/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_LOG_H
#define OCSM_LOG_H

/*
 * One logger for every process. Lines go to stderr (main runs in the
 * foreground under systemd or a test harness, workers inherit its stderr) as
 *
 *   2026-11-28 07:55:01.123 ocserv-modern-worker[4242]: info: text
 *
 * with a millisecond wall-clock timestamp, so tests can measure timer
 * behaviour from the log. Nothing under src/vpn logs: the adapters do.
 *
 * Two other sinks, both with each line's syslog priority (error: LOG_ERR,
 * warning: LOG_WARNING, info: LOG_INFO, debug and trace: LOG_DEBUG):
 *   - stderr is the journal (systemd's $JOURNAL_STREAM names its device and
 *     inode): the line starts with the priority as "<N>", which the journal
 *     reads, and has no timestamp (the journal keeps its own):
 *       <6>ocserv-modern-worker[4242]: info: text
 *   - syslog(3), facility daemon, after log_to_syslog(): main once it has
 *     become a daemon (no -f), and every process it starts after that.
 */

#include <stdbool.h>
#include <stddef.h>

enum log_level {
	LOG_LVL_ERR = 0,
	LOG_LVL_WARN = 1,
	LOG_LVL_INFO = 2,
	LOG_LVL_DEBUG = 3,
	LOG_LVL_TRACE = 4,
};

/* Set the program name shown in each line and the most verbose level that is
 * printed (default LOG_LVL_INFO). */
void log_init(const char *prog, enum log_level max_level);
/* From now on, syslog(3) in this process and, through the environment
 * (OCSERV_MODERN_LOG=syslog, read by log_init), in the programs it execs. */
void log_to_syslog(void);
void log_set_level(enum log_level max_level);
enum log_level log_get_level(void);

void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Text a peer sent (user name, group, request target, User-Agent, any header)
 * never reaches the log as it is: log_escape copies s into out with every
 * byte that could forge or hide a line made visible as \xNN (two lower-case
 * hex digits):
 *   - control characters (0x00-0x1f, 0x7f), so no newline, carriage return
 *     or terminal escape sequence gets through;
 *   - bytes that are not part of well-formed UTF-8 (stray continuation
 *     bytes, overlong forms, surrogates, beyond U+10FFFF, cut sequences);
 *   - well-formed UTF-8 for the C1 controls (U+0080-U+009F), the line and
 *     paragraph separators (U+2028, U+2029) and the bidirectional overrides
 *     and isolates (U+202A-U+202E, U+2066-U+2069): each of their bytes;
 *   - the backslash itself (\x5c), so "\x" in a log line always is an escape.
 * Printable ASCII and other well-formed UTF-8 stay as they are. A result
 * that does not fit ends with "..." (never a cut escape or character).
 * out_len must be at least 4; s NULL gives "(null)". Returns out.
 */
const char *log_escape(char *out, size_t out_len, const char *s);
/* The same for len bytes of s, which may contain NUL bytes. */
const char *log_escape_n(char *out, size_t out_len, const char *s, size_t len);

/* log_msg itself turns any control character left in a message into \xNN
 * (a backstop: the peer's text still goes through LOG_ESC, which also
 * handles bytes that are not UTF-8 and the hidden code points). */

/* s has a byte log_escape would escape, the backslash aside (a Windows
 * "DOMAIN\user" is a plain name): a control character, a hidden code point
 * or bytes that are not UTF-8. NULL: false. */
bool log_text_suspect(const char *s);

/* log_escape into a buffer that lives until the end of the enclosing block,
 * for use right inside a log call:
 *   log_info("login of '%s'", LOG_ESC(username));
 * Long strings are cut at LOG_ESC_MAX - 1 bytes of escaped text. */
#define LOG_ESC_MAX 256
#define LOG_ESC(s) log_escape((char[LOG_ESC_MAX]){ 0 }, LOG_ESC_MAX, (s))
#define LOG_ESC_N(s, n) log_escape_n((char[LOG_ESC_MAX]){ 0 }, LOG_ESC_MAX, (s), (n))

#define log_err(...)   log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
#define log_trace(...) log_msg(LOG_LVL_TRACE, __VA_ARGS__)

#endif
