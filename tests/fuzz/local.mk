# SPDX-License-Identifier: MIT
# Included from Makefile.am: the fuzz targets.
#
# Each tests/fuzz/fuzz-<target>.c defines LLVMFuzzerTestOneInput().
#  - "make check" links it with fuzz-main.c, a plain main() built with the project's compiler
#    and flags, and replays tests/fuzz/corpus/fuzz-<target>/ (seeds, inputs kept from fuzzing
#    runs, and regression-* files for bugs found).
#  - "make fuzz [FUZZ_SECONDS=60] [FUZZ_CC=clang]" builds them with clang and libFuzzer (plus
#    ASan and UBSan) straight from the sources, and fuzzes each for FUZZ_SECONDS against a copy
#    of its corpus in tests/fuzz/run/. Crashes land in tests/fuzz/artifacts/.
#  - "make fuzz-merge" then adds what the run found, minimised (-merge=1), to the corpus in the
#    source tree. Review it and save crashes as corpus/<target>/regression-<what>.
# CI runs only the replay.

fuzz_targets = \
	fuzz-protocol \
	fuzz-policy \
	fuzz-conn \
	fuzz-journal \
	$(NULL)

# ---------------------------------------------------------------- replay (make check)
fuzz_replay_sources = \
	tests/fuzz/fuzz.h \
	tests/fuzz/fuzz-main.c \
	$(NULL)

check_PROGRAMS += tests/fuzz/fuzz-protocol
tests_fuzz_fuzz_protocol_SOURCES = \
	tests/fuzz/fuzz-protocol.c \
	$(fuzz_replay_sources) \
	$(NULL)
tests_fuzz_fuzz_protocol_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS_DIR='"$(abs_top_srcdir)/tests/fuzz/corpus/fuzz-protocol"'
tests_fuzz_fuzz_protocol_CFLAGS = $(test_c_flags)
tests_fuzz_fuzz_protocol_LDFLAGS = $(test_ld_flags)
tests_fuzz_fuzz_protocol_LDADD = proto/libshmbproto.la

check_PROGRAMS += tests/fuzz/fuzz-policy
tests_fuzz_fuzz_policy_SOURCES = \
	tests/fuzz/fuzz-policy.c \
	$(fuzz_replay_sources) \
	$(NULL)
tests_fuzz_fuzz_policy_CPPFLAGS = $(daemon_libshmbd_la_CPPFLAGS) \
	-DFUZZ_CORPUS_DIR='"$(abs_top_srcdir)/tests/fuzz/corpus/fuzz-policy"'
tests_fuzz_fuzz_policy_CFLAGS = $(test_c_flags)
tests_fuzz_fuzz_policy_LDFLAGS = $(test_ld_flags)
tests_fuzz_fuzz_policy_LDADD = daemon/libshmbd.la

check_PROGRAMS += tests/fuzz/fuzz-conn
tests_fuzz_fuzz_conn_SOURCES = \
	tests/fuzz/fuzz-conn.c \
	$(fuzz_replay_sources) \
	$(NULL)
tests_fuzz_fuzz_conn_CPPFLAGS = $(daemon_libshmbd_la_CPPFLAGS) \
	-DFUZZ_CORPUS_DIR='"$(abs_top_srcdir)/tests/fuzz/corpus/fuzz-conn"'
tests_fuzz_fuzz_conn_CFLAGS = $(test_c_flags)
tests_fuzz_fuzz_conn_LDFLAGS = $(test_ld_flags)
tests_fuzz_fuzz_conn_LDADD = daemon/libshmbd.la

check_PROGRAMS += tests/fuzz/fuzz-journal
tests_fuzz_fuzz_journal_SOURCES = \
	tests/fuzz/fuzz-journal.c \
	$(fuzz_replay_sources) \
	$(NULL)
tests_fuzz_fuzz_journal_CPPFLAGS = $(daemon_libshmbd_la_CPPFLAGS) \
	-DFUZZ_CORPUS_DIR='"$(abs_top_srcdir)/tests/fuzz/corpus/fuzz-journal"'
tests_fuzz_fuzz_journal_CFLAGS = $(test_c_flags)
tests_fuzz_fuzz_journal_LDFLAGS = $(test_ld_flags)
tests_fuzz_fuzz_journal_LDADD = daemon/libshmbd.la

TESTS += \
	tests/fuzz/fuzz-protocol \
	tests/fuzz/fuzz-policy \
	tests/fuzz/fuzz-conn \
	tests/fuzz/fuzz-journal \
	$(NULL)

# The corpus directories, copied whole: their files come and go with every fuzzing run.
EXTRA_DIST += tests/fuzz/corpus

# ---------------------------------------------------------------- libFuzzer (make fuzz)
FUZZ_SECONDS = 60
FUZZ_CC = clang
FUZZ_CFLAGS = -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
# Extra libFuzzer options, e.g. FUZZ_ARGS='-jobs=4 -workers=4' or '-max_len=8192'.
FUZZ_ARGS =

