# SPDX-License-Identifier: MIT
# man/local.mk - the manual pages, included from Makefile.am.
#
# Every page is written as man/PAGE.in and built at make time through $(do_subst), so that the
# paths it names (@sysconfdir@, @systemdsystemunitdir@, @docdir@, ...) are the configured ones
# and every footer says "shmbroker @VERSION@" with the same @RELEASE_DATE@ (configure.ac).

man_subst_pages = \
	man/shmbrokerd.8 \
	man/shmbrokerctl.1 \
	man/shmbroker.conf.5 \
	$(NULL)

nodist_man_MANS = $(man_subst_pages)
EXTRA_DIST += $(man_subst_pages:=.in)
CLEANFILES += $(man_subst_pages)

$(man_subst_pages): %: %.in Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && $(do_subst) < $< > $@
