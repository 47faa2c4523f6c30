// SPDX-License-Identifier: GPL-2.0
/*
 * sdp RDMA glue: rdma_cm events. The active side resolves address and
 * route, creates its QP and connects with a Hello in the REQ's private
 * data; the passive side validates the Hello, honours the listen backlog,
 * creates the child socket and its QP and accepts with a HelloAck.
 *
 * Handlers run with rdma_cm's handler_mutex held and take lock_sock (see
 * the lock order in conn.c). They never destroy their own cm_id except by
 * returning non-zero from CONNECT_REQUEST before anything else uses it.
 */
#include <linux/in.h>
#include <linux/in6.h>
#include <rdma/ib_cm.h>

#include "sdp.h"
#include "trace.h"

#define SDP_RESOLVE_MS		2000
/* How long set-up may take before it fails with ETIMEDOUT: the active
 * side as long as TCP's SYN retries (tcp_syn_retries 6: 127 s), the passive
 * side as long as its SYN-ACK retries (63 s). A busy listener answers
 * connection requests one after another (rdma_cm delivers them in turn);
 * a connect() that gives up early leaves a child the peer accepted behind.
 */
#define SDP_CONNECT_TIMEOUT	(127 * HZ)	/* active side: ETIMEDOUT */
#define SDP_ACCEPT_TIMEOUT	(63 * HZ)	/* passive side: REP to RTU */

struct rdma_cm_id *sdp_cm_create_id(struct sock *sk, void *ctx, bool listen)
{
	struct rdma_cm_id *id;

	id = rdma_create_id(sock_net(sk),
			    listen ? sdp_cm_listen_handler : sdp_cm_handler,
			    ctx, RDMA_PS_IB, IB_QPT_RC);
	if (IS_ERR(id))
		return id;
	/* the associations of a SOCK_SEQPACKET socket share its port */
	if (sk->sk_reuse || sk->sk_type == SOCK_SEQPACKET)
		rdma_set_reuseaddr(id, 1);
	return id;
}

static void sdp_fill_conn_param(struct sdp_conn *conn,
				struct rdma_conn_param *p, void *priv,
				u8 len)
{
	memset(p, 0, sizeof(*p));
	p->private_data = priv;
	p->private_data_len = len;
	p->responder_resources = 1;
	p->initiator_depth = 1;
	p->retry_count = 7;
	p->rnr_retry_count = 7;
}

/* The port an association of a one-to-many socket is known by: its
 * socket's (seqpacket.c), while its rdma_cm id has an ephemeral one, as
 * rdma_cm lets no other id share the port of a listening id. 0: none.
 */
static u16 sdp_assoc_port(const struct sdp_conn *conn)
{
	const struct sdp_sock *ssk = sdp_sk(conn->sk);

	if (!conn->boundary || conn->listener || !ssk->bound_set)
		return 0;
	return sdp_addr_port(&ssk->bound);
}

static void sdp_hello_info(struct sdp_conn *conn, struct sdp_hello_info *i)
{
	memset(i, 0, sizeof(*i));
	i->version = SDP_VERSION;
	i->ipv = conn->id->route.addr.src_addr.ss_family == AF_INET6 ? 6 : 4;
	i->bufs = conn->rx_posted;
	i->rcvsz = conn->rx_size;
	i->desremrcvsz = conn->rx_size;
	i->caps = conn->boundary ? SDP_CAP_MSG_BOUNDARY :
				   sdp_zc_caps(sock_net(conn->sk));
	conn->caps = i->caps;	/* offered; the HelloAck narrows it */
	i->src_port = sdp_assoc_port(conn);
}

int sdp_cm_connect(struct sdp_conn *conn, struct rdma_cm_id *id,
		   const struct sockaddr_storage *src,
		   const struct sockaddr_storage *dst)
{
	int err;

	conn->id = id;
	memcpy(&conn->peer, dst, sizeof(*dst));
	sdp_conn_set_state(conn, TCP_SYN_SENT);
	err = rdma_resolve_addr(id, (struct sockaddr *)src,
				(struct sockaddr *)dst, SDP_RESOLVE_MS);
	if (err)
		return err;
	SDP_STAT_INC(conn->sk, SDP_STAT_ACTIVE_OPENS);
	mod_delayed_work(sdp_wq, &conn->timer_work, SDP_CONNECT_TIMEOUT);
	return 0;
}

