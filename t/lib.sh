# Test library for kdebug's end-to-end scripts (TAP, run by prove).
#
#   . "$(dirname "$0")/lib.sh"
#   test_expect_success 'what it checks' '
#       kdebug run ... >out && grep -q foo out
#   '
#   test_done
#
# Each script runs in its own scratch directory t/trash.<script>/ with its own
# instance registry (XDG_RUNTIME_DIR); cleanups registered with
# test_cleanup 'CMD' run at exit, whatever happened.  Prerequisites that are
# missing skip the whole script with a reason -- except under
# KDEBUG_TEST_STRICT=1 (set by .ci/run), where a missing prerequisite fails.

set -u
TEST_DIRECTORY=$(cd "$(dirname "$0")" && pwd)
TEST_ROOT=$(cd "$TEST_DIRECTORY/.." && pwd)
TEST_NAME=$(basename "$0" .sh)
KDEBUG_BIN=${KDEBUG_BIN:-$TEST_ROOT/kdebug}
TRASH=$TEST_DIRECTORY/trash.$TEST_NAME
# Shared by all scripts: the default rootfs, busybox builds (not the kernel).
export KDEBUG_CACHE_DIR=${KDEBUG_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kdebug-test}
export KDEBUG_DATADIR=$TEST_ROOT

rm -rf "$TRASH"
mkdir -p "$TRASH/run"
chmod 700 "$TRASH/run"
export XDG_RUNTIME_DIR=$TRASH/run
cd "$TRASH" || exit 1

test_count=0
test_failures=0
kdebug() { "$KDEBUG_BIN" "$@"; }

say() { printf '# %s\n' "$*"; }

# Cleanups go to a file, so that test bodies (which run in subshells) can
# register them too; they run last-registered first.
_cleanup_file=$TRASH/.cleanups
: >"$_cleanup_file"
test_cleanup() { printf '%s\n' "$1" >>"$_cleanup_file"; }

_run_cleanups() {
	local c
	[ -f "$_cleanup_file" ] || return 0
	tac "$_cleanup_file" | while IFS= read -r c; do
		[ -n "$c" ] && eval "$c" >/dev/null 2>&1
	done
	: >"$_cleanup_file"
}
trap '_run_cleanups' EXIT
trap '_run_cleanups; exit 130' INT TERM

skip_all() {
	if [ "${KDEBUG_TEST_STRICT:-0}" = 1 ]; then
		echo "1..1"
		echo "not ok 1 - prerequisite missing under KDEBUG_TEST_STRICT: $*"
		exit 1
	fi
	echo "1..0 # SKIP $*"
	exit 0
}

# test_require PROGRAM... : skip_all unless each is in PATH.
test_require() {
	local p
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 || skip_all "$p not installed"
	done
}

test_expect_success() {
	local desc=$1 body=$2 out=$TRASH/.test-output
	test_count=$((test_count + 1))
	if (eval "$body") >"$out" 2>&1; then
		echo "ok $test_count - $desc"
		[ "${TEST_VERBOSE:-0}" = 1 ] && sed 's/^/# /' "$out"
	else
		echo "not ok $test_count - $desc"
		test_failures=$((test_failures + 1))
		# On stderr too, so that prove shows it without -v (CI logs).
		{ echo "# $TEST_NAME: not ok $test_count - $desc"; sed 's/^/#   /' "$out" | tail -n 60; } |
			tee /dev/stderr
	fi
	return 0
}

# Expect a command to fail with a given exit code: test_expect_code 2 CMD...
test_expect_code() {
	local want=$1 got
	shift
	"$@"
	got=$?
	if [ "$got" != "$want" ]; then
		echo "expected exit $want, got $got from: $*" >&2
		return 1
	fi
}

# Wait (up to $2 seconds, default 30) for a shell condition to become true.
test_wait_for() {
	local cond=$1 limit=${2:-30} i=0
	while ! eval "$cond"; do
		i=$((i + 1))
		[ "$i" -gt $((limit * 10)) ] && { echo "timed out waiting for: $cond" >&2; return 1; }
		sleep 0.1
	done
}

