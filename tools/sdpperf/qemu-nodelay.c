// SPDX-License-Identifier: GPL-2.0
/*
 * qemu-nodelay.so: LD_PRELOAD for the host's QEMU in two-guest benchmarks.
 *
 * Two guests are joined by QEMU's "-netdev socket" over a TCP connection on
 * 127.0.0.1, and QEMU 7.2 leaves Nagle on for it. Each guest packet is one
 * write on that connection, so a second packet in the same direction
 * before the first is acknowledged waits for the host's delayed ACK (40 ms
 * or more): every exchange of more than one packet per direction (a 4 KiB
 * TCP message, any RDMA send with its ACK) then takes ~45 ms instead of
 * ~1 ms. This sets TCP_NODELAY on every TCP socket QEMU connects or
 * accepts. scripts/bench.sh uses it for its two-guest run.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static void nodelay(int fd)
{
	int one = 1, type = 0;
	struct sockaddr_storage ss;
	socklen_t l = sizeof(type), sl = sizeof(ss);

	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) || type != SOCK_STREAM)
		return;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
		return;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int connect(int fd, const struct sockaddr *a, socklen_t l)
{
	static int (*real)(int, const struct sockaddr *, socklen_t);
	int r, e;

	if (!real)
		real = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "connect");
	r = real(fd, a, l);
	e = errno;
	if (r == 0 || e == EINPROGRESS)
		nodelay(fd);
	errno = e;
	return r;
}

int accept(int fd, struct sockaddr *a, socklen_t *l)
{
	static int (*real)(int, struct sockaddr *, socklen_t *);
	int r, e;

	if (!real)
		real = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "accept");
	r = real(fd, a, l);
	e = errno;
	nodelay(r);
	errno = e;
	return r;
}

int accept4(int fd, struct sockaddr *a, socklen_t *l, int flags)
{
	static int (*real)(int, struct sockaddr *, socklen_t *, int);
	int r, e;

	if (!real)
		real = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
	r = real(fd, a, l, flags);
	e = errno;
	nodelay(r);
	errno = e;
	return r;
}
