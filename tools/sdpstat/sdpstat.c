// SPDX-License-Identifier: GPL-2.0
/*
 * sdpstat: the socket table (/proc/net/sdp) and the counters
 * (/proc/net/sdp_stats) of sdp.ko in readable form, as ss and nstat do
 * for TCP. See usage() and Documentation/sdp.rst.
 *
 * Both files are per network namespace: sdpstat shows the namespace it
 * runs in (`ip netns exec NAME sdpstat ...` for another one).
 *
 * Addresses in /proc/net/sdp are printed the way /proc/net/tcp prints
 * them: the 32-bit words of the address in network byte order, printed as
 * host integers in hex. They are decoded here with the host's byte order,
 * so a saved copy (-f) must come from a machine of the same endianness.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>

#define SOCKS_PATH	"/proc/net/sdp"
#define STATS_PATH	"/proc/net/sdp_stats"

/* ---- the socket table ---- */

struct sock_ent {
	int sl;
	int st;			/* TCP state number */
	unsigned long txq, rxq;
	unsigned long uid;
	unsigned long inode;
	long assoc;
	char type[16];		/* "stream", "seqpacket"; "-" if the file has no type column */
	char laddr[INET6_ADDRSTRLEN], paddr[INET6_ADDRSTRLEN];
	unsigned int lport, pport;
	int v6;
	char local[INET6_ADDRSTRLEN + 16], peer[INET6_ADDRSTRLEN + 16];
};

struct table {
	struct sock_ent *e;
	size_t n, cap;
};

/* ---- counters ---- */

struct counter {
	char name[64];
	long long value;
};

struct counters {
	struct counter *c;
	size_t n, cap;
};

static const char *prog = "sdpstat";

static const char *const state_names[] = {
	[1] = "ESTABLISHED",
	[2] = "SYN_SENT",
	[3] = "SYN_RECV",
	[4] = "FIN_WAIT1",
	[5] = "FIN_WAIT2",
	[6] = "TIME_WAIT",
	[7] = "CLOSE",
	[8] = "CLOSE_WAIT",
	[9] = "LAST_ACK",
	[10] = "LISTEN",
	[11] = "CLOSING",
	[12] = "NEW_SYN_RECV",
};

static const char *state_name(int st, char *buf, size_t n)
{
	if (st > 0 && (size_t)st < sizeof(state_names) / sizeof(state_names[0]) &&
	    state_names[st])
		return state_names[st];
	snprintf(buf, n, "UNKNOWN(0x%02X)", st);
	return buf;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(1);
	}
	return p;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 8 hex digits -> the 32-bit host integer they spell */
static int hex32(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < 8; i++) {
		int d = hexval((unsigned char)s[i]);

		if (d < 0)
			return -1;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return 0;
}

/*
 * "0100007F" (IPv4) or 32 hex digits (IPv6), as /proc/net/tcp{,6} print
 * them, into text. Returns 0, or -1 if it is neither.
 */
static int decode_addr(const char *hex, size_t len, char *out, size_t n,
		       int *v6)
{
	uint32_t w[4];
	size_t i;

	if (len == 8) {
		struct in_addr a;

		if (hex32(hex, &w[0]))
			return -1;
		memcpy(&a.s_addr, &w[0], 4);
		*v6 = 0;
		return inet_ntop(AF_INET, &a, out, n) ? 0 : -1;
	}
	if (len == 32) {
		struct in6_addr a;

		for (i = 0; i < 4; i++) {
			if (hex32(hex + 8 * i, &w[i]))
				return -1;
			memcpy(&a.s6_addr[4 * i], &w[i], 4);
		}
		*v6 = 1;
		return inet_ntop(AF_INET6, &a, out, n) ? 0 : -1;
	}
	return -1;
}

/* "HEXADDR:PORT" */
static int parse_endpoint(const char *tok, char *addr, size_t n,
			  unsigned int *port, int *v6)
{
	const char *colon = strchr(tok, ':');
	char *end;
	unsigned long p;

	if (!colon || decode_addr(tok, colon - tok, addr, n, v6))
		return -1;
	errno = 0;
	p = strtoul(colon + 1, &end, 16);
	if (errno || end == colon + 1 || *end || p > 65535)
		return -1;
	*port = p;
	return 0;
}

static void fmt_endpoint(char *out, size_t n, const char *addr,
			 unsigned int port, int v6)
{
	char ps[12];

	if (port)
		snprintf(ps, sizeof(ps), "%u", port);
	else
		strcpy(ps, "*");
	if (v6)
		snprintf(out, n, "[%s]:%s", addr, ps);
	else
		snprintf(out, n, "%s:%s", addr, ps);
}

