// SPDX-License-Identifier: GPL-2.0
/*
 * sdp SOCK_STREAM: the socket calls of a TCP program, with TCP's
 * observable behaviour (errnos, states, poll bits), on top of one
 * connection of the session engine.
 */
#include <linux/net.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/tcp.h>
#include <linux/sockios.h>
#include <asm/ioctls.h>
#include <net/tcp.h>
#include <linux/sched/signal.h>
#include <net/sock.h>
#include <net/tcp_states.h>
#include <net/addrconf.h>
#include <net/route.h>

#include "sdp.h"

int sdp_stream_init_sock(struct sock *sk)
{
	return 0;
}

static int sdp_stream_release(struct socket *sock)
{
	struct sock *sk = sock->sk;
	struct sdp_sock *ssk;
	struct rdma_cm_id *id;
	struct sdp_conn *conn;
	bool listener;

	if (!sk)
		return 0;
	ssk = sdp_sk(sk);
	lock_sock(sk);
	listener = sk->sk_state == TCP_LISTEN;
	if (listener)
		WRITE_ONCE(sk->sk_state, TCP_CLOSE);
	id = ssk->id;
	ssk->id = NULL;
	conn = ssk->conn;
	if (conn) {
		if (sdp_conn_inq(conn) ||
		    (sock_flag(sk, SOCK_LINGER) && !sk->sk_lingertime)) {
			/* unread data or linger {1, 0}: reset, as TCP */
			sdp_conn_abort(conn, 0, true);
		} else if (conn->state == TCP_ESTABLISHED ||
			   conn->state == TCP_CLOSE_WAIT) {
			sdp_conn_send_fin(conn);
			if (sock_flag(sk, SOCK_LINGER) && sk->sk_lingertime) {
				long timeo = sk->sk_lingertime;
				DEFINE_WAIT_FUNC(wait, woken_wake_function);

				add_wait_queue(sk_sleep(sk), &wait);
				while (timeo && !signal_pending(current) &&
				       !sk_wait_event(sk, &timeo,
						      conn->state != TCP_FIN_WAIT1 &&
						      conn->state != TCP_LAST_ACK,
						      &wait))
					;
				remove_wait_queue(sk_sleep(sk), &wait);
			}
		} else if (conn->state == TCP_SYN_SENT ||
			   conn->state == TCP_SYN_RECV) {
			sdp_conn_abort(conn, 0, false);
		}
		/* FIN_WAIT*, CLOSING, LAST_ACK: finish in the background */
		ssk->conn = NULL;
	}
	sock_orphan(sk);
	if (conn)
		sdp_conn_start_timer(conn);
	sdp_port_release(&ssk->bind);
	release_sock(sk);
	if (id)
		rdma_destroy_id(id);
	if (listener)
		sdp_listener_flush(sk);
	if (conn)
		sdp_conn_put(conn);
	sock->sk = NULL;
	sock_put(sk);
	return 0;
}

/* check a sockaddr for bind/connect the way inet_bind/inet6_bind do */
static int sdp_stream_addr(struct sock *sk, struct sockaddr *uaddr,
			   int addr_len, struct sockaddr_storage *ss)
{
	if (addr_len < (int)sizeof(struct sockaddr_in))
		return -EINVAL;
	return sdp_addr_check(uaddr, addr_len, ss);
}

