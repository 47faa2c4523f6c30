// SPDX-License-Identifier: GPL-2.0
/*
 * The sdp selftest harness: registration, forked runs with a timeout,
 * transcripts in shared memory, TCP/SDP comparison, TAP output.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/sdp.h>

#include "harness.h"

struct fam fam_tcp = { AF_INET, "tcp", 0 };
struct fam fam_sdp = { AF_SDP, "sdp", 1 };

const char *harness_usage_extra;
int harness_want_tcp = 1, harness_want_sdp = 1;

static struct test *tests_head, **tests_tail = &tests_head;

void test_register(struct test *t)
{
	t->next = NULL;
	*tests_tail = t;
	tests_tail = &t->next;
}

/* ---- shared memory written by the test child ---- */

#define TRANSCRIPT_MAX	(1u << 20)
#define DIAG_MAX	(1u << 20)
#define SKIP_MAX	256

struct shm {
	pthread_mutex_t lock;
	int failed;
	int skipped;
	size_t tlen, dlen;
	int ttrunc, dtrunc;
	char skip_reason[SKIP_MAX];
	char transcript[TRANSCRIPT_MAX];
	char diagbuf[DIAG_MAX];
};

static struct shm *shm;
static int verbose;
static int default_timeout = 60;
static double timeout_scale = 1.0;

/* a pause of @ms milliseconds on this machine (SDP_TIMEOUT_SCALE) */
int scaled_ms(int ms)
{
	return (int)(ms * timeout_scale + 0.5);
}

int harness_timeout_default(void)
{
	return default_timeout;
}

const char *errname(int e)
{
	static __thread char buf[32];
	const char *n = strerrorname_np(e);

	if (n)
		return n;
	snprintf(buf, sizeof(buf), "errno%d", e);
	return buf;
}

static void append(char *buf, size_t *len, int *trunc, size_t max,
		   const char *prefix, const char *fmt, va_list ap)
{
	char line[4096];
	int n;

	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	pthread_mutex_lock(&shm->lock);
	if (*len + strlen(prefix) + n + 2 >= max) {
		*trunc = 1;
	} else {
		*len += sprintf(buf + *len, "%s%s\n", prefix, line);
	}
	pthread_mutex_unlock(&shm->lock);
}

void obs(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	append(shm->transcript, &shm->tlen, &shm->ttrunc, TRANSCRIPT_MAX,
	       "", fmt, ap);
	va_end(ap);
}

void diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	append(shm->diagbuf, &shm->dlen, &shm->dtrunc, DIAG_MAX, "", fmt, ap);
	va_end(ap);
}

static void vfail(const char *file, int line, const char *fmt, va_list ap)
{
	char msg[4096];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	__atomic_store_n(&shm->failed, 1, __ATOMIC_SEQ_CST);
	diag("FAIL %s:%d: %s", file, line, msg);
}

void fail_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(file, line, fmt, ap);
	va_end(ap);
}

void fatal_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(file, line, fmt, ap);
	va_end(ap);
	obs("(test ended early)");
	_exit(1);
}

void skip_test(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(shm->skip_reason, SKIP_MAX, fmt, ap);
	va_end(ap);
	shm->skipped = 1;
	_exit(77);
}

int test_failed(void)
{
	return __atomic_load_n(&shm->failed, __ATOMIC_SEQ_CST);
}

static void describe_res(char *buf, size_t n, struct res x)
{
	if (x.r < 0 && x.e)
		snprintf(buf, n, "%ld %s", x.r, errname(x.e));
	else
		snprintf(buf, n, "%ld", x.r);
}

long t_expect(const char *file, int line, const char *label, struct res x,
	      enum exp_kind k, long v, int fatal, int record)
{
	char got[64];
	int ok;

