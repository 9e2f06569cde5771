# bench/: ocserv-modern side by side with Debian's ocserv 1.1.6, the same
# settings, the same real openconnect client, the same namespace topology
# (bench/README.md). Root only; installs what it needs with apt-get. Never
# part of make check.
#
#   make bench                        full run (about 15 minutes)
#   make bench BENCH_ARGS=--quick     a few minutes
#   make bench BENCH_ARGS='--quick --only dpd,connect'

BENCH_ARGS =

# ocload: N real clients (libopenconnect, one thread each) in one process,
# for the scale runs (bench/README.md).
if HAVE_OPENCONNECT
noinst_PROGRAMS += bench/ocload/ocload
bench_ocload_ocload_SOURCES = bench/ocload/ocload.c
bench_ocload_ocload_CFLAGS = $(AM_CFLAGS) $(OPENCONNECT_CFLAGS) -pthread
bench_ocload_ocload_LDADD = $(OPENCONNECT_LIBS) -lpthread
endif
EXTRA_DIST += bench/ocload/ocload.c

bench: all
	top_builddir='$(abs_top_builddir)' '$(abs_top_srcdir)/bench/run' $(BENCH_ARGS)
.PHONY: bench

# The session store on its own (no root, no network): write cost per state
# change, start-up with 100,000 stored sessions. make bench-store [STORE_ARGS=-n 1000]
STORE_ARGS =
EXTRA_PROGRAMS += bench/store-bench
bench_store_bench_SOURCES = bench/store-bench.c
CLEANFILES += bench/store-bench
bench-store: bench/store-bench
	top_builddir='$(abs_top_builddir)' '$(abs_top_srcdir)/bench/store' $(STORE_ARGS)
.PHONY: bench-store

EXTRA_DIST += \
	bench/run \
	bench/cluster-resume \
	bench/cluster-login \
	bench/scale \
	bench/waiting \
	bench/store \
	bench/README.md \
	bench/lib/common.sh \
	bench/lib/dpd.sh \
	bench/lib/idle.sh \
	bench/lib/mem.sh \
	bench/lib/tput.sh \
	bench/lib/connect.sh \
	bench/lib/ocprobe.py \
	bench/lib/cluster_login.py \
	bench/lib/strace_idle.py \
	bench/lib/report.py \
	bench/lib/scale.sh \
	bench/lib/scale.py \
	bench/lib/procsnap.py \
	bench/scale-2026-12-03.png \
	bench/lib/waiting.sh \
	bench/lib/waiting.py
