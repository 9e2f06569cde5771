/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/* occtl-modern's command words: every command, abbreviations, errors. */

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "occtl/cmdline.h"
#include "test-main.h"

static int parse(const char *line, struct occtl_cmd *c, char *err)
{
	static char buf[256];
	char *argv[16];
	int n;

	snprintf(buf, sizeof(buf), "%s", line);
	n = occtl_split(buf, argv, 16);
	ck_assert_int_ge(n, 0);
	err[0] = '\0';
	return occtl_parse(n, argv, c, err, 256);
}

static const struct {
	const char *line;
	enum ctl_cmd cmd;
	enum render_kind kind;
	const char *name;
	uint32_t id;
	bool all;
	bool show;
} ok_cases[] = {
	{ "show status", CTL_CMD_STATUS, RENDER_STATUS, NULL, 0, false, true },
	{ "show users", CTL_CMD_LIST_USERS, RENDER_USERS, NULL, 0, false, true },
	{ "show user test", CTL_CMD_USER_INFO, RENDER_USER_INFO, "test", 0, false, true },
	{ "show id 1234", CTL_CMD_ID_INFO, RENDER_USER_INFO, NULL, 1234, false, true },
	{ "show sessions", CTL_CMD_LIST_SESSIONS, RENDER_SESSIONS, NULL, 0, false, true },
	{ "show sessions all", CTL_CMD_LIST_SESSIONS, RENDER_SESSIONS, NULL, 0, true, true },
	{ "show sessions valid", CTL_CMD_LIST_SESSIONS, RENDER_SESSIONS, NULL, 0, false, true },
	{ "show cookies all", CTL_CMD_LIST_SESSIONS, RENDER_SESSIONS, NULL, 0, true, true },
	{ "show session abcdef", CTL_CMD_SESSION_INFO, RENDER_SESSION_INFO, "abcdef", 0, false, true },
	{ "show ip bans", CTL_CMD_LIST_BANNED, RENDER_BANS, NULL, 0, false, true },
	{ "show ip ban points", CTL_CMD_LIST_BANNED, RENDER_BANS, NULL, 0, true, true },
	{ "disconnect user bob", CTL_CMD_DISCONNECT_NAME, RENDER_ACTION, "bob", 0, false, false },
	{ "disconnect id 77", CTL_CMD_DISCONNECT_ID, RENDER_ACTION, NULL, 77, false, false },
	{ "terminate session Qx_9-a", CTL_CMD_TERMINATE_SESSION, RENDER_ACTION, "Qx_9-a", 0, false,
	  false },
	{ "terminate user bob", CTL_CMD_TERMINATE_USER, RENDER_ACTION, "bob", 0, false, false },
	{ "unban ip 10.0.0.1", CTL_CMD_UNBAN_IP, RENDER_ACTION, "10.0.0.1", 0, false, false },
	{ "reload", CTL_CMD_RELOAD, RENDER_ACTION, NULL, 0, false, false },
	{ "stop now", CTL_CMD_STOP, RENDER_ACTION, NULL, 0, false, false },
	{ "show events", CTL_CMD_EVENTS, RENDER_EVENTS, NULL, 0, false, true },
	{ "sh ev", CTL_CMD_EVENTS, RENDER_EVENTS, NULL, 0, false, true },
	/* answered by occtl-modern itself: no request (cmd 0) */
	{ "show iroutes", 0, RENDER_IROUTES, NULL, 0, false, true },
	{ "show ir", 0, RENDER_IROUTES, NULL, 0, false, true },
	{ "reset", 0, RENDER_RESET, NULL, 0, false, false },
	/* abbreviations, extra blanks */
	{ "  sh   stat ", CTL_CMD_STATUS, RENDER_STATUS, NULL, 0, false, true },
	{ "sh sessions a", CTL_CMD_LIST_SESSIONS, RENDER_SESSIONS, NULL, 0, true, true },
	{ "show session users", CTL_CMD_SESSION_INFO, RENDER_SESSION_INFO, "users", 0, false, true },
	{ "show user users", CTL_CMD_USER_INFO, RENDER_USER_INFO, "users", 0, false, true },
	{ "dis i 5", CTL_CMD_DISCONNECT_ID, RENDER_ACTION, NULL, 5, false, false },
	{ "t s abcdefgh", CTL_CMD_TERMINATE_SESSION, RENDER_ACTION, "abcdefgh", 0, false, false },
};

