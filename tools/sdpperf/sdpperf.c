// SPDX-License-Identifier: GPL-2.0
/*
 * sdpperf: stream socket benchmark for AF_SDP and AF_INET (TCP), with the
 * same code for both families.
 *
 *   sdpperf -s [-p PORT] [-1]                 server (serves both families)
 *   sdpperf -c ADDR [-p PORT] -f sdp|tcp -t TEST[,TEST...] [options]
 *
 * Tests:
 *   bw         stream bandwidth, one connection, for each size of -m
 *              (default 64,256,1k,4k,16k,64k,256k,1m), -d seconds each
 *   lat        request/response round trip (size bytes each way), for each
 *              size of -m (default 1,4k): mean, p50, p99 in usec
 *   crr        connect + 1-byte request/response + close, per second
 *   mconn      -n connections (default 4) in parallel, aggregate bandwidth
 *              at -m (default 64k)
 *   mem        memory per connection: -n (default 64) idle connections,
 *              MemFree and Slab of /proc/meminfo before and after, on both
 *              machines (one delta when client and server share a kernel);
 *              per connection = max(MemFree drop, Slab growth) / n
 *   maxconn    concurrent connections: opens connections one after the other
 *              (connect, accept, one byte echoed on each) and keeps them all
 *              until a socket/connect/accept/echo fails, -n (default 4096)
 *              is reached, MemAvailable falls below -F MiB (default 64; 0
 *              = off: the kernel fails or the OOM killer strikes) or 300 s
 *              pass; every call is bounded (20 s client, 60 s server).
 *              Reports the count, what stopped it (errno name, "cap",
 *              "memfloor", "time"), MemAvailable at the start and at the
 *              peak; then closes everything and checks that the machine
 *              recovers (MemAvailable, and a new connection within 60 s)
 *   seqpacket  messages/s over SOCK_SEQPACKET (one-to-many) at -m
 *              (default 64,1k) with -n associations (default 1) to one
 *              server socket: -n client sockets of one association each,
 *              sending round-robin (MSG_DONTWAIT: a full one is skipped);
 *              the server checks MSG_EOR and the size of each message and
 *              counts the association ids of the SDP_SNDRCV cmsgs. Also
 *              memory per association, as mem, once all are up and idle.
 *              For -f tcp it is SCTP (AF_INET, SOCK_SEQPACKET,
 *              IPPROTO_SCTP); "n/a" when the family refuses it
 *   echo       send -b bytes (default 16m) of a pattern, the server echoes
 *              them, the client checks them; prints the connection, its
 *              /proc/net/sdp line while connected and the timing
 *   sync       only wait (-w, default 120 s) until a server answers: a
 *              barrier between two machines; the server prints -T TAG
 *   quit       stop the server
 *
 * A control connection (always TCP, port -p, default 5301) carries the
 * request, the server's readiness and its measurements (CPU time from
 * getrusage, /proc/stat busy time, /proc/meminfo); the data connections use
 * the requested family on a port the server picks.
 *
 * -Z BYTES sets SDP_ZCOPY_THRESH (SOL_SDP) on the client's SDP data sockets
 * (bw, mconn, lat, echo; 0 = bcopy only): sends of at least BYTES go by
 * zero copy (read or write mode: net.sdp.zcopy_mode). bw and mconn report
 * the socket's threshold ("zcopy_thresh", -1 for TCP; "zcopy_opt": -Z, -1
 * if not given), the client machine's net.sdp.zcopy_mode ("zcopy_mode")
 * and the deltas of its /proc/net/sdp_stats over the test (ZcopyTxBytes,
 * ZcopyRxBytes, ZcopyFallbacks, BcopyTxBytes, ZcopyRxDirectBytes,
 * ZcopyTxWriteBytes), which show whether zero copy was used. The bw and
 * mconn server reads a whole message per recv (at least 256 KiB), so a
 * message of at least the server's threshold (the sysctl) is read by RDMA
 * READ straight into its buffer (ZcopyRxDirectBytes; in one guest the
 * client's counters are the server's too).
 *
 * Output (-o human|json|both, default human): one line per result; JSON
 * lines are single objects starting with '{'.
 *
 * Bandwidth is in MiB/s (2^20 bytes per second, as perftest's "MB/sec").
 * CPU per byte: ns of CPU time per byte moved, of the client and server
 * processes (getrusage user+sys) and of the whole machine(s) (non-idle time
 * in /proc/stat, which includes softirq and kernel threads, e.g. rxe's).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/sdp.h>

#define DEF_PORT	5301
#define RECV_BUF	(256 * 1024)
#define MAX_SIZES	32
#define MAX_CONN	4096
#define MC_MAX		65536	/* maxconn: largest -n */
#define MC_DEF		4096	/* maxconn: default cap */
#define MC_FILL_S	300	/* maxconn: time to open them, at most */
#define MC_CALL_MS	20000	/* maxconn: one connect or echo, client */
#define MC_SRV_MS	60000	/* maxconn: one accept or echo, server */
#define MC_RECOVER_S	60	/* maxconn: a new connection after closing */
#define LINE		1024
#define SP_UP_S		30	/* seqpacket: at most this long without a new association */

/*
 * SCTP's one-to-many names (RFC 6458, linux/sctp.h), here because the host
 * may lack netinet/sctp.h: the SCTP_EVENTS option and the SCTP_SNDRCV cmsg.
 */
#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP	132
#endif
#define SP_SOL_SCTP	132
#define SP_SCTP_EVENTS	11	/* struct sctp_event_subscribe; byte 0: data_io */
#define SP_SCTP_SNDRCV	1	/* cmsg type: struct sp_sctp_sndrcvinfo */

struct sp_sctp_sndrcvinfo {
	uint16_t sinfo_stream;
	uint16_t sinfo_ssn;
	uint16_t sinfo_flags;
	uint32_t sinfo_ppid;
	uint32_t sinfo_context;
	uint32_t sinfo_timetolive;
	uint32_t sinfo_tsn;
	uint32_t sinfo_cumtsn;
	int32_t sinfo_assoc_id;
};

enum out_mode { OUT_HUMAN = 1, OUT_JSON = 2, OUT_BOTH = 3 };

static struct {
	bool server;
	bool once;
	const char *addr;
	int port;
	int family;		/* AF_INET or AF_SDP */
	const char *fam_name;
	const char *tests;
	double dur;
	size_t sizes[MAX_SIZES];
	int nsizes;
	int nconn;
	long long echo_bytes;
	int out;
	bool quiet;
	double wait;		/* seconds to retry the control connection */
	const char *tag;	/* sync: a word for the server to print */
	long long floor_mib;	/* maxconn: stop below this MemAvailable */
	long long zcopy;	/* -Z: SDP_ZCOPY_THRESH of SDP data sockets, -1 = leave */
} opt = {
	.port = DEF_PORT,
	.family = AF_SDP,
	.fam_name = "sdp",
	.tests = "bw",
	.dur = 3.0,
	.nconn = 0,
	.echo_bytes = 16LL << 20,
	.out = OUT_HUMAN,
	.wait = -1,
	.floor_mib = 64,
	.zcopy = -1,
};

/* ------------------------------------------------------------------ */
/* helpers */

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "sdpperf: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_self_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* non-idle and total seconds of all CPUs, from /proc/stat */
static void sys_cpu(double *busy, double *total)
{
	unsigned long long v[10] = { 0 };
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "r");
	unsigned long long sum = 0;
	int i;

	*busy = *total = 0;
	if (!f)
		return;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
		   &v[8], &v[9]) >= 4) {
		/* guest and guest_nice are already in user and nice */
		for (i = 0; i < 8; i++)
			sum += v[i];
		*total = (double)sum / hz;
		*busy = (double)(sum - v[3] - v[4]) / hz;
	}
	fclose(f);
}

/* MemFree and Slab of /proc/meminfo, KiB */
static void meminfo(long long *free_kb, long long *slab_kb)
{
	char line[256];
	FILE *f = fopen("/proc/meminfo", "r");

	*free_kb = *slab_kb = -1;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "MemFree: %lld", free_kb);
		sscanf(line, "Slab: %lld", slab_kb);
	}
	fclose(f);
}

/*
 * MemAvailable and MemFree of /proc/meminfo, KiB. The file stays open: at
 * the maxconn peak no descriptor may be left to open it.
 */
static void memavail(long long *avail_kb, long long *free_kb)
{
	static int fd = -1;
	char buf[8192], *p;
	ssize_t n;

	*avail_kb = *free_kb = -1;
	if (fd < 0)
		fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return;
	buf[n] = 0;
	p = strstr(buf, "MemAvailable:");
	if (p)
		sscanf(p, "MemAvailable: %lld", avail_kb);
	p = strstr(buf, "MemFree:");
	if (p)
		sscanf(p, "MemFree: %lld", free_kb);
}

