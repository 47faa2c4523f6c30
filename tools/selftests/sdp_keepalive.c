// SPDX-License-Identifier: GPL-2.0
/*
 * Two guests (SDP_ROLE=server|client): SO_KEEPALIVE detects a dead peer.
 * The client connects, says hello and takes its link down (the peer
 * "dies" without a word); the server, with TCP_KEEPIDLE 2 s, KEEPINTVL 1 s
 * and KEEPCNT 3, must see ETIMEDOUT (or ECONNRESET) within seconds, and
 * KeepaliveProbes must have moved. Then the client brings its link back
 * and both check that a new SDP connection works. With one guest
 * (SDP_ROLE=single or unset) there is no peer to kill: the test is skipped.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <linux/sdp.h>

#define PORT 7491

static int nfail, ntest;

static void report(int ok, const char *name, const char *why)
{
	ntest++;
	if (!ok)
		nfail++;
	printf("%s %d - %s%s%s\n", ok ? "ok" : "not ok", ntest, name,
	       why ? " # " : "", why ? why : "");
	fflush(stdout);
}

static long long stat_value(const char *name)
{
	char line[256];
	long long v = -1;
	FILE *f = fopen("/proc/net/sdp_stats", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(name);

		if (!strncmp(line, name, n) && line[n] == ' ')
			v = atoll(line + n + 1);
	}
	fclose(f);
	return v;
}

static int family(void)
{
	const char *f = getenv("SDP_FAMILY");

	return f ? atoi(f) : AF_SDP;
}

static int set_int(int fd, int level, int opt, int val)
{
	return setsockopt(fd, level, opt, &val, sizeof(val));
}

static int serve_one(const char *addr, int *lsp)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(PORT) };
	int one = 1;

	if (*lsp < 0) {
		*lsp = socket(family(), SOCK_STREAM, 0);
		setsockopt(*lsp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		inet_pton(AF_INET, addr, &sa.sin_addr);
		if (bind(*lsp, (void *)&sa, sizeof(sa)) || listen(*lsp, 4))
			return -1;
	}
	struct pollfd p = { *lsp, POLLIN, 0 };

	if (poll(&p, 1, 120000) != 1)
		return -1;
	return accept(*lsp, NULL, NULL);
}

static int connect_retry(const char *peer, int seconds)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(PORT) };
	int i, fd;

	inet_pton(AF_INET, peer, &sa.sin_addr);
	for (i = 0; i < seconds; i++) {
		fd = socket(family(), SOCK_STREAM, 0);
		if (fd >= 0 && !connect(fd, (void *)&sa, sizeof(sa)))
			return fd;
		close(fd);
		sleep(1);
	}
	return -1;
}

static void links(const char *how)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd),
		 "for d in /sys/class/net/eth*; do /usr/sbin/ip link set $(basename $d) %s; done",
		 how);
	if (system(cmd))
		fprintf(stderr, "# '%s' failed\n", cmd);
}

static int server(const char *addr)
{
	long long probes0 = stat_value("KeepaliveProbes");
	int ls = -1, fd, err;
	struct pollfd p;
	time_t t0;
	ssize_t n;
	char c;

	fd = serve_one(addr, &ls);
	report(fd >= 0, "server accepts the client", NULL);
	if (fd < 0)
		return 1;
	report(!set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1) &&
	       !set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, 2) &&
	       !set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, 1) &&
	       !set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, 3),
	       "keepalive options set", NULL);
	report(read(fd, &c, 1) == 1 && c == 'h', "hello from the client", NULL);
	t0 = time(NULL);
	p.fd = fd;
	p.events = POLLIN;
	p.revents = 0;
	poll(&p, 1, 60000);
	n = recv(fd, &c, 1, MSG_DONTWAIT);
	err = errno;
	printf("# dead peer seen after %lds: revents 0x%x, recv %zd (%s)\n",
	       (long)(time(NULL) - t0), p.revents, n,
	       n < 0 ? strerror(err) : "-");
	report((p.revents & POLLERR) && n < 0 &&
	       (err == ETIMEDOUT || err == ECONNRESET) &&
	       time(NULL) - t0 < 30,
	       "dead peer detected within 30 s (ETIMEDOUT/ECONNRESET)", NULL);
	report(stat_value("KeepaliveProbes") > probes0,
	       "KeepaliveProbes counter moved", NULL);
	close(fd);
	fd = serve_one(addr, &ls);
	report(fd >= 0 && read(fd, &c, 1) == 1 && c == 'a',
	       "a new connection works once the peer is back", NULL);
	if (fd >= 0)
		close(fd);
	close(ls);
	return nfail != 0;
}

static int client(const char *peer)
{
	int fd = connect_retry(peer, 120);
	char c;

	report(fd >= 0, "client connects", NULL);
	if (fd < 0)
		return 1;
	report(write(fd, "h", 1) == 1, "client says hello", NULL);
	sleep(1);
	links("down");
	sleep(15);
	links("up");
	close(fd);	/* its own side is long reset or will be */
	sleep(3);
	fd = connect_retry(peer, 60);
	report(fd >= 0 && write(fd, "a", 1) == 1,
	       "client connects again after the link is back", NULL);
	if (fd >= 0) {
		/* wait for the server to close: it has read the byte */
		while (read(fd, &c, 1) > 0)
			;
		close(fd);
	}
	return nfail != 0;
}

int main(void)
{
	const char *role = getenv("SDP_ROLE");
	const char *addr = getenv("SDP_ADDR");
	const char *peer = getenv("SDP_PEER");

	printf("TAP version 13\n");
	if (!role || !addr || !peer || (strcmp(role, "server") &&
					strcmp(role, "client"))) {
		printf("1..1\nok 1 - keepalive # SKIP needs two guests (SDP_ROLE server/client)\n");
		return 0;
	}
	if (!strcmp(role, "server"))
		server(addr);
	else
		client(peer);
	printf("1..%d\n", ntest);
	return nfail != 0;
}