	describe_res(got, sizeof(got), x);
	switch (k) {
	case EXP_OK:
		ok = x.r >= 0;
		if (record)
			obs("%s: %s", label, ok ? "ok" : got);
		break;
	case EXP_VAL:
		ok = x.r == v;
		if (record)
			obs("%s: %s", label, got);
		break;
	case EXP_ERR:
		ok = x.r == -1 && x.e == v;
		if (record)
			obs("%s: %s", label, got);
		break;
	default:
		ok = 1;
		if (record)
			obs("%s: %s", label, got);
		break;
	}
	if (!ok) {
		char want[64];

		if (k == EXP_OK)
			snprintf(want, sizeof(want), ">= 0");
		else if (k == EXP_VAL)
			snprintf(want, sizeof(want), "%ld", v);
		else
			snprintf(want, sizeof(want), "-1 %s", errname((int)v));
		if (fatal)
			fatal_at(file, line, "%s: got %s, want %s", label, got, want);
		fail_at(file, line, "%s: got %s, want %s", label, got, want);
	}
	return x.r;
}

/* ---- running one test in a child ---- */

enum outcome { R_PASS, R_FAIL, R_SKIP };

struct run {
	enum outcome outcome;
	char why[256];		/* failure / skip reason line */
	char *transcript;
	char *diag;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void run_test(const struct test *t, const struct fam *f, struct run *r)
{
	int timeout = t->timeout ? t->timeout : default_timeout;
	pthread_mutexattr_t ma;
	double deadline;
	int status = 0, reaped = 0, timed_out = 0;
	pid_t pid;

	timeout = (int)(timeout * timeout_scale + 0.5);
	memset(r, 0, sizeof(*r));
	memset(shm, 0, offsetof(struct shm, transcript));
	shm->transcript[0] = shm->diagbuf[0] = 0;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&shm->lock, &ma);
	fflush(stdout);
	fflush(stderr);

	pid = fork();
	if (pid < 0) {
		r->outcome = R_FAIL;
		snprintf(r->why, sizeof(r->why), "fork: %s", strerror(errno));
		r->transcript = strdup("");
		r->diag = strdup("");
		return;
	}
	if (pid == 0) {
		sigset_t all;

		setpgid(0, 0);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		t->fn(f);
		fflush(stdout);
		_exit(test_failed() ? 1 : 0);
	}
	setpgid(pid, pid);
	deadline = now_s() + timeout;
	while (!reaped) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid) {
			reaped = 1;
			break;
		}
		if (w < 0 && errno != EINTR)
			break;
		if (now_s() > deadline) {
			timed_out = 1;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			reaped = 1;
			break;
		}
		usleep(5000);
	}
	/* Leftover grandchildren of this test (forked peers) are ended too. */
	kill(-pid, SIGKILL);

	if (timed_out) {
		r->outcome = R_FAIL;
		snprintf(r->why, sizeof(r->why), "timeout after %d s (hang)", timeout);
		obs("(timeout)");
	} else if (WIFSIGNALED(status)) {
		r->outcome = R_FAIL;
		snprintf(r->why, sizeof(r->why), "killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
		obs("(killed by signal %s)", sigabbrev_np(WTERMSIG(status)) ?: "?");
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 77 && shm->skipped) {
		r->outcome = R_SKIP;
		snprintf(r->why, sizeof(r->why), "%s", shm->skip_reason);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && !shm->failed) {
		r->outcome = R_PASS;
	} else {
		r->outcome = R_FAIL;
		snprintf(r->why, sizeof(r->why), "checks failed (exit %d)",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	if (shm->ttrunc)
		diag("(transcript truncated)");
	if (shm->dtrunc)
		strcpy(shm->diagbuf + DIAG_MAX - 32, "\n(diagnostics truncated)\n");
	r->transcript = strdup(shm->transcript);
	r->diag = strdup(shm->diagbuf);
}

static void print_prefixed(const char *title, const char *text)
{
	const char *p = text;

	if (title)
		printf("# %s\n", title);
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);

		printf("#   %.*s\n", n, p);
		p += n + (nl ? 1 : 0);
	}
}

/* Compare line by line; returns 1-based line number of first difference or 0. */
static int compare(const char *a, const char *b, char *la, char *lb, size_t n)
{
	int line = 1;

	for (;;) {
		const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
		size_t na = ea ? (size_t)(ea - a) : strlen(a);
		size_t nb = eb ? (size_t)(eb - b) : strlen(b);

		if (!*a && !*b)
			return 0;
		if (na != nb || memcmp(a, b, na) || !*a || !*b) {
			snprintf(la, n, "%.*s", (int)na, *a ? a : "(end)");
			snprintf(lb, n, "%.*s", (int)nb, *b ? b : "(end)");
			if (!*a)
				snprintf(la, n, "(end of transcript)");
			if (!*b)
				snprintf(lb, n, "(end of transcript)");
			return line;
		}
		a += na + (ea ? 1 : 0);
		b += nb + (eb ? 1 : 0);
		line++;
	}
}

