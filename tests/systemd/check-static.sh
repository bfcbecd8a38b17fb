#!/bin/sh
# SPDX-License-Identifier: MIT
# check-static.sh - static checks of shmbrokerd.socket and shmbrokerd.service.
#
# 1. systemd-analyze verify on both units. The service comes from units/shmbrokerd.service.in
#    with @sbindir@ replaced by the directory of the built daemon ($SHMBROKERD), because verify
#    insists that ExecStart= exists.
# 2. systemd-analyze security --offline=true --threshold=15: exposure at most 1.5 (the
#    threshold is the displayed value times ten). The table is printed in any case.
# 3. A lint for what the score does not catch: settings that must be there, settings that
#    would break the broker (DynamicUser=, RemoveIPC=yes, PrivateUsers=, ~@privileged,
#    TemporaryFileSystem=/dev/shm), and capabilities equal to daemon/privs.h's PRIVS_KEEP_CAPS.
#
# Environment: SHMB_TOP_SRCDIR (the source tree), SHMBROKERD (the built daemon), both set by
# "make check"; SHMB_SECURITY_THRESHOLD (default 15). Exit 0 pass, 1 fail, 77 skip (no
# systemd-analyze, or one without --offline: systemd < 250). Not here: anything needing a
# running systemd (tests/systemd/run-nspawn.sh does that).
set -u

