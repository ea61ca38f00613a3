#!/bin/bash
# kdebug run: boot a real kernel under QEMU (TCG here), --exec, exit codes,
# panics, timeouts, the ext3 image on -hda, gdbstub, and no leftovers.
. "$(dirname "$0")/lib.sh"
test_require qemu-system-x86_64 gdb

KERNEL=$(test_kernel)
[ -n "$KERNEL" ] || skip_all "no kernel to boot (install linux-image-amd64)"

qemu_pids() {	# QEMU processes whose command line mentions this test's registry
	pgrep -f "qemu-system-x86_64.*$TRASH/run" || true
}

test_expect_success 'run --exec prints the guest command output and returns 0' '
	kdebug run --kernel "$KERNEL" --exec "cat /proc/version" --timeout 120 >out 2>err &&
	grep -q "^Linux version " out &&
	! grep -q KDEBUG- out
'

test_expect_success 'run --exec returns the guest command exit status' '
	test_expect_code 3 kdebug run --kernel "$KERNEL" --exec "echo before; exit 3" --timeout 120 >out &&
	grep -qx before out
'

test_expect_success 'quoting, pipes and multi-line commands survive the trip' '
	kdebug run -k "$KERNEL" --timeout 120 --exec "printf \"%s|\" \"a b\" c; echo
echo \$((6*7)) | tr 4 X" >out &&
	grep -qx "a b|c|" out && grep -qx "X2" out
'

test_expect_success 'memory, CPUs and extra QEMU arguments reach the guest' '
	kdebug run -k "$KERNEL" --memory 300 --smp 2 --qemu-arg -name --qemu-arg kdebug-test-vm \
		--exec "nproc; grep MemTotal /proc/meminfo" --timeout 180 >out &&
	grep -qx 2 out &&
	kb=$(awk "/MemTotal/ {print \$2}" out) && test "$kb" -gt 200000 && test "$kb" -le 307200
'

test_expect_success 'interactive: console on a terminal, the monitor on Ctrl-A c, Ctrl-A x quits' '
	python3 "$TEST_DIRECTORY/interactive.py" "$KDEBUG_BIN" run -k "$KERNEL" --name tty >tty.out 2>&1 &&
	test ! -e "$XDG_RUNTIME_DIR/kdebug/tty" &&
	test -z "$(qemu_pids)"
'

test_expect_success 'the instance is gone after the run' '
	kdebug ps >ps && ! grep -q "^k1 " ps &&
	test -z "$(ls "$XDG_RUNTIME_DIR/kdebug" 2>/dev/null)"
'

test_expect_success 'a kernel panic ends the run non-zero and shows the panic' '
	test_expect_code 1 kdebug run -k "$KERNEL" --append "rdinit=/nonexistent init=/nonexistent" \
		--exec true --timeout 120 >out 2>err &&
	grep -q "panicked" err && grep -q "Kernel panic - not syncing" err
'

test_expect_success '--timeout: a hang (status 124, the report on stdout), the VM gone' '
	test_expect_code 124 kdebug run -k "$KERNEL" --exec "echo SLEEPING; sleep 1000" --timeout 25 >out 2>err &&
	grep -q "the run did not finish within --timeout 25 s" out &&
	grep -q "SLEEPING" out &&
	test -z "$(qemu_pids)"
'

test_expect_success '--no-watch --timeout: killed, status 1, the last console lines' '
	test_expect_code 1 kdebug run -k "$KERNEL" --no-watch --exec "echo SLEEPING; sleep 1000" --timeout 25 >out 2>err &&
	grep -q "did not finish within 25 s" err &&
	grep -q "SLEEPING" out &&
	test -z "$(qemu_pids)"
'

test_expect_success 'the ext3 image boots with root=/dev/sda on -hda (with the distro initrd)' '
	INITRD=$(ls /boot/initrd.img-* | sort -V | tail -n1) &&
	kdebug rootfs --format ext3 -o rootfs.img &&
	kdebug run -k "$KERNEL" --rootfs rootfs.img --initrd "$INITRD" --timeout 180 \
		--exec "grep \" / \" /proc/mounts; cat /proc/cmdline" >out 2>err &&
	grep -q "^/dev/sda / ext3" out &&
	grep -q "root=/dev/sda" out
