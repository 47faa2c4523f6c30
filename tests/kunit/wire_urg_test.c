// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the sdp urgent-byte state machine (net/sdp/wire.c). The
 * expected behaviour is Linux TCP's; each case says which rule it checks.
 * A small model of a receive stream drives the API the way the socket
 * code does: queue bytes, announce / arrive, read in chunks through
 * sdp_urg_limit(), move copied_seq and call sdp_urg_consumed().
 */

#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/errno.h>

#include "wire.h"

struct urg_sim {
	struct sdp_urg	u;
	char		stream[128];
	u64		rcv_nxt;
	u64		copied_seq;
	bool		oobinline;
	unsigned int	sigurg;
	unsigned int	dropped;
	unsigned int	skipped;
};

static void sim_init(struct urg_sim *s, bool oobinline)
{
	memset(s, 0, sizeof(*s));
	sdp_urg_init(&s->u);
	s->oobinline = oobinline;
}

static void sim_events(struct urg_sim *s, unsigned int ev)
{
	if (ev & SDP_URG_EV_SIGURG)
		s->sigurg++;
	if (ev & SDP_URG_EV_DROPPED)
		s->dropped++;
	if (ev & SDP_URG_EV_SKIP) {
		/* the byte stepped over must be there */
		if (WARN_ON(s->copied_seq >= s->rcv_nxt))
			return;
		s->skipped++;
		s->copied_seq++;
		sdp_urg_consumed(&s->u, s->copied_seq);
	}
}

/* a message with OOB_PEND */
static unsigned int sim_announce(struct urg_sim *s)
{
	unsigned int ev = sdp_urg_announce(&s->u, s->copied_seq,
					   s->oobinline);

	sim_events(s, ev);
	return ev;
}

/* a DATA message; with @oob its last byte is urgent (OOB_PRES) */
static unsigned int sim_data(struct urg_sim *s, const char *data, bool oob)
{
	size_t n = strlen(data);
	unsigned int ev = 0;

	if (WARN_ON(s->rcv_nxt + n > sizeof(s->stream)))
		return 0;
	memcpy(s->stream + s->rcv_nxt, data, n);
	s->rcv_nxt += n;
	if (oob && n) {
		ev = sdp_urg_arrive(&s->u, s->rcv_nxt - 1, data[n - 1],
				    s->copied_seq, s->oobinline);
		sim_events(s, ev);
	}
	return ev;
}

/* recv() without MSG_OOB, never blocks; returns the bytes in @out */
static const char *sim_recv(struct urg_sim *s, char *out, size_t len,
			    bool peek)
{
	u64 seq = s->copied_seq;
	size_t copied = 0;

	while (len && seq < s->rcv_nxt) {
		size_t avail = min_t(u64, s->rcv_nxt - seq, len);
		bool skip;
		size_t n;

		n = sdp_urg_limit(&s->u, seq, avail, copied > 0, s->oobinline,
				  &skip);
		if (skip)
			seq++;
		else if (!n)
			break;
		if (WARN_ON(n > avail))
			break;
		memcpy(out + copied, s->stream + seq, n);
		seq += n;
		copied += n;
		len -= n;
		if (!peek) {
			s->copied_seq = seq;
			sdp_urg_consumed(&s->u, seq);
		}
	}
	out[copied] = '\0';
	return out;
}

/* recv(MSG_OOB) */
static int sim_oob(struct urg_sim *s, unsigned int flags, char *c)
{
	u8 byte = 0;
	int ret;

	if (s->oobinline)
		flags |= SDP_URG_RD_INLINE;
	ret = sdp_urg_read(&s->u, flags, &byte);
	*c = ret == 1 ? byte : 0;
	return ret;
}

static bool sim_atmark(const struct urg_sim *s)
{
	return sdp_urg_at_mark(&s->u, s->copied_seq);
}

