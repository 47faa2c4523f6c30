// SPDX-License-Identifier: GPL-2.0
/*
 * sdp_basic: the socket()/close()/getsockopt contract of the module
 * skeleton (issue 2).  These are SDP-only: TCP has no counterpart for
 * "AF_SDP with SOCK_SEQPACKET" and friends.
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
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <linux/sdp.h>

#include "util.h"

static int sdp_socket(const struct fam *f, int type, int proto)
{
	return socket(f->family, type, proto);
}

TEST_SDP(socket_stream_proto0)
{
	int fd = REQUIRE_OK("socket(SDP, STREAM, 0)", sdp_socket(f, SOCK_STREAM, 0));

	EXPECT_VAL("close", close(fd), 0);
}

TEST_SDP(socket_stream_ipproto_tcp)
{
	int fd = REQUIRE_OK("socket(SDP, STREAM, IPPROTO_TCP)",
			    sdp_socket(f, SOCK_STREAM, IPPROTO_TCP));

	EXPECT_VAL("close", close(fd), 0);
}

TEST_SDP(socket_seqpacket_proto0)
{
	int fd = REQUIRE_OK("socket(SDP, SEQPACKET, 0)",
			    sdp_socket(f, SOCK_SEQPACKET, 0));

	EXPECT_VAL("close", close(fd), 0);
}

TEST_SDP(socket_bad_types)
{
	EXPECT_ERR("socket(SDP, DGRAM, 0)", sdp_socket(f, SOCK_DGRAM, 0), ESOCKTNOSUPPORT);
	EXPECT_ERR("socket(SDP, RAW, 0)", sdp_socket(f, SOCK_RAW, 0), ESOCKTNOSUPPORT);
	EXPECT_ERR("socket(SDP, RDM, 0)", sdp_socket(f, SOCK_RDM, 0), ESOCKTNOSUPPORT);
	EXPECT_ERR("socket(SDP, DCCP, 0)", sdp_socket(f, SOCK_DCCP, 0), ESOCKTNOSUPPORT);
	EXPECT_ERR("socket(SDP, PACKET, 0)", sdp_socket(f, SOCK_PACKET, 0), ESOCKTNOSUPPORT);
	/* The type is judged before the protocol. */
	EXPECT_ERR("socket(SDP, DGRAM, IPPROTO_UDP)",
		   sdp_socket(f, SOCK_DGRAM, IPPROTO_UDP), ESOCKTNOSUPPORT);
	/* Out of range types are refused by the socket layer itself. */
	EXPECT_ERR("socket(SDP, 11, 0)", sdp_socket(f, 11, 0), EINVAL);
}

TEST_SDP(socket_bad_protocols)
{
	EXPECT_ERR("socket(SDP, STREAM, IPPROTO_UDP)",
		   sdp_socket(f, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT);
	EXPECT_ERR("socket(SDP, STREAM, 99)", sdp_socket(f, SOCK_STREAM, 99),
		   EPROTONOSUPPORT);
	EXPECT_ERR("socket(SDP, STREAM, IPPROTO_SCTP)",
		   sdp_socket(f, SOCK_STREAM, IPPROTO_SCTP), EPROTONOSUPPORT);
	EXPECT_ERR("socket(SDP, STREAM, -1)", sdp_socket(f, SOCK_STREAM, -1),
		   EPROTONOSUPPORT);
	EXPECT_ERR("socket(SDP, SEQPACKET, IPPROTO_TCP)",
		   sdp_socket(f, SOCK_SEQPACKET, IPPROTO_TCP), EPROTONOSUPPORT);
	EXPECT_ERR("socket(SDP, SEQPACKET, IPPROTO_SCTP)",
		   sdp_socket(f, SOCK_SEQPACKET, IPPROTO_SCTP), EPROTONOSUPPORT);
}

static void check_identity(const struct fam *f, int type, int proto,
			   int want_proto, const char *what)
{
	char l[128];
	int fd;

	snprintf(l, sizeof(l), "socket(%s)", what);
	fd = REQUIRE_OK(l, sdp_socket(f, type, proto));
	snprintf(l, sizeof(l), "%s SO_TYPE", what);
	EXPECT_EQ(l, get_int_opt(fd, SOL_SOCKET, SO_TYPE), type);
	snprintf(l, sizeof(l), "%s SO_DOMAIN", what);
	EXPECT_EQ(l, get_int_opt(fd, SOL_SOCKET, SO_DOMAIN), f->family);
	snprintf(l, sizeof(l), "%s SO_PROTOCOL", what);
	EXPECT_EQ(l, get_int_opt(fd, SOL_SOCKET, SO_PROTOCOL), want_proto);
	snprintf(l, sizeof(l), "%s SO_ACCEPTCONN", what);
	EXPECT_EQ(l, get_int_opt(fd, SOL_SOCKET, SO_ACCEPTCONN), 0);
	snprintf(l, sizeof(l), "%s SO_ERROR", what);
	EXPECT_EQ(l, get_int_opt(fd, SOL_SOCKET, SO_ERROR), 0);
	EXPECT_VAL("close", close(fd), 0);
}

TEST_SDP(sockopt_identity)
{
	check_identity(f, SOCK_STREAM, 0, IPPROTO_TCP, "STREAM,0");
	check_identity(f, SOCK_STREAM, IPPROTO_TCP, IPPROTO_TCP, "STREAM,IPPROTO_TCP");
	check_identity(f, SOCK_SEQPACKET, 0, 0, "SEQPACKET,0");
}

TEST_SDP(is_a_socket)
{
	int fd = REQUIRE_OK("socket", sdp_socket(f, SOCK_STREAM, 0));
	struct stat st;

	REQUIRE_OK("fstat", fstat(fd, &st));
	EXPECT_TRUE("S_ISSOCK", S_ISSOCK(st.st_mode));
	close(fd);
}

TEST_SDP(close_twice_ebadf)
{
	int fd = REQUIRE_OK("socket", sdp_socket(f, SOCK_STREAM, 0));

	EXPECT_VAL("close", close(fd), 0);
	EXPECT_ERR("close again", close(fd), EBADF);
}

TEST_SDP_T(open_close_1000, 120)
{
	int types[2] = { SOCK_STREAM, SOCK_SEQPACKET };
	int i, bad = 0;

	for (i = 0; i < 1000; i++) {
		int fd = socket(f->family, types[i & 1], 0);

		if (fd < 0) {
			if (!bad++)
				FAIL("socket #%d: %s", i, errname(errno));
			continue;
		}
		if (close(fd) < 0 && !bad++)
			FAIL("close #%d: %s", i, errname(errno));
	}
	EXPECT_EQ("failures in 1000 socket/close", bad, 0);
}

TEST_SDP_T(many_open_at_once, 120)
{
	enum { N = 500 };
	static int fds[N];
	struct rlimit rl;
	int i, bad = 0, n = N;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < N + 32) {
		rl.rlim_cur = rl.rlim_max < N + 32 ? rl.rlim_max : N + 32;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < N + 32)
			n = rl.rlim_cur - 32;
	}
	for (i = 0; i < n; i++) {
		fds[i] = socket(f->family, i & 1 ? SOCK_SEQPACKET : SOCK_STREAM, 0);
		if (fds[i] < 0 && !bad++)
			FAIL("socket #%d: %s", i, errname(errno));
	}
	for (i = 0; i < n; i++)
		if (fds[i] >= 0 && close(fds[i]) < 0 && !bad++)
			FAIL("close #%d: %s", i, errname(errno));
	EXPECT_EQ("failures opening and closing many sockets at once", bad, 0);
}

