#!/bin/bash
# Benchmark: a scripted breakpoint run against the same steps typed by hand.
#
#   by hand  qemu -S with a loopback gdbstub and an initramfs whose rcS pings;
#            gdb -batch: file vmlinux, target remote, hbreak ip_rcv, continue,
#            bt, kill -- the tutorial's section 4
#   kdebug   kdebug run -k BUILD --break ip_rcv --max-hits 1 --exec 'ping -c1 127.0.0.1'
#
# Both measured from start to the end of the run (first hit printed and VM
# gone), side by side, several repetitions, medians.
#   bench/break.sh [REPETITIONS] [BUILD_DIR]   (default 5, the test kernel)
set -u
N=${1:-5}
. "$(dirname "$0")/lib.sh"
KDIR=${2:-$("$ROOT/t/test-kernel.sh")} || exit 1
bench_scratch break
QPID=
trap '[ -n "$QPID" ] && kill $QPID 2>/dev/null; rm -rf "$W"' EXIT
cd "$W" || exit 1
"$KDEBUG" rootfs -o ping.cpio.gz --init-cmd 'ping -c1 127.0.0.1 >/dev/null' --init-cmd 'reboot -f' >/dev/null 2>&1 || exit 1
"$KDEBUG" rootfs -o default.cpio.gz >/dev/null 2>&1 || exit 1
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')


by_hand() {
	qemu-system-x86_64 -nodefaults -no-user-config -display none -no-reboot -accel tcg -m 512 \
		-kernel "$KDIR/arch/x86/boot/bzImage" -initrd ping.cpio.gz \
		-append 'console=ttyS0 nokaslr quiet panic=-1' -serial null \
		-gdb tcp:127.0.0.1:$PORT -S &
	QPID=$!
	local t_gdb; t_gdb=$(ms)
	gdb -q -nx -batch -ex "file $KDIR/vmlinux" -ex "target remote 127.0.0.1:$PORT" \
		-ex 'hbreak ip_rcv' -ex continue -ex bt -ex kill >hand.gdb 2>&1
	echo $(( $(ms) - t_gdb )) >>hand.gdbonly
	wait $QPID 2>/dev/null
	QPID=
	grep -q "ip_rcv" hand.gdb
}
scripted() {
	"$KDEBUG" run --accel tcg -k "$KDIR" --rootfs default.cpio.gz --break ip_rcv --max-hits 1 \
		--exec 'ping -c1 127.0.0.1 >/dev/null' >kd.out 2>&1 && grep -q "^hit ip_rcv" kd.out
}

: >hand.t; : >kdebug.t; : >hand.gdbonly
for i in $(seq "$N"); do
	t0=$(ms); by_hand || { echo "by-hand run failed"; cat hand.gdb; exit 1; }; echo $(( $(ms) - t0 )) >>hand.t
	t0=$(ms); scripted || { echo "kdebug run failed"; cat kd.out; exit 1; }; echo $(( $(ms) - t0 )) >>kdebug.t
done
h=$(median <hand.t); k=$(median <kdebug.t); g=$(median <hand.gdbonly)
echo "kernel: $KDIR (TCG), $N repetitions, median ms"
printf '  %-52s %6s ms  (%s)\n' "by hand: qemu -S + gdb (file/target/hbreak/c/bt)" "$h" "$(tr '\n' ' ' <hand.t)"
printf '  %-52s %6s ms\n' "  of which gdb start to hit and exit" "$g"
printf '  %-52s %6s ms  (%s)\n' "kdebug run --break ip_rcv --exec ping" "$k" "$(tr '\n' ' ' <kdebug.t)"
awk -v h="$h" -v k="$k" 'BEGIN { printf "kdebug / by hand: %.3f\n", k / h }'
