// SPDX-License-Identifier: GPL-2.0
/*
 * Commands on running VMs, through the instance registry and QMP:
 *   kdebug ps         list them
 *   kdebug stop       power one off (ACPI), then quit QEMU, then SIGKILL
 *   kdebug monitor    HMP commands (the tutorial's Ctrl-Alt-2 monitor)
 *   kdebug gdbserver  start the gdbstub on 127.0.0.1 ("(qemu) gdbserver")
 */
#include <errno.h>
#include <jansson.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "instance.h"
#include "port.h"
#include "proc.h"
#include "qmp.h"
#include "util.h"

#define DEFAULT_GDB_PORT 1234

static int interrupted(void)
{
	int sig = proc_interrupted();

	error("interrupted");
	return sig ? 128 + sig : EXIT_FAIL;
}

static int registry_error(int r)
{
	char *reg = instance_registry_path();

	if (r == -EPERM)
		error("the VM registry '%s' is not private: it must be a directory owned by you "
		      "and writable only by you (chmod 700 '%s')", reg, reg);
	else
		error("cannot use the VM registry '%s': %s", reg, strerror(-r));
	free(reg);
	return EXIT_FAIL;
}

/* See commands.h. */
int resolve_vm(const char *cmd, const char *name, struct instance *in)
{
	int r = instance_resolve(name, in);

	if (!r)
		return EXIT_OK;
	if (r == -EINVAL) {
		error("invalid VM name '%s' (letters, digits, '_', '.', '-', at most 32, "
		      "starting with a letter or digit)", name);
		return EXIT_USAGE;
	}
	if (r == -ENOENT && name) {
		error("no running VM named '%s'; see 'kdebug ps'", name);
		return EXIT_USAGE;
	}
	if (r == -ENOENT) {
		error("no VM is running; start one with 'kdebug run'");
		return EXIT_FAIL;
	}
	if (r == -E2BIG) {
		struct instance *list;
		size_t n;
		struct sbuf names = SBUF_INIT;
		if (instance_list(&list, &n) == 0) {
			for (size_t i = 0; i < n; i++)
				sbuf_addf(&names, "%s%s", i ? ", " : "", list[i].name);
			instance_list_free(list, n);
		}
		error("several VMs are running (%s); name one: 'kdebug %s NAME'",
		      sbuf_str(&names), cmd);
		sbuf_release(&names);
		return EXIT_USAGE;
	}
	return registry_error(r);
}

/* Connect to the VM's QMP socket; prints the error. */
static int connect_vm(const struct instance *in, struct qmp *q, int timeout_ms)
{
	char *sock = instance_path(in, "qmp.sock");
	int r = qmp_connect(q, sock, timeout_ms);

	if (r == -EINTR) {
		free(sock);
		return interrupted();
	}
	if (r == -ETIMEDOUT)
		error("the QEMU monitor of '%s' did not answer within %d s "
		      "(is another QMP client connected to '%s'?)", in->name, timeout_ms / 1000, sock);
	else if (r)
		error("cannot connect to the QEMU monitor of '%s' at '%s': %s",
		      in->name, sock, strerror(-r));
	free(sock);
	return r ? EXIT_FAIL : EXIT_OK;
}

static int qmp_failed(const struct instance *in, struct qmp *q, const char *what, int r)
{
	if (r == -EINTR)
		return interrupted();
	if (r == -EREMOTEIO)
		error("QEMU of '%s' refused '%s': %s", in->name, what, q->error);
	else if (r == -ECONNRESET)
		error("QEMU of '%s' closed the monitor connection during '%s' (did the VM exit?)",
		      in->name, what);
	else if (r == -ETIMEDOUT)
		error("QEMU of '%s' did not answer '%s' within %d s", in->name, what,
		      q->timeout_ms / 1000);
	else
		error("'%s' on '%s' failed: %s", what, in->name, strerror(-r));
	return EXIT_FAIL;
}

/* ---- ps ---- */

static const char ps_help[] =
	"usage: kdebug ps [--json]\n"
	"\n"
	"List the running VMs: name, QEMU pid, accelerator, gdbstub address,\n"
	"kernel and uptime.  VMs whose 'kdebug run' died are cleaned up.\n"
	"\n"
	"  --json    a JSON array with every field of each VM\n";

static void format_uptime(struct sbuf *sb, long long secs)
{
	if (secs < 0)
		secs = 0;
	if (secs < 60)
		sbuf_addf(sb, "%llds", secs);
	else if (secs < 3600)
		sbuf_addf(sb, "%lldm%02llds", secs / 60, secs % 60);
	else if (secs < 86400)
		sbuf_addf(sb, "%lldh%02lldm", secs / 3600, secs % 3600 / 60);
	else
		sbuf_addf(sb, "%lldd%02lldh", secs / 86400, secs % 86400 / 3600);
}

