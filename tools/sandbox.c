/* SPDX-License-Identifier: MIT */
/*
 * sandbox: usernet confines itself once everything is open.
 *
 * Theory of operation: usernet needs privileges and files only while it
 * sets up (taps opened, namespaces joined, listening sockets bound,
 * resolv.conf read, the TFTP folder opened as a directory fd, the pidfile
 * written). From then on it only moves bytes between descriptors it holds
 * and opens sockets. sandbox_enter(), called once just before the ready fd
 * is written, takes away what it no longer needs, in this order:
 *
 * 1. --sandbox, the mounts: a new mount namespace (unshare(CLONE_NEWNS),
 *    which needs CAP_SYS_ADMIN in the process's user namespace: root, or
 *    uid 0 of podman's rootless user namespace; anyone else first gets a
 *    user namespace of its own, mapping just its uid and gid, where it has
 *    that capability — or a clear error when user namespaces are off).
 *    Every mount is made private, a small tmpfs is mounted over a folder
 *    (/tmp, or /mnt, /run, /proc when there is none), and what must stay
 *    readable is bind-mounted read-only (nosuid, nodev, noexec, not
 *    recursive) inside it: the file @keep_file (resolv.conf, which the DNS
 *    forwarder reads again when it changes) at its own path, the folder
 *    @keep_dir (the TFTP folder) at SANDBOX_DIR (/tftp). Both are opened
 *    O_PATH before the tmpfs covers the folder they may be in, bound
 *    through /proc/self/fd/N, and closed again. pivot_root(".", ".") with
 *    a lazy unmount of the old root makes the tmpfs the whole file
 *    system; it is then made read-only, nosuid, nodev, noexec.
 *    /proc/PID/root lists nothing, or just etc/ and tftp/. Last,
 *    @reopen_dir opens SANDBOX_DIR again and closes the descriptor the
 *    TFTP server opened at start (unet_stack_tftp_reopen()).
 *
 *    Why: a descriptor keeps the mount and folder it was opened on, and a
 *    folder's descriptor is a way in, not just a file: openat(fd, "..")
 *    from the TFTP folder opened before would walk up the old root,
 *    detached but alive, to every file the uid may read (seccomp cannot
 *    look at paths). From the bind mount's root ".." leads to the tmpfs,
 *    and ".." at the process's root stays there. The descriptors still
 *    open after confining (USERNET_SANDBOX_SELFTEST lists them): the
 *    standard streams, the ready and exit fds, taps (/dev/net/tun), the
 *    loop's epoll, eventfd and pipes, sockets (the API socket's listener,
 *    forwards, unix netdevs), /dev/null — none
 *    a folder, and a descriptor that is not a folder reaches that one file
 *    only (without /proc nothing opens it again by name). The pidfile is
 *    written and closed before; resolv.conf is read by path, the bind mount.
 *    Folders below the TFTP folder that are mount points of their own are
 *    not served under --sandbox (the bind is not recursive: a recursive
 *    one would leave the mounts below writable).
 * 2. --sandbox, the privileges: PR_SET_NO_NEW_PRIVS, the ambient set
 *    cleared, every capability dropped from the bounding set, then the
 *    effective, permitted and inheritable sets emptied with capset().
 *    Forwards added later through the API socket therefore cannot bind
 *    a port below net.ipv4.ip_unprivileged_port_start.
 * 3. --seccomp, last (it would refuse the calls above): a libseccomp
 *    allow-list of the calls usernet makes after set-up, on every thread
 *    (TSYNC). The default action is SCMP_ACT_ERRNO(EPERM): a call outside
 *    the list fails with EPERM and usernet carries on (a flow or a request
 *    fails, logged as the errno it got), rather than being killed mid-flow
 *    with every guest connection. Denials are not logged by the kernel with
 *    that action; `strace -f -p PID` shows them as "= -1 EPERM". Some calls
 *    are allowed only with some arguments: openat never for writing or
 *    creating, mmap and mprotect never executable, ioctl only the few
 *    requests libuv and the proxy use, socket only AF_INET and AF_INET6
 *    (AF_UNIX too, for a unix stream netdev that reconnects), kill only to
 *    run's CMD, tgkill only to the process itself (abort()). openat2 is refused (its flags are behind a pointer the
 *    filter cannot read); the TFTP server then walks names with openat.
 *
 * What it does not close: --seccomp without --sandbox confines no path
 * (openat for reading is allowed, and there is no new root): every file the
 * uid may read stays readable, through the TFTP folder's descriptor or not.
 *
 * What is lost: usernet can no longer remove its pidfile and API socket at
 * exit (the supervisor does). Keeping a descriptor of their folders for
 * unlinkat() would reopen the hole closed above (".." from it is the host's
 * tree, and the folder itself, often /run/user/UID or /tmp, holds other
 * programs' files: usernet could delete or replace them); a read-write bind
 * of the folder into the root has the same second problem. SIGUSR1's RSS
 * figure reads 0 (no /proc), and a netdev that needs a path again at run
 * time (a reconnecting unix stream socket, a VDE switch restarted) cannot
 * reach it under --sandbox.
 *
 * USERNET_SANDBOX_SELFTEST=1 in the environment makes sandbox_enter() try
 * a few forbidden things right after confining and log each result on
 * stderr, then list every descriptor it holds and, for a folder, where 32
 * levels of ".." from it end and whether the host's etc/passwd opens from
 * there; the tests use it to show the refusals are real.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef USERNET_HAVE_SECCOMP
#include <seccomp.h>
#endif

#include "netns.h"
#include "sandbox.h"

#define sandbox_errf(err, errlen, ...) snprintf(err, errlen, __VA_ARGS__)

/*
 * A new mount namespace; when this user namespace gives no CAP_SYS_ADMIN,
 * a new user namespace first, mapping only our own uid and gid.
 */
