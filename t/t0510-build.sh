#!/bin/bash
# kdebug build: the test kernel (minimal profile, linux-source-6.1, built
# once by t/test-kernel.sh and cached), a no-op rebuild, the bzImage/vmlinux
# check, a failing build.
. "$(dirname "$0")/lib.sh"

test_require_kernel_source
KERNEL=$(test_built_kernel) || exit 1
say "test kernel: $KERNEL"

test_expect_success 'the build has bzImage, vmlinux, vmlinux-gdb.py and modules' '
	test -s "$KERNEL/arch/x86/boot/bzImage" &&
	test -s "$KERNEL/vmlinux" &&
	head -c 4 "$KERNEL/vmlinux" | grep -q ELF &&
	test -r "$KERNEL/vmlinux-gdb.py" &&
	test -s "$KERNEL/scripts/gdb/linux/constants.py" &&
	test -s "$KERNEL/modules.order" &&
	test "$(cat "$KERNEL/include/config/kernel.release")" = "$(test_meta_field "$KERNEL/kdebug-state" release)"
'

test_expect_success 'vmlinux has full debug info' '
	readelf -S "$KERNEL/vmlinux" >sections &&
	grep -q "\.debug_info" sections && grep -q "\.debug_line" sections &&
	grep -qx "CONFIG_DEBUG_INFO=y" "$KERNEL/.config" &&
	! grep -qx "CONFIG_DEBUG_INFO_REDUCED=y" "$KERNEL/.config"
'

test_expect_success 'the .config has what the minimal profile requests' '
	grep "^CONFIG_" "$TEST_ROOT/configs/minimal.config" >want &&
	while read -r l; do grep -qxF "$l" "$KERNEL/.config" || { echo "missing: $l"; exit 1; }; done <want &&
	grep "^# CONFIG_.* is not set" "$TEST_ROOT/configs/minimal.config" | sed "s/^# \(CONFIG_[A-Z0-9_]*\) is not set/\1=/" >off &&
	! grep -F -f off "$KERNEL/.config"
'

test_expect_success 'bzImage and vmlinux are from the same build (recorded, and --check)' '
	test "$(test_meta_field "$KERNEL/kdebug-state" match)" = "ok" &&
	test "$(test_meta_field "$KERNEL/kdebug-state" build)" = "ok" &&
	kdebug build --check --out "$KERNEL" >out &&
	grep -q "^ok: .*bzImage and .*vmlinux are from the same build (6.1.[0-9]* (" out
'

# A build directory whose bzImage comes from elsewhere.
make_fake() {	# DIR BZIMAGE
	mkdir -p "$1/arch/x86/boot" &&
	cp "$KERNEL/.config" "$1/.config" && : >"$1/Makefile" &&
	ln -sf "$KERNEL/vmlinux" "$1/vmlinux" &&
	cp "$2" "$1/arch/x86/boot/bzImage"
}

test_expect_success 'a bzImage from another build is detected (patched version string)' '
	make_fake fake "$KERNEL/arch/x86/boot/bzImage" &&
	kdebug build --check --out fake &&
	ptr=$(od -An -tu2 -j 526 -N2 fake/arch/x86/boot/bzImage | tr -d " ") &&
	printf 9 | dd of=fake/arch/x86/boot/bzImage bs=1 seek=$((ptr + 512)) conv=notrunc 2>/dev/null &&
	test_expect_code 1 kdebug build --check --out fake 2>err &&
	cat err &&
	grep -q "^error: .*bzImage. and .*vmlinux. are not from the same build: the bzImage is 9.1.[0-9]* (.*, the vmlinux is 6.1.[0-9]* (" err
'

test_expect_success "a distribution kernel's bzImage does not match our vmlinux" '
	vmlinuz=$(ls /boot/vmlinuz-* 2>/dev/null | head -n 1) &&
	if test -n "$vmlinuz" && test -r "$vmlinuz"; then
		make_fake distro "$vmlinuz" &&
		test_expect_code 1 kdebug build --check --out distro 2>err &&
		grep -q "are not from the same build" err
	else
		echo "no readable /boot/vmlinuz-*: covered by the previous test"
	fi
'

test_expect_success 'kbuild_resolve rules: --check from inside the build directory' '
	(cd "$KERNEL" && kdebug build --check) >out &&
	grep -q "^ok:" out
'

test_expect_success 'a rebuild with nothing to do takes seconds and compiles nothing' '
	start=$(date +%s) &&
	flock "$TEST_KERNEL_CACHE/.lock" "$KDEBUG_BIN" build --out "$KERNEL" >out 2>err &&
	end=$(date +%s) &&
	cat out err &&
	grep -q "^built Linux 6.1.[0-9]* in .* (0 objects compiled)" out &&
	test $((end - start)) -lt 60 &&
	test "$(test_meta_field "$KERNEL/kdebug-state" match)" = "ok" &&
	grep -q "bzImage is ready" "$KERNEL/kdebug-build.log"
'

test_expect_success 'a failing build shows the first compiler error, not the whole log, exit 1' '
	tree=$(test_meta_field "$KERNEL/kdebug-state" src) &&
	test -f "$tree/kernel/bounds.c" &&
	cp -al "$tree" broken-tree &&
	rm broken-tree/kernel/bounds.c &&
	{ cat "$tree/kernel/bounds.c"; echo "int kdebug_broken = ;"; } >broken-tree/kernel/bounds.c &&
	! grep -q kdebug_broken "$tree/kernel/bounds.c" &&
	printf "# base: tinyconfig\nCONFIG_64BIT=y\n" >t64.config &&
	export KDEBUG_CACHE_DIR="$TRASH/cache" &&
	kdebug config --src broken-tree --profile ./t64.config --out out-fail >/dev/null &&
	test_expect_code 1 kdebug build --out out-fail >out 2>err &&
	cat err &&
	grep -q "kernel/bounds.c:[0-9]*:[0-9]*: error: expected expression" err &&
	grep -q "^error: build failed (make exited with status 2); full log: .*out-fail/kdebug-build.log" err &&
	test $(wc -l <err) -lt 40 &&
	grep -q "kdebug_broken" out-fail/kdebug-build.log &&
	test "$(test_meta_field out-fail/kdebug-state build)" = "failed" &&
	! grep -q kdebug_broken "$tree/kernel/bounds.c"
'
test_cleanup 'rm -rf "$TRASH/broken-tree"'

test_expect_success 'build without --out uses the last configured build' '
	export KDEBUG_CACHE_DIR="$TRASH/cache" &&
	test_expect_code 1 kdebug build 2>err &&
	grep -q "out-fail" err
'

test_expect_success 'nothing configured: exit 2 with what to do' '
	mkdir -p empty && cd empty &&
	test_expect_code 2 env KDEBUG_CACHE_DIR="$TRASH/cache-empty" "$KDEBUG_BIN" build 2>err &&
	grep -q "^error: no kernel build yet; run .kdebug config. and .kdebug build." err &&
	test_expect_code 2 kdebug build --out "$TRASH/empty" 2>err &&
	grep -q "is not a configured build directory" err &&
	test_expect_code 2 kdebug build -j 0 2>err &&
	test_expect_code 2 kdebug build --nope 2>err &&
	kdebug build --help | grep -q "^usage: kdebug build"
'

test_done
