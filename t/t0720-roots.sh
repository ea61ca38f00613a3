#!/bin/bash
# kdebug run --root nfs[:DIR] | 9p:DIR and --share HOST[:GUEST]: the guest's
# root or a directory served live from the host; files travel both ways
# while the VM runs; the NFS server is private to the VM and gone after it.
. "$(dirname "$0")/lib.sh"
test_require qemu-system-x86_64 ip ganesha.nfsd rpcbind
test_require_kernel_source
KDIR=$(test_built_kernel) || exit 1

# Guest command: wait (up to 60 s) for a file the host creates, print it, answer.
WAIT_FOR='i=0; while [ ! -e "$F" ] && [ $i -lt 300 ]; do sleep 0.2; i=$((i+1)); done; cat "$F"'
ganesha_of() { pgrep -f "ganesha.nfsd.*$1" || true; }

test_expect_success '--share: a host directory, live both ways' '
	mkdir -p shared && echo "from the host" >shared/early.txt &&
	"$KDEBUG_BIN" run -k "$KDIR" --name sh --share "$PWD/shared:/mnt/s" --timeout 180 \
		--exec "cat /mnt/s/early.txt; echo from-guest >/mnt/s/guest.txt; F=/mnt/s/late.txt; $WAIT_FOR" \
		>sh.out 2>sh.err &
	pid=$!
	test_cleanup "kill $pid 2>/dev/null"
	test_wait_for "test -e shared/guest.txt" 90 &&
	echo "written while it runs" >shared/late.txt &&
	wait $pid &&
	grep -qx "from the host" sh.out &&
	grep -qx "written while it runs" sh.out &&
	grep -qx from-guest shared/guest.txt
'

test_expect_success '--root 9p:DIR boots from a host directory' '
	kdebug rootfs --format dir -o r9 &&
	kdebug run -k "$KDIR" --root "9p:$PWD/r9" --timeout 180 \
		--exec "grep \" / \" /proc/mounts; echo made-in-guest >/root/g.txt" >out &&
	grep -q "^/dev/root / 9p " out &&
	grep -qx made-in-guest r9/root/g.txt
'

# Issue #10: as root, passthrough would chown/chmod the host file itself;
# mapped-xattr keeps what the guest sets in xattrs.
test_expect_success '--root 9p:DIR as root: the guest root cannot make a setuid-root host file' '
	test "$(id -u)" = 0 || { echo "# not root: nothing to check"; exit 0; }
	kdebug rootfs --format dir -o r9s &&
	kdebug run -k "$KDIR" --root "9p:$PWD/r9s" --timeout 180 \
		--exec "cp /bin/busybox /x && chown 0:0 /x && chmod 4755 /x && mknod /blk b 8 0; ls -ln /x; chmod 4755 /bin/busybox; readlink /sbin/init; cat /etc/inittab >/dev/null && echo read-ok" >out &&
	grep -q "^-rwsr-xr-x  *1 0  *0 .* /x$" out &&
	grep -qx ../bin/busybox out && grep -qx read-ok out &&
	stat -c "%u:%g %a %F" r9s/x && test ! -u r9s/x &&
	test "$(stat -c %a r9s/x)" = 600 &&
	test "$(stat -c %a r9s/bin/busybox)" = 755 &&
	test ! -b r9s/blk
'

test_expect_success '--root nfs (user mode): a fresh tree served by a private ganesha, live both ways' '
	"$KDEBUG_BIN" run -k "$KDIR" --name nf --root nfs --timeout 180 \
		--exec "grep \" / \" /proc/mounts; echo from-guest >/root/guest.txt; F=/root/late.txt; $WAIT_FOR" \
		>nf.out 2>nf.err &
	pid=$!
	test_cleanup "kill $pid 2>/dev/null"
	root=$XDG_RUNTIME_DIR/kdebug/nf/root
	test_wait_for "test -e $root/root/guest.txt" 90 &&
	test -n "$(ganesha_of "$XDG_RUNTIME_DIR/kdebug/nf")" &&
	echo "edited on the host" >"$root/root/late.txt" &&
	wait $pid &&
	grep -q "^10.0.2.4:$root / nfs .*vers=3" nf.out &&
	grep -qx "edited on the host" nf.out &&
	test -z "$(ganesha_of "$XDG_RUNTIME_DIR/kdebug/nf")" &&
	test ! -e "$XDG_RUNTIME_DIR/kdebug/nf"
