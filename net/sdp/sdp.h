/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sdp: internal declarations shared by the socket layer, the session
 * engine, the RDMA glue and the admin code. See conn.c for the locking
 * model.
 */
#ifndef _SDP_H
#define _SDP_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/refcount.h>
#include <linux/workqueue.h>
#include <linux/skbuff.h>
#include <net/sock.h>
#include <net/netns/generic.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_cm.h>
#include <linux/sdp.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>

#include "wire.h"
#include "assoc.h"

extern int sdp_family;
extern struct workqueue_struct *sdp_wq;
extern unsigned int sdp_net_id;

/* counters of /proc/net/sdp_stats, per network namespace */
enum sdp_stat {
	SDP_STAT_ACTIVE_OPENS,
	SDP_STAT_PASSIVE_OPENS,
	SDP_STAT_CONN_REFUSED,
	SDP_STAT_BACKLOG_DROPS,
	SDP_STAT_ABORTS,
	SDP_STAT_ABORTS_LOCAL,
	SDP_STAT_ABORTS_PEER,
	SDP_STAT_ABORTS_TRANSPORT,
	SDP_STAT_BCOPY_TX_BYTES,
	SDP_STAT_BCOPY_RX_BYTES,
	SDP_STAT_BCOPY_TX_MSGS,
	SDP_STAT_BCOPY_RX_MSGS,
	SDP_STAT_INLINE_TX_MSGS,
	SDP_STAT_ZCOPY_TX_BYTES,
	SDP_STAT_ZCOPY_TX_WRITE_BYTES,
	SDP_STAT_ZCOPY_RX_BYTES,
	SDP_STAT_ZCOPY_RX_DIRECT_BYTES,
	SDP_STAT_ZCOPY_FALLBACKS,
	SDP_STAT_CREDIT_STALLS,
	SDP_STAT_CREDIT_UPDATES,
	SDP_STAT_OOB_TX,
	SDP_STAT_OOB_RX,
	SDP_STAT_BAD_MESSAGES,
	SDP_STAT_KEEPALIVE_PROBES,
	SDP_STAT_MAX
};

struct sdp_sysctl {
	int zcopy_thresh;	/* bytes, 0 = off */
	int inline_thresh;	/* bytes */
	int rmem;		/* default receive buffer, bytes */
	int wmem;		/* default send buffer, bytes */
	int rx_depth;		/* receive ring entries */
	int rcvsz;		/* size of one receive buffer */
	int recv_poll_usec;	/* busy poll before sleeping in recv */
	int keepalive_time;	/* seconds */
	int max_msg;		/* SOCK_SEQPACKET message bound, bytes */
	int zcopy_mode;		/* SDP_ZC_MODE_*: zero-copy modes offered */
};

struct sdp_net {
	struct sdp_sysctl	sysctl;
	struct ctl_table_header	*sysctl_hdr;
	atomic64_t		stats[SDP_STAT_MAX];
};

static inline struct sdp_net *sdp_net(const struct net *net)
{
	return net_generic(net, sdp_net_id);
}

static inline void sdp_stat_add(const struct sock *sk, enum sdp_stat s,
				s64 v)
{
	atomic64_add(v, &sdp_net(sock_net(sk))->stats[s]);
}

#define SDP_STAT_INC(sk, s)	sdp_stat_add(sk, s, 1)

#define SDP_MAX_TX		128	/* data send slots, at most */
#define SDP_MAX_TX_SIZE		(256 * 1024)
#define SDP_CTL_SLOTS		8	/* control message slots */
#define SDP_CTL_SIZE		64
#define SDP_POLL_BATCH		16

/* one slot of a ring and its registered buffer (a send slot may have none
 * yet: @data is NULL until sendmsg first needs one, see tx.c)
 */
struct sdp_buf {
	struct ib_cqe	cqe;
	struct sdp_conn	*conn;
	void		*data;
	u64		dma;
	u32		len;		/* bytes filled (tx) */
	u32		payload;	/* payload bytes in it (tx) */
	u8		mid;		/* what it carries (tx) */
	bool		oob;		/* last byte is the urgent byte (tx) */
	bool		eor;		/* last fragment of a record (tx) */
	bool		posted;
};

/* net.sdp.zcopy_mode: the zero-copy modes a connection offers */
enum {
	SDP_ZC_MODE_BOTH,	/* read and write; read is used when both ends can */
	SDP_ZC_MODE_READ,	/* SrcAvail / RDMA READ only */
	SDP_ZC_MODE_WRITE,	/* SinkAvail / RDMA WRITE only */
	SDP_ZC_MODE_NONE,	/* none: every send by bcopy */
};