fuzz_cppflags = \
	-include $(top_builddir)/config.h \
	-I$(top_srcdir)/proto \
	-iquote $(top_srcdir)/daemon \
	-DSHMB_POLICY_DIR='"$(sysconfdir)/shmbroker/policy.d"' \
	$(NULL)
# Taken from the library source lists, so a new daemon file is fuzzed without edits here.
fuzz_proto_c = $(addprefix $(top_srcdir)/,$(filter %.c,$(proto_libshmbproto_la_SOURCES)))
fuzz_daemon_c = $(addprefix $(top_srcdir)/,$(filter %.c,$(daemon_libshmbd_la_SOURCES)))
fuzz_headers = $(wildcard $(top_srcdir)/proto/*.h $(top_srcdir)/daemon/*.h \
	$(top_srcdir)/tests/fuzz/*.h)
fuzz_daemon_libs = $(LIBSYSTEMD_LIBS) $(LIBACL_LIBS) $(LIBCAP_LIBS)
fuzz_binaries = $(foreach t,$(fuzz_targets),tests/fuzz/$(t)-libfuzzer)

tests/fuzz/fuzz-protocol-libfuzzer: $(top_srcdir)/tests/fuzz/fuzz-protocol.c $(fuzz_proto_c) \
		$(fuzz_headers) config.h
	$(AM_V_CCLD)$(MKDIR_P) $(@D) && $(FUZZ_CC) $(fuzz_cppflags) $(FUZZ_CFLAGS) \
		-o $@ $(filter %.c,$^)

tests/fuzz/fuzz-policy-libfuzzer: $(top_srcdir)/tests/fuzz/fuzz-policy.c $(fuzz_proto_c) \
		$(fuzz_daemon_c) $(fuzz_headers) config.h
	$(AM_V_CCLD)$(MKDIR_P) $(@D) && $(FUZZ_CC) $(fuzz_cppflags) $(FUZZ_CFLAGS) \
		-o $@ $(filter %.c,$^) $(fuzz_daemon_libs)

tests/fuzz/fuzz-conn-libfuzzer: $(top_srcdir)/tests/fuzz/fuzz-conn.c $(fuzz_proto_c) \
		$(fuzz_daemon_c) $(fuzz_headers) config.h
	$(AM_V_CCLD)$(MKDIR_P) $(@D) && $(FUZZ_CC) $(fuzz_cppflags) $(FUZZ_CFLAGS) \
		-o $@ $(filter %.c,$^) $(fuzz_daemon_libs)

tests/fuzz/fuzz-journal-libfuzzer: $(top_srcdir)/tests/fuzz/fuzz-journal.c $(fuzz_proto_c) \
		$(fuzz_daemon_c) $(fuzz_headers) config.h
	$(AM_V_CCLD)$(MKDIR_P) $(@D) && $(FUZZ_CC) $(fuzz_cppflags) $(FUZZ_CFLAGS) \
		-o $@ $(filter %.c,$^) $(fuzz_daemon_libs)

fuzz-build: $(fuzz_binaries)

# Each target fuzzes a copy of its corpus, so the source tree changes only by fuzz-merge.
# A target that crashes does not stop the others; make fails at the end.
fuzz: $(fuzz_binaries)
	@failed=; for t in $(fuzz_targets); do \
		work=tests/fuzz/run/$$t; \
		$(MKDIR_P) $$work tests/fuzz/artifacts || exit 1; \
		cp -R $(top_srcdir)/tests/fuzz/corpus/$$t/. $$work/ && chmod -R u+w $$work || exit 1; \
		echo "  FUZZ     $$t for $(FUZZ_SECONDS)s"; \
		tests/fuzz/$$t-libfuzzer -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=tests/fuzz/artifacts/$$t- $(FUZZ_ARGS) $$work \
			|| failed="$$failed $$t"; \
	done; \
	if test -n "$$failed"; then \
		echo "Fuzzing failed:$$failed; see tests/fuzz/artifacts/"; exit 1; \
	fi

# Adds to the source corpus only the inputs of the last run that bring new coverage.
fuzz-merge: $(fuzz_binaries)
	@set -e; for t in $(fuzz_targets); do \
		test -d tests/fuzz/run/$$t || continue; \
		echo "  MERGE    $$t"; \
		tests/fuzz/$$t-libfuzzer -merge=1 $(FUZZ_ARGS) \
			$(top_srcdir)/tests/fuzz/corpus/$$t tests/fuzz/run/$$t; \
	done

fuzz-clean:
	-rm -rf tests/fuzz/run tests/fuzz/artifacts $(fuzz_binaries)

.PHONY: fuzz fuzz-build fuzz-merge fuzz-clean
CLEANFILES += $(fuzz_binaries)
