#!/bin/bash
# SPDX-License-Identifier: MIT
# nspawn-inner.sh - the checks of "make check-systemd", run inside the booted container by
# shmb-nspawn-test.service (installed there by run-nspawn.sh as /usr/local/lib/shmb-nspawn/
# inner.sh).
#
# Each check prints and appends "PASS name" or "FAIL name: why" to /var/lib/shmb-nspawn/results;
# "DONE" ends the file. The host script counts them. The checks run in order and build on each
# other: the packages installed with dpkg on the running system (user, directories, socket
# enabled and started by the maintainer scripts), socket activation, READY and the sandbox, a
# regular user's segment, policy reload (good and bad), a segment shared between two users and
# its ACL, a client built against libshmbroker-dev, the watchdog, restart with memfd objects
# kept through the fd store, an app socket under the unit, a lifetime=process segment across a
# crash of the daemon, an upgrade (the service restarted, the memfd objects kept), the
# audit records in the journal, a clean stop, and purging the packages. Users alice (2001) and
# bob (2002) come from a sysusers.d entry of run-nspawn.sh; the shmbroker user from the
# package's shmbroker.conf.
set -u

RESULTS=/var/lib/shmb-nspawn/results
DEBS=/var/lib/shmb-nspawn/debs
PKG_CLIENT=/usr/local/lib/shmb-nspawn/pkg-client
AUDIT_ID=9c1f3a5e2b7d4c8e9a6f0b1d2e3c4a5b
SVC=shmbrokerd.service
SOCK=/run/shmbroker/socket
POLICY_DIR=/etc/shmbroker/policy.d
# daemon/privs.h: CAP_CHOWN (0), CAP_DAC_OVERRIDE (1), CAP_FOWNER (3), CAP_LEASE (28).
CAPS=000000001000000b

mkdir -p "${RESULTS%/*}"
: > "$RESULTS"
export LC_ALL=C

pass() {
	echo "PASS $1" | tee -a "$RESULTS"
}
fail() {
	local name=$1
	shift
	echo "FAIL $name: $*" | tr '\n' ' ' | sed 's/ *$/\n/' | tee -a "$RESULTS"
}
# run NAME FUNCTION: the function prints why on stdout/stderr and returns non-zero on failure.
run() {
	local out
	if out=$("$2" 2>&1); then
		pass "$1"
	else
		fail "$1" "$out"
	fi
}
info() {
	echo "INFO $*" | tee -a "$RESULTS"
}

as() {
	local user=$1
	shift
	runuser -u "$user" -- "$@"
}
ctl() {
	local user=$1
	shift
	# Bounded: a stuck broker must cost a check, not the whole run.
	timeout 15 runuser -u "$user" -- shmbrokerctl "$@"
}
prop() {
	systemctl show -P "$2" "$1"
}
# Polls a command for up to $1 seconds.
wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	"$@"
}

# ------------------------------------------------------------------------------------------
t_install() {
	local f
	for f in "$DEBS"/libshmbroker1_*.deb "$DEBS"/shmbroker_*.deb "$DEBS"/libshmbroker-dev_*.deb; do
		[ -e "$f" ] || { echo "no package $f"; return 1; }
	done
	# As an administrator would, on the running system: the maintainer scripts apply the
	# sysusers.d and tmpfiles.d entries and enable and start the socket.
	DEBIAN_FRONTEND=noninteractive dpkg -i "$DEBS"/libshmbroker1_*.deb "$DEBS"/shmbroker_*.deb \
		"$DEBS"/libshmbroker-dev_*.deb || return 1
	info "installed: $(dpkg-query -W -f='${Package} ${Version}, ' shmbroker libshmbroker1 libshmbroker-dev)"
	for f in /usr/sbin/shmbrokerd /usr/bin/shmbrokerctl /usr/include/shmbroker.h \
		/usr/share/doc/shmbroker/examples/multi-tenant.conf /usr/share/man/man3/shmb_open.3.gz \
		/usr/share/man/man8/shmbrokerd.8.gz; do
		[ -e "$f" ] || { echo "$f not installed"; return 1; }
	done
}

