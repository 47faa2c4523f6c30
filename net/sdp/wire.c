// SPDX-License-Identifier: GPL-2.0
/*
 * sdp wire format: pack, unpack and validate the BSDH, the extended
 * headers and Hello / HelloAck; credit arithmetic; the urgent-byte state
 * machine. Pure code on plain structs: no RDMA, no socket, no locking.
 * Every byte the peer sends passes the checks here before anything else
 * looks at it.
 */

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/build_bug.h>
#include <asm/byteorder.h>

#include "wire.h"

/* the layouts wire.md gives */
static_assert(sizeof(struct sdp_bsdh) == SDP_BSDH_LEN);
static_assert(sizeof(struct sdp_hello) == SDP_HELLO_LEN);
static_assert(sizeof(struct sdp_hello_ack) == SDP_HELLOACK_LEN);
static_assert(sizeof(struct sdp_ext_size) == 4);
static_assert(sizeof(struct sdp_ext_mode) == 4);
static_assert(sizeof(struct sdp_ext_susp) == 8);
static_assert(sizeof(struct sdp_ext_srcavail) == 16);
static_assert(sizeof(struct sdp_ext_sinkavail) == 20);

size_t sdp_ext_len(u8 mid)
{
	switch (mid) {
	case SDP_MID_HELLO:
		return sizeof(struct sdp_hello) - SDP_BSDH_LEN;
	case SDP_MID_HELLO_ACK:
		return sizeof(struct sdp_hello_ack) - SDP_BSDH_LEN;
	case SDP_MID_RDMA_WR_COMPL:
	case SDP_MID_RDMA_RD_COMPL:
	case SDP_MID_CH_RCVBUF:
	case SDP_MID_CH_RCVBUF_ACK:
		return sizeof(struct sdp_ext_size);
	case SDP_MID_MODE_CHANGE:
		return sizeof(struct sdp_ext_mode);
	case SDP_MID_SUSP_COMM:
		return sizeof(struct sdp_ext_susp);
	case SDP_MID_SINKAVAIL:
		return sizeof(struct sdp_ext_sinkavail);
	case SDP_MID_SRCAVAIL:
		return sizeof(struct sdp_ext_srcavail);
	default:
		return 0;
	}
}
EXPORT_SYMBOL_SDP_KUNIT(sdp_ext_len);

bool sdp_mid_known(u8 mid)
{
	switch (mid) {
	case SDP_MID_HELLO ... SDP_MID_SUSP_COMM_ACK:
	case SDP_MID_SINKAVAIL:
	case SDP_MID_SRCAVAIL:
	case SDP_MID_DATA:
		return true;
	default:
		return false;
	}
}
EXPORT_SYMBOL_SDP_KUNIT(sdp_mid_known);

const char *sdp_mid_name(u8 mid)
{
	switch (mid) {
	case SDP_MID_HELLO:		return "Hello";
	case SDP_MID_HELLO_ACK:		return "HelloAck";
	case SDP_MID_DISCONN:		return "DisConn";
	case SDP_MID_ABORT:		return "AbortConn";
	case SDP_MID_SENDSM:		return "SendSM";
	case SDP_MID_RDMA_WR_COMPL:	return "RdmaWrCompl";
	case SDP_MID_RDMA_RD_COMPL:	return "RdmaRdCompl";
	case SDP_MID_MODE_CHANGE:	return "ModeChange";
	case SDP_MID_SRCAVAIL_CANCEL:	return "SrcAvailCancel";
	case SDP_MID_SINKAVAIL_CANCEL:	return "SinkAvailCancel";
	case SDP_MID_SINK_CANCEL_ACK:	return "SinkCancelAck";
	case SDP_MID_CH_RCVBUF:		return "ChRcvBuf";
	case SDP_MID_CH_RCVBUF_ACK:	return "ChRcvBufAck";
	case SDP_MID_SUSP_COMM:		return "SuspComm";
	case SDP_MID_SUSP_COMM_ACK:	return "SuspCommAck";
	case SDP_MID_SINKAVAIL:		return "SinkAvail";
	case SDP_MID_SRCAVAIL:		return "SrcAvail";
	case SDP_MID_DATA:		return "DATA";
	default:			return "unknown";
	}
}
EXPORT_SYMBOL_SDP_KUNIT(sdp_mid_name);