static int parse_ul(const char *s, int base, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, base);
	return errno || end == s || *end ? -1 : 0;
}

/*
 * One data line:
 *   sl: local rem st tx:rx tr:when retrnsmt uid timeout inode [type assoc]
 * The file of /proc/net/tcp (no type/assoc, more columns after inode) is
 * read too: has_type says whether the header named the type column.
 */
static int parse_sock_line(char *line, int has_type, struct sock_ent *e)
{
	char *tok[32];
	int nt = 0;
	char *save = NULL, *p;
	unsigned long v;

	for (p = strtok_r(line, " \t\n", &save); p && nt < 32;
	     p = strtok_r(NULL, " \t\n", &save))
		tok[nt++] = p;
	if (nt < 10)
		return -1;
	memset(e, 0, sizeof(*e));
	if (!strchr(tok[0], ':'))
		return -1;
	*strchr(tok[0], ':') = 0;
	if (parse_ul(tok[0], 10, &v))
		return -1;
	e->sl = (int)v;
	if (parse_endpoint(tok[1], e->laddr, sizeof(e->laddr), &e->lport, &e->v6) ||
	    parse_endpoint(tok[2], e->paddr, sizeof(e->paddr), &e->pport, &e->v6))
		return -1;
	if (parse_ul(tok[3], 16, &v) || v > 255)
		return -1;
	e->st = (int)v;
	p = strchr(tok[4], ':');
	if (!p)
		return -1;
	*p++ = 0;
	if (parse_ul(tok[4], 16, &e->txq) || parse_ul(p, 16, &e->rxq))
		return -1;
	/* tok[5] tr:tm->when, tok[6] retrnsmt */
	if (parse_ul(tok[7], 10, &e->uid))
		return -1;
	/* tok[8] timeout */
	if (parse_ul(tok[9], 10, &e->inode))
		return -1;
	if (has_type) {
		char *end;

		if (nt < 12)
			return -1;
		snprintf(e->type, sizeof(e->type), "%s", tok[10]);
		errno = 0;
		e->assoc = strtol(tok[11], &end, 10);
		if (errno || end == tok[11] || *end)
			return -1;
	} else {
		strcpy(e->type, "-");
	}
	fmt_endpoint(e->local, sizeof(e->local), e->laddr, e->lport, e->v6);
	fmt_endpoint(e->peer, sizeof(e->peer), e->paddr, e->pport, e->v6);
	return 0;
}

static int read_table(const char *path, struct table *t)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int lineno = 0, has_type = 0;

	t->n = 0;
	if (!f) {
		fprintf(stderr, "%s: %s: %s%s\n", prog, path, strerror(errno),
			errno == ENOENT && !strcmp(path, SOCKS_PATH) ?
			" (is sdp.ko loaded?)" : "");
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (lineno == 1 && strstr(line, "local_address")) {
			has_type = strstr(line, " type") != NULL;
			continue;
		}
		if (strspn(line, " \t\n") == strlen(line))
			continue;
		if (t->n == t->cap) {
			t->cap = t->cap ? 2 * t->cap : 64;
			t->e = xrealloc(t->e, t->cap * sizeof(*t->e));
		}
		if (parse_sock_line(line, has_type, &t->e[t->n])) {
			fprintf(stderr, "%s: %s:%d: cannot parse this line\n",
				prog, path, lineno);
			fclose(f);
			return -1;
		}
		t->n++;
	}
	fclose(f);
	return 0;
}

static int read_counters(const char *path, struct counters *c)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int lineno = 0;

	c->n = 0;
	if (!f) {
		fprintf(stderr, "%s: %s: %s%s\n", prog, path, strerror(errno),
			errno == ENOENT && !strcmp(path, STATS_PATH) ?
			" (is sdp.ko loaded?)" : "");
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char name[64], extra[2];
		long long v;
		int k;

		lineno++;
		if (strspn(line, " \t\n") == strlen(line))
			continue;
		k = sscanf(line, "%63s %lld %1s", name, &v, extra);
		if (k != 2) {
			fprintf(stderr, "%s: %s:%d: not a \"Name value\" line\n",
				prog, path, lineno);
			fclose(f);
			return -1;
		}
		if (c->n == c->cap) {
			c->cap = c->cap ? 2 * c->cap : 64;
			c->c = xrealloc(c->c, c->cap * sizeof(*c->c));
		}
		snprintf(c->c[c->n].name, sizeof(c->c[c->n].name), "%s", name);
		c->c[c->n].value = v;
		c->n++;
	}
	fclose(f);
	return 0;
}

