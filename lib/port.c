// SPDX-License-Identifier: GPL-2.0
#include "port.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int port_is_free(int port)
{
	struct sockaddr_in sa;
	int fd, one = 1, r = 1;

	if (port <= 0 || port > 65535)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* Like QEMU's listener: a connection in TIME_WAIT does not make the port busy. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0)
		r = errno == EADDRINUSE ? 0 : -errno;
	close(fd);
	return r;
}

int port_find_free(int start, int *port)
{
	if (start <= 0 || start > 65535)
		return -EINVAL;
	for (int p = start; p <= 65535; p++) {
		int r = port_is_free(p);
		if (r == 1) {
			*port = p;
			return 0;
		}
		if (r < 0 && r != -EACCES)
			return r;
	}
	return -EADDRNOTAVAIL;
}