static int tap_n, n_pass, n_fail, n_skip;

static void tap_line(int ok, const char *name, const char *fam, const char *skip)
{
	char full[256];

	if (fam)
		snprintf(full, sizeof(full), "%s[%s]", name, fam);
	else
		snprintf(full, sizeof(full), "%s", name);
	++tap_n;
	if (skip) {
		printf("ok %d - %s # SKIP %s\n", tap_n, full, skip);
		n_skip++;
	} else if (ok) {
		printf("ok %d - %s\n", tap_n, full);
		n_pass++;
	} else {
		printf("not ok %d - %s\n", tap_n, full);
		n_fail++;
	}
}

static void report_run(const struct test *t, const char *famname, struct run *r,
		       const struct run *ref, int sdp_unavailable_err)
{
	char la[512], lb[512];
	int diffline = 0;

	if (sdp_unavailable_err) {
		tap_line(0, t->name, famname, NULL);
		printf("# AF_SDP (family %d) unavailable (%s)\n",
		       fam_sdp.family, errname(sdp_unavailable_err));
		return;
	}
	if (r->outcome == R_SKIP) {
		tap_line(1, t->name, famname, r->why);
		return;
	}
	if (ref && ref->outcome != R_SKIP)
		diffline = compare(ref->transcript, r->transcript, la, lb, sizeof(la));
	tap_line(r->outcome == R_PASS && !diffline, t->name, famname, NULL);
	if (r->outcome != R_PASS)
		printf("# %s\n", r->why);
	if (diffline) {
		printf("# transcript differs from %s at line %d:\n",
		       fam_tcp.name, diffline);
		printf("#   %s: %s\n", fam_tcp.name, la);
		printf("#   sdp: %s\n", lb);
	}
	if (r->outcome == R_FAIL || diffline || verbose) {
		if (*r->diag)
			print_prefixed("diagnostics:", r->diag);
		if (diffline || verbose || r->outcome == R_FAIL) {
			char title[64];

			if (ref && diffline) {
				snprintf(title, sizeof(title), "%s transcript:",
					 fam_tcp.name);
				print_prefixed(title, ref->transcript);
			}

			snprintf(title, sizeof(title), "%s transcript:",
				 famname ? famname : "test");
			print_prefixed(title, r->transcript);
		}
	}
	fflush(stdout);
}

static void free_run(struct run *r)
{
	free(r->transcript);
	free(r->diag);
}

static int selected(const struct test *t, const char *filter)
{
	return !t->disabled && (!filter || strstr(t->name, filter));
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-f sdp|%s|both] [-t substring] [-l] [-v] [-T seconds]\n"
		"  -f  families to run (default both; with both, each sdp run is\n"
		"      compared line by line with the %s run of the same test)\n"
		"  -t  run only tests whose name contains substring\n"
		"  -l  list tests\n"
		"  -v  print transcripts of passing runs too\n"
		"  -T  default per-run timeout in seconds (default 60)\n"
		"environment: SDP_ADDR (local address, default 127.0.0.1),\n"
		"  SDP_PEER (address to connect to, default SDP_ADDR),\n"
		"  SDP_FAMILY (AF_SDP number, default %d),\n"
		"  SDP_TIMEOUT_SCALE (multiply all timeouts, e.g. 4 on a debug kernel)\n"
		"%s",
		argv0, fam_tcp.name, fam_tcp.name, AF_SDP,
		harness_usage_extra ? harness_usage_extra : "");
}

