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
 */

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
void log_set_level(enum log_level max_level);
enum log_level log_get_level(void);

void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
#define log_trace(...) log_msg(LOG_LVL_TRACE, __VA_ARGS__)

#endif
