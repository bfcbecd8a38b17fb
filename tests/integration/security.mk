# SPDX-License-Identifier: MIT
# Included from Makefile.am: the security suite, cases 1-100 in groups A-F (test-security.c),
# one cmocka binary against a real daemon. It needs root and skips itself (exit 77) without.

check_PROGRAMS += tests/integration/test-security
tests_integration_test_security_SOURCES = \
	tests/helpers/harness.c \
	tests/helpers/harness.h \
	tests/helpers/testlib.c \
	tests/helpers/testlib.h \
	tests/helpers/security.c \
	tests/helpers/security.h \
	tests/integration/test-security.c \
	tests/integration/test-security-proto.c \
	tests/integration/test-security-auth.c \
	tests/integration/test-security-fs.c \
	tests/integration/test-security-dos.c \
	tests/integration/test-security-daemon.c \
	$(NULL)
tests_integration_test_security_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/client \
	-I$(top_srcdir)/tests/helpers
tests_integration_test_security_CFLAGS = $(test_c_flags) $(LIBACL_CFLAGS)
tests_integration_test_security_LDFLAGS = $(test_ld_flags)
tests_integration_test_security_LDADD = client/libshmbroker.la proto/libshmbproto.la \
	$(LIBACL_LIBS) $(CMOCKA_LIBS)

TESTS += tests/integration/test-security

# Case 100 (a seccomp filter like the unit's) on its own: a sanitized daemon cannot run under
# the filter, so in an --enable-sanitizers build this binary alone is SKIP, not the suite.
check_PROGRAMS += tests/integration/test-security-seccomp
tests_integration_test_security_seccomp_SOURCES = \
	tests/helpers/harness.c \
	tests/helpers/harness.h \
	tests/helpers/testlib.c \
	tests/helpers/testlib.h \
	tests/helpers/security.c \
	tests/helpers/security.h \
	tests/integration/test-security-seccomp.c \
	$(NULL)
tests_integration_test_security_seccomp_CPPFLAGS = $(tests_integration_test_security_CPPFLAGS)
tests_integration_test_security_seccomp_CFLAGS = $(test_c_flags) $(LIBACL_CFLAGS)
tests_integration_test_security_seccomp_LDFLAGS = $(test_ld_flags)
tests_integration_test_security_seccomp_LDADD = $(tests_integration_test_security_LDADD)

TESTS += tests/integration/test-security-seccomp

# Fairness under attack: quotas that hold while clients hold objects, growth charged, uids
# served in turn. Its own binary, on the same helpers.
check_PROGRAMS += tests/integration/test-fairness
tests_integration_test_fairness_SOURCES = \
	tests/helpers/harness.c \
	tests/helpers/harness.h \
	tests/helpers/testlib.c \
	tests/helpers/testlib.h \
	tests/helpers/security.c \
	tests/helpers/security.h \
	tests/integration/test-fairness.c \
	$(NULL)
tests_integration_test_fairness_CPPFLAGS = $(tests_integration_test_security_CPPFLAGS)
tests_integration_test_fairness_CFLAGS = $(test_c_flags) $(LIBACL_CFLAGS)
tests_integration_test_fairness_LDFLAGS = $(test_ld_flags)
tests_integration_test_fairness_LDADD = $(tests_integration_test_security_LDADD)

TESTS += tests/integration/test-fairness

# An LD_PRELOAD shim that moves a daemon's CLOCK_MONOTONIC while it runs (test_d76: the log
# rate limit's 10 s interval passes at once). Built as a module (the .so in .libs/); not
# installed, not instrumented.
check_LTLIBRARIES += tests/helpers/fakeclock.la
tests_helpers_fakeclock_la_SOURCES = tests/helpers/fakeclock.c
tests_helpers_fakeclock_la_CFLAGS = $(WARN_CFLAGS)
tests_helpers_fakeclock_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
AM_TESTS_ENVIRONMENT += \
	SHMB_FAKECLOCK=$(abs_top_builddir)/tests/helpers/.libs/fakeclock.so; \
	export SHMB_FAKECLOCK;

