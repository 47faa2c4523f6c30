// SPDX-License-Identifier: GPL-2.0
/*
 * sdp_removal: the RDMA device goes away under live sockets (issue 3,
 * "Death and removal"). SDP only: TCP has no device to remove.
 *
 * link_delete_mid_transfer (one guest, rxe on veth0): set up
 *   - a sender blocked in send() (its peer does not read),
 *   - a receiver blocked in recv() (its peer sends nothing),
 *   - a transfer in full flow (a sender thread and a receiver thread),
 *     by zero copy (64 KiB sends at SDP_ZCOPY_THRESH 4096: SrcAvails
 *     read into the reader's buffer),
 *   - a zero-copy sender blocked with its SrcAvail out (its peer does not
 *     read),
 *   - an idle connection, and a thread blocked in poll() on another one,
 *   - a listener with a thread blocked in accept(),
 *   - a closed (orphaned) socket whose unsent data keeps it alive,
 * then run `rdma link delete` on the guest's rxe link. Every blocked call
 * must return an error (ECONNRESET or ETIMEDOUT, or EOF followed by an
 * error) within a bounded time, poll() must report POLLERR/POLLHUP, and
 * rdma link delete itself must finish (it waits until sdp let go of the
 * device). While the link is gone, connect() and bind() fail at once with
 * an errno. Then the link is added again, and a new connection moves data
 * both ways, SHA-256 checked. At the end every sdp socket must be gone
 * (the module's reference count drops to 0, so rmmod can succeed).
 *
 * peer_dies_mid_transfer (two guests, SDP_ROLE server|client): the
 * client keeps a transfer flowing to the server and a second sender blocked
 * (the server does not read it); then the server deletes its rxe link
 * (rdma link delete): the peer's RDMA side dies mid-transfer. Both of the
 * client's senders (SO_KEEPALIVE 2/1/3: a sender stalled for credits has
 * nothing in flight that could fail) must fail with ETIMEDOUT or
 * ECONNRESET within 30 s. The server tears its own sockets down, adds the
 * link again, and a new connection delivers 1 MiB intact. (An
 * idle connection to a dead peer is sdp_keepalive's case.)
 *
 * assocs_lost_on_link_delete (one guest): three associations of a
 * one-to-many (SOCK_SEQPACKET) server socket with association events,
 * from three client one-to-many sockets, with a recvmsg, a poll and a
 * flow-blocked sendmsg waiting; rdma link delete: every association on
 * both sides reports SDP_ASSOC_CHANGE SDP_COMM_LOST (sac_error set)
 * within 10 s, the waiting calls return, SDP_STATUS on each id fails with
 * EINVAL, close() works; after the link is added again a new association
 * works and every sdp socket is freed.
 *
 * If a run dies half-way, main() re-adds the link, so that the binaries
 * that run after this one still have rxe.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/sdp.h>
#include <linux/sockios.h>

#include "util.h"

static const char *rdma_dev(void)
{
	const char *s = getenv("SDP_RDMA_DEV");

	return s && *s ? s : "rxe0";
}

static const char *net_dev(void)
{
	const char *s = getenv("SDP_NETDEV");

	return s && *s ? s : "veth0";
}

/* ---- the rdma tool and the device's state ---- */

/*
 * Run /usr/sbin/rdma with args; wait at most tmo_ms for it. Returns its
 * exit status, -2 if it did not finish in time (it is left running: it
 * waits in the kernel and would not die anyway), -1 if it could not run.
 */
static int run_rdma(int tmo_ms, char *const args[])
{
	double end = mono_ms() + tmo_ms;
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open("/dev/null", O_RDONLY);

		if (fd >= 0)
			dup2(fd, 0);
		execv("/usr/sbin/rdma", args);
		execvp("rdma", args);
		_exit(127);
	}
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (w < 0 && errno != EINTR)
			return -1;
		if (mono_ms() > end)
			return -2;
		sleep_ms(10);
	}
}

static int link_delete(int tmo_ms)
{
	char *args[] = { "rdma", "link", "delete", (char *)rdma_dev(), NULL };

	return run_rdma(tmo_ms, args);
}

static int link_add(int tmo_ms)
{
	char *args[] = { "rdma", "link", "add", (char *)rdma_dev(), "type",
			 "rxe", "netdev", (char *)net_dev(), NULL };

	return run_rdma(tmo_ms, args);
}

static int dev_present(void)
{
	char p[256];
	struct stat st;

	snprintf(p, sizeof(p), "/sys/class/infiniband/%s", rdma_dev());
	return stat(p, &st) == 0;
}

