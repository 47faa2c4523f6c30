// SPDX-License-Identifier: GPL-2.0
/*
 * sdp_twohost: large random transfers between two hosts (or within one),
 * over TCP and over SDP, integrity checked (position-wise against the
 * seeded stream, and by SHA-256).
 *
 *   SDP_ROLE=server  listen on SDP_ADDR, port 7471 (SDP) and 7472 (TCP)
 *                    (SDP_TWOHOST_PORT moves both: sdp=P, tcp=P+1), serve
 *                    clients until each family's client says "quit".
 *                    One TAP test: serve.
 *   SDP_ROLE=client  connect to SDP_PEER on those ports (retrying for up to
 *                    SDP_CONNECT_WAIT seconds, default 60, while the server
 *                    boots) and run the client tests, tcp and sdp.
 *   SDP_ROLE=single  (or unset) both roles in one process: every client test
 *                    starts its own server on SDP_ADDR (port 0) and connects
 *                    to it through SDP_PEER.
 *
 * Protocol, per connection: the client sends a 32-byte header
 *   { be32 magic "SDPT", be32 op (1 xfer, 2 quit), be64 seed, be64 c2s, be64 s2c }.
 * xfer: both sides then send at once: the client c2s bytes of stream(seed)
 * then SHUT_WR; the server s2c bytes of stream(seed+1), then after reading
 * c2s bytes and EOF a 48-byte trailer { sha256 of what it received,
 * be64 first bad offset or ~0, be64 bytes received }, then it closes.
 * quit: the server answers "BYE!" and its serve loop for that family ends.
 * xfer_zc (3): as xfer, but both ends set SDP_ZCOPY_THRESH to 64 KiB (SDP)
 * and send and receive in chunks of up to 1 MiB, so that zero copy moves
 * most of the bytes.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <endian.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/sdp.h>

#include "util.h"

#define MAGIC		0x53445054u	/* "SDPT" */
#define OP_XFER		1
#define OP_QUIT		2
#define OP_XFER_ZC	3	/* xfer, SDP_ZCOPY_THRESH 64 KiB, chunks to 1 MiB */
#define ZC_THRESH	65536
#define HDR_LEN		32
#define TRAILER_LEN	48

enum role { ROLE_SINGLE, ROLE_SERVER, ROLE_CLIENT };
static enum role role = ROLE_SINGLE;

static uint16_t fixed_port(const struct fam *f)
{
	const char *s = getenv("SDP_TWOHOST_PORT");
	int base = s && *s ? atoi(s) : 7471;

	return f->is_sdp ? base : base + 1;
}

/* ------------------------------------------------------------------ */
/* server                                                              */
/* ------------------------------------------------------------------ */

struct server {
	const struct fam *f;
	int lfd;
	pthread_t th;
	pthread_mutex_t lock;
	int served, failures, quit, active;
	int early_resets;	/* reset before a byte of the header came */
	long client_retries;	/* failed connect attempts, the client says */
	double deadline_ms;
};

/* Failed connect attempts of this client, per family, kept in a file:
 * each test runs in a child process of its own. The quit message carries
 * the total, so that the server can tell a connection the client gave up
 * on while it was being set up from a real failure.
 */
static const char *retries_file(const struct fam *f)
{
	return f->is_sdp ? "/tmp/sdp_twohost.retries.sdp" :
			   "/tmp/sdp_twohost.retries.tcp";
}

static void retries_add(const struct fam *f, int n)
{
	FILE *fp;

	if (n <= 0 || !(fp = fopen(retries_file(f), "a")))
		return;
	fprintf(fp, "%d\n", n);
	fclose(fp);
}

static long retries_total(const struct fam *f)
{
	FILE *fp = fopen(retries_file(f), "r");
	long total = 0;
	int n;

	if (!fp)
		return 0;
	while (fscanf(fp, "%d", &n) == 1)
		total += n;
	fclose(fp);
	return total;
}

struct conn_arg {
	struct server *sv;
	int fd;
};

static void put64(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, 8);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

