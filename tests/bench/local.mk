# SPDX-License-Identifier: MIT
# Included from Makefile.am: "make bench", the side-by-side benchmark (not part of make check).
# It needs root; without it it says so and is skipped. BENCHMARKS.md explains the rows.
#
#   make bench                      # about a minute on 2 CPUs
#   make bench BENCH_ARGS=--quick   # a ~20 s smoke run
#   make bench BENCH_ARGS='--json bench.json'

EXTRA_PROGRAMS += tests/bench/shmb-bench tests/bench/naive-broker
tests_bench_shmb_bench_SOURCES = \
	tests/bench/shmb-bench.c \
	tests/bench/bench-util.c \
	tests/helpers/testlib.c \
	tests/helpers/testlib.h \
	tests/bench/bench-util.h \
	tests/bench/naive-broker.h \
	tests/bench/bench-preload.c \
	tests/bench/bench-preload.h \
	$(NULL)
tests_bench_shmb_bench_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/client \
	-I$(top_srcdir)/proto \
	-DSHMB_BENCH_DAEMON='"$(abs_top_builddir)/daemon/shmbrokerd"' \
	-DSHMB_BENCH_NAIVE='"$(abs_top_builddir)/tests/bench/naive-broker"' \
	-DSHMB_BENCH_FAKECLOCK='"$(abs_top_builddir)/tests/helpers/.libs/fakeclock.so"' \
	-DSHMB_BENCH_PRELOAD='"$(abs_top_builddir)/client/.libs/libshmbroker-preload.so"'
tests_bench_shmb_bench_CFLAGS = $(test_c_flags) $(LIBACL_CFLAGS)
# -no-install: a real binary (no libtool wrapper), so perf and gdb see the program itself.
tests_bench_shmb_bench_LDFLAGS = $(test_ld_flags) -no-install
tests_bench_shmb_bench_LDADD = client/libshmbroker.la proto/libshmbproto.la $(LIBACL_LIBS) -lm
CLEANFILES += tests/bench/shmb-bench$(EXEEXT)

# The baseline of the "naive" rows: shm_open and send the fd, nothing else. Not installed.
tests_bench_naive_broker_SOURCES = tests/bench/naive-broker.c tests/bench/naive-broker.h
tests_bench_naive_broker_CFLAGS = $(prog_c_flags)
tests_bench_naive_broker_LDFLAGS = $(prog_ld_flags) -no-install
tests_bench_naive_broker_LDADD = -lpthread
CLEANFILES += tests/bench/naive-broker$(EXEEXT)
EXTRA_DIST += BENCHMARKS.md

BENCH_ARGS =

.PHONY: bench
# The "lifetimes" rows move a daemon's clock with the fake clock shim of the test suite; the
# "preload" rows load libshmbroker-preload.so.
bench: tests/bench/shmb-bench$(EXEEXT) tests/bench/naive-broker$(EXEEXT) daemon/shmbrokerd$(EXEEXT) \
		tests/helpers/fakeclock.la client/libshmbroker-preload.la
	@SHMBROKERD='$(abs_top_builddir)/daemon/shmbrokerd' \
		SHMB_FAKECLOCK='$(abs_top_builddir)/tests/helpers/.libs/fakeclock.so' \
		SHMB_NAIVE_BROKER='$(abs_top_builddir)/tests/bench/naive-broker' \
		'$(abs_top_builddir)/tests/bench/shmb-bench$(EXEEXT)' $(BENCH_ARGS); \
	r=$$?; test $$r -eq 0 -o $$r -eq 77
