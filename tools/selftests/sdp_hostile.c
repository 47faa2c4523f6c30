// SPDX-License-Identifier: GPL-2.0
/*
 * sdp_hostile: a hostile peer (issue 3). This program speaks the wire
 * protocol (/work/shared/design/wire.md) itself, from user space, with
 * librdmacm and libibverbs: it connects to an AF_SDP listener that it
 * opened itself with a Hello in the REQ's private data, makes its own RC
 * QP, posts receives and then sends crafted messages. Each case runs on a
 * fresh connection and checks what architecture.md rule 3 promises:
 *
 *  - the accepted AF_SDP socket sees ECONNRESET (recv() fails with it),
 *  - BadMessages in /proc/net/sdp_stats grows,
 *  - the peer is told with an AbortConn,
 *  - a well-behaved AF_SDP connection to the same listener, opened before
 *    the attack, still moves data both ways afterwards, and the listener
 *    still accepts new connections.
 *
 * A bad Hello at connect time must be rejected (REJ with the SDP reason
 * code, no child socket for accept()) and count as a BadMessage.
 *
 * One guest only; SDP only (there is no TCP counterpart). Linked
 * dynamically: libibverbs loads the rxe provider at run time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <rdma/rdma_cma.h>
#include <infiniband/verbs.h>

#include "util.h"

/* ---- the wire format, from wire.md (big-endian, packed) ---- */

#define W_VERSION	0x20
#define W_BSDH_LEN	16
#define W_HELLO_LEN	56
#define W_HELLOACK_LEN	32

#define MID_HELLO	0x00
#define MID_DISCONN	0x02
#define MID_ABORT	0x03
#define MID_SENDSM	0x04
#define MID_SRCAVAIL	0xFE
#define MID_DATA	0xFF

#define REJ_BAD_HELLO	1
#define REJ_VERSION	2
#define REJ_CAPS	3

struct w_bsdh {
	uint8_t mid;
	uint8_t flags;
	uint16_t bufs;
	uint32_t len;
	uint32_t mseq;
	uint32_t mseq_ack;
} __attribute__((packed));

struct w_hello {
	struct w_bsdh b;
	uint8_t version;
	uint8_t ipv;
	uint8_t max_adverts;
	uint8_t rsvd0;
	uint32_t localrcvsz;
	uint32_t desremrcvsz;
	uint32_t caps;
	uint8_t rsvd[24];
} __attribute__((packed));

struct w_hello_ack {
	struct w_bsdh b;
	uint8_t version;
	uint8_t max_adverts;
	uint8_t rsvd0[2];
	uint32_t actrcvsz;
	uint32_t caps;
	uint8_t rsvd[4];
} __attribute__((packed));

struct w_rej {
	uint8_t version;
	uint8_t reason;
	uint8_t rsvd[2];
} __attribute__((packed));

_Static_assert(sizeof(struct w_bsdh) == W_BSDH_LEN, "BSDH");
_Static_assert(sizeof(struct w_hello) == W_HELLO_LEN, "Hello");
_Static_assert(sizeof(struct w_hello_ack) == W_HELLOACK_LEN, "HelloAck");

/* ---- the hostile peer: one rdma_cm connection ---- */

#define H_RX_N		16		/* receives we post (Hello bufs) */
#define H_RX_SZ		4096		/* each of them (localrcvsz) */
#define H_TX_SZ		(1024 * 1024 + 4096) /* room for oversized sends */
#define H_WAIT_MS	10000

struct hpeer {
	struct rdma_event_channel *ch;
	struct rdma_cm_id *id;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	struct ibv_mr *mr;
	uint8_t *mem;			/* H_RX_N * H_RX_SZ, then the tx area */
	int own_qp;			/* QP made with ibv_create_qp (no RTU) */
	/* what the peer told us */
	uint32_t peer_rcvsz;
	uint16_t peer_bufs;
	uint32_t rx_mseq;		/* last mseq received */
	int got_abort;			/* an AbortConn arrived */
	int rx_msgs;
	int tx_done, tx_status;		/* last send completion */
	/* the last rdma_cm event that ended a wait */
	enum rdma_cm_event_type ev;
	int ev_status;
	uint8_t ev_priv[256];
	uint8_t ev_priv_len;
	uint32_t mseq;			/* last mseq sent */
};

static uint8_t *h_txbuf(struct hpeer *h)
{
	return h->mem + H_RX_N * H_RX_SZ;
}

/* Wait for the next rdma_cm event (copy it, ack it); -1 on timeout. */
static int h_next_event(struct hpeer *h, int ms)
{
	struct pollfd p = { .fd = h->ch->fd, .events = POLLIN };
	struct rdma_cm_event *e;

	if (poll(&p, 1, ms) <= 0)
		return -1;
	if (rdma_get_cm_event(h->ch, &e))
		return -1;
	h->ev = e->event;
	h->ev_status = e->status;
	h->ev_priv_len = 0;
	if (e->param.conn.private_data && e->param.conn.private_data_len) {
		h->ev_priv_len = e->param.conn.private_data_len;
		memcpy(h->ev_priv, e->param.conn.private_data,
		       h->ev_priv_len);
	}
	diag("hostile: rdma_cm event %s status %d", rdma_event_str(h->ev),
	     h->ev_status);
	rdma_ack_cm_event(e);
	return 0;
}

static void h_expect_event(struct hpeer *h, enum rdma_cm_event_type want)
{
	if (h_next_event(h, H_WAIT_MS))
		FATAL("hostile: no rdma_cm event (waiting for %s)",
		      rdma_event_str(want));
	if (h->ev != want)
		FATAL("hostile: rdma_cm event %s (status %d), want %s",
		      rdma_event_str(h->ev), h->ev_status,
		      rdma_event_str(want));
}

static void h_post_recv(struct hpeer *h, int i)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)(h->mem + i * H_RX_SZ),
		.length = H_RX_SZ,
		.lkey = h->mr->lkey,
	};
	struct ibv_recv_wr wr = { .wr_id = i, .sg_list = &sge, .num_sge = 1 };
	struct ibv_recv_wr *bad;

	if (ibv_post_recv(h->qp, &wr, &bad))
		FATAL("hostile: ibv_post_recv: %s", errname(errno));
}

static void h_modify(struct hpeer *h, enum ibv_qp_state st)
{
	struct ibv_qp_attr a;
	int mask = 0;

	memset(&a, 0, sizeof(a));
	a.qp_state = st;
	if (rdma_init_qp_attr(h->id, &a, &mask))
		FATAL("hostile: rdma_init_qp_attr(%d): %s", st, errname(errno));
	if (ibv_modify_qp(h->qp, &a, mask))
		FATAL("hostile: ibv_modify_qp(%d): %s", st, errname(errno));
}

