#!/bin/bash
# kdebug module: build t/modules/hello against the test kernel, vermagic checks.
. "$(dirname "$0")/lib.sh"
test_require_kernel_source
KERNEL_DIR=$(test_built_kernel) || exit 1

test_expect_success 'module build compiles hello.ko against the build' '
	cp -r "$TEST_DIRECTORY/modules/hello" hello &&
	kdebug module build hello --kernel "$KERNEL_DIR" >out 2>err &&
	test -f hello/hello.ko &&
	grep -q "hello/hello.ko (for $(cat "$KERNEL_DIR/include/config/kernel.release"))" out &&
	modinfo -F vermagic hello/hello.ko >vm &&
	grep -q "^$(cat "$KERNEL_DIR/include/config/kernel.release") " vm
'

test_expect_success 'module check accepts it' '
	kdebug module check hello/hello.ko --kernel "$KERNEL_DIR" >out &&
	grep -q "^ok: " out
'

test_expect_success 'a module built for another kernel is refused with both vermagics' '
	ko=$(find /lib/modules -name "*.ko" -print -quit) &&
	test -n "$ko" &&
	test_expect_code 1 kdebug module check "$ko" --kernel "$KERNEL_DIR" 2>err &&
	grep -q "was built for kernel $(modinfo -F vermagic "$ko" | cut -d" " -f1) " err &&
	grep -q "kdebug module build" err
'

test_expect_success 'a compile error shows the first errors and the log' '
	cp -r hello broken && echo "this is not C;" >>broken/hello.c &&
	test_expect_code 1 kdebug module build broken --kernel "$KERNEL_DIR" 2>err &&
	grep -q "building the module in .*broken.* failed" err &&
	grep -q "error" err && test -f broken/kdebug-module.log
'

test_expect_success 'bad input: no directory, no Kbuild, not a module, unknown subcommand' '
	test_expect_code 2 kdebug module build nope --kernel "$KERNEL_DIR" 2>err &&
	grep -q "cannot build a module in .nope." err &&
	mkdir empty &&
	test_expect_code 2 kdebug module build empty --kernel "$KERNEL_DIR" 2>err &&
	grep -q "has no Kbuild or Makefile" err &&
	echo junk >junk.ko &&
	test_expect_code 2 kdebug module check junk.ko --kernel "$KERNEL_DIR" 2>err &&
	grep -q "is not a kernel module" err &&
	test_expect_code 2 kdebug module frob x 2>err &&
	grep -q "unknown subcommand" err
'

test_done
