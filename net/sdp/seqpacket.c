// SPDX-License-Identifier: GPL-2.0
/*
 * sdp SOCK_SEQPACKET: one-to-many sockets in the style of SCTP's (RFC 6458
 * section 3). One socket carries many associations; each message keeps its
 * boundaries; recvmsg says who sent it (msg_name, an SDP_SNDRCV cmsg).
 *
 * Each association is an internal socket of type SOCK_SEQPACKET that owns
 * one connection of the session engine, negotiated with MSG_BOUNDARY: its
 * lock guards the connection, its buffers bound that association's flow
 * (a peer that stops reading stalls only itself), and it shares the wait
 * queue of its one-to-many socket, so that the engine's wake-ups reach the
 * one-to-many socket's readers, writers and pollers. Peeloff grafts that
 * internal socket onto a descriptor of its own.
 *
 * Locking: the one-to-many socket's lock before an association's (taken
 * nested); the association table, the notification queue and the
 * partial-delivery mark are under the one-to-many socket's assoc_lock, a
 * spinlock taken innermost, so that an association's callbacks (which run
 * under its own lock only) may look at them. An association's events (up,
 * shut down, closed, autoclose) are handled by its assoc_work, which takes
 * both socket locks in order.
 *
 * References: the table holds each association's own socket reference and
 * one on the one-to-many socket; a queued assoc_work holds one on its
 * association.
 */
#include <linux/net.h>
#include <linux/file.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/sched/signal.h>
#include <linux/uio.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "sdp.h"

struct sdp_notif {
	struct list_head	node;
	struct sockaddr_storage	peer;
	sdp_assoc_t		id;
	bool			after;	/* after the data received before it */
	u64			mark;	/* rcv_nxt then */
	u32			len;
	u32			off;	/* bytes already read */
	u8			data[];
};

static void sdp_assoc_work(struct work_struct *work);
static bool sdp_assoc_update(struct sock *psk, struct sock *sk);

void sdp_seq_init_sock(struct sock *sk)
{
	struct sdp_sock *ssk = sdp_sk(sk);

	sdp_atab_init(&ssk->atab);
	spin_lock_init(&ssk->assoc_lock);
	INIT_LIST_HEAD(&ssk->notifq);
	INIT_LIST_HEAD(&ssk->ae.node);
	INIT_DELAYED_WORK(&ssk->assoc_work, sdp_assoc_work);
	ssk->events.sdp_data_io_event = 1;
}

static struct sock *sdp_assoc_sk(struct sdp_aent *e)
{
	return &container_of(e, struct sdp_sock, ae)->sk;
}

/* queue the association's work (after @delay), holding a reference */
static void sdp_assoc_kick(struct sock *sk, unsigned long delay)
{
	sock_hold(sk);
	if (mod_delayed_work(sdp_wq, &sdp_sk(sk)->assoc_work, delay))
		sock_put(sk);	/* it was queued already, with its reference */
}

static void sdp_assoc_wake(struct sock *sk, __poll_t band)
{
	struct socket_wq *wq;

	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_poll(&wq->wait, band);
	rcu_read_unlock();
}

/* an association leaves its table: a queued event no longer matters */
static void sdp_assoc_cancel(struct sock *sk)
{
	if (cancel_delayed_work(&sdp_sk(sk)->assoc_work))
		sock_put(sk);	/* the work's reference */
}

/* the engine changed the connection's state (under the association's lock) */
static void sdp_assoc_state_change(struct sock *sk)
{
	sdp_assoc_wake(sk, EPOLLIN | EPOLLOUT | EPOLLHUP | EPOLLERR);
	if (sdp_sk(sk)->parent)
		sdp_assoc_kick(sk, 0);
}

/* send space came back: wake the writers however little it is (a record
 * needs room for all of it, not sock_writeable()'s half of the buffer)
 */
static void sdp_assoc_write_space(struct sock *sk)
{
	sdp_assoc_wake(sk, EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND);
}

/* an association of @lsk: created by sendmsg/connect, or a passive child */
void sdp_seq_child_init(struct sock *lsk, struct sock *sk)
{
	struct sdp_sock *ssk = sdp_sk(sk);

	sdp_child_inherit(lsk, sk);
	sock_reset_flag(sk, SOCK_FASYNC);
	sdp_seq_init_sock(sk);
	ssk->events = sdp_sk(lsk)->events;
	ssk->last_use = jiffies;
	sk->sk_state_change = sdp_assoc_state_change;
	sk->sk_write_space = sdp_assoc_write_space;
}

/* Enter @sk in @psk's table. Both locked. */
static void sdp_assoc_link(struct sock *psk, struct sock *sk,
			   const struct sockaddr_storage *peer)
{
	struct sdp_sock *pssk = sdp_sk(psk), *ssk = sdp_sk(sk);

	memcpy(&ssk->ae.peer, peer, sizeof(ssk->ae.peer));
	sock_hold(psk);
	ssk->parent = psk;
	write_lock_bh(&sk->sk_callback_lock);
	RCU_INIT_POINTER(sk->sk_wq, rcu_dereference_protected(psk->sk_wq, 1));
	write_unlock_bh(&sk->sk_callback_lock);
	spin_lock(&pssk->assoc_lock);
	sdp_atab_add(&pssk->atab, &ssk->ae);
	spin_unlock(&pssk->assoc_lock);
	if (ssk->conn)
		ssk->conn->assoc_id = ssk->ae.id;
}

/* Take @sk out of @psk's table: both locked. The caller drops the table's
 * reference on @psk afterwards.
 */
static void sdp_assoc_unlink(struct sock *psk, struct sock *sk)
{
	struct sdp_sock *pssk = sdp_sk(psk), *ssk = sdp_sk(sk);

	spin_lock(&pssk->assoc_lock);
	sdp_atab_del(&pssk->atab, &ssk->ae);
	if (pssk->pd == sk)
		pssk->pd = NULL;
	spin_unlock(&pssk->assoc_lock);
	ssk->parent = NULL;
}

/* @ssk's association with @peer in @want's sense: live (not ended; one
 * that ended is still in the table until it is read and forgotten, and a
 * new one may start meanwhile), or set up by that peer and established
 */
enum sdp_seq_match { SDP_SEQ_LIVE, SDP_SEQ_PEER_UP };

static struct sdp_aent *sdp_seq_find(struct sdp_sock *ssk,
				     const struct sockaddr_storage *peer,
				     enum sdp_seq_match want)
{
	struct sdp_aent *e = NULL;

	while ((e = sdp_atab_find_addr(&ssk->atab, peer, e))) {
		struct sdp_conn *c = sdp_sk(sdp_assoc_sk(e))->conn;
		int state;

		if (!c)
			continue;
		state = READ_ONCE(c->state);
		if (want == SDP_SEQ_LIVE ? state != TCP_CLOSE :
		    c->listener && state == TCP_ESTABLISHED)
			return e;
	}
	return NULL;
}

