// SPDX-License-Identifier: GPL-2.0
/*
 * sdp session engine: one RDMA connection (RC QP, one CQ, two rings).
 *
 * Locking model (one rule, no exceptions):
 *
 *  - Everything in struct sdp_conn is protected by the owning socket's
 *    lock, lock_sock(conn->sk). Process context (socket calls), the CQ
 *    work and the rdma_cm event handlers all take it; all of them may
 *    sleep. There is no softirq path: the CQ's completion callback only
 *    queues conn->cq_work on sdp_wq, which polls the CQ under lock_sock,
 *    or, when a socket call sleeps waiting for the CQ (a reader for data,
 *    a sender for credits), wakes that call, which polls it itself.
 *  - Lock order: rdma_cm's handler_mutex (held around our event handler)
 *    before lock_sock. So code holding lock_sock never calls an rdma_cm
 *    function that takes handler_mutex (rdma_connect, rdma_destroy_id,
 *    rdma_accept outside a handler); those run from event handlers
 *    (rdma_connect_locked, rdma_accept) or from conn->destroy_work, which
 *    holds no socket lock.
 *  - A listener's accept queue is protected by the listener's lock; a
 *    child is never locked while its listener's lock is held.
 *
 * Lifetime: a conn starts with two references, the "base" one dropped by
 * destroy_work once the RDMA side is torn down, and the "socket" one
 * dropped when the owning socket lets go of it (close, or a child that is
 * never accepted). The conn holds a reference on its socket until it is
 * freed, so an orphaned socket lives as long as its connection finishes.
 * Teardown waits for posted sends to complete, disconnects, drains the QP,
 * destroys QP, cm_id and CQ in that order, then unmaps the rings (of the
 * send ring only the slots that were given a buffer, see tx.c).
 */
#include <linux/slab.h>
#include <linux/delay.h>

#include "sdp.h"
#define CREATE_TRACE_POINTS
#include "trace.h"

DEFINE_SPINLOCK(sdp_conns_lock);
LIST_HEAD(sdp_conns);

static void sdp_cq_work(struct work_struct *work);
static void sdp_destroy_work(struct work_struct *work);
static void sdp_timer_work(struct work_struct *work);
static void sdp_persist_work(struct work_struct *work);

struct sdp_conn *sdp_conn_alloc(struct sock *sk, gfp_t gfp)
{
	struct sdp_conn *conn;

	conn = kzalloc(sizeof(*conn), gfp);
	if (!conn)
		return NULL;
	refcount_set(&conn->ref, 2);	/* base + socket */
	sock_hold(sk);
	conn->sk = sk;
	INIT_LIST_HEAD(&conn->accept_node);
	INIT_WORK(&conn->cq_work, sdp_cq_work);
	INIT_WORK(&conn->destroy_work, sdp_destroy_work);
	INIT_DELAYED_WORK(&conn->timer_work, sdp_timer_work);
	INIT_DELAYED_WORK(&conn->persist_work, sdp_persist_work);
	skb_queue_head_init(&conn->rxq);
	skb_queue_head_init(&conn->txq);
	sdp_urg_init(&conn->urg);
	conn->state = TCP_CLOSE;
	conn->last_rx_jiffies = jiffies;
	spin_lock_bh(&sdp_conns_lock);
	list_add_tail(&conn->all_node, &sdp_conns);
	spin_unlock_bh(&sdp_conns_lock);
	return conn;
}

void sdp_conn_get(struct sdp_conn *conn)
{
	refcount_inc(&conn->ref);
}

static void sdp_free_ring(struct sdp_conn *conn, struct sdp_buf *ring,
			  u32 n, enum dma_data_direction dir, u32 size)
{
	u32 i;

	if (!ring)
		return;
	for (i = 0; i < n; i++) {
		if (!ring[i].data)
			continue;
		if (conn->pd && ring[i].dma)
			ib_dma_unmap_single(conn->pd->device, ring[i].dma,
					    size, dir);
		kfree(ring[i].data);
	}
	kfree(ring);
}

