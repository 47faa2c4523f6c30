// SPDX-License-Identifier: GPL-2.0
/*
 * sdp send side: bcopy through registered buffers under credit flow
 * control (wire.md "Credits"), Nagle-style coalescing, TCP_CORK, inline
 * sends and control messages on a separate small ring so that a DisConn,
 * AbortConn, credit update or OOB_PEND can always go out on the credit
 * kept in reserve. Everything here runs under lock_sock (see conn.c).
 */
#include <linux/uio.h>
#include <linux/sched/signal.h>
#include <net/sock.h>

#include "sdp.h"
#include "trace.h"

static u32 sdp_ring_next(u32 i, u32 n)
{
	return i + 1 == n ? 0 : i + 1;
}

/* post one message; the buffer holds @b->len bytes, header space included */
static int sdp_post(struct sdp_conn *conn, struct sdp_buf *b, u8 mid,
		    u8 flags)
{
	struct ib_device *dev = conn->pd->device;
	struct ib_sge sge;
	struct ib_send_wr wr = {};
	int err;

	sdp_pack_bsdh(b->data, mid, flags, conn->rx_posted, b->len,
		      conn->tx_mseq + 1, conn->rx_mseq);
	ib_dma_sync_single_for_device(dev, b->dma, b->len, DMA_TO_DEVICE);
	sge.addr = b->dma;
	sge.length = b->len;
	sge.lkey = conn->pd->local_dma_lkey;
	wr.wr_cqe = &b->cqe;
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.opcode = IB_WR_SEND;
	wr.send_flags = IB_SEND_SIGNALED;
	if (b->len <= conn->max_inline) {
		/* inline data is copied by the CPU from the kernel address */
		sge.addr = (uintptr_t)b->data;
		wr.send_flags |= IB_SEND_INLINE;
		SDP_STAT_INC(conn->sk, SDP_STAT_INLINE_TX_MSGS);
	}
	err = ib_post_send(conn->qp, &wr, NULL);
	if (err) {
		pr_debug("sdp: post_send failed %d\n", err);
		return err;
	}
	trace_sdp_send(conn, mid, flags, b->len, conn->tx_mseq + 1,
		       conn->tx_credits - 1);
	b->mid = mid;
	b->posted = true;
	/* a SinkAvail sent before the peer saw this is stale (zcopy.c) */
	if (b->payload || mid == SDP_MID_SRCAVAIL ||
	    mid == SDP_MID_RDMA_WR_COMPL)
		conn->zt.data_mseq = conn->tx_mseq + 1;
	conn->tx_mseq++;
	conn->tx_credits--;
	conn->tx_inflight++;
	conn->rx_adv_bufs = conn->rx_posted;
	conn->rx_adv_mseq = conn->rx_mseq;
	return 0;
}

static bool sdp_can_send(const struct sdp_conn *conn)
{
	return conn->qp && conn->tx_ring &&
	       test_bit(SDP_CF_QP_READY, &conn->flags) &&
	       !test_bit(SDP_CF_DESTROYING, &conn->flags);
}

static struct sdp_buf *sdp_ctl_slot(const struct sdp_conn *conn)
{
	u32 i;

	for (i = 0; i < SDP_CTL_SLOTS; i++)
		if (!conn->ctl_ring[i].posted)
			return &conn->ctl_ring[i];
	return NULL;
}

/* a control message: no payload, on the reserved credit if need be */
int sdp_send_ctl(struct sdp_conn *conn, u8 mid, u8 flags)
{
	struct sdp_buf *b;

	if (!sdp_can_send(conn))
		return -ENOTCONN;
	if (conn->tx_credits < 1) {
		SDP_STAT_INC(conn->sk, SDP_STAT_CREDIT_STALLS);
		return -EAGAIN;
	}
	b = sdp_ctl_slot(conn);
	if (!b)
		return -EAGAIN;
	b->len = SDP_BSDH_LEN;
	b->payload = 0;
	return sdp_post(conn, b, mid, flags);
}

/* would sdp_send_ext() post now? (lock_sock keeps it so) */
bool sdp_can_send_ext(const struct sdp_conn *conn, bool data_credit)
{
	return sdp_can_send(conn) &&
	       conn->tx_credits >= (data_credit ? SDP_CONTROL_CREDITS + 1 : 1) &&
	       sdp_ctl_slot(conn);
}