START_TEST(parses)
{
	struct occtl_cmd c;
	char err[256];
	int r = parse(ok_cases[_i].line, &c, err);

	ck_assert_msg(r == 0, "'%s': %s", ok_cases[_i].line, err);
	ck_assert_int_eq(c.cmd, ok_cases[_i].cmd);
	ck_assert_int_eq(c.kind, ok_cases[_i].kind);
	if (ok_cases[_i].name)
		ck_assert_str_eq(c.name, ok_cases[_i].name);
	else
		ck_assert_ptr_null(c.name);
	ck_assert_int_eq(c.has_id, ok_cases[_i].id != 0);
	ck_assert_uint_eq(c.id, ok_cases[_i].id);
	ck_assert_int_eq(c.all, ok_cases[_i].all);
	ck_assert_int_eq(c.is_show, ok_cases[_i].show);
}
END_TEST

static const struct {
	const char *line;
	const char *msg; /* a substring of the error */
} bad_cases[] = {
	{ "", "no command" },
	{ "frobnicate", "unknown command 'frobnicate'" },
	{ "show", "needs one more word" },
	{ "show user", "missing a user name" },
	{ "show id", "missing a connection id" },
	{ "show id abc", "not a connection id" },
	{ "show id 0", "not a connection id" },
	{ "show id 99999999999", "not a connection id" },
	{ "show id -3", "not a connection id" },
	{ "show status now", "unexpected word 'now'" },
	{ "show user a b", "unexpected word 'b'" },
	{ "show sessions bogus", "unexpected word 'bogus'" },
	{ "show us", "ambiguous" },
	{ "show xyz", "unknown" },
	{ "stop", "needs one more word" },
	{ "stop later", "unknown" },
	{ "terminate session", "missing a session id" },
	{ "unban ip", "missing an IP address" },
	{ "show i", "ambiguous" },          /* ip or iroutes */
	{ "show events now", "unexpected word 'now'" },
	{ "reset now", "unexpected word 'now'" },
	{ "re", "ambiguous" },              /* reload or reset */
};

START_TEST(rejects)
{
	struct occtl_cmd c;
	char err[256];
	int r = parse(bad_cases[_i].line, &c, err);

	ck_assert_msg(r == -EINVAL, "'%s' accepted", bad_cases[_i].line);
	ck_assert_msg(strstr(err, bad_cases[_i].msg) != NULL, "'%s': error '%s' lacks '%s'",
		      bad_cases[_i].line, err, bad_cases[_i].msg);
}
END_TEST

START_TEST(split_limits)
{
	char line[] = "a b c d";
	char *argv[3];

	ck_assert_int_eq(occtl_split(line, argv, 3), -E2BIG);
	{
		char l2[] = "\t x\ty \n";

		ck_assert_int_eq(occtl_split(l2, argv, 3), 2);
		ck_assert_str_eq(argv[0], "x");
		ck_assert_str_eq(argv[1], "y");
	}
}
END_TEST

START_TEST(cmd_names)
{
	ck_assert_str_eq(ctl_cmd_str(CTL_CMD_STATUS), "status");
	ck_assert_str_eq(ctl_cmd_str(CTL_CMD_TERMINATE_USER), "terminate-user");
	ck_assert_str_eq(ctl_cmd_str(11), "unknown");
	ck_assert_str_eq(ctl_cmd_str(0), "unknown");
	ck_assert_str_eq(ctl_cmd_str(200), "unknown");
	ck_assert(!ctl_cmd_valid(11));
	ck_assert(ctl_cmd_valid(CTL_CMD_SESSION_INFO));
	ck_assert_str_eq(ctl_cmd_str(CTL_CMD_EVENTS), "events");
}
END_TEST

