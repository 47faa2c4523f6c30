// SPDX-License-Identifier: GPL-2.0
/*
 * sdp port table: TCP's bind-conflict rules between SDP endpoints.
 *
 * rdma_cm keeps its own table of bound ids, but its rules are coarser than
 * TCP's: of two ids sharing a port with SO_REUSEADDR neither may listen,
 * and a port is free again the moment its id is destroyed. TCP programs
 * expect more: two SO_REUSEADDR sockets may share a port and the first to
 * listen gets it; a connection this side closed first holds its port in
 * TIME_WAIT for TCP_TIMEWAIT_LEN, so a restarted server may bind it again
 * only with SO_REUSEADDR on both the old and the new socket.
 *
 * So every SDP endpoint with a local port is entered here: sockets bound
 * by bind() or listen() (SDP_BIND_SOCK), established connections
 * (SDP_BIND_CONN) and connections in TIME_WAIT (SDP_BIND_TW, allocated
 * when the connection ends, freed when it expires). bind() and listen()
 * check a socket against this table before they ask rdma_cm; rdma_cm's
 * own check still guards the port against other rdma_cm users.
 *
 * One spinlock protects the table; entries of sockets and connections are
 * embedded in them and leave the table before they are freed.
 */
#include <linux/hash.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/slab.h>
#include <net/ipv6.h>
#include <net/tcp.h>

#include "sdp.h"

#define SDP_PORT_HASH_BITS	8

static struct hlist_head sdp_port_hash[1 << SDP_PORT_HASH_BITS];
static DEFINE_SPINLOCK(sdp_port_lock);

static struct hlist_head *sdp_port_bucket(u16 port)
{
	return &sdp_port_hash[hash_32(port, SDP_PORT_HASH_BITS)];
}

u16 sdp_addr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

void sdp_addr_set_port(struct sockaddr_storage *ss, u16 port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

void sdp_bind_init(struct sdp_bind *b, const struct sock *sk,
		   const struct sockaddr_storage *addr, u8 kind)
{
	/* an entry still in the table leaves it before it is reused */
	if (b->listed)
		sdp_port_release(b);
	INIT_HLIST_NODE(&b->node);
	b->net = sock_net(sk);
	memcpy(&b->addr, addr, sizeof(b->addr));
	b->port = sdp_addr_port(addr);
	b->sk = kind == SDP_BIND_SOCK ? sk : NULL;
	b->kind = kind;
	b->reuse = sk->sk_reuse != SK_NO_REUSE;
	b->v6only = sdp_sk(sk)->v6only;
	b->listed = false;
	b->expires = 0;
}

/* the IPv4 address of an AF_INET or v4-mapped AF_INET6 endpoint */
static bool sdp_bind_v4(const struct sdp_bind *b, __be32 *a)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&b->addr;

	if (b->addr.ss_family == AF_INET) {
		*a = ((const struct sockaddr_in *)&b->addr)->sin_addr.s_addr;
		return true;
	}
	if (ipv6_addr_v4mapped(&s6->sin6_addr)) {
		*a = s6->sin6_addr.s6_addr32[3];
		return true;
	}
	return false;
}

static const struct in6_addr *sdp_bind_v6(const struct sdp_bind *b)
{
	return &((const struct sockaddr_in6 *)&b->addr)->sin6_addr;
}

/* do two local addresses overlap, wildcards included (as TCP's check) */
static bool sdp_bind_overlap(const struct sdp_bind *x, const struct sdp_bind *y)
{
	bool x4, y4;
	__be32 a, b;

	x4 = sdp_bind_v4(x, &a);
	y4 = sdp_bind_v4(y, &b);
	if (x4 && y4)
		return a == b || a == htonl(INADDR_ANY) || b == htonl(INADDR_ANY);
	if (!x4 && !y4)
		return ipv6_addr_equal(sdp_bind_v6(x), sdp_bind_v6(y)) ||
		       ipv6_addr_any(sdp_bind_v6(x)) ||
		       ipv6_addr_any(sdp_bind_v6(y));
	/* one IPv4, one IPv6: only a dual-stack "::" covers IPv4 */
	if (x4)
		swap(x, y);
	return ipv6_addr_any(sdp_bind_v6(x)) && !x->v6only;
}

