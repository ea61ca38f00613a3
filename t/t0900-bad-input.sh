#!/bin/bash
# Bad input, one table (issue #10): every command refuses bad names, ports,
# sizes, paths, formats, conflicting options, missing programs and missing
# privileges with exactly one line on stderr ("error: ..." naming the problem
# and, where there is one, the fix), the right exit code (2 bad input, 1
# failure), and leaves nothing behind: no registry entry, no surviving child
# (QEMU, gdb, ganesha, a reaper), no link or address in the network namespace
# the rows run in, no export, no file in the row's scratch directory or in
# its $TMPDIR.  No row boots a VM.
. "$(dirname "$0")/lib.sh"
test_require qemu-system-x86_64 gdb
test_require_kernel_source
KDIR=$(test_built_kernel) || exit 1

K=$KDEBUG_BIN
FX=$TRASH/fx			# read-only fixtures the rows point at
mkdir -p "$FX/empty" "$FX/cfgonly" "$FX/public/kdebug"
: >"$FX/cfgonly/.config"
chmod 777 "$FX/public/kdebug"
echo "not a module" >"$FX/notmod.ko"
cp "$TEST_DIRECTORY/fixtures/oops/sysrq-panic.log" "$FX/panic.log"
cp "$KDIR/arch/x86/boot/bzImage" "$FX/bzImage"	# readable by nobody too
# vmlinux in directories gdb's command files cannot name (a newline, a ':').
mkdir -p "$FX/n
l" "$FX/c:olon"
ln -s "$KDIR/vmlinux" "$FX/n
l/vmlinux"
ln -s "$KDIR/vmlinux" "$FX/c:olon/vmlinux"
chmod -R a+rX "$FX"