/* a passive child is up (cm.c): it joins the listener's table */
bool sdp_seq_child_ready(struct sock *lsk, struct sdp_conn *conn)
{
	struct sock *sk = conn->sk;
	bool linked = false;

	lock_sock(lsk);
	sdp_sk(lsk)->pending--;
	if (lsk->sk_state == TCP_LISTEN && !sock_flag(lsk, SOCK_DEAD)) {
		lock_sock_nested(sk, SINGLE_DEPTH_NESTING);
		/* the peer's address comes from its Hello (src_port): one that
		 * an established association set up by that peer already has
		 * is not taken a second time (it could only be claimed)
		 */
		if (conn->state != TCP_CLOSE &&
		    !sdp_seq_find(sdp_sk(lsk), &conn->peer, SDP_SEQ_PEER_UP)) {
			sdp_assoc_link(lsk, sk, &conn->peer);
			linked = true;
			sdp_assoc_update(lsk, sk);	/* COMM_UP */
		}
		release_sock(sk);
	}
	release_sock(lsk);
	if (linked)
		lsk->sk_data_ready(lsk);
	return linked;
}

static bool sdp_assoc_has_data(const struct sdp_conn *conn)
{
	return READ_ONCE(conn->rcv_nxt) != READ_ONCE(conn->copied_seq) ||
	       READ_ONCE(conn->rx_records);
}

/* Is there something for a reader: a whole record, a record so large that
 * it must be delivered in parts (half the receive buffer, as SCTP's partial
 * delivery point), or the rest of one whose connection ended. Not before
 * the association's COMM_UP has been queued, which comes first.
 */
static bool sdp_assoc_readable(const struct sock *sk)
{
	const struct sdp_conn *conn = READ_ONCE(sdp_sk(sk)->conn);

	if (!conn || !sdp_assoc_has_data(conn))
		return false;
	if (!READ_ONCE(sdp_sk(sk)->a_up) && !sdp_sk(sk)->peeled)
		return false;
	return READ_ONCE(conn->rx_records) ||
	       READ_ONCE(conn->state) == TCP_CLOSE ||
	       test_bit(SDP_CF_FIN_RCVD, &conn->flags) ||
	       atomic_read(&sk->sk_rmem_alloc) >= READ_ONCE(sk->sk_rcvbuf) / 2;
}

/* room for a record of @len bytes: nothing queued, or within SO_SNDBUF */
static bool sdp_assoc_room(const struct sock *sk, size_t len)
{
	const struct sdp_conn *conn = READ_ONCE(sdp_sk(sk)->conn);

	if (!conn)
		return false;
	return skb_queue_empty_lockless(&conn->txq) ||
	       sk_wmem_alloc_get(sk) + len <= READ_ONCE(sk->sk_sndbuf);
}

static bool sdp_assoc_sendable(const struct sdp_conn *conn)
{
	return conn->state == TCP_SYN_SENT || conn->state == TCP_ESTABLISHED ||
	       conn->state == TCP_CLOSE_WAIT;
}

/* queue a notification for @psk about association @sk (@psk locked) */
static void sdp_notify(struct sock *psk, struct sock *sk, const void *ev,
		       u32 len)
{
	struct sdp_sock *pssk = sdp_sk(psk);
	struct sdp_notif *n;
	bool up;

	n = kvmalloc(sizeof(*n) + len, GFP_KERNEL);
	if (!n)
		return;
	memcpy(&n->peer, &sdp_sk(sk)->ae.peer, sizeof(n->peer));
	n->id = sdp_sk(sk)->ae.id;
	/* as SCTP's: an association's events come after the messages that
	 * arrived before them (COMM_UP before any)
	 */
	up = ((const struct sdp_assoc_change *)ev)->sac_type ==
	     SDP_ASSOC_CHANGE &&
	     ((const struct sdp_assoc_change *)ev)->sac_state == SDP_COMM_UP;
	n->after = !up;
	n->mark = sdp_sk(sk)->conn ? sdp_sk(sk)->conn->rcv_nxt : 0;
	n->len = len;
	n->off = 0;
	memcpy(n->data, ev, len);
	spin_lock(&pssk->assoc_lock);
	list_add_tail(&n->node, &pssk->notifq);
	spin_unlock(&pssk->assoc_lock);
	psk->sk_data_ready(psk);
}

static void sdp_notify_assoc(struct sock *psk, struct sock *sk, u16 state,
			     u16 error)
{
	struct sdp_assoc_change ev = {
		.sac_type = SDP_ASSOC_CHANGE,
		.sac_length = sizeof(ev),
		.sac_state = state,
		.sac_error = error,
		.sac_assoc_id = sdp_sk(sk)->ae.id,
	};

	if (sdp_sk(psk)->events.sdp_association_event)
		sdp_notify(psk, sk, &ev, sizeof(ev));
}

static void sdp_notify_shutdown(struct sock *psk, struct sock *sk)
{
	struct sdp_shutdown_event ev = {
		.sse_type = SDP_SHUTDOWN_EVENT,
		.sse_length = sizeof(ev),
		.sse_assoc_id = sdp_sk(sk)->ae.id,
	};

	if (sdp_sk(psk)->events.sdp_shutdown_event)
		sdp_notify(psk, sk, &ev, sizeof(ev));
}

/* The association ended with messages it never sent (still queued, not
 * in send slots): each comes back in an SDP_SEND_FAILED, as SCTP's
 * SCTP_SEND_FAILED_EVENT, or is dropped when that is not subscribed.
 */
static void sdp_notify_unsent(struct sock *psk, struct sock *sk,
			      struct sdp_conn *conn)
{
	struct sdp_send_failed *ev;
	struct sdp_rec_info ri;
	struct sk_buff *skb;
	u32 len;

	while ((skb = __skb_dequeue(&conn->txq))) {
		if (!sdp_sk(psk)->events.sdp_send_failure_event ||
		    skb->len < SDP_RECHDR_LEN ||
		    sdp_unpack_rechdr(skb->data, skb->len, &ri))
			goto next;
		len = sizeof(*ev) + skb->len - SDP_RECHDR_LEN;
		ev = kvzalloc(len, GFP_KERNEL);
		if (!ev)
			goto next;
		ev->ssf_type = SDP_SEND_FAILED;
		ev->ssf_flags = SDP_SKB_CB(skb)->seq ? SDP_DATA_SENT :
			       SDP_DATA_UNSENT;
		ev->ssf_length = len;
		ev->ssf_error = conn->err ? conn->err : ECONNRESET;
		ev->ssf_info.sinfo_stream = ri.stream;
		ev->ssf_info.sinfo_ppid = ri.ppid;
		ev->ssf_info.sinfo_context = ri.context;
		ev->ssf_info.sinfo_assoc_id = sdp_sk(sk)->ae.id;
		ev->ssf_assoc_id = sdp_sk(sk)->ae.id;
		memcpy(ev->ssf_data, skb->data + SDP_RECHDR_LEN,
		       skb->len - SDP_RECHDR_LEN);
		sdp_notify(psk, sk, ev, len);
		kvfree(ev);
next:
		kfree_skb(skb);
	}
}

static void sdp_notif_free_all(struct sdp_sock *ssk)
{
	struct sdp_notif *n, *tmp;
	LIST_HEAD(q);

	spin_lock(&ssk->assoc_lock);
	list_splice_init(&ssk->notifq, &q);
	spin_unlock(&ssk->assoc_lock);
	list_for_each_entry_safe(n, tmp, &q, node)
		kvfree(n);
}