static int sandbox_unshare(char *err, size_t errlen)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	const char *what;
	int r;

	if (unshare(CLONE_NEWNS) == 0)
		return 0;
	if (errno != EPERM) {
		r = -errno;
		sandbox_errf(err, errlen, "cannot make a mount namespace: %s",
			     strerror(-r));
		return r;
	}
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
		r = -errno;
		sandbox_errf(
			err, errlen,
			"a mount namespace needs CAP_SYS_ADMIN (run as root or inside a user namespace), and a user namespace of its own cannot be made: %s%s",
			strerror(-r),
			r == -EINVAL ?
				" (more than one thread)" :
				" (user namespaces may be off: sysctl kernel.unprivileged_userns_clone, user.max_user_namespaces)");
		return r;
	}
	r = netns_map_ids(uid, uid, gid, gid, &what);
	if (r < 0)
		sandbox_errf(
			err, errlen,
			"cannot map uid %u in the new user namespace: %s: %s",
			(unsigned int)uid, what, strerror(-r));
	return r;
}

/* mkdir -p of @path (a folder in the new tmpfs). */
static int sandbox_mkdirs(char *path)
{
	char *slash;

	for (slash = strchr(path + 1, '/'); slash != NULL;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			*slash = '/';
			return -errno;
		}
		*slash = '/';
	}
	return 0;
}

/*
 * Bind-mounts @src (an O_PATH descriptor, opened before the tmpfs hid its
 * path; @path when /proc cannot name it) read-only, nosuid, nodev, noexec
 * at @dest, made first as an empty file or folder. Not recursive: mounts
 * below a folder are not taken along.
 */
static int sandbox_bind(int src, const char *path, char *dest, bool dir)
{
	char fdpath[32];
	int fd, r;

	r = sandbox_mkdirs(dest);
	if (r == 0 && dir) {
		r = mkdir(dest, 0555) < 0 ? -errno : 0;
	} else if (r == 0) {
		fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
		r = fd < 0 ? -errno : 0;
		if (fd >= 0)
			close(fd);
	}
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", src);
	if (r == 0 && mount(fdpath, dest, NULL, MS_BIND, NULL) < 0 &&
	    mount(path, dest, NULL, MS_BIND, NULL) < 0)
		r = -errno;
	if (r == 0 && mount(NULL, dest, NULL,
			    MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID |
				    MS_NODEV | MS_NOEXEC,
			    NULL) < 0)
		r = -errno;
	return r;
}

/*
 * What to bind into the empty root: the file at its own path, the folder
 * at SANDBOX_DIR; each opened (O_PATH) before the tmpfs covers the base,
 * where either may be, and closed before pivot_root. A missing file is
 * left out: the DNS forwarder says it has no upstream either way.
 */