/* mids whose message may carry stream bytes after the extended header */
static bool sdp_mid_has_payload(u8 mid)
{
	return mid == SDP_MID_DATA || mid == SDP_MID_SRCAVAIL;
}

/* mids that complete stream bytes and so may end a record */
static bool sdp_mid_may_eor(u8 mid)
{
	return mid == SDP_MID_DATA || mid == SDP_MID_SRCAVAIL ||
	       mid == SDP_MID_RDMA_WR_COMPL;
}

static bool sdp_rcvsz_ok(u32 sz)
{
	return sz >= SDP_MIN_RCVSZ && sz <= SDP_MAX_RCVSZ;
}

void sdp_pack_bsdh(void *buf, u8 mid, u8 flags, u16 bufs, u32 len,
		   u32 mseq, u32 mseq_ack)
{
	struct sdp_bsdh *b = buf;

	b->mid = mid;
	b->flags = flags;
	b->bufs = cpu_to_be16(bufs);
	b->len = cpu_to_be32(len);
	b->mseq = cpu_to_be32(mseq);
	b->mseq_ack = cpu_to_be32(mseq_ack);
}
EXPORT_SYMBOL_SDP_KUNIT(sdp_pack_bsdh);

size_t sdp_pack_msg(void *buf, const struct sdp_msg *m)
{
	void *ext = (u8 *)buf + SDP_BSDH_LEN;
	size_t elen = sdp_ext_len(m->mid);

	sdp_pack_bsdh(buf, m->mid, m->flags, m->bufs, m->len, m->mseq,
		      m->mseq_ack);

	switch (m->mid) {
	case SDP_MID_RDMA_WR_COMPL:
	case SDP_MID_RDMA_RD_COMPL:
	case SDP_MID_CH_RCVBUF:
	case SDP_MID_CH_RCVBUF_ACK: {
		struct sdp_ext_size *e = ext;

		e->size = cpu_to_be32(m->size);
		break;
	}
	case SDP_MID_MODE_CHANGE: {
		struct sdp_ext_mode *e = ext;

		e->flags = m->mode;
		memset(e->rsvd, 0, sizeof(e->rsvd));
		break;
	}
	case SDP_MID_SUSP_COMM: {
		struct sdp_ext_susp *e = ext;

		e->service_id = cpu_to_be64(m->service_id);
		break;
	}
	case SDP_MID_SINKAVAIL: {
		struct sdp_ext_sinkavail *e = ext;

		e->size = cpu_to_be32(m->size);
		e->rkey = cpu_to_be32(m->rkey);
		e->addr = cpu_to_be64(m->addr);
		e->non_discard = cpu_to_be32(m->non_discard);
		break;
	}
	case SDP_MID_SRCAVAIL: {
		struct sdp_ext_srcavail *e = ext;

		e->size = cpu_to_be32(m->size);
		e->rkey = cpu_to_be32(m->rkey);
		e->addr = cpu_to_be64(m->addr);
		break;
	}
	default:
		/* Hello / HelloAck have sdp_pack_hello*(); zero their rest */
		memset(ext, 0, elen);
		break;
	}
	return SDP_BSDH_LEN + elen;
}
EXPORT_SYMBOL_SDP_KUNIT(sdp_pack_msg);