/* Close one association as close() closes a TCP socket: reset it when
 * data is left unread (SCTP aborts then too), else shut it down after
 * what is queued. Under its lock.
 */
static void sdp_assoc_close(struct sdp_conn *conn)
{
	if (sdp_assoc_has_data(conn))
		sdp_conn_abort(conn, 0, true);
	else if (conn->state == TCP_ESTABLISHED ||
		 conn->state == TCP_CLOSE_WAIT)
		sdp_conn_send_fin(conn);
	else if (conn->state == TCP_SYN_SENT || conn->state == TCP_SYN_RECV)
		sdp_conn_abort(conn, 0, false);
}

/* What the engine did to an association, seen from its one-to-many socket
 * (both locked): report it up, answer the peer's shutdown with ours (an
 * SCTP association shuts down both ways), report the end, close it when
 * idle for SDP_AUTOCLOSE, and forget it once it ended and was read.
 * Returns true when it was taken out of the table.
 */
static bool sdp_assoc_update(struct sock *psk, struct sock *sk)
{
	struct sdp_sock *pssk = sdp_sk(psk), *ssk = sdp_sk(sk);
	struct sdp_conn *conn = ssk->conn;
	int state = conn ? conn->state : TCP_CLOSE;
	unsigned long idle, tmo;

	if (!ssk->a_up && conn && test_bit(SDP_CF_WAS_UP, &conn->flags)) {
		WRITE_ONCE(ssk->a_up, true);
		sdp_notify_assoc(psk, sk, SDP_COMM_UP, 0);
		psk->sk_data_ready(psk);	/* its data may be read now */
		if (ssk->a_eof && conn->state == TCP_ESTABLISHED)
			sdp_conn_send_fin(conn);
	}
	if (conn && test_bit(SDP_CF_FIN_RCVD, &conn->flags) && !ssk->a_shut) {
		ssk->a_shut = true;
		/* the peer began the shutdown, not we */
		if (!ssk->a_eof)
			sdp_notify_shutdown(psk, sk);
		if (conn->state == TCP_CLOSE_WAIT)
			sdp_conn_send_fin(conn);
	}
	state = conn ? conn->state : TCP_CLOSE;
	if (state == TCP_CLOSE && !ssk->a_closed) {
		ssk->a_closed = true;
		if (conn)
			sdp_notify_unsent(psk, sk, conn);
		if (!ssk->a_up)
			sdp_notify_assoc(psk, sk, SDP_CANT_STR_ASSOC,
					 conn && conn->err ? conn->err :
					 ECONNREFUSED);
		else if (conn && conn->err)
			sdp_notify_assoc(psk, sk, SDP_COMM_LOST, conn->err);
		else
			sdp_notify_assoc(psk, sk, SDP_SHUTDOWN_COMP, 0);
	}
	if (ssk->a_closed) {
		if ((conn && sdp_assoc_has_data(conn)) || pssk->pd == sk)
			return false;
		sdp_assoc_unlink(psk, sk);
		return true;
	}
	tmo = (unsigned long)READ_ONCE(pssk->autoclose) * HZ;
	if (!tmo || !ssk->a_up)
		return false;
	idle = jiffies - ssk->last_use;
	if (idle >= tmo && state == TCP_ESTABLISHED &&
	    skb_queue_empty(&conn->txq) && !sdp_assoc_has_data(conn)) {
		ssk->a_eof = true;
		sdp_conn_send_fin(conn);
	} else if (state == TCP_ESTABLISHED) {
		sdp_assoc_kick(sk, idle >= tmo ? tmo : tmo - idle);
	}
	return false;
}

/* An association taken out of its table: let go of it; @close: end its
 * connection as close() would (@psk is then locked, and @sk is locked
 * nested).
 */
static void sdp_assoc_release(struct sock *psk, struct sock *sk, bool close)
{
	struct sdp_sock *ssk = sdp_sk(sk);
	struct sdp_conn *conn;

	lock_sock_nested(sk, close ? SINGLE_DEPTH_NESTING : 0);
	sdp_assoc_cancel(sk);
	ssk->parent = NULL;
	conn = ssk->conn;
	ssk->conn = NULL;
	if (conn && close)
		sdp_assoc_close(conn);
	sock_orphan(sk);
	if (conn)
		sdp_conn_start_timer(conn);
	release_sock(sk);
	if (conn)
		sdp_conn_put(conn);
	sock_put(psk);		/* the table's reference */
	sock_put(sk);		/* the association's own */
}

static void sdp_assoc_work(struct work_struct *work)
{
	struct sdp_sock *ssk = container_of(to_delayed_work(work),
					    struct sdp_sock, assoc_work);
	struct sock *sk = &ssk->sk, *psk;
	bool gone = false;

	lock_sock(sk);
	psk = ssk->parent;
	if (psk)
		sock_hold(psk);
	release_sock(sk);
	if (psk) {
		lock_sock(psk);
		lock_sock_nested(sk, SINGLE_DEPTH_NESTING);
		if (ssk->parent == psk)
			gone = sdp_assoc_update(psk, sk);
		release_sock(sk);
		release_sock(psk);
		if (gone)
			sdp_assoc_release(psk, sk, false);
		sock_put(psk);
	}
	sock_put(sk);		/* the work's reference */
}

/* the message of the sendmsg that sets an association up */
struct sdp_seq_first {
	struct msghdr		*msg;
	size_t			len;
	const struct sdp_sndrcvinfo *si;
	long			*timeo;
	int			ret;
	bool			done;
};

static int sdp_assoc_send(struct sock *sk, struct msghdr *msg, size_t len,
			  const struct sdp_sndrcvinfo *si, long *timeo);

/* Set up an association of @psk to @dst (active open): @psk locked and
 * bound. Returns it, in the table, or an ERR_PTR. @first, if any, is
 * queued before the association is unlocked, so that a set-up that fails
 * at once still finds it queued (and returns it in SDP_SEND_FAILED), as
 * SCTP's sendmsg queues the data of the association it starts.
 */
static struct sock *sdp_assoc_connect(struct sock *psk,
				      const struct sockaddr_storage *dst,
				      struct sdp_seq_first *first)
{
	struct sdp_sock *pssk = sdp_sk(psk);
	struct sockaddr_storage src;
	struct rdma_cm_id *id;
	struct sdp_conn *conn;
	struct sock *sk;
	int err;

