#!/bin/bash
# Benchmark: how long a change made on the host takes to become visible in a
# running guest, NFS against 9p, same kernel (the test kernel), TCG.
#
#   nfs       kdebug run --root nfs:DIR   (private nfs-ganesha, user-mode
#             networking; kdebug mounts with actimeo=1, lib/nfs.c)
#   9p-root   kdebug run --root 9p:DIR --net none      -- the BASELINE
#   9p-share  kdebug run --share HOSTDIR:/mnt/lat --net none (initramfs root)
#
# In each VM a BusyBox sh loop (--exec) polls a directory every 10 ms
# (usleep 10000) and prints a marker with the round's counter when it sees
# the change; the host makes the change at a known time ($EPOCHREALTIME) and
# reads kdebug's stdout until the marker arrives.  Per VM boot: ROUNDS rounds
# of "new file" (host creates lat/new.N, guest waits for [ -e ]), then ROUNDS
# rounds of "edit" (host rewrites lat/edit.txt in place with "vN", guest
# re-reads it until the contents are "vN").  Before each change the host
# waits a random 200-1200 ms after the previous marker: the range spans one
# second (NFS's actimeo=1), so changes fall at any phase of the guest's
# attribute-cache timer, which restarts when the guest sees a change.  Latencies include the console path (guest echo ->
# serial -> kdebug -> pipe), the same for all variants.  BOOTS boots per
# variant, interleaved; medians over all rounds; ratios NFS / 9p.
# Needs root (ganesha's VFS backend), qemu, ganesha.nfsd, rpcbind.
#
#   bench/share-latency.sh [ROUNDS] [BOOTS] [BUILD_DIR]   (default 10, 2, the test kernel)
set -u
R=${1:-10}
B=${2:-2}
. "$(dirname "$0")/lib.sh"
KDIR=${3:-$("$ROOT/t/test-kernel.sh")} || exit 1
for c in qemu-system-x86_64 ganesha.nfsd rpcbind; do
	command -v $c >/dev/null || { echo "$c missing" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "needs root (--root nfs: ganesha's VFS backend)" >&2; exit 1; }
bench_scratch share
KPID=
trap '[ -n "$KPID" ] && kill $KPID 2>/dev/null; wait 2>/dev/null; rm -rf "$W"' EXIT
cd "$W" || exit 1
"$KDEBUG" rootfs --format dir -o rootnfs >/dev/null 2>&1 || { echo "kdebug rootfs -f dir failed" >&2; exit 1; }
"$KDEBUG" rootfs --format dir -o root9p >/dev/null 2>&1 || exit 1
"$KDEBUG" rootfs -o initramfs.cpio.gz >/dev/null 2>&1 || exit 1
mkdir -p share

# name | host directory | guest directory | net | run options
VARIANTS=(
	"nfs|$W/rootnfs/lat|/lat|user|--root nfs:$W/rootnfs"
	"9p-root|$W/root9p/lat|/lat|none|--root 9p:$W/root9p --net none"
	"9p-share|$W/share|/mnt/lat|none|--rootfs initramfs.cpio.gz --share $W/share:/mnt/lat --net none"
)

# The guest's side.  LAT-CAL: /proc/uptime around 100 empty polls (the poll
# period under TCG, including the usleep fork).
guest_script() {	# DIR
	cat <<EOF
D=$1
awk -v d=\$D '\$2 == "/" || \$2 == d { print "LAT-MOUNT", \$0 }' /proc/mounts
read a x </proc/uptime; k=0; while [ \$k -lt 100 ]; do [ -e \$D/none ]; usleep 10000; k=\$((k+1)); done; read b x </proc/uptime
echo "LAT-CAL \$a \$b"
echo LAT-READY
i=1; while [ \$i -le $R ]; do p=0; while [ ! -e \$D/new.\$i ]; do usleep 10000; p=\$((p+1)); done; echo "LAT-NEW \$i \$p"; i=\$((i+1)); done
i=1; while [ \$i -le $R ]; do p=0; while :; do v=; read -r v <\$D/edit.txt; [ "\$v" = "v\$i" ] && break; usleep 10000; p=\$((p+1)); done; echo "LAT-EDIT \$i \$p"; i=\$((i+1)); done
EOF
}

LINE=
# Read kdebug's output (fd 3) until a line starting with $1, at most $2 seconds.
wait_line() {
	local end=$(( ${EPOCHREALTIME/./} + $2 * 1000000 )) left
	while :; do
		left=$(( (end - ${EPOCHREALTIME/./}) / 1000000 + 1 ))
		[ $left -gt 0 ] && [ $(( ${EPOCHREALTIME/./} )) -lt $end ] || return 1
		IFS= read -r -t $left -u 3 LINE || return 1
		echo "$LINE" >>"$CUR.console"
		case $LINE in "$1"*) return 0 ;; esac
	done
}
fail() { echo "$CUR: $*"; tail -5 "$CUR.console" "$CUR.err" 2>/dev/null; exit 1; }
gap() { local g=$(( 200 + RANDOM % 1000 )); sleep "$(( g / 1000 )).$(printf %03d $(( g % 1000 )))"; }

