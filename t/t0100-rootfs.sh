#!/bin/bash
# kdebug rootfs, end to end with the real tools: /bin/busybox, libarchive,
# mke2fs/debugfs/e2fsck, cpio, and the BusyBox stand-in source tree built
# with make and gcc.
. "$(dirname "$0")/lib.sh"

test_require cpio debugfs e2fsck dumpe2fs gzip zstd
[ -x /bin/busybox ] || skip_all "/bin/busybox missing (install busybox-static)"

# Applets listed by the system busybox, for comparisons.
/bin/busybox --list-full | sort >applets.want

# One line on stderr and nothing new in the output's directory.
one_line() { [ "$(wc -l <"$1")" = 1 ] || { cat "$1" >&2; echo "expected one line on stderr" >&2; return 1; }; }
empty_dir() { [ -z "$(ls -A "$1")" ] || { ls -A "$1" >&2; echo "'$1' is not empty" >&2; return 1; }; }
cpio_list() { zcat "$1" | cpio -itv --quiet; }
cpio_cat() { zcat "$1" | cpio -i --quiet --to-stdout "$2"; }

test_expect_success 'default: rootfs.cpio.gz with the tutorial layout' '
	kdebug rootfs 2>err &&
	grep -q "^note: wrote .rootfs.cpio.gz. (initramfs, gzip" err &&
	gzip -t rootfs.cpio.gz &&
	zcat rootfs.cpio.gz | cpio -it --quiet >list &&
	for d in bin sbin dev sys proc etc lib mnt tmp root usr/bin usr/sbin; do
		grep -qx "$d" list || { echo "missing $d"; exit 1; }
	done &&
	for f in etc/inittab etc/init.d/rcS etc/fstab etc/passwd etc/group etc/hostname \
		 etc/profile etc/kdebug/exec-agent bin/busybox init linuxrc dev/console dev/null; do
		grep -qx "$f" list || { echo "missing $f"; exit 1; }
	done &&
	grep -Fxf applets.want list >have && test_cmp_count=$(wc -l <have) &&
	[ "$test_cmp_count" = "$(wc -l <applets.want)" ]
'

test_expect_success 'initramfs: device nodes, modes, root ownership, links' '
	cpio_list rootfs.cpio.gz >long &&
	grep -E "^crw-------  +1 root +root +5, +1 .* dev/console$" long &&
	grep -E "^crw-rw-rw-  +1 root +root +1, +3 .* dev/null$" long &&
	grep -E "^-rwxr-xr-x .* etc/init.d/rcS$" long &&
	grep -E "^-rwxr-xr-x .* etc/kdebug/exec-agent$" long &&
	grep -E "^lrwxrwxrwx .* init -> sbin/init$" long &&
	grep -E "^lrwxrwxrwx .* bin/sh -> busybox$" long &&
	grep -E "^drwxrwxrwt .* tmp$" long &&
	! grep -vE "^[-dlc][-rwxstT]{9} +[0-9]+ root +root " long &&
	cpio_cat rootfs.cpio.gz bin/busybox | cmp - /bin/busybox
'

test_expect_success 'unchanged inputs: up to date, output untouched' '
	before=$(stat -c "%i %Y" rootfs.cpio.gz) &&
	kdebug rootfs 2>err &&
	grep -qx "note: .rootfs.cpio.gz. is up to date" err &&
	[ "$(stat -c "%i %Y" rootfs.cpio.gz)" = "$before" ] &&
	kdebug -q rootfs 2>err && ! [ -s err ] &&
	kdebug rootfs --force 2>err && grep -q "^note: wrote" err &&
	[ "$(stat -c %i rootfs.cpio.gz)" != "${before%% *}" ]
'

test_expect_success 'two kdebug processes building the same output at once' '
	mkdir race || exit 1
	kdebug rootfs -f ext3 -o race/r.img -i "echo race" &
	p1=$!
	kdebug rootfs -f ext3 -o race/r.img -i "echo race" &
	p2=$!
	wait $p1 && wait $p2 &&
	[ "$(ls -A race)" = r.img ] && e2fsck -fn race/r.img
'

test_expect_success 'a removed output is rebuilt' '
	rm rootfs.cpio.gz && kdebug rootfs 2>err && grep -q "^note: wrote" err
'

