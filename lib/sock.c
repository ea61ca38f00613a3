// SPDX-License-Identifier: GPL-2.0
#include "sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int sock_listen_loopback(int port, int *fd)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int s, one = 1, r;

	if (port <= 0 || port > 65535)
		return -EINVAL;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 1) < 0) {
		r = -errno;
		close(s);
		return r;
	}
	*fd = s;
	return 0;
}

int sock_listen_loopback_from(int start, int count, int *port, int *fd)
{
	for (int p = start; p < start + count && p <= 65535; p++) {
		int r = sock_listen_loopback(p, fd);
		if (r == 0) {
			*port = p;
			return 0;
		}
		if (r != -EADDRINUSE)
			return r;
	}
	return -EADDRINUSE;
}

int sock_listen_unix(const char *path, int *fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s, r;
	mode_t old;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	old = umask(0177);	/* socket file 0600 */
	r = bind(s, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(s, 4) < 0) {
		r = -errno;
		close(s);
		return r;
	}
	*fd = s;
	return 0;
}
