// SPDX-License-Identifier: GPL-2.0
/*
 * sdp tunables: net.sdp.* per network namespace. Each has a default, a
 * unit and a range; a write out of range fails with EINVAL and changes
 * nothing. New values apply to connections set up afterwards.
 */
#include <linux/sysctl.h>
#include <linux/slab.h>
#include <net/net_namespace.h>
#include <net/tcp.h>

#include "sdp.h"

unsigned int sdp_net_id;

static int sdp_zero;
static int sdp_one = 1;
static int sdp_int_max = INT_MAX;
static int sdp_inline_max = 1024;
static int sdp_mem_min = 4096;
static int sdp_mem_max = 64 << 20;
static int sdp_depth_min = 4;
static int sdp_depth_max = 1024;
static int sdp_rcvsz_min = SDP_MIN_RCVSZ;
static int sdp_rcvsz_max = SDP_MAX_TX_SIZE;
static int sdp_poll_max = 1000000;
static int sdp_keepalive_max = MAX_TCP_KEEPIDLE;
static int sdp_msg_min = 1024;
static int sdp_msg_max = 64 << 20;
static int sdp_mode_max = SDP_ZC_MODE_NONE;

/* the template entries point into this; only copies are registered */
static struct sdp_sysctl sdp_sysctl_defaults = {
	.zcopy_thresh	= 1024 * 1024,	/* the measured crossover, README */
	.inline_thresh	= 128,
	.rmem		= 2 << 20,
	.wmem		= 2 << 20,
	.rx_depth	= 32,
	.rcvsz		= 32 * 1024,
	.recv_poll_usec	= 0,
	.keepalive_time	= 7200,
	.max_msg	= 1 << 20,
	.zcopy_mode	= SDP_ZC_MODE_BOTH,
};

#define SDP_SYSCTL(field, lo, hi) {				\
	.procname	= #field,				\
	.data		= &sdp_sysctl_defaults.field,		\
	.maxlen		= sizeof(int),				\
	.mode		= 0644,					\
	.proc_handler	= proc_dointvec_minmax,			\
	.extra1		= lo,					\
	.extra2		= hi,					\
}

static const struct ctl_table sdp_sysctl_template[] = {
	SDP_SYSCTL(zcopy_thresh, &sdp_zero, &sdp_int_max),
	SDP_SYSCTL(inline_thresh, &sdp_zero, &sdp_inline_max),
	SDP_SYSCTL(rmem, &sdp_mem_min, &sdp_mem_max),
	SDP_SYSCTL(wmem, &sdp_mem_min, &sdp_mem_max),
	SDP_SYSCTL(rx_depth, &sdp_depth_min, &sdp_depth_max),
	SDP_SYSCTL(rcvsz, &sdp_rcvsz_min, &sdp_rcvsz_max),
	SDP_SYSCTL(recv_poll_usec, &sdp_zero, &sdp_poll_max),
	SDP_SYSCTL(keepalive_time, &sdp_one, &sdp_keepalive_max),
	SDP_SYSCTL(max_msg, &sdp_msg_min, &sdp_msg_max),
	SDP_SYSCTL(zcopy_mode, &sdp_zero, &sdp_mode_max),
	{ }
};

static int __net_init sdp_net_init(struct net *net)
{
	struct sdp_net *sn = sdp_net(net);
	struct ctl_table *t;
	int i;

	sn->sysctl = sdp_sysctl_defaults;
	t = kmemdup(sdp_sysctl_template, sizeof(sdp_sysctl_template),
		    GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	/* point each entry at this namespace's copy of the field */
	for (i = 0; t[i].procname; i++)
		t[i].data = (char *)&sn->sysctl +
			    ((const char *)sdp_sysctl_template[i].data -
			     (const char *)&sdp_sysctl_defaults);
	sn->sysctl_hdr = register_net_sysctl(net, "net/sdp", t);
	if (!sn->sysctl_hdr) {
		kfree(t);
		return -ENOMEM;
	}
	return sdp_proc_init_net(net);
}

static void __net_exit sdp_net_exit(struct net *net)
{
	struct sdp_net *sn = sdp_net(net);
	struct ctl_table *t = sn->sysctl_hdr->ctl_table_arg;

	sdp_proc_exit_net(net);
	sdp_port_net_exit(net);
	unregister_net_sysctl_table(sn->sysctl_hdr);
	kfree(t);
}

static struct pernet_operations sdp_net_ops = {
	.init	= sdp_net_init,
	.exit	= sdp_net_exit,
	.id	= &sdp_net_id,
	.size	= sizeof(struct sdp_net),
};

int sdp_admin_init(void)
{
	return register_pernet_subsys(&sdp_net_ops);
}

void sdp_admin_exit(void)
{
	unregister_pernet_subsys(&sdp_net_ops);
}