/* a control message with an extended header (SrcAvail, RdmaRdCompl);
 * @data_credit: it may not take the credit kept for control
 */
int sdp_send_ext(struct sdp_conn *conn, const struct sdp_msg *m,
		 bool data_credit)
{
	struct sdp_msg h = *m;
	struct sdp_buf *b;

	if (!sdp_can_send(conn))
		return -ENOTCONN;
	if (conn->tx_credits < (data_credit ? SDP_CONTROL_CREDITS + 1 : 1)) {
		SDP_STAT_INC(conn->sk, SDP_STAT_CREDIT_STALLS);
		return -EAGAIN;
	}
	b = sdp_ctl_slot(conn);
	if (!b)
		return -EAGAIN;
	h.len = SDP_BSDH_LEN + sdp_ext_len(h.mid);
	b->len = sdp_pack_msg(b->data, &h);
	b->payload = 0;
	return sdp_post(conn, b, h.mid, h.flags);
}

/* Is there room for more data: no zero-copy send out, a slot not in use,
 * and a buffer for it unless the last attempt to allocate one failed and
 * no slot has given its buffer back since (a completion does; see
 * sdp_tx_slot_buf).
 */
bool sdp_conn_writable(const struct sdp_conn *conn)
{
	/* a zero-copy send that is out holds the socket's send side */
	return conn->tx_ring && conn->tx_used < conn->tx_depth &&
	       !conn->zt.busy &&
	       !(conn->tx_nomem && conn->tx_bufs <= conn->tx_used);
}

/* Make sure the slot at tx_head, about to be filled, has a buffer. The
 * send ring's buffers are allocated only when needed and then kept until
 * teardown. Slots in use always have one, so tx_bufs - tx_used of them sit
 * in free slots (tx_head .. tx_tail - 1): take the one of the slot that
 * completed last, just before tx_tail, and allocate only when there is
 * none. A connection thus holds as many buffers as it ever had slots in
 * use at once, not the whole ring. Process context (sendmsg) under
 * lock_sock, so the allocation may sleep.
 */
static int sdp_tx_slot_buf(struct sdp_conn *conn)
{
	struct sdp_buf *b = &conn->tx_ring[conn->tx_head];
	u32 i, j = conn->tx_tail;

	if (b->data)
		return 0;
	if (conn->tx_bufs > conn->tx_used) {
		for (i = conn->tx_used + 1; i < conn->tx_depth; i++) {
			struct sdp_buf *f;

			j = j ? j - 1 : conn->tx_depth - 1;
			f = &conn->tx_ring[j];
			if (!f->data)
				continue;
			b->data = f->data;
			b->dma = f->dma;
			f->data = NULL;
			f->dma = 0;
			return 0;
		}
	}
	if (sdp_buf_map(conn, b, conn->tx_size, DMA_TO_DEVICE,
			GFP_KERNEL | __GFP_NOWARN))
		return -ENOBUFS;
	conn->tx_bufs++;
	return 0;
}

u32 sdp_conn_outq(const struct sdp_conn *conn)
{
	return conn->snd_nxt - conn->snd_una;
}

/* bytes queued but not yet posted to the QP */
u32 sdp_conn_unsent(const struct sdp_conn *conn)
{
	u32 i, n = 0, slot = conn->tx_post;

	if (!conn->tx_ring)
		return 0;
	for (i = 0; i < conn->tx_unposted; i++) {
		n += conn->tx_ring[slot].payload;
		slot = sdp_ring_next(slot, conn->tx_depth);
	}
	if (conn->tx_partial)
		n += conn->tx_ring[conn->tx_head].payload;
	return n;
}

/* is the peer's view of our posted buffers low enough to tell it more? */
static bool sdp_need_credit_update(const struct sdp_conn *conn)
{
	u32 used = conn->rx_mseq - conn->rx_adv_mseq;
	u32 view = used < conn->rx_adv_bufs ? conn->rx_adv_bufs - used : 0;

	return view < conn->rx_want / 2 &&
	       conn->rx_posted >= view + max_t(u32, 1, conn->rx_want / 4);
}