/* Resolve the listener's address and route, make PD, CQ, QP, MR and post
 * every receive. @own_qp: make the QP ourselves, so that librdmacm leaves
 * the RTU to us (and we never send it).
 */
static void h_open(struct hpeer *h, uint16_t port, int own_qp)
{
	struct sockaddr_in dst = sin_peer(port);
	struct ibv_qp_init_attr qa;
	int i;

	memset(h, 0, sizeof(*h));
	h->own_qp = own_qp;
	h->ch = rdma_create_event_channel();
	if (!h->ch)
		FATAL("hostile: rdma_create_event_channel: %s", errname(errno));
	if (rdma_create_id(h->ch, &h->id, h, RDMA_PS_IB))
		FATAL("hostile: rdma_create_id: %s", errname(errno));
	if (rdma_resolve_addr(h->id, NULL, (struct sockaddr *)&dst, 2000))
		FATAL("hostile: rdma_resolve_addr: %s", errname(errno));
	h_expect_event(h, RDMA_CM_EVENT_ADDR_RESOLVED);
	if (rdma_resolve_route(h->id, 2000))
		FATAL("hostile: rdma_resolve_route: %s", errname(errno));
	h_expect_event(h, RDMA_CM_EVENT_ROUTE_RESOLVED);

	h->pd = ibv_alloc_pd(h->id->verbs);
	if (!h->pd)
		FATAL("hostile: ibv_alloc_pd: %s", errname(errno));
	h->cq = ibv_create_cq(h->id->verbs, 64, NULL, NULL, 0);
	if (!h->cq)
		FATAL("hostile: ibv_create_cq: %s", errname(errno));
	memset(&qa, 0, sizeof(qa));
	qa.send_cq = h->cq;
	qa.recv_cq = h->cq;
	qa.qp_type = IBV_QPT_RC;
	qa.cap.max_send_wr = 16;
	qa.cap.max_recv_wr = H_RX_N;
	qa.cap.max_send_sge = 1;
	qa.cap.max_recv_sge = 1;
	qa.sq_sig_all = 1;
	if (own_qp) {
		h->qp = ibv_create_qp(h->pd, &qa);
		if (!h->qp)
			FATAL("hostile: ibv_create_qp: %s", errname(errno));
		h_modify(h, IBV_QPS_INIT);
	} else {
		if (rdma_create_qp(h->id, h->pd, &qa))
			FATAL("hostile: rdma_create_qp: %s", errname(errno));
		h->qp = h->id->qp;
	}
	h->mem = calloc(1, H_RX_N * H_RX_SZ + H_TX_SZ);
	if (!h->mem)
		FATAL("hostile: out of memory");
	h->mr = ibv_reg_mr(h->pd, h->mem, H_RX_N * H_RX_SZ + H_TX_SZ,
			   IBV_ACCESS_LOCAL_WRITE);
	if (!h->mr)
		FATAL("hostile: ibv_reg_mr: %s", errname(errno));
	for (i = 0; i < H_RX_N; i++)
		h_post_recv(h, i);
}

static void h_close(struct hpeer *h)
{
	if (h->id)
		rdma_disconnect(h->id);
	if (h->qp) {
		if (h->own_qp)
			ibv_destroy_qp(h->qp);
		else
			rdma_destroy_qp(h->id);
	}
	if (h->mr)
		ibv_dereg_mr(h->mr);
	if (h->cq)
		ibv_destroy_cq(h->cq);
	if (h->pd)
		ibv_dealloc_pd(h->pd);
	if (h->id)
		rdma_destroy_id(h->id);
	if (h->ch)
		rdma_destroy_event_channel(h->ch);
	free(h->mem);
	memset(h, 0, sizeof(*h));
}

/* the capabilities the next attack's Hello offers (0: no zero copy) */
static uint32_t h_caps;

/* a well-formed Hello, as sdp.ko's active side sends it */
static void hello_good(struct w_hello *hl)
{
	memset(hl, 0, sizeof(*hl));
	hl->caps = htonl(h_caps);
	hl->b.mid = MID_HELLO;
	hl->b.bufs = htons(H_RX_N);
	hl->b.len = htonl(W_HELLO_LEN);
	hl->version = W_VERSION;
	hl->ipv = 4;
	hl->localrcvsz = htonl(H_RX_SZ);
	hl->desremrcvsz = htonl(H_RX_SZ);
}

/* Connect with @priv as the REQ's private data; returns the event that
 * ended the attempt: ESTABLISHED (own_qp: CONNECT_RESPONSE), REJECTED...
 */
static enum rdma_cm_event_type h_connect(struct hpeer *h, const void *priv,
					 uint8_t len)
{
	struct rdma_conn_param p;

	memset(&p, 0, sizeof(p));
	p.private_data = priv;
	p.private_data_len = len;
	p.responder_resources = 1;
	p.initiator_depth = 1;
	p.retry_count = 7;
	p.rnr_retry_count = 7;
	if (h->own_qp)
		p.qp_num = h->qp->qp_num;
	if (rdma_connect(h->id, &p))
		FATAL("hostile: rdma_connect: %s", errname(errno));
	if (h_next_event(h, H_WAIT_MS))
		FATAL("hostile: no answer to the connect request");
	return h->ev;
}

/* take the HelloAck out of the REP's private data */
static void h_take_hello_ack(struct hpeer *h)
{
	struct w_hello_ack a;

	REQUIRE(h->ev_priv_len >= sizeof(a), "REP private data: %u bytes",
		h->ev_priv_len);
	memcpy(&a, h->ev_priv, sizeof(a));
	REQUIRE(a.b.mid == 0x01 && ntohl(a.b.len) == W_HELLOACK_LEN &&
		(a.version >> 4) == 2,
		"HelloAck: mid %#x len %u version %#x", a.b.mid,
		ntohl(a.b.len), a.version);
	h->peer_bufs = ntohs(a.b.bufs);
	h->peer_rcvsz = ntohl(a.actrcvsz);
	REQUIRE(h->peer_bufs > 0 && h->peer_rcvsz >= 80 &&
		h->peer_rcvsz <= 1024 * 1024,
		"HelloAck: bufs %u actrcvsz %u", h->peer_bufs, h->peer_rcvsz);
	diag("hostile: HelloAck bufs %u actrcvsz %u", h->peer_bufs,
	     h->peer_rcvsz);
}

/* Poll the CQ for up to @ms: note received messages (and repost their
 * buffers), and send completions. Returns when @until_send and a send
 * completed, or when @until_abort and an AbortConn arrived.
 */
