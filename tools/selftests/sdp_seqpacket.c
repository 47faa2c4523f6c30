// SPDX-License-Identifier: GPL-2.0
/*
 * sdp_seqpacket: socket(AF_SDP, SOCK_SEQPACKET, 0), the one-to-many socket
 * in the style of SCTP (RFC 6458 section 3), compared with Linux SCTP
 * one-to-many, socket(AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP).
 *
 * The harness's reference family is renamed "sctp" here (-f sdp|sctp|both):
 * every TEST_DIFF body runs once on SCTP and once on SDP, and the sdp
 * transcript must equal the sctp one line by line. Where the two APIs only
 * differ in their structs (cmsg level and type, struct sizes, option
 * numbers) the adapter below ("sq_*") hides it, and the bodies record
 * family-neutral results. Where the semantics legitimately differ, the
 * body checks the family's own value and records a neutral line (e.g.
 * "refused"), with a comment saying what SCTP does; tests that SCTP cannot
 * run at all are TEST_SDP.
 *
 * Without SCTP in the kernel (socket() fails with EPROTONOSUPPORT or
 * ESOCKTNOSUPPORT: the debug guest kernel, most containers) the sctp runs
 * are skipped and the sdp runs are then checked on their own values.
 *
 * SCTP has no SNDRCV cmsg on recvmsg by default (all events off); SDP has
 * data_io on by default. The adapter turns data_io on for SCTP sockets, so
 * that the bodies see the same thing.
 *
 * Two guests (SDP_ROLE=server / client; only these tests run then, and
 * neither in single mode): two_guest_server and two_guest_clients, 64
 * associations from the client guest (see "two guests" below).
 *
 * Conventions: "S" is a listening one-to-many socket (the server), "C"
 * one-to-many sockets bound to SDP_ADDR:0 that do not listen (clients; they
 * set up their association by sending). SO_RCVTIMEO/SO_SNDTIMEO bound
 * every blocking call (a missing message fails, it does not hang).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <linux/sdp.h>

#include "util.h"

/*
 * Every test of this file is also kept on sq_tests[], so that main() can
 * choose them by SDP_ROLE: the two-guest tests in the roles server and
 * client only, the others in single mode only. (TEST_DEF of harness.h,
 * with one more call in the constructor.)
 */
#define SQ_MAX_TESTS	64
static struct test *sq_tests[SQ_MAX_TESTS];
static int sq_ntests;

static void sq_register(struct test *t)
{
	test_register(t);
	if (sq_ntests < SQ_MAX_TESTS)
		sq_tests[sq_ntests++] = t;
}

