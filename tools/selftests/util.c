// SPDX-License-Identifier: GPL-2.0
/* Helpers shared by the sdp selftests. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/sdp.h>

#include "util.h"

/* ---- addresses ---- */

static struct in_addr env_addr(const char *name, const char *def)
{
	const char *s = getenv(name);
	struct in_addr a;

	if (!s || !*s)
		s = def;
	if (inet_pton(AF_INET, s, &a) != 1) {
		fprintf(stderr, "bad IPv4 address in %s: %s\n", name, s);
		exit(2);
	}
	return a;
}

struct in_addr local_addr(void)
{
	return env_addr("SDP_ADDR", "127.0.0.1");
}

struct in_addr peer_addr(void)
{
	const char *s = getenv("SDP_PEER");

	if (!s || !*s)
		return local_addr();
	return env_addr("SDP_PEER", "127.0.0.1");
}

static struct sockaddr_in mk_sin(struct in_addr a, uint16_t port)
{
	struct sockaddr_in s;

	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	s.sin_port = htons(port);
	s.sin_addr = a;
	return s;
}

struct sockaddr_in sin_local(uint16_t port)
{
	return mk_sin(local_addr(), port);
}

struct sockaddr_in sin_peer(uint16_t port)
{
	return mk_sin(peer_addr(), port);
}

struct sockaddr_in sin_any(uint16_t port)
{
	struct in_addr a = { htonl(INADDR_ANY) };

	return mk_sin(a, port);
}

/* ---- sockets ---- */

int t_socket(const struct fam *f)
{
	return SETUP_OK("socket()", socket(f->family, SOCK_STREAM, 0));
}

uint16_t t_port_of(int fd)
{
	struct sockaddr_in s;
	socklen_t l = sizeof(s);

	SETUP_OK("getsockname()", getsockname(fd, (struct sockaddr *)&s, &l));
	return ntohs(s.sin_port);
}

int t_listener_at(const struct fam *f, struct sockaddr_in a, int backlog,
		  uint16_t *port)
{
	int fd = t_socket(f);

	SETUP_OK("setup: bind(listener)", bind(fd, (struct sockaddr *)&a, sizeof(a)));
	SETUP_OK("setup: listen()", listen(fd, backlog));
	if (port)
		*port = t_port_of(fd);
	return fd;
}

int t_listener(const struct fam *f, uint16_t *port)
{
	return t_listener_at(f, sin_local(0), 16, port);
}

void set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		FATAL("fcntl(F_GETFL): %s", errname(errno));
	fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
	if (fcntl(fd, F_SETFL, fl) < 0)
		FATAL("fcntl(F_SETFL): %s", errname(errno));
}

int get_int_opt(int fd, int level, int opt)
{
	int v = -12345;
	socklen_t l = sizeof(v);

	if (getsockopt(fd, level, opt, &v, &l) < 0)
		return -errno - 100000;
	return v;
}

int set_int_opt(int fd, int level, int opt, int val)
{
	return setsockopt(fd, level, opt, &val, sizeof(val));
}

void t_connect_accept(const struct fam *f, int lfd, uint16_t port,
		      int *cli, int *srv)
{
	struct sockaddr_in a = sin_peer(port);
	int c = t_socket(f), s, r, rev;

	set_nonblock(c, 1);
	r = connect(c, (struct sockaddr *)&a, sizeof(a));
	if (r < 0 && errno != EINPROGRESS)
		FATAL("setup: connect(): %s", errname(errno));
	s = SETUP_OK("setup: accept()", accept(lfd, NULL, NULL));
	rev = poll_until(c, POLLOUT, 10000);
	if (!(rev & POLLOUT))
		FATAL("setup: connect did not complete: revents %s", pollstr(rev));
	SETUP_VAL("setup: SO_ERROR after connect", get_int_opt(c, SOL_SOCKET, SO_ERROR), 0);
	set_nonblock(c, 0);
	*cli = c;
	*srv = s;
}