static void sdp_conn_free_rings(struct sdp_conn *conn)
{
	sdp_free_ring(conn, conn->rx_ring, conn->rx_depth, DMA_FROM_DEVICE,
		      conn->rx_size);
	conn->rx_ring = NULL;
	sdp_free_ring(conn, conn->tx_ring, conn->tx_depth, DMA_TO_DEVICE,
		      conn->tx_size);
	conn->tx_ring = NULL;
	conn->tx_bufs = 0;
	sdp_free_ring(conn, conn->ctl_ring, SDP_CTL_SLOTS, DMA_TO_DEVICE,
		      SDP_CTL_SIZE);
	conn->ctl_ring = NULL;
}

void sdp_conn_put(struct sdp_conn *conn)
{
	struct sock *sk = conn->sk;

	if (!refcount_dec_and_test(&conn->ref))
		return;
	spin_lock_bh(&sdp_conns_lock);
	list_del(&conn->all_node);
	spin_unlock_bh(&sdp_conns_lock);
	sdp_port_release(&conn->bind);
	skb_queue_purge(&conn->rxq);
	skb_queue_purge(&conn->txq);
	if (conn->pd)
		sdp_zc_teardown(conn);
	sdp_conn_free_rings(conn);
	if (conn->pd)
		ib_dealloc_pd(conn->pd);
	if (conn->listener)
		sock_put(conn->listener);
	kfree(conn);
	sock_put(sk);
}

/* Give ring slot @b a buffer of @size bytes, mapped for @dir. The send
 * ring gets its buffers this way one at a time, when sendmsg first needs
 * one (tx.c), the receive ring as it grows (rx.c); the control ring all
 * at once, at set-up.
 */
int sdp_buf_map(struct sdp_conn *conn, struct sdp_buf *b, u32 size,
		enum dma_data_direction dir, gfp_t gfp)
{
	struct ib_device *dev = conn->pd->device;
	void *data;
	u64 dma;

	data = kmalloc(size, gfp);
	if (!data)
		return -ENOMEM;
	dma = ib_dma_map_single(dev, data, size, dir);
	if (ib_dma_mapping_error(dev, dma)) {
		kfree(data);
		return -ENOMEM;
	}
	b->data = data;
	b->dma = dma;
	return 0;
}

/* @bufs: give every slot its buffer now, else leave them to sdp_buf_map */
static int sdp_alloc_ring(struct sdp_conn *conn, struct sdp_buf **ringp,
			  u32 n, u32 size, enum dma_data_direction dir,
			  void (*done)(struct ib_cq *cq, struct ib_wc *wc),
			  bool bufs)
{
	struct sdp_buf *ring;
	u32 i;
	int err;

	ring = kcalloc(n, sizeof(*ring), GFP_KERNEL);
	if (!ring)
		return -ENOMEM;
	*ringp = ring;
	for (i = 0; i < n; i++) {
		ring[i].conn = conn;
		ring[i].cqe.done = done;
		if (!bufs)
			continue;
		err = sdp_buf_map(conn, &ring[i], size, dir, GFP_KERNEL);
		if (err)
			return err;
	}
	return 0;
}

/* Atomic context (rxe: a tasklet). A socket call asleep between
 * sdp_conn_wait_begin() and _end() polls the CQ when it wakes, so waking
 * it saves the hop through a kworker; it holds the socket, so sk_wq is
 * there. Else the CQ work polls.
 */
static void sdp_cq_comp(struct ib_cq *cq, void *ctx)
{
	struct sdp_conn *conn = ctx;
	struct socket_wq *wq;

	clear_bit(SDP_CF_ARMED, &conn->flags);
	set_bit(SDP_CF_CQ_PENDING, &conn->flags);
	/* PENDING before cq_waiters is read; pairs with sdp_conn_wait_end() */
	smp_mb__after_atomic();
	if (!atomic_read(&conn->cq_waiters)) {
		queue_work(sdp_wq, &conn->cq_work);
		return;
	}
	rcu_read_lock();
	wq = rcu_dereference(conn->sk->sk_wq);
	if (wq)
		wake_up_interruptible_all(&wq->wait);
	else
		queue_work(sdp_wq, &conn->cq_work);
	rcu_read_unlock();
}

/* Around a socket call's sleep (under lock_sock, released while asleep):
 * completions that arrive meanwhile wake it (sdp_cq_comp), and it polls
 * the CQ when it is back. Its wait condition includes
 * sdp_conn_cq_pending(), so a handler that ran before it was on the wait
 * queue does not leave it asleep. A completion that came between the
 * handler's look at cq_waiters and _end's is polled by one of them or by
 * both.
 */