test_expect_success 'reproducible: same inputs, same bytes; SOURCE_DATE_EPOCH sets times' '
	kdebug rootfs -o a.cpio.gz && sleep 1 && kdebug rootfs -o b.cpio.gz &&
	cmp a.cpio.gz b.cpio.gz && cmp a.cpio.gz rootfs.cpio.gz &&
	SOURCE_DATE_EPOCH=1700000000 kdebug rootfs -o c.cpio.gz &&
	! cmp -s a.cpio.gz c.cpio.gz &&
	zcat c.cpio.gz | cpio -itv --quiet 2>/dev/null | grep -c "Nov 14  2023" >n &&
	[ "$(cat n)" = "$(zcat c.cpio.gz | cpio -it --quiet | wc -l)" ] &&
	SOURCE_DATE_EPOCH=1700000000 kdebug rootfs -o d.cpio.gz && cmp c.cpio.gz d.cpio.gz
'

test_expect_success '--compress zstd and none' '
	kdebug rootfs -c zstd 2>err && grep -q "zstd" err &&
	zstd -t -q rootfs.cpio.zst &&
	zstd -dc rootfs.cpio.zst | cpio -it --quiet | grep -qx dev/console &&
	kdebug rootfs -c none -o plain.cpio &&
	cpio -it --quiet <plain.cpio | grep -qx etc/init.d/rcS &&
	zcat rootfs.cpio.gz | cmp - plain.cpio
'

test_expect_success '--init-cmd lines go above the hook, --add copies files and trees' '
	mkdir -p tree/sub && echo A >tree/a && echo B >"tree/sub/with space" &&
	chmod 0750 tree/sub && ln -sf a tree/link && echo myhost >hn &&
	kdebug rootfs -o add.cpio.gz -i "echo HELLO-MARKER" -i "poweroff -f" \
		-a tree:/opt/tree -a hn -a hn:/etc/hostname &&
	cpio_cat add.cpio.gz etc/init.d/rcS >rcS &&
	grep -n "" rcS >rcS.n &&
	m=$(grep -n "^echo HELLO-MARKER$" rcS | cut -d: -f1) &&
	p=$(grep -n "^poweroff -f$" rcS | cut -d: -f1) &&
	h=$(grep -n "^# kdebug: --init-cmd lines go above this one$" rcS | cut -d: -f1) &&
	[ "$m" -lt "$p" ] && [ $((p + 1)) = "$h" ] &&
	cpio_list add.cpio.gz >long &&
	grep -E "^drwxr-x--- .* root +root .* opt/tree/sub$" long &&
	grep -E "^lrwxrwxrwx .* opt/tree/link -> a$" long &&
	[ "$(cpio_cat add.cpio.gz "opt/tree/sub/with space")" = B ] &&
	[ "$(cpio_cat add.cpio.gz root/hn)" = myhost ] &&
	[ "$(cpio_cat add.cpio.gz etc/hostname)" = myhost ] &&
	echo changed >tree/a && kdebug rootfs -o add.cpio.gz -i "echo HELLO-MARKER" \
		-i "poweroff -f" -a tree:/opt/tree -a hn -a hn:/etc/hostname 2>err &&
	grep -q "^note: wrote" err && [ "$(cpio_cat add.cpio.gz opt/tree/a)" = changed ]
'

test_expect_success 'ext3 image: sparse, root-owned, device nodes, fsck clean' '
	kdebug rootfs --format ext3 -i "echo EXT-MARKER" 2>err &&
	grep -q "^note: wrote .rootfs.img. (ext3" err &&
	[ "$(stat -c %s rootfs.img)" = $((256 * 1024 * 1024)) ] &&
	[ "$(du -k rootfs.img | cut -f1)" -lt 131072 ] &&
	e2fsck -fn rootfs.img &&
	dumpe2fs -h rootfs.img 2>/dev/null | grep -q "has_journal" &&
	debugfs -R "stat /dev/console" rootfs.img 2>/dev/null >st &&
	grep -q "Type: character special" st && grep -q "Mode:  0600" st &&
	grep -q "User:     0   Group:     0" st &&
	grep -q "Device major/minor number: 05:01" st &&
	debugfs -R "stat /dev/null" rootfs.img 2>/dev/null >st &&
	grep -q "Mode:  0666" st && grep -q "Device major/minor number: 01:03" st &&
	debugfs -R "cat /etc/init.d/rcS" rootfs.img 2>/dev/null | grep -qx "echo EXT-MARKER" &&
	debugfs -R "dump /bin/busybox bb.out" rootfs.img 2>/dev/null && cmp bb.out /bin/busybox &&
	debugfs -R "ls -l /bin" rootfs.img 2>/dev/null >ls &&
	grep -E "^ +[0-9]+ +120777 \(7\) +0 +0 .* sh *$" ls &&
	debugfs -R "ls -l /" rootfs.img 2>/dev/null | grep -E " 41777 \(2\) +0 +0 .* tmp *$"
