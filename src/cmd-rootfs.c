// SPDX-License-Identifier: GPL-2.0
/*
 * kdebug rootfs: the tutorial's BusyBox root filesystem, without sudo,
 * mount or dd.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "rootfs.h"
#include "util.h"

static const char help[] =
"usage: kdebug rootfs [options]\n"
"\n"
"Build a BusyBox root filesystem like the tutorial's, as a normal user:\n"
"no sudo, no loop mount, no dd.  Files are owned by root inside the image.\n"
"\n"
"  -f, --format FMT       initramfs (default), ext3, ext4 or dir\n"
"  -o, --output PATH      default: rootfs.cpio.gz (.zst, or .cpio without\n"
"                         compression), rootfs.img (ext3/ext4), rootfs.d (dir)\n"
"  -c, --compress ALG     initramfs compression: gzip (default), zstd, none\n"
"  -s, --size SIZE        ext3/ext4 image size (default 256M, as the tutorial)\n"
"  -b, --busybox PATH     a static busybox binary (default /bin/busybox), or a\n"
"                         BusyBox source directory or tarball to build once\n"
"                         (make defconfig, CONFIG_STATIC=y, make, make install)\n"
"  -a, --add HOST[:GUEST] copy a host file or tree in (repeatable); GUEST is an\n"
"                         absolute path, default /root/<basename of HOST>\n"
"  -i, --init-cmd CMD     run CMD from /etc/init.d/rcS at boot (repeatable)\n"
"  -j, --jobs N           parallel make jobs for a BusyBox build (default: CPUs)\n"
"      --force            rebuild even when the output is up to date, and\n"
"                         replace an output kdebug did not make\n"
"  -h, --help             show this help\n"
"\n"
"The output is reproducible ($SOURCE_DATE_EPOCH sets the timestamps, else 0)\n"
"and is not rebuilt when nothing changed.  An existing output is replaced\n"
"only when kdebug wrote it (its stamp in the cache names that very file, or a\n"
"directory holds /etc/kdebug/exec-agent); otherwise pass --force.\n"
"See Documentation/kdebug-rootfs.md.\n";

struct rootfs_cmd {
	struct rootfs_opts o;
	const char *format, *compress, *size;
	struct rootfs_add *adds;
	size_t n_adds;
	const char **cmds;
	size_t n_cmds;
};

static void show_progress(void *arg, const char *msg)
{
	note("%s", msg);
}

static void human(unsigned long long b, char *buf, size_t len)
{
	if (b >= (1ULL << 20))
		snprintf(buf, len, "%.1f MiB", (double)b / (1 << 20));
	else
		snprintf(buf, len, "%.1f KiB", (double)b / 1024);
}

/* Options into *c: -1 to go on, else the exit code (--help, usage errors). */
static int parse_options(int argc, char **argv, struct rootfs_cmd *c)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "compress", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' },
		{ "busybox", required_argument, NULL, 'b' },
		{ "add", required_argument, NULL, 'a' },
		{ "init-cmd", required_argument, NULL, 'i' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sbuf why = SBUF_INIT;
	int opt, ret = EXIT_USAGE;
	unsigned long jobs;

	opterr = 0;	/* our own one-line messages */
	while ((opt = getopt_long(argc, argv, "+:f:o:c:s:b:a:i:j:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			c->format = optarg;
			if (rootfs_parse_format(optarg, &c->o.format)) {
				usage_error("rootfs", "unknown --format '%s' (initramfs, ext3, ext4, dir)",
					    optarg);
				goto out;
			}
			break;
		case 'o':
			c->o.output = optarg;
			break;
		case 'c':
			c->compress = optarg;
			if (rootfs_parse_compress(optarg, &c->o.compress)) {
				usage_error("rootfs", "unknown --compress '%s' (gzip, zstd, none)",
					    optarg);
				goto out;
			}
			break;
		case 's':
			c->size = optarg;
			if (parse_size(optarg, &c->o.size) || c->o.size == 0) {
				usage_error("rootfs", "bad --size '%s' (e.g. 256M, 1G)", optarg);
				goto out;
			}
			break;
		case 'b':
			if (!*optarg) {
				usage_error("rootfs", "--busybox needs a path");
				goto out;
			}
			c->o.busybox = optarg;
			break;
		case 'a': {
			struct rootfs_add a;
			sbuf_reset(&why);
			if (rootfs_parse_add(optarg, &a, &why)) {
				usage_error("rootfs", "%s", why.buf);
				goto out;
			}
			c->adds = xrealloc(c->adds, (c->n_adds + 1) * sizeof(*c->adds));
			c->adds[c->n_adds++] = a;
			break;
		}
		case 'i':
			if (!*optarg) {
				usage_error("rootfs", "--init-cmd needs a command");
				goto out;
			}
			c->cmds = xrealloc(c->cmds, (c->n_cmds + 1) * sizeof(*c->cmds));
			c->cmds[c->n_cmds++] = optarg;
			break;
		case 'j':
			if (parse_uint(optarg, 1024, &jobs) || !jobs) {
				usage_error("rootfs", "bad --jobs '%s'", optarg);
				goto out;
			}
			c->o.jobs = (int)jobs;
			break;
		case 'F':
			c->o.force = true;
			c->o.replace = true;
			break;
		case 'h':
			ret = print_help(help);
			goto out;
		case ':':
			usage_error("rootfs", "option '%s' needs a value", argv[optind - 1]);
			goto out;
		default:
			if (optopt)
				usage_error("rootfs", "unknown option '-%c'", optopt);
			else
				usage_error("rootfs", "unknown option '%s'", argv[optind - 1]);
			goto out;
		}
	}
	if (optind < argc) {
		usage_error("rootfs", "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (c->compress && c->o.format != ROOTFS_INITRAMFS) {
		usage_error("rootfs", "--compress applies to --format initramfs only");
		goto out;
	}
	if (c->size && c->o.format != ROOTFS_EXT3 && c->o.format != ROOTFS_EXT4) {
		usage_error("rootfs", "--size applies to --format ext3 and ext4 only");
		goto out;
	}
	ret = -1;
out:
	sbuf_release(&why);
	return ret;
}

/* "wrote 'rootfs.cpio.gz' (initramfs, gzip, 420 entries, 1.2 MiB)" or "up to date". */
static void report(const struct rootfs_opts *o, const struct rootfs_result *res)
{
	if (res->up_to_date) {
		note("'%s' is up to date", o->output);
		return;
	}
	char size[32] = "";
	if (o->format != ROOTFS_DIR)
		human(res->bytes, size, sizeof(size));
	note("wrote '%s' (%s%s%s, %zu entries%s%s)", o->output,
	     rootfs_format_name(o->format),
	     o->format == ROOTFS_INITRAMFS ? ", " : "",
	     o->format == ROOTFS_INITRAMFS ?
		(o->compress == ROOTFS_GZIP ? "gzip" :
		 o->compress == ROOTFS_ZSTD ? "zstd" : "uncompressed") : "",
	     res->entries, *size ? ", " : "", size);
}

int cmd_rootfs(int argc, char **argv)
{
	struct rootfs_cmd c = { 0 };
	struct rootfs_result res = { 0 };
	struct sbuf why = SBUF_INIT;
	int ret = parse_options(argc, argv, &c);

	if (ret >= 0)
		goto out;
	if (!c.o.output)
		c.o.output = rootfs_default_output(c.o.format, c.o.compress);
	c.o.adds = c.adds;
	c.o.n_adds = c.n_adds;
	c.o.init_cmds = c.cmds;
	c.o.n_init_cmds = c.n_cmds;
	c.o.progress = show_progress;
	c.o.result = &res;

	sbuf_reset(&why);
	int r = rootfs_build(&c.o, &why);
	if (r) {
		if (r == -EINTR)
			error("interrupted");
		else
			error("%s", why.len ? why.buf : strerror(-r));
		ret = r == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
		goto out;
	}
	report(&c.o, &res);
	ret = EXIT_OK;
out:
	for (size_t i = 0; i < c.n_adds; i++)
		rootfs_add_release(&c.adds[i]);
	free(c.adds);
	free(c.cmds);
	sbuf_release(&why);
	return ret;
}
