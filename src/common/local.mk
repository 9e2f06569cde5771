# src/common: what every process shares: the logger, the IPC framing and its
# protobuf-c messages (ipc.proto, generated into the build tree), the
# bounded send queue, the tun devices' ioctls (MTU, TUNSETIFF), the
# ocserv.conf parser and the ocpasswd file reader.
noinst_LIBRARIES += src/common/libcommon.a
src_common_libcommon_a_SOURCES = \
	src/common/log.c src/common/log.h \
	src/common/utf8.c src/common/utf8.h \
	src/common/ipc.c src/common/ipc.h \
	src/common/sendq.c src/common/sendq.h \
	src/common/tun.c src/common/tun.h \
	src/common/conf.c src/common/conf.h \
	src/common/ports.c src/common/ports.h \
	src/common/ratelimit.c src/common/ratelimit.h \
	src/common/passwd.c src/common/passwd.h \
	src/common/cert.c src/common/cert.h \
	src/common/privs.c src/common/privs.h \
	src/common/cluster-rec.c src/common/cluster-rec.h
nodist_src_common_libcommon_a_SOURCES = src/common/ipc.pb-c.c src/common/ipc.pb-c.h
BUILT_SOURCES += src/common/ipc.pb-c.c src/common/ipc.pb-c.h
CLEANFILES += src/common/ipc.pb-c.c src/common/ipc.pb-c.h
EXTRA_DIST += src/common/ipc.proto
dist_doc_DATA += doc/sample.config doc/config-reference.md
