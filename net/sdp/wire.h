/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sdp wire format: the BSDH, extended headers, Hello / HelloAck, credit
 * arithmetic and the urgent-byte state machine. Pure code: no RDMA calls,
 * no socket state, so KUnit tests it without a device. Everything the peer
 * sends is validated here before anything else reads it.
 */
#ifndef _SDP_WIRE_H
#define _SDP_WIRE_H

#include <linux/types.h>
#include <linux/export.h>
#include <linux/kconfig.h>

/* wire.c is linked into sdp.ko; the KUnit module sdp_kunit.ko calls its
 * functions, so they are exported, in a namespace of their own, only in
 * kernels with KUnit.
 */
#if IS_ENABLED(CONFIG_KUNIT)
#define EXPORT_SYMBOL_SDP_KUNIT(sym)	EXPORT_SYMBOL_NS_GPL(sym, SDP_KUNIT)
#else
#define EXPORT_SYMBOL_SDP_KUNIT(sym)
#endif

#define SDP_VERSION		0x20	/* 2.0: major << 4 | minor */
#define SDP_BSDH_LEN		16
#define SDP_HELLO_LEN		56	/* what rdma_cm leaves in a REQ */
#define SDP_HELLOACK_LEN	32

/* message ids */
enum sdp_mid {
	SDP_MID_HELLO		= 0x00,
	SDP_MID_HELLO_ACK	= 0x01,
	SDP_MID_DISCONN		= 0x02,
	SDP_MID_ABORT		= 0x03,
	SDP_MID_SENDSM		= 0x04,
	SDP_MID_RDMA_WR_COMPL	= 0x05,
	SDP_MID_RDMA_RD_COMPL	= 0x06,
	SDP_MID_MODE_CHANGE	= 0x07,
	SDP_MID_SRCAVAIL_CANCEL	= 0x08,
	SDP_MID_SINKAVAIL_CANCEL = 0x09,
	SDP_MID_SINK_CANCEL_ACK	= 0x0A,
	SDP_MID_CH_RCVBUF	= 0x0B,
	SDP_MID_CH_RCVBUF_ACK	= 0x0C,
	SDP_MID_SUSP_COMM	= 0x0D,
	SDP_MID_SUSP_COMM_ACK	= 0x0E,
	SDP_MID_SINKAVAIL	= 0xFD,
	SDP_MID_SRCAVAIL	= 0xFE,
	SDP_MID_DATA		= 0xFF,
};

/* BSDH flags */
#define SDP_F_OOB_PRES		0x01
#define SDP_F_OOB_PEND		0x02
#define SDP_F_REQ_PIPE		0x04
#define SDP_F_EOR		0x08
#define SDP_F_ALL		0x0F

/* capability bits in Hello / HelloAck */
#define SDP_CAP_RDMA_READ_ZCOPY		0x01
#define SDP_CAP_RDMA_WRITE_ZCOPY	0x02
#define SDP_CAP_MSG_BOUNDARY		0x04
#define SDP_CAP_ALL			0x07

/* limits a peer must respect; anything beyond is garbage */
#define SDP_MIN_RCVSZ		(SDP_BSDH_LEN + 64)
#define SDP_MAX_RCVSZ		(1024U * 1024U)
#define SDP_MAX_BUFS		4096

/* REJ private data: reason codes */
#define SDP_REJ_BAD_HELLO	1
#define SDP_REJ_VERSION		2
#define SDP_REJ_CAPS		3
#define SDP_REJ_BACKLOG		4
#define SDP_REJ_NOMEM		5
#define SDP_REJ_NO_LISTENER	6

struct sdp_bsdh {
	u8	mid;
	u8	flags;
	__be16	bufs;
	__be32	len;
	__be32	mseq;
	__be32	mseq_ack;
} __packed;

struct sdp_hello {
	struct sdp_bsdh	bsdh;
	u8	version;
	u8	ipv;
	u8	max_adverts;
	u8	rsvd0;
	__be32	localrcvsz;
	__be32	desremrcvsz;
	__be32	caps;
	__be16	src_port;	/* MSG_BOUNDARY: the sender's socket's port */
	u8	rsvd[22];
} __packed;

struct sdp_hello_ack {
	struct sdp_bsdh	bsdh;
	u8	version;
	u8	max_adverts;
	u8	rsvd0[2];
	__be32	actrcvsz;
	__be32	caps;
	u8	rsvd[4];
} __packed;

struct sdp_rej {
	u8	version;
	u8	reason;
	u8	rsvd[2];
} __packed;

/* extended headers */
struct sdp_ext_size {
	__be32	size;
} __packed;

struct sdp_ext_srcavail {
	__be32	size;
	__be32	rkey;
	__be64	addr;
} __packed;

