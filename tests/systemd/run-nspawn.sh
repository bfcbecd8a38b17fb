#!/bin/bash
# SPDX-License-Identifier: MIT
# run-nspawn.sh - "make check-systemd": the Debian packages under a real systemd, booted in a
# container.
#
# 1. A Debian 12 root made by debootstrap (minbase + systemd, systemd-sysv, dbus, acl, procps)
#    is cached in $CACHE/base-$ROOT_KEY and reused while ROOT_KEY is unchanged (bump it when
#    the package list changes). Each run copies it afresh to $CACHE/root-$TREE.
# 2. The packages are built from a copy of the source tree (the files git knows, committed or
#    not, or the whole tree outside git) in $CACHE/build-$TREE with
#    "dpkg-buildpackage -us -uc -b" (DEB_BUILD_OPTIONS=nocheck: "make check" runs those tests),
#    and checked with lintian (errors and warnings fail) when lintian is installed. A small
#    client (pkg-client.c) is built against the libshmbroker-dev package alone.
# 3. The .debs, pkg-client, two test users (a sysusers.d entry: created at boot) and a oneshot
#    shmb-nspawn-test.service that runs nspawn-inner.sh go into the copy. Inside, the checks
#    install the packages with dpkg on the running system, as an administrator would, so the
#    maintainer scripts create the user and directories, enable and start the socket; then
#    they exercise the daemon, upgrade and purge; they write /var/lib/shmb-nspawn/results and
#    power the container off.
# 4. systemd-nspawn --boot --register=no --keep-unit boots it, bounded by $SHMB_NSPAWN_TIMEOUT
#    seconds; the results (host and container) are printed as "N passed, N failed".
#
# "make install" with DESTDIR is not used here: the packages install what it installs, and
# "make distcheck" covers it.
#
# Needs root, debootstrap, systemd-nspawn and the packages' build dependencies (Debian:
# debootstrap, systemd-container, dpkg-dev and debian/control's Build-Depends; installed with
# apt-get when missing), and a Debian mirror (the host's apt sources are used). It works
# without systemd as PID 1 on the host. Exit: 0 all passed, 1 a failure, 77 not root.
#
# Environment: SHMB_TOP_SRCDIR (the source tree; default: two levels up), SHMB_NSPAWN_CACHE
# (default /var/cache/shmbroker-nspawn), SHMB_NSPAWN_MIRROR (default: from the host's apt
# sources), SHMB_NSPAWN_TIMEOUT (default 300), SHMB_NSPAWN_KEEP=1 (keep the root copy).
set -euo pipefail

ROOT_KEY=bookworm-1
PACKAGES=systemd,systemd-sysv,dbus,acl,procps

here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "${SHMB_TOP_SRCDIR:-$here/../..}" && pwd)
cache=${SHMB_NSPAWN_CACHE:-/var/cache/shmbroker-nspawn}
timeout_s=${SHMB_NSPAWN_TIMEOUT:-300}
# One build and root per source tree, so that two checkouts do not share them.
tree=$(printf '%s' "$srcdir" | sha256sum | cut -c1-12)
base="$cache/base-$ROOT_KEY"
build="$cache/build-$tree"
root="$cache/root-$tree"
log="$cache/boot-$tree.log"

t0=$(date +%s)
step() {
	echo "== [$(($(date +%s) - t0))s] $*"
}

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: check-systemd needs root (debootstrap, systemd-nspawn)"
	exit 77
fi

# ---- tools
need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v systemd-nspawn >/dev/null || need+=(systemd-container)
command -v dpkg-buildpackage >/dev/null || need+=(dpkg-dev)
if [ ${#need[@]} -gt 0 ]; then
	step "installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq "${need[@]}" >/dev/null
fi

# The first deb URI of the host's apt sources (deb822 or one-line), unless given.
mirror=${SHMB_NSPAWN_MIRROR:-}
if [ -z "$mirror" ]; then
	mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*debian\)[[:space:]]*$/\1/p' \
		/etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1 || true)
fi
if [ -z "$mirror" ] && [ -r /etc/apt/sources.list ]; then
	mirror=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list)
