// SPDX-License-Identifier: GPL-2.0
/*
 * sdp_admin: the administrator's view of sdp.ko (issue 4).
 *
 *  - net.sdp.* sysctls: the set of names, defaults, every bound (min, max,
 *    min-1, max+1, garbage), EINVAL and no change on a bad write, new
 *    values reaching new sockets, connections at the extreme values;
 *  - network namespaces: a new one has its own values, counters and
 *    socket table;
 *  - /proc/net/sdp: a live connection with the right addresses, state,
 *    queues, uid, inode and type, dropped after close;
 *  - /proc/net/sdp_stats: the counters move as traffic flows, refused
 *    connections and aborts are counted by reason;
 *  - tools/sdpstat: -s, -c, -j and -w output checked against /proc.
 *
 * The tests are SDP-only and change global state (sysctls of the initial
 * namespace): each test restores what it changed, and main() puts every
 * sysctl back to the value it found after the run as a safety net.
 * Contract values (defaults and ranges) are the ones in
 * Documentation/sdp.rst; a change there must change the table below.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/sdp.h>

#include "util.h"

#define SYSCTL_DIR	"/proc/sys/net/sdp"
#define TABLE_PATH	"/proc/net/sdp"
#define STATS_PATH	"/proc/net/sdp_stats"

/* ---- the sysctl contract ---- */

struct knob {
	const char *name;
	long def, min, max;
};

static const struct knob knobs[] = {
	{ "zcopy_thresh",	1024 * 1024,	0,	INT_MAX },
	{ "inline_thresh",	128,		0,	1024 },
	{ "rmem",		2 << 20,	4096,	64 << 20 },
	{ "wmem",		2 << 20,	4096,	64 << 20 },
	{ "rx_depth",		32,		4,	1024 },
	{ "rcvsz",		32 * 1024,	80,	256 * 1024 },
	{ "recv_poll_usec",	0,		0,	1000000 },
	{ "keepalive_time",	7200,		1,	32767 },
	{ "max_msg",		1 << 20,	1024,	64 << 20 },
	{ "zcopy_mode",		0,		0,	3 },
};
#define NKNOBS	((int)(sizeof(knobs) / sizeof(knobs[0])))

static const struct knob *knob(const char *name)
{
	int i;

	for (i = 0; i < NKNOBS; i++)
		if (!strcmp(knobs[i].name, name))
			return &knobs[i];
	return NULL;
}

/* 0 and *v, or the errno of open/read/parse (EBADMSG: not one integer) */
static int sysctl_get(const char *name, long *v)
{
	char path[128], buf[64], *end;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), SYSCTL_DIR "/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return errno;
	buf[n] = 0;
	errno = 0;
	*v = strtol(buf, &end, 10);
	if (errno || end == buf || strcmp(end, "\n"))
		return EBADMSG;
	return 0;
}

/* write s in one write(); 0, the errno, or EIO for a short write */
static int sysctl_put(const char *name, const char *s)
{
	char path[128];
	ssize_t n;
	int fd, e;

	snprintf(path, sizeof(path), SYSCTL_DIR "/%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return errno;
	n = write(fd, s, strlen(s));
	e = errno;
	close(fd);
	if (n < 0)
		return e;
	return (size_t)n == strlen(s) ? 0 : EIO;
}

static long sysctl_val(const char *name)
{
	long v = 0;
	int e = sysctl_get(name, &v);

	if (e)
		FATAL("read %s/%s: %s", SYSCTL_DIR, name, errname(e));
	return v;
}

static void sysctl_set(const char *name, long v)
{
	char s[32];
	int e;

	snprintf(s, sizeof(s), "%ld", v);
	e = sysctl_put(name, s);
	if (e)
		FATAL("write %ld to %s/%s: %s", v, SYSCTL_DIR, name, errname(e));
}

/* values of the initial namespace found at start, put back at the end */
static long saved[sizeof(knobs) / sizeof(knobs[0])];
static int saved_ok[sizeof(knobs) / sizeof(knobs[0])];

/* ---- /proc/net/sdp_stats ---- */

#define MAX_STATS 128

struct stats {
	int n;
	char name[MAX_STATS][48];
	long long v[MAX_STATS];
};

/* 0, or -1 with a diagnostic */
static int stats_try(const char *path, struct stats *s)
{
	FILE *f = fopen(path, "r");
	char line[256];
	int lineno = 0;

	s->n = 0;
	if (!f) {
		diag("%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char extra[2];
		int k;

		lineno++;
		if (s->n == MAX_STATS) {
			diag("%s: more than %d counters", path, MAX_STATS);
			fclose(f);
			return -1;
		}
		k = sscanf(line, "%47s %lld %1s", s->name[s->n], &s->v[s->n], extra);
		if (k != 2) {
			diag("%s:%d: not a \"Name value\" line: %s", path, lineno, line);
			fclose(f);
			return -1;
		}
		s->n++;
	}
	fclose(f);
	return 0;
}

static void stats_read(struct stats *s)
{
	if (stats_try(STATS_PATH, s))
		FATAL("cannot read %s", STATS_PATH);
}

static long long stat_of(const struct stats *s, const char *name)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->name[i], name))
			return s->v[i];
	FATAL("counter %s missing from %s", name, STATS_PATH);
}

static long long delta(const struct stats *a, const struct stats *b,
		       const char *name)
{
	return stat_of(b, name) - stat_of(a, name);
}

static void diag_deltas(const struct stats *a, const struct stats *b)
{
	int i;

	for (i = 0; i < b->n && i < a->n; i++)
		if (b->v[i] != a->v[i])
			diag("  %s %+lld (now %lld)", b->name[i], b->v[i] - a->v[i],
			     b->v[i]);
}

/* ---- /proc/net/sdp ---- */

#define MAX_ENTS 512

struct ent {
	int sl;
	char local[48], rem[48];	/* "HEX:PORT" as printed */
	int st;
	unsigned long txq, rxq, uid, inode;
	char type[16];
	long assoc;
};

static const char *const table_header[] = {
	"sl", "local_address", "rem_address", "st", "tx_queue", "rx_queue",
	"tr", "tm->when", "retrnsmt", "uid", "timeout", "inode", "type",
	"assoc", NULL
};

/*
 * Returns the number of entries of the open file f (closed here); the test
 * fails on a malformed file.
 */
static int table_read_file(FILE *f, const char *path, struct ent *e, int max)
{
	char line[512];
	int n = 0, lineno = 0;

	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (lineno == 1) {
			char *save = NULL, *t = strtok_r(line, " \n", &save);
			int i;

			for (i = 0; table_header[i]; i++) {
				if (!t || strcmp(t, table_header[i]))
					FATAL("%s header: column %d is \"%s\", want \"%s\"",
					      path, i + 1, t ? t : "(none)", table_header[i]);
				t = strtok_r(NULL, " \n", &save);
			}
			continue;
		}
		if (n == max)
			FATAL("%s: more than %d entries", path, max);
		memset(&e[n], 0, sizeof(e[n]));
		if (sscanf(line, " %d: %47s %47s %x %lx:%lx %*x:%*x %*x %lu %*d %lu %15s %ld",
			   &e[n].sl, e[n].local, e[n].rem, (unsigned int *)&e[n].st,
			   &e[n].txq, &e[n].rxq, &e[n].uid, &e[n].inode, e[n].type,
			   &e[n].assoc) != 10)
			FATAL("%s:%d: cannot parse: %s", path, lineno, line);
		if (e[n].sl != n)
			FAIL("%s:%d: sl is %d, want %d", path, lineno, e[n].sl, n);
		n++;
	}
	fclose(f);
	if (lineno == 0)
		FATAL("%s is empty (no header)", path);
	return n;
}

static int table_read_path(const char *path, struct ent *e, int max)
{
	FILE *f = fopen(path, "r");

	if (!f)
		FATAL("%s: %s", path, strerror(errno));
	return table_read_file(f, path, e, max);
}

static int table_read(struct ent *e, int max)
{
	return table_read_path(TABLE_PATH, e, max);
}

static void diag_table(const struct ent *e, int n)
{
	int i;

	diag("  %s (%d entries):", TABLE_PATH, n);
	for (i = 0; i < n; i++)
		diag("    %d: %s %s %02X %lu:%lu uid %lu inode %lu %s %ld", e[i].sl,
		     e[i].local, e[i].rem, e[i].st, e[i].txq, e[i].rxq,
		     e[i].uid, e[i].inode, e[i].type, e[i].assoc);
}

static const struct ent *by_inode(const struct ent *e, int n, unsigned long ino,
				   int *count)
{
	const struct ent *r = NULL;
	int i;

	*count = 0;
	for (i = 0; i < n; i++)
		if (e[i].inode == ino) {
			r = r ? r : &e[i];
			(*count)++;
		}
	return r;
}