/* "user:10.0.2.15/24", "kdbr0:192.168.0.2/24" (bridge mode), "none", "-". */
static char *net_cell(const struct instance *in)
{
	const char *net = in->net;
	int len;

	if (!net)
		return xstrdup("-");
	if (str_starts_with(net, "bridge:")) {
		net += 7;
		len = (int)strcspn(net, ",");
	} else {
		len = (int)strlen(net);
	}
	if (in->guest_ip)
		return xasprintf("%.*s:%s", len, net, in->guest_ip);
	return xasprintf("%.*s", len, net);
}

int cmd_ps(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct { bool json; } o = { false };
	struct instance *list;
	size_t n;
	int c, r;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': o.json = true; break;
		case 'h': return print_help(ps_help);
		default: return usage_option_error("ps", c, argv);
		}
	}
	if (optind < argc)
		return usage_error("ps", "unexpected argument '%s'", argv[optind]);
	r = instance_list(&list, &n);
	if (r)
		return registry_error(r);

	if (o.json) {
		json_t *a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, instance_to_json(&list[i]));
		char *s = json_dumps(a, JSON_INDENT(2));
		printf("%s\n", s ? s : "[]");
		free(s);
		json_decref(a);
		instance_list_free(list, n);
		return EXIT_OK;
	}

	enum { NAME, PID, ACCEL, GDB, NET, KERNEL, UPTIME, NCOL };
	static const char *const head[NCOL] = { "NAME", "PID", "ACCEL", "GDB", "NET", "KERNEL", "UPTIME" };
	char **cell = xcalloc((n + 1) * NCOL, sizeof(*cell));
	size_t width[NCOL] = { 0 };
	long long now = (long long)time(NULL);

	for (int k = 0; k < NCOL; k++)
		cell[k] = xstrdup(head[k]);
	for (size_t i = 0; i < n; i++) {
		const struct instance *in = &list[i];
		char **row = cell + (i + 1) * NCOL;
		struct sbuf up = SBUF_INIT;

		row[NAME] = xstrdup(in->name);
		row[PID] = in->qemu_pid > 0 ? xasprintf("%ld", (long)in->qemu_pid) : xstrdup("-");
		row[ACCEL] = xstrdup(in->accel ? in->accel : "-");
		row[GDB] = instance_gdb_shown(in);
		if (!row[GDB])
			row[GDB] = xstrdup("-");
		row[NET] = net_cell(in);
		row[KERNEL] = xstrdup(in->kernel ? in->kernel : "-");
		if (in->started > 0)
			format_uptime(&up, now - in->started);
		else
			sbuf_adds(&up, "-");
		row[UPTIME] = sbuf_detach(&up);
	}
	for (size_t i = 0; i <= n; i++)
		for (int k = 0; k < NCOL; k++)
			if (strlen(cell[i * NCOL + k]) > width[k])
				width[k] = strlen(cell[i * NCOL + k]);
	for (size_t i = 0; i <= n; i++) {
		for (int k = 0; k < NCOL; k++) {
			if (k == NCOL - 1)
				printf("%s\n", cell[i * NCOL + k]);
			else
				printf("%-*s  ", (int)width[k], cell[i * NCOL + k]);
		}
	}
	for (size_t i = 0; i < (n + 1) * NCOL; i++)
		free(cell[i]);
	free(cell);
	instance_list_free(list, n);
	return EXIT_OK;
}

/* ---- stop ---- */

static const char stop_help[] =
	"usage: kdebug stop [NAME | --all] [--timeout SECS] [--force]\n"
	"\n"
	"Shut a running VM down: an ACPI power-button press (QMP system_powerdown;\n"
	"kdebug's guests sync, unmount or remount read-only and power off at once,\n"
	"also while 'run --exec' runs), Ctrl-Alt-Del two seconds later if the\n"
	"guest has not reacted, then, if QEMU is still there after the timeout,\n"
	"QMP 'quit', then SIGKILL of its QEMU process.  Waits until the VM is\n"
	"gone.  NAME may be omitted when exactly one VM runs.\n"
	"\n"
	"  -a, --all       stop every running VM\n"
	"  --timeout SECS  how long the guest may take to shut down (default 10)\n"
	"  --force         skip the power-off: quit QEMU at once\n";

