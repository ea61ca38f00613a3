#!/bin/bash
# ps, stop, monitor and gdbserver on VMs started by `kdebug run`: the
# registry entry run makes (pid, qemu_pid, gdb_port, kernel, accel,
# qmp.sock), and run going away cleanly when its VM is stopped.
# (t0201 tests the same commands on hand-registered QEMUs, without run.)
. "$(dirname "$0")/lib.sh"

test_require qemu-system-x86_64 gdb
KERNEL=$(test_kernel)
[ -n "$KERNEL" ] && [ -r "$KERNEL" ] || skip_all "no kernel to boot (set KDEBUG_TEST_KERNEL)"
REG=$XDG_RUNTIME_DIR/kdebug

# Background runs, started inside test bodies (subshells: test_cleanup would
# be lost there), are listed in $PIDS and sent SIGTERM at exit if still there.
PIDS=$TRASH/pids
: >"$PIDS"
kill_runs() {
	local pid
	while read -r pid; do
		[ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "kdebug run" &&
			kill "$pid"
	done <"$PIDS"
}
test_cleanup kill_runs

# The QEMU pid of a VM, from ps --json (no JSON tool needed: one field per line).
qemu_pid_of() {
	kdebug ps --json | awk -v n="\"$1\"," '
		/"name":/ { cur = $2 }
		/"qemu_pid":/ && cur == n { sub(",", "", $2); print $2 }'
}

gdb_socket_of() {
	test_instance_field "$1" gdb_socket
}

# Wait for a background `kdebug run` to end (and reap it).
run_ends() {
	test_wait_for "! kill -0 $1 2>/dev/null" "${2:-30}" && { wait "$1"; true; }
}

test_expect_success 'run --gdb --wait-gdb registers the VM' '
	kdebug run -k "$KERNEL" --name e2e --gdb --wait-gdb --exec "echo RAN" --timeout 300 \
		>e2e.out 2>e2e.err &
	echo $! >e2e.pid && echo $! >>"$PIDS" &&
	test_wait_for "kdebug ps | grep -qE \"^e2e +[0-9]+ \"" 60
'
RUNPID=$(cat e2e.pid 2>/dev/null)
QPID=$(qemu_pid_of e2e)
SOCK=$(gdb_socket_of e2e)

test_expect_success 'ps: QEMU pid, gdbstub socket, network, kernel' '
	test -n "$QPID" && tr "\0" " " </proc/$QPID/cmdline | grep -q "qemu-system" &&
	test "$SOCK" = "$REG/e2e/gdb.sock" && test -S "$SOCK" && test "$(stat -c %a "$SOCK")" = 600 &&
	test "$(test_instance_field e2e gdb_port)" = 0 &&
	kdebug ps | grep -E "^e2e +$QPID +[a-z]+ +$SOCK +user:10\.0\.2\.15/24 +$KERNEL "
'

test_expect_success 'monitor: the guest waits for gdb' '
	kdebug monitor e2e info status >out &&
	grep -q "VM status: paused" out
'

test_expect_success 'gdbserver reports the stub run started' '
	kdebug gdbserver e2e >out &&
	grep -q "^gdbserver for e2e already on $SOCK;" out
'

test_expect_success 'real gdb reads the registers' '
	timeout 60 gdb -nx -batch -ex "set architecture i386:x86-64" \
		-ex "target remote $SOCK" -ex "info registers rip" -ex detach >out 2>&1 &&
	grep -qE "^rip +0x[0-9a-f]+" out
'

test_expect_success 'another local user (nobody) can neither attach to the gdbstub nor reach it' '
	! timeout 30 setpriv --reuid=nobody --regid=nogroup --clear-groups \
		gdb -nx -batch -ex "target remote $SOCK" -ex "info registers rip" >nb.out 2>&1 &&
	cat nb.out &&
	! grep -qE "^rip +0x" nb.out && grep -qi "permission denied" nb.out &&
	kill -0 $QPID && kdebug monitor e2e info status | grep -q "VM status: "
'

test_expect_success 'stop: QEMU quits, run ends, the registry is clean' '
	kdebug stop e2e --timeout 1 >out 2>err &&
	grep -q "^stopped e2e (" out &&
	test_no_qemu_of $QPID &&
	run_ends $RUNPID &&
	! test -e "$REG/e2e" &&
	! grep -qx RAN e2e.out
'

test_expect_success 'a generated name; gdbserver and stop without a name' '
	kdebug run -k "$KERNEL" --exec "sleep 600" --timeout 600 >k.out 2>k.err &
	pid=$! && echo $pid >>"$PIDS" &&
	test_wait_for "kdebug ps | grep -qE \"^k1 +[0-9]+ \"" 60 &&
	qpid=$(qemu_pid_of k1) && test -n "$qpid" &&
	kdebug gdbserver >out &&
	grep -q "^gdbserver for k1 on $REG/k1/gdb.sock;" out &&
	test "$(gdb_socket_of k1)" = "$REG/k1/gdb.sock" &&
	kdebug stop --timeout 1 >out &&
	grep -q "^stopped k1 (" out &&
	test_no_qemu_of $qpid &&
	run_ends $pid &&
	kdebug ps --json >out && test "$(tr -d " \n" <out)" = "[]"
'

test_done
