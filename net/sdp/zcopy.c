// SPDX-License-Identifier: GPL-2.0
/*
 * sdp zero copy (wire.md "Zero copy"). Read mode: a stream send of at
 * least zcopy_thresh bytes registers the user's pages for remote read
 * (fast registration) and advertises them in a SrcAvail; the peer
 * RDMA-READs them and answers RdmaRdCompl, then the send completes and
 * the registration is undone. The pages are never copied by this CPU.
 *
 * The sink reads into kernel buffers from its CQ work as soon as the
 * SrcAvail arrives (and its receive memory allows), independent of any
 * reader; so crossing SrcAvails from both ends cannot deadlock, and a
 * MSG_PEEK or a small read does not matter. Messages behind a SrcAvail
 * wait until its bytes are in: only a DisConn may come (our own senders
 * send nothing else while a SrcAvail is out), anything else with payload
 * is a peer breaking the protocol. A sink that cannot take it (no memory)
 * answers SendSM, and the source sends the rest in bcopy.
 *
 * A source that gives up (signal, SO_SNDTIMEO) sends SrcAvailCancel and
 * waits a bounded time for the answer; without one it resets the
 * connection. Either way the pages stay pinned and the key registered
 * until the peer answered or the QP is gone (sdp_zc_teardown after the
 * drain), never freed while the peer may still read them.
 *
 * Write mode (where the peer cannot read, net.sdp.zcopy_mode): a reader
 * blocked in a large recv with nothing queued registers its own buffer
 * for remote write and advertises it in a SinkAvail; the source's next
 * large send RDMA-WRITEs into it and sends RdmaWrCompl, which moves the
 * reader's stream position. The SinkAvail carries, as every message, the
 * last mseq the reader had received (mseq_ack): one sent before our
 * latest data arrived there is stale, as is any we hold when we send
 * data by bcopy or DisConn; those are given back (SinkCancelAck). A
 * reader that gives up (signal, SO_RCVTIMEO) sends SinkAvailCancel and
 * keeps its pages registered until the answer, as the source does.
 *
 * Under lock_sock like the rest of the engine.
 */
#include <linux/mm.h>
#include <linux/uio.h>
#include <linux/sched/signal.h>
#include <net/sock.h>

#include "sdp.h"

#define SDP_ZC_CANCEL_WAIT	(5 * HZ)
#define SDP_ZC_YIELD		(HZ / 10)

/* could the rest of this send (@left bytes) go by zero copy, were a
 * mode negotiated? At least the threshold, blocking, not urgent, from
 * user memory, on a stream connection
 */
static bool sdp_zc_fits(const struct sdp_conn *conn, const struct msghdr *msg,
			size_t left, long timeo)
{
	int thresh = READ_ONCE(sdp_sk(conn->sk)->zcopy_thresh);

	return thresh && left >= (size_t)thresh && timeo && !conn->boundary &&
	       !(msg->msg_flags & (MSG_OOB | MSG_DONTWAIT)) &&
	       user_backed_iter(&msg->msg_iter);
}

/* is the rest of this send (@left bytes) for zero copy (read mode)? */
bool sdp_zc_want(const struct sdp_conn *conn, const struct msghdr *msg,
		 size_t left, long timeo)
{
	return (conn->caps & SDP_CAP_RDMA_READ_ZCOPY) &&
	       sdp_zc_fits(conn, msg, left, timeo);
}

/* a send that zero copy would take, on a connection where the two ends
 * share no zero-copy mode (the peer offered none, or none of ours): it
 * goes by bcopy, and counts as a fallback once per call
 */
void sdp_zc_nocap(const struct sdp_conn *conn, const struct msghdr *msg,
		  size_t len, long timeo)
{
	if (!(conn->caps & (SDP_CAP_RDMA_READ_ZCOPY |
			    SDP_CAP_RDMA_WRITE_ZCOPY)) &&
	    sdp_zc_fits(conn, msg, len, timeo))
		SDP_STAT_INC(conn->sk, SDP_STAT_ZCOPY_FALLBACKS);
}

static void sdp_zc_reg_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct sdp_conn *conn = cq->cq_context;

	if (wc->status != IB_WC_SUCCESS && wc->status != IB_WC_WR_FLUSH_ERR &&
	    conn->state != TCP_CLOSE) {
		SDP_STAT_INC(conn->sk, SDP_STAT_ABORTS_TRANSPORT);
		sdp_conn_abort(conn, ECONNRESET, false);
	}
}

/* a signalled fast registration of @mr with @access (the remote key
 * when the peer is to use it, else the local one)
 */
static void sdp_zc_reg_wr(struct ib_reg_wr *reg, struct ib_mr *mr,
			  struct ib_cqe *cqe, int access)
{
	memset(reg, 0, sizeof(*reg));
	cqe->done = sdp_zc_reg_done;
	reg->wr.opcode = IB_WR_REG_MR;
	reg->wr.wr_cqe = cqe;
	reg->wr.send_flags = IB_SEND_SIGNALED;
	reg->mr = mr;
	reg->key = access & (IB_ACCESS_REMOTE_READ | IB_ACCESS_REMOTE_WRITE) ?
		   mr->rkey : mr->lkey;
	reg->access = access;
}

/* one signalled RDMA READ or WRITE of @len bytes between the start of
 * our registered @mr and the peer's @addr / @rkey
 */
static void sdp_zc_rdma_wr(struct ib_rdma_wr *wr, struct ib_sge *sge,
			   enum ib_wr_opcode op, struct ib_cqe *cqe,
			   const struct ib_mr *mr, u32 len, u64 addr, u32 rkey)
{
	memset(wr, 0, sizeof(*wr));
	sge->addr = mr->iova;
	sge->length = len;
	sge->lkey = mr->lkey;
	wr->wr.opcode = op;
	wr->wr.wr_cqe = cqe;
	wr->wr.send_flags = IB_SEND_SIGNALED;
	wr->wr.sg_list = sge;
	wr->wr.num_sge = 1;
	wr->remote_addr = addr;
	wr->rkey = rkey;
}

/* unmap, unpin, unregister: the peer no longer reads (it answered, or
 * the QP is gone)
 */
static void sdp_zc_tx_release(struct sdp_conn *conn)
{
	struct sdp_zc_tx *zt = &conn->zt;
	u32 i;

	if (zt->nents)
		ib_dma_unmap_sg(conn->pd->device, zt->sgt.sgl,
				zt->sgt.orig_nents, DMA_TO_DEVICE);
	zt->nents = 0;
	if (zt->sgt.sgl)
		sg_free_table(&zt->sgt);
	zt->sgt.sgl = NULL;
	for (i = 0; i < zt->npages; i++)
		put_page(zt->pages[i]);
	zt->npages = 0;
	mm_unaccount_pinned_pages(&zt->mmp);
	memset(&zt->mmp, 0, sizeof(zt->mmp));
	kfree(zt->pages);
	zt->pages = NULL;
	if (zt->mr)
		ib_dereg_mr(zt->mr);
	zt->mr = NULL;
	zt->busy = false;
}

/* pin and map up to SDP_ZC_MAX bytes of @msg, and fill @reg to register
 * them with @access (the caller posts it); returns bytes or < 0 (the
 * iterator is back where it was then)
 */