static bool sdp_addr_any(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ipv6_addr_any(&((struct sockaddr_in6 *)ss)->sin6_addr);
	return ((struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
}

static bool sdp_addr_local(struct net *net, const struct sockaddr_storage *ss)
{
	if (sdp_addr_any(ss))
		return true;
	if (ss->ss_family == AF_INET6)
		return ipv6_chk_addr(net,
				     &((struct sockaddr_in6 *)ss)->sin6_addr,
				     NULL, 0);
	return inet_addr_type(net, ((struct sockaddr_in *)ss)->sin_addr.s_addr) ==
	       RTN_LOCAL;
}

/* rdma_cm answers a port clash that involves a wildcard address with
 * EADDRNOTAVAIL and an address without an RDMA device with ENODEV; TCP
 * says EADDRINUSE and EADDRNOTAVAIL.
 */
static int sdp_map_cm_errno(struct sock *sk, int err,
			    const struct sockaddr_storage *ss)
{
	if (err == -ENODEV)
		return -EADDRNOTAVAIL;
	if (err == -EADDRNOTAVAIL && ss && sdp_addr_local(sock_net(sk), ss))
		return -EADDRINUSE;
	return err;
}

/* Does @ss name a local address with an RDMA device? Asked of rdma_cm with
 * a throw-away id bound to an ephemeral port, for binds that do not hold
 * an rdma_cm id of their own. Not under lock_sock (see conn.c).
 */
static int sdp_stream_probe_addr(struct sock *sk,
				 const struct sockaddr_storage *ss)
{
	struct sockaddr_storage probe;
	struct rdma_cm_id *id;
	int err;

	if (sdp_addr_any(ss))
		return 0;
	memcpy(&probe, ss, sizeof(probe));
	if (probe.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&probe)->sin6_port = 0;
	else
		((struct sockaddr_in *)&probe)->sin_port = 0;
	id = sdp_cm_create_id(sk, sk, true);
	if (IS_ERR(id))
		return PTR_ERR(id);
	err = rdma_bind_addr(id, (struct sockaddr *)&probe);
	rdma_destroy_id(id);
	return err ? sdp_map_cm_errno(sk, err, ss) : 0;
}

#define SDP_BIND_TRIES	8

/* rdma_cm ids to destroy once the socket lock is dropped */
struct sdp_spare_ids {
	struct rdma_cm_id	*id[SDP_BIND_TRIES];
	int			n;
};

static void sdp_spare_ids_destroy(struct sdp_spare_ids *spare)
{
	while (spare->n)
		rdma_destroy_id(spare->id[--spare->n]);
}

/* Bind a new rdma_cm id of @sk to @ss. With port 0 rdma_cm chooses, and
 * the port is entered in the port table; rdma_cm does not know the ports
 * held in TIME_WAIT, so a port that TCP's rules refuse stays bound to a
 * spare id (out of rdma_cm's hands) while it chooses again. Under
 * lock_sock; the caller destroys @spare after release_sock.
 */
static struct rdma_cm_id *sdp_stream_bind_id(struct sock *sk,
					     const struct sockaddr_storage *ss,
					     struct sdp_spare_ids *spare)
{
	struct sdp_sock *ssk = sdp_sk(sk);
	struct rdma_cm_id *id;
	int err;

	for (;;) {
		id = sdp_cm_create_id(sk, sk, true);
		if (IS_ERR(id))
			return id;
		if (ss->ss_family == AF_INET6)
			rdma_set_afonly(id, 0);
		err = rdma_bind_addr(id, (struct sockaddr *)ss);
		if (err) {
			spare->id[spare->n++] = id;
			return ERR_PTR(sdp_map_cm_errno(sk, err, ss));
		}
		if (sdp_addr_port(ss))
			return id;
		sdp_bind_init(&ssk->bind, sk, &id->route.addr.src_addr,
			      SDP_BIND_SOCK);
		if (!sdp_port_claim(&ssk->bind, true))
			return id;
		spare->id[spare->n++] = id;
		if (spare->n == SDP_BIND_TRIES)
			return ERR_PTR(-EADDRINUSE);
	}
}

/* bind(): TCP's conflict rules are checked in the SDP port table (port.c).
 * A socket bound with SO_REUSEADDR to an explicit port holds the port
 * there only, and takes an rdma_cm id when it listens or connects: rdma_cm
 * would let none of several such sockets listen, TCP lets the first.
 */
int sdp_stream_bind(struct socket *sock, struct sockaddr *uaddr,
		    int addr_len)
{
	struct sock *sk = sock->sk;
	struct sdp_sock *ssk = sdp_sk(sk);
	struct sdp_spare_ids spare = { .n = 0 };
	struct sockaddr_storage ss;
	struct rdma_cm_id *id;
	bool shared;
	u16 port;
	int err;

	/* inet_bind takes AF_UNSPEC with INADDR_ANY as AF_INET */
	if (addr_len >= (int)sizeof(struct sockaddr_in) &&
	    uaddr->sa_family == AF_UNSPEC &&
	    ((struct sockaddr_in *)uaddr)->sin_addr.s_addr ==
	    htonl(INADDR_ANY)) {
		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, uaddr, sizeof(struct sockaddr_in));
		ss.ss_family = AF_INET;
	} else {
		err = sdp_stream_addr(sk, uaddr, addr_len, &ss);
		if (err)
			return err;
	}
	port = sdp_addr_port(&ss);
	shared = port && sk->sk_reuse;
	if (shared) {
		err = sdp_stream_probe_addr(sk, &ss);
		if (err)
			return err;
	}
	lock_sock(sk);
	if (ssk->bound_set || sk->sk_state != TCP_CLOSE || ssk->conn) {
		release_sock(sk);
		return -EINVAL;
	}
	if (port) {
		sdp_bind_init(&ssk->bind, sk, &ss, SDP_BIND_SOCK);
		err = sdp_port_claim(&ssk->bind, true);
		if (err) {
			release_sock(sk);
			return err;
		}
	}
	ssk->ipv = ss.ss_family == AF_INET6 ? 6 : 4;
	if (shared) {
		memcpy(&ssk->bound, &ss, sizeof(ssk->bound));
		ssk->bound_set = true;
		release_sock(sk);
		return 0;
	}
	id = sdp_stream_bind_id(sk, &ss, &spare);
	if (IS_ERR(id)) {
		sdp_port_release(&ssk->bind);
		release_sock(sk);
		sdp_spare_ids_destroy(&spare);
		return PTR_ERR(id);
	}
	ssk->id = id;
	memcpy(&ssk->bound, &id->route.addr.src_addr, sizeof(ssk->bound));
	ssk->bound_set = true;
	release_sock(sk);
	sdp_spare_ids_destroy(&spare);
	return 0;
}

int sdp_stream_listen(struct socket *sock, int backlog)
{
	struct sdp_spare_ids spare = { .n = 0 };
	struct sock *sk = sock->sk;
	struct sdp_sock *ssk = sdp_sk(sk);
	struct rdma_cm_id *id = NULL;
	bool autobind = false;
	int err = -EINVAL;

	lock_sock(sk);
	if (sock->state != SS_UNCONNECTED || ssk->conn)
		goto out;
	if (sk->sk_state == TCP_LISTEN) {
		WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
		err = 0;
		goto out;
	}
	if (sk->sk_state != TCP_CLOSE)
		goto out;
	/* TCP's rule: no other socket listens on an overlapping address */
	if (ssk->bind.listed) {
		err = sdp_port_check(&ssk->bind);
		if (err)
			goto out;
	}
	if (!ssk->id) {
		/* a shared port is taken from rdma_cm now; an unbound socket
		 * gets INADDR_ANY and an ephemeral port, as TCP's autobind
		 */
		struct sockaddr_in any = { .sin_family = AF_INET };

		autobind = !ssk->bound_set;
		if (autobind)
			memcpy(&ssk->bound, &any, sizeof(any));
		id = sdp_stream_bind_id(sk, &ssk->bound, &spare);
		if (IS_ERR(id)) {
			err = PTR_ERR(id);
			id = NULL;
			goto out;
		}
		ssk->id = id;
	}
	err = rdma_listen(ssk->id, backlog > 0 ? backlog : 1);
	if (err) {
		err = sdp_map_cm_errno(sk, err, NULL);
		if (id)
			ssk->id = NULL;
		goto out;
	}
	id = NULL;
	autobind = false;
	memcpy(&ssk->bound, &ssk->id->route.addr.src_addr,
	       sizeof(ssk->bound));
	ssk->bound_set = true;
	WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
	WRITE_ONCE(sk->sk_ack_backlog, 0);
	WRITE_ONCE(sk->sk_state, TCP_LISTEN);
	err = 0;
out:
	if (autobind)	/* listen() failed: the socket stays unbound */
		sdp_port_release(&ssk->bind);
	release_sock(sk);
	if (id)
		rdma_destroy_id(id);
	sdp_spare_ids_destroy(&spare);
	return err;
}

static long sdp_wait_connect(struct sock *sk, long timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);

	add_wait_queue(sk_sleep(sk), &wait);
	while (sk->sk_state == TCP_SYN_SENT) {
		if (!timeo || signal_pending(current))
			break;
		sk_wait_event(sk, &timeo, sk->sk_state != TCP_SYN_SENT, &wait);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return timeo;
}

/* forget a finished connection so that the socket can connect again */
static struct sdp_conn *sdp_stream_detach(struct sock *sk)
{
	struct sdp_conn *conn = sdp_sk(sk)->conn;

	sdp_sk(sk)->conn = NULL;
	sk->sk_shutdown = 0;
	sock_reset_flag(sk, SOCK_DONE);
	return conn;
}

/* connect(AF_UNSPEC): drop the association, as tcp_disconnect() does (a
 * live connection is reset); the socket may then connect again.
 */
static int sdp_stream_disconnect(struct socket *sock)
{
	struct sock *sk = sock->sk;
	struct sdp_conn *conn = NULL;

	lock_sock(sk);
	if (sk->sk_state == TCP_LISTEN) {
		release_sock(sk);
		return -EINVAL;	/* listeners are stopped by shutdown() */
	}
	if (sdp_sk(sk)->conn) {
		if (sdp_sk(sk)->conn->state != TCP_CLOSE)
			sdp_conn_abort(sdp_sk(sk)->conn, 0, true);
		conn = sdp_stream_detach(sk);
	}
	WRITE_ONCE(sk->sk_state, TCP_CLOSE);
	WRITE_ONCE(sk->sk_err, 0);
	sock->state = SS_UNCONNECTED;
	release_sock(sk);
	if (conn)
		sdp_conn_put(conn);
	return 0;
}

static int sdp_stream_connect(struct socket *sock, struct sockaddr *uaddr,
			      int addr_len, int flags)
{
	struct sock *sk = sock->sk;
	struct sdp_sock *ssk = sdp_sk(sk);
	struct sdp_conn *conn, *old = NULL;
	struct sockaddr_storage dst;
	struct rdma_cm_id *id;
	long timeo;
	int err;

	if (addr_len < (int)sizeof(uaddr->sa_family))
		return -EINVAL;
	if (uaddr->sa_family == AF_UNSPEC)
		return sdp_stream_disconnect(sock);
	err = sdp_stream_addr(sk, uaddr, addr_len, &dst);
	if (err)
		return err;
	lock_sock(sk);
	switch (sock->state) {
	default:
		err = -EINVAL;
		goto out;
	case SS_CONNECTED:
		err = -EISCONN;
		goto out;
	case SS_CONNECTING:
		err = -EALREADY;
		break;
	case SS_UNCONNECTED:
		err = -EISCONN;
		if (sk->sk_state != TCP_CLOSE)
			goto out;
		if (ssk->conn)
			old = sdp_stream_detach(sk);
		conn = sdp_conn_alloc(sk, GFP_KERNEL);
		if (!conn) {
			err = -ENOBUFS;
			goto out;
		}
		id = ssk->id;
		ssk->id = NULL;
		if (!id) {
			id = sdp_cm_create_id(sk, conn, false);
			if (IS_ERR(id)) {
				err = PTR_ERR(id);
				sdp_conn_put(conn);
				sdp_conn_put(conn);
				goto out;
			}
		}
		id->context = conn;
		id->event_handler = sdp_cm_handler;
		ssk->conn = conn;
		ssk->ipv = dst.ss_family == AF_INET6 ? 6 : ssk->ipv;
		err = sdp_cm_connect(conn, id,
				     ssk->bound_set ? &ssk->bound : NULL,
				     &dst);
		if (err) {
			conn->id = id;
			sdp_conn_done(conn);
			ssk->conn = NULL;
			release_sock(sk);
			sdp_conn_put(conn);
			if (old)
				sdp_conn_put(old);
			return sdp_map_cm_errno(sk, err, NULL);
		}
		sock->state = SS_CONNECTING;
		err = -EINPROGRESS;
		break;
	}
	timeo = sock_sndtimeo(sk, flags & O_NONBLOCK);
	if (sk->sk_state == TCP_SYN_SENT) {
		if (!timeo)
			goto out;
		timeo = sdp_wait_connect(sk, timeo);
		if (sk->sk_state == TCP_SYN_SENT) {
			if (signal_pending(current))
				err = sock_intr_errno(timeo);
			goto out;
		}
	}
	if (sk->sk_state == TCP_CLOSE) {
		err = sock_error(sk) ? : -ECONNABORTED;
		sock->state = SS_UNCONNECTED;
		/* as tcp_disconnect(): the socket may connect again */
		if (sdp_sk(sk)->conn)
			old = sdp_stream_detach(sk);
		goto out;
	}
	sock->state = SS_CONNECTED;
	err = 0;
out:
	release_sock(sk);
	if (old)
		sdp_conn_put(old);
	return err;
}

static int sdp_stream_accept(struct socket *sock, struct socket *newsock,
			     int flags, bool kern)
{
	struct sock *sk = sock->sk;
	struct sdp_sock *ssk = sdp_sk(sk);
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct sdp_conn *conn;
	struct sock *child;
	long timeo;
	int err = 0;

	lock_sock(sk);
	if (sk->sk_state != TCP_LISTEN) {
		err = -EINVAL;
		goto out;
	}
	timeo = sock_rcvtimeo(sk, flags & O_NONBLOCK);
	add_wait_queue_exclusive(sk_sleep(sk), &wait);
	while (list_empty(&ssk->accept_q)) {
		if (!timeo) {
			err = -EAGAIN;
			break;
		}
		if (signal_pending(current)) {
			err = sock_intr_errno(timeo);
			break;
		}
		sk_wait_event(sk, &timeo, !list_empty(&ssk->accept_q) ||
			      sk->sk_state != TCP_LISTEN, &wait);
		if (sk->sk_state != TCP_LISTEN) {
			err = -EINVAL;
			break;
		}
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	if (err)
		goto out;
	conn = list_first_entry(&ssk->accept_q, struct sdp_conn, accept_node);
	list_del_init(&conn->accept_node);
	sk_acceptq_removed(sk);
	release_sock(sk);

	child = conn->sk;
	lock_sock(child);
	sock_graft(child, newsock);
	newsock->state = SS_CONNECTED;
	set_bit(SDP_CF_ACCEPTED, &conn->flags);
	release_sock(child);
	return 0;
out:
	release_sock(sk);
	return err;
}

static int sdp_stream_getname(struct socket *sock, struct sockaddr *uaddr,
			      int peer)
{
	struct sock *sk = sock->sk;
	struct sdp_sock *ssk = sdp_sk(sk);
	struct sdp_conn *conn;
	struct sockaddr_storage ss = { .ss_family = AF_INET };
	int len;

	lock_sock(sk);
	conn = ssk->conn;
	if (peer) {
		if (!conn || sk->sk_state == TCP_CLOSE ||
		    sk->sk_state == TCP_SYN_SENT) {
			release_sock(sk);
			return -ENOTCONN;
		}
		memcpy(&ss, &conn->peer, sizeof(ss));
	} else if (conn && conn->local.ss_family) {
		memcpy(&ss, &conn->local, sizeof(ss));
	} else if (ssk->bound_set) {
		memcpy(&ss, &ssk->bound, sizeof(ss));
	}
	len = sdp_fill_name(sk, &ss, uaddr);
	release_sock(sk);
	return len;
}

static __poll_t sdp_stream_poll(struct file *file, struct socket *sock,
				poll_table *wait)
{
	struct sock *sk = sock->sk;
	struct sdp_sock *ssk = sdp_sk(sk);
	struct sdp_conn *conn;
	int state, shutdown;
	__poll_t mask = 0;

	sock_poll_wait(file, sock, wait);
	state = READ_ONCE(sk->sk_state);
	if (state == TCP_LISTEN)
		return list_empty_careful(&ssk->accept_q) ?
		       0 : EPOLLIN | EPOLLRDNORM;
	shutdown = READ_ONCE(sk->sk_shutdown);
	conn = READ_ONCE(ssk->conn);
	if (shutdown == SHUTDOWN_MASK || state == TCP_CLOSE)
		mask |= EPOLLHUP;
	if (shutdown & RCV_SHUTDOWN)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	if (state != TCP_SYN_SENT && state != TCP_SYN_RECV) {
		int target = sock_rcvlowat(sk, 0, INT_MAX);

		/* as tcp_poll: the urgent byte kept aside is not data */
		if (conn && sdp_oob_hides_byte(conn))
			target++;
		if (conn && sdp_conn_inq(conn) >= target)
			mask |= EPOLLIN | EPOLLRDNORM;
		if (!(shutdown & SEND_SHUTDOWN)) {
			if (!conn || sdp_conn_writable(conn)) {
				mask |= EPOLLOUT | EPOLLWRNORM;
			} else {
				sk_set_bit(SOCKWQ_ASYNC_NOSPACE, sk);
				set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
				/* pairs with the completion that frees a
				 * slot: set NOSPACE before looking again
				 */
				smp_mb__after_atomic();
				if (sdp_conn_writable(conn))
					mask |= EPOLLOUT | EPOLLWRNORM;
			}
		} else {
			mask |= EPOLLOUT | EPOLLWRNORM;
		}
		if (conn && sdp_urg_pending(&conn->urg))
			mask |= EPOLLPRI;
	}
	/* as tcp_poll: read sk_err after the state bits above */
	smp_rmb();
	if (READ_ONCE(sk->sk_err) ||
	    !skb_queue_empty_lockless(&sk->sk_error_queue))
		mask |= EPOLLERR;
	return mask;
}

static int sdp_stream_ioctl(struct socket *sock, unsigned int cmd,
			    unsigned long arg)
{
	struct sock *sk = sock->sk;
	struct sdp_conn *conn;
	int answ;

	switch (cmd) {
	case SIOCINQ:
	case SIOCOUTQ:
	case SIOCOUTQNSD:
	case SIOCATMARK:
		break;
	default:
		return -ENOIOCTLCMD;
	}
	lock_sock(sk);
	/* as tcp_ioctl: SIOCATMARK is not refused on a listener */
	if (sk->sk_state == TCP_LISTEN && cmd != SIOCATMARK) {
		release_sock(sk);
		return -EINVAL;
	}
	conn = sdp_sk(sk)->conn;
	switch (cmd) {
	case SIOCINQ:
		answ = conn ? sdp_oob_inq(conn) : 0;
		break;
	case SIOCOUTQ:
		answ = conn ? sdp_conn_outq(conn) : 0;
		break;
	case SIOCOUTQNSD:
		answ = conn ? sdp_conn_unsent(conn) : 0;
		break;
	default:
		answ = conn ? sdp_oob_at_mark(conn, conn->copied_seq) : 0;
		break;
	}
	release_sock(sk);
	return put_user(answ, (int __user *)arg);
}

static int sdp_stream_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	struct sdp_conn *conn;
	struct rdma_cm_id *id = NULL;
	bool listener = false;
	int err = 0;

	how++;
	if ((how & ~SHUTDOWN_MASK) || !how)
		return -EINVAL;
	lock_sock(sk);
	if (sock->state == SS_CONNECTING) {
		if ((1 << sk->sk_state) &
		    (TCPF_SYN_SENT | TCPF_SYN_RECV | TCPF_CLOSE))
			sock->state = SS_DISCONNECTING;
		else
			sock->state = SS_CONNECTED;
	}
	conn = sdp_sk(sk)->conn;
	switch (sk->sk_state) {
	case TCP_CLOSE:
		err = -ENOTCONN;
		fallthrough;
	default:
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | how);
		if ((how & SEND_SHUTDOWN) && conn)
			sdp_conn_send_fin(conn);
		break;
	case TCP_LISTEN:
		if (!(how & RCV_SHUTDOWN))
			break;
		WRITE_ONCE(sk->sk_state, TCP_CLOSE);
		id = sdp_sk(sk)->id;
		sdp_sk(sk)->id = NULL;
		sdp_sk(sk)->bound_set = false;
		listener = true;
		sock->state = SS_UNCONNECTED;
		break;
	case TCP_SYN_SENT:
		sdp_conn_abort(conn, 0, false);
		sdp_sk(sk)->conn = NULL;
		sock->state = SS_UNCONNECTED;
		break;
	}
	sk->sk_state_change(sk);
	release_sock(sk);
	if (id)
		rdma_destroy_id(id);
	if (listener)
		sdp_listener_flush(sk);
	if (sk->sk_state == TCP_CLOSE && conn && !sdp_sk(sk)->conn)
		sdp_conn_put(conn);
	return err;
}