/* the previous value of a counter by name (0 if it was not there) */
static long long prev_value(const struct counters *prev, size_t i,
			    const char *name)
{
	size_t j;

	if (i < prev->n && !strcmp(prev->c[i].name, name))
		return prev->c[i].value;
	for (j = 0; j < prev->n; j++)
		if (!strcmp(prev->c[j].name, name))
			return prev->c[j].value;
	return 0;
}

/* ---- output ---- */

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void print_table_text(const struct table *t)
{
	int lw = (int)strlen("Local Address:Port"), pw = (int)strlen("Peer Address:Port");
	char sb[32];
	size_t i;

	for (i = 0; i < t->n; i++) {
		if ((int)strlen(t->e[i].local) > lw)
			lw = (int)strlen(t->e[i].local);
		if ((int)strlen(t->e[i].peer) > pw)
			pw = (int)strlen(t->e[i].peer);
	}
	printf("%-9s %-13s %8s %8s %-*s %-*s %6s %8s %6s\n", "Type", "State",
	       "Recv-Q", "Send-Q", lw, "Local Address:Port", pw,
	       "Peer Address:Port", "UID", "Inode", "Assoc");
	for (i = 0; i < t->n; i++) {
		const struct sock_ent *e = &t->e[i];

		printf("%-9s %-13s %8lu %8lu %-*s %-*s %6lu %8lu %6ld\n",
		       e->type, state_name(e->st, sb, sizeof(sb)), e->rxq,
		       e->txq, lw, e->local, pw, e->peer, e->uid, e->inode,
		       e->assoc);
	}
}

static void print_table_json(const struct table *t)
{
	char sb[32];
	size_t i;

	printf("\"sockets\":[");
	for (i = 0; i < t->n; i++) {
		const struct sock_ent *e = &t->e[i];

		printf("%s{\"sl\":%d,\"type\":", i ? "," : "", e->sl);
		json_str(e->type);
		printf(",\"state\":");
		json_str(state_name(e->st, sb, sizeof(sb)));
		printf(",\"st\":%d,\"local_address\":", e->st);
		json_str(e->laddr);
		printf(",\"local_port\":%u,\"peer_address\":", e->lport);
		json_str(e->paddr);
		printf(",\"peer_port\":%u,\"recv_q\":%lu,\"send_q\":%lu,"
		       "\"uid\":%lu,\"inode\":%lu,\"assoc\":%ld}",
		       e->pport, e->rxq, e->txq, e->uid, e->inode, e->assoc);
	}
	printf("]");
}

static int name_width(const struct counters *c)
{
	int w = 8;
	size_t i;

	for (i = 0; i < c->n; i++)
		if ((int)strlen(c->c[i].name) > w)
			w = (int)strlen(c->c[i].name);
	return w;
}

static void print_counters_text(const struct counters *c)
{
	int w = name_width(c);
	size_t i;

	for (i = 0; i < c->n; i++)
		printf("%-*s %20lld\n", w, c->c[i].name, c->c[i].value);
}

static void print_counters_json(const char *key, const struct counters *c,
				const struct counters *prev)
{
	size_t i;

	printf("\"%s\":{", key);
	for (i = 0; i < c->n; i++) {
		long long v = c->c[i].value;

		if (prev)
			v -= prev_value(prev, i, c->c[i].name);
		printf("%s", i ? "," : "");
		json_str(c->c[i].name);
		printf(":%lld", v);
	}
	printf("}");
}

/* returns the number of lines printed */
static int print_deltas_text(const struct counters *c,
			     const struct counters *prev, int zeros)
{
	int w = name_width(c), n = 0;
	size_t i;

	for (i = 0; i < c->n; i++) {
		long long d = c->c[i].value - prev_value(prev, i, c->c[i].name);

		if (!d && !zeros)
			continue;
		printf("%-*s %+20lld %20lld\n", w, c->c[i].name, d,
		       c->c[i].value);
		n++;
	}
	return n;
}

static void timestamp(char *buf, size_t n)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
}