# A guest that must act only once gdb is in (its breakpoints set) waits for
# gdb's go: `kdebug run --exec "$GUEST_WAIT_GDB; ACTION"`, and gdb, attached
# after the guest is up (KDEBUG-READY on its console), renames the guest
# kdebug -> Kdebug with $GDB_GO before it continues (no symbols needed:
# $GDB_GO_AT ADDR finds the name from init_uts_ns's address in kallsyms).
GUEST_WAIT_GDB='i=0; while [ "$(hostname)" = kdebug ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done'
GDB_GO='set var init_uts_ns.name.nodename[0] = 75'
GDB_GO_AT() { echo "find /b 0x$1, +1024, 107, 100, 101, 98, 117, 103, 0; set var *(char *)\$_ = 75"; }

# The kernel the end-to-end tests boot: $KDEBUG_TEST_KERNEL, else Debian's.
test_kernel() {
	if [ -n "${KDEBUG_TEST_KERNEL:-}" ]; then
		echo "$KDEBUG_TEST_KERNEL"
		return
	fi
	ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1
}

# Registry listing helpers: no stray VM may outlive a test.
test_no_qemu_of() {	# PID...
	local p
	for p in "$@"; do
		if kill -0 "$p" 2>/dev/null; then
			echo "process $p still alive" >&2
			return 1
		fi
	done
}

test_done() {
	echo "1..$test_count"
	[ "$test_failures" = 0 ]
}

# test_instance_field NAME FIELD: a field of `kdebug ps --json` for one VM.
test_instance_field() {
	"$KDEBUG_BIN" ps --json | python3 -c '
import json, sys
for vm in json.load(sys.stdin):
    if vm["name"] == sys.argv[1]:
        print(vm[sys.argv[2]])
        sys.exit(0)
sys.exit(1)' "$1" "$2"
}

# test_meta_field FILE KEY: a field of one of kdebug's metadata files (a
# JSON object: an instance's info, a build's kdebug-state); fails when absent.
# The cached test kernel's kdebug-state may come from an older kdebug, whose
# key=value lines kdebug still reads: so does this.
test_meta_field() {
	python3 -c '
import json, sys
text = open(sys.argv[1]).read()
try:
    v = json.loads(text).get(sys.argv[2])
except ValueError:
    kv = dict(l.split("=", 1) for l in text.splitlines() if "=" in l and not l.startswith("#"))
    v = kv.get(sys.argv[2])
if v is None:
    sys.exit(1)
print(v)' "$1" "$2"
}

# test_write_meta FILE KEY=VALUE...: write a metadata file as kdebug does
# (all-digit values become numbers).
test_write_meta() {
	python3 -c '
import json, sys
o = {"version": 1}
for kv in sys.argv[2:]:
    k, v = kv.split("=", 1)
    o[k] = int(v) if v.isdigit() else v
open(sys.argv[1] + ".tmp", "w").write(json.dumps(o) + "\n")' "$@" &&
	mv "$1.tmp" "$1"
}

# ---- The kernel built from source (t/test-kernel.sh) ----
# KDEBUG_KERNEL_SOURCE: the tarball (default /usr/src/linux-source-6.1.tar.xz).
# KDEBUG_KERNEL_CACHE: where it is unpacked and built once, outside the
# clone (default ~/.cache/kdebug; the test kernel lives in test-kernel/).
TEST_KERNEL_SOURCE=${KDEBUG_KERNEL_SOURCE:-/usr/src/linux-source-6.1.tar.xz}
TEST_KERNEL_CACHE=${KDEBUG_KERNEL_CACHE:-${HOME:-/tmp}/.cache/kdebug}/test-kernel
exec 7>&1	# TAP's stdout, for "Bail out!" from inside $(...)

# Skip the script unless the kernel source and the build tools are there.
test_require_kernel_source() {
	[ -f "$TEST_KERNEL_SOURCE" ] ||
		skip_all "no kernel source $TEST_KERNEL_SOURCE (apt-get install linux-source-6.1)"
	test_require make gcc flex bison bc
}

# Echo the build directory of the minimal-profile kernel (bzImage, vmlinux,
# vmlinux-gdb.py, modules), building it the first time (5-8 minutes):
#   test_require_kernel_source
#   KERNEL_DIR=$(test_built_kernel) || exit 1
# A failed build stops the whole test run (TAP "Bail out!").
test_built_kernel() {
	local dir
	if dir=$("$TEST_DIRECTORY/test-kernel.sh"); then
		echo "$dir"
		return 0
	fi
	echo "Bail out! cannot build the test kernel: t/test-kernel.sh failed (see its messages above)" >&7
	return 1
}
