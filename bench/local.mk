# bench/: ocserv-modern side by side with Debian's ocserv 1.1.6, the same
# settings, the same real openconnect client, the same namespace topology
# (bench/README.md). Root only; installs what it needs with apt-get. Never
# part of make check.
#
#   make bench                        full run (about 15 minutes)
#   make bench BENCH_ARGS=--quick     a few minutes
#   make bench BENCH_ARGS='--quick --only dpd,connect'

BENCH_ARGS =

bench: all
	top_builddir='$(abs_top_builddir)' '$(abs_top_srcdir)/bench/run' $(BENCH_ARGS)
.PHONY: bench

EXTRA_DIST += \
	bench/run \
	bench/README.md \
	bench/lib/common.sh \
	bench/lib/dpd.sh \
	bench/lib/idle.sh \
	bench/lib/mem.sh \
	bench/lib/tput.sh \
	bench/lib/connect.sh \
	bench/lib/ocprobe.py \
	bench/lib/strace_idle.py \
	bench/lib/report.py
