/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the TFTP server's file access (stack/tftp_file.c), on a
 * real temporary folder, without a stack:
 *
 *   $TMP/root/    small.txt  empty.bin  crlf.txt  sub/inner.txt  fifo
 *                 pw -> /etc/passwd  outdir -> $TMP/outside
 *                 uplink -> ../outside/secret.txt  inlink -> small.txt
 *                 sublink -> sub
 *   $TMP/outside/ secret.txt
 *
 * Covered: the name check (a table), a table of names opened both ways
 * (openat2, and the O_NOFOLLOW walk a kernel without openat2 gets) with
 * the error each gives, every one of them outside the root refused;
 * octet blocks (short last block, empty file, the end of the file);
 * netascii conversion with a CR LF pair cut by the end of a block, CR NUL,
 * and a block made of carried bytes only; a root that is not a folder.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tftp_file.h"

static char dir[] = "/tmp/tftp_file_test.XXXXXX";
static char root_path[128];

static void put_file(const char *rel, const char *text, size_t len)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static void put_link(const char *target, const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(symlink(target, path), 0);
}

static void put_dir(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static int setup(void **state)
{
	char path[256];

	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(root_path, sizeof(root_path), "%s/root", dir);
	put_dir("root");
	put_dir("outside");
	put_dir("root/sub");
	put_file("outside/secret.txt", "SECRET\n", 7);
	put_file("root/small.txt", "hello\n", 6);
	put_file("root/empty.bin", "", 0);
	put_file("root/crlf.txt", "ab\ncd\re\n", 8);
	put_file("root/sub/inner.txt", "inner\n", 6);
	snprintf(path, sizeof(path), "%s/fifo", root_path);
	assert_int_equal(mkfifo(path, 0644), 0);
	put_link("/etc/passwd", "root/pw");
	snprintf(path, sizeof(path), "%s/outside", dir);
	put_link(path, "root/outdir");
	put_link("../outside/secret.txt", "root/uplink");
	put_link("small.txt", "root/inlink");
	put_link("sub", "root/sublink");
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	(void)state;
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static void test_name_ok(void **state)
{
	static const struct {
		const char *name;
		bool ok;
	} rows[] = {
		{ "small.txt", true },
		{ "sub/inner.txt", true },
		{ "./small.txt", true },
		{ "..x", true },
		{ "x..", true },
		{ "sub//inner.txt", true },
		{ "", true }, /* the kernel's to refuse */
		{ "/etc/passwd", false },
		{ "/", false },
		{ "..", false },
		{ "../x", false },
		{ "a/../b", false },
		{ "sub/..", false },
		{ "sub/../", false },
		{ "a//..//b", false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (unet__tftp_name_ok(rows[i].name) != rows[i].ok)
			fail_msg("'%s': not %s", rows[i].name,
				 rows[i].ok ? "ok" : "refused");
}

/**
 * struct open_row - one name for unet__tftp_file_open()
 * @name: the name
 * @err: 0 when it opens; else the error with openat2
 * @walk_err: the error with the O_NOFOLLOW walk (which follows no symlink)
 * @size: the file's size, when it opens
 */
struct open_row {
	const char *name;
	int err;
	int walk_err;
	uint64_t size;
};

static const struct open_row open_rows[] = {
	{ "small.txt", 0, 0, 6 },
	{ "sub/inner.txt", 0, 0, 6 },
	{ "empty.bin", 0, 0, 0 },
	{ "inlink", 0, -ELOOP, 6 },
	{ "sublink/inner.txt", 0, -ELOOP, 6 },
	{ "pw", -EXDEV, -ELOOP, 0 },
	{ "outdir/secret.txt", -EXDEV, -ELOOP, 0 },
	{ "uplink", -EXDEV, -ELOOP, 0 },
	{ "../outside/secret.txt", -EACCES, -EACCES, 0 },
	{ "/etc/passwd", -EACCES, -EACCES, 0 },
	{ "sub/../../outside/secret.txt", -EACCES, -EACCES, 0 },
	{ "sub", -ENODEV, -ENODEV, 0 },
	{ "sub/", -ENODEV, -ENODEV, 0 },
	{ ".", -ENODEV, -ENODEV, 0 },
	{ "fifo", -ENODEV, -ENODEV, 0 },
	{ "nothere.txt", -ENOENT, -ENOENT, 0 },
	{ "nodir/x", -ENOENT, -ENOENT, 0 },
	{ "small.txt/x", -ENOTDIR, -ENOTDIR, 0 },
};

static void run_open_table(bool walk)
{
	struct unet__tftp_root root;
	uint64_t size;
	size_t i;
	int fd, want;

	assert_int_equal(unet__tftp_root_open(&root, root_path, NULL), 0);
	root.no_openat2 = walk;
	for (i = 0; i < sizeof(open_rows) / sizeof(open_rows[0]); i++) {
		want = walk ? open_rows[i].walk_err : open_rows[i].err;
		size = 12345;
		fd = unet__tftp_file_open(&root, open_rows[i].name, &size);
		if (want == 0 && fd < 0)
			fail_msg("%s%s: %s", open_rows[i].name,
				 walk ? " (walk)" : "", strerror(-fd));
		if (want != 0 && fd != want)
			fail_msg("%s%s: %d, not %d", open_rows[i].name,
				 walk ? " (walk)" : "", fd, want);
		if (fd < 0)
			continue;
		assert_int_equal(size, open_rows[i].size);
		close(fd);
	}
	unet__tftp_root_close(&root);
	assert_int_equal(root.fd, -1);
}

static void test_open_openat2(void **state)
{
	(void)state;
	run_open_table(false);
}

static void test_open_walk(void **state)
{
	(void)state;
	run_open_table(true);
}

static void test_bad_root(void **state)
{
	struct unet__tftp_root root;
	char path[256];

	(void)state;
	snprintf(path, sizeof(path), "%s/nothere", dir);
	assert_int_equal(unet__tftp_root_open(&root, path, NULL), -ENOENT);
	snprintf(path, sizeof(path), "%s/small.txt", root_path);
	assert_int_equal(unet__tftp_root_open(&root, path, NULL), -ENOTDIR);
}

/* Opens @name beneath the root. */
static int open_in_root(struct unet__tftp_root *root, const char *name)
{
	uint64_t size;
	int fd;

	assert_int_equal(unet__tftp_root_open(root, root_path, NULL), 0);
	fd = unet__tftp_file_open(root, name, &size);
	assert_true(fd >= 0);
	return fd;
}

static void test_read_octet(void **state)
{
	struct unet__tftp_pos at = { 0 }, next;
	struct unet__tftp_root root;
	uint8_t out[8], raw[8];
	int fd;

	(void)state;
	fd = open_in_root(&root, "small.txt");
	/* Blocks of 4: "hell", then "o\n" (short: the last). */
	assert_int_equal(
		unet__tftp_file_read(fd, false, &at, &next, out, 4, raw), 4);
	assert_memory_equal(out, "hell", 4);
	assert_int_equal(next.off, 4);
	at = next;
	assert_int_equal(
		unet__tftp_file_read(fd, false, &at, &next, out, 4, raw), 2);
	assert_memory_equal(out, "o\n", 2);
	assert_int_equal(next.off, 6);
	/* At the end: an empty block. */
	at = next;
	assert_int_equal(
		unet__tftp_file_read(fd, false, &at, &next, out, 4, raw), 0);
	/* Read again from the start: the same block (a resend). */
	at.off = 0;
	assert_int_equal(
		unet__tftp_file_read(fd, false, &at, &next, out, 6, raw), 6);
	assert_memory_equal(out, "hello\n", 6);
	close(fd);
	unet__tftp_root_close(&root);
}

static void test_read_netascii(void **state)
{
	struct unet__tftp_pos at = { 0 }, next;
	struct unet__tftp_root root;
	uint8_t out[16], raw[16];
	int fd;

	(void)state;
	/* "ab\ncd\re\n" is "ab\r\ncd\r\0e\r\n" in netascii: 11 bytes. */
	fd = open_in_root(&root, "crlf.txt");
	/* Blocks of 3: "ab\r", the \n carried. */
	assert_int_equal(
		unet__tftp_file_read(fd, true, &at, &next, out, 3, raw), 3);
	assert_memory_equal(out, "ab\r", 3);
	assert_true(next.has_carry);
	assert_int_equal(next.carry, '\n');
	assert_int_equal(next.off, 3);
	at = next;
	assert_int_equal(
		unet__tftp_file_read(fd, true, &at, &next, out, 3, raw), 3);
	assert_memory_equal(out, "\ncd", 3);
	assert_false(next.has_carry);
	at = next;
	assert_int_equal(
		unet__tftp_file_read(fd, true, &at, &next, out, 3, raw), 3);
	assert_memory_equal(out, "\r\0e", 3);
	at = next;
	assert_int_equal(
		unet__tftp_file_read(fd, true, &at, &next, out, 3, raw), 2);
	assert_memory_equal(out, "\r\n", 2);
	assert_int_equal(next.off, 8);
	/* The whole file in one block. */
	memset(&at, 0, sizeof(at));
	assert_int_equal(
		unet__tftp_file_read(fd, true, &at, &next, out, 16, raw), 11);
	assert_memory_equal(out, "ab\r\ncd\r\0e\r\n", 11);
	/* A block that is only the carried byte, at the end of the file. */
	at.off = 8;
	at.has_carry = true;
	at.carry = '\n';
	assert_int_equal(
		unet__tftp_file_read(fd, true, &at, &next, out, 3, raw), 1);
	assert_int_equal(out[0], '\n');
	close(fd);
	unet__tftp_root_close(&root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_ok),
		cmocka_unit_test(test_open_openat2),
		cmocka_unit_test(test_open_walk),
		cmocka_unit_test(test_bad_root),
		cmocka_unit_test(test_read_octet),
		cmocka_unit_test(test_read_netascii),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
