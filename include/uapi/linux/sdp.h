/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * sdp: Sockets Direct Protocol over RDMA, the user-space contract.
 *
 * Stream (SOCK_STREAM) and one-to-many message (SOCK_SEQPACKET) sockets
 * over RDMA. Numbers that OFED SDP used (AF_INET_SDP 27, SOL_SDP 1025,
 * SDP_ZCOPY_THRESH 80) are kept so that its programs run unmodified.
 */
#ifndef _UAPI_LINUX_SDP_H
#define _UAPI_LINUX_SDP_H

#include <linux/types.h>
#include <linux/socket.h>

/* Address family; the module parameter "family" may move it. */
#define AF_SDP		27
#define PF_SDP		AF_SDP
#ifndef AF_INET_SDP
#define AF_INET_SDP	AF_SDP
#endif

/* Option level for the SDP options below. */
#define SOL_SDP		1025

/* SOL_SDP options */
#define SDP_NODELAY		1	/* int, as TCP_NODELAY */
#define SDP_SNDRCV		2	/* cmsg: struct sdp_sndrcvinfo */
#define SDP_EVENTS		3	/* struct sdp_event_subscribe */
#define SDP_PEELOFF		4	/* getsockopt: struct sdp_peeloff_arg */
#define SDP_AUTOCLOSE		5	/* int seconds, 0 = never */
#define SDP_STATUS		6	/* getsockopt: struct sdp_status */
#define SDP_GET_PEER_ADDR	7	/* getsockopt: struct sdp_paddr */
#define SDP_ZCOPY_THRESH	80	/* int bytes, 0 = never zero copy */

/* recvmsg msg_flags bit for notifications, as SCTP's */
#ifndef MSG_NOTIFICATION
#define MSG_NOTIFICATION	0x8000
#endif

typedef __s32 sdp_assoc_t;

/* sinfo_flags, with SCTP's values */
#define SDP_UNORDERED	0x0001
#define SDP_ADDR_OVER	0x0002
#define SDP_ABORT	0x0004
#define SDP_SENDALL	0x0040
#define SDP_EOF		0x0200

struct sdp_sndrcvinfo {
	__u16		sinfo_stream;
	__u16		sinfo_flags;
	__u32		sinfo_ppid;
	__u32		sinfo_context;
	__u32		sinfo_timetolive;	/* ms, 0 = forever */
	sdp_assoc_t	sinfo_assoc_id;
};

struct sdp_event_subscribe {
	__u8 sdp_data_io_event;		/* on by default */
	__u8 sdp_association_event;
	__u8 sdp_shutdown_event;
	__u8 sdp_send_failure_event;
};

struct sdp_peeloff_arg {
	sdp_assoc_t	associd;
	int		sd;
};

struct sdp_paddr {
	sdp_assoc_t				spinfo_assoc_id;
	struct __kernel_sockaddr_storage	spinfo_address;
};

/* sstat_state */
enum sdp_sstat_state {
	SDP_EMPTY		= 0,
	SDP_CLOSED		= 1,
	SDP_COOKIE_WAIT		= 2,	/* active open in progress */
	SDP_COOKIE_ECHOED	= 3,
	SDP_ESTABLISHED		= 4,
	SDP_SHUTDOWN_PENDING	= 5,
	SDP_SHUTDOWN_SENT	= 6,
	SDP_SHUTDOWN_RECEIVED	= 7,
	SDP_SHUTDOWN_ACK_SENT	= 8,
};

struct sdp_status {
	sdp_assoc_t				sstat_assoc_id;
	__s32					sstat_state;
	__u32					sstat_rwnd;
	__u32					sstat_penddata;
	struct __kernel_sockaddr_storage	sstat_primary_addr;
};

/* Notifications: sn_type values */
#define SDP_SN_TYPE_BASE	0x8000
#define SDP_ASSOC_CHANGE	(SDP_SN_TYPE_BASE + 1)
#define SDP_SHUTDOWN_EVENT	(SDP_SN_TYPE_BASE + 5)
#define SDP_SEND_FAILED		(SDP_SN_TYPE_BASE + 14)

struct sdp_notification_header {
	__u16 sn_type;
	__u16 sn_flags;
	__u32 sn_length;
};

/* sac_state */
#define SDP_COMM_UP		0
#define SDP_COMM_LOST		1
#define SDP_RESTART		2
#define SDP_SHUTDOWN_COMP	3
#define SDP_CANT_STR_ASSOC	4

struct sdp_assoc_change {
	__u16		sac_type;
	__u16		sac_flags;
	__u32		sac_length;
	__u16		sac_state;
	__u16		sac_error;
	sdp_assoc_t	sac_assoc_id;
};

struct sdp_shutdown_event {
	__u16		sse_type;
	__u16		sse_flags;
	__u32		sse_length;
	sdp_assoc_t	sse_assoc_id;
};

struct sdp_send_failed {
	__u16			ssf_type;
	__u16			ssf_flags;
	__u32			ssf_length;
	__u32			ssf_error;
	struct sdp_sndrcvinfo	ssf_info;
	sdp_assoc_t		ssf_assoc_id;
	__u8			ssf_data[];
};

/* ssf_flags */
#define SDP_DATA_UNSENT		1
#define SDP_DATA_SENT		2

#endif /* _UAPI_LINUX_SDP_H */
