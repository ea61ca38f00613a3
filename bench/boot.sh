#!/bin/bash
# Benchmark: `kdebug run --exec true` against the equivalent hand-written QEMU
# command line, same kernel, same BusyBox initramfs, side by side, several
# repetitions, medians.
#
#   hand   qemu-system-x86_64 with kdebug's lean arguments; the initramfs's
#          rcS reboots as soon as it has run (kdebug rootfs --init-cmd 'reboot -f')
#   kdebug kdebug run --exec true (instance registry, QMP socket, exec agent,
#          console protocol, cleanup)
#   naive  the tutorial-style command line (-nographic, default devices and NIC)
#          on the same initramfs, for reference
#
#   bench/boot.sh [REPETITIONS] [KERNEL]   (default 5, newest /boot/vmlinuz-*)
set -u
N=${1:-5}
. "$(dirname "$0")/lib.sh"
KERNEL=${2:-$(ls /boot/vmlinuz-* | sort -V | tail -n1)}
bench_scratch boot
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1

"$KDEBUG" rootfs -o default.cpio.gz >/dev/null 2>&1 || { echo "kdebug rootfs failed" >&2; exit 1; }
"$KDEBUG" rootfs -o reboot.cpio.gz --init-cmd 'reboot -f' >/dev/null 2>&1 || exit 1


hand() {
	qemu-system-x86_64 -nodefaults -no-user-config -display none -no-reboot -machine pc \
		-accel tcg -m 512 -kernel "$KERNEL" -initrd reboot.cpio.gz \
		-append 'console=ttyS0 nokaslr quiet panic=-1' -serial stdio </dev/null
}
# The same devices as the hand-written line (no NIC): kdebug's own overhead.
kd() {
	"$KDEBUG" run --accel tcg --net none --kernel "$KERNEL" --rootfs default.cpio.gz --exec true
}
# kdebug's default (user-mode networking with an e1000), for reference.
kdnet() {
	"$KDEBUG" run --accel tcg --kernel "$KERNEL" --rootfs default.cpio.gz --exec true
}
naive() {
	qemu-system-x86_64 -nographic -no-reboot -m 512 -kernel "$KERNEL" -initrd reboot.cpio.gz \
		-append 'console=ttyS0 nokaslr panic=-1' </dev/null
}

: >hand.t; : >kdebug.t; : >naive.t; : >kdnet.t
for i in $(seq "$N"); do	# interleaved, so drift hits every variant alike
	for v in hand kdebug kdnet naive; do
		f=$v; [ $v = kdebug ] && f=kd
		t0=$(ms)
		$f >"$v.out" 2>&1 || { echo "$v failed:"; tail -5 "$v.out"; exit 1; }
		echo $(( $(ms) - t0 )) >>"$v.t"
	done
done
h=$(median <hand.t); k=$(median <kdebug.t); n=$(median <naive.t); kn=$(median <kdnet.t)
echo "kernel: $KERNEL (TCG), $N repetitions, median ms"
printf '  %-40s %6s ms   (%s)\n' "hand-written lean qemu" "$h" "$(tr '\n' ' ' <hand.t)"
printf '  %-40s %6s ms   (%s)\n' "kdebug run --net none --exec true" "$k" "$(tr '\n' ' ' <kdebug.t)"
printf '  %-40s %6s ms   (%s)\n' "kdebug run --exec true (default: e1000)" "$kn" "$(tr '\n' ' ' <kdnet.t)"
printf '  %-40s %6s ms   (%s)\n' "naive qemu (-nographic, defaults)" "$n" "$(tr '\n' ' ' <naive.t)"
awk -v h="$h" -v k="$k" -v n="$n" 'BEGIN {
	printf "kdebug / hand-written: %.3f  (overhead %+.1f%%; goal within 5%%)\n", k / h, (k / h - 1) * 100
	printf "kdebug / naive:        %.3f\n", k / n }'
