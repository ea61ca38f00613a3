#!/bin/bash
# NFS root through lib/nfs.c (the test driver t/unit/test-nfs.t serve): a
# private nfs-ganesha in a network namespace this test creates, the test
# kernel booted with root=/dev/nfs under user-mode networking (10.0.2.2),
# live visibility both ways, and no server left behind (also after kill -9).
. "$(dirname "$0")/lib.sh"
test_require qemu-system-x86_64 ip ganesha.nfsd rpcbind
[ "$(id -u)" = 0 ] || skip_all "the NFS server and network namespaces need root"
test_require_kernel_source
KERNEL_DIR=$(test_built_kernel) || exit 1
DRIVER=$TEST_DIRECTORY/unit/test-nfs.t
[ -x "$DRIVER" ] || skip_all "run make unit first ($DRIVER missing)"

NS=kdebug-t0700-$$
ip netns add "$NS" || skip_all "cannot create a network namespace"
test_cleanup "ip netns delete $NS"
ip netns exec "$NS" ip link set lo up
# As kdebug's private namespace has (proc.c's new_netns): addresses besides
# the loopback ones, without which getaddrinfo(AI_ADDRCONFIG) resolves
# nothing and ganesha's Bind_Addr does not parse.
ip netns exec "$NS" ip addr add 127.0.0.2/8 dev lo
ip netns exec "$NS" ip addr add fd00:6b64::1/128 dev lo nodad

ganesha_pids() { pgrep -f "ganesha.nfsd .*$TRASH/" || true; }

# start_driver NAME (inside one test body: test bodies run in subshells):
# the driver in the namespace, its stdin a fifo held open by fd 7.
start_driver() {
	rm -f ctl && mkfifo ctl || return 1
	ip netns exec "$NS" "$DRIVER" serve "$PWD/root" "$PWD/$1" <ctl >"$1.out" 2>"$1.err" 7>&- &
	DRIVER_PID=$!
	test_cleanup "kill $DRIVER_PID 2>/dev/null"
	exec 7>ctl
	test_wait_for "grep -q ^cmdline $1.out || ! kill -0 $DRIVER_PID 2>/dev/null" 30 &&
	grep -q ^cmdline "$1.out" || { cat "$1.err"; return 1; }
}

test_expect_success 'a dir rootfs with a guest script that waits for a host file' '
	kdebug rootfs --format dir -o root >/dev/null &&
	mkdir -p root/etc/kdebug/rc.d &&
	cat >root/etc/kdebug/rc.d/90-t0700.sh <<-\EOS &&
	echo "T0700-ROOT $(grep " / " /proc/mounts)"
	echo T0700-UP
	i=0
	while [ ! -e /from-host ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
	echo "T0700-READ $(cat /from-host)"
	echo "written by the guest" >/from-guest
	sync
	poweroff -f
	EOS
	test -x root/sbin/init
'

test_expect_success 'NFS root: the guest boots from the server; files travel both ways live; the server stops' '
	start_driver s1 &&
	read -r _ NFS_PORT MOUNT_PORT <s1.out &&
	ip netns exec "$NS" ss -ltnH >listen &&
	grep -q ":$NFS_PORT " listen && grep -q ":$MOUNT_PORT " listen &&
	grep -q "Clients = 127.0.0.1;" s1/ganesha.conf &&
	grep -q "Bind_Addr = 127.0.0.1;" s1/ganesha.conf &&
	grep -q "127.0.0.1]*:$NFS_PORT " listen && ! grep -v "127.0.0.1]*:" listen &&
	test -n "$(ganesha_pids)" &&
	CMDLINE=$(sed -n "s/^cmdline //p" s1.out) &&
	{ ip netns exec "$NS" timeout 150 qemu-system-x86_64 -nodefaults -no-user-config -display none \
		-no-reboot -m 256 -kernel "$KERNEL_DIR/arch/x86/boot/bzImage" \
		-append "console=ttyS0 nokaslr panic=-1 ip=dhcp $CMDLINE" \
		-netdev user,id=n0 -device e1000,netdev=n0,romfile= \
		-serial file:console.log >qemu.out 2>&1 7>&- & } &&
	QEMU=$! &&
	test_cleanup "kill $QEMU 2>/dev/null" &&
	test_wait_for "grep -q T0700-UP console.log || ! kill -0 $QEMU 2>/dev/null" 120 &&
	grep -q "T0700-ROOT 10.0.2.2:$PWD/root / nfs " console.log &&
	echo "written by the host" >root/from-host &&
	wait $QEMU &&
	grep -q "T0700-READ written by the host" console.log &&
	test "$(cat root/from-guest)" = "written by the guest" &&
	exec 7>&- &&
	wait $DRIVER_PID &&
	grep -qx stopped s1.out &&
	test -z "$(ganesha_pids)" || { tail -n 30 console.log s1.err; false; }
'

test_expect_success 'kill -9 of the driver takes the server with it' '
	start_driver s2 &&
	test -n "$(ganesha_pids)" &&
	kill -9 $DRIVER_PID &&
	test_wait_for "test -z \"\$(ganesha_pids)\"" 10 &&
	! pgrep -f "^rpcbind -f" >/dev/null
'

test_expect_success 'a second server in the same namespace gets other ports' '
	start_driver s3 &&
	read -r _ p m <s3.out &&
	ip netns exec "$NS" "$DRIVER" serve "$PWD/root" "$PWD/s4" </dev/null >s4.out 2>s4.err &&
	read -r _ p2 m2 <s4.out &&
	test "$p2" != "$p" && test "$p2" != "$m" &&
	grep -qx stopped s4.out &&
	exec 7>&- && wait $DRIVER_PID && grep -qx stopped s3.out
'

test_expect_success 'a missing directory is refused with a clear message' '
	test_expect_code 1 ip netns exec "$NS" "$DRIVER" serve "$PWD/nope" "$PWD/s5" </dev/null >s5.out 2>s5.err &&
	grep -q "cannot export .*nope.*not a directory" s5.err &&
	test -z "$(ganesha_pids)"
'

test_done
