/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "common/tun.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"

bool tun_prefix_valid(const char *prefix)
{
	size_t len = prefix ? strlen(prefix) : 0;

	/* room for "%d" while asking and up to 3 digits once named */
	if (len == 0 || len > IFNAMSIZ - 4)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)prefix[i];

		if (c <= ' ' || c == '%' || c == '/' || c == ':' || c >= 0x7f)
			return false;
	}
	return true;
}

int tun_open(const char *prefix, struct tun *out)
{
	struct ifreq ifr;
	int fd, r;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	if (!tun_prefix_valid(prefix)) {
		log_err("device prefix '%s' is not usable for a tun device name", prefix ? prefix : "");
		return -EINVAL;
	}
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		log_err("opening /dev/net/tun: %s", strerror(errno));
		return r;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	/* "%d": the kernel picks the first free number */
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s%%d", prefix);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		r = -errno;
		log_err("creating tun device %s: %s", ifr.ifr_name, strerror(errno));
		close(fd);
		return r;
	}
	/* The data path never waits: the worker reads and writes it with ev_io. */
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	out->fd = fd;
	memcpy(out->name, ifr.ifr_name, sizeof(out->name));
	out->name[sizeof(out->name) - 1] = '\0';
	return 0;
}

void tun_close(struct tun *t)
{
	if (t->fd >= 0) {
		close(t->fd);
		t->fd = -1;
	}
}

/* An ifreq naming the device, or -EINVAL for a name no device can have. */
static int ifreq_for(struct ifreq *ifr, const char *name)
{
	if (name == NULL || name[0] == '\0' || strlen(name) >= sizeof(ifr->ifr_name))
		return -EINVAL;
	memset(ifr, 0, sizeof(*ifr));
	memcpy(ifr->ifr_name, name, strlen(name));
	return 0;
}

/* SIOCGIFMTU / SIOCSIFMTU on ifr through a throwaway socket: 0 or -errno. */
static int mtu_ioctl(unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	if (s < 0)
		return -errno;
	r = ioctl(s, req, ifr) < 0 ? -errno : 0;
	close(s);
	return r;
}

unsigned tun_get_mtu(const char *name)
{
	struct ifreq ifr;

	if (ifreq_for(&ifr, name) < 0 || mtu_ioctl(SIOCGIFMTU, &ifr) < 0 || ifr.ifr_mtu <= 0)
		return 0;
	return (unsigned)ifr.ifr_mtu;
}

int tun_set_mtu(const char *name, unsigned mtu)
{
	struct ifreq ifr;

	if (ifreq_for(&ifr, name) < 0)
		return -EINVAL;
	ifr.ifr_mtu = (int)mtu;
	return mtu_ioctl(SIOCSIFMTU, &ifr);
}