	/* rdma_cm lets no id share the port of a listening id (nor listen
	 * on a port other ids share): the association's id takes an
	 * ephemeral port on the socket's address, and its Hello names the
	 * socket's port, by which the peer knows it (cm.c)
	 */
	memcpy(&src, &pssk->bound, sizeof(src));
	sdp_addr_set_port(&src, 0);
	sk = sdp_sk_alloc(sock_net(psk), NULL, SOCK_SEQPACKET, 0, 0);
	if (!sk)
		return ERR_PTR(-ENOBUFS);
	sdp_seq_child_init(psk, sk);
	conn = sdp_conn_alloc(sk, GFP_KERNEL);
	if (!conn) {
		sk_free(sk);
		return ERR_PTR(-ENOBUFS);
	}
	conn->boundary = true;
	id = sdp_cm_create_id(sk, conn, false);
	if (IS_ERR(id)) {
		sdp_conn_put(conn);
		sdp_conn_put(conn);
		sock_put(sk);
		return ERR_CAST(id);
	}
	lock_sock_nested(sk, SINGLE_DEPTH_NESTING);
	sdp_sk(sk)->conn = conn;
	memcpy(&sdp_sk(sk)->bound, &pssk->bound, sizeof(pssk->bound));
	sdp_sk(sk)->bound_set = true;
	sdp_assoc_link(psk, sk, dst);
	err = sdp_cm_connect(conn, id, &src, dst);
	if (err) {
		conn->id = id;
		conn->err = -err;
		sdp_conn_done(conn);	/* CANT_STR_ASSOC follows */
		release_sock(sk);
		return ERR_PTR(err);
	}
	if (first) {
		first->ret = sdp_assoc_send(sk, first->msg, first->len,
					    first->si, first->timeo);
		first->done = true;
	}
	release_sock(sk);
	return sk;
}

/* SOL_SDP SDP_SNDRCV in a sendmsg: at most one, of the exact size */
static int sdp_seq_cmsg(struct msghdr *msg, struct sdp_sndrcvinfo *si)
{
	struct cmsghdr *c;

	memset(si, 0, sizeof(*si));
	for_each_cmsghdr(c, msg) {
		if (!CMSG_OK(msg, c))
			return -EINVAL;
		if (c->cmsg_level != SOL_SDP)
			continue;
		if (c->cmsg_type != SDP_SNDRCV ||
		    c->cmsg_len != CMSG_LEN(sizeof(*si)))
			return -EINVAL;
		memcpy(si, CMSG_DATA(c), sizeof(*si));
	}
	return 0;
}

/* the association @si or @msg's address names, held (@sk locked), or
 * a new one when @create (NULL: bind the socket first); ERR_PTR as SCTP's
 * errnos
 */
static struct sock *sdp_seq_lookup(struct sock *sk, struct msghdr *msg,
				   const struct sdp_sndrcvinfo *si,
				   bool create, struct sdp_seq_first *first)
{
	struct sdp_sock *ssk = sdp_sk(sk);
	struct sockaddr_storage dst;
	struct sdp_aent *e;
	struct sock *a;
	int err;

	if (si->sinfo_assoc_id) {
		spin_lock(&ssk->assoc_lock);
		e = sdp_atab_find_id(&ssk->atab, si->sinfo_assoc_id);
		a = e ? sdp_assoc_sk(e) : NULL;
		if (a)
			sock_hold(a);
		spin_unlock(&ssk->assoc_lock);
		return a ? a : ERR_PTR(-EINVAL);
	}
	if (!msg->msg_name)
		return ERR_PTR(-EDESTADDRREQ);
	err = sdp_addr_check(msg->msg_name, msg->msg_namelen, &dst);
	if (err)
		return ERR_PTR(err);
	spin_lock(&ssk->assoc_lock);
	e = sdp_seq_find(ssk, &dst, SDP_SEQ_LIVE);
	a = e ? sdp_assoc_sk(e) : NULL;
	if (a)
		sock_hold(a);
	spin_unlock(&ssk->assoc_lock);
	if (a || !create)
		return a ? a : ERR_PTR(-EINVAL);
	if (!ssk->bound_set)
		return NULL;
	a = sdp_assoc_connect(sk, &dst, first);
	if (!IS_ERR(a))
		sock_hold(a);
	return a;
}

/* an association for sendmsg/connect, setting one up if need be */
static struct sock *sdp_seq_get_assoc(struct socket *sock, struct msghdr *msg,
				      const struct sdp_sndrcvinfo *si,
				      bool create, struct sdp_seq_first *first)
{
	struct sockaddr_in6 any6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in any = { .sin_family = AF_INET };
	struct sock *sk = sock->sk, *a;
	int tries, err;

	for (tries = 0; tries < 3; tries++) {
		lock_sock(sk);
		a = sdp_seq_lookup(sk, msg, si, create, first);
		release_sock(sk);
		if (a)
			return a;
		/* as SCTP: an unbound socket gets an ephemeral port (EINVAL:
		 * another thread bound it meanwhile)
		 */
		if (sdp_sk(sk)->ipv == 6)
			err = sdp_stream_bind(sock, (struct sockaddr *)&any6,
					      sizeof(any6));
		else
			err = sdp_stream_bind(sock, (struct sockaddr *)&any,
					      sizeof(any));
		if (err && err != -EINVAL)
			return ERR_PTR(err);
	}
	return ERR_PTR(-EADDRNOTAVAIL);
}

/* An association's wait queue is its one-to-many socket's, which outlives
 * the caller's system call; the association may be forgotten (and
 * orphaned, sk_wq NULL) while the caller sleeps, so the queue is taken
 * once.
 */
static bool sdp_assoc_gone(const struct sock *sk, const struct sdp_conn *conn)
{
	return sdp_sk(sk)->conn != conn || !sdp_assoc_sendable(conn);
}