fi

# ---- 1. the cached base root
mkdir -p "$cache"
if [ ! -e "$base/.shmb-complete" ]; then
	step "debootstrap bookworm into $base (once per ROOT_KEY=$ROOT_KEY)"
	rm -rf "$base" "$base.tmp"
	# Without a mirror argument debootstrap uses its own default.
	debootstrap --variant=minbase --include="$PACKAGES" bookworm "$base.tmp" ${mirror:+"$mirror"} \
		> "$cache/debootstrap.log" 2>&1 || {
		tail -n 30 "$cache/debootstrap.log"
		echo "FAIL: debootstrap (log: $cache/debootstrap.log)"
		exit 1
	}
	# An empty machine-id: systemd makes one at boot, as on a first boot.
	: > "$base.tmp/etc/machine-id"
	touch "$base.tmp/.shmb-complete"
	mv "$base.tmp" "$base"
fi

# ---- 2. the packages, from a copy of the source tree
# debian/ is in the git tree, not in release tarballs (an upstream tarball carries none).
if [ ! -f "$srcdir/debian/control" ]; then
	echo "SKIP: $srcdir has no debian/ (a release tarball?): check-systemd needs the git tree"
	exit 77
fi
src="$build/src"
step "copy of the source tree in $src"
rm -rf "$build"
mkdir -p "$src"
if git -C "$srcdir" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# What git knows, committed or not, that still exists: no build output.
	(cd "$srcdir" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf -) | tar -xf - -C "$src"
else
	if [ -e "$srcdir/config.status" ]; then
		echo "FAIL: $srcdir is configured in place; run 'make distclean' there, or build out of tree"
		exit 1
	fi
	tar -C "$srcdir" --exclude=./build --exclude='./build-*' --exclude=./debian/build \
		--exclude=./debian/tmp -cf - . | tar -xf - -C "$src"
fi

if ! (cd "$src" && dpkg-checkbuilddeps) >/dev/null 2>&1; then
	step "installing the build dependencies of debian/control"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get build-dep -y -qq "$src" >/dev/null
fi
step "dpkg-buildpackage -us -uc -b in $src"
(cd "$src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -us -uc -b) \
	> "$build/dpkg-buildpackage.log" 2>&1 || {
	tail -n 40 "$build/dpkg-buildpackage.log"
	echo "FAIL: dpkg-buildpackage (log: $build/dpkg-buildpackage.log)"
	exit 1
}
changes=$(ls "$build"/shmbroker_*.changes)
debs=()
for p in shmbroker libshmbroker1 libshmbroker-dev; do
	f=$(ls "$build/${p}"_*.deb 2>/dev/null | head -n 1)
	[ -n "$f" ] || { echo "FAIL: dpkg-buildpackage made no $p package"; exit 1; }
	debs+=("$f")
done

# Checks on the host: each adds a PASS or FAIL line to the results.
host_results="$build/host-results"
: > "$host_results"
host_check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		echo "PASS $name" >> "$host_results"
	else
		echo "FAIL $name: $(printf '%s' "$out" | tail -n 20 | tr '\n' ' ')" >> "$host_results"
	fi
}
if command -v lintian >/dev/null 2>&1; then
	step "lintian $(basename "$changes")"
	# Info tags are advice, errors and warnings fail (overrides, with their reasons, in debian/).
	lintian_check() {
		lintian --fail-on error,warning --display-info "$changes" 2>&1 |
			grep -v 'running with root privileges is not recommended'
		return "${PIPESTATUS[0]}"
	}
	host_check lintian-errors-and-warnings lintian_check
else
	echo "SKIP lintian: not installed (Debian: lintian)" >> "$host_results"
fi