/* the kernel's count of OOM kills (/proc/vmstat oom_kill), -1 if none */
static long long oom_kills(void)
{
	char line[128];
	long long n = -1;
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "oom_kill %lld", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* RLIMIT_NOFILE up to want (root may raise the hard limit too); the result */
static long long raise_nofile(long long want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	if (rl.rlim_cur == RLIM_INFINITY || (long long)rl.rlim_cur >= want)
		return (long long)rl.rlim_cur;
	{
		struct rlimit n = {
			.rlim_cur = (rlim_t)want,
			.rlim_max = rl.rlim_max != RLIM_INFINITY &&
				    (long long)rl.rlim_max < want ? (rlim_t)want : rl.rlim_max,
		};

		if (setrlimit(RLIMIT_NOFILE, &n) < 0) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	return (long long)rl.rlim_cur;
}

static const char *errname(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

/*
 * Wait (at most 5 s) until MemFree stops moving: connections of an earlier
 * test are torn down asynchronously (rdma_cm, RCU) and would be counted.
 */
static void mem_settle(void)
{
	long long f0, s0, f1, s1;
	int i, calm = 0;

	meminfo(&f0, &s0);
	for (i = 0; i < 20 && calm < 2; i++) {
		usleep(250000);
		meminfo(&f1, &s1);
		calm = llabs(f1 - f0) < 128 ? calm + 1 : 0;
		f0 = f1;
	}
}

/* an integer sysctl of net.sdp now, -1 if not there */
static int sdp_sysctl(const char *name)
{
	char path[96];
	FILE *f;
	int v = -1;

	snprintf(path, sizeof(path), "/proc/sys/net/sdp/%s", name);
	f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* the zero-copy and bcopy counters of /proc/net/sdp_stats (-1: not there) */
struct zc_stats {
	long long ztx, zrx, zfb, btx, zrd, zwr;
};

static void zc_stats(struct zc_stats *z)
{
	char line[128];
	FILE *f = fopen("/proc/net/sdp_stats", "r");

	z->ztx = z->zrx = z->zfb = z->btx = z->zrd = z->zwr = -1;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "ZcopyTxBytes %lld", &z->ztx);
		sscanf(line, "ZcopyRxBytes %lld", &z->zrx);
		sscanf(line, "ZcopyRxDirectBytes %lld", &z->zrd);
		sscanf(line, "ZcopyTxWriteBytes %lld", &z->zwr);
		sscanf(line, "ZcopyFallbacks %lld", &z->zfb);
		sscanf(line, "BcopyTxBytes %lld", &z->btx);
	}
	fclose(f);
}

static long long zc_delta(long long a, long long b)
{
	return a < 0 || b < 0 ? -1 : b - a;
}

/* the socket's SDP_ZCOPY_THRESH, -1 for TCP or when it cannot be read */
static int zcopy_thresh_of(int fd)
{
	int v = -1;
	socklen_t l = sizeof(v);

	if (opt.family == AF_INET ||
	    getsockopt(fd, SOL_SDP, SDP_ZCOPY_THRESH, &v, &l) < 0)
		return -1;
	return v;
}

static void boot_id(char *buf, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

	snprintf(buf, len, "unknown");
	if (f) {
		if (fgets(buf, len, f))
			buf[strcspn(buf, "\n")] = 0;
		fclose(f);
	}
}

static int parse_family(const char *s, const char **name)
{
	if (!strcmp(s, "sdp")) {
		const char *e = getenv("SDP_FAMILY");

		*name = "sdp";
		return e ? atoi(e) : AF_SDP;
	}
	if (!strcmp(s, "tcp")) {
		*name = "tcp";
		return AF_INET;
	}
	return -1;
}

static long long parse_size(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	switch (*end) {
	case 'k': case 'K': v *= 1024; break;
	case 'm': case 'M': v *= 1024 * 1024; break;
	case 'g': case 'G': v *= 1024.0 * 1024 * 1024; break;
	case 0: break;
	default: die("bad size %s", s);
	}
	return (long long)v;
}

static void parse_sizes(const char *s)
{
	char *dup = strdup(s), *tok, *save = NULL;

	opt.nsizes = 0;
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (opt.nsizes == MAX_SIZES)
			die("too many sizes");
		opt.sizes[opt.nsizes++] = parse_size(tok);
	}
	free(dup);
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/* 1 = full, 0 = EOF before any byte, -1 = error or short */
static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = recv(fd, p + got, len - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return got ? -1 : 0;
		got += n;
	}
	return 1;
}

/* control lines: "WORD key=value ...\n" */
static int ctl_send(int fd, const char *fmt, ...)
{
	char buf[LINE];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	buf[n++] = '\n';
	return write_all(fd, buf, n);
}

/* read one line (byte at a time: the control connection is not hot) */
static int ctl_recv(int fd, char *buf, size_t len, int timeout_ms)
{
	size_t n = 0;

	while (n < len - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, timeout_ms);
		ssize_t k;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		k = read(fd, buf + n, 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = 0;
	return (int)n;
}

/* value of key=... in a control line */
static bool kv(const char *line, const char *key, char *val, size_t len)
{
	size_t kl = strlen(key);
	const char *p = line;

	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ') && p[kl] == '=') {
			/* "reason" is last and runs to the end of the line */
			bool rest = !strcmp(key, "reason");
			size_t i = 0;

			p += kl + 1;
			while (p[i] && (rest || p[i] != ' ') && i < len - 1) {
				val[i] = p[i];
				i++;
			}
			val[i] = 0;
			return true;
		}
		p += kl;
	}
	return false;
}

static double kv_d(const char *line, const char *key)
{
	char v[64];

	return kv(line, key, v, sizeof(v)) ? atof(v) : 0;
}

static long long kv_ll(const char *line, const char *key)
{
	char v[64];

	return kv(line, key, v, sizeof(v)) ? atoll(v) : 0;
}

static void set_nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static struct sockaddr_in mkaddr(const char *host, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	if (!host)
		a.sin_addr.s_addr = htonl(INADDR_ANY);
	else if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		die("%s: not an IPv4 address", host);
	return a;
}

/* what failed in the last data_connect: "socket", "setsockopt" or "connect" */
static const char *dc_stage = "connect";

static int data_connect(int family, const struct sockaddr_in *a, int *err)
{
	int fd = socket(family, SOCK_STREAM, 0);

	dc_stage = "socket";
	if (fd < 0) {
		*err = errno;
		return -1;
	}
	/* -Z: the threshold of the SDP data sockets (not of control's TCP) */
	if (family != AF_INET && opt.zcopy >= 0) {
		int v = (int)opt.zcopy;

		dc_stage = "setsockopt SDP_ZCOPY_THRESH";
		if (setsockopt(fd, SOL_SDP, SDP_ZCOPY_THRESH, &v, sizeof(v)) < 0) {
			*err = errno;
			close(fd);
			return -1;
		}
	}
	dc_stage = "connect";
	if (connect(fd, (const struct sockaddr *)a, sizeof(*a)) < 0) {
		*err = errno;
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Wait at most ms for ev on fd, and for a line on the control connection
 * cfd (-1: none). 1 fd ready (it goes first), 0 timeout, -1 cfd readable,
 * -2 poll failed.
 */
static int wait_fd(int fd, short ev, int cfd, int ms)
{
	struct pollfd p[2] = {
		{ .fd = fd, .events = ev },
		{ .fd = cfd, .events = POLLIN },
	};
	double until = now_s() + ms / 1e3;

	for (;;) {
		int left = (int)((until - now_s()) * 1e3), r;

		r = poll(p, cfd >= 0 ? 2 : 1, left > 0 ? left : 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -2;
		if (r == 0)
			return 0;
		if (p[0].revents)
			return 1;
		if (cfd >= 0 && p[1].revents)
			return -1;
	}
}

/* ------------------------------------------------------------------ */
/* output */

struct result {
	char json[2048];
	char human[1024];
};

static void emit(struct result *r)
{
	if (opt.out & OUT_HUMAN)
		printf("%s\n", r->human);
	if (opt.out & OUT_JSON)
		printf("%s\n", r->json);
	fflush(stdout);
}

/* seqpacket records carry their association count, n/a and errors too */
static int sp_assocs;

static const char *emit_assocs(const char *test)
{
	static char b[32];

	if (strcmp(test, "seqpacket"))
		return "";
	snprintf(b, sizeof(b), "\"assocs\":%d,", sp_assocs);
	return b;
}

static void emit_na(const char *test, size_t size, const char *why)
{
	struct result r;

	snprintf(r.json, sizeof(r.json),
		 "{\"tool\":\"sdpperf\",\"family\":\"%s\",\"test\":\"%s\",\"size\":%zu,%s\"status\":\"n/a\",\"reason\":\"%s\"}",
		 opt.fam_name, test, size, emit_assocs(test), why);
	snprintf(r.human, sizeof(r.human), "%-4s %-9s size %-8zu n/a (%s)",
		 opt.fam_name, test, size, why);
	emit(&r);
}

static void emit_error(const char *test, size_t size, const char *why)
{
	struct result r;

	snprintf(r.json, sizeof(r.json),
		 "{\"tool\":\"sdpperf\",\"family\":\"%s\",\"test\":\"%s\",\"size\":%zu,%s\"status\":\"error\",\"reason\":\"%s\"}",
		 opt.fam_name, test, size, emit_assocs(test), why);
	snprintf(r.human, sizeof(r.human), "%-4s %-9s size %-8zu ERROR: %s",
		 opt.fam_name, test, size, why);
	emit(&r);
}

/* ------------------------------------------------------------------ */
/* server */

struct srv_conn {
	int fd;
	size_t size;
	size_t rsize;	/* sink: bytes per recv */
	long long bytes;
	pthread_t th;
};

static void *srv_sink(void *arg)
{
	struct srv_conn *c = arg;
	size_t sz = c->rsize > RECV_BUF ? c->rsize : RECV_BUF;
	char *buf = malloc(sz);
	ssize_t n;

	for (;;) {
		n = recv(c->fd, buf, sz, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		c->bytes += n;
	}
	free(buf);
	return NULL;
}

static void *srv_echo(void *arg)
{
	struct srv_conn *c = arg;
	size_t sz = c->size ? c->size : RECV_BUF;
	char *buf = malloc(sz);
	int r;

	if (c->size) {
		/* request/response: exactly size bytes each way */
		while ((r = read_all(c->fd, buf, sz)) == 1) {
			if (write_all(c->fd, buf, sz) < 0)
				break;
			c->bytes += sz;
		}
	} else {
		/* stream echo */
		for (;;) {
			ssize_t n = recv(c->fd, buf, sz, 0);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			if (write_all(c->fd, buf, n) < 0)
				break;
			c->bytes += n;
		}
		shutdown(c->fd, SHUT_WR);
	}
	free(buf);
	return NULL;
}

/* accept with the control connection watched: -1 and *ctl_closed if it goes */
static int accept_or_ctl(int lfd, int cfd, bool *ctl_event)
{
	struct pollfd p[2] = {
		{ .fd = lfd, .events = POLLIN },
		{ .fd = cfd, .events = POLLIN },
	};

	*ctl_event = false;
	for (;;) {
		int r = poll(p, 2, -1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (p[1].revents) {
			*ctl_event = true;
			return -1;
		}
		if (p[0].revents) {
			int fd = accept(lfd, NULL, NULL);

			if (fd < 0 && errno == EINTR)
				continue;
			return fd;
		}
	}
}

static void srv_result(int cfd, double cpu0, double busy0, double total0,
		       const char *extra)
{
	double busy, total;

	sys_cpu(&busy, &total);
	ctl_send(cfd, "RESULT cpu=%.6f busy=%.3f total=%.3f %s",
		 cpu_self_s() - cpu0, busy - busy0, total - total0,
		 extra ? extra : "");
}

/*
 * maxconn, server side, in lockstep with the client: accept one, echo its
 * byte, keep it; stop at nconn, on a failure (told to the client: "FAIL
 * at=CALL err=NAME") or when the client says STOP. Then PEAK (our
 * MemAvailable), CLOSE (close them all), echo new connections until DONE,
 * AFTER. Every wait is bounded. floor_kb: our own MemAvailable floor.
 */
static void serve_maxconn(int lfd, int cfd, int nconn, long long floor_kb)
{
	int *fds = calloc(nconn, sizeof(int)), n = 0, r, fd, rec = 0;
	char line[LINE], fail[128] = "";
	bool peak = false;
	long long avail, mfree;
	ssize_t k;
	char c;

	if (!fds)
		return;
	while (n < nconn) {
		if (floor_kb > 0) {
			memavail(&avail, &mfree);
			if (avail >= 0 && avail < floor_kb) {
				snprintf(fail, sizeof(fail), "at=memfloor err=memfloor");
				break;
			}
		}
		r = wait_fd(lfd, POLLIN, cfd, MC_SRV_MS);
		if (r == -1) {
			/* STOP (or the client is gone) */
			if (ctl_recv(cfd, line, sizeof(line), 10000) < 0)
				goto out;
			peak = !strncmp(line, "PEAK", 4);
			break;
		}
		if (r <= 0) {
			snprintf(fail, sizeof(fail), "at=accept err=%s",
				 r == 0 ? "timeout" : errname(errno));
			break;
		}
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED)
				continue;
			snprintf(fail, sizeof(fail), "at=accept err=%s", errname(errno));
			break;
		}
		r = wait_fd(fd, POLLIN, cfd, MC_SRV_MS);
		if (r == 1) {
			k = recv(fd, &c, 1, 0);
			if (k == 1 && send(fd, &c, 1, MSG_NOSIGNAL) == 1) {
				fds[n++] = fd;
				continue;
			}
			snprintf(fail, sizeof(fail), "at=server-echo err=%s",
				 k == 0 ? "EOF" : errname(errno));
		} else if (r == 0 || r == -2) {
			snprintf(fail, sizeof(fail), "at=server-echo err=%s",
				 r == 0 ? "timeout" : errname(errno));
		}
		close(fd);
		if (r == -1) {
			if (ctl_recv(cfd, line, sizeof(line), 10000) < 0)
				goto out;
			peak = !strncmp(line, "PEAK", 4);
		}
		break;
	}
	if (fail[0])
		ctl_send(cfd, "FAIL conns=%d %s", n, fail);
	/* PEAK: the client holds all its connections; skip a late STOP */
	while (!peak) {
		if (ctl_recv(cfd, line, sizeof(line), 120000) < 0)
			goto out;
		peak = !strncmp(line, "PEAK", 4);
	}
	memavail(&avail, &mfree);
	ctl_send(cfd, "PEAK conns=%d avail_kb=%lld free_kb=%lld", n, avail, mfree);
	do {
		if (ctl_recv(cfd, line, sizeof(line), 120000) < 0)
			goto out;
	} while (strncmp(line, "CLOSE", 5));
	for (r = 0; r < n; r++)
		close(fds[r]);
	n = 0;
	ctl_send(cfd, "CLOSED");
	/* recovery: echo new connections until DONE */
	for (;;) {
		r = wait_fd(lfd, POLLIN, cfd, 120000);
		if (r != 1)
			break;
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			usleep(100000);
			continue;
		}
		if (wait_fd(fd, POLLIN, -1, MC_SRV_MS) == 1 && recv(fd, &c, 1, 0) == 1 &&
		    send(fd, &c, 1, MSG_NOSIGNAL) == 1)
			rec++;
		close(fd);
	}
	if (r == -1 && ctl_recv(cfd, line, sizeof(line), 10000) >= 0) {
		memavail(&avail, &mfree);
		ctl_send(cfd, "AFTER conns=%d avail_kb=%lld", rec, avail);
	}
out:
	for (r = 0; r < n; r++)
		close(fds[r]);
	free(fds);
}

/*
 * seqpacket, server side. Association ids seen, as a set (open addressing;
 * at most MAX_CONN of them).
 */
#define SP_IDS	(2 * MAX_CONN)

struct sp_ids {
	int32_t v[SP_IDS];
	bool used[SP_IDS];
	int n;
};

/* true if id is new */
static bool sp_ids_add(struct sp_ids *s, int32_t id)
{
	unsigned int h = ((uint32_t)id * 2654435761u) % SP_IDS;

	while (s->used[h]) {
		if (s->v[h] == id)
			return false;
		h = (h + 1) % SP_IDS;
	}
	if (s->n >= SP_IDS / 2)
		return false;
	s->used[h] = true;
	s->v[h] = id;
	s->n++;
	return true;
}

struct sp_count {
	long long msgs, bytes, noeor, badlen, noinfo, notif;
	double last;		/* time of the last message */
	struct sp_ids ids;
};

/*
 * One recvmsg (MSG_DONTWAIT) on the one-to-many socket: counts the message
 * (or notification), checks MSG_EOR and the size, and takes the association
 * id from the SDP_SNDRCV (SCTP_SNDRCV) cmsg. 2 a message of a new
 * association, 1 another message, 0 nothing now, -1 error.
 */
static int sp_recv(int lfd, int family, char *buf, size_t size, struct sp_count *c)
{
	union {
		char b[CMSG_SPACE(sizeof(struct sp_sctp_sndrcvinfo)) +
		       CMSG_SPACE(sizeof(struct sdp_sndrcvinfo)) + 64];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { .iov_base = buf, .iov_len = RECV_BUF };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf.b, .msg_controllen = sizeof(cbuf.b),
	};
	struct cmsghdr *cm;
	bool have = false;
	int32_t id = 0;
	ssize_t n = recvmsg(lfd, &m, MSG_DONTWAIT);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (m.msg_flags & MSG_NOTIFICATION) {
		c->notif++;
		return 1;
	}
	c->msgs++;
	c->bytes += n;
	c->last = now_s();
	if (!(m.msg_flags & MSG_EOR))
		c->noeor++;
	if ((size_t)n != size)
		c->badlen++;
	for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
		if (family == AF_INET && cm->cmsg_level == SP_SOL_SCTP &&
		    cm->cmsg_type == SP_SCTP_SNDRCV &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(struct sp_sctp_sndrcvinfo))) {
			struct sp_sctp_sndrcvinfo si;

			memcpy(&si, CMSG_DATA(cm), sizeof(si));
			id = si.sinfo_assoc_id;
			have = true;
		} else if (family != AF_INET && cm->cmsg_level == SOL_SDP &&
			   cm->cmsg_type == SDP_SNDRCV &&
			   cm->cmsg_len >= CMSG_LEN(sizeof(struct sdp_sndrcvinfo))) {
			struct sdp_sndrcvinfo si;

			memcpy(&si, CMSG_DATA(cm), sizeof(si));
			id = si.sinfo_assoc_id;
			have = true;
		}
	}
	if (!have) {
		c->noinfo++;
		return 1;
	}
	return sp_ids_add(&c->ids, id) ? 2 : 1;
}

