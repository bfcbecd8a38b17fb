# SPDX-License-Identifier: MIT
# Included from Makefile.am: the security suite of issue 4 (security.md Part 2, groups A-F),
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
	$(NULL)
tests_integration_test_registry_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/client \
	-I$(top_srcdir)/tests/helpers
tests_integration_test_registry_CFLAGS = $(test_c_flags) $(LIBACL_CFLAGS)
tests_integration_test_registry_LDFLAGS = $(test_ld_flags)
tests_integration_test_registry_LDADD = client/libshmbroker.la proto/libshmbproto.la \
	$(LIBACL_LIBS) $(CMOCKA_LIBS)

TESTS += tests/integration/test-registry