static void h_poll(struct hpeer *h, int ms, int until_send, int until_abort)
{
	double end = mono_ms() + ms;

	do {
		struct ibv_wc wc[8];
		int n, i;

		n = ibv_poll_cq(h->cq, 8, wc);
		for (i = 0; i < n; i++) {
			if (wc[i].opcode & IBV_WC_RECV) {
				const struct w_bsdh *b;

				if (wc[i].status != IBV_WC_SUCCESS)
					continue;
				b = (const void *)(h->mem +
						   wc[i].wr_id * H_RX_SZ);
				h->rx_msgs++;
				if (wc[i].byte_len >= W_BSDH_LEN) {
					h->rx_mseq = ntohl(b->mseq);
					if (b->mid == MID_ABORT)
						h->got_abort = 1;
					diag("hostile: received %#x len %u mseq %u",
					     b->mid, ntohl(b->len),
					     ntohl(b->mseq));
				}
				h_post_recv(h, wc[i].wr_id);
			} else {
				h->tx_done = 1;
				h->tx_status = wc[i].status;
			}
		}
		if (until_send && h->tx_done)
			return;
		if (until_abort && h->got_abort)
			return;
		if (!n)
			sleep_ms(2);
	} while (mono_ms() < end);
}

/* Send @len bytes from the tx area as one message; wait for completion.
 * Returns the completion status (-1: none came).
 */
static int h_send_raw(struct hpeer *h, uint32_t len)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)h_txbuf(h),
		.length = len,
		.lkey = h->mr->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = 1000,
		.sg_list = &sge,
		.num_sge = len ? 1 : 0,
		.opcode = IBV_WR_SEND,
		.send_flags = IBV_SEND_SIGNALED,
	};
	struct ibv_send_wr *bad;

	h->tx_done = 0;
	if (ibv_post_send(h->qp, &wr, &bad))
		FATAL("hostile: ibv_post_send(%u bytes): %s", len,
		      errname(errno));
	h_poll(h, H_WAIT_MS, 1, 0);
	if (!h->tx_done)
		return -1;
	if (h->tx_status != IBV_WC_SUCCESS)
		diag("hostile: send of %u bytes completed with %s", len,
		     ibv_wc_status_str(h->tx_status));
	return h->tx_status;
}

/* Fill a BSDH at the start of the tx area the way a correct peer would
 * (next mseq, ack of the last received, our posted receives), with
 * @paylen payload bytes after it; returns the whole length.
 */
static uint32_t h_build(struct hpeer *h, uint8_t mid, uint8_t flags,
			uint32_t paylen)
{
	struct w_bsdh *b = (void *)h_txbuf(h);
	uint32_t len = W_BSDH_LEN + paylen;
	uint32_t i;

	b->mid = mid;
	b->flags = flags;
	b->bufs = htons(H_RX_N);
	b->len = htonl(len);
	b->mseq = htonl(h->mseq + 1);
	b->mseq_ack = htonl(h->rx_mseq);
	for (i = 0; i < paylen; i++)
		h_txbuf(h)[W_BSDH_LEN + i] = 'a' + i % 26;
	return len;
}

static struct w_bsdh *h_hdr(struct hpeer *h)
{
	return (struct w_bsdh *)h_txbuf(h);
}

/* ---- counters ---- */

static long long stat_get(const char *name)
{
	FILE *f = fopen("/proc/net/sdp_stats", "r");
	char n[64];
	long long v;

	if (!f)
		FATAL("/proc/net/sdp_stats: %s", errname(errno));
	while (fscanf(f, "%63s %lld", n, &v) == 2) {
		if (!strcmp(n, name)) {
			fclose(f);
			return v;
		}
	}
	fclose(f);
	FATAL("/proc/net/sdp_stats: no %s", name);
}

/* all counters, for a diagnostic of what moved */
#define N_STATS 96
struct stat_snap {
	int n;
	char name[N_STATS][48];
	long long v[N_STATS];
};

static void stat_snap(struct stat_snap *s)
{
	FILE *f = fopen("/proc/net/sdp_stats", "r");

	s->n = 0;
	if (!f)
		return;
	while (s->n < N_STATS &&
	       fscanf(f, "%47s %lld", s->name[s->n], &s->v[s->n]) == 2)
		s->n++;
	fclose(f);
}

static void stat_diag_moved(const struct stat_snap *a)
{
	struct stat_snap b;
	int i;

	stat_snap(&b);
	for (i = 0; i < a->n && i < b.n; i++)
		if (b.v[i] != a->v[i])
			diag("counter %s moved by %lld", a->name[i],
			     b.v[i] - a->v[i]);
}

/* BadMessages moves in the same locked section that resets the socket,
 * but give a slow guest a moment anyway.
 */
static long long stat_wait_above(const char *name, long long old, int ms)
{
	double end = mono_ms() + ms;
	long long v;

	do {
		v = stat_get(name);
		if (v > old)
			break;
		sleep_ms(10);
	} while (mono_ms() < end);
	return v;
}

/* ---- the bystander: a well-behaved AF_SDP connection ---- */

struct bed {
	int lfd;
	uint16_t port;
	int cli, srv;		/* the well-behaved connection */
	uint64_t seed;
	uint64_t off_cs, off_sc; /* stream offsets of each direction */
};

static void exchange_one(int from, int to, uint64_t seed, uint64_t *off,
			 size_t len, const char *what)
{
	static uint8_t out[65536], in[65536];
	long bad;

	pattern_fill(seed, *off, out, len);
	REQUIRE(send_all(from, out, len, 0) == (ssize_t)len,
		"%s: send: %s", what, errname(errno));
	REQUIRE(recv_all(to, in, len) == (ssize_t)len,
		"%s: recv: %s", what, errname(errno));
	bad = pattern_check(seed, *off, in, len);
	REQUIRE(bad < 0, "%s: byte %ld corrupt", what, bad);
	*off += len;
}

/* data both ways on the bystander, checked */
static void bed_check(struct bed *b, const char *when)
{
	char what[96];

	snprintf(what, sizeof(what), "bystander %s, client->server", when);
	exchange_one(b->cli, b->srv, b->seed, &b->off_cs, 32768, what);
	snprintf(what, sizeof(what), "bystander %s, server->client", when);
	exchange_one(b->srv, b->cli, b->seed ^ 1, &b->off_sc, 32768, what);
}

