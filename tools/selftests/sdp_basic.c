// SPDX-License-Identifier: GPL-2.0
/*
 * sdp_basic: the socket()/close()/getsockopt contract of the module
 * skeleton (issue 2).  These are SDP-only: TCP has no counterpart for
 * "AF_SDP with SOCK_SEQPACKET" and friends.
 *
 * Written on the kernel's kselftest_harness.h (TEST, TEST_F, FIXTURE,
 * ASSERT_*, EXPECT_*), which the Makefile takes out of the installed
 * linux-source tarball at build time (it is not part of this tree).
 * Every test runs in its own forked child; the output is TAP
 * ("ok N fixture.variant.test", "not ok ...", "ok N # SKIP ...") and the
 * exit status is non-zero if any test failed.
 *
 * Expected answers (uapi.md):
 *   SOCK_STREAM with 0 or IPPROTO_TCP, SOCK_SEQPACKET with 0: succeed.
 *   Other types (SOCK_DGRAM, SOCK_RAW, SOCK_RDM): ESOCKTNOSUPPORT.
 *   Other protocols (SOCK_STREAM with IPPROTO_UDP, IPPROTO_SCTP, 99;
 *   SOCK_SEQPACKET with IPPROTO_TCP): EPROTONOSUPPORT.
 *   SO_TYPE = the type, SO_DOMAIN = AF_SDP, SO_PROTOCOL = IPPROTO_TCP for a
 *   stream socket whatever was passed (0 means "the default protocol", as
 *   for AF_INET where socket(AF_INET, SOCK_STREAM, 0) reports IPPROTO_TCP),
 *   and 0 for SOCK_SEQPACKET (there is no protocol number for it; the
 *   socket was created with 0).
 *
 * Environment: SDP_FAMILY, the AF_SDP number if the module's "family"
 * parameter moved it (default 27).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <linux/sdp.h>

#include "kselftest_harness.h"

static int sdp_family = AF_SDP;

/* Runs before main(), so before the harness forks the first test. */
static void __attribute__((constructor)) sdp_basic_env(void)
{
	const char *env = getenv("SDP_FAMILY");

	if (env && *env)
		sdp_family = atoi(env);
	/* ordered "#  RUN" / "ok N" lines when stdout is a pipe */
	setvbuf(stdout, NULL, _IOLBF, 0);
}

static const char *ename(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "unknown errno";
}

static int sdp_socket(int type, int proto)
{
	return socket(sdp_family, type, proto);
}

/* socket(AF_SDP, type, proto) must succeed; ends the test otherwise. */
#define ASSERT_SOCKET(fd, type, proto) do {				\
	errno = 0;							\
	(fd) = sdp_socket((type), (proto));				\
	ASSERT_LE(0, (fd))						\
		TH_LOG("socket(%d, %s = %d, %s = %d): %s; is sdp.ko loaded (or SDP_FAMILY set)?", \
		       sdp_family, #type, (type), #proto, (proto),	\
		       ename(errno));					\
} while (0)