struct sdp_ext_sinkavail {
	__be32	size;
	__be32	rkey;
	__be64	addr;
	__be32	non_discard;
} __packed;

struct sdp_ext_mode {
	u8	flags;
	u8	rsvd[3];
} __packed;

struct sdp_ext_susp {
	__be64	service_id;
} __packed;

/* MSG_BOUNDARY connections (SOCK_SEQPACKET), a local extension: the
 * payload of the first DATA message of every record starts with this
 * header, the sender's per-message info (SDP_SNDRCV); EOR marks the last.
 */
struct sdp_rechdr {
	__be32	ppid;
	__be32	context;
	__be16	stream;
	__be16	rsvd;		/* 0 */
} __packed;

#define SDP_RECHDR_LEN		sizeof(struct sdp_rechdr)

struct sdp_rec_info {
	u32	ppid;		/* as the sender's application gave it */
	u32	context;
	u16	stream;
};

void sdp_pack_rechdr(void *buf, const struct sdp_rec_info *ri);
/* -EBADMSG: shorter than a record header, or rsvd not 0 */
int sdp_unpack_rechdr(const void *buf, size_t len, struct sdp_rec_info *ri);

/* host-order view of a BSDH and its extended header */
struct sdp_msg {
	u8	mid;
	u8	flags;
	u16	bufs;
	u32	len;		/* whole message, BSDH included */
	u32	mseq;
	u32	mseq_ack;
	/* extended header, valid according to mid */
	u32	size;
	u32	rkey;
	u64	addr;
	u32	non_discard;
	u64	service_id;
	u8	mode;
	/* payload: offset from the start of the message and length */
	u32	data_off;
	u32	data_len;
};

struct sdp_hello_info {
	u8	version;
	u8	ipv;
	u8	max_adverts;
	u16	bufs;
	u32	rcvsz;		/* Hello: localrcvsz; HelloAck: actrcvsz */
	u32	desremrcvsz;	/* Hello only */
	u32	caps;
	/* Hello with MSG_BOUNDARY: the port of the one-to-many socket the
	 * association belongs to (its rdma_cm id has a port of its own);
	 * 0: none, the connection's own port stands
	 */
	u16	src_port;
};

size_t sdp_ext_len(u8 mid);
bool sdp_mid_known(u8 mid);
const char *sdp_mid_name(u8 mid);

void sdp_pack_bsdh(void *buf, u8 mid, u8 flags, u16 bufs, u32 len,
		   u32 mseq, u32 mseq_ack);
/* pack a whole message header (BSDH + ext of m->mid); returns header len */
size_t sdp_pack_msg(void *buf, const struct sdp_msg *m);
/* Validate and unpack one received message of @buflen bytes (the byte
 * count the completion reported). Returns 0 or -EBADMSG / -EPROTO.
 * @boundary: the connection negotiated MSG_BOUNDARY (EOR allowed).
 *
 * -EBADMSG (malformed): shorter than a BSDH, BSDH len != @buflen, unknown
 * mid, flags outside SDP_F_ALL, bufs > SDP_MAX_BUFS, shorter than BSDH +
 * extended header, payload on a mid other than DATA / SrcAvail, OOB_PRES
 * other than on a DATA with payload, EOR other than on DATA / SrcAvail /
 * RdmaWrCompl (the messages that complete stream bytes), a zero size in
 * RdmaWrCompl / RdmaRdCompl / SrcAvail / SinkAvail / ChRcvBuf /
 * ChRcvBufAck.
 * -EPROTO (well-formed, not allowed): Hello / HelloAck after setup, EOR on
 * a connection without MSG_BOUNDARY, a ChRcvBuf(Ack) size outside
 * [SDP_MIN_RCVSZ, SDP_MAX_RCVSZ].
 * On success @m holds the host-order BSDH, the extended header of the mid
 * (other ext fields 0) and the payload's place: data_off = BSDH + ext,
 * data_len = the rest. On error @m is zeroed.
 */
int sdp_unpack_msg(const void *buf, size_t buflen, bool boundary,
		   struct sdp_msg *m);

/* Hello / HelloAck. Pack writes mseq = mseq_ack = 0 and flags = 0 (mseq 0
 * is the Hello; the first message after setup has mseq 1), the version
 * from @i (callers use SDP_VERSION) and zeroes the reserved bytes.
 * Unpack takes @len >= the struct size (rdma_cm may hand more private
 * data than was sent) and returns 0, or
 *   -EBADMSG          short, wrong mid, BSDH len != struct size, flags,
 *                     mseq or mseq_ack not 0, bufs not in
 *                     [1, SDP_MAX_BUFS], ipv not 4 / 6 (Hello), a receive
 *                     size outside [SDP_MIN_RCVSZ, SDP_MAX_RCVSZ]
 *                     (desremrcvsz may also be 0)
 *   -EPROTONOSUPPORT  major version is not 2
 *   -EPROTO           unknown capability bits
 * Reserved bytes are ignored. HelloAck leaves ipv and desremrcvsz 0.
 */
