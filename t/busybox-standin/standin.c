// SPDX-License-Identifier: GPL-2.0
/*
 * NOT BusyBox: a stand-in multi-call binary for kdebug's tests.  It answers
 * --list-full like BusyBox and runs a few shell-less applets (echo, true,
 * standin-tool, init), chosen by the name it is called by.
 */
#include <stdio.h>
#include <string.h>

static const char *const applets[] = {
	"bin/echo", "bin/true", "sbin/init",
#ifdef NO_USR
	"bin/standin-tool",
#else
	"usr/bin/standin-tool",
#endif
};

int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/');

	name = name ? name + 1 : argv[0];
	if (!strcmp(name, "busybox")) {
		if (argc > 1 && !strcmp(argv[1], "--list-full")) {
			for (size_t i = 0; i < sizeof(applets) / sizeof(applets[0]); i++)
				puts(applets[i]);
			return 0;
		}
		if (argc < 2) {
			puts("kdebug BusyBox stand-in (not BusyBox)");
			return 0;
		}
		name = argv[1];
		argv++;
		argc--;
	}
	if (!strcmp(name, "echo")) {
		for (int i = 1; i < argc; i++)
			printf("%s%s", argv[i], i + 1 < argc ? " " : "");
		putchar('\n');
		return 0;
	}
	if (!strcmp(name, "true"))
		return 0;
	if (!strcmp(name, "standin-tool") || !strcmp(name, "init")) {
		printf("stand-in %s\n", name);
		return 0;
	}
	fprintf(stderr, "%s: applet not found\n", name);
	return 127;
}
