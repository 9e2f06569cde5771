/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/* Command words of occtl-modern; see cmdline.h. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "occtl/cmdline.h"

enum arg_kind {
	ARG_NONE = 0,
	ARG_NAME,  /* a user name, session id, IP address */
	ARG_ID,    /* a connection id (worker PID) */
};

#define MAX_WORDS 4

static const struct grammar {
	const char *words[MAX_WORDS];
	enum arg_kind arg;
	const char *arg_name;
	enum ctl_cmd cmd;
	enum render_kind kind;
	bool all;
} grammar[] = {
	{ { "show", "status" }, ARG_NONE, NULL, CTL_CMD_STATUS, RENDER_STATUS, false },
	{ { "show", "users" }, ARG_NONE, NULL, CTL_CMD_LIST_USERS, RENDER_USERS, false },
	{ { "show", "user" }, ARG_NAME, "a user name", CTL_CMD_USER_INFO, RENDER_USER_INFO, false },
	{ { "show", "id" }, ARG_ID, "a connection id", CTL_CMD_ID_INFO, RENDER_USER_INFO, false },
	{ { "show", "sessions", "all" }, ARG_NONE, NULL, CTL_CMD_LIST_SESSIONS, RENDER_SESSIONS, true },
	{ { "show", "sessions", "valid" }, ARG_NONE, NULL, CTL_CMD_LIST_SESSIONS, RENDER_SESSIONS,
	  false },
	{ { "show", "sessions" }, ARG_NONE, NULL, CTL_CMD_LIST_SESSIONS, RENDER_SESSIONS, false },
	{ { "show", "cookies", "all" }, ARG_NONE, NULL, CTL_CMD_LIST_SESSIONS, RENDER_SESSIONS, true },
	{ { "show", "cookies", "valid" }, ARG_NONE, NULL, CTL_CMD_LIST_SESSIONS, RENDER_SESSIONS,
	  false },
	{ { "show", "cookies" }, ARG_NONE, NULL, CTL_CMD_LIST_SESSIONS, RENDER_SESSIONS, false },
	{ { "show", "session" }, ARG_NAME, "a session id (at least 6 characters)",
	  CTL_CMD_SESSION_INFO, RENDER_SESSION_INFO, false },
	{ { "show", "ip", "bans" }, ARG_NONE, NULL, CTL_CMD_LIST_BANNED, RENDER_BANS, false },
	{ { "show", "ip", "ban", "points" }, ARG_NONE, NULL, CTL_CMD_LIST_BANNED, RENDER_BANS, true },
	{ { "disconnect", "user" }, ARG_NAME, "a user name", CTL_CMD_DISCONNECT_NAME, RENDER_ACTION,
	  false },
	{ { "disconnect", "id" }, ARG_ID, "a connection id", CTL_CMD_DISCONNECT_ID, RENDER_ACTION,
	  false },
	{ { "terminate", "session" }, ARG_NAME, "a session id (at least 6 characters)",
	  CTL_CMD_TERMINATE_SESSION, RENDER_ACTION, false },
	{ { "terminate", "user" }, ARG_NAME, "a user name", CTL_CMD_TERMINATE_USER, RENDER_ACTION,
	  false },
	{ { "unban", "ip" }, ARG_NAME, "an IP address", CTL_CMD_UNBAN_IP, RENDER_ACTION, false },
	{ { "reload" }, ARG_NONE, NULL, CTL_CMD_RELOAD, RENDER_ACTION, false },
	{ { "stop", "now" }, ARG_NONE, NULL, CTL_CMD_STOP, RENDER_ACTION, false },
	{ { "show", "events" }, ARG_NONE, NULL, CTL_CMD_EVENTS, RENDER_EVENTS, false },
	/* answered by occtl-modern itself (cmd 0: no request) */
	{ { "show", "iroutes" }, ARG_NONE, NULL, 0, RENDER_IROUTES, false },
	{ { "reset" }, ARG_NONE, NULL, 0, RENDER_RESET, false },
};
#define N_GRAMMAR (sizeof(grammar) / sizeof(grammar[0]))