/* fill the extended header fields of @m from the wire and check them */
static int sdp_unpack_ext(const void *ext, struct sdp_msg *m)
{
	switch (m->mid) {
	case SDP_MID_RDMA_WR_COMPL:
	case SDP_MID_RDMA_RD_COMPL:
	case SDP_MID_CH_RCVBUF:
	case SDP_MID_CH_RCVBUF_ACK: {
		const struct sdp_ext_size *e = ext;

		m->size = be32_to_cpu(e->size);
		if (!m->size)
			return -EBADMSG;
		if ((m->mid == SDP_MID_CH_RCVBUF ||
		     m->mid == SDP_MID_CH_RCVBUF_ACK) && !sdp_rcvsz_ok(m->size))
			return -EPROTO;
		return 0;
	}
	case SDP_MID_MODE_CHANGE: {
		const struct sdp_ext_mode *e = ext;

		m->mode = e->flags;	/* reserved bytes ignored */
		return 0;
	}
	case SDP_MID_SUSP_COMM: {
		const struct sdp_ext_susp *e = ext;

		m->service_id = be64_to_cpu(e->service_id);
		return 0;
	}
	case SDP_MID_SINKAVAIL: {
		const struct sdp_ext_sinkavail *e = ext;

		m->size = be32_to_cpu(e->size);
		m->rkey = be32_to_cpu(e->rkey);
		m->addr = be64_to_cpu(e->addr);
		m->non_discard = be32_to_cpu(e->non_discard);
		return m->size ? 0 : -EBADMSG;
	}
	case SDP_MID_SRCAVAIL: {
		const struct sdp_ext_srcavail *e = ext;

		m->size = be32_to_cpu(e->size);
		m->rkey = be32_to_cpu(e->rkey);
		m->addr = be64_to_cpu(e->addr);
		return m->size ? 0 : -EBADMSG;
	}
	default:
		return 0;
	}
}

int sdp_unpack_msg(const void *buf, size_t buflen, bool boundary,
		   struct sdp_msg *m)
{
	const struct sdp_bsdh *b = buf;
	size_t hlen, plen;
	u8 mid, flags;
	int err;

	memset(m, 0, sizeof(*m));

	if (buflen < SDP_BSDH_LEN)
		return -EBADMSG;
	if (be32_to_cpu(b->len) != buflen)
		return -EBADMSG;

	mid = b->mid;
	flags = b->flags;
	if (!sdp_mid_known(mid))
		return -EBADMSG;
	if (mid == SDP_MID_HELLO || mid == SDP_MID_HELLO_ACK)
		return -EPROTO;
	if (flags & ~SDP_F_ALL)
		return -EBADMSG;
	if (be16_to_cpu(b->bufs) > SDP_MAX_BUFS)
		return -EBADMSG;

	hlen = SDP_BSDH_LEN + sdp_ext_len(mid);
	if (buflen < hlen)
		return -EBADMSG;
	plen = buflen - hlen;
	if (plen && !sdp_mid_has_payload(mid))
		return -EBADMSG;
	if ((flags & SDP_F_OOB_PRES) && (mid != SDP_MID_DATA || !plen))
		return -EBADMSG;
	if (flags & SDP_F_EOR) {
		if (!sdp_mid_may_eor(mid))
			return -EBADMSG;
		if (!boundary)
			return -EPROTO;
	}

	m->mid = mid;
	m->flags = flags;
	m->bufs = be16_to_cpu(b->bufs);
	m->len = buflen;
	m->mseq = be32_to_cpu(b->mseq);
	m->mseq_ack = be32_to_cpu(b->mseq_ack);
	m->data_off = hlen;
	m->data_len = plen;

	err = sdp_unpack_ext((const u8 *)buf + SDP_BSDH_LEN, m);
	if (err)
		memset(m, 0, sizeof(*m));
	return err;
}
EXPORT_SYMBOL_SDP_KUNIT(sdp_unpack_msg);

void sdp_pack_rechdr(void *buf, const struct sdp_rec_info *ri)
{
	struct sdp_rechdr *h = buf;

	h->ppid = cpu_to_be32(ri->ppid);
	h->context = cpu_to_be32(ri->context);
	h->stream = cpu_to_be16(ri->stream);
	h->rsvd = 0;
}
EXPORT_SYMBOL_SDP_KUNIT(sdp_pack_rechdr);