/* connection set-up failed: report @err to connect() and tear down */
void sdp_cm_fail(struct sdp_conn *conn, int err)
{
	struct sock *sk = conn->sk;

	if (conn->state == TCP_CLOSE)
		return;
	if (err == ECONNREFUSED)
		SDP_STAT_INC(sk, SDP_STAT_CONN_REFUSED);
	conn->err = err;
	if (!sock_flag(sk, SOCK_DEAD) && sdp_sk(sk)->conn == conn) {
		WRITE_ONCE(sk->sk_err, err);
		sk_error_report(sk);
	}
	sdp_conn_done(conn);
}

static int sdp_addr_errno(int status)
{
	switch (status) {
	case -ENODEV:
	case -ENETUNREACH:
		return -ENETUNREACH;
	case -EADDRNOTAVAIL:
		return -EADDRNOTAVAIL;
	default:
		return -EHOSTUNREACH;
	}
}

static void sdp_cm_route_resolved(struct sdp_conn *conn)
{
	struct rdma_conn_param param;
	struct sdp_hello_info info;
	struct sdp_hello hello;
	int err;

	err = sdp_conn_setup_qp(conn, 0, 0);
	if (err) {
		sdp_cm_fail(conn, err == -ENOMEM ? ENOBUFS : ENETUNREACH);
		return;
	}
	sdp_hello_info(conn, &info);
	sdp_pack_hello(&hello, &info);
	sdp_fill_conn_param(conn, &param, &hello, sizeof(hello));
	err = rdma_connect_locked(conn->id, &param);
	if (err)
		sdp_cm_fail(conn, ECONNREFUSED);
}

static void sdp_cm_established(struct sdp_conn *conn,
			       struct rdma_cm_event *ev)
{
	struct sock *sk = conn->sk;
	struct sdp_hello_info info;
	int credits, err;
	u16 port;

	set_bit(SDP_CF_ESTABLISHED_CM, &conn->flags);
	if (!conn->listener) {
		err = sdp_unpack_hello_ack(ev->param.conn.private_data,
					   ev->param.conn.private_data_len,
					   &info);
		if (err) {
			SDP_STAT_INC(sk, SDP_STAT_BAD_MESSAGES);
			sdp_cm_fail(conn, ECONNREFUSED);
			return;
		}
		credits = conn->tx_credits;
		err = sdp_conn_set_peer(conn, info.rcvsz, info.bufs);
		/* credits from messages already received are newer */
		if (conn->rx_mseq)
			conn->tx_credits = credits;
		if (err) {
			sdp_cm_fail(conn, ENOBUFS);
			return;
		}
		/* no more than we offered */
		conn->caps &= info.caps;
	}
	memcpy(&conn->local, &conn->id->route.addr.src_addr,
	       sizeof(conn->local));
	/* an association is known by its socket's port on both sides (the
	 * passive side set its peer from the Hello)
	 */
	port = sdp_assoc_port(conn);
	if (port)
		sdp_addr_set_port(&conn->local, port);
	if (!conn->boundary || !conn->listener)
		memcpy(&conn->peer, &conn->id->route.addr.dst_addr,
		       sizeof(conn->peer));
	sdp_conn_set_state(conn, TCP_ESTABLISHED);
	cancel_delayed_work(&conn->timer_work);
	sdp_conn_start_timer(conn);
	sk->sk_state_change(sk);
	sk->sk_write_space(sk);
	sdp_conn_push(conn, false);
}

/* a passive child is up: hand it to its listener's accept queue */
static void sdp_cm_child_ready(struct sdp_conn *conn)
{
	struct sock *lsk = conn->listener;
	bool queued = false;

	if (lsk->sk_type == SOCK_SEQPACKET) {
		queued = sdp_seq_child_ready(lsk, conn);
		goto out;
	}
	lock_sock(lsk);
	sdp_sk(lsk)->pending--;
	if (lsk->sk_state == TCP_LISTEN) {
		list_add_tail(&conn->accept_node, &sdp_sk(lsk)->accept_q);
		sk_acceptq_added(lsk);
		queued = true;
		lsk->sk_data_ready(lsk);
	}
	release_sock(lsk);
out:
	if (queued)
		return;
	lock_sock(conn->sk);
	sdp_conn_abort(conn, ECONNRESET, true);
	release_sock(conn->sk);
	sdp_child_release(conn);
}

