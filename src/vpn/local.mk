# src/vpn: the liveness engine: the pure state machines (no I/O, no clock
# reads) and the libev adapter (ev-adapter.c, the only code that reads a
# clock or arms a timer for them). Compiled once, into the convenience
# library libvpn.la that the programs link statically, and installed as the
# shared library libocsm-liveness for other servers (doc/liveness-library.md).
noinst_LTLIBRARIES += src/vpn/libvpn.la
src_vpn_libvpn_la_SOURCES = \
	src/vpn/dpd.c \
	src/vpn/keepalive.c \
	src/vpn/idle.c \
	src/vpn/dtls.c \
	src/vpn/reason.c \
	src/vpn/session.c \
	src/vpn/tunnel.c \
	src/vpn/counters.c \
	src/vpn/ev-adapter.c

# The installed library: its ABI is every vpn_* function of the headers
# below; the version follows libtool's current:revision:age rules.
lib_LTLIBRARIES += src/vpn/libocsm-liveness.la
src_vpn_libocsm_liveness_la_SOURCES =
src_vpn_libocsm_liveness_la_LIBADD = src/vpn/libvpn.la $(LIBEV_LIBS)
src_vpn_libocsm_liveness_la_LDFLAGS = -version-info 0:0:0 -export-symbols-regex '^vpn_' \
	-no-undefined

vpnincludedir = $(includedir)/ocsm-liveness/vpn
vpninclude_HEADERS = \
	src/vpn/time.h \
	src/vpn/dpd.h \
	src/vpn/keepalive.h \
	src/vpn/idle.h \
	src/vpn/dtls.h \
	src/vpn/reason.h \
	src/vpn/session.h \
	src/vpn/counters.h \
	src/vpn/tunnel.h \
	src/vpn/ev-adapter.h

pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = src/vpn/ocsm-liveness.pc
EXTRA_DIST += src/vpn/ocsm-liveness.pc.in
DISTCLEANFILES = src/vpn/ocsm-liveness.pc
dist_man_MANS += doc/ocsm-liveness.3
