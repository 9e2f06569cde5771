# tests/fuzz: a libFuzzer target for every parser and for each process's
# handling of its peers' messages. Configure with CC=clang --enable-fuzzing:
# then every object carries the fuzzer's instrumentation (FUZZ_CFLAGS) and
# these programs link libFuzzer (LIBFUZZER_FLAGS).
#
#   make fuzz [FUZZ_SECONDS=60]     every target, -j2 runs two at a time
FUZZ_TARGETS += \
	tests/fuzz/fuzz-vpn-packet \
	tests/fuzz/fuzz-vpn-tunnel \
	tests/fuzz/fuzz-ipc \
	tests/fuzz/fuzz-config \
	tests/fuzz/fuzz-config-user \
	tests/fuzz/fuzz-ports \
	tests/fuzz/fuzz-cstp \
	tests/fuzz/fuzz-dtls-record \
	tests/fuzz/fuzz-dtls-legacy \
	tests/fuzz/fuzz-proxy \
	tests/fuzz/fuzz-http \
	tests/fuzz/fuzz-xmlauth \
	tests/fuzz/fuzz-secmod \
	tests/fuzz/fuzz-radius-map \
	tests/fuzz/fuzz-store \
	tests/fuzz/fuzz-cluster-rec \
	tests/fuzz/fuzz-occtl \
	tests/fuzz/fuzz-passwd \
	tests/fuzz/fuzz-pamh \
	tests/fuzz/fuzz-cert \
	tests/fuzz/fuzz-main-worker
EXTRA_DIST += $(FUZZ_TARGETS:=.c) tests/fuzz/seeds

if ENABLE_FUZZING
noinst_PROGRAMS += $(FUZZ_TARGETS)
LIBFUZZER_FLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_vpn_packet_LDFLAGS = $(LIBFUZZER_FLAGS)
tests_fuzz_fuzz_vpn_tunnel_LDFLAGS = $(LIBFUZZER_FLAGS)
tests_fuzz_fuzz_ipc_LDFLAGS = $(LIBFUZZER_FLAGS)
tests_fuzz_fuzz_config_LDFLAGS = $(LIBFUZZER_FLAGS)
tests_fuzz_fuzz_config_user_LDFLAGS = $(LIBFUZZER_FLAGS)
tests_fuzz_fuzz_ports_LDFLAGS = $(LIBFUZZER_FLAGS)
tests_fuzz_fuzz_cstp_LDFLAGS = $(LIBFUZZER_FLAGS)
tests_fuzz_fuzz_dtls_record_LDFLAGS = $(LIBFUZZER_FLAGS)
tests_fuzz_fuzz_dtls_legacy_LDFLAGS = $(LIBFUZZER_FLAGS)
tests_fuzz_fuzz_proxy_LDFLAGS = $(LIBFUZZER_FLAGS)
tests_fuzz_fuzz_http_LDFLAGS = $(LIBFUZZER_FLAGS)
tests_fuzz_fuzz_xmlauth_LDFLAGS = $(LIBFUZZER_FLAGS)
tests_fuzz_fuzz_secmod_LDFLAGS = $(LIBFUZZER_FLAGS)
tests_fuzz_fuzz_radius_map_LDFLAGS = $(LIBFUZZER_FLAGS)
tests_fuzz_fuzz_store_LDFLAGS = $(LIBFUZZER_FLAGS)
tests_fuzz_fuzz_cluster_rec_LDFLAGS = $(LIBFUZZER_FLAGS)
tests_fuzz_fuzz_occtl_LDFLAGS = $(LIBFUZZER_FLAGS)
tests_fuzz_fuzz_passwd_LDFLAGS = $(LIBFUZZER_FLAGS)
tests_fuzz_fuzz_pamh_LDFLAGS = $(LIBFUZZER_FLAGS)
tests_fuzz_fuzz_cert_LDFLAGS = $(LIBFUZZER_FLAGS)
tests_fuzz_fuzz_main_worker_LDFLAGS = $(LIBFUZZER_FLAGS)
endif

FUZZ_SECONDS = 60
FUZZ_RUNS = $(FUZZ_TARGETS:%=%.fuzzrun)
# The generated headers first: a target named on the command line skips
# BUILT_SOURCES.
fuzz: $(BUILT_SOURCES)
	@test -n "$(FUZZ_TARGETS)" || { echo "no fuzz targets"; exit 1; }
	$(MAKE) $(AM_MAKEFLAGS) $(FUZZ_TARGETS)
	$(MAKE) $(AM_MAKEFLAGS) $(FUZZ_RUNS)
	@echo "fuzzing: all $(words $(FUZZ_TARGETS)) targets ran $(FUZZ_SECONDS) s each without a failure"
$(FUZZ_RUNS): %.fuzzrun: %
	@name=$$(basename $<); corpus=$(abs_top_builddir)/fuzz-corpus/$$name; \
	mkdir -p $$corpus; \
	seeds=$(abs_top_srcdir)/tests/fuzz/seeds/$$name; \
	test -d $$seeds || seeds=; \
	rc=0; ./$< -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	   $$corpus $$seeds > fuzz-$$name.log 2>&1 || rc=$$?; \
	runs=$$(sed -n 's/^stat::number_of_executed_units: *//p' fuzz-$$name.log); \
	if test $$rc -ne 0; then \
	  tail -n 40 fuzz-$$name.log; \
	  echo "fuzz target $$name FAILED (exit $$rc), see fuzz-$$name.log"; exit 1; \
	fi; \
	echo "fuzz target $$name: $$runs inputs in $(FUZZ_SECONDS) s, no failure"
.PHONY: fuzz $(FUZZ_RUNS)

clean-local:
	-rm -rf fuzz-corpus fuzz-*.log
