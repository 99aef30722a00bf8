// SPDX-License-Identifier: MIT
/*
 * Unit tests of the seccomp allow-list (tools/sandbox.c), each in a forked
 * child so that the test runner stays free: what usernet does after set-up
 * still works (sockets of its families, reading a file, a pipe, memory),
 * and what it never does fails with EPERM (execve, ptrace, a netlink
 * socket, opening for writing, executable memory, kill of anyone but the
 * child it was given). The mounts (--sandbox) need privileges and are
 * tested by test/integration/sandbox.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"

/* Exit codes of the child: which check failed. */
enum {
	CHILD_OK = 0,
	CHILD_ENTER = 10,
	CHILD_SOCKET4,
	CHILD_SOCKET6,
	CHILD_READ,
	CHILD_PIPE,
	CHILD_MALLOC,
	CHILD_EXECVE,
	CHILD_PTRACE,
	CHILD_NETLINK,
	CHILD_WRITE_OPEN,
	CHILD_EXEC_MEM,
	CHILD_KILL_OTHER,
	CHILD_KILL_CHILD,
};

/* Denied with EPERM, as the filter's default action says. */
static bool denied(long ret)
{
	return ret < 0 && errno == EPERM;
}

static int child_checks(pid_t sleeper)
{
	struct sandbox_options o = { .seccomp = true, .child = sleeper };
	char err[256], buf[16];
	char *const argv[] = { "true", NULL };
	void *p;
	int fd, fds[2];

	/* A pipe made before, as the loop's own. */
	if (pipe2(fds, O_CLOEXEC) < 0)
		return CHILD_PIPE;
	if (sandbox_enter(&o, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return CHILD_ENTER;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return CHILD_SOCKET4;
	close(fd);
	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	if (fd < 0)
		return CHILD_SOCKET6;
	close(fd);
	fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, buf, sizeof(buf)) <= 0)
		return CHILD_READ;
	close(fd);
	if (write(fds[1], "x", 1) != 1 || read(fds[0], buf, 1) != 1)
		return CHILD_PIPE;
	p = malloc(1 << 20);
	if (p == NULL)
		return CHILD_MALLOC;
	memset(p, 1, 1 << 20);
	free(p);
	if (!denied(execve("/bin/true", argv, NULL)))
		return CHILD_EXECVE;
	if (!denied(ptrace(PTRACE_TRACEME, 0, NULL, NULL)))
		return CHILD_PTRACE;
	if (!denied(socket(AF_NETLINK, SOCK_RAW, 0)))
		return CHILD_NETLINK;
	if (!denied(open("/dev/null", O_WRONLY)))
		return CHILD_WRITE_OPEN;
	p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p != MAP_FAILED || errno != EPERM)
		return CHILD_EXEC_MEM;
	if (!denied(kill(getppid(), 0)))
		return CHILD_KILL_OTHER;
	if (kill(sleeper, SIGKILL) < 0)
		return CHILD_KILL_CHILD;
	return CHILD_OK;
}

static void test_seccomp(void **state)
{
	pid_t sleeper, pid;
	int status;

	(void)state;
	if (!sandbox_seccomp_available())
		skip();
	sleeper = fork();
	assert_true(sleeper >= 0);
	if (sleeper == 0) {
		pause();
		_exit(0);
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_checks(sleeper));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) != CHILD_OK)
		kill(sleeper, SIGKILL);
	assert_int_equal(WEXITSTATUS(status), CHILD_OK);
	/* The confined child killed its "CMD": it is gone. */
	assert_int_equal(waitpid(sleeper, &status, 0), sleeper);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
}

/* Neither option: nothing happens, the caller stays free. */
static void test_nothing(void **state)
{
	struct sandbox_options o = { 0 };
	char err[64];

	(void)state;
	assert_int_equal(sandbox_enter(&o, err, sizeof(err)), 0);
	assert_int_equal(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0);
	assert_int_equal(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seccomp),
		cmocka_unit_test(test_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
