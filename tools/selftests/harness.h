/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small test harness for the sdp selftests (our own code, not
 * kselftest_harness.h).
 *
 * Tests register themselves with TEST_DIFF / TEST_SDP / TEST_PLAIN.  Each run
 * of a test happens in a forked child with a timeout (a hang is a failure).
 * The child records observations (one text line each) into a transcript kept
 * in shared memory; the parent prints TAP.
 *
 * TEST_DIFF bodies take a struct fam and are run for TCP (AF_INET) and for
 * SDP (AF_SDP).  The SDP run passes only if its own checks pass AND its
 * transcript equals the TCP run's line for line (when both were run).
 * Each body also checks expected values directly, so TCP itself is checked.
 *
 * Rule for bodies: only the main thread of a test records observations
 * (obs()/EXPECT_*), so that the transcript order is deterministic; helper
 * threads keep results in memory and the main thread records them after
 * joining.  diag() and failures may come from any thread or process.
 */
#ifndef SDP_SELFTEST_HARNESS_H
#define SDP_SELFTEST_HARNESS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdint.h>
#include <stddef.h>

struct fam {
	int family;		/* for socket(): AF_INET or AF_SDP */
	const char *name;	/* "tcp" or "sdp" */
	int is_sdp;
};

/*
 * fam_tcp is the reference family the sdp runs are compared with. A binary
 * may rename it before harness_main() (sdp_seqpacket: "sctp"); -f then
 * takes that name instead of "tcp", and the TAP lines and diffs use it.
 */
extern struct fam fam_tcp, fam_sdp;

/* @ms milliseconds times SDP_TIMEOUT_SCALE (slow kernels) */
int scaled_ms(int ms);

enum test_kind {
	T_DIFF,		/* run for tcp and sdp, transcripts compared */
	T_SDP,		/* sdp only (no tcp counterpart) */
	T_PLAIN,	/* no family, run once (fam = NULL) */
};

struct test {
	const char *name;
	enum test_kind kind;
	void (*fn)(const struct fam *f);
	int timeout;		/* seconds, 0 = default */
	int disabled;		/* set at run time: neither listed nor run */
	struct test *next;
};

void test_register(struct test *t);