static void stop_say(void *ctx, enum say_kind kind, const char *text)
{
	if (kind == SAY_WARN)
		warning("%s", text);
	else if (kind == SAY_NOTE)
		note("%s", text);
}

static int stop_one(const struct instance *in, unsigned timeout, bool force)
{
	struct say sy = { .fn = stop_say, .verbose = verbosity };
	struct sbuf why = SBUF_INIT;
	const char *how;
	int r = instance_stop(in, timeout, force, &sy, &how, &why);

	if (r == -EINTR) {
		sbuf_release(&why);
		return interrupted();
	}
	if (r) {
		error("%s", why.len ? why.buf : strerror(-r));
		sbuf_release(&why);
		return EXIT_FAIL;
	}
	printf("stopped %s (%s)\n", in->name, how);
	fflush(stdout);
	sbuf_release(&why);
	return EXIT_OK;
}

int cmd_stop(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "timeout", required_argument, NULL, 't' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct { unsigned long timeout; bool force, all; } o = { 10, false, false };
	struct instance in, *list = NULL;
	size_t n = 0;
	int c, r, ret = EXIT_OK;

	while ((c = getopt_long(argc, argv, ":at:fh", opts, NULL)) != -1) {
		switch (c) {
		case 'a': o.all = true; break;
		case 't':
			if (parse_uint(optarg, 86400, &o.timeout))
				return usage_error("stop", "invalid --timeout '%s' (seconds, 0-86400)", optarg);
			break;
		case 'f': o.force = true; break;
		case 'h': return print_help(stop_help);
		default: return usage_option_error("stop", c, argv);
		}
	}
	if (argc - optind > 1)
		return usage_error("stop", "unexpected argument '%s'", argv[optind + 1]);
	if (o.all && optind < argc)
		return usage_error("stop", "--all stops every VM; give no NAME with it");
	if (!o.all) {
		r = resolve_vm("stop", optind < argc ? argv[optind] : NULL, &in);
		if (r)
			return r;
		ret = stop_one(&in, (unsigned)o.timeout, o.force);
		instance_free(&in);
		return ret;
	}
	r = instance_list(&list, &n);
	if (r)
		return registry_error(r);
	if (!n)
		note("no VM is running");
	for (size_t i = 0; i < n && !proc_interrupted(); i++) {
		r = stop_one(&list[i], (unsigned)o.timeout, o.force);
		if (r && (!ret || r > 128))
			ret = r;
	}
	instance_list_free(list, n);
	return ret;
}

/* ---- monitor ---- */

static const char monitor_help[] =
	"usage: kdebug monitor [NAME ['HMP COMMAND']]\n"
	"\n"
	"The QEMU monitor of a running VM (what Ctrl-Alt-2 gives in a QEMU window),\n"
	"through QMP human-monitor-command.  With a command: run it, print its\n"
	"output.  Without: read commands from stdin, one per line, with a\n"
	"'(qemu) ' prompt on a terminal, until end of input or 'quit'.  'quit'\n"
	"leaves the monitor; it does not end the VM ('kdebug stop' does).\n"
	"NAME may be omitted when exactly one VM runs and no command is given.\n"
	"\n"
	"  kdebug monitor k1 'info registers'\n"
	"  kdebug monitor k1 info status\n";

static bool is_quit(const char *line)
{
	char word[8];

	return sscanf(line, " %7s", word) == 1 && (!strcmp(word, "quit") || !strcmp(word, "q"));
}

static int monitor_one(const struct instance *in, struct qmp *q, const char *line)
{
	char *out = NULL;
	int r = qmp_hmp(q, line, &out);

	if (r)
		return qmp_failed(in, q, line, r);
	fputs(out, stdout);
	if (out[0] && out[strlen(out) - 1] != '\n')
		putchar('\n');
	fflush(stdout);
	free(out);
	return EXIT_OK;
}

