#!/bin/bash
# Benchmark: the crash watch, side by side, several repetitions, medians.
#
#   report   from the panic to the report printed, in `run --exec 'echo c >
#            /proc/sysrq-trigger'`: kdebug's output is timestamped line by
#            line; from the console's "Kernel panic - not syncing" line to
#            the report's first line
#   dump     `kdebug dump` time and vmcore size of a running 512 MiB guest:
#            ELF vs kdump-zlib
#   cost     boot-to-exec of `run --exec true` with the watch (default) and
#            with --no-watch: the detection must cost nothing measurable
#
#   bench/crash.sh [REPETITIONS] [KERNEL]   (default 5; KERNEL: a build
#   directory, default the test kernel from t/test-kernel.sh)
set -u
N=${1:-5}
. "$(dirname "$0")/lib.sh"
KERNEL=${2:-$("$ROOT/t/test-kernel.sh")} || exit 1
bench_scratch crash
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1
"$KDEBUG" rootfs -o default.cpio.gz >/dev/null 2>&1 || { echo "kdebug rootfs failed" >&2; exit 1; }
RUN=("$KDEBUG" run --accel tcg --net none -k "$KERNEL" --rootfs default.cpio.gz --timeout 300)

# stamp: prefix each line of stdin with the milliseconds since the epoch.
stamp() { while IFS= read -r l; do echo "$(ms) $l"; done; }

# panic_to_report NAME: ms from the console's panic line to kdebug's report line.
panic_to_report() {
	"${RUN[@]}" --name "$1" --exec 'echo c > /proc/sysrq-trigger' 2>&1 | stamp >"$1.t"
	local t_panic t_report
	t_panic=$(grep -m1 "Kernel panic - not syncing" "$1.t" | cut -d' ' -f1)
	t_report=$(grep -m1 "the guest kernel crashed" "$1.t" | cut -d' ' -f1)
	[ -n "$t_panic" ] && [ -n "$t_report" ] || { echo "run $1: no panic or no report" >&2; return 1; }
	echo $((t_report - t_panic))
}

# dump FORMAT I: "ms bytes" of `kdebug dump` of the running 512 MiB guest "big".
dump() {
	local t0 t1 size
	t0=$(ms)
	"$KDEBUG" dump big -o "$W/core.$2" --format "$1" >/dev/null 2>&1 || echo "dump $1 failed" >&2
	t1=$(ms)
	size=$(stat -c %s "$W/core.$2" 2>/dev/null || echo 0)
	rm -f "$W/core.$2"
	echo "$((t1 - t0)) $size"
}

# boot_exec NAME ARGS...: ms of a whole `run --exec true`.
boot_exec() {
	local t0 name=$1
	shift
	t0=$(ms)
	"${RUN[@]}" --name "$name" --exec true "$@" >/dev/null 2>&1 || echo "run $name failed" >&2
	echo $(( $(ms) - t0 ))
}

p=() de=() dz=() se=() sz=() on=() off=()
"${RUN[@]}" --name big --memory 512 --exec 'echo BIG-UP; sleep 1000' >big.out 2>&1 &
for _ in $(seq 600); do grep -q BIG-UP big.out && break; sleep 0.1; done
grep -q BIG-UP big.out || { echo "the 512 MiB guest did not come up" >&2; exit 1; }
for i in $(seq "$N"); do
	read -r t s < <(dump elf "$i"); de+=("$t"); se+=("$s")
	read -r t s < <(dump kdump-zlib "$i"); dz+=("$t"); sz+=("$s")
done
"$KDEBUG" stop big >/dev/null 2>&1
wait
for i in $(seq "$N"); do
	p+=("$(panic_to_report pr$i)")
	on+=("$(boot_exec on$i)")
	off+=("$(boot_exec off$i --no-watch)")
done
med() { printf '%s\n' "$@" | median; }
echo "panic to report (ms): ${p[*]}"
echo "kdebug dump of a 512 MiB guest (ms): elf ${de[*]}; kdump-zlib ${dz[*]}"
echo "vmcore size (bytes): elf ${se[*]}; kdump-zlib ${sz[*]}"
echo "run --exec true (ms): watch ${on[*]}; --no-watch ${off[*]}"
printf 'median: panic to report %s ms\n' "$(med "${p[@]}")"
printf 'median: dump of 512 MiB: elf %s ms (%s MiB), kdump-zlib %s ms (%s MiB)\n' \
	"$(med "${de[@]}")" "$(( $(med "${se[@]}" | cut -d. -f1) >> 20 ))" \
	"$(med "${dz[@]}")" "$(( $(med "${sz[@]}" | cut -d. -f1) >> 20 ))"
mon=$(med "${on[@]}") moff=$(med "${off[@]}")
printf 'median: run --exec true: watch %s ms, --no-watch (baseline) %s ms\n' "$mon" "$moff"
awk -v a="$mon" -v b="$moff" 'BEGIN { printf "ratio watch / no watch: %.3f\n", a / b }'
