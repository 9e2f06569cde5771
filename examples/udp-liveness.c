/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * udp-liveness: the smallest server that lets libocsm-liveness decide when
 * its peer is dead. One UDP socket, one peer, one tunnel machine, one
 * libev timer. A datagram's first byte is its kind, as the engine names
 * them (0 data, 1 DPD request, 2 DPD response, 3 keepalive, 4 disconnect);
 * the rest is payload.
 *
 * The server answers the peer's DPD requests and keepalives as the engine
 * says, probes the peer when it falls silent, and ends the tunnel when the
 * engine says so (DPD timeout, idle timeout or the peer's disconnect),
 * printing the reason and exiting. Build it against the installed library:
 *
 *   cc -o udp-liveness udp-liveness.c $(pkg-config --cflags --libs ocsm-liveness) -lev
 *   ./udp-liveness PORT [DPD-MS [IDLE-MS]]
 */
#include <arpa/inet.h>
#include <ev.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vpn/ev-adapter.h>
#include <vpn/tunnel.h>

struct server {
	int fd;
	struct sockaddr_in peer;
	socklen_t peer_len;
	struct vpn_tunnel tunnel;
	struct vpn_ev_timer timer;
	ev_io io;
	vpn_ms_t start;
};

static void send_frame(struct server *s, enum vpn_frame_kind kind, const uint8_t *payload,
		       size_t len)
{
	uint8_t buf[1500];

	if (s->peer_len == 0 || len + 1 > sizeof(buf))
		return;
	buf[0] = (uint8_t)kind;
	memcpy(buf + 1, payload, len);
	sendto(s->fd, buf, len + 1, 0, (struct sockaddr *)&s->peer, s->peer_len);
	vpn_tunnel_on_tx(&s->tunnel, VPN_CHAN_CSTP, kind, len, vpn_now_ms());
}

/* Perform what the engine asked for, on the one channel we have. */
static void perform(struct server *s, unsigned acts, const uint8_t *payload, size_t len)
{
	if (acts & VPN_ACT_SEND_DPD_RESP)
		send_frame(s, VPN_FRAME_DPD_RESP, payload, len);
	if (acts & VPN_ACT_SEND_KEEPALIVE)
		send_frame(s, VPN_FRAME_KEEPALIVE, NULL, 0);
	if (acts & VPN_ACT_SEND_DPD_REQ_CSTP) {
		uint8_t probe[VPN_DPD_PAYLOAD_LEN];

		vpn_tunnel_probe_payload(&s->tunnel, VPN_CHAN_CSTP, probe);
		printf("%6lld ms: peer silent, DPD probe sent\n",
		       (long long)(vpn_now_ms() - s->start));
		send_frame(s, VPN_FRAME_DPD_REQ, probe, sizeof(probe));
	}
	if (acts & VPN_ACT_END) {
		printf("%6lld ms: tunnel ended: %s\n", (long long)(vpn_now_ms() - s->start),
		       vpn_end_reason_str(vpn_tunnel_end_reason(&s->tunnel)));
		vpn_ev_timer_stop(&s->timer);
		ev_io_stop(EV_DEFAULT, &s->io);
		ev_break(EV_DEFAULT, EVBREAK_ALL);
	}
	fflush(stdout);
}

/* The timer adapter asks for the composed deadline and fires at it. */
static vpn_ms_t expiry(void *owner)
{
	return vpn_tunnel_expiry(&((struct server *)owner)->tunnel);
}

static void fire(void *owner, vpn_ms_t now)
{
	struct server *s = owner;

	perform(s, vpn_tunnel_handle_expiry(&s->tunnel, now), NULL, 0);
}

static void on_datagram(struct ev_loop *loop, ev_io *w, int revents)
{
	struct server *s = w->data;
	uint8_t buf[1500];
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	ssize_t n = recvfrom(s->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
	unsigned acts;

	(void)loop;
	(void)revents;
	if (n < 1 || buf[0] > VPN_FRAME_DISCONNECT)
		return; /* not a frame of ours: ignored, the peer stays as silent as it was */
	s->peer = from;
	s->peer_len = flen;
	acts = vpn_tunnel_on_rx(&s->tunnel, VPN_CHAN_CSTP, (enum vpn_frame_kind)buf[0], buf + 1,
				(size_t)n - 1, vpn_now_ms());
	perform(s, acts, buf + 1, (size_t)n - 1);
	/* every event may move the deadline: one comparison, re-arm if earlier */
	vpn_ev_timer_update(&s->timer);
}

int main(int argc, char **argv)
{
	struct server s = { .peer_len = 0 };
	struct vpn_tunnel_cfg cfg = {
		.dpd_ms = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000,
		.dpd_retries = 2,
		.keepalive_ms = 0,
		.idle_ms = argc > 3 ? strtoull(argv[3], NULL, 10) : 0,
		.session_deadline_ms = VPN_NEVER,
	};
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	if (argc < 2 || vpn_tunnel_cfg_check(&cfg) != 0) {
		fprintf(stderr, "usage: %s PORT [DPD-MS [IDLE-MS]]\n", argv[0]);
		return 2;
	}
	sa.sin_port = htons((uint16_t)atoi(argv[1]));
	s.fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (s.fd < 0 || bind(s.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("udp-liveness: socket");
		return 1;
	}
	s.start = vpn_now_ms();
	vpn_tunnel_init(&s.tunnel, &cfg, s.start);
	vpn_ev_timer_init(&s.timer, EV_DEFAULT, expiry, fire, &s);
	vpn_ev_timer_update(&s.timer);
	ev_io_init(&s.io, on_datagram, s.fd, EV_READ);
	s.io.data = &s;
	ev_io_start(EV_DEFAULT, &s.io);
	printf("listening on 127.0.0.1:%s, dpd %llu ms\n", argv[1], (unsigned long long)cfg.dpd_ms);
	fflush(stdout);
	ev_run(EV_DEFAULT, 0);
	close(s.fd);
	return 0;
}