one_boot() {	# NAME HOSTDIR GUESTDIR OPTIONS
	local name=$1 hd=$2 gd=$3 opts=$4 i t0
	CUR=$name
	rm -rf "$hd"; mkdir -p "$hd"; echo v0 >"$hd/edit.txt"
	# shellcheck disable=SC2086
	exec 3< <(exec "$KDEBUG" run -k "$KDIR" --accel tcg $opts --timeout 600 \
		--exec "$(guest_script "$gd")" 2>>"$name.err")
	KPID=$!
	wait_line LAT-READY 180 || fail "no LAT-READY from the guest"
	grep -m1 -E '^LAT-MOUNT .* (nfs|9p) ' "$name.console" | cut -d' ' -f2- >"$name.mount"
	grep '^LAT-CAL' "$name.console" | tail -1 | awk '{ print ($3 - $2) * 10 }' >>"$name.cal"	# ms per poll
	for i in $(seq "$R"); do
		gap
		t0=${EPOCHREALTIME/./}
		: >"$hd/new.$i"
		wait_line "LAT-NEW $i " 60 || fail "new file $i not seen within 60 s"
		echo $(( ${EPOCHREALTIME/./} - t0 )) >>"$name.new"
	done
	for i in $(seq "$R"); do
		gap
		t0=${EPOCHREALTIME/./}
		printf 'v%d\n' "$i" >"$hd/edit.txt"
		wait_line "LAT-EDIT $i " 60 || fail "edit $i not seen within 60 s"
		echo $(( ${EPOCHREALTIME/./} - t0 )) >>"$name.edit"
	done
	while IFS= read -r -u 3 LINE; do echo "$LINE" >>"$name.console"; done
	exec 3<&-
	wait $KPID || fail "kdebug run failed"
	KPID=
}

us_to_ms() { awk '{ printf "%s%.0f", (NR > 1 ? " " : ""), $1 / 1000 }' "$1"; }	# µs list -> ms list

for v in "${VARIANTS[@]}"; do IFS='|' read -r name _ <<<"$v"; : >"$name.new"; : >"$name.edit"; : >"$name.cal"; done
for b in $(seq "$B"); do	# interleaved boots
	for v in "${VARIANTS[@]}"; do
		IFS='|' read -r name hd gd _ opts <<<"$v"
		one_boot "$name" "$hd" "$gd" "$opts"
	done
done

echo "kernel: $KDIR (TCG), $B boots per variant interleaved, $R rounds per boot per kind;"
echo "  $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); host change -> guest marker, median ms (min-max), all rounds"
# "median (min-max)" in ms from a file of µs
summary() { sort -n "$1" | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	printf "%.1f (%.0f-%.0f)", m / 1000, v[1] / 1000, v[NR] / 1000 }'; }
printf '  %-9s %-5s %-22s %-22s %s\n' variant net "new file" "edit" "guest poll period"
for v in "${VARIANTS[@]}"; do
	IFS='|' read -r name _ _ net _ <<<"$v"
	printf '  %-9s %-5s %-22s %-22s %.1f ms\n' "$name" "$net" "$(summary "$name.new")" "$(summary "$name.edit")" \
		"$(median <"$name.cal")"
done
echo "  (resolution: a change is seen within one guest poll period, plus the console path;"
echo "   figures near the poll period are at the benchmark's floor, not the file system's)"
echo "each round, ms:"
for v in "${VARIANTS[@]}"; do
	IFS='|' read -r name _ <<<"$v"
	printf '  %-9s new:  %s\n' "$name" "$(us_to_ms "$name.new")"
	printf '  %-9s edit: %s\n' "$name" "$(us_to_ms "$name.edit")"
done
echo "guest mounts (/proc/mounts):"
for v in "${VARIANTS[@]}"; do
	IFS='|' read -r name _ <<<"$v"
	printf '  %-9s %s\n' "$name" "$(sed "s|$W|<scratch>|" "$name.mount")"
done
n_new=$(median <nfs.new); n_edit=$(median <nfs.edit)
for base in 9p-root 9p-share; do
	awk -v b="$base" -v nn="$n_new" -v ne="$n_edit" -v bn="$(median <$base.new)" -v be="$(median <$base.edit)" 'BEGIN {
		printf "ratio nfs / %-8s  new file %6.2f   edit %6.2f\n", b, nn / bn, ne / be }'
done
# actimeo=1 bounds NFS staleness to about 1 s (attribute cache; a new name is
# found when the directory's cached attributes expire, an edit at the next
# open by close-to-open); say so when a round went well past that.
awk '{ if ($1 > 1500000) n++; if ($1 > m) m = $1 } END {
	if (n) printf "NOTE: %d NFS round(s) over 1.5 s (max %.0f ms), beyond what actimeo=1 should allow\n", n, m / 1000
	else printf "NFS: every round within 1.5 s (max %.0f ms), consistent with actimeo=1\n", m / 1000 }' nfs.new nfs.edit
