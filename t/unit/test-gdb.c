// SPDX-License-Identifier: GPL-2.0
/*
 * The generated gdb scripts: the scripted-breakpoint driver and the module
 * symbol loader are valid Python (compiled by python3), carry what they were
 * given, and their output lines parse back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gdb.h"
#include "proc.h"
#include "tap.h"

/* Does python3 compile this text?  (The gdb module is only imported, never needed.) */
static int compiles(const char *py)
{
	char path[] = "/tmp/kdebug-test-gdb-XXXXXX";
	int fd = mkstemp(path);
	struct sbuf out = SBUF_INIT;
	struct proc p;
	int r, code = -1;

	if (fd < 0 || write(fd, py, strlen(py)) != (ssize_t)strlen(py))
		return 0;
	close(fd);
	proc_init(&p);
	strvec_pushl(&p.args, "python3", "-c",
		     "import sys; compile(open(sys.argv[1]).read(), sys.argv[1], 'exec')", path, NULL);
	p.err_to_out = true;
	r = proc_capture(&p, &out, NULL, 0, &code);
	if (r || code)
		fprintf(stderr, "# python3 (%d, %d): %s\n", r, code, out.buf ? out.buf : "");
	unlink(path);
	sbuf_release(&out);
	return r == 0 && code == 0;
}