/* nothing announced: EINVAL, however the socket stands */
static void urg_test_initial(struct kunit *test)
{
	struct sdp_urg u;
	bool skip = true;
	u8 b = 0x55;

	sdp_urg_init(&u);
	KUNIT_EXPECT_EQ(test, u.state, SDP_URG_NONE);
	KUNIT_EXPECT_EQ(test, sdp_urg_read(&u, 0, &b), -EINVAL);
	KUNIT_EXPECT_EQ(test, sdp_urg_read(&u, SDP_URG_RD_PEEK, &b), -EINVAL);
	KUNIT_EXPECT_EQ(test, sdp_urg_read(&u, SDP_URG_RD_DONE, &b), -EINVAL);
	KUNIT_EXPECT_EQ(test, sdp_urg_read(&u, SDP_URG_RD_NOTCONN, &b),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, b, 0x55);
	KUNIT_EXPECT_FALSE(test, sdp_urg_at_mark(&u, 0));
	KUNIT_EXPECT_FALSE(test, sdp_urg_pending(&u));
	KUNIT_EXPECT_EQ(test, sdp_urg_limit(&u, 0, 100, false, false, &skip),
			(size_t)100);
	KUNIT_EXPECT_FALSE(test, skip);
	KUNIT_EXPECT_FALSE(test, sdp_urg_consumed(&u, 1000));
}

/* OOB_PEND before the byte: EAGAIN, never blocking; 0 at end of stream */
static void urg_test_notyet(struct kunit *test)
{
	struct urg_sim s;
	char buf[64], c;

	sim_init(&s, false);
	KUNIT_EXPECT_EQ(test, sim_announce(&s), (unsigned int)SDP_URG_EV_SIGURG);
	KUNIT_EXPECT_EQ(test, s.u.state, SDP_URG_NOTYET);
	KUNIT_EXPECT_EQ(test, sim_oob(&s, 0, &c), -EAGAIN);
	KUNIT_EXPECT_EQ(test, sim_oob(&s, SDP_URG_RD_PEEK, &c), -EAGAIN);
	KUNIT_EXPECT_EQ(test, sim_oob(&s, SDP_URG_RD_DONE, &c), 0);
	KUNIT_EXPECT_EQ(test, sim_oob(&s, SDP_URG_RD_NOTCONN |
				      SDP_URG_RD_DONE, &c), -ENOTCONN);
	KUNIT_EXPECT_EQ(test, sim_oob(&s, SDP_URG_RD_INLINE, &c), -EINVAL);
	KUNIT_EXPECT_FALSE(test, sdp_urg_pending(&s.u));
	KUNIT_EXPECT_FALSE(test, sim_atmark(&s));

	/* the same announcement again is no news: one SIGURG */
	KUNIT_EXPECT_EQ(test, sim_announce(&s), 0U);
	KUNIT_EXPECT_EQ(test, s.sigurg, 1U);

	/* data ahead of the urgent byte reads normally */
	sim_data(&s, "abc", false);
	KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 64, false), "abc");
	KUNIT_EXPECT_EQ(test, sim_oob(&s, 0, &c), -EAGAIN);

	/* the byte comes: no second SIGURG, POLLPRI now */
	KUNIT_EXPECT_EQ(test, sim_data(&s, "dX", true), 0U);
	KUNIT_EXPECT_EQ(test, s.sigurg, 1U);
	KUNIT_EXPECT_TRUE(test, sdp_urg_pending(&s.u));
	KUNIT_EXPECT_EQ(test, sim_oob(&s, 0, &c), 1);
	KUNIT_EXPECT_EQ(test, c, 'X');
	KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 64, false), "d");
}

