/*
 * benchnet - tiny TCP helper for test/bench/bench.sh (not part of usernet)
 *
 *   benchnet serve ADDR PORT              echo server, one connection at a time
 *   benchnet crr   ADDR PORT SECS MAXCONN connect/request/response/close rate
 *   benchnet rr    ADDR PORT SECS         1-byte ping-pong on one connection
 *
 * Protocol: the client sends one byte at a time and the server answers with
 * the same byte. The byte 'c' makes the server close the connection after its
 * answer, so that the server (on the host) is the side that closes first and
 * keeps the TIME_WAIT, not the guest: a connection-rate run then does not
 * wrap the guest's ephemeral ports into connections the forwarder may still
 * remember.
 *
 * Every blocking call has a timeout (SO_RCVTIMEO / SO_SNDTIMEO), so a dead
 * peer never hangs the benchmark. Output is one line of key=value pairs on
 * stdout; errors go to stderr and give exit status 1.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IO_TIMEOUT_S 3
#define RR_MAX_SAMPLES (4u * 1024u * 1024u)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_addr(const char *addr, const char *port,
		      struct sockaddr_in *sin)
{
	char *end;
	long p = strtol(port, &end, 10);

	if (*end || p <= 0 || p > 65535)
		return -1;
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((unsigned short)p);
	return inet_pton(AF_INET, addr, &sin->sin_addr) == 1 ? 0 : -1;
}

static void set_timeouts(int fd, int secs)
{
	struct timeval tv = { .tv_sec = secs, .tv_usec = 0 };
	int one = 1;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int connect_to(const struct sockaddr_in *sin)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	set_timeouts(fd, IO_TIMEOUT_S);
	if (connect(fd, (const struct sockaddr *)sin, sizeof(*sin)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int serve(const struct sockaddr_in *sin)
{
	int one = 1, lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (lfd < 0)
		return perror("socket"), 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (const struct sockaddr *)sin, sizeof(*sin)) < 0)
		return perror("bind"), 1;
	if (listen(lfd, 128) < 0)
		return perror("listen"), 1;
	for (;;) {
		char b;
		ssize_t n;
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return perror("accept"), 1;
		}
		/* A guest that vanished mid-test must not wedge the server. */
		set_timeouts(fd, 30);
		while ((n = read(fd, &b, 1)) == 1) {
			if (write(fd, &b, 1) != 1 || b == 'c')
				break;
		}
		close(fd);
	}
}

static int crr(const struct sockaddr_in *sin, double secs, long maxconn)
{
	long ok = 0, fail = 0, streak = 0;
	const char *last_error = "none";
	char err[128];
	double t0 = now_s(), el = 0;

	while (ok < maxconn && (el = now_s() - t0) < secs) {
		char b = 'c';
		const char *stage = "connect";
		ssize_t n = -1;
		int fd = connect_to(sin);

		if (fd >= 0) {
			stage = "write";
			if (write(fd, &b, 1) == 1) {
				stage = "read answer";
				if (read(fd, &b, 1) == 1 && b == 'c') {
					stage = "read EOF";
					n = read(fd, &b, 1);
				}
			}
		}
		if (n == 0) {
			ok++;
			streak = 0;
		} else {
			/* A timed-out connect() says EINPROGRESS, a timed-out
			 * read() EAGAIN: say "timed out" for both. */
			int e = errno;

			snprintf(err, sizeof(err), "%s after %ld connections: %s",
				 stage, ok,
				 (e == EINPROGRESS || e == EAGAIN) ?
				 "timed out (3 s)" : strerror(e));
			last_error = err;
			fail++;
			if (++streak >= 20)
				break;
		}
		if (fd >= 0)
			close(fd);
	}
	el = now_s() - t0;
	printf("ok=%ld fail=%ld secs=%.3f rate=%.1f last_error=%s\n", ok,
	       fail, el, el > 0 ? (double)ok / el : 0.0, last_error);
	return ok > 0 ? 0 : 1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int rr(const struct sockaddr_in *sin, double secs)
{
	double *s = malloc(RR_MAX_SAMPLES * sizeof(*s)), t0, t;
	size_t n = 0;
	int fd;

	if (!s)
		return perror("malloc"), 1;
	fd = connect_to(sin);
	if (fd < 0)
		return perror("connect"), 1;
	/* Warm up for a tenth of the time, as sockperf does. */
	t0 = now_s();
	while (now_s() - t0 < secs / 10) {
		char b = 'p';

		if (write(fd, &b, 1) != 1 || read(fd, &b, 1) != 1)
			return perror("rr warm-up"), 1;
	}
	t0 = now_s();
	while (n < RR_MAX_SAMPLES && (t = now_s()) - t0 < secs) {
		char b = 'p';

		if (write(fd, &b, 1) != 1 || read(fd, &b, 1) != 1)
			return perror("rr"), 1;
		s[n++] = now_s() - t;
	}
	close(fd);
	if (!n)
		return fprintf(stderr, "rr: no samples\n"), 1;
	qsort(s, n, sizeof(*s), cmp_double);
	printf("n=%zu rtt_us_median=%.2f rtt_us_p99=%.2f\n", n,
	       s[n / 2] * 1e6, s[n * 99 / 100] * 1e6);
	free(s);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin;

	signal(SIGPIPE, SIG_IGN);
	if (argc < 4 || parse_addr(argv[2], argv[3], &sin) < 0) {
		fprintf(stderr, "usage: benchnet serve|crr|rr ADDR PORT "
				"[SECS [MAXCONN]]\n");
		return 2;
	}
	if (!strcmp(argv[1], "serve"))
		return serve(&sin);
	if (!strcmp(argv[1], "crr") && argc == 6)
		return crr(&sin, atof(argv[4]), atol(argv[5]));
	if (!strcmp(argv[1], "rr") && argc == 5)
		return rr(&sin, atof(argv[4]));
	fprintf(stderr, "benchnet: bad arguments\n");
	return 2;
}
