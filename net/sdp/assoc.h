/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sdp association table of a SOCK_SEQPACKET socket: ids and peer
 * addresses. Pure code (no socket or RDMA state), tested by KUnit; the
 * caller serialises (seqpacket.c holds the socket's assoc_lock).
 */
#ifndef _SDP_ASSOC_H
#define _SDP_ASSOC_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/socket.h>
#include <linux/sdp.h>

struct sdp_aent {
	struct list_head	node;
	sdp_assoc_t		id;	/* 0: in no table */
	struct sockaddr_storage	peer;
};

struct sdp_atab {
	struct list_head	list;	/* in the order they joined */
	sdp_assoc_t		next;	/* the next id to try */
	u32			count;
};

void sdp_atab_init(struct sdp_atab *t);
/* give @e the next id not in use (1 .. INT_MAX, cyclic) and add it */
void sdp_atab_add(struct sdp_atab *t, struct sdp_aent *e);
void sdp_atab_del(struct sdp_atab *t, struct sdp_aent *e);
struct sdp_aent *sdp_atab_find_id(const struct sdp_atab *t, sdp_assoc_t id);
/* the first entry for @ss after @after (NULL: from the start) */
struct sdp_aent *sdp_atab_find_addr(const struct sdp_atab *t,
				    const struct sockaddr_storage *ss,
				    const struct sdp_aent *after);
/* same address and port; an IPv4 address equals its v4-mapped IPv6 one */
bool sdp_addr_same(const struct sockaddr_storage *a,
		   const struct sockaddr_storage *b);

#endif /* _SDP_ASSOC_H */