void sdp_conn_wait_begin(struct sdp_conn *conn)
{
	atomic_inc(&conn->cq_waiters);
	/* counted before the wait condition looks at PENDING */
	smp_mb__after_atomic();
}

void sdp_conn_wait_end(struct sdp_conn *conn)
{
	atomic_dec(&conn->cq_waiters);
	/* uncounted before PENDING is read; pairs with sdp_cq_comp() */
	smp_mb__after_atomic();
	if (sdp_conn_cq_pending(conn))
		sdp_conn_poll(conn);
}

/* ask for the completion handler on the next completion */
static int sdp_cq_arm(struct sdp_conn *conn, enum ib_cq_notify_flags flags)
{
	set_bit(SDP_CF_ARMED, &conn->flags);
	return ib_req_notify_cq(conn->cq, flags);
}

static void sdp_cq_event(struct ib_event *ev, void *ctx)
{
	pr_debug("sdp: cq event %d\n", ev->event);
}

static void sdp_qp_event(struct ib_event *ev, void *ctx)
{
	struct sdp_conn *conn = ctx;

	/* Data reached the passive side before the RTU: tell rdma_cm, so that
	 * the connection is established now rather than when the CM gives up
	 * waiting for the RTU. Atomic context; conn->id outlives the QP.
	 */
	if (ev->event == IB_EVENT_COMM_EST && conn->id)
		rdma_notify(conn->id, IB_EVENT_COMM_EST);
	else
		pr_debug("sdp: qp event %d\n", ev->event);
}

/* Create PD, CQ, QP and the receive ring on the device rdma_cm resolved
 * for conn->id, and post every receive buffer. Called from an rdma_cm
 * event handler (ROUTE_RESOLVED or CONNECT_REQUEST) under lock_sock.
 */
int sdp_conn_setup_qp(struct sdp_conn *conn, u32 peer_rcvsz, u16 peer_bufs)
{
	struct sdp_net *sn = sdp_net(sock_net(conn->sk));
	struct ib_device *dev = conn->id->device;
	struct ib_cq_init_attr cq_attr = {};
	struct ib_qp_init_attr qp_attr = {};
	u32 inl;
	int err;

	conn->rx_depth = clamp_t(u32, READ_ONCE(sn->sysctl.rx_depth), 4,
				 SDP_MAX_BUFS);
	conn->rx_size = clamp_t(u32, READ_ONCE(sn->sysctl.rcvsz),
				SDP_MIN_RCVSZ, SDP_MAX_RCVSZ);
	conn->pd = ib_alloc_pd(dev, 0);
	if (IS_ERR(conn->pd)) {
		err = PTR_ERR(conn->pd);
		conn->pd = NULL;
		return err;
	}
	cq_attr.cqe = conn->rx_depth + SDP_MAX_TX + SDP_CTL_SLOTS +
		      SDP_ZC_SEGS + 8;
	cq_attr.comp_vector = 0;
	conn->cq = ib_create_cq(dev, sdp_cq_comp, sdp_cq_event, conn,
				&cq_attr);
	if (IS_ERR(conn->cq)) {
		err = PTR_ERR(conn->cq);
		conn->cq = NULL;
		return err;
	}
	qp_attr.event_handler = sdp_qp_event;
	qp_attr.qp_context = conn;
	qp_attr.send_cq = conn->cq;
	qp_attr.recv_cq = conn->cq;
	/* + the READs of one SrcAvail and its registration, or a WRITE and
	 * its registration and a SinkAvail's registration (zcopy.c)
	 */
	qp_attr.cap.max_send_wr = SDP_MAX_TX + SDP_CTL_SLOTS + SDP_ZC_SEGS + 4;
	qp_attr.cap.max_recv_wr = conn->rx_depth + 1;
	conn->zc_sge = clamp_t(u32, dev->attrs.max_send_sge, 1, SDP_ZC_SGE);
	qp_attr.cap.max_send_sge = conn->zc_sge;
	qp_attr.cap.max_recv_sge = 1;
	qp_attr.cap.max_inline_data = READ_ONCE(sn->sysctl.inline_thresh);
	qp_attr.sq_sig_type = IB_SIGNAL_ALL_WR;
	qp_attr.qp_type = IB_QPT_RC;
	/* a device may do less inline data than asked: halve until it fits */
	inl = qp_attr.cap.max_inline_data;
	for (;;) {
		err = rdma_create_qp(conn->id, conn->pd, &qp_attr);
		if (!err || !qp_attr.cap.max_inline_data)
			break;
		qp_attr.cap.max_inline_data /= 2;
		if (qp_attr.cap.max_inline_data < SDP_BSDH_LEN)
			qp_attr.cap.max_inline_data = 0;
	}
	if (err)
		return err;
	conn->qp = conn->id->qp;
	/* the device reports what it can do, which may be more than asked:
	 * net.sdp.inline_thresh stays the limit (0: never inline)
	 */
	conn->max_inline = min_t(u32, qp_attr.cap.max_inline_data, inl);
	set_bit(SDP_CF_QP_READY, &conn->flags);

	/* receive slots get their buffers as the ring grows (rx.c) */
	err = sdp_alloc_ring(conn, &conn->rx_ring, conn->rx_depth,
			     conn->rx_size, DMA_FROM_DEVICE, sdp_rx_done, false);
	if (err)
		return err;
	err = sdp_alloc_ring(conn, &conn->ctl_ring, SDP_CTL_SLOTS,
			     SDP_CTL_SIZE, DMA_TO_DEVICE, sdp_tx_done, true);
	if (err)
		return err;
	sdp_cq_arm(conn, IB_CQ_NEXT_COMP);
	conn->rx_want = min_t(u32, SDP_RX_INITIAL, conn->rx_depth);
	err = sdp_rx_fill(conn);
	if (err)
		return err;
	if (peer_rcvsz)
		return sdp_conn_set_peer(conn, peer_rcvsz, peer_bufs);
	return 0;
}

