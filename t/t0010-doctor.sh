#!/bin/bash
# kdebug doctor: every tool checked, the Debian package named for missing ones.
. "$(dirname "$0")/lib.sh"
test_require qemu-system-x86_64 gdb busybox mke2fs

test_expect_success 'doctor passes on a complete machine' '
	kdebug doctor >out &&
	grep -q "^ok  *qemu-system-x86_64 .*QEMU emulator version" out &&
	grep -q "^ok  *gdb .*GNU gdb" out &&
	grep -q "^ok  *static busybox .*(static)" out &&
	grep -q "^ok  *mke2fs -d" out &&
	grep -q "^ok  *ganesha.nfsd " out &&
	grep -q "^ok  *ganesha VFS backend .*libfsalvfs.so" out &&
	grep -q "accelerator" out
'

test_expect_success 'doctor names the package of each missing program, exit 1' '
	mkdir -p bin &&
	for p in mke2fs debugfs make; do ln -sf "$(command -v $p)" bin/$p; done &&
	test_expect_code 1 env PATH="$PWD/bin" "$KDEBUG_BIN" doctor >out 2>err &&
	grep -q "^MISSING  *qemu-system-x86_64 .*qemu-system-x86" out &&
	grep -q "^MISSING  *gdb .*package .gdb." out &&
	grep -q "^MISSING  *static busybox .*busybox-static" out &&
	grep -q "^ok  *mke2fs -d" out &&
	grep -q "^missing  *ganesha.nfsd .*package .nfs-ganesha. (needed by .kdebug run --root nfs.)" out &&
	grep -q "^missing  *rpcbind .*package .rpcbind." out &&
	grep -q "^missing  *crash .*package .crash. (optional: .kdebug crash." out &&
	grep -q "^missing  *drgn .*package .python3-drgn. (optional: .kdebug drgn." out &&
	grep -q "3 required items are missing" err
'

test_expect_success 'a dynamically linked busybox is reported' '
	mkdir -p dyn && ln -sf /bin/ls dyn/busybox &&
	for p in qemu-system-x86_64 gdb mke2fs debugfs; do ln -sf "$(command -v $p)" dyn/$p; done &&
	test_expect_code 1 env PATH="$PWD/dyn" "$KDEBUG_BIN" doctor >out 2>err &&
	grep -q "^MISSING  *static busybox .*dynamic.*busybox-static" out
'

test_expect_success 'the accelerator line says why TCG when KVM is unusable' '
	kdebug doctor >out &&
	if grep -qw -e vmx -e svm /proc/cpuinfo && test -w /dev/kvm; then
		grep -q "^ok  *accelerator *kvm" out
	else
		grep -q "^note  *accelerator *tcg: " out
	fi
'

test_done
