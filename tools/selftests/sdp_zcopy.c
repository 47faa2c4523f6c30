// SPDX-License-Identifier: GPL-2.0
/*
 * sdp_zcopy: zero copy (net/sdp/zcopy.c). A blocking stream send of at
 * least the socket's SDP_ZCOPY_THRESH bytes is advertised in a SrcAvail
 * and RDMA-READ by the peer straight from the user's pages (read mode),
 * or, with net.sdp.zcopy_mode 2, RDMA-WRITTEN into the buffer a blocked
 * reader advertised in a SinkAvail (write mode). These
 * tests drive that path with awkward buffers (unaligned, odd lengths, holes,
 * file-backed, unmapped / forked / exiting under the send) and compare what
 * user space sees with TCP, which copies.
 *
 * Family-neutral observations go to the transcript; sdp-only facts (the
 * ZcopyTxBytes / ZcopyRxBytes / ZcopyFallbacks counters of
 * /proc/net/sdp_stats) are checked in sdp runs only and reported as
 * diagnostics, so they never enter the comparison. On TCP, the threshold
 * setsockopt is not made.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <linux/capability.h>
#include <linux/sdp.h>

#include "util.h"

#define PAGE		4096
#define MIB		(1UL << 20)
#define STATS_PATH	"/proc/net/sdp_stats"
#define THRESH_SYSCTL	"/proc/sys/net/sdp/zcopy_thresh"
#define THRESH_DEFAULT	(-1)	/* leave the socket at the sysctl's value */

/* ---- helpers ---- */

static long long stat_get(const struct fam *f, const char *name)
{
	FILE *fp;
	char n[64];
	long long v;

	if (!f->is_sdp)
		return 0;
	fp = fopen(STATS_PATH, "r");
	if (!fp)
		FATAL("%s: %s", STATS_PATH, errname(errno));
	while (fscanf(fp, "%63s %lld", n, &v) == 2) {
		if (!strcmp(n, name)) {
			fclose(fp);
			return v;
		}
	}
	fclose(fp);
	FATAL("counter %s missing from %s", name, STATS_PATH);
}

struct zstats { long long tx, rx, fb, direct, wr; };

static struct zstats zs_get(const struct fam *f)
{
	struct zstats z = { stat_get(f, "ZcopyTxBytes"), stat_get(f, "ZcopyRxBytes"),
			    stat_get(f, "ZcopyFallbacks"), stat_get(f, "ZcopyRxDirectBytes"),
			    stat_get(f, "ZcopyTxWriteBytes") };
	return z;
}

static struct zstats zs_delta(const struct fam *f, struct zstats a)
{
	struct zstats b = zs_get(f);

	b.tx -= a.tx;
	b.rx -= a.rx;
	b.fb -= a.fb;
	b.direct -= a.direct;
	b.wr -= a.wr;
	if (f->is_sdp)
		diag("counters: ZcopyTxBytes +%lld (+%lld write mode), ZcopyRxBytes +%lld (+%lld direct), ZcopyFallbacks +%lld",
		     b.tx, b.wr, b.rx, b.direct, b.fb);
	return b;
}

/* net.sdp.zcopy_mode of new connections: 0 both (read mode used), 1 read,
 * 2 write (sdp only)
 */
#define MODE_SYSCTL	"/proc/sys/net/sdp/zcopy_mode"
static int cur_mode, first_mode = -1;

/* a test that ends early leaves the mode as it found it */
static void mode_restore(void)
{
	FILE *fp = fopen(MODE_SYSCTL, "w");

	if (fp) {
		fprintf(fp, "%d\n", first_mode);
		fclose(fp);
	}
}

static int mode_set(const struct fam *f, int mode)
{
	int old = 0;
	FILE *fp;

	if (!f->is_sdp)
		return 0;
	fp = fopen(MODE_SYSCTL, "r");
	if (!fp || fscanf(fp, "%d", &old) != 1)
		FATAL("%s: cannot read it", MODE_SYSCTL);
	fclose(fp);
	if (first_mode < 0) {
		first_mode = old;
		atexit(mode_restore);
	}
	fp = fopen(MODE_SYSCTL, "w");
	if (!fp)
		FATAL("%s: %s", MODE_SYSCTL, errname(errno));
	fprintf(fp, "%d\n", mode);
	if (fclose(fp))
		FATAL("%s = %d: %s", MODE_SYSCTL, mode, errname(errno));
	cur_mode = mode;
	diag("zcopy_mode %d (was %d)", mode, old);
	return old;
}

/* write mode moves every zero-copy byte by RDMA WRITE, the others none */
static void check_mode(const struct fam *f, const struct zstats *z)
{
	if (!f->is_sdp)
		return;
	if (cur_mode == 2 && z->wr != z->tx)
		FAIL("zcopy_mode 2: ZcopyTxWriteBytes +%lld, ZcopyTxBytes +%lld: want equal",
		     z->wr, z->tx);
	if (cur_mode != 2 && z->wr)
		FAIL("zcopy_mode %d: ZcopyTxWriteBytes +%lld, want 0", cur_mode, z->wr);
}

static int sysctl_thresh(void)
{
	FILE *fp = fopen(THRESH_SYSCTL, "r");
	int v = 1048576;

	if (fp) {
		if (fscanf(fp, "%d", &v) != 1)
			v = 1048576;
		fclose(fp);
	}
	return v;
}

/* sdp: set (and read back) the threshold; tcp: nothing */
static void set_thresh(const struct fam *f, int fd, int thresh)
{
	int got;

	if (!f->is_sdp || thresh == THRESH_DEFAULT)
		return;
	SETUP_VAL("SDP_ZCOPY_THRESH", set_int_opt(fd, SOL_SDP, SDP_ZCOPY_THRESH, thresh), 0);
	got = get_int_opt(fd, SOL_SDP, SDP_ZCOPY_THRESH);
	if (got != thresh)
		FAIL("SDP_ZCOPY_THRESH reads back %d, set %d", got, thresh);
}

/* the effective threshold of a socket (sdp), for the assertions */
static int thresh_of(int thresh)
{
	return thresh == THRESH_DEFAULT ? sysctl_thresh() : thresh;
}

/* an anonymous area with len bytes at an offset 1..4095 (never aligned) */
struct area {
	uint8_t *base, *p;
	size_t maplen, len;
};

static void area_new(struct area *a, size_t len, unsigned off_seed)
{
	size_t off = 1 + off_seed % (PAGE - 1);

	a->maplen = (len + off + PAGE - 1) / PAGE * PAGE + PAGE;
	a->base = mmap(NULL, a->maplen, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a->base == MAP_FAILED)
		FATAL("mmap %zu: %s", a->maplen, errname(errno));
	a->p = a->base + off;
	a->len = len;
}

static void area_free(struct area *a)
{
	if (a->base)
		munmap(a->base, a->maplen);
	a->base = NULL;
}

static void sha_of(const void *p, size_t len, uint8_t out[32])
{
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, p, len);
	sha256_final(&s, out);
}

/* a sender of one buffer (one send() call per chunk, all of it by default) */
struct sender {
	int fd;
	const uint8_t *p;
	size_t len;
	size_t chunk;		/* 0: the whole buffer per send_all */
	int flags;
	int shut_wr;
	int once;		/* one send() call, EINTR not retried */
	/* results */
	ssize_t sent;
	int err;
	double t_start, t_end;
	pid_t tid;
};

static void *sender_fn(void *arg)
{
	struct sender *s = arg;
	size_t done = 0;

	s->tid = syscall(SYS_gettid);
	s->t_start = mono_ms();
	if (s->once) {
		ssize_t r = send(s->fd, s->p, s->len, s->flags | MSG_NOSIGNAL);

		s->err = r < 0 ? errno : 0;
		done = r < 0 ? 0 : r;
	}
	while (!s->once && done < s->len) {
		size_t n = s->chunk && s->chunk < s->len - done ? s->chunk : s->len - done;
		ssize_t r = send_all(s->fd, s->p + done, n, s->flags);

		if (r < 0) {
			s->err = errno;
			break;
		}
		done += r;
		if ((size_t)r < n)
			break;
	}
	s->sent = done;
	s->t_end = mono_ms();
	if (s->shut_wr)
		shutdown(s->fd, SHUT_WR);
	return s;
}

