// SPDX-License-Identifier: GPL-2.0
/*
 * sdp receive side: the ring of pre-registered receive buffers, the
 * handling of each received message (validated by wire.c first), and the
 * stream read path. Received payload is copied out of the ring into skbs
 * charged to the socket; a buffer is posted again only while the socket's
 * receive memory allows, so a reader that stops reading stops its peer's
 * credits, not the machine. Runs under lock_sock (see conn.c).
 */
#include <linux/uio.h>
#include <linux/sched/signal.h>
#include <net/sock.h>

#include "sdp.h"
#include "trace.h"

/* The receive ring grows with the traffic: a connection starts with
 * SDP_RX_INITIAL buffers, each data message it receives lets it keep one
 * more posted (rx_want), up to rx_depth. Slots [0, rx_used) have buffers
 * and are posted in turn; a new slot joins at the end of that cycle, so
 * receives still complete in the order of the slots. An idle connection
 * holds a few buffers, not the whole ring; a grown ring does not shrink.
 */
static int sdp_rx_post_one(struct sdp_conn *conn)
{
	struct sdp_buf *b;
	struct ib_recv_wr wr = {};
	struct ib_sge sge;
	int err;

	if (conn->rx_head == conn->rx_used) {
		b = &conn->rx_ring[conn->rx_used];
		if (!sdp_buf_map(conn, b, conn->rx_size, DMA_FROM_DEVICE,
				 GFP_KERNEL | __GFP_NOWARN))
			conn->rx_used++;
		else if (conn->rx_used)
			conn->rx_head = 0;	/* grow on a later turn */
		else
			return -ENOMEM;
	}
	b = &conn->rx_ring[conn->rx_head];
	if (b->posted)
		return -EBUSY;
	sge.addr = b->dma;
	sge.length = conn->rx_size;
	sge.lkey = conn->pd->local_dma_lkey;
	wr.wr_cqe = &b->cqe;
	wr.sg_list = &sge;
	wr.num_sge = 1;
	err = ib_post_recv(conn->qp, &wr, NULL);
	if (err)
		return err;
	b->posted = true;
	conn->rx_posted++;
	conn->rx_head++;
	if (conn->rx_head == conn->rx_used && conn->rx_used >= conn->rx_want)
		conn->rx_head = 0;
	return 0;
}

/* Post receive buffers while the socket may take more data. One buffer is
 * always kept posted so that the peer's control messages get through.
 */
int sdp_rx_fill(struct sdp_conn *conn)
{
	struct sock *sk = conn->sk;
	int err;

	if (!conn->qp || test_bit(SDP_CF_DESTROYING, &conn->flags))
		return 0;
	while (conn->rx_posted < conn->rx_want) {
		if (conn->rx_posted >= 1 &&
		    atomic_read(&sk->sk_rmem_alloc) >= READ_ONCE(sk->sk_rcvbuf))
			break;
		err = sdp_rx_post_one(conn);
		if (err)
			return err == -EBUSY ? 0 : err;
	}
	return 0;
}

u32 sdp_conn_inq(const struct sdp_conn *conn)
{
	return conn->rcv_nxt - conn->copied_seq;
}

/* the reader freed memory: post buffers again and tell the peer */
void sdp_conn_rx_consumed(struct sdp_conn *conn)
{
	sdp_zc_rx_resume(conn);
	if (sdp_rx_fill(conn))
		sdp_conn_abort(conn, ECONNRESET, false);
	else
		sdp_conn_push(conn, false);
}

void sdp_rx_fin(struct sdp_conn *conn)
{
	struct sock *sk = conn->sk;

	set_bit(SDP_CF_FIN_RCVD, &conn->flags);
	sk->sk_shutdown |= RCV_SHUTDOWN;
	sock_set_flag(sk, SOCK_DONE);
	switch (conn->state) {
	case TCP_ESTABLISHED:
		sdp_conn_set_state(conn, TCP_CLOSE_WAIT);
		break;
	case TCP_FIN_WAIT1:
		/* our DisConn is posted but not yet completed */
		sdp_conn_set_state(conn, TCP_CLOSING);
		break;
	case TCP_FIN_WAIT2:
		set_bit(SDP_CF_TIMEWAIT, &conn->flags);
		sdp_conn_done(conn);
		break;
	default:
		break;
	}
	sk->sk_state_change(sk);
	if (sk->sk_shutdown == SHUTDOWN_MASK || conn->state == TCP_CLOSE)
		sk_wake_async(sk, SOCK_WAKE_WAITD, POLL_HUP);
	else
		sk_wake_async(sk, SOCK_WAKE_WAITD, POLL_IN);
}