int main(void)
{
	struct strvec br = STRVEC_INIT, dirs = STRVEC_INIT, cmds = STRVEC_INIT;
	struct sbuf py = SBUF_INIT;

	strvec_pushl(&br, "ip_rcv", "*0xffffffff81000000", "say \"hi\"\\", NULL);
	strvec_pushl(&cmds, "lx-lsmod", "p $pc", NULL);
	struct gdb_break_opts bo = { .breaks = &br, .max_hits = 3, .src_dir = "/src/linux", .hit_cmds = &cmds };
	gdb_write_break_script(&bo, &py);
	ok(compiles(py.buf), "the break script is valid Python");
	like(py.buf, "locs = [\"ip_rcv\", \"*0xffffffff81000000\", \"say \\\"hi\\\"\\\\\"]\n", "locations, quoted");
	like(py.buf, "hit_cmds = [\"lx-lsmod\", \"p $pc\"]\n", "hit commands");
	like(py.buf, "max_hits = 3\n", "max hits");
	like(py.buf, "    if snap is not None and snap == last_snap:\n        print('KDEBUG-REPEAT', flush=True)\n        continue\n",
	     "a stop with every register unchanged is not counted twice");
	ok(!strstr(py.buf, "KdebugModules"), "no module loader without module directories");
	like(py.buf, "hw_slots = 4\n", "four hardware breakpoints");
	sbuf_release(&py);

	strvec_pushl(&dirs, "/m/hello", "/m/other", NULL);
	bo.module_dirs = &dirs;
	gdb_write_break_script(&bo, &py);
	ok(compiles(py.buf), "the break script with the module loader is valid Python");
	like(py.buf, "kdebug_mod_dirs = [\"/m/hello\", \"/m/other\"]\n", "module directories");
	like(py.buf, "kdebug_mod_scripted = True\n", "scripted announcements");
	like(py.buf, "super().__init__('do_init_module', type=gdb.BP_HARDWARE_BREAKPOINT, internal=True)",
	     "loads on do_init_module, a hardware breakpoint (settable while the guest boots)");
	like(py.buf, "hw_slots = 3\n", "three debug registers left for --break");
	ok(strstr(py.buf, "KdebugModules") < strstr(py.buf, "print('KDEBUG-ARMED'"),
	   "the loader is in before the breakpoints are armed");
	sbuf_release(&py);

	/* kdebug gdb: the loader inside python/end, after target remote. */
	struct strvec br4 = STRVEC_INIT;
	strvec_pushl(&br4, "a", "b", "c", "d", NULL);
	struct gdb_opts go = { .vmlinux = "/b/vmlinux", .target = "127.0.0.1:1234", .module_dirs = &dirs, .breaks = &br4 };
	gdb_write_commands(&go, &py, NULL);
	const char *py_start = strstr(py.buf, "\npython\n"), *py_end = strstr(py.buf, "\nend\n");
	ok(py_start && py_end && py_start < py_end, "python ... end block");
	ok(py_start && strstr(py.buf, "target remote 127.0.0.1:1234\n") < py_start, "after target remote");
	like(py.buf, "set breakpoint pending on\n", "module breakpoints may wait for the module");
	like(py.buf, "kdebug_mod_scripted = False\n", "announcements for a person");
	if (py_start && py_end) {
		char *block = strndup(py_start + 8, (size_t)(py_end - py_start - 7));
		ok(compiles(block), "the loader block is valid Python");
		free(block);
	}
	ok(!strstr(py.buf, "lx-symbols"), "not lx-symbols (6.1's leaves .init.text out)");
	like(py.buf, "hbreak a\nhbreak b\nhbreak c\nbreak d\n",
	     "with the loader: three hardware breakpoints, then software ones");
	sbuf_release(&py);
	go.module_dirs = NULL;
	gdb_write_commands(&go, &py, NULL);
	ok(!strstr(py.buf, "python"), "no loader without module directories");
	sbuf_release(&py);

	/* Paths as gdb 13 reads them: buildargv for file/directory, the raw line for the others. */
	{
		struct gdb_opts q = { .vmlinux = "/k b/it's \"x\",y\\z/vmlinux", .build_dir = "/k b/it's,o",
				      .src_dir = "/s p/q'\"", .gdb_py = "/k b/it's,o/vmlinux-gdb.py",
				      .target = "/r u/k'1,/gdb.sock" };
		struct sbuf c = SBUF_INIT, w = SBUF_INIT;
		is_int(gdb_write_commands(&q, &c, &w), 0, "blank, quote, comma, backslash: accepted");
		like(c.buf, "\nfile /k\\ b/it\\'s\\ \\\"x\\\",y\\\\z/vmlinux\n", "file: blanks, quotes, backslashes escaped; comma as is");
		like(c.buf, "\ndirectory /s\\ p/q\\'\\\"\n", "directory: escaped the same way");
		like(c.buf, "\nadd-auto-load-safe-path /k b/it's,o\n", "safe path: the raw line");
		like(c.buf, "\nsource /k b/it's,o/vmlinux-gdb.py\n", "source: the raw line");
		like(c.buf, "\ntarget remote /r u/k'1,/gdb.sock\n", "target remote: the raw socket path");
		sbuf_release(&c);

		q.build_dir = "/k\nb";
		is_int(gdb_write_commands(&q, &c, &w), -EINVAL, "a newline in the build dir: refused");
		ok(c.len == 0, "... nothing written");
		like(w.buf, "cannot give the kernel build directory '/k\\x0ab' to gdb: its name has a newline; move or rename it",
		     "... one line, the newline shown as \\x0a");
		ok(!strchr(w.buf, '\n'), "... on one line");
		q.build_dir = NULL;
		q.vmlinux = "/v\nmlinux";
		sbuf_reset(&w);
		is_int(gdb_write_commands(&q, &c, &w), -EINVAL, "a newline in vmlinux: refused");
		q.vmlinux = "/b/vmlinux";
		q.src_dir = "/a:b";
		is_int(gdb_write_commands(&q, &c, NULL), -EINVAL, "a ':' in the source directory (a list separator): refused");
		q.src_dir = NULL;
		q.gdb_py = "/b/x.py ";
		is_int(gdb_write_commands(&q, &c, NULL), -EINVAL, "a trailing blank for source: refused");
		q.gdb_py = NULL;
		q.target = "/r:u/gdb.sock";
		is_int(gdb_write_commands(&q, &c, NULL), -EINVAL, "a ':' in the socket path (HOST:PORT): refused");
		q.target = "127.0.0.1:1234";
		is_int(gdb_write_commands(&q, &c, NULL), 0, "127.0.0.1:PORT is no path");
		sbuf_release(&c);
		sbuf_release(&w);
	}

	/* The driver's lines. */
	unsigned long idx = 0, count = 0;
	const char *rest = NULL;
	is_int(gdb_parse_line("KDEBUG-HIT 2 ip_rcv net/ipv4/ip_input.c:565", &idx, &count, &rest), GDB_HIT, "hit");
	is_int((int)idx, 2, "hit index");
	is_str(rest, "ip_rcv net/ipv4/ip_input.c:565", "hit function and place");
	is_int(gdb_parse_line("KDEBUG-COUNT 1 7", &idx, &count, &rest), GDB_COUNT, "count");
	ok(idx == 1 && count == 7, "count index and value");
	is_int(gdb_parse_line("KDEBUG-MODULE hello /m/hello/hello.ko", &idx, &count, &rest), GDB_MODULE, "module");
	is_str(rest, "hello /m/hello/hello.ko", "module name and file");
	is_int(gdb_parse_line("KDEBUG-ARMED", &idx, &count, &rest), GDB_ARMED, "armed");
	is_int(gdb_parse_line("KDEBUG-BT-END", &idx, &count, &rest), GDB_BT_END, "bt end");
	is_int(gdb_parse_line("KDEBUG-DONE", &idx, &count, &rest), GDB_DONE, "done");
	is_int(gdb_parse_line("#0  ip_rcv (skb=0x0)", &idx, &count, &rest), GDB_OTHER, "other");
	is_int(gdb_parse_line("KDEBUG-DONE!", &idx, &count, &rest), GDB_OTHER, "not quite done");

	strvec_clear(&br);
	strvec_clear(&br4);
	strvec_clear(&dirs);
	strvec_clear(&cmds);
	return done_testing();
}