/* a receiver until EOF/error (or max bytes), hashing, checking against the
 * seeded stream (seed != 0) and/or keeping the bytes (keep != NULL)
 */
struct receiver {
	int fd;
	uint64_t seed;		/* 0: no pattern check */
	uint8_t *keep;		/* room for keep_len bytes, or NULL */
	size_t keep_len;
	size_t max;		/* 0: until EOF */
	int delay_ms;		/* wait before the first read */
	size_t bufsz;		/* bytes per recv, 0: 256 KiB */
	/* results */
	size_t got;
	int err;		/* errno of the failing recv, 0 on EOF */
	int eof;
	long bad;		/* first offset not matching the stream, -1 */
	uint8_t sha[32];
};

static void *receiver_fn(void *arg)
{
	struct receiver *r = arg;
	size_t bufsz = r->bufsz ? r->bufsz : 256 << 10;
	uint8_t *buf = malloc(bufsz);
	struct sha256 s;

	r->bad = -1;
	sha256_init(&s);
	if (r->delay_ms)
		sleep_ms(r->delay_ms);
	for (;;) {
		size_t want = bufsz;
		ssize_t n;

		if (r->max && r->max - r->got < want)
			want = r->max - r->got;
		if (r->max && !want)
			break;
		n = recv(r->fd, buf, want, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r->err = errno;
			break;
		}
		if (n == 0) {
			r->eof = 1;
			break;
		}
		sha256_update(&s, buf, n);
		if (r->seed && r->bad < 0) {
			long b = pattern_check(r->seed, r->got, buf, n);

			if (b >= 0)
				r->bad = r->got + b;
		}
		if (r->keep && r->got < r->keep_len)
			memcpy(r->keep + r->got, buf,
			       r->keep_len - r->got < (size_t)n ? r->keep_len - r->got : (size_t)n);
		r->got += n;
	}
	sha256_final(&s, r->sha);
	free(buf);
	return r;
}

/* one sender thread and one receiver thread, to their ends */
static void run_one_way(struct sender *sn, struct receiver *r)
{
	pthread_t th[2];

	pthread_create(&th[0], NULL, sender_fn, sn);
	pthread_create(&th[1], NULL, receiver_fn, r);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
}

static void pair_thresh(const struct fam *f, int *c, int *s, int thresh)
{
	t_pair(f, c, s);
	set_thresh(f, *c, thresh);
	set_thresh(f, *s, thresh);
}

/* a new connection moves 1 MiB + 3 each way at thresh 4096: the module is
 * still in working order
 */
static void expect_healthy(const struct fam *f)
{
	size_t len = MIB + 3;
	struct area a, b;
	struct sender sa = { 0 }, sb = { 0 };
	struct receiver ra = { 0 }, rb = { 0 };
	pthread_t th[4];
	int c, s, ok;

	pair_thresh(f, &c, &s, PAGE);
	area_new(&a, len, 77);
	area_new(&b, len, 1234);
	pattern_fill(901, 0, a.p, len);
	pattern_fill(902, 0, b.p, len);
	sa = (struct sender){ .fd = c, .p = a.p, .len = len, .shut_wr = 1 };
	sb = (struct sender){ .fd = s, .p = b.p, .len = len, .shut_wr = 1 };
	ra = (struct receiver){ .fd = s, .seed = 901 };
	rb = (struct receiver){ .fd = c, .seed = 902 };
	pthread_create(&th[0], NULL, sender_fn, &sa);
	pthread_create(&th[1], NULL, sender_fn, &sb);
	pthread_create(&th[2], NULL, receiver_fn, &ra);
	pthread_create(&th[3], NULL, receiver_fn, &rb);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	ok = sa.sent == (ssize_t)len && sb.sent == (ssize_t)len && ra.got == len &&
	     rb.got == len && ra.bad < 0 && rb.bad < 0 && ra.eof && rb.eof;
	if (!ok)
		diag("health: sent %zd/%zd (%s/%s), got %zu/%zu, bad %ld/%ld, eof %d/%d",
		     sa.sent, sb.sent, errname(sa.err), errname(sb.err), ra.got, rb.got,
		     ra.bad, rb.bad, ra.eof, rb.eof);
	EXPECT_TRUE("a new connection moves 1 MiB + 3 each way intact", ok);
	close(c);
	close(s);
	area_free(&a);
	area_free(&b);
}

/* ---- 1. integrity ---- */

/* one transfer each way at once, with separate (unaligned) buffers */
static void both_ways_at(const struct fam *f, int thresh, size_t len, unsigned idx,
			 int delay_ms)
{
	struct area a, b;
	struct sender sa, sb;
	struct receiver ra, rb;
	uint8_t sha_a[32], sha_b[32];
	uint64_t seed = 1000 + idx * 2;
	struct zstats z0;
	pthread_t th[4];
	char lb[128];
	int c, s, eff = thresh_of(thresh);

	pair_thresh(f, &c, &s, thresh);
	area_new(&a, len, idx * 977 + 1);
	area_new(&b, len, idx * 313 + 2);
	pattern_fill(seed, 0, a.p, len);
	pattern_fill(seed + 1, 0, b.p, len);
	sha_of(a.p, len, sha_a);
	sha_of(b.p, len, sha_b);
	sa = (struct sender){ .fd = c, .p = a.p, .len = len, .shut_wr = 1 };
	sb = (struct sender){ .fd = s, .p = b.p, .len = len, .shut_wr = 1 };
	ra = (struct receiver){ .fd = s, .seed = seed, .delay_ms = delay_ms };
	rb = (struct receiver){ .fd = c, .seed = seed + 1, .delay_ms = delay_ms };
	z0 = zs_get(f);
	pthread_create(&th[0], NULL, sender_fn, &sa);
	pthread_create(&th[1], NULL, sender_fn, &sb);
	pthread_create(&th[2], NULL, receiver_fn, &ra);
	pthread_create(&th[3], NULL, receiver_fn, &rb);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	diag("thresh %d, %zu bytes each way (offsets %ld, %ld): %.0f ms", thresh, len,
	     (long)(a.p - a.base), (long)(b.p - b.base), sa.t_end - sa.t_start);

	snprintf(lb, sizeof(lb), "thresh %d len %zu: c->s sent", thresh, len);
	EXPECT_EQ(lb, sa.sent, len);
	snprintf(lb, sizeof(lb), "thresh %d len %zu: s->c sent", thresh, len);
	EXPECT_EQ(lb, sb.sent, len);
	snprintf(lb, sizeof(lb), "thresh %d len %zu: c->s received, EOF after", thresh, len);
	EXPECT_EQ(lb, ra.eof ? (long long)ra.got : -1, len);
	snprintf(lb, sizeof(lb), "thresh %d len %zu: s->c received, EOF after", thresh, len);
	EXPECT_EQ(lb, rb.eof ? (long long)rb.got : -1, len);
	snprintf(lb, sizeof(lb), "thresh %d len %zu: sha256 equal both ways", thresh, len);
	EXPECT_TRUE(lb, !memcmp(sha_a, ra.sha, 32) && !memcmp(sha_b, rb.sha, 32));
	if (ra.bad >= 0 || rb.bad >= 0)
		FAIL("first bad byte: c->s %ld, s->c %ld", ra.bad, rb.bad);

	if (f->is_sdp) {
		struct zstats z = zs_delta(f, z0);

		if (eff && (size_t)eff <= len && z.tx <= 0)
			FAIL("thresh %d <= %zu but ZcopyTxBytes did not grow", eff, len);
		if (!eff && z.tx != 0)
			FAIL("thresh 0 but ZcopyTxBytes grew by %lld", z.tx);
		if (eff && (size_t)eff > len && z.tx != 0)
			FAIL("thresh %d > %zu but ZcopyTxBytes grew by %lld", eff, len, z.tx);
		if (z.tx > (long long)(2 * len))
			FAIL("ZcopyTxBytes grew by %lld, more than the %zu sent", z.tx, 2 * len);
		if (z.rx != z.tx)
			FAIL("ZcopyRxBytes +%lld != ZcopyTxBytes +%lld (both ends here)",
			     z.rx, z.tx);
		check_mode(f, &z);
	}
	close(c);
	close(s);
	area_free(&a);
	area_free(&b);
}