static void *serve_conn(void *arg)
{
	struct conn_arg *ca = arg;
	struct server *sv = ca->sv;
	uint8_t hdr[HDR_LEN], tr[TRAILER_LEN];
	uint32_t magic, op;
	int fd = ca->fd, ok = 0, quit = 0, early = 0;
	long retries = 0;
	ssize_t got;

	free(ca);
	got = recv_all(fd, hdr, HDR_LEN);
	if (got != HDR_LEN) {
		diag("%s server: short header, %zd bytes (%s)", sv->f->name, got,
		     errname(errno));
		early = got <= 0;
		goto out;
	}
	memcpy(&magic, hdr, 4);
	memcpy(&op, hdr + 4, 4);
	magic = ntohl(magic);
	op = ntohl(op);
	if (magic != MAGIC) {
		diag("%s server: bad magic %#x", sv->f->name, magic);
		goto out;
	}
	if (op == OP_QUIT) {
		ok = send_all(fd, "BYE!", 4, 0) == 4;
		quit = 1;
		retries = (long)get64(hdr + 8);
	} else if (op == OP_XFER || op == OP_XFER_ZC) {
		struct xfer tx = { 0 }, rx = { 0 };
		pthread_t th;

		rx.fd = tx.fd = fd;
		rx.seed = get64(hdr + 8);
		rx.len = get64(hdr + 16);
		rx.maxchunk = 128 << 10;
		rx.expect_eof = 1;
		tx.seed = rx.seed + 1;
		tx.len = get64(hdr + 24);
		tx.maxchunk = 64 << 10;
		if (op == OP_XFER_ZC) {
			if (sv->f->is_sdp)
				set_int_opt(fd, SOL_SDP, SDP_ZCOPY_THRESH, ZC_THRESH);
			rx.maxchunk = tx.maxchunk = 1 << 20;
		}
		pthread_create(&th, NULL, xfer_send_thread, &tx);
		xfer_recv(&rx);
		pthread_join(th, NULL);
		memcpy(tr, rx.sha, 32);
		put64(tr + 32, rx.bad_off < 0 ? ~0ULL : (uint64_t)rx.bad_off);
		put64(tr + 40, rx.done);
		ok = !tx.err && tx.done == tx.len && !rx.err && rx.done == rx.len &&
		     rx.bad_off < 0 && rx.eof_ok;
		if (!tx.err)
			ok &= send_all(fd, tr, TRAILER_LEN, 0) == TRAILER_LEN;
		if (!ok) {
			xfer_diag("server send", &tx);
			xfer_diag("server recv", &rx);
		}
	} else {
		diag("%s server: bad op %u", sv->f->name, op);
	}
out:
	close(fd);
	pthread_mutex_lock(&sv->lock);
	sv->served++;
	if (!ok)
		sv->failures++;
	sv->early_resets += early;
	if (quit) {
		sv->quit = 1;
		sv->client_retries = retries;
	}
	sv->active--;
	pthread_mutex_unlock(&sv->lock);
	return NULL;
}

static void *server_loop(void *arg)
{
	struct server *sv = arg;

	for (;;) {
		struct pollfd p = { .fd = sv->lfd, .events = POLLIN };
		struct conn_arg *ca;
		pthread_t th;
		int fd, quit;

		pthread_mutex_lock(&sv->lock);
		quit = sv->quit;
		pthread_mutex_unlock(&sv->lock);
		if (quit || mono_ms() > sv->deadline_ms)
			break;
		if (poll(&p, 1, 200) <= 0)
			continue;
		fd = accept(sv->lfd, NULL, NULL);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
				diag("%s server: accept: %s", sv->f->name, errname(errno));
				pthread_mutex_lock(&sv->lock);
				sv->failures++;
				pthread_mutex_unlock(&sv->lock);
				sleep_ms(100);
			}
			continue;
		}
		ca = malloc(sizeof(*ca));
		ca->sv = sv;
		ca->fd = fd;
		pthread_mutex_lock(&sv->lock);
		sv->active++;
		pthread_mutex_unlock(&sv->lock);
		if (pthread_create(&th, NULL, serve_conn, ca)) {
			diag("pthread_create failed");
			close(fd);
			free(ca);
			pthread_mutex_lock(&sv->lock);
			sv->active--;
			sv->failures++;
			pthread_mutex_unlock(&sv->lock);
			continue;
		}
		pthread_detach(th);
	}
	/* let connections still in flight finish */
	for (int i = 0; i < 600; i++) {
		int a;

		pthread_mutex_lock(&sv->lock);
		a = sv->active;
		pthread_mutex_unlock(&sv->lock);
		if (!a)
			break;
		sleep_ms(100);
	}
	return NULL;
}

