// SPDX-License-Identifier: MIT
/*
 * Unit tests of the API socket's protocol (tools/apisock.c): the replies to
 * good requests byte for byte as slirp4netns 1.2 writes them, a table of
 * malformed requests with the error each must get (not JSON, not an object,
 * missing fields, wrong types, huge numbers, unknown execute, too large),
 * ids that are never reused, a forward the proxy refuses, the forward
 * limit, and the socket itself over a real unix socket on a loop: a
 * request split across writes, one without a shutdown, a second client
 * while the first is silent.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "apisock.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The fake proxy: counts, and refuses host port 9999 with EADDRINUSE. */
struct fake {
	int adds;
	int removes;
	struct unet_fwd last;
};

static int fake_add(void *opaque, struct unet_fwd *fwd)
{
	struct fake *f = opaque;

	if (ntohs(fwd->host_port) == 9999)
		return -EADDRINUSE;
	f->adds++;
	f->last = *fwd;
	return 0;
}

static int fake_remove(void *opaque, const struct unet_fwd *fwd)
{
	struct fake *f = opaque;

	f->removes++;
	f->last = *fwd;
	return 0;
}

static const struct apisock_ops fake_ops = {
	.add = fake_add,
	.remove = fake_remove,
};

static void setup_api(struct apisock *a, struct fake *f)
{
	struct apisock_info in;

	memset(f, 0, sizeof(*f));
	memset(&in, 0, sizeof(in));
	in.mtu = 1500;
	inet_pton(AF_INET, "10.0.2.0", &in.net);
	inet_pton(AF_INET, "255.255.255.0", &in.mask);
	inet_pton(AF_INET, "10.0.2.2", &in.host);
	inet_pton(AF_INET, "10.0.2.3", &in.dns);
	inet_pton(AF_INET, "10.0.2.15", &in.dhcp_start);
	inet_pton(AF_INET, "10.0.2.100", &in.guest);
	in.host_loopback = true;
	apisock_init(a, &fake_ops, f, &in);
}

/* Sends @req and checks the reply is @want exactly. */
static void expect(struct apisock *a, const char *req, const char *want)
{
	char *reply = apisock_handle(a, req, strlen(req));

	assert_non_null(reply);
	if (strcmp(reply, want) != 0)
		fail_msg("request %s\n got  %s\n want %s", req, reply, want);
	free(reply);
}

static void test_good(void **state)
{
	struct apisock a;
	struct fake f;

	setup_api(&a, &f);
	expect(&a, "{\"execute\": \"list_hostfwd\"}", "{\"entries\":[]}");
	expect(&a,
	       "{\"execute\": \"add_hostfwd\", \"arguments\": {\"proto\": \"tcp\", \"host_addr\": \"0.0.0.0\", \"host_port\": 8080, \"guest_addr\": \"10.0.2.100\", \"guest_port\": 80}}",
	       "{\"return\":{\"id\":1}}");
	assert_int_equal(f.adds, 1);
	assert_int_equal(f.last.proto, IPPROTO_TCP);
	assert_int_equal(ntohs(f.last.host_port), 8080);
	assert_int_equal(ntohs(f.last.guest_port), 80);
	/* Defaults: any host address, the guest's address; a real port. */
	expect(&a,
	       "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"udp\",\"host_port\":5353.0,\"guest_port\":53,\"host_addr\":null,\"guest_addr\":\"\"}}",
	       "{\"return\":{\"id\":2}}");
	assert_int_equal(f.last.proto, IPPROTO_UDP);
	assert_int_equal(f.last.host_addr.s_addr, htonl(INADDR_ANY));
	assert_int_equal(f.last.guest_addr.s_addr, a.info.guest.s_addr);
	expect(&a, "{\"execute\":\"list_hostfwd\"}\n",
	       "{\"entries\":[{\"id\":1,\"proto\":\"tcp\",\"host_addr\":\"0.0.0.0\",\"host_port\":8080,\"guest_addr\":\"10.0.2.100\",\"guest_port\":80},{\"id\":2,\"proto\":\"udp\",\"host_addr\":\"0.0.0.0\",\"host_port\":5353,\"guest_addr\":\"10.0.2.100\",\"guest_port\":53}]}");
	expect(&a, "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":1}}",
	       "{\"return\":{}}");
	assert_int_equal(f.removes, 1);
	assert_int_equal(ntohs(f.last.host_port), 8080);
	/* Removed once; ids are never reused. */
	expect(&a, "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":1}}",
	       "{\"error\":{\"desc\":\"bad request: remove_hostfwd: bad arguments.id\"}}");
	expect(&a,
	       "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_addr\":\"127.0.0.1\",\"host_port\":8081,\"guest_port\":81}}",
	       "{\"return\":{\"id\":3}}");
	expect(&a, "{\"execute\":\"list_hostfwd\"} trailing bytes",
	       "{\"entries\":[{\"id\":2,\"proto\":\"udp\",\"host_addr\":\"0.0.0.0\",\"host_port\":5353,\"guest_addr\":\"10.0.2.100\",\"guest_port\":53},{\"id\":3,\"proto\":\"tcp\",\"host_addr\":\"127.0.0.1\",\"host_port\":8081,\"guest_addr\":\"10.0.2.100\",\"guest_port\":81}]}");
	expect(&a, "{\"execute\":\"get_info\"}",
	       "{\"return\":{\"mtu\":1500,\"network\":\"10.0.2.0\",\"netmask\":\"255.255.255.0\",\"gateway\":\"10.0.2.2\",\"dns\":\"10.0.2.3\",\"dhcp_begin\":\"10.0.2.15\",\"dhcp_end\":\"10.0.2.30\",\"recommended_ip\":\"10.0.2.100\",\"ipv6\":false,\"host_loopback\":true}}");
	apisock_close(&a);
}

