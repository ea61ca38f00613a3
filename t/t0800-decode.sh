#!/bin/bash
# kdebug decode: crash reports in a console log with their frames resolved
# to file:line against the real test kernel (vmlinux) and an out-of-tree
# module (.ko, relocatable: per-section addresses), checked against what
# addr2line itself says; JSON; bad input.
. "$(dirname "$0")/lib.sh"
test_require addr2line nm make gcc python3
test_require_kernel_source
KDIR=$(test_built_kernel) || exit 1
VMLINUX=$KDIR/vmlinux

# The address and size (hex, no 0x) of text symbol NAME in FILE.
sym() {	# NAME FILE
	nm -S "$2" | awk -v n="$1" '$4 == n && ($3 == "t" || $3 == "T") { print $1, $2; exit }'
}
# The first file:line addr2line gives for ADDR in FILE (the innermost of an
# inline chain), without a discriminator: what decode must name.
a2l() {	# FILE ADDR [addr2line options]
	local f=$1 a=$2
	shift 2
	addr2line -i "$@" -e "$f" "$a" | head -n 1 | sed 's/ (discriminator [0-9]*)//'
}
# A frame line for NAME at offset OFF (decimal) within it: " NAME+0x../0x..".
frame() {	# NAME FILE OFF
	local s
	s=$(sym "$1" "$2") || return 1
	set -- "$1" "$2" "$3" $s
	printf ' %s+0x%x/0x%x' "$1" "$3" "$((0x$5))"
}

test_expect_success 'the test kernel has the symbols this script uses' '
	test -n "$(sym sysrq_handle_crash "$VMLINUX")" &&
	test -n "$(sym write_sysrq_trigger "$VMLINUX")" &&
	test -n "$(sym panic "$VMLINUX")"
'

# A panic as the console shows it (sysrq c), with real offsets.
set -- $(sym sysrq_handle_crash "$VMLINUX")
CRASH_ADDR=$1 CRASH_SIZE=$((0x$2))
CRASH_OFF=$((CRASH_SIZE / 2))
set -- $(sym write_sysrq_trigger "$VMLINUX")
WRITE_ADDR=$1 WRITE_OFF=$((0x$2 / 2))
{
	printf '/ # echo c > /proc/sysrq-trigger\r\n'
	printf '[   12.345678] sysrq: Trigger a crash\r\n'
	printf '[   12.346001] Kernel panic - not syncing: sysrq triggered crash\r\n'
	printf '[   12.346500] CPU: 0 PID: 85 Comm: sh Not tainted 6.1 #1\r\n'
	printf '[   12.347500] Call Trace:\r\n'
	printf '[   12.347600]  <TASK>\r\n'
	printf '[   12.347800] %s\r\n' "$(frame panic "$VMLINUX" 16)"
	printf '[   12.347900]  ? %s\r\n' "$(frame _printk "$VMLINUX" 8 | cut -c2-)"
	printf '[   12.348000]  sysrq_handle_crash+0x%x/0x%x\r\n' "$CRASH_OFF" "$CRASH_SIZE"
	printf '[   12.348200] %s\r\n' "$(frame write_sysrq_trigger "$VMLINUX" "$WRITE_OFF")"
	printf '[   12.348300]  no_such_function_here+0x10/0x20\r\n'
	printf '[   12.348800] RIP: 0033:0x4b2f3e\r\n'
	printf '[   12.349600]  </TASK>\r\n'
} >panic.log
WANT_CRASH=$(a2l "$VMLINUX" "$(printf 0x%x $((0x$CRASH_ADDR + CRASH_OFF)))")
WANT_WRITE=$(a2l "$VMLINUX" "$(printf 0x%x $((0x$WRITE_ADDR + WRITE_OFF)))")
say "sysrq_handle_crash+$CRASH_OFF: $WANT_CRASH; write_sysrq_trigger+$WRITE_OFF: $WANT_WRITE"