/* one transfer each way at once, both readers running from the start */
static void both_ways(const struct fam *f, int thresh, size_t len, unsigned idx)
{
	both_ways_at(f, thresh, len, idx, 0);
}

static void integrity(const struct fam *f, int thresh)
{
	uint64_t big = env_mib("SDP_BIG_MB", 64);
	size_t sizes[] = { 4096, PAGE + 1, MIB, MIB + 17, 8 * MIB, big << 20, 0 };
	unsigned i;

	/* at the default threshold also the largest: 256 MiB each way */
	if (thresh == THRESH_DEFAULT)
		sizes[6] = env_mib("SDP_HUGE_MB", 4 * big) << 20;
	if (f->is_sdp)
		diag("sysctl zcopy_thresh %d", sysctl_thresh());
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]) && sizes[i]; i++)
		both_ways(f, thresh, sizes[i], i);
}

TEST_DIFF_T(integrity_thresh_off, 600)
{
	integrity(f, 0);
}

TEST_DIFF_T(integrity_thresh_4096, 600)
{
	integrity(f, 4096);
}

TEST_DIFF_T(integrity_thresh_65536, 600)
{
	integrity(f, 65536);
}

TEST_DIFF_T(integrity_thresh_default, 600)
{
	integrity(f, THRESH_DEFAULT);
}

/* ---- 2. a buffer with a hole ---- */

TEST_DIFF_T(fallback_bad_address, 120)
{
	uint8_t *p, *got;
	struct zstats z0;
	struct receiver r;
	pthread_t th;
	ssize_t n;
	int c, s, e;

	pair_thresh(f, &c, &s, PAGE);
	p = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		FATAL("mmap: %s", errname(errno));
	pattern_fill(55, 0, p, PAGE);
	pattern_fill(55, 2 * PAGE, p + 2 * PAGE, PAGE);
	SETUP_VAL("munmap middle page", munmap(p + PAGE, PAGE), 0);
	z0 = zs_get(f);
	n = send(c, p, 3 * PAGE, MSG_NOSIGNAL);
	e = errno;
	diag("send of 3 pages with the middle one unmapped: %zd %s", n,
	     n < 0 ? errname(e) : "");
	/* TCP drops the copied first page and says EFAULT; a stack that
	 * sent it may say so: both are right, recorded alike
	 */
	obs("send over a hole: %s", n == PAGE || (n < 0 && e == EFAULT) ?
	    "the first page or -1 EFAULT" : "something else");
	if (!(n == PAGE || (n < 0 && e == EFAULT)))
		FAIL("send returned %zd %s, want %d or -1 EFAULT", n, errname(e), PAGE);
	/* the connection goes on */
	EXPECT_VAL("send 5 more bytes", send(c, "after", 5, MSG_NOSIGNAL), 5);
	shutdown(c, SHUT_WR);
	got = calloc(1, 4 * PAGE);
	r = (struct receiver){ .fd = s, .keep = got, .keep_len = 4 * PAGE };
	pthread_create(&th, NULL, receiver_fn, &r);
	pthread_join(th, NULL);
	e = n > 0 ? (int)n : 0;
	diag("received %zu bytes, eof %d (%s)", r.got, r.eof, errname(r.err));
	EXPECT_TRUE("received exactly the bytes reported sent, then \"after\", then EOF",
		    r.eof && r.got == (size_t)e + 5 && !memcmp(got, p, e) &&
		    !memcmp(got + e, "after", 5));
	/* the first page may go by zero copy; at the hole the rest falls
	 * back to bcopy, which stops with the fault
	 */
	if (f->is_sdp && zs_delta(f, z0).fb < 1)
		FAIL("a send over an unmapped page did not count ZcopyFallbacks");
	close(c);
	close(s);
	free(got);
	munmap(p, PAGE);
	munmap(p + 2 * PAGE, PAGE);
	expect_healthy(f);
}

/* ---- 3. file-backed pages ---- */

TEST_DIFF_T(file_backed, 180)
{
	size_t len = 4 * MIB;
	char path[] = "/tmp/sdp_zcopy.XXXXXX";
	struct sender sn;
	struct receiver r;
	struct zstats z0, z;
	uint8_t sha[32];
	uint8_t *p;
	int fd, c, s;

	fd = mkstemp(path);
	if (fd < 0)
		FATAL("mkstemp %s: %s", path, errname(errno));
	unlink(path);
	SETUP_VAL("ftruncate", ftruncate(fd, len), 0);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		FATAL("mmap file: %s", errname(errno));
	pattern_fill(77, 0, p, len);
	sha_of(p, len, sha);
	pair_thresh(f, &c, &s, PAGE);
	sn = (struct sender){ .fd = c, .p = p, .len = len, .shut_wr = 1 };
	r = (struct receiver){ .fd = s, .seed = 77 };
	z0 = zs_get(f);
	run_one_way(&sn, &r);
	EXPECT_EQ("sent from a MAP_SHARED file", sn.sent, len);
	EXPECT_EQ("received, EOF after", r.eof ? (long long)r.got : -1, len);
	EXPECT_TRUE("sha256 equal", !memcmp(sha, r.sha, 32) && r.bad < 0);
	/* a shared file mapping's pages are taken as anonymous ones are:
	 * every byte by zero copy, nothing falls back
	 */
	z = zs_delta(f, z0);
	if (f->is_sdp && (z.tx != (long long)len || z.fb))
		FAIL("from the file mapping: ZcopyTxBytes +%lld of %zu, ZcopyFallbacks +%lld",
		     z.tx, len, z.fb);
	close(c);
	close(s);
	munmap(p, len);
	close(fd);
}

/* ---- 4. MSG_DONTWAIT is never zero copy and never blocks ---- */

