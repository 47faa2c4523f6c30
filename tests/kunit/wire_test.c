// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the sdp wire format (net/sdp/wire.c): BSDH and extended
 * headers, Hello / HelloAck, credits, the urgent-byte state machine.
 */

#include <kunit/test.h>
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/errno.h>

#include "wire.h"

/* every mid the protocol defines */
static const u8 all_mids[] = {
	SDP_MID_HELLO, SDP_MID_HELLO_ACK, SDP_MID_DISCONN, SDP_MID_ABORT,
	SDP_MID_SENDSM, SDP_MID_RDMA_WR_COMPL, SDP_MID_RDMA_RD_COMPL,
	SDP_MID_MODE_CHANGE, SDP_MID_SRCAVAIL_CANCEL,
	SDP_MID_SINKAVAIL_CANCEL, SDP_MID_SINK_CANCEL_ACK, SDP_MID_CH_RCVBUF,
	SDP_MID_CH_RCVBUF_ACK, SDP_MID_SUSP_COMM, SDP_MID_SUSP_COMM_ACK,
	SDP_MID_SINKAVAIL, SDP_MID_SRCAVAIL, SDP_MID_DATA,
};

/* the mids valid after setup, i.e. all but Hello / HelloAck */
static const u8 msg_mids[] = {
	SDP_MID_DISCONN, SDP_MID_ABORT, SDP_MID_SENDSM,
	SDP_MID_RDMA_WR_COMPL, SDP_MID_RDMA_RD_COMPL, SDP_MID_MODE_CHANGE,
	SDP_MID_SRCAVAIL_CANCEL, SDP_MID_SINKAVAIL_CANCEL,
	SDP_MID_SINK_CANCEL_ACK, SDP_MID_CH_RCVBUF, SDP_MID_CH_RCVBUF_ACK,
	SDP_MID_SUSP_COMM, SDP_MID_SUSP_COMM_ACK, SDP_MID_SINKAVAIL,
	SDP_MID_SRCAVAIL, SDP_MID_DATA,
};

static bool mid_has_payload(u8 mid)
{
	return mid == SDP_MID_DATA || mid == SDP_MID_SRCAVAIL;
}

#define MSG_BUF_LEN	256

/* a message of @mid whose fields are all set and all valid */
static void template_msg(struct sdp_msg *m, u8 mid, u8 flags, u32 plen)
{
	memset(m, 0, sizeof(*m));
	m->mid = mid;
	m->flags = flags;
	m->bufs = 0x0123;
	m->len = SDP_BSDH_LEN + sdp_ext_len(mid) + plen;
	m->mseq = 0x89abcdef;
	m->mseq_ack = 0x89abcde0;
	m->size = 4096;
	m->rkey = 0x11223344;
	m->addr = 0x0102030405060708ULL;
	m->non_discard = 0xa5a5a5a5;
	m->service_id = 0x013f000012345678ULL;
	m->mode = 0x15;
}

/* pack @m into @buf, fill @plen payload bytes after the header */
static size_t build_msg(u8 *buf, const struct sdp_msg *m, u32 plen)
{
	size_t hlen = sdp_pack_msg(buf, m);
	u32 i;

	for (i = 0; i < plen; i++)
		buf[hlen + i] = (u8)(0x40 + i);
	return hlen + plen;
}

static size_t mk_msg(u8 *buf, u8 mid, u8 flags, u32 plen)
{
	struct sdp_msg m;

	template_msg(&m, mid, flags, plen);
	return build_msg(buf, &m, plen);
}

/* rewrite the BSDH len field */
static void set_len(u8 *buf, u32 len)
{
	struct sdp_bsdh *b = (struct sdp_bsdh *)buf;

	b->len = cpu_to_be32(len);
}

static bool msg_is_zero(const struct sdp_msg *m)
{
	return !m->mid && !m->flags && !m->bufs && !m->len && !m->mseq &&
	       !m->mseq_ack && !m->size && !m->rkey && !m->addr &&
	       !m->non_discard && !m->service_id && !m->mode &&
	       !m->data_off && !m->data_len;
}

static void expect_unpack(struct kunit *test, const u8 *buf, size_t len,
			  bool boundary, int want)
{
	struct sdp_msg m;
	int err;

	memset(&m, 0xff, sizeof(m));
	err = sdp_unpack_msg(buf, len, boundary, &m);
	KUNIT_EXPECT_EQ_MSG(test, err, want, "mid 0x%02x len %zu", buf[0],
			    len);
	if (err)
		KUNIT_EXPECT_TRUE(test, msg_is_zero(&m));
}

/* ---- tables ---- */

