# src/vpn: the liveness engine. libvpn.a holds the pure state machines (no
# I/O, no clock reads, no libev); libvpnev.a is the libev adapter, the only
# code that reads a clock or arms a timer for them.
noinst_LIBRARIES += src/vpn/libvpn.a src/vpn/libvpnev.a
src_vpn_libvpn_a_SOURCES = \
	src/vpn/time.h \
	src/vpn/dpd.c src/vpn/dpd.h \
	src/vpn/keepalive.c src/vpn/keepalive.h \
	src/vpn/idle.c src/vpn/idle.h \
	src/vpn/dtls.c src/vpn/dtls.h \
	src/vpn/reason.c src/vpn/reason.h \
	src/vpn/session.c src/vpn/session.h \
	src/vpn/tunnel.c src/vpn/tunnel.h \
	src/vpn/counters.c src/vpn/counters.h
src_vpn_libvpnev_a_SOURCES = src/vpn/ev-adapter.c src/vpn/ev-adapter.h