'

test_expect_success 'ext3: reproducible bytes and up to date' '
	kdebug rootfs -f ext3 -o e1.img && sleep 1 && kdebug rootfs -f ext3 -o e2.img &&
	cmp e1.img e2.img &&
	kdebug rootfs -f ext3 -o e1.img 2>err && grep -q "up to date" err &&
	kdebug rootfs -f ext3 -o e1.img -s 64M 2>err && grep -q "^note: wrote" err &&
	[ "$(stat -c %s e1.img)" = $((64 * 1024 * 1024)) ] && e2fsck -fn e1.img
'

test_expect_success 'ext4 image' '
	kdebug rootfs -f ext4 -o e4.img -a tree:/opt/tree &&
	dumpe2fs -h e4.img 2>/dev/null | grep -q "extent" &&
	e2fsck -fn e4.img &&
	debugfs -R "cat \"/opt/tree/sub/with space\"" e4.img 2>/dev/null | grep -qx B &&
	debugfs -R "stat /dev/console" e4.img 2>/dev/null | grep -q "character special"
'

test_expect_success 'ext3 built by a normal user is still owned by root inside' '
	if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
		kdebug rootfs -f ext3 -o user.img
	else
		mkdir -p nb && chmod 777 nb &&
		setpriv --reuid=65534 --regid=65534 --clear-groups \
			env KDEBUG_CACHE_DIR="$TRASH/nb/cache" "$KDEBUG_BIN" rootfs -f ext3 -o nb/user.img &&
		[ "$(stat -c %u nb/user.img)" = 65534 ] && mv nb/user.img user.img
	fi &&
	debugfs -R "ls -l /etc" user.img 2>/dev/null >ls &&
	! grep -vE "^ +[0-9]+ +[0-9]+ \([0-9]\) +0 +0 |^$" ls &&
	debugfs -R "stat /dev/console" user.img 2>/dev/null | grep -q "User:     0   Group:     0" &&
	e2fsck -fn user.img
'

test_expect_success 'dir format: a tree for NFS/9p roots, replaced in place when rebuilt' '
	kdebug rootfs -f dir 2>err && grep -q "^note: wrote .rootfs.d. (dir" err &&
	[ -x rootfs.d/bin/busybox ] && [ "$(readlink rootfs.d/bin/sh)" = busybox ] &&
	[ "$(readlink rootfs.d/init)" = sbin/init ] &&
	[ "$(stat -c %a rootfs.d/etc/init.d/rcS)" = 755 ] &&
	[ "$(stat -c %a rootfs.d/tmp)" = 1777 ] &&
	rootfs.d/bin/echo works | grep -qx works &&
	if [ "$(id -u)" = 0 ]; then
		[ -c rootfs.d/dev/console ] && [ -c rootfs.d/dev/null ]
	fi &&
	kdebug rootfs -f dir 2>err && grep -q "up to date" err &&
	kdebug rootfs -f dir -i "echo again" 2>err && grep -q "^note: wrote" err &&
	grep -qx "echo again" rootfs.d/etc/init.d/rcS &&
	! ls -A | grep -q "^\.rootfs\.d\."
'

test_expect_success 'dir format refuses to replace a directory it did not make' '
	mkdir mine && echo precious >mine/file &&
	test_expect_code 2 kdebug rootfs -f dir -o mine 2>err && one_line err &&
	grep -q "did not make" err && [ "$(cat mine/file)" = precious ]
'

test_expect_success '-o: an existing file kdebug did not make is refused unless --force' '
	echo precious >mine.cpio.gz && echo precious >mine.img &&
	test_expect_code 2 kdebug rootfs -o mine.cpio.gz 2>err && one_line err &&
	grep -q "^error: .mine.cpio.gz. exists and kdebug did not make it; pass --force" err &&
	test_expect_code 2 kdebug rootfs -f ext3 -o mine.img 2>err && one_line err &&
	grep -q -- "--force" err &&
	[ "$(cat mine.cpio.gz)" = precious ] && [ "$(cat mine.img)" = precious ] &&
	! ls -A | grep -q "^\.mine\." &&
	kdebug rootfs --force -o mine.cpio.gz 2>err && grep -q "^note: wrote" err &&
	cpio_list mine.cpio.gz | grep -q " bin/busybox$"
