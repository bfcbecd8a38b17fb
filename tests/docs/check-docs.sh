#!/bin/sh
# SPDX-License-Identifier: MIT
# check-docs.sh - the manual pages, the example policies and the README against the programs.
#
# 1. Every page's footer: "shmbroker VERSION" (VERSION from shmbrokerd --version) and one date,
#    YYYY-MM-DD, the same in all pages.
# 2. Every long option in "shmbrokerd --help" and "shmbrokerctl --help" is in the SYNOPSIS and
#    the OPTIONS of its page, and every shmbrokerctl command in its SYNOPSIS and COMMANDS.
# 3. The default policy directory that "shmbrokerd --help" reports is the one the pages name.
# 4. Every symbol exported by client/libshmbroker.sym has a section 3 page (its own, or a
#    ".so" link to the page that names it in NAME).
# 5. With groff installed, no page makes groff warn (what lintian reports as groff-message).
# 6. No page, unit, example, README or debian/ file points at documents that are not in the
#    tree.
# 7. "shmbrokerd --check-policy" accepts each example policy, but for users and groups that
#    do not exist on this machine.
#
# Runs from "make check" in the build directory (the built pages are in man/), with
# $SHMBROKERD, $SHMBROKERCTL and $SHMB_TOP_SRCDIR set. Exit 0 pass, 1 fail.
set -u