static void sdp_close_partial(struct sdp_conn *conn)
{
	conn->tx_partial = false;
	conn->tx_unposted++;
	conn->tx_head = sdp_ring_next(conn->tx_head, conn->tx_depth);
}

/* MSG_BOUNDARY: move queued records (conn->txq, each skb a record header
 * and the message) into send slots as slots and buffers allow. A slot
 * holds a fragment of one record only; the last one carries EOR. The
 * skb's cb seq counts the bytes already moved.
 */
static void sdp_tx_fill_records(struct sdp_conn *conn)
{
	struct sk_buff *skb;

	while ((skb = skb_peek(&conn->txq))) {
		u32 off = SDP_SKB_CB(skb)->seq, chunk;
		struct sdp_buf *b;

		if (!sdp_conn_writable(conn))
			break;
		if (sdp_tx_slot_buf(conn)) {
			/* a completion gives a buffer back; none to come */
			if (!conn->tx_used)
				sdp_conn_abort(conn, ENOBUFS, true);
			conn->tx_nomem = true;
			break;
		}
		conn->tx_nomem = false;
		b = &conn->tx_ring[conn->tx_head];
		chunk = min_t(u32, skb->len - off, conn->tx_size - SDP_BSDH_LEN);
		if (skb_copy_bits(skb, off, b->data + SDP_BSDH_LEN, chunk))
			break;
		b->len = SDP_BSDH_LEN + chunk;
		b->payload = chunk;
		b->mid = SDP_MID_DATA;
		b->eor = off + chunk == skb->len;
		conn->tx_used++;
		conn->tx_unposted++;
		conn->tx_head = sdp_ring_next(conn->tx_head, conn->tx_depth);
		conn->snd_nxt += chunk;
		sdp_stat_add(conn->sk, SDP_STAT_BCOPY_TX_BYTES, chunk);
		SDP_SKB_CB(skb)->seq += chunk;
		if (b->eor) {
			__skb_unlink(skb, &conn->txq);
			consume_skb(skb);
		}
	}
}

/* Post what may be posted: filled slots while there are data credits
 * (one kept for control), the partial slot when Nagle and cork allow
 * (or @force), then a queued DisConn, then a credit update if the peer
 * needs one and nothing else carried it.
 */
void sdp_conn_push(struct sdp_conn *conn, bool force)
{
	u32 mseq = conn->tx_mseq;

	if (!sdp_can_send(conn))
		return;
	sdp_zc_push(conn);
	/* the bytes of a WRITE are announced (RdmaWrCompl) before any more */
	if (conn->zt.wr_owed)
		return;
	if (conn->boundary) {
		sdp_tx_fill_records(conn);
		if (!sdp_can_send(conn))
			return;
	}
	if (conn->tx_partial &&
	    (force || conn->fin_queued ||
	     (!conn->cork && (conn->nodelay || !conn->tx_inflight))))
		sdp_close_partial(conn);
	while (conn->tx_unposted) {
		struct sdp_buf *b = &conn->tx_ring[conn->tx_post];

		/* bytes the peer's SinkAvail did not count on: give it back
		 * (before the credit check: the answer may take a credit)
		 */
		if (conn->zt.snk_valid)
			sdp_zc_snk_refuse(conn);
		if (conn->tx_credits <= SDP_CONTROL_CREDITS) {
			SDP_STAT_INC(conn->sk, SDP_STAT_CREDIT_STALLS);
			sdp_conn_persist(conn);
			break;
		}
		if (sdp_post(conn, b, SDP_MID_DATA,
			     (b->oob ? SDP_F_OOB_PRES : 0) |
			     (b->eor ? SDP_F_EOR : 0))) {
			sdp_conn_abort(conn, ECONNRESET, false);
			return;
		}
		SDP_STAT_INC(conn->sk, SDP_STAT_BCOPY_TX_MSGS);
		conn->tx_unposted--;
		conn->tx_post = sdp_ring_next(conn->tx_post, conn->tx_depth);
	}
	if (conn->fin_queued && !test_bit(SDP_CF_FIN_SENT, &conn->flags) &&
	    !conn->tx_partial && !conn->tx_unposted) {
		if (conn->zt.snk_valid)
			sdp_zc_snk_refuse(conn);
		if (!sdp_send_ctl(conn, SDP_MID_DISCONN, 0))
			set_bit(SDP_CF_FIN_SENT, &conn->flags);
	}
	if (conn->tx_mseq == mseq && sdp_need_credit_update(conn)) {
		if (!sdp_send_ctl(conn, SDP_MID_DATA, 0))
			SDP_STAT_INC(conn->sk, SDP_STAT_CREDIT_UPDATES);
	}
}

