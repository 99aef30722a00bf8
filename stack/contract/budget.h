/* SPDX-License-Identifier: MIT */
/*
 * The memory budget: what lwIP and the proxy hold for guests, counted in one
 * place and bounded (stack/budget.c explains the rules). lwIP's state is
 * process-wide, so the budget is too; the stack sets its limit.
 */
#ifndef USERNET_BUDGET_H
#define USERNET_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** The default budget: 256 MiB. */
#define UNET_BUDGET_DEFAULT ((size_t)256 << 20)
/** The least budget a stack takes: 4 MiB. */
#define UNET_BUDGET_MIN ((size_t)4 << 20)
/** Frames up to this long are taken even over the budget (ACKs, ARP). */
#define UNET_BUDGET_SMALL_FRAME 128
/**
 * A flow holding less than this may use the budget's last eighth, which
 * flows holding more may not (stack/budget.c: a few flows that fill the
 * budget can't starve a new connection).
 */
#define UNET_BUDGET_FLOW_FLOOR ((size_t)64 << 10)

/**
 * struct unet_budget - the process's memory budget for guest-driven state
 * @limit: the budget, bytes
 * @lwip: bytes lwIP holds now (its heap: pbufs, pcbs, segments, queues)
 * @proxy: bytes the proxy holds now in its own buffers
 * @peak: the most @lwip + @proxy has been
 * @frames_dropped: guest frames dropped because the budget was spent
 * @ooseq_squeezed: out-of-order segments met with a queue cap lowered by
 *                  the budget
 */
struct unet_budget {
	size_t limit;
	size_t lwip;
	size_t proxy;
	size_t peak;
	uint64_t frames_dropped;
	uint64_t ooseq_squeezed;
};

extern struct unet_budget unet__budget;

void unet__budget_reset(size_t limit);
void unet__budget_charge(size_t bytes);
void unet__budget_release(size_t bytes);
size_t unet__budget_used(void);
size_t unet__budget_free(void);
size_t unet__budget_free_for(size_t held);
bool unet__budget_admit_frame(size_t len);
size_t unet__budget_window(size_t full, size_t held);

#endif /* USERNET_BUDGET_H */
