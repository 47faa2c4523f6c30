// SPDX-License-Identifier: GPL-2.0
/*
 * sdp observability: /proc/net/sdp (one line per socket, in the format of
 * /proc/net/tcp so that its parsers work, plus type and association id)
 * and /proc/net/sdp_stats ("Name value" lines), per network namespace.
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <net/net_namespace.h>

#include "sdp.h"

static const char * const sdp_stat_names[SDP_STAT_MAX] = {
	[SDP_STAT_ACTIVE_OPENS]		= "ActiveOpens",
	[SDP_STAT_PASSIVE_OPENS]	= "PassiveOpens",
	[SDP_STAT_CONN_REFUSED]		= "ConnRefused",
	[SDP_STAT_BACKLOG_DROPS]	= "BacklogDrops",
	[SDP_STAT_ABORTS]		= "Aborts",
	[SDP_STAT_ABORTS_LOCAL]		= "AbortsLocal",
	[SDP_STAT_ABORTS_PEER]		= "AbortsPeer",
	[SDP_STAT_ABORTS_TRANSPORT]	= "AbortsTransport",
	[SDP_STAT_BCOPY_TX_BYTES]	= "BcopyTxBytes",
	[SDP_STAT_BCOPY_RX_BYTES]	= "BcopyRxBytes",
	[SDP_STAT_BCOPY_TX_MSGS]	= "BcopyTxMsgs",
	[SDP_STAT_BCOPY_RX_MSGS]	= "BcopyRxMsgs",
	[SDP_STAT_INLINE_TX_MSGS]	= "InlineTxMsgs",
	[SDP_STAT_ZCOPY_TX_BYTES]	= "ZcopyTxBytes",
	[SDP_STAT_ZCOPY_TX_WRITE_BYTES]	= "ZcopyTxWriteBytes",
	[SDP_STAT_ZCOPY_RX_BYTES]	= "ZcopyRxBytes",
	[SDP_STAT_ZCOPY_RX_DIRECT_BYTES] = "ZcopyRxDirectBytes",
	[SDP_STAT_ZCOPY_FALLBACKS]	= "ZcopyFallbacks",
	[SDP_STAT_CREDIT_STALLS]	= "CreditStalls",
	[SDP_STAT_CREDIT_UPDATES]	= "CreditUpdates",
	[SDP_STAT_OOB_TX]		= "OobTx",
	[SDP_STAT_OOB_RX]		= "OobRx",
	[SDP_STAT_BAD_MESSAGES]		= "BadMessages",
	[SDP_STAT_KEEPALIVE_PROBES]	= "KeepaliveProbes",
};

static int sdp_stats_show(struct seq_file *seq, void *v)
{
	struct sdp_net *sn = sdp_net(seq_file_single_net(seq));
	int i;

	for (i = 0; i < SDP_STAT_MAX; i++)
		seq_printf(seq, "%s %lld\n", sdp_stat_names[i],
			   (long long)atomic64_read(&sn->stats[i]));
	return 0;
}

/* an address as /proc/net/tcp prints it: hex in network order, port */
static void sdp_show_addr(struct seq_file *seq,
			  const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET6) {
		const __be32 *a = sin6->sin6_addr.s6_addr32;

		seq_printf(seq, "%08X%08X%08X%08X:%04X", a[0], a[1], a[2],
			   a[3], ntohs(sin6->sin6_port));
	} else if (ss->ss_family == AF_INET) {
		seq_printf(seq, "%08X:%04X", sin->sin_addr.s_addr,
			   ntohs(sin->sin_port));
	} else {
		seq_puts(seq, "00000000:0000");
	}
}

static int sdp_socks_show(struct seq_file *seq, void *v)
{
	struct net *net = seq_file_single_net(seq);
	struct sdp_sock *ssk;
	int n = 0;

	seq_puts(seq, "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode type assoc\n");
	spin_lock_bh(&sdp_socks_lock);
	hlist_for_each_entry(ssk, &sdp_socks, all_node) {
		struct sock *sk = &ssk->sk;
		struct sdp_conn *conn = READ_ONCE(ssk->conn);
		struct sockaddr_storage none = {};
		const struct sockaddr_storage *l = &none, *r = &none;
		u32 txq = 0, rxq = 0;

		if (!net_eq(sock_net(sk), net))
			continue;
		if (conn && conn->local.ss_family)
			l = &conn->local;
		else if (ssk->bound_set)
			l = &ssk->bound;
		if (conn) {
			r = &conn->peer;
			txq = sdp_conn_outq(conn);
			rxq = sdp_conn_inq(conn);
		} else if (sk->sk_state == TCP_LISTEN) {
			rxq = READ_ONCE(sk->sk_ack_backlog);
		}
		seq_printf(seq, "%4d: ", n++);
		sdp_show_addr(seq, l);
		seq_putc(seq, ' ');
		sdp_show_addr(seq, r);
		seq_printf(seq, " %02X %08X:%08X 00:00000000 00000000 %5u %8d %lu %s %d\n",
			   READ_ONCE(sk->sk_state), txq, rxq,
			   from_kuid_munged(seq_user_ns(seq), sock_i_uid(sk)),
			   0, sock_i_ino(sk),
			   sk->sk_type == SOCK_STREAM ? "stream" : "seqpacket",
			   conn ? conn->assoc_id : 0);
	}
	spin_unlock_bh(&sdp_socks_lock);
	return 0;
}

int sdp_proc_init_net(struct net *net)
{
	if (!proc_create_net_single("sdp_stats", 0444, net->proc_net,
				    sdp_stats_show, NULL))
		return -ENOMEM;
	if (!proc_create_net_single("sdp", 0444, net->proc_net,
				    sdp_socks_show, NULL)) {
		remove_proc_entry("sdp_stats", net->proc_net);
		return -ENOMEM;
	}
	return 0;
}

void sdp_proc_exit_net(struct net *net)
{
	remove_proc_entry("sdp", net->proc_net);
	remove_proc_entry("sdp_stats", net->proc_net);
}
