#!/bin/bash
# kdebug config against the real Linux 6.1 tree (Debian's linux-source-6.1,
# unpacked once into the test-kernel cache): the profiles verify, the real
# Kconfig traps are reported with their depends-on lines, bad input is
# refused with nothing left behind.
. "$(dirname "$0")/lib.sh"

test_require_kernel_source
# Share the unpacked tree with t/test-kernel.sh.
export KDEBUG_CACHE_DIR=$TEST_KERNEL_CACHE
SRC=$TEST_KERNEL_SOURCE

# A tinyconfig-based profile without FILE_LOCKING: the 6.1 tinyconfig trap.
cat >nfs.config <<'EOC'
# base: tinyconfig
CONFIG_64BIT=y
CONFIG_NET=y
CONFIG_INET=y
CONFIG_MULTIUSER=y
CONFIG_NETWORK_FILESYSTEMS=y
CONFIG_NFS_FS=y
EOC
# tinyconfig + VIRTIO_NET: VIRTIO_MENU is off in tinyconfig.
cat >vnet.config <<'EOC'
# base: tinyconfig
CONFIG_64BIT=y
CONFIG_PCI=y
CONFIG_NET=y
CONFIG_NETDEVICES=y
CONFIG_VIRTIO_NET=y
EOC

test_expect_success 'minimal profile (the default) configures and verifies cleanly' '
	kdebug config --src "$SRC" --out out-min >out 2>err &&
	cat out err &&
	grep -q "profile minimal (base tinyconfig): [0-9]* requested options verified" out &&
	! grep -q "^error:\|^warning:" err &&
	grep -qx "CONFIG_NFS_FS=y" out-min/.config &&
	grep -qx "CONFIG_ROOT_NFS=y" out-min/.config &&
	grep -qx "CONFIG_VIRTIO_NET=y" out-min/.config &&
	grep -qx "CONFIG_E1000=y" out-min/.config &&
	grep -qx "CONFIG_9P_FS=y" out-min/.config &&
	grep -qx "CONFIG_DEBUG_INFO=y" out-min/.config &&
	grep -qx "CONFIG_GDB_SCRIPTS=y" out-min/.config &&
	grep -qx "CONFIG_KGDB=y" out-min/.config &&
	! grep -qx "CONFIG_RANDOMIZE_BASE=y" out-min/.config &&
	test "$(test_meta_field out-min/kdebug-state verified)" = "yes" &&
	test "$(test_meta_field out-min/kdebug-state profile)" = "minimal" &&
	grep -q "^CONFIG_FILE_LOCKING=y" out-min/kdebug.config
'

test_expect_success 'every CONFIG_ line of configs/minimal.config is in the .config' '
	grep "^CONFIG_" "$TEST_ROOT/configs/minimal.config" >want &&
	test $(wc -l <want) -gt 50 &&
	while read -r l; do grep -qxF "$l" out-min/.config || { echo "missing: $l"; exit 1; }; done <want
'

test_expect_success 'the tarball is unpacked once, and the source tree stays clean' '
	tree=$(test_meta_field out-min/kdebug-state src) &&
	test -f "$tree/Makefile" && test -d "$tree/arch/x86" &&
	case "$tree" in "$KDEBUG_CACHE_DIR"/src/linux-source-6.1-*) ;; *) false ;; esac &&
	kdebug config --src "$SRC" --out out-min >out 2>err &&
	! grep -q unpacking err &&
	test ! -e "$tree/.config" && test ! -e "$tree/include/config" &&
	! ls -a "$tree" | grep -q "tmp"
'

test_expect_success 'in a kernel tree, kdebug config uses it (out of tree)' '
	tree=$(test_meta_field out-min/kdebug-state src) &&
	(cd "$tree" && kdebug config --out "$TRASH/out-cwd") >out 2>err &&
	test "$(test_meta_field out-cwd/kdebug-state src)" = "$tree" &&
	test ! -e "$tree/.config"
'

test_expect_success 'outside a kernel tree, the default source is /usr/src/linux-source-*.tar.xz' '
	newest=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1) &&
	if test "$newest" = "$SRC"; then
		mkdir -p elsewhere && (cd elsewhere && kdebug config --out "$TRASH/out-default") >out 2>err &&
		grep -q "^note: not in a kernel tree; using $SRC (pass --src to choose)" err &&
		test "$(test_meta_field out-default/kdebug-state source)" = "$SRC"
	else
		echo "KDEBUG_KERNEL_SOURCE is not the newest /usr/src tarball: skipped"
	fi
'

test_expect_success 'a tree with an in-tree configuration is refused (out-of-tree builds need it clean)' '
	tree=$(test_meta_field out-min/kdebug-state src) &&
	cp -al "$tree" dirty-tree && echo "CONFIG_X=y" >dirty-tree/.config &&
	test_expect_code 1 kdebug config --src dirty-tree --out out-dirty 2>err &&
	grep -q "has an in-tree configuration (.config, include/config); out-of-tree builds need a clean tree: run .make mrproper. there" err &&
	test ! -e out-dirty &&
	test ! -e "$tree/.config"
