#!/bin/bash
# kdebug net: bridges, addresses and taps over rtnetlink, all inside a
# network namespace this script creates (nothing touches the host's network).
# `ip` and `bridge` are used here only to create the namespace and to check
# what kdebug did.
. "$(dirname "$0")/lib.sh"

test_require ip bridge setpriv
[ "$(id -u)" = 0 ] || skip_all "needs root to create a network namespace"
NS=kdtest-$$
ip netns add "$NS" 2>/dev/null || skip_all "cannot create a network namespace"
test_cleanup "ip netns del $NS"
export KDEBUG_NET_LOCK=$TRASH/net.lock
in_ns() { ip netns exec "$NS" "$@"; }
kd() { ip netns exec "$NS" "$KDEBUG_BIN" "$@"; }
links() { in_ns ip -o link show | awk -F': ' '{ print $2 }' | sed 's/@.*//'; }
# Nothing but lo and the bridges listed exist in the namespace.
only_links() {
	local want got
	want=$(printf '%s\n' lo "$@" | sort)
	got=$(links | sort)
	[ "$want" = "$got" ] || { echo "links: $got (want: $want)" >&2; return 1; }
}

test_expect_success 'net up creates the bridge with the host address, marked as kdebug'"'"'s' '
	kd net up >out &&
	grep -q "bridge .kdbr0. is up with 192.168.0.1/24 (created)" out &&
	in_ns ip -d link show kdbr0 >link && grep -q "bridge forward_delay" link &&
	grep -q "alias kdebug$" link && grep -q "state UP\|,UP" link &&
	in_ns ip -4 -o addr show dev kdbr0 | grep -q "inet 192.168.0.1/24"
'

test_expect_success 'net up again changes nothing' '
	kd net up >out && grep -q "(already there)" out &&
	test "$(in_ns ip -4 -o addr show dev kdbr0 | wc -l)" = 1
'

test_expect_success 'net show lists the bridge, its owner and address' '
	kd net show >out &&
	grep -q "^kdbr0 (kdebug, up)" out && grep -q "^  address 192.168.0.1/24" out
'

test_expect_success 'net tap: a tap in the bridge, inherited by the command, gone after' '
	kd net tap -- sh -c "ip link show \$KDEBUG_TAP; bridge link show; ls -l /proc/self/fd/\$KDEBUG_TAP_FD; echo \$KDEBUG_GUEST_IP_PARAM" >out &&
	grep -q "kdtap0.*master kdbr0" out && grep -q "/dev/net/tun" out &&
	grep -q "^ip=192.168.0.2::192.168.0.1:255.255.255.0::eth0:off$" out &&
	only_links kdbr0
'

test_expect_success 'net down refuses a bridge with ports, deletes it when empty' '
	kd net tap --name kdtap7 -- sh -c "\"$KDEBUG_BIN\" net down" 2>err >/dev/null ;
	grep -q "still has ports (kdtap7)" err && test "$(wc -l <err)" = 1 &&
	only_links kdbr0 &&
	kd net down >out && grep -q "deleted" out && only_links &&
	kd net show | grep -q "no bridges"
'

test_expect_success 'net tap creates a temporary bridge and removes it after' '
	kd net tap --bridge kdtmp0 --host-ip 10.7.0.1/24 --guest-ip 10.7.0.2/24 -- \
		sh -c "ip -d link show kdtmp0; ip -4 -o addr show dev kdtmp0; ip link show \$KDEBUG_TAP" >out &&
	grep -q "alias kdebug-run" out && grep -q "inet 10.7.0.1/24" out &&
	grep -q "master kdtmp0" out && only_links
'

test_expect_success 'two sessions share a temporary bridge; the last one out removes it' '
	mkfifo go1 go2 &&
	(kd net tap --bridge kdshare -- sh -c "cat go1 >/dev/null" >/dev/null 2>&1 &
	 test_wait_for "in_ns ip link show kdtap0 >/dev/null 2>&1" 10 &&
	 kd net tap --bridge kdshare -- sh -c "cat go2 >/dev/null" >/dev/null 2>&1 &
	 test_wait_for "in_ns ip link show kdtap1 >/dev/null 2>&1" 10 &&
	 echo >go1 &&
	 test_wait_for "! in_ns ip link show kdtap0 >/dev/null 2>&1" 10 &&
	 in_ns ip -d link show kdshare | grep -q "alias kdebug-run" &&
	 in_ns ip -4 -o addr show dev kdshare | grep -q 192.168.0.1/24 &&
	 echo >go2 && wait) &&
	only_links
'