static int sdp_get_int(sockptr_t optval, unsigned int optlen, int *val)
{
	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(val, optval, sizeof(int)))
		return -EFAULT;
	return 0;
}

static int sdp_stream_setsockopt(struct socket *sock, int level, int optname,
				 sockptr_t optval, unsigned int optlen)
{
	struct sock *sk = sock->sk;
	struct sdp_sock *ssk = sdp_sk(sk);
	struct sdp_conn *conn;
	int val, err;

	if (level != SOL_TCP && level != SOL_SDP)
		return -ENOPROTOOPT;
	if (level == SOL_SDP && optname != SDP_NODELAY &&
	    optname != SDP_ZCOPY_THRESH)
		return -ENOPROTOOPT;
	if (level == SOL_TCP && optname != TCP_NODELAY &&
	    optname != TCP_CORK && optname != TCP_KEEPIDLE &&
	    optname != TCP_KEEPINTVL && optname != TCP_KEEPCNT &&
	    optname != TCP_MAXSEG)
		return -ENOPROTOOPT;
	err = sdp_get_int(optval, optlen, &val);
	if (err)
		return err;
	lock_sock(sk);
	conn = ssk->conn;
	if (level == SOL_SDP && optname == SDP_ZCOPY_THRESH) {
		if (val < 0)
			err = -EINVAL;
		else
			ssk->zcopy_thresh = val;
		goto out;
	}
	switch (optname) {
	case TCP_NODELAY:	/* == SDP_NODELAY */
		ssk->nodelay = !!val;
		if (conn) {
			conn->nodelay = ssk->nodelay;
			if (val)
				sdp_conn_push(conn, true);
		}
		break;
	case TCP_CORK:
		ssk->cork = !!val;
		if (conn) {
			conn->cork = ssk->cork;
			if (!val)
				sdp_conn_push(conn, true);
		}
		break;
	case TCP_KEEPIDLE:
		if (val < 1 || val > MAX_TCP_KEEPIDLE) {
			err = -EINVAL;
			break;
		}
		ssk->keepidle = val;
		/* as TCP: a running keepalive timer follows the new time */
		if (conn && sock_flag(sk, SOCK_KEEPOPEN))
			sdp_conn_start_timer(conn);
		break;
	case TCP_KEEPINTVL:
		if (val < 1 || val > MAX_TCP_KEEPINTVL)
			err = -EINVAL;
		else
			ssk->keepintvl = val;
		break;
	case TCP_KEEPCNT:
		if (val < 1 || val > MAX_TCP_KEEPCNT)
			err = -EINVAL;
		else
			ssk->keepcnt = val;
		break;
	case TCP_MAXSEG:
		/* segment size is the peer's buffer size here: read only */
		if (val && (val < TCP_MIN_MSS || val > MAX_TCP_WINDOW))
			err = -EINVAL;
		break;
	}
out:
	release_sock(sk);
	return err;
}