/* the peer's Hello / HelloAck told us its buffer size and count */
int sdp_conn_set_peer(struct sdp_conn *conn, u32 peer_rcvsz, u16 peer_bufs)
{
	struct sock *sk = conn->sk;
	u32 depth;

	conn->tx_size = min_t(u32, peer_rcvsz, SDP_MAX_TX_SIZE);
	depth = READ_ONCE(sk->sk_sndbuf) / conn->tx_size;
	conn->tx_depth = clamp_t(u32, depth, 4, SDP_MAX_TX);
	conn->tx_credits = peer_bufs;
	conn->tx_mseq = 0;
	conn->tx_bufs = 0;
	conn->tx_nomem = false;
	/* the slots get their buffers when sendmsg first needs them */
	return sdp_alloc_ring(conn, &conn->tx_ring, conn->tx_depth,
			      conn->tx_size, DMA_TO_DEVICE, sdp_tx_done, false);
}

void sdp_conn_set_state(struct sdp_conn *conn, int state)
{
	struct sock *sk = conn->sk;

	trace_sdp_state(conn, conn->state, state);
	conn->state = state;
	if (state == TCP_ESTABLISHED)
		set_bit(SDP_CF_WAS_UP, &conn->flags);
	/* the port table: an established connection holds its local port,
	 * one that we closed first keeps holding it in TIME_WAIT. Not an
	 * association a one-to-many socket set up: the socket holds its
	 * port (which it may still listen on), and, as SCTP, there is no
	 * TIME_WAIT
	 */
	if (state == TCP_ESTABLISHED && !conn->bind.listed &&
	    !(conn->boundary && !conn->listener)) {
		sdp_bind_init(&conn->bind, sk, &conn->local, SDP_BIND_CONN);
		sdp_port_claim(&conn->bind, false);
	} else if (state == TCP_CLOSE && conn->bind.listed) {
		if (test_bit(SDP_CF_TIMEWAIT, &conn->flags))
			sdp_port_timewait(&conn->bind);
		else
			sdp_port_release(&conn->bind);
	}
	/* a stream socket's state is its one connection's, and so is an
	 * association's (SOCK_SEQPACKET)
	 */
	if (sk->sk_type == SOCK_STREAM || sdp_sk(sk)->conn == conn)
		WRITE_ONCE(sk->sk_state, state);
}

/* Poll the CQ and run each completion's done callback, then push what the
 * new credits allow. @arm: ask for the completion handler once the CQ is
 * empty (a busy-polling reader does not, until it stops). Under lock_sock.
 */