'

test_expect_success '--root nfs:DIR; kill -9 of kdebug takes the server with it' '
	kdebug rootfs --format dir -o rn || exit 1
	"$KDEBUG_BIN" run -k "$KDIR" --name k9 --root "nfs:$PWD/rn" --timeout 180 \
		--exec "echo up >/root/up.txt; sleep 100" >/dev/null 2>&1 &
	pid=$!
	test_cleanup "kill $pid 2>/dev/null"
	test_wait_for "test -e rn/root/up.txt" 90 &&
	test -n "$(ganesha_of "$XDG_RUNTIME_DIR/kdebug/k9")" &&
	kill -9 $pid &&
	test_wait_for "test -z \"\$(ganesha_of $XDG_RUNTIME_DIR/kdebug/k9)\"" 15 &&
	kdebug ps >/dev/null && test ! -e "$XDG_RUNTIME_DIR/kdebug/k9"
'

test_expect_success '--root nfs over --net bridge, in a network namespace' '
	NS=kdnfs-$$ &&
	ip netns add $NS || exit 1
	test_cleanup "ip netns del $NS"
	ip netns exec $NS ip link set lo up &&
	kdebug rootfs --format dir -o rb &&
	ip netns exec $NS "$KDEBUG_BIN" run -k "$KDIR" --root "nfs:$PWD/rb" --net bridge --timeout 180 \
		--exec "grep \" / \" /proc/mounts; echo via-bridge >/root/b.txt" >out 2>err &&
	grep -q "^192.168.0.1:$PWD/rb / nfs " out &&
	grep -qx via-bridge rb/root/b.txt &&
	test "$(ip netns exec $NS ip -o link show | grep -cv ": lo:")" = 0
'

test_expect_success 'bad input: not a root file system, missing directories, no network' '
	mkdir -p empty &&
	test_expect_code 2 kdebug run -k "$KDIR" --root "nfs:$PWD/empty" --exec true 2>err &&
	test $(wc -l <err) = 1 && grep -q "is not a root file system (no /sbin/init or /init)" err &&
	test_expect_code 2 kdebug run -k "$KDIR" --root 9p:/nonexistent --exec true 2>err &&
	test $(wc -l <err) = 1 && grep -q "No such file or directory" err &&
	test_expect_code 2 kdebug run -k "$KDIR" --root nfs --net none --exec true 2>err &&
	grep -q "needs a network" err &&
	test_expect_code 2 kdebug run -k "$KDIR" --share /nonexistent --exec true 2>err &&
	test $(wc -l <err) = 1 &&
	test_expect_code 2 kdebug run -k "$KDIR" --root ext4:/x --exec true 2>err && grep -q "invalid --root" err &&
	test_expect_code 2 env PATH=/nonexistent "$KDEBUG_BIN" run -k "$KDIR" --root nfs --exec true 2>err &&
	test $(wc -l <err) = 1 && grep -q "needs nfs-ganesha; install the Debian packages nfs-ganesha and nfs-ganesha-vfs" err &&
	test -z "$(ls "$XDG_RUNTIME_DIR/kdebug" 2>/dev/null)"
'