TEST_DIFF_T(nonblocking, 120)
{
	size_t len = 4 * MIB;
	struct area a;
	struct receiver r;
	struct zstats z0, z;
	pthread_t th;
	double t0, dt;
	ssize_t n, n2;
	int c, s, e, e2;

	pair_thresh(f, &c, &s, PAGE);
	area_new(&a, len, 99);
	pattern_fill(88, 0, a.p, len);
	z0 = zs_get(f);
	t0 = mono_ms();
	n = send(c, a.p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	e = errno;
	n2 = send(c, a.p + (n > 0 ? n : 0), len - (n > 0 ? n : 0), MSG_DONTWAIT | MSG_NOSIGNAL);
	e2 = errno;
	dt = mono_ms() - t0;
	diag("MSG_DONTWAIT send of %zu: %zd %s, again: %zd %s, %.0f ms", len, n,
	     n < 0 ? errname(e) : "", n2, n2 < 0 ? errname(e2) : "", dt);
	obs("first send: %s", n > 0 && (size_t)n < len ? "partial" :
	    n < 0 && e == EAGAIN ? "EAGAIN" : (size_t)n == len ? "all" : "something else");
	CHECK((n > 0 && (size_t)n < len) || (n < 0 && e == EAGAIN),
	      "first MSG_DONTWAIT send: %zd %s", n, errname(e));
	/* space may have come free in between: a count is right too */
	obs("second send: %s", (n2 < 0 && e2 == EAGAIN) || n2 >= 0 ?
	    "count or EAGAIN" : "something else");
	CHECK((n2 < 0 && e2 == EAGAIN) || n2 >= 0, "second send: %zd %s", n2, errname(e2));
	EXPECT_TRUE("both returned without blocking", dt < scaled_ms(2000));
	shutdown(c, SHUT_WR);
	r = (struct receiver){ .fd = s, .seed = 88 };
	pthread_create(&th, NULL, receiver_fn, &r);
	pthread_join(th, NULL);
	n = (n > 0 ? n : 0) + (n2 > 0 ? n2 : 0);
	EXPECT_TRUE("received exactly the bytes reported sent, intact, then EOF",
		    r.eof && r.got == (size_t)n && r.bad < 0);
	if (r.got != (size_t)n || r.bad >= 0)
		diag("received %zu, sent %zd, first bad %ld", r.got, n, r.bad);
	z = zs_delta(f, z0);
	if (f->is_sdp && z.tx != 0)
		FAIL("MSG_DONTWAIT send went zero copy: ZcopyTxBytes +%lld", z.tx);
	close(c);
	close(s);
	area_free(&a);
}

/* ---- 5. a zero-copy send cancelled by a signal / SO_SNDTIMEO ---- */

static void on_alarm(int sig)
{
	(void)sig;
}

/* wait until thread tid sleeps (state S) for a while */
static void wait_blocked(pid_t tid, int ms)
{
	char path[64], buf[512];
	double end = mono_ms() + scaled_ms(ms * 10);
	int sleeping = 0;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	while (mono_ms() < end && sleeping < 5) {
		int fd = open(path, O_RDONLY);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		char *q;

		if (fd >= 0)
			close(fd);
		if (n > 0) {
			buf[n] = 0;
			q = strrchr(buf, ')');
			sleeping = q && q[1] == ' ' && q[2] == 'S' ? sleeping + 1 : 0;
		}
		sleep_ms(ms / 5 + 1);
	}
}

static void cancel_common(const struct fam *f, int use_timeo)
{
	size_t len = 16 * MIB;
	struct area a;
	struct sender sn;
	struct receiver r;
	struct zstats z0, z;
	uint8_t sha[32];
	pthread_t th;
	double t_sig = 0, dt;
	int c, s;

	pair_thresh(f, &c, &s, PAGE);
	if (use_timeo) {
		struct timeval tv = { 1, 0 };

		SETUP_VAL("SO_SNDTIMEO", setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
	} else {
		struct sigaction sa = { 0 };

		sa.sa_handler = on_alarm;	/* no SA_RESTART */
		sigemptyset(&sa.sa_mask);
		SETUP_VAL("sigaction", sigaction(SIGALRM, &sa, NULL), 0);
	}
	area_new(&a, len, 4000);
	pattern_fill(66, 0, a.p, len);
	sn = (struct sender){ .fd = c, .p = a.p, .len = len, .once = 1 };
	z0 = zs_get(f);
	/* one send() call, not send_all: it must come back at the signal */
	pthread_create(&th, NULL, sender_fn, &sn);
	if (!use_timeo) {
		while (!__atomic_load_n(&sn.tid, __ATOMIC_ACQUIRE))
			sleep_ms(5);
		wait_blocked(sn.tid, 200);
		t_sig = mono_ms();
		pthread_kill(th, SIGALRM);
	}
	pthread_join(th, NULL);
	dt = sn.t_end - (use_timeo ? sn.t_start : t_sig);
	diag("send of %zu: %zd bytes, %s, %.0f ms after %s", len, sn.sent,
	     sn.err ? errname(sn.err) : "-", dt, use_timeo ? "the start" : "the signal");
	obs("blocking send: %s", sn.sent > 0 && (size_t)sn.sent < len ? "partial" :
	    !sn.sent && sn.err == (use_timeo ? EAGAIN : EINTR) ? "error" :
	    (size_t)sn.sent == len ? "all (never blocked)" : "something else");
	EXPECT_TRUE(use_timeo ? "returned partial-or-EAGAIN" : "returned partial-or-EINTR",
		    (sn.sent > 0 && (size_t)sn.sent < len) ||
		    (!sn.sent && sn.err == (use_timeo ? EAGAIN : EINTR)));
	if (use_timeo)
		EXPECT_TRUE("returned after about the 1 s timeout",
			    dt >= 900 && dt < 1000 + scaled_ms(6000));
	else
		EXPECT_TRUE("returned soon after the signal", dt < scaled_ms(6000));
	shutdown(c, SHUT_WR);
	sha_of(a.p, sn.sent, sha);
	r = (struct receiver){ .fd = s, .seed = 66 };
	pthread_create(&th, NULL, receiver_fn, &r);
	pthread_join(th, NULL);
	EXPECT_TRUE("received exactly the bytes reported sent, then EOF",
		    r.eof && r.got == (size_t)sn.sent);
	if (r.got != (size_t)sn.sent || !r.eof)
		diag("received %zu (%s, eof %d), sent %zd", r.got, errname(r.err), r.eof,
		     sn.sent);
	EXPECT_TRUE("sha256 of the prefix equal", !memcmp(sha, r.sha, 32) && r.bad < 0);
	z = zs_delta(f, z0);
	/* the send was in zero copy (a bcopy send blocked would not test
	 * the cancel)
	 */
	if (f->is_sdp && z.tx <= 0)
		FAIL("no zero copy before the %s: ZcopyTxBytes +%lld",
		     use_timeo ? "timeout" : "signal", z.tx);
	if (f->is_sdp)
		diag("%s bytes sent went zero copy", z.tx == sn.sent ? "all" : "not all");
	close(c);
	close(s);
	area_free(&a);
	expect_healthy(f);
}

TEST_DIFF_T(cancel_signal, 180)
{
	cancel_common(f, 0);
}

TEST_DIFF_T(cancel_sndtimeo, 180)
{
	cancel_common(f, 1);
}

/* ---- 6. the buffer's owner goes away under the send ---- */

TEST_DIFF_T(munmap_during, 240)
{
	size_t len = 32 * MIB;
	struct area a;
	struct sender sn;
	struct receiver r;
	struct zstats z0;
	pthread_t th, rth;
	int c, s, sane;

	pair_thresh(f, &c, &s, PAGE);
	area_new(&a, len, 5);
	pattern_fill(44, 0, a.p, len);
	sn = (struct sender){ .fd = c, .p = a.p, .len = len, .once = 1 };
	/* the receiver's buffer exists before the munmap: nothing can be
	 * mapped into the hole while the send runs
	 */
	r = (struct receiver){ .fd = s, .seed = 44 };
	z0 = zs_get(f);
	pthread_create(&th, NULL, sender_fn, &sn);
	while (!__atomic_load_n(&sn.tid, __ATOMIC_ACQUIRE))
		sleep_ms(5);
	wait_blocked(sn.tid, 200);
	SETUP_VAL("munmap under the send", munmap(a.base, a.maplen), 0);
	a.base = NULL;
	pthread_create(&rth, NULL, receiver_fn, &r);
	pthread_join(th, NULL);
	shutdown(c, SHUT_WR);
	pthread_join(rth, NULL);
	diag("send: %zd %s; received %zu, eof %d (%s), first bad %ld", sn.sent,
	     sn.err ? errname(sn.err) : "-", r.got, r.eof, errname(r.err), r.bad);
	sane = (sn.sent > 0 && (size_t)sn.sent < len) || (!sn.sent && sn.err == EFAULT);
	EXPECT_TRUE("send returned a partial count or EFAULT", sane);
	EXPECT_TRUE("received exactly the bytes reported sent, then EOF",
		    r.eof && r.got == (size_t)sn.sent);
	EXPECT_TRUE("what was received is the buffer's old contents", r.bad < 0);
	if (f->is_sdp && zs_delta(f, z0).tx <= 0)
		FAIL("the send never went zero copy");
	close(c);
	close(s);
	expect_healthy(f);
}

TEST_DIFF_T(exit_during, 240)
{
	size_t len = 32 * MIB;
	struct receiver r;
	struct zstats z0;
	pid_t pid;
	int c, s, st;

	pair_thresh(f, &c, &s, PAGE);
	z0 = zs_get(f);
	pid = fork();
	if (pid < 0)
		FATAL("fork: %s", errname(errno));
	if (pid == 0) {
		struct area a;
		struct sender sn;
		pthread_t th;

		close(s);
		area_new(&a, len, 6);
		pattern_fill(33, 0, a.p, len);
		sn = (struct sender){ .fd = c, .p = a.p, .len = len, .once = 1 };
		pthread_create(&th, NULL, sender_fn, &sn);
		while (!__atomic_load_n(&sn.tid, __ATOMIC_ACQUIRE))
			sleep_ms(5);
		wait_blocked(sn.tid, 200);
		_exit(sn.t_end ? 2 : 0);	/* 2: the send was not blocked */
	}
	close(c);
	SETUP_VAL("waitpid", waitpid(pid, &st, 0), pid);
	EXPECT_TRUE("the child exited while its send was blocked",
		    WIFEXITED(st) && WEXITSTATUS(st) == 0);
	r = (struct receiver){ .fd = s, .seed = 33 };
	receiver_fn(&r);
	diag("received %zu, %s, first bad %ld", r.got, r.eof ? "EOF" : errname(r.err), r.bad);
	EXPECT_TRUE("read until EOF or reset", r.eof || r.err == ECONNRESET);
	EXPECT_TRUE("received a prefix of what the child sent", r.bad < 0 && r.got < len);
	if (f->is_sdp && zs_delta(f, z0).tx <= 0)
		FAIL("the child's send never went zero copy");
	close(s);
	expect_healthy(f);
}

struct forker {
	uint8_t *p;
	size_t len;
	pid_t tid;
	int status;
};

static void *forker_fn(void *arg)
{
	struct forker *fk = arg;
	pid_t pid;

	fk->status = -1;
	pid = fork();
	if (pid == 0) {
		/* the child's copy: overwrite every page, then go */
		for (size_t i = 0; i < fk->len; i += PAGE)
			memset(fk->p + i, 0xa5, fk->len - i < PAGE ? fk->len - i : PAGE);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, &fk->status, 0);
	return fk;
}

TEST_DIFF_T(fork_during, 240)
{
	size_t len = 16 * MIB, pg, old = 0, new = 0, other = 0;
	struct area a;
	struct sender sn;
	struct receiver r;
	struct forker fk;
	uint8_t *got, *exp;
	pthread_t th, rth, fth;
	struct zstats z0;
	int c, s;

	pair_thresh(f, &c, &s, PAGE);
	/* page aligned here, so that "per page" is well defined */
	a.maplen = len;
	a.base = a.p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	if (a.base == MAP_FAILED)
		FATAL("mmap: %s", errname(errno));
	a.len = len;
	pattern_fill(22, 0, a.p, len);
	got = malloc(len);
	exp = malloc(PAGE);
	sn = (struct sender){ .fd = c, .p = a.p, .len = len, .shut_wr = 1 };
	r = (struct receiver){ .fd = s, .keep = got, .keep_len = len, .delay_ms = scaled_ms(300) };
	fk = (struct forker){ .p = a.p, .len = len };
	z0 = zs_get(f);
	pthread_create(&th, NULL, sender_fn, &sn);
	pthread_create(&rth, NULL, receiver_fn, &r);
	while (!__atomic_load_n(&sn.tid, __ATOMIC_ACQUIRE))
		sleep_ms(5);
	sleep_ms(scaled_ms(100));
	pthread_create(&fth, NULL, forker_fn, &fk);
	pthread_join(fth, NULL);
	pthread_join(th, NULL);
	pthread_join(rth, NULL);
	EXPECT_TRUE("the forked child exited normally",
		    WIFEXITED(fk.status) && WEXITSTATUS(fk.status) == 0);
	EXPECT_EQ("sent", sn.sent, len);
	EXPECT_EQ("received, EOF after", r.eof ? (long long)r.got : -1, len);
	memset(exp, 0xa5, PAGE);
	for (pg = 0; pg + PAGE <= r.got; pg += PAGE) {
		if (pattern_check(22, pg, got + pg, PAGE) < 0)
			old++;
		else if (!memcmp(got + pg, exp, PAGE))
			new++;
		else
			other++;
	}
	diag("pages: %zu old, %zu written by the child, %zu neither", old, new, other);
	/* the child wrote its own copy: the parent's send carries none of it */
	EXPECT_TRUE("every page is the parent's bytes, none the child's", !other && !new);
	if (f->is_sdp && zs_delta(f, z0).tx <= 0)
		FAIL("the send never went zero copy");
	close(c);
	close(s);
	free(got);
	free(exp);
	munmap(a.base, len);
	expect_healthy(f);
}

/* ---- 7. two threads sending on one socket ---- */

/*
 * Thread 0's bytes have the top bit clear, thread 1's set, so every byte
 * received says whose it is. Both families: each thread's bytes, taken out
 * of the stream, are exactly its 8 MiB in order (nothing lost, duplicated,
 * reordered or corrupted). SDP also keeps each send call's bytes together:
 * a call that went by zero copy holds the send side to its end, across
 * its two 1 MiB SrcAvails (TCP may let the other thread in wherever a
 * call waits for memory, so there this is only reported).
 */
static void fill_thread(int t, uint8_t *p, size_t len)
{
	pattern_fill(500 + t, 0, p, len);
	for (size_t i = 0; i < len; i++)
		p[i] = t ? p[i] | 0x80 : p[i] & 0x7f;
}

TEST_DIFF_T(two_senders_one_socket, 240)
{
	size_t per = 8 * MIB, tot = 2 * per, pos[2] = { 0, 0 }, i;
	struct area a[2];
	struct sender sn[2];
	struct receiver r;
	struct zstats z0, z;
	pthread_t th[3];
	uint8_t *got;
	long switches = 0, mid_block = 0, bad = -1;
	int c, s, t, prev = -1;

	pair_thresh(f, &c, &s, PAGE);
	got = malloc(tot);
	for (t = 0; t < 2; t++) {
		area_new(&a[t], per, 17 + t * 1000);
		fill_thread(t, a[t].p, per);
		sn[t] = (struct sender){ .fd = c, .p = a[t].p, .len = per, .chunk = 2 * MIB };
	}
	r = (struct receiver){ .fd = s, .keep = got, .keep_len = tot };
	z0 = zs_get(f);
	pthread_create(&th[2], NULL, receiver_fn, &r);
	pthread_create(&th[0], NULL, sender_fn, &sn[0]);
	pthread_create(&th[1], NULL, sender_fn, &sn[1]);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	shutdown(c, SHUT_WR);
	pthread_join(th[2], NULL);
	EXPECT_EQ("thread 0 sent", sn[0].sent, per);
	EXPECT_EQ("thread 1 sent", sn[1].sent, per);
	EXPECT_EQ("received, EOF after", r.eof ? (long long)r.got : -1, tot);
	for (i = 0; i < r.got && i < tot; i++) {
		t = got[i] >> 7;
		if (pos[t] >= per || got[i] != a[t].p[pos[t]]) {
			bad = i;
			break;
		}
		if (t != prev && prev >= 0) {
			switches++;
			if (pos[t] % (2 * MIB) || pos[prev] % (2 * MIB))
				mid_block++;
		}
		prev = t;
		pos[t]++;
	}
	if (bad >= 0)
		diag("byte %ld: thread %d's offset %zu does not match", bad, t, pos[t]);
	EXPECT_TRUE("each thread's bytes arrive complete and in order",
		    bad < 0 && pos[0] == per && pos[1] == per);
	diag("%ld switches between the threads, %ld of them inside a 2 MiB send call",
	     switches, mid_block);
	if (f->is_sdp && mid_block)
		FAIL("%ld times a thread's bytes came inside the other's send call",
		     mid_block);
	z = zs_delta(f, z0);
	if (f->is_sdp && z.tx != (long long)tot)
		FAIL("ZcopyTxBytes +%lld, want +%zu: 2 MiB sends at thresh 4096",
		     z.tx, tot);
	close(c);
	close(s);
	free(got);
	area_free(&a[0]);
	area_free(&a[1]);
}

/* ---- 7b. an allocation of the zero-copy set-up fails ---- */

#define FAILSLAB	"/sys/kernel/debug/failslab/"

static int put_str(const char *path, const char *v)
{
	FILE *fp = fopen(path, "w");
	int ok;

	if (!fp)
		return -1;
	ok = fputs(v, fp) >= 0;
	return fclose(fp) || !ok ? -1 : 0;
}

static void get_str(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "r");

	buf[0] = 0;
	if (fp) {
		if (!fgets(buf, len, fp))
			buf[0] = 0;
		fclose(fp);
	}
	buf[strcspn(buf, "\n")] = 0;
}

/*
 * The n-th slab allocation of the sending thread fails (fault injection:
 * /proc/thread-self/fail-nth, with failslab counting GFP_KERNEL ones too),
 * n = 1 .. 12, one zero-copy send of 1 MiB + 7 each. The first ones are
 * the zero-copy set-up's own (the page array, the scatterlist, the
 * provider's memory region for the registration, the SrcAvail's send
 * buffer): each such failure must fall back to bcopy (ZcopyFallbacks)
 * and lose nothing, and its undo must leak nothing (the debug kernel's
 * kmemleak and KASAN watch). The send ring is used up front, so that
 * bcopy itself needs no new buffer. Needs CONFIG_FAILSLAB and
 * CONFIG_FAULT_INJECTION_DEBUG_FS (the debug kernel; skipped elsewhere).
 */
TEST_SDP_T(fallback_alloc_failure, 300)
{
	size_t warm = 4 * MIB, len = MIB + 7, tot = warm + 12 * len, off = 0;
	char ign[16] = "", verb[16] = "";
	struct receiver r;
	struct zstats z0, z;
	struct area a;
	pthread_t th;
	int c, s, n, fired = 0, short_sends = 0;

	if (access(FAILSLAB "ignore-gfp-wait", W_OK) ||
	    access("/proc/thread-self/fail-nth", W_OK))
		skip_test("no failslab / fail-nth (CONFIG_FAILSLAB, debugfs)");
	get_str(FAILSLAB "ignore-gfp-wait", ign, sizeof(ign));
	get_str(FAILSLAB "verbose", verb, sizeof(verb));
	SETUP_VAL("failslab counts GFP_KERNEL", put_str(FAILSLAB "ignore-gfp-wait", "N"), 0);
	SETUP_VAL("failslab quiet", put_str(FAILSLAB "verbose", "0"), 0);

	pair_thresh(f, &c, &s, 0);
	area_new(&a, tot, 555);
	pattern_fill(66, 0, a.p, tot);
	r = (struct receiver){ .fd = s, .seed = 66, .max = tot };
	pthread_create(&th, NULL, receiver_fn, &r);
	/* bcopy first: every send slot gets its buffer */
	EXPECT_EQ("bcopy warm-up", send_all(c, a.p, warm, 0), warm);
	off = warm;
	set_thresh(f, c, PAGE);
	z0 = zs_get(f);
	for (n = 1; n <= 12; n++) {
		char nth[16], left[16];
		ssize_t got;

		snprintf(nth, sizeof(nth), "%d", n);
		if (put_str("/proc/thread-self/fail-nth", nth))
			FATAL("fail-nth %d: %s", n, errname(errno));
		got = send(c, a.p + off, len, MSG_NOSIGNAL);
		get_str("/proc/thread-self/fail-nth", left, sizeof(left));
		put_str("/proc/thread-self/fail-nth", "0");
		fired += !strcmp(left, "0");
		diag("fail-nth %d: send %zd %s, fault %s", n, got,
		     got < 0 ? errname(errno) : "", strcmp(left, "0") ? "not reached" : "injected");
		if (got < 0) {
			/* bcopy found no memory either: ENOBUFS, nothing sent */
			if (errno != ENOBUFS)
				FAIL("fail-nth %d: send -1 %s, want a count or ENOBUFS",
				     n, errname(errno));
			got = send_all(c, a.p + off, len, 0);
		}
		if (got > 0 && (size_t)got < len) {
			short_sends++;
			got += send_all(c, a.p + off + got, len - got, 0);
		}
		if (got != (ssize_t)len)
			FAIL("fail-nth %d: %zd of %zu bytes sent", n, got, len);
		off += len;
	}
	shutdown(c, SHUT_WR);
	pthread_join(th, NULL);
	z = zs_delta(f, z0);
	put_str(FAILSLAB "ignore-gfp-wait", ign[0] ? ign : "Y");
	put_str(FAILSLAB "verbose", verb[0] ? verb : "2");
	diag("%d faults injected, %d short sends", fired, short_sends);
	EXPECT_TRUE("every byte arrived, in order, intact",
		    r.got == tot && r.bad < 0 && !r.err);
	if (r.got != tot || r.bad >= 0)
		diag("received %zu of %zu, first bad %ld (%s)", r.got, tot, r.bad,
		     errname(r.err));
	if (fired < 3)
		FAIL("only %d of 12 faults were reached", fired);
	if (z.fb < 3)
		FAIL("ZcopyFallbacks +%lld: the set-up failures did not fall back", z.fb);
	if (z.tx <= 0)
		FAIL("no send went by zero copy (ZcopyTxBytes +%lld)", z.tx);
	close(c);
	close(s);
	area_free(&a);
	expect_healthy(f);
}

/* ---- 8. RLIMIT_MEMLOCK ---- */

/* a sender thread without CAP_IPC_LOCK (capabilities are per thread), so
 * that RLIMIT_MEMLOCK applies to the pages it pins
 */
static void *uncapped_sender_fn(void *arg)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) == 0) {
		d[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
		if (syscall(SYS_capset, &h, d))
			diag("capset: %s", errname(errno));
	}
	return sender_fn(arg);
}

