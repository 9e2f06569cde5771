/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ocload: many real OpenConnect clients in one process, for the scale runs
 * of bench/. Each client is a thread running libopenconnect (the code of the
 * openconnect program itself): it logs in (or reuses a cookie), brings the
 * tunnel up, and then lets the library's own DPD, keepalives and reconnects
 * run. Its "tun device" is one end of a datagram socketpair, so no kernel
 * tun is needed on the client side; the thread writes a trickle of ICMP
 * echo requests to the gateway's tunnel address into it and counts the
 * replies.
 *
 * Scenarios, on top of the steady state:
 *   freeze  a client stops reading and answering (its thread blocks inside
 *           the library's stats callback), while the kernel still ACKs its
 *           TCP segments: only the gateway's DPD can notice;
 *   cut     every packet of a client's source address is dropped silently
 *           (an nftables set in the client namespace), then let through;
 *   churn   clients drop their connections (openconnect's PAUSE) and
 *           resume with their cookie, at a given rate.
 *
 * Clients bind to the source addresses given with --source, round robin,
 * so that per-address limits of the gateway are not what is measured.
 * Output: one JSON object per client per line (--out), and a summary on
 * stdout. Times are milliseconds of CLOCK_MONOTONIC since the start.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <openconnect.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum client_state { C_NEW, C_LOGIN, C_UP, C_PAUSED, C_FAILED, C_DONE };
static const char *const state_name[] = { "new", "login", "up", "paused", "failed", "done" };

struct client {
	int id;
	pthread_t thread;
	struct openconnect_info *vpn;
	int cmd_fd;                 /* write OC_CMD_* here */
	int tun_app;                /* our end of the tun socketpair */
	char source[INET6_ADDRSTRLEN];
	char vpn_ip[INET_ADDRSTRLEN];
	char *cookie;

	_Atomic int state;
	_Atomic bool frozen;        /* set by the scheduler, read in the stats callback */
	_Atomic bool want_pause;
	pthread_mutex_t lock;
	pthread_cond_t thaw;

	int64_t t_login_start, t_up, t_freeze, t_unfreeze, t_first_err, t_last_connect;
	int64_t resume_start, resume_ms_sum, resume_ms_max;
	_Atomic int64_t last_rx;    /* last echo reply read from the tunnel */
	unsigned connects, resumes, resume_failures;
	_Atomic uint64_t sent, received;
	char error[160];
};

static struct {
	const char *url, *user, *password, *out;
	const char *target;         /* gateway's tunnel address for the trickle */
	char **sources;
	int nsources;
	int clients, ramp_per_s, duration_s, trickle_ms, dpd, dtls;
	double freeze_pct;
	int freeze_at_s, freeze_for_s;
	double cut_pct;
	int cut_at_s, cut_for_s;
	double churn_per_s;
	int verbose;
} opt = {
	.user = "test", .password = "test", .target = "192.168.77.1",
	.clients = 10, .ramp_per_s = 50, .duration_s = 30, .trickle_ms = 1000,
	.freeze_at_s = -1, .cut_at_s = -1,
};

static struct client *clients;
static int64_t t0;
static _Atomic bool stopping;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - t0;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("ocload: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

/* ------------------------------------------------------------ callbacks */

static int accept_cert(void *priv, const char *reason)
{
	(void)priv;
	(void)reason;
	return 0; /* test gateways use self-signed certificates */
}

static int fill_form(void *priv, struct oc_auth_form *form)
{
	for (struct oc_form_opt *o = form->opts; o; o = o->next) {
		if (o->type == OC_FORM_OPT_TEXT)
			openconnect_set_option_value(o, opt.user);
		else if (o->type == OC_FORM_OPT_PASSWORD)
			openconnect_set_option_value(o, opt.password);
	}
	(void)priv;
	return OC_FORM_RESULT_OK;
}

/* The library's progress lines: the ones that mark a (re)connection. */
static void progress(void *priv, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void progress(void *priv, int level, const char *fmt, ...)
{
	struct client *c = priv;
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (strstr(line, "CSTP connected") != NULL) {
		int64_t t = now_ms();

		c->connects++;
		c->t_last_connect = t;
		if (c->connects > 1 && c->resume_start >= 0) {
			int64_t d = t - c->resume_start;

			c->resumes++;
			c->resume_ms_sum += d;
			if (d > c->resume_ms_max)
				c->resume_ms_max = d;
			c->resume_start = -1;
		}
	} else if (level == PRG_ERR && c->t_first_err < 0) {
		c->t_first_err = now_ms();
		snprintf(c->error, sizeof(c->error), "%.*s", (int)strcspn(line, "\n"), line);
	}
	if (opt.verbose)
		fprintf(stderr, "[%d %lld] %s", c->id, (long long)now_ms(), line);
}

/* Bind every socket the library opens to this client's source address. */
static void bind_source(void *priv, int fd)
{
	struct client *c = priv;
	struct sockaddr_in sa = { .sin_family = AF_INET };

	if (c->source[0] == '\0')
		return;
	inet_pton(AF_INET, c->source, &sa.sin_addr);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && opt.verbose)
		fprintf(stderr, "[%d] bind %s: %s\n", c->id, c->source, strerror(errno));
}

/* OC_CMD_STATS lands here, inside the library's main loop: a frozen client
 * blocks until thawed, so it neither reads nor answers anything. */
static void stats_cb(void *priv, const struct oc_stats *st)
{
	struct client *c = priv;

	(void)st;
	pthread_mutex_lock(&c->lock);
	while (atomic_load(&c->frozen) && !atomic_load(&stopping))
		pthread_cond_wait(&c->thaw, &c->lock);
	pthread_mutex_unlock(&c->lock);
}

/* ------------------------------------------------------------- trickle */

static uint16_t ip_sum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (uint32_t)(b[n - 1] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* An ICMP echo request from the client's tunnel address to the target. */
static size_t build_echo(struct client *c, uint8_t *pkt, uint16_t seq)
{
	size_t len = 20 + 8 + 32;
	uint16_t sum;

	memset(pkt, 0, len);
	pkt[0] = 0x45;
	pkt[2] = (uint8_t)(len >> 8);
	pkt[3] = (uint8_t)len;
	pkt[8] = 64;
	pkt[9] = 1; /* ICMP */
	inet_pton(AF_INET, c->vpn_ip, pkt + 12);
	inet_pton(AF_INET, opt.target, pkt + 16);
	sum = ip_sum(pkt, 20);
	pkt[10] = (uint8_t)(sum >> 8);
	pkt[11] = (uint8_t)sum;
	pkt[20] = 8; /* echo request */
	pkt[24] = (uint8_t)(c->id >> 8);
	pkt[25] = (uint8_t)c->id;
	pkt[26] = (uint8_t)(seq >> 8);
	pkt[27] = (uint8_t)seq;
	sum = ip_sum(pkt + 20, len - 20);
	pkt[22] = (uint8_t)(sum >> 8);
	pkt[23] = (uint8_t)sum;
	return len;
}

/* One thread for every client's trickle and tun reads: a poll over all. */
static void *trickle_thread(void *arg)
{
	struct pollfd *pfd = calloc((size_t)opt.clients, sizeof(*pfd));
	int64_t next = now_ms();
	uint16_t seq = 0;

	(void)arg;
	for (int i = 0; i < opt.clients; i++)
		pfd[i] = (struct pollfd){ .fd = clients[i].tun_app, .events = POLLIN };
	while (!atomic_load(&stopping)) {
		int64_t t = now_ms();
		int wait = opt.trickle_ms > 0 ? (int)(next > t ? next - t : 0) : 200;

		if (poll(pfd, (nfds_t)opt.clients, wait) > 0) {
			for (int i = 0; i < opt.clients; i++) {
				uint8_t buf[2048];

				if (!(pfd[i].revents & POLLIN))
					continue;
				while (recv(pfd[i].fd, buf, sizeof(buf), MSG_DONTWAIT) > 28)
					if (buf[9] == 1 && buf[20] == 0) { /* echo reply */
						atomic_fetch_add(&clients[i].received, 1);
						atomic_store(&clients[i].last_rx, now_ms());
					}
			}
		}
		if (opt.trickle_ms <= 0 || now_ms() < next)
			continue;
		next += opt.trickle_ms;
		seq++;
		for (int i = 0; i < opt.clients; i++) {
			struct client *c = &clients[i];
			uint8_t pkt[64];
			size_t n;

			if (atomic_load(&c->state) != C_UP || atomic_load(&c->frozen))
				continue;
			n = build_echo(c, pkt, seq);
			if (send(c->tun_app, pkt, n, MSG_DONTWAIT) == (ssize_t)n)
				atomic_fetch_add(&c->sent, 1);
		}
	}
	free(pfd);
	return NULL;
}

/* -------------------------------------------------------------- clients */

static int client_login(struct client *c)
{
	const struct oc_ip_info *ip;
	int sv[2];

	c->t_login_start = now_ms();
	if (openconnect_parse_url(c->vpn, opt.url) != 0)
		return -1;
	if (c->cookie != NULL)
		openconnect_set_cookie(c->vpn, c->cookie);
	else if (openconnect_obtain_cookie(c->vpn) != 0)
		return -1;
	if (openconnect_make_cstp_connection(c->vpn) != 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	if (openconnect_setup_tun_fd(c->vpn, sv[0]) != 0)
		return -1;
	c->tun_app = sv[1];
	if (opt.dtls && openconnect_setup_dtls(c->vpn, 60) != 0)
		fprintf(stderr, "ocload: client %d: no DTLS\n", c->id);
	if (openconnect_get_ip_info(c->vpn, &ip, NULL, NULL) == 0 && ip->addr)
		snprintf(c->vpn_ip, sizeof(c->vpn_ip), "%s", ip->addr);
	c->t_up = now_ms();
	return 0;
}

static void *client_thread(void *arg)
{
	struct client *c = arg;

	atomic_store(&c->state, C_LOGIN);
	if (client_login(c) < 0) {
		if (c->error[0] == '\0')
			snprintf(c->error, sizeof(c->error), "login or CONNECT failed");
		atomic_store(&c->state, C_FAILED);
		return NULL;
	}
	atomic_store(&c->state, C_UP);
	while (!atomic_load(&stopping)) {
		/* reconnect_timeout long enough to ride out every cut we make */
		int rc = openconnect_mainloop(c->vpn, 600, RECONNECT_INTERVAL_MIN);

		if (atomic_load(&stopping))
			break;
		if (rc != 0 || !atomic_load(&c->want_pause)) {
			if (c->error[0] == '\0')
				snprintf(c->error, sizeof(c->error), "main loop ended (%d)", rc);
			atomic_store(&c->state, C_FAILED);
			return NULL;
		}
		/* paused (churn): resume with the cookie at once */
		atomic_store(&c->want_pause, false);
		c->resume_start = now_ms();
		atomic_store(&c->state, C_UP);
	}
	atomic_store(&c->state, C_DONE);
	return NULL;
}

static void client_init(struct client *c, int id)
{
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->tun_app = -1;
	c->t_freeze = c->t_unfreeze = c->t_first_err = c->resume_start = c->t_last_connect = -1;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->thaw, NULL);
	if (opt.nsources > 0)
		snprintf(c->source, sizeof(c->source), "%s", opt.sources[id % opt.nsources]);
	c->vpn = openconnect_vpninfo_new("AnyConnect Linux_64 4.10.07061", accept_cert, NULL,
					 fill_form, progress, c);
	if (c->vpn == NULL)
		die("openconnect_vpninfo_new failed");
	openconnect_set_loglevel(c->vpn, opt.verbose ? PRG_DEBUG : PRG_INFO);
	openconnect_set_protect_socket_handler(c->vpn, bind_source);
	openconnect_set_stats_handler(c->vpn, stats_cb);
	if (opt.dpd > 0)
		openconnect_set_dpd(c->vpn, opt.dpd);
	c->cmd_fd = openconnect_setup_cmd_pipe(c->vpn);
	/* accept_cert() takes any certificate, so the system's CAs could only
	 * cost: libopenconnect parses the whole trust store for every client,
	 * megabytes each, which at 5,000 clients is most of the machine. */
	openconnect_set_system_trust(c->vpn, 0);
}

/* ------------------------------------------------------------ scenarios */

static void freeze(struct client *c, bool on)
{
	char cmd = OC_CMD_STATS;

	pthread_mutex_lock(&c->lock);
	atomic_store(&c->frozen, on);
	if (on)
		c->t_freeze = now_ms();
	else {
		c->t_unfreeze = now_ms();
		pthread_cond_broadcast(&c->thaw);
	}
	pthread_mutex_unlock(&c->lock);
	if (on && write(c->cmd_fd, &cmd, 1) != 1)
		fprintf(stderr, "ocload: client %d: freeze command: %s\n", c->id, strerror(errno));
}

/* Silent drop of every packet to/from the chosen clients' source addresses:
 * an nftables set in this (the clients') network namespace. The table is
 * this process's own (its PID in the name), so that several ocload
 * processes side by side each cut and restore only their own clients, on
 * their own timelines; the addresses go in with one nft command, so every
 * client of the process is cut at the same moment. */
static void cut(const int *ids, int n, bool on)
{
	char table[32], *cmd;
	size_t len, off;

	snprintf(table, sizeof(table), "inet ocload%ld", (long)getpid());
	len = 1024 + (size_t)n * (sizeof(clients[0].source) + 2);
	cmd = malloc(len);
	if (cmd == NULL)
		die("out of memory");
	if (on) {
		snprintf(cmd, len,
			 "nft add table %1$s && "
			 "nft add set %1$s cut '{ type ipv4_addr; }' && "
			 "nft add chain %1$s out '{ type filter hook output priority 0; }' && "
			 "nft add chain %1$s in '{ type filter hook input priority 0; }' && "
			 "nft add rule %1$s out ip saddr @cut drop && "
			 "nft add rule %1$s in ip daddr @cut drop", table);
		if (system(cmd) != 0)
			die("nft: cannot create the cut set (run ocload as root in the clients' namespace)");
		off = (size_t)snprintf(cmd, len, "nft add element %s cut '{ ", table);
		for (int i = 0; i < n; i++)
			off += (size_t)snprintf(cmd + off, len - off, "%s%s", i ? ", " : "",
						clients[ids[i]].source);
		snprintf(cmd + off, len - off, " }'");
		if (n > 0 && system(cmd) != 0)
			die("nft add element failed");
	} else {
		snprintf(cmd, len, "nft delete table %s", table);
		if (system(cmd) != 0)
			fprintf(stderr, "ocload: nft delete table failed\n");
	}
	for (int i = 0; i < n; i++) {
		struct client *c = &clients[ids[i]];

		if (on)
			c->t_freeze = now_ms();
		else
			c->resume_start = c->t_unfreeze = now_ms();
	}
	free(cmd);
}

/* PCT % of the clients, spread evenly over them and never one that
 * `taken` (n_taken ids) already holds: freeze and cut pick disjoint sets. */
static int pick(double pct, const int *taken, int n_taken, int **ids)
{
	int free_n = opt.clients - n_taken, n = (int)(opt.clients * pct / 100.0 + 0.5), k = 0;

	if (n < 1 && pct > 0)
		n = 1;
	if (n > free_n)
		n = free_n;
	*ids = calloc((size_t)(n > 0 ? n : 1), sizeof(int));
	for (int i = 0; i < n; i++) {
		int want = (int)((long)i * free_n / n), seen = -1;

		for (int c = 0; c < opt.clients; c++) {
			bool used = false;

			for (int j = 0; j < n_taken; j++)
				used |= taken[j] == c;
			if (!used && ++seen == want) {
				(*ids)[k++] = c;
				break;
			}
		}
	}
	return k;
}

static void churn_one(void)
{
	static unsigned next;
	char cmd = OC_CMD_PAUSE;

	for (int tries = 0; tries < opt.clients; tries++) {
		struct client *c = &clients[next++ % (unsigned)opt.clients];

		if (atomic_load(&c->state) != C_UP || atomic_load(&c->frozen))
			continue;
		atomic_store(&c->want_pause, true);
		atomic_store(&c->state, C_PAUSED);
		if (write(c->cmd_fd, &cmd, 1) != 1)
			atomic_store(&c->want_pause, false);
		return;
	}
}

/* ------------------------------------------------------------- the run */

static void start_clients(void)
{
	pthread_attr_t attr;
	int64_t start = now_ms();

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (int i = 0; i < opt.clients; i++) {
		int64_t due = start + (int64_t)i * 1000 / (opt.ramp_per_s > 0 ? opt.ramp_per_s : 1000);

		while (now_ms() < due)
			usleep(1000);
		if (pthread_create(&clients[i].thread, &attr, client_thread, &clients[i]) != 0)
			die("pthread_create: %s", strerror(errno));
	}
	pthread_attr_destroy(&attr);
}

static int count_state(int st)
{
	int n = 0;

	for (int i = 0; i < opt.clients; i++)
		n += atomic_load(&clients[i].state) == st;
	return n;
}

static void wait_up(void)
{
	int64_t limit = now_ms() + 120000;

	while (now_ms() < limit && count_state(C_UP) + count_state(C_FAILED) < opt.clients)
		usleep(20000);
	printf("up: %d of %d clients in %.1f s (%d failed)\n", count_state(C_UP), opt.clients,
	       now_ms() / 1000.0, count_state(C_FAILED));
	fflush(stdout);
}

static void scenario(void)
{
	int64_t base = now_ms(), end = base + (int64_t)opt.duration_s * 1000;
	int *fids = NULL, *cids = NULL;
	int nf = pick(opt.freeze_at_s >= 0 ? opt.freeze_pct : 0, NULL, 0, &fids);
	int nc = pick(opt.cut_at_s >= 0 ? opt.cut_pct : 0, fids, nf, &cids);
	bool froze = false, thawed = false, cutting = false, restored = false;
	double churn_due = 0;

	while (now_ms() < end) {
		int64_t t = now_ms() - base;

		if (nf && !froze && t >= opt.freeze_at_s * 1000LL) {
			for (int i = 0; i < nf; i++)
				freeze(&clients[fids[i]], true);
			froze = true;
		}
		if (nf && froze && !thawed && opt.freeze_for_s > 0 &&
		    t >= (opt.freeze_at_s + opt.freeze_for_s) * 1000LL) {
			for (int i = 0; i < nf; i++)
				freeze(&clients[fids[i]], false);
			thawed = true;
		}
		if (nc && !cutting && t >= opt.cut_at_s * 1000LL) {
			cut(cids, nc, true);
			cutting = true;
		}
		if (nc && cutting && !restored && t >= (opt.cut_at_s + opt.cut_for_s) * 1000LL) {
			cut(cids, nc, false);
			restored = true;
		}
		if (opt.churn_per_s > 0) {
			churn_due += opt.churn_per_s / 100.0;
			for (; churn_due >= 1; churn_due -= 1)
				churn_one();
		}
		usleep(10000);
	}
	if (cutting && !restored)
		cut(cids, nc, false);
	free(fids);
	free(cids);
}

static void report(void)
{
	FILE *f = opt.out ? fopen(opt.out, "w") : NULL;
	unsigned long long sent = 0, rcvd = 0;
	unsigned resumes = 0;
	int64_t rmax = 0, rsum = 0;

	for (int i = 0; i < opt.clients; i++) {
		struct client *c = &clients[i];

		sent += c->sent;
		rcvd += c->received;
		resumes += c->resumes;
		rsum += c->resume_ms_sum;
		if (c->resume_ms_max > rmax)
			rmax = c->resume_ms_max;
		if (f == NULL)
			continue;
		fprintf(f, "{\"id\":%d,\"source\":\"%s\",\"vpn_ip\":\"%s\",\"state\":\"%s\","
			"\"connect_ms\":%lld,\"up_at_ms\":%lld,\"connects\":%u,\"resumes\":%u,"
			"\"resume_ms_avg\":%lld,\"resume_ms_max\":%lld,\"pending_resume\":%s,"
			"\"frozen_at_ms\":%lld,\"thawed_at_ms\":%lld,\"last_rx_ms\":%lld,"
			"\"first_error_ms\":%lld,\"last_connect_ms\":%lld,\"sent\":%llu,\"received\":%llu,\"lost\":%lld,"
			"\"error\":\"%s\"}\n",
			c->id, c->source, c->vpn_ip, state_name[atomic_load(&c->state)],
			(long long)(c->t_up >= 0 ? c->t_up - c->t_login_start : -1),
			(long long)c->t_up, c->connects, c->resumes,
			(long long)(c->resumes ? c->resume_ms_sum / c->resumes : -1),
			(long long)c->resume_ms_max, c->resume_start >= 0 ? "true" : "false",
			(long long)c->t_freeze, (long long)c->t_unfreeze,
			(long long)atomic_load(&c->last_rx), (long long)c->t_first_err,
			(long long)c->t_last_connect,
			(unsigned long long)c->sent, (unsigned long long)c->received,
			(long long)c->sent - (long long)c->received, c->error);
	}
	if (f != NULL)
		fclose(f);
	printf("summary: clients %d, up %d, failed %d, resumes %u (avg %lld ms, max %lld ms), "
	       "echo sent %llu, answered %llu\n",
	       opt.clients, count_state(C_UP), count_state(C_FAILED), resumes,
	       (long long)(resumes ? rsum / resumes : 0), (long long)rmax, sent, rcvd);
}

static void stop_all(void)
{
	char cmd = OC_CMD_CANCEL;

	atomic_store(&stopping, true);
	for (int i = 0; i < opt.clients; i++) {
		pthread_mutex_lock(&clients[i].lock);
		pthread_cond_broadcast(&clients[i].thaw);
		pthread_mutex_unlock(&clients[i].lock);
		if (write(clients[i].cmd_fd, &cmd, 1) != 1)
			continue;
	}
	for (int i = 0; i < opt.clients; i++)
		pthread_join(clients[i].thread, NULL);
}

/* --------------------------------------------------------------- options */

static void add_sources(const char *arg)
{
	char *copy = strdup(arg), *save = NULL;

	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *plus = strchr(tok, '+');
		int count = 1;
		struct in_addr a;

		if (plus != NULL) {
			*plus = '\0';
			count = atoi(plus + 1);
		}
		if (inet_pton(AF_INET, tok, &a) != 1 || count < 1)
			die("--source: '%s' is not ADDRESS or ADDRESS+COUNT", tok);
		for (int i = 0; i < count; i++) {
			struct in_addr b = { .s_addr = htonl(ntohl(a.s_addr) + (uint32_t)i) };

			opt.sources = realloc(opt.sources, sizeof(char *) * (size_t)(opt.nsources + 1));
			opt.sources[opt.nsources] = malloc(INET_ADDRSTRLEN);
			inet_ntop(AF_INET, &b, opt.sources[opt.nsources++], INET_ADDRSTRLEN);
		}
	}
	free(copy);
}

static void usage(void)
{
	puts("usage: ocload --url URL [options]\n"
	     "  -n, --clients N          clients (threads), default 10\n"
	     "  -u, --user U  -p, --password P   credentials (all clients)\n"
	     "  -s, --source A[+N][,..]  source addresses, round robin (A+N: N from A)\n"
	     "      --ramp N             new clients per second (default 50)\n"
	     "  -d, --duration S         scenario length after all are up (default 30)\n"
	     "      --trickle MS         one echo request per client every MS (0: none)\n"
	     "      --target IP          echo target, the gateway's tunnel address\n"
	     "      --dpd S              client DPD interval (default: the server's)\n"
	     "      --dtls               also bring up DTLS\n"
	     "      --freeze PCT --freeze-at S [--freeze-for S]\n"
	     "      --cut PCT --cut-at S --cut-for S\n"
	     "      --churn RATE         pause+resume RATE clients per second\n"
	     "  -o, --out FILE           per-client JSON lines\n"
	     "  -v, --verbose");
}

static void parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "url", 1, 0, 'U' }, { "clients", 1, 0, 'n' }, { "user", 1, 0, 'u' },
		{ "password", 1, 0, 'p' }, { "source", 1, 0, 's' }, { "ramp", 1, 0, 'r' },
		{ "duration", 1, 0, 'd' }, { "trickle", 1, 0, 't' }, { "target", 1, 0, 'T' },
		{ "dpd", 1, 0, 'D' }, { "dtls", 0, 0, 'S' }, { "freeze", 1, 0, 'f' },
		{ "freeze-at", 1, 0, 'F' }, { "freeze-for", 1, 0, 'G' }, { "cut", 1, 0, 'c' },
		{ "cut-at", 1, 0, 'C' }, { "cut-for", 1, 0, 'K' }, { "churn", 1, 0, 'R' },
		{ "out", 1, 0, 'o' }, { "verbose", 0, 0, 'v' }, { "help", 0, 0, 'h' }, { 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "n:u:p:s:d:o:vh", lo, NULL)) != -1) {
		switch (ch) {
		case 'U': opt.url = optarg; break;
		case 'n': opt.clients = atoi(optarg); break;
		case 'u': opt.user = optarg; break;
		case 'p': opt.password = optarg; break;
		case 's': add_sources(optarg); break;
		case 'r': opt.ramp_per_s = atoi(optarg); break;
		case 'd': opt.duration_s = atoi(optarg); break;
		case 't': opt.trickle_ms = atoi(optarg); break;
		case 'T': opt.target = optarg; break;
		case 'D': opt.dpd = atoi(optarg); break;
		case 'S': opt.dtls = 1; break;
		case 'f': opt.freeze_pct = atof(optarg); break;
		case 'F': opt.freeze_at_s = atoi(optarg); break;
		case 'G': opt.freeze_for_s = atoi(optarg); break;
		case 'c': opt.cut_pct = atof(optarg); break;
		case 'C': opt.cut_at_s = atoi(optarg); break;
		case 'K': opt.cut_for_s = atoi(optarg); break;
		case 'R': opt.churn_per_s = atof(optarg); break;
		case 'o': opt.out = optarg; break;
		case 'v': opt.verbose = 1; break;
		case 'h': usage(); exit(0);
		default: usage(); exit(2);
		}
	}
	if (opt.url == NULL || opt.clients < 1)
		die("--url and a positive --clients are required (--help)");
	if (opt.cut_pct > 0 && opt.nsources < opt.clients)
		die("--cut needs one source address per client (--source A+N)");
}

int main(int argc, char **argv)
{
	struct rlimit rl = { 1 << 20, 1 << 20 };
	pthread_t trickle;

	struct timespec wall;

	t0 = 0;
	t0 = now_ms();
	clock_gettime(CLOCK_REALTIME, &wall);
	parse_args(argc, argv);
	/* the wall clock of time 0, so that other logs can be compared */
	printf("start: epoch_ms %lld\n", (long long)wall.tv_sec * 1000 + wall.tv_nsec / 1000000);
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	openconnect_init_ssl();
	clients = calloc((size_t)opt.clients, sizeof(*clients));
	for (int i = 0; i < opt.clients; i++)
		client_init(&clients[i], i);
	start_clients();
	wait_up();
	if (pthread_create(&trickle, NULL, trickle_thread, NULL) != 0)
		die("pthread_create: %s", strerror(errno));
	scenario();
	report();
	stop_all();
	pthread_join(trickle, NULL);
	return count_state(C_FAILED) ? 1 : 0;
}
