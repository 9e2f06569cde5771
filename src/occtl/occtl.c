/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * occtl-modern: the control tool of ocserv-modern. A client of main's
 * control socket (occtl-socket-file): one request, one reply per command,
 * rendered as text or, with -j, as JSON that is always valid. Without a
 * command it reads commands from a prompt. See doc/occtl-modern.8.
 *
 * Exit status: 0 success; 1 the server refused or failed the command (no such
 * user, session, ...), or could not be reached; 2 a usage error.
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_LIBEDIT
#include <editline/readline.h>
#endif

#include "occtl/cmdline.h"
#include "occtl/ctlmsg.h"
#include "occtl/render.h"

#ifndef OCCTL_DEFAULT_SOCKET
#define OCCTL_DEFAULT_SOCKET "/run/occtl-modern.socket"
#endif
/* How long a command may take, the server's gathering from workers included. */
#define OCCTL_TIMEOUT_MS 10000

#define EXIT_USAGE 2

struct opts {
	const char *socket;
	bool json;
	bool debug;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: occtl-modern [OPTIONS] [COMMAND...]\n"
		"Control tool of the ocserv-modern VPN gateway. Without a command: a prompt.\n\n"
		"Options:\n"
		"  -s, --socket-file FILE  control socket (default %s)\n"
		"  -j, --json              JSON output for the show commands\n"
		"  -n, --no-pager          accepted for occtl compatibility (never pages)\n"
		"      --debug             print protocol details on stderr\n"
		"  -h, --help              this help\n"
		"  -v, --version           print the version\n\n"
		"Commands:\n%s",
		OCCTL_DEFAULT_SOCKET, occtl_commands_help);
}

/* Connect and send c's request. Returns the connection, or -1 (said why). */
static int send_request(const struct opts *o, const struct occtl_cmd *c)
{
	CtlRequest req = CTL_REQUEST__INIT;
	int fd, r;

	if (c->name != NULL)
		req.name = (char *)c->name;
	if (c->has_id) {
		req.has_id = true;
		req.id = c->id;
	}
	if (c->all) {
		req.has_all = true;
		req.all = true;
	}
	fd = ctl_connect(o->socket);
	if (fd < 0) {
		fprintf(stderr, "occtl-modern: cannot connect to %s: %s%s\n", o->socket,
			ctl_strerror(fd),
			fd == -ENOENT || fd == -ECONNREFUSED
			? " (is ocserv-modern running? is occtl-socket-file the same? try -s)"
			: fd == -EACCES ? " (not allowed: see occtl-socket-mode/-group)" : "");
		return -1;
	}
	if (o->debug)
		fprintf(stderr, "occtl-modern: sending %s\n", ctl_cmd_str(c->cmd));
	r = ctl_send_request(fd, c->cmd, &req);
	if (r < 0) {
		fprintf(stderr, "occtl-modern: %s: %s\n", ctl_cmd_str(c->cmd), ctl_strerror(r));
		close(fd);
		return -1;
	}
	return fd;
}

/* Print what rendering wrote, or say why it could not. Returns the exit status. */
static int printed(int r)
{
	if (r == 0 && fflush(stdout) != 0)
		r = -errno;
	if (r < 0) {
		fprintf(stderr, "occtl-modern: writing the output: %s\n", strerror(-r));
		return 1;
	}
	return 0;
}

/* A reply that says the command failed: said on stderr. */
static bool refused(const CtlReply *rep)
{
	if (rep->ok)
		return false;
	fprintf(stderr, "occtl-modern: %s\n", rep->error ? rep->error : "the command failed");
	return true;
}

/* show events: the reply, then one line per event until the server goes. */
static int stream_events(const struct opts *o, int fd)
{
	struct ctl_stream s = { 0 };
	const uint8_t *payload;
	size_t plen;
	uint8_t type;
	CtlReply *rep;
	int r = ctl_stream_next(fd, &s, OCCTL_TIMEOUT_MS, &type, &payload, &plen);

	if (r == 0 && type != CTL_REPLY(CTL_CMD_EVENTS))
		r = CTL_E_TYPE;
	rep = r == 0 ? ctl_reply_unpack(payload, plen) : NULL;
	if (r == 0 && rep == NULL)
		r = CTL_E_UNPACK;
	if (rep != NULL && refused(rep))
		r = 1;
	if (rep != NULL)
		ctl_reply__free_unpacked(rep, NULL);
	while (r == 0) {
		CtlEvent *e;

		r = ctl_stream_next(fd, &s, -1, &type, &payload, &plen);
		if (r == 0 && type != CTL_EVENT)
			r = CTL_E_TYPE;
		e = r == 0 ? ctl_event_unpack(payload, plen) : NULL;
		if (r == 0 && e == NULL)
			r = CTL_E_UNPACK;
		if (e != NULL && printed(render_event(stdout, o->json, e)) != 0)
			r = 1;
		if (e != NULL)
			ctl_event__free_unpacked(e, NULL);
	}
	if (r < 0)
		fprintf(stderr, "occtl-modern: show events: %s\n", ctl_strerror(r));
	ctl_stream_free(&s);
	close(fd);
	return 1; /* a stream only ends when something went wrong */
}