int cmd_monitor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct instance in;
	struct qmp q = { .fd = -1 };
	struct sbuf cmdline = SBUF_INIT;
	int c, r, ret;

	/* '+': everything after NAME is the HMP command, dashes included. */
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': return print_help(monitor_help);
		default: return usage_option_error("monitor", c, argv);
		}
	}
	for (int i = optind + 1; i < argc; i++)
		sbuf_addf(&cmdline, "%s%s", i > optind + 1 ? " " : "", argv[i]);
	if (cmdline.len && is_quit(cmdline.buf)) {
		sbuf_release(&cmdline);
		error("'quit' would end the VM; use 'kdebug stop' for that");
		return EXIT_USAGE;
	}
	r = resolve_vm("monitor", optind < argc ? argv[optind] : NULL, &in);
	if (r) {
		sbuf_release(&cmdline);
		return r;
	}
	ret = connect_vm(&in, &q, 10000);
	if (ret)
		goto out;
	q.timeout_ms = -1;	/* HMP commands may take long; Ctrl-C aborts */

	if (cmdline.len) {
		ret = monitor_one(&in, &q, cmdline.buf);
		goto out;
	}
	bool tty = isatty(STDIN_FILENO);
	char line[4096];
	for (;;) {
		if (tty) {
			fputs("(qemu) ", stdout);
			fflush(stdout);
		}
		if (!fgets(line, sizeof(line), stdin)) {
			if (proc_interrupted()) {
				if (tty)
					putchar('\n');
				ret = interrupted();
				goto out;
			}
			if (tty)
				putchar('\n');
			break;
		}
		size_t len = strlen(line);
		if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			int ch;
			while ((ch = getchar()) != EOF && ch != '\n')
				;
			error("monitor command longer than %zu characters; ignored", sizeof(line) - 2);
			continue;
		}
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[strspn(line, " \t")])
			continue;
		if (is_quit(line)) {
			fprintf(stderr, "monitor: use 'kdebug stop' to end the VM\n");
			break;
		}
		r = monitor_one(&in, &q, line);
		/* A refused command is reported and the session goes on; a lost connection ends it. */
		if (r && !q.error) {
			ret = r;
			goto out;
		}
	}
	ret = EXIT_OK;
out:
	sbuf_release(&cmdline);
	qmp_close(&q);
	instance_free(&in);
	return ret;
}

/* ---- gdbserver ---- */

static const char gdbserver_help[] =
	"usage: kdebug gdbserver [NAME [unix|tcp|PORT]]\n"
	"\n"
	"Start the gdbstub of a running VM -- the tutorial's '(qemu) gdbserver\n"
	"tcp::1234' without exposing the guest: by default on a unix socket in the\n"
	"VM's private directory (mode 0600), which only you can use; with tcp or\n"
	"PORT on 127.0.0.1:PORT (default 1234, or the next free port), which every\n"
	"local user can reach.  The stub is recorded for 'kdebug gdb' and\n"
	"'kdebug ps'.  NAME may be omitted when exactly one VM runs.\n";

/* "gdbserver DEVICE" over HMP: NULL when QEMU started it, else why not (malloc'd). */
static char *hmp_gdbserver(struct qmp *q, const char *device, int *qr)
{
	char *hmp = xasprintf("gdbserver %s", device), *out = NULL, *why = NULL;

	*qr = qmp_hmp(q, hmp, &out);
	if (!*qr && !strstr(out, "Waiting for gdb connection")) {
		/* HMP answers in text: "Waiting for gdb connection on device '...'" or why not. */
		struct sbuf w = SBUF_INIT;
		for (const char *p = out; *p; p++)
			if (*p != '\n')
				sbuf_addch(&w, *p);
			else if (p[1])
				sbuf_adds(&w, "; ");
		why = w.len ? sbuf_detach(&w) : xstrdup("no reason given");
		sbuf_release(&w);
	}
	free(hmp);
	free(out);
	return why;
}

/* Record the stub for 'kdebug gdb' and 'kdebug ps' (the owner may have updated the info meanwhile). */
static void record_gdbstub(const struct instance *in, int port, const char *sock)
{
	struct instance cur;
	int r = instance_load(in->name, &cur);

	if (!r) {
		cur.gdb_port = port;
		free(cur.gdb_socket);
		cur.gdb_socket = sock ? xstrdup(sock) : NULL;
		r = instance_save(&cur);
		instance_free(&cur);
	}
	if (r)
		warning("could not record the gdbstub in '%s/info': %s", in->dir, strerror(-r));
}

/* The stub to start: a unix socket path, or a TCP port; 0, else an exit code. */
static int gdbserver_choose(const struct instance *in, bool tcp, unsigned long want, char **sock, int *port)
{
	int r;

	if (!tcp) {
		*sock = instance_path(in, INSTANCE_GDB_SOCKET);
		return 0;
	}
	if (want) {
		r = port_is_free((int)want);
		if (r == 0) {
			error("port %lu on 127.0.0.1 is in use; pick another port or omit it", want);
			return EXIT_USAGE;
		}
		if (r < 0) {
			error("cannot listen on 127.0.0.1:%lu: %s", want, strerror(-r));
			return EXIT_FAIL;
		}
		*port = (int)want;
		return 0;
	}
	r = port_find_free(DEFAULT_GDB_PORT, port);
	if (r) {
		error("no free TCP port on 127.0.0.1 from %d up: %s", DEFAULT_GDB_PORT, strerror(-r));
		return EXIT_FAIL;
	}
	return 0;
}