int sdp_unpack_rechdr(const void *buf, size_t len, struct sdp_rec_info *ri)
{
	const struct sdp_rechdr *h = buf;

	memset(ri, 0, sizeof(*ri));
	if (len < SDP_RECHDR_LEN || h->rsvd)
		return -EBADMSG;
	ri->ppid = be32_to_cpu(h->ppid);
	ri->context = be32_to_cpu(h->context);
	ri->stream = be16_to_cpu(h->stream);
	return 0;
}
EXPORT_SYMBOL_SDP_KUNIT(sdp_unpack_rechdr);

void sdp_pack_hello(struct sdp_hello *h, const struct sdp_hello_info *i)
{
	memset(h, 0, sizeof(*h));
	sdp_pack_bsdh(&h->bsdh, SDP_MID_HELLO, 0, i->bufs, sizeof(*h), 0, 0);
	h->version = i->version;
	h->ipv = i->ipv;
	h->max_adverts = i->max_adverts;
	h->localrcvsz = cpu_to_be32(i->rcvsz);
	h->desremrcvsz = cpu_to_be32(i->desremrcvsz);
	h->caps = cpu_to_be32(i->caps);
	if (i->caps & SDP_CAP_MSG_BOUNDARY)
		h->src_port = cpu_to_be16(i->src_port);
}
EXPORT_SYMBOL_SDP_KUNIT(sdp_pack_hello);

/* The checks Hello and HelloAck share. The mid first, then the version:
 * another major version may lay out the rest differently, and the peer
 * should hear "version" rather than "bad Hello" then.
 */
static int sdp_check_hello_head(const struct sdp_bsdh *b, u8 mid, u32 size,
				u8 version)
{
	u16 bufs = be16_to_cpu(b->bufs);

	if (b->mid != mid)
		return -EBADMSG;
	if ((version >> 4) != (SDP_VERSION >> 4))
		return -EPROTONOSUPPORT;
	if (be32_to_cpu(b->len) != size || b->flags || b->mseq ||
	    b->mseq_ack)
		return -EBADMSG;
	if (!bufs || bufs > SDP_MAX_BUFS)
		return -EBADMSG;
	return 0;
}

int sdp_unpack_hello(const void *buf, size_t len, struct sdp_hello_info *i)
{
	const struct sdp_hello *h = buf;
	int err;

	memset(i, 0, sizeof(*i));
	if (len < sizeof(*h))
		return -EBADMSG;
	err = sdp_check_hello_head(&h->bsdh, SDP_MID_HELLO, sizeof(*h),
				   h->version);
	if (err)
		return err;
	if (h->ipv != 4 && h->ipv != 6)
		return -EBADMSG;
	if (!sdp_rcvsz_ok(be32_to_cpu(h->localrcvsz)))
		return -EBADMSG;
	if (h->desremrcvsz && !sdp_rcvsz_ok(be32_to_cpu(h->desremrcvsz)))
		return -EBADMSG;
	if (be32_to_cpu(h->caps) & ~SDP_CAP_ALL)
		return -EPROTO;

	i->version = h->version;
	i->ipv = h->ipv;
	i->max_adverts = h->max_adverts;
	i->bufs = be16_to_cpu(h->bsdh.bufs);
	i->rcvsz = be32_to_cpu(h->localrcvsz);
	i->desremrcvsz = be32_to_cpu(h->desremrcvsz);
	i->caps = be32_to_cpu(h->caps);
	if (i->caps & SDP_CAP_MSG_BOUNDARY)
		i->src_port = be16_to_cpu(h->src_port);
	return 0;
}
EXPORT_SYMBOL_SDP_KUNIT(sdp_unpack_hello);

