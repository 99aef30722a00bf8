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
 * @keep_dir: a folder read at run time through a descriptor (the TFTP
 *	folder), bind-mounted read-only at SANDBOX_DIR in the empty root;
 *	NULL for none
 * @reopen_dir: with @keep_dir: called once the root is the empty one, with
 *	SANDBOX_DIR, to open the folder again from there and close the
 *	descriptor opened before (whose ".." leads out of the sandbox); a
 *	negative errno fails sandbox_enter() with the message in @err
 * @reopen_data: @reopen_dir's first argument
 * @child: a process usernet still signals and reaps (run's CMD), or 0
 */
struct sandbox_options {
	bool mounts;
	bool seccomp;
	const char *keep_file;
	const char *keep_dir;
	int (*reopen_dir)(void *data, const char *path, char *err,
			  size_t errlen);
	void *reopen_data;
	pid_t child;
};

/** Where @keep_dir of struct sandbox_options is seen in the sandbox. */
#define SANDBOX_DIR "/tftp"

bool sandbox_seccomp_available(void);
int sandbox_enter(const struct sandbox_options *o, char *err, size_t errlen);

#endif /* USERNET_TOOLS_SANDBOX_H */