/* the byte kept aside: mark, SIOCATMARK, peek, read once, EINVAL twice */
static void urg_test_slot(struct kunit *test)
{
	struct urg_sim s;
	char buf[64], c;

	sim_init(&s, false);
	sim_data(&s, "ab", false);
	/* no OOB_PEND before: the arrival itself raises SIGURG */
	KUNIT_EXPECT_EQ(test, sim_data(&s, "cX", true),
			(unsigned int)SDP_URG_EV_SIGURG);
	KUNIT_EXPECT_EQ(test, s.u.mark, 3ULL);
	KUNIT_EXPECT_TRUE(test, sdp_urg_pending(&s.u));
	KUNIT_EXPECT_FALSE(test, sim_atmark(&s));

	/* the read stops right before the urgent byte */
	KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 64, false), "abc");
	KUNIT_EXPECT_EQ(test, s.copied_seq, 3ULL);
	KUNIT_EXPECT_TRUE(test, sim_atmark(&s));

	/* MSG_PEEK leaves it */
	KUNIT_EXPECT_EQ(test, sim_oob(&s, SDP_URG_RD_PEEK, &c), 1);
	KUNIT_EXPECT_EQ(test, c, 'X');
	KUNIT_EXPECT_EQ(test, s.u.state, SDP_URG_VALID);
	KUNIT_EXPECT_EQ(test, sim_oob(&s, SDP_URG_RD_PEEK, &c), 1);
	KUNIT_EXPECT_EQ(test, c, 'X');

	/* read it: once */
	KUNIT_EXPECT_EQ(test, sim_oob(&s, 0, &c), 1);
	KUNIT_EXPECT_EQ(test, c, 'X');
	KUNIT_EXPECT_EQ(test, s.u.state, SDP_URG_READ);
	KUNIT_EXPECT_FALSE(test, sdp_urg_pending(&s.u));
	KUNIT_EXPECT_EQ(test, sim_oob(&s, 0, &c), -EINVAL);
	KUNIT_EXPECT_EQ(test, sim_oob(&s, SDP_URG_RD_PEEK, &c), -EINVAL);
	KUNIT_EXPECT_EQ(test, sim_oob(&s, SDP_URG_RD_DONE, &c), -EINVAL);
	/* still at the mark after the byte was read */
	KUNIT_EXPECT_TRUE(test, sim_atmark(&s));

	/* the next read skips the byte, and the mark is gone */
	sim_data(&s, "de", false);
	KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 64, false), "de");
	KUNIT_EXPECT_EQ(test, s.copied_seq, 6ULL);
	KUNIT_EXPECT_FALSE(test, sim_atmark(&s));
	KUNIT_EXPECT_EQ(test, s.u.state, SDP_URG_NONE);
	KUNIT_EXPECT_EQ(test, sim_oob(&s, 0, &c), -EINVAL);
}

/* reading past the mark without MSG_OOB loses the byte (TCP clears) */
static void urg_test_passed_unread(struct kunit *test)
{
	struct urg_sim s;
	char buf[64], c;

	sim_init(&s, false);
	sim_data(&s, "abX", true);
	sim_data(&s, "cd", false);
	KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 64, false), "ab");
	/* standing on the mark with nothing copied: skip it, go on */
	KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 64, false), "cd");
	KUNIT_EXPECT_EQ(test, s.copied_seq, 5ULL);
	KUNIT_EXPECT_EQ(test, sim_oob(&s, 0, &c), -EINVAL);
	KUNIT_EXPECT_FALSE(test, sdp_urg_pending(&s.u));

	/* the urgent byte last in the queue: the read skips it, gets 0 */
	sim_init(&s, false);
	sim_data(&s, "aX", true);
	KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 1, false), "a");
	KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 64, false), "");
	KUNIT_EXPECT_EQ(test, s.copied_seq, 2ULL);
	KUNIT_EXPECT_FALSE(test, sim_atmark(&s));
	KUNIT_EXPECT_EQ(test, sim_oob(&s, 0, &c), -EINVAL);
}

/* short reads up to the mark, sockatmark() loop as applications write it */
static void urg_test_atmark_loop(struct kunit *test)
{
	static const char * const want[] = { "012", "345", "678", "9" };
	struct urg_sim s;
	char buf[64], c;
	unsigned int k = 0;

	sim_init(&s, false);
	sim_announce(&s);
	sim_data(&s, "0123456789", false);
	sim_data(&s, "!", true);
	sim_data(&s, "after", false);
	while (!sim_atmark(&s) && k < ARRAY_SIZE(want)) {
		KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 3, false), want[k]);
		k++;
	}
	KUNIT_EXPECT_EQ(test, k, (unsigned int)ARRAY_SIZE(want));
	KUNIT_EXPECT_TRUE(test, sim_atmark(&s));
	KUNIT_EXPECT_EQ(test, sim_oob(&s, 0, &c), 1);
	KUNIT_EXPECT_EQ(test, c, '!');
	KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 64, false), "after");
	KUNIT_EXPECT_EQ(test, s.sigurg, 1U);
}