/* reset, as occtl's: the terminal back to a sane state, the screen cleared. */
static int reset_terminal(void)
{
#ifdef HAVE_LIBEDIT
	rl_reset_terminal(NULL);
#endif
	if (isatty(STDOUT_FILENO))
		fputs("\033c", stdout); /* RIS: reset to initial state */
	return printed(0);
}

/* Run one parsed command. Returns the exit status. */
static int run(const struct opts *o, const struct occtl_cmd *c)
{
	CtlReply *rep = NULL, none = CTL_REPLY__INIT;
	int fd, r;

	if (c->kind == RENDER_RESET)
		return reset_terminal();
	if (c->cmd == 0) /* answered here: nothing to ask the server */
		return printed(render_reply(stdout, c->kind, o->json, &none));
	fd = send_request(o, c);
	if (fd < 0)
		return 1;
	if (c->cmd == CTL_CMD_EVENTS)
		return stream_events(o, fd);
	r = ctl_recv_reply(fd, c->cmd, OCCTL_TIMEOUT_MS, &rep);
	close(fd);
	if (r < 0) {
		fprintf(stderr, "occtl-modern: %s: %s\n", ctl_cmd_str(c->cmd), ctl_strerror(r));
		return 1;
	}
	if (o->debug)
		fprintf(stderr, "occtl-modern: reply ok=%d conns=%zu sessions=%zu bans=%zu\n",
			rep->ok, rep->n_conns, rep->n_sessions, rep->n_bans);
	if (refused(rep)) {
		ctl_reply__free_unpacked(rep, NULL);
		return 1;
	}
	r = render_reply(stdout, c->kind, o->json && (c->is_show || c->kind == RENDER_ACTION), rep);
	ctl_reply__free_unpacked(rep, NULL);
	return printed(r);
}

static int run_words(const struct opts *o, int argc, char *const argv[])
{
	struct occtl_cmd c;
	char err[512];

	if (occtl_parse(argc, argv, &c, err, sizeof(err)) < 0) {
		fprintf(stderr, "occtl-modern: %s\n", err);
		return EXIT_USAGE;
	}
	return run(o, &c);
}

/* --- the prompt ----------------------------------------------------------- */

/* One line of input: with line editing and history when built with
 * libedit and talking to a terminal, else a plain read. NULL at the end. */
static char *read_line(bool tty)
{
	char *line = NULL;
	size_t cap = 0;

#ifdef HAVE_LIBEDIT
	if (tty) {
		line = readline("occtl-modern> ");
		if (line != NULL && line[0] != '\0')
			add_history(line);
		return line;
	}
#endif
	if (tty) {
		fputs("occtl-modern> ", stdout);
		fflush(stdout);
	}
	if (getline(&line, &cap, stdin) < 0) {
		free(line);
		return NULL;
	}
	return line;
}

static int interactive(const struct opts *o)
{
	bool tty = isatty(STDIN_FILENO);
	int last = 0;

	if (tty)
		printf("occtl-modern %s, socket %s. Type 'help' for the commands, 'exit' to leave.\n",
		       PACKAGE_VERSION, o->socket);
	for (;;) {
		char *argv[16];
		char *line = read_line(tty);
		int n;

		if (line == NULL) {
			if (tty)
				putchar('\n');
			return last;
		}
		n = occtl_split(line, argv, 16);
		if (n < 0) {
			fprintf(stderr, "occtl-modern: too many words\n");
			last = EXIT_USAGE;
		} else if (n == 0 || argv[0][0] == '#') {
			/* blank line or comment */
		} else if (strcmp(argv[0], "exit") == 0 || strcmp(argv[0], "quit") == 0) {
			free(line);
			return last;
		} else if (strcmp(argv[0], "help") == 0 || strcmp(argv[0], "?") == 0) {
			fputs(occtl_commands_help, stdout);
			last = 0;
		} else {
			last = run_words(o, n, argv);
		}
		free(line);
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket-file", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "no-pager", no_argument, NULL, 'n' },
		{ "debug", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .socket = OCCTL_DEFAULT_SOCKET };
	int opt;

	/* "+": stop at the first command word, so "show id 5" is never an option */
	while ((opt = getopt_long(argc, argv, "+s:jnhv", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			o.socket = optarg;
			break;
		case 'j':
			o.json = true;
			break;
		case 'n':
			break;
		case 'D':
			o.debug = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'v':
			printf("occtl-modern %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (o.socket[0] == '\0') {
		fprintf(stderr, "occtl-modern: --socket-file: empty path\n");
		return EXIT_USAGE;
	}
	if (optind == argc)
		return interactive(&o);
	if (argc - optind == 1 && strcmp(argv[optind], "help") == 0) {
		usage(stdout);
		return 0;
	}
	return run_words(&o, argc - optind, argv + optind);
}