void sdp_pack_hello_ack(struct sdp_hello_ack *h,
			const struct sdp_hello_info *i)
{
	memset(h, 0, sizeof(*h));
	sdp_pack_bsdh(&h->bsdh, SDP_MID_HELLO_ACK, 0, i->bufs, sizeof(*h),
		      0, 0);
	h->version = i->version;
	h->max_adverts = i->max_adverts;
	h->actrcvsz = cpu_to_be32(i->rcvsz);
	h->caps = cpu_to_be32(i->caps);
}
EXPORT_SYMBOL_SDP_KUNIT(sdp_pack_hello_ack);

int sdp_unpack_hello_ack(const void *buf, size_t len,
			 struct sdp_hello_info *i)
{
	const struct sdp_hello_ack *h = buf;
	int err;

	memset(i, 0, sizeof(*i));
	if (len < sizeof(*h))
		return -EBADMSG;
	err = sdp_check_hello_head(&h->bsdh, SDP_MID_HELLO_ACK, sizeof(*h),
				   h->version);
	if (err)
		return err;
	if (!sdp_rcvsz_ok(be32_to_cpu(h->actrcvsz)))
		return -EBADMSG;
	if (be32_to_cpu(h->caps) & ~SDP_CAP_ALL)
		return -EPROTO;

	i->version = h->version;
	i->max_adverts = h->max_adverts;
	i->bufs = be16_to_cpu(h->bsdh.bufs);
	i->rcvsz = be32_to_cpu(h->actrcvsz);
	i->caps = be32_to_cpu(h->caps);
	return 0;
}
EXPORT_SYMBOL_SDP_KUNIT(sdp_unpack_hello_ack);

u8 sdp_hello_rej_reason(int err)
{
	switch (err) {
	case -EPROTONOSUPPORT:
		return SDP_REJ_VERSION;
	case -EPROTO:
		return SDP_REJ_CAPS;
	default:
		return SDP_REJ_BAD_HELLO;
	}
}
EXPORT_SYMBOL_SDP_KUNIT(sdp_hello_rej_reason);

int sdp_credits(u32 tx_mseq, u32 mseq_ack, u16 bufs)
{
	u32 inflight = tx_mseq - mseq_ack;

	/* an ack "ahead" of what was sent, modulo 2^32: never sent */
	if ((s32)inflight < 0)
		return -1;
	if (inflight >= bufs)
		return 0;
	return bufs - inflight;
}
EXPORT_SYMBOL_SDP_KUNIT(sdp_credits);

/* Urgent data. See wire.h for TCP's rules this mirrors; the TCP function
 * each step follows is named next to it.
 */

static bool sdp_urg_has_mark(const struct sdp_urg *u)
{
	return u->state == SDP_URG_VALID || u->state == SDP_URG_READ;
}

void sdp_urg_init(struct sdp_urg *u)
{
	memset(u, 0, sizeof(*u));
	u->state = SDP_URG_NONE;
}
EXPORT_SYMBOL_SDP_KUNIT(sdp_urg_init);

/* A newer urgent byte takes the place of the current one (tcp_check_urg):
 * SIGURG; an old byte still in the slot loses it; if the reader stands
 * right on the old byte and would skip it (!SO_OOBINLINE), step over it
 * now, since once the mark has moved it would be read as data. Otherwise
 * the old byte stays in the stream as ordinary data, as in TCP.
 */
static unsigned int sdp_urg_replace(const struct sdp_urg *u, u64 copied_seq,
				    bool oobinline)
{
	unsigned int ev = SDP_URG_EV_SIGURG;

	if (!sdp_urg_has_mark(u) || oobinline)
		return ev;
	if (u->state == SDP_URG_VALID)
		ev |= SDP_URG_EV_DROPPED;
	if (u->mark == copied_seq)
		ev |= SDP_URG_EV_SKIP;
	return ev;
}

unsigned int sdp_urg_announce(struct sdp_urg *u, u64 copied_seq,
			      bool oobinline)
{
	unsigned int ev;

	/* the same announcement again (tcp_check_urg: not a newer pointer) */
	if (u->state == SDP_URG_NOTYET)
		return 0;
	ev = sdp_urg_replace(u, copied_seq, oobinline);
	u->state = SDP_URG_NOTYET;
	u->byte = 0;
	u->mark = 0;
	return ev;
}
EXPORT_SYMBOL_SDP_KUNIT(sdp_urg_announce);