/* socket(AF_SDP, type, proto) must fail with err. */
#define EXPECT_SOCKET_ERR(type, proto, err) do {			\
	int __fd, __e;							\
	errno = 0;							\
	__fd = sdp_socket((type), (proto));				\
	__e = errno;							\
	EXPECT_EQ(-1, __fd)						\
		TH_LOG("socket(SDP, %s, %s) returned %d, expected %s",	\
		       #type, #proto, __fd, #err);			\
	if (__fd >= 0) {						\
		close(__fd);						\
	} else {							\
		EXPECT_EQ(err, __e)					\
			TH_LOG("socket(SDP, %s, %s): %s, expected %s",	\
			       #type, #proto, ename(__e), #err);	\
	}								\
} while (0)

/* getsockopt(SOL_SOCKET, opt) as an int; the call itself must succeed. */
static int sol_int(struct __test_metadata *_metadata, int fd, int opt,
		   const char *what)
{
	int v = -12345;
	socklen_t l = sizeof(v);
	int r = getsockopt(fd, SOL_SOCKET, opt, &v, &l);
	int e = errno;

	EXPECT_EQ(0, r)
		TH_LOG("getsockopt(%s): %s", what, ename(e));
	EXPECT_EQ(sizeof(int), l)
		TH_LOG("getsockopt(%s) optlen", what);
	return v;
}

/* ---- socket() succeeds for the supported combinations ---- */

TEST(socket_stream_proto0)
{
	int fd;

	ASSERT_SOCKET(fd, SOCK_STREAM, 0);
	EXPECT_EQ(0, close(fd)) TH_LOG("close: %s", ename(errno));
}

TEST(socket_stream_ipproto_tcp)
{
	int fd;

	ASSERT_SOCKET(fd, SOCK_STREAM, IPPROTO_TCP);
	EXPECT_EQ(0, close(fd)) TH_LOG("close: %s", ename(errno));
}

TEST(socket_seqpacket_proto0)
{
	int fd;

	ASSERT_SOCKET(fd, SOCK_SEQPACKET, 0);
	EXPECT_EQ(0, close(fd)) TH_LOG("close: %s", ename(errno));
}

/* ---- and fails, with the right errno, for the others ---- */

TEST(socket_bad_types)
{
	EXPECT_SOCKET_ERR(SOCK_DGRAM, 0, ESOCKTNOSUPPORT);
	EXPECT_SOCKET_ERR(SOCK_RAW, 0, ESOCKTNOSUPPORT);
	EXPECT_SOCKET_ERR(SOCK_RDM, 0, ESOCKTNOSUPPORT);
	EXPECT_SOCKET_ERR(SOCK_DCCP, 0, ESOCKTNOSUPPORT);
	EXPECT_SOCKET_ERR(SOCK_PACKET, 0, ESOCKTNOSUPPORT);
	/* The type is judged before the protocol. */
	EXPECT_SOCKET_ERR(SOCK_DGRAM, IPPROTO_UDP, ESOCKTNOSUPPORT);
	/* Out of range types are refused by the socket layer itself. */
	EXPECT_SOCKET_ERR(11, 0, EINVAL);
}

TEST(socket_bad_protocols)
{
	EXPECT_SOCKET_ERR(SOCK_STREAM, IPPROTO_UDP, EPROTONOSUPPORT);
	EXPECT_SOCKET_ERR(SOCK_STREAM, 99, EPROTONOSUPPORT);
	EXPECT_SOCKET_ERR(SOCK_STREAM, IPPROTO_SCTP, EPROTONOSUPPORT);
	EXPECT_SOCKET_ERR(SOCK_STREAM, -1, EPROTONOSUPPORT);
	EXPECT_SOCKET_ERR(SOCK_SEQPACKET, IPPROTO_TCP, EPROTONOSUPPORT);
	EXPECT_SOCKET_ERR(SOCK_SEQPACKET, IPPROTO_SCTP, EPROTONOSUPPORT);
}

/* ---- identity options, one fixture variant per (type, protocol) ---- */

FIXTURE(identity)
{
	int fd;
};

FIXTURE_VARIANT(identity)
{
	int type;
	int proto;
	int want_proto;		/* SO_PROTOCOL */
};

FIXTURE_VARIANT_ADD(identity, stream_proto0)
{
	.type = SOCK_STREAM, .proto = 0, .want_proto = IPPROTO_TCP,
};

FIXTURE_VARIANT_ADD(identity, stream_ipproto_tcp)
{
	.type = SOCK_STREAM, .proto = IPPROTO_TCP, .want_proto = IPPROTO_TCP,
};

FIXTURE_VARIANT_ADD(identity, seqpacket_proto0)
{
	.type = SOCK_SEQPACKET, .proto = 0, .want_proto = 0,
};

FIXTURE_SETUP(identity)
{
	ASSERT_SOCKET(self->fd, variant->type, variant->proto);
}

FIXTURE_TEARDOWN(identity)
{
	if (self->fd >= 0) {
		EXPECT_EQ(0, close(self->fd)) TH_LOG("close: %s", ename(errno));
	}
}

TEST_F(identity, so_type)
{
	EXPECT_EQ(variant->type, sol_int(_metadata, self->fd, SO_TYPE, "SO_TYPE"));
}

TEST_F(identity, so_domain)
{
	EXPECT_EQ(sdp_family, sol_int(_metadata, self->fd, SO_DOMAIN, "SO_DOMAIN"));
}

TEST_F(identity, so_protocol)
{
	EXPECT_EQ(variant->want_proto,
		  sol_int(_metadata, self->fd, SO_PROTOCOL, "SO_PROTOCOL"));
}

TEST_F(identity, so_acceptconn)
{
	EXPECT_EQ(0, sol_int(_metadata, self->fd, SO_ACCEPTCONN, "SO_ACCEPTCONN"));
}

TEST_F(identity, so_error)
{
	EXPECT_EQ(0, sol_int(_metadata, self->fd, SO_ERROR, "SO_ERROR"));
}

TEST_F(identity, is_a_socket)
{
	struct stat st;

	ASSERT_EQ(0, fstat(self->fd, &st)) TH_LOG("fstat: %s", ename(errno));
	EXPECT_TRUE(S_ISSOCK(st.st_mode));
}

/* ---- SOCK_NONBLOCK / SOCK_CLOEXEC in the type argument ---- */

FIXTURE(flags)
{
	int fd;
	int fl;		/* F_GETFL */
	int fdfl;	/* F_GETFD */
};

FIXTURE_VARIANT(flags)
{
	int type;
	int flags;
};

FIXTURE_VARIANT_ADD(flags, stream)
{
	.type = SOCK_STREAM, .flags = 0,
};

FIXTURE_VARIANT_ADD(flags, stream_nonblock)
{
	.type = SOCK_STREAM, .flags = SOCK_NONBLOCK,
};

FIXTURE_VARIANT_ADD(flags, stream_cloexec)
{
	.type = SOCK_STREAM, .flags = SOCK_CLOEXEC,
};

FIXTURE_VARIANT_ADD(flags, stream_nonblock_cloexec)
{
	.type = SOCK_STREAM, .flags = SOCK_NONBLOCK | SOCK_CLOEXEC,
};

FIXTURE_VARIANT_ADD(flags, seqpacket)
{
	.type = SOCK_SEQPACKET, .flags = 0,
};

FIXTURE_VARIANT_ADD(flags, seqpacket_nonblock_cloexec)
{
	.type = SOCK_SEQPACKET, .flags = SOCK_NONBLOCK | SOCK_CLOEXEC,
};

FIXTURE_SETUP(flags)
{
	ASSERT_SOCKET(self->fd, variant->type | variant->flags, 0);
	self->fl = fcntl(self->fd, F_GETFL);
	ASSERT_LE(0, self->fl) TH_LOG("F_GETFL: %s", ename(errno));
	self->fdfl = fcntl(self->fd, F_GETFD);
	ASSERT_LE(0, self->fdfl) TH_LOG("F_GETFD: %s", ename(errno));
}

FIXTURE_TEARDOWN(flags)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(flags, o_nonblock)
{
	EXPECT_EQ(!!(variant->flags & SOCK_NONBLOCK), !!(self->fl & O_NONBLOCK));
}

TEST_F(flags, fd_cloexec)
{
	EXPECT_EQ(!!(variant->flags & SOCK_CLOEXEC), !!(self->fdfl & FD_CLOEXEC));
}

TEST_F(flags, o_rdwr)
{
	EXPECT_EQ(O_RDWR, self->fl & O_ACCMODE);
}

/* The flags are not part of the type. */
TEST_F(flags, so_type)
{
	EXPECT_EQ(variant->type, sol_int(_metadata, self->fd, SO_TYPE, "SO_TYPE"));
}

/* ---- close() and fcntl() ---- */

TEST(close_twice_ebadf)
{
	int fd, r, e;

	ASSERT_SOCKET(fd, SOCK_STREAM, 0);
	ASSERT_EQ(0, close(fd)) TH_LOG("close: %s", ename(errno));
	errno = 0;
	r = close(fd);
	e = errno;
	EXPECT_EQ(-1, r) TH_LOG("close again returned %d", r);
	EXPECT_EQ(EBADF, e) TH_LOG("close again: %s, expected EBADF", ename(e));
}

static void set_nonblock(struct __test_metadata *_metadata, int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	ASSERT_LE(0, fl) TH_LOG("F_GETFL: %s", ename(errno));
	fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
	ASSERT_EQ(0, fcntl(fd, F_SETFL, fl)) TH_LOG("F_SETFL: %s", ename(errno));
}

TEST(fcntl_nonblock_toggle)
{
	int fd;

	ASSERT_SOCKET(fd, SOCK_STREAM, 0);
	set_nonblock(_metadata, fd, 1);
	EXPECT_EQ(1, !!(fcntl(fd, F_GETFL) & O_NONBLOCK))
		TH_LOG("O_NONBLOCK after F_SETFL");
	set_nonblock(_metadata, fd, 0);
	EXPECT_EQ(0, !!(fcntl(fd, F_GETFL) & O_NONBLOCK))
		TH_LOG("O_NONBLOCK after clearing");
	close(fd);
}

/* ---- many sockets: in sequence and all at once ---- */

FIXTURE(many)
{
	int n;		/* how many may be open at once */
};

enum { MANY = 500 };

FIXTURE_SETUP(many)
{
	struct rlimit rl;

	self->n = MANY;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < MANY + 32) {
		rl.rlim_cur = rl.rlim_max < MANY + 32 ? rl.rlim_max : MANY + 32;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < MANY + 32)
			self->n = rl.rlim_cur - 32;
	}
	ASSERT_LT(0, self->n) TH_LOG("RLIMIT_NOFILE too small");
}

