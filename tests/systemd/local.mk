# SPDX-License-Identifier: MIT
# tests/systemd/local.mk - everything systemd, included from Makefile.am.
#
# Besides the systemd tests this fragment also installs the units and the sysusers.d and
# tmpfiles.d entries from units/: they live here, next to the tests that check them, so that one
# file says what is shipped and how it is checked. It does not touch the daemon's build.
#
#   make                        builds units/shmbrokerd.service from its .in (@sbindir@)
#   make install                units, sysusers.d/shmbroker.conf, tmpfiles.d/shmbroker.conf
#   make check                  also runs test-systemd (this test plays the service manager)
#                               and check-static.sh (systemd-analyze verify and security)
#   make check-systemd-static   check-static.sh alone, printing the security table
#   make check-systemd          (root) builds the Debian packages (debian/), checks them with
#                               lintian, installs them into Debian 12 booted with systemd in
#                               systemd-nspawn and checks them for real; slow, not in
#                               "make check"

# ---------------------------------------------------------------- units
dist_systemdsystemunit_DATA = units/shmbrokerd.socket
nodist_systemdsystemunit_DATA = units/shmbrokerd.service
# sysusers.d(5) and tmpfiles.d(5) want PACKAGE.conf: the sources (.in, through $(do_subst) like
# the service) are built under the installed name in a subdirectory of the build tree.
nodist_sysusers_DATA = units/sysusers.d/shmbroker.conf
nodist_tmpfiles_DATA = units/tmpfiles.d/shmbroker.conf

EXTRA_DIST += \
	units/shmbrokerd.service.in \
	units/shmbroker.sysusers.in \
	units/shmbroker.tmpfiles.in \
	$(NULL)
CLEANFILES += \
	$(nodist_systemdsystemunit_DATA) \
	$(nodist_sysusers_DATA) \
	$(nodist_tmpfiles_DATA) \
	$(NULL)

units/shmbrokerd.service: units/shmbrokerd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && $(do_subst) < $< > $@
units/sysusers.d/shmbroker.conf: units/shmbroker.sysusers.in Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && $(do_subst) < $< > $@
units/tmpfiles.d/shmbroker.conf: units/shmbroker.tmpfiles.in Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && $(do_subst) < $< > $@

# ---------------------------------------------------------------- test-systemd
check_PROGRAMS += tests/integration/test-systemd
tests_integration_test_systemd_SOURCES = \
	tests/integration/test-systemd.c \
	tests/helpers/testlib.c \
	tests/helpers/testlib.h \
	$(NULL)
tests_integration_test_systemd_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/client
tests_integration_test_systemd_CFLAGS = $(test_c_flags) $(LIBSYSTEMD_CFLAGS)
tests_integration_test_systemd_LDFLAGS = $(test_ld_flags)
tests_integration_test_systemd_LDADD = \
	client/libshmbroker.la \
	proto/libshmbproto.la \
	$(CMOCKA_LIBS) \
	$(LIBSYSTEMD_LIBS) \
	$(NULL)

# check-static.sh reads the unit template and daemon/privs.h from $SHMB_TOP_SRCDIR and runs
# against $SHMBROKERD (AM_TESTS_ENVIRONMENT); it skips (77) without systemd-analyze.
TESTS += \
	tests/integration/test-systemd \
	tests/systemd/check-static.sh \
	$(NULL)

# ---------------------------------------------------------------- check-systemd(-static)
EXTRA_DIST += \
	tests/systemd/check-static.sh \
	tests/systemd/run-nspawn.sh \
	tests/systemd/nspawn-inner.sh \
	tests/systemd/pkg-client.c \
	tests/systemd/shmb-nspawn-test.service \
	$(NULL)

check-systemd-static: daemon/shmbrokerd
	$(AM_V_at)SHMB_TOP_SRCDIR='$(abs_top_srcdir)' \
		SHMBROKERD='$(abs_top_builddir)/daemon/shmbrokerd' \
		$(SHELL) '$(abs_top_srcdir)/tests/systemd/check-static.sh'

# The packages are built from a copy of the source tree and installed into a cached Debian 12
# root; see run-nspawn.sh for the cache and its variables.
check-systemd:
	$(AM_V_at)SHMB_TOP_SRCDIR='$(abs_top_srcdir)' \
		$(SHELL) '$(abs_top_srcdir)/tests/systemd/run-nspawn.sh'

.PHONY: check-systemd check-systemd-static