#define E(desc) "{\"error\":{\"desc\":\"bad request: " desc "\"}}"
#define ADD(args) "{\"execute\":\"add_hostfwd\",\"arguments\":" args "}"

static const struct {
	const char *req;
	const char *want;
} bad_cases[] = {
	{ "", E("cannot parse JSON") },
	{ "garbage", E("cannot parse JSON") },
	{ "{\"execute\":", E("cannot parse JSON") },
	{ "{\"execute\":\"list_hostfwd\"", E("cannot parse JSON") },
	{ "\"list_hostfwd\"", E("json_object() failed") },
	{ "[1,2]", E("json_object() failed") },
	{ "42", E("json_object() failed") },
	{ "{}", E("no execute found") },
	{ "{\"execute\":5}", E("no execute found") },
	{ "{\"execute\":null}", E("no execute found") },
	{ "{\"execute\":[\"list_hostfwd\"]}", E("no execute found") },
	{ "{\"execute\":\"rm -rf /\"}", E("unknown execute") },
	{ "{\"execute\":\"LIST_HOSTFWD\"}", E("unknown execute") },
	/* add_hostfwd: each field missing, of the wrong type, out of range */
	{ "{\"execute\":\"add_hostfwd\"}",
	  E("add_hostfwd: bad arguments.proto") },
	{ "{\"execute\":\"add_hostfwd\",\"arguments\":[]}",
	  E("add_hostfwd: bad arguments.proto") },
	{ ADD("{\"host_port\":1,\"guest_port\":2}"),
	  E("add_hostfwd: bad arguments.proto") },
	{ ADD("{\"proto\":\"sctp\",\"host_port\":1,\"guest_port\":2}"),
	  E("add_hostfwd: bad arguments.proto") },
	{ ADD("{\"proto\":6,\"host_port\":1,\"guest_port\":2}"),
	  E("add_hostfwd: bad arguments.proto") },
	{ ADD("{\"proto\":\"tcp\",\"host_addr\":\"1.2.3\",\"host_port\":1,\"guest_port\":2}"),
	  E("add_hostfwd: bad arguments.host_addr") },
	{ ADD("{\"proto\":\"tcp\",\"host_addr\":\"::1\",\"host_port\":1,\"guest_port\":2}"),
	  E("add_hostfwd: bad arguments.host_addr") },
	{ ADD("{\"proto\":\"tcp\",\"host_addr\":5,\"host_port\":1,\"guest_port\":2}"),
	  E("add_hostfwd: bad arguments.host_addr") },
	/* jansson refuses a NUL inside a string */
	{ ADD("{\"proto\":\"tcp\",\"host_addr\":\"1.2.3.4\\u0000x\",\"host_port\":1,\"guest_port\":2}"),
	  E("cannot parse JSON") },
	{ ADD("{\"proto\":\"tcp\",\"guest_port\":2}"),
	  E("add_hostfwd: bad arguments.host_port") },
	{ ADD("{\"proto\":\"tcp\",\"host_port\":\"80\",\"guest_port\":2}"),
	  E("add_hostfwd: bad arguments.host_port") },
	{ ADD("{\"proto\":\"tcp\",\"host_port\":0,\"guest_port\":2}"),
	  E("add_hostfwd: bad arguments.host_port") },
	{ ADD("{\"proto\":\"tcp\",\"host_port\":-1,\"guest_port\":2}"),
	  E("add_hostfwd: bad arguments.host_port") },
	{ ADD("{\"proto\":\"tcp\",\"host_port\":65536,\"guest_port\":2}"),
	  E("add_hostfwd: bad arguments.host_port") },
	{ ADD("{\"proto\":\"tcp\",\"host_port\":99999999999999999999999,\"guest_port\":2}"),
	  E("add_hostfwd: bad arguments.host_port") },
	{ ADD("{\"proto\":\"tcp\",\"host_port\":1e300,\"guest_port\":2}"),
	  E("add_hostfwd: bad arguments.host_port") },
	{ ADD("{\"proto\":\"tcp\",\"host_port\":80.5,\"guest_port\":2}"),
	  E("add_hostfwd: bad arguments.host_port") },
	{ ADD("{\"proto\":\"tcp\",\"host_port\":true,\"guest_port\":2}"),
	  E("add_hostfwd: bad arguments.host_port") },
	{ ADD("{\"proto\":\"tcp\",\"host_port\":1,\"guest_addr\":\"10.0.2\",\"guest_port\":2}"),
	  E("add_hostfwd: bad arguments.guest_addr") },
	{ ADD("{\"proto\":\"tcp\",\"host_port\":1,\"guest_addr\":{},\"guest_port\":2}"),
	  E("add_hostfwd: bad arguments.guest_addr") },
	{ ADD("{\"proto\":\"tcp\",\"host_port\":1}"),
	  E("add_hostfwd: bad arguments.guest_port") },
	{ ADD("{\"proto\":\"tcp\",\"host_port\":1,\"guest_port\":70000}"),
	  E("add_hostfwd: bad arguments.guest_port") },
	{ ADD("{\"proto\":\"tcp\",\"host_port\":1,\"guest_port\":null}"),
	  E("add_hostfwd: bad arguments.guest_port") },
	/* the proxy refuses it (port 9999 in use) */
	{ ADD("{\"proto\":\"tcp\",\"host_port\":9999,\"guest_port\":2}"),
	  E("add_hostfwd: slirp_add_hostfwd failed") },
	/* remove_hostfwd */
	{ "{\"execute\":\"remove_hostfwd\"}",
	  E("remove_hostfwd: bad arguments.id") },
	{ "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":\"1\"}}",
	  E("remove_hostfwd: bad arguments.id") },
	{ "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":4294967297}}",
	  E("remove_hostfwd: bad arguments.id") },
	{ "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":-1}}",
	  E("remove_hostfwd: bad arguments.id") },
	{ "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":1}}",
	  E("remove_hostfwd: bad arguments.id") },
};

