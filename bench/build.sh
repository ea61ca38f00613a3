#!/bin/bash
# Kernel build benchmarks, same tree, same machine, side by side:
#   1. full build, minimal profile      (kdebug config + kdebug build, from scratch)
#   2. full build, seed profile         (skipped with --no-seed: it takes long)
#   3. nothing-to-do rebuild (minimal)
#   4. touch net/ipv4/ip_input.c, rebuild (minimal)
# and the ratio seed/minimal.  ccache is bypassed (--cc gcc) so full builds
# compile everything.  Works in its own cache (the tree is unpacked there,
# so touching a file does not disturb the test suite's kernel):
#   ${KDEBUG_BENCH_DIR:-~/.cache/kdebug/bench}
#
#   bench/build.sh [--no-seed] [--src TARBALL|DIR] [-j N]
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
kdebug=${KDEBUG_BIN:-$root/kdebug}
src=${KDEBUG_KERNEL_SOURCE:-/usr/src/linux-source-6.1.tar.xz}
dir=${KDEBUG_BENCH_DIR:-${HOME:-/tmp}/.cache/kdebug/bench}
seed=1
jobs=()
while [ $# -gt 0 ]; do
	case $1 in
	--no-seed) seed=0 ;;
	--src) src=$2; shift ;;
	-j) jobs=(-j "$2"); shift ;;
	*) echo "usage: bench/build.sh [--no-seed] [--src TARBALL|DIR] [-j N]" >&2; exit 2 ;;
	esac
	shift
done
[ -x "$kdebug" ] || { echo "bench: build kdebug first (make)" >&2; exit 2; }
[ -e "$src" ] || { echo "bench: no kernel source '$src'" >&2; exit 2; }

export KDEBUG_CACHE_DIR=$dir
mkdir -p "$dir"
log=$dir/bench.log
: >"$log"

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# full_build PROFILE: configure from scratch and build; prints seconds.
full_build() {
	local p=$1 out=$dir/out-$1 t0 t1
	rm -rf "$out"
	"$kdebug" config --src "$src" --profile "$p" --out "$out" --cc gcc >>"$log" 2>&1
	t0=$(now)
	"$kdebug" build --out "$out" "${jobs[@]}" >>"$log" 2>&1
	t1=$(now)
	secs "$t0" "$t1"
}

timed_build() {	# OUT
	local t0 t1
	t0=$(now)
	"$kdebug" build --out "$1" "${jobs[@]}" >>"$log" 2>&1
	t1=$(now)
	secs "$t0" "$t1"
}

objects() { sed -n 's/^objects=//p' "$dir/out-$1/kdebug-state"; }

echo "# kdebug build benchmark: $(basename "$src"), $(nproc) CPUs, $(gcc --version | head -n 1)"
echo "# log: $log"
min_full=$(full_build minimal)
printf '%-44s %8ss  (%s objects)\n' "full build, minimal profile" "$min_full" "$(objects minimal)"
if [ "$seed" = 1 ]; then
	seed_full=$(full_build seed)
	printf '%-44s %8ss  (%s objects)\n' "full build, seed profile" "$seed_full" "$(objects seed)"
	awk -v s="$seed_full" -v m="$min_full" 'BEGIN { printf "%-44s %8.1fx\n", "seed / minimal", s / m }'
fi
noop=$(timed_build "$dir/out-minimal")
printf '%-44s %8ss\n' "nothing-to-do rebuild (minimal)" "$noop"
tree=$(sed -n 's/^src=//p' "$dir/out-minimal/kdebug-state")
touch "$tree/net/ipv4/ip_input.c"
touched=$(timed_build "$dir/out-minimal")
printf '%-44s %8ss  (%s)\n' "touch net/ipv4/ip_input.c, rebuild (minimal)" "$touched" \
	"$(grep -o '[0-9]* objects compiled' "$log" | tail -n 1)"
