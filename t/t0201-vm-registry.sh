#!/bin/bash
# ps, stop, monitor and gdbserver against real QEMU processes registered by
# hand the way `kdebug run` registers them (a directory with a lock held by
# the owner -- here flock(1) --, info, qmp.sock): the registry and QMP,
# independently of run.  One guest boots far enough to handle the ACPI
# power button (busybox acpid in a tiny initramfs); the others stay paused.
. "$(dirname "$0")/lib.sh"

test_require qemu-system-x86_64 gdb flock busybox gzip
KERNEL=$(test_kernel)
[ -n "$KERNEL" ] && [ -r "$KERNEL" ] || skip_all "no kernel to boot (set KDEBUG_TEST_KERNEL)"
REG=$XDG_RUNTIME_DIR/kdebug

# Processes started inside test bodies (subshells: test_cleanup would be
# lost there) are listed in $PIDS as "PID WORD"; at exit each is killed if
# it is still there and its command line still contains WORD.
PIDS=$TRASH/pids
: >"$PIDS"
ours() { echo "$1 $2" >>"$PIDS"; }
kill_ours() {
	local pid word
	while read -r pid word; do
		[ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$word" &&
			kill -9 "$pid"
	done <"$PIDS"
}
test_cleanup kill_ours

# start_vm NAME QEMU-ARGS...: QEMU registered as NAME.  The lock is held by
# flock(1) for as long as QEMU runs (-o: QEMU itself does not inherit it,
# as with kdebug run's O_CLOEXEC lock).  Sets OWNER and QPID.
start_vm() {
	local name=$1 d=$REG/$1
	shift
	mkdir -p -m 700 "$REG" && mkdir -m 700 "$d" || return 1
	flock -o "$d/lock" sh -c 'echo $$ >"$0/qemu.pid"; exec "$@"' "$d" \
		qemu-system-x86_64 -nodefaults -display none -accel tcg -m 256 \
		-kernel "$KERNEL" -qmp "unix:$d/qmp.sock,server=on,wait=off" \
		-name "kdebug-test-$name" "$@" >"$TRASH/$name.qemu.log" 2>&1 &
	OWNER=$!
	ours $OWNER "$d/lock"
	test_wait_for "test -s '$d/qemu.pid' && test -S '$d/qmp.sock'" 30 || return 1
	QPID=$(cat "$d/qemu.pid")
	ours $QPID "$d/qmp.sock"
	test_write_meta "$d/info" name="$name" pid="$OWNER" qemu_pid="$QPID" \
		started="$(date +%s)" kernel="$KERNEL" accel=tcg
}

# A static busybox, and the kernel's ACPI button + evdev modules (unless built in).
acpi_initramfs() {
	local kver mods=/nonexistent f
	ldd "$(command -v busybox)" >/dev/null 2>&1 && { say "busybox is not static"; return 1; }
	rm -rf ird && mkdir -p ird/bin ird/proc ird/sys ird/dev ird/etc/acpi/PWRF || return 1
	cp "$(command -v busybox)" ird/bin/busybox || return 1
	kver=${KERNEL##*/vmlinuz-}
	[ "$kver" != "$KERNEL" ] && mods=/lib/modules/$kver/kernel
	for f in drivers/input/evdev.ko drivers/acpi/button.ko; do
		[ -r "$mods/$f" ] && cp "$mods/$f" ird/
	done
	cat >ird/init <<-'EOF'
	#!/bin/busybox sh
	/bin/busybox --install -s /bin
	mount -t proc proc /proc
	mount -t sysfs sys /sys
	mount -t devtmpfs dev /dev
	for m in /evdev.ko /button.ko; do [ -r $m ] && insmod $m; done
	printf '#!/bin/sh\necho KDEBUG-TEST-POWEROFF\npoweroff -f\n' >/etc/acpi/PWRF/00000080
	chmod 755 /etc/acpi/PWRF/00000080
	acpid -d 2>/dev/null &
	apid=$!
	# ready once acpid holds the input devices open (the power button is one)
	i=0
	while ! ls -l /proc/$apid/fd 2>/dev/null | grep -q /dev/input/event && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	echo KDEBUG-TEST-READY
	exec sleep 100000
	EOF
	chmod 755 ird/init &&
	(cd ird && find . | busybox cpio -o -H newc 2>/dev/null) | gzip -1 >acpi.cpio.gz
}

test_expect_success 'ps with no VM prints only the header; --json an empty array' '
	kdebug ps >out &&
	test "$(cat out)" = "NAME  PID  ACCEL  GDB  NET  KERNEL  UPTIME" &&
	kdebug ps --json >out && test "$(tr -d " \n" <out)" = "[]"
'

test_expect_success 'stop and monitor without any VM' '
	test_expect_code 1 kdebug stop 2>err &&
	grep -q "^error: no VM is running; start one with .kdebug run." err &&
	test_expect_code 2 kdebug stop nosuch 2>err &&
	test "$(cat err)" = "error: no running VM named '\''nosuch'\''; see '\''kdebug ps'\''" &&
	test_expect_code 2 kdebug monitor nosuch info status 2>err &&
	grep -q "no running VM named .nosuch." err &&
	test_expect_code 2 kdebug gdbserver nosuch 2>err &&
	grep -q "no running VM named .nosuch." err
'

test_expect_success 'usage errors and --help' '
	kdebug ps --help | grep -q "^usage: kdebug ps" &&
	kdebug stop --help | grep -q "^usage: kdebug stop" &&
	kdebug monitor --help | grep -q "^usage: kdebug monitor" &&
	kdebug gdbserver --help | grep -q "^usage: kdebug gdbserver" &&
	test_expect_code 2 kdebug ps extra 2>err && test $(wc -l <err) = 1 &&
	test_expect_code 2 kdebug stop --timeout soon 2>err && grep -q "invalid --timeout" err &&
	test_expect_code 2 kdebug gdbserver vm1 70000 2>err && grep -q "invalid stub .70000." err &&
	test_expect_code 2 kdebug stop "bad/name" 2>err && grep -q "invalid VM name" err &&
	test_expect_code 2 kdebug monitor vm1 quit 2>err && grep -q "kdebug stop" err
'

test_expect_success 'boot a guest that powers off on the ACPI button' '
	acpi_initramfs &&
	start_vm vm1 -initrd acpi.cpio.gz -append "console=ttyS0 quiet" -no-reboot \
		-serial "file:$TRASH/vm1.console" &&
	echo "$QPID" >vm1.qpid &&
	test_wait_for "grep -q KDEBUG-TEST-READY vm1.console" 120
'
QPID1=$(cat vm1.qpid 2>/dev/null)

test_expect_success 'ps lists it: name, QEMU pid, accel, no gdbstub, no network, kernel, uptime' '
	kdebug ps >out &&
	test $(wc -l <out) = 2 &&
	grep -E "^vm1 +$QPID1 +tcg +- +- +$KERNEL +[0-9]+(s|m[0-9]{2}s)\$" out
'

test_expect_success 'ps --json has every info field' '
	kdebug ps --json >out &&
	grep -q "\"name\": \"vm1\"" out && grep -q "\"qemu_pid\": $QPID1" out &&
	grep -q "\"kernel\": \"$KERNEL\"" out && grep -q "\"gdb_port\": 0" out &&
	grep -q "\"rootfs\": null" out && grep -q "\"dir\": \"$REG/vm1\"" out
'

test_expect_success 'monitor runs one HMP command' '
	kdebug monitor vm1 info status >out &&
	test "$(cat out)" = "VM status: running" &&
	kdebug monitor vm1 "info name" >out && grep -q "kdebug-test-" out
'

test_expect_success 'monitor reads commands from stdin; quit leaves the monitor, not the VM' '
	printf "info status\n\n  quit\ninfo name\n" | kdebug monitor vm1 >out 2>err &&
	test "$(cat out)" = "VM status: running" &&
	grep -q "use .kdebug stop. to end the VM" err &&
	kill -0 $QPID1 &&
	echo "info status" | kdebug monitor >out && grep -q "VM status: running" out
'

test_expect_success 'monitor: HMP errors are shown' '
	kdebug monitor vm1 "frobnicate" >out &&
	grep -qi "unknown command" out
'

test_expect_success 'gdbserver tcp starts the gdbstub on 127.0.0.1 and records the port' '
	kdebug gdbserver vm1 tcp >out 2>err &&
	grep -q "every local user can reach 127.0.0.1:" err &&
	port=$(sed -n "s/^gdbserver for vm1 on 127\.0\.0\.1:\([0-9]*\); attach with: kdebug gdb vm1\$/\1/p" out) &&
	test -n "$port" && echo $port >gdb.port &&
	test "$(test_meta_field "$REG/vm1/info" gdb_port)" = "$port" &&
	kdebug ps | grep -qE "^vm1 .* 127\.0\.0\.1:$port " &&
	kdebug monitor vm1 info chardev | grep -q "tcp:127.0.0.1:$port" &&
	hex=$(printf "%04X" $port) &&
	grep -q "^ *[0-9]*: 0100007F:$hex 00000000:0000 0A" /proc/net/tcp &&
	! grep -q "^ *[0-9]*: 00000000:$hex 00000000:0000 0A" /proc/net/tcp
'
PORT=$(cat gdb.port 2>/dev/null)

test_expect_success 'real gdb reads the registers through it; the VM runs on' '
	timeout 60 gdb -nx -batch -ex "set architecture i386:x86-64" \
		-ex "target remote 127.0.0.1:$PORT" -ex "info registers rip" -ex detach >out 2>&1 &&
	grep -qE "^rip +0x[0-9a-f]+" out &&
	kdebug monitor vm1 info status | grep -q running
'

test_expect_success 'gdbserver again reports the stub that is there' '
	kdebug gdbserver vm1 >out &&
	grep -q "^gdbserver for vm1 already on 127.0.0.1:$PORT;" out &&
	kdebug gdbserver vm1 $PORT >out &&
	grep -q "already on 127.0.0.1:$PORT;" out
'

test_expect_success 'a second, paused VM' '
	start_vm vm2 -S && echo "$QPID" >vm2.qpid
'
QPID2=$(cat vm2.qpid 2>/dev/null)

test_expect_success 'gdbserver on a port in use: one line, exit 2' '
	test_expect_code 2 kdebug gdbserver vm2 $PORT 2>err &&
	test "$(cat err)" = "error: port $PORT on 127.0.0.1 is in use; pick another port or omit it" &&
	! test "$(test_meta_field "$REG/vm2/info" gdb_port)" = "$PORT"
'

test_expect_success 'gdbserver tcp without a port takes the next free one' '
	kdebug gdbserver vm2 tcp >out &&
	port2=$(sed -n "s/^gdbserver for vm2 on 127\.0\.0\.1:\([0-9]*\);.*/\1/p" out) &&
	test -n "$port2" && test "$port2" -gt "$PORT" &&
	test "$(test_meta_field "$REG/vm2/info" gdb_port)" = "$port2"
'

test_expect_success 'gdbserver with another port moves the stub' '
	port2=$(test_meta_field "$REG/vm2/info" gdb_port) &&
	for p in $(seq $((port2 + 1)) $((port2 + 100))); do
		grep -q ":$(printf %04X $p) " /proc/net/tcp || break
	done &&
	kdebug gdbserver vm2 $p >out &&
	grep -q "^gdbserver for vm2 on 127.0.0.1:$p;" out &&
	test "$(test_meta_field "$REG/vm2/info" gdb_port)" = "$p" &&
	kdebug monitor vm2 info chardev >out &&
	grep -q "tcp:127.0.0.1:$p," out && ! grep -q "tcp:127.0.0.1:$port2," out &&
	! grep -q "^ *[0-9]*: 0100007F:$(printf %04X $port2) 00000000:0000 0A" /proc/net/tcp
'

test_expect_success 'gdbserver unix moves the stub to a socket only the owner can use' '
	kdebug gdbserver vm2 unix >out &&
	sock="$REG/vm2/gdb.sock" &&
	grep -q "^gdbserver for vm2 on $sock; attach with: kdebug gdb vm2\$" out &&
	test "$(test_meta_field "$REG/vm2/info" gdb_socket)" = "$sock" &&
	test "$(stat -c %a "$REG/vm2")" = 700 && test $((0$(stat -c %a "$sock") & 022)) = 0 &&
	kdebug ps | grep -qE "^vm2 .* $sock " &&
	timeout 60 gdb -nx -batch -ex "set architecture i386:x86-64" \
		-ex "target remote $sock" -ex "info registers rip" -ex detach >out 2>&1 &&
	grep -qE "^rip +0x[0-9a-f]+" out &&
	kdebug gdbserver vm2 >out && grep -q "^gdbserver for vm2 already on $sock;" out
'

test_expect_success 'another local user (nobody) cannot reach the unix gdbstub' '
	sock="$REG/vm2/gdb.sock" &&
	! timeout 30 setpriv --reuid=nobody --regid=nogroup --clear-groups \
		gdb -nx -batch -ex "target remote $sock" -ex "info registers rip" >nb.out 2>&1 &&
	! grep -qE "^rip +0x" nb.out &&
	grep -qiE "permission denied|no such file" nb.out
'

test_expect_success 'with two VMs, a name is needed' '
	test_expect_code 2 kdebug stop 2>err &&
	grep -q "several VMs are running (vm1, vm2); name one: .kdebug stop NAME." err &&
	test_expect_code 2 kdebug monitor 2>err </dev/null
'

test_expect_success 'stop powers the ACPI guest off' '
	kdebug stop vm1 >out 2>err &&
	test "$(cat out)" = "stopped vm1 (powered off)" &&
	grep -q KDEBUG-TEST-POWEROFF vm1.console &&
	test_no_qemu_of $QPID1 &&
	! test -e "$REG/vm1" &&
	! kdebug ps | grep -q "^vm1 "
'

test_expect_success 'stop quits QEMU when the guest does not power off' '
	kdebug stop vm2 --timeout 1 >out 2>err &&
	test "$(cat out)" = "stopped vm2 (quit QEMU)" &&
	grep -q "did not shut down within 1 s on the power button or Ctrl-Alt-Del" err &&
	test_no_qemu_of $QPID2 && ! test -e "$REG/vm2"
'

test_expect_success 'stop --force quits at once; NAME optional with one VM' '
	start_vm vm3 -S &&
	start=$(date +%s) &&
	kdebug stop --force >out 2>err &&
	test "$(cat out)" = "stopped vm3 (quit QEMU)" &&
	! grep -q "did not shut down" err &&
	test $(( $(date +%s) - start )) -lt 5 &&
	test_no_qemu_of $QPID
'

test_expect_success 'stop kills a QEMU that does not answer' '
	start_vm vm4 -S &&
	kill -STOP $QPID &&
	kdebug stop vm4 --timeout 1 >out 2>err &&
	test "$(cat out)" = "stopped vm4 (killed QEMU)" &&
	test_wait_for "test_no_qemu_of $QPID" 5 && ! test -e "$REG/vm4"
'

test_expect_success 'stop without a monitor: SIGTERM to QEMU' '
	start_vm vm5 -S &&
	rm "$REG/vm5/qmp.sock" &&
	kdebug stop vm5 >out 2>err &&
	test "$(cat out)" = "stopped vm5 (terminated QEMU)" &&
	grep -q "^warning: cannot use the QEMU monitor of .vm5." err &&
	grep -q "terminating on signal 15" vm5.qemu.log &&
	test_no_qemu_of $QPID && ! test -e "$REG/vm5"
'

test_expect_success 'a VM whose owner died is stale: ps removes it' '
	mkdir -p -m 700 "$REG/dead" &&
	flock -o "$REG/dead/lock" sh -c "echo \$\$ >$TRASH/sleep.pid; exec sleep 1000" &
	owner=$! && ours $owner "$REG/dead/lock" &&
	test_wait_for "test -s sleep.pid" 10 &&
	sleeper=$(cat sleep.pid) && ours $sleeper "sleep 1000" &&
	test_write_meta "$REG/dead/info" pid=$owner qemu_pid=$sleeper kernel=x &&
	kdebug ps >out && grep -q "^dead " out &&
	kill -9 $owner && kill -9 $sleeper &&
	test_wait_for "! kill -0 $owner 2>/dev/null" 5 &&
	kdebug ps >out && ! grep -q "^dead " out &&
	! test -e "$REG/dead"
'

test_expect_success 'no VM left' '
	kdebug ps --json >out && test "$(tr -d " \n" <out)" = "[]" &&
	test -z "$(ls -A "$REG")"
'

test_done
