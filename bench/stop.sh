#!/bin/bash
# Benchmark: `kdebug stop` of a running VM, side by side, several
# repetitions, medians.
#
#   kdebug   a kdebug guest in the middle of `run --exec 'sleep 600'`: the
#            power button, the guest's clean power-off
#   foreign  a guest that ignores the power button and Ctrl-Alt-Del (the same
#            initramfs booted with rdinit=/bin/sh): the 10 s wait and a quit,
#            which is what every kdebug guest cost before (10.06 s measured)
#   force    kdebug stop --force: QMP quit at once, no clean shutdown
#
#   bench/stop.sh [REPETITIONS] [KERNEL]   (default 5; KERNEL: a bzImage or
#   build directory, default the test kernel from t/test-kernel.sh)
set -u
N=${1:-5}
. "$(dirname "$0")/lib.sh"
KERNEL=${2:-$("$ROOT/t/test-kernel.sh")} || exit 1
bench_scratch stop
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1
"$KDEBUG" rootfs -o default.cpio.gz >/dev/null 2>&1 || { echo "kdebug rootfs failed" >&2; exit 1; }

# boot NAME ARGS...: start a VM in the background and wait until it runs its command.
boot() {
	local name=$1
	shift
	"$KDEBUG" run --accel tcg --net none -k "$KERNEL" --rootfs default.cpio.gz --name "$name" "$@" \
		>"$name.out" 2>&1 &
	for _ in $(seq 600); do
		grep -q "$MARK" "$W/$name.log" 2>/dev/null && return 0
		cp "$XDG_RUNTIME_DIR/kdebug/$name/console.log" "$W/$name.log" 2>/dev/null
		sleep 0.1
	done
	echo "VM $name did not come up" >&2
	return 1
}

# time_stop NAME [OPTS]: milliseconds of `kdebug stop`.
time_stop() {
	local t0
	t0=$(ms)
	"$KDEBUG" stop "$@" >/dev/null 2>&1 || echo "stop $1 failed" >&2
	echo $(( $(ms) - t0 ))
	wait
}

k=() f=() x=()
for i in $(seq "$N"); do
	MARK=KDEBUG-START; boot kg$i --exec 'sleep 600' || exit 1
	k+=("$(time_stop kg$i)")
	MARK='Run /bin/sh'; boot fg$i --append 'rdinit=/bin/sh' || exit 1
	f+=("$(time_stop fg$i)")
	MARK=KDEBUG-START; boot xg$i --exec 'sleep 600' || exit 1
	x+=("$(time_stop xg$i --force)")
done
mk=$(printf '%s\n' "${k[@]}" | median)
mf=$(printf '%s\n' "${f[@]}" | median)
mx=$(printf '%s\n' "${x[@]}" | median)
echo "kdebug stop, $N repetitions each (ms): kdebug guest ${k[*]}; foreign ${f[*]}; --force ${x[*]}"
printf 'median: kdebug guest %s ms, foreign guest (the old path) %s ms, --force %s ms\n' "$mk" "$mf" "$mx"
awk -v a="$mk" -v b="$mf" 'BEGIN { printf "ratio kdebug guest / old path: %.3f\n", a / b }'
