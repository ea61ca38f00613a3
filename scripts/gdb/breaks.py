# SPDX-License-Identifier: GPL-2.0
# kdebug's scripted breakpoint run (embedded by the Makefile; see lib/gdb.c,
# gdb_write_break_script(), and gdb.h for the KDEBUG-* lines it prints).
#
# kdebug sets these before this text (a generated prologue):
#   locs      breakpoint locations (SYM or *ADDR)
#   hit_cmds  gdb commands run at each hit
#   max_hits  hits after which a breakpoint is disabled (0: no limit)
#   bt_depth  frames of backtrace shown at each hit
#   src_dir   kernel source directory: file names are shown relative to it
#   hw_slots  how many of locs get hardware breakpoints
import gdb
def rel(path):
    if src_dir and path.startswith(src_dir.rstrip('/') + '/'):
        return path[len(src_dir.rstrip('/')) + 1:]
    return path

bps = []
for i, loc in enumerate(locs):
    kind = 'hbreak' if i < hw_slots else 'break'
    gdb.execute('%s %s' % (kind, loc), to_string=True)
    bps.append(gdb.breakpoints()[-1])
hits = [0] * len(bps)
print('KDEBUG-ARMED', flush=True)
regs = ('rip', 'rsp', 'rbp', 'rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'r8', 'r9',
        'r10', 'r11', 'r12', 'r13', 'r14', 'r15')
def snapshot(frame):
    try:
        return tuple(int(frame.read_register(r)) for r in regs)
    except (gdb.error, ValueError):
        return None
last_snap = None
# QEMU reports a stop it made itself (kdebug's crash watch: the guest
# panicked, or kdebug paused a hung guest) with another signal than the
# SIGTRAP of a breakpoint.  Such a stop is not a hit: let go of the VM
# without resuming it ("disconnect", not "detach"), so that it stays at the
# crash site for kdebug's crash report and 'kdebug gdb'.
last_signal = [None]
def on_stop(ev):
    last_signal[0] = getattr(ev, 'stop_signal', None)
gdb.events.stop.connect(on_stop)
while True:
    before = [b.hit_count for b in bps]
    last_signal[0] = None
    try:
        gdb.execute('continue', to_string=True)
    except gdb.error:
        break
    except KeyboardInterrupt:
        break
    try:
        frame = gdb.newest_frame()
    except gdb.error:
        break
    # The same stop reported twice (nothing ran in between: every
    # general register unchanged), as happens now and then under TCG
    # when gdb steps off a hardware breakpoint, is one hit.
    snap = snapshot(frame)
    if snap is not None and snap == last_snap:
        print('KDEBUG-REPEAT', flush=True)
        continue
    last_snap = snap
    which = [i for i, b in enumerate(bps) if b.hit_count != before[i]]
    if not which and last_signal[0] not in (None, 'SIGTRAP'):
        print('KDEBUG-STOPPED %s' % last_signal[0], flush=True)
        try:
            gdb.execute('disconnect', to_string=True)
        except gdb.error:
            pass
        break
    sal = frame.find_sal()
    fname = rel(sal.symtab.filename) if sal.symtab else '?'
    func = frame.name() or ('0x%x' % frame.pc())
    for i in which or [-1]:
        if i >= 0:
            hits[i] += 1
        print('KDEBUG-HIT %d %s %s:%d' % (i + 1, func, fname, sal.line or 0), flush=True)
    try:
        bt = gdb.execute('bt %d' % bt_depth, to_string=True)
    except gdb.error as e:
        bt = str(e) + '\n'
    for line in bt.splitlines():
        for s in ([src_dir.rstrip('/') + '/'] if src_dir else []):
            line = line.replace(s, '')
        print(line)
    for c in hit_cmds:
        try:
            res = gdb.execute(c, to_string=True)
        except gdb.error as e:
            res = '%s: %s\n' % (c, e)
        print('(gdb) ' + c)
        for line in res.splitlines():
            print(line)
    print('KDEBUG-BT-END', flush=True)
    for i in which:
        if max_hits and hits[i] >= max_hits:
            bps[i].enabled = False
for i, n in enumerate(hits):
    print('KDEBUG-COUNT %d %d' % (i + 1, n))
print('KDEBUG-DONE', flush=True)