/* MSG_BOUNDARY: one fragment of a record. The first starts with the
 * record header (wire.h), EOR ends the record. No urgent data here.
 */
static int sdp_rx_record(struct sdp_conn *conn, const void *buf,
			 const struct sdp_msg *m)
{
	struct sock *sk = conn->sk;
	const u8 *p = (const u8 *)buf + m->data_off;
	u32 len = m->data_len;
	struct sdp_rec_info ri = {};
	bool first = !conn->rx_rec_mid;
	bool eor = m->flags & SDP_F_EOR;
	struct sk_buff *skb;

	if (m->flags & SDP_F_OOB_PRES)
		return -EBADMSG;
	if (first) {
		if (sdp_unpack_rechdr(p, len, &ri))
			return -EBADMSG;
		p += SDP_RECHDR_LEN;
		len -= SDP_RECHDR_LEN;
	}
	skb = alloc_skb(len, GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	skb_put_data(skb, p, len);
	SDP_SKB_CB(skb)->seq = conn->rcv_nxt;
	SDP_SKB_CB(skb)->ri = ri;
	SDP_SKB_CB(skb)->first = first;
	SDP_SKB_CB(skb)->eor = eor;
	skb_set_owner_r(skb, sk);
	__skb_queue_tail(&conn->rxq, skb);
	conn->rcv_nxt += len;
	conn->rx_rec_mid = !eor;
	if (eor)
		WRITE_ONCE(conn->rx_records, conn->rx_records + 1);
	sdp_stat_add(sk, SDP_STAT_BCOPY_RX_BYTES, m->data_len);
	SDP_STAT_INC(sk, SDP_STAT_BCOPY_RX_MSGS);
	sk->sk_data_ready(sk);
	return 0;
}

int sdp_rx_data(struct sdp_conn *conn, const void *buf,
		const struct sdp_msg *m)
{
	struct sock *sk = conn->sk;
	struct sk_buff *skb;
	u32 len = m->data_len;

	if (m->flags & SDP_F_OOB_PEND)
		sdp_oob_announce(conn);
	if (!len)
		return 0;
	/* Data for a closed socket, after the peer's DisConn, or for a socket
	 * that shut its receive side and is closing: reset, as TCP does.
	 */
	if (sock_flag(sk, SOCK_DEAD) ||
	    test_bit(SDP_CF_FIN_RCVD, &conn->flags) ||
	    ((sk->sk_shutdown & RCV_SHUTDOWN) &&
	     ((1 << conn->state) & (TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2 |
				    TCPF_CLOSING | TCPF_LAST_ACK))))
		return -EPIPE;
	if (conn->boundary)
		return sdp_rx_record(conn, buf, m);
	skb = alloc_skb(len, GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	skb_put_data(skb, buf + m->data_off, len);
	SDP_SKB_CB(skb)->seq = conn->rcv_nxt;
	SDP_SKB_CB(skb)->first = false;
	SDP_SKB_CB(skb)->eor = false;
	skb_set_owner_r(skb, sk);
	__skb_queue_tail(&conn->rxq, skb);
	conn->rcv_nxt += len;
	if (m->flags & SDP_F_OOB_PRES)
		sdp_oob_arrive(conn, conn->rcv_nxt - 1,
			       ((const u8 *)buf)[m->data_off + len - 1]);
	sdp_stat_add(sk, SDP_STAT_BCOPY_RX_BYTES, len);
	SDP_STAT_INC(sk, SDP_STAT_BCOPY_RX_MSGS);
	sk->sk_data_ready(sk);
	return 0;
}

void sdp_rx_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct sdp_buf *b = container_of(wc->wr_cqe, struct sdp_buf, cqe);
	struct sdp_conn *conn = b->conn;
	struct sock *sk = conn->sk;
	struct sdp_msg m;
	int credits, err;

	b->posted = false;
	conn->rx_posted--;
	if (wc->status != IB_WC_SUCCESS) {
		if (wc->status != IB_WC_WR_FLUSH_ERR &&
		    conn->state != TCP_CLOSE) {
			/* a message longer than the buffer we told the peer
			 * of: LOC_LEN_ERR (rxe reports LOC_QP_OP_ERR or
			 * REM_INV_REQ_ERR)
			 */
			if (wc->status == IB_WC_LOC_LEN_ERR ||
			    wc->status == IB_WC_LOC_QP_OP_ERR ||
			    wc->status == IB_WC_REM_INV_REQ_ERR)
				SDP_STAT_INC(sk, SDP_STAT_BAD_MESSAGES);
			SDP_STAT_INC(sk, SDP_STAT_ABORTS_TRANSPORT);
			sdp_conn_abort(conn, ECONNRESET, false);
		}
		return;
	}
	if (conn->state == TCP_CLOSE)
		return;
	ib_dma_sync_single_for_cpu(conn->pd->device, b->dma, wc->byte_len,
				   DMA_FROM_DEVICE);
	err = sdp_unpack_msg(b->data, wc->byte_len, conn->boundary, &m);
	if (!err && m.mseq != conn->rx_mseq + 1)
		err = -EBADMSG;
	credits = err ? 0 : sdp_credits(conn->tx_mseq, m.mseq_ack, m.bufs);
	if (credits < 0)
		err = -EBADMSG;
	if (err)
		goto bad;
	trace_sdp_recv(conn, m.mid, m.flags, m.len, m.mseq, credits);
	conn->rx_mseq = m.mseq;
	conn->tx_credits = credits;
	/* a zero-copy sender waiting for a data credit only wakes up */
	if (credits > SDP_CONTROL_CREDITS && conn->zt.credit_wait) {
		conn->zt.credit_wait = false;
		sk->sk_write_space(sk);
	}
	conn->last_rx_jiffies = jiffies;
	conn->ka_probes = 0;

	err = sdp_zc_rx_msg(conn, b->data, &m);
	if (err == -EPIPE) {
		sdp_conn_abort(conn, -sdp_reset_errno(conn), true);
		return;
	}
	if (err == -EBADMSG || err == -EPROTO)
		goto bad;
	if (err < 0) {
		sdp_conn_abort(conn, ENOBUFS, true);
		return;
	}
	if (!err)
		goto fill;

	switch (m.mid) {
	case SDP_MID_DATA:
		if (conn->rx_want < conn->rx_depth)
			conn->rx_want++;
		err = sdp_rx_data(conn, b->data, &m);
		if (err == -EPIPE) {
			sdp_conn_abort(conn, -sdp_reset_errno(conn), true);
			return;
		}
		if (err == -EBADMSG)
			goto bad;
		if (err) {
			sdp_conn_abort(conn, ENOBUFS, true);
			return;
		}
		break;
	case SDP_MID_DISCONN:
		sdp_rx_fin(conn);
		break;
	case SDP_MID_ABORT:
		SDP_STAT_INC(sk, SDP_STAT_ABORTS_PEER);
		sdp_conn_abort(conn, -sdp_reset_errno(conn), false);
		return;
	default:
		/* a message this connection never negotiated */
		err = -EPROTO;
		goto bad;
	}
fill:
	if (sdp_rx_fill(conn))
		sdp_conn_abort(conn, ECONNRESET, false);
	return;
bad:
	SDP_STAT_INC(sk, SDP_STAT_BAD_MESSAGES);
	pr_debug("sdp: bad message from peer (%d), aborting\n", err);
	sdp_conn_abort(conn, ECONNRESET, true);
}

/* anything for a reader at @seq (copied_seq, or a peek's own position:
 * a peek that stepped over the urgent byte waits for what follows it)
 */
static bool sdp_recv_ready(const struct sdp_conn *conn, u64 seq)
{
	const struct sock *sk = conn->sk;

	return conn->rcv_nxt != seq || sk->sk_err ||
	       (sk->sk_shutdown & RCV_SHUTDOWN) ||
	       (conn->zr.want && conn->zr.active && !conn->zr.posted);
}

static int sdp_recv_wait(struct sdp_conn *conn, u64 seq, long *timeo)
{
	struct sock *sk = conn->sk;
	unsigned int usec = sdp_busy_poll_usec(sk);
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	unsigned long t0 = jiffies;
	bool ready = false;

	sdp_conn_wait_begin(conn);
	/* net.sdp.recv_poll_usec or SO_BUSY_POLL: poll the CQ a while
	 * before sleeping, within SO_RCVTIMEO, which the polling uses up
	 */
	if (usec) {
		if (*timeo != MAX_SCHEDULE_TIMEOUT &&
		    usecs_to_jiffies(usec) > *timeo)
			usec = jiffies_to_usecs(*timeo);
		ready = sdp_conn_busy_poll(conn, usec, sdp_recv_ready, seq);
		if (*timeo != MAX_SCHEDULE_TIMEOUT)
			*timeo = max_t(long, *timeo - (long)(jiffies - t0), 0);
	}
	while (!ready) {
		add_wait_queue(sk_sleep(sk), &wait);
		sk_wait_event(sk, timeo, sdp_recv_ready(conn, seq) ||
			      sdp_conn_cq_pending(conn), &wait);
		remove_wait_queue(sk_sleep(sk), &wait);
		/* Woken by the CQ handler: poll, and sleep on unless that
		 * brought something, the time is up or a signal came. A
		 * completion with nothing for the reader (a credit update, a
		 * send's) must not end a wait early (recv of 0 bytes waits
		 * out its SO_RCVTIMEO, as TCP's does).
		 */
		if (!sdp_conn_cq_pending(conn))
			break;
		sdp_conn_poll(conn);
		ready = sdp_recv_ready(conn, seq) || !*timeo ||
			signal_pending(current);
	}
	sdp_conn_wait_end(conn);
	return 0;
}

/* The stream read path, the way tcp_recvmsg() behaves: SO_RCVLOWAT and
 * MSG_WAITALL targets, MSG_PEEK, MSG_TRUNC discarding, stops at the
 * urgent mark. Under lock_sock.
 */
int sdp_conn_recvmsg(struct sdp_conn *conn, struct msghdr *msg, size_t len,
		     int flags, long *timeo)
{
	struct sock *sk = conn->sk;
	bool peek = flags & MSG_PEEK;
	u64 peek_seq = conn->copied_seq;
	u64 *seq = peek ? &peek_seq : &conn->copied_seq;
	int target = sock_rcvlowat(sk, flags & MSG_WAITALL, len);
	int copied = 0;
	bool freed = false;
	int err = 0;

	do {
		struct sk_buff *skb;
		size_t avail = 0, chunk;
		u32 offset;

		/* another reader (or a write into its buffer, write mode)
		 * took bytes while this peek slept: go on from there, as
		 * tcp_recvmsg does
		 */
		if (peek && peek_seq < conn->copied_seq)
			peek_seq = conn->copied_seq;
		skb_queue_walk(&conn->rxq, skb) {
			offset = *seq - SDP_SKB_CB(skb)->seq;
			if (offset < skb->len) {
				avail = skb->len - offset;
				break;
			}
		}
		/* at the urgent mark with a signal (SIGURG) pending and
		 * nothing read: return, so that the handler can read the
		 * byte before a read steps over it (tcp_recvmsg does so)
		 */
		if (avail && !copied && sdp_oob_at_mark(conn, *seq) &&
		    signal_pending(current)) {
			copied = *timeo ? sock_intr_errno(*timeo) : -EAGAIN;
			break;
		}
		if (avail) {
			bool skip;

			chunk = sdp_oob_limit(conn, *seq,
					      min_t(size_t, avail, len - copied),
					      copied > 0, &skip);
			if (skip) {
				/* the urgent byte is kept aside: step over */
				(*seq)++;
				if (!peek)
					sdp_oob_consumed(conn, *seq);
				if (!peek && offset + 1 >= skb->len) {
					__skb_unlink(skb, &conn->rxq);
					kfree_skb(skb);
					freed = true;
				}
				continue;
			}
			if (!chunk)
				break;
			if (!(flags & MSG_TRUNC)) {
				err = skb_copy_datagram_msg(skb, offset, msg,
							    chunk);
				if (err) {
					if (!copied)
						copied = -EFAULT;
					break;
				}
			}
			*seq += chunk;
			copied += chunk;
			if (!peek)
				sdp_oob_consumed(conn, *seq);
			if (!peek && offset + chunk >= skb->len) {
				__skb_unlink(skb, &conn->rxq);
				kfree_skb(skb);
				freed = true;
			}
			continue;
		}
		if (copied >= target)
			break;
		if (copied) {
			if (sk->sk_err || sk->sk_state == TCP_CLOSE ||
			    (sk->sk_shutdown & RCV_SHUTDOWN) || !*timeo ||
			    signal_pending(current))
				break;
		} else {
			if (sock_flag(sk, SOCK_DONE))
				break;
			if (sk->sk_err) {
				copied = sock_error(sk);
				break;
			}
			if (sk->sk_shutdown & RCV_SHUTDOWN)
				break;
			if (sk->sk_state == TCP_CLOSE) {
				copied = -ENOTCONN;
				break;
			}
			if (!*timeo) {
				copied = -EAGAIN;
				break;
			}
			if (signal_pending(current)) {
				copied = sock_intr_errno(*timeo);
				break;
			}
		}
		if (freed) {
			sdp_conn_rx_consumed(conn);
			freed = false;
		}
		if (sdp_zc_sink_ok(conn, msg, len - copied, flags, *timeo)) {
			/* write mode: the source writes into our buffer */
			ssize_t n = sdp_zc_sink(conn, msg, len - copied, timeo);

			if (n > 0) {
				copied += n;
				continue;
			}
			if (n < 0) {
				if (!copied)
					copied = n;
				break;
			}
			/* not taken: wait for bytes as usual */
		}
		if (sdp_zc_rx_user_ok(conn, msg, len - copied, flags, *timeo)) {
			ssize_t n;

			if (!conn->zr.active) {
				/* a SrcAvail that comes meanwhile is ours */
				conn->zr.want = len - copied;
				sdp_recv_wait(conn, *seq, timeo);
				conn->zr.want = 0;
			} else if (!conn->zr.posted) {
				n = sdp_zc_rx_user(conn, msg, len - copied);
				if (n > 0) {
					copied += n;
					continue;
				}
				/* not taken: into kernel buffers as usual */
				sdp_zc_rx_resume(conn);
			} else {
				/* being read into kernel buffers */
				sdp_recv_wait(conn, *seq, timeo);
			}
			continue;
		}
		sdp_recv_wait(conn, *seq, timeo);
	} while ((size_t)copied < len);

	if (freed)
		sdp_conn_rx_consumed(conn);
	/* the rest of a SrcAvail read in part: kernel buffers, so that
	 * crossing sends cannot wait for each other
	 */
	sdp_zc_rx_resume(conn);
	return copied;
}

/* MSG_BOUNDARY: copy at most @len bytes of the record at the head of the
 * receive queue (or the rest of the one being read); *@eor when its end
 * was returned. @ri gets the record's info. Returns bytes copied or
 * -EFAULT. The caller knows there is something to read. Under lock_sock.
 */
int sdp_conn_recv_record(struct sdp_conn *conn, struct msghdr *msg,
			 size_t len, int flags, bool *eor,
			 struct sdp_rec_info *ri)
{
	bool peek = flags & MSG_PEEK;
	u64 seq = conn->copied_seq;
	struct sk_buff *skb, *tmp;
	ssize_t copied = 0;
	bool freed = false;

	*eor = false;
	*ri = conn->rd_info;
	skb_queue_walk_safe(&conn->rxq, skb, tmp) {
		u32 off = seq - SDP_SKB_CB(skb)->seq;
		size_t chunk = min_t(size_t, skb->len - off, len - copied);
		bool last = SDP_SKB_CB(skb)->eor;

		if (SDP_SKB_CB(skb)->first && !off) {
			if (copied)	/* the next record: not in this call */
				break;
			*ri = SDP_SKB_CB(skb)->ri;
			if (!peek)
				conn->rd_info = *ri;
		}
		if (chunk && skb_copy_datagram_msg(skb, off, msg, chunk)) {
			if (!copied)
				copied = -EFAULT;
			break;
		}
		copied += chunk;
		seq += chunk;
		if (off + chunk < skb->len)
			break;
		if (!peek) {
			__skb_unlink(skb, &conn->rxq);
			kfree_skb(skb);
			freed = true;
		}
		if (last) {
			*eor = true;
			break;
		}
		if (copied == len)
			break;
	}
	if (!peek && copied >= 0) {
		conn->copied_seq = seq;
		if (*eor)
			WRITE_ONCE(conn->rx_records, conn->rx_records - 1);
	}
	if (freed)
		sdp_conn_rx_consumed(conn);
	return copied;
}