/* everything there is now; 1 if a new association was among it, -1 error */
static int sp_drain(int lfd, int family, char *buf, size_t size, struct sp_count *c)
{
	int r, fresh = 0;

	while ((r = sp_recv(lfd, family, buf, size, c)) > 0)
		if (r == 2)
			fresh = 1;
	return r < 0 ? -1 : fresh;
}

/*
 * seqpacket: nconn associations to our one socket lfd. BEFORE (memory),
 * one message from each association (UP when all nconn have been seen, or
 * after SP_UP_S s without a new one), MEASURE (memory again: they are up
 * and idle), GO, count messages until DONE sent=N (the window), and what
 * is still on its way (at most 3 s more: all of them should arrive), RESULT.
 */
static void serve_seqpacket(int lfd, int cfd, int family, int nconn, size_t size)
{
	char *buf = malloc(RECV_BUF), line[LINE], extra[512];
	struct sp_count *up = calloc(1, sizeof(*up)), *c = calloc(1, sizeof(*c));
	struct pollfd p[2] = {
		{ .fd = lfd, .events = POLLIN },
		{ .fd = cfd, .events = POLLIN },
	};
	long long f0, s0, f1, s1, sent, wmsgs;
	double cpu0, busy0, total0, tq, t_go, t_done;
	int r;

	if (!buf || !up || !c)
		goto out;
	if (family == AF_INET) {
		/* SCTP gives its SCTP_SNDRCV cmsg only when asked for */
		unsigned char data_io = 1;

		setsockopt(lfd, SP_SOL_SCTP, SP_SCTP_EVENTS, &data_io, 1);
	}
	/* BEFORE: the client has taken its own figures */
	if (ctl_recv(cfd, line, sizeof(line), 60000) < 0)
		goto out;
	if (strcmp(line, "BEFORE same"))
		mem_settle();
	meminfo(&f0, &s0);
	ctl_send(cfd, "OK");
	tq = now_s();
	while (up->ids.n < nconn && now_s() < tq + SP_UP_S) {
		r = poll(p, 2, 1000);
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0 && p[1].revents)
			break;		/* the client gave up */
		if (r > 0 && (p[0].revents & POLLIN)) {
			r = sp_drain(lfd, family, buf, size, up);
			if (r < 0)
				break;
			if (r)
				tq = now_s();
		}
	}
	ctl_send(cfd, "UP assocs=%d msgs=%lld noeor=%lld badlen=%lld noinfo=%lld",
		 up->ids.n, up->msgs, up->noeor, up->badlen, up->noinfo);
	/* MEASURE: all are up and idle */
	if (ctl_recv(cfd, line, sizeof(line), 120000) < 0 || strncmp(line, "MEASURE", 7))
		goto out;
	meminfo(&f1, &s1);
	ctl_send(cfd, "MEM assocs=%d free_kb=%lld slab_kb=%lld", up->ids.n,
		 f0 - f1, s1 - s0);
	if (ctl_recv(cfd, line, sizeof(line), 60000) < 0 || strncmp(line, "GO", 2))
		goto out;
	cpu0 = cpu_self_s();
	sys_cpu(&busy0, &total0);
	t_go = c->last = now_s();
	for (;;) {
		r = poll(p, 2, -1);
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0 && p[1].revents)
			break;
		if (r > 0 && (p[0].revents & POLLIN) &&
		    sp_drain(lfd, family, buf, size, c) < 0)
			break;
	}
	/* the window: from GO to DONE, while the client sent */
	t_done = now_s();
	wmsgs = c->msgs;
	if (ctl_recv(cfd, line, sizeof(line), 10000) < 0)	/* DONE sent=N */
		goto out;
	sent = kv_ll(line, "sent");
	/*
	 * SCTP can have seconds' worth queued: at most 3 s more (and 1 s
	 * without a message); what is still on its way is not counted
	 */
	tq = now_s();
	while (c->msgs < sent && now_s() < tq + 1 && now_s() < t_done + 3) {
		long long m0 = c->msgs;

		if (poll(p, 1, 100) > 0 && sp_drain(lfd, family, buf, size, c) < 0)
			break;
		if (c->msgs != m0)
			tq = now_s();
	}
	snprintf(extra, sizeof(extra),
		 "msgs=%lld wmsgs=%lld bytes=%lld assocs=%d active=%d noeor=%lld badlen=%lld noinfo=%lld notif=%lld secs=%.6f",
		 c->msgs, wmsgs, c->bytes, up->ids.n, c->ids.n, c->noeor,
		 c->badlen, c->noinfo, up->notif + c->notif, t_done - t_go);
	srv_result(cfd, cpu0, busy0, total0, extra);
out:
	free(buf);
	free(up);
	free(c);
}