static void __sdp_conn_poll(struct sdp_conn *conn, bool arm)
{
	struct ib_wc *wc = conn->wc;
	int n, i, budget = 512;

	clear_bit(SDP_CF_CQ_PENDING, &conn->flags);
	/* cleared before the CQ is read: a handler that runs later sets it */
	smp_mb__after_atomic();
	if (!conn->cq)
		return;
	do {
		n = ib_poll_cq(conn->cq, SDP_POLL_BATCH, wc);
		for (i = 0; i < n; i++)
			wc[i].wr_cqe->done(conn->cq, &wc[i]);
		if (n < 0)
			break;
		budget -= n;
		if (n == SDP_POLL_BATCH) {
			cond_resched();
			continue;
		}
		if (!arm || test_bit(SDP_CF_NOARM, &conn->flags) ||
		    sdp_cq_arm(conn, IB_CQ_NEXT_COMP |
			       IB_CQ_REPORT_MISSED_EVENTS) <= 0)
			break;
	} while (budget > 0);
	if (budget <= 0)
		queue_work(sdp_wq, &conn->cq_work);
	sdp_tx_after_poll(conn);
}

void sdp_conn_poll(struct sdp_conn *conn)
{
	__sdp_conn_poll(conn, true);
}

/* How long a reader polls its CQ before it sleeps: net.sdp.recv_poll_usec,
 * or the socket's SO_BUSY_POLL if that is longer.
 */
unsigned int sdp_busy_poll_usec(const struct sock *sk)
{
	unsigned int usec = READ_ONCE(sdp_net(sock_net(sk))->sysctl.recv_poll_usec);

#ifdef CONFIG_NET_RX_BUSY_POLL
	usec = max(usec, READ_ONCE(sk->sk_ll_usec));
#endif
	return usec;
}

/* Busy-poll the CQ (between sdp_conn_wait_begin and _end) until @ready
 * or @usec pass. The CQ is left armed, as sdp_conn_poll leaves it. Under
 * lock_sock, which it lets go of between two polls.
 */
bool sdp_conn_busy_poll(struct sdp_conn *conn, unsigned int usec,
			bool (*ready)(const struct sdp_conn *conn, u64 arg),
			u64 arg)
{
	u64 end = local_clock() + (u64)usec * NSEC_PER_USEC;
	bool done;

	do {
		__sdp_conn_poll(conn, false);
		done = ready(conn, arg);
		if (done)
			break;
		/* let the socket's other users in (a writer, a timer), as a
		 * sleeping reader would
		 */
		release_sock(conn->sk);
		cond_resched();
		lock_sock(conn->sk);
	} while (local_clock() < end && !signal_pending(current));
	sdp_conn_poll(conn);
	return done || ready(conn, arg);
}

static void sdp_cq_work(struct work_struct *work)
{
	struct sdp_conn *conn = container_of(work, struct sdp_conn, cq_work);
	struct sock *sk = conn->sk;

	lock_sock(sk);
	sdp_conn_poll(conn);
	release_sock(sk);
}

void sdp_conn_schedule_destroy(struct sdp_conn *conn)
{
	if (test_and_set_bit(SDP_CF_DESTROYING, &conn->flags))
		return;
	queue_work(sdp_wq, &conn->destroy_work);
}

/* The connection is over (aborted, reset or both sides closed). Mark the
 * socket, wake everybody and schedule the teardown. Under lock_sock.
 */
void sdp_conn_done(struct sdp_conn *conn)
{
	struct sock *sk = conn->sk;

	sdp_conn_set_state(conn, TCP_CLOSE);
	if (sdp_sk(sk)->conn == conn)
		sk->sk_shutdown = SHUTDOWN_MASK;
	sk->sk_state_change(sk);
	sk_wake_async(sk, SOCK_WAKE_WAITD, POLL_HUP);
	sdp_conn_schedule_destroy(conn);
}

/* Reset: the errno a TCP socket would report for an RST in this state.
 * @send_abort: tell the peer with AbortConn first.
 */