test_expect_success 'a pre-existing bridge keeps its port and address after kdebug' '
	in_ns ip link add mybr type bridge &&
	in_ns ip link add myveth type veth peer name myveth-p &&
	in_ns ip link set myveth master mybr &&
	in_ns ip addr add 10.8.0.1/24 dev mybr &&
	kd net tap --bridge mybr --host-ip 10.9.0.1/24 --guest-ip 10.9.0.2/24 -- \
		sh -c "ip -4 -o addr show dev mybr; bridge link show" >out &&
	grep -q "10.9.0.1/24" out && grep -q "kdtap0.*master mybr" out &&
	in_ns ip -4 -o addr show dev mybr >addr &&
	grep -q "10.8.0.1/24" addr && ! grep -q "10.9.0.1" addr &&
	in_ns bridge link show >ports && grep -q "myveth.*master mybr" ports &&
	! grep -q kdtap ports &&
	test_expect_code 1 kd net down --bridge mybr 2>err &&
	grep -q "not created by kdebug" err && in_ns ip link show mybr >/dev/null
'

test_expect_success 'net tap on a bridge that already has the host address keeps it' '
	kd net tap --bridge mybr --host-ip 10.8.0.1/24 --guest-ip 10.8.0.2/24 -- true &&
	in_ns ip -4 -o addr show dev mybr | grep -q "10.8.0.1/24"
'

test_expect_success 'kill -9 of kdebug: the tap vanishes with its holder' '
	kd net up --bridge kdk9 >/dev/null &&
	(ip netns exec "$NS" "$KDEBUG_BIN" net tap --bridge kdk9 --name kdtapk9 -- sleep 60 & echo $! >pid; wait) &
	test_wait_for "in_ns ip link show kdtapk9 >/dev/null 2>&1" 10 &&
	kill -9 "$(cat pid)" &&
	test_wait_for "! in_ns ip link show kdtapk9 >/dev/null 2>&1" 10 &&
	only_links mybr myveth myveth-p kdk9 &&
	kd net down --bridge kdk9 >/dev/null
'

# ---- bad input: one line, exit 2, nothing created ----
bad() {	# bad REGEX kdebug-args...
	local re=$1
	shift
	test_expect_code 2 kd "$@" 2>err >/dev/null &&
	test "$(wc -l <err)" = 1 && grep -q "^error: .*$re" err &&
	only_links mybr myveth myveth-p
}

test_expect_success 'bridge name over 15 characters' '
	bad "at most 15" net up --bridge abcdefghijklmnop &&
	bad "at most 15" net tap --bridge abcdefghijklmnop -- true
'

test_expect_success 'invalid address or prefix' '
	bad "invalid host address .192.168.0.300/24." net up --host-ip 192.168.0.300/24 &&
	bad "invalid host address" net up --host-ip 192.168.0.1/33 &&
	bad "invalid host address" net up --host-ip 192.168.0.1 &&
	bad "invalid guest address" net tap --guest-ip 192.168.0.2/40 -- true
'

test_expect_success 'host and guest on different subnets' '
	bad "not in the same subnet" net tap --host-ip 192.168.0.1/24 --guest-ip 192.168.1.2/24 -- true
'

test_expect_success 'an address already in use on another interface' '
	bad "10.8.0.1 is already in use on .mybr." net up --host-ip 10.8.0.1/24 &&
	bad "already in use" net tap --host-ip 10.8.0.1/24 --guest-ip 10.8.0.2/24 -- true
'

test_expect_success 'a tap name already taken' '
	bad "interface .myveth. already exists" net tap --name myveth -- true
'

test_expect_success 'without CAP_NET_ADMIN: one line, nothing created' '
	test_expect_code 2 in_ns setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$KDEBUG_BIN" net tap -- true 2>err &&
	test "$(wc -l <err)" = 1 && grep -q "needs CAP_NET_ADMIN" err &&
	grep -q -- "--net user needs no privileges" err &&
	test_expect_code 2 in_ns setpriv --inh-caps=-net_admin --bounding-set=-net_admin \
		"$KDEBUG_BIN" net up 2>err &&
	grep -q "needs CAP_NET_ADMIN" err &&
	only_links mybr myveth myveth-p
'

test_expect_success 'net show works without privileges; net down of a missing bridge fails' '
	in_ns setpriv --reuid=65534 --regid=65534 --clear-groups "$KDEBUG_BIN" net show >out &&
	grep -q "^mybr (not kdebug.s, up\|^mybr (not kdebug.s, down" out &&
	test_expect_code 1 kd net down --bridge nosuchbr 2>err && grep -q "no bridge .nosuchbr." err
'

test_done