static void wire_test_mid_table(struct kunit *test)
{
	unsigned int mid, known = 0;

	for (mid = 0; mid < 256; mid++) {
		bool k = sdp_mid_known(mid);
		const char *name = sdp_mid_name(mid);

		known += k;
		KUNIT_EXPECT_EQ_MSG(test, k, strcmp(name, "unknown") != 0,
				    "mid 0x%02x", mid);
		if (!k)
			KUNIT_EXPECT_EQ(test, sdp_ext_len(mid), (size_t)0);
	}
	KUNIT_EXPECT_EQ(test, known, (unsigned int)ARRAY_SIZE(all_mids));
	for (mid = 0; mid < ARRAY_SIZE(all_mids); mid++)
		KUNIT_EXPECT_TRUE(test, sdp_mid_known(all_mids[mid]));

	KUNIT_EXPECT_STREQ(test, sdp_mid_name(SDP_MID_DATA), "DATA");
	KUNIT_EXPECT_STREQ(test, sdp_mid_name(SDP_MID_SRCAVAIL), "SrcAvail");
	KUNIT_EXPECT_STREQ(test, sdp_mid_name(SDP_MID_HELLO), "Hello");
	KUNIT_EXPECT_STREQ(test, sdp_mid_name(0x0f), "unknown");

	/* the extended header sizes of wire.md */
	KUNIT_EXPECT_EQ(test, sdp_ext_len(SDP_MID_HELLO), (size_t)40);
	KUNIT_EXPECT_EQ(test, sdp_ext_len(SDP_MID_HELLO_ACK), (size_t)16);
	KUNIT_EXPECT_EQ(test, sdp_ext_len(SDP_MID_DISCONN), (size_t)0);
	KUNIT_EXPECT_EQ(test, sdp_ext_len(SDP_MID_ABORT), (size_t)0);
	KUNIT_EXPECT_EQ(test, sdp_ext_len(SDP_MID_SENDSM), (size_t)0);
	KUNIT_EXPECT_EQ(test, sdp_ext_len(SDP_MID_RDMA_WR_COMPL), (size_t)4);
	KUNIT_EXPECT_EQ(test, sdp_ext_len(SDP_MID_RDMA_RD_COMPL), (size_t)4);
	KUNIT_EXPECT_EQ(test, sdp_ext_len(SDP_MID_MODE_CHANGE), (size_t)4);
	KUNIT_EXPECT_EQ(test, sdp_ext_len(SDP_MID_SRCAVAIL_CANCEL), (size_t)0);
	KUNIT_EXPECT_EQ(test, sdp_ext_len(SDP_MID_SINKAVAIL_CANCEL), (size_t)0);
	KUNIT_EXPECT_EQ(test, sdp_ext_len(SDP_MID_SINK_CANCEL_ACK), (size_t)0);
	KUNIT_EXPECT_EQ(test, sdp_ext_len(SDP_MID_CH_RCVBUF), (size_t)4);
	KUNIT_EXPECT_EQ(test, sdp_ext_len(SDP_MID_CH_RCVBUF_ACK), (size_t)4);
	KUNIT_EXPECT_EQ(test, sdp_ext_len(SDP_MID_SUSP_COMM), (size_t)8);
	KUNIT_EXPECT_EQ(test, sdp_ext_len(SDP_MID_SUSP_COMM_ACK), (size_t)0);
	KUNIT_EXPECT_EQ(test, sdp_ext_len(SDP_MID_SINKAVAIL), (size_t)20);
	KUNIT_EXPECT_EQ(test, sdp_ext_len(SDP_MID_SRCAVAIL), (size_t)16);
	KUNIT_EXPECT_EQ(test, sdp_ext_len(SDP_MID_DATA), (size_t)0);
}

/* ---- byte layout ---- */

static void wire_test_bsdh_layout(struct kunit *test)
{
	static const u8 want[] = {
		0xff, 0x09, 0x12, 0x34, 0x00, 0x01, 0x02, 0x03,
		0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04,
	};
	u8 buf[SDP_BSDH_LEN + 1];

	memset(buf, 0xee, sizeof(buf));
	sdp_pack_bsdh(buf, SDP_MID_DATA, 0x09, 0x1234, 0x00010203,
		      0xdeadbeef, 0x01020304);
	KUNIT_EXPECT_EQ(test, memcmp(buf, want, sizeof(want)), 0);
	KUNIT_EXPECT_EQ(test, buf[SDP_BSDH_LEN], 0xee);	/* no overrun */
}

static void wire_test_ext_layout(struct kunit *test)
{
	static const u8 sink[] = {
		0xfd, 0x00, 0x01, 0x23, 0x00, 0x00, 0x00, 0x24,
		0x89, 0xab, 0xcd, 0xef, 0x89, 0xab, 0xcd, 0xe0,
		0x00, 0x00, 0x10, 0x00, 0x11, 0x22, 0x33, 0x44,
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0xa5, 0xa5, 0xa5, 0xa5,
	};
	static const u8 susp[] = {
		0x01, 0x3f, 0x00, 0x00, 0x12, 0x34, 0x56, 0x78,
	};
	static const u8 mode[] = { 0x15, 0x00, 0x00, 0x00 };
	u8 buf[MSG_BUF_LEN];
	struct sdp_msg m;

	template_msg(&m, SDP_MID_SINKAVAIL, 0, 0);
	memset(buf, 0xee, sizeof(buf));
	KUNIT_EXPECT_EQ(test, sdp_pack_msg(buf, &m), sizeof(sink));
	KUNIT_EXPECT_EQ(test, memcmp(buf, sink, sizeof(sink)), 0);
	KUNIT_EXPECT_EQ(test, buf[sizeof(sink)], 0xee);

	template_msg(&m, SDP_MID_SRCAVAIL, 0, 0);
	KUNIT_EXPECT_EQ(test, sdp_pack_msg(buf, &m), (size_t)32);
	KUNIT_EXPECT_EQ(test, buf[0], 0xfe);
	KUNIT_EXPECT_EQ(test, memcmp(buf + 16, sink + 16, 16), 0);

	template_msg(&m, SDP_MID_SUSP_COMM, 0, 0);
	KUNIT_EXPECT_EQ(test, sdp_pack_msg(buf, &m), (size_t)24);
	KUNIT_EXPECT_EQ(test, memcmp(buf + 16, susp, sizeof(susp)), 0);

	memset(buf, 0xee, sizeof(buf));
	template_msg(&m, SDP_MID_MODE_CHANGE, 0, 0);
	KUNIT_EXPECT_EQ(test, sdp_pack_msg(buf, &m), (size_t)20);
	KUNIT_EXPECT_EQ(test, memcmp(buf + 16, mode, sizeof(mode)), 0);

	template_msg(&m, SDP_MID_RDMA_RD_COMPL, 0, 0);
	KUNIT_EXPECT_EQ(test, sdp_pack_msg(buf, &m), (size_t)20);
	KUNIT_EXPECT_EQ(test, memcmp(buf + 16, sink + 16, 4), 0);

	memset(buf, 0xee, sizeof(buf));
	template_msg(&m, SDP_MID_DISCONN, 0, 0);
	KUNIT_EXPECT_EQ(test, sdp_pack_msg(buf, &m), (size_t)SDP_BSDH_LEN);
	KUNIT_EXPECT_EQ(test, buf[SDP_BSDH_LEN], 0xee);
}

/* ---- round trips, one case per mid ---- */

static void mid_desc(const u8 *mid, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s", sdp_mid_name(*mid));
}

KUNIT_ARRAY_PARAM(msg_mid, msg_mids, mid_desc);