void sdp_conn_abort(struct sdp_conn *conn, int err, bool send_abort)
{
	struct sock *sk = conn->sk;
	bool report;

	if (conn->state == TCP_CLOSE &&
	    test_bit(SDP_CF_DESTROYING, &conn->flags))
		return;
	trace_sdp_abort(conn, conn->state, err, send_abort);
	if (send_abort && conn->state != TCP_CLOSE) {
		SDP_STAT_INC(sk, SDP_STAT_ABORTS_LOCAL);
		sdp_send_ctl(conn, SDP_MID_ABORT, 0);
	}
	SDP_STAT_INC(sk, SDP_STAT_ABORTS);
	report = err && sdp_sk(sk)->conn == conn && !sock_flag(sk, SOCK_DEAD);
	if (report)
		WRITE_ONCE(sk->sk_err, err);
	conn->err = err;
	/* as tcp_reset(): done (closed, shut down) before the error is
	 * reported, so that a poller woken by it sees ERR and HUP together
	 */
	sdp_conn_done(conn);
	if (report)
		sk_error_report(sk);
}

/* -errno for a reset from the peer, as tcp_reset() picks it */
int sdp_reset_errno(const struct sdp_conn *conn)
{
	switch (conn->state) {
	case TCP_SYN_SENT:
		return -ECONNREFUSED;
	case TCP_CLOSE_WAIT:
		return -EPIPE;
	case TCP_CLOSE:
		return 0;
	default:
		return -ECONNRESET;
	}
}

static void sdp_wait_tx_idle(struct sdp_conn *conn)
{
	struct sock *sk = conn->sk;
	int i;

	for (i = 0; i < 100; i++) {
		bool idle;

		lock_sock(sk);
		sdp_conn_poll(conn);
		idle = !conn->qp || !conn->tx_inflight;
		release_sock(sk);
		if (idle)
			return;
		usleep_range(10000, 20000);
	}
}

static void sdp_drain_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct sdp_conn *conn = cq->cq_context;

	conn->drained |= wc->wr_cqe == &conn->drain_cqe[0] ? 1 : 2;
}

#define SDP_DRAIN_TIMEOUT	(5 * HZ)

/* ib_drain_qp() with a bound: move the QP to the error state, post one
 * marker on each queue and poll the CQ until both come back flushed (every
 * request before them has then completed). ib_drain_qp() waits for ever,
 * and an rxe device that is being removed may never flush; destroying the
 * QP after the timeout discards what is left, and the device no longer
 * touches the rings once the QP is gone.
 */
static void sdp_drain_qp(struct sdp_conn *conn)
{
	struct ib_qp_attr attr = { .qp_state = IB_QPS_ERR };
	struct ib_rdma_wr swr = {};
	struct ib_recv_wr rwr = {};
	struct sock *sk = conn->sk;
	unsigned long deadline;
	u8 want = 0;

	if (ib_modify_qp(conn->qp, &attr, IB_QP_STATE))
		return;
	conn->drain_cqe[0].done = sdp_drain_done;
	conn->drain_cqe[1].done = sdp_drain_done;
	lock_sock(sk);
	set_bit(SDP_CF_NOARM, &conn->flags);
	conn->drained = 0;
	swr.wr.opcode = IB_WR_RDMA_WRITE;
	swr.wr.wr_cqe = &conn->drain_cqe[0];
	swr.wr.send_flags = IB_SEND_SIGNALED;
	if (!ib_post_send(conn->qp, &swr.wr, NULL))
		want |= 1;
	rwr.wr_cqe = &conn->drain_cqe[1];
	if (!ib_post_recv(conn->qp, &rwr, NULL))
		want |= 2;
	release_sock(sk);
	deadline = jiffies + SDP_DRAIN_TIMEOUT;
	for (;;) {
		bool done;

		lock_sock(sk);
		sdp_conn_poll(conn);
		done = (conn->drained & want) == want;
		release_sock(sk);
		if (done)
			return;
		if (time_after(jiffies, deadline))
			break;
		msleep(20);
	}
	pr_debug("sdp: QP %u not drained in time, destroying it\n",
		 conn->qp->qp_num);
}

/* rxe runs a CQ's completion handler from a tasklet that lives in the CQ.
 * No arm is taken after the drain began, and every earlier one was
 * followed by a completion (the drain's markers at the latest), so once
 * the handler of the last arm has run, nothing of the CQ's is scheduled
 * any more and it may be destroyed. Bounded, for a device that never
 * flushed.
 */
static void sdp_cq_quiesce(struct sdp_conn *conn)
{
	int i;

	for (i = 0; i < 50 && test_bit(SDP_CF_ARMED, &conn->flags); i++)
		msleep(20);
	usleep_range(1000, 2000);	/* the tasklet epilogue */
}