'
test_cleanup 'rm -rf "$TRASH/dirty-tree"'

test_expect_success 'seed profile: defconfig plus the tutorial options, verified' '
	kdebug config --src "$SRC" --profile seed --out out-seed >out 2>err &&
	cat out err &&
	grep -q "profile seed (base defconfig)" out &&
	! grep -q "^error:\|^warning:" err &&
	grep -q "FRAME_POINTER=y: also requesting UNWINDER_FRAME_POINTER=y" err &&
	for o in KGDB KGDB_SERIAL_CONSOLE KGDB_LOW_LEVEL_TRAP DEBUG_INFO GDB_SCRIPTS \
		 DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT FRAME_POINTER UNWINDER_FRAME_POINTER; do
		grep -qx "CONFIG_$o=y" out-seed/.config || { echo "no $o"; exit 1; }
	done &&
	! grep -qx "CONFIG_RANDOMIZE_BASE=y" out-seed/.config &&
	! grep -qx "CONFIG_DEBUG_RODATA_TEST=y" out-seed/.config &&
	! grep -qx "CONFIG_DEBUG_INFO_REDUCED=y" out-seed/.config &&
	grep -qx "CONFIG_E1000=y" out-seed/.config
'

test_expect_success 'NFS_FS trap on tinyconfig: reported with its depends-on line, exit 1, nothing left' '
	test_expect_code 1 kdebug config --src "$SRC" --profile ./nfs.config --out out-nfs 2>err &&
	cat err &&
	grep -qF "error: NFS_FS was requested but is off: it depends on FILE_LOCKING (fs/nfs/Kconfig: depends on INET && FILE_LOCKING && MULTIUSER); add --enable FILE_LOCKING" err &&
	test ! -e out-nfs
'

test_expect_success '--disable FILE_LOCKING --enable NFS_FS on minimal: trap, exit 1, old .config kept' '
	cp out-min/.config before &&
	test_expect_code 1 kdebug config --src "$SRC" --out out-min --disable FILE_LOCKING --enable NFS_FS 2>err &&
	cat err &&
	grep -qF "NFS_FS was requested but is off: it depends on FILE_LOCKING (fs/nfs/Kconfig: depends on INET && FILE_LOCKING && MULTIUSER); FILE_LOCKING is requested off" err &&
	grep -q "ROOT_NFS was requested but is off" err &&
	grep -q "did not get their value; nothing was changed (pass --force" err &&
	cmp before out-min/.config
'

test_expect_success 'a failed config removes only what it made: what was in --out survives, new parents go' '
	mkdir -p pre/mine && echo precious >pre/keep.txt && echo mine >pre/mine/f &&
	test_expect_code 1 kdebug config --src "$SRC" --out pre --disable FILE_LOCKING --enable NFS_FS 2>err &&
	grep -q "NFS_FS was requested but is off" err &&
	test "$(cat pre/keep.txt)" = precious && test "$(cat pre/mine/f)" = mine &&
	test ! -e pre/.config && test ! -e pre/Makefile && test ! -e pre/include &&
	test -s pre/kdebug-config.log &&
	test_expect_code 1 kdebug config --src "$SRC" --out new1/new2/out --disable FILE_LOCKING --enable NFS_FS 2>err &&
	test ! -e new1
'

test_expect_success '--force keeps the .config anyway, with warnings' '
	kdebug config --src "$SRC" --out out-forced --disable FILE_LOCKING --enable NFS_FS --force >out 2>err &&
	grep -q "^warning: NFS_FS was requested but is off" err &&
	grep -qx "# CONFIG_FILE_LOCKING is not set" out-forced/.config &&
	! grep -qx "CONFIG_NFS_FS=y" out-forced/.config &&
	test "$(test_meta_field out-forced/kdebug-state verified)" = "forced (3 problems)"
'

test_expect_success 'VIRTIO_NET trap on tinyconfig: VIRTIO_MENU is named' '
	test_expect_code 1 kdebug config --src "$SRC" --profile ./vnet.config --out out-vnet 2>err &&
	cat err &&
	grep -qF "error: VIRTIO_NET was requested but is off: it depends on VIRTIO (drivers/net/Kconfig: depends on VIRTIO); VIRTIO has no prompt, it is selected by" err &&
	grep -qF "depend on VIRTIO_MENU (drivers/virtio/Kconfig: inside '\''if VIRTIO_MENU'\''); add --enable VIRTIO_MENU" err &&
	test ! -e out-vnet
'

test_expect_success '--enable VIRTIO_NET --disable VIRTIO_MENU on minimal: trap, exit 1' '
	test_expect_code 1 kdebug config --src "$SRC" --out out-v2 --enable VIRTIO_NET --disable VIRTIO_MENU 2>err &&
	cat err &&
	grep -qF "VIRTIO_PCI was requested but is off: it depends on VIRTIO_MENU (drivers/virtio/Kconfig: inside '\''if VIRTIO_MENU'\''); VIRTIO_MENU is requested off" err &&
	test ! -e out-v2
