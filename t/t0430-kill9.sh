#!/bin/bash
# Nothing leaks whatever kills kdebug: 50 rounds of `kdebug run --net
# bridge` killed with SIGKILL after a random 0-300 ms (during the checks,
# the bridge setup, the reaper's start, QEMU's start or the boot), inside a
# network namespace this test creates.  Afterwards nothing of kdebug's is
# left: no QEMU, reaper or ganesha, no tap, bridge or address, no instance
# directory.  Then the same for --root nfs (the private ganesha, its
# network namespace and the guest's relays) in user mode, 10 rounds, and
# once after an NFS-root guest booted.
. "$(dirname "$0")/lib.sh"
test_require qemu-system-x86_64 ip python3
test_require_kernel_source
KDIR=$(test_built_kernel) || exit 1

NS=kdk9-$$
ip netns add "$NS" 2>/dev/null || skip_all "cannot create a network namespace"
test_cleanup "ip netns del $NS"
ip netns exec "$NS" ip link set lo up
in_ns() { ip netns exec "$NS" "$@"; }
export KDEBUG_NET_LOCK=$TRASH/net.lock

# The processes a kdebug started from this script's trash left behind.
leftovers() {
	local p
	for p in $(pgrep -f "$TRASH|__net-reaper|__nfs-reaper|__nfs-relay" 2>/dev/null); do
		[ "$p" = $$ ] && continue
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qE "qemu-system|__net-reaper|__nfs-reaper|__nfs-relay|ganesha" &&
			echo "$p: $(tr '\0' ' ' <"/proc/$p/cmdline")"
	done
}

# Wait (bounded) until nothing is left: reapers act on kdebug's death, QEMU dies with it.
all_gone() {
	test_wait_for "test -z \"\$(leftovers)\" && test \"\$(in_ns ip -o link show | grep -cv ': lo:')\" = 0 && test -z \"\$(ls \"$XDG_RUNTIME_DIR/kdebug\" 2>/dev/null | grep -v '^\.')\"" 30 || {
		leftovers; in_ns ip -o link show; in_ns ip -o addr show; ls -la "$XDG_RUNTIME_DIR/kdebug"
		return 1
	}
}

ms() { python3 -c "import random; print(random.randint(0, 300) / 1000)"; }

test_expect_success '50 x kill -9 of run --net bridge at a random moment: nothing is left' '
	for i in $(seq 50); do
		ip netns exec "$NS" "$KDEBUG_BIN" run -k "$KDIR" --name k9 --net bridge --timeout 60 \
			--exec "sleep 30" >/dev/null 2>&1 &
		pid=$!
		sleep $(ms)
		kill -9 $pid
		wait $pid 2>/dev/null
		kdebug ps >/dev/null	# stale instance directories go when seen
		all_gone || { echo "round $i left something" >&2; exit 1; }
	done
'

test_expect_success 'kill -9 after the guest booted: the bridge, tap, address and reaper go too' '
	ip netns exec "$NS" "$KDEBUG_BIN" run -k "$KDIR" --name k9b --net bridge --timeout 120 \
		--exec "sleep 60" >/dev/null 2>&1 &
	pid=$!
	test_wait_for "grep -q KDEBUG-START $XDG_RUNTIME_DIR/kdebug/k9b/console.log 2>/dev/null" 90 &&
	in_ns ip -o link show kdbr0 >/dev/null &&
	kill -9 $pid && wait $pid 2>/dev/null
	kdebug ps >/dev/null
	all_gone
'

test_expect_success '10 x kill -9 of run --root nfs at a random moment: no ganesha, no export' '
	for i in $(seq 10); do
		"$KDEBUG_BIN" run -k "$KDIR" --name k9n --root nfs --timeout 60 --exec "sleep 30" >/dev/null 2>&1 &
		pid=$!
		sleep $(ms)
		kill -9 $pid
		wait $pid 2>/dev/null
		kdebug ps >/dev/null
		all_gone || { echo "round $i left something" >&2; exit 1; }
	done
'

test_expect_success 'kill -9 after an NFS-root guest booted: ganesha, its relays and its namespace go' '
	"$KDEBUG_BIN" run -k "$KDIR" --name k9r --root nfs --timeout 120 --exec "echo up >/root/up; sleep 60" >/dev/null 2>&1 &
	pid=$!
	test_wait_for "test -e $XDG_RUNTIME_DIR/kdebug/k9r/root/root/up" 90 &&
	g=$(pgrep -f "ganesha.nfsd .*$XDG_RUNTIME_DIR/kdebug/k9r/") && test -n "$g" &&
	ns=$(readlink /proc/$g/ns/net | tr -dc 0-9) && test -n "$ns" &&
	test -n "$(pgrep -f "^/[^ ]*kdebug __nfs-relay /proc/$g/ns/net $ns ")" &&
	kill -9 $pid && wait $pid 2>/dev/null
	kdebug ps >/dev/null
	all_gone &&
	test_wait_for "! lsns -t net -n -o NS | grep -qx \"$ns\"" 15
'

test_done