'

test_expect_success 'gdbstub: --wait-gdb holds the guest until gdb continues' '
	"$KDEBUG_BIN" run -k "$KERNEL" --name held --wait-gdb --exec "echo RAN" --timeout 180 >held.out 2>held.err &
	pid=$!
	test_cleanup "kill $pid 2>/dev/null"
	test_wait_for "kdebug ps | grep -qE \"^held +[0-9]+ \"" 30 &&
	sleep 3 &&
	kdebug monitor held "info status" >status &&
	grep -q "paused (prelaunch)" status &&
	test ! -s held.out &&
	sock=$(test_instance_field held gdb_socket) &&
	test "$sock" = "$XDG_RUNTIME_DIR/kdebug/held/gdb.sock" && test -S "$sock" &&
	test "$(test_instance_field held gdb_port)" = 0 &&
	kdebug gdb held --batch "info registers rip;detach" >gdb.out 2>&1 &&
	grep -q "^rip *0xfff0" gdb.out &&
	wait $pid &&
	grep -qx RAN held.out
'

test_expect_success 'the tutorial breakpoint: ip_rcv (address from /proc/kallsyms) hits on ping' '
	kdebug run -k "$KERNEL" --timeout 120 --exec "grep -E \" (ip_rcv|init_uts_ns)\$\" /proc/kallsyms" >sym &&
	addr=$(awk "/ ip_rcv/ {print \$1; exit}" sym) &&
	uts=$(awk "/ init_uts_ns/ {print \$1; exit}" sym) &&
	test -n "$addr" && test -n "$uts" || exit 1
	"$KDEBUG_BIN" run -k "$KERNEL" --name bp --gdb --exec "$GUEST_WAIT_GDB; ping -c1 127.0.0.1" --timeout 300 >bp.out 2>bp.err &
	pid=$!
	test_cleanup "kill $pid 2>/dev/null"
	test_wait_for "grep -q KDEBUG-READY $XDG_RUNTIME_DIR/kdebug/bp/console.log 2>/dev/null" 120 &&
	kdebug gdb bp --break "*0x$addr" --batch "$(GDB_GO_AT $uts);continue;print \$pc;detach" >gdb.out 2>&1 &&
	cat gdb.out &&
	grep -qi "breakpoint 1, 0x0*$addr" gdb.out &&
	wait $pid &&
	grep -q "1 packets received" bp.out
'

test_expect_success 'two VMs at once get different gdb ports (--gdb tcp, on 127.0.0.1 only, with a note)' '
	"$KDEBUG_BIN" run -k "$KERNEL" --name one --gdb=tcp --exec "sleep 30" --timeout 120 >/dev/null 2>one.err &
	p1=$!
	test_cleanup "kill $p1 2>/dev/null"
	"$KDEBUG_BIN" run -k "$KERNEL" --name two --gdb=tcp --exec "sleep 30" --timeout 120 >/dev/null 2>&1 &
	p2=$!
	test_cleanup "kill $p2 2>/dev/null"
	test_wait_for "kdebug ps | grep -qE \"^one +[0-9]+ \" && kdebug ps | grep -qE \"^two +[0-9]+ \"" 30 &&
	port1=$(test_instance_field one gdb_port) && port2=$(test_instance_field two gdb_port) &&
	test "$port1" -gt 0 && test "$port2" -gt 0 && test "$port1" != "$port2" &&
	ss -ltnH "sport = :$port1" >listen &&
	grep -q "127.0.0.1:$port1" listen && ! grep -q -v "127.0.0.1:$port1" listen &&
	grep -q "every local user can reach it" one.err &&
	kdebug stop one && kdebug stop two || exit 1
	wait $p1
	wait $p2
	test -z "$(qemu_pids)"
'