/* one test, in a child process; the control connection is cfd */
static void serve_one(int cfd)
{
	char req[LINE], test[32], fam[16], id[64], line[LINE], extra[256];
	const char *fname;
	size_t size;
	int family, nconn, lfd = -1, type, i;
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	double cpu0, busy0, total0, dur;
	struct srv_conn *conns;
	int one = 1;

	if (ctl_recv(cfd, req, sizeof(req), 30000) < 0)
		return;
	if (!strncmp(req, "QUIT", 4)) {
		ctl_send(cfd, "BYE");
		kill(getppid(), SIGTERM);
		return;
	}
	if (!kv(req, "test", test, sizeof(test)) || !kv(req, "fam", fam, sizeof(fam))) {
		ctl_send(cfd, "NA reason=bad-request");
		return;
	}
	if (!strcmp(test, "sync")) {
		/* a barrier: the other side knows we are here; its tag is printed */
		char tag[64];

		if (kv(req, "tag", tag, sizeof(tag))) {
			printf("%s\n", tag);
			fflush(stdout);
		}
		ctl_send(cfd, "SYNC");
		return;
	}
	family = parse_family(fam, &fname);
	size = kv_ll(req, "size");
	nconn = kv_ll(req, "nconn");
	dur = kv_d(req, "dur");
	if (nconn < 1)
		nconn = 1;
	if (nconn > (strcmp(test, "maxconn") ? MAX_CONN : MC_MAX))
		nconn = strcmp(test, "maxconn") ? MAX_CONN : MC_MAX;
	/* watchdog: a client that vanished must not keep us forever */
	alarm(!strcmp(test, "maxconn") ? MC_FILL_S + 600 :
	      (unsigned int)(dur * 3) +
	      (strcmp(test, "mem") && strcmp(test, "echo") &&
	       strcmp(test, "seqpacket") ? 60 : 300));
	if (!strcmp(test, "maxconn"))
		raise_nofile(nconn + 64);

	type = strcmp(test, "seqpacket") ? SOCK_STREAM : SOCK_SEQPACKET;
	/* the one-to-many peer of SDP's SEQPACKET is SCTP's, asked for by name */
	lfd = socket(family, type, type == SOCK_SEQPACKET && family == AF_INET ?
		     IPPROTO_SCTP : 0);
	if (lfd < 0) {
		ctl_send(cfd, "NA reason=socket:%s", strerror(errno));
		return;
	}
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a = mkaddr(NULL, 0);
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		ctl_send(cfd, "NA reason=bind:%s", strerror(errno));
		return;
	}
	/* SEQPACKET: listen lets the peers' associations in (one-to-many) */
	if (listen(lfd, nconn + 16) < 0) {
		ctl_send(cfd, "NA reason=listen:%s", strerror(errno));
		return;
	}
	if (getsockname(lfd, (struct sockaddr *)&a, &alen) < 0) {
		ctl_send(cfd, "NA reason=getsockname:%s", strerror(errno));
		return;
	}
	boot_id(id, sizeof(id));
	cpu0 = cpu_self_s();
	sys_cpu(&busy0, &total0);
	ctl_send(cfd, "READY port=%d boot=%s", ntohs(a.sin_port), id);

	if (!strcmp(test, "bw") || !strcmp(test, "mconn") ||
	    !strcmp(test, "lat") || !strcmp(test, "echo")) {
		bool sink = !strcmp(test, "bw") || !strcmp(test, "mconn");
		long long bytes = 0;
		bool ev;

		conns = calloc(nconn, sizeof(*conns));
		for (i = 0; i < nconn; i++) {
			conns[i].fd = accept_or_ctl(lfd, cfd, &ev);
			if (conns[i].fd < 0)
				break;
			conns[i].size = !strcmp(test, "lat") ? size : 0;
			/* a sink takes a whole message per recv, at least
			 * RECV_BUF: a large one can be read by zero copy
			 * straight into this buffer
			 */
			conns[i].rsize = size;
			if (!sink)
				set_nodelay(conns[i].fd);
			pthread_create(&conns[i].th, NULL,
				       sink ? srv_sink : srv_echo, &conns[i]);
		}
		nconn = i;
		for (i = 0; i < nconn; i++) {
			pthread_join(conns[i].th, NULL);
			bytes += conns[i].bytes;
			close(conns[i].fd);
		}
		snprintf(extra, sizeof(extra), "bytes=%lld conns=%d", bytes, nconn);
		srv_result(cfd, cpu0, busy0, total0, extra);
	} else if (!strcmp(test, "crr")) {
		long long n = 0;
		bool ev;
		char c;

		for (;;) {
			int fd = accept_or_ctl(lfd, cfd, &ev);

			if (fd < 0) {
				if (ev)
					break;
				continue;
			}
			set_nodelay(fd);
			if (read_all(fd, &c, 1) == 1 && write_all(fd, &c, 1) == 0)
				n++;
			close(fd);
		}
		ctl_recv(cfd, line, sizeof(line), 10000);	/* DONE */
		snprintf(extra, sizeof(extra), "conns=%lld", n);
		srv_result(cfd, cpu0, busy0, total0, extra);
	} else if (!strcmp(test, "mem")) {
		long long f0, s0, f1, s1;
		int *fds = calloc(nconn, sizeof(int));
		bool ev;
		char c;

		/* BEFORE: the client has taken its own figures */
		if (ctl_recv(cfd, line, sizeof(line), 60000) < 0)
			return;
		if (strcmp(line, "BEFORE same"))
			mem_settle();
		meminfo(&f0, &s0);
		ctl_send(cfd, "OK");
		for (i = 0; i < nconn; i++) {
			fds[i] = accept_or_ctl(lfd, cfd, &ev);
			if (fds[i] < 0)
				break;
			if (read_all(fds[i], &c, 1) != 1 || write_all(fds[i], &c, 1))
				break;
		}
		/* MEASURE */
		if (ctl_recv(cfd, line, sizeof(line), 600000) < 0)
			return;
		meminfo(&f1, &s1);
		ctl_send(cfd, "MEM conns=%d free_kb=%lld slab_kb=%lld", i,
			 f0 - f1, s1 - s0);
		ctl_recv(cfd, line, sizeof(line), 600000);	/* DONE */
		for (i = 0; i < nconn; i++)
			if (fds[i] > 0)
				close(fds[i]);
	} else if (!strcmp(test, "maxconn")) {
		serve_maxconn(lfd, cfd, nconn, (long long)size);
	} else if (!strcmp(test, "seqpacket")) {
		serve_seqpacket(lfd, cfd, family, nconn, size);
	} else {
		ctl_send(cfd, "NA reason=unknown-test");
	}
	close(lfd);
}

static void on_term(int sig)
{
	(void)sig;
	_exit(0);
}