/* an IPv4 address and port the way /proc/net/tcp prints them */
static void proc_addr(char *buf, size_t n, const struct sockaddr_in *a)
{
	snprintf(buf, n, "%08X:%04X", a->sin_addr.s_addr, ntohs(a->sin_port));
}

static unsigned long ino_of(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		FATAL("fstat: %s", strerror(errno));
	return st.st_ino;
}

static struct sockaddr_in name_of(int fd, int peer)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);

	memset(&a, 0, sizeof(a));
	if ((peer ? getpeername(fd, (struct sockaddr *)&a, &l) :
		    getsockname(fd, (struct sockaddr *)&a, &l)) < 0)
		FATAL("%s: %s", peer ? "getpeername" : "getsockname", errname(errno));
	return a;
}

/* check the line of socket fd: one line, addresses, state, uid, type */
static void check_line(const char *what, const struct ent *e, int n, int fd,
		       int want_st, int connected)
{
	struct sockaddr_in l = name_of(fd, 0), r;
	char wl[48], wr[48], lab[128];
	const struct ent *x;
	int count;

	if (connected) {
		r = name_of(fd, 1);
	} else {
		memset(&r, 0, sizeof(r));
		r.sin_family = AF_INET;
	}
	proc_addr(wl, sizeof(wl), &l);
	proc_addr(wr, sizeof(wr), &r);
	x = by_inode(e, n, ino_of(fd), &count);
	snprintf(lab, sizeof(lab), "%s: lines with its inode", what);
	EXPECT_EQ(lab, count, 1);
	if (!x)
		return;
	snprintf(lab, sizeof(lab), "%s: local_address", what);
	EXPECT_STR(lab, x->local, wl);
	snprintf(lab, sizeof(lab), "%s: rem_address", what);
	EXPECT_STR(lab, x->rem, wr);
	snprintf(lab, sizeof(lab), "%s: st", what);
	EXPECT_EQ(lab, x->st, want_st);
	snprintf(lab, sizeof(lab), "%s: uid", what);
	EXPECT_EQ(lab, x->uid, geteuid());
	snprintf(lab, sizeof(lab), "%s: type", what);
	EXPECT_STR(lab, x->type, "stream");
	snprintf(lab, sizeof(lab), "%s: assoc", what);
	EXPECT_EQ(lab, x->assoc, 0);
}

/* ---- connections ---- */

struct live {
	int lfd, cli, srv;
	uint16_t port;
};

static void live_open(const struct fam *f, struct live *c)
{
	c->lfd = t_listener(f, &c->port);
	t_connect_accept(f, c->lfd, c->port, &c->cli, &c->srv);
}

static void live_close(struct live *c)
{
	close(c->cli);
	close(c->srv);
	close(c->lfd);
}

/*
 * Wait until no line of the table has local address L with remote R
 * (R NULL: any); returns the milliseconds it took, or -1 at the timeout.
 */
static int wait_gone(const char *l, const char *r, int timeout_ms)
{
	static struct ent e[MAX_ENTS];
	double t0 = mono_ms();

	for (;;) {
		int n = table_read(e, MAX_ENTS), i, found = 0;

		for (i = 0; i < n; i++)
			if (!strcmp(e[i].local, l) && (!r || !strcmp(e[i].rem, r)))
				found = 1;
		if (!found)
			return (int)(mono_ms() - t0);
		if (mono_ms() - t0 > timeout_ms) {
			diag("still listed after %d ms: local %s remote %s", timeout_ms,
			     l, r ? r : "*");
			diag_table(e, n);
			return -1;
		}
		sleep_ms(50);
	}
}

/* send len bytes of the pattern from a to b and check them; 0 if all good */
static int transfer(int a, int b, uint64_t len, const char *what)
{
	struct xfer s = { .fd = a, .seed = seed_new(), .len = len, .maxchunk = 16384 };
	struct xfer r = { .fd = b, .seed = s.seed, .len = len, .maxchunk = 16384 };
	pthread_t th;

	if (pthread_create(&th, NULL, xfer_send_thread, &s))
		FATAL("pthread_create");
	xfer_recv(&r);
	pthread_join(th, NULL);
	if (s.err || r.err || s.done != len || r.done != len || r.bad_off != -1) {
		xfer_diag("send", &s);
		xfer_diag("recv", &r);
		FAIL("%s: transfer of %llu bytes failed", what, (unsigned long long)len);
		return -1;
	}
	return 0;
}

/* ---- sdpstat ---- */

static char sdpstat_path[PATH_MAX + 32];

/* SDPSTAT, or sdpstat next to this binary, or in ../sdpstat/ */
static const char *sdpstat_bin(void)
{
	const char *env = getenv("SDPSTAT");
	char self[PATH_MAX], *sl;
	ssize_t n;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		sl = strrchr(self, '/');
		if (sl) {
			*sl = 0;
			snprintf(sdpstat_path, sizeof(sdpstat_path), "%s/sdpstat", self);
			if (!access(sdpstat_path, X_OK))
				return sdpstat_path;
			snprintf(sdpstat_path, sizeof(sdpstat_path),
				 "%s/../../sdpstat/sdpstat", self);
			if (!access(sdpstat_path, X_OK))
				return sdpstat_path;
		}
	}
	skip_test("sdpstat not found (set SDPSTAT, or build it next to this binary)");
}

/* run sdpstat with args, return its stdout (malloc'd); check the exit status */
static char *run_sdpstat(const char *args, int want_status)
{
	char cmd[PATH_MAX + 256], *out = NULL;
	size_t len = 0, cap = 0;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "%s %s", sdpstat_bin(), args);
	p = popen(cmd, "r");
	if (!p)
		FATAL("popen %s: %s", cmd, strerror(errno));
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? 2 * cap : 65536;
			out = realloc(out, cap);
			if (!out)
				FATAL("out of memory");
		}
		size_t k = fread(out + len, 1, cap - len - 1, p);

		if (!k)
			break;
		len += k;
	}
	out[len] = 0;
	st = pclose(p);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != want_status) {
		diag("$ %s", cmd);
		diag("%s", out);
		FAIL("sdpstat %s: status 0x%x, want exit %d", args, st, want_status);
	}
	return out;
}

/* =================================================================== */
/* sysctls                                                              */
/* =================================================================== */

TEST_SDP(sysctl_names)
{
	DIR *d = opendir(SYSCTL_DIR);
	struct dirent *de;
	int seen[NKNOBS] = { 0 }, i;

	if (!d)
		FATAL("%s: %s", SYSCTL_DIR, strerror(errno));
	while ((de = readdir(d))) {
		const struct knob *k;
		char path[300];
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		k = knob(de->d_name);
		if (!k) {
			FAIL("%s/%s is not in the contract (document it in Documentation/sdp.rst and test it here)",
			     SYSCTL_DIR, de->d_name);
			continue;
		}
		seen[k - knobs] = 1;
		snprintf(path, sizeof(path), SYSCTL_DIR "/%s", de->d_name);
		if (stat(path, &st))
			FATAL("stat %s: %s", path, strerror(errno));
		if ((st.st_mode & 07777) != 0644 || st.st_uid != 0)
			FAIL("%s: mode %o uid %u, want 0644 root", path,
			     st.st_mode & 07777, st.st_uid);
	}
	closedir(d);
	for (i = 0; i < NKNOBS; i++) {
		obs("%s: %s", knobs[i].name, seen[i] ? "present" : "missing");
		if (!seen[i])
			FAIL("%s/%s missing", SYSCTL_DIR, knobs[i].name);
	}
}

/* one write that must succeed and read back as want */
static void put_good(const struct knob *k, const char *s, long want)
{
	char lab[160];
	long v;
	int e = sysctl_put(k->name, s);

	snprintf(lab, sizeof(lab), "%s <- \"%.*s%s\"", k->name,
		 (int)strcspn(s, "\n"), s, strchr(s, '\n') ? "\\n" : "");
	if (e)
		FAIL("%s: %s, want success", lab, errname(e));
	e = sysctl_get(k->name, &v);
	if (e)
		FAIL("%s: read back: %s", lab, errname(e));
	else if (v != want)
		FAIL("%s: reads back %ld, want %ld", lab, v, want);
	obs("%s: %s, reads %ld", lab, e ? errname(e) : "ok", v);
}