/* Frames: round trip, partial input, oversize length. */
START_TEST(frames)
{
	CtlRequest req = CTL_REQUEST__INIT, *back;
	uint8_t *buf, type = 0;
	const uint8_t *payload;
	size_t plen;
	ssize_t n;
	uint8_t big[5] = { 4, 0x01, 0x00, 0x00, 0x01 };

	req.name = "user\"x";
	req.has_id = true;
	req.id = 42;
	n = ctl_frame_encode(CTL_CMD_USER_INFO, &req.base, &buf);
	ck_assert_int_gt(n, (ssize_t)CTL_HDR_LEN);
	for (size_t cut = 0; cut < (size_t)n; cut++)
		ck_assert_int_eq(ctl_frame_parse(buf, cut, &type, &payload, &plen), 0);
	ck_assert_int_eq(ctl_frame_parse(buf, (size_t)n, &type, &payload, &plen), n);
	ck_assert_uint_eq(type, CTL_CMD_USER_INFO);
	back = ctl_request_unpack(payload, plen);
	ck_assert_ptr_nonnull(back);
	ck_assert_str_eq(back->name, "user\"x");
	ck_assert_uint_eq(back->id, 42);
	ctl_request__free_unpacked(back, NULL);
	free(buf);
	ck_assert_int_eq(ctl_frame_parse(big, sizeof(big), &type, &payload, &plen), CTL_E_TOO_BIG);
	ck_assert_ptr_null(ctl_reply_unpack((const uint8_t *)"\xff\xff\xff", 3));
	ck_assert_uint_eq(CTL_REPLY(CTL_CMD_STATUS), 101);
}
END_TEST

/* A reply and two events in one write, then the end: the stream reader
 * returns them one by one, then CTL_E_EOF. */
START_TEST(stream)
{
	CtlReply rep = CTL_REPLY__INIT;
	CtlEvent ev = CTL_EVENT__INIT, *back;
	struct ctl_stream s = { 0 };
	uint8_t *f1, *f2, all[512], type;
	const uint8_t *payload;
	size_t plen, len = 0;
	ssize_t n1, n2;
	int sv[2];

	rep.ok = true;
	n1 = ctl_frame_encode(CTL_REPLY(CTL_CMD_EVENTS), &rep.base, &f1);
	ev.event = "login";
	ev.time_ms = 1700000000000LL;
	ev.username = "test";
	n2 = ctl_frame_encode(CTL_EVENT, &ev.base, &f2);
	ck_assert_int_gt(n1, 0);
	ck_assert_int_gt(n2, 0);
	memcpy(all, f1, (size_t)n1);
	len += (size_t)n1;
	for (int i = 0; i < 2; i++) {
		memcpy(all + len, f2, (size_t)n2);
		len += (size_t)n2;
	}
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(write(sv[1], all, len), (ssize_t)len);
	close(sv[1]);
	ck_assert_int_eq(ctl_stream_next(sv[0], &s, 1000, &type, &payload, &plen), 0);
	ck_assert_uint_eq(type, CTL_REPLY(CTL_CMD_EVENTS));
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(ctl_stream_next(sv[0], &s, -1, &type, &payload, &plen), 0);
		ck_assert_uint_eq(type, CTL_EVENT);
		back = ctl_event_unpack(payload, plen);
		ck_assert_ptr_nonnull(back);
		ck_assert_str_eq(back->event, "login");
		ck_assert_str_eq(back->username, "test");
		ctl_event__free_unpacked(back, NULL);
	}
	ck_assert_int_eq(ctl_stream_next(sv[0], &s, -1, &type, &payload, &plen), CTL_E_EOF);
	ctl_stream_free(&s);
	close(sv[0]);
	free(f1);
	free(f2);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("occtl-cmd");
	TCase *tc = tcase_create("words");

	tcase_add_loop_test(tc, parses, 0, sizeof(ok_cases) / sizeof(ok_cases[0]));
	tcase_add_loop_test(tc, rejects, 0, sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(tc, split_limits);
	suite_add_tcase(s, tc);
	tc = tcase_create("protocol");
	tcase_add_test(tc, cmd_names);
	tcase_add_test(tc, frames);
	tcase_add_test(tc, stream);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(suite)