#define TEST_DEF(nm, kd, to)						\
	static void nm(const struct fam *f);				\
	static struct test nm##_test = { #nm, kd, nm, to, 0, NULL };	\
	__attribute__((constructor)) static void nm##_register(void)	\
	{ test_register(&nm##_test); }					\
	static void nm(const struct fam *f __attribute__((unused)))

#define TEST_DIFF(nm)		TEST_DEF(nm, T_DIFF, 0)
#define TEST_DIFF_T(nm, to)	TEST_DEF(nm, T_DIFF, to)
#define TEST_SDP(nm)		TEST_DEF(nm, T_SDP, 0)
#define TEST_SDP_T(nm, to)	TEST_DEF(nm, T_SDP, to)
#define TEST_PLAIN(nm)		TEST_DEF(nm, T_PLAIN, 0)
#define TEST_PLAIN_T(nm, to)	TEST_DEF(nm, T_PLAIN, to)

/* Entry point: parses -f/-t/-l/-v/-T, runs tests, prints TAP, returns exit code. */
int harness_main(int argc, char **argv);

/* Optional hook a binary may set before harness_main: extra usage text. */
extern const char *harness_usage_extra;
/* Selected families after option parsing (for binaries with custom logic). */
extern int harness_want_tcp, harness_want_sdp;

/* ---- recording (usable in the test child only) ---- */

/* One transcript line (compared between TCP and SDP). */
void obs(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A diagnostic line (printed on failure, never compared). */
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Mark the test failed with a message. */
void fail_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Same, and end the test now. */
void fatal_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
/* Skip the current test run (whole test, with a reason). */
void skip_test(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
int test_failed(void);

#define FAIL(...)	fail_at(__FILE__, __LINE__, __VA_ARGS__)
#define FATAL(...)	fatal_at(__FILE__, __LINE__, __VA_ARGS__)

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fail_at(__FILE__, __LINE__, "check failed: %s", #cond);	\
		diag("    " __VA_ARGS__);				\
	}								\
} while (0)

#define REQUIRE(cond, ...) do {						\
	if (!(cond)) {							\
		diag("    " __VA_ARGS__);				\
		fatal_at(__FILE__, __LINE__, "requirement failed: %s", #cond); \
	}								\
} while (0)

/* ---- system call results ---- */

struct res { long r; int e; };

#define CALL(expr) ({							\
	errno = 0;							\
	long __r = (long)(expr);					\
	struct res __x = { __r, __r < 0 ? errno : 0 };			\
	__x;								\
})

enum exp_kind { EXP_OK, EXP_VAL, EXP_ERR, EXP_ANY };

long t_expect(const char *file, int line, const char *label, struct res x,
	      enum exp_kind k, long v, int fatal, int record);

/*
 * EXPECT_OK:   r >= 0;            records "label: ok"
 * EXPECT_VAL:  r == v;            records "label: <r>"
 * EXPECT_ERR:  r == -1, errno==e; records "label: -1 ENAME"
 * any failure records "label: -1 ENAME" or the value, so the transcript shows it.
 * REQUIRE_*: the same, and a mismatch ends the test.
 * SETUP_*: like REQUIRE_* but records nothing in the transcript
 * (for plumbing that is not the subject of the test).
 */
#define EXPECT_OK(label, expr)	 t_expect(__FILE__, __LINE__, label, CALL(expr), EXP_OK, 0, 0, 1)
#define EXPECT_VAL(label, expr, v) t_expect(__FILE__, __LINE__, label, CALL(expr), EXP_VAL, (v), 0, 1)
#define EXPECT_ERR(label, expr, e) t_expect(__FILE__, __LINE__, label, CALL(expr), EXP_ERR, (e), 0, 1)
#define RECORD(label, expr)	 t_expect(__FILE__, __LINE__, label, CALL(expr), EXP_ANY, 0, 0, 1)
#define REQUIRE_OK(label, expr)	 t_expect(__FILE__, __LINE__, label, CALL(expr), EXP_OK, 0, 1, 1)
#define REQUIRE_VAL(label, expr, v) t_expect(__FILE__, __LINE__, label, CALL(expr), EXP_VAL, (v), 1, 1)
#define SETUP_OK(label, expr)	 t_expect(__FILE__, __LINE__, label, CALL(expr), EXP_OK, 0, 1, 0)
#define SETUP_VAL(label, expr, v) t_expect(__FILE__, __LINE__, label, CALL(expr), EXP_VAL, (v), 1, 0)

/* Record "label: <value>" and check it equals want. */
#define EXPECT_EQ(label, got, want) do {				\
	long long __g = (long long)(got), __w = (long long)(want);	\
	obs("%s: %lld", label, __g);					\
	if (__g != __w)							\
		fail_at(__FILE__, __LINE__, "%s: got %lld, want %lld",	\
			label, __g, __w);				\
} while (0)

/* Record "label: ENAME" (or "0") for an errno value, e.g. SO_ERROR, and check it. */
#define EXPECT_ERRNO(label, got, want) do {				\
	int __g = (got), __w = (want);					\
	obs("%s: %s", label, __g ? errname(__g) : "0");			\
	if (__g != __w)							\
		fail_at(__FILE__, __LINE__, "%s: got %s, want %s", label,	\
			__g ? errname(__g) : "0", __w ? errname(__w) : "0"); \
} while (0)

/* Record "label: <string>" and check it equals want. */
#define EXPECT_STR(label, got, want) do {				\
	const char *__g = (got), *__w = (want);				\
	obs("%s: %s", label, __g);					\
	if (strcmp(__g, __w))						\
		fail_at(__FILE__, __LINE__, "%s: got \"%s\", want \"%s\"", \
			label, __g, __w);				\
} while (0)

/* Record "label: yes/no" for a condition and check it is true. */
#define EXPECT_TRUE(label, cond) do {					\
	int __c = !!(cond);						\
	obs("%s: %s", label, __c ? "yes" : "no");			\
	if (!__c)							\
		fail_at(__FILE__, __LINE__, "%s: %s is false", label, #cond); \
} while (0)

const char *errname(int e);

/* Defaults and environment. */
int harness_timeout_default(void);

#endif
