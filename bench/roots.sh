#!/bin/bash
# Benchmark: boot to a shell marker with the root file system on each of the
# roots kdebug offers, same kernel (the test kernel), side by side, several
# repetitions interleaved, medians.  Each variant is
#   kdebug run -k BUILD --accel tcg ROOT-OPTIONS --exec 'echo MARK'
# timed twice: until MARK reaches kdebug's stdout ("to marker": boot, root
# mount, exec agent) and until kdebug has exited ("total": also the power-off
# and, for NFS, stopping the server).
#
#   initramfs  kdebug's default root (cached BusyBox initramfs) -- the BASELINE,
#              --net none (the lean path)
#   initramfs  the same with the default network (user mode, e1000): the
#              like-for-like reference for NFS, which needs a network
#   ext3       kdebug rootfs --format ext3; run --rootfs IMG --net none
#   9p         kdebug rootfs --format dir; run --root 9p:DIR --net none
#   9p         the same with the default network
#   nfs:DIR    the same kind of tree; run --root nfs:DIR (private nfs-ganesha,
#              user-mode networking)
#   nfs        run --root nfs (kdebug makes a fresh tree per run)
#
# Ratios are against the initramfs --net none baseline; for the networked
# variants also against initramfs with the default network.
# Needs root (ganesha's VFS backend), qemu, ganesha.nfsd, rpcbind.
#
#   bench/roots.sh [REPETITIONS] [BUILD_DIR]   (default 5, the test kernel)
set -u
N=${1:-5}
. "$(dirname "$0")/lib.sh"
KDIR=${2:-$("$ROOT/t/test-kernel.sh")} || exit 1
for c in qemu-system-x86_64 ganesha.nfsd rpcbind; do
	command -v $c >/dev/null || { echo "$c missing" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "needs root (--root nfs: ganesha's VFS backend)" >&2; exit 1; }
bench_scratch roots
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1

"$KDEBUG" rootfs -o initramfs.cpio.gz >/dev/null 2>&1 || { echo "kdebug rootfs failed" >&2; exit 1; }
"$KDEBUG" rootfs --format ext3 -o root.ext3 >/dev/null 2>&1 || { echo "kdebug rootfs -f ext3 failed" >&2; exit 1; }
"$KDEBUG" rootfs --format dir -o root9p >/dev/null 2>&1 || { echo "kdebug rootfs -f dir failed" >&2; exit 1; }
"$KDEBUG" rootfs --format dir -o rootnfs >/dev/null 2>&1 || exit 1

# Stamp each line of stdin with $EPOCHREALTIME in microseconds (no fork per line).
stamp() { local l; while IFS= read -r l; do echo "${EPOCHREALTIME/./} $l"; done; }

# name | net mode shown | options
VARIANTS=(
	"initramfs|none|--rootfs initramfs.cpio.gz --net none"
	"initramfs-net|user|--rootfs initramfs.cpio.gz"
	"ext3|none|--rootfs root.ext3 --net none"
	"9p|none|--root 9p:$W/root9p --net none"
	"9p-net|user|--root 9p:$W/root9p"
	"nfs-dir|user|--root nfs:$W/rootnfs"
	"nfs-fresh|user|--root nfs"
)
MARK=KDEBUG-BENCH-MARK

run_one() {	# NAME OPTIONS: appends to NAME.marker and NAME.total (ms)
	local name=$1 t0 tm rc
	shift
	t0=${EPOCHREALTIME/./}
	# shellcheck disable=SC2086
	{ "$KDEBUG" run -k "$KDIR" --accel tcg $* --timeout 180 --exec "echo $MARK" 2>"$name.err"
	  echo "KDEBUG-BENCH-RC $?"; } | stamp >"$name.out"
	tm=$(awk -v m="$MARK" '$2 == m { print $1; exit }' "$name.out")
	rc=$(awk '$2 == "KDEBUG-BENCH-RC" { print $3 }' "$name.out")
	if [ "$rc" != 0 ] || [ -z "$tm" ]; then
		echo "$name failed (status $rc):"; tail -5 "$name.out" "$name.err"; exit 1
	fi
	echo $(( (tm - t0) / 1000 )) >>"$name.marker"
	echo $(( (${EPOCHREALTIME/./} - t0) / 1000 )) >>"$name.total"
}

for v in "${VARIANTS[@]}"; do IFS='|' read -r name _ _ <<<"$v"; : >"$name.marker"; : >"$name.total"; done
for i in $(seq "$N"); do	# interleaved, so drift hits every variant alike
	for v in "${VARIANTS[@]}"; do
		IFS='|' read -r name _ opts <<<"$v"
		run_one "$name" "$opts"
	done
done

echo "kernel: $KDIR (TCG), $N repetitions interleaved, median ms; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  to marker = start of kdebug run until 'echo MARK' output arrives; total = until kdebug has exited"
printf '  %-14s %-5s %-42s %9s %9s   %s\n' variant net "options" "to marker" total "(each: to marker)"
for v in "${VARIANTS[@]}"; do
	IFS='|' read -r name net opts <<<"$v"
	printf '  %-14s %-5s %-42s %9s %9s   (%s)\n' "$name" "$net" "${opts//$W\//}" \
		"$(median <"$name.marker")" "$(median <"$name.total")" "$(tr '\n' ' ' <"$name.marker" | sed 's/ $//')"
done
b=$(median <initramfs.marker); bt=$(median <initramfs.total)
bn=$(median <initramfs-net.marker); bnt=$(median <initramfs-net.total)
echo "ratio against initramfs --net none (baseline), to marker / total:"
for v in "${VARIANTS[@]}"; do
	IFS='|' read -r name net _ <<<"$v"
	[ "$name" = initramfs ] && continue
	awk -v n="$name" -v net="$net" -v m="$(median <"$name.marker")" -v t="$(median <"$name.total")" \
		-v b="$b" -v bt="$bt" -v bn="$bn" -v bnt="$bnt" 'BEGIN {
		printf "  %-14s %5.2f / %5.2f", n, m / b, t / bt
		if (net == "user" && n != "initramfs-net")
			printf "    against initramfs with the same network (user): %5.2f / %5.2f", m / bn, t / bnt
		printf "\n" }'
done