/* one write that must fail with EINVAL and leave the value at before */
static void put_bad(const struct knob *k, const char *s, long before)
{
	char lab[160];
	long v = 0;
	int e = sysctl_put(k->name, s), e2;

	snprintf(lab, sizeof(lab), "%s <- \"%.*s%s\"", k->name,
		 (int)strcspn(s, "\n"), s, strchr(s, '\n') ? "\\n" : "");
	if (e != EINVAL)
		FAIL("%s: %s, want EINVAL", lab, e ? errname(e) : "accepted");
	e2 = sysctl_get(k->name, &v);
	if (e2)
		FAIL("%s: read back: %s", lab, errname(e2));
	else if (v != before)
		FAIL("%s: the value changed to %ld (was %ld)", lab, v, before);
	obs("%s: %s, reads %ld", lab, e ? errname(e) : "ok", v);
}

static void bounds(const char *name)
{
	const struct knob *k = knob(name);
	long orig = sysctl_val(name), mid;
	char s[64];

	mid = k->def;
	/* valid: both ends, the default, with and without a newline */
	snprintf(s, sizeof(s), "%ld", k->min);
	put_good(k, s, k->min);
	snprintf(s, sizeof(s), "%ld\n", k->max);
	put_good(k, s, k->max);
	snprintf(s, sizeof(s), "%ld\n", k->min);
	put_good(k, s, k->min);
	snprintf(s, sizeof(s), "%ld", k->max);
	put_good(k, s, k->max);
	snprintf(s, sizeof(s), "  %ld\n", mid);
	put_good(k, s, mid);

	/* invalid: just outside, far outside, wrapping to 32 bits, garbage */
	snprintf(s, sizeof(s), "%ld", k->min - 1);
	put_bad(k, s, mid);
	snprintf(s, sizeof(s), "%ld\n", k->max + 1);
	put_bad(k, s, mid);
	snprintf(s, sizeof(s), "%ld", (long)INT_MIN);
	put_bad(k, s, mid);
	snprintf(s, sizeof(s), "%ld", k->min - 1 + 4294967296L);
	put_bad(k, s, mid);
	snprintf(s, sizeof(s), "%ld", k->min + 4294967296L);
	put_bad(k, s, mid);
	put_bad(k, "99999999999999999999999", mid);
	put_bad(k, "abc", mid);
	snprintf(s, sizeof(s), "%ldabc", k->min);
	put_bad(k, s, mid);
	snprintf(s, sizeof(s), "%ld.5", k->min);
	put_bad(k, s, mid);
	put_bad(k, "-", mid);
	put_bad(k, "\n", mid);

	sysctl_set(name, orig);
}

#define BOUNDS_TEST(n) TEST_SDP(sysctl_bounds_##n) { bounds(#n); }
BOUNDS_TEST(zcopy_thresh)
BOUNDS_TEST(inline_thresh)
BOUNDS_TEST(rmem)
BOUNDS_TEST(wmem)
BOUNDS_TEST(rx_depth)
BOUNDS_TEST(rcvsz)
BOUNDS_TEST(recv_poll_usec)
BOUNDS_TEST(keepalive_time)
BOUNDS_TEST(max_msg)
BOUNDS_TEST(zcopy_mode)

/*
 * Another user can read but not write. (The directory is opened before
 * dropping privileges: only the files' own permissions are tested, not
 * the path to them - in the test guest "/" itself is 0700.)
 */
TEST_SDP(sysctl_unprivileged)
{
	int dir = open(SYSCTL_DIR, O_PATH | O_DIRECTORY), st;
	pid_t pid;

	if (dir < 0)
		FATAL("%s: %s", SYSCTL_DIR, strerror(errno));
	pid = fork();
	if (pid < 0)
		FATAL("fork: %s", strerror(errno));
	if (pid == 0) {
		int i, bad = 0;

		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(10);
		for (i = 0; i < NKNOBS; i++) {
			char buf[64];
			int fd = openat(dir, knobs[i].name, O_RDONLY);

			if (fd < 0 || read(fd, buf, sizeof(buf)) <= 0) {
				diag("uid 65534: read %s: %s", knobs[i].name, errname(errno));
				bad = 1;
			}
			if (fd >= 0)
				close(fd);
			fd = openat(dir, knobs[i].name, O_WRONLY);
			if (fd >= 0 || errno != EACCES) {
				diag("uid 65534: open %s for writing: %s, want EACCES",
				     knobs[i].name, fd >= 0 ? "ok" : errname(errno));
				bad = 1;
			}
		}
		_exit(bad);
	}
	close(dir);
	waitpid(pid, &st, 0);
	EXPECT_EQ("uid 65534 reads all and writes none (exit status)",
		  WIFEXITED(st) ? WEXITSTATUS(st) : 99, 0);
}

/* new values reach sockets created afterwards; existing ones keep theirs */
TEST_SDP(sysctl_applies_to_new_sockets)
{
	long o_wmem = sysctl_val("wmem"), o_rmem = sysctl_val("rmem");
	long o_ka = sysctl_val("keepalive_time"), o_zc = sysctl_val("zcopy_thresh");
	int old = t_socket(f), fresh;

	sysctl_set("wmem", 65536);
	sysctl_set("rmem", 131072);
	sysctl_set("keepalive_time", 600);
	sysctl_set("zcopy_thresh", 1000);
	fresh = t_socket(f);
	EXPECT_EQ("new socket SO_SNDBUF", get_int_opt(fresh, SOL_SOCKET, SO_SNDBUF), 65536);
	EXPECT_EQ("new socket SO_RCVBUF", get_int_opt(fresh, SOL_SOCKET, SO_RCVBUF), 131072);
	EXPECT_EQ("new socket TCP_KEEPIDLE", get_int_opt(fresh, SOL_TCP, TCP_KEEPIDLE), 600);
	EXPECT_EQ("new socket SDP_ZCOPY_THRESH",
		  get_int_opt(fresh, SOL_SDP, SDP_ZCOPY_THRESH), 1000);
	EXPECT_EQ("old socket SO_SNDBUF", get_int_opt(old, SOL_SOCKET, SO_SNDBUF), o_wmem);
	EXPECT_EQ("old socket SO_RCVBUF", get_int_opt(old, SOL_SOCKET, SO_RCVBUF), o_rmem);
	EXPECT_EQ("old socket TCP_KEEPIDLE", get_int_opt(old, SOL_TCP, TCP_KEEPIDLE), o_ka);
	EXPECT_EQ("old socket SDP_ZCOPY_THRESH",
		  get_int_opt(old, SOL_SDP, SDP_ZCOPY_THRESH), o_zc);
	close(old);
	close(fresh);
	sysctl_set("wmem", o_wmem);
	sysctl_set("rmem", o_rmem);
	sysctl_set("keepalive_time", o_ka);
	sysctl_set("zcopy_thresh", o_zc);
}

/*
 * rcvsz applies to connections set up afterwards: the peer's receive
 * buffer size less the 16-byte header is what TCP_MAXSEG reports.
 */
TEST_SDP(sysctl_rcvsz_applies_to_new_connections)
{
	long o = sysctl_val("rcvsz");
	int c1, s1, c2, s2;

	t_pair(f, &c1, &s1);
	EXPECT_EQ("TCP_MAXSEG, rcvsz at its value before", get_int_opt(c1, SOL_TCP, TCP_MAXSEG),
		  o - 16);
	sysctl_set("rcvsz", 4096);
	t_pair(f, &c2, &s2);
	EXPECT_EQ("TCP_MAXSEG of a new connection, rcvsz 4096",
		  get_int_opt(c2, SOL_TCP, TCP_MAXSEG), 4096 - 16);
	EXPECT_EQ("TCP_MAXSEG of the accepted end", get_int_opt(s2, SOL_TCP, TCP_MAXSEG),
		  4096 - 16);
	EXPECT_EQ("TCP_MAXSEG of the older connection", get_int_opt(c1, SOL_TCP, TCP_MAXSEG),
		  o - 16);
	EXPECT_VAL("new connection carries data", transfer(c2, s2, 100000, "rcvsz 4096"), 0);
	close(c1);
	close(s1);
	close(c2);
	close(s2);
	sysctl_set("rcvsz", o);
}

/*
 * inline_thresh: messages (16-byte header + payload) up to it go inline,
 * as far as the device allows; 0 means never. Ten 100-byte sends, each
 * received before the next, are ten 116-byte data messages.
 */
static void inline_effect(const struct fam *f, long thresh, int want_inline)
{
	long o = sysctl_val("inline_thresh");
	struct stats s0, s1;
	char buf[100], lab[96];
	int cli, srv, i;
	long long d;

	sysctl_set("inline_thresh", thresh);
	t_pair(f, &cli, &srv);
	set_int_opt(cli, SOL_TCP, TCP_NODELAY, 1);
	memset(buf, 'i', sizeof(buf));
	stats_read(&s0);
	for (i = 0; i < 10; i++) {
		SETUP_VAL("send", send(cli, buf, sizeof(buf), 0), (long)sizeof(buf));
		SETUP_VAL("recv", recv_all(srv, buf, sizeof(buf)), (long)sizeof(buf));
	}
	stats_read(&s1);
	diag("inline_thresh %ld: counters that moved:", thresh);
	diag_deltas(&s0, &s1);
	d = delta(&s0, &s1, "InlineTxMsgs");
	snprintf(lab, sizeof(lab), "inline_thresh %ld: InlineTxMsgs %s", thresh,
		 want_inline ? ">= 10 (the data messages)" : "== 0");
	EXPECT_TRUE(lab, want_inline ? d >= 10 : d == 0);
	close(cli);
	close(srv);
	sysctl_set("inline_thresh", o);
}