t_installed() {
	local st
	getent passwd shmbroker || { echo "no shmbroker user: sysusers.d entry not applied"; return 1; }
	[ "$(id -u shmbroker)" -lt 1000 ] || { echo "shmbroker is not a system user"; return 1; }
	getent passwd alice >/dev/null && getent passwd bob >/dev/null || { echo "no test users"; return 1; }
	[ -d "$POLICY_DIR" ] || { echo "$POLICY_DIR missing"; return 1; }
	st=$(stat -c '%a %U %G' /run/shmbroker) || return 1
	[ "$st" = "755 root root" ] || { echo "/run/shmbroker: $st"; return 1; }
	# Enabled (it comes back at the next boot) and started, by the package.
	st=$(systemctl is-enabled shmbrokerd.socket)
	[ "$st" = enabled ] || { echo "systemctl is-enabled shmbrokerd.socket: $st"; return 1; }
	[ "$(systemctl is-active shmbrokerd.socket)" = active ] || { systemctl status shmbrokerd.socket; return 1; }
	st=$(stat -c '%a %U %G %F' "$SOCK") || return 1
	[ "$st" = "666 root root socket" ] || { echo "$SOCK: $st"; return 1; }
	# The service is socket-activated: not enabled on its own, and not running before the
	# first connection.
	st=$(systemctl is-enabled "$SVC")
	[ "$st" = static ] || { echo "systemctl is-enabled $SVC: $st"; return 1; }
	st=$(systemctl is-active "$SVC")
	[ "$st" = inactive ] || { echo "$SVC is $st before the first connection"; return 1; }
}

# What a stuck daemon is doing: for failure messages.
diag() {
	local pid
	pid=$(prop "$SVC" MainPID)
	[ "${pid:-0}" -gt 0 ] || { echo "($SVC: no main process, $(prop "$SVC" Result))"; return 0; }
	echo "($SVC pid $pid: wchan $(cat /proc/$pid/wchan 2>/dev/null)," \
		"syscall $(cut -d' ' -f1 /proc/$pid/syscall 2>/dev/null)," \
		"fd 3 flags $(awk '/^flags:/ { print $2 }' /proc/$pid/fdinfo/3 2>/dev/null))"
}

t_activation() {
	timeout 10 runuser -u alice -- shmbrokerctl create alice-seg --size 4096 || { diag; return 1; }
	[ "$(systemctl is-active "$SVC")" = active ] || { systemctl status "$SVC"; return 1; }
	# Type=notify: "running" only after READY=1.
	[ "$(prop "$SVC" SubState)" = running ] || return 1
	[ -n "$(prop "$SVC" StatusText)" ] || { echo "no STATUS="; return 1; }
	info "StatusText: $(prop "$SVC" StatusText)"
}