int cmd_gdbserver(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct instance in;
	struct qmp q = { .fd = -1 };
	unsigned long want = 0;
	bool tcp = false;
	int c, r, qr, ret = EXIT_FAIL, port = 0, cur = 0;
	char *sock = NULL, *cur_sock = NULL, *dev = NULL, *why = NULL;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': return print_help(gdbserver_help);
		default: return usage_option_error("gdbserver", c, argv);
		}
	}
	if (argc - optind > 2)
		return usage_error("gdbserver", "unexpected argument '%s'", argv[optind + 2]);
	if (argc - optind == 2) {
		const char *a = argv[optind + 1];
		tcp = strcmp(a, "unix") != 0;
		if (tcp && strcmp(a, "tcp") && (parse_uint(a, 65535, &want) || !want))
			return usage_error("gdbserver", "invalid stub '%s' (unix, tcp or a port 1-65535)", a);
	}
	r = resolve_vm("gdbserver", optind < argc ? argv[optind] : NULL, &in);
	if (r)
		return r;
	ret = connect_vm(&in, &q, 10000);
	if (ret)
		goto out;
	ret = EXIT_FAIL;

	/* Already listening (run --gdb, an earlier gdbserver)? */
	r = qmp_gdbstub(&q, &cur, &cur_sock);
	if (r) {
		ret = qmp_failed(&in, &q, "query-chardev", r);
		goto out;
	}
	/* Without an argument any stub will do; "unix", "tcp" and PORT ask for one kind. */
	bool asked = argc - optind == 2;
	if ((!asked && (cur || cur_sock)) || (asked && !tcp && cur_sock) ||
	    (tcp && cur && (!want || (int)want == cur))) {
		char *shown = cur_sock ? xstrdup(cur_sock) : xasprintf("127.0.0.1:%d", cur);
		printf("gdbserver for %s already on %s; attach with: kdebug gdb %s\n", in.name, shown, in.name);
		free(shown);
		record_gdbstub(&in, cur_sock ? 0 : cur, cur_sock);
		ret = EXIT_OK;
		goto out;
	}
	ret = gdbserver_choose(&in, tcp, want, &sock, &port);
	if (ret)
		goto out;
	ret = EXIT_FAIL;
	/*
	 * QEMU cannot open a new "gdb" chardev while the old one exists
	 * ("duplicate yank instance"): moving a stub means closing it first.
	 */
	if (cur || cur_sock) {
		why = hmp_gdbserver(&q, "none", &qr);
		if (qr) {
			ret = qmp_failed(&in, &q, "gdbserver none", qr);
			goto out;
		}
		free(why);
	}
	dev = sock ? xasprintf("unix:%s,server=on,wait=off", sock) : xasprintf("tcp:127.0.0.1:%d", port);
	why = hmp_gdbserver(&q, dev, &qr);
	if (qr) {
		ret = qmp_failed(&in, &q, dev, qr);
		goto out;
	}
	if (why) {
		error("QEMU of '%s' could not start the gdbstub on %s: %s", in.name, sock ? sock : dev, why);
		if (cur || cur_sock) {
			/* Put the old one back. */
			char *back = cur_sock ? xasprintf("unix:%s,server=on,wait=off", cur_sock)
					      : xasprintf("tcp:127.0.0.1:%d", cur);
			char *w2 = hmp_gdbserver(&q, back, &qr);
			if (qr || w2)
				warning("the gdbstub of '%s' is closed now", in.name);
			free(w2);
			free(back);
		}
		goto out;
	}
	if (sock) {
		printf("gdbserver for %s on %s; attach with: kdebug gdb %s\n"
		       "  (or: gdb -ex 'target remote %s')\n", in.name, sock, in.name, sock);
	} else {
		printf("gdbserver for %s on 127.0.0.1:%d; attach with: kdebug gdb %s\n"
		       "  (or: gdb -ex 'target remote 127.0.0.1:%d')\n", in.name, port, in.name, port);
		note("every local user can reach 127.0.0.1:%d (and read and write the guest's memory); "
		     "'kdebug gdbserver %s' gives a socket only you can use", port, in.name);
	}
	record_gdbstub(&in, port, sock);
	ret = EXIT_OK;
out:
	free(sock);
	free(cur_sock);
	free(dev);
	free(why);
	qmp_close(&q);
	instance_free(&in);
	return ret;
}