static void test_bad(void **state)
{
	struct apisock a;
	struct fake f;
	size_t i;

	setup_api(&a, &f);
	for (i = 0; i < ARRAY_SIZE(bad_cases); i++)
		expect(&a, bad_cases[i].req, bad_cases[i].want);
	assert_int_equal(f.adds, 0);
	assert_int_equal(a.n_fwds, 0);
	apisock_close(&a);
}

static void test_too_large(void **state)
{
	struct apisock a;
	struct fake f;
	char *big, *reply;

	setup_api(&a, &f);
	big = malloc(APISOCK_REQ_MAX);
	assert_non_null(big);
	memset(big, ' ', APISOCK_REQ_MAX);
	memcpy(big, "{\"execute\":\"list_hostfwd\"}", 26);
	reply = apisock_handle(&a, big, APISOCK_REQ_MAX);
	assert_string_equal(reply, E("too large message"));
	free(reply);
	/* One byte less is a request (trailing spaces). */
	reply = apisock_handle(&a, big, APISOCK_REQ_MAX - 1);
	assert_string_equal(reply, "{\"entries\":[]}");
	free(reply);
	free(big);
	apisock_close(&a);
}

#define ADD_PORT ADD("{\"proto\":\"tcp\",\"host_port\":%d,\"guest_port\":80}")