/* Tear the RDMA side down, in an order that keeps every completion and
 * event handler safe, and release every verbs object before the cm_id:
 * rdma_cm lets a removed device go once the last id is destroyed.
 */
static void sdp_destroy_work(struct work_struct *work)
{
	struct sdp_conn *conn = container_of(work, struct sdp_conn,
					     destroy_work);
	struct sock *sk = conn->sk;
	struct rdma_cm_id *id = conn->id;
	struct ib_pd *pd;
	struct ib_cq *cq;

	cancel_delayed_work_sync(&conn->timer_work);
	cancel_delayed_work_sync(&conn->persist_work);
	sdp_wait_tx_idle(conn);
	if (id && test_bit(SDP_CF_ESTABLISHED_CM, &conn->flags))
		rdma_disconnect(id);
	if (conn->qp) {
		sdp_drain_qp(conn);
		rdma_destroy_qp(id);
		sdp_cq_quiesce(conn);
	}
	lock_sock(sk);
	sdp_zc_teardown(conn);	/* the peer cannot read our pages now */
	cq = conn->cq;
	conn->cq = NULL;
	conn->qp = NULL;
	clear_bit(SDP_CF_QP_READY, &conn->flags);
	conn->rx_posted = 0;
	conn->tx_inflight = 0;
	conn->tx_partial = false;
	conn->tx_unposted = 0;
	conn->tx_used = 0;
	release_sock(sk);
	cancel_work_sync(&conn->cq_work);
	if (cq)
		ib_destroy_cq(cq);
	lock_sock(sk);
	sdp_conn_free_rings(conn);
	pd = conn->pd;
	conn->pd = NULL;
	release_sock(sk);
	if (pd)
		ib_dealloc_pd(pd);
	if (id)
		rdma_destroy_id(id);
	lock_sock(sk);
	conn->id = NULL;
	release_sock(sk);
	/* A passive child that failed in set-up (a bad message before the
	 * RTU, a timeout, a REJ) never reached its listener: cm.c hands a
	 * child over only after ESTABLISHED, and no handler runs once the id
	 * is destroyed. Give its backlog slot back and let go of it.
	 */
	if (id && conn->listener &&
	    !test_bit(SDP_CF_ESTABLISHED_CM, &conn->flags)) {
		lock_sock(conn->listener);
		sdp_sk(conn->listener)->pending--;
		release_sock(conn->listener);
		sdp_child_release(conn);
	}
	sdp_conn_put(conn);	/* base reference */
}

static void sdp_timer_work(struct work_struct *work)
{
	struct sdp_conn *conn = container_of(to_delayed_work(work),
					     struct sdp_conn, timer_work);
	struct sock *sk = conn->sk;

	lock_sock(sk);
	sdp_conn_timer(conn);
	release_sock(sk);
}

#define SDP_FIN_TIMEOUT		(60 * HZ)

/* arm the timer for what the connection's state needs next */
void sdp_conn_start_timer(struct sdp_conn *conn)
{
	struct sock *sk = conn->sk;

	if (conn->state == TCP_CLOSE || conn->state == TCP_SYN_SENT ||
	    conn->state == TCP_SYN_RECV)
		return;
	if (sock_flag(sk, SOCK_DEAD))
		mod_delayed_work(sdp_wq, &conn->timer_work, SDP_FIN_TIMEOUT);
	else if (sock_flag(sk, SOCK_KEEPOPEN))
		mod_delayed_work(sdp_wq, &conn->timer_work,
				 sdp_sk(sk)->keepidle * HZ);
}

/* SO_KEEPALIVE was set or cleared (sock_setsockopt holds lock_sock) */
void sdp_keepalive(struct sock *sk, int val)
{
	struct sdp_conn *conn = sdp_sk(sk)->conn;

	if (!conn)
		return;
	if (val) {
		sock_set_flag(sk, SOCK_KEEPOPEN);
		sdp_conn_start_timer(conn);
	} else if (!sock_flag(sk, SOCK_DEAD)) {
		cancel_delayed_work(&conn->timer_work);
	}
}