static void check_round_trip(struct kunit *test, u8 mid, u8 flags,
			     u32 plen, bool boundary)
{
	u8 buf[MSG_BUF_LEN];
	struct sdp_msg in, out;
	size_t len, hlen;
	u32 i;

	template_msg(&in, mid, flags, plen);
	len = build_msg(buf, &in, plen);
	hlen = SDP_BSDH_LEN + sdp_ext_len(mid);
	KUNIT_ASSERT_EQ(test, len, hlen + plen);

	KUNIT_ASSERT_EQ(test, sdp_unpack_msg(buf, len, boundary, &out), 0);
	KUNIT_EXPECT_EQ(test, out.mid, mid);
	KUNIT_EXPECT_EQ(test, out.flags, flags);
	KUNIT_EXPECT_EQ(test, out.bufs, in.bufs);
	KUNIT_EXPECT_EQ(test, out.len, (u32)len);
	KUNIT_EXPECT_EQ(test, out.mseq, in.mseq);
	KUNIT_EXPECT_EQ(test, out.mseq_ack, in.mseq_ack);
	KUNIT_EXPECT_EQ(test, out.data_off, (u32)hlen);
	KUNIT_EXPECT_EQ(test, out.data_len, plen);
	for (i = 0; i < plen; i++)
		KUNIT_EXPECT_EQ(test, buf[out.data_off + i], (u8)(0x40 + i));

	/* the ext fields of this mid, and only those, come back */
	switch (mid) {
	case SDP_MID_RDMA_WR_COMPL:
	case SDP_MID_RDMA_RD_COMPL:
	case SDP_MID_CH_RCVBUF:
	case SDP_MID_CH_RCVBUF_ACK:
		KUNIT_EXPECT_EQ(test, out.size, in.size);
		KUNIT_EXPECT_EQ(test, out.rkey, 0U);
		KUNIT_EXPECT_EQ(test, out.addr, 0ULL);
		break;
	case SDP_MID_SRCAVAIL:
		KUNIT_EXPECT_EQ(test, out.size, in.size);
		KUNIT_EXPECT_EQ(test, out.rkey, in.rkey);
		KUNIT_EXPECT_EQ(test, out.addr, in.addr);
		KUNIT_EXPECT_EQ(test, out.non_discard, 0U);
		break;
	case SDP_MID_SINKAVAIL:
		KUNIT_EXPECT_EQ(test, out.size, in.size);
		KUNIT_EXPECT_EQ(test, out.rkey, in.rkey);
		KUNIT_EXPECT_EQ(test, out.addr, in.addr);
		KUNIT_EXPECT_EQ(test, out.non_discard, in.non_discard);
		break;
	case SDP_MID_MODE_CHANGE:
		KUNIT_EXPECT_EQ(test, out.mode, in.mode);
		KUNIT_EXPECT_EQ(test, out.size, 0U);
		break;
	case SDP_MID_SUSP_COMM:
		KUNIT_EXPECT_EQ(test, out.service_id, in.service_id);
		KUNIT_EXPECT_EQ(test, out.size, 0U);
		break;
	default:
		KUNIT_EXPECT_EQ(test, out.size, 0U);
		KUNIT_EXPECT_EQ(test, out.rkey, 0U);
		KUNIT_EXPECT_EQ(test, out.addr, 0ULL);
		KUNIT_EXPECT_EQ(test, out.non_discard, 0U);
		KUNIT_EXPECT_EQ(test, out.service_id, 0ULL);
		KUNIT_EXPECT_EQ(test, out.mode, 0);
		break;
	}
	if (mid != SDP_MID_SUSP_COMM)
		KUNIT_EXPECT_EQ(test, out.service_id, 0ULL);
	if (mid != SDP_MID_MODE_CHANGE)
		KUNIT_EXPECT_EQ(test, out.mode, 0);
}

static void wire_test_round_trip(struct kunit *test)
{
	const u8 mid = *(const u8 *)test->param_value;

	check_round_trip(test, mid, 0, 0, false);
	/* OOB_PEND may ride on anything, REQ_PIPE is tolerated */
	check_round_trip(test, mid, SDP_F_OOB_PEND | SDP_F_REQ_PIPE, 0,
			 false);
	if (mid_has_payload(mid)) {
		check_round_trip(test, mid, 0, 1, false);
		check_round_trip(test, mid, 0, 100, false);
	}
	if (mid == SDP_MID_DATA) {
		check_round_trip(test, mid, SDP_F_OOB_PRES, 1, false);
		check_round_trip(test, mid, SDP_F_OOB_PRES | SDP_F_OOB_PEND |
				 SDP_F_EOR, 7, true);
		check_round_trip(test, mid, SDP_F_EOR, 0, true);
	}
	if (mid == SDP_MID_SRCAVAIL)
		check_round_trip(test, mid, SDP_F_EOR, 3, true);
	if (mid == SDP_MID_RDMA_WR_COMPL)
		check_round_trip(test, mid, SDP_F_EOR, 0, true);
}

static void wire_test_round_trip_limits(struct kunit *test)
{
	u8 buf[MSG_BUF_LEN];
	struct sdp_msg in, out;
	size_t len;

	template_msg(&in, SDP_MID_SRCAVAIL, 0, 0);
	in.bufs = SDP_MAX_BUFS;
	in.mseq = 0xffffffff;
	in.mseq_ack = 0;
	in.size = 0xffffffff;
	in.rkey = 0xffffffff;
	in.addr = ~0ULL;
	len = build_msg(buf, &in, 0);
	KUNIT_ASSERT_EQ(test, sdp_unpack_msg(buf, len, false, &out), 0);
	KUNIT_EXPECT_EQ(test, out.bufs, (u16)SDP_MAX_BUFS);
	KUNIT_EXPECT_EQ(test, out.mseq, 0xffffffffU);
	KUNIT_EXPECT_EQ(test, out.mseq_ack, 0U);
	KUNIT_EXPECT_EQ(test, out.size, 0xffffffffU);
	KUNIT_EXPECT_EQ(test, out.rkey, 0xffffffffU);
	KUNIT_EXPECT_EQ(test, out.addr, ~0ULL);

	template_msg(&in, SDP_MID_CH_RCVBUF, 0, 0);
	in.size = SDP_MIN_RCVSZ;
	len = build_msg(buf, &in, 0);
	KUNIT_EXPECT_EQ(test, sdp_unpack_msg(buf, len, false, &out), 0);
	KUNIT_EXPECT_EQ(test, out.size, (u32)SDP_MIN_RCVSZ);
	in.size = SDP_MAX_RCVSZ;
	len = build_msg(buf, &in, 0);
	KUNIT_EXPECT_EQ(test, sdp_unpack_msg(buf, len, false, &out), 0);
	KUNIT_EXPECT_EQ(test, out.size, (u32)SDP_MAX_RCVSZ);

	/* a zero-length DATA is a credit update */
	template_msg(&in, SDP_MID_DATA, 0, 0);
	in.bufs = 0;
	len = build_msg(buf, &in, 0);
	KUNIT_EXPECT_EQ(test, len, (size_t)SDP_BSDH_LEN);
	KUNIT_EXPECT_EQ(test, sdp_unpack_msg(buf, len, false, &out), 0);
	KUNIT_EXPECT_EQ(test, out.data_len, 0U);
	KUNIT_EXPECT_EQ(test, out.bufs, 0);
}