struct sandbox_keep {
	int file;
	int dir;
};

static int sandbox_keep_open(const struct sandbox_options *o,
			     struct sandbox_keep *k, char *err, size_t errlen)
{
	int r;

	k->file = -1;
	k->dir = -1;
	if (o->keep_file != NULL &&
	    (o->keep_file[0] != '/' || strncmp(o->keep_file, SANDBOX_DIR "/",
					       sizeof(SANDBOX_DIR)) == 0)) {
		sandbox_errf(err, errlen,
			     "%s: not an absolute path, or under " SANDBOX_DIR
			     " (where the sandbox shows the TFTP folder)",
			     o->keep_file);
		return -EINVAL;
	}
	if (o->keep_file != NULL)
		k->file = open(o->keep_file, O_PATH | O_CLOEXEC);
	if (o->keep_dir == NULL)
		return 0;
	k->dir = open(o->keep_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (k->dir >= 0)
		return 0;
	r = -errno;
	sandbox_errf(err, errlen, "cannot keep %s readable in the sandbox: %s",
		     o->keep_dir, strerror(-r));
	return r;
}

static void sandbox_keep_close(struct sandbox_keep *k)
{
	if (k->file >= 0)
		close(k->file);
	if (k->dir >= 0)
		close(k->dir);
	k->file = -1;
	k->dir = -1;
}

static int sandbox_keep_bind(const char *base, const struct sandbox_options *o,
			     const struct sandbox_keep *k, char *err,
			     size_t errlen)
{
	char dest[PATH_MAX + 16];
	const char *what = o->keep_dir;
	int r = 0;

	if (k->dir >= 0) {
		snprintf(dest, sizeof(dest), "%s" SANDBOX_DIR, base);
		r = sandbox_bind(k->dir, o->keep_dir, dest, true);
	}
	if (r == 0 && k->file >= 0) {
		what = o->keep_file;
		if ((size_t)snprintf(dest, sizeof(dest), "%s%s", base,
				     o->keep_file) >= sizeof(dest))
			r = -ENAMETOOLONG;
		else
			r = sandbox_bind(k->file, o->keep_file, dest, false);
	}
	if (r < 0)
		sandbox_errf(err, errlen,
			     "cannot keep %s readable in the sandbox: %s", what,
			     strerror(-r));
	return r;
}

/* The folder the new root's tmpfs is mounted over. */
static const char *sandbox_base(void)
{
	static const char *const bases[] = { "/tmp", "/mnt", "/run", "/proc" };
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++)
		if (stat(bases[i], &st) == 0 && S_ISDIR(st.st_mode))
			return bases[i];
	return NULL;
}

/* Steps 1: the empty read-only root. */
static int sandbox_mounts(const struct sandbox_options *o, char *err,
			  size_t errlen)
{
	struct sandbox_keep keep;
	const char *base;
	int r;

	r = sandbox_unshare(err, errlen);
	if (r < 0)
		return r;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		r = -errno;
		sandbox_errf(err, errlen, "cannot make the mounts private: %s",
			     strerror(-r));
		return r;
	}
	base = sandbox_base();
	if (base == NULL) {
		sandbox_errf(err, errlen,
			     "no folder to mount the sandbox's root on");
		return -ENOENT;
	}
	r = sandbox_keep_open(o, &keep, err, errlen);
	if (r < 0)
		return r;
	if (mount("tmpfs", base, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "size=16k,nr_inodes=16,mode=0555") < 0) {
		r = -errno;
		sandbox_errf(err, errlen, "cannot mount a tmpfs on %s: %s",
			     base, strerror(-r));
	}
	if (r == 0)
		r = sandbox_keep_bind(base, o, &keep, err, errlen);
	/* They lead into the old root: none may be left open. */
	sandbox_keep_close(&keep);
	if (r < 0)
		return r;
	/* The old root goes on top of the new one, and is then let go. */
	if (chdir(base) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
	    umount2(".", MNT_DETACH) < 0 || chdir("/") < 0) {
		r = -errno;
		sandbox_errf(err, errlen, "cannot pivot_root into %s: %s", base,
			     strerror(-r));
		return r;
	}
	if (mount(NULL, "/", NULL,
		  MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV |
			  MS_NOEXEC,
		  NULL) < 0) {
		r = -errno;
		sandbox_errf(err, errlen,
			     "cannot make the sandbox's root read-only: %s",
			     strerror(-r));
		return r;
	}
	/* The descriptor opened before leads out: one from in here instead. */
	if (o->keep_dir != NULL && o->reopen_dir != NULL)
		return o->reopen_dir(o->reopen_data, SANDBOX_DIR, err, errlen);
	return 0;
}