TEST_SDP(sysctl_inline_thresh_0_is_never) { inline_effect(f, 0, 0); }
TEST_SDP(sysctl_inline_thresh_128) { inline_effect(f, 128, 1); }
TEST_SDP(sysctl_inline_thresh_1024) { inline_effect(f, 1024, 1); }

/*
 * A connection set up with a sysctl at an extreme of its range still
 * works: 256 KiB each way, integrity-checked.
 */
static void extreme(const struct fam *f, const char *n1, long v1,
		    const char *n2, long v2)
{
	long o1 = sysctl_val(n1), o2 = n2 ? sysctl_val(n2) : 0;
	int cli, srv;

	sysctl_set(n1, v1);
	if (n2)
		sysctl_set(n2, v2);
	if (n2)
		diag("%s=%ld %s=%ld", n1, v1, n2, v2);
	else
		diag("%s=%ld", n1, v1);
	t_pair(f, &cli, &srv);
	EXPECT_VAL("client -> server", transfer(cli, srv, 256 << 10, "client -> server"), 0);
	EXPECT_VAL("server -> client", transfer(srv, cli, 256 << 10, "server -> client"), 0);
	close(cli);
	close(srv);
	sysctl_set(n1, o1);
	if (n2)
		sysctl_set(n2, o2);
}

#define EXTREME_TEST(tn, n1, v1, n2, v2) \
	TEST_SDP(sysctl_extreme_##tn) { extreme(f, n1, v1, n2, v2); }
EXTREME_TEST(inline_thresh_0, "inline_thresh", 0, NULL, 0)
EXTREME_TEST(inline_thresh_max, "inline_thresh", 1024, NULL, 0)
EXTREME_TEST(rx_depth_min, "rx_depth", 4, NULL, 0)
EXTREME_TEST(rx_depth_max, "rx_depth", 1024, NULL, 0)
EXTREME_TEST(rcvsz_min, "rcvsz", 80, NULL, 0)
EXTREME_TEST(rcvsz_max, "rcvsz", 256 * 1024, NULL, 0)
EXTREME_TEST(rx_depth_rcvsz_min, "rx_depth", 4, "rcvsz", 80)
EXTREME_TEST(bufs_min, "rmem", 4096, "wmem", 4096)
EXTREME_TEST(zcopy_thresh_0, "zcopy_thresh", 0, NULL, 0)
EXTREME_TEST(zcopy_thresh_1, "zcopy_thresh", 1, NULL, 0)
EXTREME_TEST(recv_poll_usec_max, "recv_poll_usec", 1000000, NULL, 0)
EXTREME_TEST(zcopy_write_4k, "zcopy_mode", 2, "zcopy_thresh", 4096)
EXTREME_TEST(zcopy_read_4k, "zcopy_mode", 1, "zcopy_thresh", 4096)
EXTREME_TEST(zcopy_none_4k, "zcopy_mode", 3, "zcopy_thresh", 4096)

/* =================================================================== */
/* network namespaces                                                   */
/* =================================================================== */

static int lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), r;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	r = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (!r) {
		ifr.ifr_flags |= IFF_UP;
		r = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return r;
}

static pid_t netns_child(void)
{
	pid_t pid = fork();

	if (pid < 0)
		FATAL("fork: %s", strerror(errno));
	if (pid == 0 && unshare(CLONE_NEWNET)) {
		diag("unshare(CLONE_NEWNET): %s", strerror(errno));
		_exit(77);
	}
	return pid;
}

static int reap(pid_t pid, const char *what)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		FATAL("waitpid: %s", strerror(errno));
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
		skip_test("%s: no network namespaces here", what);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		FAIL("%s: child status 0x%x", what, st);
		return -1;
	}
	return 0;
}

/* a new namespace starts from the defaults, and its values are its own */
TEST_SDP(netns_own_sysctls)
{
	long o_zc = sysctl_val("zcopy_thresh"), o_rx = sysctl_val("rx_depth");
	pid_t pid;

	sysctl_set("zcopy_thresh", 12345);
	sysctl_set("rx_depth", 5);
	pid = netns_child();
	if (pid == 0) {
		int i;

		for (i = 0; i < NKNOBS; i++) {
			char lab[96];

			snprintf(lab, sizeof(lab), "new netns: %s", knobs[i].name);
			EXPECT_EQ(lab, sysctl_val(knobs[i].name), knobs[i].def);
		}
		sysctl_set("zcopy_thresh", 4242);
		EXPECT_EQ("new netns: zcopy_thresh after writing 4242",
			  sysctl_val("zcopy_thresh"), 4242);
		put_bad(knob("rx_depth"), "3", knob("rx_depth")->def);
		/* a socket here takes this namespace's value */
		{
			int fd = socket(f->family, SOCK_STREAM, 0);

			if (fd < 0)
				FAIL("socket in new netns: %s", errname(errno));
			else
				EXPECT_EQ("new netns: socket SDP_ZCOPY_THRESH",
					  get_int_opt(fd, SOL_SDP, SDP_ZCOPY_THRESH), 4242);
			close(fd);
		}
		_exit(test_failed());
	}
	reap(pid, "netns child");
	EXPECT_EQ("initial netns: zcopy_thresh unchanged", sysctl_val("zcopy_thresh"), 12345);
	EXPECT_EQ("initial netns: rx_depth unchanged", sysctl_val("rx_depth"), 5);
	{
		int fd = t_socket(f);

		EXPECT_EQ("initial netns: socket SDP_ZCOPY_THRESH",
			  get_int_opt(fd, SOL_SDP, SDP_ZCOPY_THRESH), 12345);
		close(fd);
	}
	sysctl_set("zcopy_thresh", o_zc);
	sysctl_set("rx_depth", o_rx);
}

/*
 * A new namespace has its own counters (all 0) and socket table (empty,
 * though the initial one has a live connection), and what happens in it
 * shows in its files only.
 */
TEST_SDP(netns_own_counters_and_table)
{
	static struct ent e[MAX_ENTS];
	struct stats s0, s1;
	struct live c;
	int up[2], down[2], n, count;
	unsigned long child_ino = 0;
	char go = 'g';
	pid_t pid;

	live_open(f, &c);
	stats_read(&s0);
	if (pipe(up) || pipe(down))
		FATAL("pipe: %s", strerror(errno));
	pid = netns_child();
	if (pid == 0) {
		struct stats cs, cs2;
		struct sockaddr_in lo = { .sin_family = AF_INET };
		int fd, lfd, cfd, i, r;
		unsigned long ino;
		socklen_t sl = sizeof(lo);

		close(up[0]);
		close(down[1]);
		stats_read(&cs);
		for (i = 0; i < cs.n; i++)
			if (cs.v[i])
				FAIL("new netns: %s is %lld, want 0", cs.name[i], cs.v[i]);
		obs("new netns: %d counters, all 0: %s", cs.n, test_failed() ? "no" : "yes");
		n = table_read(e, MAX_ENTS);
		EXPECT_EQ("new netns: table entries", n, 0);
		if (n)
			diag_table(e, n);
		fd = socket(f->family, SOCK_STREAM, 0);
		if (fd < 0)
			FATAL("socket in new netns: %s", errname(errno));
		ino = ino_of(fd);
		n = table_read(e, MAX_ENTS);
		EXPECT_EQ("new netns: entries after socket()", n, 1);
		EXPECT_TRUE("new netns: it is ours", n == 1 && e[0].inode == ino);
		/* tell the parent our inode, wait until it looked */
		if (write(up[1], &ino, sizeof(ino)) != sizeof(ino) ||
		    read(down[0], &go, 1) != 1)
			FATAL("pipe to parent");

		/*
		 * Activity here: a listener and a connection attempt on the
		 * loopback of this namespace (there is no RDMA device on it:
		 * whatever happens, it must be counted here only).
		 */
		if (lo_up())
			diag("new netns: lo up: %s", strerror(errno));
		lfd = socket(f->family, SOCK_STREAM, 0);
		lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		r = bind(lfd, (struct sockaddr *)&lo, sizeof(lo));
		diag("new netns: bind 127.0.0.1:0: %s", r ? errname(errno) : "ok");
		if (!r) {
			r = listen(lfd, 4);
			diag("new netns: listen: %s", r ? errname(errno) : "ok");
			getsockname(lfd, (struct sockaddr *)&lo, &sl);
		}
		cfd = socket(f->family, SOCK_STREAM, 0);
		r = connect(cfd, (struct sockaddr *)&lo, sizeof(lo));
		diag("new netns: connect 127.0.0.1:%u: %s", ntohs(lo.sin_port),
		     r ? errname(errno) : "ok");
		stats_read(&cs2);
		diag("new netns: counters that moved:");
		diag_deltas(&cs, &cs2);
		{
			int moved = 0;

			for (i = 0; i < cs2.n; i++)
				moved |= cs2.v[i] != 0;
			EXPECT_TRUE("new netns: the attempt is counted here", moved);
		}
		close(cfd);
		close(lfd);
		close(fd);
		_exit(test_failed());
	}
	close(up[1]);
	close(down[0]);
	if (read(up[0], &child_ino, sizeof(child_ino)) == sizeof(child_ino)) {
		n = table_read(e, MAX_ENTS);
		by_inode(e, n, child_ino, &count);
		EXPECT_EQ("initial netns: lines of the new netns' socket", count, 0);
		check_line("initial netns: listener", e, n, c.lfd, 0x0A, 0);
		check_line("initial netns: client", e, n, c.cli, 0x01, 1);
	} else {
		FAIL("no word from the netns child");
	}
	if (write(down[1], &go, 1) != 1)
		FATAL("pipe to child");
	reap(pid, "netns child");
	stats_read(&s1);
	{
		int i, moved = 0;

		for (i = 0; i < s1.n; i++)
			if (stat_of(&s0, s1.name[i]) != s1.v[i])
				moved = 1;
		EXPECT_TRUE("initial netns: no counter moved", !moved);
		if (moved)
			diag_deltas(&s0, &s1);
	}
	live_close(&c);
}