static void sdp_ka_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct sdp_conn *conn = container_of(wc->wr_cqe, struct sdp_conn,
					     ka_cqe);

	conn->ka_posted = false;
	if (wc->status == IB_WC_SUCCESS) {
		/* the peer's adapter answered: it is alive */
		conn->ka_probes = 0;
		conn->last_rx_jiffies = jiffies;
	} else if (wc->status != IB_WC_WR_FLUSH_ERR &&
		   conn->state != TCP_CLOSE) {
		SDP_STAT_INC(conn->sk, SDP_STAT_ABORTS_TRANSPORT);
		sdp_conn_abort(conn, ETIMEDOUT, false);
	}
}

/* Keepalive probe (wire.md): a zero-length RDMA WRITE. It needs no credit
 * and no buffer at the peer; a dead peer shows as a transport error.
 */
static int sdp_post_probe(struct sdp_conn *conn, bool keepalive)
{
	struct ib_rdma_wr wr = {};
	int err;

	if (conn->ka_posted || !conn->qp)
		return 0;
	conn->ka_cqe.done = sdp_ka_done;
	wr.wr.wr_cqe = &conn->ka_cqe;
	wr.wr.opcode = IB_WR_RDMA_WRITE;
	wr.wr.send_flags = IB_SEND_SIGNALED;
	err = ib_post_send(conn->qp, &wr.wr, NULL);
	if (!err) {
		conn->ka_posted = true;
		if (keepalive)
			SDP_STAT_INC(conn->sk, SDP_STAT_KEEPALIVE_PROBES);
	}
	return err;
}

static void sdp_conn_keepalive(struct sdp_conn *conn)
{
	struct sdp_sock *ssk = sdp_sk(conn->sk);
	unsigned long idle = jiffies - conn->last_rx_jiffies;
	unsigned long keepidle = ssk->keepidle * HZ;

	if (idle < keepidle) {
		mod_delayed_work(sdp_wq, &conn->timer_work, keepidle - idle);
		return;
	}
	if (conn->ka_probes >= ssk->keepcnt || sdp_post_probe(conn, true)) {
		SDP_STAT_INC(conn->sk, SDP_STAT_ABORTS_TRANSPORT);
		sdp_conn_abort(conn, ETIMEDOUT, false);
		return;
	}
	conn->ka_probes++;
	mod_delayed_work(sdp_wq, &conn->timer_work, ssk->keepintvl * HZ);
}

#define SDP_PERSIST_TIMEOUT	(5 * HZ)

static bool sdp_conn_stalled(const struct sdp_conn *conn)
{
	return conn->tx_unposted && conn->tx_credits <= SDP_CONTROL_CREDITS;
}

/* Data waits for credits: with nothing in flight, the transport cannot
 * notice a dead peer, so probe it (as TCP's persist timer probes a zero
 * window) until credits come back. A probe that fails aborts the
 * connection with ETIMEDOUT (sdp_ka_done). Under lock_sock.
 */
void sdp_conn_persist(struct sdp_conn *conn)
{
	if (conn->qp && !test_bit(SDP_CF_DESTROYING, &conn->flags))
		queue_delayed_work(sdp_wq, &conn->persist_work,
				   SDP_PERSIST_TIMEOUT);
}

static void sdp_persist_work(struct work_struct *work)
{
	struct sdp_conn *conn = container_of(to_delayed_work(work),
					     struct sdp_conn, persist_work);
	struct sock *sk = conn->sk;

	lock_sock(sk);
	if (conn->state != TCP_CLOSE && sdp_conn_stalled(conn) &&
	    !sdp_post_probe(conn, false))
		sdp_conn_persist(conn);
	release_sock(sk);
}

/* Timer: a connection that did not come up in time fails with ETIMEDOUT;
 * an orphaned one that did not finish closing in time is aborted; an idle
 * one with SO_KEEPALIVE is probed.
 */
void sdp_conn_timer(struct sdp_conn *conn)
{
	struct sock *sk = conn->sk;

	switch (conn->state) {
	case TCP_SYN_SENT:
	case TCP_SYN_RECV:
		sdp_cm_fail(conn, ETIMEDOUT);
		break;
	case TCP_CLOSE:
		break;
	default:
		if (sock_flag(sk, SOCK_DEAD))
			sdp_conn_abort(conn, ETIMEDOUT, true);
		else if (sock_flag(sk, SOCK_KEEPOPEN))
			sdp_conn_keepalive(conn);
		break;
	}
}
