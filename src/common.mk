# src/log.c: the logger shared by every process.
noinst_LIBRARIES += src/libcommon.a
src_libcommon_a_SOURCES = src/log.c src/log.h