/* @conn is held by the caller: the association may let go of it meanwhile */
static int sdp_seq_wait_room(struct sock *sk, struct sdp_conn *conn,
			     size_t len, long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	wait_queue_head_t *wq = sk_sleep(sk);
	int err = 0;

	add_wait_queue(wq, &wait);
	while (!sdp_assoc_room(sk, len)) {
		if (sdp_assoc_gone(sk, conn)) {
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
		sk_wait_event(sk, timeo, sdp_assoc_room(sk, len) ||
			      sdp_assoc_gone(sk, conn), &wait);
	}
	remove_wait_queue(wq, &wait);
	return err;
}

/* one message to association @sk (locked): queued whole, or not at all */
static int sdp_assoc_send(struct sock *sk, struct msghdr *msg, size_t len,
			  const struct sdp_sndrcvinfo *si, long *timeo)
{
	struct sdp_sock *ssk = sdp_sk(sk);
	struct sdp_conn *conn = ssk->conn;
	struct sdp_rec_info ri = {
		.ppid = si->sinfo_ppid,
		.context = si->sinfo_context,
		.stream = si->sinfo_stream,
	};
	struct sk_buff *skb;
	int err;

	if (!conn)
		return -EPIPE;
	if (si->sinfo_flags & SDP_ABORT) {
		if (conn->state != TCP_CLOSE)
			sdp_conn_abort(conn, ECONNABORTED, true);
		return 0;
	}
	if (!sdp_assoc_sendable(conn) || ssk->a_eof ||
	    (sk->sk_shutdown & SEND_SHUTDOWN))
		return -EPIPE;
	ssk->last_use = jiffies;
	if (len || !(si->sinfo_flags & SDP_EOF)) {
		sdp_conn_get(conn);
		err = sdp_seq_wait_room(sk, conn, len, timeo);
		/* forgotten meanwhile: the put may be the last (the caller
		 * holds the socket, which outlives it)
		 */
		if (!err && sdp_sk(sk)->conn != conn)
			err = -EPIPE;
		sdp_conn_put(conn);
		if (err)
			return err;
		skb = alloc_skb(SDP_RECHDR_LEN + len,
				sk->sk_allocation | __GFP_NOWARN);
		if (!skb)
			return -ENOBUFS;
		sdp_pack_rechdr(skb_put(skb, SDP_RECHDR_LEN), &ri);
		if (memcpy_from_msg(skb_put(skb, len), msg, len)) {
			kfree_skb(skb);
			return -EFAULT;
		}
		SDP_SKB_CB(skb)->seq = 0;
		skb_set_owner_w(skb, sk);
		__skb_queue_tail(&conn->txq, skb);
		sdp_conn_push(conn, true);
	}
	if (si->sinfo_flags & SDP_EOF) {
		ssk->a_eof = true;
		/* while connecting, the work sends it once up */
		if (conn->state != TCP_SYN_SENT)
			sdp_conn_send_fin(conn);
	}
	return len;
}

static int sdp_seq_send_error(struct sock *sk, int flags, int err)
{
	if (err == -EPIPE && !(flags & MSG_NOSIGNAL))
		send_sig(SIGPIPE, current, 0);
	return err;
}

static int sdp_seq_sendmsg(struct socket *sock, struct msghdr *msg,
			   size_t len)
{
	struct sdp_seq_first first = { .done = false };
	struct sock *sk = sock->sk, *a;
	struct sdp_sndrcvinfo si;
	u16 sflags;
	long timeo;
	int err;

	if (msg->msg_flags & MSG_OOB)
		return -EOPNOTSUPP;
	err = sdp_seq_cmsg(msg, &si);
	if (err)
		return err;
	sflags = si.sinfo_flags;
	if (sflags & ~(SDP_UNORDERED | SDP_ADDR_OVER | SDP_ABORT | SDP_EOF))
		return -EINVAL;
	if ((sflags & SDP_ABORT) && (sflags & SDP_EOF))
		return -EINVAL;
	if (len > READ_ONCE(sdp_net(sock_net(sk))->sysctl.max_msg))
		return -EMSGSIZE;
	if (!len && !(sflags & (SDP_ABORT | SDP_EOF)))
		return -EINVAL;
	timeo = sock_sndtimeo(sk, msg->msg_flags & MSG_DONTWAIT);
	first.msg = msg;
	first.len = len;
	first.si = &si;
	first.timeo = &timeo;
	if (sdp_sk(sk)->peeled) {
		a = sk;
		sock_hold(a);
	} else {
		a = sdp_seq_get_assoc(sock, msg, &si,
				      !(sflags & (SDP_ABORT | SDP_EOF)),
				      &first);
		if (IS_ERR(a))
			return PTR_ERR(a);
	}
	if (first.done) {
		err = first.ret;
	} else {
		lock_sock(a);
		err = sdp_assoc_send(a, msg, len, &si, &timeo);
		release_sock(a);
	}
	sock_put(a);
	return err < 0 ? sdp_seq_send_error(sk, msg->msg_flags, err) : err;
}

static int sdp_seq_connect(struct socket *sock, struct sockaddr *uaddr,
			   int addr_len, int flags)
{
	struct sock *sk = sock->sk, *a;
	struct sdp_sndrcvinfo si = {};
	struct msghdr msg = {
		.msg_name = uaddr,
		.msg_namelen = addr_len,
	};
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct sdp_conn *conn;
	long timeo;
	int err;

	if (sdp_sk(sk)->peeled)
		return -EISCONN;
	if (addr_len < (int)sizeof(struct sockaddr_in))
		return -EINVAL;
	lock_sock(sk);
	a = sdp_seq_lookup(sk, &msg, &si, false, NULL);
	release_sock(sk);
	if (!IS_ERR(a)) {
		sock_put(a);
		return -EISCONN;
	}
	a = sdp_seq_get_assoc(sock, &msg, &si, true, NULL);
	if (IS_ERR(a))
		return PTR_ERR(a);
	timeo = sock_sndtimeo(sk, flags & O_NONBLOCK);
	lock_sock(a);
	conn = sdp_sk(a)->conn;
	if (conn)
		sdp_conn_get(conn);	/* the association may let go of it */
	err = -EINPROGRESS;
	if (conn && timeo) {
		wait_queue_head_t *wq = sk_sleep(a);

		add_wait_queue(wq, &wait);
		while (conn->state == TCP_SYN_SENT && timeo &&
		       !signal_pending(current))
			sk_wait_event(a, &timeo, conn->state != TCP_SYN_SENT,
				      &wait);
		remove_wait_queue(wq, &wait);
		if (conn->state == TCP_SYN_SENT)
			err = signal_pending(current) ?
			      sock_intr_errno(timeo) : -ETIMEDOUT;
		else if (conn->state == TCP_CLOSE)
			err = conn->err ? -conn->err : -ECONNREFUSED;
		else
			err = 0;
	}
	release_sock(a);
	if (conn)
		sdp_conn_put(conn);
	sock_put(a);
	return err;
}

/* is data that arrived before rcv_nxt was @mark still to be read? */
static bool sdp_assoc_before(struct sock *sk, u64 mark)
{
	struct sdp_conn *conn = READ_ONCE(sdp_sk(sk)->conn);

	return conn && READ_ONCE(conn->copied_seq) < mark &&
	       sdp_assoc_readable(sk);
}

/* a notification or an association with something to read; held */
static bool sdp_seq_pick(struct sdp_sock *ssk, struct sdp_notif **n,
			 struct sock **a)
{
	struct sdp_aent *e;

	*n = NULL;
	*a = NULL;
	spin_lock(&ssk->assoc_lock);
	if (ssk->pd) {
		struct sdp_conn *conn = READ_ONCE(sdp_sk(ssk->pd)->conn);

		/* the rest of a message in partial delivery comes first */
		if (conn && sdp_assoc_has_data(conn)) {
			*a = ssk->pd;
		} else if (!conn || conn->state == TCP_CLOSE) {
			ssk->pd = NULL;	/* it ended: the rest is lost */
		} else {
			spin_unlock(&ssk->assoc_lock);
			return false;
		}
	}
	if (!*a && !list_empty(&ssk->notifq)) {
		*n = list_first_entry(&ssk->notifq, struct sdp_notif, node);
		e = (*n)->after ? sdp_atab_find_id(&ssk->atab, (*n)->id) : NULL;
		if (e && sdp_assoc_before(sdp_assoc_sk(e), (*n)->mark)) {
			*a = sdp_assoc_sk(e);	/* its older data first */
			*n = NULL;
		}
	} else if (!*a) {
		list_for_each_entry(e, &ssk->atab.list, node) {
			if (sdp_assoc_readable(sdp_assoc_sk(e))) {
				*a = sdp_assoc_sk(e);
				/* fairness: the others come first next time */
				list_move_tail(&e->node, &ssk->atab.list);
				break;
			}
		}
	}
	if (*a)
		sock_hold(*a);
	spin_unlock(&ssk->assoc_lock);
	return *n || *a;
}

static bool sdp_seq_has_input(struct sock *sk)
{
	struct sdp_sock *ssk = sdp_sk(sk);
	struct sdp_aent *e;
	bool ret = false;

	if (READ_ONCE(sk->sk_err) || (sk->sk_shutdown & RCV_SHUTDOWN))
		return true;
	spin_lock(&ssk->assoc_lock);
	if (ssk->pd) {
		struct sdp_conn *conn = READ_ONCE(sdp_sk(ssk->pd)->conn);

		ret = !conn || sdp_assoc_readable(ssk->pd) ||
		      READ_ONCE(conn->state) == TCP_CLOSE;
	} else if (!list_empty(&ssk->notifq)) {
		ret = true;
	} else {
		list_for_each_entry(e, &ssk->atab.list, node) {
			if (sdp_assoc_readable(sdp_assoc_sk(e))) {
				ret = true;
				break;
			}
		}
	}
	spin_unlock(&ssk->assoc_lock);
	return ret;
}

static int sdp_seq_put_name(struct sock *sk, struct msghdr *msg,
			    const struct sockaddr_storage *peer)
{
	if (msg->msg_name)
		msg->msg_namelen = sdp_fill_name(sk, peer, msg->msg_name);
	return 0;
}

/* copy a notification out; the rest of a long one stays for the next */
static int sdp_seq_recv_notif(struct sock *sk, struct msghdr *msg,
			      size_t len, int flags, struct sdp_notif *n)
{
	struct sdp_sock *ssk = sdp_sk(sk);
	size_t chunk = min_t(size_t, len, n->len - n->off);

	if (copy_to_iter(n->data + n->off, chunk, &msg->msg_iter) != chunk)
		return -EFAULT;
	sdp_seq_put_name(sk, msg, &n->peer);
	msg->msg_flags |= MSG_NOTIFICATION;
	if (flags & MSG_PEEK)
		return chunk;
	n->off += chunk;
	if (n->off < n->len)
		return chunk;
	msg->msg_flags |= MSG_EOR;
	spin_lock(&ssk->assoc_lock);
	list_del(&n->node);
	spin_unlock(&ssk->assoc_lock);
	kvfree(n);
	return chunk;
}

/* read from association @a (locked): data, name, SDP_SNDRCV, MSG_EOR */
static int sdp_assoc_recv(struct sock *sk, struct sock *a, struct msghdr *msg,
			  size_t len, int flags, bool *eor)
{
	struct sdp_sock *assk = sdp_sk(a);
	struct sdp_conn *conn = assk->conn;
	struct sdp_sndrcvinfo si = {};
	struct sdp_rec_info ri;
	int copied;

	*eor = false;
	if (!conn)
		return 0;
	copied = sdp_conn_recv_record(conn, msg, len, flags, eor, &ri);
	if (copied < 0)
		return copied;
	assk->last_use = jiffies;
	sdp_seq_put_name(sk, msg, &conn->peer);
	if (sdp_sk(sk)->events.sdp_data_io_event) {
		si.sinfo_stream = ri.stream;
		si.sinfo_ppid = ri.ppid;
		si.sinfo_context = ri.context;
		si.sinfo_assoc_id = assk->ae.id;
		put_cmsg(msg, SOL_SDP, SDP_SNDRCV, sizeof(si), &si);
	}
	if (*eor)
		msg->msg_flags |= MSG_EOR;
	return copied;
}

/* recvmsg on a peeled-off association: a connected one-to-one socket */
static int sdp_peeled_recvmsg(struct sock *sk, struct msghdr *msg,
			      size_t len, int flags)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct sdp_conn *conn;
	long timeo;
	bool eor;
	int err;

	lock_sock(sk);
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	add_wait_queue(sk_sleep(sk), &wait);
	for (;;) {
		conn = sdp_sk(sk)->conn;
		err = 0;
		if (!conn || sdp_assoc_readable(sk))
			break;
		if (conn->state == TCP_CLOSE || (sk->sk_shutdown & RCV_SHUTDOWN))
			break;
		err = -EAGAIN;
		if (!timeo)
			break;
		if (signal_pending(current)) {
			err = sock_intr_errno(timeo);
			break;
		}
		sk_wait_event(sk, &timeo, sdp_assoc_readable(sk) ||
			      conn->state == TCP_CLOSE ||
			      (sk->sk_shutdown & RCV_SHUTDOWN), &wait);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	if (!err && conn && sdp_assoc_has_data(conn))
		err = sdp_assoc_recv(sk, sk, msg, len, flags, &eor);
	else if (!err && conn && conn->err)
		err = -conn->err;
	release_sock(sk);
	return err;
}

static int sdp_seq_recvmsg(struct socket *sock, struct msghdr *msg,
			   size_t len, int flags)
{
	struct sock *sk = sock->sk, *a;
	struct sdp_sock *ssk = sdp_sk(sk);
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct sdp_notif *n;
	long timeo;
	bool eor;
	int err;

	if (flags & MSG_ERRQUEUE)
		return sock_recv_errqueue(sk, msg, len, SOL_IP, IP_RECVERR);
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (ssk->peeled)
		return sdp_peeled_recvmsg(sk, msg, len, flags);
	lock_sock(sk);
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	add_wait_queue(sk_sleep(sk), &wait);
	for (;;) {
		err = 0;
		if (sdp_seq_pick(ssk, &n, &a))
			break;
		if (sk->sk_err) {
			err = sock_error(sk);
			break;
		}
		if (sk->sk_shutdown & RCV_SHUTDOWN)
			break;
		err = -EAGAIN;
		if (!timeo)
			break;
		if (signal_pending(current)) {
			err = sock_intr_errno(timeo);
			break;
		}
		sk_wait_event(sk, &timeo, sdp_seq_has_input(sk), &wait);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	if (err || (!n && !a))
		goto out;
	if (n) {
		err = sdp_seq_recv_notif(sk, msg, len, flags, n);
		goto out;
	}
	lock_sock_nested(a, SINGLE_DEPTH_NESTING);
	err = sdp_assoc_recv(sk, a, msg, len, flags, &eor);
	if (err >= 0 && !(flags & MSG_PEEK)) {
		spin_lock(&ssk->assoc_lock);
		ssk->pd = eor || !sdp_sk(a)->parent ? NULL : a;
		spin_unlock(&ssk->assoc_lock);
		/* an association that ended is forgotten once read */
		if (sdp_sk(a)->a_closed && sdp_sk(a)->parent)
			sdp_assoc_kick(a, 0);
	}
	release_sock(a);
	sock_put(a);
out:
	release_sock(sk);
	return err;
}

static __poll_t sdp_seq_poll(struct file *file, struct socket *sock,
			     poll_table *wait)
{
	struct sock *sk = sock->sk;
	struct sdp_sock *ssk = sdp_sk(sk);
	struct sdp_aent *e;
	__poll_t mask = 0;
	bool out = false;

	sock_poll_wait(file, sock, wait);
	if (ssk->peeled) {
		struct sdp_conn *conn = READ_ONCE(ssk->conn);

		if (!conn || READ_ONCE(conn->state) == TCP_CLOSE)
			mask |= EPOLLHUP;
		if (sdp_assoc_readable(sk) || !conn ||
		    test_bit(SDP_CF_FIN_RCVD, &conn->flags))
			mask |= EPOLLIN | EPOLLRDNORM;
		if (conn && sdp_assoc_sendable(conn) && sdp_assoc_room(sk, 1))
			mask |= EPOLLOUT | EPOLLWRNORM;
	} else {
		spin_lock(&ssk->assoc_lock);
		if (!list_empty(&ssk->notifq))
			mask |= EPOLLIN | EPOLLRDNORM;
		out = list_empty(&ssk->atab.list);
		list_for_each_entry(e, &ssk->atab.list, node) {
			struct sock *a = sdp_assoc_sk(e);

			if (sdp_assoc_readable(a))
				mask |= EPOLLIN | EPOLLRDNORM;
			if (sdp_assoc_room(a, 1))
				out = true;
		}
		spin_unlock(&ssk->assoc_lock);
		if (out)
			mask |= EPOLLOUT | EPOLLWRNORM;
	}
	if (READ_ONCE(sk->sk_err))
		mask |= EPOLLERR;
	return mask;
}

static int sdp_seq_release(struct socket *sock)
{
	struct sock *sk = sock->sk, *a;
	struct sdp_sock *ssk;
	struct rdma_cm_id *id;
	struct sdp_conn *conn;
	struct sdp_aent *e, *tmp;
	LIST_HEAD(q);

	if (!sk)
		return 0;
	ssk = sdp_sk(sk);
	lock_sock(sk);
	WRITE_ONCE(sk->sk_state, TCP_CLOSE);
	id = ssk->id;
	ssk->id = NULL;
	conn = ssk->conn;
	if (conn) {		/* peeled off */
		sdp_assoc_close(conn);
		ssk->conn = NULL;
	}
	spin_lock(&ssk->assoc_lock);
	list_splice_init(&ssk->atab.list, &q);
	ssk->atab.count = 0;
	ssk->pd = NULL;
	spin_unlock(&ssk->assoc_lock);
	/* closing the socket ends every association, gracefully */
	list_for_each_entry_safe(e, tmp, &q, node) {
		a = sdp_assoc_sk(e);
		list_del_init(&e->node);
		e->id = 0;
		sdp_assoc_release(sk, a, true);
	}
	sdp_notif_free_all(ssk);
	sock_orphan(sk);
	if (conn)
		sdp_conn_start_timer(conn);
	sdp_port_release(&ssk->bind);
	release_sock(sk);
	if (id)
		rdma_destroy_id(id);
	if (conn)
		sdp_conn_put(conn);
	sock->sk = NULL;
	sock_put(sk);
	return 0;
}

static int sdp_seq_getname(struct socket *sock, struct sockaddr *uaddr,
			   int peer)
{
	struct sock *sk = sock->sk;
	struct sdp_sock *ssk = sdp_sk(sk);
	struct sockaddr_storage ss = { .ss_family = AF_INET };
	int len;

	lock_sock(sk);
	if (peer) {
		if (!ssk->peeled || !ssk->conn) {
			release_sock(sk);
			return -ENOTCONN;
		}
		memcpy(&ss, &ssk->conn->peer, sizeof(ss));
	} else if (ssk->peeled && ssk->conn && ssk->conn->local.ss_family) {
		/* its own address, not a wildcard its socket was bound to */
		memcpy(&ss, &ssk->conn->local, sizeof(ss));
	} else if (ssk->bound_set) {
		memcpy(&ss, &ssk->bound, sizeof(ss));
	} else if (ssk->conn && ssk->conn->local.ss_family) {
		memcpy(&ss, &ssk->conn->local, sizeof(ss));
	}
	len = sdp_fill_name(sk, &ss, uaddr);
	release_sock(sk);
	return len;
}

static int sdp_seq_listen(struct socket *sock, int backlog)
{
	if (sdp_sk(sock->sk)->peeled)
		return -EINVAL;
	return sdp_stream_listen(sock, backlog);
}

static int sdp_seq_bind(struct socket *sock, struct sockaddr *uaddr,
			int addr_len)
{
	if (sdp_sk(sock->sk)->peeled)
		return -EINVAL;
	return sdp_stream_bind(sock, uaddr, addr_len);
}

static int sdp_seq_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	int err = 0;

	how++;
	if ((how & ~SHUTDOWN_MASK) || !how)
		return -EINVAL;
	if (!sdp_sk(sk)->peeled)
		return -EOPNOTSUPP;	/* SDP_EOF ends one association */
	lock_sock(sk);
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | how);
	if (!sdp_sk(sk)->conn)
		err = -ENOTCONN;
	else if (how & SEND_SHUTDOWN)
		sdp_conn_send_fin(sdp_sk(sk)->conn);
	sk->sk_state_change(sk);
	release_sock(sk);
	return err;
}

