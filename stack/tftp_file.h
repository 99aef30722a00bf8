/* SPDX-License-Identifier: MIT */
/*
 * The TFTP server's file access: files opened beneath one folder only, and
 * read block by block (netascii converted on the fly). No protocol here;
 * the server, its unit test and fuzz target share it.
 */
#ifndef USERNET_STACK_TFTP_FILE_H
#define USERNET_STACK_TFTP_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <usernet/hub.h>

/** Longest file name taken (bytes before the NUL). */
#define UNET__TFTP_NAME_MAX 255

/**
 * struct unet__tftp_root - the folder files are served from
 * @fd: the folder, opened with O_PATH
 * @no_openat2: the kernel has no openat2: names are walked component by
 *              component
 * @hub: where the fallback is logged, once; may be NULL
 */
struct unet__tftp_root {
	int fd;
	bool no_openat2;
	const struct unet_hub *hub;
};

/**
 * struct unet__tftp_pos - where a block starts
 * @off: offset in the file of the first byte not yet sent
 * @carry: netascii: the second byte of a CR LF or CR NUL pair that the
 *         previous block had no room for
 * @has_carry: @carry is pending
 */
struct unet__tftp_pos {
	uint64_t off;
	uint8_t carry;
	bool has_carry;
};

int unet__tftp_root_open(struct unet__tftp_root *root, const char *path,
			 const struct unet_hub *hub);
void unet__tftp_root_close(struct unet__tftp_root *root);
bool unet__tftp_name_ok(const char *name);
int unet__tftp_file_open(struct unet__tftp_root *root, const char *name,
			 uint64_t *size);
ssize_t unet__tftp_file_read(int fd, bool netascii,
			     const struct unet__tftp_pos *at,
			     struct unet__tftp_pos *next, uint8_t *out,
			     size_t blksize, uint8_t *raw);

#endif /* USERNET_STACK_TFTP_FILE_H */
