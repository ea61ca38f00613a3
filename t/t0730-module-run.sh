#!/bin/bash
# kdebug run --module DIR: an out-of-tree module built against the test
# kernel reaches the guest by itself (9p, under /lib/modules/RELEASE/kdebug/),
# loads and unloads; a module for another kernel and an unknown breakpoint
# symbol are refused before anything starts.
. "$(dirname "$0")/lib.sh"
test_require qemu-system-x86_64 make gcc
test_require_kernel_source
KDIR=$(test_built_kernel) || exit 1
REL=$(cat "$KDIR/include/config/kernel.release")

test_expect_success 'build the test module against the test kernel' '
	cp -r "$TEST_DIRECTORY/modules/hello" hello &&
	kdebug module build hello --kernel "$KDIR" >out 2>err &&
	test -f hello/hello.ko
'

test_expect_success 'the module is in the guest, insmod/lsmod/rmmod work' '
	kdebug run -k "$KDIR" --module "$PWD/hello" --timeout 180 \
		--exec "ls /lib/modules/$REL/kdebug/hello/hello.ko && insmod /lib/modules/$REL/kdebug/hello/hello.ko && grep ^hello /proc/modules && dmesg | grep kdebug-hello; rmmod hello && echo RMMOD-OK" >out 2>err &&
	grep -q "^hello .* Live" out &&
	grep -q "kdebug-hello: init, value 42" out &&
	grep -qx RMMOD-OK out
'

test_expect_success 'a module built for another kernel is refused with a vermagic message' '
	ko=$(find /lib/modules -name "*.ko" | head -n1) &&
	test -n "$ko" && mkdir -p other && cp "$ko" other/ &&
	test_expect_code 2 kdebug run -k "$KDIR" --module "$PWD/other" --exec true 2>err &&
	grep -q "vermagic" err &&
	test -z "$(ls "$XDG_RUNTIME_DIR/kdebug" 2>/dev/null)"
'

test_expect_success 'a breakpoint symbol in neither vmlinux nor the module is refused' '
	test_expect_code 2 kdebug run -k "$KDIR" --module "$PWD/hello" --break hello_inti --exec true 2>err &&
	grep -q "no symbol .hello_inti. in vmlinux or the modules" err
'

test_expect_success 'a breakpoint on the module init function hits with module symbols loaded by themselves' '
	ko=/lib/modules/$REL/kdebug/hello/hello.ko &&
	kdebug run -k "$KDIR" --module "$PWD/hello" --break hello_init --expect-hit \
		--on-hit lx-lsmod --on-hit "info line hello_exit" --timeout 240 \
		--exec "insmod $ko && rmmod hello && insmod $ko && echo TWICE" >out 2>err &&
	cat out &&
	test "$(grep -c "^module hello: symbols from $PWD/hello/hello.ko\$" out)" = 2 &&
	grep -q "^hit hello_init at $PWD/hello/hello.c:11 (1)\$" out &&
	grep -q "^hit hello_init at $PWD/hello/hello.c:11 (2)\$" out &&
	grep -q "^  #0  hello_init () at $PWD/hello/hello.c:11" out &&
	grep -q "^  #[0-9].* in do_init_module " out &&
	grep -q "^  0x[0-9a-f]* hello  " out &&
	grep -q "Line 17 of \"$PWD/hello/hello.c\"" out &&
	grep -qx TWICE out &&
	grep -qx "hello_init: 2 hits" out
'

test_expect_success 'on a terminal, without --exec: insmod typed at the prompt reports the hit' '
	python3 "$TEST_DIRECTORY/interactive.py" \
		--type "insmod /lib/modules/$REL/kdebug/hello/hello.ko" \
		--expect "kdebug-hello: init, value 42" \
		"$KDEBUG_BIN" run -k "$KDIR" --module "$PWD/hello" --break hello_init --name tty >tty.out 2>&1 &&
	grep -q "^hit hello_init at $PWD/hello/hello.c:11 (1)"$'"'"'\r$'"'"' tty.out &&
	grep -q "^  #0  hello_init () at $PWD/hello/hello.c:11" tty.out &&
	grep -q "hello_init: 1 hit" tty.out &&
	test ! -e "$XDG_RUNTIME_DIR/kdebug/tty"
'

test_expect_success 'kdebug gdb on a VM run with --module has the module symbols and lx-lsmod' '
	"$KDEBUG_BIN" run -k "$KDIR" --module "$PWD/hello" --gdb --name modvm --timeout 240 \
		--exec "insmod /lib/modules/$REL/kdebug/hello/hello.ko && echo LOADED && sleep 200" >vm.out 2>vm.err &
	pid=$!
	test_cleanup "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
	test_wait_for "grep -qx LOADED vm.out" 120 &&
	kdebug gdb modvm --batch "lx-lsmod; info line hello_exit" >gdb.out 2>&1 &&
	cat gdb.out &&
	grep -q "^kdebug: symbols of module hello from $PWD/hello/hello.ko" gdb.out &&
	grep -q "^0x[0-9a-f]* hello  " gdb.out &&
	grep -q "Line 17 of \"$PWD/hello/hello.c\"" gdb.out &&
	mkdir -p nomod &&
	{ kdebug gdb modvm --module "$PWD/nomod" --batch "info line hello_exit" >gdb2.out 2>&1; true; } &&
	grep -q "Function \"hello_exit\" not defined" gdb2.out &&
	kdebug stop modvm
'

test_expect_success 'kdebug gdb --break on a module function: pending until insmod, then stops in its source' '
	"$KDEBUG_BIN" run -k "$KDIR" --module "$PWD/hello" --gdb --name modbp --timeout 240 \
		--exec "$GUEST_WAIT_GDB; insmod /lib/modules/$REL/kdebug/hello/hello.ko && echo LOADED" >bp.out 2>bp.err &
	pid=$!
	test_cleanup "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
	test_wait_for "grep -q KDEBUG-READY $XDG_RUNTIME_DIR/kdebug/modbp/console.log 2>/dev/null" 120 &&
	timeout 120 "$KDEBUG_BIN" gdb modbp --break hello_init \
		--batch "$GDB_GO; continue; bt 2" >gdb3.out 2>&1 &&
	cat gdb3.out &&
	grep -q "^kdebug: symbols of module hello from $PWD/hello/hello.ko" gdb3.out &&
	grep -q "hello_init () at $PWD/hello/hello.c:11" gdb3.out &&
	grep -q "^#1 .* in do_one_initcall " gdb3.out &&
	wait $pid && grep -qx LOADED bp.out
'

test_expect_success 'an empty module directory is refused' '
	mkdir -p nomod &&
	test_expect_code 2 kdebug run -k "$KDIR" --module "$PWD/nomod" --exec true 2>err &&
	grep -q "no .ko in" err
'

test_done
