# SPDX-License-Identifier: MIT
# man/local.mk - the manual pages, included from Makefile.am.
#
# Every page is written as man/PAGE.in and built at make time through $(do_subst), so that the
# paths it names (@sysconfdir@, @systemdsystemunitdir@, @docdir@, ...) are the configured ones
# and every footer says "shmbroker @VERSION@" with the same @RELEASE_DATE@ (configure.ac).
# Section 3 documents the library (client/shmbroker.h); a page that documents several calls
# gets a one-line ".so" page for each of the others. tests/docs/check-docs.sh (make check)
# holds the pages to the programs' --help, the library's symbols and each other.

man_subst_pages = \
	man/shmbrokerd.8 \
	man/shmbrokerctl.1 \
	man/shmbroker.conf.5 \
	man/libshmbroker.3 \
	man/shmb_connect.3 \
	man/shmb_create.3 \
	man/shmb_open.3 \
	man/shmb_unlink.3 \
	man/shmb_stat.3 \
	man/shmb_list.3 \
	man/shmb_map.3 \
	man/shmb_reason_text.3 \
	man/shmb_resize.3 \
	man/shmb_publish.3 \
	man/shmb_wait.3 \
	man/shmb_watch.3 \
	man/shmb_app_socket.3 \
	man/shmb_status.3 \
	man/shmb_explain.3 \
	man/libshmbroker-preload.3 \
	$(NULL)

# Calls documented on another call's page.
man_connect_links = \
	man/shmb_client_free.3 \
	man/shmb_client_set_timeout.3 \
	man/shmb_socket_path.3 \
	$(NULL)
man_open_links = \
	man/shmb_open_batch.3 \
	man/shmb_client_set_open_cache.3 \
	$(NULL)
# Each of these is documented on the page named by its link target, below.
man_other_links = \
	man/shmb_create2.3 \
	man/shmb_stat2.3 \
	man/shmb_list2.3 \
	man/shmb_list_details.3 \
	man/shmb_client_last_reason.3 \
	man/shmb_watch_next.3 \
	man/shmb_status_free.3 \
	man/shmb_unlink2.3 \
	$(NULL)

nodist_man_MANS = \
	$(man_subst_pages) \
	$(man_connect_links) \
	$(man_open_links) \
	$(man_other_links) \
	$(NULL)
EXTRA_DIST += $(man_subst_pages:=.in)
CLEANFILES += $(nodist_man_MANS)

$(man_subst_pages): %: %.in Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && $(do_subst) < $< > $@
$(man_connect_links): Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && echo '.so man3/shmb_connect.3' > $@
$(man_open_links): Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && echo '.so man3/shmb_open.3' > $@
man/shmb_create2.3: Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && echo '.so man3/shmb_create.3' > $@
man/shmb_stat2.3: Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && echo '.so man3/shmb_stat.3' > $@
man/shmb_list2.3 man/shmb_list_details.3: Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && echo '.so man3/shmb_list.3' > $@
man/shmb_client_last_reason.3: Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && echo '.so man3/shmb_reason_text.3' > $@
man/shmb_watch_next.3: Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && echo '.so man3/shmb_watch.3' > $@
man/shmb_status_free.3: Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && echo '.so man3/shmb_status.3' > $@
man/shmb_unlink2.3: Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && echo '.so man3/shmb_unlink.3' > $@

# ---------------------------------------------------------------- check-docs.sh
# Runs in the build directory (the built pages are in man/), with $SHMBROKERD, $SHMBROKERCTL
# and $SHMB_TOP_SRCDIR from AM_TESTS_ENVIRONMENT.
TESTS += tests/docs/check-docs.sh
EXTRA_DIST += tests/docs/check-docs.sh