/* queue an orderly close: DisConn goes out after all queued data */
int sdp_conn_send_fin(struct sdp_conn *conn)
{
	switch (conn->state) {
	case TCP_ESTABLISHED:
		sdp_conn_set_state(conn, TCP_FIN_WAIT1);
		break;
	case TCP_CLOSE_WAIT:
		sdp_conn_set_state(conn, TCP_LAST_ACK);
		break;
	default:
		return -ENOTCONN;
	}
	conn->fin_queued = true;
	sdp_conn_push(conn, true);
	return 0;
}

void sdp_tx_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct sdp_buf *b = container_of(wc->wr_cqe, struct sdp_buf, cqe);
	struct sdp_conn *conn = b->conn;
	struct sock *sk = conn->sk;

	b->posted = false;
	if (conn->tx_inflight)
		conn->tx_inflight--;
	if (b >= conn->tx_ring && b < conn->tx_ring + conn->tx_depth) {
		/* data slots complete in order */
		conn->tx_tail = sdp_ring_next(conn->tx_tail, conn->tx_depth);
		conn->tx_used--;
		conn->snd_una += b->payload;
		b->payload = 0;
		b->oob = false;
		b->eor = false;
		b->len = 0;
		if (wc->status == IB_WC_SUCCESS)
			sk->sk_write_space(sk);
	} else if (b->mid == SDP_MID_DISCONN && wc->status == IB_WC_SUCCESS) {
		/* our FIN is on the wire and acknowledged by the transport */
		if (conn->state == TCP_CLOSING)	/* we closed first */
			set_bit(SDP_CF_TIMEWAIT, &conn->flags);
		if (conn->state == TCP_FIN_WAIT1)
			sdp_conn_set_state(conn, TCP_FIN_WAIT2);
		else if (conn->state == TCP_LAST_ACK ||
			 conn->state == TCP_CLOSING)
			sdp_conn_done(conn);
		sk->sk_state_change(sk);
	}
	if (wc->status != IB_WC_SUCCESS && wc->status != IB_WC_WR_FLUSH_ERR &&
	    conn->state != TCP_CLOSE) {
		pr_debug("sdp: send completion status %d\n", wc->status);
		SDP_STAT_INC(sk, SDP_STAT_ABORTS_TRANSPORT);
		sdp_conn_abort(conn, ETIMEDOUT, false);
	}
}

void sdp_tx_after_poll(struct sdp_conn *conn)
{
	sdp_conn_push(conn, false);
}

static int sdp_sendmsg_wait(struct sdp_conn *conn, long *timeo)
{
	struct sock *sk = conn->sk;
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	int err = 0;

	add_wait_queue(sk_sleep(sk), &wait);
	while (!sdp_conn_writable(conn)) {
		if (sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN)) {
			err = -EPIPE;
			break;
		}
		if (!*timeo) {
			err = -EAGAIN;
			break;
		}
		if (signal_pending(current)) {
			err = sock_intr_errno(*timeo);
			break;
		}
		set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
		sdp_conn_wait_begin(conn);
		sk_wait_event(sk, timeo, sdp_conn_writable(conn) ||
			      sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN) ||
			      sdp_conn_cq_pending(conn), &wait);
		sdp_conn_wait_end(conn);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return err;
}

/* Copy @len bytes from @msg into send slots and post them as credits
 * allow. Returns bytes taken or an error when none were. With MSG_OOB the
 * last byte is the urgent byte: it ends its own message with OOB_PRES.
 */