/* Step 2: no new privileges, no capability in any set. */
static int sandbox_drop_caps(char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	unsigned long cap;
	int r;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
		r = -errno;
		sandbox_errf(err, errlen, "cannot set no_new_privs: %s",
			     strerror(-r));
		return r;
	}
	/* Up to the kernel's last capability: it says EINVAL past it. */
	for (cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			r = -errno;
			sandbox_errf(
				err, errlen,
				"cannot drop capability %lu from the bounding set: %s",
				cap, strerror(-r));
			return r;
		}
	}
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) < 0) {
		r = -errno;
		sandbox_errf(err, errlen, "cannot drop the capabilities: %s",
			     strerror(-r));
		return r;
	}
	return 0;
}

/**
 * sandbox_seccomp_available() - whether --seccomp can work in this build
 *
 * Return: true when usernet was built with libseccomp.
 */
bool sandbox_seccomp_available(void)
{
#ifdef USERNET_HAVE_SECCOMP
	return true;
#else
	return false;
#endif
}

#ifdef USERNET_HAVE_SECCOMP
/*
 * The calls allowed with any argument, each for something usernet does
 * after set-up (strace -f of test/integration/sandbox.sh shows them):
 *   the loop (libuv): epoll_wait, epoll_pwait, epoll_ctl; read, write and
 *     their vector forms; close, fcntl, accept4; rt_sigaction,
 *     rt_sigprocmask, rt_sigreturn (its signal pipe, a handle closed);
 *     clock_gettime, gettimeofday (when the vDSO cannot answer);
 *     restart_syscall (a call interrupted by a signal);
 *   the proxy, the forwards, DNS, the API socket: connect, bind, listen,
 *     setsockopt, getsockopt, getsockname, getpeername, shutdown, and
 *     recvfrom, recvmsg, recvmmsg, sendto, sendmsg, sendmmsg;
 *   TFTP: pread64 (blocks), fstat, newfstatat, lseek; the DNS forwarder:
 *     newfstatat on resolv.conf and reading it again when it changed;
 *   malloc (glibc): brk, munmap, mremap, madvise (malloc_trim), futex;
 *   the random source: getrandom; run mode: wait4 on CMD;
 *   the end: exit, exit_group; getpid, gettid (abort()); sigaltstack
 *     (AddressSanitizer looks at it before a function that does not
 *     return; it only names where this thread's signal handlers run).
 */
static const char *const sandbox_allowed[] = {
	"epoll_wait",	   "epoll_pwait",  "epoll_ctl",	    "read",
	"readv",	   "pread64",	   "write",	    "writev",
	"close",	   "fcntl",	   "accept4",	    "rt_sigaction",
	"rt_sigprocmask",  "rt_sigreturn", "clock_gettime", "gettimeofday",
	"restart_syscall", "connect",	   "bind",	    "listen",
	"setsockopt",	   "getsockopt",   "getsockname",   "getpeername",
	"shutdown",	   "recvfrom",	   "recvmsg",	    "recvmmsg",
	"sendto",	   "sendmsg",	   "sendmmsg",	    "fstat",
	"newfstatat",	   "lseek",	   "brk",	    "munmap",
	"mremap",	   "madvise",	   "futex",	    "getrandom",
	"wait4",	   "exit",	   "exit_group",    "getpid",
	"gettid",	   "sigaltstack",
};

/* ioctl requests: non-blocking and close-on-exec (libuv), queued bytes. */
static const unsigned long sandbox_ioctls[] = {
	FIONBIO, FIOCLEX, FIONCLEX, FIONREAD, TIOCOUTQ,
};

/* The socket families: the proxy's, and a unix stream netdev's. */
static const int sandbox_families[] = { AF_INET, AF_INET6, AF_UNIX };