int sdp_cm_handler(struct rdma_cm_id *id, struct rdma_cm_event *ev)
{
	struct sdp_conn *conn = id->context;
	struct sock *sk = conn->sk;
	bool child_ready = false;

	trace_sdp_cm_event(conn, ev->event, ev->status);
	lock_sock(sk);
	if (test_bit(SDP_CF_DESTROYING, &conn->flags))
		goto out;
	switch (ev->event) {
	case RDMA_CM_EVENT_ADDR_RESOLVED:
		if (rdma_resolve_route(id, SDP_RESOLVE_MS))
			sdp_cm_fail(conn, ENETUNREACH);
		break;
	case RDMA_CM_EVENT_ADDR_ERROR:
		sdp_cm_fail(conn, -sdp_addr_errno(ev->status));
		break;
	case RDMA_CM_EVENT_ROUTE_RESOLVED:
		sdp_cm_route_resolved(conn);
		break;
	case RDMA_CM_EVENT_ROUTE_ERROR:
		sdp_cm_fail(conn, ENETUNREACH);
		break;
	case RDMA_CM_EVENT_ESTABLISHED:
		sdp_cm_established(conn, ev);
		child_ready = conn->listener && conn->state == TCP_ESTABLISHED;
		break;
	case RDMA_CM_EVENT_REJECTED:
	case RDMA_CM_EVENT_CONNECT_ERROR:
		sdp_cm_fail(conn, ECONNREFUSED);
		break;
	case RDMA_CM_EVENT_UNREACHABLE:
		sdp_cm_fail(conn, ETIMEDOUT);
		break;
	case RDMA_CM_EVENT_DISCONNECTED:
		set_bit(SDP_CF_DISCONNECTED, &conn->flags);
		/* take what already arrived (a DisConn, an Abort) first */
		sdp_conn_poll(conn);
		if (conn->state != TCP_CLOSE) {
			if (conn->state == TCP_SYN_SENT ||
			    conn->state == TCP_SYN_RECV)
				sdp_cm_fail(conn, ECONNREFUSED);
			else
				sdp_conn_abort(conn, -sdp_reset_errno(conn),
					       false);
		}
		break;
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		SDP_STAT_INC(sk, SDP_STAT_ABORTS_TRANSPORT);
		if (conn->state == TCP_SYN_SENT || conn->state == TCP_SYN_RECV)
			sdp_cm_fail(conn, ENETUNREACH);
		else
			sdp_conn_abort(conn, ECONNRESET, false);
		break;
	default:
		break;
	}
out:
	release_sock(sk);
	if (child_ready)
		sdp_cm_child_ready(conn);
	return 0;
}

/* A child that never reached accept(): drop the socket's reference on the
 * conn and the child socket itself. Its conn is being torn down.
 */
void sdp_child_release(struct sdp_conn *conn)
{
	struct sock *sk = conn->sk;

	lock_sock(sk);
	sdp_sk(sk)->conn = NULL;
	sock_set_flag(sk, SOCK_DEAD);
	release_sock(sk);
	sdp_conn_put(conn);	/* the socket's reference */
	sock_put(sk);		/* the child's own reference */
}

static void sdp_cm_reject(struct rdma_cm_id *id, u8 reason)
{
	struct sdp_rej rej = { .version = SDP_VERSION, .reason = reason };

	rdma_reject(id, &rej, sizeof(rej), IB_CM_REJ_CONSUMER_DEFINED);
}

