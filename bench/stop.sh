#!/bin/bash
# Benchmark: `kdebug stop` of a running VM, side by side, several
# repetitions, medians.
#
#   kdebug   a kdebug guest in the middle of `run --exec 'sleep 600'`: the
#            power button, the guest's clean power-off
#   old      a guest as kdebug's were before: no acpid, and init held in
#            its sysinit phase by a command in rcS (where the exec agent
#            ran), so that Ctrl-Alt-Del waits: the 10 s wait and a quit,
#            what every kdebug guest cost before (10.06 s measured by hand)
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
"$KDEBUG" rootfs -o old.cpio.gz --init-cmd 'kill $(pidof acpid); echo OLD-GUEST-UP; sleep 1000' >/dev/null 2>&1 ||
	{ echo "kdebug rootfs failed" >&2; exit 1; }

# boot NAME ARGS...: start a VM in the background and wait until it runs its command.
boot() {
	local name=$1 rootfs=$2
	shift 2
	"$KDEBUG" run --accel tcg --net none -k "$KERNEL" --rootfs "$rootfs" --name "$name" "$@" \
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
	MARK=KDEBUG-START; boot kg$i default.cpio.gz --exec 'sleep 600' || exit 1
	k+=("$(time_stop kg$i)")
	MARK=OLD-GUEST-UP; boot fg$i old.cpio.gz || exit 1
	f+=("$(time_stop fg$i)")
	MARK=KDEBUG-START; boot xg$i default.cpio.gz --exec 'sleep 600' || exit 1
	x+=("$(time_stop xg$i --force)")
done
mk=$(printf '%s\n' "${k[@]}" | median)
mf=$(printf '%s\n' "${f[@]}" | median)
mx=$(printf '%s\n' "${x[@]}" | median)
echo "kdebug stop, $N repetitions each (ms): kdebug guest ${k[*]}; old guest ${f[*]}; --force ${x[*]}"
printf 'median: kdebug guest %s ms, old guest (baseline) %s ms, --force %s ms\n' "$mk" "$mf" "$mx"
awk -v a="$mk" -v b="$mf" 'BEGIN { printf "ratio kdebug guest / old guest: %.3f\n", a / b }'