/* zcopy.c: zero copy, read mode (SrcAvail / RDMA READ / RdmaRdCompl) and
 * write mode (SinkAvail / RDMA WRITE / RdmaWrCompl)
 */
#define SDP_ZC_MAX	(1024 * 1024)	/* bytes of one SrcAvail */
#define SDP_ZC_PAGES	(SDP_ZC_MAX / PAGE_SIZE + 1)
#define SDP_ZC_SEG	SKB_WITH_OVERHEAD(SZ_64K)	/* a receive skb */
#define SDP_ZC_SEGS	DIV_ROUND_UP(SDP_ZC_MAX, SDP_ZC_SEG)
#define SDP_ZC_SGE	8		/* segments per RDMA READ, at most */

/* what the peer answered to one sender's SrcAvail (on its stack) */
struct sdp_zc_res {
	u32			acked;		/* RdmaRdCompl so far */
	bool			refused;	/* SendSM */
	bool			done;		/* all taken, or refused */
};

/* the send side: the user pages of the SrcAvail in flight */
struct sdp_zc_tx {
	struct sdp_zc_res	*res;		/* its sender's, while it waits */
	struct ib_mr		*mr;
	struct page		**pages;
	u32			npages;
	struct mmpin		mmp;		/* charged to RLIMIT_MEMLOCK */
	struct sg_table		sgt;
	int			nents;		/* mapped, 0: none */
	struct ib_cqe		reg_cqe;
	u32			len;		/* advertised */
	u32			acked;		/* RdmaRdCompl so far */
	bool			busy;		/* advertised, not finished */
	bool			cancelled;	/* SrcAvailCancel sent */
	const void		*owner;		/* the send call holding the send
						 * side between its zero-copy
						 * transfers (its msghdr)
						 */
	bool			wanted;		/* an urgent sender waited */
	bool			yielding;	/* its owner lets it go first */
	bool			credit_wait;	/* a sender waits for a credit */
	/* write mode: the peer's SinkAvail, and the WRITE into it */
	u32			data_mseq;	/* our last message with data */
	bool			snk_valid;	/* a SinkAvail held, usable */
	bool			snk_ack_owed;	/* SinkCancelAck not yet sent */
	bool			snk_miss;	/* the last wait for one failed */
	u32			snk_size;
	u32			snk_rkey;
	u64			snk_addr;
	u32			wr_owed;	/* written, RdmaWrCompl not sent */
	bool			write;		/* the busy send is a WRITE */
	bool			wr_done;	/* the WRITE completed */
	int			wr_status;
	struct ib_cqe		wr_cqe;
};

struct sdp_zc_rd {
	struct ib_cqe		cqe;
	struct sdp_conn		*conn;
};

/* the receive side: the peer's SrcAvail being read */
struct sdp_zc_rx {
	bool			active;		/* a SrcAvail to take */
	bool			posted;		/* its READs are posted */
	bool			fin_held;	/* DisConn after it */
	bool			sendsm_owed;	/* SendSM not yet sent */
	bool			cancelled;	/* SrcAvailCancel while read */
	u32			owed;		/* bytes read, RdmaRdCompl not sent */
	/* a blocked reader's own buffer as the target of the READ */
	u32			want;		/* it waits to take this many */
	bool			user;		/* the READ goes to its pages */
	bool			user_done;	/* the READ completed */
	int			user_status;
	u32			user_len;
	/* write mode: the reader's buffer advertised in a SinkAvail (the
	 * user* fields above hold its pages)
	 */
	bool			adv;		/* a SinkAvail out */
	bool			adv_done;	/* answered */
	bool			adv_cancelled;	/* SinkAvailCancel sent or owed */
	bool			cancel_owed;	/* SinkAvailCancel not yet sent */
	u32			adv_size;
	u32			adv_written;	/* RdmaWrCompl's size */
	u64			adv_seq;	/* rcv_nxt when advertised */
	u64			adv_resume;	/* no SinkAvail before this rcv_nxt */
	struct page		**upages;
	u32			unpages;
	struct mmpin		ummp;
	struct sg_table		usgt;
	int			unents;
	struct ib_mr		*umr;
	struct ib_cqe		ureg_cqe;
	struct ib_cqe		urd_cqe;
	u32			size;
	u32			rkey;
	u64			addr;
	u32			nseg;
	u32			nwr;
	u32			ndone;
	struct sk_buff		*seg[SDP_ZC_SEGS];
	u64			dma[SDP_ZC_SEGS];
	struct sdp_zc_rd	rd[SDP_ZC_SEGS];
};