static int sdp_seq_setsockopt(struct socket *sock, int level, int optname,
			      sockptr_t optval, unsigned int optlen)
{
	struct sock *sk = sock->sk;
	struct sdp_sock *ssk = sdp_sk(sk);
	struct sdp_event_subscribe ev;
	struct sdp_aent *e;
	int val = 0, err = 0;

	if (level != SOL_SDP)
		return -ENOPROTOOPT;
	switch (optname) {
	case SDP_EVENTS:
		if (optlen > sizeof(ev))
			return -EINVAL;
		lock_sock(sk);
		ev = ssk->events;
		if (copy_from_sockptr(&ev, optval, optlen))
			err = -EFAULT;
		else
			ssk->events = ev;
		release_sock(sk);
		return err;
	case SDP_AUTOCLOSE:
	case SDP_NODELAY:
	case SDP_ZCOPY_THRESH:
		if (optlen < sizeof(int))
			return -EINVAL;
		if (copy_from_sockptr(&val, optval, sizeof(int)))
			return -EFAULT;
		if (val < 0)
			return -EINVAL;
		break;
	default:
		return -ENOPROTOOPT;
	}
	lock_sock(sk);
	if (optname == SDP_NODELAY) {
		ssk->nodelay = !!val;
	} else if (optname == SDP_ZCOPY_THRESH) {
		ssk->zcopy_thresh = val;
	} else if (ssk->peeled) {
		err = -EINVAL;		/* as SCTP's one-to-one sockets */
	} else {
		WRITE_ONCE(ssk->autoclose, min(val, 365 * 24 * 3600));
		spin_lock(&ssk->assoc_lock);
		list_for_each_entry(e, &ssk->atab.list, node)
			sdp_assoc_kick(sdp_assoc_sk(e), 0);
		spin_unlock(&ssk->assoc_lock);
	}
	release_sock(sk);
	return err;
}

