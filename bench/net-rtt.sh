#!/bin/bash
# Benchmark: ping round-trip between guest and host under TCG, bridge mode
# vs user mode, side by side.  Guest -> host in both modes (slirp does not
# let the host ping a user-mode guest); host -> guest in bridge mode too.
# Runs inside a network namespace it creates (needs root).
#   bench/net-rtt.sh [PINGS] [BUILD_DIR]     (default 20, the test kernel)
set -u
N=${1:-20}
. "$(dirname "$0")/lib.sh"
KDIR=${2:-$("$ROOT/t/test-kernel.sh")} || exit 1
bench_scratch rtt
NS=kdrtt-$$
trap 'ip netns del $NS 2>/dev/null; rm -rf "$W"' EXIT
ip netns add "$NS" && ip netns exec "$NS" ip link set lo up || exit 1

avg() { sed -n 's|.*min/avg/max = [0-9.]*/\([0-9.]*\)/.*|\1|p'; }
user=$("$KDEBUG" run -k "$KDIR" --accel tcg --net user --exec "ping -c $N -i 0.2 10.0.2.2 | tail -1" 2>/dev/null | avg)
bridge=$(ip netns exec "$NS" "$KDEBUG" run -k "$KDIR" --accel tcg --net bridge \
	--exec "ping -c 1 -W 5 192.168.0.1 >/dev/null; ping -c $N -i 0.2 192.168.0.1 | tail -1" 2>/dev/null | avg)
ip netns exec "$NS" "$KDEBUG" run -k "$KDIR" --accel tcg --net bridge --name h2g --exec "sleep 30" >/dev/null 2>&1 &
pid=$!
for i in $(seq 100); do grep -q KDEBUG-START "$W/run/kdebug/h2g/console.log" 2>/dev/null && break; sleep 0.2; done
ip netns exec "$NS" busybox ping -c 1 -W 5 192.168.0.2 >/dev/null
h2g=$(ip netns exec "$NS" busybox ping -c "$N" 192.168.0.2 | tail -1 | avg)
kill $pid; wait $pid 2>/dev/null
echo "ping RTT under TCG, $N pings, average ms"
printf '  %-34s %8s ms\n' "guest -> host, user mode (slirp)" "$user" "guest -> host, bridge + tap" "$bridge" \
	"host -> guest, bridge + tap" "$h2g"
awk -v u="$user" -v b="$bridge" 'BEGIN { if (b > 0) printf "user / bridge (guest -> host): %.2f\n", u / b }'
