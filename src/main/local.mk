# src/main: the main process, ocserv-modern. It listens, forks sec-mod,
# spawns a worker per connection, owns the address pool, the tun devices,
# the routing of DTLS datagrams, the bans, the scripts and the control
# socket. main.c holds main(); everything else is in libmain.a.
noinst_LIBRARIES += src/main/libmain.a
src_main_libmain_a_SOURCES = \
	src/main/main.h \
	src/main/main-worker.c \
	src/main/main-zygote.c src/main/main-zygote.h \
	src/main/worker-proc.c src/main/worker-proc.h \
	src/main/main-session.c src/main/main-session.h \
	src/main/main-peruser.c src/main/main-peruser.h \
	src/main/main-pools.c src/main/main-pools.h \
	src/main/main-lease6.c src/main/main-lease6.h \
	src/main/main-config.c src/main/main-config.h \
	src/main/main-listen.c src/main/main-listen.h \
	src/main/main-proxy.c src/main/main-proxy.h \
	src/main/main-ctl.c src/main/main-ctl.h \
	src/main/ctl-access.c src/main/ctl-access.h \
	src/main/main-secmod.c src/main/main-secmod.h \
	src/main/main-script.c src/main/main-script.h \
	src/main/main-udp.c src/main/main-udp.h \
	src/main/main-notify.c src/main/main-notify.h \
	src/main/tun-netlink.c src/main/tun-netlink.h \
	src/main/tun-closer.c src/main/tun-closer.h \
	src/main/dtls-route.c src/main/dtls-route.h \
	src/main/ban.c src/main/ban.h \
	src/main/metrics.c src/main/metrics.h \
	src/main/main-metrics.c src/main/main-metrics.h \
	src/main/main-events.c src/main/main-events.h \
	src/main/ippool.c src/main/ippool.h \
	src/main/ip6pool.c src/main/ip6pool.h \
	src/main/script-env.c src/main/script-env.h

sbin_PROGRAMS += src/main/ocserv-modern
src_main_ocserv_modern_SOURCES = src/main/main.c
src_main_ocserv_modern_LDADD = $(PROJECT_LIBS) $(SYSTEM_LIBS)