static bool sdp_bind_listening(const struct sdp_bind *e)
{
	return e->kind == SDP_BIND_SOCK &&
	       READ_ONCE(e->sk->sk_state) == TCP_LISTEN;
}

/* Under sdp_port_lock. Drops expired TIME_WAIT entries on the way. */
static bool sdp_port_conflict_locked(const struct sdp_bind *b)
{
	struct hlist_node *tmp;
	struct sdp_bind *e;

	hlist_for_each_entry_safe(e, tmp, sdp_port_bucket(b->port), node) {
		if (e->kind == SDP_BIND_TW &&
		    time_after_eq(jiffies, e->expires)) {
			hlist_del(&e->node);
			kfree(e);
			continue;
		}
		if (e == b || e->port != b->port || !net_eq(e->net, b->net))
			continue;
		/* SO_REUSEADDR on both, and the other one does not listen */
		if (b->reuse && e->reuse && !sdp_bind_listening(e))
			continue;
		if (sdp_bind_overlap(b, e))
			return true;
	}
	return false;
}

/* Enter @b in the table; with @check, fail with -EADDRINUSE where TCP
 * would (the port is held by another endpoint and not both of them set
 * SO_REUSEADDR, or the other one listens).
 */
int sdp_port_claim(struct sdp_bind *b, bool check)
{
	int err = 0;

	spin_lock_bh(&sdp_port_lock);
	if (b->listed)
		goto out;
	if (check && sdp_port_conflict_locked(b)) {
		err = -EADDRINUSE;
		goto out;
	}
	hlist_add_head(&b->node, sdp_port_bucket(b->port));
	b->listed = true;
out:
	spin_unlock_bh(&sdp_port_lock);
	return err;
}

/* listen(): may @b's socket listen on its port, by TCP's rules */
int sdp_port_check(struct sdp_bind *b)
{
	bool clash;

	spin_lock_bh(&sdp_port_lock);
	clash = sdp_port_conflict_locked(b);
	spin_unlock_bh(&sdp_port_lock);
	return clash ? -EADDRINUSE : 0;
}

void sdp_port_release(struct sdp_bind *b)
{
	spin_lock_bh(&sdp_port_lock);
	if (b->listed) {
		hlist_del_init(&b->node);
		b->listed = false;
	}
	spin_unlock_bh(&sdp_port_lock);
}

/* A connection closed by this side first is over: its port stays held in
 * TIME_WAIT for TCP_TIMEWAIT_LEN. Without memory for the entry the port
 * is simply released.
 */
void sdp_port_timewait(struct sdp_bind *b)
{
	struct sdp_bind *tw = kmalloc(sizeof(*tw), GFP_ATOMIC);

	spin_lock_bh(&sdp_port_lock);
	if (b->listed) {
		hlist_del_init(&b->node);
		b->listed = false;
		if (tw) {
			memcpy(tw, b, sizeof(*tw));
			INIT_HLIST_NODE(&tw->node);
			tw->kind = SDP_BIND_TW;
			tw->sk = NULL;
			tw->expires = jiffies + TCP_TIMEWAIT_LEN;
			tw->listed = true;
			hlist_add_head(&tw->node, sdp_port_bucket(tw->port));
			tw = NULL;
		}
	}
	spin_unlock_bh(&sdp_port_lock);
	kfree(tw);
}

/* a namespace goes away (or the module): forget its TIME_WAIT entries */
void sdp_port_net_exit(struct net *net)
{
	struct hlist_node *tmp;
	struct sdp_bind *e;
	unsigned int i;

	spin_lock_bh(&sdp_port_lock);
	for (i = 0; i < ARRAY_SIZE(sdp_port_hash); i++) {
		hlist_for_each_entry_safe(e, tmp, &sdp_port_hash[i], node) {
			if (e->kind != SDP_BIND_TW || !net_eq(e->net, net))
				continue;
			hlist_del(&e->node);
			kfree(e);
		}
	}
	spin_unlock_bh(&sdp_port_lock);
}
