#!/bin/bash
# Post-mortem: `kdebug dump` writes a live VM's memory as an ELF or
# kdump-compressed vmcore (the VM keeps running); `kdebug crash` and
# `kdebug drgn` open a vmcore file (the vmlinux found by the build ID of its
# VMCOREINFO), a crash directory by NAME (its meta.json names vmcore and
# vmlinux) and a live VM by NAME (dumped now); bad input is refused before
# the VM is touched, and no partial file is left.
. "$(dirname "$0")/lib.sh"
test_require qemu-system-x86_64 crash drgn python3
test_require_kernel_source
KDIR=$(test_built_kernel) || exit 1
RELEASE=$(cat "$KDIR/include/config/kernel.release")

# The guest fills QEMU's vmcoreinfo device (the run's crash watch adds it;
# CONFIG_FW_CFG_SYSFS), so that the dumps carry VMCOREINFO.
"$KDEBUG_BIN" run -k "$KDIR" --name vm --net none --timeout 300 \
	--exec 'echo RUNNING; sleep 290' >vm.out 2>vm.err &
VM_PID=$!
test_cleanup "kill -9 $VM_PID 2>/dev/null"
test_cleanup "'$KDEBUG_BIN' stop --force vm"

cat >script.py <<'PY'
print("comm", prog["init_task"].comm.string_().decode())
print("release", prog["init_uts_ns"].name.release.string_().decode())
PY

test_expect_success 'the VM boots' '
	test_wait_for "grep -q ^RUNNING\$ vm.out || ! kill -0 $VM_PID 2>/dev/null" 120 &&
	grep -q "^RUNNING$" vm.out || { cat vm.err; false; }
'

test_expect_success 'dump: an ELF vmcore and a kdump-zlib one; the VM keeps running' '
	kdebug dump vm -o core.elf >out 2>err &&
	grep -q "^wrote core.elf (elf, [0-9]* MiB) from VM vm$" out &&
	kdebug dump vm -o core.kz --format kdump-zlib >out 2>err &&
	grep -q "^wrote core.kz (kdump-zlib" out &&
	test -s core.elf && test -s core.kz &&
	test -z "$(ls -A | grep "^\.core")" &&
	kdebug ps | grep -q "^vm " &&
	kdebug monitor vm "info status" | grep -q "running"
'

test_expect_success 'crash on the ELF vmcore: the vmlinux found by build ID, sys, bt, data' '
	printf "sys\nbt -a\np init_task.comm\nquit\n" | kdebug crash core.elf >out 2>err &&
	grep -q "KERNEL: $KDIR/vmlinux" out &&
	grep -q "RELEASE: $RELEASE" out &&
	grep -q "PID: 0 .*COMMAND: \"swapper/0\"" out &&
	grep -q "= \"swapper/0" out
'

test_expect_success 'crash on the kdump-zlib vmcore (flattened, as QEMU writes it)' '
	printf "sys\nquit\n" | kdebug crash core.kz >out 2>err &&
	grep -q "RELEASE: $RELEASE" out
'

test_expect_success 'drgn on the ELF vmcore runs a script: init_task and the release' '
	kdebug drgn core.elf -- script.py >out 2>err &&
	grep -qx "comm swapper/0" out &&
	grep -qx "release $RELEASE" out
'

test_expect_success 'drgn cannot read a flattened kdump: one line saying what to do' '
	test_expect_code 1 kdebug drgn core.kz -- script.py >out 2>err &&
	test $(wc -l <err) = 1 && grep -q "dump with .kdebug dump --format elf." err
'

test_expect_success 'crash and drgn by NAME on a live VM: dumped now into its instance directory' '
	printf "sys\nquit\n" | kdebug crash vm >out 2>err &&
	grep -q "RELEASE: $RELEASE" out &&
	grep -q "dumping VM vm into" err &&
	kdebug drgn vm -- script.py >out 2>err &&
	grep -qx "comm swapper/0" out &&
	test -f "$XDG_RUNTIME_DIR/kdebug/vm/vmcore"
'

# A crash directory as the run panic watch leaves them, in a private cache.
test_expect_success 'a crash directory by NAME: its meta.json names the vmcore and vmlinux' '
	d=$PWD/cache/crashes/hand-20240101T000000Z &&
	mkdir -p "$d" && mv core.elf "$d/vmcore" &&
	printf "{\"version\": 1, \"name\": \"hand\", \"kind\": \"panic\", \"time\": 1704067200, \"vmlinux\": \"%s\", \"kernel\": \"%s\", \"release\": \"%s\", \"modules\": [], \"vmcore\": \"%s\", \"format\": \"elf\"}\n" \
		"$KDIR/vmlinux" "$KDIR" "$RELEASE" "$d/vmcore" >"$d/meta.json" &&
	mkdir -p cache/crashes/hand-20230101T000000Z &&
	printf "sys\nquit\n" | KDEBUG_CACHE_DIR=$PWD/cache kdebug crash hand >out 2>err &&
	grep -q "DUMPFILE: $d/vmcore" out &&
	grep -q "RELEASE: $RELEASE" out &&
	KDEBUG_CACHE_DIR=$PWD/cache kdebug drgn hand -- script.py >out 2>err &&
	grep -qx "comm swapper/0" out &&
	printf "sys\nquit\n" | kdebug crash "$d/vmcore" >out 2>err &&
	grep -q "KERNEL: $KDIR/vmlinux" out
'

test_expect_success 'bad input: one line, exit 2, nothing written' '
	mkdir bad && cd bad &&
	test_expect_code 2 kdebug dump vm --format zip 2>err &&
	test $(wc -l <err) = 1 && grep -q "unknown vmcore format .zip." err &&
	test_expect_code 2 kdebug dump vm -o /nonexistent/dir/core 2>err &&
	test $(wc -l <err) = 1 && grep -q "cannot write ./nonexistent/dir/core." err &&
	test_expect_code 2 kdebug dump vm -o . 2>err &&
	test $(wc -l <err) = 1 && grep -q "Is a directory" err &&
	test_expect_code 2 kdebug dump nosuchvm -o x 2>err &&
	test $(wc -l <err) = 1 && grep -q "no running VM named .nosuchvm." err &&
	echo hello >notacore &&
	test_expect_code 2 kdebug crash notacore </dev/null 2>err &&
	test $(wc -l <err) = 1 && grep -q "is not a vmcore" err &&
	test_expect_code 2 kdebug drgn nosuchvm 2>err &&
	test $(wc -l <err) = 1 && grep -q "no running VM named .nosuchvm." err &&
	test_expect_code 2 kdebug crash --vmlinux /nonexistent ../core.kz </dev/null 2>err &&
	test $(wc -l <err) = 1 &&
	test "$(ls -A)" = "$(printf "err\nnotacore")"
'

test_expect_success 'crash or drgn missing: the package to install, exit 1' '
	mkdir -p nobin &&
	test_expect_code 1 env PATH="$PWD/nobin" "$KDEBUG_BIN" crash core.kz </dev/null 2>err &&
	grep -qx "error: crash not found; install the Debian package crash" err &&
	test_expect_code 1 env PATH="$PWD/nobin" "$KDEBUG_BIN" drgn core.kz 2>err &&
	grep -qx "error: drgn not found; install the Debian package python3-drgn" err
'

test_expect_success 'the VM stops cleanly after all that' '
	kdebug stop vm >out 2>&1 &&
	test_wait_for "! kill -0 $VM_PID 2>/dev/null" 30
'

test_done
