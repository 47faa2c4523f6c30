// SPDX-License-Identifier: GPL-2.0
/*
 * sdp: the address family. Registers AF_SDP (27 by default, the number
 * OFED SDP used as AF_INET_SDP) with SOCK_STREAM and SOCK_SEQPACKET, the
 * per-namespace admin state, the ib_client and the module's workqueue.
 */
#include <linux/module.h>
#include <linux/net.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <net/sock.h>
#include <net/ipv6.h>

#include "sdp.h"

int sdp_family = AF_SDP;
module_param_named(family, sdp_family, int, 0444);
MODULE_PARM_DESC(family, "address family number to register (default 27)");

struct workqueue_struct *sdp_wq;
DEFINE_SPINLOCK(sdp_socks_lock);
HLIST_HEAD(sdp_socks);

struct proto sdp_proto = {
	.name		= "SDP",
	.owner		= THIS_MODULE,
	.obj_size	= sizeof(struct sdp_sock),
	.keepalive	= sdp_keepalive,
};

static void sdp_sk_destruct(struct sock *sk)
{
	struct sdp_sock *ssk = sdp_sk(sk);

	WARN_ON_ONCE(ssk->conn);
	WARN_ON_ONCE(ssk->id);
	skb_queue_purge(&sk->sk_receive_queue);
	spin_lock_bh(&sdp_socks_lock);
	hlist_del(&ssk->all_node);
	spin_unlock_bh(&sdp_socks_lock);
}

struct sock *sdp_sk_alloc(struct net *net, struct socket *sock, int type,
			  int protocol, int kern)
{
	struct sdp_net *sn = sdp_net(net);
	struct sdp_sock *ssk;
	struct sock *sk;

	sk = sk_alloc(net, sdp_family, GFP_KERNEL, &sdp_proto, kern);
	if (!sk)
		return NULL;
	sock_init_data(sock, sk);
	sk->sk_type = type;
	sk->sk_protocol = protocol;
	sk->sk_destruct = sdp_sk_destruct;
	sk->sk_sndbuf = READ_ONCE(sn->sysctl.wmem);
	sk->sk_rcvbuf = READ_ONCE(sn->sysctl.rmem);
	sk->sk_state = TCP_CLOSE;
	ssk = sdp_sk(sk);
	INIT_LIST_HEAD(&ssk->accept_q);
	ssk->zcopy_thresh = READ_ONCE(sn->sysctl.zcopy_thresh);
	ssk->keepidle = READ_ONCE(sn->sysctl.keepalive_time);
	ssk->keepintvl = 75;
	ssk->keepcnt = 9;
	ssk->ipv = 4;
	spin_lock_bh(&sdp_socks_lock);
	hlist_add_head(&ssk->all_node, &sdp_socks);
	spin_unlock_bh(&sdp_socks_lock);
	return sk;
}

/* Check a user sockaddr as TCP does: short length EINVAL, wrong family
 * EAFNOSUPPORT. AF_SDP is taken as AF_INET (OFED programs pass it).
 */
int sdp_addr_check(const struct sockaddr *uaddr, int addr_len,
		   struct sockaddr_storage *out)
{
	if (addr_len < (int)sizeof(uaddr->sa_family))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	switch (uaddr->sa_family) {
	case AF_INET6:
		if (addr_len < SIN6_LEN_RFC2133)
			return -EINVAL;
		memcpy(out, uaddr, min_t(int, addr_len,
					 sizeof(struct sockaddr_in6)));
		return 0;
	default:
		if (uaddr->sa_family != AF_INET &&
		    uaddr->sa_family != sdp_family)
			return -EAFNOSUPPORT;
		if (addr_len < (int)sizeof(struct sockaddr_in))
			return -EINVAL;
		memcpy(out, uaddr, sizeof(struct sockaddr_in));
		out->ss_family = AF_INET;
		return 0;
	}
}

/* Fill a name for getsockname/getpeername in the socket's own family:
 * an AF_INET6 socket reports IPv4 peers v4-mapped, as TCP does.
 */