int sdp_conn_sendmsg(struct sdp_conn *conn, struct msghdr *msg, size_t len,
		     long *timeo)
{
	bool oob = msg->msg_flags & MSG_OOB;
	bool zc_off = false, zc_sent = false;
	size_t copied = 0, wr_next = 0;
	int err = 0;

	sdp_zc_nocap(conn, msg, len, *timeo);
	while (copied < len) {
		struct sdp_buf *b;
		size_t room, chunk;

		if (!sdp_can_send(conn)) {
			err = -EPIPE;
			break;
		}
		if (zc_sent && conn->zt.wanted)
			sdp_zc_yield(conn);
		if (sdp_zc_taken(conn, msg)) {
			/* another call's zero-copy send is out, or that call
			 * holds the send side to its end: after it
			 */
			err = sdp_zc_wait_idle(conn, msg, timeo);
			if (err)
				break;
			continue;
		}
		if (copied >= wr_next &&
		    sdp_zc_write_want(conn, msg, len - copied, *timeo)) {
			ssize_t n;

			if (!zc_sent)
				sdp_zc_turn_taken(conn);
			/* this call holds the send side to its end */
			conn->zt.owner = msg;
			n = sdp_zc_write(conn, msg, len - copied, timeo);
			if (n < 0) {
				err = n;
				break;
			}
			copied += n;
			zc_sent |= n > 0;
			/* no sink for it: a bcopy stretch, then look again */
			if (!n)
				wr_next = copied + SDP_ZC_MAX;
			continue;
		}
		if (!zc_off && sdp_zc_want(conn, msg, len - copied, *timeo)) {
			ssize_t n;

			if (!zc_sent)
				sdp_zc_turn_taken(conn);
			/* this call holds the send side to its end */
			conn->zt.owner = msg;
			n = sdp_zc_send(conn, msg, len - copied, timeo);
			if (n < 0) {
				err = n;
				break;
			}
			copied += n;
			zc_sent |= n > 0;
			/* refused or not mappable: the rest goes by bcopy */
			zc_off = !n;
			continue;
		}
		if (!conn->tx_partial) {
			if (!sdp_conn_writable(conn)) {
				sdp_conn_push(conn, true);
				err = sdp_sendmsg_wait(conn, timeo);
				if (err)
					break;
				if (!sdp_can_send(conn)) {
					err = -EPIPE;
					break;
				}
				continue;
			}
			if (sdp_tx_slot_buf(conn)) {
				/* No memory: wait as for a full ring while
				 * other slots are in use (a completion gives
				 * a buffer back), else there is none to wait
				 * for.
				 */
				if (!conn->tx_used) {
					err = -ENOBUFS;
					break;
				}
				conn->tx_nomem = true;
				continue;
			}
			conn->tx_nomem = false;
			b = &conn->tx_ring[conn->tx_head];
			b->len = SDP_BSDH_LEN;
			b->payload = 0;
			b->mid = SDP_MID_DATA;
			conn->tx_partial = true;
			conn->tx_used++;
		}
		b = &conn->tx_ring[conn->tx_head];
		room = conn->tx_size - b->len;
		chunk = min(room, len - copied);
		if (copy_from_iter(b->data + b->len, chunk, &msg->msg_iter) !=
		    chunk) {
			if (b->len == SDP_BSDH_LEN) {
				conn->tx_partial = false;
				conn->tx_used--;
			}
			err = -EFAULT;
			break;
		}
		b->len += chunk;
		b->payload += chunk;
		copied += chunk;
		conn->snd_nxt += chunk;
		sdp_stat_add(conn->sk, SDP_STAT_BCOPY_TX_BYTES, chunk);
		if (!zc_sent)
			sdp_zc_turn_taken(conn);
		if (oob && copied == len) {
			/* the urgent byte ends this message: OOB_PRES */
			b->oob = true;
			sdp_close_partial(conn);
			sdp_conn_push(conn, false);
			sdp_oob_tx_urgent(conn);
		} else if (b->len == conn->tx_size) {
			sdp_close_partial(conn);
		}
		sdp_conn_push(conn, false);
	}
	sdp_zc_release_owner(conn, msg);
	if (copied) {
		sdp_conn_push(conn, false);
		return copied;
	}
	return err;
}