/* SO_OOBINLINE: the byte in stream order, EINVAL for MSG_OOB, POLLPRI */
static void urg_test_inline(struct kunit *test)
{
	struct urg_sim s;
	char buf[64], c;

	sim_init(&s, true);
	KUNIT_EXPECT_EQ(test, sim_data(&s, "abcX", true),
			(unsigned int)SDP_URG_EV_SIGURG);
	sim_data(&s, "de", false);
	KUNIT_EXPECT_TRUE(test, sdp_urg_pending(&s.u));
	KUNIT_EXPECT_EQ(test, sim_oob(&s, 0, &c), -EINVAL);
	KUNIT_EXPECT_EQ(test, sim_oob(&s, SDP_URG_RD_PEEK, &c), -EINVAL);
	/* reads still stop at the mark */
	KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 64, false), "abc");
	KUNIT_EXPECT_TRUE(test, sim_atmark(&s));
	/* and from the mark return the byte and what follows */
	KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 64, false), "Xde");
	KUNIT_EXPECT_FALSE(test, sim_atmark(&s));
	KUNIT_EXPECT_EQ(test, s.u.state, SDP_URG_NONE);
	KUNIT_EXPECT_FALSE(test, sdp_urg_pending(&s.u));
}

/* SO_OOBINLINE counts as it is at read time, as in TCP */
static void urg_test_inline_toggle(struct kunit *test)
{
	struct urg_sim s;
	char buf[64], c;

	sim_init(&s, false);
	sim_data(&s, "aX", true);
	sim_data(&s, "b", false);
	KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 64, false), "a");
	s.oobinline = true;
	KUNIT_EXPECT_EQ(test, sim_oob(&s, 0, &c), -EINVAL);
	KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 64, false), "Xb");

	sim_init(&s, true);
	sim_data(&s, "aX", true);
	sim_data(&s, "b", false);
	KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 64, false), "a");
	s.oobinline = false;
	KUNIT_EXPECT_EQ(test, sim_oob(&s, 0, &c), 1);
	KUNIT_EXPECT_EQ(test, c, 'X');
	KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 64, false), "b");
}

/* MSG_PEEK reads obey the mark too but never clear the urgent state */
static void urg_test_peek_stream(struct kunit *test)
{
	struct urg_sim s;
	char buf[64], c;

	sim_init(&s, false);
	sim_data(&s, "abX", true);
	sim_data(&s, "cd", false);
	KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 64, true), "ab");
	KUNIT_EXPECT_EQ(test, s.copied_seq, 0ULL);
	KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 64, false), "ab");
	/* a peek from the mark skips the byte ... */
	KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 64, true), "cd");
	/* ... but forgets nothing */
	KUNIT_EXPECT_TRUE(test, sim_atmark(&s));
	KUNIT_EXPECT_EQ(test, s.u.state, SDP_URG_VALID);
	KUNIT_EXPECT_EQ(test, sim_oob(&s, 0, &c), 1);
	KUNIT_EXPECT_EQ(test, c, 'X');
	KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 64, false), "cd");
}

/*
 * A second urgent byte replaces the mark (tcp_check_urg). With the reader
 * before the old mark, the old byte loses its slot and is read later as
 * ordinary data: TCP does not take it out of the stream.
 */
static void urg_test_override_before_mark(struct kunit *test)
{
	struct urg_sim s;
	char buf[64], c;

	sim_init(&s, false);
	sim_data(&s, "pA", true);
	KUNIT_EXPECT_EQ(test, sim_data(&s, "qB", true),
			(unsigned int)(SDP_URG_EV_SIGURG | SDP_URG_EV_DROPPED));
	KUNIT_EXPECT_EQ(test, s.sigurg, 2U);
	KUNIT_EXPECT_EQ(test, s.dropped, 1U);
	KUNIT_EXPECT_EQ(test, s.skipped, 0U);
	KUNIT_EXPECT_EQ(test, s.u.mark, 3ULL);
	KUNIT_EXPECT_EQ(test, sim_oob(&s, SDP_URG_RD_PEEK, &c), 1);
	KUNIT_EXPECT_EQ(test, c, 'B');
	/* the read no longer stops at the old mark */
	KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 64, false), "pAq");
	KUNIT_EXPECT_TRUE(test, sim_atmark(&s));
	KUNIT_EXPECT_EQ(test, sim_oob(&s, 0, &c), 1);
	KUNIT_EXPECT_EQ(test, c, 'B');
	KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 64, false), "");
	KUNIT_EXPECT_EQ(test, s.u.state, SDP_URG_NONE);
}

/*
 * The reader stands on the old urgent byte when the new one comes, and
 * would skip it: TCP steps copied_seq over it right away, else it would
 * be read as data once the mark moved. The old byte is gone entirely.
 */