const char occtl_commands_help[] =
	"  show status                  server status, session counts, liveness counters\n"
	"  show users                   one line per connection (worker)\n"
	"  show user NAME               every connection of a user, with its liveness\n"
	"  show id ID                   one connection by id (worker PID)\n"
	"  show sessions [all|valid]    sessions: valid = not ended; all adds ended ones\n"
	"  show session SID             one session (id prefix of at least 6 characters)\n"
	"  show ip bans                 banned addresses and ban scores\n"
	"  show iroutes                 routes of users' networks (none: no per-user config)\n"
	"  show events                  follow logins, tunnels, drops, resumes as they happen\n"
	"  disconnect user NAME         end the tunnels of a user (admin-disconnect)\n"
	"  disconnect id ID             end one connection's tunnel (admin-disconnect)\n"
	"  terminate session SID        end a session, also one waiting to resume\n"
	"  terminate user NAME          end every session of a user\n"
	"  unban ip IP                  lift the ban of an address and forget its score\n"
	"  reload                       reload the configuration (as SIGHUP)\n"
	"  stop now                     stop the server (as SIGTERM)\n"
	"  reset                        reset the screen and terminal\n";

static size_t nwords(const struct grammar *g)
{
	size_t n = 0;

	while (n < MAX_WORDS && g->words[n] != NULL)
		n++;
	return n;
}

static bool is_prefix(const char *p, const char *w)
{
	return p[0] != '\0' && strncmp(p, w, strlen(p)) == 0;
}

static int parse_id(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* "show" -> "status, users, user, ..." : the words that may follow. */
static void followers(const bool *alive, size_t k, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < N_GRAMMAR; i++) {
		const char *w;
		bool dup = false;

		if (!alive[i] || nwords(&grammar[i]) <= k)
			continue;
		w = grammar[i].words[k];
		for (size_t j = 0; j < i; j++)
			if (alive[j] && nwords(&grammar[j]) > k && strcmp(grammar[j].words[k], w) == 0)
				dup = true;
		if (dup)
			continue;
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s",
					 used ? ", " : "", w);
		if (used >= len)
			break;
	}
}

/* The command word argv[k] among the grammar lines still alive: an exact
 * word wins over prefixes; two different words it abbreviates make it
 * ambiguous. NULL: no line has such a word at position k. */
static const char *match_word(const bool *alive, size_t k, const char *arg, bool *ambiguous)
{
	const char *match = NULL;

	*ambiguous = false;
	for (size_t i = 0; i < N_GRAMMAR; i++)
		if (alive[i] && nwords(&grammar[i]) > k && strcmp(arg, grammar[i].words[k]) == 0)
			return grammar[i].words[k];
	for (size_t i = 0; i < N_GRAMMAR; i++) {
		const char *w;

		if (!alive[i] || nwords(&grammar[i]) <= k)
			continue;
		w = grammar[i].words[k];
		if (!is_prefix(arg, w))
			continue;
		if (match != NULL && strcmp(match, w) != 0)
			*ambiguous = true;
		match = w;
	}
	return match;
}

/* The last word is the argument of the complete command `done`. */
static int take_argument(const struct grammar *done, int argc, char *const argv[], size_t k,
			 const char *so_far, struct occtl_cmd *out, char *err, size_t errlen)
{
	if ((int)k + 1 != argc) {
		snprintf(err, errlen, "%s: unexpected word '%s' after %s", so_far, argv[k + 1],
			 argv[k]);
		return -EINVAL;
	}
	if (done->arg == ARG_ID) {
		if (parse_id(argv[k], &out->id) < 0) {
			snprintf(err, errlen, "%s: '%s' is not a connection id (a positive number)",
				 so_far, argv[k]);
			return -EINVAL;
		}
		out->has_id = true;
		return 0;
	}
	if (argv[k][0] == '\0') {
		snprintf(err, errlen, "%s: empty %s", so_far, done->arg_name);
		return -EINVAL;
	}
	out->name = argv[k];
	return 0;
}

