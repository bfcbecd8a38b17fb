# SPDX-License-Identifier: MIT
# tests/integration/apps.mk - the tests of sandboxed apps (issue 10), included from
# Makefile.am: libshmbroker-preload.so against a real daemon (test-preload), and the
# sandboxed flows in bwrap (test-sandbox). Both need root and skip themselves (77) without.

# A plain shm_open(3) program, run with and without the shim. Links nothing of ours but
# proto/'s pure codec, with which its hostile peer (the fdreuse-hostile step) answers.
check_PROGRAMS += tests/helpers/shm-probe
tests_helpers_shm_probe_SOURCES = tests/helpers/shm-probe.c
tests_helpers_shm_probe_CFLAGS = $(prog_c_flags)
tests_helpers_shm_probe_LDFLAGS = $(prog_ld_flags) -no-install
tests_helpers_shm_probe_LDADD = proto/libshmbproto.la -lpthread

apps_test_sources = \
	tests/helpers/harness.c \
	tests/helpers/harness.h \
	tests/helpers/testlib.c \
	tests/helpers/testlib.h \
	$(NULL)
apps_test_cppflags = $(AM_CPPFLAGS) -I$(top_srcdir)/client -I$(top_srcdir)/tests/helpers
apps_test_ldadd = client/libshmbroker.la proto/libshmbproto.la $(CMOCKA_LIBS)

check_PROGRAMS += tests/integration/test-preload
tests_integration_test_preload_SOURCES = tests/integration/test-preload.c $(apps_test_sources)
tests_integration_test_preload_CPPFLAGS = $(apps_test_cppflags)
tests_integration_test_preload_CFLAGS = $(test_c_flags)
tests_integration_test_preload_LDFLAGS = $(test_ld_flags)
tests_integration_test_preload_LDADD = $(apps_test_ldadd)
TESTS += tests/integration/test-preload

check_PROGRAMS += tests/integration/test-sandbox
tests_integration_test_sandbox_SOURCES = tests/integration/test-sandbox.c $(apps_test_sources)
tests_integration_test_sandbox_CPPFLAGS = $(apps_test_cppflags)
tests_integration_test_sandbox_CFLAGS = $(test_c_flags)
tests_integration_test_sandbox_LDFLAGS = $(test_ld_flags)
tests_integration_test_sandbox_LDADD = $(apps_test_ldadd)
TESTS += tests/integration/test-sandbox

EXTRA_DIST += tests/integration/apps.mk tests/helpers/app-socket-ctl
AM_TESTS_ENVIRONMENT += \
	SHMB_PROBE=$(abs_top_builddir)/tests/helpers/shm-probe; export SHMB_PROBE; \
	SHMB_PRELOAD=$(abs_top_builddir)/client/.libs/libshmbroker-preload.so; \
	export SHMB_PRELOAD; \
	SHMB_TOP_BUILDDIR=$(abs_top_builddir); export SHMB_TOP_BUILDDIR; \
	SHMB_ASAN_RUNTIME='$(ASAN_RUNTIME)'; export SHMB_ASAN_RUNTIME; \
	$(NULL)