int harness_main(int argc, char **argv)
{
	const char *filter = NULL, *fams = "both", *env;
	int list = 0, opt, total = 0, sdp_err = 0;
	struct test *t;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "f:t:lvT:h")) != -1) {
		switch (opt) {
		case 'f':
			fams = optarg;
			break;
		case 't':
			filter = optarg;
			break;
		case 'l':
			list = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'T':
			default_timeout = atoi(optarg);
			if (default_timeout <= 0) {
				usage(argv[0]);
				return 2;
			}
			break;
		default:
			usage(argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (!strcmp(fams, "both")) {
		harness_want_tcp = harness_want_sdp = 1;
	} else if (!strcmp(fams, fam_tcp.name)) {
		harness_want_tcp = 1;
		harness_want_sdp = 0;
	} else if (!strcmp(fams, "sdp")) {
		harness_want_tcp = 0;
		harness_want_sdp = 1;
	} else {
		usage(argv[0]);
		return 2;
	}
	env = getenv("SDP_FAMILY");
	if (env && *env)
		fam_sdp.family = atoi(env);
	env = getenv("SDP_TIMEOUT_SCALE");
	if (env && *env && atof(env) > 0)
		timeout_scale = atof(env);

	if (list) {
		for (t = tests_head; t; t = t->next)
			if (selected(t, filter))
				printf("%s%s%s%s\n", t->name,
				       t->kind == T_DIFF ? " (" : "",
				       t->kind == T_DIFF ? fam_tcp.name : "",
				       t->kind == T_DIFF ? ",sdp compared)" :
				       t->kind == T_SDP ? " (sdp only)" : "");
		return 0;
	}

	for (t = tests_head; t; t = t->next) {
		if (!selected(t, filter))
			continue;
		if (t->kind == T_DIFF)
			total += harness_want_tcp + harness_want_sdp;
		else
			total += 1;
	}

	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED) {
		perror("mmap");
		return 2;
	}

	printf("TAP version 13\n1..%d\n", total);
	if (harness_want_sdp) {
		int fd = socket(fam_sdp.family, SOCK_STREAM, 0);

		if (fd < 0) {
			sdp_err = errno;
			printf("# AF_SDP (family %d) is not available here: socket(%d, SOCK_STREAM, 0) failed with %s (%s).\n"
			       "# Load sdp.ko (or set SDP_FAMILY); every sdp run below fails.\n",
			       fam_sdp.family, fam_sdp.family, errname(sdp_err),
			       strerror(sdp_err));
		} else {
			close(fd);
		}
	}
	{
		const char *a = getenv("SDP_ADDR"), *p = getenv("SDP_PEER");

		printf("# SDP_ADDR=%s SDP_PEER=%s families=%s\n",
		       a && *a ? a : "127.0.0.1 (default)",
		       p && *p ? p : "(SDP_ADDR)", fams);
	}

	for (t = tests_head; t; t = t->next) {
		struct run rt, rs;

		if (!selected(t, filter))
			continue;
		switch (t->kind) {
		case T_PLAIN:
			run_test(t, NULL, &rt);
			report_run(t, NULL, &rt, NULL, 0);
			free_run(&rt);
			break;
		case T_SDP:
			if (!harness_want_sdp) {
				char why[64];

				snprintf(why, sizeof(why), "sdp-only test, -f %s given",
					 fam_tcp.name);
				tap_line(1, t->name, "sdp", why);
				break;
			}
			if (sdp_err) {
				report_run(t, "sdp", NULL, NULL, sdp_err);
				break;
			}
			run_test(t, &fam_sdp, &rs);
			report_run(t, "sdp", &rs, NULL, 0);
			free_run(&rs);
			break;
		case T_DIFF:
			if (harness_want_tcp) {
				run_test(t, &fam_tcp, &rt);
				report_run(t, fam_tcp.name, &rt, NULL, 0);
			}
			if (harness_want_sdp) {
				if (sdp_err) {
					report_run(t, "sdp", NULL, NULL, sdp_err);
				} else {
					run_test(t, &fam_sdp, &rs);
					report_run(t, "sdp", &rs,
						   harness_want_tcp ? &rt : NULL, 0);
					free_run(&rs);
				}
			}
			if (harness_want_tcp)
				free_run(&rt);
			break;
		}
	}
	printf("# %d passed, %d failed, %d skipped\n", n_pass, n_fail, n_skip);
	return n_fail ? 1 : 0;
}
