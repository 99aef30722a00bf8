/* SPDX-License-Identifier: MIT */
/*
 * sandbox: usernet confines itself once it is set up (--sandbox, --seccomp;
 * slirp4netns's --enable-sandbox, --enable-seccomp). See sandbox.c.
 */
#ifndef USERNET_TOOLS_SANDBOX_H
#define USERNET_TOOLS_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/**
 * struct sandbox_options - what to confine, and what must stay usable
 * @mounts: --sandbox: a new mount namespace with an empty read-only root,
 *	every capability dropped, no new privileges
 * @seccomp: --seccomp: the system-call allow-list, every other call
 *	failing with EPERM
 * @keep_file: a file read again at run time by path (the DNS forwarder's
 *	resolv.conf), bind-mounted read-only at the same path in the empty
 *	root; NULL for none
 * @child: a process usernet still signals and reaps (run's CMD), or 0
 */
struct sandbox_options {
	bool mounts;
	bool seccomp;
	const char *keep_file;
	pid_t child;
};

bool sandbox_seccomp_available(void);
int sandbox_enter(const struct sandbox_options *o, char *err, size_t errlen);

#endif /* USERNET_TOOLS_SANDBOX_H */