static void server_start(struct server *sv, const struct fam *f, uint16_t port,
			 double timeout_s)
{
	struct sockaddr_in a = sin_local(port);

	memset(sv, 0, sizeof(*sv));
	pthread_mutex_init(&sv->lock, NULL);
	sv->f = f;
	sv->deadline_ms = mono_ms() + timeout_s * 1000;
	sv->lfd = t_socket(f);
	SETUP_VAL("SO_REUSEADDR", set_int_opt(sv->lfd, SOL_SOCKET, SO_REUSEADDR, 1), 0);
	if (bind(sv->lfd, (struct sockaddr *)&a, sizeof(a)) < 0)
		FATAL("%s server: bind %s:%u: %s", f->name, inet_ntoa(a.sin_addr), port,
		      errname(errno));
	SETUP_VAL("listen", listen(sv->lfd, 64), 0);
	if (pthread_create(&sv->th, NULL, server_loop, sv))
		FATAL("pthread_create");
}

static void server_wait(struct server *sv)
{
	pthread_join(sv->th, NULL);
	close(sv->lfd);
}

/* ------------------------------------------------------------------ */
/* client                                                              */
/* ------------------------------------------------------------------ */

static int connect_retry(const struct fam *f, uint16_t port)
{
	const char *w = getenv("SDP_CONNECT_WAIT");
	double end = mono_ms() + 1000.0 * (w && *w ? atoi(w) : 60);
	struct sockaddr_in a = sin_peer(port);
	int tries = 0, last = 0;

	for (;;) {
		int fd = t_socket(f);
		double t0 = mono_ms();

		tries++;
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
			if (tries > 1)
				diag("connected after %d tries", tries);
			retries_add(f, tries - 1);
			return fd;
		}
		last = errno;
		diag("%s connect try %d: %s after %.0f ms", f->name, tries, errname(last),
		     mono_ms() - t0);
		close(fd);
		if (mono_ms() > end)
			break;
		sleep_ms(500);
	}
	FATAL("%s: could not connect to %s:%u for the wait time: last error %s (%d tries)",
	      f->name, inet_ntoa(a.sin_addr), port, errname(last), tries);
}

struct client_xfer {
	const struct fam *f;
	uint16_t port;
	uint64_t c2s, s2c;
	/* results */
	int ok;
	char why[256];
	int zc;			/* OP_XFER_ZC */
};

static void client_xfer(struct client_xfer *cx)
{
	uint8_t hdr[HDR_LEN], tr[TRAILER_LEN];
	struct xfer tx = { 0 }, rx = { 0 };
	uint32_t v;
	uint64_t seed = seed_new();
	pthread_t th;
	ssize_t r;
	char ch;
	int fd = connect_retry(cx->f, cx->port);

	cx->ok = 0;
	v = htonl(MAGIC);
	memcpy(hdr, &v, 4);
	v = htonl(cx->zc ? OP_XFER_ZC : OP_XFER);
	memcpy(hdr + 4, &v, 4);
	put64(hdr + 8, seed);
	put64(hdr + 16, cx->c2s);
	put64(hdr + 24, cx->s2c);
	if (send_all(fd, hdr, HDR_LEN, 0) != HDR_LEN) {
		snprintf(cx->why, sizeof(cx->why), "send header: %s", errname(errno));
		close(fd);
		return;
	}
	tx.fd = rx.fd = fd;
	tx.seed = seed;
	tx.len = cx->c2s;
	tx.maxchunk = 256 << 10;
	tx.shut_wr = 1;
	rx.seed = seed + 1;
	rx.len = cx->s2c;
	rx.maxchunk = 100 << 10;
	if (cx->zc) {
		if (cx->f->is_sdp)
			set_int_opt(fd, SOL_SDP, SDP_ZCOPY_THRESH, ZC_THRESH);
		tx.maxchunk = rx.maxchunk = 1 << 20;
	}
	pthread_create(&th, NULL, xfer_send_thread, &tx);
	xfer_recv(&rx);
	pthread_join(th, NULL);
	if (tx.err || tx.done != tx.len) {
		xfer_diag("client send", &tx);
		snprintf(cx->why, sizeof(cx->why), "send failed after %llu of %llu bytes: %s",
			 (unsigned long long)tx.done, (unsigned long long)tx.len,
			 tx.err ? errname(tx.err) : "?");
		goto out;
	}
	if (rx.err || rx.done != rx.len || rx.bad_off >= 0) {
		xfer_diag("client recv", &rx);
		snprintf(cx->why, sizeof(cx->why), "receive: %llu of %llu bytes, %s, first bad byte %ld",
			 (unsigned long long)rx.done, (unsigned long long)rx.len,
			 rx.err ? errname(rx.err) : rx.what ? rx.what : "ok", rx.bad_off);
		goto out;
	}
	r = recv_all(fd, tr, TRAILER_LEN);
	if (r != TRAILER_LEN) {
		snprintf(cx->why, sizeof(cx->why), "trailer: got %zd bytes (%s)", r,
			 r < 0 ? errname(errno) : "short");
		goto out;
	}
	if (memcmp(tr, tx.sha, 32) || get64(tr + 32) != ~0ULL || get64(tr + 40) != cx->c2s) {
		char a[65], b[65];

		sha256_hex(tx.sha, a);
		sha256_hex(tr, b);
		snprintf(cx->why, sizeof(cx->why),
			 "server saw other data: sent sha256 %.16s.., server %.16s.., bad_off %lld, got %llu",
			 a, b, (long long)get64(tr + 32), (unsigned long long)get64(tr + 40));
		goto out;
	}
	r = recv(fd, &ch, 1, 0);
	if (r != 0) {
		snprintf(cx->why, sizeof(cx->why), "expected EOF after trailer, got %zd %s", r,
			 r < 0 ? errname(errno) : "");
		goto out;
	}
	cx->ok = 1;
out:
	close(fd);
}

