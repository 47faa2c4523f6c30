/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sdp tracepoints: connection state changes, messages sent and received
 * (mid, length, mseq, credits), aborts with their reason, and zero-copy
 * transfers. Enable with: echo 1 > /sys/kernel/tracing/events/sdp/enable
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM sdp

#if !defined(_SDP_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _SDP_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(sdp_state,
	    TP_PROTO(const void *conn, int oldstate, int newstate),
	    TP_ARGS(conn, oldstate, newstate),
	    TP_STRUCT__entry(__field(const void *, conn)
			     __field(int, oldstate)
			     __field(int, newstate)),
	    TP_fast_assign(__entry->conn = conn;
			   __entry->oldstate = oldstate;
			   __entry->newstate = newstate;),
	    TP_printk("conn=%p %d -> %d", __entry->conn, __entry->oldstate,
		      __entry->newstate)
);

DECLARE_EVENT_CLASS(sdp_msg_class,
		    TP_PROTO(const void *conn, u8 mid, u8 flags, u32 len,
			     u32 mseq, int credits),
		    TP_ARGS(conn, mid, flags, len, mseq, credits),
		    TP_STRUCT__entry(__field(const void *, conn)
				     __field(u8, mid)
				     __field(u8, flags)
				     __field(u32, len)
				     __field(u32, mseq)
				     __field(int, credits)),
		    TP_fast_assign(__entry->conn = conn;
				   __entry->mid = mid;
				   __entry->flags = flags;
				   __entry->len = len;
				   __entry->mseq = mseq;
				   __entry->credits = credits;),
		    TP_printk("conn=%p mid=0x%02x flags=0x%x len=%u mseq=%u credits=%d",
			      __entry->conn, __entry->mid,
			      __entry->flags, __entry->len,
			      __entry->mseq, __entry->credits)
);

DEFINE_EVENT(sdp_msg_class, sdp_send,
	     TP_PROTO(const void *conn, u8 mid, u8 flags, u32 len,
		      u32 mseq, int credits),
	     TP_ARGS(conn, mid, flags, len, mseq, credits)
);

DEFINE_EVENT(sdp_msg_class, sdp_recv,
	     TP_PROTO(const void *conn, u8 mid, u8 flags, u32 len,
		      u32 mseq, int credits),
	     TP_ARGS(conn, mid, flags, len, mseq, credits)
);

TRACE_EVENT(sdp_abort,
	    TP_PROTO(const void *conn, int state, int err, bool send_abort),
	    TP_ARGS(conn, state, err, send_abort),
	    TP_STRUCT__entry(__field(const void *, conn)
			     __field(int, state)
			     __field(int, err)
			     __field(bool, send_abort)),
	    TP_fast_assign(__entry->conn = conn;
			   __entry->state = state;
			   __entry->err = err;
			   __entry->send_abort = send_abort;),
	    TP_printk("conn=%p state=%d err=%d send_abort=%d", __entry->conn,
		      __entry->state, __entry->err, __entry->send_abort)
);

TRACE_EVENT(sdp_cm_event,
	    TP_PROTO(const void *conn, int event, int status),
	    TP_ARGS(conn, event, status),
	    TP_STRUCT__entry(__field(const void *, conn)
			     __field(int, event)
			     __field(int, status)),
	    TP_fast_assign(__entry->conn = conn;
			   __entry->event = event;
			   __entry->status = status;),
	    TP_printk("conn=%p event=%d status=%d", __entry->conn,
		      __entry->event, __entry->status)
);

#endif /* _SDP_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