'

test_expect_success 'unknown option: exit 2 with a suggestion, before any make' '
	test_expect_code 2 kdebug config --src "$SRC" --out out-unk --enable NSF_FS 2>err &&
	cat err &&
	grep -q "^error: unknown option .NSF_FS. in --enable: no Kconfig file of Linux 6.1.[0-9]* defines it; did you mean .NFS_FS." err &&
	test ! -e out-unk &&
	test_expect_code 2 kdebug config --src "$SRC" --out out-unk --disable CONFIG_DEBUG_INOF 2>err &&
	grep -q "did you mean .DEBUG_INFO." err
'

test_expect_success 'the same option enabled and disabled: exit 2' '
	test_expect_code 2 kdebug config --src "$SRC" --out out-both --enable NFS_FS --disable NFS_FS 2>err &&
	grep -q "NFS_FS is both enabled and disabled" err &&
	test ! -e out-both
'

test_expect_success 'not a kernel tree: exit 2' '
	mkdir -p notatree && echo "all:" >notatree/Makefile &&
	test_expect_code 2 kdebug config --src notatree --out out-nat 2>err &&
	grep -q "^error: .notatree. is not a kernel tree" err &&
	test_expect_code 2 kdebug config --src does-not-exist 2>err &&
	grep -q "cannot open .does-not-exist." err &&
	test ! -e out-nat
'

test_expect_success 'corrupt tarball: error, nothing left in the cache' '
	head -c 4000000 "$SRC" >broken.tar.xz &&
	test_expect_code 2 env KDEBUG_CACHE_DIR="$TRASH/cache-broken" "$KDEBUG_BIN" config --src broken.tar.xz --out out-broken 2>err &&
	cat err &&
	grep -q "^error: .*broken.tar.xz. is \(corrupt\|not a readable tarball\)" err &&
	test -z "$(ls -A cache-broken/src)" &&
	test ! -e out-broken &&
	head -c 100000 /dev/urandom >junk.tar.gz &&
	test_expect_code 2 env KDEBUG_CACHE_DIR="$TRASH/cache-broken" "$KDEBUG_BIN" config --src junk.tar.gz 2>err &&
	grep -q "^error: .*junk.tar.gz. is not a readable tarball" err &&
	test -z "$(ls -A cache-broken/src)" && test ! -e cache-broken/build
'

test_expect_success 'a tarball without a kernel tree: exit 2, nothing left' '
	mkdir -p fake/linux && echo hi >fake/linux/README && tar -C fake -cJf notkernel.tar.xz linux &&
	test_expect_code 2 env KDEBUG_CACHE_DIR="$TRASH/cache-nk" "$KDEBUG_BIN" config --src notkernel.tar.xz 2>err &&
	grep -q "does not contain a kernel tree" err &&
	test -z "$(ls -A cache-nk/src)"
'

test_expect_success 'unwritable --out: exit 2' '
	test_expect_code 2 kdebug config --src "$SRC" --out /proc/kdebug-out 2>err &&
	grep -q "^error: cannot create build directory ./proc/kdebug-out." err &&
	echo x >afile &&
	test_expect_code 2 kdebug config --src "$SRC" --out afile/sub 2>err &&
	grep -q "cannot create build directory" err &&
	test_expect_code 2 kdebug config --src "$SRC" --out afile 2>err &&
	grep -q "it is not a directory" err
'

test_expect_success 'a .config kdebug did not write is not replaced without --force' '
	mkdir -p foreign && echo "CONFIG_FOO=y" >foreign/.config &&
	test_expect_code 1 kdebug config --src "$SRC" --out foreign 2>err &&
	grep -q "already has a .config that kdebug did not write; pass --force" err &&
	test "$(cat foreign/.config)" = "CONFIG_FOO=y"
'

test_expect_success 'a .config edited after kdebug config (menuconfig) is not lost without --force' '
	kdebug config --src "$SRC" --out out-edit >/dev/null 2>&1 &&
	echo "CONFIG_EDITED_BY_HAND=y" >>out-edit/.config &&
	test_expect_code 1 kdebug config --src "$SRC" --out out-edit 2>err &&
	grep -q "was changed after kdebug config wrote it (make menuconfig?); pass --force" err &&
	grep -q EDITED_BY_HAND out-edit/.config &&
	kdebug config --src "$SRC" --out out-edit --force >/dev/null 2>&1 &&
	! grep -q EDITED_BY_HAND out-edit/.config
'

test_expect_success 'bad profile and usage errors: exit 2' '
	test_expect_code 2 kdebug config --src "$SRC" --profile nosuch 2>err &&
	grep -q "no profile .nosuch.; available: minimal seed" err &&
	test_expect_code 2 kdebug config --bogus 2>err &&
	test_expect_code 2 kdebug config --enable "A B" 2>err &&
	kdebug config --help | grep -q "^usage: kdebug config"
'

test_done
