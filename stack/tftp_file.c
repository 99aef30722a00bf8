/* SPDX-License-Identifier: MIT */
/*
 * The TFTP server's file access (tftp_file.h).
 *
 * Theory of operation: the root folder is opened once (O_PATH) and kept
 * (unet_stack_tftp_reopen() swaps it for the same folder reached another
 * way: usernet's --sandbox, from a bind mount inside its empty root).
 * A name is resolved beneath it only, with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_MAGICLINKS), or, on a kernel without openat2 (or behind a
 * seccomp filter that refuses it), by walking the components with
 * O_NOFOLLOW, which follows no symlink at all. Names with a ".." component
 * or a leading '/' are refused before that, so "..", absolute names and
 * symlinks that lead out of the root all fail and nothing outside the root
 * is opened. Files are opened O_NONBLOCK (a FIFO in the root must not
 * stall the loop) and only regular files are kept.
 *
 * A block is read with pread() from where the caller says it starts, so the
 * server keeps no file data: a block sent again is read again. In netascii
 * LF becomes CR LF and CR becomes CR NUL; a pair cut by the end of a block
 * leaves its second byte for the next block (struct unet__tftp_pos).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tftp_file.h"

/**
 * unet__tftp_root_open() - open the folder files are served from
 * @root: the root
 * @path: the folder
 * @hub: where the openat2 fallback is logged; may be NULL
 *
 * Return: 0, or a negative errno (-ENOENT, -ENOTDIR, -EACCES ...).
 */
int unet__tftp_root_open(struct unet__tftp_root *root, const char *path,
			 const struct unet_hub *hub)
{
	memset(root, 0, sizeof(*root));
	root->hub = hub;
	root->fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return root->fd >= 0 ? 0 : -errno;
}

/**
 * unet__tftp_root_close() - close the root folder
 * @root: the root
 */
void unet__tftp_root_close(struct unet__tftp_root *root)
{
	if (root->fd >= 0)
		close(root->fd);
	root->fd = -1;
}

/**
 * unet__tftp_name_ok() - whether a name may be looked up at all
 * @name: the name a client asked for
 *
 * Everything but an absolute name and one with a ".." component is the
 * kernel's to resolve beneath the root.
 *
 * Return: true when it may.
 */
bool unet__tftp_name_ok(const char *name)
{
	const char *c = name;
	size_t n;

	if (name[0] == '/')
		return false;
	while (*c != '\0') {
		n = strcspn(c, "/");
		if (n == 2 && c[0] == '.' && c[1] == '.')
			return false;
		c += n;
		if (*c == '/')
			c++;
	}
	return true;
}

/*
 * Opens @name beneath the root without openat2: every folder on the way is
 * opened with O_NOFOLLOW, and so is the file, so no symlink is followed at
 * all (stricter than openat2, which follows those that stay beneath).
 */
static int tftp_file_open_walk(const struct unet__tftp_root *root,
			       const char *name)
{
	char buf[UNET__TFTP_NAME_MAX + 1];
	char *comp, *save = NULL, *nextc;
	int dirfd = root->fd, fd, err;
	struct stat st;
	size_t n = strlen(name);

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, name, n + 1);
	comp = strtok_r(buf, "/", &save);
	if (comp == NULL)
		return -ENOENT;
	for (;;) {
		nextc = strtok_r(NULL, "/", &save);
		if (nextc == NULL)
			break;
		/* O_PATH | O_NOFOLLOW opens a symlink itself: refused below. */
		fd = openat(dirfd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			fd = -errno;
		} else if (fstat(fd, &st) < 0) {
			err = -errno;
			close(fd);
			fd = err;
		} else if (!S_ISDIR(st.st_mode)) {
			close(fd);
			fd = S_ISLNK(st.st_mode) ? -ELOOP : -ENOTDIR;
		}
		if (dirfd != root->fd)
			close(dirfd);
		if (fd < 0)
			return fd;
		dirfd = fd;
		comp = nextc;
	}
	fd = openat(dirfd, comp,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		fd = -errno;
	if (dirfd != root->fd)
		close(dirfd);
	return fd;
}

/* Opens @name for reading, beneath the root only. */
static int tftp_file_open_beneath(struct unet__tftp_root *root,
				  const char *name)
{
	struct open_how how;
	long fd;

	if (!root->no_openat2) {
		memset(&how, 0, sizeof(how));
		how.flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
		how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
		fd = syscall(SYS_openat2, root->fd, name, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		/* EPERM: a seccomp filter that refuses unknown syscalls. */
		if (errno != ENOSYS && errno != EPERM)
			return -errno;
		root->no_openat2 = true;
		unet_hub_log(
			root->hub, UNET_LOG_INFO,
			"tftp: no openat2 here, names are walked with O_NOFOLLOW");
	}
	return tftp_file_open_walk(root, name);
}

/**
 * unet__tftp_file_open() - open a file beneath the root for reading
 * @root: the root
 * @name: the name a client asked for, relative to the root
 * @size: receives the file's size
 *
 * Return: the file descriptor; -EACCES for a name unet__tftp_name_ok()
 * refuses; -ENODEV for what is not a regular file (a folder, a FIFO, a
 * device); else the errno of the lookup (-ENOENT, -ELOOP, -EXDEV ...).
 */
int unet__tftp_file_open(struct unet__tftp_root *root, const char *name,
			 uint64_t *size)
{
	struct stat st;
	int fd;

	if (!unet__tftp_name_ok(name))
		return -EACCES;
	fd = tftp_file_open_beneath(root, name);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -ENODEV;
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

/* Reads up to @len bytes at @off; the count, or a negative errno. */
static ssize_t tftp_file_pread(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	size_t got = 0;
	ssize_t r;

	while (got < len) {
		r = pread(fd, buf + got, len - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/**
 * unet__tftp_file_read() - build the block that starts at a position
 * @fd: the file
 * @netascii: convert to netascii (else the bytes as they are)
 * @at: where the block starts
 * @next: receives where the following block starts
 * @out: receives the block (room for @blksize bytes)
 * @blksize: the block size; a shorter block is the file's last
 * @raw: netascii: room for @blksize bytes of file before conversion
 *
 * Return: the block's length, or a negative errno.
 */
ssize_t unet__tftp_file_read(int fd, bool netascii,
			     const struct unet__tftp_pos *at,
			     struct unet__tftp_pos *next, uint8_t *out,
			     size_t blksize, uint8_t *raw)
{
	uint64_t off = at->off;
	size_t o = 0, i;
	uint8_t second;
	ssize_t r;

	next->has_carry = false;
	next->carry = 0;
	if (!netascii) {
		r = tftp_file_pread(fd, out, blksize, off);
		if (r >= 0)
			next->off = off + (uint64_t)r;
		return r;
	}
	if (at->has_carry)
		out[o++] = at->carry;
	while (o < blksize) {
		r = tftp_file_pread(fd, raw, blksize - o, off);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		for (i = 0; i < (size_t)r && o < blksize; i++) {
			off++;
			if (raw[i] == '\n') {
				second = '\n';
			} else if (raw[i] == '\r') {
				second = '\0';
			} else {
				out[o++] = raw[i];
				continue;
			}
			out[o++] = '\r';
			if (o < blksize) {
				out[o++] = second;
			} else {
				next->carry = second;
				next->has_carry = true;
			}
		}
	}
	next->off = off;
	return (ssize_t)o;
}
