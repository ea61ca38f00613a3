#!/usr/bin/env python3
"""Drive `kdebug run` on a pseudo-terminal, as a person would: wait for the
guest's shell, type a command, read its output, then quit with Ctrl-A x.
Usage: interactive.py [--type CMD --expect TEXT]... KDEBUG ARGS...
(exit 0 when every step worked).  Without --type: echo a sum, visit the
monitor.  With it: type each CMD at the guest's prompt and wait for its
TEXT (e.g. a breakpoint report) instead.  --host CMD (after the steps) runs
CMD on the host while the run still holds the terminal (it must succeed);
--code N: kdebug run's expected exit status (default 0)."""
import os, pty, select, subprocess, sys, time

def main():
    argv = sys.argv[1:]
    steps = []
    while len(argv) >= 4 and argv[0] == "--type" and argv[2] == "--expect":
        steps.append((argv[1].encode(), argv[3].encode()))
        argv = argv[4:]
    host, want_code = None, 0
    while len(argv) >= 2 and argv[0] in ("--host", "--code"):
        if argv[0] == "--host":
            host = argv[1]
        else:
            want_code = int(argv[1])
        argv = argv[2:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(argv[0], argv)
    buf = b""
    def expect(what, timeout):
        nonlocal buf
        end = time.time() + timeout
        while what not in buf:
            left = end - time.time()
            if left <= 0:
                sys.stderr.write("timed out waiting for %r; got:\n%s\n" % (what, buf[-2000:].decode(errors="replace")))
                return False
            r, _, _ = select.select([fd], [], [], left)
            if r:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    data = b""
                if not data:
                    sys.stderr.write("EOF waiting for %r\n" % what)
                    return False
                buf += data
        return True
    ok = expect(b"Ctrl-A x quits", 30)
    ok = ok and expect(b"kdebug:/# ", 120)    # the guest's shell prompt (rcS, inittab)
    for cmd, want in steps:
        if ok:
            buf = b""
            os.write(fd, cmd + b"\r")
            ok = expect(want, 120)
    if ok and not steps:
        buf = b""
        os.write(fd, b"echo $((40+2))-MARK\r")
        ok = expect(b"42-MARK", 30)
    if ok and not steps:
        os.write(fd, b"\x01c")                 # Ctrl-A c: the QEMU monitor
        time.sleep(0.5)
        os.write(fd, b"info status\r")
        ok = expect(b"VM status: running", 30)
        os.write(fd, b"\x01c")                 # back to the console
    if ok and host:
        r = subprocess.run(host, shell=True)
        if r.returncode != 0:
            sys.stderr.write("--host %r exited %d\n" % (host, r.returncode))
            ok = False
    if ok:
        os.write(fd, b"\x01x")                 # Ctrl-A x: quit
    end = time.time() + 30
    rest = b""
    while time.time() < end:
        wpid, status = os.waitpid(pid, os.WNOHANG)
        if wpid:
            code = os.waitstatus_to_exitcode(status)
            if code != want_code:
                sys.stderr.write("kdebug run exited %d\n" % code)
            sys.stdout.write((buf + rest).decode(errors="replace"))
            return 0 if ok and code == want_code else 1
        try:
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                rest += os.read(fd, 4096)
        except OSError:
            pass
    sys.stderr.write("kdebug run did not exit after Ctrl-A x\n")
    os.kill(pid, 9)
    return 1

sys.exit(main())
