/* SPDX-License-Identifier: MIT */
/*
 * memtrim: gives the heap back to the kernel after a flood.
 *
 * Theory of operation: glibc keeps freed memory in its arenas for reuse
 * and returns only what lies at the very top of the main heap. After a
 * flood (thousands of flows, each with buffers) has ended, the heap in use
 * falls back to a few megabytes while RSS stays where the flood left it:
 * 84 MB to 1.45 GB in the floods of issue 13, until malloc_trim(0) gave
 * it back (115 MB to 4.6 MB in one case). So a timer looks at the heap in
 * use (mallinfo2()) every MEMTRIM_INTERVAL_MS and remembers its peak;
 * when it has fallen by MEMTRIM_MIN_DROP or more, and to half the peak or
 * less, it calls malloc_trim(0) once, and the peak starts again from
 * there. A process at rest does nothing; a busy one whose heap merely
 * wobbles does not trim.
 *
 * memtrim_tune(), at start, fixes glibc's thresholds. By default glibc
 * serves blocks above a threshold that moves with what was freed before
 * (128 KiB at first) from mmap, and gives the top of the heap back to the
 * kernel once more than twice that is free. Which of the two the data
 * path's buffers got thus depended on what set-up happened to free first:
 * when the threshold stayed low (it did under --seccomp), every read of a
 * forwarded TCP stream grew and shrank the heap, a brk() with a TLB flush
 * and fresh page faults each time, and host-to-guest throughput fell to a
 * third. With fixed thresholds those buffers always come from the heap
 * and stay there; what a flood leaves is still given back by the timer.
 *
 * Under AddressSanitizer malloc is ASan's, which mallinfo2() does not see:
 * the heap reads as empty and nothing is ever trimmed.
 *
 * State: the timer, the peak, two counters for the stats. The timer is
 * unreferenced: it never keeps the loop alive, but it must be closed
 * (memtrim_stop()) before the loop is.
 */
#include <malloc.h>
#include <stdio.h>
#include <unistd.h>

#include "memtrim.h"

/**
 * memtrim_tune() - fix glibc malloc's thresholds for the process
 *
 * Blocks up to MEMTRIM_MMAP_THRESHOLD come from the heap, and up to
 * MEMTRIM_KEEP_FREE bytes free at its top are kept rather than trimmed
 * after each free(). Call it once, first thing in main().
 */
void memtrim_tune(void)
{
	mallopt(M_MMAP_THRESHOLD, MEMTRIM_MMAP_THRESHOLD);
	mallopt(M_TRIM_THRESHOLD, MEMTRIM_KEEP_FREE);
}

/**
 * memtrim_should() - whether the heap shrank enough to trim
 * @peak: the most heap in use since the last trim, in bytes
 * @in_use: the heap in use now
 *
 * Return: true when @in_use is at least MEMTRIM_MIN_DROP below @peak and
 * at most half of it.
 */
bool memtrim_should(size_t peak, size_t in_use)
{
	return in_use <= peak && peak - in_use >= MEMTRIM_MIN_DROP &&
	       in_use <= peak / 2;
}

/**
 * memtrim_usage() - the process's heap and RSS now
 * @u: receives them
 */
void memtrim_usage(struct memtrim_usage *u)
{
	struct mallinfo2 mi = mallinfo2();
	unsigned long long size, resident;
	FILE *f;

	u->heap_in_use = mi.uordblks + mi.hblkhd;
	u->heap_free = mi.fordblks;
	u->rss = 0;
	f = fopen("/proc/self/statm", "r");
	if (f == NULL)
		return;
	if (fscanf(f, "%llu %llu", &size, &resident) == 2)
		u->rss = (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
	fclose(f);
}

/**
 * memtrim_check() - trim the heap if it shrank enough since its peak
 * @m: the trimmer
 *
 * Return: true when it called malloc_trim(0).
 */
bool memtrim_check(struct memtrim *m)
{
	struct memtrim_usage before, after;

	memtrim_usage(&before);
	if (before.heap_in_use > m->peak)
		m->peak = before.heap_in_use;
	if (!memtrim_should(m->peak, before.heap_in_use))
		return false;
	malloc_trim(0);
	memtrim_usage(&after);
	m->trims++;
	if (after.rss < before.rss)
		m->released += before.rss - after.rss;
	m->peak = after.heap_in_use;
	return true;
}

static void memtrim_timer_cb(uv_timer_t *timer)
{
	memtrim_check(timer->data);
}

/**
 * memtrim_start() - look at the heap every MEMTRIM_INTERVAL_MS
 * @m: the trimmer, zeroed by the caller
 * @loop: the loop
 *
 * Return: 0, or libuv's negative error.
 */
int memtrim_start(struct memtrim *m, uv_loop_t *loop)
{
	int r;

	r = uv_timer_init(loop, &m->timer);
	if (r < 0)
		return r;
	m->timer.data = m;
	uv_unref((uv_handle_t *)&m->timer);
	return uv_timer_start(&m->timer, memtrim_timer_cb,
			      MEMTRIM_INTERVAL_MS, MEMTRIM_INTERVAL_MS);
}

/**
 * memtrim_stop() - close the timer
 * @m: the trimmer (zeroed, or started by memtrim_start(); its memory must
 *     last until the loop ran the close)
 */
void memtrim_stop(struct memtrim *m)
{
	if (m->timer.loop != NULL && !uv_is_closing((uv_handle_t *)&m->timer))
		uv_close((uv_handle_t *)&m->timer, NULL);
}