/* =================================================================== */
/* /proc/net/sdp                                                        */
/* =================================================================== */

/* our formatting of addresses is the one of /proc/net/tcp */
TEST_SDP(table_format_is_tcp_format)
{
	static struct ent e[MAX_ENTS];
	int tfd = socket(AF_INET, SOCK_STREAM, 0), sfd, n, count;
	struct sockaddr_in a = sin_local(0), ta, sa;
	char want[48];
	const struct ent *x;
	FILE *tcp;
	char line[512];
	int found = 0;

	if (tfd < 0 || bind(tfd, (struct sockaddr *)&a, sizeof(a)) || listen(tfd, 1))
		FATAL("tcp listener: %s", strerror(errno));
	ta = name_of(tfd, 0);
	proc_addr(want, sizeof(want), &ta);
	tcp = fopen("/proc/net/tcp", "r");
	if (!tcp)
		FATAL("/proc/net/tcp: %s", strerror(errno));
	while (fgets(line, sizeof(line), tcp)) {
		char l[48];
		unsigned long ino;

		if (sscanf(line, " %*d: %47s %*s %*x %*s %*s %*s %*u %*d %lu", l, &ino) == 2 &&
		    ino == ino_of(tfd)) {
			EXPECT_STR("tcp listener in /proc/net/tcp", l, want);
			found = 1;
		}
	}
	fclose(tcp);
	EXPECT_TRUE("tcp listener found in /proc/net/tcp", found);

	sfd = t_listener(f, NULL);
	sa = name_of(sfd, 0);
	proc_addr(want, sizeof(want), &sa);
	n = table_read(e, MAX_ENTS);
	x = by_inode(e, n, ino_of(sfd), &count);
	EXPECT_EQ("sdp listener lines", count, 1);
	if (x)
		EXPECT_STR("sdp listener local_address", x->local, want);
	close(sfd);
	close(tfd);
}

TEST_SDP(table_live_connection)
{
	static struct ent e[MAX_ENTS];
	struct sockaddr_in cl, sl;
	char lcli[48], lsrv[48], llst[48];
	struct live c;
	int n, ms;

	live_open(f, &c);
	n = table_read(e, MAX_ENTS);
	check_line("listener", e, n, c.lfd, 0x0A, 0);
	check_line("client", e, n, c.cli, 0x01, 1);
	check_line("accepted", e, n, c.srv, 0x01, 1);
	/* the two ends are mirror images */
	cl = name_of(c.cli, 0);
	sl = name_of(c.srv, 0);
	{
		struct sockaddr_in cp = name_of(c.cli, 1);

		EXPECT_TRUE("client's peer is the accepted socket",
			    cp.sin_addr.s_addr == sl.sin_addr.s_addr &&
			    cp.sin_port == sl.sin_port);
	}
	EXPECT_TRUE("accepted socket's port is the listener's",
		    sl.sin_port == htons(c.port));
	if (test_failed())
		diag_table(e, n);
	proc_addr(lcli, sizeof(lcli), &cl);
	proc_addr(lsrv, sizeof(lsrv), &sl);
	sl = name_of(c.lfd, 0);
	proc_addr(llst, sizeof(llst), &sl);

	live_close(&c);
	ms = wait_gone(lcli, lsrv, 5000);
	EXPECT_TRUE("client's line gone within 5 s of close", ms >= 0);
	ms = wait_gone(lsrv, lcli, 5000);
	EXPECT_TRUE("accepted socket's line gone within 5 s of close", ms >= 0);
	ms = wait_gone(llst, NULL, 5000);
	EXPECT_TRUE("listener's line gone within 5 s of close", ms >= 0);
}

/* rx_queue: bytes received and not read; tx_queue: drains to 0 */
TEST_SDP(table_queues)
{
	static struct ent e[MAX_ENTS];
	char buf[1000];
	const struct ent *x;
	struct live c;
	int n, count, i;

	live_open(f, &c);
	memset(buf, 'q', sizeof(buf));
	SETUP_VAL("send", send(c.cli, buf, sizeof(buf), 0), (long)sizeof(buf));
	if (!(poll_until(c.srv, POLLIN, 5000) & POLLIN))
		FATAL("no data at the server");
	/* the whole 1000 bytes may take a moment to be counted */
	for (i = 0; i < 100; i++) {
		n = table_read(e, MAX_ENTS);
		x = by_inode(e, n, ino_of(c.srv), &count);
		if (x && x->rxq == sizeof(buf))
			break;
		sleep_ms(20);
	}
	EXPECT_EQ("server rx_queue with 1000 bytes unread", x ? (long)x->rxq : -1, 1000);
	for (i = 0; i < 100; i++) {
		n = table_read(e, MAX_ENTS);
		x = by_inode(e, n, ino_of(c.cli), &count);
		if (x && x->txq == 0)
			break;
		sleep_ms(20);
	}
	EXPECT_EQ("client tx_queue after the peer got it", x ? (long)x->txq : -1, 0);
	SETUP_VAL("recv", recv_all(c.srv, buf, sizeof(buf)), (long)sizeof(buf));
	n = table_read(e, MAX_ENTS);
	x = by_inode(e, n, ino_of(c.srv), &count);
	EXPECT_EQ("server rx_queue after reading", x ? (long)x->rxq : -1, 0);
	/* the listener's rx_queue is its accept backlog */
	{
		int c2, s2;
		struct sockaddr_in a = sin_peer(c.port);

		c2 = t_socket(f);
		SETUP_OK("connect", connect(c2, (struct sockaddr *)&a, sizeof(a)));
		for (i = 0; i < 100; i++) {
			n = table_read(e, MAX_ENTS);
			x = by_inode(e, n, ino_of(c.lfd), &count);
			if (x && x->rxq == 1)
				break;
			sleep_ms(20);
		}
		EXPECT_EQ("listener rx_queue with 1 connection not accepted",
			  x ? (long)x->rxq : -1, 1);
		s2 = SETUP_OK("accept", accept(c.lfd, NULL, NULL));
		n = table_read(e, MAX_ENTS);
		x = by_inode(e, n, ino_of(c.lfd), &count);
		EXPECT_EQ("listener rx_queue after accept", x ? (long)x->rxq : -1, 0);
		close(c2);
		close(s2);
	}
	if (test_failed())
		diag_table(e, n);
	live_close(&c);
}