void t_pair(const struct fam *f, int *cli, int *srv)
{
	uint16_t port;
	int l = t_listener(f, &port);

	t_connect_accept(f, l, port, cli, srv);
	close(l);
}

uint16_t t_dead_port(const struct fam *f, int *holder)
{
	struct sockaddr_in a = sin_local(0);
	int fd = t_socket(f);

	SETUP_OK("setup: bind(holder)", bind(fd, (struct sockaddr *)&a, sizeof(a)));
	*holder = fd;
	return t_port_of(fd);
}

/* ---- poll ---- */

const char *pollstr(int ev)
{
	static __thread char buf[128];
	static const struct { int bit; const char *n; } names[] = {
		{ POLLIN, "IN" }, { POLLPRI, "PRI" }, { POLLOUT, "OUT" },
		{ POLLERR, "ERR" }, { POLLHUP, "HUP" }, { POLLNVAL, "NVAL" },
		{ POLLRDNORM, "RDNORM" }, { POLLRDBAND, "RDBAND" },
		{ POLLWRNORM, "WRNORM" }, { POLLWRBAND, "WRBAND" },
		{ POLLRDHUP, "RDHUP" },
	};
	size_t i;

	buf[0] = 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (ev & names[i].bit) {
			if (buf[0])
				strcat(buf, "|");
			strcat(buf, names[i].n);
			ev &= ~names[i].bit;
		}
	}
	if (ev)
		sprintf(buf + strlen(buf), "%s0x%x", buf[0] ? "|" : "", ev);
	if (!buf[0])
		strcpy(buf, "0");
	return buf;
}

int poll_now(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLL_ALL };
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		FATAL("poll: %s", errname(errno));
	return r ? p.revents : 0;
}

int poll_until(int fd, int want, int timeout_ms)
{
	double end = mono_ms() + timeout_ms;
	int rev;

	for (;;) {
		double left = end - mono_ms();

		rev = poll_now(fd, 0);
		if ((rev & want) == want || left <= 0)
			return rev;
		{
			struct pollfd p = { .fd = fd, .events = want };

			poll(&p, 1, left > 50 ? 50 : (int)left + 1);
		}
	}
}

void obs_poll(const char *label, int fd, int want, int timeout_ms)
{
	int rev = want ? poll_until(fd, want, timeout_ms) : poll_now(fd, timeout_ms);

	obs("%s: %s", label, pollstr(rev));
}

/* ---- timing ---- */

double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- send/recv everything ---- */

ssize_t send_all(int fd, const void *buf, size_t len, int flags)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = send(fd, (const char *)buf + done, len - done,
				 flags | MSG_NOSIGNAL);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return done ? (ssize_t)done : -1;
		}
		done += r;
	}
	return done;
}

ssize_t recv_all(int fd, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = recv(fd, (char *)buf + done, len - done, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return done ? (ssize_t)done : -1;
		}
		if (r == 0)
			break;
		done += r;
	}
	return done;
}

/* ---- pattern ---- */

static inline uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t pattern_word(uint64_t seed, uint64_t i)
{
	return mix64(seed + (i + 1) * 0x9e3779b97f4a7c15ULL);
}

void pattern_fill(uint64_t seed, uint64_t off, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len && (off & 7)) {
		*p++ = pattern_word(seed, off >> 3) >> ((off & 7) * 8);
		off++;
		len--;
	}
	while (len >= 8) {
		uint64_t w = pattern_word(seed, off >> 3);

		memcpy(p, &w, 8);	/* little endian: byte k = bits 8k.. */
		p += 8;
		off += 8;
		len -= 8;
	}
	while (len) {
		*p++ = pattern_word(seed, off >> 3) >> ((off & 7) * 8);
		off++;
		len--;
	}
}

long pattern_check(uint64_t seed, uint64_t off, const void *buf, size_t len)
{
	uint8_t tmp[4096];
	const uint8_t *p = buf;
	size_t done = 0;

	while (done < len) {
		size_t n = len - done < sizeof(tmp) ? len - done : sizeof(tmp);

		pattern_fill(seed, off + done, tmp, n);
		if (memcmp(tmp, p + done, n)) {
			size_t i;

			for (i = 0; i < n; i++)
				if (tmp[i] != p[done + i])
					return done + i;
		}
		done += n;
	}
	return -1;
}

