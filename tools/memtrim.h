/* SPDX-License-Identifier: MIT */
/*
 * memtrim: gives the heap back to the kernel after a flood, for the
 * command line (the library changes no process-wide state by itself).
 *
 *	memtrim_tune()    fixed malloc thresholds, at start
 *	memtrim_start()   a timer on the loop that looks at the heap
 *	memtrim_check()   what the timer does, also callable directly
 *	memtrim_usage()   heap in use and RSS, for the stats
 *	memtrim_stop()    close the timer
 */
#ifndef USERNET_TOOLS_MEMTRIM_H
#define USERNET_TOOLS_MEMTRIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

/** Blocks up to this size come from the heap, never from mmap. */
#define MEMTRIM_MMAP_THRESHOLD (1 << 20)
/** Free bytes at the top of the heap kept rather than given back. */
#define MEMTRIM_KEEP_FREE (8 << 20)
/** How often the timer looks at the heap, in milliseconds. */
#define MEMTRIM_INTERVAL_MS 5000
/** The heap must have shrunk by at least this many bytes... */
#define MEMTRIM_MIN_DROP (16u << 20)

/**
 * struct memtrim - the trimmer's state
 * @timer: looks every MEMTRIM_INTERVAL_MS; does not keep the loop alive
 * @peak: the most heap in use seen since the last trim, in bytes
 * @trims: malloc_trim() calls made
 * @released: bytes of RSS the trims gave back, as RSS fell around them
 */
struct memtrim {
	uv_timer_t timer;
	size_t peak;
	uint64_t trims;
	uint64_t released;
};

/**
 * struct memtrim_usage - the process's memory, for the stats
 * @heap_in_use: bytes malloc has handed out and not had back (mallinfo2)
 * @heap_free: bytes malloc holds free in its arenas
 * @rss: resident set size in bytes (/proc/self/statm); 0 if unknown
 */
struct memtrim_usage {
	size_t heap_in_use;
	size_t heap_free;
	size_t rss;
};

void memtrim_tune(void);
bool memtrim_should(size_t peak, size_t in_use);
bool memtrim_check(struct memtrim *m);
void memtrim_usage(struct memtrim_usage *u);
int memtrim_start(struct memtrim *m, uv_loop_t *loop);
void memtrim_stop(struct memtrim *m);

#endif