srcdir=${SHMB_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
daemon=${SHMBROKERD:-}
threshold=${SHMB_SECURITY_THRESHOLD:-15}

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP: systemd-analyze not found (Debian: package systemd)"
	exit 77
fi
if ! systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
	echo "SKIP: this systemd-analyze has no 'security --offline' (needs systemd >= 250)"
	exit 77
fi
if [ -z "$daemon" ] || [ ! -x "$daemon" ]; then
	echo "FAIL: \$SHMBROKERD='$daemon' is not an executable; run from 'make check'"
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/shmb-units.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
sbindir=$(cd "$(dirname "$daemon")" && pwd)
sed -e "s|@sbindir[@]|$sbindir|g" "$srcdir/units/shmbrokerd.service.in" > "$tmp/shmbrokerd.service"
cp "$srcdir/units/shmbrokerd.socket" "$tmp/shmbrokerd.socket"
# What the daemon is actually called: the unit names @sbindir@/shmbrokerd.
if [ "$(basename "$daemon")" != shmbrokerd ]; then
	echo "FAIL: \$SHMBROKERD must end in /shmbrokerd"
	exit 1
fi

failed=0
fail() {
	echo "FAIL: $*"
	failed=1
}

# ---- 1. verify. --man=no: the man pages are not installed where man(1) would look.
echo "== systemd-analyze verify shmbrokerd.socket shmbrokerd.service"
if ! out=$(cd "$tmp" && systemd-analyze verify --man=no shmbrokerd.socket shmbrokerd.service 2>&1); then
	printf '%s\n' "$out"
	fail "systemd-analyze verify"
elif [ -n "$out" ]; then
	# Warnings (unknown keys, say) exit 0: they are failures here all the same.
	printf '%s\n' "$out"
	fail "systemd-analyze verify printed warnings"
else
	echo "ok"
fi

# ---- 2. exposure score
echo "== systemd-analyze security --offline=true --threshold=$threshold shmbrokerd.service"
(cd "$tmp" && systemd-analyze security --offline=true --threshold="$threshold" \
	shmbrokerd.service) > "$tmp/security.txt" 2>&1
rc=$?
# The whole table, always: a setting that starts to cost points shows in the log.
cat "$tmp/security.txt"
if [ $rc -ne 0 ]; then
	fail "exposure above $threshold/10 (or systemd-analyze failed, status $rc)"
fi

# ---- 3. lint, on the unit as shipped
unit="$srcdir/units/shmbrokerd.service.in"
socket="$srcdir/units/shmbrokerd.socket"
echo "== lint"
# Last assignment of a key in [Service] (or [Socket]), comments ignored.
value() {
	sed -n "s/^$2=//p" "$1" | tail -n 1
}
must() {
	file=$1
	key=$2
	want=$3
	got=$(value "$file" "$key")
	[ "$got" = "$want" ] || fail "$(basename "$file"): $key='$got', want '$want'"
}
for kv in NoNewPrivileges=yes RestrictAddressFamilies=AF_UNIX SystemCallArchitectures=native \
	ProtectSystem=strict ProtectHome=yes PrivateTmp=yes PrivateDevices=yes PrivateMounts=yes \
	ProtectKernelTunables=yes ProtectKernelModules=yes ProtectKernelLogs=yes \
	ProtectControlGroups=yes ProtectClock=yes ProtectHostname=yes RestrictNamespaces=yes \
	LockPersonality=yes MemoryDenyWriteExecute=yes RestrictRealtime=yes RestrictSUIDSGID=yes \
	UMask=0077 RemoveIPC=no KeyringMode=private NotifyAccess=main IPAddressDeny=any \
	PrivateNetwork=yes Type=notify User=shmbroker Restart=on-failure; do
	must "$unit" "${kv%%=*}" "${kv#*=}"
done
for key in LimitNOFILE WatchdogSec FileDescriptorStoreMax ExecReload; do
	[ -n "$(value "$unit" "$key")" ] || fail "shmbrokerd.service: $key= is missing"
done
# Would break the broker: see the comment at the top of the unit.
if grep -Eq '^(DynamicUser=yes|RemoveIPC=yes|PrivateUsers=(yes|true|1|self|identity))' "$unit"; then
	fail "shmbrokerd.service: DynamicUser=, RemoveIPC=yes or PrivateUsers= is set"
fi
if grep -Eq '^TemporaryFileSystem=.*/dev/shm' "$unit"; then
	fail "shmbrokerd.service: TemporaryFileSystem= hides /dev/shm from clients"
fi
if grep -Eq '^SystemCallFilter=~.*@(privileged|chown|ipc|file-system|setuid)([[:space:]]|$)' "$unit"; then
	fail "shmbrokerd.service: SystemCallFilter= removes what brokering needs (fchown, memfd, ACLs)"
fi
# ~@resources blocks setrlimit(): then the manager must set the fd limit.
if grep -Eq '^SystemCallFilter=~.*@resources' "$unit" && [ -z "$(value "$unit" LimitNOFILE)" ]; then
	fail "shmbrokerd.service: ~@resources without LimitNOFILE="
fi
# Capabilities: the unit's sets, and daemon/privs.h's, all the same.
norm() {
	tr ' ,{}' '\n\n\n\n' | grep '^CAP_' | sort -u | tr '\n' ' '
}
keep=$(sed -n 's/^#define PRIVS_KEEP_CAPS//p' "$srcdir/daemon/privs.h" | norm)
amb=$(value "$unit" AmbientCapabilities | norm)
bnd=$(value "$unit" CapabilityBoundingSet | norm)
[ -n "$keep" ] || fail "cannot read PRIVS_KEEP_CAPS from daemon/privs.h"
[ "$amb" = "$keep" ] || fail "AmbientCapabilities='$amb', daemon/privs.h keeps '$keep'"
[ "$bnd" = "$keep" ] || fail "CapabilityBoundingSet='$bnd', daemon/privs.h keeps '$keep'"
# The socket: the fixed path, a filesystem socket, one listener for all.
must "$socket" ListenSequentialPacket /run/shmbroker/socket
must "$socket" Accept no
must "$socket" PassCredentials no
must "$socket" PassSecurity no
[ -n "$(value "$socket" SocketMode)" ] || fail "shmbrokerd.socket: SocketMode= is missing"
[ $failed -eq 0 ] && echo "ok"

exit $failed
