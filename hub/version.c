/* SPDX-License-Identifier: MIT */
/*
 * The library's version at run time, for programs that must know which
 * libusernet.so they were loaded with (the macros of <usernet/version.h>
 * tell only which headers they were compiled against).
 */
#include <usernet/version.h>

/**
 * unet_version() - the library's version as a string
 *
 * Return: "MAJOR.MINOR.PATCH" of the library this program runs with, a
 * static string.
 */
const char *unet_version(void)
{
	return UNET_VERSION_STRING;
}

/**
 * unet_version_number() - the library's version as one number
 *
 * Comparable with UNET_VERSION_HEX and UNET_VERSION_ENCODE(): a program
 * compiled against newer headers than the library it was loaded with sees
 * a smaller number here than UNET_VERSION_HEX.
 *
 * Return: 0xMMmmpp: major << 16 | minor << 8 | patch.
 */
unsigned int unet_version_number(void)
{
	return UNET_VERSION_HEX;
}
