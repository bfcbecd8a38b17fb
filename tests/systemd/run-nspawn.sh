#!/bin/bash
# SPDX-License-Identifier: MIT
# run-nspawn.sh - "make check-systemd": the units under a real systemd, booted in a container.
#
# 1. A Debian 12 root made by debootstrap (minbase + systemd, systemd-sysv, dbus, acl, procps)
#    is cached in $CACHE/base-$ROOT_KEY and reused while ROOT_KEY is unchanged (bump it when
#    the package list changes). Each run copies it afresh to $CACHE/root-$TREE.
# 2. shmbroker is configured in its own build directory ($CACHE/build-$TREE) with --prefix=/usr,
#    --sysconfdir=/etc and the real unit, sysusers.d and tmpfiles.d directories, built, and
#    installed into the copy with DESTDIR. Nothing else of the host is used inside.
# 3. The copy gets two test users (a sysusers.d entry: systemd-sysusers.service creates them at
#    boot together with the shmbroker user from the installed shmbroker.conf),
#    shmbrokerd.socket enabled, and a oneshot shmb-nspawn-test.service that runs
#    nspawn-inner.sh, writes /var/lib/shmb-nspawn/results and powers the container off.
# 4. systemd-nspawn --boot --register=no --keep-unit boots it, bounded by $SHMB_NSPAWN_TIMEOUT
#    seconds; the results are printed as "N passed, N failed".
#
# Needs root, debootstrap and systemd-nspawn (Debian: debootstrap, systemd-container; installed
# with apt-get when missing), and a Debian mirror (the host's apt sources are used). It works
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

# ---- 2. build and install with the real paths
step "configure and build in $build"
mkdir -p "$build"
multiarch=$(gcc -print-multiarch 2>/dev/null || true)
cfg=(--prefix=/usr --sysconfdir=/etc --localstatedir=/var
	--libdir="/usr/lib${multiarch:+/$multiarch}"
	--with-systemdsystemunitdir=/usr/lib/systemd/system
	--with-sysusersdir=/usr/lib/sysusers.d
	--with-tmpfilesdir=/usr/lib/tmpfiles.d)
stamp="$build/.shmb-configure-args"
if [ ! -e "$build/Makefile" ] || [ "$(cat "$stamp" 2>/dev/null)" != "${cfg[*]}" ]; then
	(cd "$build" && "$srcdir/configure" --quiet "${cfg[@]}") > "$build/configure.log" 2>&1 || {
		tail -n 30 "$build/configure.log"
		echo "FAIL: configure"
		exit 1
	}
	printf '%s' "${cfg[*]}" > "$stamp"
fi
make -C "$build" -j"$(nproc)" > "$build/make.log" 2>&1 || {
	tail -n 30 "$build/make.log"
	echo "FAIL: make"
	exit 1
}

step "fresh root copy in $root, make install DESTDIR=$root"
rm -rf "$root"
cp -a --reflink=auto "$base" "$root"
make -C "$build" install DESTDIR="$root" > "$build/install.log" 2>&1 || {
	tail -n 30 "$build/install.log"
	echo "FAIL: make install"
	exit 1
}
for f in usr/lib/systemd/system/shmbrokerd.socket usr/lib/systemd/system/shmbrokerd.service \
	usr/lib/sysusers.d/shmbroker.conf usr/lib/tmpfiles.d/shmbroker.conf usr/sbin/shmbrokerd \
	usr/bin/shmbrokerctl; do
	[ -e "$root/$f" ] || { echo "FAIL: make install did not install /$f"; exit 1; }
done
# The policy directory must come from tmpfiles.d at boot, not from here.
rm -rf "$root/etc/shmbroker"

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
systemctl --root="$root" enable shmbrokerd.socket shmb-nspawn-test.service >/dev/null 2>&1
# sysusers and the first-boot units run only when /etc is older than /usr.
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
cat "$results"
passed=$(grep -c '^PASS ' "$results" || true)
failed=$(grep -c '^FAIL ' "$results" || true)
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