/* One RDMA connection of the session engine. It does not know the socket
 * type: a SOCK_STREAM socket owns one, a SOCK_SEQPACKET one a table.
 * Everything here is protected by the owning socket's lock (lock_sock),
 * except where noted.
 */
/* port.c: one endpoint holding a local port, by TCP's bind rules */
enum {
	SDP_BIND_SOCK,		/* a socket bound by bind() or listen() */
	SDP_BIND_CONN,		/* an established connection */
	SDP_BIND_TW,		/* a connection in TIME_WAIT */
};

struct sdp_bind {
	struct hlist_node	node;
	struct net		*net;
	const struct sock	*sk;		/* SDP_BIND_SOCK */
	struct sockaddr_storage	addr;		/* local address and port */
	unsigned long		expires;	/* SDP_BIND_TW, jiffies */
	u16			port;
	u8			kind;
	bool			reuse;
	bool			v6only;
	bool			listed;
};

u16 sdp_addr_port(const struct sockaddr_storage *ss);
void sdp_addr_set_port(struct sockaddr_storage *ss, u16 port);
void sdp_bind_init(struct sdp_bind *b, const struct sock *sk,
		   const struct sockaddr_storage *addr, u8 kind);
int sdp_port_claim(struct sdp_bind *b, bool check);
int sdp_port_check(struct sdp_bind *b);
void sdp_port_release(struct sdp_bind *b);
void sdp_port_timewait(struct sdp_bind *b);
void sdp_port_net_exit(struct net *net);

struct sdp_conn {
	refcount_t		ref;
	struct sock		*sk;		/* owner; holds a reference */
	struct sock		*listener;	/* passive, not accepted yet */
	struct list_head	accept_node;	/* on listener's accept queue */
	struct list_head	all_node;	/* sdp_conns, under sdp_conns_lock */
	struct rdma_cm_id	*id;
	struct ib_pd		*pd;
	struct ib_cq		*cq;
	struct ib_qp		*qp;
	struct work_struct	cq_work;
	struct ib_wc		wc[SDP_POLL_BATCH];	/* for cq polling */
	struct work_struct	destroy_work;
	struct delayed_work	timer_work;	/* keepalive, linger, fin timeout */
	struct delayed_work	persist_work;	/* probe while out of credits */
	unsigned long		flags;		/* SDP_CF_* bits, atomic */
	atomic_t		cq_waiters;	/* socket calls asleep on the CQ */

	int			state;		/* TCP_* states */
	int			err;
	u32			caps;
	bool			boundary;

	/* receive */
	struct sdp_buf		*rx_ring;
	u32			rx_depth;
	u32			rx_size;	/* our posted buffer size */
	u32			rx_posted;	/* buffers posted now */
	u32			rx_head;	/* next ring slot to post */
	u32			rx_used;	/* slots with a buffer: [0, used) */
#define SDP_RX_INITIAL	4	/* receive buffers a new connection posts */
	u32			rx_want;	/* to keep posted (grows to depth) */
	u32			rx_mseq;	/* last mseq received */
	u32			rx_adv_bufs;	/* bufs in our last message */
	u32			rx_adv_mseq;	/* rx_mseq at our last message */
	struct sk_buff_head	rxq;
	u64			rcv_nxt;	/* stream bytes received */
	u64			copied_seq;	/* stream bytes read */
	struct sdp_urg		urg;
	/* MSG_BOUNDARY (SOCK_SEQPACKET): records */
	u32			rx_records;	/* complete records in rxq */
	bool			rx_rec_mid;	/* a record is being received */
	struct sdp_rec_info	rd_info;	/* of the record being read */
	struct sk_buff_head	txq;		/* records not yet in send slots */

	/* zero copy */
	struct sdp_zc_tx	zt;
	struct sdp_zc_rx	zr;
	u32			zc_sge;		/* READ segments per request */