void sdp_pack_hello(struct sdp_hello *h, const struct sdp_hello_info *i);
int sdp_unpack_hello(const void *buf, size_t len, struct sdp_hello_info *i);
void sdp_pack_hello_ack(struct sdp_hello_ack *h,
			const struct sdp_hello_info *i);
int sdp_unpack_hello_ack(const void *buf, size_t len,
			 struct sdp_hello_info *i);
/* the SDP_REJ_* reason for an error of sdp_unpack_hello() */
u8 sdp_hello_rej_reason(int err);

/* Credits: the number of messages this side may still send, given the
 * peer's latest report (mseq_ack, bufs) and the mseq of the last message
 * this side sent. Messages sent after mseq_ack occupy peer buffers.
 * Returns -1 for an impossible report (the peer acked a message never
 * sent), else the credits (0 when none).
 *
 * Convention: the Hello / HelloAck have mseq 0 and the first message after
 * them mseq 1, so right after setup tx_mseq = mseq_ack = 0 and the
 * credits are the bufs of the peer's Hello (HelloAck). In general
 * credits = bufs - (tx_mseq - mseq_ack), u32 arithmetic, wrap-safe.
 */
int sdp_credits(u32 tx_mseq, u32 mseq_ack, u16 bufs);

/* credits a DATA message needs: one is always kept for control */
#define SDP_CONTROL_CREDITS	1

/* Urgent data, as Linux TCP does it (net/ipv4/tcp.c, tcp_input.c), on the
 * byte offsets of the receive stream (sdp_conn.copied_seq / rcv_nxt).
 *
 * TCP keeps tp->urg_data (NONE, NOTYET, VALID | byte, READ) and tp->urg_seq
 * (the sequence number of the urgent byte). The urgent byte always stays in
 * the receive queue; urg_data holds a copy of it. What TCP does with them,
 * mirrored here:
 *
 * - A new urgent pointer (tcp_check_urg) is ignored when it points behind
 *   copied_seq or not past the current mark. Otherwise it sends SIGURG,
 *   replaces the mark (urg_data = NOTYET, urg_seq = new pointer) and, when
 *   the reader sits exactly on the old urgent byte, !SO_OOBINLINE and that
 *   byte is in the queue, steps copied_seq over it. The old byte is NOT
 *   taken out of the stream otherwise: a reader still before the old mark
 *   later reads it as ordinary data, and an old byte never read with
 *   MSG_OOB is simply lost from the slot.
 * - When the byte arrives (tcp_urg), urg_data = VALID | byte: POLLPRI.
 * - recv(MSG_OOB) (tcp_recv_urg): -EINVAL when SO_OOBINLINE is set, when
 *   nothing was ever announced, or when the byte was already read; then
 *   -ENOTCONN on a closed socket that never finished (TCP_CLOSE without
 *   SOCK_DONE); then the byte (and urg_data = READ unless MSG_PEEK); then 0
 *   once no more data can come (closed or RCV_SHUTDOWN); else -EAGAIN. It
 *   never blocks. SO_OOBINLINE counts as it is at the time of the call.
 * - Ordinary reads (tcp_recvmsg_locked), on copied_seq or on the peek
 *   position alike: a read that has copied something stops when it
 *   reaches urg_seq; a read standing on urg_seq skips the urgent byte
 *   without SO_OOBINLINE (copied_seq + 1, also after the byte was read
 *   with MSG_OOB) and goes on; with SO_OOBINLINE it returns the byte in
 *   stream order and goes on; a read never copies across the mark.
 * - Once copied_seq has passed urg_seq, urg_data = 0 (a MSG_PEEK does not
 *   clear it): recv(MSG_OOB) fails with -EINVAL from then on.
 * - SIOCATMARK: urg_data != 0 && copied_seq == urg_seq (also after the
 *   byte was read with MSG_OOB). POLLPRI: urg_data & VALID. tcp_poll does
 *   not count the urgent byte as readable when it sits at copied_seq and
 *   !SO_OOBINLINE: sdp_urg_at_mark(u, copied_seq) && !oobinline.
 *
 * One departure the wire forces: OOB_PEND carries no offset, so in NOTYET
 * the position of the coming byte is unknown; there is no mark then (TCP
 * knows urg_seq before the byte comes, but no reader can reach it before
 * it arrives, so only SIOCATMARK on an empty queue can differ: SDP says
 * false). OOB_PEND announces a new urgent byte: a sender sets it only
 * between a MSG_OOB send and the DATA with OOB_PRES carrying that byte (on
 * that DATA too if it likes), never after; the receiver handles OOB_PEND
 * before OOB_PRES of the same message.
 *
 * API:
 *   sdp_urg_init()       empty state (connection setup, disconnect)
 *   sdp_urg_announce()   a message with OOB_PEND was received
 *   sdp_urg_arrive()     DATA with OOB_PRES: its last byte at stream offset
 *                        @off (rcv_nxt - 1 after queueing it) is urgent
 *     both return SDP_URG_EV_* bits: SIGURG: send SIGURG (sk_send_sigurg);
 *     SKIP: the old urgent byte sits at copied_seq, the caller must step
 *     copied_seq (and its receive queue) over that one byte; DROPPED: an
 *     urgent byte never read with MSG_OOB lost its slot (a counter).
 *   sdp_urg_read()       recv(MSG_OOB): 1 and *byte, 0 (EOF), -EINVAL,
 *                        -ENOTCONN or -EAGAIN as above
 *   sdp_urg_limit()      per chunk of an ordinary read, see below
 *   sdp_urg_consumed()   after copied_seq moved (not after a peek)
 *   sdp_urg_at_mark()    SIOCATMARK
 *   sdp_urg_inq()        SIOCINQ: as tcp_inq, only the bytes before the
 *                        mark while the urgent byte is in the queue and
 *                        !SO_OOBINLINE
 *   sdp_urg_pending()    POLLPRI
 */