FIXTURE_TEARDOWN(many)
{
}

TEST_F_TIMEOUT(many, open_close_1000, 120)
{
	int types[2] = { SOCK_STREAM, SOCK_SEQPACKET };
	int i, bad = 0;

	for (i = 0; i < 1000; i++) {
		int fd = socket(sdp_family, types[i & 1], 0);

		if (fd < 0) {
			if (!bad++)
				TH_LOG("socket #%d: %s", i, ename(errno));
			continue;
		}
		if (close(fd) < 0 && !bad++)
			TH_LOG("close #%d: %s", i, ename(errno));
	}
	EXPECT_EQ(0, bad) TH_LOG("failures in 1000 socket/close");
}

TEST_F_TIMEOUT(many, many_open_at_once, 120)
{
	static int fds[MANY];
	int i, bad = 0;

	for (i = 0; i < self->n; i++) {
		fds[i] = socket(sdp_family, i & 1 ? SOCK_SEQPACKET : SOCK_STREAM, 0);
		if (fds[i] < 0 && !bad++)
			TH_LOG("socket #%d: %s", i, ename(errno));
	}
	for (i = 0; i < self->n; i++)
		if (fds[i] >= 0 && close(fds[i]) < 0 && !bad++)
			TH_LOG("close #%d: %s", i, ename(errno));
	EXPECT_EQ(0, bad)
		TH_LOG("failures opening and closing %d sockets at once", self->n);
}

TEST_HARNESS_MAIN