/* unconnected sockets, SOCK_SEQPACKET, and the uid of another user */
TEST_SDP(table_other_sockets)
{
	static struct ent e[MAX_ENTS];
	const struct ent *x;
	int fd = t_socket(f), sq, n, count, st;
	pid_t pid;

	sq = socket(f->family, SOCK_SEQPACKET, 0);
	if (sq < 0)
		FATAL("socket(SEQPACKET): %s", errname(errno));
	n = table_read(e, MAX_ENTS);
	x = by_inode(e, n, ino_of(fd), &count);
	EXPECT_EQ("new stream socket: lines", count, 1);
	if (x) {
		EXPECT_EQ("new stream socket: st (CLOSE)", x->st, 0x07);
		EXPECT_STR("new stream socket: local", x->local, "00000000:0000");
		EXPECT_STR("new stream socket: remote", x->rem, "00000000:0000");
		EXPECT_STR("new stream socket: type", x->type, "stream");
		EXPECT_EQ("new stream socket: queues", x->txq + x->rxq, 0);
	}
	x = by_inode(e, n, ino_of(sq), &count);
	EXPECT_EQ("seqpacket socket: lines", count, 1);
	if (x) {
		EXPECT_STR("seqpacket socket: type", x->type, "seqpacket");
		EXPECT_EQ("seqpacket socket: assoc", x->assoc, 0);
	}
	/* bound, not listening */
	{
		struct sockaddr_in a = sin_local(0), b;
		char want[48];

		SETUP_OK("bind", bind(fd, (struct sockaddr *)&a, sizeof(a)));
		b = name_of(fd, 0);
		proc_addr(want, sizeof(want), &b);
		n = table_read(e, MAX_ENTS);
		x = by_inode(e, n, ino_of(fd), &count);
		EXPECT_STR("bound socket: local", x ? x->local : "(none)", want);
		EXPECT_EQ("bound socket: st (CLOSE)", x ? x->st : -1, 0x07);
	}
	close(fd);
	close(sq);

	pid = fork();
	if (pid < 0)
		FATAL("fork");
	if (pid == 0) {
		/* opened as root (see sysctl_unprivileged), read after the socket is made */
		FILE *tf = fopen(TABLE_PATH, "r");
		int s;

		if (!tf)
			_exit(9);
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(10);
		s = socket(f->family, SOCK_STREAM, 0);
		if (s < 0)
			_exit(11);
		n = table_read_file(tf, TABLE_PATH, e, MAX_ENTS);
		x = by_inode(e, n, ino_of(s), &count);
		if (!x || x->uid != 65534) {
			diag("socket of uid 65534 listed with uid %ld",
			     x ? (long)x->uid : -1L);
			_exit(12);
		}
		_exit(0);
	}
	waitpid(pid, &st, 0);
	EXPECT_EQ("socket of uid 65534 listed with uid 65534 (exit status)",
		  WIFEXITED(st) ? WEXITSTATUS(st) : 99, 0);
}

/* =================================================================== */
/* /proc/net/sdp_stats                                                  */
/* =================================================================== */

static const char *const required_counters[] = {
	"ActiveOpens", "PassiveOpens", "ConnRefused", "Aborts", "BcopyTxBytes",
	"BcopyRxBytes", "ZcopyTxBytes", "ZcopyRxBytes", "ZcopyFallbacks",
	"CreditStalls", "OobTx", "OobRx", "BadMessages",
	/* the engine's own (Documentation/sdp.rst) */
	"BacklogDrops", "AbortsLocal", "AbortsPeer", "AbortsTransport",
	"BcopyTxMsgs", "BcopyRxMsgs", "InlineTxMsgs", "CreditUpdates",
	"KeepaliveProbes", "ZcopyRxDirectBytes", "ZcopyTxWriteBytes",
	NULL
};

TEST_SDP(counters_names)
{
	struct stats s;
	int i, j;

	stats_read(&s);
	for (i = 0; required_counters[i]; i++) {
		int found = 0;

		for (j = 0; j < s.n; j++)
			found += !strcmp(s.name[j], required_counters[i]);
		obs("%s: %d", required_counters[i], found);
		if (found != 1)
			FAIL("counter %s listed %d times, want once", required_counters[i], found);
	}
	for (j = 0; j < s.n; j++) {
		int known = 0;

		for (i = 0; required_counters[i]; i++)
			known |= !strcmp(s.name[j], required_counters[i]);
		if (!known)
			FAIL("counter %s is not documented (Documentation/sdp.rst) or tested here",
			     s.name[j]);
		if (s.v[j] < 0)
			FAIL("counter %s is negative: %lld", s.name[j], s.v[j]);
	}
}

TEST_SDP(counters_traffic)
{
	const uint64_t up = 300000, down = 100000;
	struct stats s0, s1, s2;
	char lcli[48], lsrv[48];
	struct sockaddr_in a;
	int cli, srv;

	stats_read(&s0);
	t_pair(f, &cli, &srv);
	a = name_of(cli, 0);
	proc_addr(lcli, sizeof(lcli), &a);
	a = name_of(srv, 0);
	proc_addr(lsrv, sizeof(lsrv), &a);
	transfer(cli, srv, up, "client -> server");
	transfer(srv, cli, down, "server -> client");
	stats_read(&s1);
	diag("counters that moved:");
	diag_deltas(&s0, &s1);
	EXPECT_EQ("ActiveOpens delta", delta(&s0, &s1, "ActiveOpens"), 1);
	EXPECT_EQ("PassiveOpens delta", delta(&s0, &s1, "PassiveOpens"), 1);
	EXPECT_EQ("ConnRefused delta", delta(&s0, &s1, "ConnRefused"), 0);
	/* both ends are in this namespace: each byte is sent once, received once */
	EXPECT_TRUE("BcopyTxBytes + ZcopyTxBytes grew by the bytes sent",
		    delta(&s0, &s1, "BcopyTxBytes") + delta(&s0, &s1, "ZcopyTxBytes") >=
		    (long long)(up + down));
	EXPECT_TRUE("BcopyRxBytes + ZcopyRxBytes grew by the bytes sent",
		    delta(&s0, &s1, "BcopyRxBytes") + delta(&s0, &s1, "ZcopyRxBytes") >=
		    (long long)(up + down));
	EXPECT_EQ("BcopyTxBytes + ZcopyTxBytes delta is exactly the bytes sent",
		  delta(&s0, &s1, "BcopyTxBytes") + delta(&s0, &s1, "ZcopyTxBytes"),
		  up + down);
	EXPECT_EQ("bytes received == bytes sent",
		  delta(&s0, &s1, "BcopyRxBytes") + delta(&s0, &s1, "ZcopyRxBytes"),
		  delta(&s0, &s1, "BcopyTxBytes") + delta(&s0, &s1, "ZcopyTxBytes"));
	EXPECT_TRUE("BcopyTxMsgs grew", delta(&s0, &s1, "BcopyTxMsgs") >= 1);
	EXPECT_TRUE("BcopyRxMsgs grew", delta(&s0, &s1, "BcopyRxMsgs") >= 1);
	EXPECT_TRUE("no more data messages than bytes",
		    delta(&s0, &s1, "BcopyTxMsgs") <= (long long)(up + down));
	/* an orderly close is not an abort */
	close(cli);
	close(srv);
	wait_gone(lcli, lsrv, 5000);
	wait_gone(lsrv, lcli, 5000);
	stats_read(&s2);
	EXPECT_EQ("Aborts after an orderly close", delta(&s0, &s2, "Aborts"), 0);
	EXPECT_EQ("BadMessages", delta(&s0, &s2, "BadMessages"), 0);
	if (test_failed())
		diag_deltas(&s0, &s2);
}

TEST_SDP(counters_conn_refused)
{
	struct stats s0, s1;
	struct sockaddr_in a;
	int holder, fd;
	uint16_t port = t_dead_port(f, &holder);

	stats_read(&s0);
	fd = t_socket(f);
	a = sin_peer(port);
	EXPECT_ERR("connect to a port with no listener",
		   connect(fd, (struct sockaddr *)&a, sizeof(a)), ECONNREFUSED);
	stats_read(&s1);
	diag("counters that moved:");
	diag_deltas(&s0, &s1);
	EXPECT_EQ("ConnRefused delta", delta(&s0, &s1, "ConnRefused"), 1);
	EXPECT_EQ("PassiveOpens delta", delta(&s0, &s1, "PassiveOpens"), 0);
	close(fd);
	close(holder);
}

/*
 * A listener with backlog 1 that never accepts: once its queue is full,
 * further connection requests are refused and counted as BacklogDrops
 * (and, at the connecting end, ConnRefused).
 */