/* send 4 MiB (thresh 4096) from a thread without CAP_IPC_LOCK under a
 * soft RLIMIT_MEMLOCK of @limit bytes; returns the counters' delta
 */
static struct zstats memlock_send(const struct fam *f, rlim_t limit, const char *what)
{
	size_t len = 4 * MIB;
	struct rlimit old, lim;
	struct area a;
	struct sender sn;
	struct receiver r;
	struct zstats z0, z;
	uint8_t sha[32];
	pthread_t th[2];
	char lb[128];
	int c, s;

	SETUP_VAL("getrlimit", getrlimit(RLIMIT_MEMLOCK, &old), 0);
	pair_thresh(f, &c, &s, PAGE);
	area_new(&a, len, 4242);
	pattern_fill(4242, 0, a.p, len);
	sha_of(a.p, len, sha);
	sn = (struct sender){ .fd = c, .p = a.p, .len = len, .shut_wr = 1 };
	r = (struct receiver){ .fd = s, .seed = 4242 };
	lim = old;
	lim.rlim_cur = limit;
	SETUP_VAL("setrlimit", setrlimit(RLIMIT_MEMLOCK, &lim), 0);
	z0 = zs_get(f);
	pthread_create(&th[1], NULL, receiver_fn, &r);
	pthread_create(&th[0], NULL, uncapped_sender_fn, &sn);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	z = zs_delta(f, z0);
	SETUP_VAL("setrlimit back", setrlimit(RLIMIT_MEMLOCK, &old), 0);
	snprintf(lb, sizeof(lb), "%s: 4 MiB sent, received intact, EOF", what);
	EXPECT_TRUE(lb, sn.sent == (ssize_t)len && r.got == len && r.bad < 0 && r.eof &&
		    !memcmp(r.sha, sha, 32));
	close(c);
	close(s);
	area_free(&a);
	return z;
}