static int client_quit(const struct fam *f, uint16_t port)
{
	uint8_t hdr[HDR_LEN] = { 0 };
	uint32_t v;
	char bye[5] = { 0 };
	int fd = connect_retry(f, port), ok;

	v = htonl(MAGIC);
	memcpy(hdr, &v, 4);
	v = htonl(OP_QUIT);
	memcpy(hdr + 4, &v, 4);
	put64(hdr + 8, (uint64_t)retries_total(f));
	ok = send_all(fd, hdr, HDR_LEN, 0) == HDR_LEN &&
	     recv_all(fd, bye, 4) == 4 && !memcmp(bye, "BYE!", 4);
	close(fd);
	return ok;
}

/* Single mode: a server of our own; client/server mode: the peer's. */
struct session {
	struct server sv;
	uint16_t port;
	int own;
};

static void session_begin(struct session *ss, const struct fam *f)
{
	ss->own = role == ROLE_SINGLE;
	if (ss->own) {
		server_start(&ss->sv, f, 0, 600);
		ss->port = t_port_of(ss->sv.lfd);
	} else {
		ss->port = fixed_port(f);
	}
}

static void session_end(struct session *ss, const struct fam *f)
{
	if (!ss->own)
		return;
	EXPECT_TRUE("server quits", client_quit(f, ss->port));
	server_wait(&ss->sv);
	diag("server: served %d, failures %d, still open %d", ss->sv.served,
	     ss->sv.failures, ss->sv.active);
	EXPECT_TRUE("server saw no failures", ss->sv.failures == 0);
	/* a server connection still waiting means an error never reached it */
	EXPECT_TRUE("no server connection left hanging", ss->sv.active == 0);
}

static void xfer_as(const struct fam *f, uint16_t port, const char *label,
		    uint64_t c2s, uint64_t s2c, int zc)
{
	struct client_xfer cx = { f, port, c2s, s2c, 0, "", zc };
	double t0 = mono_ms();

	client_xfer(&cx);
	diag("%s: c2s %llu s2c %llu in %.0f ms%s%s", label, (unsigned long long)c2s,
	     (unsigned long long)s2c, mono_ms() - t0, cx.ok ? "" : ": ", cx.why);
	EXPECT_TRUE(label, cx.ok);
}

static void one_xfer(const struct fam *f, uint16_t port, const char *label,
		     uint64_t c2s, uint64_t s2c)
{
	xfer_as(f, port, label, c2s, s2c, 0);
}

TEST_DIFF_T(handshake, 120)
{
	struct session ss;

	session_begin(&ss, f);
	one_xfer(f, ss.port, "empty exchange", 0, 0);
	one_xfer(f, ss.port, "one byte each way", 1, 1);
	session_end(&ss, f);
}

TEST_DIFF_T(sizes, 300)
{
	static const uint64_t fixed[] = { 1, 1000, 4096, 65537, (1 << 20) + 7 };
	uint64_t rs = seed_new();
	struct session ss;
	char lb[64];
	unsigned i;

	session_begin(&ss, f);
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		snprintf(lb, sizeof(lb), "c2s %llu, s2c %llu", (unsigned long long)fixed[i],
			 (unsigned long long)fixed[(i + 2) % 5]);
		one_xfer(f, ss.port, lb, fixed[i], fixed[(i + 2) % 5]);
	}
	for (i = 0; i < 4; i++) {
		/* random sizes from 1 byte to 8 MiB: label by index */
		snprintf(lb, sizeof(lb), "random sizes #%u", i);
		one_xfer(f, ss.port, lb, 1 + rng_next(&rs) % (8 << 20),
			 1 + rng_next(&rs) % (8 << 20));
	}
	session_end(&ss, f);
}