t_sandbox() {
	local pid st f v ns u
	pid=$(prop "$SVC" MainPID)
	[ "$pid" -gt 0 ] || return 1
	st=/proc/$pid/status
	u=$(id -u shmbroker)
	[ "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "$st")" = "$u $u $u $u" ] \
		|| { grep '^Uid:' "$st"; return 1; }
	for f in CapPrm CapEff CapBnd CapAmb; do
		v=$(awk -v f="$f:" '$1 == f { print $2 }' "$st")
		[ "$v" = "$CAPS" ] || { echo "$f=$v, want $CAPS"; return 1; }
	done
	v=$(awk '$1 == "CapInh:" { print $2 }' "$st")
	[ $((16#$v & ~16#$CAPS)) -eq 0 ] || { echo "CapInh=$v"; return 1; }
	[ "$(awk '$1 == "NoNewPrivs:" { print $2 }' "$st")" = 1 ] || { echo "NoNewPrivs not set"; return 1; }
	[ "$(awk '$1 == "Seccomp:" { print $2 }' "$st")" = 2 ] || { echo "no seccomp filter"; return 1; }
	ns=$(readlink "/proc/$pid/ns/mnt")
	[ "$ns" != "$(readlink /proc/1/ns/mnt)" ] || { echo "no own mount namespace"; return 1; }
	# ProtectSystem=strict: read-only even for root in that namespace; /dev/shm is writable.
	if nsenter -t "$pid" -m -- touch /usr/.shmb-probe 2>/dev/null; then
		rm -f /usr/.shmb-probe
		echo "/usr is writable in the service's namespace"
		return 1
	fi
	nsenter -t "$pid" -m -- sh -c 'touch /dev/shm/.shmb-probe && rm /dev/shm/.shmb-probe' \
		|| { echo "/dev/shm not writable in the service's namespace"; return 1; }
	# PrivateDevices=yes: no real devices, but the host's /dev/shm.
	nsenter -t "$pid" -m -- test ! -e /dev/vda -a ! -e /dev/mem -a -c /dev/null || return 1
	# ProtectHome=yes: /home and /root are inaccessible (mode 000) there.
	v=$(nsenter -t "$pid" -m -- stat -c %a /home /root | sort -u)
	[ "$v" = 0 ] || { echo "ProtectHome: modes $v"; return 1; }
	# The live score, as systemd computes it for the running unit.
	v=$(systemd-analyze security "$SVC" 2>/dev/null |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	info "systemd-analyze security (live): ${v:-?}"
	[ -n "$v" ] && awk -v v="$v" 'BEGIN { exit !(v <= 1.5) }' || { echo "exposure $v > 1.5"; return 1; }
}

t_user_segment() {
	local got st
	printf 'hello from alice' | ctl alice write alice-seg || return 1
	got=$(ctl alice read alice-seg --length 16) || return 1
	[ "$got" = "hello from alice" ] || { echo "read back '$got'"; return 1; }
	# The object is in the real /dev/shm (PrivateDevices kept it), owned by alice, 0600.
	st=$(stat -c '%U %a' /dev/shm/alice-seg) || return 1
	[ "$st" = "alice 600" ] || { echo "/dev/shm/alice-seg: $st"; return 1; }
	# and a process of alice's reaches it without the broker.
	got=$(as alice head -c 16 /dev/shm/alice-seg) || return 1
	[ "$got" = "hello from alice" ] || return 1
	# bob may not: the default policy gives everyone only their own prefix.
	if ctl bob read alice-seg >/dev/null 2>&1; then
		echo "bob read alice-seg"
		return 1
	fi
	if ctl bob create alice-bob --size 4096 >/dev/null 2>&1; then
		echo "bob created alice-bob"
		return 1
	fi
}

POLICY='# Each app of each user: its own prefix (app sockets).
[Segment app]
Names=%u-%a-*
Create=app:*
ReadWrite=app:*
Owner=%u
Mode=0600
MaxSize=1M

# shared-* and mem-*: alice writes, bob reads.
[Segment shared]
Names=shared-*
Create=alice
ReadWrite=alice
ReadOnly=bob
Mode=0600
MaxSize=1M

[Segment mem]
Names=mem-*
Create=alice
ReadWrite=alice
ReadOnly=bob
Mode=0600
MaxSize=1M
Backend=memfd

[Segment private]
Names=%u-*
Create=*
ReadWrite=*
Owner=%u
Mode=0600
MaxSize=64M
'

t_reload() {
	local pid
	pid=$(prop "$SVC" MainPID)
	if ctl alice create shared-before --size 4096 >/dev/null 2>&1; then
		echo "shared-* allowed before the reload"
		return 1
	fi
	printf '%s' "$POLICY" > "$POLICY_DIR/50-test.conf"
	systemctl reload "$SVC" || return 1
	# systemd 252 has no Type=notify-reload: the reload may still be running.
	wait_for 10 ctl alice create shared-one --size 4096 || return 1
	[ "$(prop "$SVC" MainPID)" = "$pid" ] || { echo "reload restarted the daemon"; return 1; }
	[ "$(prop "$SVC" SubState)" = running ] || return 1
	printf 'shared bytes' | ctl alice write shared-one || return 1
	[ "$(ctl bob read shared-one --length 12)" = "shared bytes" ] || return 1
}

t_reload_bad() {
	local pid status
	pid=$(prop "$SVC" MainPID)
	# Never "kill 0": that would signal this script's own process group.
	[ "${pid:-0}" -gt 0 ] || { echo "$SVC has no main process"; return 1; }
	printf '[Segment broken]\nNames=broken-*\nNoSuchKey=1\n' > "$POLICY_DIR/60-bad.conf"
	# ExecReload= checks the policy first: systemctl reload fails and says so.
	if systemctl reload "$SVC" 2>/dev/null; then
		echo "systemctl reload accepted a bad policy"
		return 1
	fi
	# The daemon itself refuses it too, on a bare SIGHUP, and says why in STATUS=.
	kill -HUP "$pid"
	wait_for 10 sh -c "systemctl show -P StatusText $SVC | grep -q 60-bad.conf" || {
		echo "StatusText: $(prop "$SVC" StatusText)"
		return 1
	}
	info "StatusText after a bad policy: $(prop "$SVC" StatusText)"
	[ "$(prop "$SVC" MainPID)" = "$pid" ] || { echo "daemon restarted"; return 1; }
	[ "$(systemctl is-active "$SVC")" = active ] || return 1
	# The old policy still serves.
	ctl alice create shared-two --size 4096 || return 1
	rm -f "$POLICY_DIR/60-bad.conf"
	systemctl reload "$SVC" || return 1
}

t_shared_acl() {
	local got acl want
	# Made by alice (ReadWrite=alice), read by bob (ReadOnly=bob) in t_reload.
	ctl alice create shared-acl --size 4096 || return 1
	printf 'acl bytes' | ctl alice write shared-acl || return 1
	[ "$(ctl bob read shared-acl --length 9)" = "acl bytes" ] || return 1
	if printf 'x' | ctl bob write shared-acl 2>/dev/null; then
		echo "bob (ReadOnly=) could write"
		return 1
	fi
	# The object's ACL says the same as the policy: owner (the daemon's user, no Owner=) rw,
	# alice rw, bob r, nobody else anything.
	acl=$(getfacl -cp /dev/shm/shared-acl | grep -v '^$' | sort | tr '\n' ' ') || return 1
	want=$(printf '%s\n' group::--- mask::rw- other::--- user::rw- user:alice:rw- user:bob:r-- |
		sort | tr '\n' ' ')
	[ "$acl" = "$want" ] || { echo "getfacl /dev/shm/shared-acl: $acl, want $want"; return 1; }
	[ "$(stat -c %U /dev/shm/shared-acl)" = shmbroker ] || { stat -c %U /dev/shm/shared-acl; return 1; }
	info "getfacl /dev/shm/shared-acl: $acl"
	# And a process of bob's that opens the file itself gets the same: read, not write.
	got=$(as bob head -c 9 /dev/shm/shared-acl) || return 1
	[ "$got" = "acl bytes" ] || return 1
	if as bob sh -c 'printf x >> /dev/shm/shared-acl' 2>/dev/null; then
		echo "bob could write /dev/shm/shared-acl directly"
		return 1
	fi
}

# A client built on the host against the libshmbroker-dev package alone (pkg-client.c).
t_library_client() {
	[ -x "$PKG_CLIENT" ] || { echo "no $PKG_CLIENT (its build failed on the host)"; return 1; }
	timeout 15 runuser -u alice -- "$PKG_CLIENT" create shared-lib 4096 'from libshmbroker' || return 1
	[ "$(ctl bob read shared-lib --length 18)" = "from libshmbroker" ] || return 1
	[ "$(timeout 15 runuser -u bob -- "$PKG_CLIENT" read shared-lib 18)" = "from libshmbroker" ]
}

t_watchdog() {
	local pid t1 t2 n
	[ "$(prop "$SVC" WatchdogUSec)" = 30s ] || { echo "WatchdogUSec=$(prop "$SVC" WatchdogUSec)"; return 1; }
	# Shorten it for a moment: a daemon that did not ping would be killed within a second.
	mkdir -p /run/systemd/system/$SVC.d
	printf '[Service]\nWatchdogSec=1s\n' > /run/systemd/system/$SVC.d/50-watchdog.conf
	systemctl daemon-reload
	systemctl restart "$SVC" || return 1
	pid=$(prop "$SVC" MainPID)
	n=$(prop "$SVC" NRestarts)
	t1=$(prop "$SVC" WatchdogTimestampMonotonic)
	sleep 3
	t2=$(prop "$SVC" WatchdogTimestampMonotonic)
	rm -f /run/systemd/system/$SVC.d/50-watchdog.conf
	systemctl daemon-reload
	[ "$(prop "$SVC" MainPID)" = "$pid" ] || { echo "the daemon was restarted (watchdog?)"; return 1; }
	[ "$(prop "$SVC" NRestarts)" = "$n" ] || return 1
	[ "$t2" -gt "$t1" ] || { echo "no WATCHDOG=1 in 3 s ($t1 -> $t2)"; return 1; }
	systemctl restart "$SVC" || return 1
	[ "$(prop "$SVC" WatchdogUSec)" = 30s ]
}

t_restart_fdstore() {
	local pid1 pid2 got
	ctl alice create mem-keep --size 4096 || return 1
	printf 'bytes in a memfd' | ctl alice write mem-keep || return 1
	ctl alice create mem-gone --size 4096 || return 1
	ctl alice unlink mem-gone || return 1
	pid1=$(prop "$SVC" MainPID)
	systemctl restart "$SVC" || return 1
	pid2=$(prop "$SVC" MainPID)
	[ "$pid1" != "$pid2" ] || { echo "MainPID unchanged"; return 1; }
	[ "${pid2:-0}" -gt 0 ] || { echo "no main process after restart"; return 1; }
	got=$(ctl alice read mem-keep --length 16) || return 1
	[ "$got" = "bytes in a memfd" ] || { echo "mem-keep after restart: '$got'"; return 1; }
	got=$(ctl bob read mem-keep --length 16) || return 1
	[ "$got" = "bytes in a memfd" ] || return 1
	if ctl alice read mem-gone >/dev/null 2>&1; then
		echo "mem-gone came back"
		return 1
	fi
	# Backend=shm objects survive as files.
	[ "$(ctl alice read alice-seg --length 16)" = "hello from alice" ] || return 1
	# And a crash: SIGKILL, Restart=on-failure brings it back with the store.
	kill -KILL "$pid2"
	wait_for 10 sh -c "[ \"\$(systemctl show -P MainPID $SVC)\" != $pid2 ] &&
		[ \"\$(systemctl show -P SubState $SVC)\" = running ]" || return 1
	got=$(ctl alice read mem-keep --length 16) || return 1
	[ "$got" = "bytes in a memfd" ] || { echo "mem-keep after a crash: '$got'"; return 1; }
}

# A policy refused at start must cost nothing: with the policy on disk broken, the daemon is
# killed; Restart= starts it again, it runs on the last good policy (kept in the fd store) and
# says so, and the memfd object is there with its bytes. Before, it exited on the policy, each
# restart too, until the start limit failed the unit and systemd emptied its fd store.
t_broken_policy_restart() {
	local pid1 got
	pid1=$(prop "$SVC" MainPID)
	[ "${pid1:-0}" -gt 0 ] || { echo "$SVC has no main process"; return 1; }
	printf '[Segment broken]\nNames=broken-*\nNoSuchKey=1\n' > "$POLICY_DIR/60-bad.conf"
	kill -KILL "$pid1"
	wait_for 20 sh -c "[ \"\$(systemctl show -P MainPID $SVC)\" != $pid1 ] &&
		[ \"\$(systemctl show -P SubState $SVC)\" = running ]" || {
		echo "after the kill: $(prop "$SVC" ActiveState)/$(prop "$SVC" SubState), Result=$(prop "$SVC" Result)"
		journalctl -u "$SVC" --no-pager | tail -n 15
		return 1
	}
	wait_for 10 sh -c "systemctl show -P StatusText $SVC | grep -q 'last good policy'" || {
		echo "StatusText: $(prop "$SVC" StatusText)"
		return 1
	}
	info "StatusText on a broken policy: $(prop "$SVC" StatusText)"
	got=$(ctl alice read mem-keep --length 16) || return 1
	[ "$got" = "bytes in a memfd" ] || { echo "mem-keep after the restart: '$got'"; return 1; }
	# The rules of the last good policy serve: alice's own segment too.
	[ "$(ctl alice read alice-seg --length 16)" = "hello from alice" ] || return 1
	# Mended and reloaded: the policy on disk again, nothing lost.
	rm -f "$POLICY_DIR/60-bad.conf"
	systemctl reload "$SVC" || return 1
	wait_for 10 sh -c "! systemctl show -P StatusText $SVC | grep -q 'last good policy'" || {
		echo "StatusText after the reload: $(prop "$SVC" StatusText)"
		return 1
	}
	got=$(ctl alice read mem-keep --length 16) || return 1
	[ "$got" = "bytes in a memfd" ]
}

# An app socket under the real unit: made in /run/shmbroker/apps (a RuntimeDirectory, 0711 also
# after a reload), alice's and 0600; through it alice's program is the app, with the app's
# prefix and nothing of alice's own; bob cannot connect; it goes with the command that holds it.
t_app_socket() {
	local path st got
	coproc APPSOCK { exec setpriv --reuid=alice --regid=alice --init-groups \
		timeout 60 shmbrokerctl app-socket org.example.Viewer; }
	read -r -t 10 path <&"${APPSOCK[0]}" || { echo "app-socket printed no path"; return 1; }
	case $path in
	/run/shmbroker/apps/*) ;;
	*) echo "app socket at '$path'"; kill "$APPSOCK_PID"; return 1 ;;
	esac
	st=$(stat -c '%U %a %F' "$path") || return 1
	[ "$st" = "alice 600 socket" ] || { echo "$path: $st"; kill "$APPSOCK_PID"; return 1; }
	st=$(stat -c '%a' /run/shmbroker/apps) || return 1
	[ "$st" = 711 ] || { echo "/run/shmbroker/apps: mode $st"; kill "$APPSOCK_PID"; return 1; }
	timeout 15 runuser -u alice -- shmbrokerctl --socket "$path" create \
		alice-org.example.Viewer-x --size 4096 || { kill "$APPSOCK_PID"; return 1; }
	printf 'from the app' | timeout 15 runuser -u alice -- shmbrokerctl --socket "$path" \
		write alice-org.example.Viewer-x || { kill "$APPSOCK_PID"; return 1; }
	got=$(timeout 15 runuser -u alice -- shmbrokerctl --socket "$path" read \
		alice-org.example.Viewer-x --length 12)
	[ "$got" = "from the app" ] || { echo "read back '$got'"; kill "$APPSOCK_PID"; return 1; }
	if timeout 15 runuser -u alice -- shmbrokerctl --socket "$path" read alice-seg \
		--length 4 >/dev/null 2>&1; then
		echo "the app read alice's own segment"
		kill "$APPSOCK_PID"
		return 1
	fi
	if ctl alice read alice-org.example.Viewer-x --length 4 >/dev/null 2>&1; then
		echo "alice's shell read the app's segment"
		kill "$APPSOCK_PID"
		return 1
	fi
	if timeout 15 runuser -u bob -- shmbrokerctl --socket "$path" list >/dev/null 2>&1; then
		echo "bob connected to alice's app socket"
		kill "$APPSOCK_PID"
		return 1
	fi
	kill "$APPSOCK_PID"
	wait "$APPSOCK_PID" 2>/dev/null
	wait_for 10 test ! -e "$path" || { echo "$path outlived its command"; return 1; }
}

# A segment with lifetime=process, made by exec for the command it runs, lives exactly as long
# as the command, across a crash of the daemon: its creator's pidfd waits in the fd store. And a
# creator that dies while the daemon is down takes its segment along at the restart.
t_process_lifetime() {
	local cpid pid1 pid2
	setpriv --reuid=alice --regid=alice --init-groups shmbrokerctl exec --size 4096 \
		--lifetime process alice-life -- sleep 600 &
	cpid=$!
	wait_for 10 ctl alice stat alice-life || { kill "$cpid"; return 1; }
	# Kills are restarts for Restart=, and the checks before killed it too: not a start limit.
	systemctl reset-failed "$SVC"
	pid1=$(prop "$SVC" MainPID)
	kill -KILL "$pid1"
	wait_for 20 sh -c "[ \"\$(systemctl show -P MainPID $SVC)\" != $pid1 ] &&
		[ \"\$(systemctl show -P SubState $SVC)\" = running ]" || { kill "$cpid"; return 1; }
	ctl alice stat alice-life >/dev/null || { echo "alice-life lost in the restart"; kill "$cpid"; return 1; }
	kill "$cpid"
	wait "$cpid" 2>/dev/null
	wait_for 10 sh -c "! timeout 15 runuser -u alice -- shmbrokerctl stat alice-life" || {
		echo "alice-life outlived its command"
		return 1
	}
	# The creator dies while the daemon is down (stopped by SIGSTOP, then killed: Restart=).
	setpriv --reuid=alice --regid=alice --init-groups shmbrokerctl exec --size 4096 \
		--lifetime process alice-life2 -- sleep 600 &
	cpid=$!
	wait_for 10 ctl alice stat alice-life2 || { kill "$cpid"; return 1; }
	systemctl reset-failed "$SVC"
	pid2=$(prop "$SVC" MainPID)
	kill -STOP "$pid2"
	kill "$cpid"
	wait "$cpid" 2>/dev/null
	kill -KILL "$pid2"
	wait_for 20 sh -c "[ \"\$(systemctl show -P MainPID $SVC)\" != $pid2 ] &&
		[ \"\$(systemctl show -P SubState $SVC)\" = running ]" || return 1
	wait_for 10 sh -c "! timeout 15 runuser -u alice -- shmbrokerctl stat alice-life2" || {
		echo "alice-life2 outlived its creator, who died while the daemon was down"
		return 1
	}
	journalctl -u "$SVC" --no-pager | grep -q "exited while the daemon was down" || {
		echo "no log line of the removal at start"
		return 1
	}
	systemctl reset-failed "$SVC"
}

# Installing the same version again is an upgrade for the maintainer scripts: the service is
# restarted (try-restart: it is running) and keeps its memfd objects; the socket is left alone.
t_upgrade() {
	local pid1 pid2 sock1 sock2 got
	pid1=$(prop "$SVC" MainPID)
	[ "${pid1:-0}" -gt 0 ] || { echo "$SVC is not running"; return 1; }
	sock1=$(prop shmbrokerd.socket ActiveEnterTimestampMonotonic)
	DEBIAN_FRONTEND=noninteractive dpkg -i "$DEBS"/shmbroker_*.deb || return 1
	pid2=$(prop "$SVC" MainPID)
	[ "${pid2:-0}" -gt 0 ] && [ "$pid2" != "$pid1" ] || { echo "MainPID $pid1 -> $pid2: not restarted"; return 1; }
	[ "$(prop "$SVC" SubState)" = running ] || return 1
	sock2=$(prop shmbrokerd.socket ActiveEnterTimestampMonotonic)
	[ "$sock1" = "$sock2" ] || { echo "the socket was restarted"; return 1; }
	got=$(ctl alice read mem-keep --length 16) || return 1
	[ "$got" = "bytes in a memfd" ] || { echo "mem-keep after the upgrade: '$got'"; return 1; }
	[ "$(systemctl is-enabled shmbrokerd.socket)" = enabled ]
}

t_journal() {
	local recs v
	journalctl --sync 2>/dev/null || true
	recs=$(journalctl -o export --no-pager "MESSAGE_ID=$AUDIT_ID") || return 1
	if [ -z "$recs" ]; then
		echo "no records with MESSAGE_ID=$AUDIT_ID"
		journalctl -u "$SVC" --no-pager | tail -n 20
		return 1
	fi
	info "audit records: $(printf '%s\n' "$recs" | grep -c '^MESSAGE_ID=')"
	printf '%s\n' "$recs" | grep -q '^SHMB_UID=2001$' || { echo "no record for alice"; return 1; }
	printf '%s\n' "$recs" | grep -q '^SHMB_UID=2002$' || { echo "no record for bob"; return 1; }
	printf '%s\n' "$recs" | grep -q '^SHMB_OBJECT=alice-seg$' || { echo "no SHMB_OBJECT=alice-seg"; return 1; }
	printf '%s\n' "$recs" | grep -q '^SHMB_ACCESS=' || { echo "no SHMB_ACCESS="; return 1; }
	printf '%s\n' "$recs" | grep -q '^SHMB_RULE=' || { echo "no SHMB_RULE="; return 1; }
	# Grants and denials both: at least two different results.
	v=$(printf '%s\n' "$recs" | sed -n 's/^SHMB_RESULT=//p' | sort -u | tr '\n' ' ')
	[ "$(echo $v | wc -w)" -ge 2 ] || { echo "SHMB_RESULT values: $v"; return 1; }
	# bob's denial on alice-seg, in one record.
	printf '%s\n' "$recs" | awk '
		/^$/ { if (uid && obj) found = 1; uid = obj = 0; next }
		$0 == "SHMB_UID=2002" { uid = 1 }
		$0 == "SHMB_OBJECT=alice-seg" { obj = 1 }
		END { if (uid && obj) found = 1; exit !found }' || { echo "no record of bob on alice-seg"; return 1; }
	# The records come from the service, not from a client.
	printf '%s\n' "$recs" | grep -q "^_SYSTEMD_UNIT=$SVC$" || { echo "records not from $SVC"; return 1; }
}

t_stop() {
	systemctl stop "$SVC" || return 1
	[ "$(prop "$SVC" Result)" = success ] || { echo "Result=$(prop "$SVC" Result)"; return 1; }
	[ "$(prop "$SVC" ExecMainStatus)" = 0 ] || { echo "exit status $(prop "$SVC" ExecMainStatus)"; return 1; }
	# The socket stays; the next client starts the service again.
	[ "$(systemctl is-active shmbrokerd.socket)" = active ] || return 1
	[ "$(ctl alice read alice-seg --length 16)" = "hello from alice" ] || return 1
	[ "$(systemctl is-active "$SVC")" = active ]
}

# Removing stops the socket and with it the service; purging disables the socket and removes
# the policy directory (emptied first: dpkg keeps directories holding files it does not know).
t_purge() {
	local st
	rm -f "$POLICY_DIR"/*.conf
	DEBIAN_FRONTEND=noninteractive dpkg --purge libshmbroker-dev shmbroker || return 1
	st=$(systemctl is-active shmbrokerd.socket "$SVC" | tr '\n' ' ')
	[ "$st" = "inactive inactive " ] || { echo "after purge: $st"; return 1; }
	[ ! -e "$SOCK" ] || { echo "$SOCK is still there"; return 1; }
	[ ! -e /etc/systemd/system/sockets.target.wants/shmbrokerd.socket ] || { echo "still enabled"; return 1; }
	[ ! -e /etc/shmbroker ] || { echo "/etc/shmbroker is still there"; ls -la /etc/shmbroker; return 1; }
	# Objects are never removed on their own: alice's segment outlives the package.
	[ -e /dev/shm/alice-seg ] || { echo "/dev/shm/alice-seg is gone"; return 1; }
}

info "systemd $(systemctl --version | head -n 1)"
run install-packages-dpkg t_install
run installed-sysusers-tmpfiles-socket-enabled t_installed
run socket-activation-ready t_activation
run sandbox-caps-hardening t_sandbox
run regular-user-segment t_user_segment
run reload-new-policy t_reload
run reload-bad-policy-kept t_reload_bad
run shared-segment-acl-getfacl t_shared_acl
run client-built-against-dev-package t_library_client
run watchdog t_watchdog
run restart-keeps-memfd-via-fdstore t_restart_fdstore
run broken-policy-restart-keeps-memfd t_broken_policy_restart
run app-socket-under-the-unit t_app_socket
run process-lifetime-across-a-crash t_process_lifetime
run upgrade-restarts-service-keeps-memfd t_upgrade
run journal-audit-records t_journal
run stop-exit-0-and-reactivation t_stop
run purge-packages t_purge
if grep -q '^FAIL' "$RESULTS"; then
	{
		echo "---- journal of $SVC ----"
		journalctl -u "$SVC" -u shmbrokerd.socket --no-pager -o short-monotonic | tail -n 80
	} | sed 's/^/LOG /' >> "$RESULTS"
fi
echo DONE >> "$RESULTS"
sync