/* Pages a zero-copy send pins are charged to RLIMIT_MEMLOCK (as for
 * MSG_ZEROCOPY): over the limit the send falls back to bcopy, never fails.
 */
TEST_DIFF_T(memlock_limit, 240)
{
	struct rlimit old;
	struct zstats z;
	rlim_t high;

	z = memlock_send(f, 64 << 10, "limit 64 KiB");
	if (f->is_sdp && (z.tx != 0 || z.fb < 1))
		FAIL("limit 64 KiB: ZcopyTxBytes +%lld, ZcopyFallbacks +%lld; want 0 and >= 1",
		     z.tx, z.fb);
	/* a limit above one SrcAvail's pages (1 MiB): zero copy again */
	SETUP_VAL("getrlimit", getrlimit(RLIMIT_MEMLOCK, &old), 0);
	high = old.rlim_max == RLIM_INFINITY ? 64 * MIB : old.rlim_max;
	if (high < 2 * MIB) {
		diag("hard RLIMIT_MEMLOCK %llu: the second half is skipped",
		     (unsigned long long)high);
		return;
	}
	z = memlock_send(f, high, "limit 2 MiB or more");
	if (f->is_sdp && (z.tx <= 0 || z.fb != 0))
		FAIL("limit %llu: ZcopyTxBytes +%lld, ZcopyFallbacks +%lld; want > 0 and 0",
		     (unsigned long long)high, z.tx, z.fb);
	expect_healthy(f);
}