TEST_SDP(counters_backlog_drops)
{
	struct sockaddr_in a;
	struct stats s0, s1;
	int lfd, cfd[6], i, n = 0, refused = 0;
	uint16_t port;

	lfd = t_listener_at(f, sin_local(0), 1, &port);
	a = sin_peer(port);
	stats_read(&s0);
	for (i = 0; i < 6 && !refused; i++) {
		int rev, err;

		cfd[n++] = t_socket(f);
		set_nonblock(cfd[i], 1);
		if (connect(cfd[i], (struct sockaddr *)&a, sizeof(a)) < 0 &&
		    errno != EINPROGRESS)
			FATAL("connect %d: %s", i, errname(errno));
		rev = poll_until(cfd[i], POLLOUT, 5000);
		err = get_int_opt(cfd[i], SOL_SOCKET, SO_ERROR);
		diag("client %d: revents %s, SO_ERROR %s", i, pollstr(rev),
		     err ? errname(err) : "0");
		if (err == ECONNREFUSED)
			refused = 1;
		else if (err || !(rev & POLLOUT))
			FAIL("client %d: neither connected nor refused", i);
	}
	stats_read(&s1);
	diag("counters that moved:");
	diag_deltas(&s0, &s1);
	EXPECT_TRUE("a connection beyond the backlog was refused", refused);
	EXPECT_TRUE("no more than 3 connections queued on backlog 1", n <= 4);
	EXPECT_EQ("BacklogDrops delta", delta(&s0, &s1, "BacklogDrops"), refused);
	EXPECT_EQ("ConnRefused delta", delta(&s0, &s1, "ConnRefused"), refused);
	EXPECT_EQ("PassiveOpens delta", delta(&s0, &s1, "PassiveOpens"), n - refused);
	for (i = 0; i < n; i++)
		close(cfd[i]);
	close(lfd);
}

/* SO_LINGER {1, 0}: an abort started here, seen as one from the peer */
TEST_SDP(counters_aborts_by_reason)
{
	struct linger lg = { 1, 0 };
	struct stats s0, s1;
	char b;
	int cli, srv, i;

	t_pair(f, &cli, &srv);
	stats_read(&s0);
	SETUP_OK("SO_LINGER", setsockopt(cli, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	close(cli);
	poll_until(srv, POLLIN, 5000);
	EXPECT_ERR("server recv after the peer's abort", recv(srv, &b, 1, 0), ECONNRESET);
	/* the counters of both ends may take a moment */
	for (i = 0; i < 50; i++) {
		stats_read(&s1);
		if (delta(&s0, &s1, "Aborts") >= 2 &&
		    delta(&s0, &s1, "AbortsLocal") >= 1)
			break;
		sleep_ms(20);
	}
	diag("counters that moved:");
	diag_deltas(&s0, &s1);
	EXPECT_EQ("Aborts delta (both ends)", delta(&s0, &s1, "Aborts"), 2);
	EXPECT_EQ("AbortsPeer delta", delta(&s0, &s1, "AbortsPeer"), 1);
	EXPECT_EQ("AbortsLocal delta", delta(&s0, &s1, "AbortsLocal"), 1);
	EXPECT_EQ("AbortsTransport delta", delta(&s0, &s1, "AbortsTransport"), 0);
	close(srv);
}

/* keepalive_time applies: an idle connection with SO_KEEPALIVE is probed */
TEST_SDP(counters_keepalive)
{
	long o_ka = sysctl_val("keepalive_time");
	struct stats s0, s1;
	char b = 'k';
	int cli, srv, i;

	sysctl_set("keepalive_time", 1);
	t_pair(f, &cli, &srv);
	EXPECT_EQ("TCP_KEEPIDLE of the new socket", get_int_opt(cli, SOL_TCP, TCP_KEEPIDLE), 1);
	stats_read(&s0);
	SETUP_OK("SO_KEEPALIVE", set_int_opt(cli, SOL_SOCKET, SO_KEEPALIVE, 1));
	for (i = 0; i < 80; i++) {
		sleep_ms(100);
		stats_read(&s1);
		if (delta(&s0, &s1, "KeepaliveProbes") >= 1)
			break;
	}
	diag("probe after about %d ms", (i + 1) * 100);
	EXPECT_TRUE("KeepaliveProbes grew within 8 s",
		    delta(&s0, &s1, "KeepaliveProbes") >= 1);
	EXPECT_EQ("Aborts", delta(&s0, &s1, "Aborts"), 0);
	EXPECT_VAL("send after probes", send(cli, &b, 1, 0), 1);
	EXPECT_VAL("recv after probes", recv(srv, &b, 1, 0), 1);
	close(cli);
	close(srv);
	sysctl_set("keepalive_time", o_ka);
}

/* =================================================================== */
/* sdpstat                                                              */
/* =================================================================== */

/* a readable endpoint, as sdpstat prints it */
static void text_addr(char *buf, size_t n, const struct sockaddr_in *a)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
	if (a->sin_port)
		snprintf(buf, n, "%s:%u", ip, ntohs(a->sin_port));
	else
		snprintf(buf, n, "%s:*", ip);
}

struct srow {
	char type[16], state[24], local[64], peer[64];
	unsigned long rq, sq, uid, inode;
	long assoc;
};

static int parse_sdpstat_s(char *out, struct srow *r, int max)
{
	char *save = NULL, *line;
	int n = 0, first = 1;

	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (first) {
			first = 0;
			if (strncmp(line, "Type ", 5))
				FAIL("sdpstat -s: header \"%s\"", line);
			continue;
		}
		if (n == max)
			FATAL("sdpstat -s: too many lines");
		if (sscanf(line, "%15s %23s %lu %lu %63s %63s %lu %lu %ld", r[n].type,
			   r[n].state, &r[n].rq, &r[n].sq, r[n].local, r[n].peer,
			   &r[n].uid, &r[n].inode, &r[n].assoc) != 9) {
			FAIL("sdpstat -s: cannot parse \"%s\"", line);
			continue;
		}
		n++;
	}
	return n;
}

static void check_row(const char *what, const struct srow *r, int n, int fd,
		      const char *state, int connected)
{
	struct sockaddr_in l = name_of(fd, 0), p;
	char wl[64], wp[64], lab[128];
	unsigned long ino = ino_of(fd);
	int i, count = 0;
	const struct srow *x = NULL;

	if (connected) {
		p = name_of(fd, 1);
	} else {
		memset(&p, 0, sizeof(p));
	}
	text_addr(wl, sizeof(wl), &l);
	text_addr(wp, sizeof(wp), &p);
	for (i = 0; i < n; i++)
		if (r[i].inode == ino) {
			x = &r[i];
			count++;
		}
	snprintf(lab, sizeof(lab), "sdpstat -s %s: rows", what);
	EXPECT_EQ(lab, count, 1);
	if (!x)
		return;
	snprintf(lab, sizeof(lab), "sdpstat -s %s: local", what);
	EXPECT_STR(lab, x->local, wl);
	snprintf(lab, sizeof(lab), "sdpstat -s %s: peer", what);
	EXPECT_STR(lab, x->peer, wp);
	snprintf(lab, sizeof(lab), "sdpstat -s %s: state", what);
	EXPECT_STR(lab, x->state, state);
	snprintf(lab, sizeof(lab), "sdpstat -s %s: type", what);
	EXPECT_STR(lab, x->type, "stream");
	snprintf(lab, sizeof(lab), "sdpstat -s %s: uid", what);
	EXPECT_EQ(lab, x->uid, geteuid());
}

TEST_SDP(sdpstat_sockets)
{
	static struct ent e[MAX_ENTS];
	static struct srow r[MAX_ENTS];
	struct live c;
	char *out, buf[777];
	int n, nr, i;

	sdpstat_bin();
	live_open(f, &c);
	/* 777 bytes unread at the server: Recv-Q */
	memset(buf, 'x', sizeof(buf));
	SETUP_VAL("send", send(c.cli, buf, sizeof(buf), 0), (long)sizeof(buf));
	for (i = 0; i < 100; i++) {
		const struct ent *x;
		int count;

		n = table_read(e, MAX_ENTS);
		x = by_inode(e, n, ino_of(c.srv), &count);
		if (x && x->rxq == sizeof(buf))
			break;
		sleep_ms(20);
	}
	out = run_sdpstat("-s", 0);
	n = table_read(e, MAX_ENTS);
	nr = parse_sdpstat_s(out, r, MAX_ENTS);
	EXPECT_EQ("sdpstat -s rows == /proc/net/sdp lines", nr, n);
	check_row("listener", r, nr, c.lfd, "LISTEN", 0);
	check_row("client", r, nr, c.cli, "ESTABLISHED", 1);
	check_row("accepted", r, nr, c.srv, "ESTABLISHED", 1);
	for (i = 0; i < nr; i++)
		if (r[i].inode == ino_of(c.srv))
			EXPECT_EQ("sdpstat -s accepted: Recv-Q", r[i].rq, sizeof(buf));
	if (test_failed())
		diag("%s", out);
	free(out);

	/* JSON: the accepted socket's object */
	out = run_sdpstat("-s -j", 0);
	{
		char key[64], want[256], *p, *o, *end;
		struct sockaddr_in l = name_of(c.srv, 0), pr = name_of(c.srv, 1);
		char lip[INET_ADDRSTRLEN], pip[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &l.sin_addr, lip, sizeof(lip));
		inet_ntop(AF_INET, &pr.sin_addr, pip, sizeof(pip));
		EXPECT_TRUE("sdpstat -s -j: one object", !strncmp(out, "{\"sockets\":[", 12) &&
			    !strcmp(out + strlen(out) - 3, "]}\n"));
		snprintf(key, sizeof(key), "\"inode\":%lu,", ino_of(c.srv));
		p = strstr(out, key);
		EXPECT_TRUE("sdpstat -s -j: accepted socket present", p != NULL);
		if (p) {
			for (o = p; o > out && *o != '{'; o--)
				;
			end = strchr(p, '}');
			if (end)
				end[1] = 0;
			snprintf(want, sizeof(want),
				 "\"type\":\"stream\",\"state\":\"ESTABLISHED\",\"st\":1,"
				 "\"local_address\":\"%s\",\"local_port\":%u,"
				 "\"peer_address\":\"%s\",\"peer_port\":%u,"
				 "\"recv_q\":%zu,\"send_q\":0,\"uid\":%u,",
				 lip, ntohs(l.sin_port), pip, ntohs(pr.sin_port),
				 sizeof(buf), geteuid());
			if (!strstr(o, want)) {
				diag("object: %s", o);
				diag("want:   ...%s...", want);
				FAIL("sdpstat -s -j: accepted socket's object");
			}
		}
	}
	free(out);
	live_close(&c);
}