/* ---- malformed and forbidden messages ---- */

static void wire_test_short_buffer(struct kunit *test)
{
	u8 buf[MSG_BUF_LEN];
	size_t n;

	mk_msg(buf, SDP_MID_DATA, 0, 0);
	for (n = 0; n < SDP_BSDH_LEN; n++) {
		set_len(buf, n);
		expect_unpack(test, buf, n, false, -EBADMSG);
	}
	set_len(buf, SDP_BSDH_LEN);
	expect_unpack(test, buf, SDP_BSDH_LEN, false, 0);
}

static void wire_test_len_mismatch(struct kunit *test)
{
	u8 buf[MSG_BUF_LEN];
	size_t len;

	len = mk_msg(buf, SDP_MID_DATA, 0, 10);
	expect_unpack(test, buf, len, false, 0);
	/* the completion reported more or less than the header says */
	expect_unpack(test, buf, len - 1, false, -EBADMSG);
	expect_unpack(test, buf, len + 1, false, -EBADMSG);
	expect_unpack(test, buf, SDP_BSDH_LEN, false, -EBADMSG);
	set_len(buf, 0);
	expect_unpack(test, buf, len, false, -EBADMSG);
	set_len(buf, 0xffffffff);
	expect_unpack(test, buf, len, false, -EBADMSG);
	/* a length that matches modulo 2^32 only */
	set_len(buf, len);
	expect_unpack(test, buf, len + (1ULL << 32), false, -EBADMSG);
}

static void wire_test_unknown_mid(struct kunit *test)
{
	u8 buf[MSG_BUF_LEN];
	unsigned int mid;
	size_t len;

	for (mid = 0; mid < 256; mid++) {
		if (sdp_mid_known(mid))
			continue;
		len = mk_msg(buf, SDP_MID_DATA, 0, 0);
		buf[0] = mid;
		expect_unpack(test, buf, len, false, -EBADMSG);
		/* with a payload or an ext-sized tail as well */
		len = mk_msg(buf, SDP_MID_DATA, 0, 20);
		buf[0] = mid;
		expect_unpack(test, buf, len, true, -EBADMSG);
	}
}

static void wire_test_hello_after_setup(struct kunit *test)
{
	struct sdp_hello_info i = {
		.version = SDP_VERSION, .ipv = 4, .bufs = 8,
		.rcvsz = 4096,
	};
	struct sdp_hello_ack ha;
	struct sdp_hello h;
	u8 buf[MSG_BUF_LEN];
	size_t len;

	sdp_pack_hello(&h, &i);
	expect_unpack(test, (u8 *)&h, sizeof(h), false, -EPROTO);
	sdp_pack_hello_ack(&ha, &i);
	expect_unpack(test, (u8 *)&ha, sizeof(ha), true, -EPROTO);
	/* even a bare BSDH with those mids */
	len = mk_msg(buf, SDP_MID_DATA, 0, 0);
	buf[0] = SDP_MID_HELLO;
	expect_unpack(test, buf, len, false, -EPROTO);
	buf[0] = SDP_MID_HELLO_ACK;
	expect_unpack(test, buf, len, false, -EPROTO);
}

static void wire_test_bad_flags(struct kunit *test)
{
	u8 buf[MSG_BUF_LEN];
	unsigned int f;
	size_t len;

	for (f = 0x10; f < 0x100; f++) {
		len = mk_msg(buf, SDP_MID_DATA, f, 4);
		expect_unpack(test, buf, len, true, -EBADMSG);
	}
	len = mk_msg(buf, SDP_MID_DISCONN, 0x80, 0);
	expect_unpack(test, buf, len, false, -EBADMSG);
}

static void wire_test_eor(struct kunit *test)
{
	u8 buf[MSG_BUF_LEN];
	size_t len;

	/* EOR without MSG_BOUNDARY: well-formed, not allowed */
	len = mk_msg(buf, SDP_MID_DATA, SDP_F_EOR, 4);
	expect_unpack(test, buf, len, false, -EPROTO);
	expect_unpack(test, buf, len, true, 0);
	len = mk_msg(buf, SDP_MID_SRCAVAIL, SDP_F_EOR, 0);
	expect_unpack(test, buf, len, false, -EPROTO);
	expect_unpack(test, buf, len, true, 0);
	len = mk_msg(buf, SDP_MID_RDMA_WR_COMPL, SDP_F_EOR, 0);
	expect_unpack(test, buf, len, false, -EPROTO);
	expect_unpack(test, buf, len, true, 0);
	/* on messages that carry no stream bytes EOR means nothing */
	len = mk_msg(buf, SDP_MID_DISCONN, SDP_F_EOR, 0);
	expect_unpack(test, buf, len, true, -EBADMSG);
	len = mk_msg(buf, SDP_MID_RDMA_RD_COMPL, SDP_F_EOR, 0);
	expect_unpack(test, buf, len, true, -EBADMSG);
	len = mk_msg(buf, SDP_MID_SINKAVAIL, SDP_F_EOR, 0);
	expect_unpack(test, buf, len, true, -EBADMSG);
}

static void wire_test_oob_pres(struct kunit *test)
{
	u8 buf[MSG_BUF_LEN];
	unsigned int k;
	size_t len;

	/* the urgent byte is the last payload byte: there must be one */
	len = mk_msg(buf, SDP_MID_DATA, SDP_F_OOB_PRES, 0);
	expect_unpack(test, buf, len, false, -EBADMSG);
	len = mk_msg(buf, SDP_MID_DATA, SDP_F_OOB_PRES | SDP_F_OOB_PEND, 0);
	expect_unpack(test, buf, len, false, -EBADMSG);
	len = mk_msg(buf, SDP_MID_DATA, SDP_F_OOB_PRES, 1);
	expect_unpack(test, buf, len, false, 0);
	/* only on DATA, even where a payload is allowed */
	len = mk_msg(buf, SDP_MID_SRCAVAIL, SDP_F_OOB_PRES, 5);
	expect_unpack(test, buf, len, false, -EBADMSG);
	for (k = 0; k < ARRAY_SIZE(msg_mids); k++) {
		if (msg_mids[k] == SDP_MID_DATA)
			continue;
		len = mk_msg(buf, msg_mids[k], SDP_F_OOB_PRES, 0);
		expect_unpack(test, buf, len, true, -EBADMSG);
	}
}