'

test_expect_success '-o: kdebug replaces its own output (changed inputs), not one edited since' '
	kdebug rootfs -o own.cpio.gz 2>err && grep -q "^note: wrote" err &&
	kdebug rootfs -o own.cpio.gz -i "echo changed" 2>err && grep -q "^note: wrote" err &&
	cpio_cat own.cpio.gz etc/init.d/rcS | grep -qx "echo changed" &&
	echo edited >>own.cpio.gz &&
	test_expect_code 2 kdebug rootfs -o own.cpio.gz 2>err && one_line err &&
	grep -q "did not make it" err && tail -n 1 own.cpio.gz | grep -qx edited
'

test_expect_success 'dir: replacing an old tree never follows a symlink planted in it; --force replaces a foreign dir' '
	mkdir -p outside && echo keep >outside/f &&
	kdebug rootfs -f dir -o planted.d 2>err &&
	ln -s "$PWD/outside" planted.d/evil && ln -s "$PWD/outside/f" planted.d/root/evil-f &&
	kdebug rootfs -f dir -o planted.d -i "echo new" 2>err && grep -q "^note: wrote" err &&
	grep -qx "echo new" planted.d/etc/init.d/rcS && [ ! -e planted.d/evil ] &&
	[ "$(cat outside/f)" = keep ] &&
	kdebug rootfs -f dir -o outside --force 2>err && grep -q "^note: wrote" err &&
	[ -x outside/bin/busybox ] && [ ! -e outside/f ]
'

test_expect_success 'a static-PIE busybox is accepted' '
	mkdir -p spie && gcc -static-pie -o spie/busybox "$TEST_DIRECTORY/busybox-standin/standin.c" &&
	kdebug rootfs -b spie/busybox -c none -o spie.cpio &&
	cpio -it --quiet <spie.cpio | grep -qx bin/echo
' 

# ---- BusyBox from source: the stand-in tree (NOT BusyBox) ----
STANDIN=$TEST_DIRECTORY/busybox-standin
export STANDIN_LOG=$TRASH/standin.log

test_expect_success 'busybox from a source DIR: the tutorial steps, in order, static, cached' '
	export KDEBUG_CACHE_DIR=$TRASH/bbcache &&
	cp -r "$STANDIN" src && : >"$STANDIN_LOG" &&
	kdebug rootfs -b src -f dir -o sb.d -j 2 2>err &&
	grep -q "building BusyBox from" err &&
	sed "s/ --jobserver.*//" "$STANDIN_LOG" >steps &&
	printf "%s\n" defconfig "all static=y no_usr=y makeflags= -j2" >steps.want &&
	head -n 2 steps | cmp - steps.want &&
	grep -q "^install prefix=$TRASH/bbcache/busybox/" steps && [ "$(wc -l <steps)" = 3 ] &&
	! readelf -l sb.d/bin/busybox | grep -q INTERP &&
	[ "$(readlink sb.d/bin/standin-tool)" = busybox ] && ! [ -e sb.d/usr/bin/standin-tool ] &&
	[ "$(sb.d/bin/echo from stand-in)" = "from stand-in" ] &&
	! [ -e src/.config ] && ! [ -e src/busybox ] &&
	kdebug rootfs -b src -o sb2.cpio.gz 2>err && ! grep -q building err &&
	[ "$(wc -l <"$STANDIN_LOG")" = 3 ] &&
	touch src/standin.c && kdebug rootfs -b src -o sb3.cpio.gz 2>err &&
	grep -q building err && [ "$(wc -l <"$STANDIN_LOG")" = 6 ]
'

test_expect_success 'busybox from a .tar.bz2 (like busybox-1.27.2.tar.bz2) and a .tar.gz' '
	export KDEBUG_CACHE_DIR=$TRASH/bbcache &&
	cp -r "$STANDIN" busybox-1.27.2 && echo "/* tarball */" >>busybox-1.27.2/standin.c &&
	tar cjf busybox-1.27.2.tar.bz2 busybox-1.27.2 && tar czf busybox-1.27.2.tar.gz busybox-1.27.2 &&
	: >"$STANDIN_LOG" &&
	kdebug rootfs -b busybox-1.27.2.tar.bz2 -o t1.cpio.gz 2>err &&
	grep -q "unpacking" err && [ "$(head -n 1 "$STANDIN_LOG")" = defconfig ] &&
	[ "$(wc -l <"$STANDIN_LOG")" = 3 ] &&
	kdebug rootfs -b busybox-1.27.2.tar.bz2 -o t2.cpio.gz 2>err && ! grep -q building err &&
	[ "$(wc -l <"$STANDIN_LOG")" = 3 ] && cmp t1.cpio.gz t2.cpio.gz &&
	cpio_list t1.cpio.gz | grep -E "bin/standin-tool -> busybox$" &&
	kdebug rootfs -b busybox-1.27.2.tar.gz -o t3.cpio.gz &&
	[ "$(wc -l <"$STANDIN_LOG")" = 6 ] && cmp t1.cpio.gz t3.cpio.gz