static void usage(FILE *out)
{
	fprintf(out,
"usage: %s [-s] [-c] [-j] [-z] [-w SEC [-n COUNT]] [-f FILE]\n"
"Show the sdp socket table and counters of this network namespace.\n"
"  -s        sockets: one line per socket from " SOCKS_PATH "\n"
"            (type, state, receive and send queue bytes, local and peer\n"
"            address:port, uid, inode, association id)\n"
"  -c        counters from " STATS_PATH "\n"
"            (with neither -s nor -c: both)\n"
"  -w SEC    watch: print the view now, then every SEC seconds (a decimal\n"
"            number); counters are printed as changes since the last look\n"
"            (\"Name +change total\"), sockets as the whole table again\n"
"  -n COUNT  with -w: stop after COUNT intervals (default: run until killed)\n"
"  -z        with -w: print counters that did not change too\n"
"  -j        JSON: one object {\"sockets\":[...],\"counters\":{...}}; with -w\n"
"            one object per line, with \"interval\", \"time\" and, after the\n"
"            first, \"seconds\" and \"deltas\"\n"
"  -f FILE   read FILE instead of the /proc file of the one view asked\n"
"            for (-s or -c); a saved copy, or /proc/net/tcp for -s\n"
"  -h        this help\n"
"Exit status: 0 ok, 1 a file could not be read or parsed, 2 usage.\n",
		prog);
}

int main(int argc, char **argv)
{
	const char *file = NULL, *spath = SOCKS_PATH, *cpath = STATS_PATH;
	int want_s = 0, want_c = 0, json = 0, zeros = 0, opt;
	double every = 0;
	long count = -1;
	struct table tab = { 0 };
	struct counters cur = { 0 }, prev = { 0 };
	struct timespec next;
	long interval;
	char *end;

	if (argv[0] && *argv[0]) {
		const char *sl = strrchr(argv[0], '/');

		prog = sl ? sl + 1 : argv[0];
	}
	while ((opt = getopt(argc, argv, "scjzw:n:f:h")) != -1) {
		switch (opt) {
		case 's':
			want_s = 1;
			break;
		case 'c':
			want_c = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'z':
			zeros = 1;
			break;
		case 'w':
			errno = 0;
			every = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(every > 0) ||
			    every > 86400) {
				fprintf(stderr, "%s: -w: want seconds > 0, got \"%s\"\n",
					prog, optarg);
				return 2;
			}
			break;
		case 'n':
			errno = 0;
			count = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || count < 1) {
				fprintf(stderr, "%s: -n: want a count >= 1, got \"%s\"\n",
					prog, optarg);
				return 2;
			}
			break;
		case 'f':
			file = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\n", prog, argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!want_s && !want_c)
		want_s = want_c = !file;
	if (file) {
		if (want_s + want_c != 1) {
			fprintf(stderr, "%s: -f needs exactly one of -s or -c\n", prog);
			return 2;
		}
		if (want_s)
			spath = file;
		else
			cpath = file;
	}
	if (count > 0 && !(every > 0)) {
		fprintf(stderr, "%s: -n goes with -w\n", prog);
		return 2;
	}
	if (zeros && !(every > 0)) {
		fprintf(stderr, "%s: -z goes with -w\n", prog);
		return 2;
	}

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (interval = 0;; interval++) {
		char ts[32];

		if (want_s && read_table(spath, &tab))
			return 1;
		if (want_c && read_counters(cpath, &cur))
			return 1;
		timestamp(ts, sizeof(ts));
		if (json) {
			int first = 1;

			printf("{");
			if (every > 0) {
				printf("\"interval\":%ld,\"time\":\"%s\"", interval, ts);
				if (interval)
					printf(",\"seconds\":%g", every);
				first = 0;
			}
			if (want_s) {
				printf("%s", first ? "" : ",");
				print_table_json(&tab);
				first = 0;
			}
			if (want_c) {
				printf("%s", first ? "" : ",");
				if (every > 0 && interval) {
					print_counters_json("deltas", &cur, &prev);
					printf(",");
				}
				print_counters_json("counters", &cur, NULL);
			}
			printf("}\n");
		} else {
			if (every > 0) {
				if (interval)
					printf("# sdpstat %s interval %ld (%g s)\n",
					       ts, interval, every);
				else
					printf("# sdpstat %s start\n", ts);
			}
			if (want_s) {
				print_table_text(&tab);
				if (want_c)
					printf("\n");
			}
			if (want_c) {
				if (every > 0 && interval) {
					if (!print_deltas_text(&cur, &prev, zeros))
						printf("# no counter changed\n");
				} else {
					print_counters_text(&cur);
				}
			}
		}
		fflush(stdout);
		if (!(every > 0) || (count > 0 && interval >= count))
			break;
		if (want_c) {
			struct counters t = prev;

			prev = cur;
			cur = t;
		}
		/* absolute deadlines: no drift over long watches */
		next.tv_sec += (time_t)every;
		next.tv_nsec += (long)((every - (double)(time_t)every) * 1e9);
		if (next.tv_nsec >= 1000000000L) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000L;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
	}
	return 0;
}