unsigned int sdp_urg_arrive(struct sdp_urg *u, u64 off, u8 byte,
			    u64 copied_seq, bool oobinline)
{
	unsigned int ev = 0;

	/* already read past it, or not newer than the mark: ignore */
	if (off < copied_seq)
		return 0;
	if (sdp_urg_has_mark(u) && off <= u->mark)
		return 0;
	/* announced before: SIGURG went out then (tcp_urg only wakes) */
	if (u->state != SDP_URG_NOTYET)
		ev = sdp_urg_replace(u, copied_seq, oobinline);
	u->state = SDP_URG_VALID;
	u->byte = byte;
	u->mark = off;
	return ev;
}
EXPORT_SYMBOL_SDP_KUNIT(sdp_urg_arrive);

int sdp_urg_read(struct sdp_urg *u, unsigned int flags, u8 *byte)
{
	/* tcp_recv_urg: "No URG data to read" is EINVAL, also when inline */
	if ((flags & SDP_URG_RD_INLINE) || u->state == SDP_URG_NONE ||
	    u->state == SDP_URG_READ)
		return -EINVAL;
	if (flags & SDP_URG_RD_NOTCONN)
		return -ENOTCONN;
	if (u->state == SDP_URG_VALID) {
		*byte = u->byte;
		if (!(flags & SDP_URG_RD_PEEK))
			u->state = SDP_URG_READ;
		return 1;
	}
	/* NOTYET: end of stream reads as 0, else try later; never blocks */
	if (flags & SDP_URG_RD_DONE)
		return 0;
	return -EAGAIN;
}
EXPORT_SYMBOL_SDP_KUNIT(sdp_urg_read);

size_t sdp_urg_limit(const struct sdp_urg *u, u64 seq, size_t len,
		     bool copied, bool oobinline, bool *skip)
{
	u64 off;

	*skip = false;
	if (!len || !sdp_urg_has_mark(u) || u->mark < seq)
		return len;
	off = u->mark - seq;
	if (off) /* copy up to the mark, never across it */
		return min_t(u64, off, len);
	/* standing on the mark: a read that has data returns it first */
	if (copied)
		return 0;
	if (oobinline)
		return len;
	/* the byte is kept aside: step over it and go on */
	*skip = true;
	return len - 1;
}
EXPORT_SYMBOL_SDP_KUNIT(sdp_urg_limit);

bool sdp_urg_at_mark(const struct sdp_urg *u, u64 copied_seq)
{
	return sdp_urg_has_mark(u) && u->mark == copied_seq;
}
EXPORT_SYMBOL_SDP_KUNIT(sdp_urg_at_mark);

bool sdp_urg_consumed(struct sdp_urg *u, u64 copied_seq)
{
	if (!sdp_urg_has_mark(u) || copied_seq <= u->mark)
		return false;
	sdp_urg_init(u);
	return true;
}
EXPORT_SYMBOL_SDP_KUNIT(sdp_urg_consumed);

/* tcp_inq: a queued urgent byte ends what SIOCINQ counts (from the
 * reader to the mark) unless it is read inline; also once it was read
 * with MSG_OOB, until a read passes the mark
 */
u32 sdp_urg_inq(const struct sdp_urg *u, u64 copied_seq, u32 avail,
		bool oobinline)
{
	if (oobinline || !sdp_urg_has_mark(u) || u->mark < copied_seq ||
	    u->mark >= copied_seq + avail)
		return avail;
	return u->mark - copied_seq;
}
EXPORT_SYMBOL_SDP_KUNIT(sdp_urg_inq);

bool sdp_urg_pending(const struct sdp_urg *u)
{
	return u->state == SDP_URG_VALID;
}
EXPORT_SYMBOL_SDP_KUNIT(sdp_urg_pending);