# In user mode the ports are those of the server's own namespace: only
# bridge mode (the host's namespace; here one this test makes) can find one busy.
test_expect_success '--nfs-ports (bridge mode): a busy port is refused, nothing left' '
	NS=kdnfsport-$$ &&
	ip netns add $NS || exit 1
	test_cleanup "ip netns del $NS"
	ip netns exec $NS ip link set lo up &&
	ip netns exec $NS python3 -c "import socket, time; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((\"0.0.0.0\", 0)); s.listen(); open(\"busy.port\", \"w\").write(str(s.getsockname()[1])); time.sleep(120)" &
	lpid=$!
	test_cleanup "kill $lpid 2>/dev/null"
	test_wait_for "test -s busy.port" 10 &&
	busy=$(cat busy.port) &&
	test_expect_code 2 ip netns exec $NS "$KDEBUG_BIN" run -k "$KDIR" --root nfs --net bridge --nfs-ports "$busy,$((busy + 1))" --exec true 2>err &&
	cat err &&
	test "$(grep -c ^error: err)" = 1 && grep -q "^error: port $busy is in use; choose another NFS port" err &&
	test "$(ip netns exec $NS ip -o link show | grep -cv ": lo:")" = 0 &&
	test_expect_code 2 kdebug run -k "$KDIR" --root nfs --nfs-ports 20490 --exec true 2>err &&
	grep -q "invalid --nfs-ports" err &&
	test -z "$(ls "$XDG_RUNTIME_DIR/kdebug" 2>/dev/null)"
'

# --nfs-server kernel needs a kernel NFS server, which this kind of host
# does not have: the refusal is real; the export and its removal (also after
# kill -9) are checked with a stand-in nfsd state and a recording exportfs,
# in a namespace where the guest finds no server at all.
test_expect_success '--nfs-server kernel without a kernel NFS server is refused' '
	mkdir -p nonfsd &&
	NS=kdnonfsd-$$ &&
	ip netns add $NS || exit 1
	test_cleanup "ip netns del $NS"
	KDEBUG_PROC_NFSD=$PWD/nonfsd test_expect_code 2 ip netns exec $NS "$KDEBUG_BIN" run -k "$KDIR" --root nfs \
		--nfs-server kernel --net bridge --exec true 2>err &&
	test $(wc -l <err) = 1 && grep -q "no kernel NFS server runs on this host" err &&
	test_expect_code 2 kdebug run -k "$KDIR" --nfs-server kernel --exec true 2>err &&
	grep -q "needs --root nfs" err &&
	test -z "$(ls "$XDG_RUNTIME_DIR/kdebug" 2>/dev/null)"
'

test_expect_success '--nfs-server kernel: refused in user mode (127.0.0.1 is every local user); an export for the bridge guest only, removed after kill -9' '
	NS=kdknfs-$$ &&
	ip netns add $NS || exit 1
	test_cleanup "ip netns del $NS"
	ip netns exec $NS ip link set lo up &&
	mkdir -p fakensd fakebin && echo 8 >fakensd/threads &&
	printf "#!/bin/sh\necho \"\$*\" >>%s/exportfs.log\n" "$PWD" >fakebin/exportfs &&
	chmod +x fakebin/exportfs &&
	kdebug rootfs --format dir -o rk &&
	KDEBUG_PROC_NFSD=$PWD/fakensd PATH=$PWD/fakebin:$PATH test_expect_code 2 \
		ip netns exec $NS "$KDEBUG_BIN" run -k "$KDIR" --root "nfs:$PWD/rk" --nfs-server kernel \
		--timeout 8 --exec true >out 2>err &&
	test $(wc -l <err) = 1 && grep -q "would export to 127.0.0.1, where every local user" err &&
	test ! -e exportfs.log || exit 1
	KDEBUG_PROC_NFSD=$PWD/fakensd PATH=$PWD/fakebin:$PATH \
		ip netns exec $NS "$KDEBUG_BIN" run -k "$KDIR" --root "nfs:$PWD/rk" --nfs-server kernel \
		--net bridge --timeout 100 --exec true >out 2>err &
	pid=$!
	test_cleanup "kill $pid 2>/dev/null"
	test_wait_for "test -s exportfs.log" 30 &&
	grep -qx -- "-o rw,no_root_squash,no_subtree_check,sync 192.168.0.2:$PWD/rk" exportfs.log &&
	kill -9 $pid &&
	test_wait_for "grep -qx -- \"-u 192.168.0.2:$PWD/rk\" exportfs.log" 15 &&
	test "$(wc -l <exportfs.log)" = 2 &&
	test_wait_for "test \"\$(ip netns exec $NS ip -o link show | grep -cv \": lo:\")\" = 0" 15
'

test_done