static int sdp_stream_getsockopt(struct socket *sock, int level, int optname,
				 char __user *optval, int __user *optlen)
{
	struct sock *sk = sock->sk;
	struct sdp_sock *ssk = sdp_sk(sk);
	struct sdp_conn *conn;
	int val, len;

	if (level != SOL_TCP && level != SOL_SDP)
		return -ENOPROTOOPT;
	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	len = min_t(unsigned int, len, sizeof(int));
	lock_sock(sk);
	conn = ssk->conn;
	if (level == SOL_SDP) {
		switch (optname) {
		case SDP_NODELAY:
			val = ssk->nodelay;
			break;
		case SDP_ZCOPY_THRESH:
			val = ssk->zcopy_thresh;
			break;
		default:
			release_sock(sk);
			return -ENOPROTOOPT;
		}
	} else {
		switch (optname) {
		case TCP_NODELAY:
			val = ssk->nodelay;
			break;
		case TCP_CORK:
			val = ssk->cork;
			break;
		case TCP_KEEPIDLE:
			val = ssk->keepidle;
			break;
		case TCP_KEEPINTVL:
			val = ssk->keepintvl;
			break;
		case TCP_KEEPCNT:
			val = ssk->keepcnt;
			break;
		case TCP_MAXSEG:
			val = conn && conn->tx_size ?
			      conn->tx_size - SDP_BSDH_LEN : TCP_MSS_DEFAULT;
			break;
		default:
			release_sock(sk);
			return -ENOPROTOOPT;
		}
	}
	release_sock(sk);
	if (put_user(len, optlen))
		return -EFAULT;
	if (copy_to_user(optval, &val, len))
		return -EFAULT;
	return 0;
}