TEST_SDP(sdpstat_counters)
{
	struct stats a, b, got;
	char *out, *json, tmp[] = "/tmp/sdp_admin.XXXXXX";
	int i, tries, fd;

	sdpstat_bin();
	/* counters may still move from earlier teardown: look until stable */
	for (tries = 0; tries < 10; tries++) {
		stats_read(&a);
		out = run_sdpstat("-c", 0);
		json = run_sdpstat("-c -j", 0);
		stats_read(&b);
		if (a.n == b.n && !memcmp(a.v, b.v, sizeof(a.v[0]) * a.n))
			break;
		free(out);
		free(json);
		sleep_ms(200);
	}
	fd = mkstemp(tmp);
	if (fd < 0 || write(fd, out, strlen(out)) != (ssize_t)strlen(out))
		FATAL("temp file: %s", strerror(errno));
	close(fd);
	if (stats_try(tmp, &got))
		FAIL("sdpstat -c output is not \"Name value\" lines");
	unlink(tmp);
	EXPECT_EQ("sdpstat -c lines == /proc/net/sdp_stats lines", got.n, b.n);
	for (i = 0; i < b.n && i < got.n; i++) {
		if (strcmp(got.name[i], b.name[i]) || got.v[i] != b.v[i])
			FAIL("line %d: sdpstat \"%s %lld\", /proc \"%s %lld\"", i + 1,
			     got.name[i], got.v[i], b.name[i], b.v[i]);
	}
	/* JSON: {"counters":{"Name":value,...}} in the same order */
	{
		char want[8192];
		size_t len = 0;

		len += snprintf(want + len, sizeof(want) - len, "{\"counters\":{");
		for (i = 0; i < b.n && len < sizeof(want); i++)
			len += snprintf(want + len, sizeof(want) - len, "%s\"%s\":%lld",
					i ? "," : "", b.name[i], b.v[i]);
		if (len < sizeof(want))
			snprintf(want + len, sizeof(want) - len, "}}\n");
		if (strcmp(json, want)) {
			diag("got:  %s", json);
			diag("want: %s", want);
			FAIL("sdpstat -c -j differs from /proc/net/sdp_stats");
		}
	}
	free(out);
	free(json);
}

/*
 * sdpstat -c -w: the first block is the totals, then the changes per
 * interval; traffic during the watch shows in the deltas, which add up to
 * the change in /proc/net/sdp_stats.
 */
TEST_SDP_T(sdpstat_watch, 90)
{
	char cmd[PATH_MAX + 64], line[512];
	const uint64_t len = 100000;
	long long sum_tx = 0, sum_active = 0, last_total = -1;
	const char *sc = getenv("SDP_TIMEOUT_SCALE");
	int intervals = 8 * (sc && atof(sc) > 1 ? (int)(atof(sc) + 0.5) : 1);
	struct stats s0, s1;
	int cli, srv, blocks = 0, in_first = 0, st, bad = 0;
	double t0;
	FILE *p;

	/* half-second intervals, enough of them for the traffic to end inside */
	snprintf(cmd, sizeof(cmd), "%s -c -w 0.5 -n %d", sdpstat_bin(), intervals);
	stats_read(&s0);
	p = popen(cmd, "r");
	if (!p)
		FATAL("popen: %s", strerror(errno));
	/* read the first block (totals) before the traffic starts */
	while (fgets(line, sizeof(line), p)) {
		char name[64];
		long long v;

		if (!strncmp(line, "# sdpstat ", 10)) {
			blocks++;
			in_first = 1;
			if (!strstr(line, " start"))
				FAIL("first block header: %s", line);
			continue;
		}
		if (sscanf(line, "%63s %lld", name, &v) != 2) {
			FAIL("totals line: %s", line);
			break;
		}
		if (!strcmp(name, "BcopyTxBytes"))
			last_total = v;
		if (!strcmp(name, s0.name[s0.n - 1]))
			break;	/* the last counter of the block */
	}
	EXPECT_TRUE("first block read", in_first && last_total >= 0);
	t0 = mono_ms();
	t_pair(f, &cli, &srv);
	transfer(cli, srv, len, "client -> server");
	close(cli);
	close(srv);
	diag("connection and transfer took %.0f ms of the %d ms watched",
	     mono_ms() - t0, intervals * 500);
	while (fgets(line, sizeof(line), p)) {
		char name[64];
		long long d, tot;

		if (!strncmp(line, "# sdpstat ", 10)) {
			blocks++;
			if (!strstr(line, " interval "))
				FAIL("block header: %s", line);
			continue;
		}
		if (!strcmp(line, "# no counter changed\n"))
			continue;
		if (sscanf(line, "%63s %lld %lld", name, &d, &tot) != 3) {
			FAIL("delta line: %s", line);
			bad = 1;
			continue;
		}
		if (!strcmp(name, "BcopyTxBytes")) {
			sum_tx += d;
			if (tot != last_total + d)
				FAIL("BcopyTxBytes: total %lld after %+lld, previous total %lld",
				     tot, d, last_total);
			last_total = tot;
		}
		if (!strcmp(name, "ActiveOpens"))
			sum_active += d;
	}
	st = pclose(p);
	stats_read(&s1);
	EXPECT_TRUE("sdpstat -w exited 0", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	EXPECT_EQ("blocks (start + the intervals)", blocks, intervals + 1);
	EXPECT_TRUE("delta lines parsed", !bad);
	EXPECT_TRUE("BcopyTxBytes deltas >= bytes sent", sum_tx >= (long long)len);
	EXPECT_EQ("BcopyTxBytes deltas add up to the change in /proc",
		  sum_tx, delta(&s0, &s1, "BcopyTxBytes"));
	EXPECT_EQ("ActiveOpens deltas", sum_active, 1);
}

TEST_SDP(sdpstat_errors)
{
	char *out;

	sdpstat_bin();
	free(run_sdpstat("-c -f /nonexistent 2>/dev/null", 1));
	free(run_sdpstat("-x 2>/dev/null", 2));
	out = run_sdpstat("-h", 0);
	EXPECT_TRUE("sdpstat -h prints usage", !strncmp(out, "usage: ", 7));
	free(out);
}

static void restore_all(void)
{
	int i;

	for (i = 0; i < NKNOBS; i++) {
		long v;

		if (!saved_ok[i] || (!sysctl_get(knobs[i].name, &v) && v == saved[i]))
			continue;
		{
			char s[32];

			snprintf(s, sizeof(s), "%ld", saved[i]);
			if (sysctl_put(knobs[i].name, s))
				fprintf(stderr, "sdp_admin: could not restore %s to %ld\n",
					knobs[i].name, saved[i]);
			else
				printf("# restored net.sdp.%s to %ld (a test left %ld)\n",
				       knobs[i].name, saved[i], v);
		}
	}
}

int main(int argc, char **argv)
{
	int i, rc;

	harness_usage_extra =
		"  SDPSTAT: the sdpstat binary (default: next to this one)\n"
		"  Needs root (sysctls, network namespaces, setuid).\n";
	for (i = 0; i < NKNOBS; i++)
		saved_ok[i] = !sysctl_get(knobs[i].name, &saved[i]);
	rc = harness_main(argc, argv);
	restore_all();
	return rc;
}