static void bed_open(const struct fam *f, struct bed *b, int backlog)
{
	struct timeval tv = { .tv_sec = 20 };

	memset(b, 0, sizeof(*b));
	b->lfd = t_listener_at(f, sin_local(0), backlog, &b->port);
	t_connect_accept(f, b->lfd, b->port, &b->cli, &b->srv);
	setsockopt(b->cli, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(b->srv, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	b->seed = seed_new();
	bed_check(b, "before the attack");
}

/* After an attack: the bystander still works, and so does the listener. */
static void bed_close(const struct fam *f, struct bed *b)
{
	int c, s;

	bed_check(b, "after the attack");
	obs("bystander still transfers data");
	t_connect_accept(f, b->lfd, b->port, &c, &s);
	REQUIRE(send_all(c, "x", 1, 0) == 1, "new connection: send");
	{
		char x = 0;

		REQUIRE(recv_all(s, &x, 1) == 1 && x == 'x',
			"new connection: recv");
	}
	obs("listener accepts a new connection");
	close(c);
	close(s);
	close(b->cli);
	close(b->srv);
	close(b->lfd);
}

/* wait for the listener to have a connection to accept */
static int accept_within(int lfd, int ms)
{
	if (!(poll_until(lfd, POLLIN, ms) & POLLIN))
		return -1;
	return accept(lfd, NULL, NULL);
}

/* ---- an attack on an established connection ---- */

typedef uint32_t (*craft_fn)(struct hpeer *h);

/* Connect the hostile peer, accept it, send what @craft builds and check
 * that the accepted socket is reset, BadMessages moved and an AbortConn
 * came back. @prelude: first send one good DATA and read it (proves the
 * hostile peer speaks the protocol correctly). @want_abort: 0 when the
 * message breaks the transport itself (longer than the posted buffer: both
 * QPs go to the error state, so no AbortConn can come back).
 */
static void attack(const struct fam *f, craft_fn craft, int prelude,
		   int want_abort)
{
	struct timeval tv = { .tv_sec = 20 };
	struct hpeer h;
	struct bed b;
	struct w_hello hl;
	struct stat_snap snap;
	long long bad0, bad1;
	uint32_t len;
	char buf[256];
	int asrv;
	struct res r;

	bed_open(f, &b, 16);
	bad0 = stat_get("BadMessages");
	stat_snap(&snap);

	h_open(&h, b.port, 0);
	hello_good(&hl);
	REQUIRE(h_connect(&h, &hl, sizeof(hl)) == RDMA_CM_EVENT_ESTABLISHED,
		"connect: %s", rdma_event_str(h.ev));
	h_take_hello_ack(&h);
	asrv = accept_within(b.lfd, H_WAIT_MS);
	REQUIRE(asrv >= 0, "accept the hostile peer: %s", errname(errno));
	setsockopt(asrv, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	if (prelude) {
		len = h_build(&h, MID_DATA, 0, 5);
		REQUIRE(h_send_raw(&h, len) == IBV_WC_SUCCESS, "good DATA");
		h.mseq++;
		REQUIRE(recv_all(asrv, buf, 5) == 5 && !memcmp(buf, "abcde", 5),
			"the good DATA arrives");
	}

	len = craft(&h);
	diag("hostile: sending %u bytes: mid %#x flags %#x bufs %u len %u mseq %u ack %u",
	     len, h_hdr(&h)->mid, h_hdr(&h)->flags, ntohs(h_hdr(&h)->bufs),
	     ntohl(h_hdr(&h)->len), ntohl(h_hdr(&h)->mseq),
	     ntohl(h_hdr(&h)->mseq_ack));
	h_send_raw(&h, len);

	r = CALL(recv(asrv, buf, sizeof(buf), 0));
	obs("accepted socket recv: %ld %s", r.r, r.r < 0 ? errname(r.e) : "");
	CHECK(r.r == -1 && r.e == ECONNRESET,
	      "recv on the accepted socket: %ld %s, want -1 ECONNRESET", r.r,
	      r.r < 0 ? errname(r.e) : "");
	EXPECT_ERRNO("SO_ERROR afterwards", get_int_opt(asrv, SOL_SOCKET,
							 SO_ERROR), 0);
	bad1 = stat_wait_above("BadMessages", bad0, 2000);
	EXPECT_TRUE("BadMessages grew", bad1 > bad0);
	stat_diag_moved(&snap);
	if (want_abort) {
		if (!h.got_abort)
			h_poll(&h, 3000, 0, 1);
		EXPECT_TRUE("peer got an AbortConn", h.got_abort);
	}
	close(asrv);
	h_close(&h);
	bed_close(f, &b);
}

/* ---- the messages ---- */

static uint32_t craft_empty(struct hpeer *h)
{
	(void)h;
	return 0;
}

static uint32_t craft_trunc8(struct hpeer *h)
{
	h_build(h, MID_DATA, 0, 0);
	h_hdr(h)->len = htonl(8);
	return 8;
}

static uint32_t craft_trunc15(struct hpeer *h)
{
	h_build(h, MID_DATA, 0, 0);
	h_hdr(h)->len = htonl(15);
	return 15;
}

static uint32_t craft_len_larger(struct hpeer *h)
{
	uint32_t len = h_build(h, MID_DATA, 0, 32);

	h_hdr(h)->len = htonl(len + 100);
	return len;
}

static uint32_t craft_len_smaller(struct hpeer *h)
{
	uint32_t len = h_build(h, MID_DATA, 0, 32);

	h_hdr(h)->len = htonl(W_BSDH_LEN + 4);
	return len;
}

static uint32_t craft_len_below_bsdh(struct hpeer *h)
{
	uint32_t len = h_build(h, MID_DATA, 0, 32);

	h_hdr(h)->len = htonl(4);
	return len;
}

static uint32_t craft_len_huge(struct hpeer *h)
{
	uint32_t len = h_build(h, MID_DATA, 0, 32);

	h_hdr(h)->len = htonl(0xFFFFFFFFu);
	return len;
}

/* more bytes than the receive buffer the peer posted (its actrcvsz) */
static uint32_t craft_oversized(struct hpeer *h)
{
	uint32_t pay = h->peer_rcvsz + 64 - W_BSDH_LEN;

	REQUIRE(h->peer_rcvsz + 64 <= H_TX_SZ, "actrcvsz %u", h->peer_rcvsz);
	return h_build(h, MID_DATA, 0, pay);
}

static uint32_t craft_mid_0x42(struct hpeer *h)
{
	return h_build(h, 0x42, 0, 0);
}

static uint32_t craft_mid_0x0f(struct hpeer *h)
{
	return h_build(h, 0x0F, 0, 0);
}

static uint32_t craft_mid_0xfc(struct hpeer *h)
{
	return h_build(h, 0xFC, 0, 0);
}

static uint32_t craft_mid_hello(struct hpeer *h)
{
	return h_build(h, MID_HELLO, 0, 0);
}

static uint32_t craft_mid_hello_full(struct hpeer *h)
{
	struct w_hello hl;

	hello_good(&hl);
	hl.b.mseq = htonl(h->mseq + 1);
	memcpy(h_txbuf(h), &hl, sizeof(hl));
	return sizeof(hl);
}

/* a known id this connection never negotiated (no zero copy) */
static uint32_t craft_srcavail(struct hpeer *h)
{
	uint8_t *p = h_txbuf(h) + W_BSDH_LEN;
	uint32_t len = h_build(h, MID_SRCAVAIL, 0, 16);

	memset(p, 0, 16);
	p[3] = 0x40;		/* size 64 */
	p[7] = 0x12;		/* some rkey */
	p[15] = 0x80;		/* some address */
	return len;
}

static uint32_t craft_sendsm(struct hpeer *h)
{
	return h_build(h, MID_SENDSM, 0, 0);
}

/* write mode (offered in the Hello by the *_wr attacks) */
static uint32_t craft_wr_compl(struct hpeer *h)
{
	uint8_t *p = h_txbuf(h) + W_BSDH_LEN;
	uint32_t len = h_build(h, 0x05, 0, 4);

	memset(p, 0, 4);
	p[2] = 0x10;		/* size 4096: no SinkAvail was sent */
	return len;
}

static uint32_t craft_sink_cancel_ack(struct hpeer *h)
{
	return h_build(h, 0x0A, 0, 0);
}

static uint32_t craft_sinkavail(struct hpeer *h, uint32_t size)
{
	uint8_t *p = h_txbuf(h) + W_BSDH_LEN;
	uint32_t len = h_build(h, 0xFD, 0, 20);

	memset(p, 0, 20);
	p[0] = size >> 24;
	p[1] = size >> 16;
	p[2] = size >> 8;
	p[3] = size;
	p[7] = 0x12;		/* some rkey */
	p[15] = 0x80;		/* some address */
	return len;
}

/* more than one SinkAvail may advertise (1 MiB) */
static uint32_t craft_sinkavail_huge(struct hpeer *h)
{
	return craft_sinkavail(h, (1 << 20) + 1);
}

static uint32_t craft_sinkavail_empty(struct hpeer *h)
{
	return craft_sinkavail(h, 0);
}

static uint32_t craft_bad_flags(struct hpeer *h)
{
	return h_build(h, MID_DATA, 0x80, 8);
}

static uint32_t craft_oob_no_payload(struct hpeer *h)
{
	return h_build(h, MID_DATA, 0x01, 0);
}

static uint32_t craft_eor_stream(struct hpeer *h)
{
	return h_build(h, MID_DATA, 0x08, 8);
}

static uint32_t craft_payload_on_disconn(struct hpeer *h)
{
	return h_build(h, MID_DISCONN, 0, 10);
}

static uint32_t craft_bufs_absurd(struct hpeer *h)
{
	uint32_t len = h_build(h, MID_DATA, 0, 8);

	h_hdr(h)->bufs = htons(0xFFFF);
	return len;
}

static uint32_t craft_bufs_above_max(struct hpeer *h)
{
	uint32_t len = h_build(h, MID_DATA, 0, 8);

	h_hdr(h)->bufs = htons(4097);
	return len;
}

/* acknowledges a message the peer never sent: credits from nowhere */
static uint32_t craft_ack_unsent(struct hpeer *h)
{
	uint32_t len = h_build(h, MID_DATA, 0, 8);

	h_hdr(h)->mseq_ack = htonl(h->rx_mseq + 0x40000000u);
	return len;
}

static uint32_t craft_ack_plus_one(struct hpeer *h)
{
	uint32_t len = h_build(h, MID_DATA, 0, 8);

	h_hdr(h)->mseq_ack = htonl(h->rx_mseq + 1000);
	return len;
}

static uint32_t craft_mseq_skip(struct hpeer *h)
{
	uint32_t len = h_build(h, MID_DATA, 0, 8);

	h_hdr(h)->mseq = htonl(h->mseq + 5);
	return len;
}

static uint32_t craft_mseq_replay(struct hpeer *h)
{
	uint32_t len = h_build(h, MID_DATA, 0, 8);

	h_hdr(h)->mseq = htonl(h->mseq);	/* the one already sent */
	return len;
}

#define ATTACK_T(name, fn, pre, abort)			\
	TEST_SDP(name) { attack(f, fn, pre, abort); }
#define ATTACK(name, fn, pre)	ATTACK_T(name, fn, pre, 1)
/* the Hello offers write-mode zero copy, which the module takes */
#define ATTACK_WR(name, fn, pre)				\
	TEST_SDP(name)						\
	{							\
		h_caps = 0x02;					\
		attack(f, fn, pre, 1);				\
		h_caps = 0;					\
	}

ATTACK(empty_message, craft_empty, 0)
ATTACK(truncated_header_8, craft_trunc8, 0)
ATTACK(truncated_header_15, craft_trunc15, 1)
ATTACK(len_larger_than_received, craft_len_larger, 0)
ATTACK(len_smaller_than_received, craft_len_smaller, 1)
ATTACK(len_below_bsdh, craft_len_below_bsdh, 0)
ATTACK(len_huge, craft_len_huge, 0)
ATTACK_T(oversized_message, craft_oversized, 0, 0)
ATTACK(unknown_mid_0x42, craft_mid_0x42, 0)
ATTACK(unknown_mid_0x0f, craft_mid_0x0f, 1)
ATTACK(unknown_mid_0xfc, craft_mid_0xfc, 0)
ATTACK(hello_after_setup, craft_mid_hello, 0)
ATTACK(hello_after_setup_full, craft_mid_hello_full, 1)
ATTACK(srcavail_not_negotiated, craft_srcavail, 0)
ATTACK(sendsm_not_negotiated, craft_sendsm, 1)
ATTACK(wr_compl_not_negotiated, craft_wr_compl, 1)
ATTACK_WR(wr_compl_without_sinkavail_wr, craft_wr_compl, 1)
ATTACK_WR(sink_cancel_ack_unasked_wr, craft_sink_cancel_ack, 0)
ATTACK_WR(sinkavail_over_1mib_wr, craft_sinkavail_huge, 1)
ATTACK_WR(sinkavail_size_0_wr, craft_sinkavail_empty, 0)
ATTACK(unknown_flags, craft_bad_flags, 0)
ATTACK(oob_pres_without_payload, craft_oob_no_payload, 0)
ATTACK(eor_on_stream, craft_eor_stream, 1)
ATTACK(payload_on_disconn, craft_payload_on_disconn, 0)
ATTACK(credits_bufs_0xffff, craft_bufs_absurd, 0)
ATTACK(credits_bufs_4097, craft_bufs_above_max, 1)
ATTACK(credits_ack_unsent_far, craft_ack_unsent, 0)
ATTACK(credits_ack_unsent, craft_ack_plus_one, 1)
ATTACK(mseq_skipped, craft_mseq_skip, 0)
ATTACK(mseq_replayed, craft_mseq_replay, 1)

/* The control case: a hostile peer that behaves sends data and an
 * orderly DisConn; nothing counts as bad. Shows the cases above fail for
 * the message they craft, not for the way this program speaks.
 */
TEST_SDP(control_good_peer)
{
	struct timeval tv = { .tv_sec = 20 };
	struct hpeer h;
	struct bed b;
	struct w_hello hl;
	long long bad0;
	uint32_t len;
	char buf[64];
	int asrv;

	bed_open(f, &b, 16);
	bad0 = stat_get("BadMessages");
	h_open(&h, b.port, 0);
	hello_good(&hl);
	REQUIRE(h_connect(&h, &hl, sizeof(hl)) == RDMA_CM_EVENT_ESTABLISHED,
		"connect: %s", rdma_event_str(h.ev));
	h_take_hello_ack(&h);
	asrv = accept_within(b.lfd, H_WAIT_MS);
	REQUIRE(asrv >= 0, "accept: %s", errname(errno));
	setsockopt(asrv, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	len = h_build(&h, MID_DATA, 0, 26);
	EXPECT_EQ("DATA send status", h_send_raw(&h, len), IBV_WC_SUCCESS);
	h.mseq++;
	EXPECT_VAL("recv 26", recv_all(asrv, buf, 26), 26);
	EXPECT_TRUE("payload intact", !memcmp(buf, "abcdefghijklmnopqrstuvwxyz",
					      26));
	EXPECT_VAL("send 3 to the peer", send(asrv, "xyz", 3, 0), 3);
	h_poll(&h, 2000, 0, 0);
	EXPECT_TRUE("peer received DATA", h.rx_msgs >= 1);
	len = h_build(&h, MID_DISCONN, 0, 0);
	EXPECT_EQ("DisConn send status", h_send_raw(&h, len), IBV_WC_SUCCESS);
	h.mseq++;
	EXPECT_VAL("recv after DisConn (EOF)", recv(asrv, buf, sizeof(buf), 0), 0);
	EXPECT_EQ("BadMessages unchanged", stat_get("BadMessages") - bad0, 0);
	close(asrv);
	h_close(&h);
	bed_close(f, &b);
}

/* ---- a bad message before the connection is up (no RTU) ---- */

/* The hostile QP goes to RTS on the REP, but the RTU is never sent: the
 * passive side is still in set-up (SYN_RECV) when the bad message comes.
 * The child must go away without reaching accept(), count the message,
 * and give its place in the backlog back: with backlog 1, three such
 * attempts in a row must not lock the listener.
 */
TEST_SDP_T(bad_message_before_rtu, 120)
{
	struct bed b;
	int i;

	bed_open(f, &b, 1);
	for (i = 0; i < 3; i++) {
		struct w_hello hl;
		struct hpeer h;
		long long bad0 = stat_get("BadMessages"), bad1;
		enum rdma_cm_event_type ev;
		uint32_t len;
		int fd;

		h_open(&h, b.port, 1);
		hello_good(&hl);
		ev = h_connect(&h, &hl, sizeof(hl));
		REQUIRE(ev == RDMA_CM_EVENT_CONNECT_RESPONSE,
			"attempt %d: connect: %s", i, rdma_event_str(ev));
		h_take_hello_ack(&h);
		h_modify(&h, IBV_QPS_RTR);
		h_modify(&h, IBV_QPS_RTS);
		len = h_build(&h, 0x42, 0, 0);
		h_send_raw(&h, len);
		bad1 = stat_wait_above("BadMessages", bad0, 3000);
		CHECK(bad1 > bad0, "attempt %d: BadMessages %lld -> %lld", i,
		      bad0, bad1);
		/* the passive side gives up: REJ (or a disconnect) */
		if (h_next_event(&h, H_WAIT_MS))
			FAIL("attempt %d: no rdma_cm event after the bad message",
			     i);
		else
			CHECK(h.ev == RDMA_CM_EVENT_REJECTED ||
			      h.ev == RDMA_CM_EVENT_DISCONNECTED ||
			      h.ev == RDMA_CM_EVENT_CONNECT_ERROR,
			      "attempt %d: event %s", i, rdma_event_str(h.ev));
		set_nonblock(b.lfd, 1);
		fd = accept(b.lfd, NULL, NULL);
		CHECK(fd < 0 && errno == EAGAIN,
		      "attempt %d: accept() returned %d (%s)", i, fd,
		      fd < 0 ? errname(errno) : "a socket");
		if (fd >= 0)
			close(fd);
		set_nonblock(b.lfd, 0);
		h_close(&h);
		sleep_ms(300);	/* the child's teardown is asynchronous */
	}
	EXPECT_TRUE("every attempt counted and rejected", !test_failed());
	bed_close(f, &b);
}

/* ---- a bad Hello at connect time ---- */

/* connect with @hl (@len bytes of it); expect a REJ with @reason */
static void bad_hello(const struct fam *f, const struct w_hello *hl,
		      uint8_t len, int reason)
{
	struct hpeer h;
	struct bed b;
	long long bad0, bad1;
	enum rdma_cm_event_type ev;
	struct w_rej rej;
	int fd;

	bed_open(f, &b, 16);
	bad0 = stat_get("BadMessages");
	h_open(&h, b.port, 0);
	ev = h_connect(&h, hl, len);
	EXPECT_STR("connect", rdma_event_str(ev),
		   rdma_event_str(RDMA_CM_EVENT_REJECTED));
	if (ev == RDMA_CM_EVENT_REJECTED) {
		REQUIRE(h.ev_priv_len >= sizeof(rej),
			"REJ private data: %u bytes", h.ev_priv_len);
		memcpy(&rej, h.ev_priv, sizeof(rej));
		EXPECT_EQ("REJ reason", rej.reason, reason);
		EXPECT_EQ("REJ version", rej.version, W_VERSION);
	}
	bad1 = stat_wait_above("BadMessages", bad0, 2000);
	EXPECT_TRUE("BadMessages grew", bad1 > bad0);
	set_nonblock(b.lfd, 1);
	fd = accept(b.lfd, NULL, NULL);
	EXPECT_TRUE("no child to accept", fd < 0 && errno == EAGAIN);
	if (fd >= 0)
		close(fd);
	set_nonblock(b.lfd, 0);
	h_close(&h);
	bed_close(f, &b);
}

#define BAD_HELLO(name, reason, ...)				\
	TEST_SDP(name)						\
	{							\
		struct w_hello hl;				\
		uint8_t len = sizeof(hl);			\
								\
		hello_good(&hl);				\
		__VA_ARGS__;					\
		bad_hello(f, &hl, len, reason);			\
	}

BAD_HELLO(hello_version_3, REJ_VERSION, hl.version = 0x30)
BAD_HELLO(hello_version_1, REJ_VERSION, hl.version = 0x11)
BAD_HELLO(hello_wrong_mid, REJ_BAD_HELLO, hl.b.mid = MID_DATA)
BAD_HELLO(hello_bsdh_len, REJ_BAD_HELLO, hl.b.len = htonl(200))
BAD_HELLO(hello_mseq, REJ_BAD_HELLO, hl.b.mseq = htonl(7))
BAD_HELLO(hello_bufs_0, REJ_BAD_HELLO, hl.b.bufs = 0)
BAD_HELLO(hello_bufs_0xffff, REJ_BAD_HELLO, hl.b.bufs = htons(0xFFFF))
BAD_HELLO(hello_ipv_9, REJ_BAD_HELLO, hl.ipv = 9)
BAD_HELLO(hello_rcvsz_16, REJ_BAD_HELLO, hl.localrcvsz = htonl(16))
BAD_HELLO(hello_rcvsz_0, REJ_BAD_HELLO, hl.localrcvsz = 0)
BAD_HELLO(hello_rcvsz_4g, REJ_BAD_HELLO, hl.localrcvsz = htonl(0xFFFFFFFFu))
BAD_HELLO(hello_desremrcvsz_huge, REJ_BAD_HELLO,
	  hl.desremrcvsz = htonl(0x7FFFFFFFu))
BAD_HELLO(hello_unknown_caps, REJ_CAPS, hl.caps = htonl(0x80))
BAD_HELLO(hello_short, REJ_BAD_HELLO, len = 20)
/* all zero: mid Hello, version 0: the version is judged first */
BAD_HELLO(hello_empty, REJ_VERSION, len = 0)

/* ---- SOCK_SEQPACKET: records on a MSG_BOUNDARY connection ---- */

#define CAP_MSG_BOUNDARY	0x04
#define F_EOR			0x08
#define W_RECHDR_LEN		12	/* ppid, context, stream, rsvd */

/* a one-to-many server and a bystander association to it */
struct sqbed {
	int srv, cli;
	uint16_t port;
	struct sockaddr_in sa;
	int n;
};

static int sq_open(const struct fam *f)
{
	struct timeval tv = { .tv_sec = 20 };
	int fd = socket(f->family, SOCK_SEQPACKET, 0);

	REQUIRE(fd >= 0, "socket(SOCK_SEQPACKET): %s", errname(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/* one message @fd -> @to, received whole (MSG_EOR) at @rfd; returns the
 * sender's address as @rfd saw it in @from
 */
static void sq_exchange(int fd, const struct sockaddr_in *to, int rfd,
			struct sockaddr_in *from, const char *what)
{
	char msg[64], buf[128];
	struct sockaddr_in f;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m = { .msg_name = &f, .msg_namelen = sizeof(f),
			    .msg_iov = &iov, .msg_iovlen = 1 };
	int len = snprintf(msg, sizeof(msg), "%s", what);
	ssize_t n;

	n = sendto(fd, msg, len, MSG_NOSIGNAL, (const struct sockaddr *)to,
		   sizeof(*to));
	REQUIRE(n == len, "%s: sendto: %zd %s", what, n, errname(errno));
	n = recvmsg(rfd, &m, 0);
	REQUIRE(n == len && !memcmp(buf, msg, len) && (m.msg_flags & MSG_EOR),
		"%s: recvmsg: %zd %s flags %#x", what, n,
		n < 0 ? errname(errno) : "", m.msg_flags);
	if (from)
		*from = f;
}

static void sq_bed_check(struct sqbed *b, const char *when)
{
	struct sockaddr_in from;
	char what[96];

	snprintf(what, sizeof(what), "bystander %s, client->server", when);
	sq_exchange(b->cli, &b->sa, b->srv, &from, what);
	snprintf(what, sizeof(what), "bystander %s, server->client", when);
	sq_exchange(b->srv, &from, b->cli, NULL, what);
}

static void sq_bed_open(const struct fam *f, struct sqbed *b)
{
	memset(b, 0, sizeof(*b));
	b->srv = sq_open(f);
	b->sa = sin_local(0);
	REQUIRE(!bind(b->srv, (struct sockaddr *)&b->sa, sizeof(b->sa)),
		"bind: %s", errname(errno));
	REQUIRE(!listen(b->srv, 16), "listen: %s", errname(errno));
	b->port = t_port_of(b->srv);
	b->sa.sin_port = htons(b->port);
	b->cli = sq_open(f);
	sq_bed_check(b, "before the attack");
}

static void sq_bed_close(const struct fam *f, struct sqbed *b)
{
	int c;

	sq_bed_check(b, "after the attack");
	obs("bystander association still carries messages");
	c = sq_open(f);
	sq_exchange(c, &b->sa, b->srv, NULL, "a new association");
	obs("the one-to-many socket takes a new association");
	close(c);
	close(b->cli);
	close(b->srv);
}

/* The hostile peer joins a one-to-many socket with MSG_BOUNDARY, sends
 * one good record (proving it speaks records), then @paylen payload bytes
 * with @flags; its association must be aborted, BadMessages must move,
 * and the other association must not notice.
 */
static void sq_attack(const struct fam *f, uint8_t flags, uint32_t paylen)
{
	struct stat_snap snap;
	struct w_hello hl;
	struct sqbed b;
	struct hpeer h;
	long long bad0, bad1;
	uint32_t len;
	char buf[64];
	ssize_t n;

	sq_bed_open(f, &b);
	bad0 = stat_get("BadMessages");
	stat_snap(&snap);
	h_open(&h, b.port, 0);
	hello_good(&hl);
	hl.caps = htonl(CAP_MSG_BOUNDARY);
	REQUIRE(h_connect(&h, &hl, sizeof(hl)) == RDMA_CM_EVENT_ESTABLISHED,
		"connect: %s", rdma_event_str(h.ev));
	h_take_hello_ack(&h);

	/* a good record: an all-zero record header, then "abcde" */
	len = h_build(&h, MID_DATA, F_EOR, W_RECHDR_LEN + 5);
	memset(h_txbuf(&h) + W_BSDH_LEN, 0, W_RECHDR_LEN);
	memcpy(h_txbuf(&h) + W_BSDH_LEN + W_RECHDR_LEN, "abcde", 5);
	REQUIRE(h_send_raw(&h, len) == IBV_WC_SUCCESS, "good record");
	h.mseq++;
	n = recv(b.srv, buf, sizeof(buf), 0);
	REQUIRE(n == 5 && !memcmp(buf, "abcde", 5),
		"the good record arrives: %zd %s", n, n < 0 ? errname(errno) : "");

	len = h_build(&h, MID_DATA, flags, paylen);
	if ((flags & 0x01) && paylen >= W_RECHDR_LEN)	/* a good header */
		memset(h_txbuf(&h) + W_BSDH_LEN, 0, W_RECHDR_LEN);
	diag("hostile: sending %u bytes: flags %#x payload %u", len, flags,
	     paylen);
	h_send_raw(&h, len);
	bad1 = stat_wait_above("BadMessages", bad0, 2000);
	EXPECT_TRUE("BadMessages grew", bad1 > bad0);
	stat_diag_moved(&snap);
	if (!h.got_abort)
		h_poll(&h, 3000, 0, 1);
	EXPECT_TRUE("peer got an AbortConn", h.got_abort);
	/* nothing of the bad record reaches the reader */
	n = recv(b.srv, buf, sizeof(buf), MSG_DONTWAIT);
	CHECK(n < 0 && errno == EAGAIN, "recv after the attack: %zd %s", n,
	      n < 0 ? errname(errno) : "");
	h_close(&h);
	sq_bed_close(f, &b);
}

/* shorter than a record header */
TEST_SDP(seqpacket_record_header_short) { sq_attack(f, F_EOR, 5); }
/* a record header whose reserved bytes are not 0 (h_build's 'k', 'l') */
TEST_SDP(seqpacket_record_header_rsvd) { sq_attack(f, F_EOR, 16); }
/* urgent data has no place in records */
TEST_SDP(seqpacket_oob_pres) { sq_attack(f, F_EOR | 0x01, 16); }

/*
 * A Hello with MSG_BOUNDARY names the port of the peer's one-to-many
 * socket (src_port, its bytes 32-33), which the listener takes as the
 * association's peer port. The hostile peer claims (1) the port of the
 * bystander's established association: its association must be reset
 * and its record never delivered, the bystander untouched; (2) port 80,
 * below 1024: its association is known by its own rdma_cm port instead.
 */
static void sq_claim(struct sqbed *b, uint16_t port, const char *what,
		     struct sockaddr_in *from)
{
	struct w_hello hl;
	struct hpeer h;
	struct iovec iov;
	struct msghdr m;
	uint32_t len;
	char buf[64];
	ssize_t n;

	h_open(&h, b->port, 0);
	hello_good(&hl);
	hl.caps = htonl(CAP_MSG_BOUNDARY);
	hl.rsvd[0] = port >> 8;
	hl.rsvd[1] = port & 0xff;
	REQUIRE(h_connect(&h, &hl, sizeof(hl)) == RDMA_CM_EVENT_ESTABLISHED,
		"%s: connect: %s", what, rdma_event_str(h.ev));
	h_take_hello_ack(&h);
	len = h_build(&h, MID_DATA, F_EOR, W_RECHDR_LEN + 5);
	memset(h_txbuf(&h) + W_BSDH_LEN, 0, W_RECHDR_LEN);
	memcpy(h_txbuf(&h) + W_BSDH_LEN + W_RECHDR_LEN, "claim", 5);
	h_send_raw(&h, len);
	h.mseq++;
	iov = (struct iovec){ buf, sizeof(buf) };
	m = (struct msghdr){ .msg_name = from, .msg_namelen = sizeof(*from),
			     .msg_iov = &iov, .msg_iovlen = 1 };
	if (!from) {
		/* the claim must be refused: a reset, and no record */
		h_poll(&h, 3000, 0, 1);
		EXPECT_TRUE("claimed port: the association is reset", h.got_abort);
		n = recv(b->srv, buf, sizeof(buf), MSG_DONTWAIT);
		CHECK(n < 0 && errno == EAGAIN,
		      "claimed port: the record reached the reader (%zd %s)", n,
		      n < 0 ? errname(errno) : "");
	} else {
		n = recvmsg(b->srv, &m, 0);
		REQUIRE(n == 5 && !memcmp(buf, "claim", 5),
			"%s: the record arrives: %zd %s", what, n,
			n < 0 ? errname(errno) : "");
	}
	h_close(&h);
}

TEST_SDP(seqpacket_claimed_port)
{
	struct sockaddr_in by, low;
	struct sqbed b;

	sq_bed_open(f, &b);
	sq_exchange(b.cli, &b.sa, b.srv, &by, "the bystander's address");
	diag("bystander seen from port %u", ntohs(by.sin_port));
	REQUIRE(ntohs(by.sin_port) >= 1024, "bystander on port %u",
		ntohs(by.sin_port));
	sq_claim(&b, ntohs(by.sin_port), "the bystander's port", NULL);
	obs("a Hello claiming a live association's port: reset");
	memset(&low, 0, sizeof(low));
	sq_claim(&b, 80, "port 80", &low);
	diag("port 80 claimed: seen from port %u", ntohs(low.sin_port));
	EXPECT_TRUE("a claimed port below 1024 is not taken",
		    ntohs(low.sin_port) != 80 && ntohs(low.sin_port) != 0);
	/* the bystander's messages still go to it, and come from it */
	sq_bed_close(f, &b);
}

/* a Hello that does not match the listener's socket type is refused */
static void sq_wrong_kind(const struct fam *f, int seqpacket)
{
	struct w_hello hl;
	struct hpeer h;
	struct w_rej rej;
	enum rdma_cm_event_type ev;
	struct sqbed sb;
	struct bed b;
	uint16_t port;

	if (seqpacket) {
		sq_bed_open(f, &sb);
		port = sb.port;
	} else {
		bed_open(f, &b, 16);
		port = b.port;
	}
	h_open(&h, port, 0);
	hello_good(&hl);
	if (!seqpacket)
		hl.caps = htonl(CAP_MSG_BOUNDARY);
	ev = h_connect(&h, &hl, sizeof(hl));
	EXPECT_STR("connect", rdma_event_str(ev),
		   rdma_event_str(RDMA_CM_EVENT_REJECTED));
	if (ev == RDMA_CM_EVENT_REJECTED) {
		REQUIRE(h.ev_priv_len >= sizeof(rej),
			"REJ private data: %u bytes", h.ev_priv_len);
		memcpy(&rej, h.ev_priv, sizeof(rej));
		EXPECT_EQ("REJ reason", rej.reason, REJ_CAPS);
	}
	h_close(&h);
	if (seqpacket)
		sq_bed_close(f, &sb);
	else
		bed_close(f, &b);
}

TEST_SDP(seqpacket_listener_refuses_stream_hello) { sq_wrong_kind(f, 1); }
TEST_SDP(stream_listener_refuses_record_hello) { sq_wrong_kind(f, 0); }

int main(int argc, char **argv)
{
	/* SDP only: there is no TCP counterpart to a hostile SDP peer */
	return harness_main(argc, argv);
}