/* ---- 9. reading straight into a blocked reader's buffer ---- */

/* a reader into one buffer, @per bytes per recv(MSG_WAITALL) */
struct big_reader {
	int fd;
	uint8_t *p;
	size_t len, per;
	volatile size_t got;
	int err, eof;
};

static void *big_reader_fn(void *arg)
{
	struct big_reader *r = arg;

	while (r->got < r->len) {
		size_t n = r->len - r->got < r->per ? r->len - r->got : r->per;
		ssize_t k = recv(r->fd, r->p + r->got, n, MSG_WAITALL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			r->err = k < 0 ? errno : 0;
			r->eof = !k;
			break;
		}
		r->got += k;
	}
	return r;
}

struct fork_when {
	struct big_reader *r;
	int status;
};

/* fork once the first bytes are in: the child overwrites its copy */
static void *fork_when_fn(void *arg)
{
	struct fork_when *fw = arg;
	double end = mono_ms() + scaled_ms(20000);
	pid_t pid;

	fw->status = -1;
	while (!fw->r->got && mono_ms() < end)
		usleep(200);
	pid = fork();
	if (pid == 0) {
		memset(fw->r->p, 0xa5, fw->r->len);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, &fw->status, 0);
	return fw;
}

/* @len bytes at thresh 64 KiB to a reader that is already blocked in
 * recv() with a buffer for all of it (@per 0) or @per bytes per call;
 * @fork: fork (child writes its copy) once the first bytes are in
 */
static void direct_read(const struct fam *f, size_t len, size_t per, int fork_too)
{
	struct area a, b;
	struct sender sn;
	struct big_reader r;
	struct fork_when fw = { 0 };
	struct zstats z0, z;
	pthread_t th[3];
	char lb[160];
	int c, s;

	pair_thresh(f, &c, &s, 64 << 10);
	area_new(&a, len, 311);
	area_new(&b, len, 4000);	/* zero: fresh anonymous pages */
	pattern_fill(311, 0, a.p, len);
	sn = (struct sender){ .fd = c, .p = a.p, .len = len, .shut_wr = 1 };
	r = (struct big_reader){ .fd = s, .p = b.p, .len = len, .per = per ? per : len };
	z0 = zs_get(f);
	pthread_create(&th[1], NULL, big_reader_fn, &r);
	sleep_ms(200);		/* the reader is in recv() before any byte */
	if (fork_too) {
		fw.r = &r;
		pthread_create(&th[2], NULL, fork_when_fn, &fw);
	}
	pthread_create(&th[0], NULL, sender_fn, &sn);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	if (fork_too)
		pthread_join(th[2], NULL);
	z = zs_delta(f, z0);
	snprintf(lb, sizeof(lb), "%zu bytes, %zu per recv: sent, received intact", len,
		 per ? per : len);
	if (r.got != len)
		diag("received %zu (%s)", (size_t)r.got, r.eof ? "EOF" : errname(r.err));
	EXPECT_TRUE(lb, sn.sent == (ssize_t)len && r.got == len && !memcmp(a.p, b.p, len));
	if (fork_too)
		EXPECT_EQ("forked child exit status", WIFEXITED(fw.status) ?
			  WEXITSTATUS(fw.status) : -1, 0);
	if (f->is_sdp) {
		if (z.direct <= 0 || z.direct > z.rx)
			FAIL("ZcopyRxDirectBytes +%lld with ZcopyRxBytes +%lld: want 0 < direct <= rx",
			     z.direct, z.rx);
		/* a reader waiting with room for all: every SrcAvail goes
		 * straight to its buffer
		 */
		if ((!per || cur_mode == 2) && !fork_too && z.direct != z.rx)
			FAIL("ZcopyRxDirectBytes +%lld, ZcopyRxBytes +%lld: want equal",
			     z.direct, z.rx);
		check_mode(f, &z);
	}
	close(c);
	close(s);
	area_free(&a);
	area_free(&b);
}

TEST_DIFF_T(direct_read_whole, 240)
{
	direct_read(f, 4 * MIB + 5, 0, 0);
	direct_read(f, 1 * MIB, 0, 0);
	expect_healthy(f);
}

/* reads smaller than a SrcAvail: the first part of each is read into the
 * reader's buffer (a partial RdmaRdCompl), the rest into kernel buffers
 */
TEST_DIFF_T(direct_read_partial, 240)
{
	direct_read(f, 4 * MIB + 5, 300 << 10, 0);
	direct_read(f, 2 * MIB, (1 << 20) - 3, 0);
	expect_healthy(f);
}

TEST_DIFF_T(direct_read_fork, 240)
{
	direct_read(f, 8 * MIB, 0, 1);
	expect_healthy(f);
}

/* ---- 10. write mode (net.sdp.zcopy_mode 2): SinkAvail / RDMA WRITE ---- */

/* the integrity runs again with the receivers' buffers as the targets */
TEST_DIFF_T(write_integrity, 900)
{
	size_t sizes[] = { PAGE + 1, MIB + 17, 8 * MIB,
			   env_mib("SDP_BIG_MB", 64) << 20 };
	int old = mode_set(f, 2);
	unsigned i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		both_ways(f, 65536, sizes[i], i);
	for (i = 0; i < 3; i++)
		both_ways(f, 4096, sizes[i], i + 10);
	mode_set(f, old);
}

/* read mode alone, offered by both ends: no byte by RDMA WRITE */
/* Both ends send 4 MiB + 5 by zero copy before either reads: two
 * SrcAvails cross (read mode), and both senders block until a reader
 * comes, a second later. Neither may wait for the other.
 */
TEST_DIFF_T(crossing_srcavails, 300)
{
	both_ways_at(f, PAGE, 4 * MIB + 5, 30, scaled_ms(1000));
}

/* net.sdp.zcopy_mode 3: the ends offer no zero-copy mode. Sends above
 * the threshold go by bcopy, intact, and count as fallbacks.
 */
TEST_DIFF_T(no_mode_at_peer, 300)
{
	size_t len = 8 * MIB + 3;
	struct area a;
	struct sender sn;
	struct receiver r;
	struct zstats z0, z;
	int old = mode_set(f, 3), c, s;

	pair_thresh(f, &c, &s, PAGE);
	area_new(&a, len, 4321);
	pattern_fill(31, 0, a.p, len);
	sn = (struct sender){ .fd = c, .p = a.p, .len = len, .chunk = 2 * MIB,
			      .shut_wr = 1 };
	r = (struct receiver){ .fd = s, .seed = 31 };
	z0 = zs_get(f);
	run_one_way(&sn, &r);
	EXPECT_EQ("sent", sn.sent, len);
	EXPECT_EQ("received intact, EOF after",
		  r.eof && r.bad < 0 ? (long long)r.got : -1, len);
	z = zs_delta(f, z0);
	if (f->is_sdp && (z.tx || z.rx))
		FAIL("no mode negotiated, yet ZcopyTxBytes +%lld, ZcopyRxBytes +%lld",
		     z.tx, z.rx);
	/* one fallback per send call of at least the threshold (the last
	 * call, 3 bytes, is below it)
	 */
	if (f->is_sdp && z.fb != (long long)(len / (2 * MIB)))
		FAIL("ZcopyFallbacks +%lld, want +%zu (one per send call)", z.fb,
		     len / (2 * MIB));
	close(c);
	close(s);
	area_free(&a);
	mode_set(f, old);
}