static void wire_test_ext_too_short(struct kunit *test)
{
	u8 buf[MSG_BUF_LEN];
	unsigned int k;
	size_t ext, cut;

	for (k = 0; k < ARRAY_SIZE(msg_mids); k++) {
		u8 mid = msg_mids[k];

		ext = sdp_ext_len(mid);
		if (!ext)
			continue;
		for (cut = 1; cut <= ext; cut++) {
			size_t len = mk_msg(buf, mid, 0, 0) - cut;

			set_len(buf, len);
			expect_unpack(test, buf, len, false, -EBADMSG);
		}
	}
}

static void wire_test_too_many_bufs(struct kunit *test)
{
	u8 buf[MSG_BUF_LEN];
	struct sdp_msg m;
	size_t len;

	template_msg(&m, SDP_MID_DATA, 0, 3);
	m.bufs = SDP_MAX_BUFS;
	len = build_msg(buf, &m, 3);
	expect_unpack(test, buf, len, false, 0);
	m.bufs = SDP_MAX_BUFS + 1;
	len = build_msg(buf, &m, 3);
	expect_unpack(test, buf, len, false, -EBADMSG);
	m.bufs = 0xffff;
	len = build_msg(buf, &m, 3);
	expect_unpack(test, buf, len, false, -EBADMSG);
	template_msg(&m, SDP_MID_ABORT, 0, 0);
	m.bufs = 0x8000;
	len = build_msg(buf, &m, 0);
	expect_unpack(test, buf, len, false, -EBADMSG);
}

static void wire_test_payload_on_control(struct kunit *test)
{
	u8 buf[MSG_BUF_LEN];
	unsigned int k;
	size_t len;

	for (k = 0; k < ARRAY_SIZE(msg_mids); k++) {
		u8 mid = msg_mids[k];

		len = mk_msg(buf, mid, 0, 1);
		expect_unpack(test, buf, len, false,
			      mid_has_payload(mid) ? 0 : -EBADMSG);
		len = mk_msg(buf, mid, 0, 64);
		expect_unpack(test, buf, len, false,
			      mid_has_payload(mid) ? 0 : -EBADMSG);
	}
}

static void wire_test_zero_size(struct kunit *test)
{
	static const u8 sized[] = {
		SDP_MID_RDMA_WR_COMPL, SDP_MID_RDMA_RD_COMPL,
		SDP_MID_SRCAVAIL, SDP_MID_SINKAVAIL, SDP_MID_CH_RCVBUF,
		SDP_MID_CH_RCVBUF_ACK,
	};
	u8 buf[MSG_BUF_LEN];
	struct sdp_msg m;
	unsigned int k;
	size_t len;

	for (k = 0; k < ARRAY_SIZE(sized); k++) {
		template_msg(&m, sized[k], 0, 0);
		m.size = 0;
		len = build_msg(buf, &m, 0);
		expect_unpack(test, buf, len, false, -EBADMSG);
		m.size = 1;
		len = build_msg(buf, &m, 0);
		/* a buffer size of 1 is well-formed but out of range */
		expect_unpack(test, buf, len, false,
			      (sized[k] == SDP_MID_CH_RCVBUF ||
			       sized[k] == SDP_MID_CH_RCVBUF_ACK) ?
			      -EPROTO : 0);
	}
	template_msg(&m, SDP_MID_CH_RCVBUF_ACK, 0, 0);
	m.size = SDP_MAX_RCVSZ + 1;
	len = build_msg(buf, &m, 0);
	expect_unpack(test, buf, len, false, -EPROTO);
	m.size = SDP_MIN_RCVSZ - 1;
	len = build_msg(buf, &m, 0);
	expect_unpack(test, buf, len, false, -EPROTO);
}

/* ---- Hello / HelloAck ---- */

static const struct sdp_hello_info hello_info = {
	.version = SDP_VERSION,
	.ipv = 6,
	.max_adverts = 3,
	.bufs = 64,
	.rcvsz = 8192,
	.desremrcvsz = 16384,
	.caps = SDP_CAP_RDMA_READ_ZCOPY | SDP_CAP_MSG_BOUNDARY,
};

static void wire_test_hello_round_trip(struct kunit *test)
{
	static const u8 want[32] = {
		0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x38,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x20, 0x06, 0x03, 0x00, 0x00, 0x00, 0x20, 0x00,
		0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x05,
	};
	u8 pd[196];	/* what rdma_cm may hand over: more, zero-filled */
	struct sdp_hello_info out;
	struct sdp_hello h;
	unsigned int k;

	memset(&h, 0xee, sizeof(h));
	sdp_pack_hello(&h, &hello_info);
	KUNIT_EXPECT_EQ(test, sizeof(h), (size_t)SDP_HELLO_LEN);
	KUNIT_EXPECT_EQ(test, memcmp(&h, want, sizeof(want)), 0);
	for (k = 0; k < sizeof(h.rsvd); k++)
		KUNIT_EXPECT_EQ(test, h.rsvd[k], 0);

	KUNIT_ASSERT_EQ(test, sdp_unpack_hello(&h, sizeof(h), &out), 0);
	KUNIT_EXPECT_EQ(test, out.version, hello_info.version);
	KUNIT_EXPECT_EQ(test, out.ipv, hello_info.ipv);
	KUNIT_EXPECT_EQ(test, out.max_adverts, hello_info.max_adverts);
	KUNIT_EXPECT_EQ(test, out.bufs, hello_info.bufs);
	KUNIT_EXPECT_EQ(test, out.rcvsz, hello_info.rcvsz);
	KUNIT_EXPECT_EQ(test, out.desremrcvsz, hello_info.desremrcvsz);
	KUNIT_EXPECT_EQ(test, out.caps, hello_info.caps);

	memset(pd, 0, sizeof(pd));
	memcpy(pd, &h, sizeof(h));
	KUNIT_EXPECT_EQ(test, sdp_unpack_hello(pd, sizeof(pd), &out), 0);
	KUNIT_EXPECT_EQ(test, out.rcvsz, hello_info.rcvsz);

	/* reserved bytes are ignored; a newer minor version is fine */
	h.rsvd0 = 0xff;
	memset(h.rsvd, 0xab, sizeof(h.rsvd));
	h.version = 0x2f;
	KUNIT_EXPECT_EQ(test, sdp_unpack_hello(&h, sizeof(h), &out), 0);
	KUNIT_EXPECT_EQ(test, out.version, 0x2f);
}

