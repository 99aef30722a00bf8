/*
 * benchnet - tiny TCP helper for test/bench/bench.sh (not part of usernet)
 *
 *   benchnet serve ADDR PORT              echo server, one connection at a time
 *   benchnet crr   ADDR PORT SECS MAXCONN connect/request/response/close rate
 *   benchnet rr    ADDR PORT SECS         1-byte ping-pong on one connection
 *   benchnet hold-serve ADDR PORT         echo server for many connections
 *                                         at once (epoll), for flows.sh
 *   benchnet flows ADDR PORT N GO DONE    opens N connections (each sends 1
 *                                         byte and reads it back), holds
 *                                         them until file DONE exists
 *
 * flows waits (at most 60 s) for file GO before it starts, prints
 * "held=N fail=F secs=S" once the connections are open, and waits at most
 * 300 s for DONE. It raises its open-files soft limit to the hard one.
 *
 * Protocol: the client sends one byte at a time and the server answers with
 * the same byte. The byte 'c' makes the server close the connection after its
 * answer, so that the server (on the host) is the side that closes first and
 * keeps the TIME_WAIT, not the guest: a connection-rate run then does not
 * wrap the guest's ephemeral ports into connections the forwarder may still
 * remember.
 *
 * ADDR is a numeric IPv4 or IPv6 address (an IPv6 link-local one with its
 * "%IFNAME" scope).
 *
 * Every blocking call has a timeout (SO_RCVTIMEO / SO_SNDTIMEO), so a dead
 * peer never hangs the benchmark. Output is one line of key=value pairs on
 * stdout; errors go to stderr and give exit status 1.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
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

/* A socket address of either family, with its length. */
struct addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

static int parse_addr(const char *addr, const char *port, struct addr *a)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	char *end;
	long p = strtol(port, &end, 10);

	if (*end || p <= 0 || p > 65535)
		return -1;
	if (getaddrinfo(addr, port, &hints, &ai) != 0)
		return -1;
	memset(a, 0, sizeof(*a));
	memcpy(&a->ss, ai->ai_addr, ai->ai_addrlen);
	a->len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/* A TCP socket of @a's family. */
static int tcp_socket(const struct addr *a)
{
	return socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
}

static void set_timeouts(int fd, int secs)
{
	struct timeval tv = { .tv_sec = secs, .tv_usec = 0 };
	int one = 1;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int connect_to(const struct addr *sin)
{
	int fd = tcp_socket(sin);

	if (fd < 0)
		return -1;
	set_timeouts(fd, IO_TIMEOUT_S);
	if (connect(fd, (const struct sockaddr *)&sin->ss, sin->len) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int serve(const struct addr *sin)
{
	int one = 1, lfd = tcp_socket(sin);

	if (lfd < 0)
		return perror("socket"), 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (const struct sockaddr *)&sin->ss, sin->len) < 0)
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

static int crr(const struct addr *sin, double secs, long maxconn)
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

/* An echo server for any number of connections at once, until killed. */
static int hold_serve(const struct addr *sin)
{
	struct epoll_event ev, evs[256];
	struct rlimit rl;
	int one = 1, ep, lfd = tcp_socket(sin);

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (lfd < 0)
		return perror("socket"), 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (const struct sockaddr *)&sin->ss, sin->len) < 0)
		return perror("bind"), 1;
	if (listen(lfd, 4096) < 0)
		return perror("listen"), 1;
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return perror("epoll_create1"), 1;
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		int i, n = epoll_wait(ep, evs, 256, -1);

		if (n < 0 && errno != EINTR)
			return perror("epoll_wait"), 1;
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			char b[256];
			ssize_t r;

			if (fd == lfd) {
				fd = accept4(lfd, NULL, NULL,
					     SOCK_CLOEXEC | SOCK_NONBLOCK);
				if (fd < 0)
					continue;
				ev.events = EPOLLIN;
				ev.data.fd = fd;
				epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				continue;
			}
			r = read(fd, b, sizeof(b));
			if (r > 0 && write(fd, b, (size_t)r) == r)
				continue;
			if (r < 0 && errno == EAGAIN)
				continue;
			close(fd);
		}
	}
}

/* Polls (every 0.1 s, at most @secs) for @path to exist. */
static int wait_file(const char *path, double secs)
{
	double t0 = now_s();

	while (access(path, F_OK) != 0) {
		if (now_s() - t0 > secs)
			return -1;
		usleep(100000);
	}
	return 0;
}

/*
 * N connections, opened one after another; each sends 1 byte and reads it
 * back, so that the flow carried data both ways. Then they are held, idle,
 * until @done exists.
 */
static int flows(const struct addr *sin, long n, const char *go,
		 const char *done)
{
	struct rlimit rl;
	long i, held = 0, fail = 0;
	int *fds = calloc((size_t)n, sizeof(*fds));
	char err[160] = "none";
	double t0;

	if (!fds)
		return perror("calloc"), 1;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (wait_file(go, 60) < 0)
		return fprintf(stderr, "flows: no %s after 60 s\n", go), 1;
	t0 = now_s();
	for (i = 0; i < n; i++) {
		char b = 'f';
		int fd = connect_to(sin);

		if (fd >= 0 && write(fd, &b, 1) == 1 && read(fd, &b, 1) == 1) {
			fds[held++] = fd;
			continue;
		}
		snprintf(err, sizeof(err), "after %ld connections: %s", held,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		if (++fail >= 20)
			break;
	}
	printf("held=%ld fail=%ld secs=%.1f last_error=%s\n", held, fail,
	       now_s() - t0, err);
	fflush(stdout);
	if (wait_file(done, 300) < 0)
		fprintf(stderr, "flows: no %s after 300 s\n", done);
	for (i = 0; i < held; i++)
		close(fds[i]);
	free(fds);
	return held > 0 ? 0 : 1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int rr(const struct addr *sin, double secs)
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
		ssize_t r = -1;

		errno = 0;
		if (write(fd, &b, 1) != 1 || (r = read(fd, &b, 1)) != 1) {
			fprintf(stderr, "rr: after %zu round trips: %s\n", n,
				r == 0		? "the server closed" :
				errno == EAGAIN ? "no answer within 3 s" :
						  strerror(errno));
			return 1;
		}
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
	struct addr sin;

	signal(SIGPIPE, SIG_IGN);
	if (argc < 4 || parse_addr(argv[2], argv[3], &sin) < 0) {
		fprintf(stderr, "usage: benchnet serve|crr|rr|hold-serve|flows "
				"ADDR PORT [SECS [MAXCONN]] [N GO DONE]\n");
		return 2;
	}
	if (!strcmp(argv[1], "serve"))
		return serve(&sin);
	if (!strcmp(argv[1], "crr") && argc == 6)
		return crr(&sin, atof(argv[4]), atol(argv[5]));
	if (!strcmp(argv[1], "rr") && argc == 5)
		return rr(&sin, atof(argv[4]));
	if (!strcmp(argv[1], "hold-serve"))
		return hold_serve(&sin);
	if (!strcmp(argv[1], "flows") && argc == 7 && atol(argv[4]) > 0)
		return flows(&sin, atol(argv[4]), argv[5], argv[6]);
	fprintf(stderr, "benchnet: bad arguments\n");
	return 2;
}