	/* send */
	struct sdp_buf		*tx_ring;
	struct sdp_buf		*ctl_ring;
	u32			ctl_used;
	u32			tx_depth;
	u32			tx_size;	/* peer's buffer size */
	u32			tx_tail;	/* oldest slot in use */
	u32			tx_post;	/* next filled slot to post */
	u32			tx_head;	/* next slot to fill, or partial */
	u32			tx_used;	/* slots in use, partial included */
	u32			tx_bufs;	/* slots that have a buffer */
	bool			tx_nomem;	/* no buffer for the next slot */
	bool			tx_partial;	/* tx_head is being filled */
	u32			tx_unposted;	/* filled slots not posted */
	u32			tx_inflight;	/* posted, not completed */
	u32			tx_mseq;	/* last mseq sent */
	int			tx_credits;
	u32			max_inline;
	u64			snd_nxt;	/* stream bytes queued */
	u64			snd_una;	/* stream bytes completed */
	bool			fin_queued;
	bool			nodelay;
	bool			cork;

	struct sockaddr_storage	local;
	struct sockaddr_storage	peer;
	struct sdp_bind		bind;		/* its port, while established */
	sdp_assoc_t		assoc_id;
	unsigned long		last_rx_jiffies;
	u32			ka_probes;
	bool			ka_posted;
	struct ib_cqe		ka_cqe;		/* keepalive probe */
	struct ib_cqe		drain_cqe[2];	/* teardown: SQ, RQ markers */
	u8			drained;	/* bit 0 SQ, bit 1 RQ */
};

/* conn->flags */
#define SDP_CF_DESTROYING	0
#define SDP_CF_QP_READY		1
#define SDP_CF_ESTABLISHED_CM	2
#define SDP_CF_DISCONNECTED	3
#define SDP_CF_ACCEPTED		4
#define SDP_CF_FIN_RCVD		5
#define SDP_CF_FIN_SENT		6
#define SDP_CF_TIMEWAIT		7	/* we closed first: hold the port */
#define SDP_CF_NOARM		8	/* teardown: do not re-arm the CQ */
#define SDP_CF_ARMED		9	/* CQ armed, its handler not yet run */
#define SDP_CF_WAS_UP		10	/* it reached ESTABLISHED */
#define SDP_CF_CQ_PENDING	11	/* CQ handler ran, nobody polled yet */

/* the socket */
struct sdp_sock {
	struct sock		sk;
	struct hlist_node	all_node;	/* sdp_socks, for /proc/net/sdp */
	struct rdma_cm_id	*id;		/* bound / listening id */
	struct sdp_conn		*conn;		/* SOCK_STREAM: the connection */
	struct list_head	accept_q;	/* listener: established children */
	int			pending;	/* listener: children in set-up */
	struct sockaddr_storage	bound;
	struct sdp_bind		bind;		/* the bound port, port.c */
	bool			bound_set;
	bool			v6only;
	int			zcopy_thresh;
	bool			nodelay;
	bool			cork;
	int			keepidle;	/* seconds */
	int			keepintvl;
	int			keepcnt;
	int			ipv;		/* 4 or 6: family of the socket */

	/* SOCK_SEQPACKET (seqpacket.c). A one-to-many socket owns a table of
	 * associations; each is an internal socket of its own that owns one
	 * connection and shares the one-to-many socket's wait queue.
	 */
	struct sdp_atab		atab;		/* one-to-many: associations */
	spinlock_t		assoc_lock;	/* atab, notifq, pd; innermost */
	struct list_head	notifq;		/* one-to-many: notifications */
	struct sock		*pd;		/* association in partial delivery */
	struct sdp_event_subscribe events;
	int			autoclose;	/* seconds, 0 = never */
	struct sock		*parent;	/* association: its socket */
	struct sdp_aent		ae;		/* association: id, peer address */
	struct delayed_work	assoc_work;	/* association: events, autoclose */
	unsigned long		last_use;	/* association: jiffies */
	bool			peeled;		/* association of its own socket */
	bool			a_up;		/* COMM_UP reported */
	bool			a_shut;		/* peer's shutdown reported */
	bool			a_closed;	/* end reported */
	bool			a_eof;		/* SDP_EOF asked */
};

static inline struct sdp_sock *sdp_sk(const struct sock *sk)
{
	return (struct sdp_sock *)sk;
}

extern struct proto sdp_proto;
extern const struct proto_ops sdp_stream_ops;
extern const struct proto_ops sdp_seqpacket_ops;

/* af_sdp.c */
struct sock *sdp_sk_alloc(struct net *net, struct socket *sock, int type,
			  int protocol, int kern);
int sdp_addr_check(const struct sockaddr *uaddr, int addr_len,
		   struct sockaddr_storage *out);
int sdp_fill_name(const struct sock *sk, const struct sockaddr_storage *ss,
		  struct sockaddr *uaddr);

