#!/bin/sh
# SPDX-License-Identifier: MIT
# run-pytest.sh - the Python module's pytest suite (tests/python), from "make check".
#
# Needs root (it starts a daemon and runs checks as other uids): skipped (77) without. Runs
# the module from the source tree over the build tree's libshmbroker.so.1. The interpreter is
# $PYTHON (configure's) if it has pytest, else the system's /usr/bin/python3 (Debian's
# python3-pytest); with neither the suite fails, so that a missing package is not mistaken
# for a pass. Nothing is written into the source tree (no bytecode, no pytest cache), so it
# also runs from a read-only one (make distcheck).
set -u
srcdir=${SHMB_TOP_SRCDIR:?run from make check}
builddir=$(pwd)

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: the Python suite needs root (it runs as other users)"
	exit 77
fi
py=
for p in "${PYTHON:-}" /usr/bin/python3 python3; do
	[ -n "$p" ] || continue
	if "$p" -c 'import pytest' >/dev/null 2>&1; then
		py=$p
		break
	fi
done
if [ -z "$py" ]; then
	echo "FAIL: no Python with pytest (${PYTHON:-python3}, /usr/bin/python3): apt-get install python3-pytest"
	exit 1
fi

unset LD_PRELOAD
# A sanitizer build: python3 is not instrumented, the libshmbroker.so.1 it loads is, so ASan's
# runtime must come first; python3's own allocations are no leaks of ours.
if [ -n "${SHMB_ASAN_RUNTIME:-}" ]; then
	LD_PRELOAD=$SHMB_ASAN_RUNTIME
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	export LD_PRELOAD ASAN_OPTIONS
fi
PYTHONPATH=$srcdir/python${PYTHONPATH:+:$PYTHONPATH}
LD_LIBRARY_PATH=$builddir/client/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
PYTHONDONTWRITEBYTECODE=1
export PYTHONPATH LD_LIBRARY_PATH PYTHONDONTWRITEBYTECODE
unset SHMBROKER_SOCKET
echo "python: $py ($("$py" --version 2>&1))"
exec "$py" -m pytest -q -p no:cacheprovider --rootdir="$srcdir/tests/python" \
	"$srcdir/tests/python"
