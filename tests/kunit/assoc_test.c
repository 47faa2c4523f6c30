// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the SOCK_SEQPACKET association table (net/sdp/assoc.c)
 * and the record header of MSG_BOUNDARY connections (net/sdp/wire.c).
 */

#include <kunit/test.h>
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/errno.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/limits.h>
#include <net/ipv6.h>

#include "wire.h"
#include "assoc.h"

#define NENT	64

static void set_v4(struct sockaddr_storage *ss, u32 addr, u16 port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(addr);
	sin->sin_port = htons(port);
}

static void set_v4mapped(struct sockaddr_storage *ss, u32 addr, u16 port)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	s6->sin6_family = AF_INET6;
	ipv6_addr_set_v4mapped(htonl(addr), &s6->sin6_addr);
	s6->sin6_port = htons(port);
}

static void set_v6(struct sockaddr_storage *ss, u8 last, u16 port)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	s6->sin6_family = AF_INET6;
	s6->sin6_addr.s6_addr[0] = 0xfd;
	s6->sin6_addr.s6_addr[15] = last;
	s6->sin6_port = htons(port);
}

/* ids start at 1, are distinct, and are found again */
static void atab_ids_distinct(struct kunit *test)
{
	struct sdp_aent *e = kunit_kcalloc(test, NENT, sizeof(*e), GFP_KERNEL);
	struct sdp_atab t;
	int i, j;

	KUNIT_ASSERT_NOT_NULL(test, e);
	sdp_atab_init(&t);
	for (i = 0; i < NENT; i++) {
		set_v4(&e[i].peer, 0x0a000001, 1000 + i);
		sdp_atab_add(&t, &e[i]);
		KUNIT_EXPECT_GT(test, e[i].id, 0);
	}
	KUNIT_EXPECT_EQ(test, t.count, (u32)NENT);
	KUNIT_EXPECT_EQ(test, e[0].id, 1);
	for (i = 0; i < NENT; i++) {
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_NE(test, e[i].id, e[j].id);
		KUNIT_EXPECT_PTR_EQ(test, sdp_atab_find_id(&t, e[i].id), &e[i]);
	}
	KUNIT_EXPECT_NULL(test, sdp_atab_find_id(&t, 0));
	KUNIT_EXPECT_NULL(test, sdp_atab_find_id(&t, -1));
	KUNIT_EXPECT_NULL(test, sdp_atab_find_id(&t, NENT + 1));
}

/* an id freed is not handed out again at once; a live one never */
static void atab_ids_not_reused(struct kunit *test)
{
	struct sdp_aent *e = kunit_kcalloc(test, 3, sizeof(*e), GFP_KERNEL);
	struct sdp_aent *a = &e[0], *b = &e[1], *c = &e[2];
	struct sdp_atab t;
	sdp_assoc_t old;

	KUNIT_ASSERT_NOT_NULL(test, e);

	sdp_atab_init(&t);
	sdp_atab_add(&t, a);
	sdp_atab_add(&t, b);
	old = a->id;
	sdp_atab_del(&t, a);
	KUNIT_EXPECT_EQ(test, a->id, 0);
	KUNIT_EXPECT_NULL(test, sdp_atab_find_id(&t, old));
	sdp_atab_add(&t, c);
	KUNIT_EXPECT_NE(test, c->id, old);
	KUNIT_EXPECT_NE(test, c->id, b->id);
	KUNIT_EXPECT_EQ(test, t.count, 2U);
	/* deleting twice is harmless */
	sdp_atab_del(&t, a);
	KUNIT_EXPECT_EQ(test, t.count, 2U);
}

/* ids wrap at INT_MAX to 1 and skip the ones still live */
static void atab_ids_wrap(struct kunit *test)
{
	struct sdp_aent *e = kunit_kcalloc(test, 4, sizeof(*e), GFP_KERNEL);
	struct sdp_atab t;

	KUNIT_ASSERT_NOT_NULL(test, e);
	sdp_atab_init(&t);
	sdp_atab_add(&t, &e[0]);	/* 1, stays live */
	t.next = INT_MAX;
	sdp_atab_add(&t, &e[1]);
	KUNIT_EXPECT_EQ(test, e[1].id, INT_MAX);
	sdp_atab_add(&t, &e[2]);	/* wraps: 1 is live, so 2 */
	KUNIT_EXPECT_EQ(test, e[2].id, 2);
	sdp_atab_del(&t, &e[1]);
	t.next = INT_MAX;
	sdp_atab_add(&t, &e[3]);	/* INT_MAX is free again */
	KUNIT_EXPECT_EQ(test, e[3].id, INT_MAX);
	KUNIT_EXPECT_EQ(test, t.next, 1);
}