void sdp_child_inherit(struct sock *lsk, struct sock *sk)
{
	struct sdp_sock *lssk = sdp_sk(lsk), *ssk = sdp_sk(sk);

	sk->sk_sndbuf = lsk->sk_sndbuf;
	sk->sk_rcvbuf = lsk->sk_rcvbuf;
	sk->sk_userlocks = lsk->sk_userlocks;
	sk->sk_rcvlowat = lsk->sk_rcvlowat;
	sk->sk_lingertime = lsk->sk_lingertime;
	sk->sk_rcvtimeo = lsk->sk_rcvtimeo;
	sk->sk_sndtimeo = lsk->sk_sndtimeo;
#ifdef CONFIG_NET_RX_BUSY_POLL
	sk->sk_ll_usec = lsk->sk_ll_usec;
#endif
	sk->sk_flags = lsk->sk_flags & ~(BIT(SOCK_DEAD) | BIT(SOCK_DONE));
	sk->sk_uid = lsk->sk_uid;
	sk->sk_reuse = lsk->sk_reuse;
	ssk->nodelay = lssk->nodelay;
	ssk->cork = lssk->cork;
	ssk->zcopy_thresh = lssk->zcopy_thresh;
	ssk->keepidle = lssk->keepidle;
	ssk->keepintvl = lssk->keepintvl;
	ssk->keepcnt = lssk->keepcnt;
	ssk->ipv = lssk->ipv;
}

static int sdp_cm_connect_request(struct rdma_cm_id *id,
				  struct rdma_cm_event *ev)
{
	struct sock *lsk = id->context;
	struct sdp_sock *lssk = sdp_sk(lsk);
	struct rdma_conn_param param;
	struct sdp_hello_info hi, ai;
	struct sdp_hello_ack ack;
	struct sdp_conn *conn;
	struct sock *sk;
	bool boundary, records;
	int err;

	err = sdp_unpack_hello(ev->param.conn.private_data,
			       ev->param.conn.private_data_len, &hi);
	if (err) {
		SDP_STAT_INC(lsk, SDP_STAT_BAD_MESSAGES);
		sdp_cm_reject(id, sdp_hello_rej_reason(err));
		return 1;
	}
	/* records (SOCK_SEQPACKET) or a byte stream: as the listener is */
	boundary = hi.caps & SDP_CAP_MSG_BOUNDARY;
	records = lsk->sk_type == SOCK_SEQPACKET;
	if (boundary != records) {
		sdp_cm_reject(id, SDP_REJ_CAPS);
		return 1;
	}
	lock_sock(lsk);
	if (lsk->sk_state != TCP_LISTEN ||
	    lssk->pending + lsk->sk_ack_backlog > lsk->sk_max_ack_backlog) {
		release_sock(lsk);
		SDP_STAT_INC(lsk, SDP_STAT_BACKLOG_DROPS);
		sdp_cm_reject(id, SDP_REJ_BACKLOG);
		return 1;
	}
	lssk->pending++;
	release_sock(lsk);

	sk = sdp_sk_alloc(sock_net(lsk), NULL, lsk->sk_type,
			  lsk->sk_protocol, 0);
	if (!sk)
		goto fail_nosk;
	if (lsk->sk_type == SOCK_SEQPACKET)
		sdp_seq_child_init(lsk, sk);
	else
		sdp_child_inherit(lsk, sk);
	conn = sdp_conn_alloc(sk, GFP_KERNEL);
	if (!conn) {
		sk_free(sk);
		goto fail_nosk;
	}
	sdp_sk(sk)->conn = conn;
	sock_hold(lsk);
	conn->listener = lsk;
	conn->id = id;
	/* an association: its peer is known by the port its Hello names */
	memcpy(&conn->peer, &id->route.addr.dst_addr, sizeof(conn->peer));
	/* a port below PROT_SOCK is not taken on the peer's word: such an
	 * association is known by its rdma_cm id's own port
	 */
	if (records && hi.src_port >= PROT_SOCK)
		sdp_addr_set_port(&conn->peer, hi.src_port);
	id->context = conn;
	id->event_handler = sdp_cm_handler;