/* MSG_BOUNDARY: the Hello carries the one-to-many socket's port (bytes
 * 32-33, big-endian); without it the field is not sent nor read
 */
static void wire_test_hello_src_port(struct kunit *test)
{
	struct sdp_hello_info in = hello_info, out;
	struct sdp_hello h;
	const u8 *p = (const u8 *)&h;

	in.src_port = 0x1f90;
	sdp_pack_hello(&h, &in);
	KUNIT_EXPECT_EQ(test, p[32], 0x1f);
	KUNIT_EXPECT_EQ(test, p[33], 0x90);
	KUNIT_ASSERT_EQ(test, sdp_unpack_hello(&h, sizeof(h), &out), 0);
	KUNIT_EXPECT_EQ(test, out.src_port, 0x1f90);

	in.caps = SDP_CAP_RDMA_READ_ZCOPY;
	sdp_pack_hello(&h, &in);
	KUNIT_EXPECT_EQ(test, p[32], 0);
	KUNIT_EXPECT_EQ(test, p[33], 0);
	h.src_port = cpu_to_be16(0x1f90);
	KUNIT_ASSERT_EQ(test, sdp_unpack_hello(&h, sizeof(h), &out), 0);
	KUNIT_EXPECT_EQ(test, out.src_port, 0);
}

static void wire_test_hello_ack_round_trip(struct kunit *test)
{
	static const u8 want[] = {
		0x01, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x20,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x20, 0x03, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00,
		0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00,
	};
	u8 pd[196];
	struct sdp_hello_info out;
	struct sdp_hello_ack h;

	memset(&h, 0xee, sizeof(h));
	sdp_pack_hello_ack(&h, &hello_info);
	KUNIT_EXPECT_EQ(test, sizeof(h), (size_t)SDP_HELLOACK_LEN);
	KUNIT_EXPECT_EQ(test, memcmp(&h, want, sizeof(want)), 0);

	memset(&out, 0xff, sizeof(out));
	KUNIT_ASSERT_EQ(test, sdp_unpack_hello_ack(&h, sizeof(h), &out), 0);
	KUNIT_EXPECT_EQ(test, out.version, hello_info.version);
	KUNIT_EXPECT_EQ(test, out.max_adverts, hello_info.max_adverts);
	KUNIT_EXPECT_EQ(test, out.bufs, hello_info.bufs);
	KUNIT_EXPECT_EQ(test, out.rcvsz, hello_info.rcvsz);
	KUNIT_EXPECT_EQ(test, out.caps, hello_info.caps);
	KUNIT_EXPECT_EQ(test, out.ipv, 0);
	KUNIT_EXPECT_EQ(test, out.desremrcvsz, 0U);

	memset(pd, 0, sizeof(pd));
	memcpy(pd, &h, sizeof(h));
	KUNIT_EXPECT_EQ(test, sdp_unpack_hello_ack(pd, sizeof(pd), &out), 0);

	/* one is not the other */
	KUNIT_EXPECT_EQ(test, sdp_unpack_hello(pd, sizeof(pd), &out),
			-EBADMSG);
}

/* pack hello_info, apply @edit to the bytes, expect @want from unpack */
static void hello_case(struct kunit *test, bool ack,
		       void (*edit)(u8 *p, unsigned long v), unsigned long v,
		       int want)
{
	struct sdp_hello_info out;
	u8 buf[196];
	int err;

	memset(buf, 0, sizeof(buf));
	if (ack)
		sdp_pack_hello_ack((struct sdp_hello_ack *)buf, &hello_info);
	else
		sdp_pack_hello((struct sdp_hello *)buf, &hello_info);
	edit(buf, v);
	err = ack ? sdp_unpack_hello_ack(buf, sizeof(buf), &out) :
		    sdp_unpack_hello(buf, sizeof(buf), &out);
	KUNIT_EXPECT_EQ_MSG(test, err, want, "%s value 0x%lx",
			    ack ? "HelloAck" : "Hello", v);
}

static void ed_mid(u8 *p, unsigned long v)
{
	p[0] = v;
}

static void ed_flags(u8 *p, unsigned long v)
{
	p[1] = v;
}

static void ed_bufs(u8 *p, unsigned long v)
{
	((struct sdp_bsdh *)p)->bufs = cpu_to_be16(v);
}

static void ed_len(u8 *p, unsigned long v)
{
	((struct sdp_bsdh *)p)->len = cpu_to_be32(v);
}

static void ed_mseq(u8 *p, unsigned long v)
{
	((struct sdp_bsdh *)p)->mseq = cpu_to_be32(v);
}

static void ed_mseq_ack(u8 *p, unsigned long v)
{
	((struct sdp_bsdh *)p)->mseq_ack = cpu_to_be32(v);
}

static void ed_version(u8 *p, unsigned long v)
{
	p[16] = v;	/* same offset in Hello and HelloAck */
}

static void ed_ipv(u8 *p, unsigned long v)
{
	((struct sdp_hello *)p)->ipv = v;
}

static void ed_localrcvsz(u8 *p, unsigned long v)
{
	((struct sdp_hello *)p)->localrcvsz = cpu_to_be32(v);
}

static void ed_desremrcvsz(u8 *p, unsigned long v)
{
	((struct sdp_hello *)p)->desremrcvsz = cpu_to_be32(v);
}

static void ed_caps(u8 *p, unsigned long v)
{
	((struct sdp_hello *)p)->caps = cpu_to_be32(v);
}

static void ed_actrcvsz(u8 *p, unsigned long v)
{
	((struct sdp_hello_ack *)p)->actrcvsz = cpu_to_be32(v);
}

static void ed_ack_caps(u8 *p, unsigned long v)
{
	((struct sdp_hello_ack *)p)->caps = cpu_to_be32(v);
}

