/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the control protocol (tools/control.c), on any bytes,
 * with a fake usernet that takes every forward and shows a flow and a
 * port: each input is a sequence of request lines separated by newlines,
 * answered in order against one state, so adds, lists and removes meet.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"

#define FUZZ_FWDS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fake proxy's forwards, newest first. */
struct fuzz_state {
	struct unet_fwd_ex fwds[FUZZ_FWDS];
	int n;
	struct unet_port port;
};

static int fuzz_fwd_add(void *opaque, struct unet_fwd_ex *fwd)
{
	struct fuzz_state *s = opaque;

	if (s->n == FUZZ_FWDS || fwd->guest.sa.sa_family == AF_INET6)
		return -EINVAL;
	memmove(&s->fwds[1], &s->fwds[0], (size_t)s->n * sizeof(s->fwds[0]));
	s->fwds[0] = *fwd;
	s->n++;
	return 0;
}

static int fuzz_fwd_remove(void *opaque, const struct unet_fwd_ex *fwd)
{
	struct fuzz_state *s = opaque;

	if (s->n == 0)
		return -ENOENT;
	s->n--;
	memmove(&s->fwds[0], &s->fwds[1], (size_t)s->n * sizeof(s->fwds[0]));
	return 0;
}

static int fuzz_fwd_list(void *opaque, struct unet_fwd_ex *fwds, size_t n)
{
	struct fuzz_state *s = opaque;
	size_t i;

	for (i = 0; i < n && i < (size_t)s->n; i++)
		fwds[i] = s->fwds[i];
	return s->n;
}

static int fuzz_flows(void *opaque, unet_flow_cb cb, void *cb_opaque)
{
	struct unet_flow_info f;

	memset(&f, 0, sizeof(f));
	f.proto = IPPROTO_TCP;
	f.family = AF_INET6;
	f.bytes_in = UINT64_MAX;
	cb(cb_opaque, &f);
	return 1;
}

static int fuzz_proxy_stats(void *opaque, struct unet_proxy_stats *st)
{
	memset(&st->flows, 0xff, sizeof(*st) - sizeof(st->size));
	return 0;
}

static int fuzz_stack_stats(void *opaque, struct unet_stack_stats *st)
{
	memset(&st->drop_mac, 0, sizeof(*st) - sizeof(st->size));
	return 0;
}

static void fuzz_ports(void *opaque, control_port_cb cb, void *cb_opaque)
{
	struct fuzz_state *s = opaque;

	cb(cb_opaque, 0, &s->port);
}

static void fuzz_set_log_level(void *opaque, enum unet_log_level level)
{
}

static int fuzz_policy_set(void *opaque, const struct unet_policy *policy,
			   unsigned int flags)
{
	return (int)unet_policy_rules(policy);
}

static int fuzz_policy_default(void *opaque, enum unet_policy_verdict def,
			       unsigned int flags)
{
	return 0;
}

static const struct control_ops fuzz_ops = {
	.fwd_add = fuzz_fwd_add,
	.fwd_remove = fuzz_fwd_remove,
	.fwd_list = fuzz_fwd_list,
	.flows = fuzz_flows,
	.proxy_stats = fuzz_proxy_stats,
	.stack_stats = fuzz_stack_stats,
	.ports = fuzz_ports,
	.set_log_level = fuzz_set_log_level,
	.policy_set = fuzz_policy_set,
	.policy_default = fuzz_policy_default,
};

static const struct unet_port_ops fuzz_port_ops = { .name = "fuzz" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	struct in_addr guest = { .s_addr = htonl(0x0a00020f) };
	static struct fuzz_state s;
	struct control c;
	char *reply;

	memset(&s, 0, sizeof(s));
	s.port.ops = &fuzz_port_ops;
	control_init(&c, &fuzz_ops, &s, guest, UNET_LOG_WARN);
	while (p <= end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		reply = control_handle(&c, p, (size_t)(nl - p));
		if (reply != NULL && (strchr(reply, '\n') != NULL ||
				      strncmp(reply, "{\"ok\":", 6) != 0))
			abort();
		free(reply);
		p = nl + 1;
	}
	control_close(&c);
	return 0;
}
