// SPDX-License-Identifier: GPL-2.0
/*
 * sdp association table (see assoc.h). Ids run from 1 up, wrap at
 * INT_MAX and skip the ids still in use, so an id is never reused while
 * its association lives. Lookups walk the list: a socket carries
 * hundreds of associations, not millions.
 */
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/limits.h>
#include <net/ipv6.h>

#include "wire.h"
#include "assoc.h"

void sdp_atab_init(struct sdp_atab *t)
{
	INIT_LIST_HEAD(&t->list);
	t->next = 1;
	t->count = 0;
}
EXPORT_SYMBOL_SDP_KUNIT(sdp_atab_init);

void sdp_atab_add(struct sdp_atab *t, struct sdp_aent *e)
{
	sdp_assoc_t id = t->next;

	while (sdp_atab_find_id(t, id))
		id = id == INT_MAX ? 1 : id + 1;
	e->id = id;
	t->next = id == INT_MAX ? 1 : id + 1;
	list_add_tail(&e->node, &t->list);
	t->count++;
}
EXPORT_SYMBOL_SDP_KUNIT(sdp_atab_add);

void sdp_atab_del(struct sdp_atab *t, struct sdp_aent *e)
{
	if (!e->id)
		return;
	list_del_init(&e->node);
	e->id = 0;
	t->count--;
}
EXPORT_SYMBOL_SDP_KUNIT(sdp_atab_del);

struct sdp_aent *sdp_atab_find_id(const struct sdp_atab *t, sdp_assoc_t id)
{
	struct sdp_aent *e;

	if (id <= 0)
		return NULL;
	list_for_each_entry(e, &t->list, node)
		if (e->id == id)
			return e;
	return NULL;
}
EXPORT_SYMBOL_SDP_KUNIT(sdp_atab_find_id);

/* is @ss an IPv4 address (plain or v4-mapped)? Then *@a is it */
static bool sdp_addr_v4(const struct sockaddr_storage *ss, __be32 *a)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET) {
		*a = ((const struct sockaddr_in *)ss)->sin_addr.s_addr;
		return true;
	}
	if (ss->ss_family == AF_INET6 && ipv6_addr_v4mapped(&s6->sin6_addr)) {
		*a = s6->sin6_addr.s6_addr32[3];
		return true;
	}
	return false;
}

static __be16 sdp_aport(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ((const struct sockaddr_in6 *)ss)->sin6_port;
	return ((const struct sockaddr_in *)ss)->sin_port;
}

bool sdp_addr_same(const struct sockaddr_storage *a,
		   const struct sockaddr_storage *b)
{
	__be32 a4, b4;
	bool v4a, v4b;

	if ((a->ss_family != AF_INET && a->ss_family != AF_INET6) ||
	    (b->ss_family != AF_INET && b->ss_family != AF_INET6))
		return false;
	if (sdp_aport(a) != sdp_aport(b))
		return false;
	v4a = sdp_addr_v4(a, &a4);
	v4b = sdp_addr_v4(b, &b4);
	if (v4a || v4b)
		return v4a && v4b && a4 == b4;
	return ipv6_addr_equal(&((const struct sockaddr_in6 *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)b)->sin6_addr);
}
EXPORT_SYMBOL_SDP_KUNIT(sdp_addr_same);

struct sdp_aent *sdp_atab_find_addr(const struct sdp_atab *t,
				    const struct sockaddr_storage *ss,
				    const struct sdp_aent *after)
{
	struct sdp_aent *e = after ? (struct sdp_aent *)after :
			     list_entry(&t->list, struct sdp_aent, node);

	list_for_each_entry_continue(e, &t->list, node)
		if (sdp_addr_same(&e->peer, ss))
			return e;
	return NULL;
}
EXPORT_SYMBOL_SDP_KUNIT(sdp_atab_find_addr);