static void urg_test_override_at_mark(struct kunit *test)
{
	struct urg_sim s;
	char buf[64], c;

	/* old byte never read with MSG_OOB */
	sim_init(&s, false);
	sim_data(&s, "A", true);
	KUNIT_EXPECT_TRUE(test, sim_atmark(&s));
	KUNIT_EXPECT_EQ(test, sim_data(&s, "B", true),
			(unsigned int)(SDP_URG_EV_SIGURG | SDP_URG_EV_DROPPED |
				       SDP_URG_EV_SKIP));
	KUNIT_EXPECT_EQ(test, s.copied_seq, 1ULL);
	KUNIT_EXPECT_TRUE(test, sim_atmark(&s));
	KUNIT_EXPECT_EQ(test, sim_oob(&s, 0, &c), 1);
	KUNIT_EXPECT_EQ(test, c, 'B');
	sim_data(&s, "z", false);
	KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 64, false), "z");

	/* old byte already read: skipped, nothing dropped */
	sim_init(&s, false);
	sim_data(&s, "xA", true);
	KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 64, false), "x");
	KUNIT_EXPECT_EQ(test, sim_oob(&s, 0, &c), 1);
	KUNIT_EXPECT_EQ(test, c, 'A');
	KUNIT_EXPECT_EQ(test, sim_data(&s, "yB", true),
			(unsigned int)(SDP_URG_EV_SIGURG | SDP_URG_EV_SKIP));
	KUNIT_EXPECT_EQ(test, s.copied_seq, 2ULL);
	KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 64, false), "y");
	KUNIT_EXPECT_EQ(test, sim_oob(&s, 0, &c), 1);
	KUNIT_EXPECT_EQ(test, c, 'B');

	/* inline: the old byte is stream data, nothing skipped or lost */
	sim_init(&s, true);
	sim_data(&s, "A", true);
	KUNIT_EXPECT_EQ(test, sim_data(&s, "B", true),
			(unsigned int)SDP_URG_EV_SIGURG);
	KUNIT_EXPECT_EQ(test, s.copied_seq, 0ULL);
	KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 64, false), "A");
	KUNIT_EXPECT_TRUE(test, sim_atmark(&s));
	KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 64, false), "B");
}

/* a new OOB_PEND replaces the mark at once, as a new urgent pointer does */
static void urg_test_announce_replaces(struct kunit *test)
{
	struct urg_sim s;
	char buf[64], c;

	sim_init(&s, false);
	sim_data(&s, "pA", true);
	KUNIT_EXPECT_EQ(test, sim_announce(&s),
			(unsigned int)(SDP_URG_EV_SIGURG | SDP_URG_EV_DROPPED));
	KUNIT_EXPECT_EQ(test, s.u.state, SDP_URG_NOTYET);
	KUNIT_EXPECT_EQ(test, sim_oob(&s, 0, &c), -EAGAIN);
	KUNIT_EXPECT_FALSE(test, sdp_urg_pending(&s.u));
	/* the old byte is now ordinary data */
	KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 64, false), "pA");
	KUNIT_EXPECT_FALSE(test, sim_atmark(&s));
	KUNIT_EXPECT_EQ(test, sim_data(&s, "qB", true), 0U);
	KUNIT_EXPECT_EQ(test, s.sigurg, 2U);
	KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 64, false), "q");
	KUNIT_EXPECT_EQ(test, sim_oob(&s, 0, &c), 1);
	KUNIT_EXPECT_EQ(test, c, 'B');

	/* announced while the reader stands on the read old byte */
	sim_init(&s, false);
	sim_data(&s, "A", true);
	KUNIT_EXPECT_EQ(test, sim_oob(&s, 0, &c), 1);
	KUNIT_EXPECT_EQ(test, sim_announce(&s),
			(unsigned int)(SDP_URG_EV_SIGURG | SDP_URG_EV_SKIP));
	KUNIT_EXPECT_EQ(test, s.copied_seq, 1ULL);
	KUNIT_EXPECT_EQ(test, sim_oob(&s, 0, &c), -EAGAIN);
}