test_expect_success 'a panic paused before its end: frames to the file:line addr2line gives' '
	kdebug decode -k "$KDIR" panic.log >out 2>err &&
	cat out &&
	test ! -s err &&
	case $WANT_CRASH in */drivers/tty/sysrq.c:[0-9]*) ;; *) false ;; esac &&
	grep -q "^\[   12.346001\] Kernel panic - not syncing: sysrq triggered crash\$" out &&
	grep -q "^\[   12.348000\]  sysrq_handle_crash+0x[0-9a-f]*/0x[0-9a-f]* drivers/tty/sysrq.c:${WANT_CRASH##*:}\$" out &&
	grep -q "^\[   12.348200\]  write_sysrq_trigger+.* drivers/tty/sysrq.c:${WANT_WRITE##*:}\$" out &&
	grep -q "^\[   12.347900\]  ? _printk+0x8/0x[0-9a-f]* [a-z]" out &&
	grep -q "^\[   12.348300\]  no_such_function_here+0x10/0x20\$" out &&
	grep -q "^\[   12.348800\] RIP: 0033:0x4b2f3e\$" out &&
	! grep -q "sysrq: Trigger a crash" out &&
	! grep -q "$(printf "\r")" out
'

test_expect_success 'the same from standard input, with the vmlinux given' '
	kdebug decode --vmlinux "$VMLINUX" <panic.log >out2 &&
	grep -q " sysrq_handle_crash+.* drivers/tty/sysrq.c:${WANT_CRASH##*:}\$" out2
'

test_expect_success 'the default kernel is the last kdebug build' '
	mkdir -p cache &&
	test_write_meta cache/last-build build_dir="$KDIR" &&
	KDEBUG_CACHE_DIR=$PWD/cache kdebug decode panic.log >out3 &&
	cmp out out3
'

test_expect_success '--json: report objects with resolved frames' '
	kdebug decode -k "$KDIR" --json panic.log >out.json &&
	python3 - "$WANT_CRASH" <<-EOF
	import json, sys
	want = sys.argv[1]
	a = json.load(open("out.json"))
	assert len(a) == 1, a
	r = a[0]
	assert r["kind"] == "panic" and r["cpu"] == 0 and r["pid"] == 85 and r["comm"] == "sh", r
	assert r["message"] == "Kernel panic - not syncing: sysrq triggered crash"
	f = [f for f in r["frames"] if f["function"] == "sysrq_handle_crash"][0]
	assert f["file"] == "drivers/tty/sysrq.c" and f["line"] == int(want.rsplit(":", 1)[1]), f
	assert f["reliable"] and not f["ip"] and f["module"] is None
	u = [f for f in r["frames"] if f["function"] == "no_such_function_here"][0]
	assert u["file"] is None and u["line"] is None
	assert not [f for f in r["frames"] if f["function"] == "_printk"][0]["reliable"]
	assert all(set(f) >= {"function", "offset", "size", "module", "file", "line", "reliable", "ip", "inlined"} for f in r["frames"])
	EOF
'

test_expect_success 'build the test module against the test kernel' '
	cp -r "$TEST_DIRECTORY/modules/hello" hello &&
	kdebug module build hello --kernel "$KDIR" >/dev/null 2>&1 &&
	test -f hello/hello.ko
'