/* lookup by address: port and address count, v4-mapped equals IPv4 */
static void atab_find_addr(struct kunit *test)
{
	struct sdp_aent *e = kunit_kcalloc(test, 3, sizeof(*e), GFP_KERNEL);
	struct sockaddr_storage *q = kunit_kzalloc(test, sizeof(*q),
						   GFP_KERNEL);
	struct sdp_atab t;

	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_ASSERT_NOT_NULL(test, q);
	sdp_atab_init(&t);
	set_v4(&e[0].peer, 0x0a000001, 5000);
	set_v4(&e[1].peer, 0x0a000002, 5000);
	set_v6(&e[2].peer, 7, 5000);
	sdp_atab_add(&t, &e[0]);
	sdp_atab_add(&t, &e[1]);
	sdp_atab_add(&t, &e[2]);

	set_v4(q, 0x0a000001, 5000);
	KUNIT_EXPECT_PTR_EQ(test, sdp_atab_find_addr(&t, q, NULL), &e[0]);
	set_v4mapped(q, 0x0a000002, 5000);
	KUNIT_EXPECT_PTR_EQ(test, sdp_atab_find_addr(&t, q, NULL), &e[1]);
	set_v6(q, 7, 5000);
	KUNIT_EXPECT_PTR_EQ(test, sdp_atab_find_addr(&t, q, NULL), &e[2]);
	set_v4(q, 0x0a000001, 5001);
	KUNIT_EXPECT_NULL(test, sdp_atab_find_addr(&t, q, NULL));
	set_v4(q, 0x0a000003, 5000);
	KUNIT_EXPECT_NULL(test, sdp_atab_find_addr(&t, q, NULL));
	set_v6(q, 8, 5000);
	KUNIT_EXPECT_NULL(test, sdp_atab_find_addr(&t, q, NULL));
	memset(q, 0, sizeof(*q));
	KUNIT_EXPECT_NULL(test, sdp_atab_find_addr(&t, q, NULL));

	/* a second entry for one address is found after the first */
	set_v4mapped(&e[2].peer, 0x0a000001, 5000);
	set_v4(q, 0x0a000001, 5000);
	KUNIT_EXPECT_PTR_EQ(test, sdp_atab_find_addr(&t, q, &e[0]), &e[2]);
	KUNIT_EXPECT_NULL(test, sdp_atab_find_addr(&t, q, &e[2]));

	sdp_atab_del(&t, &e[0]);
	KUNIT_EXPECT_PTR_EQ(test, sdp_atab_find_addr(&t, q, NULL), &e[2]);
	sdp_atab_del(&t, &e[2]);
	KUNIT_EXPECT_NULL(test, sdp_atab_find_addr(&t, q, NULL));
}

/* teardown in any order leaves an empty, reusable table */
static void atab_teardown_any_order(struct kunit *test)
{
	struct sdp_aent *e = kunit_kcalloc(test, NENT, sizeof(*e), GFP_KERNEL);
	struct sdp_atab t;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, e);
	sdp_atab_init(&t);
	for (i = 0; i < NENT; i++)
		sdp_atab_add(&t, &e[i]);
	for (i = 0; i < NENT; i += 2)
		sdp_atab_del(&t, &e[i]);
	for (i = 1; i < NENT; i += 2)
		KUNIT_EXPECT_PTR_EQ(test, sdp_atab_find_id(&t, e[i].id), &e[i]);
	for (i = NENT - 1; i > 0; i -= 2)
		sdp_atab_del(&t, &e[i]);
	KUNIT_EXPECT_EQ(test, t.count, 0U);
	KUNIT_EXPECT_TRUE(test, list_empty(&t.list));
	sdp_atab_add(&t, &e[0]);
	KUNIT_EXPECT_EQ(test, e[0].id, NENT + 1);
}

static void rechdr_roundtrip(struct kunit *test)
{
	struct sdp_rec_info in = { .ppid = 0xdeadbeef, .context = 0x01020304,
				   .stream = 0xabcd }, out;
	u8 buf[SDP_RECHDR_LEN + 4] = {};

	KUNIT_EXPECT_EQ(test, SDP_RECHDR_LEN, (size_t)12);
	sdp_pack_rechdr(buf, &in);
	/* big-endian on the wire */
	KUNIT_EXPECT_EQ(test, buf[0], 0xde);
	KUNIT_EXPECT_EQ(test, buf[8], 0xab);
	KUNIT_EXPECT_EQ(test, sdp_unpack_rechdr(buf, sizeof(buf), &out), 0);
	KUNIT_EXPECT_EQ(test, out.ppid, in.ppid);
	KUNIT_EXPECT_EQ(test, out.context, in.context);
	KUNIT_EXPECT_EQ(test, out.stream, in.stream);
	KUNIT_EXPECT_EQ(test, sdp_unpack_rechdr(buf, SDP_RECHDR_LEN, &out), 0);
}

static void rechdr_bad(struct kunit *test)
{
	struct sdp_rec_info in = { .ppid = 1 }, out;
	u8 buf[SDP_RECHDR_LEN] = {};

	sdp_pack_rechdr(buf, &in);
	KUNIT_EXPECT_EQ(test, sdp_unpack_rechdr(buf, SDP_RECHDR_LEN - 1, &out),
			-EBADMSG);
	KUNIT_EXPECT_EQ(test, out.ppid, 0U);
	KUNIT_EXPECT_EQ(test, sdp_unpack_rechdr(buf, 0, &out), -EBADMSG);
	buf[11] = 1;	/* reserved */
	KUNIT_EXPECT_EQ(test, sdp_unpack_rechdr(buf, sizeof(buf), &out),
			-EBADMSG);
}

static struct kunit_case assoc_cases[] = {
	KUNIT_CASE(atab_ids_distinct),
	KUNIT_CASE(atab_ids_not_reused),
	KUNIT_CASE(atab_ids_wrap),
	KUNIT_CASE(atab_find_addr),
	KUNIT_CASE(atab_teardown_any_order),
	KUNIT_CASE(rechdr_roundtrip),
	KUNIT_CASE(rechdr_bad),
	{}
};

static struct kunit_suite assoc_suite = {
	.name = "sdp_assoc",
	.test_cases = assoc_cases,
};

kunit_test_suites(&assoc_suite);