/* stale or duplicate arrivals change nothing (tcp_check_urg's checks) */
static void urg_test_stale(struct kunit *test)
{
	struct sdp_urg u;
	u8 b;

	sdp_urg_init(&u);
	KUNIT_EXPECT_EQ(test, sdp_urg_arrive(&u, 5, 'a', 0, false),
			(unsigned int)SDP_URG_EV_SIGURG);
	KUNIT_EXPECT_EQ(test, sdp_urg_arrive(&u, 5, 'b', 0, false), 0U);
	KUNIT_EXPECT_EQ(test, sdp_urg_arrive(&u, 3, 'c', 0, false), 0U);
	KUNIT_EXPECT_EQ(test, u.mark, 5ULL);
	KUNIT_EXPECT_EQ(test, sdp_urg_read(&u, 0, &b), 1);
	KUNIT_EXPECT_EQ(test, b, 'a');
	/* behind what was read already */
	sdp_urg_init(&u);
	KUNIT_EXPECT_EQ(test, sdp_urg_arrive(&u, 9, 'd', 10, false), 0U);
	KUNIT_EXPECT_EQ(test, u.state, SDP_URG_NONE);
	KUNIT_EXPECT_EQ(test, sdp_urg_arrive(&u, 10, 'e', 10, false),
			(unsigned int)SDP_URG_EV_SIGURG);
	KUNIT_EXPECT_TRUE(test, sdp_urg_at_mark(&u, 10));
}

/* sdp_urg_limit() and sdp_urg_consumed() on their own */
static void urg_test_limit(struct kunit *test)
{
	struct sdp_urg u;
	bool skip;

	sdp_urg_init(&u);
	sdp_urg_announce(&u, 0, false);
	/* NOTYET has no mark yet: no limit */
	KUNIT_EXPECT_EQ(test, sdp_urg_limit(&u, 0, 50, true, false, &skip),
			(size_t)50);
	KUNIT_EXPECT_FALSE(test, sdp_urg_at_mark(&u, 0));
	KUNIT_EXPECT_FALSE(test, sdp_urg_consumed(&u, 1ULL << 40));
	KUNIT_EXPECT_EQ(test, u.state, SDP_URG_NOTYET);

	/* mark at 1000, beyond 2^32 to catch truncation */
	sdp_urg_arrive(&u, (1ULL << 32) + 1000, 'u', 0, false);
	KUNIT_EXPECT_EQ(test, sdp_urg_limit(&u, 1000, 50, false, false,
					    &skip), (size_t)50);
	KUNIT_EXPECT_EQ(test, sdp_urg_limit(&u, (1ULL << 32) + 990, 50,
					    false, false, &skip), (size_t)10);
	KUNIT_EXPECT_FALSE(test, skip);
	KUNIT_EXPECT_EQ(test, sdp_urg_limit(&u, (1ULL << 32) + 990, 10,
					    true, false, &skip), (size_t)10);
	KUNIT_EXPECT_EQ(test, sdp_urg_limit(&u, (1ULL << 32) + 990, 9,
					    true, false, &skip), (size_t)9);
	/* at the mark */
	KUNIT_EXPECT_EQ(test, sdp_urg_limit(&u, (1ULL << 32) + 1000, 50,
					    true, false, &skip), (size_t)0);
	KUNIT_EXPECT_FALSE(test, skip);
	KUNIT_EXPECT_EQ(test, sdp_urg_limit(&u, (1ULL << 32) + 1000, 50,
					    true, true, &skip), (size_t)0);
	KUNIT_EXPECT_FALSE(test, skip);
	KUNIT_EXPECT_EQ(test, sdp_urg_limit(&u, (1ULL << 32) + 1000, 50,
					    false, true, &skip), (size_t)50);
	KUNIT_EXPECT_FALSE(test, skip);
	KUNIT_EXPECT_EQ(test, sdp_urg_limit(&u, (1ULL << 32) + 1000, 50,
					    false, false, &skip), (size_t)49);
	KUNIT_EXPECT_TRUE(test, skip);
	KUNIT_EXPECT_EQ(test, sdp_urg_limit(&u, (1ULL << 32) + 1000, 1,
					    false, false, &skip), (size_t)0);
	KUNIT_EXPECT_TRUE(test, skip);
	KUNIT_EXPECT_EQ(test, sdp_urg_limit(&u, (1ULL << 32) + 1000, 0,
					    false, false, &skip), (size_t)0);
	KUNIT_EXPECT_FALSE(test, skip);
	/* past the mark (a peek that went on) */
	KUNIT_EXPECT_EQ(test, sdp_urg_limit(&u, (1ULL << 32) + 1001, 50,
					    true, false, &skip), (size_t)50);
	KUNIT_EXPECT_FALSE(test, skip);

	/* READ keeps the mark for reads and SIOCATMARK */
	KUNIT_EXPECT_TRUE(test, sdp_urg_at_mark(&u, (1ULL << 32) + 1000));
	KUNIT_EXPECT_FALSE(test, sdp_urg_at_mark(&u, 1000));
	KUNIT_EXPECT_EQ(test, sdp_urg_read(&u, 0, &(u8){0}), 1);
	KUNIT_EXPECT_EQ(test, sdp_urg_limit(&u, (1ULL << 32) + 1000, 50,
					    false, false, &skip), (size_t)49);
	KUNIT_EXPECT_TRUE(test, skip);
	KUNIT_EXPECT_TRUE(test, sdp_urg_at_mark(&u, (1ULL << 32) + 1000));

	/* consumed only once copied_seq is past the mark */
	KUNIT_EXPECT_FALSE(test, sdp_urg_consumed(&u, (1ULL << 32) + 1000));
	KUNIT_EXPECT_EQ(test, u.state, SDP_URG_READ);
	KUNIT_EXPECT_TRUE(test, sdp_urg_consumed(&u, (1ULL << 32) + 1001));
	KUNIT_EXPECT_EQ(test, u.state, SDP_URG_NONE);
	KUNIT_EXPECT_FALSE(test, sdp_urg_at_mark(&u, (1ULL << 32) + 1000));
	KUNIT_EXPECT_EQ(test, sdp_urg_limit(&u, (1ULL << 32) + 1000, 50,
					    true, false, &skip), (size_t)50);
}