'

test_expect_success 'a failing BusyBox build: exit 1, one line, nothing left behind' '
	export KDEBUG_CACHE_DIR=$TRASH/bbcache &&
	cp -r "$STANDIN" broken && echo "#error broken on purpose" >>broken/standin.c &&
	mkdir out1 &&
	test_expect_code 1 kdebug -q rootfs -b broken -o out1/x.cpio.gz 2>err && one_line err &&
	grep -q "^error: building BusyBox failed: .make -j[0-9]*. exited with status 2: .*error: #error broken on purpose (full log: .*\.log)$" err &&
	log=$(sed "s/.*full log: \(.*\))$/\1/" err) && grep -q "broken on purpose" "$log" &&
	empty_dir out1 && ! ls "$TRASH/bbcache/busybox" | grep -q "\.tmp\."
'

# ---- bad input: exit 2, one line, nothing left behind ----
mkdir -p out
bad() {	# bad MESSAGE-REGEX ARGS...
	local re=$1
	shift
	test_expect_code 2 kdebug rootfs "$@" 2>err && one_line err &&
	grep -E "^error: " err | grep -qE -- "$re" || { cat err >&2; return 1; }
	empty_dir out
}

test_expect_success 'a dynamically linked busybox is refused' '
	bad "./bin/ls. is dynamically linked .*busybox-static" -b /bin/ls -o out/x.cpio.gz
'

test_expect_success 'a busybox that is not an ELF file is refused' '
	bad "neither an x86_64 ELF executable nor a source tarball" -b /etc/passwd -o out/x.cpio.gz &&
	bad "No such file" -b /nonexistent/busybox -o out/x.cpio.gz
'

test_expect_success '--size too small: the least size that works is named, and works' '
	bad "needs at least [0-9]+ MiB for this content; use --size [0-9]+M or more" \
		-f ext3 -s 1M -o out/x.img &&
	n=$(sed "s/.*use --size \([0-9]*\)M.*/\1/" err) &&
	kdebug rootfs -f ext3 -s ${n}M -o small.img && e2fsck -fn small.img &&
	bad "needs at least" -f ext3 -s $((n - 1))M -o out/x.img
'

test_expect_success 'unwritable output paths' '
	bad "cannot write ./proc/kdebug-test" -o /proc/kdebug-test &&
	bad "cannot write ./proc/kdebug-test" -f ext3 -o /proc/kdebug-test &&
	bad "cannot write ./proc/kdebug-test" -f dir -o /proc/kdebug-test &&
	echo file >plainfile &&
	bad "cannot write .plainfile/x.img.: Not a directory" -f ext3 -o plainfile/x.img &&
	bad "No such file" -o nonexistent-dir/x.cpio.gz &&
	bad "is a directory" -o out
'

test_expect_success 'malformed --add' '
	bad "empty HOST" -a :/x -o out/x.cpio.gz &&
	bad "empty GUEST" -a hn: -o out/x.cpio.gz &&
	bad "GUEST .relative. must be an absolute path" -a hn:relative -o out/x.cpio.gz &&
	bad "must be an absolute path without" -a hn:/a/../b -o out/x.cpio.gz &&
	bad "No such file" -a /nonexistent/file -o out/x.cpio.gz &&
	bad "already a directory" -a hn:/etc -o out/x.cpio.gz
'

test_expect_success 'option errors' '
	bad "unknown --format .ext2." -f ext2 &&
	bad "unknown --compress .xz." -c xz &&
	bad "bad --size .lots." -f ext3 -s lots &&
	bad "--compress applies to --format initramfs only" -f ext3 -c zstd &&
	bad "--size applies to --format ext3 and ext4 only" -s 64M &&
	bad "--init-cmd needs a command" -i "" &&
	bad "unknown option .--bogus." --bogus &&
	bad "unexpected argument .extra." extra &&
	kdebug rootfs --help | grep -q "^usage: kdebug rootfs"
'

test_done