int sdp_fill_name(const struct sock *sk, const struct sockaddr_storage *ss,
		  struct sockaddr *uaddr)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	struct sockaddr_in6 *out6 = (struct sockaddr_in6 *)uaddr;

	if (sdp_sk(sk)->ipv == 6) {
		if (ss->ss_family == AF_INET6) {
			memcpy(out6, ss, sizeof(*out6));
		} else {
			memset(out6, 0, sizeof(*out6));
			out6->sin6_family = AF_INET6;
			out6->sin6_port = sin->sin_port;
			if (ss->ss_family == AF_INET)
				ipv6_addr_set_v4mapped(sin->sin_addr.s_addr,
						       &out6->sin6_addr);
		}
		return sizeof(*out6);
	}
	memset(uaddr, 0, sizeof(struct sockaddr_in));
	((struct sockaddr_in *)uaddr)->sin_family = AF_INET;
	if (ss->ss_family == AF_INET) {
		memcpy(uaddr, sin, sizeof(*sin));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 =
			(const struct sockaddr_in6 *)ss;

		((struct sockaddr_in *)uaddr)->sin_port = s6->sin6_port;
		if (ipv6_addr_v4mapped(&s6->sin6_addr))
			((struct sockaddr_in *)uaddr)->sin_addr.s_addr =
				s6->sin6_addr.s6_addr32[3];
	}
	return sizeof(struct sockaddr_in);
}

static int sdp_create(struct net *net, struct socket *sock, int protocol,
		      int kern)
{
	struct sock *sk;

	switch (sock->type) {
	case SOCK_STREAM:
		if (protocol && protocol != IPPROTO_TCP)
			return -EPROTONOSUPPORT;
		sock->ops = &sdp_stream_ops;
		protocol = IPPROTO_TCP;
		break;
	case SOCK_SEQPACKET:
		if (protocol)
			return -EPROTONOSUPPORT;
		sock->ops = &sdp_seqpacket_ops;
		break;
	default:
		return -ESOCKTNOSUPPORT;
	}
	sock->state = SS_UNCONNECTED;
	sk = sdp_sk_alloc(net, sock, sock->type, protocol, kern);
	if (!sk)
		return -ENOMEM;
	if (sock->type == SOCK_STREAM)
		return sdp_stream_init_sock(sk);
	sdp_seq_init_sock(sk);
	return 0;
}

/* .family is set from the module parameter at load time */
static struct net_proto_family sdp_family_ops = {
	.create	= sdp_create,
	.owner	= THIS_MODULE,
};

static int __init sdp_init(void)
{
	int err;

	if (sdp_family <= AF_UNSPEC || sdp_family >= NPROTO) {
		pr_err("sdp: family %d out of range\n", sdp_family);
		return -EINVAL;
	}
	err = proto_register(&sdp_proto, 0);
	if (err)
		return err;
	sdp_wq = alloc_workqueue("sdp", WQ_MEM_RECLAIM, 0);
	if (!sdp_wq) {
		err = -ENOMEM;
		goto out_proto;
	}
	err = sdp_admin_init();
	if (err)
		goto out_wq;
	err = sdp_dev_init();
	if (err)
		goto out_admin;
	sdp_family_ops.family = sdp_family;
	err = sock_register(&sdp_family_ops);
	if (err) {
		pr_err("sdp: address family %d is taken (%d)\n", sdp_family,
		       err);
		goto out_dev;
	}
	pr_info("sdp: registered address family %d\n", sdp_family);
	return 0;

out_dev:
	sdp_dev_exit();
out_admin:
	sdp_admin_exit();
out_wq:
	destroy_workqueue(sdp_wq);
out_proto:
	proto_unregister(&sdp_proto);
	return err;
}

static void __exit sdp_exit(void)
{
	sock_unregister(sdp_family);
	sdp_dev_exit();
	flush_workqueue(sdp_wq);
	destroy_workqueue(sdp_wq);
	sdp_admin_exit();
	proto_unregister(&sdp_proto);
}

module_init(sdp_init);
module_exit(sdp_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Sockets Direct Protocol over RDMA");
MODULE_ALIAS_NETPROTO(AF_SDP);