#undef TEST_DEF
#define TEST_DEF(nm, kd, to)						\
	static void nm(const struct fam *f);				\
	static struct test nm##_test = { #nm, kd, nm, to, 0, NULL };	\
	__attribute__((constructor)) static void nm##_register(void)	\
	{ sq_register(&nm##_test); }					\
	static void nm(const struct fam *f __attribute__((unused)))

#define WAIT_MS		scaled_ms(10000)	/* something that must happen */
#define QUIET_MS	300			/* something that must not */

/* ------------------------------------------------------------------ */
/* SCTP definitions (linux/sctp.h may not be installed on the build host;
 * values checked against include/uapi/linux/sctp.h of 6.1)             */
/* ------------------------------------------------------------------ */

#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP		132
#endif
#define SCTP_SNDRCV		1	/* cmsg type */
#define SCTP_AUTOCLOSE		4
#define SCTP_EVENTS		11
#define SCTP_STATUS		14
#define SCTP_SOCKOPT_PEELOFF	102
#define SCTP_ASSOC_CHANGE	0x8001
#define SCTP_SHUTDOWN_EVENT	0x8005
#define SCTP_ABORT		0x0004
#define SCTP_EOF		0x0200	/* MSG_FIN */

struct sctp_sndrcvinfo {
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

struct sctp_event_subscribe {
	uint8_t sctp_data_io_event;
	uint8_t sctp_association_event;
	uint8_t sctp_address_event;
	uint8_t sctp_send_failure_event;
	uint8_t sctp_peer_error_event;
	uint8_t sctp_shutdown_event;
	uint8_t sctp_partial_delivery_event;
	uint8_t sctp_adaptation_layer_event;
	uint8_t sctp_authentication_event;
	uint8_t sctp_sender_dry_event;
	uint8_t sctp_stream_reset_event;
	uint8_t sctp_assoc_reset_event;
	uint8_t sctp_stream_change_event;
	uint8_t sctp_send_failure_event_event;
};

struct sctp_assoc_change {
	uint16_t sac_type;
	uint16_t sac_flags;
	uint32_t sac_length;
	uint16_t sac_state;
	uint16_t sac_error;
	uint16_t sac_outbound_streams;
	uint16_t sac_inbound_streams;
	int32_t sac_assoc_id;
};

struct sctp_shutdown_event {
	uint16_t sse_type;
	uint16_t sse_flags;
	uint32_t sse_length;
	int32_t sse_assoc_id;
};

struct sctp_peeloff_arg {
	int32_t associd;
	int sd;
};

struct sctp_paddrinfo {
	int32_t spinfo_assoc_id;
	struct sockaddr_storage spinfo_address;
	int32_t spinfo_state;
	uint32_t spinfo_cwnd;
	uint32_t spinfo_srtt;
	uint32_t spinfo_rto;
	uint32_t spinfo_mtu;
} __attribute__((packed, aligned(4)));

struct sctp_status {
	int32_t sstat_assoc_id;
	int32_t sstat_state;
	uint32_t sstat_rwnd;
	uint16_t sstat_unackdata;
	uint16_t sstat_penddata;
	uint16_t sstat_instrms;
	uint16_t sstat_outstrms;
	uint32_t sstat_fragmentation_point;
	struct sctp_paddrinfo sstat_primary;
};

_Static_assert(sizeof(struct sctp_sndrcvinfo) == 32, "sctp_sndrcvinfo");
_Static_assert(sizeof(struct sctp_event_subscribe) == 14, "sctp_event_subscribe");
_Static_assert(sizeof(struct sctp_assoc_change) == 20, "sctp_assoc_change");
_Static_assert(sizeof(struct sctp_paddrinfo) == 152, "sctp_paddrinfo");
_Static_assert(sizeof(struct sctp_status) == 176, "sctp_status");
/* the flag and notification numbers SDP took from SCTP */
_Static_assert(SDP_EOF == SCTP_EOF && SDP_ABORT == SCTP_ABORT, "flags");
_Static_assert(SDP_ASSOC_CHANGE == SCTP_ASSOC_CHANGE &&
	       SDP_SHUTDOWN_EVENT == SCTP_SHUTDOWN_EVENT, "sn_type");
_Static_assert(SDP_ESTABLISHED == 4, "sstat_state");	/* SCTP_ESTABLISHED */

/* ------------------------------------------------------------------ */
/* the family adapter                                                  */
/* ------------------------------------------------------------------ */

/* family-neutral SDP_SNDRCV / SCTP_SNDRCV */
struct sinfo {
	uint16_t stream;
	uint16_t flags;		/* SDP_EOF, SDP_ABORT (same values as SCTP's) */
	uint32_t ppid;
	uint32_t context;
	int32_t assoc_id;
};

enum { N_NONE, N_ASSOC_CHANGE, N_SHUTDOWN, N_OTHER };

struct note {
	int type;		/* N_* */
	int state;		/* sac_state (SDP_COMM_UP ... = SCTP's) */
	int error;		/* sac_error */
	int32_t assoc_id;
};

/* what one recvmsg returned */
struct rmsg {
	ssize_t r;
	int err;
	int flags;			/* msg_flags */
	struct sockaddr_in from;
	socklen_t fromlen;
	int has_sinfo;
	struct sinfo si;
	int is_note;
	struct note n;
};

static int is_sdp(const struct fam *f)
{
	return f->is_sdp;
}

static int sq_level(const struct fam *f)
{
	return is_sdp(f) ? SOL_SDP : IPPROTO_SCTP;
}

static const char *state_name(int s)
{
	static const char *n[] = { "COMM_UP", "COMM_LOST", "RESTART",
				   "SHUTDOWN_COMP", "CANT_STR_ASSOC" };
	static __thread char buf[32];

	if (s >= 0 && s < 5)
		return n[s];
	snprintf(buf, sizeof(buf), "state%d", s);
	return buf;
}

static const char *note_str(const struct note *n)
{
	static __thread char buf[64];

	switch (n->type) {
	case N_ASSOC_CHANGE:
		snprintf(buf, sizeof(buf), "ASSOC_CHANGE %s", state_name(n->state));
		break;
	case N_SHUTDOWN:
		snprintf(buf, sizeof(buf), "SHUTDOWN_EVENT");
		break;
	case N_NONE:
		snprintf(buf, sizeof(buf), "(no notification)");
		break;
	default:
		snprintf(buf, sizeof(buf), "other notification");
		break;
	}
	return buf;
}

/* events: data_io, association, shutdown */
static int sq_subscribe(const struct fam *f, int fd, int data_io, int assoc,
			int shutdown)
{
	if (is_sdp(f)) {
		struct sdp_event_subscribe ev = {
			.sdp_data_io_event = data_io,
			.sdp_association_event = assoc,
			.sdp_shutdown_event = shutdown,
		};

		return setsockopt(fd, SOL_SDP, SDP_EVENTS, &ev, sizeof(ev));
	} else {
		struct sctp_event_subscribe ev;

		memset(&ev, 0, sizeof(ev));
		ev.sctp_data_io_event = data_io;
		ev.sctp_association_event = assoc;
		ev.sctp_shutdown_event = shutdown;
		return setsockopt(fd, IPPROTO_SCTP, SCTP_EVENTS, &ev, sizeof(ev));
	}
}

static void set_timeouts(int fd, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	SETUP_OK("SO_RCVTIMEO", setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	SETUP_OK("SO_SNDTIMEO", setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
}

/*
 * A one-to-many socket of the family. No SCTP in this kernel: the run is
 * skipped. SCTP gets data_io on (SDP's default).
 */
static int sq_socket(const struct fam *f)
{
	int fd;

	signal(SIGPIPE, SIG_IGN);	/* SCTP's EPIPE raises SIGPIPE */
	if (is_sdp(f)) {
		fd = socket(f->family, SOCK_SEQPACKET, 0);
		if (fd < 0)
			FATAL("socket(AF_SDP, SOCK_SEQPACKET, 0): %s", errname(errno));
	} else {
		fd = socket(AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP);
		if (fd < 0 && (errno == EPROTONOSUPPORT || errno == ESOCKTNOSUPPORT))
			skip_test("no SCTP in this kernel (socket: %s)", errname(errno));
		if (fd < 0)
			FATAL("socket(AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP): %s",
			      errname(errno));
		SETUP_OK("SCTP_EVENTS data_io", sq_subscribe(f, fd, 1, 0, 0));
	}
	set_timeouts(fd, WAIT_MS);
	return fd;
}

/* a one-to-many socket bound to SDP_ADDR:0; listening if backlog > 0 */
static int sq_bound(const struct fam *f, int backlog, uint16_t *port)
{
	struct sockaddr_in a = sin_local(0);
	int fd = sq_socket(f);

	SETUP_OK("bind", bind(fd, (struct sockaddr *)&a, sizeof(a)));
	if (backlog > 0)
		SETUP_OK("listen", listen(fd, backlog));
	if (port)
		*port = t_port_of(fd);
	return fd;
}

static int sq_server(const struct fam *f, uint16_t *port)
{
	return sq_bound(f, 128, port);
}

static int sq_client(const struct fam *f, uint16_t *port)
{
	return sq_bound(f, 0, port);
}

/* a control buffer with one SNDRCV cmsg of payload size sizeof(struct) + delta */
union cbuf {
	struct cmsghdr align;
	char buf[CMSG_SPACE(256)];
};

static size_t put_sinfo(const struct fam *f, union cbuf *cb, const struct sinfo *si,
			int delta)
{
	struct cmsghdr *c = &cb->align;
	size_t sz;

	memset(cb, 0, sizeof(*cb));
	if (is_sdp(f)) {
		struct sdp_sndrcvinfo s = {
			.sinfo_stream = si->stream, .sinfo_flags = si->flags,
			.sinfo_ppid = si->ppid, .sinfo_context = si->context,
			.sinfo_assoc_id = si->assoc_id,
		};

		sz = sizeof(s);
		memcpy(CMSG_DATA(c), &s, sz);
		c->cmsg_level = SOL_SDP;
		c->cmsg_type = SDP_SNDRCV;
	} else {
		struct sctp_sndrcvinfo s;

		memset(&s, 0, sizeof(s));
		s.sinfo_stream = si->stream;
		s.sinfo_flags = si->flags;
		s.sinfo_ppid = si->ppid;
		s.sinfo_context = si->context;
		s.sinfo_assoc_id = si->assoc_id;
		sz = sizeof(s);
		memcpy(CMSG_DATA(c), &s, sz);
		c->cmsg_level = IPPROTO_SCTP;
		c->cmsg_type = SCTP_SNDRCV;
	}
	c->cmsg_len = CMSG_LEN(sz + delta);
	return CMSG_SPACE(sz + delta);
}

/* sendmsg to @to (NULL: no address) with @si (NULL: no cmsg); cmsg payload off by @delta */
static ssize_t sq_send_x(const struct fam *f, int fd, const struct sockaddr_in *to,
			 const void *buf, size_t len, const struct sinfo *si,
			 int flags, int delta)
{
	struct iovec iov = { (void *)buf, len };
	struct msghdr m;
	union cbuf cb;

	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	if (to) {
		m.msg_name = (void *)to;
		m.msg_namelen = sizeof(*to);
	}
	if (si) {
		m.msg_control = cb.buf;
		m.msg_controllen = put_sinfo(f, &cb, si, delta);
	}
	return sendmsg(fd, &m, flags);
}

static ssize_t sq_send(const struct fam *f, int fd, const struct sockaddr_in *to,
		       const void *buf, size_t len, const struct sinfo *si, int flags)
{
	return sq_send_x(f, fd, to, buf, len, si, flags, 0);
}

/* send on association @id (no address) */
static ssize_t sq_send_id(const struct fam *f, int fd, int32_t id, const void *buf,
			  size_t len, uint32_t ppid, int flags)
{
	struct sinfo si = { .assoc_id = id, .ppid = ppid };

	return sq_send(f, fd, NULL, buf, len, &si, flags);
}

/* flags SDP_EOF / SDP_ABORT on association @id, no data */
static ssize_t sq_send_flags(const struct fam *f, int fd, int32_t id, int sflags)
{
	struct sinfo si = { .assoc_id = id, .flags = sflags };

	return sq_send(f, fd, NULL, "", 0, &si, 0);
}

static void parse_note(const struct fam *f, const void *buf, ssize_t r, struct note *n)
{
	const struct sdp_notification_header *h = buf;

	memset(n, 0, sizeof(*n));
	n->type = N_OTHER;
	if (r < (ssize_t)sizeof(*h)) {
		FAIL("notification of %zd bytes, shorter than its header", r);
		return;
	}
	if (h->sn_type == SDP_ASSOC_CHANGE) {
		n->type = N_ASSOC_CHANGE;
		if (is_sdp(f)) {
			struct sdp_assoc_change a;

			if (r < (ssize_t)sizeof(a)) {
				FAIL("sdp_assoc_change of %zd bytes (want >= %zu)", r, sizeof(a));
				return;
			}
			memcpy(&a, buf, sizeof(a));
			if (a.sac_length != (uint32_t)r)
				FAIL("sac_length %u, recvmsg returned %zd", a.sac_length, r);
			n->state = a.sac_state;
			n->error = a.sac_error;
			n->assoc_id = a.sac_assoc_id;
		} else {
			struct sctp_assoc_change a;

			if (r < (ssize_t)sizeof(a)) {
				FAIL("sctp_assoc_change of %zd bytes", r);
				return;
			}
			memcpy(&a, buf, sizeof(a));
			n->state = a.sac_state;
			n->error = a.sac_error;
			n->assoc_id = a.sac_assoc_id;
		}
	} else if (h->sn_type == SDP_SHUTDOWN_EVENT) {
		struct sdp_shutdown_event s;	/* same layout as SCTP's */

		n->type = N_SHUTDOWN;
		if (r < (ssize_t)sizeof(s)) {
			FAIL("shutdown event of %zd bytes (want >= %zu)", r, sizeof(s));
			return;
		}
		memcpy(&s, buf, sizeof(s));
		n->assoc_id = s.sse_assoc_id;
	} else {
		diag("notification sn_type 0x%x, %zd bytes", h->sn_type, r);
	}
}

/* one recvmsg into buf; parses the peer address, the SNDRCV cmsg, a notification */
static void sq_recv(const struct fam *f, int fd, void *buf, size_t len, int flags,
		    struct rmsg *m)
{
	struct sockaddr_storage ss;
	struct iovec iov = { buf, len };
	struct msghdr mh;
	union cbuf cb;
	struct cmsghdr *c;

	memset(m, 0, sizeof(*m));
	memset(&ss, 0, sizeof(ss));
	memset(&mh, 0, sizeof(mh));
	mh.msg_name = &ss;
	mh.msg_namelen = sizeof(ss);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cb.buf;
	mh.msg_controllen = sizeof(cb.buf);
	errno = 0;
	m->r = recvmsg(fd, &mh, flags);
	m->err = m->r < 0 ? errno : 0;
	if (m->r < 0)
		return;
	m->flags = mh.msg_flags;
	m->fromlen = mh.msg_namelen;
	memcpy(&m->from, &ss, sizeof(m->from));
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != sq_level(f))
			continue;
		if (is_sdp(f) && c->cmsg_type == SDP_SNDRCV) {
			struct sdp_sndrcvinfo s;

			if (c->cmsg_len != CMSG_LEN(sizeof(s))) {
				FAIL("SDP_SNDRCV cmsg_len %zu, want %zu",
				     (size_t)c->cmsg_len, (size_t)CMSG_LEN(sizeof(s)));
				continue;
			}
			memcpy(&s, CMSG_DATA(c), sizeof(s));
			m->has_sinfo = 1;
			m->si.stream = s.sinfo_stream;
			m->si.flags = s.sinfo_flags;
			m->si.ppid = s.sinfo_ppid;
			m->si.context = s.sinfo_context;
			m->si.assoc_id = s.sinfo_assoc_id;
		} else if (!is_sdp(f) && c->cmsg_type == SCTP_SNDRCV) {
			struct sctp_sndrcvinfo s;

			if (c->cmsg_len != CMSG_LEN(sizeof(s)))
				continue;
			memcpy(&s, CMSG_DATA(c), sizeof(s));
			m->has_sinfo = 1;
			m->si.stream = s.sinfo_stream;
			m->si.flags = s.sinfo_flags;
			m->si.ppid = s.sinfo_ppid;
			m->si.context = s.sinfo_context;
			m->si.assoc_id = s.sinfo_assoc_id;
		}
	}
	if (mh.msg_flags & MSG_NOTIFICATION) {
		m->is_note = 1;
		parse_note(f, buf, m->r, &m->n);
	}
}

static int sq_peeloff(const struct fam *f, int fd, int32_t id)
{
	struct sdp_peeloff_arg a = { .associd = id, .sd = -1 };	/* = SCTP's */
	socklen_t l = sizeof(a);

	if (getsockopt(fd, sq_level(f), is_sdp(f) ? SDP_PEELOFF : SCTP_SOCKOPT_PEELOFF,
		       &a, &l) < 0)
		return -1;
	if (a.sd >= 0)
		set_timeouts(a.sd, WAIT_MS);
	return a.sd;
}

/* SDP_STATUS / SCTP_STATUS: 0 and *state, or -1 and errno */
static int sq_status(const struct fam *f, int fd, int32_t id, int *state)
{
	if (is_sdp(f)) {
		struct sdp_status s;
		socklen_t l = sizeof(s);

		memset(&s, 0, sizeof(s));
		s.sstat_assoc_id = id;
		if (getsockopt(fd, SOL_SDP, SDP_STATUS, &s, &l) < 0)
			return -1;
		if (state)
			*state = s.sstat_state;
	} else {
		struct sctp_status s;
		socklen_t l = sizeof(s);

		memset(&s, 0, sizeof(s));
		s.sstat_assoc_id = id;
		if (getsockopt(fd, IPPROTO_SCTP, SCTP_STATUS, &s, &l) < 0)
			return -1;
		if (state)
			*state = s.sstat_state;
	}
	return 0;
}

/* status with an option length one byte short */
static int sq_status_short(const struct fam *f, int fd, int32_t id)
{
	char b[sizeof(struct sctp_status) + sizeof(struct sdp_status)];
	socklen_t l = (is_sdp(f) ? sizeof(struct sdp_status) : sizeof(struct sctp_status)) - 1;

	memset(b, 0, sizeof(b));
	memcpy(b, &id, sizeof(id));
	return getsockopt(fd, sq_level(f), is_sdp(f) ? SDP_STATUS : SCTP_STATUS, b, &l);
}

/*
 * The peer address of association @id. SDP: SDP_GET_PEER_ADDR (id in,
 * address out). SCTP's SCTP_GET_PEER_ADDR_INFO takes the address as input,
 * so the SCTP side reads the primary path's address from SCTP_STATUS.
 */
static int sq_peer_addr(const struct fam *f, int fd, int32_t id, struct sockaddr_in *out)
{
	if (is_sdp(f)) {
		struct sdp_paddr p;
		socklen_t l = sizeof(p);

		memset(&p, 0, sizeof(p));
		p.spinfo_assoc_id = id;
		if (getsockopt(fd, SOL_SDP, SDP_GET_PEER_ADDR, &p, &l) < 0)
			return -1;
		memcpy(out, &p.spinfo_address, sizeof(*out));
	} else {
		struct sctp_status s;
		socklen_t l = sizeof(s);

		memset(&s, 0, sizeof(s));
		s.sstat_assoc_id = id;
		if (getsockopt(fd, IPPROTO_SCTP, SCTP_STATUS, &s, &l) < 0)
			return -1;
		memcpy(out, &s.sstat_primary.spinfo_address, sizeof(*out));
	}
	return 0;
}

static int sq_set_autoclose(const struct fam *f, int fd, int secs)
{
	return setsockopt(fd, sq_level(f), is_sdp(f) ? SDP_AUTOCLOSE : SCTP_AUTOCLOSE,
			  &secs, sizeof(secs));
}

static int sq_get_autoclose(const struct fam *f, int fd)
{
	int v = -1;
	socklen_t l = sizeof(v);

	if (getsockopt(fd, sq_level(f), is_sdp(f) ? SDP_AUTOCLOSE : SCTP_AUTOCLOSE,
		       &v, &l) < 0)
		return -errno - 100000;
	return v;
}

/* ------------------------------------------------------------------ */
/* helpers for the bodies                                              */
/* ------------------------------------------------------------------ */

static const char *sinstr(const struct sockaddr_in *a)
{
	static __thread char buf[4][48];
	static __thread int i;
	char ip[INET_ADDRSTRLEN];

	i = (i + 1) % 4;
	inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
	snprintf(buf[i], sizeof(buf[i]), "%s:%u (family %d)", ip, ntohs(a->sin_port),
		 a->sin_family);
	return buf[i];
}

static int sin_eq(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
	return a->sin_family == AF_INET && b->sin_family == AF_INET &&
	       a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
}

static int rd(int fd, int ms)
{
	return poll_until(fd, POLLIN, ms) & POLLIN;
}

/* the next thing on fd must be data (not a notification) */
static int recv_data(const struct fam *f, int fd, void *buf, size_t len,
		     struct rmsg *m, const char *what)
{
	sq_recv(f, fd, buf, len, 0, m);
	if (m->r < 0) {
		FAIL("%s: recvmsg: %s", what, errname(m->err));
		return 0;
	}
	if (m->is_note) {
		FAIL("%s: got a notification (%s), want data", what, note_str(&m->n));
		return 0;
	}
	return 1;
}

/* the next thing on fd must be a notification; returns its type (N_NONE: none) */
static struct note recv_note(const struct fam *f, int fd, const char *what)
{
	char buf[512];
	struct rmsg m;
	struct note none = { N_NONE, -1, 0, 0 };

	sq_recv(f, fd, buf, sizeof(buf), 0, &m);
	if (m.r < 0) {
		diag("%s: recvmsg: %s (no notification)", what, errname(m.err));
		return none;
	}
	if (!m.is_note) {
		diag("%s: got %zd bytes of data, want a notification", what, m.r);
		return none;
	}
	if (!(m.flags & MSG_EOR))
		FAIL("%s: notification without MSG_EOR (msg_flags 0x%x)", what, m.flags);
	return m.n;
}

/*
 * Record the next notification ("label: ASSOC_CHANGE COMM_UP") and check
 * it is the one wanted; want_state < 0 for a SHUTDOWN_EVENT. Checks the
 * association id too when want_id != 0. Returns the notification.
 */
static struct note expect_note(const struct fam *f, int fd, const char *label,
			       int want_type, int want_state, int32_t want_id)
{
	struct note n = recv_note(f, fd, label);
	struct note w = { want_type, want_state, 0, 0 };
	char want[64];

	snprintf(want, sizeof(want), "%s", note_str(&w));
	obs("%s: %s", label, note_str(&n));
	if (n.type != want_type || (want_type == N_ASSOC_CHANGE && n.state != want_state))
		FAIL("%s: got %s, want %s", label, note_str(&n), want);
	else if (want_id && n.assoc_id != want_id)
		FAIL("%s: association id %d, want %d", label, n.assoc_id, want_id);
	diag("%s: %s id %d error %d", label, note_str(&n), n.assoc_id, n.error);
	return n;
}

/* Record "label: refused" if x failed with want (the family's errno), else what it did. */
static void expect_refused(const char *label, struct res x, int want)
{
	if (x.r == -1 && x.e == want) {
		obs("%s: refused", label);
		diag("%s: -1 %s", label, errname(x.e));
		return;
	}
	if (x.r < 0)
		obs("%s: -1 %s", label, errname(x.e));
	else
		obs("%s: %ld", label, x.r);
	FAIL("%s: got %ld %s, want -1 %s", label, x.r, x.r < 0 ? errname(x.e) : "",
	     errname(want));
}

/* status of @id must fail with EINVAL (the association is gone / not here) */
static void expect_gone(const struct fam *f, int fd, int32_t id, const char *label)
{
	EXPECT_ERR(label, sq_status(f, fd, id, NULL), EINVAL);
}

/* status of @id, until it fails (an association that is closing); ms */
static int wait_gone(const struct fam *f, int fd, int32_t id, int ms)
{
	double end = mono_ms() + ms;

	while (sq_status(f, fd, id, NULL) == 0) {
		if (mono_ms() > end)
			return 0;
		sleep_ms(10);
	}
	return errno == EINVAL;
}

/* status of every id 1 .. 64 fails (a socket whose only associations
 * ended; SDP numbers each socket's from 1), within ms
 */
static int none_left(const struct fam *f, int fd, int ms)
{
	double end = mono_ms() + ms;
	int32_t id;

	for (id = 1; id <= 64; id++) {
		while (sq_status(f, fd, id, NULL) == 0) {
			if (mono_ms() > end)
				return 0;
			sleep_ms(10);
		}
		if (errno != EINVAL)
			return 0;
	}
	return 1;
}

/* nothing must become readable on fd within QUIET_MS */
static void expect_quiet(int fd, const char *label)
{
	int rev = poll_now(fd, QUIET_MS);

	EXPECT_TRUE(label, !(rev & POLLIN));
}

/*
 * Set up an association: C sends "hello" to S; S reads it (data). Returns
 * S's id for it; *from = C's address as S saw it.
 */
static int32_t hello(const struct fam *f, int s, uint16_t sport, int c,
		     struct sockaddr_in *from)
{
	struct sockaddr_in sa = sin_peer(sport);
	char buf[64];
	struct rmsg m;

	SETUP_VAL("setup: hello sendto", sq_send(f, c, &sa, "hello", 5, NULL, 0), 5);
	if (!recv_data(f, s, buf, sizeof(buf), &m, "setup: hello recv"))
		FATAL("setup: no hello");
	if (m.r != 5 || !m.has_sinfo || m.si.assoc_id == 0)
		FATAL("setup: hello: %zd bytes, sinfo %d id %d", m.r, m.has_sinfo,
		      m.si.assoc_id);
	if (from)
		*from = m.from;
	return m.si.assoc_id;
}

/* S replies on id; C reads it; returns C's id for the association */
static int32_t hello_back(const struct fam *f, int s, int32_t sid, int c)
{
	char buf[64];
	struct rmsg m;

	SETUP_VAL("setup: reply", sq_send_id(f, s, sid, "back", 4, 0, 0), 4);
	if (!recv_data(f, c, buf, sizeof(buf), &m, "setup: reply recv"))
		FATAL("setup: no reply");
	if (m.r != 4 || !m.has_sinfo || m.si.assoc_id == 0)
		FATAL("setup: reply: %zd bytes, sinfo %d id %d", m.r, m.has_sinfo,
		      m.si.assoc_id);
	return m.si.assoc_id;
}

/* the errno a send without address or id gets: SDP EDESTADDRREQ, SCTP EPIPE */
static int no_dest_errno(const struct fam *f)
{
	return is_sdp(f) ? EDESTADDRREQ : EPIPE;
}

/* the errno a send on an unknown association id gets: SDP EINVAL, SCTP EPIPE */
static int bad_id_errno(const struct fam *f)
{
	return is_sdp(f) ? EINVAL : EPIPE;
}

static long read_long_file(const char *path)
{
	FILE *fp = fopen(path, "r");
	long v = -1;

	if (!fp)
		return -1;
	if (fscanf(fp, "%ld", &v) != 1)
		v = -1;
	fclose(fp);
	return v;
}

static int write_long_file(const char *path, long v)
{
	FILE *fp = fopen(path, "w");
	int r;

	if (!fp)
		return -1;
	r = fprintf(fp, "%ld\n", v) < 0;
	r |= fclose(fp) != 0;
	return r ? -1 : 0;
}

/*
 * SCTP accounts the send and receive buffers of a one-to-many socket for
 * all its associations together, unless net.sctp.{snd,rcv}buf_policy is 1
 * (read when the socket is made). SDP's flow control is per association;
 * the tests that need that set the policy for the sctp run around making
 * their sockets: sctp_policy(f, name, &old) ... sctp_policy_restore().
 */
static void sctp_policy(const struct fam *f, const char *name, long *old)
{
	char path[128];

	*old = -1;
	if (is_sdp(f))
		return;
	close(sq_socket(f));	/* no SCTP: skipped */
	snprintf(path, sizeof(path), "/proc/sys/net/sctp/%s", name);
	*old = read_long_file(path);
	if (*old < 0 || write_long_file(path, 1))
		skip_test("cannot set %s", path);
	diag("%s = 1 for this run (was %ld)", path, *old);
}

static void sctp_policy_restore(const struct fam *f, const char *name, long old)
{
	char path[128];

	if (is_sdp(f) || old < 0)
		return;
	snprintf(path, sizeof(path), "/proc/sys/net/sctp/%s", name);
	write_long_file(path, old);
}

/* ------------------------------------------------------------------ */
/* tests                                                               */
/* ------------------------------------------------------------------ */

/*
 * One message each way with address and cmsg: ids, ppid, stream, peer
 * addresses, MSG_EOR, poll; a second association by connect(); data_io off.
 */
TEST_DIFF(basic_send_recv)
{
	uint16_t sport, cport, dport;
	int s = sq_server(f, &sport), c = sq_client(f, &cport), d, rev;
	struct sockaddr_in sa = sin_peer(sport), ca = sin_local(cport);
	struct sockaddr_in da;
	struct sinfo si = { .stream = 3, .ppid = 0x11223344, .context = 77 };
	char buf[256];
	struct rmsg m;
	int32_t sid, cid;

	rev = poll_now(s, 0);
	EXPECT_TRUE("server: POLLOUT before any association", rev & POLLOUT);
	EXPECT_TRUE("server: no POLLIN before any message", !(rev & POLLIN));

	EXPECT_VAL("client sendmsg(addr, stream 3, ppid)",
		   sq_send(f, c, &sa, "hello", 5, &si, 0), 5);
	EXPECT_TRUE("server: POLLIN once a message is there", rd(s, WAIT_MS));
	if (recv_data(f, s, buf, sizeof(buf), &m, "server recvmsg")) {
		EXPECT_EQ("server recvmsg bytes", m.r, 5);
		EXPECT_TRUE("server recvmsg data", !memcmp(buf, "hello", 5));
		EXPECT_TRUE("server recvmsg MSG_EOR", m.flags & MSG_EOR);
		EXPECT_TRUE("server recvmsg no MSG_TRUNC", !(m.flags & MSG_TRUNC));
		EXPECT_EQ("server msg_namelen", m.fromlen, sizeof(struct sockaddr_in));
		EXPECT_TRUE("server msg_name is the client", sin_eq(&m.from, &ca));
		diag("server msg_name %s, client %s", sinstr(&m.from), sinstr(&ca));
		EXPECT_TRUE("server SNDRCV cmsg", m.has_sinfo);
		EXPECT_EQ("server sinfo_stream", m.si.stream, 3);
		EXPECT_EQ("server sinfo_ppid", m.si.ppid, 0x11223344);
		EXPECT_TRUE("server sinfo_assoc_id > 0", m.si.assoc_id > 0);
		/* SCTP: sinfo_context on receive is the receiver's SCTP_CONTEXT
		 * default, not the sender's; SDP passes it through */
		if (is_sdp(f))
			CHECK(m.si.context == 77, "sdp sinfo_context %u, want 77", m.si.context);
	}
	sid = m.si.assoc_id;
	rev = poll_now(s, 0);
	EXPECT_TRUE("server: no POLLIN once read", !(rev & POLLIN));

	si = (struct sinfo){ .stream = 7, .ppid = 0x55667788, .assoc_id = sid };
	EXPECT_VAL("server sendmsg(assoc id, no address)",
		   sq_send(f, s, NULL, "world!", 6, &si, 0), 6);
	if (recv_data(f, c, buf, sizeof(buf), &m, "client recvmsg")) {
		EXPECT_EQ("client recvmsg bytes", m.r, 6);
		EXPECT_TRUE("client recvmsg data", !memcmp(buf, "world!", 6));
		EXPECT_TRUE("client recvmsg MSG_EOR", m.flags & MSG_EOR);
		EXPECT_TRUE("client msg_name is the server", sin_eq(&m.from, &sa));
		diag("client msg_name %s, server %s", sinstr(&m.from), sinstr(&sa));
		EXPECT_TRUE("client SNDRCV cmsg", m.has_sinfo);
		EXPECT_EQ("client sinfo_stream", m.si.stream, 7);
		EXPECT_EQ("client sinfo_ppid", m.si.ppid, 0x55667788);
		EXPECT_TRUE("client sinfo_assoc_id > 0", m.si.assoc_id > 0);
	}
	cid = m.si.assoc_id;

	/* by address, without cmsg: the same association both ways */
	EXPECT_VAL("server sendto(client address, no cmsg)",
		   sq_send(f, s, &ca, "again", 5, NULL, 0), 5);
	if (recv_data(f, c, buf, sizeof(buf), &m, "client recvmsg 2")) {
		EXPECT_EQ("client recvmsg 2 bytes", m.r, 5);
		EXPECT_TRUE("client: same association id", m.si.assoc_id == cid);
		EXPECT_EQ("client recvmsg 2 stream", m.si.stream, 0);
		EXPECT_EQ("client recvmsg 2 ppid", m.si.ppid, 0);
	}
	EXPECT_VAL("client sendto(server address, no cmsg)",
		   sq_send(f, c, &sa, "more", 4, NULL, 0), 4);
	if (recv_data(f, s, buf, sizeof(buf), &m, "server recvmsg 2")) {
		EXPECT_EQ("server recvmsg 2 bytes", m.r, 4);
		EXPECT_TRUE("server: same association id", m.si.assoc_id == sid);
	}

	/* connect() sets up an association too */
	d = sq_client(f, &dport);
	da = sin_local(dport);
	EXPECT_OK("connect() from a third socket", connect(d, (struct sockaddr *)&sa, sizeof(sa)));
	EXPECT_VAL("sendto after connect()", sq_send(f, d, &sa, "from d", 6, NULL, 0), 6);
	if (recv_data(f, s, buf, sizeof(buf), &m, "server recvmsg from d")) {
		EXPECT_EQ("server recvmsg from d bytes", m.r, 6);
		EXPECT_TRUE("server: msg_name is the third socket", sin_eq(&m.from, &da));
		EXPECT_TRUE("server: a second association id", m.si.assoc_id > 0 &&
			    m.si.assoc_id != sid);
	}

	/* data_io off: no SNDRCV cmsg */
	SETUP_OK("events off", sq_subscribe(f, s, 0, 0, 0));
	EXPECT_VAL("client sendto with server's data_io off",
		   sq_send(f, c, &sa, "plain", 5, NULL, 0), 5);
	if (recv_data(f, s, buf, sizeof(buf), &m, "server recvmsg, data_io off")) {
		EXPECT_EQ("data_io off: bytes", m.r, 5);
		EXPECT_TRUE("data_io off: no SNDRCV cmsg", !m.has_sinfo);
		EXPECT_TRUE("data_io off: msg_name still filled", sin_eq(&m.from, &ca));
	}
	expect_quiet(s, "server: nothing else");
	close(d);
	close(c);
	close(s);
}

/* ---- many associations on one server socket ---- */

#define MANY_N	64
#define MANY_M	20
#define MANY_MAX 65536

struct many {
	const struct fam *f;
	int c[MANY_N];
	uint16_t cport[MANY_N];
	struct sockaddr_in sa;
	uint32_t size[MANY_N][MANY_M];
	uint64_t seed;
	/* sender results */
	int err, err_i, err_j;
	long sent;
};

static uint64_t many_seed(const struct many *mn, int i, int j)
{
	return mn->seed ^ ((uint64_t)i << 40) ^ ((uint64_t)j << 20);
}

static void *many_sender(void *arg)
{
	struct many *mn = arg;
	char *buf = malloc(MANY_MAX);
	int i, j;

	for (j = 0; j < MANY_M && !mn->err; j++) {
		for (i = 0; i < MANY_N; i++) {
			struct sinfo si = { .stream = 1, .ppid = (uint32_t)(i << 16 | j) };
			size_t len = mn->size[i][j];
			ssize_t r;

			pattern_fill(many_seed(mn, i, j), 0, buf, len);
			r = sq_send(mn->f, mn->c[i], &mn->sa, buf, len, &si, 0);
			if (r != (ssize_t)len) {
				mn->err = r < 0 ? errno : -1;
				mn->err_i = i;
				mn->err_j = j;
				break;
			}
			mn->sent++;
		}
	}
	free(buf);
	return NULL;
}

/*
 * 64 client sockets (one association each) send 20 numbered messages of
 * random sizes (1 B .. 64 KiB) to one server socket. The server checks
 * boundaries and contents, per-association order, that each peer keeps
 * one association id and the 64 ids are distinct, and the peer addresses.
 * Then the server answers every client by id.
 *
 * SCTP with one receive buffer for all associations (rcvbuf_policy 0)
 * deadlocks here: a message in partial delivery blocks the others, whose
 * data fills the shared window the rest of that message needs. The sctp
 * run uses rcvbuf_policy 1 (per association, as SDP).
 */
TEST_DIFF_T(many_assocs, 180)
{
	static struct many mn;
	uint16_t sport;
	long old_pol;
	int s, i, j;
	int next[MANY_N] = { 0 };
	int32_t id[MANY_N] = { 0 };
	long got = 0, bad_len = 0, bad_data = 0, bad_order = 0, bad_addr = 0;
	long bad_id = 0, bad_ppid = 0, no_sinfo = 0, partial = 0, bad_stream = 0;
	char *buf = malloc(MANY_MAX + 1), *msg = malloc(MANY_MAX + 1);
	struct sockaddr_in local = sin_local(0);
	pthread_t th;
	uint64_t st;

	sctp_policy(f, "rcvbuf_policy", &old_pol);
	s = sq_server(f, &sport);
	sctp_policy_restore(f, "rcvbuf_policy", old_pol);
	memset(&mn, 0, sizeof(mn));
	mn.f = f;
	mn.sa = sin_peer(sport);
	mn.seed = seed_new();
	st = mn.seed;
	diag("seed %llu", (unsigned long long)mn.seed);
	for (i = 0; i < MANY_N; i++) {
		mn.c[i] = sq_client(f, &mn.cport[i]);
		for (j = 0; j < MANY_M; j++) {
			uint64_t r = rng_next(&st);

			if (j == 0)
				mn.size[i][j] = 1;
			else if (j == 1)
				mn.size[i][j] = MANY_MAX;
			else
				mn.size[i][j] = 1 + (r >> 8) % (1u << (r % 17));
		}
	}
	if (pthread_create(&th, NULL, many_sender, &mn))
		FATAL("pthread_create");

	while (got < MANY_N * MANY_M) {
		struct rmsg m, first;
		size_t have = 0;
		int ok = 1;

		/* one message, in as many recvmsg calls as it takes (SCTP may
		 * deliver a message in parts even into a large buffer:
		 * partial delivery when its receive window runs out) */
		for (;;) {
			sq_recv(f, s, buf, MANY_MAX + 1, 0, &m);
			if (m.r < 0 || m.is_note) {
				ok = 0;
				break;
			}
			if (!have)
				first = m;
			else if (m.si.assoc_id != first.si.assoc_id ||
				 !sin_eq(&m.from, &first.from))
				bad_id++;	/* another association in between */
			if (have + m.r > MANY_MAX) {
				bad_len++;
				ok = 0;
				break;
			}
			memcpy(msg + have, buf, m.r);
			have += m.r;
			if (m.flags & MSG_EOR)
				break;
			partial++;
		}
		if (!ok) {
			if (m.r < 0)
				FAIL("recvmsg after %ld messages: %s", got, errname(m.err));
			else if (m.is_note)
				FAIL("unexpected notification %s", note_str(&m.n));
			break;
		}
		got++;
		if (!first.has_sinfo) {
			no_sinfo++;
			continue;
		}
		i = first.si.ppid >> 16;
		j = first.si.ppid & 0xffff;
		if (i >= MANY_N || j >= MANY_M) {
			if (bad_ppid++ < 5)
				diag("message %ld: ppid 0x%x", got, first.si.ppid);
			continue;
		}
		if (first.si.stream != 1)
			bad_stream++;
		if (j != next[i]) {
			if (bad_order++ < 5)
				diag("client %d: message %d, want %d", i, j, next[i]);
		}
		next[i] = j + 1;
		if (have != mn.size[i][j]) {
			if (bad_len++ < 5)
				diag("client %d message %d: %zu bytes, want %u", i, j,
				     have, mn.size[i][j]);
		} else if (pattern_check(many_seed(&mn, i, j), 0, msg, have) >= 0) {
			if (bad_data++ < 5)
				diag("client %d message %d: corrupt at %ld", i, j,
				     pattern_check(many_seed(&mn, i, j), 0, msg, have));
		}
		if (first.from.sin_port != htons(mn.cport[i]) ||
		    first.from.sin_addr.s_addr != local.sin_addr.s_addr ||
		    first.from.sin_family != AF_INET) {
			if (bad_addr++ < 5)
				diag("client %d: msg_name %s, want port %u", i,
				     sinstr(&first.from), mn.cport[i]);
		}
		if (first.si.assoc_id <= 0) {
			bad_id++;
		} else if (!id[i]) {
			id[i] = first.si.assoc_id;
		} else if (id[i] != first.si.assoc_id) {
			if (bad_id++ < 5)
				diag("client %d: association id %d, was %d", i,
				     first.si.assoc_id, id[i]);
		}
	}
	pthread_join(th, NULL);
	if (mn.err)
		FAIL("sender: client %d message %d: %s", mn.err_i, mn.err_j,
		     mn.err > 0 ? errname(mn.err) : "short send");
	diag("%ld messages sent, %ld received, %ld partial reads", mn.sent, got, partial);
	EXPECT_EQ("messages sent", mn.sent, MANY_N * MANY_M);
	EXPECT_EQ("messages received", got, MANY_N * MANY_M);
	EXPECT_EQ("without SNDRCV cmsg", no_sinfo, 0);
	EXPECT_EQ("bad ppid", bad_ppid, 0);
	EXPECT_EQ("bad stream", bad_stream, 0);
	EXPECT_EQ("wrong length (boundaries)", bad_len, 0);
	EXPECT_EQ("corrupt", bad_data, 0);
	EXPECT_EQ("out of order", bad_order, 0);
	EXPECT_EQ("wrong peer address", bad_addr, 0);
	EXPECT_EQ("association id changed or mixed", bad_id, 0);
	{
		int distinct = 0, k;

		for (i = 0; i < MANY_N; i++) {
			if (!id[i])
				continue;
			for (k = 0; k < i; k++)
				if (id[k] == id[i])
					break;
			distinct += k == i;
		}
		EXPECT_EQ("distinct association ids", distinct, MANY_N);
	}
	expect_quiet(s, "server: nothing else");

	/* the server answers every client by its id */
	{
		long sent = 0, right = 0, shown = 0;

		for (i = 0; i < MANY_N; i++) {
			char r[16];
			int n = snprintf(r, sizeof(r), "r%d", i);

			if (id[i] && sq_send_id(f, s, id[i], r, n, 0, 0) == n)
				sent++;
		}
		for (i = 0; i < MANY_N; i++) {
			struct rmsg m;
			char r[16];
			int n = snprintf(r, sizeof(r), "r%d", i);

			sq_recv(f, mn.c[i], buf, 64, 0, &m);
			if (m.r == n && !m.is_note && !memcmp(buf, r, n) &&
			    (m.flags & MSG_EOR))
				right++;
			else if (shown++ < 5)
				diag("client %d: reply %zd bytes (%s)", i, m.r,
				     m.r < 0 ? errname(m.err) : "");
		}
		EXPECT_EQ("replies sent by id", sent, MANY_N);
		EXPECT_EQ("replies received by the right client", right, MANY_N);
	}
	for (i = 0; i < MANY_N; i++)
		close(mn.c[i]);
	close(s);
	free(buf);
	free(msg);
}

/*
 * A buffer smaller than the message: the first part without MSG_EOR and
 * without MSG_TRUNC, the rest on the next calls, the last with MSG_EOR;
 * a message of another association that arrives meanwhile waits.
 */
TEST_DIFF(partial_delivery)
{
	uint16_t sport, p1, p2;
	int s = sq_server(f, &sport), c1 = sq_client(f, &p1), c2 = sq_client(f, &p2);
	struct sockaddr_in sa = sin_peer(sport), a1, a2;
	int32_t id1, id2;
	static char m1[10000], buf[10000], whole[10000];
	struct sinfo si = { .stream = 2 };
	struct rmsg m;
	int k, eor_early = 0, trunc = 0, other = 0, eor_last = 0;
	long bad;
	size_t have = 0;

	/* both associations up first */
	id1 = hello(f, s, sport, c1, &a1);
	id2 = hello(f, s, sport, c2, &a2);

	pattern_fill(1234, 0, m1, sizeof(m1));
	si.ppid = 1;
	EXPECT_VAL("c1 sends 10000 bytes", sq_send(f, c1, &sa, m1, sizeof(m1), &si, 0), 10000);
	si.ppid = 2;
	EXPECT_VAL("c1 sends 100 bytes", sq_send(f, c1, &sa, m1, 100, &si, 0), 100);
	EXPECT_TRUE("server POLLIN", rd(s, WAIT_MS));
	if (recv_data(f, s, buf, 1000, &m, "first part")) {
		EXPECT_EQ("first part: bytes", m.r, 1000);
		EXPECT_TRUE("first part: no MSG_EOR", !(m.flags & MSG_EOR));
		EXPECT_TRUE("first part: no MSG_TRUNC", !(m.flags & MSG_TRUNC));
		EXPECT_TRUE("first part: from c1", sin_eq(&m.from, &a1));
		EXPECT_TRUE("first part: c1's association", m.si.assoc_id == id1);
		EXPECT_EQ("first part: ppid", m.si.ppid, 1);
		memcpy(whole, buf, 1000);
		have = 1000;
	}
	/* c2's message arrives while the first is half read */
	si.ppid = 3;
	EXPECT_VAL("c2 sends 50 bytes", sq_send(f, c2, &sa, m1, 50, &si, 0), 50);
	sleep_ms(scaled_ms(300));
	{
		for (k = 1; k < 10; k++) {
			sq_recv(f, s, buf, 1000, 0, &m);
			if (m.r <= 0 || m.is_note) {
				FAIL("part %d: %zd %s", k, m.r, m.r < 0 ? errname(m.err) : "");
				break;
			}
			if (m.si.assoc_id != id1 || !sin_eq(&m.from, &a1) || m.si.ppid != 1)
				other++;
			if (m.flags & MSG_TRUNC)
				trunc++;
			if ((m.flags & MSG_EOR) && k < 9)
				eor_early++;
			if (k == 9 && (m.flags & MSG_EOR))
				eor_last = 1;
			if (have + m.r <= sizeof(whole))
				memcpy(whole + have, buf, m.r);
			have += m.r;
		}
		EXPECT_EQ("parts total", have, 10000);
		EXPECT_EQ("parts from another association", other, 0);
		EXPECT_EQ("parts with MSG_TRUNC", trunc, 0);
		EXPECT_EQ("parts with an early MSG_EOR", eor_early, 0);
		EXPECT_TRUE("last part has MSG_EOR", eor_last);
		bad = have == 10000 ? pattern_check(1234, 0, whole, have) : 0;
		EXPECT_TRUE("message intact", bad < 0);
	}
	/* then c1's 100 bytes (buffer exactly its size) and c2's 50, in either order */
	{
		int seen2 = 0, seen3 = 0;

		for (k = 0; k < 2; k++) {
			if (!recv_data(f, s, buf, 100, &m, "next message"))
				break;
			if (m.si.ppid == 2) {
				seen2 = m.r == 100 && (m.flags & MSG_EOR) &&
					m.si.assoc_id == id1 &&
					pattern_check(1234, 0, buf, 100) < 0;
			} else if (m.si.ppid == 3) {
				seen3 = m.r == 50 && (m.flags & MSG_EOR) &&
					m.si.assoc_id == id2 && sin_eq(&m.from, &a2);
			}
			diag("message ppid %u: %zd bytes flags 0x%x id %d", m.si.ppid,
			     m.r, m.flags, m.si.assoc_id);
		}
		EXPECT_TRUE("c1's 100 bytes into a 100-byte buffer, MSG_EOR", seen2);
		EXPECT_TRUE("c2's 50 bytes, MSG_EOR", seen3);
	}
	expect_quiet(s, "server: nothing else");
	close(c1);
	close(c2);
	close(s);
}

struct bigsend {
	const struct fam *f;
	int fd;
	struct sockaddr_in to;
	const char *buf;
	size_t len;
	ssize_t r;
	int err;
};

static void *bigsend_thread(void *arg)
{
	struct bigsend *b = arg;

	b->r = sq_send(b->f, b->fd, &b->to, b->buf, b->len, NULL, 0);
	b->err = b->r < 0 ? errno : 0;
	return NULL;
}

/* receive one message of up to @max bytes into buf, in as many calls as it takes */
static ssize_t recv_whole(const struct fam *f, int fd, char *buf, size_t max, int *calls)
{
	size_t have = 0;
	struct rmsg m;

	*calls = 0;
	for (;;) {
		sq_recv(f, fd, buf + have, max + 1 - have, 0, &m);
		if (m.r < 0 || m.is_note) {
			diag("recv_whole: %zd %s%s after %zu bytes", m.r,
			     m.r < 0 ? errname(m.err) : "", m.is_note ? "notification" : "",
			     have);
			return -1;
		}
		(*calls)++;
		have += m.r;
		if (m.flags & MSG_EOR)
			return have;
		if (have > max || m.r == 0)
			return have;
	}
}

/* the largest message: SDP net.sdp.max_msg; SCTP the sender's SO_SNDBUF */
static long max_msg(const struct fam *f, int fd)
{
	if (is_sdp(f)) {
		long v = read_long_file("/proc/sys/net/sdp/max_msg");

		if (v <= 0)
			FATAL("/proc/sys/net/sdp/max_msg: cannot read it (%s)",
			      errname(errno));
		return v;
	}
	/* SCTP: sctp_sendmsg_parse() refuses msg_len > sk_sndbuf */
	return get_int_opt(fd, SOL_SOCKET, SO_SNDBUF);
}

/* one message of exactly @len from c to s (a sender thread) must arrive whole */
static void send_exact(const struct fam *f, int s, int c, uint16_t sport, size_t len,
		       const char *label)
{
	char *b = malloc(len), *r = malloc(len + 1);
	struct bigsend bs = { f, c, sin_peer(sport), b, len, 0, 0 };
	char lab[128];
	pthread_t th;
	ssize_t got;
	int calls;

	pattern_fill(99, 0, b, len);
	if (pthread_create(&th, NULL, bigsend_thread, &bs))
		FATAL("pthread_create");
	got = recv_whole(f, s, r, len, &calls);
	pthread_join(th, NULL);
	snprintf(lab, sizeof(lab), "%s: sendto", label);
	obs("%s: %s", lab, bs.r == (ssize_t)len ? "all of it" : errname(bs.err));
	if (bs.r != (ssize_t)len)
		FAIL("%s: %zd %s, want %zu", lab, bs.r, errname(bs.err), len);
	snprintf(lab, sizeof(lab), "%s: received one message of that size", label);
	EXPECT_TRUE(lab, got == (ssize_t)len && pattern_check(99, 0, r, len) < 0);
	diag("%s: %zu bytes, received %zd in %d recvmsg calls", label, len, got, calls);
	free(b);
	free(r);
}

/* read one message of @len bytes that is on its way to s */
static void send_exact_drain(const struct fam *f, int s, size_t len)
{
	char *r = malloc(len + 1);
	int calls;

	recv_whole(f, s, r, len, &calls);
	free(r);
}

/*
 * A message over the bound is refused with EMSGSIZE (nothing sent); one of
 * exactly the bound goes through whole. The bound: SDP net.sdp.max_msg,
 * SCTP the socket's SO_SNDBUF (what its sendmsg checks). SDP: a lower
 * max_msg takes effect.
 */
TEST_DIFF_T(emsgsize, 120)
{
	uint16_t sport, cport;
	int s = sq_server(f, &sport), c = sq_client(f, &cport);
	struct sockaddr_in sa = sin_peer(sport);
	long max = max_msg(f, c);
	char *big;

	diag("bound %ld bytes", max);
	REQUIRE(max > 0 && max <= (64 << 20), "bound %ld", max);
	big = calloc(1, max + 1);
	hello(f, s, sport, c, NULL);
	EXPECT_ERR("sendto(bound + 1)", sq_send(f, c, &sa, big, max + 1, NULL, 0), EMSGSIZE);
	EXPECT_ERR("sendto(2 * bound)", sq_send(f, c, &sa, big, 2 * max, NULL, MSG_DONTWAIT),
		   EMSGSIZE);
	expect_quiet(s, "server: nothing arrived");
	send_exact(f, s, c, sport, max, "message of exactly the bound");
	/* to an address without association yet: refused before setting one up */
	{
		uint16_t dport;
		int d = sq_client(f, &dport);

		EXPECT_ERR("new association, sendto(bound + 1)",
			   sq_send(f, d, &sa, big, max + 1, NULL, 0), EMSGSIZE);
		close(d);
	}
	expect_quiet(s, "server: still nothing");
	free(big);

	if (is_sdp(f)) {
		/* net.sdp.max_msg is the bound: lower it, for a new socket */
		const char *p = "/proc/sys/net/sdp/max_msg";
		long low = 65536;
		uint16_t dport;
		int d;

		if (write_long_file(p, low)) {
			FAIL("write %s: %s", p, errname(errno));
		} else {
			char *b = calloc(1, low + 1);

			d = sq_client(f, &dport);
			hello(f, s, sport, d, NULL);
			CHECK(sq_send(f, d, &sa, b, low + 1, NULL, 0) < 0 && errno == EMSGSIZE,
			      "max_msg %ld: sendto(%ld) did not fail with EMSGSIZE", low, low + 1);
			{
				/* a socket made before the change: either is fine */
				struct res x = CALL(sq_send(f, c, &sa, b, low + 1, NULL,
							    MSG_DONTWAIT));

				diag("max_msg %ld: older socket: sendto(%ld): %ld %s", low,
				     low + 1, x.r, x.r < 0 ? errname(x.e) : "");
				if (x.r > 0)	/* it went: read it */
					send_exact_drain(f, s, x.r);
			}
			write_long_file(p, max);
			close(d);
			free(b);
		}
		CHECK(read_long_file(p) == max, "max_msg not restored to %ld", max);
	}
	close(c);
	close(s);
}

/*
 * send()/write() with neither an address nor an association id is refused.
 * SDP: EDESTADDRREQ. SCTP: EPIPE (sctp_sendmsg: no address, and
 * sctp_id2assoc(0) finds nothing).
 */
TEST_DIFF(edestaddrreq)
{
	uint16_t sport, cport, dport;
	int s = sq_server(f, &sport), c = sq_client(f, &cport), d;
	struct sockaddr_in sa = sin_peer(sport);
	int e = no_dest_errno(f);
	struct sinfo si = { .ppid = 5 };
	char buf[64];
	struct rmsg m;

	expect_refused("send() before any association", CALL(send(c, "x", 1, 0)), e);
	expect_refused("write() before any association", CALL(write(c, "x", 1)), e);
	expect_refused("sendmsg(cmsg with id 0, no address)",
		       CALL(sq_send(f, c, NULL, "x", 1, &si, 0)), e);
	EXPECT_VAL("sendto(server)", sq_send(f, c, &sa, "ok", 2, NULL, 0), 2);
	if (recv_data(f, s, buf, sizeof(buf), &m, "server recv"))
		EXPECT_TRUE("server got the one addressed message", m.r == 2 &&
			    !memcmp(buf, "ok", 2));
	expect_refused("send() with an association", CALL(send(c, "x", 1, 0)), e);
	expect_refused("write() with an association", CALL(write(c, "x", 1)), e);
	expect_refused("send(MSG_DONTWAIT) with an association",
		       CALL(send(c, "x", 1, MSG_DONTWAIT)), e);
	d = sq_client(f, &dport);
	EXPECT_OK("connect()", connect(d, (struct sockaddr *)&sa, sizeof(sa)));
	expect_refused("send() after connect()", CALL(send(d, "x", 1, 0)), e);
	expect_quiet(s, "server: nothing else arrived");
	close(d);
	close(c);
	close(s);
}

/* An SNDRCV cmsg of the wrong size: EINVAL, nothing sent, no association set up. */
TEST_DIFF(bad_cmsg_size)
{
	uint16_t sport, cport;
	int s = sq_server(f, &sport), c = sq_client(f, &cport);
	struct sockaddr_in sa = sin_peer(sport);
	struct sinfo si = { .ppid = 9 };
	char buf[64];
	struct rmsg m;
	int32_t sid, cid;

	SETUP_OK("server events", sq_subscribe(f, s, 1, 1, 0));
	EXPECT_ERR("new association, cmsg 4 bytes short",
		   sq_send_x(f, c, &sa, "bad", 3, &si, 0, -4), EINVAL);
	EXPECT_ERR("new association, cmsg 4 bytes long",
		   sq_send_x(f, c, &sa, "bad", 3, &si, 0, 4), EINVAL);
	{
		int n = is_sdp(f) ? (int)sizeof(struct sdp_sndrcvinfo)
				  : (int)sizeof(struct sctp_sndrcvinfo);

		EXPECT_ERR("new association, cmsg without payload",
			   sq_send_x(f, c, &sa, "bad", 3, &si, 0, -n), EINVAL);
	}
	/* no association came up on the server (association events are on) */
	expect_quiet(s, "server: no association, no data");
	EXPECT_VAL("correct cmsg", sq_send(f, c, &sa, "good", 4, &si, 0), 4);
	expect_note(f, s, "server", N_ASSOC_CHANGE, SDP_COMM_UP, 0);
	if (recv_data(f, s, buf, sizeof(buf), &m, "server recv")) {
		EXPECT_TRUE("server: the good message", m.r == 4 && !memcmp(buf, "good", 4));
		EXPECT_EQ("server: its ppid", m.si.ppid, 9);
	}
	sid = m.si.assoc_id;
	cid = hello_back(f, s, sid, c);
	/* on an existing association */
	si.assoc_id = cid;
	EXPECT_ERR("by id, cmsg 4 bytes short",
		   sq_send_x(f, c, NULL, "bad", 3, &si, 0, -4), EINVAL);
	EXPECT_ERR("by id, cmsg 8 bytes long",
		   sq_send_x(f, c, NULL, "bad", 3, &si, 0, 8), EINVAL);
	EXPECT_VAL("by id, correct cmsg", sq_send(f, c, NULL, "fine", 4, &si, 0), 4);
	if (recv_data(f, s, buf, sizeof(buf), &m, "server recv 2"))
		EXPECT_TRUE("server: only the correct one", m.r == 4 && !memcmp(buf, "fine", 4));
	expect_quiet(s, "server: nothing else");
	close(c);
	close(s);
}

/*
 * Association ids that do not exist on this socket: SDP_STATUS,
 * SDP_GET_PEER_ADDR and SDP_PEELOFF fail with EINVAL (both stacks);
 * sendmsg on such an id: SDP EINVAL, SCTP EPIPE.
 */
TEST_DIFF(unknown_assoc_id)
{
	uint16_t sport, s2port, cport;
	int s = sq_server(f, &sport), s2 = sq_server(f, &s2port);
	int c = sq_client(f, &cport);
	int32_t sid, cid, cid2, foreign, bogus;
	struct sockaddr_in pa;
	int st;

	sid = hello(f, s, sport, c, NULL);
	cid = hello_back(f, s, sid, c);
	/* a second association of the client (to s2): the client then knows
	 * two ids, and at least one of them is not the server's only one
	 */
	cid2 = hello_back(f, s2, hello(f, s2, s2port, c, NULL), c);
	foreign = cid != sid ? cid : cid2;
	/* an id certainly unknown to the server: above every id we know of */
	bogus = sid;
	if (cid > bogus)
		bogus = cid;
	if (cid2 > bogus)
		bogus = cid2;
	bogus += 1000;
	diag("ids: server %d, client %d and %d; foreign %d, bogus %d", sid, cid,
	     cid2, foreign, bogus);
	REQUIRE(cid != cid2, "the client's two associations share id %d", cid);
	EXPECT_OK("status(live id)", sq_status(f, s, sid, &st));
	EXPECT_ERR("status(unknown id)", sq_status(f, s, bogus, NULL), EINVAL);
	EXPECT_ERR("status(id 0)", sq_status(f, s, 0, NULL), EINVAL);
	EXPECT_ERR("status(id -1)", sq_status(f, s, -1, NULL), EINVAL);
	EXPECT_ERR("peer addr(unknown id)", sq_peer_addr(f, s, bogus, &pa), EINVAL);
	EXPECT_ERR("peeloff(unknown id)", sq_peeloff(f, s, bogus), EINVAL);
	EXPECT_ERR("peeloff(id 0)", sq_peeloff(f, s, 0), EINVAL);
	expect_refused("sendmsg(unknown id, no address)",
		       CALL(sq_send_id(f, s, bogus, "x", 1, 0, 0)), bad_id_errno(f));
	/* an id of another socket's association (SDP's ids are per socket,
	 * SCTP's global: "foreign" is one the server does not have either way)
	 */
	EXPECT_ERR("status(the client socket's id on the server)",
		   sq_status(f, s, foreign, NULL), EINVAL);
	expect_refused("sendmsg(the client socket's id on the server)",
		       CALL(sq_send_id(f, s, foreign, "x", 1, 0, 0)), bad_id_errno(f));
	EXPECT_OK("status(live id) still", sq_status(f, s, sid, &st));
	expect_quiet(c, "client: nothing arrived");
	close(c);
	close(s2);
	close(s);
}

/*
 * With association and shutdown events on: COMM_UP on both sides (with the
 * id the data then carries); the client's SDP_EOF: SHUTDOWN_EVENT then
 * SHUTDOWN_COMP at the server, SHUTDOWN_COMP at the client, both forget
 * the association; a new one, the server's SDP_ABORT: COMM_LOST both sides.
 */
TEST_DIFF(notifications_up_shutdown_abort)
{
	uint16_t sport, cport;
	int s = sq_server(f, &sport), c = sq_client(f, &cport);
	struct sockaddr_in sa = sin_peer(sport);
	struct note ns, nc;
	char buf[64];
	struct rmsg m;
	int32_t sid, cid;

	SETUP_OK("server events", sq_subscribe(f, s, 1, 1, 1));
	SETUP_OK("client events", sq_subscribe(f, c, 1, 1, 1));
	EXPECT_VAL("client sendto", sq_send(f, c, &sa, "up", 2, NULL, 0), 2);
	EXPECT_TRUE("client: POLLIN for a notification", rd(c, WAIT_MS));
	nc = expect_note(f, c, "client", N_ASSOC_CHANGE, SDP_COMM_UP, 0);
	ns = expect_note(f, s, "server", N_ASSOC_CHANGE, SDP_COMM_UP, 0);
	EXPECT_TRUE("COMM_UP ids > 0", nc.assoc_id > 0 && ns.assoc_id > 0);
	if (recv_data(f, s, buf, sizeof(buf), &m, "server data")) {
		EXPECT_EQ("server data bytes", m.r, 2);
		EXPECT_TRUE("data carries the COMM_UP id", m.si.assoc_id == ns.assoc_id);
	}
	sid = ns.assoc_id;
	cid = nc.assoc_id;
	EXPECT_OK("server status(id)", sq_status(f, s, sid, NULL));
	EXPECT_OK("client status(id)", sq_status(f, c, cid, NULL));

	/* graceful close from the client */
	EXPECT_VAL("client SDP_EOF, no data", sq_send_flags(f, c, cid, SDP_EOF), 0);
	expect_note(f, s, "server", N_SHUTDOWN, -1, sid);
	expect_note(f, s, "server", N_ASSOC_CHANGE, SDP_SHUTDOWN_COMP, sid);
	expect_note(f, c, "client", N_ASSOC_CHANGE, SDP_SHUTDOWN_COMP, cid);
	EXPECT_TRUE("server forgets it", wait_gone(f, s, sid, WAIT_MS));
	EXPECT_TRUE("client forgets it", wait_gone(f, c, cid, WAIT_MS));
	expect_gone(f, s, sid, "server status(old id)");
	expect_gone(f, c, cid, "client status(old id)");
	expect_refused("client send on the closed id",
		       CALL(sq_send_id(f, c, cid, "x", 1, 0, 0)), bad_id_errno(f));

	/* a new association, reset by the server */
	EXPECT_VAL("client sendto again", sq_send(f, c, &sa, "up2", 3, NULL, 0), 3);
	nc = expect_note(f, c, "client", N_ASSOC_CHANGE, SDP_COMM_UP, 0);
	ns = expect_note(f, s, "server", N_ASSOC_CHANGE, SDP_COMM_UP, 0);
	if (recv_data(f, s, buf, sizeof(buf), &m, "server data 2"))
		EXPECT_TRUE("data 2 carries the new COMM_UP id", m.r == 3 &&
			    m.si.assoc_id == ns.assoc_id);
	diag("old ids s %d c %d, new ids s %d c %d", sid, cid, ns.assoc_id, nc.assoc_id);
	sid = ns.assoc_id;
	cid = nc.assoc_id;
	EXPECT_VAL("server SDP_ABORT", sq_send_flags(f, s, sid, SDP_ABORT), 0);
	nc = expect_note(f, c, "client", N_ASSOC_CHANGE, SDP_COMM_LOST, cid);
	ns = expect_note(f, s, "server", N_ASSOC_CHANGE, SDP_COMM_LOST, sid);
	/* SCTP's sac_error here is an SCTP cause code, SDP's an errno */
	if (is_sdp(f))
		CHECK(nc.error != 0, "sdp: the client's COMM_LOST has sac_error 0");
	EXPECT_TRUE("server forgets it", wait_gone(f, s, sid, WAIT_MS));
	EXPECT_TRUE("client forgets it", wait_gone(f, c, cid, WAIT_MS));
	expect_quiet(s, "server: nothing else");
	expect_quiet(c, "client: nothing else");
	close(c);
	close(s);
}

/*
 * The peer sends three messages and closes (SDP_EOF); this side reads
 * nothing until the close completed: then the three messages, then
 * SHUTDOWN_EVENT and SHUTDOWN_COMP, in that order; then the association
 * is gone. (SCTP forgets the association at SHUTDOWN_COMP even with its
 * data unread; SDP may keep it until the data was read, so the status in
 * between is not compared.)
 */
TEST_DIFF(peer_close_unread_data)
{
	uint16_t sport, cport;
	int s = sq_server(f, &sport), c = sq_client(f, &cport), k, st;
	char buf[64];
	struct rmsg m;
	int32_t sid, cid;

	SETUP_OK("server events", sq_subscribe(f, s, 1, 1, 1));
	SETUP_OK("client events", sq_subscribe(f, c, 1, 1, 1));
	{
		struct sockaddr_in sa = sin_peer(sport);

		SETUP_VAL("send", sq_send(f, c, &sa, "m0", 2, NULL, 0), 2);
	}
	cid = expect_note(f, c, "client", N_ASSOC_CHANGE, SDP_COMM_UP, 0).assoc_id;
	sid = expect_note(f, s, "server", N_ASSOC_CHANGE, SDP_COMM_UP, 0).assoc_id;
	if (!recv_data(f, s, buf, sizeof(buf), &m, "server m0"))
		FATAL("no m0");
	for (k = 1; k <= 3; k++) {
		char t[8];
		int n = snprintf(t, sizeof(t), "m%d", k);

		EXPECT_VAL("client sends by id", sq_send_id(f, c, cid, t, n, k, 0), n);
	}
	EXPECT_VAL("client SDP_EOF", sq_send_flags(f, c, cid, SDP_EOF), 0);
	expect_note(f, c, "client", N_ASSOC_CHANGE, SDP_SHUTDOWN_COMP, cid);
	{
		struct res x = CALL(sq_status(f, s, sid, &st));

		diag("server status after the close completed, data unread: %ld %s",
		     x.r, x.r < 0 ? errname(x.e) : "");
	}
	for (k = 1; k <= 3; k++) {
		char t[8];
		int n = snprintf(t, sizeof(t), "m%d", k);

		if (recv_data(f, s, buf, sizeof(buf), &m, "server: unread message")) {
			EXPECT_TRUE("server: message read after the close", m.r == n &&
				    !memcmp(buf, t, n) && (m.flags & MSG_EOR));
			EXPECT_TRUE("server: with its association id and ppid",
				    m.has_sinfo && m.si.assoc_id == sid &&
				    m.si.ppid == (uint32_t)k);
		} else {
			obs("server: message read after the close: missing");
		}
	}
	expect_note(f, s, "server", N_SHUTDOWN, -1, sid);
	expect_note(f, s, "server", N_ASSOC_CHANGE, SDP_SHUTDOWN_COMP, sid);
	EXPECT_TRUE("server forgets it", wait_gone(f, s, sid, WAIT_MS));
	expect_gone(f, c, cid, "client status(old id)");
	expect_quiet(s, "server: nothing else");
	close(c);
	close(s);
}

/*
 * One client socket, associations with three servers: sendto picks the
 * association by address, each server gets only its messages, the replies
 * come back with three distinct ids and the right msg_name, and sending by
 * id reaches the right server.
 */
TEST_DIFF(client_many_servers)
{
	enum { NS = 3 };
	uint16_t sp[NS], cport;
	int sv[NS], c = sq_client(f, &cport), i, k, right = 0, distinct = 1;
	int32_t sid[NS], cid[NS];
	char buf[64];
	struct rmsg m;

	for (i = 0; i < NS; i++)
		sv[i] = sq_server(f, &sp[i]);
	for (k = 0; k < 2; k++) {
		for (i = 0; i < NS; i++) {
			struct sockaddr_in sa = sin_peer(sp[i]);
			char t[8];
			int n = snprintf(t, sizeof(t), "s%d.%d", i, k);

			EXPECT_VAL("client sendto(server i)", sq_send(f, c, &sa, t, n, NULL, 0), n);
		}
	}
	for (i = 0; i < NS; i++) {
		for (k = 0; k < 2; k++) {
			char t[8];
			int n = snprintf(t, sizeof(t), "s%d.%d", i, k);

			if (recv_data(f, sv[i], buf, sizeof(buf), &m, "server recv") &&
			    m.r == n && !memcmp(buf, t, n))
				right++;
			else
				diag("server %d message %d: %zd bytes", i, k, m.r);
			sid[i] = m.si.assoc_id;
		}
		expect_quiet(sv[i], "server: only its own messages");
	}
	EXPECT_EQ("servers got their messages", right, 2 * NS);
	for (i = 0; i < NS; i++) {
		struct sockaddr_in sa = sin_peer(sp[i]);
		char t[8];
		int n = snprintf(t, sizeof(t), "r%d", i);

		SETUP_VAL("reply", sq_send_id(f, sv[i], sid[i], t, n, 0, 0), n);
		if (recv_data(f, c, buf, sizeof(buf), &m, "client recv")) {
			EXPECT_TRUE("client: reply from server i, its msg_name",
				    m.r == n && !memcmp(buf, t, n) && sin_eq(&m.from, &sa));
		}
		cid[i] = m.si.assoc_id;
		for (k = 0; k < i; k++)
			distinct &= cid[k] != cid[i];
	}
	EXPECT_TRUE("client: three distinct association ids", distinct);
	for (i = NS - 1; i >= 0; i--) {
		char t[8];
		int n = snprintf(t, sizeof(t), "b%d", i);

		EXPECT_VAL("client send by id", sq_send_id(f, c, cid[i], t, n, 0, 0), n);
		if (recv_data(f, sv[i], buf, sizeof(buf), &m, "server recv by id"))
			EXPECT_TRUE("by id: reached server i", m.r == n && !memcmp(buf, t, n));
	}
	for (i = 0; i < NS; i++) {
		expect_quiet(sv[i], "server: nothing else");
		close(sv[i]);
	}
	close(c);
}

/*
 * An active open to a port nobody listens on fails: SCTP's sendto
 * returns the length (the message is queued) and a CANT_STR_ASSOC
 * notification follows (the peer answers the INIT with an ABORT). SDP may
 * do the same, or refuse the send (ECONNREFUSED); the transcript records
 * "failure reported". Either way the association is gone, nothing arrives
 * anywhere, and the socket still works for other destinations.
 */
TEST_DIFF(cant_start)
{
	uint16_t sport, cport, dead;
	int s = sq_server(f, &sport), c = sq_client(f, &cport), h;
	struct sockaddr_in da, sa = sin_peer(sport);
	struct note n = { N_NONE, -1, 0, 0 };
	ssize_t r;
	int e, reported = 0;
	char buf[64];
	struct rmsg m;

	/* a port of this family that was free a moment ago */
	h = sq_client(f, &dead);
	close(h);
	da = sin_peer(dead);
	SETUP_OK("client events", sq_subscribe(f, c, 1, 1, 1));
	r = sq_send(f, c, &da, "lost", 4, NULL, 0);
	e = errno;
	if (r == 4) {
		n = recv_note(f, c, "client");
		reported = n.type == N_ASSOC_CHANGE && n.state == SDP_CANT_STR_ASSOC;
		diag("sendto: 4; then %s id %d sac_error %d", note_str(&n), n.assoc_id,
		     n.error);
		if (is_sdp(f))
			CHECK(n.error != 0, "sdp: CANT_STR_ASSOC with sac_error 0");
		if (!reported)
			FAIL("sendto returned 4, then %s, want ASSOC_CHANGE CANT_STR_ASSOC",
			     note_str(&n));
	} else if (is_sdp(f) && r < 0) {
		/* a refused send may come with a CANT_STR_ASSOC notification */
		if (rd(c, scaled_ms(1000))) {
			n = recv_note(f, c, "client");
			diag("sendto: -1 %s; then %s id %d sac_error %d", errname(e),
			     note_str(&n), n.assoc_id, n.error);
			if (n.type != N_ASSOC_CHANGE || n.state != SDP_CANT_STR_ASSOC)
				FAIL("after the refused send: %s", note_str(&n));
		} else {
			diag("sendto: -1 %s, no notification", errname(e));
		}
		reported = e == ECONNREFUSED || e == ETIMEDOUT || e == EHOSTUNREACH;
		if (!reported)
			FAIL("sendto to a dead port: -1 %s, want 4 and CANT_STR_ASSOC "
			     "(as SCTP), or ECONNREFUSED", errname(e));
	} else {
		FAIL("sendto to a dead port: %zd %s", r, r < 0 ? errname(e) : "");
	}
	EXPECT_TRUE("failure reported", reported);
	/* its id (from the notification) no longer names anything; a refused
	 * send without one (sdp): no id of the socket's first ones does
	 */
	if (n.assoc_id > 0)
		EXPECT_TRUE("the failed association is gone",
			    wait_gone(f, c, n.assoc_id, WAIT_MS));
	else
		EXPECT_TRUE("the failed association is gone",
			    none_left(f, c, WAIT_MS));
	EXPECT_ERR("status(the failed id)",
		   sq_status(f, c, n.assoc_id > 0 ? n.assoc_id : 1, NULL), EINVAL);
	expect_quiet(c, "client: nothing else");
	/* the socket still works */
	EXPECT_VAL("sendto(server)", sq_send(f, c, &sa, "works", 5, NULL, 0), 5);
	expect_note(f, c, "client", N_ASSOC_CHANGE, SDP_COMM_UP, 0);
	if (recv_data(f, s, buf, sizeof(buf), &m, "server recv"))
		EXPECT_TRUE("server got only the second message", m.r == 5 &&
			    !memcmp(buf, "works", 5));
	expect_quiet(s, "server: nothing else");
	close(c);
	close(s);
}

/*
 * Peel an association off while its messages flow: the ones read before
 * came on the original socket, every later one (queued before the peeloff
 * or sent after) exactly once and in order on the peeled descriptor, which
 * keeps boundaries and takes send()/recv() without an address.
 */
/* a blocking connect() to a port nobody listens on is refused, again on
 * a second try, and the socket then connects to a listener
 */
TEST_DIFF(connect_refused)
{
	uint16_t cport, dead, sport;
	int c = sq_client(f, &cport), h, s, i, r, e;
	struct sockaddr_in da, sa;
	char buf[16];
	struct rmsg m;

	h = sq_client(f, &dead);
	close(h);
	da = sin_peer(dead);
	for (i = 1; i <= 2; i++) {
		r = connect(c, (struct sockaddr *)&da, sizeof(da));
		e = errno;
		obs("connect %d to a dead port: %s", i, r ? errname(e) : "0");
		CHECK(r < 0 && e == ECONNREFUSED, "connect %d: %d %s", i, r,
		      r ? errname(e) : "");
	}
	s = sq_server(f, &sport);
	sa = sin_peer(sport);
	EXPECT_VAL("connect to the listener",
		   connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	EXPECT_VAL("sendto the listener", sq_send(f, c, &sa, "ok", 2, NULL, 0), 2);
	if (recv_data(f, s, buf, sizeof(buf), &m, "server recv"))
		EXPECT_TRUE("server got it", m.r == 2 && !memcmp(buf, "ok", 2));
	close(c);
	close(s);
}

/* SDP_SEND_FAILED (sdp only: SCTP's event has another layout): a message
 * whose association could not start comes back whole, with its info,
 * after the CANT_STR_ASSOC; without the subscription it is dropped.
 */
TEST_SDP(send_failed_returns_message)
{
	struct sdp_event_subscribe ev = { 1, 1, 1, 1 };
	struct sinfo si = { .ppid = 0x11223344 };
	uint16_t cport, dead;
	int c = sq_client(f, &cport), h, i, got_cant = 0, got_failed = 0;
	struct sockaddr_in da;
	char msg[3000], buf[4096];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m;
	ssize_t r;

	for (i = 0; i < (int)sizeof(msg); i++)
		msg[i] = 'a' + i % 23;
	h = sq_client(f, &dead);
	close(h);
	da = sin_peer(dead);
	SETUP_OK("SDP_EVENTS all", setsockopt(c, SOL_SDP, SDP_EVENTS, &ev, sizeof(ev)));
	r = sq_send(f, c, &da, msg, sizeof(msg), &si, 0);
	EXPECT_VAL("sendto a dead port", r, (ssize_t)sizeof(msg));
	for (i = 0; i < 2 && rd(c, scaled_ms(5000)); i++) {
		memset(&m, 0, sizeof(m));
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		r = recvmsg(c, &m, 0);
		if (r < (ssize_t)sizeof(struct sdp_notification_header) ||
		    !(m.msg_flags & MSG_NOTIFICATION)) {
			FAIL("recvmsg: %zd flags %#x, want a notification", r, m.msg_flags);
			break;
		}
		if (((struct sdp_notification_header *)buf)->sn_type == SDP_ASSOC_CHANGE) {
			struct sdp_assoc_change *ac = (void *)buf;

			got_cant = ac->sac_state == SDP_CANT_STR_ASSOC;
		} else if (((struct sdp_notification_header *)buf)->sn_type ==
			   SDP_SEND_FAILED) {
			struct sdp_send_failed *sf = (void *)buf;
			size_t dl = r - sizeof(*sf);

			got_failed = 1;
			EXPECT_EQ("ssf_length", sf->ssf_length, (uint32_t)r);
			EXPECT_EQ("ssf_flags", sf->ssf_flags, SDP_DATA_UNSENT);
			EXPECT_TRUE("ssf_error set", sf->ssf_error != 0);
			EXPECT_EQ("ssf_info.sinfo_ppid", sf->ssf_info.sinfo_ppid, 0x11223344u);
			EXPECT_TRUE("the message, whole",
				    dl == sizeof(msg) && !memcmp(sf->ssf_data, msg, dl));
			EXPECT_TRUE("MSG_EOR", m.msg_flags & MSG_EOR);
		}
	}
	EXPECT_TRUE("CANT_STR_ASSOC", got_cant);
	EXPECT_TRUE("SEND_FAILED with the message", got_failed);
	/* not subscribed: dropped, nothing comes */
	ev.sdp_send_failure_event = 0;
	SETUP_OK("SDP_EVENTS no send failures",
		 setsockopt(c, SOL_SDP, SDP_EVENTS, &ev, sizeof(ev)));
	EXPECT_VAL("sendto again", sq_send(f, c, &da, msg, 10, NULL, 0), 10);
	expect_note(f, c, "client", N_ASSOC_CHANGE, SDP_CANT_STR_ASSOC, 0);
	expect_quiet(c, "client: nothing else");
	close(c);
}

TEST_DIFF(peeloff_mid_stream)
{
	uint16_t sport, cport;
	int s = sq_server(f, &sport), c = sq_client(f, &cport), p, k;
	struct sockaddr_in sa = sin_peer(sport);
	int seen[20] = { 0 }, on_orig = 0, order_bad = 0, last = 3, bad_len = 0;
	int no_eor = 0, lost = 0, dup = 0;
	char buf[4096], msg[4096];
	struct rmsg m;
	int32_t sid, cid;

	/* message k: ppid k, 100 + 97 k bytes */
	for (k = 0; k < 10; k++) {
		struct sinfo si = { .ppid = (uint32_t)k };
		size_t len = 100 + 97 * k;

		pattern_fill(k, 0, msg, len);
		SETUP_VAL("send", sq_send(f, c, &sa, msg, len, &si, 0), (long)len);
	}
	for (k = 0; k < 4; k++) {
		if (!recv_data(f, s, buf, sizeof(buf), &m, "before peeloff"))
			FATAL("message %d missing", k);
		CHECK(m.si.ppid == (uint32_t)k, "message %u, want %d", m.si.ppid, k);
	}
	sid = m.si.assoc_id;
	sleep_ms(scaled_ms(200));	/* let 4..9 arrive */
	p = sq_peeloff(f, s, sid);
	EXPECT_TRUE("peeloff", p >= 0);
	if (p < 0)
		FATAL("peeloff: %s", errname(errno));
	expect_gone(f, s, sid, "original socket: status(peeled id)");
	EXPECT_ERR("original socket: peeloff again", sq_peeloff(f, s, sid), EINVAL);

	for (k = 10; k < 20; k++) {
		struct sinfo si = { .ppid = (uint32_t)k };
		size_t len = 100 + 97 * (k % 10);

		pattern_fill(k, 0, msg, len);
		SETUP_VAL("send", sq_send(f, c, &sa, msg, len, &si, 0), (long)len);
	}
	for (k = 4; k < 20; k++) {
		size_t want;
		ssize_t r;
		int j;

		if (k < 19) {
			sq_recv(f, p, buf, sizeof(buf), 0, &m);
			if (m.r < 0 || m.is_note || !m.has_sinfo) {
				FAIL("peeled fd, message %d: %zd %s%s", k, m.r,
				     m.r < 0 ? errname(m.err) : "",
				     m.r >= 0 && !m.has_sinfo ? " no SNDRCV cmsg" : "");
				break;
			}
			if (!(m.flags & MSG_EOR))
				no_eor++;
			j = m.si.ppid;
			r = m.r;
		} else {
			/* plain recv() on the last one: the length says where it ends */
			r = recv(p, buf, sizeof(buf), 0);
			if (r < 0) {
				FAIL("peeled fd recv(): %s", errname(errno));
				break;
			}
			j = 19;
		}
		if (j < 0 || j >= 20) {
			FAIL("ppid %d", j);
			break;
		}
		want = 100 + 97 * (j % 10);
		if ((size_t)r != want || pattern_check(j, 0, buf, r) >= 0)
			bad_len++;
		if (seen[j]++)
			dup++;
		if (j <= last)
			order_bad++;
		last = j;
	}
	while (poll_now(s, 0) & POLLIN) {
		sq_recv(f, s, buf, sizeof(buf), MSG_DONTWAIT, &m);
		if (m.r < 0)
			break;
		on_orig++;
		diag("original socket after peeloff: %zd bytes ppid %u note %d", m.r,
		     m.si.ppid, m.is_note);
	}
	for (k = 4; k < 20; k++)
		lost += !seen[k];
	EXPECT_EQ("messages lost", lost, 0);
	EXPECT_EQ("messages duplicated", dup, 0);
	EXPECT_EQ("out of order on the peeled fd", order_bad, 0);
	EXPECT_EQ("wrong length or contents", bad_len, 0);
	EXPECT_EQ("recvmsg without MSG_EOR", no_eor, 0);
	EXPECT_EQ("messages on the original socket after peeloff", on_orig, 0);

	/* send() without address on the peeled fd: same association at the client */
	EXPECT_VAL("peeled fd send()", send(p, "reply", 5, 0), 5);
	if (recv_data(f, c, buf, sizeof(buf), &m, "client recv")) {
		EXPECT_TRUE("client got the reply", m.r == 5 && !memcmp(buf, "reply", 5));
		EXPECT_TRUE("client: from the server's address", sin_eq(&m.from, &sa));
		cid = m.si.assoc_id;
		EXPECT_OK("client: association still there", sq_status(f, c, cid, NULL));
	}
	EXPECT_VAL("peeled fd write()", write(p, "w", 1), 1);
	if (recv_data(f, c, buf, sizeof(buf), &m, "client recv 2"))
		EXPECT_EQ("client got the write", m.r, 1);
	expect_quiet(s, "original socket: nothing");
	close(p);
	close(c);
	close(s);
}

/*
 * SDP_AUTOCLOSE 2: an association kept busy (a message every 500 ms)
 * stays; once idle it is shut down gracefully after about 2 s:
 * SHUTDOWN_COMP at the server, SHUTDOWN_EVENT + SHUTDOWN_COMP at the
 * client, both forget it.
 */
TEST_DIFF_T(autoclose, 90)
{
	uint16_t sport, cport;
	int s = sq_server(f, &sport), c = sq_client(f, &cport), k;
	struct sockaddr_in sa = sin_peer(sport);
	struct note ns, nc;
	int alive = 1;
	char buf[64];
	struct rmsg m;
	double t0, el;
	int32_t sid, cid;

	EXPECT_OK("SDP_AUTOCLOSE 2", sq_set_autoclose(f, s, 2));
	EXPECT_EQ("SDP_AUTOCLOSE reads back", sq_get_autoclose(f, s), 2);
	EXPECT_EQ("client SDP_AUTOCLOSE default", sq_get_autoclose(f, c), 0);
	SETUP_OK("server events", sq_subscribe(f, s, 1, 1, 1));
	SETUP_OK("client events", sq_subscribe(f, c, 1, 1, 1));
	EXPECT_VAL("client sendto", sq_send(f, c, &sa, "m0", 2, NULL, 0), 2);
	nc = expect_note(f, c, "client", N_ASSOC_CHANGE, SDP_COMM_UP, 0);
	ns = expect_note(f, s, "server", N_ASSOC_CHANGE, SDP_COMM_UP, 0);
	sid = ns.assoc_id;
	cid = nc.assoc_id;
	if (!recv_data(f, s, buf, sizeof(buf), &m, "server m0"))
		alive = 0;
	for (k = 1; k <= 5 && alive; k++) {
		sleep_ms(500);
		if (sq_send(f, c, &sa, "mk", 2, NULL, 0) != 2) {
			diag("busy phase: send %d: %s", k, errname(errno));
			alive = 0;
			break;
		}
		if (!recv_data(f, s, buf, sizeof(buf), &m, "busy phase"))
			alive = 0;
		else if (m.si.assoc_id != sid)
			alive = 0;
	}
	EXPECT_TRUE("busy association stays (2.5 s)", alive);
	t0 = mono_ms();
	ns = expect_note(f, s, "server, idle", N_ASSOC_CHANGE, SDP_SHUTDOWN_COMP, sid);
	el = mono_ms() - t0;
	diag("idle close after %.0f ms", el);
	EXPECT_TRUE("closed after about 2 s idle", el >= 1500 && el <= 2000 + scaled_ms(5000));
	expect_note(f, c, "client", N_SHUTDOWN, -1, cid);
	expect_note(f, c, "client", N_ASSOC_CHANGE, SDP_SHUTDOWN_COMP, cid);
	EXPECT_TRUE("server forgets it", wait_gone(f, s, sid, WAIT_MS));
	EXPECT_TRUE("client forgets it", wait_gone(f, c, cid, WAIT_MS));
	expect_quiet(s, "server: nothing else");
	close(c);
	close(s);
}

/*
 * Flow control per association: the server sends to peer A, which does
 * not read, until MSG_DONTWAIT fails with EAGAIN; sends to peer B on the
 * same socket still go through (B reads them); A still gets EAGAIN;
 * once A reads, it gets everything. While A is stalled poll() on the
 * server reports POLLOUT (sdp only, see POLLOUT_CHECK).
 *
 * SCTP shares the send buffer among a socket's associations unless
 * net.sctp.sndbuf_policy is 1; the sctp run sets it (and restores it).
 *
 * POLLOUT on the one-to-many socket while one association is stalled and
 * another is not: SDP reports it (a send to some association can make
 * progress). SCTP does not: with sndbuf_policy 1 its poll() still asks
 * whether the socket's whole send buffer has room, which the stalled
 * association holds (seen on 6.1: no POLLOUT while a MSG_DONTWAIT send to
 * the free association succeeds). Checked on sdp only, not recorded.
 */
#define POLLOUT_CHECK(label, rev) do {					\
	if (is_sdp(f))							\
		CHECK((rev) & POLLOUT, "%s: %s", label, pollstr(rev));	\
} while (0)

TEST_DIFF_T(stalled_reader, 120)
{
	long old_pol;
	uint16_t sport, pa, pb;
	int s, a, b, k, eagain_b = 0, through_b = 0, got_b = 0;
	int32_t ida, idb;
	static char msg[16384], buf[16384 + 1];
	long sent_a = 0, got_a = 0, bad_a = 0, limit = (64L << 20) / sizeof(msg);
	int hit = 0, rev;
	struct rmsg m;

	sctp_policy(f, "sndbuf_policy", &old_pol);
	s = sq_server(f, &sport);
	a = sq_client(f, &pa);
	b = sq_client(f, &pb);
	sctp_policy_restore(f, "sndbuf_policy", old_pol);
	ida = hello(f, s, sport, a, NULL);
	idb = hello(f, s, sport, b, NULL);

	/* fill until EAGAIN; again after a pause, until a pause frees nothing
	 * (what was in flight has landed in A's receive buffer) */
	for (k = 0; k < 20; k++) {
		long before = sent_a;

		for (; sent_a < limit; sent_a++) {
			pattern_fill(7, sent_a * sizeof(msg), msg, sizeof(msg));
			if (sq_send_id(f, s, ida, msg, sizeof(msg), 1, MSG_DONTWAIT) !=
			    sizeof(msg)) {
				hit = errno == EAGAIN;
				if (!hit)
					diag("send to A: %s", errname(errno));
				break;
			}
		}
		diag("A: round %d: %ld messages of %zu bytes before EAGAIN", k,
		     sent_a - before, sizeof(msg));
		if (!hit || (k > 0 && sent_a == before))
			break;
		sleep_ms(scaled_ms(300));
	}
	EXPECT_TRUE("sends to the stalled peer end in EAGAIN", hit && sent_a > 0);
	/* A is stalled, B is free: a send to B can make progress, so poll()
	 * on the one-to-many socket reports POLLOUT
	 */
	rev = poll_now(s, 0);
	diag("poll with A stalled: %s", pollstr(rev));
	POLLOUT_CHECK("A stalled, B free: POLLOUT", rev);
	EXPECT_VAL("A stalled: MSG_DONTWAIT send to B goes through",
		   sq_send_id(f, s, idb, "b", 1, 2, MSG_DONTWAIT), 1);
	if (recv_data(f, b, buf, sizeof(buf), &m, "B recv first"))
		EXPECT_TRUE("B got it", m.r == 1 && buf[0] == 'b');

	for (k = 0; k < 20; k++) {
		double end = mono_ms() + scaled_ms(2000);
		int ok = 0;

		pattern_fill(8, k, msg, sizeof(msg));
		while (mono_ms() < end) {
			if (sq_send_id(f, s, idb, msg, sizeof(msg), 2, MSG_DONTWAIT) ==
			    sizeof(msg)) {
				ok = 1;
				break;
			}
			if (errno != EAGAIN) {
				diag("send to B: %s", errname(errno));
				break;
			}
			eagain_b++;
			sleep_ms(10);
		}
		if (!ok)
			break;
		through_b++;
		if (recv_data(f, b, buf, sizeof(buf), &m, "B recv") && m.r == sizeof(msg) &&
		    (m.flags & MSG_EOR) && pattern_check(8, k, buf, m.r) < 0)
			got_b++;
	}
	diag("B: %d EAGAIN retries", eagain_b);
	EXPECT_EQ("messages to B that went through", through_b, 20);
	EXPECT_EQ("messages B received intact", got_b, 20);
	EXPECT_ERR("A still stalled: MSG_DONTWAIT send",
		   sq_send_id(f, s, ida, msg, sizeof(msg), 1, MSG_DONTWAIT), EAGAIN);
	rev = poll_now(s, 0);
	diag("poll with A still stalled, B drained: %s", pollstr(rev));
	POLLOUT_CHECK("A still stalled, B free: POLLOUT", rev);

	/* A reads now: everything it was sent, in order */
	for (got_a = 0; got_a < sent_a; got_a++) {
		static char whole[16384 + 1];
		int calls;
		ssize_t r = recv_whole(f, a, whole, sizeof(msg), &calls);

		if (r != sizeof(msg)) {
			FAIL("A: message %ld: %zd bytes", got_a, r);
			break;
		}
		pattern_fill(7, got_a * sizeof(msg), msg, sizeof(msg));
		if (memcmp(whole, msg, sizeof(msg)))
			bad_a++;
	}
	EXPECT_TRUE("A receives all it was sent", got_a == sent_a);
	EXPECT_EQ("A: corrupt or out of order", bad_a, 0);
	EXPECT_VAL("send to A again (blocking)", sq_send_id(f, s, ida, "x", 1, 1, 0), 1);
	if (recv_data(f, a, buf, sizeof(buf), &m, "A recv last"))
		EXPECT_EQ("A got it", m.r, 1);
	close(a);
	close(b);
	close(s);
}

/*
 * SDP_STATUS: SDP_ESTABLISHED for a live association on both sides;
 * SDP_GET_PEER_ADDR: the peer's address (the one recvmsg reported); a
 * short option length: EINVAL.
 */
TEST_DIFF(status_and_peer_addr)
{
	uint16_t sport, cport;
	int s = sq_server(f, &sport), c = sq_client(f, &cport), st = -1;
	struct sockaddr_in sa = sin_peer(sport), ca = sin_local(cport), from, pa;
	int32_t sid, cid;

	sid = hello(f, s, sport, c, &from);
	cid = hello_back(f, s, sid, c);
	EXPECT_OK("server status", sq_status(f, s, sid, &st));
	EXPECT_EQ("server sstat_state (ESTABLISHED)", st, SDP_ESTABLISHED);
	st = -1;
	EXPECT_OK("client status", sq_status(f, c, cid, &st));
	EXPECT_EQ("client sstat_state (ESTABLISHED)", st, SDP_ESTABLISHED);
	memset(&pa, 0, sizeof(pa));
	EXPECT_OK("server peer addr", sq_peer_addr(f, s, sid, &pa));
	EXPECT_TRUE("server: peer addr is the client", sin_eq(&pa, &ca));
	EXPECT_TRUE("server: peer addr = recvmsg's msg_name", sin_eq(&pa, &from));
	diag("server: peer %s, client %s", sinstr(&pa), sinstr(&ca));
	memset(&pa, 0, sizeof(pa));
	EXPECT_OK("client peer addr", sq_peer_addr(f, c, cid, &pa));
	EXPECT_TRUE("client: peer addr is the server", sin_eq(&pa, &sa));
	diag("client: peer %s, server %s", sinstr(&pa), sinstr(&sa));
	EXPECT_ERR("status, option length 1 short", sq_status_short(f, s, sid), EINVAL);
	close(c);
	close(s);
}

/*
 * Closing the server socket ends all its associations gracefully: each
 * client with shutdown events sees SHUTDOWN_EVENT then SHUTDOWN_COMP and
 * forgets the association; a client that peeled its association off sees
 * recv() return 0.
 */
TEST_DIFF(close_ends_all)
{
	enum { NC = 4 };
	uint16_t sport, cp[NC];
	int s = sq_server(f, &sport), c[NC], i, p;
	int32_t sid[NC], cid[NC];
	char buf[64];
	ssize_t r;

	for (i = 0; i < NC; i++) {
		c[i] = sq_client(f, &cp[i]);
		if (i < NC - 1)
			SETUP_OK("client events", sq_subscribe(f, c[i], 1, 1, 1));
	}
	for (i = 0; i < NC; i++) {
		if (i < NC - 1) {
			struct sockaddr_in sa = sin_peer(sport);
			struct note n;
			struct rmsg m;

			SETUP_VAL("send", sq_send(f, c[i], &sa, "hi", 2, NULL, 0), 2);
			n = recv_note(f, c[i], "client COMM_UP");
			if (n.type != N_ASSOC_CHANGE || n.state != SDP_COMM_UP)
				FATAL("client %d: %s, want COMM_UP", i, note_str(&n));
			cid[i] = n.assoc_id;
			if (!recv_data(f, s, buf, sizeof(buf), &m, "server recv"))
				FATAL("server recv");
			sid[i] = m.si.assoc_id;
		} else {
			sid[i] = hello(f, s, sport, c[i], NULL);
			cid[i] = hello_back(f, s, sid[i], c[i]);
		}
	}
	p = sq_peeloff(f, c[NC - 1], cid[NC - 1]);
	REQUIRE(p >= 0, "peeloff: %s", errname(errno));
	expect_quiet(s, "server: all read");
	EXPECT_OK("close(server)", close(s));
	for (i = 0; i < NC - 1; i++) {
		char lab[64];

		snprintf(lab, sizeof(lab), "client %d", i);
		expect_note(f, c[i], lab, N_SHUTDOWN, -1, cid[i]);
		expect_note(f, c[i], lab, N_ASSOC_CHANGE, SDP_SHUTDOWN_COMP, cid[i]);
		snprintf(lab, sizeof(lab), "client %d forgets it", i);
		EXPECT_TRUE(lab, wait_gone(f, c[i], cid[i], WAIT_MS));
	}
	/*
	 * SCTP: a peeled-off socket is not TCP-style; once its association is
	 * gone recv() fails with ENOTCONN (sctp_wait_for_packet). SDP's peeled
	 * descriptor is a one-to-one socket: recv() returns 0 (end of file);
	 * ENOTCONN is accepted too.
	 */
	r = recv(p, buf, sizeof(buf), 0);
	{
		int e = errno, end = r == 0 && is_sdp(f);

		end |= r < 0 && e == ENOTCONN;
		diag("peeled client recv(): %zd %s", r, r < 0 ? errname(e) : "");
		EXPECT_TRUE("peeled client: recv() sees the end of the association", end);
		if (!end)
			FAIL("peeled client recv(): %zd %s, want 0%s", r,
			     r < 0 ? errname(e) : "", is_sdp(f) ? " or ENOTCONN" : "");
	}
	for (i = 0; i < NC - 1; i++)
		close(c[i]);
	close(p);
	close(c[NC - 1]);
}

/*
 * A listening socket that also initiates (RFC 6458 3.1.1: sendmsg to an
 * address without an association sets one up whether or not the socket
 * listens). A and B both listen; A sends to B's address: COMM_UP on both,
 * B gets the message from A's address (A's own port), B replies by id and
 * A gets it from B's address with its COMM_UP id; both see the other as
 * the peer in SDP_STATUS; a send by address either way takes the same
 * association; A still takes new associations from a third socket and
 * keeps its port.
 */
TEST_DIFF(listener_sends)
{
	uint16_t pa, pb, pc;
	int a = sq_server(f, &pa), b = sq_server(f, &pb), c, st;
	struct sockaddr_in aa = sin_local(pa), ba = sin_peer(pb), ca, x;
	socklen_t xl = sizeof(x);
	struct note na, nb, n3;
	int32_t aid, bid;
	char buf[64];
	struct rmsg m;

	SETUP_OK("A events", sq_subscribe(f, a, 1, 1, 0));
	SETUP_OK("B events", sq_subscribe(f, b, 1, 1, 0));
	EXPECT_VAL("A (listening) sendto B (listening)",
		   sq_send(f, a, &ba, "from A", 6, NULL, 0), 6);
	na = expect_note(f, a, "A", N_ASSOC_CHANGE, SDP_COMM_UP, 0);
	nb = expect_note(f, b, "B", N_ASSOC_CHANGE, SDP_COMM_UP, 0);
	aid = na.assoc_id;
	bid = nb.assoc_id;
	if (recv_data(f, b, buf, sizeof(buf), &m, "B recv")) {
		EXPECT_TRUE("B: the message, whole", m.r == 6 &&
			    !memcmp(buf, "from A", 6) && (m.flags & MSG_EOR));
		EXPECT_TRUE("B: msg_name is A's address and port", sin_eq(&m.from, &aa));
		diag("B: msg_name %s, A %s", sinstr(&m.from), sinstr(&aa));
		EXPECT_TRUE("B: the id of its COMM_UP", m.si.assoc_id == bid);
	}
	EXPECT_VAL("B replies by id", sq_send_id(f, b, bid, "from B", 6, 7, 0), 6);
	if (recv_data(f, a, buf, sizeof(buf), &m, "A recv")) {
		EXPECT_TRUE("A: the reply, whole", m.r == 6 &&
			    !memcmp(buf, "from B", 6) && (m.flags & MSG_EOR));
		EXPECT_TRUE("A: msg_name is B's address", sin_eq(&m.from, &ba));
		EXPECT_TRUE("A: the id of its COMM_UP", m.si.assoc_id == aid);
		EXPECT_EQ("A: ppid", m.si.ppid, 7);
	}
	st = -1;
	EXPECT_OK("A status", sq_status(f, a, aid, &st));
	EXPECT_EQ("A sstat_state (ESTABLISHED)", st, SDP_ESTABLISHED);
	memset(&x, 0, sizeof(x));
	EXPECT_OK("A peer addr", sq_peer_addr(f, a, aid, &x));
	EXPECT_TRUE("A: peer addr is B", sin_eq(&x, &ba));
	memset(&x, 0, sizeof(x));
	EXPECT_OK("B peer addr", sq_peer_addr(f, b, bid, &x));
	EXPECT_TRUE("B: peer addr is A", sin_eq(&x, &aa));
	diag("B: peer addr %s", sinstr(&x));

	/* by address, both ways: the association there is */
	EXPECT_VAL("A sendto B again", sq_send(f, a, &ba, "again", 5, NULL, 0), 5);
	if (recv_data(f, b, buf, sizeof(buf), &m, "B recv 2"))
		EXPECT_TRUE("B: same association", m.r == 5 && m.si.assoc_id == bid);
	EXPECT_VAL("B sendto A's address", sq_send(f, b, &aa, "byaddr", 6, NULL, 0), 6);
	if (recv_data(f, a, buf, sizeof(buf), &m, "A recv 2"))
		EXPECT_TRUE("A: same association", m.r == 6 && m.si.assoc_id == aid);
	expect_quiet(a, "A: no other association");
	expect_quiet(b, "B: no other association");

	/* A still listens */
	c = sq_client(f, &pc);
	ca = sin_local(pc);
	{
		struct sockaddr_in ap = sin_peer(pa);

		EXPECT_VAL("third socket sendto A", sq_send(f, c, &ap, "to A", 4, NULL, 0), 4);
	}
	n3 = expect_note(f, a, "A", N_ASSOC_CHANGE, SDP_COMM_UP, 0);
	if (recv_data(f, a, buf, sizeof(buf), &m, "A recv 3")) {
		EXPECT_TRUE("A: the third socket's message", m.r == 4 &&
			    !memcmp(buf, "to A", 4) && sin_eq(&m.from, &ca));
		EXPECT_TRUE("A: a second association id", m.si.assoc_id == n3.assoc_id &&
			    n3.assoc_id != aid);
	}
	EXPECT_OK("getsockname(A)", getsockname(a, (struct sockaddr *)&x, &xl));
	EXPECT_TRUE("A keeps its address and port", sin_eq(&x, &aa));

	/* the third socket, with an association of its own, starts to listen
	 * and takes one from a fourth
	 */
	EXPECT_OK("third socket (an association up) listen()", listen(c, 16));
	{
		uint16_t pd;
		int d = sq_client(f, &pd);
		struct sockaddr_in cp = sin_peer(pc), da = sin_local(pd), ap = sin_peer(pa);

		EXPECT_VAL("fourth socket sendto the third",
			   sq_send(f, d, &cp, "to C", 4, NULL, 0), 4);
		if (recv_data(f, c, buf, sizeof(buf), &m, "C recv")) {
			EXPECT_TRUE("C: the fourth socket's message", m.r == 4 &&
				    !memcmp(buf, "to C", 4) && sin_eq(&m.from, &da));
		}
		EXPECT_VAL("C replies by address", sq_send(f, c, &da, "back", 4, NULL, 0), 4);
		if (recv_data(f, d, buf, sizeof(buf), &m, "D recv"))
			EXPECT_TRUE("D: C's reply, from C's address", m.r == 4 &&
				    sin_eq(&m.from, &cp));
		EXPECT_VAL("C to A, on the association it had",
			   sq_send(f, c, &ap, "C2", 2, NULL, 0), 2);
		if (recv_data(f, a, buf, sizeof(buf), &m, "A recv 4"))
			EXPECT_TRUE("A: on the same association", m.r == 2 &&
				    m.si.assoc_id == n3.assoc_id);
		expect_quiet(d, "D: nothing else");
		close(d);
	}
	expect_quiet(a, "A: nothing else");
	expect_quiet(b, "B: nothing else");
	expect_quiet(c, "C: nothing else");
	close(c);
	close(b);
	close(a);
}

/*
 * accept() on a one-to-many socket, listening or not: EOPNOTSUPP (as
 * SCTP). connect() alone sets an association up: once it returned, before
 * anything was sent, both sides had COMM_UP, SDP_STATUS says ESTABLISHED
 * with the right peer on each side, and a second connect() to the same
 * address: EISCONN.
 */
TEST_DIFF(accept_and_connect)
{
	uint16_t sport, cport;
	int s = sq_server(f, &sport), c = sq_client(f, &cport), st;
	struct sockaddr_in sa = sin_peer(sport), ca = sin_local(cport), x;
	struct note nc, ns;
	char buf[64];
	struct rmsg m;

	EXPECT_ERR("accept() on a listening one-to-many socket",
		   accept(s, NULL, NULL), EOPNOTSUPP);
	EXPECT_ERR("accept4(SOCK_NONBLOCK) on it",
		   accept4(s, NULL, NULL, SOCK_NONBLOCK), EOPNOTSUPP);
	EXPECT_ERR("accept() on one that does not listen",
		   accept(c, NULL, NULL), EOPNOTSUPP);
	SETUP_OK("server events", sq_subscribe(f, s, 1, 1, 0));
	SETUP_OK("client events", sq_subscribe(f, c, 1, 1, 0));
	EXPECT_OK("connect()", connect(c, (struct sockaddr *)&sa, sizeof(sa)));
	nc = expect_note(f, c, "client after connect()", N_ASSOC_CHANGE, SDP_COMM_UP, 0);
	ns = expect_note(f, s, "server after connect()", N_ASSOC_CHANGE, SDP_COMM_UP, 0);
	st = -1;
	EXPECT_OK("client status(its COMM_UP id)", sq_status(f, c, nc.assoc_id, &st));
	EXPECT_EQ("client sstat_state (ESTABLISHED)", st, SDP_ESTABLISHED);
	st = -1;
	EXPECT_OK("server status(its COMM_UP id)", sq_status(f, s, ns.assoc_id, &st));
	EXPECT_EQ("server sstat_state (ESTABLISHED)", st, SDP_ESTABLISHED);
	memset(&x, 0, sizeof(x));
	EXPECT_OK("client peer addr", sq_peer_addr(f, c, nc.assoc_id, &x));
	EXPECT_TRUE("client: peer is the server", sin_eq(&x, &sa));
	memset(&x, 0, sizeof(x));
	EXPECT_OK("server peer addr", sq_peer_addr(f, s, ns.assoc_id, &x));
	EXPECT_TRUE("server: peer is the client", sin_eq(&x, &ca));
	EXPECT_ERR("connect() again to the same address",
		   connect(c, (struct sockaddr *)&sa, sizeof(sa)), EISCONN);
	expect_quiet(s, "server: no data (nothing was sent)");
	EXPECT_VAL("client sends by its COMM_UP id",
		   sq_send_id(f, c, nc.assoc_id, "first", 5, 0, 0), 5);
	if (recv_data(f, s, buf, sizeof(buf), &m, "server recv"))
		EXPECT_TRUE("server: on its COMM_UP id", m.r == 5 &&
			    m.si.assoc_id == ns.assoc_id);
	expect_quiet(s, "server: nothing else");
	expect_quiet(c, "client: nothing else");
	close(c);
	close(s);
}

/* one line of /proc/net/sdp */
struct procline {
	uint32_t laddr, raddr;
	unsigned int lport, rport, st;
	char type[16];
	int assoc;
};

static int proc_lines(struct procline *pl, int max)
{
	FILE *fp = fopen("/proc/net/sdp", "r");
	char line[512];
	int n = 0;

	if (!fp)
		return -1;
	while (n < max && fgets(line, sizeof(line), fp)) {
		struct procline *p = &pl[n];
		unsigned long ino;
		unsigned int uid;
		int sl, tmo;

		if (sscanf(line, " %d: %x:%x %x:%x %x %*x:%*x %*x:%*x %*x %u %d %lu %15s %d",
			   &sl, &p->laddr, &p->lport, &p->raddr, &p->rport, &p->st,
			   &uid, &tmo, &ino, p->type, &p->assoc) == 11)
			n++;
	}
	fclose(fp);
	return n;
}

/* how many lines have this type, local and remote address and assoc id */
static int proc_count(const struct procline *pl, int n, const char *type,
		      const struct sockaddr_in *l, const struct sockaddr_in *r,
		      int assoc)
{
	int i, k = 0;

	for (i = 0; i < n; i++)
		k += !strcmp(pl[i].type, type) &&
		     pl[i].laddr == l->sin_addr.s_addr &&
		     pl[i].lport == ntohs(l->sin_port) &&
		     pl[i].raddr == r->sin_addr.s_addr &&
		     pl[i].rport == ntohs(r->sin_port) && pl[i].assoc == assoc;
	return k;
}

/*
 * /proc/net/sdp (sdp only): with N associations up on one server, one
 * line for each on the server (its association id, the client's address
 * as remote, the server's as local, state ESTABLISHED) and one on each
 * client (its id, the server as remote), type seqpacket; the listening
 * one-to-many socket itself: assoc 0, state LISTEN, no remote address.
 */
TEST_SDP(proc_net_sdp_assocs)
{
	enum { N = 4, MAXL = 512 };
	static struct procline pl[MAXL];
	uint16_t sport, cp[N];
	int s = sq_server(f, &sport), c[N], i, n, ok_s = 0, ok_c = 0;
	struct sockaddr_in sl = sin_local(sport), cl[N];
	int32_t sid[N], cid[N];

	for (i = 0; i < N; i++) {
		c[i] = sq_client(f, &cp[i]);
		cl[i] = sin_local(cp[i]);
		sid[i] = hello(f, s, sport, c[i], NULL);
		cid[i] = hello_back(f, s, sid[i], c[i]);
	}
	n = proc_lines(pl, MAXL);
	REQUIRE(n > 0, "no lines read from /proc/net/sdp (%d)", n);
	diag("%d lines in /proc/net/sdp", n);
	for (i = 0; i < N; i++) {
		int ks = proc_count(pl, n, "seqpacket", &sl, &cl[i], sid[i]);
		int kc = proc_count(pl, n, "seqpacket", &cl[i], &sl, cid[i]);

		diag("association %d: server id %d: %d lines, client id %d: %d lines",
		     i, sid[i], ks, cid[i], kc);
		ok_s += ks == 1;
		ok_c += kc == 1;
	}
	EXPECT_EQ("server's associations with one line each", ok_s, N);
	EXPECT_EQ("clients' associations with one line each", ok_c, N);
	{
		int k = 0, est = 0, j;

		for (j = 0; j < n; j++) {
			if (strcmp(pl[j].type, "seqpacket") ||
			    pl[j].laddr != sl.sin_addr.s_addr ||
			    pl[j].lport != sport)
				continue;
			if (pl[j].assoc == 0 && pl[j].st == 0x0A && !pl[j].raddr &&
			    !pl[j].rport)
				k++;
			else if (pl[j].assoc > 0 && pl[j].st == 0x01)
				est++;
		}
		EXPECT_EQ("the listening socket's line (assoc 0, LISTEN)", k, 1);
		EXPECT_EQ("server-side lines in ESTABLISHED", est, N);
	}
	for (i = 0; i < N; i++)
		close(c[i]);
	close(s);
}

/*
 * SDP only: SDP_EOF with data sends the message and then closes the
 * association (SCTP's sendmsg with SCTP_EOF shuts down without sending
 * the data and returns 0, sctp_sendmsg_check_sflags()).
 */
TEST_SDP(sdp_eof_with_data)
{
	uint16_t sport, cport;
	int s = sq_server(f, &sport), c = sq_client(f, &cport);
	struct sinfo si = { .flags = SDP_EOF, .ppid = 42 };
	char buf[64];
	struct rmsg m;
	int32_t sid, cid;

	SETUP_OK("server events", sq_subscribe(f, s, 1, 0, 1));
	sid = hello(f, s, sport, c, NULL);
	cid = hello_back(f, s, sid, c);
	si.assoc_id = cid;
	EXPECT_VAL("client SDP_EOF with 3 bytes", sq_send(f, c, NULL, "bye", 3, &si, 0), 3);
	if (recv_data(f, s, buf, sizeof(buf), &m, "server recv")) {
		EXPECT_TRUE("server got the last message", m.r == 3 &&
			    !memcmp(buf, "bye", 3) && (m.flags & MSG_EOR));
		EXPECT_EQ("its ppid", m.si.ppid, 42);
	}
	expect_note(f, s, "server", N_SHUTDOWN, -1, sid);
	EXPECT_TRUE("server forgets it", wait_gone(f, s, sid, WAIT_MS));
	EXPECT_TRUE("client forgets it", wait_gone(f, c, cid, WAIT_MS));
	close(c);
	close(s);
}

/* ---- two guests: 64 associations from the other guest ---- */

/*
 * SDP_ROLE=server (guest 1) runs two_guest_server, SDP_ROLE=client (guest
 * 2) two_guest_clients, and nothing else; SDP_ROLE=single (or unset)
 * neither. The server listens on SDP_ADDR, port SDP_SEQPACKET_PORT
 * (default 7481) for sdp and that + 1 for sctp; the clients connect to
 * SDP_PEER on it.
 *
 * Each of the TG_N client sockets (bound to SDP_ADDR:0, one association
 * each: client 0's set up by its first message, retried for
 * SDP_CONNECT_WAIT seconds while the server is not listening yet, the
 * others' by connect()) sends TG_M messages to the server's
 * address: stream 1, ppid i << 16 | j. Message 0 is the 8 bytes of the
 * client's seed (little endian); the lengths of the others follow from it
 * (tg_len: 1 byte, 64 KiB, then random 1 B .. 64 KiB) and their contents
 * are pattern_fill(tg_seed()). The server needs nothing else to check
 * them. It replies to each association by id with "reply <i>: <n> intact"
 * (ppid i); each client checks it got "<TG_M> intact", then closes. The
 * server sees every association end gracefully and forgets it.
 */
enum sq_role { ROLE_SINGLE, ROLE_SERVER, ROLE_CLIENT };
static enum sq_role role = ROLE_SINGLE;

#define TG_N	64
#define TG_M	20
#define TG_MAX	65536

static uint16_t tg_port(const struct fam *f)
{
	const char *s = getenv("SDP_SEQPACKET_PORT");
	int base = s && *s ? atoi(s) : 7481;

	return is_sdp(f) ? base : base + 1;
}

static uint64_t tg_seed(uint64_t seed, int j)
{
	return seed ^ ((uint64_t)(j + 1) << 52);
}

/* the length of message j of a client with this seed */
static size_t tg_len(uint64_t seed, int j)
{
	uint64_t st = tg_seed(seed, j), r = rng_next(&st);

	if (j == 0)
		return 8;
	if (j == 1)
		return 1;
	if (j == 2)
		return TG_MAX;
	return 1 + (r >> 8) % (1u << (r % 17));
}

static void tg_put_seed(uint64_t seed, unsigned char *p)
{
	int k;

	for (k = 0; k < 8; k++)
		p[k] = seed >> (8 * k);
}

static uint64_t tg_get_seed(const unsigned char *p)
{
	uint64_t v = 0;
	int k;

	for (k = 0; k < 8; k++)
		v |= (uint64_t)p[k] << (8 * k);
	return v;
}

/* per client, at the server */
struct tg_peer {
	int seen;		/* message 0 arrived */
	uint64_t seed;
	int next;		/* the message number expected next */
	int intact;		/* messages of the right length and contents */
	int32_t id;
	struct sockaddr_in from;
	int ended;		/* SHUTDOWN_COMP */
};

TEST_DIFF_T(two_guest_server, 280)
{
	static struct tg_peer pr[TG_N];
	static int32_t up[TG_N * 2];
	struct sockaddr_in a = sin_local(tg_port(f));
	struct in_addr want_addr = peer_addr();
	char *buf = malloc(TG_MAX + 1), *msg = malloc(TG_MAX + 1);
	char *exp = malloc(TG_MAX);
	long got = 0, bad_len = 0, bad_data = 0, bad_order = 0, bad_addr = 0;
	long bad_id = 0, bad_ppid = 0, no_sinfo = 0, partial = 0, bad_stream = 0;
	long no_up = 0, other_note = 0, note_inside = 0;
	int n_up = 0, up_dup = 0, s, i, j, k;
	int n_shut = 0, n_comp = 0, n_lost = 0, late_data = 0, unknown = 0;
	long old_pol;
	double t0;

	memset(pr, 0, sizeof(pr));
	sctp_policy(f, "rcvbuf_policy", &old_pol);
	s = sq_socket(f);
	sctp_policy_restore(f, "rcvbuf_policy", old_pol);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		FATAL("bind %s: %s", sinstr(&a), errname(errno));
	SETUP_OK("listen", listen(s, 128));
	SETUP_OK("server events", sq_subscribe(f, s, 1, 1, 1));
	diag("%s server on %s, expecting %d associations from %s", f->name,
	     sinstr(&a), TG_N, inet_ntoa(want_addr));
	obs("server listening");

	/* COMM_UP for each association, then its TG_M messages */
	t0 = mono_ms();
	while (got < TG_N * TG_M || n_up < TG_N) {
		struct rmsg m, first;
		size_t have = 0;
		int wait = got || n_up ? WAIT_MS : scaled_ms(120000);
		int ok = 1;

		if (!rd(s, wait)) {
			FAIL("nothing for %d ms after %ld messages and %d COMM_UPs", wait,
			     got, n_up);
			break;
		}
		for (;;) {
			sq_recv(f, s, buf, TG_MAX + 1, 0, &m);
			if (m.r < 0) {
				FAIL("recvmsg after %ld messages: %s", got, errname(m.err));
				ok = 0;
				break;
			}
			if (m.is_note) {
				if (have) {
					note_inside++;
					ok = 0;
				}
				break;
			}
			if (!have)
				first = m;
			else if (m.si.assoc_id != first.si.assoc_id ||
				 !sin_eq(&m.from, &first.from))
				bad_id++;	/* another association in between */
			if (have + m.r > TG_MAX) {
				bad_len++;
				ok = 0;
				break;
			}
			memcpy(msg + have, buf, m.r);
			have += m.r;
			if (m.flags & MSG_EOR)
				break;
			partial++;
		}
		if (!ok) {
			if (m.r >= 0)
				FAIL("message %ld: %s", got, note_inside ?
				     "a notification inside a message" : "too long");
			break;
		}
		if (m.is_note) {
			if (m.n.type == N_ASSOC_CHANGE && m.n.state == SDP_COMM_UP &&
			    n_up < TG_N * 2) {
				for (k = 0; k < n_up; k++)
					up_dup += up[k] == m.n.assoc_id;
				up[n_up++] = m.n.assoc_id;
			} else if (other_note++ < 5) {
				diag("notification %s id %d error %d", note_str(&m.n),
				     m.n.assoc_id, m.n.error);
			}
			continue;
		}
		got++;
		if (!first.has_sinfo) {
			no_sinfo++;
			continue;
		}
		i = first.si.ppid >> 16;
		j = first.si.ppid & 0xffff;
		if (i >= TG_N || j >= TG_M) {
			if (bad_ppid++ < 5)
				diag("message %ld: ppid 0x%x", got, first.si.ppid);
			continue;
		}
		if (first.si.stream != 1)
			bad_stream++;
		for (k = 0; k < n_up && up[k] != first.si.assoc_id; k++)
			;
		if (k == n_up && no_up++ < 5)
			diag("client %d message %d: id %d had no COMM_UP", i, j,
			     first.si.assoc_id);
		if (j != pr[i].next && bad_order++ < 5)
			diag("client %d: message %d, want %d", i, j, pr[i].next);
		pr[i].next = j + 1;
		if (j == 0) {
			if (have == 8) {
				pr[i].seed = tg_get_seed((unsigned char *)msg);
				pr[i].seen = 1;
				pr[i].intact++;
			} else if (bad_len++ < 5) {
				diag("client %d message 0: %zu bytes, want 8", i, have);
			}
		} else if (!pr[i].seen) {
			bad_data++;	/* no seed: counted as corrupt */
		} else if (have != tg_len(pr[i].seed, j)) {
			if (bad_len++ < 5)
				diag("client %d message %d: %zu bytes, want %zu", i, j,
				     have, tg_len(pr[i].seed, j));
		} else {
			pattern_fill(tg_seed(pr[i].seed, j), 0, exp, have);
			if (memcmp(exp, msg, have)) {
				if (bad_data++ < 5)
					diag("client %d message %d: corrupt", i, j);
			} else {
				pr[i].intact++;
			}
		}
		if (first.from.sin_family != AF_INET || first.fromlen != sizeof(first.from) ||
		    first.from.sin_addr.s_addr != want_addr.s_addr ||
		    !first.from.sin_port ||
		    (pr[i].from.sin_port && !sin_eq(&pr[i].from, &first.from))) {
			if (bad_addr++ < 5)
				diag("client %d message %d: msg_name %s, want %s, port %u",
				     i, j, sinstr(&first.from), inet_ntoa(want_addr),
				     ntohs(pr[i].from.sin_port));
		} else {
			pr[i].from = first.from;
		}
		if (first.si.assoc_id <= 0) {
			bad_id++;
		} else if (!pr[i].id) {
			pr[i].id = first.si.assoc_id;
		} else if (pr[i].id != first.si.assoc_id) {
			if (bad_id++ < 5)
				diag("client %d: association id %d, was %d", i,
				     first.si.assoc_id, pr[i].id);
		}
	}
	diag("%ld messages, %d COMM_UPs in %.0f ms after the first, %ld partial reads",
	     got, n_up, mono_ms() - t0, partial);
	EXPECT_EQ("COMM_UP notifications", n_up, TG_N);
	EXPECT_EQ("COMM_UP ids repeated", up_dup, 0);
	EXPECT_EQ("other notifications", other_note, 0);
	EXPECT_EQ("notifications inside a message", note_inside, 0);
	EXPECT_EQ("messages received", got, TG_N * TG_M);
	EXPECT_EQ("without SNDRCV cmsg", no_sinfo, 0);
	EXPECT_EQ("bad ppid", bad_ppid, 0);
	EXPECT_EQ("bad stream", bad_stream, 0);
	EXPECT_EQ("wrong length (boundaries)", bad_len, 0);
	EXPECT_EQ("corrupt", bad_data, 0);
	EXPECT_EQ("out of order", bad_order, 0);
	EXPECT_EQ("wrong peer address", bad_addr, 0);
	EXPECT_EQ("association id changed or mixed", bad_id, 0);
	EXPECT_EQ("data on an association without COMM_UP", no_up, 0);
	{
		int distinct = 0, ports = 0, paddr = 0, shown = 0;

		for (i = 0; i < TG_N; i++) {
			struct sockaddr_in pa;

			if (!pr[i].id)
				continue;
			for (k = 0; k < i; k++)
				if (pr[k].id == pr[i].id)
					break;
			distinct += k == i;
			for (k = 0; k < i; k++)
				if (pr[k].from.sin_port == pr[i].from.sin_port)
					break;
			ports += k == i;
			memset(&pa, 0, sizeof(pa));
			if (!sq_peer_addr(f, s, pr[i].id, &pa) && sin_eq(&pa, &pr[i].from))
				paddr++;
			else if (shown++ < 5)
				diag("client %d: peer addr %s, msg_name %s", i, sinstr(&pa),
				     sinstr(&pr[i].from));
		}
		EXPECT_EQ("distinct association ids", distinct, TG_N);
		EXPECT_EQ("distinct client ports", ports, TG_N);
		EXPECT_EQ("peer addr = msg_name", paddr, TG_N);
	}
	diag("client 0 at %s, id %d", sinstr(&pr[0].from), pr[0].id);

	/* a reply to each association, by id */
	{
		int sent = 0;

		for (i = 0; i < TG_N; i++) {
			char r[64];
			int n = snprintf(r, sizeof(r), "reply %d: %d intact", i, pr[i].intact);

			if (pr[i].id && sq_send_id(f, s, pr[i].id, r, n, i, 0) == n)
				sent++;
			else
				diag("reply to client %d (id %d): %s", i, pr[i].id,
				     errname(errno));
		}
		EXPECT_EQ("replies sent by id", sent, TG_N);
	}

	/* the clients close: every association ends gracefully */
	while (n_comp + n_lost < TG_N) {
		struct rmsg m;

		if (!rd(s, scaled_ms(30000))) {
			diag("no more notifications after %d SHUTDOWN_COMP", n_comp);
			break;
		}
		sq_recv(f, s, buf, TG_MAX + 1, 0, &m);
		if (m.r < 0) {
			FAIL("recvmsg: %s", errname(m.err));
			break;
		}
		if (!m.is_note) {
			late_data++;
			continue;
		}
		for (i = 0; i < TG_N && pr[i].id != m.n.assoc_id; i++)
			;
		if (i == TG_N) {
			if (unknown++ < 5)
				diag("%s for unknown id %d", note_str(&m.n), m.n.assoc_id);
			continue;
		}
		if (m.n.type == N_SHUTDOWN) {
			n_shut++;
		} else if (m.n.type == N_ASSOC_CHANGE && m.n.state == SDP_SHUTDOWN_COMP) {
			n_comp += !pr[i].ended;
			pr[i].ended = 1;
		} else {
			n_lost++;
			diag("client %d: %s error %d", i, note_str(&m.n), m.n.error);
		}
	}
	EXPECT_EQ("SHUTDOWN_EVENTs", n_shut, TG_N);
	EXPECT_EQ("associations ended with SHUTDOWN_COMP", n_comp, TG_N);
	EXPECT_EQ("associations lost", n_lost, 0);
	EXPECT_EQ("data after the replies", late_data, 0);
	EXPECT_EQ("notifications for unknown ids", unknown, 0);
	{
		int gone = 0;

		for (i = 0; i < TG_N; i++)
			gone += pr[i].id && wait_gone(f, s, pr[i].id, WAIT_MS);
		EXPECT_EQ("associations forgotten", gone, TG_N);
	}
	expect_quiet(s, "server: nothing else");
	close(s);
	free(buf);
	free(msg);
	free(exp);
}

/*
 * Client 0's association, set up by its first message (message 0, the
 * seed) while the server may not listen yet: sendto, then COMM_UP or
 * CANT_STR_ASSOC (or a refused sendto); on a failure a new socket tries
 * again after 500 ms, until wait_ms. Returns the socket, association
 * events off again, or -1.
 */
static int tg_first(const struct fam *f, uint16_t port, uint64_t seed, int wait_ms,
		    uint16_t *cport, int *tries)
{
	struct sockaddr_in sa = sin_peer(port);
	struct sinfo si = { .stream = 1, .ppid = 0 };
	double end = mono_ms() + wait_ms;
	unsigned char m0[8];
	char last[64] = "";

	tg_put_seed(seed, m0);
	for (;;) {
		int fd = sq_client(f, cport);
		char now[64];
		ssize_t r;

		++*tries;
		SETUP_OK("client 0 events", sq_subscribe(f, fd, 1, 1, 0));
		r = sq_send(f, fd, &sa, m0, sizeof(m0), &si, 0);
		if (r == sizeof(m0)) {
			struct note n = recv_note(f, fd, "client 0");

			if (n.type == N_ASSOC_CHANGE && n.state == SDP_COMM_UP) {
				SETUP_OK("client 0 events off", sq_subscribe(f, fd, 1, 0, 0));
				return fd;
			}
			snprintf(now, sizeof(now), "sendto, then %s", note_str(&n));
		} else {
			snprintf(now, sizeof(now), "sendto: %zd %s", r,
				 r < 0 ? errname(errno) : "");
		}
		if (strcmp(now, last))
			diag("association to %s, try %d: %s", sinstr(&sa), *tries, now);
		snprintf(last, sizeof(last), "%s", now);
		close(fd);
		if (mono_ms() > end)
			return -1;
		sleep_ms(500);
	}
}

TEST_DIFF_T(two_guest_clients, 280)
{
	static int c[TG_N];
	static uint16_t cport[TG_N];
	static uint64_t seed[TG_N];
	struct sockaddr_in sa = sin_peer(tg_port(f));
	const char *w = getenv("SDP_CONNECT_WAIT");
	int wait_s = w && *w ? atoi(w) : 60;
	char *buf = malloc(TG_MAX + 1);
	long sent = 0;
	int i, j, tries = 0, err = 0, err_i = -1, err_j = -1;
	int right = 0, peer_ok = 0, shown = 0;
	uint64_t base = seed_new();
	double t0;

	for (i = 0; i < TG_N; i++)
		seed[i] = base + 0x9e3779b97f4a7c15ULL * (i + 1);
	/* client 0 by its first message, retried while the server is not up */
	c[0] = tg_first(f, tg_port(f), seed[0], scaled_ms(1000 * wait_s), &cport[0],
			&tries);
	REQUIRE(c[0] >= 0, "no association to %s within %d s (%d tries)", sinstr(&sa),
		wait_s, tries);
	diag("%s: first association after %d tries", f->name, tries);
	/* the others by connect() */
	for (i = 1; i < TG_N; i++) {
		c[i] = sq_client(f, &cport[i]);
		if (connect(c[i], (struct sockaddr *)&sa, sizeof(sa)))
			FATAL("client %d: connect(%s): %s", i, sinstr(&sa), errname(errno));
	}
	obs("%d associations up", TG_N);

	t0 = mono_ms();
	for (j = 0; j < TG_M && !err; j++) {
		for (i = 0; i < TG_N; i++) {
			struct sinfo si = { .stream = 1, .ppid = (uint32_t)(i << 16 | j) };
			size_t len = tg_len(seed[i], j);
			ssize_t r;

			if (!i && !j) {
				sent++;		/* sent by tg_first() */
				continue;
			}
			if (j == 0)
				tg_put_seed(seed[i], (unsigned char *)buf);
			else
				pattern_fill(tg_seed(seed[i], j), 0, buf, len);
			r = sq_send(f, c[i], &sa, buf, len, &si, 0);
			if (r != (ssize_t)len) {
				err = r < 0 ? errno : -1;
				err_i = i;
				err_j = j;
				break;
			}
			sent++;
		}
	}
	if (err)
		FAIL("client %d message %d: %s", err_i, err_j,
		     err > 0 ? errname(err) : "short send");
	diag("%ld messages sent in %.0f ms", sent, mono_ms() - t0);
	EXPECT_EQ("messages sent", sent, TG_N * TG_M);

	/* the server's reply on each association */
	for (i = 0; i < TG_N; i++) {
		struct rmsg m;
		char r[64];
		int n = snprintf(r, sizeof(r), "reply %d: %d intact", i, TG_M);
		struct sockaddr_in pa;

		if (!rd(c[i], i ? WAIT_MS : scaled_ms(60000))) {
			if (shown++ < 5)
				diag("client %d: no reply", i);
			continue;
		}
		sq_recv(f, c[i], buf, 64, 0, &m);
		if (m.r == n && !m.is_note && !memcmp(buf, r, n) && (m.flags & MSG_EOR) &&
		    m.has_sinfo && m.si.ppid == (uint32_t)i && sin_eq(&m.from, &sa))
			right++;
		else if (shown++ < 5)
			diag("client %d: reply %zd bytes %s \"%.*s\" ppid %u from %s", i,
			     m.r, m.r < 0 ? errname(m.err) : "", m.r > 0 ? (int)m.r : 0,
			     buf, m.si.ppid, sinstr(&m.from));
		memset(&pa, 0, sizeof(pa));
		if (m.has_sinfo && !sq_status(f, c[i], m.si.assoc_id, NULL) &&
		    !sq_peer_addr(f, c[i], m.si.assoc_id, &pa) && sin_eq(&pa, &sa))
			peer_ok++;
	}
	EXPECT_EQ("replies right (all messages intact at the server)", right, TG_N);
	EXPECT_EQ("clients: peer addr is the server", peer_ok, TG_N);
	for (i = 0, j = 0; i < TG_N; i++)
		j += close(c[i]) == 0;
	EXPECT_EQ("sockets closed", j, TG_N);
	free(buf);
}

int main(int argc, char **argv)
{
	/* the reference family: Linux SCTP one-to-many */
	fam_tcp.name = "sctp";
	fam_tcp.family = AF_INET;
	const char *r = getenv("SDP_ROLE");
	int i;

	if (!r || !*r || !strcmp(r, "single")) {
		role = ROLE_SINGLE;
	} else if (!strcmp(r, "server")) {
		role = ROLE_SERVER;
	} else if (!strcmp(r, "client")) {
		role = ROLE_CLIENT;
	} else {
		fprintf(stderr, "SDP_ROLE must be server, client or single\n");
		return 2;
	}
	for (i = 0; i < sq_ntests; i++) {
		struct test *t = sq_tests[i];

		if (t == &two_guest_server_test)
			t->disabled = role != ROLE_SERVER;
		else if (t == &two_guest_clients_test)
			t->disabled = role != ROLE_CLIENT;
		else
			t->disabled = role != ROLE_SINGLE;
	}
	harness_usage_extra =
		"sdp_seqpacket: -f sdp|sctp|both; the sctp runs are skipped when\n"
		"  the kernel has no SCTP (stalled_reader sets net.sctp.sndbuf_policy=1\n"
		"  for the sctp run; emsgsize lowers net.sdp.max_msg for a moment)\n"
		"  SDP_ROLE=single (default): the one-host tests; server: only\n"
		"  two_guest_server, listening on SDP_ADDR, SDP_SEQPACKET_PORT (default\n"
		"  7481: sdp on it, sctp on it+1); client: only two_guest_clients, to\n"
		"  SDP_PEER (retried for SDP_CONNECT_WAIT s, default 60)\n";
	return harness_main(argc, argv);
}