test_expect_success 'kill -9 of kdebug leaves no QEMU behind; the stale instance is cleaned' '
	"$KDEBUG_BIN" run -k "$KERNEL" --name doomed --exec "sleep 600" >/dev/null 2>&1 &
	pid=$!
	test_cleanup "kill $pid 2>/dev/null"
	test_wait_for "kdebug ps | grep -qE \"^doomed +[0-9]+ \"" 30 &&
	qpid=$(test_instance_field doomed qemu_pid) &&
	kill -0 $qpid &&
	kill -9 $pid &&
	test_wait_for "! kill -0 $qpid 2>/dev/null" 10 &&
	kdebug ps >ps && ! grep -q doomed ps &&
	test ! -e "$XDG_RUNTIME_DIR/kdebug/doomed"
'

test_expect_success 'SIGINT/SIGTERM of kdebug stops the VM and removes the instance' '
	for sig in INT TERM; do
		"$KDEBUG_BIN" run -k "$KERNEL" --name intr --exec "sleep 600" >/dev/null 2>err &
		pid=$!
		test_cleanup "kill $pid 2>/dev/null"
		test_wait_for "kdebug ps | grep -qE \"^intr +[0-9]+ \"" 30 &&
		qpid=$(test_instance_field intr qemu_pid) &&
		kill -$sig $pid || exit 1
		wait $pid
		code=$?
		test $code = $((128 + $(kill -l $sig))) &&
		! kill -0 $qpid 2>/dev/null &&
		test ! -e "$XDG_RUNTIME_DIR/kdebug/intr" || exit 1
	done
'

# Bad input: one line, exit 2, nothing left behind.
no_leftovers() { test -z "$(ls "$XDG_RUNTIME_DIR/kdebug" 2>/dev/null)" && test -z "$(qemu_pids)"; }

test_expect_success 'missing kernel file' '
	test_expect_code 2 kdebug run --kernel /nonexistent/bzImage 2>err &&
	test $(wc -l <err) = 1 && grep -q "cannot open kernel ./nonexistent/bzImage." err && no_leftovers
'

test_expect_success 'a file that is not a bzImage' '
	test_expect_code 2 kdebug run --kernel /bin/sh 2>err &&
	test $(wc -l <err) = 1 && grep -q "is not a bzImage" err && no_leftovers
'

test_expect_success 'no kernel at all' '
	mkdir -p empty-cache &&
	test_expect_code 2 env KDEBUG_CACHE_DIR=$PWD/empty-cache "$KDEBUG_BIN" run --exec true 2>err &&
	test $(wc -l <err) = 1 && grep -q -- "--kernel" err && no_leftovers
'

test_expect_success 'gdb port in use' '
	python3 -c "import socket,time; s=socket.socket(); s.bind((\"127.0.0.1\",0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(60)" >port &
	holder=$! && test_cleanup "kill $holder" &&
	test_wait_for "test -s port" 10 &&
	test_expect_code 2 kdebug run -k "$KERNEL" --gdb=$(cat port) --exec true 2>err &&
	kill $holder &&
	test $(wc -l <err) = 1 && grep -q "port $(cat port) on 127.0.0.1 is in use" err && no_leftovers
'

test_expect_success 'qemu missing from PATH' '
	mkdir -p emptybin &&
	test_expect_code 2 env PATH="$PWD/emptybin" "$KDEBUG_BIN" run -k "$KERNEL" --exec true 2>err &&
	test $(wc -l <err) = 1 && grep -q "qemu-system-x86_64 not found.*qemu-system-x86" err && no_leftovers
'

test_expect_success 'a rootfs that is neither cpio nor ext' '
	echo hello >notfs &&
	test_expect_code 2 kdebug run -k "$KERNEL" --rootfs notfs --exec true 2>err &&
	test $(wc -l <err) = 1 && grep -q "neither an initramfs" err && no_leftovers
'

test_expect_success 'invalid options are usage errors' '
	test_expect_code 2 kdebug run -k "$KERNEL" --accel hvf 2>err && grep -q "invalid --accel" err &&
	test_expect_code 2 kdebug run -k "$KERNEL" --gdb=0 2>err && grep -q "invalid --gdb .0." err &&
	test_expect_code 2 kdebug run -k "$KERNEL" --name "bad name" 2>err && grep -q "invalid name" err &&
	no_leftovers
'

test_done