static int run_server(void)
{
	struct sockaddr_in a = mkaddr(NULL, opt.port);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (lfd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("bind control port %d: %s", opt.port, strerror(errno));
	if (listen(lfd, 16) < 0)
		die("listen: %s", strerror(errno));
	signal(SIGTERM, on_term);
	if (!opt.quiet)
		fprintf(stderr, "sdpperf: server on control port %d (tcp), data on sdp and tcp\n",
			opt.port);
	for (;;) {
		int cfd = accept(lfd, NULL, NULL);
		pid_t pid;
		int st;

		if (cfd < 0) {
			if (errno == EINTR)
				continue;
			die("accept: %s", strerror(errno));
		}
		set_nodelay(cfd);
		pid = fork();
		if (pid == 0) {
			close(lfd);
			signal(SIGTERM, SIG_DFL);
			serve_one(cfd);
			close(cfd);
			_exit(0);
		}
		close(cfd);
		/* one test at a time: the figures of one are not disturbed by another */
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		if (opt.once)
			break;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* client */

struct test_ctx {
	int cfd;
	struct sockaddr_in data;	/* server data address */
	bool same_host;
	char na[256];
};

/* open the control connection and send a request; 0 ready, 1 n/a, -1 error */
static int ctl_open(struct test_ctx *t, const char *test, size_t size, int nconn)
{
	struct sockaddr_in a = mkaddr(opt.addr, opt.port);
	char line[LINE], v[64], id[64];
	int err = 0;
	double until = now_s() + (opt.wait >= 0 ? opt.wait :
				  !strcmp(test, "sync") ? 120 : 10);

	memset(t, 0, sizeof(*t));
	for (;;) {
		t->cfd = data_connect(AF_INET, &a, &err);
		if (t->cfd >= 0 || now_s() >= until)
			break;
		usleep(100000);
	}
	if (t->cfd < 0) {
		snprintf(t->na, sizeof(t->na), "control connect %s:%d: %s",
			 opt.addr, opt.port, strerror(err));
		return -1;
	}
	set_nodelay(t->cfd);
	ctl_send(t->cfd, "REQ fam=%s test=%s size=%zu nconn=%d dur=%.3f tag=%s",
		 opt.fam_name, test, size, nconn, opt.dur,
		 opt.tag ? opt.tag : "-");
	if (ctl_recv(t->cfd, line, sizeof(line), 120000) < 0) {
		snprintf(t->na, sizeof(t->na), "no answer from the server");
		return -1;
	}
	if (!strncmp(line, "SYNC", 4))
		return 0;
	if (!strncmp(line, "NA", 2)) {
		if (!kv(line, "reason", t->na, sizeof(t->na)))
			snprintf(t->na, sizeof(t->na), "refused");
		return 1;
	}
	t->data = mkaddr(opt.addr, 0);
	kv(line, "port", v, sizeof(v));
	t->data.sin_port = htons(atoi(v));
	boot_id(id, sizeof(id));
	kv(line, "boot", v, sizeof(v));
	t->same_host = !strcmp(v, id);
	return 0;
}

/* read the server's RESULT line */
static int ctl_result(struct test_ctx *t, char *line, size_t len, int timeout_ms)
{
	if (ctl_recv(t->cfd, line, len, timeout_ms) < 0 || strncmp(line, "RESULT", 6)) {
		snprintf(t->na, sizeof(t->na), "no result from the server");
		return -1;
	}
	return 0;
}

static atomic_bool stop_flag;

static void *stop_timer(void *arg)
{
	double d = *(double *)arg;
	struct timespec ts = { .tv_sec = (time_t)d,
			       .tv_nsec = (long)((d - (time_t)d) * 1e9) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	atomic_store(&stop_flag, true);
	return NULL;
}

struct cli_conn {
	int fd;
	size_t size;
	long long bytes;
	int err;
	pthread_t th;
};

static void *cli_source(void *arg)
{
	struct cli_conn *c = arg;
	char *buf = malloc(c->size);

	memset(buf, 0xa5, c->size);
	while (!atomic_load_explicit(&stop_flag, memory_order_relaxed)) {
		ssize_t n = send(c->fd, buf, c->size, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			c->err = errno;
			break;
		}
		c->bytes += n;
	}
	shutdown(c->fd, SHUT_WR);
	free(buf);
	return NULL;
}

/* common CPU/bandwidth bookkeeping of a streaming test */
static void stream_result(struct test_ctx *t, const char *test, size_t size,
			  int nconn, double t0, double cpu0, double busy0,
			  double total0, const char *line, int zthresh,
			  const struct zc_stats *z0)
{
	struct zc_stats z1;
	double t1 = now_s(), cpu = cpu_self_s() - cpu0, busy, total;
	double scpu = kv_d(line, "cpu"), sbusy = kv_d(line, "busy");
	long long bytes = kv_ll(line, "bytes");
	double el = t1 - t0, mibps = bytes / el / 1048576.0;
	double sysbusy, nspb_proc, nspb_sys;
	struct result r;

	sys_cpu(&busy, &total);
	zc_stats(&z1);
	sysbusy = busy - busy0 + (t->same_host ? 0 : sbusy);
	nspb_proc = bytes ? (cpu + scpu) * 1e9 / bytes : 0;
	nspb_sys = bytes ? sysbusy * 1e9 / bytes : 0;
	snprintf(r.json, sizeof(r.json),
		 "{\"tool\":\"sdpperf\",\"family\":\"%s\",\"test\":\"%s\",\"size\":%zu,\"nconn\":%d,"
		 "\"status\":\"ok\",\"seconds\":%.3f,\"bytes\":%lld,\"MiBps\":%.3f,"
		 "\"cpu_client_s\":%.3f,\"cpu_server_s\":%.3f,\"cpu_sys_s\":%.3f,"
		 "\"ns_per_byte_proc\":%.3f,\"ns_per_byte_sys\":%.3f,\"same_host\":%s,"
		 "\"zcopy_opt\":%lld,\"zcopy_thresh\":%d,\"zcopy_tx_bytes\":%lld,\"zcopy_rx_bytes\":%lld,"
		 "\"zcopy_fallbacks\":%lld,\"bcopy_tx_bytes\":%lld,\"zcopy_rx_direct_bytes\":%lld,"
		 "\"zcopy_mode\":%d,\"zcopy_tx_write_bytes\":%lld}",
		 opt.fam_name, test, size, nconn, el, bytes, mibps, cpu, scpu,
		 sysbusy, nspb_proc, nspb_sys, t->same_host ? "true" : "false",
		 opt.zcopy, zthresh, zc_delta(z0->ztx, z1.ztx), zc_delta(z0->zrx, z1.zrx),
		 zc_delta(z0->zfb, z1.zfb), zc_delta(z0->btx, z1.btx),
		 zc_delta(z0->zrd, z1.zrd),
		 opt.family == AF_INET ? -1 : sdp_sysctl("zcopy_mode"),
		 zc_delta(z0->zwr, z1.zwr));
	snprintf(r.human, sizeof(r.human),
		 "%-4s %-9s size %-8zu conns %-3d %6.2f s %12lld B %9.2f MiB/s  cpu %7.2f ns/B (client %.2fs server %.2fs) machine %7.2f ns/B  zcopy_thresh %d: zcopy %lld B, bcopy %lld B, %lld fallbacks",
		 opt.fam_name, test, size, nconn, el, bytes, mibps, nspb_proc,
		 cpu, scpu, nspb_sys, zthresh, zc_delta(z0->ztx, z1.ztx),
		 zc_delta(z0->btx, z1.btx), zc_delta(z0->zfb, z1.zfb));
	emit(&r);
	(void)total0;
}

static void test_stream(const char *test, size_t size, int nconn)
{
	struct test_ctx t;
	struct cli_conn *c;
	char line[LINE], why[300];
	double t0, cpu0, busy0, total0, d = opt.dur;
	struct zc_stats z0;
	pthread_t timer;
	int i, r, err = 0, zthresh;

	r = ctl_open(&t, test, size, nconn);
	if (r) {
		(r > 0 ? emit_na : emit_error)(test, size, t.na);
		if (t.cfd > 0)
			close(t.cfd);
		return;
	}
	c = calloc(nconn, sizeof(*c));
	for (i = 0; i < nconn; i++) {
		c[i].fd = data_connect(opt.family, &t.data, &err);
		if (c[i].fd < 0) {
			snprintf(why, sizeof(why), "%s: %s", dc_stage, strerror(err));
			emit_error(test, size, why);
			while (i--)
				close(c[i].fd);
			close(t.cfd);
			free(c);
			return;
		}
		c[i].size = size;
	}
	zthresh = zcopy_thresh_of(c[0].fd);
	atomic_store(&stop_flag, false);
	zc_stats(&z0);
	cpu0 = cpu_self_s();
	sys_cpu(&busy0, &total0);
	t0 = now_s();
	pthread_create(&timer, NULL, stop_timer, &d);
	for (i = 0; i < nconn; i++)
		pthread_create(&c[i].th, NULL, cli_source, &c[i]);
	for (i = 0; i < nconn; i++)
		pthread_join(c[i].th, NULL);
	pthread_join(timer, NULL);
	/* the server reports when it has read every byte (EOF on all) */
	if (ctl_result(&t, line, sizeof(line), (int)(opt.dur * 1000) + 120000) < 0) {
		emit_error(test, size, t.na);
	} else {
		for (i = 0; i < nconn; i++)
			if (c[i].err) {
				snprintf(why, sizeof(why), "send: %s", strerror(c[i].err));
				emit_error(test, size, why);
				break;
			}
		if (i == nconn)
			stream_result(&t, test, size, nconn, t0, cpu0, busy0,
				      total0, line, zthresh, &z0);
	}
	for (i = 0; i < nconn; i++)
		close(c[i].fd);
	close(t.cfd);
	free(c);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void test_lat(size_t size)
{
	struct test_ctx t;
	char line[LINE], why[300];
	char *buf, *rbuf;
	double *s, t0, tend, cpu0, busy0, total0, sum = 0, busy, total, cpu;
	size_t ns = 0, cap = 1 << 16;
	int fd, r, err = 0;
	uint32_t seq = 0;
	struct result res;

	r = ctl_open(&t, "lat", size, 1);
	if (r) {
		(r > 0 ? emit_na : emit_error)("lat", size, t.na);
		return;
	}
	fd = data_connect(opt.family, &t.data, &err);
	if (fd < 0) {
		snprintf(why, sizeof(why), "%s: %s", dc_stage, strerror(err));
		emit_error("lat", size, why);
		close(t.cfd);
		return;
	}
	set_nodelay(fd);
	buf = calloc(1, size + 4);
	rbuf = calloc(1, size + 4);
	s = malloc(cap * sizeof(*s));
	cpu0 = cpu_self_s();
	sys_cpu(&busy0, &total0);
	t0 = now_s();
	tend = t0 + opt.dur;
	for (;;) {
		double a = now_s(), b;

		if (a >= tend)
			break;
		/* a sequence number in the message, checked in the echo */
		buf[0] = (char)seq;
		if (size >= 4)
			memcpy(buf, &seq, 4);
		if (write_all(fd, buf, size) < 0 || read_all(fd, rbuf, size) != 1) {
			snprintf(why, sizeof(why), "round trip %zu: %s", ns, strerror(errno));
			emit_error("lat", size, why);
			goto out;
		}
		if (memcmp(buf, rbuf, size)) {
			snprintf(why, sizeof(why), "echo %zu differs from the request", ns);
			emit_error("lat", size, why);
			goto out;
		}
		b = now_s();
		if (ns == cap) {
			cap *= 2;
			s = realloc(s, cap * sizeof(*s));
		}
		s[ns++] = (b - a) * 1e6;
		sum += (b - a) * 1e6;
		seq++;
	}
	cpu = cpu_self_s() - cpu0;
	shutdown(fd, SHUT_WR);
	if (ctl_result(&t, line, sizeof(line), 60000) < 0) {
		emit_error("lat", size, t.na);
		goto out;
	}
	sys_cpu(&busy, &total);
	qsort(s, ns, sizeof(*s), cmp_double);
	{
		double mean = ns ? sum / ns : 0;
		double p50 = ns ? s[ns / 2] : 0, p99 = ns ? s[(size_t)(ns * 0.99)] : 0;
		double scpu = kv_d(line, "cpu");
		double sysb = busy - busy0 + (t.same_host ? 0 : kv_d(line, "busy"));

		snprintf(res.json, sizeof(res.json),
			 "{\"tool\":\"sdpperf\",\"family\":\"%s\",\"test\":\"lat\",\"size\":%zu,\"status\":\"ok\","
			 "\"round_trips\":%zu,\"mean_us\":%.2f,\"p50_us\":%.2f,\"p99_us\":%.2f,\"min_us\":%.2f,\"max_us\":%.2f,"
			 "\"cpu_client_s\":%.3f,\"cpu_server_s\":%.3f,\"cpu_sys_s\":%.3f,\"cpu_us_per_rt\":%.2f,\"same_host\":%s,"
			 "\"recv_poll_usec\":%d}",
			 opt.fam_name, size, ns, mean, p50, p99, ns ? s[0] : 0,
			 ns ? s[ns - 1] : 0, cpu, scpu, sysb,
			 ns ? (cpu + scpu) * 1e6 / ns : 0,
			 t.same_host ? "true" : "false",
			 opt.family == AF_INET ? 0 : sdp_sysctl("recv_poll_usec"));
		snprintf(res.human, sizeof(res.human),
			 "%-4s %-9s size %-8zu %7zu round trips  mean %9.1f us  p50 %9.1f us  p99 %9.1f us  cpu %.1f us/rt",
			 opt.fam_name, "lat", size, ns, mean, p50, p99,
			 ns ? (cpu + scpu) * 1e6 / ns : 0);
		emit(&res);
	}
out:
	close(fd);
	close(t.cfd);
	free(buf);
	free(rbuf);
	free(s);
}

static void test_crr(void)
{
	struct test_ctx t;
	char line[LINE], why[300];
	double t0, tend, el, cpu0, cpu, busy0, total0, busy, total;
	long long n = 0;
	int r, err = 0;
	char c = 'x';
	struct result res;

	r = ctl_open(&t, "crr", 1, 1);
	if (r) {
		(r > 0 ? emit_na : emit_error)("crr", 1, t.na);
		return;
	}
	cpu0 = cpu_self_s();
	sys_cpu(&busy0, &total0);
	t0 = now_s();
	tend = t0 + opt.dur;
	while (now_s() < tend) {
		int fd = data_connect(opt.family, &t.data, &err);

		if (fd < 0) {
			snprintf(why, sizeof(why), "connect #%lld: %s", n, strerror(err));
			emit_error("crr", 1, why);
			close(t.cfd);
			return;
		}
		set_nodelay(fd);
		if (write_all(fd, &c, 1) < 0 || read_all(fd, &c, 1) != 1) {
			snprintf(why, sizeof(why), "echo #%lld: %s", n, strerror(errno));
			emit_error("crr", 1, why);
			close(fd);
			close(t.cfd);
			return;
		}
		close(fd);
		n++;
	}
	el = now_s() - t0;
	cpu = cpu_self_s() - cpu0;
	ctl_send(t.cfd, "DONE");
	if (ctl_result(&t, line, sizeof(line), 60000) < 0) {
		emit_error("crr", 1, t.na);
		close(t.cfd);
		return;
	}
	sys_cpu(&busy, &total);
	{
		double scpu = kv_d(line, "cpu");
		double sysb = busy - busy0 + (t.same_host ? 0 : kv_d(line, "busy"));

		snprintf(res.json, sizeof(res.json),
			 "{\"tool\":\"sdpperf\",\"family\":\"%s\",\"test\":\"crr\",\"size\":1,\"status\":\"ok\","
			 "\"conns\":%lld,\"server_conns\":%lld,\"seconds\":%.3f,\"conn_per_s\":%.2f,"
			 "\"cpu_client_s\":%.3f,\"cpu_server_s\":%.3f,\"cpu_sys_s\":%.3f,\"cpu_us_per_conn\":%.1f,\"same_host\":%s}",
			 opt.fam_name, n, kv_ll(line, "conns"), el, n / el, cpu, scpu,
			 sysb, n ? (cpu + scpu) * 1e6 / n : 0,
			 t.same_host ? "true" : "false");
		snprintf(res.human, sizeof(res.human),
			 "%-4s %-9s %lld connections in %.2f s = %.1f conn/s  cpu %.0f us/conn",
			 opt.fam_name, "crr", n, el, n / el,
			 n ? (cpu + scpu) * 1e6 / n : 0);
		emit(&res);
	}
	close(t.cfd);
}

static void test_mem(int nconn)
{
	struct test_ctx t;
	char line[LINE], why[300];
	long long f0, s0, f1, s1, sfree, sslab;
	int *fds, i, r, err = 0, got = 0;
	double t0, el;
	char c = 'm';
	struct result res;

	r = ctl_open(&t, "mem", 1, nconn);
	if (r) {
		(r > 0 ? emit_na : emit_error)("mem", 1, t.na);
		return;
	}
	fds = calloc(nconn, sizeof(int));
	mem_settle();
	meminfo(&f0, &s0);
	/* on one machine the server need not wait for calm again */
	ctl_send(t.cfd, t.same_host ? "BEFORE same" : "BEFORE");
	if (ctl_recv(t.cfd, line, sizeof(line), 60000) < 0) {
		emit_error("mem", 1, "no answer to BEFORE");
		goto out;
	}
	t0 = now_s();
	for (i = 0; i < nconn; i++) {
		fds[i] = data_connect(opt.family, &t.data, &err);
		if (fds[i] < 0) {
			snprintf(why, sizeof(why), "connect #%d: %s", i, strerror(err));
			emit_error("mem", 1, why);
			goto out;
		}
		if (write_all(fds[i], &c, 1) < 0 || read_all(fds[i], &c, 1) != 1) {
			snprintf(why, sizeof(why), "echo #%d: %s", i, strerror(errno));
			emit_error("mem", 1, why);
			goto out;
		}
		got++;
	}
	el = now_s() - t0;
	usleep(500000);
	ctl_send(t.cfd, "MEASURE");
	if (ctl_recv(t.cfd, line, sizeof(line), 60000) < 0 || strncmp(line, "MEM", 3)) {
		emit_error("mem", 1, "no MEM answer");
		goto out;
	}
	meminfo(&f1, &s1);
	sfree = kv_ll(line, "free_kb");
	sslab = kv_ll(line, "slab_kb");
	{
		/* one machine: its delta holds both ends; two: add the server's */
		long long tfree = f0 - f1 + (t.same_host ? 0 : sfree);
		long long tslab = s1 - s0 + (t.same_host ? 0 : sslab);
		/*
		 * MemFree moves in batches (per-CPU page lists), so a small
		 * growth shows as 0: the Slab growth is the floor.
		 */
		double per = (double)(tfree > tslab ? tfree : tslab) / got;

		snprintf(res.json, sizeof(res.json),
			 "{\"tool\":\"sdpperf\",\"family\":\"%s\",\"test\":\"mem\",\"size\":1,\"status\":\"ok\","
			 "\"conns\":%d,\"method\":\"/proc/meminfo: max(MemFree drop, Slab growth) over idle connections, both ends\","
			 "\"client_free_kb\":%lld,\"client_slab_kb\":%lld,\"server_free_kb\":%lld,\"server_slab_kb\":%lld,"
			 "\"kib_per_conn\":%.1f,\"free_kib_per_conn\":%.1f,\"slab_kib_per_conn\":%.1f,\"setup_s\":%.3f,\"same_host\":%s}",
			 opt.fam_name, got, f0 - f1, s1 - s0, sfree, sslab, per,
			 (double)tfree / got, (double)tslab / got, el,
			 t.same_host ? "true" : "false");
		snprintf(res.human, sizeof(res.human),
			 "%-4s %-9s %d idle connections: %.1f KiB per connection, both ends (MemFree drop %.1f, Slab growth %.1f KiB/conn); set up in %.2f s",
			 opt.fam_name, "mem", got, per, (double)tfree / got,
			 (double)tslab / got, el);
		emit(&res);
	}
	ctl_send(t.cfd, "DONE");
out:
	for (i = 0; i < nconn; i++)
		if (fds[i] > 0)
			close(fds[i]);
	free(fds);
	close(t.cfd);
}

/*
 * maxconn, one connection: socket, connect, one byte each way, each wait
 * at most MC_CALL_MS. The fd, or -1 with *at (the call) and *err (errno
 * name, "timeout", "EOF"); at "server": the server has a line for us.
 */
static int mc_open(const struct sockaddr_in *a, int cfd, const char **at,
		   const char **err)
{
	int fd = socket(opt.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int r, e = 0;
	socklen_t el = sizeof(e);
	ssize_t k;
	char c = 'x';

	*err = "";
	if (fd < 0) {
		*at = "socket";
		*err = errname(errno);
		return -1;
	}
	*at = "connect";
	if (connect(fd, (const struct sockaddr *)a, sizeof(*a)) < 0 &&
	    errno != EINPROGRESS) {
		*err = errname(errno);
		goto fail;
	}
	r = wait_fd(fd, POLLOUT, cfd, MC_CALL_MS);
	if (r != 1)
		goto waited;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
		e = errno;
	if (e) {
		*err = errname(e);
		goto fail;
	}
	*at = "echo";
	if (send(fd, &c, 1, MSG_NOSIGNAL) != 1) {
		*err = errname(errno);
		goto fail;
	}
	r = wait_fd(fd, POLLIN, cfd, MC_CALL_MS);
	if (r != 1)
		goto waited;
	k = recv(fd, &c, 1, 0);
	if (k == 1)
		return fd;
	*err = k == 0 ? "EOF" : errname(errno);
	goto fail;
waited:
	if (r == -1)
		*at = "server";
	else
		*err = r == 0 ? "timeout" : errname(errno);
fail:
	close(fd);
	return -1;
}

static void test_maxconn(int cap)
{
	struct test_ctx t;
	char line[LINE], sat[32] = "", serr[32] = "", side[8] = "client";
	char sfail[160] = "", stop[48];
	long long floor_kb = opt.floor_mib * 1024, a0, f0, a, f, amin, apeak, fpeak;
	long long oom0, oom1, nofile, saf = -1, sapeak = -1, sconns = -1, srec = -1;
	double t0, el, tc, trec = -1;
	const char *at = NULL, *err = NULL;
	int *fds, n = 0, i, r, fd;
	bool from_server = false, recovered = false;
	struct result res;

	nofile = raise_nofile(cap + 64);
	fds = calloc(cap, sizeof(int));
	if (!fds) {
		emit_error("maxconn", 1, "out of memory");
		return;
	}
	/* the floor goes as "size": the server checks its own machine too */
	r = ctl_open(&t, "maxconn", (size_t)floor_kb, cap);
	if (r) {
		(r > 0 ? emit_na : emit_error)("maxconn", 1, t.na);
		free(fds);
		return;
	}
	mem_settle();
	memavail(&a0, &f0);
	amin = a0;
	oom0 = oom_kills();
	t0 = now_s();
	for (;;) {
		if (n == cap) {
			at = "cap";
			err = "cap";
			break;
		}
		if (now_s() - t0 > MC_FILL_S) {
			at = "time";
			err = "time";
			break;
		}
		memavail(&a, &f);
		if (a >= 0 && a < amin)
			amin = a;
		if (floor_kb > 0 && a >= 0 && a < floor_kb) {
			at = "memfloor";
			err = "memfloor";
			break;
		}
		fd = mc_open(&t.data, t.cfd, &at, &err);
		if (fd < 0)
			break;
		fds[n++] = fd;
	}
	el = now_s() - t0;
	memavail(&apeak, &fpeak);
	if (apeak >= 0 && apeak < amin)
		amin = apeak;
	snprintf(sat, sizeof(sat), "%s", at);
	snprintf(serr, sizeof(serr), "%s", err);
	from_server = !strcmp(at, "server");
	if (!from_server)
		ctl_send(t.cfd, "STOP at=%s err=%s", sat, serr);
	ctl_send(t.cfd, "PEAK");
	/* the server's FAIL (if any), then its PEAK */
	for (;;) {
		if (ctl_recv(t.cfd, line, sizeof(line), 120000) < 0) {
			snprintf(line, sizeof(line), "%d connections, stopped by %s %s; then no PEAK answer from the server",
				 n, sat, serr);
			emit_error("maxconn", 1, line);
			goto out;
		}
		if (!strncmp(line, "FAIL", 4)) {
			snprintf(sfail, sizeof(sfail), "%.150s", line + 5);
			if (from_server) {
				kv(line, "at", sat, sizeof(sat));
				kv(line, "err", serr, sizeof(serr));
				snprintf(side, sizeof(side), "server");
			}
			continue;
		}
		if (!strncmp(line, "PEAK", 4))
			break;
	}
	sconns = kv_ll(line, "conns");
	sapeak = kv_ll(line, "avail_kb");
	/* close ours, then the server's */
	for (i = 0; i < n; i++)
		close(fds[i]);
	tc = now_s();
	ctl_send(t.cfd, "CLOSE");
	if (ctl_recv(t.cfd, line, sizeof(line), 120000) < 0 || strncmp(line, "CLOSED", 6)) {
		emit_error("maxconn", 1, "no CLOSED answer from the server");
		n = 0;
		goto out;
	}
	/* recovery: the memory comes back (at most 30 s), a new connection works */
	for (i = 0; i < 120; i++) {
		memavail(&a, &f);
		if (a < 0 || a0 - a < a0 / 50)
			break;
		usleep(250000);
	}
	mem_settle();
	while (now_s() - tc < 30 + MC_RECOVER_S) {
		const char *rat, *rerr;

		fd = mc_open(&t.data, t.cfd, &rat, &rerr);
		if (fd >= 0) {
			close(fd);
			recovered = true;
			trec = now_s() - tc;
			break;
		}
		if (!strcmp(rat, "server"))
			break;
		sleep(1);
	}
	memavail(&a, &f);
	oom1 = oom_kills();
	ctl_send(t.cfd, "DONE");
	if (ctl_recv(t.cfd, line, sizeof(line), 30000) >= 0 && !strncmp(line, "AFTER", 5)) {
		srec = kv_ll(line, "conns");
		saf = kv_ll(line, "avail_kb");
	}
	if (!strcmp(serr, "cap") || !strcmp(serr, "memfloor") || !strcmp(serr, "time"))
		snprintf(stop, sizeof(stop), "%s", serr);
	else
		snprintf(stop, sizeof(stop), "%s %s", sat, serr);
	{
		double per = n ? (double)(a0 - apeak) / n : 0;
		long long oomd = oom0 >= 0 && oom1 >= 0 ? oom1 - oom0 : -1;

		snprintf(res.json, sizeof(res.json),
			 "{\"tool\":\"sdpperf\",\"family\":\"%s\",\"test\":\"maxconn\",\"size\":1,\"status\":\"%s\","
			 "\"conns\":%d,\"server_conns\":%lld,\"cap\":%d,\"stop\":\"%s\",\"stop_at\":\"%s\",\"stop_side\":\"%s\","
			 "\"server_fail\":\"%s\",\"floor_kb\":%lld,\"nofile\":%lld,"
			 "\"memavail_start_kb\":%lld,\"memavail_peak_kb\":%lld,\"memavail_min_kb\":%lld,\"memfree_peak_kb\":%lld,"
			 "\"server_memavail_peak_kb\":%lld,\"kib_per_conn\":%.1f,\"setup_s\":%.3f,"
			 "\"memavail_after_kb\":%lld,\"server_memavail_after_kb\":%lld,\"recovered\":%s,\"recover_s\":%.3f,"
			 "\"server_recovery_conns\":%lld,\"oom_kills\":%lld,\"same_host\":%s,\"reason\":\"%s\"}",
			 opt.fam_name, recovered && oomd <= 0 ? "ok" : "error",
			 n, sconns, cap, serr, sat, side, sfail, floor_kb, nofile,
			 a0, apeak, amin, fpeak, sapeak, per, el, a, saf,
			 recovered ? "true" : "false", trec, srec, oomd,
			 t.same_host ? "true" : "false",
			 !recovered ? "no new connection after closing them" :
			 oomd > 0 ? "the OOM killer struck" : "");
		snprintf(res.human, sizeof(res.human),
			 "%-4s %-9s %d concurrent connections (cap %d), stopped by %s%s; MemAvailable %.0f -> %.0f MiB at the peak (%.0f KiB per connection%s), set up in %.2f s; after closing: MemAvailable %.0f MiB, %s%s",
			 opt.fam_name, "maxconn", n, cap, stop,
			 !strcmp(side, "server") ? " (server side)" : "",
			 a0 / 1024.0, apeak / 1024.0, per,
			 t.same_host ? ", both ends" : ", this end", el, a / 1024.0,
			 recovered ? "a new connection works" : "NO NEW CONNECTION",
			 oomd > 0 ? "; OOM KILLS" : "");
		emit(&res);
	}
	n = 0;
out:
	for (i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	close(t.cfd);
}

/*
 * seqpacket: nassoc client sockets, one association each, all to the one
 * server socket. Each sends one message first (the association comes up);
 * memory is measured when the server has seen them all and they are idle
 * (as mem: max(MemFree drop, Slab growth), both ends when both are in one
 * kernel). Then size-byte messages round-robin for -d seconds, MSG_DONTWAIT:
 * a socket that says EAGAIN is skipped, and only when all are full do we
 * poll. The rate is the server's: messages it received from GO to DONE
 * over that time (what was still queued arrives after, is checked, but not
 * counted in the rate).
 * The "tcp" family is SCTP one-to-many (AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP).
 */
static void test_seqpacket(size_t size, int nassoc)
{
	struct test_ctx t;
	char line[LINE], why[300];
	double t0, t1, el, up_s, cpu0, cpu, secs, rate, busy0, total0;
	long long sent = 0, polls = 0, eagain = 0, passes = 0, f0, s0, f1, s1, sfree, sslab;
	long long msgs, wmsgs, noeor, badlen, noinfo;
	int proto = opt.family == AF_INET ? IPPROTO_SCTP : 0;
	int *fds = NULL, i, r, got = 0, seen, active;
	struct pollfd *pf = NULL;
	char *buf;
	struct result res;

	sp_assocs = nassoc;
	raise_nofile(nassoc + 64);
	r = socket(opt.family, SOCK_SEQPACKET, proto);
	if (r < 0) {
		snprintf(why, sizeof(why), "socket(%s, SOCK_SEQPACKET, %s): %s",
			 opt.family == AF_INET ? "AF_INET" : "AF_SDP",
			 proto ? "IPPROTO_SCTP" : "0", strerror(errno));
		emit_na("seqpacket", size, why);
		return;
	}
	close(r);
	r = ctl_open(&t, "seqpacket", size, nassoc);
	if (r) {
		(r > 0 ? emit_na : emit_error)("seqpacket", size, t.na);
		if (t.cfd > 0)
			close(t.cfd);
		return;
	}
	buf = calloc(1, size + 1);
	fds = malloc(nassoc * sizeof(*fds));
	pf = calloc(nassoc, sizeof(*pf));
	mem_settle();
	meminfo(&f0, &s0);
	/* on one machine the server need not wait for calm again */
	ctl_send(t.cfd, t.same_host ? "BEFORE same" : "BEFORE");
	if (ctl_recv(t.cfd, line, sizeof(line), 60000) < 0) {
		emit_error("seqpacket", size, "no answer to BEFORE");
		goto out;
	}
	t0 = now_s();
	for (i = 0; i < nassoc; i++) {
		fds[i] = socket(opt.family, SOCK_SEQPACKET, proto);
		if (fds[i] < 0) {
			snprintf(why, sizeof(why), "socket #%d: %s", i, strerror(errno));
			emit_error("seqpacket", size, why);
			goto out;
		}
		got++;
		pf[i].fd = fds[i];
		pf[i].events = POLLOUT;
		/* the first message sets the association up */
		if (sendto(fds[i], buf, size, MSG_NOSIGNAL, (struct sockaddr *)&t.data,
			   sizeof(t.data)) < 0) {
			snprintf(why, sizeof(why), "first sendto #%d: %s", i, strerror(errno));
			(errno == EOPNOTSUPP ? emit_na : emit_error)("seqpacket", size, why);
			goto out;
		}
	}
	if (ctl_recv(t.cfd, line, sizeof(line), (SP_UP_S + 60) * 1000) < 0 ||
	    strncmp(line, "UP", 2)) {
		emit_error("seqpacket", size, "no UP from the server");
		goto out;
	}
	up_s = now_s() - t0;
	seen = kv_ll(line, "assocs");
	if (seen != nassoc || kv_ll(line, "noeor") || kv_ll(line, "badlen") ||
	    kv_ll(line, "noinfo")) {
		snprintf(why, sizeof(why),
			 "set-up: the server saw %d of %d associations (%lld messages; %lld without MSG_EOR, %lld of a wrong size, %lld without the SNDRCV cmsg)",
			 seen, nassoc, kv_ll(line, "msgs"), kv_ll(line, "noeor"),
			 kv_ll(line, "badlen"), kv_ll(line, "noinfo"));
		emit_error("seqpacket", size, why);
		goto out;
	}
	usleep(500000);
	ctl_send(t.cfd, "MEASURE");
	if (ctl_recv(t.cfd, line, sizeof(line), 60000) < 0 || strncmp(line, "MEM", 3)) {
		emit_error("seqpacket", size, "no MEM answer");
		goto out;
	}
	meminfo(&f1, &s1);
	sfree = kv_ll(line, "free_kb");
	sslab = kv_ll(line, "slab_kb");
	ctl_send(t.cfd, "GO");
	cpu0 = cpu_self_s();
	sys_cpu(&busy0, &total0);
	t1 = now_s();
	for (;;) {
		int ok = 0;

		for (i = 0; i < nassoc; i++) {
			ssize_t n = sendto(fds[i], buf, size, MSG_DONTWAIT | MSG_NOSIGNAL,
					   (struct sockaddr *)&t.data, sizeof(t.data));

			if (n >= 0) {
				sent++;
				ok++;
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == ENOBUFS || errno == EINTR) {
				eagain++;
				continue;
			}
			snprintf(why, sizeof(why), "sendto #%d: %s", i, strerror(errno));
			ctl_send(t.cfd, "DONE sent=%lld", sent);
			emit_error("seqpacket", size, why);
			goto out;
		}
		passes++;
		if (now_s() >= t1 + opt.dur)
			break;
		if (!ok) {
			/* every association is full: wait for room in any */
			polls++;
			poll(pf, nassoc, 10);
		}
	}
	el = now_s() - t1;
	cpu = cpu_self_s() - cpu0;
	ctl_send(t.cfd, "DONE sent=%lld", sent);
	if (ctl_result(&t, line, sizeof(line), 60000) < 0) {
		emit_error("seqpacket", size, t.na);
		goto out;
	}
	msgs = kv_ll(line, "msgs");
	wmsgs = kv_ll(line, "wmsgs");
	noeor = kv_ll(line, "noeor");
	badlen = kv_ll(line, "badlen");
	noinfo = kv_ll(line, "noinfo");
	active = kv_ll(line, "active");
	secs = kv_d(line, "secs");
	if (secs <= 0)
		secs = el;
	rate = wmsgs / secs;
	if (noeor || badlen || noinfo || msgs > sent) {
		snprintf(why, sizeof(why),
			 "%lld sent, %lld received: %lld without MSG_EOR, %lld of a wrong size, %lld without the SNDRCV cmsg",
			 sent, msgs, noeor, badlen, noinfo);
		emit_error("seqpacket", size, why);
		goto out;
	}
	{
		/* one machine: its delta holds both ends; two: add the server's */
		long long tfree = f0 - f1 + (t.same_host ? 0 : sfree);
		long long tslab = s1 - s0 + (t.same_host ? 0 : sslab);
		double per = (double)(tfree > tslab ? tfree : tslab) / nassoc;
		double busy, total;

		sys_cpu(&busy, &total);
		snprintf(res.json, sizeof(res.json),
			 "{\"tool\":\"sdpperf\",\"family\":\"%s\",\"proto\":\"%s\",\"test\":\"seqpacket\",\"size\":%zu,"
			 "\"assocs\":%d,\"status\":\"ok\",\"sent\":%lld,\"received\":%lld,\"received_in_window\":%lld,\"seconds\":%.3f,"
			 "\"server_seconds\":%.3f,\"msgs_per_s\":%.1f,\"assocs_active\":%d,\"passes\":%lld,\"eagain\":%lld,\"all_full_polls\":%lld,"
			 "\"cpu_client_s\":%.3f,\"cpu_server_s\":%.3f,\"cpu_sys_s\":%.3f,\"setup_s\":%.3f,"
			 "\"method\":\"/proc/meminfo: max(MemFree drop, Slab growth) over idle associations (one message each), both ends\","
			 "\"client_free_kb\":%lld,\"client_slab_kb\":%lld,\"server_free_kb\":%lld,\"server_slab_kb\":%lld,"
			 "\"kib_per_assoc\":%.1f,\"free_kib_per_assoc\":%.1f,\"slab_kib_per_assoc\":%.1f,\"same_host\":%s}",
			 opt.fam_name, proto ? "sctp" : "sdp", size, nassoc, sent, msgs, wmsgs, el,
			 secs, rate, active, passes, eagain, polls, cpu, kv_d(line, "cpu"),
			 busy - busy0 + (t.same_host ? 0 : kv_d(line, "busy")), up_s,
			 f0 - f1, s1 - s0, sfree, sslab, per, (double)tfree / nassoc,
			 (double)tslab / nassoc, t.same_host ? "true" : "false");
		snprintf(res.human, sizeof(res.human),
			 "%-4s %-9s size %-8zu %s, %d assocs: %lld sent, %lld received (%lld in %.2f s = %.1f msg/s; %d assocs active; %lld EAGAIN, all full %lld times); %.1f KiB per association, %s (MemFree drop %.1f, Slab growth %.1f KiB/assoc); set up in %.2f s",
			 opt.fam_name, "seqpacket", size, proto ? "SCTP" : "SDP", nassoc,
			 sent, msgs, wmsgs, secs, rate, active, eagain, polls, per,
			 t.same_host ? "both ends" : "both machines", (double)tfree / nassoc,
			 (double)tslab / nassoc, up_s);
		emit(&res);
	}
out:
	for (i = 0; i < got; i++)
		close(fds[i]);
	free(fds);
	free(pf);
	free(buf);
	close(t.cfd);
}

/* the /proc/net/sdp lines of a connection (by the ports, hex as printed) */
static void show_proc_line(int fd)
{
	struct sockaddr_in l, p;
	socklen_t ll = sizeof(l), pl = sizeof(p);
	char pat1[16], pat2[16], line[512];
	FILE *f;
	bool head = true;

	if (getsockname(fd, (struct sockaddr *)&l, &ll) < 0 ||
	    getpeername(fd, (struct sockaddr *)&p, &pl) < 0)
		return;
	snprintf(pat1, sizeof(pat1), ":%04X ", ntohs(l.sin_port));
	snprintf(pat2, sizeof(pat2), ":%04X ", ntohs(p.sin_port));
	f = fopen(opt.family == AF_INET ? "/proc/net/tcp" : "/proc/net/sdp", "r");
	if (!f) {
		printf("  (no %s)\n", opt.family == AF_INET ? "/proc/net/tcp" : "/proc/net/sdp");
		return;
	}
	printf("  %s while connected (both ends of this connection):\n",
	       opt.family == AF_INET ? "/proc/net/tcp" : "/proc/net/sdp");
	while (fgets(line, sizeof(line), f)) {
		unsigned int la, lp, ra, rp, st;
		char a1[INET_ADDRSTRLEN], a2[INET_ADDRSTRLEN];
		struct in_addr x;

		if (head || (strstr(line, pat1) && strstr(line, pat2)))
			printf("    %s", line);
		if (!head && strstr(line, pat1) && strstr(line, pat2) &&
		    sscanf(line, " %*d: %x:%x %x:%x %x", &la, &lp, &ra, &rp, &st) == 5) {
			/* the address is s_addr printed as a host integer */
			x.s_addr = la;
			inet_ntop(AF_INET, &x, a1, sizeof(a1));
			x.s_addr = ra;
			inet_ntop(AF_INET, &x, a2, sizeof(a2));
			printf("       = %s:%u -> %s:%u, state %02X%s\n", a1, lp, a2, rp,
			       st, st == 1 ? " (ESTABLISHED)" : "");
		}
		head = false;
	}
	fclose(f);
}

struct echo_writer {
	int fd;
	long long total;
	int err;
};

/* the echo pattern: a period that is prime, so chunks never line up with it */
#define PAT_PERIOD	65521
static unsigned char *pat;

static void pattern_init(void)
{
	size_t i;

	pat = malloc(PAT_PERIOD + RECV_BUF);
	for (i = 0; i < PAT_PERIOD + RECV_BUF; i++)
		pat[i] = (unsigned char)(((i % PAT_PERIOD) * 7 + (i % PAT_PERIOD) / 251) & 0xff);
}

static void *echo_write(void *arg)
{
	struct echo_writer *w = arg;
	size_t chunk = 64 * 1024;
	long long off = 0;

	while (off < w->total) {
		size_t n = w->total - off < (long long)chunk ?
			   (size_t)(w->total - off) : chunk;

		if (write_all(w->fd, pat + off % PAT_PERIOD, n) < 0) {
			w->err = errno;
			break;
		}
		off += n;
	}
	shutdown(w->fd, SHUT_WR);
	return NULL;
}

static void test_echo(void)
{
	struct test_ctx t;
	struct echo_writer w;
	struct sockaddr_in l, p;
	socklen_t ll = sizeof(l), pl = sizeof(p);
	char line[LINE], why[300], ls[32], ps[32];
	unsigned char *buf = malloc(RECV_BUF);
	double tc, t0, t1, el;
	long long got = 0, bad = -1;
	pthread_t th;
	int fd, r, err = 0;
	struct result res;

	pattern_init();
	r = ctl_open(&t, "echo", 0, 1);
	if (r) {
		(r > 0 ? emit_na : emit_error)("echo", 0, t.na);
		return;
	}
	tc = now_s();
	fd = data_connect(opt.family, &t.data, &err);
	if (fd < 0) {
		snprintf(why, sizeof(why), "%s: %s", dc_stage, strerror(err));
		emit_error("echo", 0, why);
		close(t.cfd);
		return;
	}
	t0 = now_s();
	getsockname(fd, (struct sockaddr *)&l, &ll);
	getpeername(fd, (struct sockaddr *)&p, &pl);
	inet_ntop(AF_INET, &l.sin_addr, ls, sizeof(ls));
	inet_ntop(AF_INET, &p.sin_addr, ps, sizeof(ps));
	if (opt.out & OUT_HUMAN) {
		printf("%s echo: connected %s:%d -> %s:%d (socket(%d, SOCK_STREAM, 0)) in %.1f ms\n",
		       opt.fam_name, ls, ntohs(l.sin_port), ps, ntohs(p.sin_port),
		       opt.family, (t0 - tc) * 1e3);
		show_proc_line(fd);
		fflush(stdout);
	}
	w.fd = fd;
	w.total = opt.echo_bytes;
	w.err = 0;
	pthread_create(&th, NULL, echo_write, &w);
	for (;;) {
		ssize_t n = recv(fd, buf, RECV_BUF, 0), i;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (bad < 0 && memcmp(buf, pat + got % PAT_PERIOD, n))
			for (i = 0; i < n && bad < 0; i++)
				if (buf[i] != pat[(got + i) % PAT_PERIOD])
					bad = got + i;
		got += n;
	}
	t1 = now_s();
	pthread_join(th, NULL);
	close(fd);
	if (ctl_result(&t, line, sizeof(line), 60000) < 0) {
		emit_error("echo", 0, t.na);
		goto out;
	}
	el = t1 - t0;
	snprintf(res.json, sizeof(res.json),
		 "{\"tool\":\"sdpperf\",\"family\":\"%s\",\"test\":\"echo\",\"size\":0,\"status\":\"%s\","
		 "\"local\":\"%s:%d\",\"peer\":\"%s:%d\",\"connect_ms\":%.2f,\"sent\":%lld,\"echoed\":%lld,"
		 "\"server_bytes\":%lld,\"seconds\":%.3f,\"MiBps_each_way\":%.3f,\"first_bad_offset\":%lld}",
		 opt.fam_name, (got == w.total && bad < 0 && !w.err) ? "ok" : "error",
		 ls, ntohs(l.sin_port), ps, ntohs(p.sin_port), (t0 - tc) * 1e3,
		 w.total, got, kv_ll(line, "bytes"), el, got / el / 1048576.0, bad);
	snprintf(res.human, sizeof(res.human),
		 "%s echo: sent %lld B, got %lld B back in %.2f s (%.2f MiB/s each way); data %s",
		 opt.fam_name, w.total, got, el, got / el / 1048576.0,
		 (got == w.total && bad < 0 && !w.err) ? "verified OK" : "WRONG");
	emit(&res);
out:
	close(t.cfd);
	free(buf);
}

static void client_quit(void)
{
	struct sockaddr_in a = mkaddr(opt.addr, opt.port);
	char line[64];
	int err, fd = data_connect(AF_INET, &a, &err);

	if (fd < 0)
		die("quit: connect: %s", strerror(err));
	ctl_send(fd, "QUIT");
	ctl_recv(fd, line, sizeof(line), 5000);
	close(fd);
}

static const char *cur_test = "?";
static size_t cur_size;

static void on_alarm(int sig)
{
	(void)sig;
	/* not async-signal-safe, but the process ends here anyway */
	fprintf(stderr, "sdpperf: client watchdog expired: %s size %zu hangs\n",
		cur_test, cur_size);
	emit_error(cur_test, cur_size, "client watchdog: the test hangs");
	_exit(124);
}

static bool is_sized(const char *t)
{
	return !strcmp(t, "bw") || !strcmp(t, "mconn") || !strcmp(t, "lat") ||
	       !strcmp(t, "seqpacket");
}

static int run_client(void)
{
	char *dup = strdup(opt.tests), *tok, *save = NULL;
	int user_sizes = opt.nsizes, i;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		cur_test = tok;
		cur_size = 1;
		if (!strcmp(tok, "quit")) {
			client_quit();
		} else if (!strcmp(tok, "sync")) {
			struct test_ctx t;

			if (ctl_open(&t, "sync", 0, 1))
				die("sync: %s", t.na);
			close(t.cfd);
		} else if (opt.nconn > MAX_CONN && (!strcmp(tok, "mem") || !strcmp(tok, "mconn") ||
						    !strcmp(tok, "seqpacket"))) {
			die("%s: -n at most %d", tok, MAX_CONN);
		} else if (is_sized(tok)) {
			if (!user_sizes)
				parse_sizes(!strcmp(tok, "bw") ? "64,256,1k,4k,16k,64k,256k,1m" :
					    !strcmp(tok, "lat") ? "1,4k" :
					    !strcmp(tok, "mconn") ? "64k" : "64,1k");
			for (i = 0; i < opt.nsizes; i++) {
				cur_size = opt.sizes[i];
				/* seqpacket: memory settles, associations come up */
				alarm((unsigned int)(opt.dur * 3) +
				      (strcmp(tok, "seqpacket") ? 60 : 240));
				if (!strcmp(tok, "bw"))
					test_stream("bw", opt.sizes[i], 1);
				else if (!strcmp(tok, "mconn"))
					test_stream("mconn", opt.sizes[i],
						    opt.nconn ? opt.nconn : 4);
				else if (!strcmp(tok, "lat"))
					test_lat(opt.sizes[i]);
				else
					test_seqpacket(opt.sizes[i],
						       opt.nconn ? opt.nconn : 1);
			}
		} else if (!strcmp(tok, "crr")) {
			alarm((unsigned int)(opt.dur * 3) + 60);
			test_crr();
		} else if (!strcmp(tok, "mem")) {
			alarm(180);
			test_mem(opt.nconn ? opt.nconn : 64);
		} else if (!strcmp(tok, "maxconn")) {
			/* fill, PEAK, CLOSED, recovery, AFTER: each bounded */
			alarm(MC_FILL_S + 500);
			test_maxconn(opt.nconn ? opt.nconn : MC_DEF);
		} else if (!strcmp(tok, "echo")) {
			alarm(300);
			test_echo();
		} else {
			die("unknown test %s", tok);
		}
		alarm(0);
	}
	free(dup);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: sdpperf -s [-p PORT] [-1] [-q]\n"
		"       sdpperf -c ADDR [-p PORT] [-f sdp|tcp] [-t TESTS] [-d SEC] [-m SIZES]\n"
		"               [-n NCONN] [-b BYTES] [-o human|json|both] [-w SEC] [-T TAG]\n"
		"               [-F MIB] [-Z BYTES]\n"
		"tests (comma separated): bw lat crr mconn mem maxconn seqpacket echo sync quit\n"
		"-n: connections (mconn 4, mem 64; seqpacket: associations, 1;\n"
		"    maxconn: the cap, default %d)\n"
		"-F: maxconn stops when MemAvailable falls below MIB (default 64, 0 = off)\n"
		"-Z: SDP_ZCOPY_THRESH of the client's SDP data sockets (0 = bcopy only;\n"
		"    default: /proc/sys/net/sdp/zcopy_thresh); bw and mconn report it and\n"
		"    the client's ZcopyTxBytes delta\n"
		"sizes: comma separated, with k/m suffixes (bw default 64,256,1k,4k,16k,64k,256k,1m)\n"
		"-p: control port (tcp, default %d); data ports are picked by the server\n"
		"-1: serve one test and exit; 'quit' as a test stops a server\n"
		"-w: retry the control connection SEC seconds (default 10, sync 120);\n"
		"    'sync' only waits for a server (a barrier between two machines)\n"
		"-T: with sync, a word the server prints on its stdout\n"
		"environment SDP_FAMILY: the number of AF_SDP if not %d\n",
		MC_DEF, DEF_PORT, AF_SDP);
	exit(2);
}

int main(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "sc:p:f:t:d:m:n:b:o:w:T:F:Z:1qh")) != -1) {
		switch (c) {
		case 's': opt.server = true; break;
		case 'c': opt.addr = optarg; break;
		case 'p': opt.port = atoi(optarg); break;
		case 'f':
			opt.family = parse_family(optarg, &opt.fam_name);
			if (opt.family < 0)
				die("-f sdp|tcp");
			break;
		case 't': opt.tests = optarg; break;
		case 'd': opt.dur = atof(optarg); break;
		case 'm': parse_sizes(optarg); break;
		case 'n': opt.nconn = atoi(optarg); break;
		case 'b': opt.echo_bytes = parse_size(optarg); break;
		case 'w': opt.wait = atof(optarg); break;
		case 'F': opt.floor_mib = atoll(optarg); break;
		case 'Z':
			opt.zcopy = parse_size(optarg);
			if (opt.zcopy < 0 || opt.zcopy > INT32_MAX)
				die("-Z: 0..%d bytes", INT32_MAX);
			break;
		case 'T':
			if (strpbrk(optarg, " \n") || strlen(optarg) > 60)
				die("-T: one word, at most 60 characters");
			opt.tag = optarg;
			break;
		case 'o':
			if (!strcmp(optarg, "human"))
				opt.out = OUT_HUMAN;
			else if (!strcmp(optarg, "json"))
				opt.out = OUT_JSON;
			else if (!strcmp(optarg, "both"))
				opt.out = OUT_BOTH;
			else
				usage();
			break;
		case '1': opt.once = true; break;
		case 'q': opt.quiet = true; break;
		default: usage();
		}
	}
	if (opt.nconn > MC_MAX)
		die("-n at most %d (%d for mem, mconn and seqpacket)", MC_MAX, MAX_CONN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (opt.server)
		return run_server();
	if (!opt.addr)
		usage();
	return run_client();
}