enum sdp_urg_state {
	SDP_URG_NONE = 0,	/* nothing pending, no mark */
	SDP_URG_NOTYET,		/* announced (OOB_PEND), byte not here yet */
	SDP_URG_VALID,		/* byte arrived: in the slot and at @mark */
	SDP_URG_READ,		/* byte was read with MSG_OOB; mark stays */
};

struct sdp_urg {
	enum sdp_urg_state state;
	u8	byte;		/* VALID: the urgent byte */
	u64	mark;		/* VALID, READ: stream offset of the byte */
};

/* events returned by sdp_urg_announce() and sdp_urg_arrive() */
#define SDP_URG_EV_SIGURG	0x01
#define SDP_URG_EV_SKIP		0x02
#define SDP_URG_EV_DROPPED	0x04

/* flags of sdp_urg_read() */
#define SDP_URG_RD_PEEK		0x01	/* MSG_PEEK */
#define SDP_URG_RD_INLINE	0x02	/* SO_OOBINLINE set now */
#define SDP_URG_RD_NOTCONN	0x04	/* TCP_CLOSE without SOCK_DONE */
#define SDP_URG_RD_DONE		0x08	/* TCP_CLOSE or RCV_SHUTDOWN */

void sdp_urg_init(struct sdp_urg *u);
unsigned int sdp_urg_announce(struct sdp_urg *u, u64 copied_seq,
			      bool oobinline);
unsigned int sdp_urg_arrive(struct sdp_urg *u, u64 off, u8 byte,
			    u64 copied_seq, bool oobinline);
/* recv(MSG_OOB). A caller with a zero-length buffer still calls this
 * (TCP marks the byte read and reports MSG_TRUNC then).
 */
int sdp_urg_read(struct sdp_urg *u, unsigned int flags, u8 *byte);
/* An ordinary read stands at stream offset @seq (copied_seq, or the peek
 * position) with @len contiguous bytes it could take; @copied: this
 * recvmsg call has already copied bytes. Returns how many bytes to copy.
 * With *skip set, first step over the byte at @seq (the urgent byte kept
 * aside), then copy the returned count from @seq + 1. A return of 0
 * without *skip for @len > 0 means: stop here, the read is at the mark.
 */
size_t sdp_urg_limit(const struct sdp_urg *u, u64 seq, size_t len,
		     bool copied, bool oobinline, bool *skip);
/* SIOCATMARK */
bool sdp_urg_at_mark(const struct sdp_urg *u, u64 copied_seq);
/* The reader moved copied_seq: once past the mark, forget the urgent
 * data (TCP clears urg_data then). Returns true when it was forgotten.
 */
bool sdp_urg_consumed(struct sdp_urg *u, u64 copied_seq);
/* SIOCINQ: of the @avail bytes queued from @copied_seq on, how many */
u32 sdp_urg_inq(const struct sdp_urg *u, u64 copied_seq, u32 avail,
		bool oobinline);
/* POLLPRI */
bool sdp_urg_pending(const struct sdp_urg *u);

#endif /* _SDP_WIRE_H */