static int port_active(void)
{
	char p[256], buf[64] = "";
	FILE *f;

	snprintf(p, sizeof(p), "/sys/class/infiniband/%s/ports/1/state",
		 rdma_dev());
	f = fopen(p, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return strstr(buf, "ACTIVE") != NULL;
}

static int wait_port_active(int tmo_ms)
{
	double end = mono_ms() + tmo_ms;

	while (!port_active()) {
		if (mono_ms() > end)
			return 0;
		sleep_ms(50);
	}
	return 1;
}

/* the sdp module's reference count from /proc/modules, -1 if not found */
static int module_refs(void)
{
	char line[512];
	int refs = -1;
	FILE *f = fopen("/proc/modules", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long size;
		int n;

		if (sscanf(line, "sdp %lu %d", &size, &n) == 2)
			refs = n;
	}
	fclose(f);
	return refs;
}

/* lines of /proc/net/sdp after the header */
static int proc_socks(void)
{
	char line[512];
	int n = -1;
	FILE *f = fopen("/proc/net/sdp", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

/* a counter of /proc/net/sdp_stats, -1 if it cannot be read */
static long long sdp_counter(const char *name)
{
	long long v, got = -1;
	char n[64];
	FILE *fp = fopen("/proc/net/sdp_stats", "r");

	if (!fp)
		return -1;
	while (fscanf(fp, "%63s %lld", n, &v) == 2)
		if (!strcmp(n, name))
			got = v;
	fclose(fp);
	return got;
}

/* ---- threads that block in one socket call ---- */

/* W_CONNECT: connect and close in a loop; W_ACCEPT_ALL: accept and close;
 * W_SEQ_SEND: messages to association id on a one-to-many socket until a
 * send fails; W_SEQ_RECV: one recvmsg on a one-to-many socket
 */
enum wkind { W_SEND, W_RECV, W_POLL, W_ACCEPT, W_CONNECT, W_ACCEPT_ALL,
	     W_SEQ_SEND, W_SEQ_RECV };

/* what one recvmsg on a one-to-many socket returned */
struct seq_msg {
	long r;
	int err;
	int flags;		/* msg_flags */
	int note;		/* MSG_NOTIFICATION */
	int type;		/* sn_type */
	int state;		/* sac_state */
	int error;		/* sac_error */
	int32_t id;		/* sac_assoc_id / sse_assoc_id, or the SNDRCV id */
};

static void seq_recv(int fd, int flags, struct seq_msg *m);
static long seq_send(int fd, const struct sockaddr_in *to, int32_t id,
		     const void *buf, size_t len, int flags);

struct waiter {
	const char *name;
	enum wkind kind;
	int fd;
	int family;			/* W_CONNECT */
	struct sockaddr_in addr;	/* W_CONNECT */
	pthread_t th;
	volatile pid_t tid;
	volatile uint64_t bytes;	/* moved so far */
	volatile int done;
	long ret;			/* last call's return value */
	int err;			/* its errno, or 0 */
	int revents;			/* W_POLL */
	double t_end;			/* mono_ms() when it returned */
	int32_t assoc_id;		/* W_SEQ_SEND */
	struct seq_msg msg;		/* W_SEQ_RECV */
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	static char buf[65536];
	char rbuf[65536];
	struct pollfd p;
	long r;

	w->tid = syscall(SYS_gettid);
	switch (w->kind) {
	case W_SEND:
		do {
			r = send(w->fd, buf, sizeof(buf), MSG_NOSIGNAL);
			if (r > 0)
				w->bytes += r;
		} while (r > 0 || (r < 0 && errno == EINTR));
		break;
	case W_RECV:
		do {
			r = recv(w->fd, rbuf, sizeof(rbuf), 0);
			if (r > 0)
				w->bytes += r;
		} while (r > 0 || (r < 0 && errno == EINTR));
		break;
	case W_POLL:
		p.fd = w->fd;
		p.events = POLLIN;
		p.revents = 0;
		do
			r = poll(&p, 1, 120000);
		while (r < 0 && errno == EINTR);
		w->revents = p.revents;
		break;
	case W_CONNECT:
		for (;;) {
			int fd = socket(w->family, SOCK_STREAM, 0);

			if (fd < 0) {
				r = -1;
				break;
			}
			r = connect(fd, (struct sockaddr *)&w->addr,
				    sizeof(w->addr));
			if (r < 0 && errno == EINTR)
				r = 0;
			if (r < 0) {
				int e = errno;

				close(fd);
				errno = e;
				break;
			}
			close(fd);
			w->bytes++;	/* connections made */
		}
		break;
	case W_SEQ_SEND:
		do {
			r = seq_send(w->fd, NULL, w->assoc_id, buf, 16384,
				     MSG_NOSIGNAL);
			if (r > 0)
				w->bytes += r;
		} while (r > 0 || (r < 0 && errno == EINTR));
		break;
	case W_SEQ_RECV:
		do
			seq_recv(w->fd, 0, &w->msg);
		while (w->msg.r < 0 && w->msg.err == EINTR);
		r = w->msg.r;
		errno = w->msg.err;
		break;
	case W_ACCEPT:
	case W_ACCEPT_ALL:
	default:
		do {
			r = accept(w->fd, NULL, NULL);
			if (r >= 0) {
				close(r);
				w->bytes++;
			}
		} while ((r >= 0 && w->kind == W_ACCEPT_ALL) ||
			 (r < 0 && errno == EINTR));
		break;
	}
	w->ret = r;
	w->err = r < 0 ? errno : 0;
	w->t_end = mono_ms();
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void waiter_start(struct waiter *w, const char *name, enum wkind k,
			 int fd)
{
	memset(w, 0, sizeof(*w));
	w->name = name;
	w->kind = k;
	w->fd = fd;
	if (pthread_create(&w->th, NULL, waiter_main, w))
		FATAL("pthread_create: %s", errname(errno));
}

/* the thread's scheduler state from /proc (S = sleeping), or '?' */
static char thread_state(pid_t tid)
{
	char p[96], buf[512], *q;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(p, "r");
	if (!f)
		return '?';
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	q = strrchr(buf, ')');
	return q && q[1] == ' ' ? q[2] : '?';
}

/* wait until the thread sleeps in its call (after min_bytes moved) */
static int waiter_blocked(struct waiter *w, uint64_t min_bytes, int tmo_ms)
{
	double end = mono_ms() + tmo_ms;
	int stable = 0;

	for (;;) {
		if (__atomic_load_n(&w->done, __ATOMIC_ACQUIRE))
			return 0;
		if (w->tid && w->bytes >= min_bytes &&
		    thread_state(w->tid) == 'S') {
			/* sleeping, and still sleeping a little later */
			if (++stable >= 5)
				return 1;
		} else {
			stable = 0;
		}
		if (mono_ms() > end)
			return 0;
		sleep_ms(20);
	}
}

static int errno_is_reset(int e)
{
	return e == ECONNRESET || e == ETIMEDOUT;
}

static int errno_is_unreach(int e)
{
	return e == ENETUNREACH || e == EHOSTUNREACH || e == EADDRNOTAVAIL ||
	       e == ENODEV || e == ENETDOWN;
}

/* Is the connection reset as TCP reports it: a recv() error, or EOF and
 * then an error from send()?
 */
static int reported_reset(int fd, char *how, size_t hlen)
{
	static char buf[65536];
	unsigned long queued = 0;
	long r, s;
	int e, se;

	/* as TCP, data that arrived before the reset is read first */
	while ((r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		queued += r;
	e = r < 0 ? errno : 0;
	if (queued)
		diag("    %lu bytes queued before the reset", queued);

	if (r < 0 && errno_is_reset(e)) {
		snprintf(how, hlen, "recv %s", errname(e));
		return 1;
	}
	s = send(fd, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	se = s < 0 ? errno : 0;
	snprintf(how, hlen, "recv %ld %s, send %ld %s", r, e ? errname(e) : "0",
		 s, se ? errname(se) : "0");
	return r == 0 && s < 0 && (se == EPIPE || errno_is_reset(se));
}

#define NW 9

TEST_SDP_T(link_delete_mid_transfer, 240)
{
	const int bound_ms = scaled_ms(30000);
	struct waiter w[NW];
	struct waiter *snd = &w[0], *rcv = &w[1], *fs = &w[2], *fr = &w[3];
	struct waiter *pl = &w[4], *ac = &w[5], *cn = &w[6], *aa = &w[7];
	struct waiter *zs = &w[8];
	int bs_c, bs_s, br_c, br_s, fl_c, fl_s, id_c, id_s, pl_c, pl_s;
	int zs_c, zs_s, or_c, or_s, l, l2, l3, rc, i, fd, rev, nthreads = 9;
	long long zc0, zc1;
	char how[160], lb[96];
	struct sockaddr_in a;
	uint16_t port, port2, port3;
	double t0, t_del, tmax = 0;
	static char big[1 << 20];

	if (getenv("SDP_MODE") && !strcmp(getenv("SDP_MODE"), "two"))
		skip_test("one-guest test (SDP_MODE=two)");
	if (!getenv("SDP_RDMA_DEV") || !dev_present())
		skip_test("needs a guest with an rxe link (SDP_RDMA_DEV)");
	if (geteuid())
		skip_test("needs root for rdma link delete/add");

	l = t_listener(f, &port);
	t_connect_accept(f, l, port, &bs_c, &bs_s);	/* blocked sender */
	t_connect_accept(f, l, port, &br_c, &br_s);	/* blocked receiver */
	t_connect_accept(f, l, port, &fl_c, &fl_s);	/* flowing transfer */
	t_connect_accept(f, l, port, &id_c, &id_s);	/* idle */
	t_connect_accept(f, l, port, &pl_c, &pl_s);	/* poll() waits */
	t_connect_accept(f, l, port, &or_c, &or_s);	/* orphaned client */
	t_connect_accept(f, l, port, &zs_c, &zs_s);	/* blocked zero copy */
	/* the flowing transfer and the second blocked sender go by zero
	 * copy (64 KiB sends over a 4 KiB threshold): the flow's SrcAvails
	 * are read straight into its reader's buffer, the blocked sender's
	 * SrcAvail stays out once its peer's receive buffer is full
	 */
	SETUP_VAL("flowing sender: SDP_ZCOPY_THRESH 4096",
		  set_int_opt(fl_c, SOL_SDP, SDP_ZCOPY_THRESH, 4096), 0);
	SETUP_VAL("flowing receiver: SDP_ZCOPY_THRESH 4096",
		  set_int_opt(fl_s, SOL_SDP, SDP_ZCOPY_THRESH, 4096), 0);
	SETUP_VAL("blocked zero-copy sender: SDP_ZCOPY_THRESH 4096",
		  set_int_opt(zs_c, SOL_SDP, SDP_ZCOPY_THRESH, 4096), 0);
	l2 = t_listener(f, &port2);			/* accept() waits */
	l3 = t_listener(f, &port3);			/* connections come and go */

	/* the orphan: fill what its peer will take unread, then close */
	set_nonblock(or_c, 1);
	while (send(or_c, big, sizeof(big), MSG_NOSIGNAL) > 0)
		;
	rc = errno;
	SETUP_OK("setup: orphan has unsent data", rc == EAGAIN ? 0 : -1);
	close(or_c);

	zc0 = sdp_counter("ZcopyTxBytes");
	waiter_start(snd, "blocked sender", W_SEND, bs_c);
	waiter_start(zs, "blocked zero-copy sender", W_SEND, zs_c);
	waiter_start(rcv, "blocked receiver", W_RECV, br_c);
	waiter_start(fs, "flowing sender", W_SEND, fl_c);
	waiter_start(fr, "flowing receiver", W_RECV, fl_s);
	waiter_start(pl, "poll waiter", W_POLL, pl_c);
	waiter_start(ac, "accept waiter", W_ACCEPT, l2);
	waiter_start(aa, "accept loop", W_ACCEPT_ALL, l3);
	memset(cn, 0, sizeof(*cn));
	cn->name = "connect loop";
	cn->kind = W_CONNECT;
	cn->fd = -1;
	cn->family = f->family;
	cn->addr = sin_peer(port3);
	if (pthread_create(&cn->th, NULL, waiter_main, cn))
		FATAL("pthread_create: %s", errname(errno));

	REQUIRE(waiter_blocked(snd, 1, scaled_ms(20000)),
		"the sender did not block (sent %llu)",
		(unsigned long long)snd->bytes);
	REQUIRE(waiter_blocked(zs, 1, scaled_ms(20000)),
		"the zero-copy sender did not block (sent %llu)",
		(unsigned long long)zs->bytes);
	REQUIRE(waiter_blocked(rcv, 0, scaled_ms(10000)), "recv did not block");
	REQUIRE(waiter_blocked(pl, 0, scaled_ms(10000)), "poll did not block");
	REQUIRE(waiter_blocked(ac, 0, scaled_ms(10000)), "accept did not block");
	/* the flow is moving: wait until 1 MiB went through */
	{
		double end = mono_ms() + scaled_ms(30000);

		while (fr->bytes < (1 << 20) && !fr->done && mono_ms() < end)
			sleep_ms(10);
		REQUIRE(fr->bytes >= (1 << 20) && !fr->done && !fs->done,
			"the transfer did not get going (%llu bytes)",
			(unsigned long long)fr->bytes);
	}
	{
		double end = mono_ms() + scaled_ms(30000);

		while (cn->bytes < 3 && !cn->done && mono_ms() < end)
			sleep_ms(10);
		REQUIRE(cn->bytes >= 3 && !cn->done,
			"the connect loop did not get going (%llu, %s)",
			(unsigned long long)cn->bytes, errname(cn->err));
	}
	zc1 = sdp_counter("ZcopyTxBytes");
	diag("ZcopyTxBytes +%lld before the link goes", zc1 - zc0);
	EXPECT_TRUE("the flow and the blocked sender went by zero copy",
		    zc0 >= 0 && zc1 - zc0 >= (1 << 20));
	obs("all calls blocked, transfer flowing, connections coming and going");

	t0 = mono_ms();
	rc = link_delete(bound_ms);
	t_del = mono_ms() - t0;
	diag("rdma link delete %s: status %d after %.0f ms", rdma_dev(), rc,
	     t_del);
	EXPECT_TRUE("rdma link delete finishes in time", rc != -2);
	EXPECT_EQ("rdma link delete status", rc, 0);
	if (rc == -2) {
		FAIL("rdma link delete hangs: sdp does not let go of the device");
		return;
	}
	EXPECT_TRUE("device gone", !dev_present());

	/* every blocked call returns, within the bound */
	for (;;) {
		int all = 1;

		for (i = 0; i < nthreads; i++)
			all &= __atomic_load_n(&w[i].done, __ATOMIC_ACQUIRE);
		if (all || mono_ms() - t0 > bound_ms)
			break;
		sleep_ms(10);
	}
	for (i = 0; i < nthreads; i++) {
		if (!w[i].done) {
			snprintf(lb, sizeof(lb), "%s returns", w[i].name);
			EXPECT_TRUE(lb, 0);
			continue;
		}
		pthread_join(w[i].th, NULL);
		if (w[i].t_end - t0 > tmax)
			tmax = w[i].t_end - t0;
		diag("%s: ret %ld errno %s after %.0f ms, %llu bytes, revents %s",
		     w[i].name, w[i].ret, w[i].err ? errname(w[i].err) : "0",
		     w[i].t_end - t0, (unsigned long long)w[i].bytes,
		     pollstr(w[i].revents));
	}
	if (snd->done) {
		EXPECT_TRUE("blocked sender: ECONNRESET/ETIMEDOUT",
			    snd->ret < 0 && errno_is_reset(snd->err));
	}
	if (fs->done) {
		EXPECT_TRUE("flowing sender: ECONNRESET/ETIMEDOUT",
			    fs->ret < 0 && errno_is_reset(fs->err));
	}
	if (zs->done) {
		EXPECT_TRUE("blocked zero-copy sender: ECONNRESET/ETIMEDOUT",
			    zs->ret < 0 && errno_is_reset(zs->err));
	}
	if (rcv->done) {
		EXPECT_TRUE("blocked receiver: reset (error, or EOF then error)",
			    (rcv->ret < 0 && errno_is_reset(rcv->err)) ||
			    (rcv->ret == 0 && reported_reset(br_c, how, sizeof(how))));
	}
	if (fr->done) {
		EXPECT_TRUE("flowing receiver: reset (error, or EOF then error)",
			    (fr->ret < 0 && errno_is_reset(fr->err)) ||
			    (fr->ret == 0 && reported_reset(fl_s, how, sizeof(how))));
	}
	if (pl->done) {
		EXPECT_TRUE("poll waiter: POLLERR or POLLHUP",
			    pl->ret == 1 && (pl->revents & (POLLERR | POLLHUP)));
	}
	if (ac->done)
		EXPECT_TRUE("accept waiter: an error", ac->ret < 0 && ac->err);
	if (aa->done)
		EXPECT_TRUE("accept loop: an error", aa->ret < 0 && aa->err);
	/* a connect in flight is refused, reset or finds no device */
	if (cn->done)
		EXPECT_TRUE("connect loop: ends with an errno",
			    cn->ret < 0 && (errno_is_reset(cn->err) ||
					    errno_is_unreach(cn->err) ||
					    cn->err == ECONNREFUSED));
	diag("slowest wake-up %.0f ms after rdma link delete started", tmax);

	/* the idle connection and the passive ends: poll says ERR|HUP */
	{
		int fds[] = { id_c, id_s, bs_s, zs_s, br_s, pl_s };
		const char *names[] = { "idle client", "idle server",
					"blocked sender's peer",
					"blocked zero-copy sender's peer",
					"blocked receiver's peer",
					"poll waiter's peer" };
		int left;

		for (i = 0; i < (int)(sizeof(fds) / sizeof(fds[0])); i++) {
			left = bound_ms - (int)(mono_ms() - t0);
			rev = poll_until(fds[i], POLLERR | POLLHUP,
					 left > 0 ? left : 0);
			diag("%s: revents %s", names[i], pollstr(rev));
			snprintf(lb, sizeof(lb), "%s: POLLERR|POLLHUP", names[i]);
			EXPECT_TRUE(lb, (rev & (POLLERR | POLLHUP)) ==
				    (POLLERR | POLLHUP));
			snprintf(lb, sizeof(lb), "%s: reset reported", names[i]);
			EXPECT_TRUE(lb, reported_reset(fds[i], how, sizeof(how)));
			diag("%s: %s", names[i], how);
		}
	}
	/* the listener that accepted: no longer listening */
	rc = accept4(l, NULL, NULL, SOCK_NONBLOCK);
	diag("old listener: accept %d %s, SO_ERROR %s", rc,
	     rc < 0 ? errname(errno) : "0",
	     errname(get_int_opt(l, SOL_SOCKET, SO_ERROR)));
	EXPECT_TRUE("old listener: accept fails", rc < 0 && errno != EAGAIN);
	if (rc >= 0)
		close(rc);

	/* while the device is gone: connect and bind fail at once */
	fd = t_socket(f);
	a = sin_peer(port);
	t0 = mono_ms();
	rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
	{
		int e = rc < 0 ? errno : 0;

		diag("connect without device: %d %s after %.0f ms", rc,
		     errname(e), mono_ms() - t0);
		EXPECT_TRUE("connect without device: ENETUNREACH-like errno",
			    rc < 0 && errno_is_unreach(e));
		EXPECT_TRUE("connect without device: within 10 s",
			    mono_ms() - t0 < scaled_ms(10000));
	}
	close(fd);
	fd = t_socket(f);
	set_nonblock(fd, 1);
	t0 = mono_ms();
	rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
	if (rc < 0 && errno == EINPROGRESS) {
		rev = poll_until(fd, POLLOUT, scaled_ms(10000));
		rc = get_int_opt(fd, SOL_SOCKET, SO_ERROR);
		diag("non-blocking connect: revents %s SO_ERROR %s after %.0f ms",
		     pollstr(rev), errname(rc), mono_ms() - t0);
		EXPECT_TRUE("non-blocking connect without device: POLLERR and errno",
			    (rev & POLLERR) && errno_is_unreach(rc));
	} else {
		int e = rc < 0 ? errno : 0;

		diag("non-blocking connect: %d %s", rc, errname(e));
		EXPECT_TRUE("non-blocking connect without device: errno",
			    rc < 0 && errno_is_unreach(e));
	}
	close(fd);
	fd = t_socket(f);
	a = sin_local(0);
	rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
	diag("bind without device: %d %s", rc, rc < 0 ? errname(errno) : "0");
	EXPECT_TRUE("bind without device: EADDRNOTAVAIL/ENODEV",
		    rc < 0 && (errno == EADDRNOTAVAIL || errno == ENODEV));
	close(fd);

	int all_fds[] = { bs_c, bs_s, br_c, br_s, fl_c, fl_s, id_c, id_s,
			  pl_c, pl_s, zs_c, zs_s, or_s, l, l2, l3 };
	for (i = 0; i < (int)(sizeof(all_fds) / sizeof(all_fds[0])); i++)
		EXPECT_VAL("close", close(all_fds[i]), 0);

	/* the link comes back: a new connection moves data both ways */
	rc = link_add(scaled_ms(30000));
	EXPECT_EQ("rdma link add status", rc, 0);
	REQUIRE(wait_port_active(scaled_ms(20000)), "port not ACTIVE again");
	{
		double end = mono_ms() + scaled_ms(20000);
		struct xfer up = {}, down = {};
		pthread_t tu, td;
		int cli, srv, tries = 0;

		/* the new device's addresses appear shortly after the port */
		for (;;) {
			fd = t_socket(f);
			a = sin_local(0);
			tries++;
			if (!bind(fd, (struct sockaddr *)&a, sizeof(a)))
				break;
			close(fd);
			REQUIRE(mono_ms() < end, "bind after re-add: %s",
				errname(errno));
			sleep_ms(50);
		}
		diag("bind after re-add: %d tries", tries);
		SETUP_OK("listen", listen(fd, 4));
		port = t_port_of(fd);
		t_connect_accept(f, fd, port, &cli, &srv);
		close(fd);
		up.fd = cli;
		up.seed = seed_new();
		up.len = 4 << 20;
		up.shut_wr = 1;
		down.fd = srv;
		down.seed = up.seed;
		down.len = up.len;
		down.expect_eof = 1;
		pthread_create(&tu, NULL, xfer_send_thread, &up);
		pthread_create(&td, NULL, xfer_recv_thread, &down);
		pthread_join(tu, NULL);
		pthread_join(td, NULL);
		xfer_diag("after re-add, sender", &up);
		xfer_diag("after re-add, receiver", &down);
		EXPECT_TRUE("after re-add: 4 MiB sent", up.err == 0 &&
			    up.done == up.len);
		EXPECT_TRUE("after re-add: 4 MiB received intact, EOF",
			    down.err == 0 && down.done == down.len &&
			    down.bad_off < 0 && down.eof_ok &&
			    !memcmp(up.sha, down.sha, sizeof(up.sha)));
		close(cli);
		close(srv);
	}

	/* every socket is gone: the module can be unloaded */
	{
		double end = mono_ms() + scaled_ms(30000);
		int refs, socks;

		for (;;) {
			refs = module_refs();
			socks = proc_socks();
			if ((refs == 0 && socks <= 0) || mono_ms() > end)
				break;
			sleep_ms(50);
		}
		diag("sdp module refs %d, /proc/net/sdp sockets %d", refs, socks);
		if (socks > 0) {
			char line[512];
			FILE *pf = fopen("/proc/net/sdp", "r");

			while (pf && fgets(line, sizeof(line), pf))
				diag("  %s", strtok(line, "\n"));
			if (pf)
				fclose(pf);
		}
		EXPECT_TRUE("all sdp sockets freed (module refcount 0)",
			    refs == 0 && socks <= 0);
	}
}

/* ---- one-to-many sockets: their associations are lost with the device ---- */

static const char *sac_state_name(int st)
{
	static const char *n[] = { "COMM_UP", "COMM_LOST", "RESTART",
				   "SHUTDOWN_COMP", "CANT_STR_ASSOC" };
	static __thread char b[32];

	if (st >= 0 && st < 5)
		return n[st];
	snprintf(b, sizeof(b), "state %d", st);
	return b;
}

static const char *seq_msg_str(const struct seq_msg *m)
{
	static __thread char b[128];

	if (m->r < 0)
		snprintf(b, sizeof(b), "-1 %s", errname(m->err));
	else if (!m->note)
		snprintf(b, sizeof(b), "%ld bytes of data (id %d)", m->r, m->id);
	else if (m->type == SDP_ASSOC_CHANGE)
		snprintf(b, sizeof(b), "ASSOC_CHANGE %s id %d sac_error %d",
			 sac_state_name(m->state), m->id, m->error);
	else if (m->type == SDP_SHUTDOWN_EVENT)
		snprintf(b, sizeof(b), "SHUTDOWN_EVENT id %d", m->id);
	else
		snprintf(b, sizeof(b), "notification 0x%x, %ld bytes", m->type,
			 m->r);
	return b;
}

static void seq_recv(int fd, int flags, struct seq_msg *m)
{
	static __thread char buf[65536];
	union {
		struct cmsghdr c;
		char b[CMSG_SPACE(sizeof(struct sdp_sndrcvinfo))];
	} cb;
	struct iovec iov = { buf, sizeof(buf) };
	struct sockaddr_storage ss;
	struct msghdr mh = {
		.msg_name = &ss, .msg_namelen = sizeof(ss),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cb.b, .msg_controllen = sizeof(cb.b),
	};
	struct cmsghdr *c;

	memset(m, 0, sizeof(*m));
	m->r = recvmsg(fd, &mh, flags);
	m->err = m->r < 0 ? errno : 0;
	if (m->r < 0)
		return;
	m->flags = mh.msg_flags;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		struct sdp_sndrcvinfo si;

		if (c->cmsg_level != SOL_SDP || c->cmsg_type != SDP_SNDRCV ||
		    c->cmsg_len != CMSG_LEN(sizeof(si)))
			continue;
		memcpy(&si, CMSG_DATA(c), sizeof(si));
		m->id = si.sinfo_assoc_id;
	}
	if (!(mh.msg_flags & MSG_NOTIFICATION))
		return;
	m->note = 1;
	if (m->r >= (long)sizeof(struct sdp_notification_header)) {
		struct sdp_notification_header h;

		memcpy(&h, buf, sizeof(h));
		m->type = h.sn_type;
	}
	if (m->type == SDP_ASSOC_CHANGE &&
	    m->r >= (long)sizeof(struct sdp_assoc_change)) {
		struct sdp_assoc_change a;

		memcpy(&a, buf, sizeof(a));
		m->state = a.sac_state;
		m->error = a.sac_error;
		m->id = a.sac_assoc_id;
	} else if (m->type == SDP_SHUTDOWN_EVENT &&
		   m->r >= (long)sizeof(struct sdp_shutdown_event)) {
		struct sdp_shutdown_event e;

		memcpy(&e, buf, sizeof(e));
		m->id = e.sse_assoc_id;
	}
}

/* a message to @to (NULL: none) or association @id (0: none) */
static long seq_send(int fd, const struct sockaddr_in *to, int32_t id,
		     const void *buf, size_t len, int flags)
{
	union {
		struct cmsghdr c;
		char b[CMSG_SPACE(sizeof(struct sdp_sndrcvinfo))];
	} cb;
	struct sdp_sndrcvinfo si = { .sinfo_assoc_id = id };
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = {
		.msg_name = (void *)to, .msg_namelen = to ? sizeof(*to) : 0,
		.msg_iov = &iov, .msg_iovlen = 1,
	};

	if (id) {
		memset(&cb, 0, sizeof(cb));
		cb.c.cmsg_level = SOL_SDP;
		cb.c.cmsg_type = SDP_SNDRCV;
		cb.c.cmsg_len = CMSG_LEN(sizeof(si));
		memcpy(CMSG_DATA(&cb.c), &si, sizeof(si));
		mh.msg_control = cb.b;
		mh.msg_controllen = sizeof(cb.b);
	}
	return sendmsg(fd, &mh, flags);
}

/* SDP_STATUS of association @id: 0, or -1 and errno */
static int seq_status(int fd, int32_t id)
{
	struct sdp_status st;
	socklen_t l = sizeof(st);

	memset(&st, 0, sizeof(st));
	st.sstat_assoc_id = id;
	return getsockopt(fd, SOL_SDP, SDP_STATUS, &st, &l);
}

/* SDP_STATUS on @id fails with EINVAL (forgotten), within ms */
static int seq_gone(int fd, int32_t id, int ms)
{
	double end = mono_ms() + ms;

	while (!seq_status(fd, id)) {
		if (mono_ms() > end)
			return 0;
		sleep_ms(10);
	}
	return errno == EINVAL;
}

/*
 * A one-to-many socket bound to SDP_ADDR:0 (listening if backlog > 0)
 * with data_io, association and shutdown events, its blocking calls bound
 * by tmo_ms. -1 if bind fails (errno set).
 */
static int seq_socket(const struct fam *f, int backlog, int tmo_ms,
		      uint16_t *port)
{
	struct sdp_event_subscribe ev = {
		.sdp_data_io_event = 1,
		.sdp_association_event = 1,
		.sdp_shutdown_event = 1,
	};
	struct timeval tv = { tmo_ms / 1000, (tmo_ms % 1000) * 1000 };
	struct sockaddr_in a = sin_local(0);
	int fd = SETUP_OK("setup: socket(SOCK_SEQPACKET)",
			  socket(f->family, SOCK_SEQPACKET, 0));

	if (bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	if (backlog > 0)
		SETUP_OK("setup: listen", listen(fd, backlog));
	SETUP_OK("setup: SDP_EVENTS",
		 setsockopt(fd, SOL_SDP, SDP_EVENTS, &ev, sizeof(ev)));
	SETUP_OK("setup: SO_RCVTIMEO",
		 setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	SETUP_OK("setup: SO_SNDTIMEO",
		 setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	if (port)
		*port = t_port_of(fd);
	return fd;
}

/* the next thing on fd within ms (r = -1, err = ETIME if none; a
 * pending socket error is returned as r = -1 and its errno)
 */
static void seq_next(int fd, int ms, struct seq_msg *m)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, ms > 0 ? ms : 0) != 1) {
		memset(m, 0, sizeof(*m));
		m->r = -1;
		m->err = ETIME;
		return;
	}
	seq_recv(fd, MSG_DONTWAIT, m);
}

/* a notification of type/state (state < 0: any) for id */
static int seq_is(const struct seq_msg *m, int type, int state, int32_t id)
{
	return m->r >= 0 && m->note && m->type == type &&
	       (state < 0 || m->state == state) && (!id || m->id == id);
}

/*
 * Client c sends "hello" to the server s: COMM_UP on both (*cid, *sid),
 * then the data at s on the same id.
 */
static void seq_up(int s, uint16_t sport, int c, int32_t *sid, int32_t *cid)
{
	struct sockaddr_in sa = sin_peer(sport);
	struct seq_msg m;

	SETUP_VAL("setup: hello", seq_send(c, &sa, 0, "hello", 5, 0), 5);
	seq_next(c, scaled_ms(10000), &m);
	REQUIRE(seq_is(&m, SDP_ASSOC_CHANGE, SDP_COMM_UP, 0),
		"client: %s, want COMM_UP", seq_msg_str(&m));
	*cid = m.id;
	seq_next(s, scaled_ms(10000), &m);
	REQUIRE(seq_is(&m, SDP_ASSOC_CHANGE, SDP_COMM_UP, 0),
		"server: %s, want COMM_UP", seq_msg_str(&m));
	*sid = m.id;
	seq_next(s, scaled_ms(10000), &m);
	REQUIRE(m.r == 5 && !m.note && m.id == *sid,
		"server: %s, want the 5 bytes on id %d", seq_msg_str(&m), *sid);
}

/* sdp's module reference count drops to 0 and /proc/net/sdp empties */
static void expect_all_freed(void)
{
	double end = mono_ms() + scaled_ms(30000);
	int refs, socks;

	for (;;) {
		refs = module_refs();
		socks = proc_socks();
		if ((refs == 0 && socks <= 0) || mono_ms() > end)
			break;
		sleep_ms(50);
	}
	diag("sdp module refs %d, /proc/net/sdp sockets %d", refs, socks);
	if (socks > 0) {
		char line[512];
		FILE *pf = fopen("/proc/net/sdp", "r");

		while (pf && fgets(line, sizeof(line), pf))
			diag("  %s", strtok(line, "\n"));
		if (pf)
			fclose(pf);
	}
	EXPECT_TRUE("all sdp sockets freed (module refcount 0)",
		    refs == 0 && socks <= 0);
}

#define SEQ_NC	3

/*
 * One guest: a one-to-many server socket with association events has
 * SEQ_NC associations, one from each of SEQ_NC client one-to-many
 * sockets (events on too). Client 0 has a thread blocked in recvmsg,
 * client 2 one blocked in poll(); the server has a thread blocked in
 * sendmsg to client 1's association, which does not read. Then the rxe
 * link is deleted. Within 10 s (times SDP_TIMEOUT_SCALE) of rdma link
 * delete returning, every association on both sides reports
 * SDP_ASSOC_CHANGE SDP_COMM_LOST with a nonzero sac_error (client 1 after
 * the data that had reached it), the blocked calls return (the sender with
 * an error), SDP_STATUS on every id fails with EINVAL and a send on a lost
 * id too; a new association cannot be started (an errno or
 * CANT_STR_ASSOC, at once); close() returns. The link is added again and
 * a new association moves a message each way. At the end every sdp
 * socket is freed.
 */
TEST_SDP_T(assocs_lost_on_link_delete, 240)
{
	const int sock_tmo = scaled_ms(60000);
	int s, c[SEQ_NC], i, rc, lost_s = 0, lost_c = 0, zero_err = 0;
	int32_t sid[SEQ_NC], cid[SEQ_NC];
	int s_lost[SEQ_NC] = { 0 }, other = 0;
	struct waiter wr, wp, ws;
	struct sockaddr_in sa;
	struct seq_msg m;
	uint16_t sport;
	double t0, t_del, deadline;
	char lb[128];

	if (getenv("SDP_MODE") && !strcmp(getenv("SDP_MODE"), "two"))
		skip_test("one-guest test (SDP_MODE=two)");
	if (!getenv("SDP_RDMA_DEV") || !dev_present())
		skip_test("needs a guest with an rxe link (SDP_RDMA_DEV)");
	if (geteuid())
		skip_test("needs root for rdma link delete/add");

	s = seq_socket(f, 16, sock_tmo, &sport);
	REQUIRE(s >= 0, "bind: %s", errname(errno));
	sa = sin_peer(sport);
	for (i = 0; i < SEQ_NC; i++) {
		c[i] = seq_socket(f, 0, sock_tmo, NULL);
		REQUIRE(c[i] >= 0, "bind: %s", errname(errno));
		seq_up(s, sport, c[i], &sid[i], &cid[i]);
		diag("association %d: server id %d, client id %d", i, sid[i],
		     cid[i]);
		EXPECT_OK("server: SDP_STATUS", seq_status(s, sid[i]));
		EXPECT_OK("client: SDP_STATUS", seq_status(c[i], cid[i]));
	}
	waiter_start(&wr, "client 0 recvmsg", W_SEQ_RECV, c[0]);
	waiter_start(&wp, "client 2 poll", W_POLL, c[2]);
	memset(&ws, 0, sizeof(ws));
	ws.name = "server sendmsg to client 1";
	ws.kind = W_SEQ_SEND;
	ws.fd = s;
	ws.assoc_id = sid[1];
	if (pthread_create(&ws.th, NULL, waiter_main, &ws))
		FATAL("pthread_create: %s", errname(errno));
	REQUIRE(waiter_blocked(&wr, 0, scaled_ms(10000)), "recvmsg did not block");
	REQUIRE(waiter_blocked(&wp, 0, scaled_ms(10000)), "poll did not block");
	REQUIRE(waiter_blocked(&ws, 1, scaled_ms(30000)),
		"the server's sender did not block (sent %llu, %s)",
		(unsigned long long)ws.bytes, ws.done ? errname(ws.err) : "running");
	diag("server's sender blocked after %llu bytes",
	     (unsigned long long)ws.bytes);
	obs("%d associations up; recvmsg, poll and sendmsg blocked", SEQ_NC);

	t0 = mono_ms();
	rc = link_delete(scaled_ms(30000));
	t_del = mono_ms() - t0;
	diag("rdma link delete %s: status %d after %.0f ms", rdma_dev(), rc,
	     t_del);
	EXPECT_TRUE("rdma link delete finishes in time", rc != -2);
	EXPECT_EQ("rdma link delete status", rc, 0);
	if (rc == -2) {
		FAIL("rdma link delete hangs: sdp does not let go of the device");
		return;
	}
	EXPECT_TRUE("device gone", !dev_present());
	deadline = mono_ms() + scaled_ms(10000);

	/* the server: COMM_LOST for each of its associations */
	while (lost_s < SEQ_NC) {
		seq_next(s, (int)(deadline - mono_ms()), &m);
		if (m.r < 0) {
			diag("server: %s after %d COMM_LOST, %.0f ms after the delete",
			     seq_msg_str(&m), lost_s, mono_ms() - t0);
			break;
		}
		diag("server: %s after %.0f ms", seq_msg_str(&m), mono_ms() - t0);
		for (i = 0; i < SEQ_NC && sid[i] != m.id; i++)
			;
		if (i < SEQ_NC && seq_is(&m, SDP_ASSOC_CHANGE, SDP_COMM_LOST, 0) &&
		    !s_lost[i]) {
			s_lost[i] = 1;
			lost_s++;
			zero_err += !m.error;
		} else {
			other++;
		}
	}
	EXPECT_EQ("server: COMM_LOST for every association", lost_s, SEQ_NC);

	/* client 0: its blocked recvmsg returns the COMM_LOST */
	while (!__atomic_load_n(&wr.done, __ATOMIC_ACQUIRE) && mono_ms() < deadline)
		sleep_ms(10);
	EXPECT_TRUE("client 0: blocked recvmsg returns", wr.done);
	if (wr.done) {
		pthread_join(wr.th, NULL);
		diag("client 0: recvmsg: %s after %.0f ms", seq_msg_str(&wr.msg),
		     wr.t_end - t0);
		/* as SCTP's one-to-many socket: the association's end is a
		 * notification, not an error of the socket */
		EXPECT_TRUE("client 0: the blocked recvmsg returns COMM_LOST",
			    seq_is(&wr.msg, SDP_ASSOC_CHANGE, SDP_COMM_LOST, cid[0]));
		m = wr.msg;
		if (!m.note) {
			seq_next(c[0], (int)(deadline - mono_ms()), &m);
			diag("client 0: then %s after %.0f ms", seq_msg_str(&m),
			     mono_ms() - t0);
		}
		if (seq_is(&m, SDP_ASSOC_CHANGE, SDP_COMM_LOST, cid[0])) {
			lost_c++;
			zero_err += !m.error;
		}
	}
	/* client 1: the data that reached it, then COMM_LOST */
	{
		unsigned long data = 0;

		for (;;) {
			seq_next(c[1], (int)(deadline - mono_ms()), &m);
			if (m.r < 0 || m.note)
				break;
			data += m.r;
		}
		diag("client 1: %lu bytes of data, then %s", data, seq_msg_str(&m));
		if (seq_is(&m, SDP_ASSOC_CHANGE, SDP_COMM_LOST, cid[1])) {
			lost_c++;
			zero_err += !m.error;
		}
	}
	/* client 2: its poll() wakes, the COMM_LOST is there */
	while (!__atomic_load_n(&wp.done, __ATOMIC_ACQUIRE) && mono_ms() < deadline)
		sleep_ms(10);
	EXPECT_TRUE("client 2: blocked poll returns", wp.done);
	if (wp.done) {
		pthread_join(wp.th, NULL);
		diag("client 2: poll %ld revents %s after %.0f ms", wp.ret,
		     pollstr(wp.revents), wp.t_end - t0);
		EXPECT_TRUE("client 2: poll says POLLIN (a notification)",
			    wp.ret == 1 && (wp.revents & POLLIN));
		seq_next(c[2], (int)(deadline - mono_ms()), &m);
		diag("client 2: %s", seq_msg_str(&m));
		if (m.r < 0 && m.err != ETIME) {
			seq_next(c[2], (int)(deadline - mono_ms()), &m);
			diag("client 2: then %s", seq_msg_str(&m));
		}
		if (seq_is(&m, SDP_ASSOC_CHANGE, SDP_COMM_LOST, cid[2])) {
			lost_c++;
			zero_err += !m.error;
		}
	}
	EXPECT_EQ("clients: COMM_LOST for every association", lost_c, SEQ_NC);
	EXPECT_EQ("COMM_LOST with sac_error 0", zero_err, 0);
	EXPECT_EQ("server: other notifications or data", other, 0);

	/* the server's blocked sender fails */
	while (!__atomic_load_n(&ws.done, __ATOMIC_ACQUIRE) && mono_ms() < deadline)
		sleep_ms(10);
	EXPECT_TRUE("server: blocked sendmsg returns", ws.done);
	if (ws.done) {
		pthread_join(ws.th, NULL);
		diag("server sendmsg: %ld %s after %.0f ms, %llu bytes", ws.ret,
		     ws.err ? errname(ws.err) : "0", ws.t_end - t0,
		     (unsigned long long)ws.bytes);
		EXPECT_TRUE("server: blocked sendmsg fails (EPIPE/ECONNRESET/...)",
			    ws.ret < 0 && (ws.err == EPIPE || ws.err == EINVAL ||
					   errno_is_reset(ws.err) ||
					   ws.err == ECONNABORTED));
	}
	if (!wr.done || !wp.done || !ws.done)
		FATAL("a call on a one-to-many socket hangs after rdma link delete");

	/* every association is forgotten */
	for (i = 0; i < SEQ_NC; i++) {
		snprintf(lb, sizeof(lb), "server: SDP_STATUS(id of association %d) EINVAL", i);
		EXPECT_TRUE(lb, seq_gone(s, sid[i], scaled_ms(2000)));
		snprintf(lb, sizeof(lb), "client %d: SDP_STATUS(its id) EINVAL", i);
		EXPECT_TRUE(lb, seq_gone(c[i], cid[i], scaled_ms(2000)));
	}
	EXPECT_ERR("server: send on a lost id",
		   seq_send(s, NULL, sid[0], "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT),
		   EINVAL);
	rc = poll_now(s, 300);
	EXPECT_TRUE("server: nothing else to read", !(rc & POLLIN));

	/* no new association while the device is gone: failure, at once */
	t0 = mono_ms();
	rc = seq_send(c[0], &sa, 0, "lost", 4, MSG_NOSIGNAL);
	{
		int e = rc < 0 ? errno : 0, ok;

		if (rc == 4) {
			seq_next(c[0], scaled_ms(10000), &m);
			diag("sendto without device: 4, then %s after %.0f ms",
			     seq_msg_str(&m), mono_ms() - t0);
			if (m.r < 0 && m.err != ETIME) {
				seq_next(c[0], scaled_ms(10000), &m);
				diag("sendto without device: then %s after %.0f ms",
				     seq_msg_str(&m), mono_ms() - t0);
			}
			ok = seq_is(&m, SDP_ASSOC_CHANGE, SDP_CANT_STR_ASSOC, 0);
		} else {
			diag("sendto without device: %d %s after %.0f ms", rc,
			     errname(e), mono_ms() - t0);
			ok = rc < 0 && e != EAGAIN && e != EINTR;
		}
		EXPECT_TRUE("sendto without device: an errno or CANT_STR_ASSOC", ok);
		EXPECT_TRUE("sendto without device: within 10 s",
			    mono_ms() - t0 < scaled_ms(10000));
	}

	t0 = mono_ms();
	EXPECT_VAL("close(server)", close(s), 0);
	for (i = 0; i < SEQ_NC; i++)
		EXPECT_VAL("close(client)", close(c[i]), 0);
	diag("closes took %.0f ms", mono_ms() - t0);

	/* the link comes back: a new association, a message each way */
	rc = link_add(scaled_ms(30000));
	EXPECT_EQ("rdma link add status", rc, 0);
	REQUIRE(wait_port_active(scaled_ms(20000)), "port not ACTIVE again");
	{
		double end = mono_ms() + scaled_ms(20000);
		int tries = 0, c2;
		int32_t s2, k2;

		/* the new device's addresses appear shortly after the port */
		for (;;) {
			tries++;
			s = seq_socket(f, 16, scaled_ms(10000), &sport);
			if (s >= 0)
				break;
			REQUIRE(mono_ms() < end, "bind after re-add: %s",
				errname(errno));
			sleep_ms(50);
		}
		diag("bind after re-add: %d tries", tries);
		c2 = seq_socket(f, 0, scaled_ms(10000), NULL);
		REQUIRE(c2 >= 0, "client bind after re-add: %s", errname(errno));
		seq_up(s, sport, c2, &s2, &k2);
		obs("after re-add: a new association, COMM_UP on both sides");
		EXPECT_VAL("after re-add: server replies by id",
			   seq_send(s, NULL, s2, "back", 4, 0), 4);
		seq_next(c2, scaled_ms(10000), &m);
		diag("after re-add: client: %s", seq_msg_str(&m));
		EXPECT_TRUE("after re-add: the client gets the reply",
			    m.r == 4 && !m.note && m.id == k2 &&
			    (m.flags & MSG_EOR));
		EXPECT_OK("after re-add: SDP_STATUS", seq_status(s, s2));
		EXPECT_VAL("close(client)", close(c2), 0);
		EXPECT_VAL("close(server)", close(s), 0);
	}
	expect_all_freed();
}

/* ---- two guests: the peer dies mid-transfer ---- */

#define PEER_PORT	7493
#define CHECK_LEN	(1u << 20)
#define CHECK_SEED	0x5d9e4a11c0ffeeULL

/* all sockets gone, so that run-selftests.sh can unload the module */
static void wait_no_socks(const char *who)
{
	double end = mono_ms() + scaled_ms(30000);
	int socks;

	while ((socks = proc_socks()) > 0 && mono_ms() < end)
		sleep_ms(50);
	diag("%s: sdp sockets left at the end: %d", who, socks);
	EXPECT_TRUE("all sdp sockets freed", socks <= 0);
}

static int accept_within(int l, int tmo_ms)
{
	struct pollfd p = { .fd = l, .events = POLLIN };

	if (poll(&p, 1, tmo_ms) != 1)
		return -1;
	return accept(l, NULL, NULL);
}

static int connect_within(const struct fam *f, int tmo_ms)
{
	struct sockaddr_in a = sin_peer(PEER_PORT);
	double end = mono_ms() + tmo_ms;
	int tries = 0, last = 0;

	for (;;) {
		int fd = t_socket(f);

		tries++;
		if (!connect(fd, (struct sockaddr *)&a, sizeof(a)))
			return fd;
		if (errno != last)
			diag("connect try %d: %s", tries, errname(errno));
		last = errno;
		close(fd);
		if (mono_ms() > end)
			return -1;
		sleep_ms(200);
	}
}

static int listen_fixed(const struct fam *f)
{
	struct sockaddr_in a = sin_local(PEER_PORT);
	int fd = t_socket(f);

	SETUP_OK("setup: SO_REUSEADDR", set_int_opt(fd, SOL_SOCKET,
						    SO_REUSEADDR, 1));
	SETUP_OK("setup: bind(listener)",
		 bind(fd, (struct sockaddr *)&a, sizeof(a)));
	SETUP_OK("setup: listen()", listen(fd, 8));
	return fd;
}

/*
 * Server: accepts a control connection c0, a flowing one c1 (it reads
 * everything) and c2 (it never reads). When the client says "B" on c0
 * (its c2 sender is blocked, c1 flows), the server deletes its rxe link
 * mid-transfer, lets go of all its sockets, adds the link again and checks that a new connection from
 * the client delivers CHECK_LEN intact bytes.
 */
static void peer_server(const struct fam *f)
{
	int l = listen_fixed(f), c0, c1, c2, cli, refs, socks;
	struct waiter rd;
	struct xfer x = {};
	double end;
	char c = 0;

	c0 = accept_within(l, scaled_ms(120000));
	REQUIRE(c0 >= 0, "no control connection from the client");
	c1 = accept_within(l, scaled_ms(30000));
	c2 = accept_within(l, scaled_ms(30000));
	REQUIRE(c1 >= 0 && c2 >= 0, "the client's data connections");
	waiter_start(&rd, "server reader", W_RECV, c1);
	EXPECT_VAL("server: client says its sender is blocked",
		   recv(c0, &c, 1, 0), 1);
	diag("server: %llu bytes in on c1 when the link goes down",
	     (unsigned long long)rd.bytes);
	EXPECT_EQ("server: rdma link delete", link_delete(scaled_ms(30000)), 0);
	obs("server: rxe link gone");
	/* wake our own reader; close everything */
	shutdown(c1, SHUT_RDWR);
	pthread_join(rd.th, NULL);
	close(c0);
	close(c1);
	close(c2);
	close(l);
	end = mono_ms() + scaled_ms(30000);
	do {
		refs = module_refs();
		socks = proc_socks();
		if (socks == 0)
			break;
		sleep_ms(50);
	} while (mono_ms() < end);
	diag("server: sockets left %d, module refs %d", socks, refs);
	EXPECT_TRUE("server: own sockets torn down", socks == 0);
	EXPECT_EQ("server: rdma link add", link_add(scaled_ms(30000)), 0);
	REQUIRE(wait_port_active(scaled_ms(20000)), "port not ACTIVE again");
	obs("server: rxe link back");
	l = listen_fixed(f);
	cli = accept_within(l, scaled_ms(120000));
	REQUIRE(cli >= 0, "no new connection from the client");
	x.fd = cli;
	x.seed = CHECK_SEED;
	x.len = CHECK_LEN;
	x.expect_eof = 1;
	xfer_recv(&x);
	xfer_diag("server: new connection", &x);
	c = x.err == 0 && x.done == x.len && x.bad_off < 0 && x.eof_ok ?
	    'K' : 'X';
	EXPECT_TRUE("server: new connection delivers 1 MiB intact", c == 'K');
	EXPECT_VAL("server: answer", send(cli, &c, 1, MSG_NOSIGNAL), 1);
	/* the client closes first */
	recv(cli, &c, 1, 0);
	close(cli);
	close(l);
	wait_no_socks("server");
}

static void peer_client(const struct fam *f)
{
	int c0, c1, c2, cli, i, r;
	struct waiter w[2];
	struct xfer x = {};
	double t0;
	char c = 0;

	c0 = connect_within(f, scaled_ms(120000));
	REQUIRE(c0 >= 0, "cannot connect to the server");
	c1 = connect_within(f, scaled_ms(30000));
	c2 = connect_within(f, scaled_ms(30000));
	REQUIRE(c1 >= 0 && c2 >= 0, "data connections");
	/*
	 * A sender that waits for credits has nothing in flight, so the RC
	 * transport never sees the peer die and sdp has no persist timer
	 * (TCP's zero-window probes): without keepalive it would wait
	 * forever. Keepalive probes (a zero-length RDMA WRITE) bound it.
	 */
	for (i = 0; i < 3; i++) {
		int fd = i == 0 ? c0 : i == 1 ? c1 : c2;

		SETUP_OK("setup: SO_KEEPALIVE",
			 set_int_opt(fd, SOL_SOCKET, SO_KEEPALIVE, 1));
		SETUP_OK("setup: TCP_KEEPIDLE",
			 set_int_opt(fd, IPPROTO_TCP, TCP_KEEPIDLE, 2));
		SETUP_OK("setup: TCP_KEEPINTVL",
			 set_int_opt(fd, IPPROTO_TCP, TCP_KEEPINTVL, 1));
		SETUP_OK("setup: TCP_KEEPCNT",
			 set_int_opt(fd, IPPROTO_TCP, TCP_KEEPCNT, 3));
	}
	waiter_start(&w[0], "flowing sender", W_SEND, c1);
	waiter_start(&w[1], "blocked sender", W_SEND, c2);
	REQUIRE(waiter_blocked(&w[1], 1, scaled_ms(30000)),
		"the sender on c2 did not block (%llu bytes)",
		(unsigned long long)w[1].bytes);
	{
		double end = mono_ms() + scaled_ms(30000);

		while (w[0].bytes < (1 << 20) && !w[0].done && mono_ms() < end)
			sleep_ms(10);
		REQUIRE(w[0].bytes >= (1 << 20) && !w[0].done,
			"c1 does not flow (%llu bytes)",
			(unsigned long long)w[0].bytes);
	}
	t0 = mono_ms();
	EXPECT_VAL("client: tells the server", send(c0, "B", 1, MSG_NOSIGNAL), 1);
	/* the peer is gone: both senders fail within the bound */
	for (;;) {
		if ((w[0].done && w[1].done) ||
		    mono_ms() - t0 > scaled_ms(30000))
			break;
		sleep_ms(10);
	}
	for (i = 0; i < 2; i++) {
		char lb[96];

		snprintf(lb, sizeof(lb), "client: %s fails within 30 s",
			 w[i].name);
		EXPECT_TRUE(lb, w[i].done);
		if (!w[i].done)
			continue;
		pthread_join(w[i].th, NULL);
		diag("client: %s: ret %ld errno %s after %.0f ms, %llu bytes",
		     w[i].name, w[i].ret, errname(w[i].err), w[i].t_end - t0,
		     (unsigned long long)w[i].bytes);
		snprintf(lb, sizeof(lb), "client: %s: ETIMEDOUT/ECONNRESET",
			 w[i].name);
		EXPECT_TRUE(lb, w[i].ret < 0 && errno_is_reset(w[i].err));
		r = poll_now(w[i].fd, 0);
		snprintf(lb, sizeof(lb), "client: %s: POLLERR|POLLHUP after",
			 w[i].name);
		diag("client: %s: revents %s", w[i].name, pollstr(r));
		EXPECT_TRUE(lb, r & POLLHUP);
	}
	if (!w[0].done || !w[1].done)
		FATAL("a sender hangs although its peer is gone");
	close(c0);
	close(c1);
	close(c2);
	/* the server comes back: a new connection works */
	cli = connect_within(f, scaled_ms(120000));
	REQUIRE(cli >= 0, "cannot connect again once the server is back");
	x.fd = cli;
	x.seed = CHECK_SEED;
	x.len = CHECK_LEN;
	x.shut_wr = 1;
	xfer_send(&x);
	xfer_diag("client: new connection", &x);
	EXPECT_TRUE("client: 1 MiB sent", x.err == 0 && x.done == x.len);
	EXPECT_VAL("client: server's verdict", recv(cli, &c, 1, 0), 1);
	EXPECT_TRUE("client: server got it intact", c == 'K');
	close(cli);
	wait_no_socks("client");
}

/* SDP_ROLE=server|client: the server's link dies mid-transfer */
TEST_SDP_T(peer_dies_mid_transfer, 280)
{
	const char *role = getenv("SDP_ROLE");

	if (!role || (strcmp(role, "server") && strcmp(role, "client")))
		skip_test("needs two guests (SDP_ROLE server|client)");
	if (geteuid() || !getenv("SDP_RDMA_DEV"))
		skip_test("needs root and an rxe link (SDP_RDMA_DEV)");
	if (!strcmp(role, "server"))
		peer_server(f);
	else
		peer_client(f);
}

/* a run that died half-way must not leave the guest without rxe */
static void restore_link(void)
{
	if (!getenv("SDP_RDMA_DEV") || dev_present())
		return;
	printf("# %s missing after the tests: adding it again\n", rdma_dev());
	fflush(stdout);
	if (link_add(scaled_ms(60000)) || !wait_port_active(scaled_ms(20000)))
		printf("# could not restore %s\n", rdma_dev());
}

int main(int argc, char **argv)
{
	int rc;

	signal(SIGPIPE, SIG_IGN);
	rc = harness_main(argc, argv);
	restore_link();
	return rc;
}