static int sdp_sstat_state(const struct sdp_conn *conn)
{
	switch (conn->state) {
	case TCP_SYN_SENT:
		return SDP_COOKIE_WAIT;
	case TCP_SYN_RECV:
		return SDP_COOKIE_ECHOED;
	case TCP_ESTABLISHED:
		return SDP_ESTABLISHED;
	case TCP_FIN_WAIT1:
		return skb_queue_empty(&conn->txq) && !conn->tx_unposted ?
		       SDP_SHUTDOWN_SENT : SDP_SHUTDOWN_PENDING;
	case TCP_FIN_WAIT2:
	case TCP_CLOSING:
		return SDP_SHUTDOWN_SENT;
	case TCP_CLOSE_WAIT:
		return SDP_SHUTDOWN_RECEIVED;
	case TCP_LAST_ACK:
		return SDP_SHUTDOWN_ACK_SENT;
	default:
		return SDP_CLOSED;
	}
}

/* the association @id names, locked nested under @sk (locked), held */
static struct sock *sdp_seq_find_locked(struct sock *sk, sdp_assoc_t id)
{
	struct sdp_sock *ssk = sdp_sk(sk);
	struct sdp_aent *e;
	struct sock *a = NULL;

	if (ssk->peeled) {
		if (id && id != ssk->ae.id)
			return NULL;
		sock_hold(sk);
		return sk;
	}
	spin_lock(&ssk->assoc_lock);
	e = sdp_atab_find_id(&ssk->atab, id);
	if (e) {
		a = sdp_assoc_sk(e);
		sock_hold(a);
	}
	spin_unlock(&ssk->assoc_lock);
	if (a)
		lock_sock_nested(a, SINGLE_DEPTH_NESTING);
	return a;
}