static void test_limit(void **state)
{
	struct apisock a;
	struct fake f;
	char req[160], want[64];
	int i;

	setup_api(&a, &f);
	for (i = 0; i < APISOCK_FWD_MAX; i++) {
		snprintf(req, sizeof(req), ADD_PORT, 10000 + i);
		snprintf(want, sizeof(want), "{\"return\":{\"id\":%d}}", i + 1);
		expect(&a, req, want);
	}
	expect(&a, ADD("{\"proto\":\"tcp\",\"host_port\":5,\"guest_port\":80}"),
	       E("add_hostfwd: too many forwards"));
	apisock_close(&a);
}

/* The socket: a real unix socket on a loop; the client in a thread-free
 * way: blocking writes before running the loop, reads after. */
struct sock_case {
	uv_loop_t loop;
	struct apisock a;
	struct fake f;
	char path[108];
};

static int connect_to(const char *path)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int fd;

	snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&un, sizeof(un)), 0);
	return fd;
}

/* Runs the loop until @fd has a reply (or EOF); returns the reply. */
static char *read_reply(struct sock_case *s, int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;
	int i;

	for (i = 0; i < 200; i++) {
		uv_run(&s->loop, UV_RUN_NOWAIT);
		n = recv(fd, buf + got, len - 1 - got, MSG_DONTWAIT);
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n == 0)
			break;
		usleep(5000);
	}
	buf[got] = '\0';
	return buf;
}

static void test_socket(void **state)
{
	static const char list[] = "{\"execute\":\"list_hostfwd\"}";
	struct sock_case s;
	char buf[512], err[256];
	int fd, fd2;

	memset(&s, 0, sizeof(s));
	snprintf(s.path, sizeof(s.path), "/tmp/unet-apisock-test.%d",
		 (int)getpid());
	assert_int_equal(uv_loop_init(&s.loop), 0);
	setup_api(&s.a, &s.f);
	assert_int_equal(
		apisock_listen(&s.a, &s.loop, s.path, err, sizeof(err)), 0);

	/* One request in two writes, then a shutdown: slirp4netns's clients. */
	fd = connect_to(s.path);
	assert_int_equal(write(fd, list, 10), 10);
	uv_run(&s.loop, UV_RUN_NOWAIT);
	assert_int_equal(write(fd, list + 10, sizeof(list) - 11),
			 (ssize_t)sizeof(list) - 11);
	shutdown(fd, SHUT_WR);
	assert_string_equal(read_reply(&s, fd, buf, sizeof(buf)),
			    "{\"entries\":[]}");
	close(fd);

	/* A silent client does not hold up the next one, which sends a whole
	 * request and no shutdown (echo | nc without -N). */
	fd = connect_to(s.path);
	fd2 = connect_to(s.path);
	assert_int_equal(write(fd2, list, sizeof(list) - 1),
			 (ssize_t)sizeof(list) - 1);
	assert_string_equal(read_reply(&s, fd2, buf, sizeof(buf)),
			    "{\"entries\":[]}");
	close(fd2);
	/* The silent one gets EOF with no reply when it shuts down empty. */
	shutdown(fd, SHUT_WR);
	assert_string_equal(read_reply(&s, fd, buf, sizeof(buf)),
			    E("cannot parse JSON"));
	close(fd);

	apisock_close(&s.a);
	uv_run(&s.loop, UV_RUN_DEFAULT);
	assert_int_equal(access(s.path, F_OK), -1);
	assert_int_equal(uv_loop_close(&s.loop), 0);
}

/* A path that is not a socket is never replaced. */
static void test_not_a_socket(void **state)
{
	struct sock_case s;
	char err[256];
	FILE *f;

	memset(&s, 0, sizeof(s));
	snprintf(s.path, sizeof(s.path), "/tmp/unet-apisock-file.%d",
		 (int)getpid());
	f = fopen(s.path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(uv_loop_init(&s.loop), 0);
	setup_api(&s.a, &s.f);
	assert_int_equal(apisock_listen(&s.a, &s.loop, s.path, err,
					sizeof(err)),
			 -EEXIST);
	apisock_close(&s.a);
	uv_run(&s.loop, UV_RUN_DEFAULT);
	assert_int_equal(access(s.path, F_OK), 0);
	unlink(s.path);
	assert_int_equal(uv_loop_close(&s.loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_socket),
		cmocka_unit_test(test_not_a_socket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