static void check_flags(const struct fam *f, int type, int flags, const char *what)
{
	char l[128];
	int fd, fl, fdfl;

	snprintf(l, sizeof(l), "socket(%s)", what);
	fd = REQUIRE_OK(l, sdp_socket(f, type | flags, 0));
	fl = fcntl(fd, F_GETFL);
	fdfl = fcntl(fd, F_GETFD);
	snprintf(l, sizeof(l), "%s O_NONBLOCK", what);
	EXPECT_EQ(l, !!(fl & O_NONBLOCK), !!(flags & SOCK_NONBLOCK));
	snprintf(l, sizeof(l), "%s FD_CLOEXEC", what);
	EXPECT_EQ(l, !!(fdfl & FD_CLOEXEC), !!(flags & SOCK_CLOEXEC));
	snprintf(l, sizeof(l), "%s O_RDWR", what);
	EXPECT_EQ(l, fl & O_ACCMODE, O_RDWR);
	/* The flags are not part of the type. */
	snprintf(l, sizeof(l), "%s SO_TYPE", what);
	EXPECT_EQ(l, get_int_opt(fd, SOL_SOCKET, SO_TYPE), type);
	close(fd);
}

TEST_SDP(socket_flags)
{
	check_flags(f, SOCK_STREAM, 0, "STREAM");
	check_flags(f, SOCK_STREAM, SOCK_NONBLOCK, "STREAM|NONBLOCK");
	check_flags(f, SOCK_STREAM, SOCK_CLOEXEC, "STREAM|CLOEXEC");
	check_flags(f, SOCK_STREAM, SOCK_NONBLOCK | SOCK_CLOEXEC, "STREAM|NONBLOCK|CLOEXEC");
	check_flags(f, SOCK_SEQPACKET, 0, "SEQPACKET");
	check_flags(f, SOCK_SEQPACKET, SOCK_NONBLOCK | SOCK_CLOEXEC,
		    "SEQPACKET|NONBLOCK|CLOEXEC");
}

TEST_SDP(fcntl_nonblock_toggle)
{
	int fd = REQUIRE_OK("socket", sdp_socket(f, SOCK_STREAM, 0));

	set_nonblock(fd, 1);
	EXPECT_EQ("O_NONBLOCK after F_SETFL", !!(fcntl(fd, F_GETFL) & O_NONBLOCK), 1);
	set_nonblock(fd, 0);
	EXPECT_EQ("O_NONBLOCK after clearing", !!(fcntl(fd, F_GETFL) & O_NONBLOCK), 0);
	close(fd);
}

int main(int argc, char **argv)
{
	return harness_main(argc, argv);
}
