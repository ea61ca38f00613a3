#!/bin/bash
# How kdebug guests end: `kdebug stop` presses the power button and the
# guest syncs, unmounts or remounts read-only and powers off at once, also
# while an --exec command runs; ext3/ext4 images are clean afterwards with
# the guest's writes in them; NFS and 9p roots keep them on the host;
# --timeout and a signal to `kdebug run` end the guest the same way;
# stop --all and --force.
. "$(dirname "$0")/lib.sh"
test_require qemu-system-x86_64 e2fsck debugfs
test_require_kernel_source
KDIR=$(test_built_kernel) || exit 1

# start NAME RUN-ARGS...: `kdebug run` in the background; returns once the
# guest's command printed RUNNING (the command should then wait).
start() {
	local name=$1
	shift
	"$KDEBUG_BIN" run -k "$KDIR" --name "$name" --timeout 300 "$@" >"$name.out" 2>"$name.err" &
	echo $! >"$name.pid"
	test_cleanup "kill -9 $! 2>/dev/null"
	test_wait_for "grep -q '^RUNNING$' $name.out || ! kill -0 $! 2>/dev/null" 240 &&
	grep -q '^RUNNING$' "$name.out" || { cat "$name.err" >&2; return 1; }
}

# stopped NAME: `kdebug stop NAME` powered the guest off by the power button,
# and its `kdebug run` ended.
stopped() {
	local t0 t1
	t0=$(date +%s%N)
	kdebug stop "$1" >"$1.stop" 2>&1 || { cat "$1.stop" >&2; return 1; }
	t1=$(date +%s%N)
	echo "# stop $1: $(( (t1 - t0) / 1000000 )) ms" >&2
	cat "$1.stop"
	grep -qx "stopped $1 (powered off)" "$1.stop" &&
	test_wait_for "! kill -0 $(cat "$1.pid") 2>/dev/null" 30
}

WRITE='echo fresh >/root/new.txt && echo appended >>/etc/existing.txt && echo RUNNING && sleep 120'

for fmt in ext3 ext4; do
	test_expect_success "$fmt: the guest's writes are on disk and the image is clean after kdebug stop" "
		printf 'first\n' >existing.txt &&
		kdebug rootfs --format $fmt --add existing.txt:/etc/existing.txt -o root.$fmt >/dev/null &&
		start v$fmt --rootfs root.$fmt --net none --exec '$WRITE' &&
		stopped v$fmt &&
		e2fsck -fn root.$fmt &&
		debugfs -R 'cat /root/new.txt' root.$fmt 2>/dev/null >new.txt &&
		grep -qx fresh new.txt &&
		debugfs -R 'cat /etc/existing.txt' root.$fmt 2>/dev/null >ex.txt &&
		printf 'first\nappended\n' | cmp - ex.txt
	"
done

test_expect_success 'kdebug stop of a kdebug guest takes the power button, not 10 s and a quit' '
	start quick --net none --exec "echo RUNNING; sleep 120" &&
	t0=$(date +%s%N) &&
	stopped quick &&
	t1=$(date +%s%N) &&
	test $(( (t1 - t0) / 1000000 )) -lt 5000 &&
	! grep -q "quitting QEMU" quick.stop
'

test_expect_success '9p root: the guest writes reach the host tree' '
	kdebug rootfs --format dir -o tree9p >/dev/null &&
	printf "first\n" >tree9p/etc/existing.txt &&
	start v9p --root 9p:$PWD/tree9p --net none --exec "$WRITE" &&
	stopped v9p &&
	grep -qx fresh tree9p/root/new.txt &&
	printf "first\nappended\n" | cmp - tree9p/etc/existing.txt
'

test_expect_success 'NFS root: the guest writes reach the host tree' '
	kdebug rootfs --format dir -o treenfs >/dev/null &&
	printf "first\n" >treenfs/etc/existing.txt &&
	start vnfs --root nfs:$PWD/treenfs --exec "$WRITE" &&
	stopped vnfs &&
	grep -qx fresh treenfs/root/new.txt &&
	printf "first\nappended\n" | cmp - treenfs/etc/existing.txt
'

test_expect_success '--timeout ends the guest cleanly: the ext4 image is clean' '
	kdebug rootfs --format ext4 -o tmo.ext4 >/dev/null &&
	test_expect_code 124 kdebug run -k "$KDIR" --rootfs tmo.ext4 --net none --timeout 25 \
		--exec "echo data >/root/t.txt; sync; echo RUNNING; sleep 120" >tmo.out 2>tmo.err &&
	grep -q "the run did not finish within --timeout 25 s" tmo.out &&
	e2fsck -fn tmo.ext4 &&
	debugfs -R "cat /root/t.txt" tmo.ext4 2>/dev/null | grep -qx data
'

test_expect_success 'SIGINT to kdebug run ends the guest cleanly; the writes are on disk' '
	kdebug rootfs --format ext4 -o int.ext4 >/dev/null &&
	start vint --rootfs int.ext4 --net none --exec "echo x >/root/i.txt; echo RUNNING; sleep 120" &&
	kill -INT $(cat vint.pid) &&
	test_wait_for "! kill -0 $(cat vint.pid) 2>/dev/null" 30 &&
	grep -q "interrupted; VM vint stopped" vint.err &&
	e2fsck -fn int.ext4 &&
	debugfs -R "cat /root/i.txt" int.ext4 2>/dev/null | grep -qx x
'

test_expect_success 'stop --all stops every VM; --force quits at once' '
	start a1 --net none --exec "echo RUNNING; sleep 120" &&
	start a2 --net none --exec "echo RUNNING; sleep 120" &&
	kdebug stop --all >all.out 2>&1 &&
	grep -qx "stopped a1 (powered off)" all.out &&
	grep -qx "stopped a2 (powered off)" all.out &&
	test -z "$(kdebug ps | tail -n +2)" &&
	start f1 --net none --exec "echo RUNNING; sleep 120" &&
	kdebug stop --force f1 >f.out 2>&1 &&
	grep -qx "stopped f1 (quit QEMU)" f.out
'

test_expect_success 'bad input: stop --all with a name, an unknown VM' '
	test_expect_code 2 kdebug stop --all k1 2>err &&
	test $(wc -l <err) = 1 && grep -q "give no NAME" err &&
	test_expect_code 2 kdebug stop nosuchvm 2>err &&
	test $(wc -l <err) = 1
'

test_done