/* dev.c */
int sdp_dev_init(void);
void sdp_dev_exit(void);
int sdp_dev_count(void);

/* conn.c: the session engine */
struct sdp_conn *sdp_conn_alloc(struct sock *sk, gfp_t gfp);
void sdp_conn_get(struct sdp_conn *conn);
void sdp_conn_put(struct sdp_conn *conn);
int sdp_conn_setup_qp(struct sdp_conn *conn, u32 peer_rcvsz, u16 peer_bufs);
int sdp_conn_post_initial(struct sdp_conn *conn);
int sdp_conn_set_peer(struct sdp_conn *conn, u32 peer_rcvsz, u16 peer_bufs);
int sdp_buf_map(struct sdp_conn *conn, struct sdp_buf *b, u32 size,
		enum dma_data_direction dir, gfp_t gfp);
void sdp_conn_done(struct sdp_conn *conn);
int sdp_reset_errno(const struct sdp_conn *conn);
void sdp_conn_timer(struct sdp_conn *conn);
void sdp_keepalive(struct sock *sk, int val);
void sdp_conn_persist(struct sdp_conn *conn);

/* tx.c */
void sdp_tx_done(struct ib_cq *cq, struct ib_wc *wc);
int sdp_send_ctl(struct sdp_conn *conn, u8 mid, u8 flags);
int sdp_send_ext(struct sdp_conn *conn, const struct sdp_msg *m,
		 bool data_credit);
bool sdp_can_send_ext(const struct sdp_conn *conn, bool data_credit);

/* zcopy.c */
u32 sdp_zc_caps(const struct net *net);
bool sdp_zc_write_want(const struct sdp_conn *conn, const struct msghdr *msg,
		       size_t left, long timeo);
ssize_t sdp_zc_write(struct sdp_conn *conn, struct msghdr *msg, size_t len,
		     long *timeo);
void sdp_zc_snk_refuse(struct sdp_conn *conn);
bool sdp_zc_sink_ok(const struct sdp_conn *conn, const struct msghdr *msg,
		    size_t left, int flags, long timeo);
ssize_t sdp_zc_sink(struct sdp_conn *conn, struct msghdr *msg, size_t len,
		    long *timeo);
bool sdp_zc_want(const struct sdp_conn *conn, const struct msghdr *msg,
		 size_t left, long timeo);
void sdp_zc_nocap(const struct sdp_conn *conn, const struct msghdr *msg,
		  size_t len, long timeo);
int sdp_zc_wait_idle(struct sdp_conn *conn, const struct msghdr *msg,
		     long *timeo);
bool sdp_zc_taken(const struct sdp_conn *conn, const struct msghdr *msg);
void sdp_zc_release_owner(struct sdp_conn *conn, const struct msghdr *msg);
void sdp_zc_yield(struct sdp_conn *conn);
bool sdp_zc_rx_user_ok(const struct sdp_conn *conn, const struct msghdr *msg,
		       size_t left, int flags, long timeo);
ssize_t sdp_zc_rx_user(struct sdp_conn *conn, struct msghdr *msg, size_t len);
void sdp_zc_turn_taken(struct sdp_conn *conn);
ssize_t sdp_zc_send(struct sdp_conn *conn, struct msghdr *msg, size_t len,
		    long *timeo);
int sdp_zc_rx_msg(struct sdp_conn *conn, const void *buf,
		  const struct sdp_msg *m);
void sdp_zc_rx_resume(struct sdp_conn *conn);
void sdp_zc_push(struct sdp_conn *conn);
void sdp_zc_teardown(struct sdp_conn *conn);
void sdp_tx_after_poll(struct sdp_conn *conn);

/* oob.c */
void sdp_oob_announce(struct sdp_conn *conn);
void sdp_oob_arrive(struct sdp_conn *conn, u64 off, u8 byte);
bool sdp_oob_at_mark(const struct sdp_conn *conn, u64 seq);
bool sdp_oob_hides_byte(const struct sdp_conn *conn);
size_t sdp_oob_limit(const struct sdp_conn *conn, u64 seq, size_t len,
		     bool copied, bool *skip);
void sdp_oob_consumed(struct sdp_conn *conn, u64 seq);
u32 sdp_oob_inq(const struct sdp_conn *conn);
void sdp_oob_tx_urgent(struct sdp_conn *conn);
int sdp_oob_recv(struct sdp_conn *conn, struct msghdr *msg, size_t len,
		 int flags);

