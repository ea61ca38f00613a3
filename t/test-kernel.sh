#!/bin/bash
# Print the build directory of the kernel the test suite boots: Linux from
# $KDEBUG_KERNEL_SOURCE (default /usr/src/linux-source-6.1.tar.xz) configured
# with configs/minimal.config by `kdebug config` and built by `kdebug build`.
#
# Built once and cached outside the repository, in
#   ${KDEBUG_KERNEL_CACHE:-$HOME/.cache/kdebug}/test-kernel/<key>/
# where <key> covers the source tarball (path, size, mtime), the content of
# configs/minimal.config and the gcc version: a rerun is instant, a change of
# any of them builds a new kernel.  Concurrency-safe: scripts asking at the
# same time wait for one build (flock).  Progress goes to stderr; only the
# directory goes to stdout.  Exit 2 when the source is missing, 1 when the
# build fails.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
kdebug=${KDEBUG_BIN:-$root/kdebug}
src=${KDEBUG_KERNEL_SOURCE:-/usr/src/linux-source-6.1.tar.xz}
cache=${KDEBUG_KERNEL_CACHE:-${HOME:-/tmp}/.cache/kdebug}/test-kernel
profile=$root/configs/minimal.config

if [ ! -f "$src" ]; then
	echo "test-kernel: no kernel source '$src' (apt-get install linux-source-6.1, or set KDEBUG_KERNEL_SOURCE)" >&2
	exit 2
fi
if [ ! -x "$kdebug" ]; then
	echo "test-kernel: '$kdebug' is missing; run make first" >&2
	exit 2
fi

src=$(realpath "$src")
key=$({
	echo "$src"
	stat -Lc '%s %Y' "$src"
	sha256sum <"$profile"
	gcc --version 2>/dev/null | head -n 1
} | sha256sum | cut -c1-16)
dir=$cache/$key

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

if [ -f "$dir/.complete" ] && [ -f "$dir/arch/x86/boot/bzImage" ] && [ -f "$dir/vmlinux" ]; then
	echo "$dir"
	exit 0
fi

echo "test-kernel: building Linux from $src with configs/minimal.config in $dir (once; about 5-8 minutes)" >&2
# The test kernel's unpacked source, pointers and statistics stay in $cache,
# away from the user's own kdebug cache.
export KDEBUG_CACHE_DIR=$cache
if ! "$kdebug" config --src "$src" --profile "$profile" --out "$dir" >&2 9>&-; then
	echo "test-kernel: 'kdebug config' failed" >&2
	exit 1
fi
if ! "$kdebug" build --out "$dir" >&2 9>&-; then
	echo "test-kernel: 'kdebug build' failed; see $dir/kdebug-build.log" >&2
	exit 1
fi
touch "$dir/.complete"
echo "$dir"