static void ed_ack_rsvd(u8 *p, unsigned long v)
{
	struct sdp_hello_ack *h = (struct sdp_hello_ack *)p;

	memset(h->rsvd0, (int)v, sizeof(h->rsvd0));
	memset(h->rsvd, (int)v, sizeof(h->rsvd));
}

static void ed_tail(u8 *p, unsigned long v)
{
	memset(p + SDP_HELLO_LEN, (int)v, 196 - SDP_HELLO_LEN);
}

static void wire_test_hello_bad(struct kunit *test)
{
	struct sdp_hello_info out;
	struct sdp_hello h;
	unsigned int v;

	/* short private data */
	sdp_pack_hello(&h, &hello_info);
	KUNIT_EXPECT_EQ(test, sdp_unpack_hello(&h, sizeof(h) - 1, &out),
			-EBADMSG);
	KUNIT_EXPECT_EQ(test, sdp_unpack_hello(&h, 0, &out), -EBADMSG);

	/* version: major must be 2 */
	hello_case(test, false, ed_version, 0x20, 0);
	hello_case(test, false, ed_version, 0x21, 0);
	hello_case(test, false, ed_version, 0x10, -EPROTONOSUPPORT);
	hello_case(test, false, ed_version, 0x30, -EPROTONOSUPPORT);
	hello_case(test, false, ed_version, 0x00, -EPROTONOSUPPORT);
	hello_case(test, false, ed_version, 0x02, -EPROTONOSUPPORT);
	hello_case(test, false, ed_version, 0xff, -EPROTONOSUPPORT);

	/* ip version */
	hello_case(test, false, ed_ipv, 4, 0);
	hello_case(test, false, ed_ipv, 6, 0);
	for (v = 0; v < 256; v++)
		if (v != 4 && v != 6)
			hello_case(test, false, ed_ipv, v, -EBADMSG);

	/* receive buffer sizes */
	hello_case(test, false, ed_localrcvsz, SDP_MIN_RCVSZ, 0);
	hello_case(test, false, ed_localrcvsz, SDP_MAX_RCVSZ, 0);
	hello_case(test, false, ed_localrcvsz, 0, -EBADMSG);
	hello_case(test, false, ed_localrcvsz, SDP_MIN_RCVSZ - 1, -EBADMSG);
	hello_case(test, false, ed_localrcvsz, SDP_MAX_RCVSZ + 1, -EBADMSG);
	hello_case(test, false, ed_localrcvsz, 0xffffffff, -EBADMSG);
	hello_case(test, false, ed_desremrcvsz, 0, 0);
	hello_case(test, false, ed_desremrcvsz, SDP_MIN_RCVSZ, 0);
	hello_case(test, false, ed_desremrcvsz, 1, -EBADMSG);
	hello_case(test, false, ed_desremrcvsz, SDP_MAX_RCVSZ + 1, -EBADMSG);

	/* capabilities: unknown bits are refused */
	hello_case(test, false, ed_caps, 0, 0);
	hello_case(test, false, ed_caps, SDP_CAP_ALL, 0);
	hello_case(test, false, ed_caps, SDP_CAP_ALL + 1, -EPROTO);
	hello_case(test, false, ed_caps, 0x80000000, -EPROTO);
	hello_case(test, false, ed_caps, 0xffffffff, -EPROTO);

	/* the BSDH of a Hello */
	hello_case(test, false, ed_mid, SDP_MID_HELLO_ACK, -EBADMSG);
	hello_case(test, false, ed_mid, SDP_MID_DATA, -EBADMSG);
	hello_case(test, false, ed_len, SDP_HELLO_LEN - 1, -EBADMSG);
	hello_case(test, false, ed_len, SDP_HELLO_LEN + 1, -EBADMSG);
	hello_case(test, false, ed_len, 196, -EBADMSG);
	hello_case(test, false, ed_flags, SDP_F_OOB_PEND, -EBADMSG);
	hello_case(test, false, ed_flags, 0x80, -EBADMSG);
	hello_case(test, false, ed_mseq, 1, -EBADMSG);
	hello_case(test, false, ed_mseq_ack, 0x80000000, -EBADMSG);
	hello_case(test, false, ed_bufs, 1, 0);
	hello_case(test, false, ed_bufs, SDP_MAX_BUFS, 0);
	hello_case(test, false, ed_bufs, 0, -EBADMSG);
	hello_case(test, false, ed_bufs, SDP_MAX_BUFS + 1, -EBADMSG);
	hello_case(test, false, ed_bufs, 0xffff, -EBADMSG);

	/* what follows the Hello in the private data is not looked at */
	hello_case(test, false, ed_tail, 0xff, 0);

	/* the wrong major version wins over the rest being garbage */
	sdp_pack_hello(&h, &hello_info);
	h.version = 0x30;
	h.ipv = 9;
	h.caps = cpu_to_be32(0xffffffff);
	KUNIT_EXPECT_EQ(test, sdp_unpack_hello(&h, sizeof(h), &out),
			-EPROTONOSUPPORT);

	KUNIT_EXPECT_EQ(test, sdp_hello_rej_reason(-EPROTONOSUPPORT),
			SDP_REJ_VERSION);
	KUNIT_EXPECT_EQ(test, sdp_hello_rej_reason(-EPROTO), SDP_REJ_CAPS);
	KUNIT_EXPECT_EQ(test, sdp_hello_rej_reason(-EBADMSG),
			SDP_REJ_BAD_HELLO);
}