static u32 sim_inq(const struct urg_sim *s)
{
	return sdp_urg_inq(&s->u, s->copied_seq, s->rcv_nxt - s->copied_seq,
			   s->oobinline);
}

/* SIOCINQ (tcp_inq): up to a queued urgent byte without SO_OOBINLINE,
 * also after it was read with MSG_OOB; all of it once the mark is passed,
 * inline, or while the byte is only announced
 */
static void urg_test_inq(struct kunit *test)
{
	struct urg_sim s;
	char buf[64], c;

	sim_init(&s, false);
	sim_data(&s, "xy", false);
	KUNIT_EXPECT_EQ(test, sim_inq(&s), 2U);
	sim_announce(&s);
	KUNIT_EXPECT_EQ(test, sim_inq(&s), 2U);
	sim_data(&s, "abU", true);
	sim_data(&s, "12", false);
	KUNIT_EXPECT_EQ(test, sim_inq(&s), 4U);
	KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 3, false), "xya");
	KUNIT_EXPECT_EQ(test, sim_inq(&s), 1U);
	KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 10, false), "b");
	KUNIT_EXPECT_EQ(test, sim_inq(&s), 0U);
	s.oobinline = true;
	KUNIT_EXPECT_EQ(test, sim_inq(&s), 3U);
	s.oobinline = false;
	KUNIT_EXPECT_EQ(test, sim_oob(&s, 0, &c), 1);
	KUNIT_EXPECT_EQ(test, c, 'U');
	KUNIT_EXPECT_EQ(test, sim_inq(&s), 0U);
	KUNIT_EXPECT_STREQ(test, sim_recv(&s, buf, 10, false), "12");
	KUNIT_EXPECT_EQ(test, sim_inq(&s), 0U);
	sim_data(&s, "z", false);
	KUNIT_EXPECT_EQ(test, sim_inq(&s), 1U);
}

static struct kunit_case wire_urg_cases[] = {
	KUNIT_CASE(urg_test_initial),
	KUNIT_CASE(urg_test_notyet),
	KUNIT_CASE(urg_test_slot),
	KUNIT_CASE(urg_test_passed_unread),
	KUNIT_CASE(urg_test_atmark_loop),
	KUNIT_CASE(urg_test_inline),
	KUNIT_CASE(urg_test_inline_toggle),
	KUNIT_CASE(urg_test_peek_stream),
	KUNIT_CASE(urg_test_override_before_mark),
	KUNIT_CASE(urg_test_override_at_mark),
	KUNIT_CASE(urg_test_announce_replaces),
	KUNIT_CASE(urg_test_stale),
	KUNIT_CASE(urg_test_limit),
	KUNIT_CASE(urg_test_inq),
	{}
};

static struct kunit_suite wire_urg_suite = {
	.name = "sdp_wire_urg",
	.test_cases = wire_urg_cases,
};

kunit_test_suites(&wire_urg_suite);