TEST_DIFF_T(big_both_ways, 600)
{
	uint64_t len = env_mib("SDP_BIG_MB", 64) << 20;
	struct session ss;

	session_begin(&ss, f);
	one_xfer(f, ss.port, "big transfer each way", len, len);
	session_end(&ss, f);
}

/* this host's net.sdp sysctl / sdp_stats counter (sdp only) */
static long sdp_knob(const char *name, long set)
{
	char path[96];
	long old = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/sys/net/sdp/%s", name);
	fp = fopen(path, "r");
	if (!fp || fscanf(fp, "%ld", &old) != 1)
		FATAL("%s: cannot read it", path);
	fclose(fp);
	fp = fopen(path, "w");
	if (!fp || fprintf(fp, "%ld\n", set) < 0 || fclose(fp))
		FATAL("%s = %ld: %s", path, set, errname(errno));
	return old;
}

static long long sdp_counter(const char *name)
{
	FILE *fp = fopen("/proc/net/sdp_stats", "r");
	long long v = -1, x;
	char n[64];

	if (!fp)
		FATAL("/proc/net/sdp_stats: %s", errname(errno));
	while (fscanf(fp, "%63s %lld", n, &x) == 2)
		if (!strcmp(n, name))
			v = x;
	fclose(fp);
	return v;
}

/*
 * Zero copy between the hosts, both ways at once at a threshold of 64 KiB
 * (OP_XFER_ZC): read mode as both hosts offer by default, then write mode:
 * this (client) host offers only write mode (net.sdp.zcopy_mode 2), so
 * each end RDMA-WRITEs into the buffers the other's reader advertises,
 * whatever the server's host prefers. Its counters show which ran.
 */
static void zc_xfers(const struct fam *f, int mode)
{
	uint64_t len = env_mib("SDP_BIG_MB", 64) << 20;
	long long w0 = 0, d0 = 0, t0 = 0, w, d, t;
	struct session ss;
	long old = 0;

	if (f->is_sdp) {
		old = sdp_knob("zcopy_mode", mode);
		w0 = sdp_counter("ZcopyTxWriteBytes");
		d0 = sdp_counter("ZcopyRxDirectBytes");
		t0 = sdp_counter("ZcopyTxBytes");
	}
	session_begin(&ss, f);
	xfer_as(f, ss.port, "big transfer each way, zero copy", len, len, 1);
	xfer_as(f, ss.port, "other sizes each way, zero copy", (len >> 3) + 4097,
		(len >> 2) + 13, 1);
	session_end(&ss, f);
	if (!f->is_sdp)
		return;
	sdp_knob("zcopy_mode", old);
	w = sdp_counter("ZcopyTxWriteBytes") - w0;
	d = sdp_counter("ZcopyRxDirectBytes") - d0;
	t = sdp_counter("ZcopyTxBytes") - t0;
	diag("zcopy_mode %d here: ZcopyTxBytes +%lld (+%lld write mode), ZcopyRxDirectBytes +%lld",
	     mode, t, w, d);
	if (t <= 0)
		FAIL("no byte of this host's went by zero copy (ZcopyTxBytes +%lld)", t);
	if (mode == 2 && (w != t || d <= 0))
		FAIL("write mode: ZcopyTxWriteBytes +%lld of ZcopyTxBytes +%lld, ZcopyRxDirectBytes +%lld",
		     w, t, d);
	if (mode != 2 && w)
		FAIL("read mode: ZcopyTxWriteBytes +%lld, want 0", w);
}

TEST_DIFF_T(zcopy_read_mode, 600)
{
	zc_xfers(f, 0);
}

TEST_DIFF_T(zcopy_write_mode, 600)
{
	zc_xfers(f, 2);
}

static void *parallel_fn(void *arg)
{
	client_xfer(arg);
	return NULL;
}