static int sandbox_rule(scmp_filter_ctx ctx, const char *name,
			unsigned int n_args, const struct scmp_arg_cmp *args,
			char *err, size_t errlen)
{
	int nr = seccomp_syscall_resolve_name(name), r;

	/* A call this architecture does not have needs no rule. */
	if (nr == __NR_SCMP_ERROR)
		return 0;
	r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, n_args, args);
	if (r < 0)
		sandbox_errf(err, errlen, "seccomp: cannot allow %s: %s", name,
			     strerror(-r));
	return r;
}

/* The conditional rules: see the Theory of operation. */
static int sandbox_rules_args(scmp_filter_ctx ctx, pid_t child, char *err,
			      size_t errlen)
{
	const scmp_datum_t write_flags = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC |
					 O_APPEND | O_TMPFILE;
	struct scmp_arg_cmp a;
	size_t i;
	int r;

	a = SCMP_A2(SCMP_CMP_MASKED_EQ, write_flags, 0);
	r = sandbox_rule(ctx, "openat", 1, &a, err, errlen);
	a = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
	if (r == 0)
		r = sandbox_rule(ctx, "mmap", 1, &a, err, errlen);
	if (r == 0)
		r = sandbox_rule(ctx, "mprotect", 1, &a, err, errlen);
	for (i = 0;
	     r == 0 && i < sizeof(sandbox_ioctls) / sizeof(sandbox_ioctls[0]);
	     i++) {
		a = SCMP_A1(SCMP_CMP_EQ, sandbox_ioctls[i]);
		r = sandbox_rule(ctx, "ioctl", 1, &a, err, errlen);
	}
	for (i = 0; r == 0 &&
		    i < sizeof(sandbox_families) / sizeof(sandbox_families[0]);
	     i++) {
		a = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)sandbox_families[i]);
		r = sandbox_rule(ctx, "socket", 1, &a, err, errlen);
	}
	/* abort() signals itself: the process, never another. */
	a = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid());
	if (r == 0)
		r = sandbox_rule(ctx, "tgkill", 1, &a, err, errlen);
	if (r == 0 && child > 0) {
		a = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)child);
		r = sandbox_rule(ctx, "kill", 1, &a, err, errlen);
	}
	return r;
}

/* Step 3: the allow-list, on every thread. */
static int sandbox_seccomp(pid_t child, char *err, size_t errlen)
{
	scmp_filter_ctx ctx;
	size_t i;
	int r;

	ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (ctx == NULL) {
		sandbox_errf(err, errlen, "seccomp: cannot make a filter");
		return -ENOMEM;
	}
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (r < 0)
		sandbox_errf(err, errlen, "seccomp: no thread sync: %s",
			     strerror(-r));
	for (i = 0;
	     r == 0 && i < sizeof(sandbox_allowed) / sizeof(sandbox_allowed[0]);
	     i++)
		r = sandbox_rule(ctx, sandbox_allowed[i], 0, NULL, err, errlen);
	if (r == 0)
		r = sandbox_rules_args(ctx, child, err, errlen);
	if (r == 0) {
		r = seccomp_load(ctx);
		if (r < 0)
			sandbox_errf(err, errlen, "seccomp: cannot load: %s",
				     strerror(-r));
	}
	seccomp_release(ctx);
	return r;
}
#else
static int sandbox_seccomp(pid_t child, char *err, size_t errlen)
{
	(void)child;
	sandbox_errf(err, errlen,
		     "--seccomp: this usernet was built without libseccomp");
	return -ENOSYS;
}
#endif

/* One forbidden thing tried, and what came of it. */
static void sandbox_try(const char *what, long ret)
{
	fprintf(stderr, "usernet: sandbox self-test: %s: %s\n", what,
		ret >= 0 ? "allowed" : strerror(errno));
	if (ret >= 0 && strncmp(what, "open", 4) == 0)
		close((int)ret);
}

/* What kind of file @st is, for the self-test's list of descriptors. */
static const char *sandbox_kind(const struct stat *st)
{
	switch (st->st_mode & S_IFMT) {
	case S_IFDIR:
		return "folder";
	case S_IFREG:
		return "regular file";
	case S_IFCHR:
		return "character device";
	case S_IFBLK:
		return "block device";
	case S_IFIFO:
		return "pipe";
	case S_IFSOCK:
		return "socket";
	case S_IFLNK:
		return "symlink";
	default:
		return "anonymous inode";
	}
}

