# SPDX-License-Identifier: MIT
# python/local.mk - the Python module shmbroker, included from Makefile.am.
#
# Pure Python over libshmbroker.so.1 (ctypes), installed into $(pythondir) for the Python
# configure found (PYTHON=... picks another; see configure.ac). Its pytest suite runs in
# make check through tests/python/run-pytest.sh.

python_PYTHON = python/shmbroker.py

TESTS += tests/python/run-pytest.sh
EXTRA_DIST += \
	python/local.mk \
	tests/python/run-pytest.sh \
	tests/python/conftest.py \
	tests/python/test_shmbroker.py \
	$(NULL)
AM_TESTS_ENVIRONMENT += PYTHON='$(PYTHON)'; export PYTHON;
