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

test_expect_success 'a module symbol passes the breakpoint check' '
	kdebug run -k "$KDIR" --module "$PWD/hello" --break hello_init --timeout 180 --exec true >out 2>err &&
	grep -q "^hello_init: " out
'

test_expect_success 'an empty module directory is refused' '
	mkdir -p nomod &&
	test_expect_code 2 kdebug run -k "$KDIR" --module "$PWD/nomod" --exec true 2>err &&
	grep -q "no .ko in" err
'

test_done
