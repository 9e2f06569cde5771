# src/config.mk: the ocserv.conf-syntax parser (src/conf.c; not "config.h",
# which is autoconf's) and the ocpasswd password file checker, built into
# src/libconfig.a for main and the worker. Link with $(CRYPT_LIBS).
noinst_LIBRARIES += src/libconfig.a
src_libconfig_a_SOURCES = src/conf.c src/conf.h src/passwd.c src/passwd.h