/* rx.c */
struct sdp_skb_cb {
	u64	seq;		/* stream offset of the first byte; txq: sent */
	struct sdp_rec_info ri;	/* MSG_BOUNDARY: of the record (first) */
	bool	first;		/* MSG_BOUNDARY: first fragment of a record */
	bool	eor;		/* MSG_BOUNDARY: last fragment of a record */
};

#define SDP_SKB_CB(skb)	((struct sdp_skb_cb *)(skb)->cb)

static inline u64 sdp_skb_end_seq(const struct sk_buff *skb)
{
	return SDP_SKB_CB(skb)->seq + skb->len;
}

void sdp_rx_done(struct ib_cq *cq, struct ib_wc *wc);
int sdp_rx_data(struct sdp_conn *conn, const void *buf,
		const struct sdp_msg *m);
void sdp_rx_fin(struct sdp_conn *conn);
int sdp_rx_fill(struct sdp_conn *conn);
void sdp_conn_set_state(struct sdp_conn *conn, int state);
void sdp_conn_abort(struct sdp_conn *conn, int err, bool send_abort);
void sdp_conn_schedule_destroy(struct sdp_conn *conn);
void sdp_conn_poll(struct sdp_conn *conn);
unsigned int sdp_busy_poll_usec(const struct sock *sk);
bool sdp_conn_busy_poll(struct sdp_conn *conn, unsigned int usec,
			bool (*ready)(const struct sdp_conn *conn, u64 arg),
			u64 arg);
void sdp_conn_wait_begin(struct sdp_conn *conn);
void sdp_conn_wait_end(struct sdp_conn *conn);

/* the CQ handler ran since the last poll: a waiter polls before sleeping */
static inline bool sdp_conn_cq_pending(const struct sdp_conn *conn)
{
	return test_bit(SDP_CF_CQ_PENDING, &conn->flags);
}

int sdp_conn_send_fin(struct sdp_conn *conn);
void sdp_conn_push(struct sdp_conn *conn, bool force);
int sdp_conn_sendmsg(struct sdp_conn *conn, struct msghdr *msg, size_t len,
		     long *timeo);
int sdp_conn_recvmsg(struct sdp_conn *conn, struct msghdr *msg, size_t len,
		     int flags, long *timeo);
int sdp_conn_recv_record(struct sdp_conn *conn, struct msghdr *msg,
			 size_t len, int flags, bool *eor,
			 struct sdp_rec_info *ri);
void sdp_conn_rx_consumed(struct sdp_conn *conn);
u32 sdp_conn_inq(const struct sdp_conn *conn);
u32 sdp_conn_outq(const struct sdp_conn *conn);
u32 sdp_conn_unsent(const struct sdp_conn *conn);
bool sdp_conn_writable(const struct sdp_conn *conn);
void sdp_conn_start_timer(struct sdp_conn *conn);

extern spinlock_t sdp_conns_lock;
extern struct list_head sdp_conns;
extern spinlock_t sdp_socks_lock;
extern struct hlist_head sdp_socks;

/* cm.c: rdma_cm glue */
int sdp_cm_handler(struct rdma_cm_id *id, struct rdma_cm_event *ev);
int sdp_cm_listen_handler(struct rdma_cm_id *id, struct rdma_cm_event *ev);
struct rdma_cm_id *sdp_cm_create_id(struct sock *sk, void *ctx, bool listen);
int sdp_cm_connect(struct sdp_conn *conn, struct rdma_cm_id *id,
		   const struct sockaddr_storage *src,
		   const struct sockaddr_storage *dst);
void sdp_listener_flush(struct sock *sk);
void sdp_cm_fail(struct sdp_conn *conn, int err);
void sdp_child_release(struct sdp_conn *conn);

/* stream.c */
int sdp_stream_init_sock(struct sock *sk);
int sdp_stream_bind(struct socket *sock, struct sockaddr *uaddr,
		    int addr_len);
int sdp_stream_listen(struct socket *sock, int backlog);

/* seqpacket.c */
void sdp_seq_init_sock(struct sock *sk);
void sdp_seq_child_init(struct sock *lsk, struct sock *sk);
bool sdp_seq_child_ready(struct sock *lsk, struct sdp_conn *conn);

/* cm.c */
void sdp_child_inherit(struct sock *lsk, struct sock *sk);

/* sysctl.c and proc.c */
int sdp_admin_init(void);
void sdp_admin_exit(void);
int sdp_proc_init_net(struct net *net);
void sdp_proc_exit_net(struct net *net);

#endif /* _SDP_H */