test_expect_success 'an oops in a module: its frames resolve in the .ko, per section' '
	set -- $(sym hello_init hello/hello.ko) && init_size=$((0x$2)) &&
	set -- $(sym hello_exit hello/hello.ko) && exit_size=$((0x$2)) &&
	want_init=$(a2l hello/hello.ko 0x5 -j .init.text) &&
	want_exit=$(a2l hello/hello.ko 0x5 -j .exit.text) &&
	say "hello_init+5: $want_init; hello_exit+5: $want_exit" &&
	case $want_init in */hello/hello.c:[0-9]*) ;; *) false ;; esac &&
	{
		echo "BUG: kernel NULL pointer dereference, address: 0000000000000000"
		echo "#PF: supervisor read access in kernel mode"
		echo "Oops: 0000 [#1] PREEMPT SMP NOPTI"
		echo "CPU: 0 PID: 93 Comm: insmod Tainted: G           O       6.1 #1"
		printf "RIP: 0010:hello_init+0x5/0x%x [hello]\n" "$init_size"
		echo "Call Trace:"
		echo " <TASK>"
		printf " hello_exit+0x5/0x%x [hello]\n" "$exit_size"
		echo " ? 0xffffffffa0005000"
		echo "$(frame do_init_module "$VMLINUX" 8)"
		echo " </TASK>"
		echo "---[ end trace 0000000000000000 ]---"
		printf "RIP: 0010:hello_init+0x5/0x%x [hello]\n" "$init_size"
		echo "Kernel panic - not syncing: Fatal exception"
	} >oops.log &&
	kdebug decode -k "$KDIR" --module "$PWD" oops.log >out &&
	cat out &&
	grep -q "^RIP: 0010:hello_init+0x5/0x[0-9a-f]* \[hello\] $PWD/hello/hello.c:${want_init##*:}\$" out &&
	grep -q "^ hello_exit+0x5/0x[0-9a-f]* \[hello\] $PWD/hello/hello.c:${want_exit##*:}\$" out &&
	grep -q "^ do_init_module+0x8/0x[0-9a-f]* kernel/module/main.c:[0-9]*\$" out &&
	grep -q "^ ? 0xffffffffa0005000\$" out &&
	test "$(grep -c "^RIP: 0010:hello_init" out)" = 1 &&
	grep -q "^\$" out &&
	tail -n 1 out | grep -q "^Kernel panic - not syncing: Fatal exception\$"
'

test_expect_success 'without --module, module frames stay as they are' '
	kdebug decode -k "$KDIR" oops.log >out &&
	grep -q "^RIP: 0010:hello_init+0x5/0x[0-9a-f]* \[hello\]\$" out
'

test_expect_success 'a log without a report: exit 1, one line' '
	printf "hello\nworld\n" >plain.log &&
	test_expect_code 1 kdebug decode -k "$KDIR" plain.log 2>err &&
	test "$(wc -l <err)" = 1 &&
	grep -q "^error: no kernel crash report .* in .plain.log.\$" err
'

test_expect_success 'bad input: one line naming the problem and the fix, exit 2' '
	mkdir -p empty &&
	test_expect_code 2 kdebug decode -k "$KDIR" nosuch.log 2>err &&
	grep -q "^error: cannot read console log .nosuch.log.: No such file or directory\$" err &&
	test_expect_code 2 kdebug decode -k "$PWD/empty" panic.log 2>err &&
	grep -q "^error: .*empty. is not a kernel build directory.*; pass the directory .kdebug config. made\$" err &&
	test_expect_code 2 kdebug decode -k "$KDIR" --module "$PWD/nosuch" panic.log 2>err &&
	grep -q "^error: cannot open module directory .*nosuch.: No such file or directory; give a directory holding the .ko files\$" err &&
	test_expect_code 2 kdebug decode --vmlinux panic.log panic.log 2>err &&
	grep -q "^error: .*/panic.log. is not a 64-bit ELF file; give the kernel build.s vmlinux\$" err &&
	test_expect_code 2 kdebug decode --vmlinux nosuch panic.log 2>err &&
	grep -q "^error: cannot open vmlinux .nosuch.: No such file or directory\$" err &&
	test_expect_code 2 kdebug decode --frob 2>err &&
	grep -q "^error: unknown option .--frob.; see .kdebug decode --help.\$" err &&
	test_expect_code 2 kdebug decode a b 2>err &&
	grep -q "^error: unexpected argument .b.; see .kdebug decode --help.\$" err
'

test_expect_success 'kdebug help lists decode; decode --help' '
	kdebug help >out && grep -q "^  decode " out &&
	kdebug decode --help >out && grep -q "^usage: kdebug decode" out
'

test_done
