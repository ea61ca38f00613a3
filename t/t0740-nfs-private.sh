#!/bin/bash
# Issue #10: nobody but the guest reaches a VM's NFS root.  User mode: the
# private nfs-ganesha runs in a network namespace of its own, listening on
# its 127.0.0.1; the guest reaches it at 10.0.2.4 through slirp's guestfwd
# relays (kdebug __nfs-relay); nothing listens in the host's namespace, so
# neither `nobody` nor root there can list or write the export with libnfs
# (nfs-ls, nfs-cp), while the guest reads and writes its root live.  Bridge
# mode (in a namespace this test makes): ganesha listens on the bridge's
# host address only and exports to the guest's address only.  kdebug's own
# path reaches QEMU quoted; --nfs-server kernel with --net user is refused.
. "$(dirname "$0")/lib.sh"
test_require qemu-system-x86_64 ip ss ganesha.nfsd rpcbind nfs-ls nfs-cp setpriv nsenter lsns
[ "$(id -u)" = 0 ] || skip_all "the NFS server and network namespaces need root"
test_require_kernel_source
KDIR=$(test_built_kernel) || exit 1

# The guest: says it is up, writes a file, waits for one from the host and
# for the host's go to end (up to 150 s each).
GUEST='grep " / " /proc/mounts; echo from-guest >/root/from-guest; sync;
F=/root/from-host; i=0; while [ ! -e $F ] && [ $i -lt 750 ]; do sleep 0.2; i=$((i+1)); done; cat $F;
F=/root/go; i=0; while [ ! -e $F ] && [ $i -lt 750 ]; do sleep 0.2; i=$((i+1)); done; echo guest-done'

ganesha_of() { pgrep -f "ganesha.nfsd .*$1/" || true; }
# The relays (not QEMU, whose -netdev names them too).
relays_of() { pgrep -f "^/[^ ]*kdebug __nfs-relay /proc/$1/ns/net " || true; }
# conf_port FILE NAME: NFS_Port / MNT_Port from a generated ganesha.conf.
conf_port() { sed -n "s/^[[:space:]]*$2 = \([0-9]*\);/\1/p" "$1"; }

# no_access [NETNS] ADDR DIR NFSPORT MOUNTPORT: libnfs as nobody and as root
# (in NETNS, when not empty) can neither list DIR nor write into it.
no_access() {
	local pre=() url="nfs://$2$3?nfsport=$4&mountport=$5" put="nfs://$2$3/root/intruder?nfsport=$4&mountport=$5"
	[ -n "$1" ] && pre=(ip netns exec "$1")
	! "${pre[@]}" setpriv --reuid=nobody --regid=nogroup --clear-groups timeout 20 nfs-ls "$url" >ls.out 2>&1 &&
	! "${pre[@]}" setpriv --reuid=nobody --regid=nogroup --clear-groups timeout 20 \
		nfs-cp /etc/os-release "$put" >cp.out 2>&1 &&
	! "${pre[@]}" timeout 20 nfs-ls "$url" >>ls.out 2>&1 &&
	! "${pre[@]}" timeout 20 nfs-cp /etc/os-release "$put" >>cp.out 2>&1 &&
	test ! -e "$3/root/intruder" || { cat ls.out cp.out; false; }
}

test_expect_success 'user mode: a guest-only server: nothing in the host namespace, nobody and root cannot reach it' '
	kdebug rootfs --format dir -o ru >/dev/null &&
	"$KDEBUG_BIN" run -k "$KDIR" --name pu --root "nfs:$PWD/ru" --timeout 300 --exec "$GUEST" >pu.out 2>pu.err &
	pid=$!
	test_cleanup "kill $pid 2>/dev/null"
	test_wait_for "test -e ru/root/from-guest || ! kill -0 $pid 2>/dev/null" 150 &&
	test -e ru/root/from-guest || { cat pu.out pu.err; exit 1; }
	inst=$XDG_RUNTIME_DIR/kdebug/pu &&
	P=$(conf_port "$inst/nfs/ganesha.conf" NFS_Port) && M=$(conf_port "$inst/nfs/ganesha.conf" MNT_Port) &&
	test -n "$P" && test -n "$M" &&
	grep -q "Bind_Addr = 127.0.0.1;" "$inst/nfs/ganesha.conf" &&
	grep -q "Clients = 127.0.0.1;" "$inst/nfs/ganesha.conf" &&
	G=$(ganesha_of "$inst") && test -n "$G" &&
	NETNS=$(readlink /proc/$G/ns/net) && test "$NETNS" != "$(readlink /proc/self/ns/net)" &&
	echo "$NETNS" >netns.pu &&
	# In its namespace: on 127.0.0.1 only ([::ffff:127.0.0.1]: IPv6 sockets); in ours: not at all.
	nsenter -t $G -n ss -ltnH >ns.listen &&
	grep -q "127.0.0.1]*:$P " ns.listen && grep -q "127.0.0.1]*:$M " ns.listen &&
	! grep -v "127.0.0.1]*:" ns.listen &&
	! ss -ltnpH | grep "pid=$G," &&
	test -n "$(relays_of $G)" &&
	no_access "" 127.0.0.1 "$PWD/ru" $P $M &&
	# The same requests work where the relays connect: the refusals above are not a wrong URL.
	nsenter -t $G -n timeout 20 nfs-ls "nfs://127.0.0.1$PWD/ru/root?nfsport=$P&mountport=$M" >ok.ls &&
	grep -q " from-guest$" ok.ls &&
	echo from-host >ru/root/from-host &&
	test_wait_for "grep -qx from-host pu.out" 60 &&
	touch ru/root/go &&
	wait $pid &&
	grep -q "^10.0.2.4:$PWD/ru / nfs .*mountproto=tcp" pu.out &&
	grep -qx guest-done pu.out &&
	test "$(cat ru/root/from-guest)" = from-guest || { cat pu.out pu.err; false; }