uint64_t rng_next(uint64_t *state)
{
	*state += 0x9e3779b97f4a7c15ULL;
	return mix64(*state);
}

uint64_t seed_new(void)
{
	struct timespec ts;
	static uint64_t ctr;

	clock_gettime(CLOCK_REALTIME, &ts);
	return mix64(ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ getpid() ^
		     (++ctr << 48));
}

uint64_t env_mib(const char *name, uint64_t def)
{
	const char *s = getenv(name);

	if (s && *s && atoll(s) > 0)
		return atoll(s);
	return def;
}

/* ---- SHA-256 (FIPS 180-4) ---- */

static const uint32_t K256[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(struct sha256 *s, const uint8_t *b)
{
	uint32_t w[64], a, bb, c, d, e, f, g, h, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 |
		       (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
	for (; i < 64; i++) {
		uint32_t s0 = ROR32(w[i - 15], 7) ^ ROR32(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ROR32(w[i - 2], 17) ^ ROR32(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = s->h[0]; bb = s->h[1]; c = s->h[2]; d = s->h[3];
	e = s->h[4]; f = s->h[5]; g = s->h[6]; h = s->h[7];
	for (i = 0; i < 64; i++) {
		t1 = h + (ROR32(e, 6) ^ ROR32(e, 11) ^ ROR32(e, 25)) +
		     ((e & f) ^ (~e & g)) + K256[i] + w[i];
		t2 = (ROR32(a, 2) ^ ROR32(a, 13) ^ ROR32(a, 22)) +
		     ((a & bb) ^ (a & c) ^ (bb & c));
		h = g; g = f; f = e; e = d + t1;
		d = c; c = bb; bb = a; a = t1 + t2;
	}
	s->h[0] += a; s->h[1] += bb; s->h[2] += c; s->h[3] += d;
	s->h[4] += e; s->h[5] += f; s->h[6] += g; s->h[7] += h;
}

void sha256_init(struct sha256 *s)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(s->h, iv, sizeof(iv));
	s->len = 0;
	s->n = 0;
}

void sha256_update(struct sha256 *s, const void *data, size_t len)
{
	const uint8_t *p = data;

	s->len += len;
	if (s->n) {
		size_t k = 64 - s->n < len ? 64 - s->n : len;

		memcpy(s->buf + s->n, p, k);
		s->n += k;
		p += k;
		len -= k;
		if (s->n == 64) {
			sha256_block(s, s->buf);
			s->n = 0;
		}
	}
	while (len >= 64) {
		sha256_block(s, p);
		p += 64;
		len -= 64;
	}
	if (len) {
		memcpy(s->buf, p, len);
		s->n = len;
	}
}

void sha256_final(struct sha256 *s, uint8_t out[32])
{
	uint64_t bits = s->len * 8;
	uint8_t pad[72] = { 0x80 };
	size_t padlen = (s->n < 56 ? 56 : 120) - s->n;
	uint8_t lenb[8];
	int i;

	for (i = 0; i < 8; i++)
		lenb[i] = bits >> (56 - 8 * i);
	sha256_update(s, pad, padlen);
	sha256_update(s, lenb, 8);
	for (i = 0; i < 8; i++) {
		out[4 * i] = s->h[i] >> 24;
		out[4 * i + 1] = s->h[i] >> 16;
		out[4 * i + 2] = s->h[i] >> 8;
		out[4 * i + 3] = s->h[i];
	}
}

void sha256_hex(const uint8_t d[32], char out[65])
{
	int i;

	for (i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

/* ---- transfers ---- */

void xfer_send(struct xfer *x)
{
	size_t max = x->maxchunk ? x->maxchunk : 65536;
	uint8_t *buf = malloc(max);
	uint64_t rs = x->seed ^ 0x5555;
	struct sha256 sh;

	x->done = 0;
	x->err = 0;
	x->what = NULL;
	sha256_init(&sh);
	if (!buf) {
		x->what = "malloc";
		x->err = ENOMEM;
		return;
	}
	while (x->done < x->len) {
		size_t n = 1 + rng_next(&rs) % max;
		size_t off = 0;

		if (n > x->len - x->done)
			n = x->len - x->done;
		pattern_fill(x->seed, x->done, buf, n);
		sha256_update(&sh, buf, n);
		while (off < n) {
			ssize_t r = send(x->fd, buf + off, n - off, MSG_NOSIGNAL);

			if (r < 0) {
				if (errno == EINTR)
					continue;
				x->err = errno;
				x->what = "send";
				goto out;
			}
			off += r;
			x->done += r;
		}
	}
	if (x->shut_wr && shutdown(x->fd, SHUT_WR) < 0) {
		x->err = errno;
		x->what = "shutdown(SHUT_WR)";
	}
out:
	sha256_final(&sh, x->sha);
	free(buf);
}

void xfer_recv(struct xfer *x)
{
	size_t max = x->maxchunk ? x->maxchunk : 65536;
	uint8_t *buf = malloc(max);
	uint64_t rs = x->seed ^ 0xaaaa;
	struct sha256 sh;

	x->done = 0;
	x->err = 0;
	x->what = NULL;
	x->bad_off = -1;
	x->eof_ok = 0;
	sha256_init(&sh);
	if (!buf) {
		x->what = "malloc";
		x->err = ENOMEM;
		return;
	}
	while (x->done < x->len) {
		size_t n = 1 + rng_next(&rs) % max;
		ssize_t r;
		long bad;

		if (n > x->len - x->done)
			n = x->len - x->done;
		r = recv(x->fd, buf, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			x->err = errno;
			x->what = "recv";
			goto out;
		}
		if (r == 0) {
			x->what = "early EOF";
			goto out;
		}
		if (x->bad_off < 0) {
			bad = pattern_check(x->seed, x->done, buf, r);
			if (bad >= 0)
				x->bad_off = x->done + bad;
		}
		sha256_update(&sh, buf, r);
		x->done += r;
	}
	if (x->expect_eof) {
		ssize_t r;

		do
			r = recv(x->fd, buf, 1, 0);
		while (r < 0 && errno == EINTR);
		if (r == 0) {
			x->eof_ok = 1;
		} else if (r < 0) {
			x->err = errno;
			x->what = "recv at end (expected EOF)";
		} else {
			x->what = "extra data after the expected end";
		}
	}
out:
	sha256_final(&sh, x->sha);
	free(buf);
}

void *xfer_send_thread(void *arg)
{
	xfer_send(arg);
	return arg;
}

void *xfer_recv_thread(void *arg)
{
	xfer_recv(arg);
	return arg;
}

void xfer_one_way(int sfd, int rfd, uint64_t len, size_t schunk,
		  size_t rchunk, int shut, struct xfer *xs, struct xfer *xr)
{
	pthread_t th;

	memset(xs, 0, sizeof(*xs));
	xs->fd = sfd;
	xs->seed = seed_new();
	xs->len = len;
	xs->maxchunk = schunk;
	xs->shut_wr = shut;
	*xr = *xs;
	xr->fd = rfd;
	xr->maxchunk = rchunk;
	xr->shut_wr = 0;
	xr->expect_eof = shut;
	pthread_create(&th, NULL, xfer_send_thread, xs);
	xfer_recv(xr);
	pthread_join(th, NULL);
}

void xfer_diag(const char *label, const struct xfer *x)
{
	char hex[65];

	sha256_hex(x->sha, hex);
	diag("%s: fd %d seed %#llx len %llu done %llu err %s what %s bad_off %ld eof_ok %d sha256 %s",
	     label, x->fd, (unsigned long long)x->seed,
	     (unsigned long long)x->len, (unsigned long long)x->done,
	     x->err ? errname(x->err) : "0", x->what ? x->what : "-",
	     x->bad_off, x->eof_ok, hex);
}
