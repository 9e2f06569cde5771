# src/worker: ocserv-modern-worker, one process per TCP connection: TLS, the
# HTTP login relayed to sec-mod, the CONNECT, the CSTP and DTLS data path,
# driven by one instance of the liveness engine. worker.c holds main().
noinst_LIBRARIES += src/worker/libworker.a
src_worker_libworker_a_SOURCES = \
	src/worker/worker.h \
	src/worker/worker-connect.c src/worker/worker-connect.h \
	src/worker/worker-reply.c src/worker/worker-reply.h \
	src/worker/worker-http.c \
	src/worker/worker-profile.c src/worker/worker-profile.h \
	src/worker/worker-tunnel.c \
	src/worker/worker-tlsio.c src/worker/worker-tlsio.h \
	src/worker/worker-dtls.c src/worker/worker-dtls.h \
	src/worker/worker-key.c src/worker/worker-key.h \
	src/worker/sandbox.c src/worker/sandbox.h

sbin_PROGRAMS += src/worker/ocserv-modern-worker
src_worker_ocserv_modern_worker_SOURCES = src/worker/worker.c src/worker/zygote.c \
	src/worker/zygote.h
src_worker_ocserv_modern_worker_LDADD = $(PROJECT_LIBS) $(SYSTEM_LIBS)
