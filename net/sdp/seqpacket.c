// SPDX-License-Identifier: GPL-2.0
/*
 * sdp SOCK_SEQPACKET (one-to-many). Not built yet: the socket can be
 * created, queried with SOL_SOCKET options and closed; every other call
 * returns EOPNOTSUPP (listed as missing in the README).
 */
#include <linux/net.h>
#include <net/sock.h>

#include "sdp.h"

static int sdp_seqpacket_release(struct socket *sock)
{
	struct sock *sk = sock->sk;

	if (!sk)
		return 0;
	lock_sock(sk);
	sock_orphan(sk);
	release_sock(sk);
	sock->sk = NULL;
	sock_put(sk);
	return 0;
}

static int sdp_seqpacket_setsockopt(struct socket *sock, int level,
				    int optname, sockptr_t optval,
				    unsigned int optlen)
{
	return -EOPNOTSUPP;
}

static int sdp_seqpacket_getsockopt(struct socket *sock, int level,
				    int optname, char __user *optval,
				    int __user *optlen)
{
	return -EOPNOTSUPP;
}

const struct proto_ops sdp_seqpacket_ops = {
	.family		= PF_SDP,
	.owner		= THIS_MODULE,
	.release	= sdp_seqpacket_release,
	.bind		= sock_no_bind,
	.connect	= sock_no_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= sock_no_accept,
	.getname	= sock_no_getname,
	.poll		= datagram_poll,
	.ioctl		= sock_no_ioctl,
	.listen		= sock_no_listen,
	.shutdown	= sock_no_shutdown,
	.setsockopt	= sdp_seqpacket_setsockopt,
	.getsockopt	= sdp_seqpacket_getsockopt,
	.sendmsg	= sock_no_sendmsg,
	.recvmsg	= sock_no_recvmsg,
	.mmap		= sock_no_mmap,
	.sendpage	= sock_no_sendpage,
};
