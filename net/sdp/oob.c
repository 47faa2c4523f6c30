// SPDX-License-Identifier: GPL-2.0
/*
 * sdp urgent data: the connection's side of the urgent-byte state machine
 * (wire.c keeps the pure logic, sdp_urg_*). Under lock_sock.
 */
#include <net/sock.h>

#include "sdp.h"

/* step copied_seq over the old urgent byte kept aside at the reader */
static void sdp_oob_skip_byte(struct sdp_conn *conn)
{
	struct sk_buff *skb = skb_peek(&conn->rxq);

	conn->copied_seq++;
	if (skb && conn->copied_seq >= sdp_skb_end_seq(skb)) {
		__skb_unlink(skb, &conn->rxq);
		kfree_skb(skb);
		sdp_conn_rx_consumed(conn);
	}
	sdp_urg_consumed(&conn->urg, conn->copied_seq);
}

static void sdp_oob_events(struct sdp_conn *conn, unsigned int ev)
{
	struct sock *sk = conn->sk;

	if (ev & SDP_URG_EV_SKIP)
		sdp_oob_skip_byte(conn);
	if (ev & SDP_URG_EV_SIGURG)
		sk_send_sigurg(sk);
	sk->sk_data_ready(sk);
}

void sdp_oob_announce(struct sdp_conn *conn)
{
	struct sock *sk = conn->sk;

	sdp_oob_events(conn, sdp_urg_announce(&conn->urg, conn->copied_seq,
					      sock_flag(sk, SOCK_URGINLINE)));
}

void sdp_oob_arrive(struct sdp_conn *conn, u64 off, u8 byte)
{
	struct sock *sk = conn->sk;

	SDP_STAT_INC(sk, SDP_STAT_OOB_RX);
	sdp_oob_events(conn, sdp_urg_arrive(&conn->urg, off, byte,
					    conn->copied_seq,
					    sock_flag(sk, SOCK_URGINLINE)));
}

bool sdp_oob_at_mark(const struct sdp_conn *conn, u64 seq)
{
	return sdp_urg_at_mark(&conn->urg, seq);
}

/* the urgent byte at the reader is not readable data without OOBINLINE */
bool sdp_oob_hides_byte(const struct sdp_conn *conn)
{
	return sdp_urg_at_mark(&conn->urg, conn->copied_seq) &&
	       !sock_flag(conn->sk, SOCK_URGINLINE);
}

size_t sdp_oob_limit(const struct sdp_conn *conn, u64 seq, size_t len,
		     bool copied, bool *skip)
{
	*skip = false;
	return sdp_urg_limit(&conn->urg, seq, len, copied,
			     sock_flag(conn->sk, SOCK_URGINLINE), skip);
}

void sdp_oob_consumed(struct sdp_conn *conn, u64 seq)
{
	sdp_urg_consumed(&conn->urg, seq);
}

/* SIOCINQ, as tcp_inq(): the bytes up to a queued urgent byte */
u32 sdp_oob_inq(const struct sdp_conn *conn)
{
	return sdp_urg_inq(&conn->urg, conn->copied_seq, sdp_conn_inq(conn),
			   sock_flag(conn->sk, SOCK_URGINLINE));
}

/* The urgent byte of a MSG_OOB send was just taken into a send slot and
 * the slots pushed. Posted: its OOB_PRES announces it together with its
 * place in the stream, as a TCP segment carries the urgent pointer with
 * the byte. Held back by credits: announce it now with OOB_PEND on a
 * control credit, as TCP sends the urgent pointer ahead of the window.
 * Not before: a MSG_OOB send that takes no byte (EAGAIN, zero length)
 * sends nothing urgent, as in TCP. Without a control credit either, the
 * OOB_PRES alone announces it when it goes out.
 */
void sdp_oob_tx_urgent(struct sdp_conn *conn)
{
	SDP_STAT_INC(conn->sk, SDP_STAT_OOB_TX);
	if (conn->tx_unposted)
		sdp_send_ctl(conn, SDP_MID_DATA, SDP_F_OOB_PEND);
}

/* recv(MSG_OOB), as tcp_recv_urg(): never blocks; EINVAL when there is no
 * urgent byte to read (none, already read, or SO_OOBINLINE), EAGAIN while
 * it was announced but has not arrived, 0 at end of stream.
 */
int sdp_oob_recv(struct sdp_conn *conn, struct msghdr *msg, size_t len,
		 int flags)
{
	struct sock *sk = conn->sk;
	unsigned int rf = 0;
	int ret;
	u8 c;

	if (flags & MSG_PEEK)
		rf |= SDP_URG_RD_PEEK;
	if (sock_flag(sk, SOCK_URGINLINE))
		rf |= SDP_URG_RD_INLINE;
	if (sk->sk_state == TCP_CLOSE && !sock_flag(sk, SOCK_DONE))
		rf |= SDP_URG_RD_NOTCONN;
	if (sk->sk_state == TCP_CLOSE || (sk->sk_shutdown & RCV_SHUTDOWN))
		rf |= SDP_URG_RD_DONE;
	ret = sdp_urg_read(&conn->urg, rf, &c);
	if (ret <= 0)
		return ret;
	msg->msg_flags |= MSG_OOB;
	if (len > 0) {
		if (!(flags & MSG_TRUNC) && memcpy_to_msg(msg, &c, 1))
			return -EFAULT;
		return 1;
	}
	msg->msg_flags |= MSG_TRUNC;
	return 0;
}
