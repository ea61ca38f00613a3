#!/bin/bash
# Benchmark: `kdebug rootfs` against the seed tutorial's procedure for the
# same BusyBox (the system's /bin/busybox):
#
#   dd if=/dev/zero of=rootfs.img bs=1M count=256; mkfs.ext3 rootfs.img
#   mount -o loop rootfs.img DIR; cp -a _install/* DIR; mkdir dev sys proc etc lib mnt
#   cp -a .../etc/* DIR/etc; umount DIR
#
# The tutorial needs root (mount -o loop).  Without root, or where loop
# devices are unavailable, only its dd + mkfs.ext3 part is timed, and the
# output says so: that is a lower bound of its cost.
#
#   bench/rootfs.sh [REPETITIONS]      (default 5); prints medians and ratios.
set -u
N=${1:-5}
. "$(dirname "$0")/lib.sh"
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || { echo "$BUSYBOX missing (install busybox-static)" >&2; exit 1; }
W=$(mktemp -d "${TMPDIR:-/tmp}/kdebug-bench-rootfs.XXXXXX")
MNT=
cleanup() {
	[ -n "$MNT" ] && mountpoint -q "$MNT" && umount "$MNT"
	rm -rf "$W"
}
trap cleanup EXIT
export KDEBUG_CACHE_DIR=$W/cache
cd "$W" || exit 1

# time_it NAME CMD...: run N times, print each duration in ms to NAME.times
time_it() {
	local name=$1 i t0
	shift
	: >"$name.times"
	for i in $(seq "$N"); do
		t0=$(ms)
		"$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
		echo $(( $(ms) - t0 )) >>"$name.times"
	done
	median <"$name.times"
}

# The tutorial's _install tree (what `make install` gives) and etc files.
mkdir -p _install/bin
cp "$BUSYBOX" _install/bin/busybox
for a in $("$BUSYBOX" --list-full); do
	[ -e "_install/$a" ] && continue
	mkdir -p "_install/$(dirname "$a")"
	ln -s /bin/busybox "_install/$a"
done
[ -e _install/linuxrc ] || ln -s bin/busybox _install/linuxrc
mkdir -p etc/init.d
printf '::sysinit:/etc/init.d/rcS\n::respawn:-/bin/sh\n' >etc/inittab
printf '#! /bin/sh\n\n/bin/mount -a\n/bin/mount -t sysfs sysfs /sys\n/bin/mount -t tmpfs tmpfs /dev\n/sbin/mdev -s\n' >etc/init.d/rcS
chmod 755 etc/init.d/rcS
printf 'proc /proc proc defaults 0 0\n' >etc/fstab

tutorial_full() {
	rm -f t.img
	dd if=/dev/zero of=t.img bs=1M count=256 status=none &&
	mkfs.ext3 -q -F t.img &&
	mkdir -p mnt && mount -o loop "$W/t.img" mnt && MNT=$W/mnt &&
	cp -a _install/* mnt/ &&
	(cd mnt && mkdir -p dev sys proc etc lib mnt) &&
	cp -a etc/* mnt/etc/ &&
	umount mnt && MNT=
}
tutorial_lower_bound() {
	rm -f t.img
	dd if=/dev/zero of=t.img bs=1M count=256 status=none && mkfs.ext3 -q -F t.img
}

can_loop=no
if [ "$(id -u)" = 0 ] && command -v mkfs.ext3 >/dev/null; then
	truncate -s 8M probe.img && mkfs.ext3 -q -F probe.img && mkdir -p probe &&
		mount -o loop "$W/probe.img" probe 2>/dev/null && umount probe && can_loop=yes
	rm -rf probe probe.img
fi

echo "kdebug rootfs vs the tutorial, $N repetitions each, medians in ms ($(nproc) CPUs)"
k_cpio=$(time_it k_cpio "$KDEBUG" rootfs --force -o k.cpio.gz)
k_ext3=$(time_it k_ext3 "$KDEBUG" rootfs --force -f ext3 -o k.img)
k_skip=$(time_it k_skip "$KDEBUG" rootfs -f ext3 -o k.img)
if [ "$can_loop" = yes ]; then
	label="tutorial as root: dd 256M + mkfs.ext3 + mount -o loop + cp -a + mkdir + cp etc + umount"
	t=$(time_it tut tutorial_full)
else
	label="tutorial LOWER BOUND (no root or no loop devices here): dd 256M + mkfs.ext3 only"
	t=$(time_it tut tutorial_lower_bound)
fi
printf '%-92s %8s\n' "kdebug rootfs (initramfs, gzip)" "$k_cpio"
printf '%-92s %8s\n' "kdebug rootfs -f ext3 (256M image, --force)" "$k_ext3"
printf '%-92s %8s\n' "kdebug rootfs -f ext3 (inputs unchanged: up to date)" "$k_skip"
printf '%-92s %8s\n' "$label" "$t"
awk -v t="$t" -v e="$k_ext3" -v c="$k_cpio" 'BEGIN {
	printf "ratio tutorial / kdebug ext3:      %.1fx\n", t / (e > 0 ? e : 1)
	printf "ratio tutorial / kdebug initramfs: %.1fx\n", t / (c > 0 ? c : 1) }'
printf 'disk blocks used: kdebug ext3 image %s KiB, tutorial image %s KiB (both 256 MiB long)\n' \
	"$(du -k k.img | cut -f1)" "$(du -k t.img | cut -f1)"
