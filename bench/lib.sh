# Sourced by the benchmarks (. "$(dirname "$0")/lib.sh"): where kdebug is,
# a scratch directory, and the timing helpers they share.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KDEBUG=${KDEBUG_BIN:-$ROOT/kdebug}
[ -x "$KDEBUG" ] || { echo "build kdebug first (make)" >&2; exit 1; }

# bench_scratch NAME: W = a fresh directory with a private kdebug cache and
# instance registry (the caller's EXIT trap removes it).
bench_scratch() {
	W=$(mktemp -d "${TMPDIR:-/tmp}/kdebug-bench-$1.XXXXXX") || exit 1
	export KDEBUG_CACHE_DIR=$W/cache XDG_RUNTIME_DIR=$W/run
	mkdir -m 700 "$W/run"
}

ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