TEST_DIFF_T(read_mode_only, 300)
{
	int old = mode_set(f, 1);

	both_ways(f, 65536, 8 * MIB + 3, 20);
	mode_set(f, old);
}

/* a reader blocked with room for all (or for 300 KiB per recv): each
 * advertisement is written into whole; a fork meanwhile leaves the
 * bytes in the parent
 */
TEST_DIFF_T(write_direct, 300)
{
	int old = mode_set(f, 2);

	direct_read(f, 4 * MIB + 5, 0, 0);
	direct_read(f, 2 * MIB, 300 << 10, 0);
	direct_read(f, 8 * MIB, 0, 1);
	expect_healthy(f);
	mode_set(f, old);
}

/* write mode with a reader that never asks for the threshold's worth: no
 * SinkAvail comes; the sender waits for one a while, then sends by bcopy
 * (ZcopyFallbacks), and every byte arrives
 */
TEST_DIFF_T(write_no_sink_fallback, 180)
{
	int old = mode_set(f, 2);
	size_t len = 4 * MIB + 1;
	struct sender sn;
	struct receiver r;
	struct zstats z0, z;
	struct area a;
	pthread_t th[2];
	int c, s;

	pair_thresh(f, &c, &s, 64 << 10);
	area_new(&a, len, 555);
	pattern_fill(68, 0, a.p, len);
	sn = (struct sender){ .fd = c, .p = a.p, .len = len, .shut_wr = 1 };
	r = (struct receiver){ .fd = s, .seed = 68, .bufsz = 16 << 10 };
	z0 = zs_get(f);
	pthread_create(&th[1], NULL, receiver_fn, &r);
	pthread_create(&th[0], NULL, sender_fn, &sn);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	EXPECT_TRUE("4 MiB + 1 read 16 KiB at a time arrive intact, then EOF",
		    sn.sent == (ssize_t)len && r.got == len && r.bad < 0 && r.eof);
	z = zs_delta(f, z0);
	if (f->is_sdp && (z.fb <= 0 || z.tx))
		FAIL("no SinkAvail to write into: want ZcopyFallbacks > 0 and no zero copy, got +%lld and ZcopyTxBytes +%lld",
		     z.fb, z.tx);
	close(c);
	close(s);

	/* the wait for a SinkAvail is no reason to fail: with SO_SNDTIMEO
	 * shorter than it, one send() still takes bytes at once
	 */
	pair_thresh(f, &c, &s, 64 << 10);
	{
		struct timeval tv = { 0, 50 * 1000 };

		SETUP_VAL("SO_SNDTIMEO 50 ms",
			  setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
	}
	sn = (struct sender){ .fd = c, .p = a.p, .len = len, .once = 1, .shut_wr = 1 };
	r = (struct receiver){ .fd = s, .seed = 68, .bufsz = 16 << 10 };
	pthread_create(&th[1], NULL, receiver_fn, &r);
	pthread_create(&th[0], NULL, sender_fn, &sn);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	obs("one send() of 4 MiB + 1 with SO_SNDTIMEO 50 ms: %s",
	    sn.sent > 0 ? "took bytes" : errname(sn.err));
	EXPECT_TRUE("it took bytes, and they arrive intact before EOF",
		    sn.sent > 0 && r.got == (size_t)sn.sent && r.bad < 0 && r.eof);
	close(c);
	close(s);
	area_free(&a);
	mode_set(f, old);
}

struct blocked_recv {
	int fd;
	size_t len;
	ssize_t r;
	int err;
	double t_start, t_end;
	pid_t tid;
};

static void *blocked_recv_fn(void *arg)
{
	struct blocked_recv *b = arg;
	char *buf = malloc(b->len);

	b->t_start = mono_ms();
	__atomic_store_n(&b->tid, syscall(SYS_gettid), __ATOMIC_RELEASE);
	b->r = recv(b->fd, buf, b->len, 0);
	b->err = b->r < 0 ? errno : 0;
	b->t_end = mono_ms();
	free(buf);
	return b;
}

/* A large recv() with nothing to read, its buffer advertised (SinkAvail):
 * SO_RCVTIMEO or a signal ends it as on TCP (SinkAvailCancel, answered),
 * and the connection goes on, in write mode again.
 */
static void sink_cancel(const struct fam *f, int use_timeo)
{
	int old = mode_set(f, 2);
	struct blocked_recv br;
	struct sender sn;
	struct receiver r;
	struct zstats z0, z;
	struct area a;
	pthread_t th[2];
	double t_sig = 0, dt;
	size_t len = 4 * MIB;
	int c, s;

	pair_thresh(f, &c, &s, 64 << 10);
	if (use_timeo) {
		struct timeval tv = { 1, 0 };

		SETUP_VAL("SO_RCVTIMEO", setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	} else {
		struct sigaction sa = { 0 };

		sa.sa_handler = on_alarm;	/* no SA_RESTART */
		sigemptyset(&sa.sa_mask);
		SETUP_VAL("sigaction", sigaction(SIGALRM, &sa, NULL), 0);
	}
	br = (struct blocked_recv){ .fd = s, .len = MIB };
	pthread_create(&th[0], NULL, blocked_recv_fn, &br);
	if (!use_timeo) {
		while (!__atomic_load_n(&br.tid, __ATOMIC_ACQUIRE))
			sleep_ms(5);
		wait_blocked(br.tid, 200);
		t_sig = mono_ms();
		pthread_kill(th[0], SIGALRM);
	}
	pthread_join(th[0], NULL);
	dt = br.t_end - (use_timeo ? br.t_start : t_sig);
	obs("recv with nothing sent: %zd %s", br.r, br.r < 0 ? errname(br.err) : "");
	EXPECT_TRUE(use_timeo ? "recv: -1 EAGAIN" : "recv: -1 EINTR",
		    br.r == -1 && br.err == (use_timeo ? EAGAIN : EINTR));
	if (use_timeo)
		EXPECT_TRUE("returned after about the 1 s timeout",
			    dt >= 900 && dt < 1000 + scaled_ms(6000));
	else
		EXPECT_TRUE("returned soon after the signal", dt < scaled_ms(6000));
	if (use_timeo) {
		struct timeval tv = { 0, 0 };

		SETUP_VAL("SO_RCVTIMEO 0", setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	}
	/* the connection goes on: 4 MiB, intact, in write mode again */
	area_new(&a, len, 99);
	pattern_fill(67, 0, a.p, len);
	sn = (struct sender){ .fd = c, .p = a.p, .len = len, .shut_wr = 1 };
	r = (struct receiver){ .fd = s, .seed = 67 };
	z0 = zs_get(f);
	pthread_create(&th[1], NULL, receiver_fn, &r);
	pthread_create(&th[0], NULL, sender_fn, &sn);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	EXPECT_TRUE("then 4 MiB arrive intact, then EOF",
		    sn.sent == (ssize_t)len && r.got == len && r.bad < 0 && r.eof);
	z = zs_delta(f, z0);
	if (f->is_sdp && z.wr <= 0)
		FAIL("no RDMA WRITE after the cancel: ZcopyTxWriteBytes +%lld", z.wr);
	check_mode(f, &z);
	close(c);
	close(s);
	area_free(&a);
	mode_set(f, old);
}

TEST_DIFF_T(sink_cancel_rcvtimeo, 180)
{
	sink_cancel(f, 1);
}

TEST_DIFF_T(sink_cancel_signal, 180)
{
	sink_cancel(f, 0);
}

int main(int argc, char **argv)
{
	harness_usage_extra = "SDP_BIG_MB (large integrity transfers, MiB, default 64),\n"
		"SDP_HUGE_MB (the largest, at the default threshold, default 4 x SDP_BIG_MB)\n";
	return harness_main(argc, argv);
}