static ssize_t sdp_zc_map(struct sdp_conn *conn, struct msghdr *msg,
			  size_t len, int access, struct ib_reg_wr *reg)
{
	struct ib_device *dev = conn->pd->device;
	struct sdp_zc_tx *zt = &conn->zt;
	size_t off;
	ssize_t n;
	int err;

	/* pinned pages count against RLIMIT_MEMLOCK, as MSG_ZEROCOPY's do
	 * (CAP_IPC_LOCK is exempt); over it, this send goes by bcopy
	 */
	len = min_t(size_t, len, SDP_ZC_MAX);
	if (mm_account_pinned_pages(&zt->mmp, len))
		return -ENOBUFS;
	zt->pages = kmalloc_array(SDP_ZC_PAGES, sizeof(*zt->pages),
				  GFP_KERNEL);
	if (!zt->pages) {
		sdp_zc_tx_release(conn);
		return -ENOMEM;
	}
	n = iov_iter_get_pages2(&msg->msg_iter, zt->pages, len, SDP_ZC_PAGES,
				&off);
	if (n <= 0) {
		sdp_zc_tx_release(conn);
		return n ? n : -EFAULT;
	}
	zt->npages = DIV_ROUND_UP(off + n, PAGE_SIZE);
	err = sg_alloc_table_from_pages(&zt->sgt, zt->pages, zt->npages, off,
					n, GFP_KERNEL);
	if (err) {
		zt->sgt.sgl = NULL;
		goto fail;
	}
	zt->nents = ib_dma_map_sg(dev, zt->sgt.sgl, zt->sgt.orig_nents,
				  DMA_TO_DEVICE);
	err = -ENOMEM;
	if (!zt->nents)
		goto fail;
	zt->mr = ib_alloc_mr(conn->pd, IB_MR_TYPE_MEM_REG, SDP_ZC_PAGES);
	if (IS_ERR(zt->mr)) {
		err = PTR_ERR(zt->mr);
		zt->mr = NULL;
		goto fail;
	}
	if (ib_map_mr_sg(zt->mr, zt->sgt.sgl, zt->nents, NULL, PAGE_SIZE) !=
	    zt->nents)
		goto fail;
	sdp_zc_reg_wr(reg, zt->mr, &zt->reg_cqe, access);
	return n;
fail:
	sdp_zc_tx_release(conn);
	iov_iter_revert(&msg->msg_iter, n);
	return err;
}

/* our own SrcAvail answered (a new one of another thread may be out by
 * the time we run), or the connection ended
 */
static bool sdp_zc_res_over(const struct sdp_conn *conn,
			    const struct sdp_zc_res *res)
{
	return res->done || conn->state == TCP_CLOSE || conn->sk->sk_err;
}

/* wait for the SrcAvail's answer; on a signal or SO_SNDTIMEO cancel it
 * and wait a bounded time more. Returns 0 or the errno to report.
 */
