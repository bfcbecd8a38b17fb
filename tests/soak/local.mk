# SPDX-License-Identifier: MIT
# Included from Makefile.am: "make soak", the soak test (not part of make check).
# Many clients, well-behaved and misbehaving, against a private daemon for minutes, sampling
# its RSS and fd count every second and timing the well-behaved clients' calls; prints a table
# and a verdict, exit 0 only when flat and fair. It needs root; without it it says so and is
# skipped. Only its latency histogram has a test in make check (test-soak-hist).
#
#   make soak                                   # 120 s, 32 clients
#   make soak SOAK_ARGS='--duration 300'        # five minutes
#   make soak SOAK_ARGS='--duration 600 --clients 64 --json soak.json'

EXTRA_PROGRAMS += tests/soak/shmb-soak
tests_soak_shmb_soak_SOURCES = \
	tests/soak/shmb-soak.c \
	tests/soak/soak-clients.c \
	tests/soak/soak-hist.c \
	tests/soak/soak-util.c \
	tests/helpers/testlib.c \
	tests/helpers/testlib.h \
	tests/soak/soak-hist.h \
	tests/soak/soak-util.h \
	tests/soak/soak.h \
	$(NULL)
tests_soak_shmb_soak_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/client \
	-DSHMB_SOAK_DAEMON='"$(abs_top_builddir)/daemon/shmbrokerd"'
tests_soak_shmb_soak_CFLAGS = $(test_c_flags)
# -no-install: a real binary (no libtool wrapper), so gdb and strace see the program itself.
tests_soak_shmb_soak_LDFLAGS = $(test_ld_flags) -no-install
tests_soak_shmb_soak_LDADD = client/libshmbroker.la proto/libshmbproto.la -lm
CLEANFILES += tests/soak/shmb-soak$(EXEEXT)

# The soak's latency histogram against sorted samples: pure, part of make check.
check_PROGRAMS += tests/soak/test-soak-hist
tests_soak_test_soak_hist_SOURCES = \
	tests/soak/test-soak-hist.c \
	tests/soak/soak-hist.c \
	tests/soak/soak-hist.h \
	$(NULL)
tests_soak_test_soak_hist_CFLAGS = $(test_c_flags)
tests_soak_test_soak_hist_LDFLAGS = $(test_ld_flags)
tests_soak_test_soak_hist_LDADD = $(CMOCKA_LIBS)
TESTS += tests/soak/test-soak-hist

SOAK_ARGS =

.PHONY: soak
soak: tests/soak/shmb-soak$(EXEEXT) daemon/shmbrokerd$(EXEEXT)
	@SHMBROKERD='$(abs_top_builddir)/daemon/shmbrokerd' \
		'$(abs_top_builddir)/tests/soak/shmb-soak$(EXEEXT)' $(SOAK_ARGS); \
	r=$$?; test $$r -eq 0 -o $$r -eq 77