/* argv[k] is no command word here, and no argument either. */
static int unknown_word(const bool *alive, size_t k, const char *arg, const char *so_far,
			bool complete, char *err, size_t errlen)
{
	char words[256];

	if (complete) {
		snprintf(err, errlen, "%s: unexpected word '%s'", so_far, arg);
		return -EINVAL;
	}
	followers(alive, k, words, sizeof(words));
	if (k == 0)
		snprintf(err, errlen, "unknown command '%s' (commands: %s, help)", arg, words);
	else
		snprintf(err, errlen, "'%s %s': unknown; after '%s' comes one of: %s", so_far, arg,
			 so_far, words);
	return -EINVAL;
}

/* All words read: the command must be complete and have its argument. */
static int check_complete(const bool *alive, size_t k, const struct grammar *done,
			  const char *so_far, char *err, size_t errlen)
{
	char words[256];

	if (done == NULL) {
		followers(alive, k, words, sizeof(words));
		snprintf(err, errlen, "'%s' needs one more word: %s", so_far, words);
		return -EINVAL;
	}
	if (done->arg != ARG_NONE) {
		snprintf(err, errlen, "%s: missing %s", so_far, done->arg_name);
		return -EINVAL;
	}
	return 0;
}

/* Fill out from the one grammar line that the words chose. */
static int resolve(const bool *alive, size_t n, const char *so_far, struct occtl_cmd *out,
		   char *err, size_t errlen)
{
	for (size_t i = 0; i < N_GRAMMAR; i++) {
		if (alive[i] && nwords(&grammar[i]) == n) {
			out->cmd = grammar[i].cmd;
			out->kind = grammar[i].kind;
			out->all = grammar[i].all;
			out->is_show = strcmp(grammar[i].words[0], "show") == 0;
			return 0;
		}
	}
	snprintf(err, errlen, "internal error parsing '%s'", so_far);
	return -EINVAL;
}

int occtl_parse(int argc, char *const argv[], struct occtl_cmd *out, char *err, size_t errlen)
{
	bool alive[N_GRAMMAR];
	char so_far[256] = "";
	size_t k = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < N_GRAMMAR; i++)
		alive[i] = true;
	if (argc <= 0) {
		snprintf(err, errlen, "no command given");
		return -EINVAL;
	}
	for (;;) {
		const struct grammar *done = NULL;
		const char *match;
		bool ambiguous;

		for (size_t i = 0; i < N_GRAMMAR; i++)
			if (alive[i] && nwords(&grammar[i]) == k)
				done = &grammar[i];
		if ((int)k == argc) {
			rc = check_complete(alive, k, done, so_far, err, errlen);
			if (rc < 0)
				return rc;
			break;
		}
		match = match_word(alive, k, argv[k], &ambiguous);
		if (ambiguous) {
			snprintf(err, errlen, "'%s' is ambiguous after '%s'", argv[k], so_far);
			return -EINVAL;
		}
		if (match == NULL && done != NULL && done->arg != ARG_NONE) {
			rc = take_argument(done, argc, argv, k, so_far, out, err, errlen);
			if (rc < 0)
				return rc;
			return resolve(alive, k, so_far, out, err, errlen);
		}
		if (match == NULL)
			return unknown_word(alive, k, argv[k], so_far, done != NULL, err, errlen);
		for (size_t i = 0; i < N_GRAMMAR; i++)
			if (alive[i] && (nwords(&grammar[i]) <= k || strcmp(grammar[i].words[k], match) != 0))
				alive[i] = false;
		snprintf(so_far + strlen(so_far), sizeof(so_far) - strlen(so_far), "%s%s",
			 k ? " " : "", match);
		k++;
	}
	return resolve(alive, k, so_far, out, err, errlen);
}

int occtl_split(char *line, char *argv[], int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (*p == '\0')
			return n;
		if (n == max)
			return -E2BIG;
		argv[n++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			p++;
		if (*p != '\0')
			*p++ = '\0';
	}
}
