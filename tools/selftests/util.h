/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the sdp selftests: addresses, connections, data. */
#ifndef SDP_SELFTEST_UTIL_H
#define SDP_SELFTEST_UTIL_H

#include <stdint.h>
#include <stddef.h>
#include <netinet/in.h>
#include "harness.h"

/* ---- addresses (environment SDP_ADDR / SDP_PEER, default 127.0.0.1) ---- */
struct in_addr local_addr(void);	/* SDP_ADDR */
struct in_addr peer_addr(void);		/* SDP_PEER, default SDP_ADDR */
struct sockaddr_in sin_local(uint16_t port);
struct sockaddr_in sin_peer(uint16_t port);
struct sockaddr_in sin_any(uint16_t port);

/* ---- sockets: the SETUP steps are not recorded in the transcript ---- */
int t_socket(const struct fam *f);			/* SOCK_STREAM, fatal on error */
int t_listener(const struct fam *f, uint16_t *port);	/* bound to SDP_ADDR:0, listening */
int t_listener_at(const struct fam *f, struct sockaddr_in a, int backlog,
		  uint16_t *port);
uint16_t t_port_of(int fd);				/* getsockname port */
/* Connect a client to listener lfd (port) and accept it; both blocking. */
void t_connect_accept(const struct fam *f, int lfd, uint16_t port,
		      int *cli, int *srv);
/* A connected pair through a temporary listener. */
void t_pair(const struct fam *f, int *cli, int *srv);
/* A port on SDP_ADDR with nothing listening; *holder keeps it bound (close later). */
uint16_t t_dead_port(const struct fam *f, int *holder);

void set_nonblock(int fd, int on);
int get_int_opt(int fd, int level, int opt);
int set_int_opt(int fd, int level, int opt, int val);

/* ---- poll ---- */
#define POLL_ALL (POLLIN | POLLPRI | POLLOUT | POLLRDHUP | POLLRDNORM | \
		  POLLWRNORM | POLLRDBAND | POLLWRBAND)
/* "IN|OUT|RDNORM|..." (or "0"), in a fixed order. */
const char *pollstr(int revents);
/* poll once for POLL_ALL with timeout; returns revents (0 on timeout). */
int poll_now(int fd, int timeout_ms);
/* poll until all bits of want are set or timeout; returns last revents. */
int poll_until(int fd, int want, int timeout_ms);
/* Record "label: <revents>" after waiting for want (0 = just look). */
void obs_poll(const char *label, int fd, int want, int timeout_ms);

/* ---- timing ---- */
double mono_ms(void);
void sleep_ms(int ms);

/* ---- byte counts: send/recv everything ---- */
ssize_t send_all(int fd, const void *buf, size_t len, int flags);
ssize_t recv_all(int fd, void *buf, size_t len);	/* until len or EOF/error */

/* ---- data: a seeded pseudo-random stream, addressable by offset ---- */
void pattern_fill(uint64_t seed, uint64_t off, void *buf, size_t len);
/* Returns -1 if buf matches the stream at off, else the index of the first bad byte. */
long pattern_check(uint64_t seed, uint64_t off, const void *buf, size_t len);
uint64_t rng_next(uint64_t *state);
uint64_t seed_new(void);

/* ---- SHA-256 ---- */
struct sha256 {
	uint32_t h[8];
	uint64_t len;
	uint8_t buf[64];
	size_t n;
};
void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t out[32]);
void sha256_hex(const uint8_t d[32], char out[65]);

/* ---- a one-direction transfer of the pattern stream ---- */
struct xfer {
	int fd;
	uint64_t seed;
	uint64_t len;		/* bytes to send / expected to receive */
	size_t maxchunk;	/* random chunk sizes 1..maxchunk */
	int shut_wr;		/* sender: shutdown(SHUT_WR) at the end */
	int expect_eof;		/* receiver: after len bytes, expect recv() == 0 */
	/* results */
	uint64_t done;
	int err;		/* errno of a failed call, or 0 */
	const char *what;	/* which call failed / what went wrong */
	long bad_off;		/* receiver: offset of first corrupt byte, or -1 */
	int eof_ok;
	uint8_t sha[32];
};
void *xfer_send_thread(void *arg);	/* returns arg */
void *xfer_recv_thread(void *arg);
void xfer_send(struct xfer *x);
void xfer_recv(struct xfer *x);
/* @len pattern bytes from @sfd (a thread, chunks up to @schunk) to @rfd
 * (here, chunks up to @rchunk); with @shut the sender shuts its writing
 * side down and the receiver expects EOF after the data.
 */
void xfer_one_way(int sfd, int rfd, uint64_t len, size_t schunk,
		  size_t rchunk, int shut, struct xfer *xs, struct xfer *xr);
/* Describe an xfer result in a diagnostic line. */
void xfer_diag(const char *label, const struct xfer *x);

/* size from env var (MiB), default def */
uint64_t env_mib(const char *name, uint64_t def_mib);

#endif
