# src/sec-mod: the security module, a process main forks at start. It checks
# logins, mints cookies and owns the session records (session-table.c)
# with their timers; sec-mod-proc.c is the process around the core.
noinst_LIBRARIES += src/sec-mod/libsecmod.a
src_sec_mod_libsecmod_a_SOURCES = \
	src/sec-mod/sec-mod.c src/sec-mod/sec-mod.h \
	src/sec-mod/sec-mod-proc.c \
	src/sec-mod/sec-mod-key.c src/sec-mod/sec-mod-key.h \
	src/sec-mod/sec-mod-cert.c src/sec-mod/sec-mod-cert.h \
	src/sec-mod/session-table.c src/sec-mod/session-table.h \
	src/sec-mod/cookie.c src/sec-mod/cookie.h \
	src/sec-mod/store.c src/sec-mod/store.h \
	src/sec-mod/radius-map.c src/sec-mod/radius-map.h \
	src/sec-mod/offload.c src/sec-mod/offload.h \
	src/sec-mod/auth.c src/sec-mod/auth.h src/sec-mod/auth-otp.c \
	src/sec-mod/sec-mod-cluster.c src/sec-mod/sec-mod-cluster.h \
	src/sec-mod/auth-pam.c src/sec-mod/pam-helper.c src/sec-mod/pam-helper.h \
	src/sec-mod/session-attrs.c src/sec-mod/session-attrs.h \
	src/sec-mod/acct.c src/sec-mod/acct.h \
	src/sec-mod/radius.c src/sec-mod/radius.h