static void wire_test_hello_ack_bad(struct kunit *test)
{
	struct sdp_hello_info out;
	struct sdp_hello_ack h;

	sdp_pack_hello_ack(&h, &hello_info);
	KUNIT_EXPECT_EQ(test, sdp_unpack_hello_ack(&h, sizeof(h) - 1, &out),
			-EBADMSG);

	hello_case(test, true, ed_version, 0x2a, 0);
	hello_case(test, true, ed_version, 0x10, -EPROTONOSUPPORT);
	hello_case(test, true, ed_version, 0x30, -EPROTONOSUPPORT);
	hello_case(test, true, ed_actrcvsz, SDP_MIN_RCVSZ, 0);
	hello_case(test, true, ed_actrcvsz, SDP_MAX_RCVSZ, 0);
	hello_case(test, true, ed_actrcvsz, 0, -EBADMSG);
	hello_case(test, true, ed_actrcvsz, SDP_MIN_RCVSZ - 1, -EBADMSG);
	hello_case(test, true, ed_actrcvsz, SDP_MAX_RCVSZ + 1, -EBADMSG);
	hello_case(test, true, ed_ack_caps, SDP_CAP_ALL, 0);
	hello_case(test, true, ed_ack_caps, 0x08, -EPROTO);
	hello_case(test, true, ed_mid, SDP_MID_HELLO, -EBADMSG);
	hello_case(test, true, ed_len, SDP_HELLO_LEN, -EBADMSG);
	hello_case(test, true, ed_len, SDP_HELLOACK_LEN + 1, -EBADMSG);
	hello_case(test, true, ed_flags, SDP_F_EOR, -EBADMSG);
	hello_case(test, true, ed_mseq, 7, -EBADMSG);
	hello_case(test, true, ed_mseq_ack, 7, -EBADMSG);
	hello_case(test, true, ed_bufs, 0, -EBADMSG);
	hello_case(test, true, ed_bufs, SDP_MAX_BUFS + 1, -EBADMSG);
	/* reserved bytes ignored */
	hello_case(test, true, ed_ack_rsvd, 0xff, 0);
}

/* ---- credits ---- */

static void wire_test_credits(struct kunit *test)
{
	/* right after setup: the Hello's bufs */
	KUNIT_EXPECT_EQ(test, sdp_credits(0, 0, 16), 16);
	/* first message has mseq 1 and takes one buffer */
	KUNIT_EXPECT_EQ(test, sdp_credits(1, 0, 16), 15);
	KUNIT_EXPECT_EQ(test, sdp_credits(16, 0, 16), 0);
	/* the peer consumed and reposted */
	KUNIT_EXPECT_EQ(test, sdp_credits(16, 16, 16), 16);
	KUNIT_EXPECT_EQ(test, sdp_credits(16, 10, 16), 10);
	/* more in flight than the peer reports: none, not negative */
	KUNIT_EXPECT_EQ(test, sdp_credits(20, 0, 16), 0);
	KUNIT_EXPECT_EQ(test, sdp_credits(5, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, sdp_credits(0x7fffffff, 0, 0xffff), 0);
	/* the peer shrank its ring */
	KUNIT_EXPECT_EQ(test, sdp_credits(10, 9, 1), 0);
	KUNIT_EXPECT_EQ(test, sdp_credits(10, 10, 1), 1);
	/* limits */
	KUNIT_EXPECT_EQ(test, sdp_credits(7, 7, 0xffff), 0xffff);
	KUNIT_EXPECT_EQ(test, sdp_credits(7, 7, 0), 0);
}

static void wire_test_credits_wrap(struct kunit *test)
{
	/* mseq wraps past 2^32 */
	KUNIT_EXPECT_EQ(test, sdp_credits(2, 0xffffffff, 16), 13);
	KUNIT_EXPECT_EQ(test, sdp_credits(0, 0xffffffff, 16), 15);
	KUNIT_EXPECT_EQ(test, sdp_credits(0, 0xfffffff0, 16), 0);
	KUNIT_EXPECT_EQ(test, sdp_credits(0x0000000f, 0xfffffff0, 64), 33);
	KUNIT_EXPECT_EQ(test, sdp_credits(0xffffffff, 0xffffffff, 8), 8);
	KUNIT_EXPECT_EQ(test, sdp_credits(0x80000005, 0x80000000, 8), 3);
}

static void wire_test_credits_impossible(struct kunit *test)
{
	/* an ack of a message never sent */
	KUNIT_EXPECT_EQ(test, sdp_credits(0, 1, 16), -1);
	KUNIT_EXPECT_EQ(test, sdp_credits(5, 6, 16), -1);
	KUNIT_EXPECT_EQ(test, sdp_credits(0xffffffff, 0, 16), -1);
	KUNIT_EXPECT_EQ(test, sdp_credits(0, 0x80000000, 16), -1);
	/* the boundary: 2^31 - 1 in flight is possible, 2^31 is not */
	KUNIT_EXPECT_EQ(test, sdp_credits(0x7ffffffe, 0xffffffff, 16), 0);
	KUNIT_EXPECT_EQ(test, sdp_credits(0x7fffffff, 0xffffffff, 16), -1);
	/* ahead across the wrap */
	KUNIT_EXPECT_EQ(test, sdp_credits(0xfffffffe, 1, 16), -1);
	KUNIT_EXPECT_EQ(test, sdp_credits(0xffffffff, 0, 0), -1);
}

static struct kunit_case wire_msg_cases[] = {
	KUNIT_CASE(wire_test_mid_table),
	KUNIT_CASE(wire_test_bsdh_layout),
	KUNIT_CASE(wire_test_ext_layout),
	KUNIT_CASE_PARAM(wire_test_round_trip, msg_mid_gen_params),
	KUNIT_CASE(wire_test_round_trip_limits),
	KUNIT_CASE(wire_test_short_buffer),
	KUNIT_CASE(wire_test_len_mismatch),
	KUNIT_CASE(wire_test_unknown_mid),
	KUNIT_CASE(wire_test_hello_after_setup),
	KUNIT_CASE(wire_test_bad_flags),
	KUNIT_CASE(wire_test_eor),
	KUNIT_CASE(wire_test_oob_pres),
	KUNIT_CASE(wire_test_ext_too_short),
	KUNIT_CASE(wire_test_too_many_bufs),
	KUNIT_CASE(wire_test_payload_on_control),
	KUNIT_CASE(wire_test_zero_size),
	KUNIT_CASE(wire_test_hello_round_trip),
	KUNIT_CASE(wire_test_hello_src_port),
	KUNIT_CASE(wire_test_hello_ack_round_trip),
	KUNIT_CASE(wire_test_hello_bad),
	KUNIT_CASE(wire_test_hello_ack_bad),
	KUNIT_CASE(wire_test_credits),
	KUNIT_CASE(wire_test_credits_wrap),
	KUNIT_CASE(wire_test_credits_impossible),
	{}
};

static struct kunit_suite wire_msg_suite = {
	.name = "sdp_wire",
	.test_cases = wire_msg_cases,
};

kunit_test_suites(&wire_msg_suite);

MODULE_DESCRIPTION("KUnit tests of the sdp wire format");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(SDP_KUNIT);