# An LD_PRELOAD shim that makes the name service slow for one uid until the test opens a gate
# (test-fairness: a slow lookup delays only the connection that needs it).
check_LTLIBRARIES += tests/helpers/slownss.la
tests_helpers_slownss_la_SOURCES = tests/helpers/slownss.c
tests_helpers_slownss_la_CFLAGS = $(WARN_CFLAGS)
tests_helpers_slownss_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
tests_helpers_slownss_la_LIBADD = -ldl
AM_TESTS_ENVIRONMENT += \
	SHMB_SLOWNSS=$(abs_top_builddir)/tests/helpers/.libs/slownss.so; \
	export SHMB_SLOWNSS;

# An LD_PRELOAD shim that kills the daemon at a system call the test names, once armed
# (test-lifecycle: a removal cut short by a crash is finished by the next start).
check_LTLIBRARIES += tests/helpers/crashat.la
tests_helpers_crashat_la_SOURCES = tests/helpers/crashat.c
tests_helpers_crashat_la_CFLAGS = $(WARN_CFLAGS)
tests_helpers_crashat_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
tests_helpers_crashat_la_LIBADD = -ldl
AM_TESTS_ENVIRONMENT += \
	SHMB_CRASHAT=$(abs_top_builddir)/tests/helpers/.libs/crashat.so; \
	export SHMB_CRASHAT;

# The registry suite of issue 8: each finding of the outside review as a regression test,
# plus hostile timing. Needs root; skips itself (exit 77) without.
check_PROGRAMS += tests/integration/test-registry
tests_integration_test_registry_SOURCES = \
	tests/helpers/harness.c \
	tests/helpers/harness.h \
	tests/helpers/testlib.c \
	tests/helpers/testlib.h \
	tests/helpers/security.c \
	tests/helpers/security.h \
	tests/helpers/registry.c \
	tests/helpers/registry.h \
	tests/integration/test-registry.c \
	tests/integration/test-registry-list.c \
	tests/integration/test-registry-reload.c \
	tests/integration/test-registry-restart.c \
	tests/integration/test-registry-race.c \
	tests/integration/test-registry-kept.c \
	tests/integration/test-registry-cache.c \
	$(NULL)
tests_integration_test_registry_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/client \
	-I$(top_srcdir)/tests/helpers
tests_integration_test_registry_CFLAGS = $(test_c_flags) $(LIBACL_CFLAGS)
tests_integration_test_registry_LDFLAGS = $(test_ld_flags)
tests_integration_test_registry_LDADD = client/libshmbroker.la proto/libshmbproto.la \
	$(LIBACL_LIBS) $(CMOCKA_LIBS)

TESTS += tests/integration/test-registry

# The lifecycle suite of issue 13: lifetimes (process, span, restarts), publish, wait and
# watch, the cleanup view. Needs root; skips itself (exit 77) without. The span cases run the
# daemon under the fake clock shim above.
check_PROGRAMS += tests/integration/test-lifecycle
tests_integration_test_lifecycle_SOURCES = \
	tests/helpers/harness.c \
	tests/helpers/harness.h \
	tests/helpers/testlib.c \
	tests/helpers/testlib.h \
	tests/helpers/security.c \
	tests/helpers/security.h \
	tests/helpers/registry.c \
	tests/helpers/registry.h \
	tests/helpers/lifecycle.c \
	tests/helpers/lifecycle.h \
	tests/integration/test-lifecycle.c \
	tests/integration/test-lifecycle-process.c \
	tests/integration/test-lifecycle-span.c \
	tests/integration/test-lifecycle-publish.c \
	tests/integration/test-lifecycle-wait.c \
	tests/integration/test-lifecycle-view.c \
	$(NULL)
tests_integration_test_lifecycle_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/client \
	-I$(top_srcdir)/tests/helpers
tests_integration_test_lifecycle_CFLAGS = $(test_c_flags) $(LIBACL_CFLAGS)
tests_integration_test_lifecycle_LDFLAGS = $(test_ld_flags)
tests_integration_test_lifecycle_LDADD = client/libshmbroker.la proto/libshmbproto.la \
	$(LIBACL_LIBS) $(CMOCKA_LIBS)

TESTS += tests/integration/test-lifecycle