static int sdp_zc_tx_wait(struct sdp_conn *conn, struct sdp_zc_res *res,
			  long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct sock *sk = conn->sk;
	long tmo = SDP_ZC_CANCEL_WAIT;
	int err = 0;

	add_wait_queue(sk_sleep(sk), &wait);
	while (!sdp_zc_res_over(conn, res)) {
		if (!conn->zt.cancelled && (!*timeo || signal_pending(current))) {
			err = *timeo ? sock_intr_errno(*timeo) : -EAGAIN;
			conn->zt.cancelled = true;
			sdp_send_ctl(conn, SDP_MID_SRCAVAIL_CANCEL, 0);
		}
		if (conn->zt.cancelled) {
			if (!tmo) {
				/* no answer: reset, the pages wait for the
				 * teardown
				 */
				sdp_conn_abort(conn, ETIMEDOUT, true);
				break;
			}
			sk_wait_event(sk, &tmo, sdp_zc_res_over(conn, res),
				      &wait);
		} else {
			sk_wait_event(sk, timeo, sdp_zc_res_over(conn, res) ||
				      signal_pending(current), &wait);
		}
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return err;
}

static bool sdp_zc_ready(const struct sdp_conn *conn)
{
	return !conn->tx_unposted && !conn->tx_partial && !conn->zt.wr_owed &&
	       conn->tx_credits > SDP_CONTROL_CREDITS;
}

/* wait until all queued bytes are posted and a data credit is free */
static int sdp_zc_wait_ready(struct sdp_conn *conn, long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct sock *sk = conn->sk;
	int err = 0;

	add_wait_queue(sk_sleep(sk), &wait);
	for (;;) {
		if (sk->sk_err || conn->state == TCP_CLOSE ||
		    (sk->sk_shutdown & SEND_SHUTDOWN)) {
			err = -EPIPE;
			break;
		}
		if (sdp_zc_ready(conn))
			break;
		if (!*timeo) {
			err = -EAGAIN;
			break;
		}
		if (signal_pending(current)) {
			err = sock_intr_errno(*timeo);
			break;
		}
		if (!conn->tx_unposted && !conn->tx_partial)
			conn->zt.credit_wait = true;
		sk_wait_event(sk, timeo, sdp_zc_ready(conn) || sk->sk_err ||
			      conn->state == TCP_CLOSE, &wait);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	conn->zt.credit_wait = false;
	return err;
}

/* may the send call @msg go on: no zero-copy transfer out, and no other
 * call holding the send side (an urgent byte need only wait for the
 * transfer)
 */
static bool sdp_zc_idle_for(const struct sdp_conn *conn,
			    const struct msghdr *msg)
{
	return !conn->zt.busy &&
	       (!conn->zt.owner || conn->zt.owner == msg ||
		(msg->msg_flags & MSG_OOB));
}

/* is the send side another call's: wait for it */
bool sdp_zc_taken(const struct sdp_conn *conn, const struct msghdr *msg)
{
	return !sdp_zc_idle_for(conn, msg);
}

static bool sdp_zc_idle_over(const struct sdp_conn *conn,
			     const struct msghdr *msg)
{
	return sdp_zc_idle_for(conn, msg) || conn->state == TCP_CLOSE ||
	       conn->sk->sk_err;
}

/* Another sender's zero-copy transfer is out, or its send call holds the
 * send side between two of them: wait until it is over. A call that
 * started zero copy keeps the send side to its end, so that two threads'
 * sends never interleave; only an urgent byte gets in between, as it does
 * in TCP.
 */
int sdp_zc_wait_idle(struct sdp_conn *conn, const struct msghdr *msg,
		     long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct sock *sk = conn->sk;
	int err = 0;

	add_wait_queue(sk_sleep(sk), &wait);
	while (!sdp_zc_idle_over(conn, msg)) {
		/* the owner lets an urgent byte go before its next SrcAvail */
		if (msg->msg_flags & MSG_OOB)
			conn->zt.wanted = true;
		if (!*timeo) {
			err = -EAGAIN;
			break;
		}
		if (signal_pending(current)) {
			err = sock_intr_errno(*timeo);
			break;
		}
		sk_wait_event(sk, timeo, sdp_zc_idle_over(conn, msg), &wait);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	if (!err && !sdp_zc_idle_for(conn, msg))
		err = -EPIPE;	/* the connection died meanwhile */
	return err;
}

/* the send call @msg ends: it lets the send side go */
void sdp_zc_release_owner(struct sdp_conn *conn, const struct msghdr *msg)
{
	if (conn->zt.owner != msg)
		return;
	conn->zt.owner = NULL;
	conn->sk->sk_state_change(conn->sk);
}

static bool sdp_zc_yield_over(const struct sdp_conn *conn)
{
	return !conn->zt.wanted || conn->state == TCP_CLOSE ||
	       conn->sk->sk_err;
}

/* A sender whose SrcAvail was just answered, about to send its next one,
 * while another sender found the send side taken by it (and waits, or got
 * EAGAIN and polls for POLLOUT, which it has now): let that one in first,
 * for a bounded time, as TCP lets a second sender in whenever the first
 * waits for memory. Without this an urgent byte could wait behind every
 * SrcAvail of a long send.
 */
void sdp_zc_yield(struct sdp_conn *conn)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct sock *sk = conn->sk;
	long tmo = SDP_ZC_YIELD;

	add_wait_queue(sk_sleep(sk), &wait);
	conn->zt.yielding = true;
	while (tmo && !sdp_zc_yield_over(conn) && !signal_pending(current))
		sk_wait_event(sk, &tmo, sdp_zc_yield_over(conn) ||
			      signal_pending(current), &wait);
	conn->zt.yielding = false;
	conn->zt.wanted = false;
	remove_wait_queue(sk_sleep(sk), &wait);
}

/* a sender other than the last SrcAvail's owner is making progress */
void sdp_zc_turn_taken(struct sdp_conn *conn)
{
	if (!conn->zt.wanted)
		return;
	conn->zt.wanted = false;
	if (conn->zt.yielding)
		conn->sk->sk_state_change(conn->sk);
}

/* Send up to @len bytes of @msg by zero copy (one SrcAvail). Returns the
 * bytes the peer took (the iterator is left after them; a refused or
 * unmappable rest falls back to bcopy), or < 0 with nothing sent.
 */
ssize_t sdp_zc_send(struct sdp_conn *conn, struct msghdr *msg, size_t len,
		    long *timeo)
{
	struct sdp_zc_res res = { .done = false };
	struct sdp_zc_tx *zt = &conn->zt;
	struct sock *sk = conn->sk;
	struct ib_reg_wr reg;
	struct sdp_msg m = {};
	ssize_t n;
	u32 acked;
	int err;

	/* the bytes before it go first: everything queued is posted */
	sdp_conn_push(conn, true);
	err = sdp_zc_wait_ready(conn, timeo);
	if (err)
		return err;
	n = sdp_zc_map(conn, msg, len, IB_ACCESS_REMOTE_READ, &reg);
	if (n < 0) {
		SDP_STAT_INC(sk, SDP_STAT_ZCOPY_FALLBACKS);
		return 0;
	}
	if (ib_post_send(conn->qp, &reg.wr, NULL)) {
		sdp_zc_tx_release(conn);
		iov_iter_revert(&msg->msg_iter, n);
		SDP_STAT_INC(sk, SDP_STAT_ZCOPY_FALLBACKS);
		return 0;
	}
	zt->len = n;
	zt->acked = 0;
	zt->cancelled = false;
	zt->busy = true;
	zt->res = &res;
	m.mid = SDP_MID_SRCAVAIL;
	m.size = n;
	m.rkey = zt->mr->rkey;
	m.addr = zt->mr->iova;
	err = sdp_send_ext(conn, &m, true);
	if (err) {
		/* nothing advertised: the peer cannot read */
		zt->res = NULL;
		sdp_zc_tx_release(conn);
		iov_iter_revert(&msg->msg_iter, n);
		SDP_STAT_INC(sk, SDP_STAT_ZCOPY_FALLBACKS);
		return 0;
	}
	err = sdp_zc_tx_wait(conn, &res, timeo);
	/* the answer released the pages (sdp_zc_rx_msg); without one the
	 * connection died, and sdp_zc_teardown lets them go
	 */
	if (zt->res == &res)
		zt->res = NULL;
	acked = res.acked;
	/* a refusal, not the answer to our own cancel (err: we cancelled) */
	if (res.refused && !err)
		SDP_STAT_INC(sk, SDP_STAT_ZCOPY_FALLBACKS);
	iov_iter_revert(&msg->msg_iter, n - acked);
	conn->snd_nxt += acked;
	conn->snd_una += acked;
	sdp_stat_add(sk, SDP_STAT_ZCOPY_TX_BYTES, acked);
	if (!acked && err)
		return err;
	if (!acked && (sk->sk_err || conn->state == TCP_CLOSE))
		return -EPIPE;
	return acked;
}

/* ---- the sink ---- */

static void sdp_zc_rx_free(struct sdp_conn *conn)
{
	struct sdp_zc_rx *zr = &conn->zr;
	u32 i;

	for (i = 0; i < zr->nseg; i++) {
		if (!zr->seg[i])
			continue;
		if (zr->dma[i] && conn->pd)
			ib_dma_unmap_single(conn->pd->device, zr->dma[i],
					    SDP_ZC_SEG, DMA_FROM_DEVICE);
		kfree_skb(zr->seg[i]);
		zr->seg[i] = NULL;
		zr->dma[i] = 0;
	}
	zr->nseg = 0;
}

/* The answers to the peer's SrcAvail go in order: the bytes read
 * (RdmaRdCompl, a partial read's included), then a refusal of the rest
 * (SendSM). What finds no credit or slot now goes from sdp_zc_push.
 */
static void sdp_zc_answer(struct sdp_conn *conn, u8 mid, u32 size)
{
	if (mid == SDP_MID_SENDSM)
		conn->zr.sendsm_owed = true;
	else
		conn->zr.owed += size;
	sdp_zc_push(conn);
}

/* a sent message returned a credit: send what we owe, the answers for
 * the bytes first
 */
void sdp_zc_push(struct sdp_conn *conn)
{
	struct sdp_zc_rx *zr = &conn->zr;
	struct sdp_zc_tx *zt = &conn->zt;
	struct sdp_msg m = { .mid = SDP_MID_RDMA_WR_COMPL };

	if (zt->wr_owed) {
		m.size = zt->wr_owed;
		if (sdp_send_ext(conn, &m, false))
			return;
		zt->wr_owed = 0;
	}
	if (zt->snk_ack_owed) {
		if (sdp_send_ctl(conn, SDP_MID_SINK_CANCEL_ACK, 0))
			return;
		zt->snk_ack_owed = false;
	}
	if (zr->cancel_owed) {
		if (sdp_send_ctl(conn, SDP_MID_SINKAVAIL_CANCEL, 0))
			return;
		zr->cancel_owed = false;
	}
	m.mid = SDP_MID_RDMA_RD_COMPL;
	if (zr->owed) {
		m.size = zr->owed;
		if (sdp_send_ext(conn, &m, false))
			return;
		zr->owed = 0;
	}
	if (zr->sendsm_owed && !sdp_send_ctl(conn, SDP_MID_SENDSM, 0))
		zr->sendsm_owed = false;
}

static void sdp_zc_refuse(struct sdp_conn *conn)
{
	sdp_zc_rx_free(conn);
	conn->zr.active = false;
	conn->zr.posted = false;
	sdp_zc_answer(conn, SDP_MID_SENDSM, 0);
	if (conn->zr.fin_held) {
		conn->zr.fin_held = false;
		sdp_rx_fin(conn);
	}
}

/* all READs of the SrcAvail are in: queue the bytes, answer */
static void sdp_zc_rx_finish(struct sdp_conn *conn)
{
	struct sdp_zc_rx *zr = &conn->zr;
	struct sock *sk = conn->sk;
	u32 i, left = zr->size;

	for (i = 0; i < zr->nseg; i++) {
		struct sk_buff *skb = zr->seg[i];
		u32 len = min_t(u32, left, SDP_ZC_SEG);

		ib_dma_unmap_single(conn->pd->device, zr->dma[i], SDP_ZC_SEG,
				    DMA_FROM_DEVICE);
		zr->dma[i] = 0;
		zr->seg[i] = NULL;
		skb_put(skb, len);
		SDP_SKB_CB(skb)->seq = conn->rcv_nxt;
		SDP_SKB_CB(skb)->first = false;
		SDP_SKB_CB(skb)->eor = false;
		skb_set_owner_r(skb, sk);
		__skb_queue_tail(&conn->rxq, skb);
		conn->rcv_nxt += len;
		left -= len;
	}
	zr->nseg = 0;
	sdp_stat_add(sk, SDP_STAT_ZCOPY_RX_BYTES, zr->size);
	zr->active = false;
	zr->posted = false;
	sdp_zc_answer(conn, SDP_MID_RDMA_RD_COMPL, zr->size);
	sk->sk_data_ready(sk);
	if (zr->fin_held) {
		zr->fin_held = false;
		sdp_rx_fin(conn);
	}
}

static void sdp_zc_read_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct sdp_zc_rd *rd = container_of(wc->wr_cqe, struct sdp_zc_rd, cqe);
	struct sdp_conn *conn = rd->conn;

	if (wc->status != IB_WC_SUCCESS) {
		if (wc->status != IB_WC_WR_FLUSH_ERR &&
		    conn->state != TCP_CLOSE) {
			/* a bad key or range from the peer */
			SDP_STAT_INC(conn->sk, SDP_STAT_BAD_MESSAGES);
			sdp_conn_abort(conn, ECONNRESET, true);
		}
		return;
	}
	if (!conn->zr.posted || ++conn->zr.ndone < conn->zr.nwr)
		return;
	sdp_zc_rx_finish(conn);
}

/* read the advertised bytes into kernel buffers, if memory allows now */
static void sdp_zc_rx_start(struct sdp_conn *conn)
{
	struct sdp_zc_rx *zr = &conn->zr;
	struct ib_device *dev = conn->pd->device;
	struct sock *sk = conn->sk;
	u32 i, off = 0;

	if (!zr->active || zr->posted)
		return;
	/* a reader that does not read holds the peer's send, not our memory */
	if (!skb_queue_empty(&conn->rxq) &&
	    atomic_read(&sk->sk_rmem_alloc) >= READ_ONCE(sk->sk_rcvbuf))
		return;
	zr->nseg = DIV_ROUND_UP(zr->size, SDP_ZC_SEG);
	for (i = 0; i < zr->nseg; i++) {
		zr->seg[i] = alloc_skb(SDP_ZC_SEG, GFP_KERNEL | __GFP_NOWARN);
		if (!zr->seg[i])
			goto refuse;
		zr->dma[i] = ib_dma_map_single(dev, zr->seg[i]->data,
					       SDP_ZC_SEG, DMA_FROM_DEVICE);
		if (ib_dma_mapping_error(dev, zr->dma[i])) {
			zr->dma[i] = 0;
			goto refuse;
		}
	}
	zr->nwr = 0;
	zr->ndone = 0;
	for (i = 0; i < zr->nseg; ) {
		struct ib_sge sge[SDP_ZC_SGE];
		struct ib_rdma_wr wr = {};
		u32 j, n = min_t(u32, conn->zc_sge, zr->nseg - i), bytes = 0;

		for (j = 0; j < n; j++) {
			sge[j].addr = zr->dma[i + j];
			sge[j].length = min_t(u32, zr->size - off - bytes,
					      SDP_ZC_SEG);
			sge[j].lkey = conn->pd->local_dma_lkey;
			bytes += sge[j].length;
		}
		zr->rd[zr->nwr].conn = conn;
		zr->rd[zr->nwr].cqe.done = sdp_zc_read_done;
		wr.wr.wr_cqe = &zr->rd[zr->nwr].cqe;
		wr.wr.opcode = IB_WR_RDMA_READ;
		wr.wr.send_flags = IB_SEND_SIGNALED;
		wr.wr.sg_list = sge;
		wr.wr.num_sge = n;
		wr.remote_addr = zr->addr + off;
		wr.rkey = zr->rkey;
		if (ib_post_send(conn->qp, &wr.wr, NULL)) {
			if (!zr->nwr)
				goto refuse;
			/* some are posted: the connection cannot go on */
			sdp_conn_abort(conn, ECONNRESET, true);
			return;
		}
		zr->nwr++;
		off += bytes;
		i += n;
	}
	zr->posted = true;
	return;
refuse:
	sdp_zc_refuse(conn);
}

/* the reader freed memory: a deferred SrcAvail may be read now (not
 * while a blocked reader waits to read it into its own buffer)
 */
void sdp_zc_rx_resume(struct sdp_conn *conn)
{
	if (conn->zr.active && !conn->zr.posted && !conn->zr.want &&
	    conn->qp)
		sdp_zc_rx_start(conn);
}

/* ---- the sink, reading into the reader's own buffer ---- */

/* may this blocking recv (@left bytes to go) read a SrcAvail straight
 * into its buffer?
 */
bool sdp_zc_rx_user_ok(const struct sdp_conn *conn, const struct msghdr *msg,
		       size_t left, int flags, long timeo)
{
	int thresh = READ_ONCE(sdp_sk(conn->sk)->zcopy_thresh);

	return thresh && left >= (size_t)thresh && timeo && conn->qp &&
	       (conn->caps & SDP_CAP_RDMA_READ_ZCOPY) && !conn->boundary &&
	       !(flags & (MSG_PEEK | MSG_TRUNC)) &&
	       (iter_is_ubuf(&msg->msg_iter) || iter_is_iovec(&msg->msg_iter));
}

/* the reader's pages: unregister, unmap, unpin (written to: dirty) */
static void sdp_zc_user_release(struct sdp_conn *conn)
{
	struct sdp_zc_rx *zr = &conn->zr;

	if (zr->umr)
		ib_dereg_mr(zr->umr);
	zr->umr = NULL;
	if (zr->unents)
		ib_dma_unmap_sg(conn->pd->device, zr->usgt.sgl,
				zr->usgt.orig_nents, DMA_FROM_DEVICE);
	zr->unents = 0;
	if (zr->usgt.sgl)
		sg_free_table(&zr->usgt);
	zr->usgt.sgl = NULL;
	if (zr->unpages)
		unpin_user_pages_dirty_lock(zr->upages, zr->unpages, true);
	zr->unpages = 0;
	kfree(zr->upages);
	zr->upages = NULL;
	mm_unaccount_pinned_pages(&zr->ummp);
	memset(&zr->ummp, 0, sizeof(zr->ummp));
	zr->user = false;
}

/* wake every sleeper: the ones waiting for the device to be done with
 * their pages sleep uninterruptibly, which sk_data_ready's interruptible
 * wake-up does not reach
 */
static void sdp_zc_wake(struct sdp_conn *conn)
{
	struct socket_wq *wq;

	rcu_read_lock();
	wq = rcu_dereference(conn->sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_all(&wq->wait);
	rcu_read_unlock();
}

static void sdp_zc_user_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct sdp_conn *conn = cq->cq_context;

	conn->zr.user_status = wc->status;
	conn->zr.user_done = true;
	sdp_zc_wake(conn);	/* its reader: sdp_zc_user_wait */
}

/* the first user segment of @it: its address, returns its length */
static size_t sdp_zc_iter_seg(const struct iov_iter *it, unsigned long *addr)
{
	if (iter_is_ubuf(it)) {
		*addr = (unsigned long)it->ubuf + it->iov_offset;
		return it->count;
	}
	*addr = (unsigned long)it->iov->iov_base + it->iov_offset;
	return min(it->count, it->iov->iov_len - it->iov_offset);
}

/* pin, map and register @len bytes at @addr of the reader's memory */
static int sdp_zc_user_map(struct sdp_conn *conn, unsigned long addr,
			   u32 *len)
{
	struct sdp_zc_rx *zr = &conn->zr;
	u32 off = offset_in_page(addr);
	int np = DIV_ROUND_UP(off + *len, PAGE_SIZE), got;

	/* as for MSG_ZEROCOPY: RLIMIT_MEMLOCK, CAP_IPC_LOCK exempt */
	if (mm_account_pinned_pages(&zr->ummp, *len))
		return -ENOBUFS;
	zr->upages = kmalloc_array(np, sizeof(*zr->upages), GFP_KERNEL);
	if (!zr->upages)
		return -ENOMEM;
	/* FOLL_PIN: a fork() meanwhile copies these pages for the child,
	 * so the READ lands in this process
	 */
	got = pin_user_pages_fast(addr - off, np, FOLL_WRITE | FOLL_LONGTERM,
				  zr->upages);
	if (got <= 0)
		return got ? got : -EFAULT;
	zr->unpages = got;
	if (got < np)
		*len = got * PAGE_SIZE - off;
	if (sg_alloc_table_from_pages(&zr->usgt, zr->upages, got, off, *len,
				      GFP_KERNEL)) {
		zr->usgt.sgl = NULL;
		return -ENOMEM;
	}
	zr->unents = ib_dma_map_sg(conn->pd->device, zr->usgt.sgl,
				   zr->usgt.orig_nents, DMA_FROM_DEVICE);
	if (!zr->unents)
		return -ENOMEM;
	/* room for a whole SrcAvail, as the sender's: rxe's copy reads the
	 * page list one entry past a transfer that ends on a page end
	 */
	zr->umr = ib_alloc_mr(conn->pd, IB_MR_TYPE_MEM_REG, SDP_ZC_PAGES);
	if (IS_ERR(zr->umr)) {
		int err = PTR_ERR(zr->umr);

		zr->umr = NULL;
		return err;
	}
	if (ib_map_mr_sg(zr->umr, zr->usgt.sgl, zr->unents, NULL,
			 PAGE_SIZE) != zr->unents)
		return -EINVAL;
	return 0;
}

/* wait for the READ into the reader's pages: not interruptible, the
 * pages must stay until the device is done with them (the READ
 * completes, or flushes when the connection dies)
 */
static void sdp_zc_user_wait(struct sdp_conn *conn)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct sock *sk = conn->sk;

	add_wait_queue(sk_sleep(sk), &wait);
	while (conn->zr.user && !conn->zr.user_done) {
		release_sock(sk);
		wait_woken(&wait, TASK_UNINTERRUPTIBLE, HZ);
		lock_sock(sk);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
}

/* Read the peer's pending SrcAvail, or its first @len bytes (a partial
 * read, answered as such), straight into the reader's buffer with one
 * RDMA READ into its pinned pages. Nothing may be queued before it.
 * Returns the bytes read (the iterator is after them), or 0 when it
 * could not (the caller reads as usual).
 */
ssize_t sdp_zc_rx_user(struct sdp_conn *conn, struct msghdr *msg, size_t len)
{
	const struct iov_iter *it = &msg->msg_iter;
	struct sdp_zc_rx *zr = &conn->zr;
	struct sock *sk = conn->sk;
	const struct ib_send_wr *bad;
	struct ib_reg_wr reg;
	struct ib_rdma_wr rd;
	struct ib_sge sge;
	unsigned long addr;
	size_t seg;
	u32 n;
	int status;

	if (!zr->active || zr->posted || zr->user ||
	    !skb_queue_empty(&conn->rxq) || !conn->qp)
		return 0;
	seg = sdp_zc_iter_seg(it, &addr);
	n = min3(len, seg, (size_t)zr->size);
	/* a page or less of a larger SrcAvail is not worth a registration */
	if (n < zr->size && n <= PAGE_SIZE)
		return 0;
	if (sdp_zc_user_map(conn, addr, &n)) {
		sdp_zc_user_release(conn);
		SDP_STAT_INC(sk, SDP_STAT_ZCOPY_FALLBACKS);
		return 0;
	}
	sdp_zc_reg_wr(&reg, zr->umr, &zr->ureg_cqe, IB_ACCESS_LOCAL_WRITE);
	zr->urd_cqe.done = sdp_zc_user_done;
	sdp_zc_rdma_wr(&rd, &sge, IB_WR_RDMA_READ, &zr->urd_cqe, zr->umr, n,
		       zr->addr, zr->rkey);
	reg.wr.next = &rd.wr;
	zr->user = true;
	zr->user_done = false;
	zr->user_len = n;
	if (ib_post_send(conn->qp, &reg.wr, &bad)) {
		if (bad == &reg.wr) {
			sdp_zc_user_release(conn);
			SDP_STAT_INC(sk, SDP_STAT_ZCOPY_FALLBACKS);
			return 0;
		}
		/* the registration is out, the READ is not: give up the
		 * connection; its teardown lets the pages go
		 */
		sdp_conn_abort(conn, ECONNRESET, true);
	}
	zr->posted = true;
	sdp_zc_user_wait(conn);
	zr->posted = false;
	if (!zr->user)		/* torn down meanwhile */
		return 0;
	status = zr->user_status;
	n = zr->user_len;
	sdp_zc_user_release(conn);
	if (status != IB_WC_SUCCESS) {
		if (status != IB_WC_WR_FLUSH_ERR && conn->state != TCP_CLOSE) {
			/* a bad key or range from the peer */
			SDP_STAT_INC(sk, SDP_STAT_BAD_MESSAGES);
			sdp_conn_abort(conn, ECONNRESET, true);
		}
		return 0;
	}
	iov_iter_advance(&msg->msg_iter, n);
	conn->rcv_nxt += n;
	conn->copied_seq += n;
	sdp_oob_consumed(conn, conn->copied_seq);
	sdp_stat_add(sk, SDP_STAT_ZCOPY_RX_BYTES, n);
	sdp_stat_add(sk, SDP_STAT_ZCOPY_RX_DIRECT_BYTES, n);
	zr->addr += n;
	zr->size -= n;
	sdp_zc_answer(conn, SDP_MID_RDMA_RD_COMPL, n);
	if (!zr->size) {
		zr->active = false;
		if (zr->fin_held) {
			zr->fin_held = false;
			sdp_rx_fin(conn);
		}
	} else if (zr->cancelled) {
		sdp_zc_refuse(conn);	/* the source gave the rest up */
	}
	return n;
}

/* ---- write mode: SinkAvail / RDMA WRITE / RdmaWrCompl ---- */

#define SDP_ZC_SINK_WAIT	(HZ / 5)

/* the modes this namespace offers in Hello / HelloAck */
u32 sdp_zc_caps(const struct net *net)
{
	switch (READ_ONCE(sdp_net(net)->sysctl.zcopy_mode)) {
	case SDP_ZC_MODE_READ:
		return SDP_CAP_RDMA_READ_ZCOPY;
	case SDP_ZC_MODE_WRITE:
		return SDP_CAP_RDMA_WRITE_ZCOPY;
	case SDP_ZC_MODE_NONE:
		return 0;
	default:
		return SDP_CAP_RDMA_READ_ZCOPY | SDP_CAP_RDMA_WRITE_ZCOPY;
	}
}

/* write mode is used where read mode is not: both ends offered it, and
 * not both read mode (README "Write mode": it was not faster here)
 */
static bool sdp_zc_write_mode(const struct sdp_conn *conn)
{
	return (conn->caps & SDP_CAP_RDMA_WRITE_ZCOPY) &&
	       !(conn->caps & SDP_CAP_RDMA_READ_ZCOPY) && !conn->boundary;
}

/* is the rest of this send (@left bytes) for an RDMA WRITE? */
bool sdp_zc_write_want(const struct sdp_conn *conn, const struct msghdr *msg,
		       size_t left, long timeo)
{
	return sdp_zc_write_mode(conn) && sdp_zc_fits(conn, msg, left, timeo);
}

/* the source gives a held SinkAvail back (SinkCancelAck): it sends data
 * by bcopy or DisConn, or cannot use it
 */
void sdp_zc_snk_refuse(struct sdp_conn *conn)
{
	conn->zt.snk_valid = false;
	conn->zt.snk_ack_owed = true;
	sdp_zc_push(conn);
}

static bool sdp_zc_snk_over(const struct sdp_conn *conn)
{
	return conn->zt.snk_valid || conn->state == TCP_CLOSE ||
	       conn->sk->sk_err || (conn->sk->sk_shutdown & SEND_SHUTDOWN);
}

/* the connection may still carry a WRITE: not closing, not torn down */
static bool sdp_zc_can_write(const struct sdp_conn *conn)
{
	const struct sock *sk = conn->sk;

	return conn->qp && conn->state != TCP_CLOSE && !sk->sk_err &&
	       !(sk->sk_shutdown & SEND_SHUTDOWN) &&
	       !test_bit(SDP_CF_DESTROYING, &conn->flags);
}

/* Wait a while for the peer's reader to advertise its buffer; it does so
 * once it has read all we sent. This wait is optional: it ends early at
 * a signal and never fails the send itself (the bcopy path that follows
 * reports a signal or SO_SNDTIMEO if it has to block); its time counts
 * against SO_SNDTIMEO.
 */
static void sdp_zc_snk_wait(struct sdp_conn *conn, long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	long tmo = min_t(long, SDP_ZC_SINK_WAIT, *timeo), left = tmo;
	struct sock *sk = conn->sk;

	add_wait_queue(sk_sleep(sk), &wait);
	while (!sdp_zc_snk_over(conn) && left && !signal_pending(current))
		sk_wait_event(sk, &left, sdp_zc_snk_over(conn) ||
			      signal_pending(current), &wait);
	remove_wait_queue(sk_sleep(sk), &wait);
	if (*timeo != MAX_SCHEDULE_TIMEOUT)
		*timeo -= tmo - left;
}

static void sdp_zc_write_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct sdp_conn *conn = cq->cq_context;

	conn->zt.wr_status = wc->status;
	conn->zt.wr_done = true;
	if (wc->status != IB_WC_SUCCESS && wc->status != IB_WC_WR_FLUSH_ERR &&
	    conn->state != TCP_CLOSE) {
		/* a bad key or range in the peer's SinkAvail, or the link */
		if (wc->status == IB_WC_REM_ACCESS_ERR)
			SDP_STAT_INC(conn->sk, SDP_STAT_BAD_MESSAGES);
		else
			SDP_STAT_INC(conn->sk, SDP_STAT_ABORTS_TRANSPORT);
		sdp_conn_abort(conn, ECONNRESET, true);
	}
	sdp_zc_wake(conn);	/* its sender: sdp_zc_write */
}

