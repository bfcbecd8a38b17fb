# SPDX-License-Identifier: MIT
# Included from Makefile.am: the shmbrokerctl suite (issues 10, 11 and 13), the real binary
# against a real daemon as several users, its --json output read with json-c. It needs root
# and skips itself (exit 77) without.

check_PROGRAMS += tests/integration/test-ctl
tests_integration_test_ctl_SOURCES = \
	tests/helpers/harness.c \
	tests/helpers/harness.h \
	tests/helpers/testlib.c \
	tests/helpers/testlib.h \
	tests/helpers/ctltest.c \
	tests/helpers/ctltest.h \
	tests/integration/test-ctl.c \
	$(NULL)
tests_integration_test_ctl_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/client \
	-I$(top_srcdir)/tests/helpers
tests_integration_test_ctl_CFLAGS = $(test_c_flags) $(JSON_C_CFLAGS)
tests_integration_test_ctl_LDFLAGS = $(test_ld_flags)
tests_integration_test_ctl_LDADD = client/libshmbroker.la proto/libshmbproto.la \
	$(JSON_C_LIBS) $(CMOCKA_LIBS)

TESTS += tests/integration/test-ctl