'

test_expect_success 'user mode: after the VM, no ganesha, no relay, no namespace' '
	test -s netns.pu &&
	test_wait_for "test -z \"\$(pgrep -f \"ganesha.nfsd .*$XDG_RUNTIME_DIR/kdebug/pu/\")\" && test -z \"\$(pgrep -f \"^/[^ ]*kdebug __nfs-relay .* $(sed "s/.*\[\(.*\)\]/\1/" netns.pu) \")\"" 15 &&
	! lsns -t net -n -o NS | grep -qx "$(sed "s/.*\[\(.*\)\]/\1/" netns.pu)" &&
	test ! -e "$XDG_RUNTIME_DIR/kdebug/pu"
'

test_expect_success 'bridge mode: ganesha on the bridge address only, exported to the guest only' '
	NS=kdnfsp-$$ &&
	ip netns add $NS || exit 1
	test_cleanup "ip netns del $NS"
	ip netns exec $NS ip link set lo up &&
	kdebug rootfs --format dir -o rb >/dev/null &&
	ip netns exec $NS "$KDEBUG_BIN" run -k "$KDIR" --name pb --root "nfs:$PWD/rb" --net bridge --timeout 300 \
		--exec "$GUEST" >pb.out 2>pb.err &
	pid=$!
	test_cleanup "kill $pid 2>/dev/null"
	test_wait_for "test -e rb/root/from-guest || ! kill -0 $pid 2>/dev/null" 150 &&
	test -e rb/root/from-guest || { cat pb.out pb.err; exit 1; }
	conf=$XDG_RUNTIME_DIR/kdebug/pb/nfs/ganesha.conf &&
	P=$(conf_port "$conf" NFS_Port) && M=$(conf_port "$conf" MNT_Port) &&
	grep -q "Bind_Addr = 192.168.0.1;" "$conf" && grep -q "Clients = 192.168.0.2;" "$conf" &&
	ip netns exec $NS ss -ltnH >b.listen &&
	grep -q "192.168.0.1]*:$P " b.listen && grep -q "192.168.0.1]*:$M " b.listen &&
	! grep -E "(0.0.0.0|127.0.0.1|\[::\]|\*):($P|$M) " b.listen &&
	no_access $NS 192.168.0.1 "$PWD/rb" $P $M &&
	echo from-host >rb/root/from-host &&
	test_wait_for "grep -qx from-host pb.out" 60 &&
	touch rb/root/go &&
	wait $pid &&
	grep -q "^192.168.0.1:$PWD/rb / nfs " pb.out &&
	grep -qx guest-done pb.out || { cat pb.out pb.err; false; }
'

test_expect_success 'kdebug from a path with a blank, a comma and a quote: the relay command reaches QEMU intact' '
	d="$PWD/a b,c'\''d" && mkdir -p "$d" && cp "$KDEBUG_BIN" "$d/kdebug" &&
	kdebug rootfs --format dir -o rq >/dev/null &&
	"$d/kdebug" run -k "$KDIR" --root "nfs:$PWD/rq" --timeout 200 --exec "echo quoted-ok >/root/q" >q.out 2>q.err &&
	grep -qx quoted-ok rq/root/q || { cat q.out q.err; false; }
'

test_expect_success 'kdebug from a path QEMU cannot be given (a newline) is refused in one line, nothing left' '
	d="$PWD/new
line" && mkdir -p "$d" && cp "$KDEBUG_BIN" "$d/kdebug" &&
	test_expect_code 2 "$d/kdebug" run -k "$KDIR" --name pn --root "nfs:$PWD/rq" --timeout 60 --exec true >n.out 2>n.err &&
	test $(wc -l <n.err) = 1 && grep -q "^error: kdebug.s path .* cannot be given to QEMU as the NFS relay command" n.err &&
	test -z "$(ganesha_of "$XDG_RUNTIME_DIR/kdebug/pn")" && test ! -e "$XDG_RUNTIME_DIR/kdebug/pn"
'

test_expect_success '--nfs-server kernel with --net user: refused before anything starts, in one line' '
	test_expect_code 2 kdebug run -k "$KDIR" --name pk --root "nfs:$PWD/rq" --nfs-server kernel --exec true >k.out 2>k.err &&
	test $(wc -l <k.err) = 1 && grep -q "^error: --nfs-server kernel in user mode would export to 127.0.0.1" k.err &&
	test_expect_code 2 kdebug run -k "$KDIR" --root "nfs:$PWD/rq" --nfs-server kernel --net user --exec true 2>k.err &&
	test $(wc -l <k.err) = 1 &&
	test -z "$(ls "$XDG_RUNTIME_DIR/kdebug" 2>/dev/null)"
'

test_done