# pkg-client against the -dev package (and the library package it links to) alone.
dev="$build/dev-root"
pkg_client() {
	local multiarch
	rm -rf "$dev"
	mkdir -p "$dev"
	for f in "${debs[@]:1}"; do dpkg-deb -x "$f" "$dev"; done
	multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
	# shellcheck disable=SC2046
	gcc -Wall -Wextra -Werror -o "$build/pkg-client" "$here/pkg-client.c" $(
		PKG_CONFIG_SYSROOT_DIR="$dev" PKG_CONFIG_LIBDIR="$dev/usr/lib/$multiarch/pkgconfig" \
		pkg-config --cflags --libs shmbroker)
}
step "pkg-client against libshmbroker-dev"
host_check build-against-libshmbroker-dev pkg_client

step "fresh root copy in $root"
rm -rf "$root"
cp -a --reflink=auto "$base" "$root"
mkdir -p "$root/var/lib/shmb-nspawn/debs"
cp "${debs[@]}" "$root/var/lib/shmb-nspawn/debs/"
if [ -x "$build/pkg-client" ]; then
	install -D -m 0755 "$build/pkg-client" "$root/usr/local/lib/shmb-nspawn/pkg-client"
fi

# ---- 3. test users, the test unit, enablement
mkdir -p "$root/etc/sysusers.d"
cat > "$root/etc/sysusers.d/shmb-nspawn-test.conf" <<'EOF'
# Regular users for the in-container checks (created at boot by systemd-sysusers).
u alice 2001 "Test user alice" /nonexistent
u bob 2002 "Test user bob" /nonexistent
EOF
install -D -m 0755 "$here/nspawn-inner.sh" "$root/usr/local/lib/shmb-nspawn/inner.sh"
install -D -m 0644 "$here/shmb-nspawn-test.service" \
	"$root/etc/systemd/system/shmb-nspawn-test.service"
# Only the test unit: the packages' maintainer scripts enable shmbrokerd.socket.
systemctl --root="$root" enable shmb-nspawn-test.service >/dev/null 2>&1
# sysusers (the test users) and the first-boot units run only when /etc is older than /usr.
rm -f "$root/etc/.updated" "$root/var/.updated"
# A container has no use for these, and they only slow the boot.
systemctl --root="$root" mask systemd-networkd-wait-online.service \
	systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer >/dev/null 2>&1 || true
# A persistent journal, read from the host afterwards (journalctl -D) when something failed.
mkdir -p "$root/var/log/journal" "$root/var/lib/shmb-nspawn"
rm -f "$root/var/lib/shmb-nspawn/results"

# ---- 4. boot
step "boot (timeout ${timeout_s}s, console log: $log)"
set +e
timeout --kill-after=15 "$timeout_s" systemd-nspawn --quiet -D "$root" --boot \
	--register=no --keep-unit --private-network --console=pipe \
	--machine="shmb-$tree" < /dev/null > "$log" 2>&1
rc=$?
set -e
step "container exited with status $rc"

results="$root/var/lib/shmb-nspawn/results"
journal() {
	echo "---- container journal (last $1 lines; all: journalctl -D $root/var/log/journal) ----"
	journalctl -D "$root/var/log/journal" --no-pager -o short-monotonic 2>/dev/null | tail -n "$1"
}
if [ ! -s "$results" ]; then
	tail -n 60 "$log"
	journal 120
	echo "FAIL: no results from the container (nspawn status $rc)"
	exit 1
fi
cat "$host_results" "$results"
passed=$(cat "$host_results" "$results" | grep -c '^PASS ' || true)
failed=$(cat "$host_results" "$results" | grep -c '^FAIL ' || true)
if ! grep -q '^DONE' "$results"; then
	echo "FAIL: the in-container checks did not finish (see $log)"
	failed=$((failed + 1))
fi
if [ "$rc" -ne 0 ]; then
	echo "FAIL: systemd-nspawn exited with status $rc (124: timeout)"
	failed=$((failed + 1))
fi
[ "$failed" -eq 0 ] || journal 60
echo "$passed passed, $failed failed ($(($(date +%s) - t0))s)"
if [ -z "${SHMB_NSPAWN_KEEP:-}" ] && [ "$failed" -eq 0 ]; then
	rm -rf "$root"
fi
[ "$failed" -eq 0 ]