	lock_sock(sk);
	sdp_conn_set_state(conn, TCP_SYN_RECV);
	err = sdp_conn_setup_qp(conn, hi.rcvsz, hi.bufs);
	if (err)
		goto fail;
	memset(&ai, 0, sizeof(ai));
	ai.version = SDP_VERSION;
	ai.bufs = conn->rx_posted;
	ai.rcvsz = conn->rx_size;
	/* a byte stream may use zero copy (the modes both ends offer),
	 * records not
	 */
	ai.caps = hi.caps & (records ? SDP_CAP_MSG_BOUNDARY :
			     sdp_zc_caps(sock_net(sk)));
	conn->caps = ai.caps;
	conn->boundary = ai.caps & SDP_CAP_MSG_BOUNDARY;
	sdp_pack_hello_ack(&ack, &ai);
	sdp_fill_conn_param(conn, &param, &ack, sizeof(ack));
	err = rdma_accept(id, &param);
	if (err)
		goto fail;
	SDP_STAT_INC(sk, SDP_STAT_PASSIVE_OPENS);
	mod_delayed_work(sdp_wq, &conn->timer_work, SDP_ACCEPT_TIMEOUT);
	release_sock(sk);
	return 0;

fail:
	/* rdma_cm destroys the id when we return non-zero: let go of it */
	if (conn->qp)
		rdma_destroy_qp(id);
	conn->qp = NULL;
	clear_bit(SDP_CF_QP_READY, &conn->flags);
	if (conn->cq)
		ib_destroy_cq(conn->cq);
	conn->cq = NULL;
	conn->id = NULL;
	set_bit(SDP_CF_DESTROYING, &conn->flags);
	conn->state = TCP_CLOSE;
	release_sock(sk);
	sdp_cm_reject(id, SDP_REJ_NOMEM);
	lock_sock(lsk);
	lssk->pending--;
	release_sock(lsk);
	cancel_work_sync(&conn->cq_work);
	sdp_conn_put(conn);	/* base */
	sdp_child_release(conn);
	return 1;

fail_nosk:
	sdp_cm_reject(id, SDP_REJ_NOMEM);
	lock_sock(lsk);
	lssk->pending--;
	release_sock(lsk);
	return 1;
}

/* The device a bound or listening id sits on goes away: rdma_cm waits for
 * the id to be destroyed, so give it up (returning 1 destroys it) unless
 * close() already took it. A listener stops listening (accept() then
 * fails with EINVAL) and resets its queued children; both report ENODEV
 * (stream sockets; see below).
 */
static int sdp_cm_bound_removed(struct rdma_cm_id *id, struct sock *lsk)
{
	struct sdp_sock *lssk = sdp_sk(lsk);
	bool listener;

	lock_sock(lsk);
	if (lssk->id != id) {
		release_sock(lsk);
		return 0;
	}
	lssk->id = NULL;
	lssk->bound_set = false;
	sdp_port_release(&lssk->bind);	/* not bound any more */
	listener = lsk->sk_state == TCP_LISTEN;
	if (listener)
		WRITE_ONCE(lsk->sk_state, TCP_CLOSE);
	/* a one-to-many socket learns it per association (COMM_LOST), as
	 * SCTP's: the socket itself has no error
	 */
	if (lsk->sk_type != SOCK_SEQPACKET) {
		WRITE_ONCE(lsk->sk_err, ENODEV);
		sk_error_report(lsk);
	}
	lsk->sk_state_change(lsk);
	release_sock(lsk);
	if (listener)
		sdp_listener_flush(lsk);
	return 1;
}

int sdp_cm_listen_handler(struct rdma_cm_id *id, struct rdma_cm_event *ev)
{
	struct sock *lsk = id->context;

	pr_debug("sdp: listen event %s\n", rdma_event_msg(ev->event));
	switch (ev->event) {
	case RDMA_CM_EVENT_CONNECT_REQUEST:
		return sdp_cm_connect_request(id, ev);
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		return sdp_cm_bound_removed(id, lsk);
	default:
		return 0;
	}
}

/* The listener closes: every child that waits for accept() is reset.
 * Children still in set-up see the listener gone when they come up.
 */
void sdp_listener_flush(struct sock *lsk)
{
	struct sdp_conn *conn, *tmp;
	LIST_HEAD(q);

	lock_sock(lsk);
	list_splice_init(&sdp_sk(lsk)->accept_q, &q);
	WRITE_ONCE(lsk->sk_ack_backlog, 0);
	release_sock(lsk);
	list_for_each_entry_safe(conn, tmp, &q, accept_node) {
		list_del_init(&conn->accept_node);
		lock_sock(conn->sk);
		sdp_conn_abort(conn, ECONNRESET, true);
		release_sock(conn->sk);
		sdp_child_release(conn);
	}
}
