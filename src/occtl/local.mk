# src/occtl: occtl-modern, the control tool, and the control protocol it
# shares with main (ctl.proto, ctlmsg.c). occtl.c holds main().
noinst_LIBRARIES += src/occtl/libocctl.a
src_occtl_libocctl_a_SOURCES = \
	src/occtl/ctlmsg.c src/occtl/ctlmsg.h \
	src/occtl/json.c src/occtl/json.h \
	src/occtl/render.c src/occtl/render.h \
	src/occtl/cmdline.c src/occtl/cmdline.h
nodist_src_occtl_libocctl_a_SOURCES = src/occtl/ctl.pb-c.c src/occtl/ctl.pb-c.h
BUILT_SOURCES += src/occtl/ctl.pb-c.c src/occtl/ctl.pb-c.h
CLEANFILES += src/occtl/ctl.pb-c.c src/occtl/ctl.pb-c.h
EXTRA_DIST += src/occtl/ctl.proto

bin_PROGRAMS += src/occtl/occtl-modern
src_occtl_occtl_modern_SOURCES = src/occtl/occtl.c
src_occtl_occtl_modern_LDADD = src/occtl/libocctl.a src/common/libcommon.a $(PROTOBUF_C_LIBS) $(LIBEDIT_LIBS)

dist_man_MANS += doc/occtl-modern.8
