# SPDX-License-Identifier: MIT
# client/preload.mk - libshmbroker-preload.so, included from Makefile.am.
#
# An LD_PRELOAD module, not a library to link against: built with -module -avoid-version, so
# it installs as $(libdir)/libshmbroker-preload.so with no versioned SONAME, and exports only
# the libc functions it replaces (client/libshmbroker-preload.sym). It talks to the broker
# through libshmbroker.so.1. Its manual page is man/libshmbroker-preload.3.in.

lib_LTLIBRARIES += client/libshmbroker-preload.la
client_libshmbroker_preload_la_SOURCES = \
	client/preload.c \
	client/preload.h \
	client/preload-util.c \
	$(NULL)
client_libshmbroker_preload_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/client
client_libshmbroker_preload_la_LIBADD = client/libshmbroker.la
client_libshmbroker_preload_la_LDFLAGS = \
	$(AM_LDFLAGS) \
	$(LIB_NO_UNDEFINED) \
	-module -avoid-version -shared \
	-Wl,--version-script=$(top_srcdir)/client/libshmbroker-preload.sym \
	$(NULL)
EXTRA_client_libshmbroker_preload_la_DEPENDENCIES = client/libshmbroker-preload.sym
EXTRA_DIST += client/libshmbroker-preload.sym client/preload.mk

# The pure half, without a broker or root.
check_PROGRAMS += tests/unit/test-preload
tests_unit_test_preload_SOURCES = \
	tests/unit/test-preload.c \
	client/preload-util.c \
	client/preload.h \
	$(NULL)
tests_unit_test_preload_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/client
tests_unit_test_preload_CFLAGS = $(test_c_flags)
tests_unit_test_preload_LDFLAGS = $(test_ld_flags)
tests_unit_test_preload_LDADD = $(CMOCKA_LIBS)
TESTS += tests/unit/test-preload