# PATHs missing one program each: every other program of /usr/bin and /usr/sbin.
path_without() {	# DIR PROGRAM...
	local d=$TRASH/$1 p
	shift
	mkdir -p "$d"
	ln -s /usr/bin/* /usr/sbin/* "$d/" 2>/dev/null
	for p in "$@"; do rm -f "$d/$p"; done
	echo "$d"
}
NO_QEMU=$(path_without bin-noqemu qemu-system-x86_64)
NO_GDB=$(path_without bin-nogdb gdb)
NO_GANESHA=$(path_without bin-noganesha ganesha.nfsd)
NO_EXPORTFS=$(path_without bin-noexportfs exportfs)
NO_MKE2FS=$(path_without bin-nomke2fs mke2fs)

# Rows run in a network namespace of their own (root only), so that a row
# that wrongly made a bridge or tap cannot touch the host; the host's links
# are compared too (read only).  Without root the privileged rows are skipped.
NS=
AS_ROOT=false
if [ "$(id -u)" = 0 ] && command -v ip >/dev/null && command -v setpriv >/dev/null; then
	NS=kdebug-t0900-$$
	if ip netns add "$NS" 2>/dev/null; then
		test_cleanup "ip netns del $NS"
		ip -n "$NS" link set lo up
		AS_ROOT=true
	else
		NS=
	fi
fi
export KDEBUG_NET_LOCK=$TRASH/net.lock
# Run as nobody (no capabilities), with a registry and cache nobody owns.
mkdir -p "$TRASH/nobody/run" "$TRASH/nobody/cache"
chmod 700 "$TRASH/nobody/run"
$AS_ROOT && chown -R nobody:nogroup "$TRASH/nobody"
# Absolute paths: rows may run with a PATH that lacks programs.
NOBODY="$(command -v setpriv) --reuid=nobody --regid=nogroup --clear-groups /usr/bin/env HOME=$TRASH/nobody XDG_RUNTIME_DIR=$TRASH/nobody/run KDEBUG_CACHE_DIR=$TRASH/nobody/cache"

# A TCP port that is taken on the namespace's loopback.
BUSY_PORT=
if $AS_ROOT; then
	ip netns exec "$NS" python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); time.sleep(600)' >"$TRASH/busy-port" &
	test_cleanup "kill $! 2>/dev/null"
	test_wait_for "test -s '$TRASH/busy-port'" 10 && BUSY_PORT=$(cat "$TRASH/busy-port")
fi

# The table.  Columns, separated by " | ":
#   EXIT   the expected exit code (2 bad input, 1 failure)
#   AS     "-": the calling user; "root": needs root (namespace rows);
#          "nobody": run as user nobody without privileges
#   ERROR  an extended regular expression the one line on stderr must match
#   COMMAND  evaluated by the shell in an empty scratch directory; $K is kdebug
rows() {
	cat <<'EOF'
2 | - | ^usage: kdebug .*<command> | $K
2 | - | ^error: unknown option '--bogus'; see 'kdebug help' | $K --bogus
2 | - | ^error: 'rnu' is not a kdebug command; did you mean 'run'\? | $K rnu
2 | - | ^error: 'frobnicate' is not a kdebug command; see 'kdebug help' | $K frobnicate
2 | - | ^error: 'nope' is not a kdebug command | $K help nope
2 | - | ^error: unknown option.*; see 'kdebug run --help' | $K run --bogus
2 | - | ^error: option '--name' needs a value; see 'kdebug run --help' | $K run --name
2 | - | ^error: invalid name 'a/b' .*letters, digits | $K run -k "$KDIR" --name a/b
2 | - | ^error: invalid --memory '1' \(megabytes, at least 16\) | $K run --memory 1
2 | - | ^error: invalid --smp '0' \(1 to 255\) | $K run --smp 0
2 | - | ^error: invalid --accel 'xen' \(auto, kvm or tcg\) | $K run --accel xen
2 | - | ^error: invalid --gdb '70000' \(unix, tcp, tcp:PORT with PORT 1 to 65535\) | $K run --gdb=70000
2 | - | ^error: invalid --timeout '0' | $K run --timeout 0
2 | - | ^error: invalid --net 'wifi' \(user, bridge | $K run --net wifi
2 | - | ^error: invalid --nic 'rtl8139' \(e1000 or virtio-net\) | $K run --nic rtl8139
2 | - | ^error: invalid --forward '22:x' \(HOSTPORT:GUESTPORT | $K run --forward 22:x
2 | - | ^error: invalid --root 'ext4' \(nfs, nfs:DIR or 9p:DIR\) | $K run --root ext4
2 | - | ^error: invalid --nfs-ports '20490' \(two different ports | $K run --root nfs --nfs-ports 20490
2 | - | ^error: --nfs-server needs --root nfs | $K run --nfs-server kernel
2 | - | ^error: --guest-ip needs a network | $K run --net none --guest-ip 10.0.2.15/24
2 | - | ^error: invalid --guest-ip '300.1.1.1/24' | $K run --guest-ip 300.1.1.1/24
2 | - | ^error: --root and --rootfs do not go together | $K run --root nfs --rootfs "$FX/bzImage"
2 | - | ^error: --expect-hit needs --break | $K run -k "$KDIR" --expect-hit --exec true
2 | - | ^error: --host-ip and --uplink need --net bridge | $K run --host-ip 192.168.0.1/24
2 | - | ^error: --forward needs --net user | $K run --net none --forward 2222:22
2 | - | ^error: unexpected argument 'extra' | $K run -k "$KDIR" extra
2 | - | ^error: cannot open kernel '/nonexistent/bzImage': No such file | $K run -k /nonexistent/bzImage --exec true
2 | - | ^error: '/etc/passwd' is not a bzImage.*pass arch/x86/boot/bzImage | $K run -k /etc/passwd --exec true
2 | - | ^error: cannot open rootfs '/nonexistent.cpio' | $K run -k "$KDIR" --rootfs /nonexistent.cpio --exec true
2 | - | ^error: no symbol 'ip_rvc' in vmlinux; did you mean 'ip_rcv' | $K run -k "$KDIR" --break ip_rvc --exec true
2 | - | ^error: '/etc/passwd' does not belong to .*is not an ELF file | $K run -k "$KDIR" --vmlinux /etc/passwd --exec true
2 | - | ^error: cannot share '/nonexistent' | $K run -k "$KDIR" --share /nonexistent --exec true
2 | - | ^error: cannot open module directory '/nonexistent' | $K run -k "$KDIR" --module /nonexistent --exec true
2 | - | ^error: qemu-system-x86_64 not found in PATH; install the Debian package qemu-system-x86 | PATH=$NO_QEMU $K run -k "$KDIR" --exec true --timeout 30
2 | - | ^error: --break needs gdb, which is not in PATH; install the Debian package gdb | PATH=$NO_GDB $K run -k "$KDIR" --break ip_rcv --exec true --timeout 30
2 | - | ^error: --root nfs needs nfs-ganesha; install the Debian packages nfs-ganesha | PATH=$NO_GANESHA $K run -k "$KDIR" --root nfs --exec true --timeout 30
2 | - | ^error: .*(no kernel NFS server runs.*start nfs-kernel-server|exportfs.*install) | PATH=$NO_EXPORTFS $K run -k "$KDIR" --root nfs --nfs-server kernel --net bridge --exec true --timeout 30
2 | - | ^error: --nfs-server kernel in user mode would export to 127.0.0.1, where every local user would be root | $K run --root nfs --nfs-server kernel
2 | root | ^error: port [0-9]+ on 127.0.0.1 is in use; pick another with --gdb tcp:PORT or use --gdb | $K run -k "$KDIR" --gdb=$BUSY_PORT --exec true --timeout 30
2 | nobody | ^error: --net bridge needs CAP_NET_ADMIN \(run as root | $K run -k "$FX/bzImage" --net bridge --exec true --timeout 30
2 | nobody | ^error: --net bridge needs CAP_NET_ADMIN | $K run -k "$FX/bzImage" --net bridge=kdbr9 --guest-ip dhcp --exec true --timeout 30
2 | root | ^error: invalid bridge name: interface name 'abcdefghijklmnop' is 16 characters long | $K run -k "$KDIR" --net bridge=abcdefghijklmnop --exec true --timeout 30
2 | root | ^error: host address 192.168.0.1/24 and guest address 192.168.1.2/24 are not in the same subnet | $K run -k "$KDIR" --net bridge --host-ip 192.168.0.1/24 --guest-ip 192.168.1.2/24 --exec true --timeout 30
2 | root | ^error: 'lo' exists and is not a bridge .*pick another name with --bridge | $K run -k "$KDIR" --net bridge=lo --exec true --timeout 30
2 | root | ^error: no tap device 'nosuchtap0'; create one | $K run -k "$KDIR" --net tap=nosuchtap0 --exec true --timeout 30
2 | - | ^error: unknown --format 'xfs' \(initramfs, ext3, ext4, dir\) | $K rootfs --format xfs -o out.img
2 | - | ^error: unknown --compress 'lz4' \(gzip, zstd, none\) | $K rootfs --compress lz4 -o out.cpio
2 | - | ^error: bad --size '0' \(e.g. 256M, 1G\) | $K rootfs -f ext3 --size 0 -o out.img
2 | - | ^error: bad --size '12Q' | $K rootfs -f ext3 --size 12Q -o out.img
2 | - | ^error: --compress applies to --format initramfs only | $K rootfs -f ext3 -c gzip -o out.img
2 | - | ^error: --size applies to --format ext3 and ext4 only | $K rootfs --size 4M -o out.cpio
2 | - | ^error: the ext3 image 'out.img' needs at least [0-9]+ MiB for this content; use --size [0-9]+M or more | $K rootfs -f ext3 --size 1M -o out.img
2 | - | ^error: cannot write '/nonexistent/dir/out.cpio' | $K rootfs -o /nonexistent/dir/out.cpio
2 | - | ^error: cannot write '/proc/x' | $K rootfs -o /proc/x
2 | - | ^error: 'out.d' is a directory; choose a file name with -o | mkdir out.d && $K rootfs -o out.d; rc=$?; rmdir out.d; exit $rc
2 | - | ^error: '/etc' exists and kdebug did not make it; pass --force to replace it, or choose another -o | $K rootfs -f dir -o /etc
2 | - | ^error: 'mine.cpio' exists and kdebug did not make it; pass --force to replace it, or choose another -o | echo mine >mine.cpio && $K rootfs -o mine.cpio; rc=$?; [ "$(cat mine.cpio)" = mine ] || rc=99; rm -f mine.cpio; exit $rc
2 | - | ^error: 'mine.img' exists and kdebug did not make it; pass --force | echo mine >mine.img && $K rootfs -f ext4 -o mine.img; rc=$?; [ "$(cat mine.img)" = mine ] || rc=99; rm -f mine.img; exit $rc
2 | - | ^error: '/etc/passwd' is neither an x86_64 ELF executable nor a source tarball | $K rootfs -b /etc/passwd -o out.cpio
2 | - | ^error: '/bin/ls' is dynamically linked .*install busybox-static | $K rootfs -b /bin/ls -o out.cpio
2 | - | ^error: --add '/nonexistent': cannot use '/nonexistent' | $K rootfs -a /nonexistent -o out.cpio
2 | - | ^error: --add '/etc/hostname:relative': GUEST 'relative' must be an absolute path | $K rootfs -a /etc/hostname:relative -o out.cpio
2 | - | ^error: cannot add '/dev/null': only files, directories and symlinks | $K rootfs -a /dev/null -o out.cpio
2 | - | ^error: bad --jobs '0' | $K rootfs -j 0
2 | - | ^error: option '-o' needs a value | $K rootfs -o
1 | - | ^error: cannot run 'mke2fs': not found; install e2fsprogs | PATH=$NO_MKE2FS $K rootfs -f ext3 -o out.img
2 | - | ^error: unknown option '--bogus'; see 'kdebug config --help' | $K config --bogus
2 | - | ^error: option '--src' needs a value | $K config --src
2 | - | ^error: cannot open '/nonexistent' | $K config --src /nonexistent --out cfgout
2 | - | ^error: '/etc' is not a kernel tree .*pass --src with a kernel tree or tarball | $K config --src /etc --out cfgout
2 | - | ^error: no profile 'nosuch'; available: minimal seed | $K config --src "$KDIR/source" --out cfgout --profile nosuch
2 | - | ^error: unknown option 'NSF_FS' in --enable: .*did you mean 'NFS_FS' | $K config --src "$KDIR/source" --out cfgout --enable NSF_FS
2 | - | ^error: 'foo bar' is not a config option name | $K config --enable "foo bar"
2 | - | ^error: --disable takes a name, not 'X=y' | $K config --disable X=y
2 | - | ^error: NFS_FS is both enabled and disabled on the command line; keep one | $K config --enable NFS_FS --disable NFS_FS
2 | - | ^error: cannot open fragment '/nonexistent.config' | $K config --fragment /nonexistent.config
2 | - | ^error: cannot create build directory '/proc/x'.*pass --out with a writable directory | $K config --src "$KDIR/source" --out /proc/x
2 | - | ^error: unknown option '--bogus'; see 'kdebug build --help' | $K build --bogus
2 | - | ^error: -j needs a number of jobs, not '0' | $K build -j 0
2 | - | ^error: option '-j' needs a value | $K build -j
2 | - | ^error: '/nonexistent' is not a configured build directory .*run 'kdebug config --out /nonexistent' first | $K build --out /nonexistent
2 | - | ^error: --out and --src are alternatives; pass one | $K build --out "$KDIR" --src /usr/src
2 | - | ^error: --check does not build; drop --cc/-j | $K build --check --cc gcc --out "$KDIR"
2 | - | ^error: compiler 'nosuch-cc' not found.*(install|pass) | $K build --out "$KDIR" --cc nosuch-cc
2 | - | ^error: '.*/cfgonly' is not a kernel build directory \(no kdebug-state, nor a .config with a Makefile\); pass the directory 'kdebug config' made | $K build --check --out "$FX/cfgonly"
2 | - | ^error: unknown option '--bogus'; see 'kdebug gdb --help' | $K gdb --bogus
2 | - | ^error: option '--port' needs a value | $K gdb --port
2 | - | ^error: invalid port '99999' | $K gdb --port 99999
2 | - | ^error: give a VM name or --port, not both | $K gdb k1 --port 1234
2 | - | ^error: invalid VM name 'a/b' | $K gdb a/b
2 | - | ^error: no running VM named 'nosuch'; see 'kdebug ps' | $K gdb nosuch
1 | - | ^error: no VM is running; start one with 'kdebug run --gdb' | $K gdb
2 | - | ^error: cannot open vmlinux '/nonexistent' | $K gdb --port 1234 --vmlinux /nonexistent
2 | - | ^error: cannot open module directory '/nonexistent' | $K gdb --port 1234 --module /nonexistent
2 | - | ^error: no symbol 'ip_rvc' in vmlinux; did you mean 'ip_rcv' | $K gdb --port 1234 --vmlinux "$KDIR/vmlinux" --break ip_rvc
1 | - | ^error: gdb not found in PATH; install the Debian package gdb | PATH=$NO_GDB $K gdb --port 1234 --vmlinux "$KDIR/vmlinux"
1 | - | ^error: cannot give the kernel build directory '.*/n\\x0al' to gdb: its name has a newline; move or rename it | $K gdb --port 1234 --vmlinux "$FX/n$(printf '\nl')/vmlinux"
1 | - | ^error: cannot give the kernel build directory '.*/c:olon' to gdb: its name has a ':' \(gdb reads it as a separator\); move or rename it | $K gdb --port 1234 --vmlinux "$FX/c:olon/vmlinux"
2 | - | ^error: unknown option.*see 'kdebug gdbserver --help' | $K gdbserver --bogus
1 | - | ^error: no VM is running; start one with 'kdebug run' | $K gdbserver
2 | - | ^error: no running VM named 'nosuch'; see 'kdebug ps' | $K gdbserver nosuch
2 | - | ^error: invalid stub '0' \(unix, tcp or a port 1-65535\) | $K gdbserver k1 0
2 | - | ^error: unexpected argument '1235' | $K gdbserver k1 1234 1235
2 | - | ^error: unknown option.*see 'kdebug monitor --help' | $K monitor --bogus
1 | - | ^error: no VM is running; start one with 'kdebug run' | $K monitor
2 | - | ^error: no running VM named 'nosuch'; see 'kdebug ps' | $K monitor nosuch info status
2 | - | ^error: 'quit' would end the VM; use 'kdebug stop' for that | $K monitor k1 quit
2 | - | ^error: unknown vmcore format 'zip'; use one of elf | $K dump --format zip
2 | - | ^error: cannot write '/nonexistent/core': No such file | $K dump -o /nonexistent/core
1 | - | ^error: no VM is running; start one with 'kdebug run' | $K dump
2 | - | ^error: no running VM named 'nosuch'; see 'kdebug ps' | $K dump nosuch
2 | - | ^error: unexpected argument 'b' \(arguments for crash go after '--'\) | $K crash a b
2 | - | ^error: '/etc/passwd' is not a vmcore \(neither an ELF core | $K crash /etc/passwd </dev/null
2 | - | ^error: cannot open vmcore '/nonexistent/core' | $K drgn /nonexistent/core
2 | - | ^error: no vmcore 'nosuch', no crash directory and no running VM named 'nosuch' | $K drgn nosuch
1 | - | ^error: no VM is running and no crash directory has a vmcore | KDEBUG_CACHE_DIR=$TRASH/no-cache $K crash </dev/null
2 | - | ^error: unknown option.*see 'kdebug ps --help' | $K ps --bogus
2 | - | ^error: unexpected argument 'extra' | $K ps extra
1 | - | ^error: the VM registry '.*' is not private: .*\(chmod 700 | XDG_RUNTIME_DIR=$FX/public $K ps
2 | - | ^error: unknown option.*see 'kdebug stop --help' | $K stop --bogus
1 | - | ^error: no VM is running; start one with 'kdebug run' | $K stop
2 | - | ^error: no running VM named 'nosuch'; see 'kdebug ps' | $K stop nosuch
2 | - | ^error: invalid VM name 'a/b' | $K stop a/b
2 | - | ^error: invalid --timeout 'soon' | $K stop --timeout soon
2 | - | ^error: --all stops every VM; give no NAME with it | $K stop --all k1
2 | - | ^error: missing subcommand \(up, down, show or tap\) | $K net
2 | - | ^error: unknown subcommand 'frob' | $K net frob
2 | - | ^error: unknown option '--bogus'; see 'kdebug net --help' | $K net up --bogus
2 | - | ^error: option '--bridge' needs a value | $K net up --bridge
2 | - | ^error: invalid bridge name: interface name 'abcdefghijklmnop' is 16 characters long; Linux allows at most 15 | $K net up --bridge abcdefghijklmnop
2 | - | ^error: invalid tap name: interface name 'a b' contains a blank | $K net tap --name "a b" -- true
2 | - | ^error: invalid host address '1.2.3.4/33' | $K net up --host-ip 1.2.3.4/33
2 | - | ^error: host address '192.168.0.0/24' is the network or broadcast address .*pick another | $K net up --host-ip 192.168.0.0/24
2 | - | ^error: host address 192.168.0.1/24 and guest address 192.168.1.2/24 are not in the same subnet | $K net tap --guest-ip 192.168.1.2/24 -- true
2 | - | ^error: --host-ip is for 'net up' and 'net tap' | $K net down --host-ip 192.168.0.1/24
2 | - | ^error: --force is for 'net down' | $K net show --force
2 | - | ^error: 'net tap' needs a command to run | $K net tap
1 | - | ^error: no bridge 'nosuchbr0'; 'kdebug net show' lists the bridges | $K net show --bridge nosuchbr0
2 | nobody | ^error: kdebug net needs CAP_NET_ADMIN \(run as root | $K net up
2 | nobody | ^error: kdebug net needs CAP_NET_ADMIN | $K net down
2 | nobody | ^error: --net bridge needs CAP_NET_ADMIN \(run as root.*--net user needs no privileges | $K net tap -- true
2 | root | ^error: 'lo' exists and is not a bridge .*pick another name with --bridge | $K net up --bridge lo
2 | root | ^error: interface 'lo' already exists; pick another tap name | $K net tap --name lo -- true
2 | root | ^error: address 127.0.0.1 is already in use on 'lo'; pick another subnet | $K net up --host-ip 127.0.0.1/8
2 | root | ^error: no interface 'nosuchif0' for --uplink; name one that 'ip link' lists | $K net tap --uplink nosuchif0 -- true
2 | root | ^error: no interface 'nosuchif0' for --uplink | $K run -k "$KDIR" --net bridge --uplink nosuchif0 --exec true --timeout 30
1 | root | ^error: no bridge 'nosuchbr0'; see 'kdebug net show' | $K net down --bridge nosuchbr0
1 | root | ^error: 'lo' is not a bridge | $K net down --bridge lo
2 | - | ^error: missing subcommand: build DIR or check FILE.ko | $K module
2 | - | ^error: unknown subcommand 'frob' \(build, check\) | $K module frob x
2 | - | ^error: unknown option '--bogus'; see 'kdebug module --help' | $K module --bogus
2 | - | ^error: option '-j' needs a value | $K module -j
2 | - | ^error: build needs a module DIR | $K module build
2 | - | ^error: cannot build a module in '/nonexistent' | $K module build /nonexistent
2 | - | ^error: '.*/empty' has no Kbuild or Makefile; a module directory needs one | $K module build "$FX/empty" -k "$KDIR"
2 | - | ^error: cannot open '/nonexistent.ko' | $K module check /nonexistent.ko
2 | - | ^error: '.*/notmod.ko' is not a kernel module \(no .modinfo section\) | $K module check "$FX/notmod.ko" -k "$KDIR"
2 | - | ^error: unknown option '--bogus'; see 'kdebug decode --help' | $K decode --bogus
2 | - | ^error: unexpected argument 'b'; see 'kdebug decode --help' | $K decode -k "$KDIR" a b
2 | - | ^error: cannot read console log 'nosuch.log': No such file or directory$ | $K decode -k "$KDIR" nosuch.log
2 | - | ^error: cannot open module directory '/nonexistent': No such file or directory; give a directory | $K decode -k "$KDIR" --module /nonexistent
2 | - | ^error: cannot open vmlinux '/nonexistent' | $K decode --vmlinux /nonexistent
2 | - | ^error: '/etc/passwd' is not a 64-bit ELF file; give the kernel build's vmlinux | $K decode --vmlinux /etc/passwd <"$FX/panic.log"
2 | - | ^error: '.*/empty' is not a kernel build directory | $K decode -k "$FX/empty" "$FX/panic.log"
1 | - | ^error: no kernel crash report .* in the standard input$ | $K decode -k "$KDIR"
2 | - | ^error: unknown option '--bogus'; see 'kdebug doctor --help' | $K doctor --bogus
2 | - | ^error: unexpected argument 'extra' | $K doctor extra
1 | - | ^error: [0-9]+ required items are missing; install the packages named above | PATH=$TRASH/fx/empty $K doctor
EOF
}

# What a row may not leave behind, as text to compare before and after.  The
# machine may be loaded: few processes per row (globs and builtins).
shopt -s nullglob dotglob
mkdir -p -m 700 "$XDG_RUNTIME_DIR/kdebug"
$AS_ROOT && install -d -m 700 -o nobody -g nogroup "$TRASH/nobody/run/kdebug"
state() {	# into $STATE
	local etab=
	[ -r /var/lib/nfs/etab ] && read -r -d '' etab </var/lib/nfs/etab
	STATE="registry: $(echo "$XDG_RUNTIME_DIR"/kdebug/* "$TRASH"/nobody/run/kdebug/*)
cache: $(echo "$TRASH"/nobody/cache/*)
exports: $etab"
	[ -n "$NS" ] && STATE="$STATE
namespace: $(printf 'link show\naddress show\n' | ip -n "$NS" -o -batch -)"
}

check_row() {	# N EXIT AS PATTERN COMMAND
	local n=$1 want=$2 as=$3 pattern=$4 cmd=$5 dir=$TRASH/row$1 tmp=$TRASH/tmp$1
	local wrap="" got before left err
	mkdir -m 777 "$dir" "$tmp" || return 1
	[ -n "$NS" ] && wrap="$IP netns exec $NS"
	[ "$as" = nobody ] && wrap="$wrap $NOBODY"
	state; before=$STATE
	(cd "$dir" && export TMPDIR=$tmp KDEBUG_T0900_ROW=$dir K="$wrap $K" &&
		eval "$cmd") >"$dir.out" 2>"$dir.err" </dev/null
	got=$?
	# Children it left: processes whose environment carries the row's marker.
	left=$(grep -lsz "^KDEBUG_T0900_ROW=$dir\$" /proc/[0-9]*/environ)
	state
	mapfile -t err <"$dir.err"
	echo "\$ $cmd  (as $as)"
	printf 'stderr: %s\n' "${err[@]}"
	[ "$got" = "$want" ] || { echo "exit $got, expected $want"; return 1; }
	[ "${#err[@]}" = 1 ] || { echo "expected one line on stderr, got ${#err[@]}"; return 1; }
	[[ ${err[0]} =~ ^(error|usage):\  ]] || { echo "stderr does not start with error: or usage:"; return 1; }
	[[ ${err[0]} =~ $pattern ]] || { echo "stderr does not match: $pattern"; return 1; }
	[ -z "$left" ] || { echo "left running:"; ps -o pid,args -p "$(echo $left | tr -dc '0-9 ')"; return 1; }
	[ "$before" = "$STATE" ] || { echo "left behind:"; diff <(echo "$before") <(echo "$STATE"); return 1; }
	local f=("$dir"/* "$tmp"/*)
	[ ${#f[@]} = 0 ] || { echo "left in the scratch directory or \$TMPDIR: ${f[*]}"; return 1; }
}
IP=$(command -v ip)
touch "$TRASH/fx.stamp"	# after the fixtures: no row may change them

n=0
while IFS= read -r line; do
	want=${line%% | *}; rest=${line#* | }
	as=${rest%% | *}; rest=${rest#* | }
	pattern=${rest%% | *}; cmd=${rest#* | }
	n=$((n + 1))
	desc="exit $want: ${cmd//\$K /kdebug }"
	[ "$as" = nobody ] && desc="$desc (as nobody)"
	if [ "$as" != - ] && ! $AS_ROOT; then
		test_count=$((test_count + 1))
		echo "ok $test_count - $desc # SKIP needs root (network namespace, setpriv)"
		continue
	fi
	if [ -z "$BUSY_PORT" ] && [[ $cmd = *BUSY_PORT* ]]; then
		test_count=$((test_count + 1))
		echo "ok $test_count - $desc # SKIP no port could be taken"
		continue
	fi
	test_expect_success "$desc" "check_row $n $want '$as' \"\$pattern\" \"\$cmd\""
done < <(rows)

test_expect_success 'no row changed the fixtures' '
	test -z "$(find "$FX" -newer "$TRASH/fx.stamp")"
'

test_done