srcdir=${SHMB_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
daemon=${SHMBROKERD:-daemon/shmbrokerd}
ctl=${SHMBROKERCTL:-client/shmbrokerctl}
mandir=man
LC_ALL=C
export LC_ALL

failed=0
fail() {
	echo "FAIL: $*"
	failed=1
}

pages=$(ls "$mandir"/*.[1-8] 2>/dev/null)
[ -n "$pages" ] || { echo "FAIL: no pages in $PWD/$mandir: run from the build directory"; exit 1; }
version=$("$daemon" --version | awk '{ print $NF; exit }')
[ -n "$version" ] || fail "shmbrokerd --version printed nothing"

# The text of section $2 of page $1 (from its .SH line to the next).
section() {
	awk -v s="$2" '/^\.SH / { on = ($0 == ".SH " s || $0 == ".SH \"" s "\"") ; next } on' "$1"
}
# Long options in a --help text on stdin.
long_options() {
	grep -o -- '--[a-z][a-z-]*' | sort -u
}
# In roff source "-" is written "\-" (but not in paths substituted at make time).
roff() {
	printf '%s\n' "$1" | sed 's/-/\\-/g'
}

# ---- 1. footers
echo "== footers"
dates=
for p in $pages; do
	head -n 5 "$p" | grep -q '^\.so ' && continue
	th=$(grep -m 1 '^\.TH ' "$p")
	[ -n "$th" ] || { fail "$p: no .TH line"; continue; }
	# .TH TITLE SECTION DATE "SOURCE" "MANUAL"
	date=$(printf '%s\n' "$th" | awk '{ d = $4; gsub(/"/, "", d); print d }')
	source=$(printf '%s\n' "$th" | awk -F'"' '{ for (i = 2; i <= NF; i += 2) { print $i; exit } }')
	printf '%s\n' "$date" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' \
		|| fail "$p: date '$date' is not YYYY-MM-DD"
	[ "$source" = "shmbroker $version" ] || fail "$p: footer '$source', want 'shmbroker $version'"
	dates="$dates$date
"
done
n=$(printf '%s' "$dates" | sort -u | grep -c .)
[ "$n" -eq 1 ] || fail "the pages have $n different dates: $(printf '%s' "$dates" | sort -u | tr '\n' ' ')"

# ---- 2. options and commands
echo "== options"
check_options() {
	prog=$1
	page=$2
	help=$3
	syn=$(section "$page" SYNOPSIS)
	opts=$(section "$page" OPTIONS)
	for o in $(printf '%s\n' "$help" | long_options); do
		r=$(roff "$o")
		printf '%s\n' "$syn" | grep -qF -- "$r" || fail "$page: SYNOPSIS lacks $o ($prog --help has it)"
		printf '%s\n' "$opts" | grep -qF -- "$r" || fail "$page: OPTIONS lacks $o ($prog --help has it)"
	done
}
check_options shmbrokerd "$mandir/shmbrokerd.8" "$("$daemon" --help)"
ctl_help=$("$ctl" --help)
check_options shmbrokerctl "$mandir/shmbrokerctl.1" "$ctl_help"
# The commands: the word after "shmbrokerctl [--socket PATH]" in the usage lines.
syn=$(section "$mandir/shmbrokerctl.1" SYNOPSIS)
cmds=$(section "$mandir/shmbrokerctl.1" COMMANDS)
for c in $(printf '%s\n' "$ctl_help" | sed -n 's/^.*shmbrokerctl \[--socket PATH\] \([a-z][a-z-]*\).*/\1/p' | sort -u); do
	# As a regular expression: the backslash of roff's "\-" is literal (app\-socket).
	r=$(roff "$c" | sed 's/\\/\\\\/g')
	printf '%s\n' "$syn" | grep -Eq "^\.BI? \"?$r( |\"|$)" || fail "shmbrokerctl.1: SYNOPSIS lacks the command $c"
	printf '%s\n' "$cmds" | grep -Eq "^\.BI? \"?$r( |\"|$)" || fail "shmbrokerctl.1: COMMANDS lacks the command $c"
done

# ---- 3. the policy directory
echo "== policy directory"
dir=$("$daemon" --help | sed -n 's/.*(default \([^,)]*policy\.d\).*/\1/p' | head -n 1)
if [ -z "$dir" ]; then
	fail "shmbrokerd --help names no default policy directory"
else
	for p in "$mandir/shmbrokerd.8" "$mandir/shmbroker.conf.5"; do
		# Substituted paths keep their plain "-"; the page's own text writes "\-".
		sed 's/\\-/-/g' "$p" | grep -qF -- "$dir" || fail "$p does not name $dir"
		grep -v '^\.\\"' "$p" | grep -o '[^ ]*shmbroker/policy\.d' | sed 's/\\-/-/g' | sort -u |
			while read -r d; do
				[ "$d" = "$dir" ] || echo "$p names $d, the daemon uses $dir"
			done | grep . && failed=1
	done
fi

# ---- 4. section 3 against the exported symbols
echo "== section 3"
syms=$(sed -n 's/^[[:space:]]*\(shmb_[a-z_]*\);.*/\1/p' "$srcdir/client/libshmbroker.sym")
[ -n "$syms" ] || fail "no symbols in client/libshmbroker.sym"
for s in $syms; do
	p="$mandir/$s.3"
	[ -e "$p" ] || { fail "$s: no page $p"; continue; }
	target=$(sed -n 's/^\.so man3\/\(.*\)$/\1/p' "$p")
	[ -n "$target" ] && p="$mandir/$target"
	[ -e "$p" ] || { fail "$s: .so target $p is missing"; continue; }
	section "$p" NAME | grep -q "\\b$s\\b" || fail "$p: NAME does not list $s"
	section "$p" SYNOPSIS | grep -q "$s(" || fail "$p: SYNOPSIS does not declare $s()"
done

# ---- 5. groff
echo "== groff"
if command -v groff >/dev/null 2>&1; then
	for p in $pages; do
		head -n 5 "$p" | grep -q '^\.so ' && continue
		# "cannot adjust line": a configured path too long for a line (make distcheck's
		# prefix is); the page's source is not at fault, and /etc or /usr/local/etc fit.
		out=$(groff -man -ww -z -Tutf8 "$p" 2>&1 | grep -v 'cannot adjust line')
		[ -z "$out" ] || fail "$p: groff warns: $out"
	done
else
	echo "(no groff: skipped)"
fi

# ---- 6. references to documents outside the tree
echo "== references"
# debian/: the packaging files, not what a package build leaves there.
for f in $pages "$srcdir"/README.md "$srcdir"/units/* "$srcdir"/examples/* \
	"$srcdir"/debian/* "$srcdir"/debian/source/*; do
	[ -f "$f" ] || continue
	grep -HnE 'PRODUCT\.md|STYLE\.md|security\.md|\.\./shared' "$f" && fail "$f points outside the tree"
done

# ---- 7. the example policies
echo "== examples"
for f in "$srcdir"/examples/*.conf; do
	out=$("$daemon" --check-policy --policy "$f" 2>&1)
	rc=$?
	[ $rc -eq 0 ] && continue
	# Users and groups of the example that this machine lacks are the only excuse.
	printf '%s\n' "$out" | grep -Ev "unknown (user|group) '[^']*'|does not resolve|^$" | grep . \
		&& fail "$(basename "$f"): shmbrokerd --check-policy exit $rc"
	echo "$(basename "$f"): users or groups missing here, otherwise valid"
done

[ $failed -eq 0 ] && echo "ok"
exit $failed