TEST_DIFF_T(parallel, 600)
{
	enum { N = 16 };
	uint64_t per = env_mib("SDP_PARALLEL_MB", 4) << 20;
	struct client_xfer cx[N];
	pthread_t th[N];
	struct session ss;
	int i, ok = 0;

	session_begin(&ss, f);
	for (i = 0; i < N; i++) {
		memset(&cx[i], 0, sizeof(cx[i]));
		cx[i].f = f;
		cx[i].port = ss.port;
		cx[i].c2s = per;
		cx[i].s2c = per + i;
		pthread_create(&th[i], NULL, parallel_fn, &cx[i]);
	}
	for (i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		if (cx[i].ok)
			ok++;
		else
			diag("connection %d: %s", i, cx[i].why);
	}
	EXPECT_EQ("16 parallel connections intact", ok, N);
	session_end(&ss, f);
}

/* Client mode: tell the peer's server we are done (its serve test ends). */
TEST_DIFF_T(quit, 120)
{
	if (role == ROLE_SINGLE) {
		struct session ss;

		session_begin(&ss, f);
		session_end(&ss, f);
		return;
	}
	EXPECT_TRUE("server says BYE", client_quit(f, fixed_port(f)));
}

/* Server mode: serve both families until their clients quit. */
TEST_PLAIN_T(serve, 900)
{
	struct server sv[2];
	const struct fam *fams[2];
	int n = 0, i;
	const char *t = getenv("SDP_SERVE_TIMEOUT");
	double timeout = t && *t ? atof(t) : 900;

	if (harness_want_tcp)
		fams[n++] = &fam_tcp;
	if (harness_want_sdp)
		fams[n++] = &fam_sdp;
	for (i = 0; i < n; i++) {
		server_start(&sv[i], fams[i], fixed_port(fams[i]), timeout - 10);
		diag("%s server listening on %s:%u", fams[i]->name,
		     inet_ntoa(local_addr()), fixed_port(fams[i]));
	}
	for (i = 0; i < n; i++) {
		char lb[64];

		server_wait(&sv[i]);
		diag("%s: served %d connections, %d failures, quit %d, still open %d",
		     fams[i]->name, sv[i].served, sv[i].failures, sv[i].quit, sv[i].active);
		snprintf(lb, sizeof(lb), "%s client said quit", fams[i]->name);
		EXPECT_TRUE(lb, sv[i].quit);
		snprintf(lb, sizeof(lb), "%s connections without failure", fams[i]->name);
		/* a connection reset before its header is excused only as
		 * one of the client's failed (and retried) connect attempts
		 */
		if (sv[i].early_resets)
			diag("%s: %d reset before the header, client retried %ld connects",
			     fams[i]->name, sv[i].early_resets, sv[i].client_retries);
		EXPECT_TRUE(lb, sv[i].failures -
			    (sv[i].early_resets < sv[i].client_retries ?
			     sv[i].early_resets : sv[i].client_retries) == 0 &&
			    sv[i].served > 1);
		snprintf(lb, sizeof(lb), "%s no connection left hanging", fams[i]->name);
		EXPECT_TRUE(lb, sv[i].active == 0);
	}
}

int main(int argc, char **argv)
{
	const char *r = getenv("SDP_ROLE");
	const char *t = getenv("SDP_SERVE_TIMEOUT");

	if (!r || !*r || !strcmp(r, "single"))
		role = ROLE_SINGLE;
	else if (!strcmp(r, "server"))
		role = ROLE_SERVER;
	else if (!strcmp(r, "client")) {
		role = ROLE_CLIENT;
		unlink(retries_file(&fam_tcp));
		unlink(retries_file(&fam_sdp));
	} else {
		fprintf(stderr, "SDP_ROLE must be server, client or single\n");
		return 2;
	}
	if (t && *t && atoi(t) > 0)
		serve_test.timeout = atoi(t);
	serve_test.disabled = role != ROLE_SERVER;
	handshake_test.disabled = sizes_test.disabled = big_both_ways_test.disabled =
		parallel_test.disabled = quit_test.disabled =
		zcopy_read_mode_test.disabled = zcopy_write_mode_test.disabled =
		role == ROLE_SERVER;
	harness_usage_extra =
		"SDP_ROLE=server|client|single (default single), SDP_TWOHOST_PORT (default 7471:\n"
		"  sdp on it, tcp on it+1), SDP_CONNECT_WAIT (s, default 60),\n"
		"  SDP_SERVE_TIMEOUT (s, default 900), SDP_BIG_MB (default 64),\n"
		"  SDP_PARALLEL_MB (per connection, default 4)\n";
	return harness_main(argc, argv);
}