/*
 * Every descriptor open after confining, with its kind; for a folder,
 * where 32 levels of ".." from it end (the sandbox's root, or somewhere
 * outside it: the hole a descriptor opened before the sandbox leaves) and
 * whether etc/passwd can be opened up there.
 */
static void sandbox_selftest_fds(void)
{
	static const char up[] = "../../../../../../../../../../../../../../"
				 "../../../../../../../../../../../../../../"
				 "../../../../";
	struct stat st, top, root;
	char what[64], path[sizeof(up) + 16];
	int fd, t;

	if (stat("/", &root) < 0)
		memset(&root, 0, sizeof(root));
	for (fd = 0; fd < 4096; fd++) {
		if (fcntl(fd, F_GETFD) < 0 || fstat(fd, &st) < 0)
			continue;
		if (!S_ISDIR(st.st_mode)) {
			fprintf(stderr,
				"usernet: sandbox self-test: fd %d: %s\n", fd,
				sandbox_kind(&st));
			continue;
		}
		t = openat(fd, up, O_PATH | O_CLOEXEC);
		if (t >= 0 && fstat(t, &top) == 0)
			fprintf(stderr,
				"usernet: sandbox self-test: fd %d: folder, its ../.. ends %s\n",
				fd,
				top.st_dev == root.st_dev &&
						top.st_ino == root.st_ino ?
					"at the sandbox's root" :
					"outside the sandbox's root");
		else
			fprintf(stderr,
				"usernet: sandbox self-test: fd %d: folder, its ../..: %s\n",
				fd, strerror(errno));
		if (t >= 0)
			close(t);
		snprintf(what, sizeof(what), "open ../../etc/passwd from fd %d",
			 fd);
		snprintf(path, sizeof(path), "%setc/passwd", up);
		sandbox_try(what, openat(fd, path, O_RDONLY | O_CLOEXEC));
	}
}

/* USERNET_SANDBOX_SELFTEST: see the Theory of operation. */
static void sandbox_selftest(void)
{
	char *const argv[] = { "sh", NULL };
	void *p;

	sandbox_try("open /etc/passwd", open("/etc/passwd", O_RDONLY));
	sandbox_try("open /usernet-selftest for writing",
		    open("/usernet-selftest", O_WRONLY | O_CREAT, 0600));
	sandbox_try("execve /bin/sh", execve("/bin/sh", argv, NULL));
	sandbox_try("ptrace PTRACE_TRACEME",
		    ptrace(PTRACE_TRACEME, 0, NULL, NULL));
	sandbox_try("socket AF_NETLINK", socket(AF_NETLINK, SOCK_RAW, 0));
	sandbox_try("unshare CLONE_NEWUSER", unshare(CLONE_NEWUSER));
	p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	sandbox_try("mmap PROT_EXEC", p == MAP_FAILED ? -1 : 0);
	if (p != MAP_FAILED)
		munmap(p, 4096);
	sandbox_selftest_fds();
	fflush(stderr);
}

/**
 * sandbox_enter() - confine the process, once set-up is over
 * @o: what to do: the mounts, the privileges, the system calls
 * @err: receives a one-line message on failure
 * @errlen: size of @err
 *
 * Nothing is done when neither @o->mounts nor @o->seccomp is set. Must be
 * called while the process has one thread when it has to make a user
 * namespace of its own (an unprivileged --sandbox).
 *
 * Return: 0, or a negative errno with the reason in @err; after a failure
 * the process may be partly confined and should exit.
 */
int sandbox_enter(const struct sandbox_options *o, char *err, size_t errlen)
{
	int r = 0;

	if (o->mounts) {
		r = sandbox_mounts(o, err, errlen);
		if (r == 0)
			r = sandbox_drop_caps(err, errlen);
	}
	if (r == 0 && o->seccomp)
		r = sandbox_seccomp(o->child, err, errlen);
	if (r == 0 && (o->mounts || o->seccomp) &&
	    getenv("USERNET_SANDBOX_SELFTEST") != NULL)
		sandbox_selftest();
	return r;
}