/* Send up to @len bytes of @msg with one RDMA WRITE into the buffer the
 * peer's reader advertised, waiting a while for one. Returns the bytes
 * written (the iterator is after them), 0 when there was no buffer to
 * write into or the pages could not be registered (the caller sends a
 * stretch by bcopy), or < 0 with nothing sent.
 */
ssize_t sdp_zc_write(struct sdp_conn *conn, struct msghdr *msg, size_t len,
		     long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct sdp_zc_tx *zt = &conn->zt;
	struct sock *sk = conn->sk;
	const struct ib_send_wr *bad;
	struct ib_rdma_wr wr;
	struct ib_reg_wr reg;
	struct ib_sge sge;
	int err, status;
	ssize_t n;

	/* the bytes before it go first: everything queued is posted */
	sdp_conn_push(conn, true);
	err = sdp_zc_wait_ready(conn, timeo);
	if (err)
		return err;
	if (!zt->snk_valid && !zt->snk_miss) {
		sdp_zc_snk_wait(conn, timeo);
		/* none came: do not wait again until the peer advertises */
		zt->snk_miss = !zt->snk_valid;
	}
	/* the wait let the lock go: the connection may be ending */
	if (!sdp_zc_can_write(conn))
		return -EPIPE;
	if (!zt->snk_valid || !sdp_zc_ready(conn) || zt->busy) {
		SDP_STAT_INC(sk, SDP_STAT_ZCOPY_FALLBACKS);
		return 0;
	}
	n = sdp_zc_map(conn, msg, min_t(size_t, len, zt->snk_size), 0, &reg);
	if (n < 0) {
		sdp_zc_snk_refuse(conn);
		SDP_STAT_INC(sk, SDP_STAT_ZCOPY_FALLBACKS);
		return 0;
	}
	zt->wr_cqe.done = sdp_zc_write_done;
	sdp_zc_rdma_wr(&wr, &sge, IB_WR_RDMA_WRITE, &zt->wr_cqe, zt->mr, n,
		       zt->snk_addr, zt->snk_rkey);
	reg.wr.next = &wr.wr;
	zt->len = n;
	zt->busy = true;
	zt->write = true;
	zt->wr_done = false;
	zt->snk_valid = false;
	if (ib_post_send(conn->qp, &reg.wr, &bad)) {
		if (bad == &reg.wr) {
			zt->write = false;
			sdp_zc_tx_release(conn);
			iov_iter_revert(&msg->msg_iter, n);
			zt->snk_valid = true;
			sdp_zc_snk_refuse(conn);
			SDP_STAT_INC(sk, SDP_STAT_ZCOPY_FALLBACKS);
			return 0;
		}
		/* registered, not written: the connection cannot go on; its
		 * teardown lets the pages go
		 */
		sdp_conn_abort(conn, ECONNRESET, true);
	} else {
		/* RC order: the peer sees the bytes before RdmaWrCompl */
		zt->wr_owed = n;
		sdp_zc_push(conn);
	}
	/* not interruptible: the device reads the pages until it is done
	 * (the WRITE completes, or flushes when the connection dies)
	 */
	add_wait_queue(sk_sleep(sk), &wait);
	while (zt->busy && !zt->wr_done) {
		release_sock(sk);
		wait_woken(&wait, TASK_UNINTERRUPTIBLE, HZ);
		lock_sock(sk);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	status = zt->wr_done ? zt->wr_status : IB_WC_WR_FLUSH_ERR;
	zt->write = false;
	sdp_zc_tx_release(conn);
	/* another sender may go now */
	sk->sk_state_change(sk);
	if (status != IB_WC_SUCCESS) {
		iov_iter_revert(&msg->msg_iter, n);
		return -EPIPE;
	}
	conn->snd_nxt += n;
	conn->snd_una += n;
	sdp_stat_add(sk, SDP_STAT_ZCOPY_TX_BYTES, n);
	sdp_stat_add(sk, SDP_STAT_ZCOPY_TX_WRITE_BYTES, n);
	return n;
}

/* may this blocking recv (@left bytes to go) advertise its buffer? Only
 * with nothing to read or owed, and not right after a SinkAvail the
 * source gave back (adv_resume: not before zcopy_thresh more bytes came
 * by bcopy, so a peer sending small messages is not asked each time)
 */
bool sdp_zc_sink_ok(const struct sdp_conn *conn, const struct msghdr *msg,
		    size_t left, int flags, long timeo)
{
	int thresh = READ_ONCE(sdp_sk(conn->sk)->zcopy_thresh);
	const struct sdp_zc_rx *zr = &conn->zr;

	return thresh && left >= (size_t)thresh && timeo && conn->qp &&
	       sdp_zc_write_mode(conn) && !(flags & (MSG_PEEK | MSG_TRUNC)) &&
	       (iter_is_ubuf(&msg->msg_iter) ||
		iter_is_iovec(&msg->msg_iter)) &&
	       !zr->active && !zr->user && !zr->adv && !zr->owed &&
	       !zr->sendsm_owed && !zr->cancel_owed &&
	       skb_queue_empty(&conn->rxq) &&
	       conn->copied_seq == conn->rcv_nxt &&
	       conn->rcv_nxt >= zr->adv_resume &&
	       !test_bit(SDP_CF_FIN_RCVD, &conn->flags) &&
	       !(conn->sk->sk_shutdown & RCV_SHUTDOWN);
}

/* the source answered, or the QP is gone (the pages were let go) */
static bool sdp_zc_sink_over(const struct sdp_conn *conn)
{
	return conn->zr.adv_done || !conn->zr.user;
}

static bool sdp_zc_sink_stop(const struct sdp_conn *conn)
{
	const struct sock *sk = conn->sk;

	return sdp_zc_sink_over(conn) || signal_pending(current) ||
	       sk->sk_err || conn->state == TCP_CLOSE ||
	       (sk->sk_shutdown & RCV_SHUTDOWN);
}

/* Wait for the answer to our SinkAvail. A signal, SO_RCVTIMEO or the end
 * of the connection cancels it (SinkAvailCancel); then the pages stay
 * until the source answered, for a bounded time, else the connection is
 * reset and they stay until the QP is gone. Returns 0 or the errno.
 */
static int sdp_zc_sink_wait(struct sdp_conn *conn, long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct sdp_zc_rx *zr = &conn->zr;
	struct sock *sk = conn->sk;
	long tmo = SDP_ZC_CANCEL_WAIT;
	int err = 0;

	add_wait_queue(sk_sleep(sk), &wait);
	while (!sdp_zc_sink_over(conn)) {
		if (!*timeo || sdp_zc_sink_stop(conn)) {
			if (signal_pending(current))
				err = sock_intr_errno(*timeo);
			else if (!*timeo)
				err = -EAGAIN;
			zr->adv_cancelled = true;
			zr->cancel_owed = true;
			sdp_zc_push(conn);
			break;
		}
		sk_wait_event(sk, timeo, sdp_zc_sink_stop(conn), &wait);
	}
	while (!sdp_zc_sink_over(conn)) {
		if (!tmo && conn->state != TCP_CLOSE)
			/* no answer: reset; the teardown lets the pages go */
			sdp_conn_abort(conn, ETIMEDOUT, true);
		release_sock(sk);
		if (tmo)
			tmo = wait_woken(&wait, TASK_UNINTERRUPTIBLE, tmo);
		else
			wait_woken(&wait, TASK_UNINTERRUPTIBLE, HZ);
		lock_sock(sk);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return err;
}

/* Advertise the reader's buffer (up to @len bytes of it, SDP_ZC_MAX at
 * most) in a SinkAvail and wait for the source to RDMA-WRITE into it.
 * Returns the bytes written (the iterator is after them), 0 when nothing
 * was (the caller reads as usual), or the errno of a signal or timeout.
 */
ssize_t sdp_zc_sink(struct sdp_conn *conn, struct msghdr *msg, size_t len,
		    long *timeo)
{
	int thresh = READ_ONCE(sdp_sk(conn->sk)->zcopy_thresh);
	struct sdp_zc_rx *zr = &conn->zr;
	struct sock *sk = conn->sk;
	struct ib_reg_wr reg;
	struct sdp_msg m = {};
	unsigned long addr;
	u32 n, written;
	int err;

	n = min3(len, sdp_zc_iter_seg(&msg->msg_iter, &addr),
		 (size_t)SDP_ZC_MAX);
	/* the SinkAvail must go once the buffer is registered */
	if (n < (u32)thresh || !sdp_can_send_ext(conn, true))
		return 0;
	if (sdp_zc_user_map(conn, addr, &n))
		goto fallback;
	zr->user = true;	/* the pages are held: teardown releases */
	sdp_zc_reg_wr(&reg, zr->umr, &zr->ureg_cqe,
		      IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_WRITE);
	if (ib_post_send(conn->qp, &reg.wr, NULL))
		goto fallback;
	m.mid = SDP_MID_SINKAVAIL;
	m.size = n;
	m.rkey = zr->umr->rkey;
	m.addr = zr->umr->iova;
	zr->adv = true;
	zr->adv_done = false;
	zr->adv_cancelled = false;
	zr->adv_size = n;
	zr->adv_written = 0;
	zr->adv_seq = conn->rcv_nxt;
	if (sdp_send_ext(conn, &m, true))
		/* registered, not advertised: the connection cannot go on */
		sdp_conn_abort(conn, ECONNRESET, true);
	err = sdp_zc_sink_wait(conn, timeo);
	written = zr->adv_done ? zr->adv_written : 0;
	/* the source gave it back: do not ask again right away */
	if (zr->adv_done && !written && !zr->adv_cancelled)
		zr->adv_resume = conn->rcv_nxt + thresh;
	zr->adv = false;
	if (zr->user)
		sdp_zc_user_release(conn);
	if (!written)
		return err;
	/* rcv_nxt and copied_seq moved when RdmaWrCompl came */
	iov_iter_advance(&msg->msg_iter, written);
	sdp_stat_add(sk, SDP_STAT_ZCOPY_RX_BYTES, written);
	sdp_stat_add(sk, SDP_STAT_ZCOPY_RX_DIRECT_BYTES, written);
	return written;
fallback:
	/* nothing advertised; not again before more bytes came by bcopy */
	sdp_zc_user_release(conn);
	zr->adv_resume = conn->rcv_nxt + thresh;
	SDP_STAT_INC(sk, SDP_STAT_ZCOPY_FALLBACKS);
	return 0;
}

/* A write-mode message: 0 when handled, 1 when it is not one, -EBADMSG /
 * -EPROTO for a peer that broke the protocol.
 */
static int sdp_zc_rx_write_msg(struct sdp_conn *conn, const struct sdp_msg *m)
{
	bool wr = conn->caps & SDP_CAP_RDMA_WRITE_ZCOPY;
	struct sdp_zc_rx *zr = &conn->zr;
	struct sdp_zc_tx *zt = &conn->zt;
	struct sock *sk = conn->sk;

	switch (m->mid) {
	case SDP_MID_SINKAVAIL:
		if (!wr)
			return -EPROTO;
		/* one at a time, and only after the last one's answer */
		if (!m->size || m->size > SDP_ZC_MAX || zt->snk_valid ||
		    zt->snk_ack_owed || zt->wr_owed)
			return -EBADMSG;
		zt->snk_miss = false;
		/* stale: sent before the peer had all our bytes (the bytes
		 * would land after the buffer), or nothing more will go
		 */
		if ((s32)(m->mseq_ack - zt->data_mseq) < 0 || conn->fin_queued ||
		    (sk->sk_shutdown & SEND_SHUTDOWN) || sock_flag(sk, SOCK_DEAD)) {
			zt->snk_ack_owed = true;
			sdp_zc_push(conn);
			return 0;
		}
		zt->snk_valid = true;
		zt->snk_size = m->size;
		zt->snk_rkey = m->rkey;
		zt->snk_addr = m->addr;
		sk->sk_state_change(sk);
		return 0;
	case SDP_MID_SINKAVAIL_CANCEL:
		if (!wr)
			return -EPROTO;
		/* not written into yet: give it back; else RdmaWrCompl or
		 * SinkCancelAck is the answer already
		 */
		if (zt->snk_valid)
			sdp_zc_snk_refuse(conn);
		return 0;
	case SDP_MID_RDMA_WR_COMPL:
		if (!wr)
			return -EPROTO;
		/* no bytes may come between our SinkAvail and its answer */
		if (!zr->adv || zr->adv_done || m->size > zr->adv_size ||
		    conn->rcv_nxt != zr->adv_seq)
			return -EBADMSG;
		zr->adv_done = true;
		zr->adv_written = m->size;
		/* the bytes are in the reader's buffer: received and read */
		conn->rcv_nxt += m->size;
		conn->copied_seq += m->size;
		sdp_oob_consumed(conn, conn->copied_seq);
		sdp_zc_wake(conn);
		return 0;
	case SDP_MID_SINK_CANCEL_ACK:
		if (!wr)
			return -EPROTO;
		if (!zr->adv || zr->adv_done)
			return -EBADMSG;
		zr->adv_done = true;
		sdp_zc_wake(conn);
		return 0;
	default:
		return 1;
	}
}

/* A zero-copy message from the peer (or one behind a SrcAvail being
 * read): 0 when handled, 1 when the caller should handle it as usual,
 * -EBADMSG / -EPROTO / -EPIPE for a peer that broke the protocol.
 */
int sdp_zc_rx_msg(struct sdp_conn *conn, const void *buf,
		  const struct sdp_msg *m)
{
	struct sdp_zc_rx *zr = &conn->zr;
	struct sdp_zc_tx *zt = &conn->zt;
	bool zc = conn->caps & SDP_CAP_RDMA_READ_ZCOPY;
	int err;

	err = sdp_zc_rx_write_msg(conn, m);
	if (err <= 0)
		return err;
	switch (m->mid) {
	case SDP_MID_SRCAVAIL:
		if (!zc)
			return -EPROTO;
		if (zr->active || m->size > SDP_ZC_MAX)
			return -EBADMSG;
		if (m->data_len) {	/* the first bytes inline */
			err = sdp_rx_data(conn, buf, m);
			if (err)
				return err;
		}
		if (test_bit(SDP_CF_FIN_RCVD, &conn->flags) ||
		    sock_flag(conn->sk, SOCK_DEAD))
			return -EPIPE;
		zr->active = true;
		zr->posted = false;
		zr->cancelled = false;
		zr->size = m->size;
		zr->rkey = m->rkey;
		zr->addr = m->addr;
		if (zr->want && skb_queue_empty(&conn->rxq))
			/* a blocked reader reads it into its own buffer */
			conn->sk->sk_data_ready(conn->sk);
		else
			sdp_zc_rx_start(conn);
		return 0;
	case SDP_MID_SRCAVAIL_CANCEL:
		if (!zc)
			return -EPROTO;
		/* not read yet: refuse it; being read: RdmaRdCompl follows
		 * (and a SendSM for the rest of a partial read)
		 */
		if (zr->active && !zr->posted)
			sdp_zc_refuse(conn);
		else if (zr->active)
			zr->cancelled = true;
		return 0;
	case SDP_MID_RDMA_RD_COMPL:
		if (!zc)
			return -EPROTO;
		if (!zt->busy || zt->write || m->size > zt->len - zt->acked)
			return -EBADMSG;
		zt->acked += m->size;
		if (zt->res)
			zt->res->acked = zt->acked;
		if (zt->acked == zt->len) {
			/* all read: the pages may go now, before another
			 * sender's SrcAvail takes the slot
			 */
			if (zt->res)
				zt->res->done = true;
			zt->res = NULL;
			sdp_zc_tx_release(conn);
		}
		conn->sk->sk_state_change(conn->sk);
		return 0;
	case SDP_MID_SENDSM:
		if (!zc)
			return -EPROTO;
		if (!zt->busy || zt->write)
			return -EBADMSG;
		if (zt->res) {
			zt->res->refused = true;
			zt->res->done = true;
		}
		zt->res = NULL;
		sdp_zc_tx_release(conn);
		conn->sk->sk_state_change(conn->sk);
		return 0;
	case SDP_MID_DISCONN:
		if (!zr->active)
			return 1;
		zr->fin_held = true;
		return 0;
	case SDP_MID_DATA:
		/* our senders send nothing while their SrcAvail is out */
		if (zr->active && m->data_len)
			return -EBADMSG;
		return 1;
	default:
		return 1;
	}
}

/* the QP is gone: nothing reads our pages or writes our buffers now */
void sdp_zc_teardown(struct sdp_conn *conn)
{
	if (conn->zr.user)
		sdp_zc_user_release(conn);	/* its reader sees it gone */
	if (conn->zt.busy || conn->zt.npages || conn->zt.mr)
		sdp_zc_tx_release(conn);
	conn->zt.snk_valid = false;
	conn->zt.snk_ack_owed = false;
	conn->zt.wr_owed = 0;
	conn->zr.cancel_owed = false;
	sdp_zc_wake(conn);	/* a waiter for its pages sees them gone */
	sdp_zc_rx_free(conn);
	conn->zr.active = false;
	conn->zr.posted = false;
}