static void sdp_seq_put_found(struct sock *sk, struct sock *a)
{
	if (a != sk)
		release_sock(a);
	sock_put(a);
}

static int sdp_seq_status(struct sock *sk, char __user *optval, int len,
			  bool paddr)
{
	struct sdp_status st;
	struct sdp_paddr pa;
	struct sdp_conn *conn;
	struct sock *a;
	sdp_assoc_t id;

	if (len < (int)(paddr ? sizeof(pa) : sizeof(st)))
		return -EINVAL;
	if (paddr ? copy_from_user(&pa, optval, sizeof(pa)) :
	    copy_from_user(&st, optval, sizeof(st)))
		return -EFAULT;
	id = paddr ? pa.spinfo_assoc_id : st.sstat_assoc_id;
	lock_sock(sk);
	a = sdp_seq_find_locked(sk, id);
	if (!a) {
		release_sock(sk);
		return -EINVAL;
	}
	conn = sdp_sk(a)->conn;
	if (paddr) {
		memset(&pa, 0, sizeof(pa));
		pa.spinfo_assoc_id = sdp_sk(a)->ae.id;
		if (conn)
			sdp_fill_name(sk, &conn->peer,
				      (struct sockaddr *)&pa.spinfo_address);
	} else {
		memset(&st, 0, sizeof(st));
		st.sstat_assoc_id = sdp_sk(a)->ae.id;
		if (conn) {
			st.sstat_state = sdp_sstat_state(conn);
			st.sstat_rwnd = conn->tx_credits > 0 ?
					conn->tx_credits * conn->tx_size : 0;
			st.sstat_penddata = skb_queue_len(&conn->txq) +
					    conn->tx_used;
			sdp_fill_name(sk, &conn->peer,
				      (struct sockaddr *)&st.sstat_primary_addr);
		}
	}
	sdp_seq_put_found(sk, a);
	release_sock(sk);
	if (paddr ? copy_to_user(optval, &pa, sizeof(pa)) :
	    copy_to_user(optval, &st, sizeof(st)))
		return -EFAULT;
	return 0;
}

/* SDP_PEELOFF: association @arg.associd gets a descriptor of its own */
static int sdp_seq_peeloff(struct sock *sk, char __user *optval, int len)
{
	struct sdp_sock *ssk = sdp_sk(sk);
	struct sdp_peeloff_arg arg;
	struct socket *newsock;
	struct file *file;
	struct sock *a;
	int fd, err;

	if (len < (int)sizeof(arg))
		return -EINVAL;
	if (copy_from_user(&arg, optval, sizeof(arg)))
		return -EFAULT;
	if (ssk->peeled)
		return -EINVAL;
	err = sock_create_lite(sk->sk_family, SOCK_SEQPACKET, 0, &newsock);
	if (err)
		return err;
	newsock->ops = &sdp_seqpacket_ops;
	__module_get(THIS_MODULE);
	fd = get_unused_fd_flags(0);
	if (fd < 0) {
		sock_release(newsock);
		return fd;
	}
	file = sock_alloc_file(newsock, 0, NULL);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	lock_sock(sk);
	a = sdp_seq_find_locked(sk, arg.associd);
	if (!a || sdp_sk(a)->a_closed) {
		if (a)
			sdp_seq_put_found(sk, a);
		release_sock(sk);
		fput(file);
		put_unused_fd(fd);
		return -EINVAL;
	}
	arg.associd = sdp_sk(a)->ae.id;
	sdp_assoc_unlink(sk, a);
	sdp_assoc_cancel(a);
	sdp_sk(a)->ae.id = arg.associd;	/* it keeps its id, in no table */
	sdp_sk(a)->peeled = true;
	sock_graft(a, newsock);
	newsock->state = SS_CONNECTED;
	release_sock(a);
	release_sock(sk);
	sock_put(sk);		/* the table's reference */
	sock_put(a);		/* ours; its own now belongs to newsock */
	arg.sd = fd;
	if (copy_to_user(optval, &arg, sizeof(arg))) {
		fput(file);
		put_unused_fd(fd);
		return -EFAULT;
	}
	fd_install(fd, file);
	return 0;
}

static int sdp_seq_getsockopt(struct socket *sock, int level, int optname,
			      char __user *optval, int __user *optlen)
{
	struct sock *sk = sock->sk;
	struct sdp_sock *ssk = sdp_sk(sk);
	int len, val;

	if (level != SOL_SDP)
		return -ENOPROTOOPT;
	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	switch (optname) {
	case SDP_STATUS:
		return sdp_seq_status(sk, optval, len, false);
	case SDP_GET_PEER_ADDR:
		return sdp_seq_status(sk, optval, len, true);
	case SDP_PEELOFF:
		return sdp_seq_peeloff(sk, optval, len);
	case SDP_EVENTS:
		len = min_t(int, len, sizeof(ssk->events));
		if (put_user(len, optlen) ||
		    copy_to_user(optval, &ssk->events, len))
			return -EFAULT;
		return 0;
	case SDP_AUTOCLOSE:
		val = READ_ONCE(ssk->autoclose);
		break;
	case SDP_NODELAY:
		val = ssk->nodelay;
		break;
	case SDP_ZCOPY_THRESH:
		val = ssk->zcopy_thresh;
		break;
	default:
		return -ENOPROTOOPT;
	}
	if (len < (int)sizeof(int))
		return -EINVAL;
	len = sizeof(int);
	if (put_user(len, optlen) || copy_to_user(optval, &val, len))
		return -EFAULT;
	return 0;
}

const struct proto_ops sdp_seqpacket_ops = {
	.family		= PF_SDP,
	.owner		= THIS_MODULE,
	.release	= sdp_seq_release,
	.bind		= sdp_seq_bind,
	.connect	= sdp_seq_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= sock_no_accept,
	.getname	= sdp_seq_getname,
	.poll		= sdp_seq_poll,
	.ioctl		= sock_no_ioctl,
	.listen		= sdp_seq_listen,
	.shutdown	= sdp_seq_shutdown,
	.setsockopt	= sdp_seq_setsockopt,
	.getsockopt	= sdp_seq_getsockopt,
	.sendmsg	= sdp_seq_sendmsg,
	.recvmsg	= sdp_seq_recvmsg,
	.mmap		= sock_no_mmap,
	.sendpage	= sock_no_sendpage,
};