static int sdp_stream_sendmsg(struct socket *sock, struct msghdr *msg,
			      size_t len)
{
	struct sock *sk = sock->sk;
	int flags = msg->msg_flags;
	struct sdp_conn *conn;
	long timeo;
	int err;

	lock_sock(sk);
	timeo = sock_sndtimeo(sk, flags & MSG_DONTWAIT);
	if (sk->sk_state == TCP_SYN_SENT) {
		timeo = sdp_wait_connect(sk, timeo);
		if (sk->sk_state == TCP_SYN_SENT) {
			err = timeo ? sock_intr_errno(timeo) : -EAGAIN;
			goto out;
		}
	}
	conn = sdp_sk(sk)->conn;
	err = -EPIPE;
	if (sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN) || !conn ||
	    (sk->sk_state != TCP_ESTABLISHED &&
	     sk->sk_state != TCP_CLOSE_WAIT))
		goto do_error;
	conn->nodelay = sdp_sk(sk)->nodelay;
	conn->cork = sdp_sk(sk)->cork;
	err = sdp_conn_sendmsg(conn, msg, len, &timeo);
	if (err >= 0)
		goto out;
do_error:
	err = sk_stream_error(sk, flags, err);
out:
	release_sock(sk);
	return err;
}

static int sdp_stream_recvmsg(struct socket *sock, struct msghdr *msg,
			      size_t len, int flags)
{
	struct sock *sk = sock->sk;
	struct sdp_conn *conn;
	long timeo;
	int err;

	if (flags & MSG_ERRQUEUE)
		return sock_recv_errqueue(sk, msg, len, SOL_IP, IP_RECVERR);
	lock_sock(sk);
	err = -ENOTCONN;
	if (sk->sk_state == TCP_LISTEN)
		goto out;
	conn = sdp_sk(sk)->conn;
	if (flags & MSG_OOB) {
		err = conn ? sdp_oob_recv(conn, msg, len, flags) : -EINVAL;
		goto out;
	}
	if (!conn) {
		err = sock_error(sk);
		if (!err)
			err = sock_flag(sk, SOCK_DONE) ? 0 : -ENOTCONN;
		goto out;
	}
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	err = sdp_conn_recvmsg(conn, msg, len, flags, &timeo);
out:
	release_sock(sk);
	return err;
}

const struct proto_ops sdp_stream_ops = {
	.family		= PF_SDP,
	.owner		= THIS_MODULE,
	.release	= sdp_stream_release,
	.bind		= sdp_stream_bind,
	.connect	= sdp_stream_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= sdp_stream_accept,
	.getname	= sdp_stream_getname,
	.poll		= sdp_stream_poll,
	.ioctl		= sdp_stream_ioctl,
	.gettstamp	= sock_gettstamp,
	.listen		= sdp_stream_listen,
	.shutdown	= sdp_stream_shutdown,
	.setsockopt	= sdp_stream_setsockopt,
	.getsockopt	= sdp_stream_getsockopt,
	.sendmsg	= sdp_stream_sendmsg,
	.recvmsg	= sdp_stream_recvmsg,
	.mmap		= sock_no_mmap,
	.sendpage	= sock_no_sendpage,
};
