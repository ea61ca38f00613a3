#!/bin/bash
# Benchmark: the tutorial's host-side bridge setup and teardown, through
# kdebug against the equivalent `ip` command sequence, inside a network
# namespace this script creates (the host's network is not touched).
#
#   tutorial (ip equivalents of brctl/ifconfig/tunctl):
#     ip link add kdbr0 type bridge; ip addr add 192.168.0.1/24 dev kdbr0
#     ip link set kdbr0 up; ip tuntap add kdtap0 mode tap
#     ip link set kdtap0 master kdbr0; ip link set kdtap0 up
#     ip link del kdtap0; ip link del kdbr0
#   kdebug:
#     kdebug net up; kdebug net tap -- true (tap made, enslaved, up, removed);
#     kdebug net down
#
#   bench/net.sh [REPETITIONS]     (default 20); needs root.  Prints medians
#   in milliseconds and the ratio kdebug/ip.
set -u
N=${1:-20}
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root (network namespace)" >&2; exit 1; }
NS=kdbench-$$
ip netns add "$NS" || exit 1
trap 'ip netns del "$NS"' EXIT
export KDEBUG_NET_LOCK=$(mktemp -u /tmp/kdebug-bench-net.XXXXXX)
trap 'ip netns del "$NS"; rm -f "$KDEBUG_NET_LOCK"' EXIT

ns() { ip netns exec "$NS" "$@"; }
us() { echo $(( $(date +%s%N) / 1000 )); }

tutorial() {
	ns ip link add kdbr0 type bridge &&
	ns ip addr add 192.168.0.1/24 dev kdbr0 &&
	ns ip link set kdbr0 up &&
	ns ip tuntap add kdtap0 mode tap &&
	ns ip link set kdtap0 master kdbr0 &&
	ns ip link set kdtap0 up &&
	ns ip link del kdtap0 &&
	ns ip link del kdbr0
}
kdebug_way() {
	ns "$KDEBUG" net up >/dev/null &&
	ns "$KDEBUG" net tap -- true &&
	ns "$KDEBUG" net down >/dev/null
}
# The same work as one kdebug process (what `kdebug run --net bridge` does).
kdebug_session() {
	ns "$KDEBUG" net tap -- true
}

time_it() {	# NAME FUNCTION
	local name=$1 i t0
	: >"/tmp/$NS.$name"
	for i in $(seq "$N"); do
		t0=$(us)
		"$2" >/dev/null 2>&1 || { echo "failed: $2" >&2; exit 1; }
		echo $(( $(us) - t0 )) >>"/tmp/$NS.$name"
	done
	median <"/tmp/$NS.$name"
	rm -f "/tmp/$NS.$name"
}

t_ip=$(time_it ip tutorial)
t_kd=$(time_it kdebug kdebug_way)
t_s=$(time_it session kdebug_session)
ns ip -o link show | grep -q kd && { echo "leftover interfaces in the namespace" >&2; exit 1; }
awk -v n="$N" -v a="$t_ip" -v b="$t_kd" -v c="$t_s" 'BEGIN {
	printf "repetitions: %d (medians)\n", n
	printf "tutorial sequence (8 ip commands):          %8.1f ms\n", a / 1000
	printf "kdebug net up + net tap + net down:        %8.1f ms  (ratio %.2f)\n", b / 1000, b / a
	printf "kdebug net tap alone (bridge+addr+tap+teardown, one process): %.1f ms  (ratio %.2f)\n", c / 1000, c / a
}'
