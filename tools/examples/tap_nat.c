/* SPDX-License-Identifier: MIT */
/*
 * tap_nat: a tap interface with a NAT'd network, in one libuv program. The
 * tap (created when missing: needs CAP_NET_ADMIN) gets a DHCP lease from
 * 10.0.2.15, DNS on 10.0.2.3 and the host's network through 10.0.2.2.
 *   cc tap_nat.c $(pkg-config --cflags --libs usernet) -o tap_nat
 *   ./tap_nat tap0        # runs until SIGINT or SIGTERM, then exits 0
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <usernet/usernet.h>

static struct unet_hub *hub;
static struct unet_proxy *proxy;
static uv_signal_t sigs[2];

static void shut_down(void)
{
	unet_proxy_close(proxy);	/* first: it works on the stack's pcbs */
	unet_hub_close(hub);		/* closes the stack and the tap port */
	uv_close((uv_handle_t *)&sigs[0], NULL);
	uv_close((uv_handle_t *)&sigs[1], NULL);
}

static void on_signal(uv_signal_t *sig, int signum)
{
	(void)sig, (void)signum;
	shut_down();
}

static void on_log(void *opaque, enum unet_log_level level, const char *msg)
{
	(void)opaque, (void)level;
	fprintf(stderr, "tap_nat: %s\n", msg);
}

int main(int argc, char **argv)
{
	struct unet_hub_config hc;
	struct unet_port *tap;
	struct unet_stack *stack;
	uv_loop_t loop;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: tap_nat IFNAME\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);	/* host peers that go away */
	uv_loop_init(&loop);
	unet_hub_config_init(&hc);
	hc.log_cb = on_log;
	uv_signal_init(&loop, &sigs[0]);
	uv_signal_init(&loop, &sigs[1]);
	uv_signal_start(&sigs[0], on_signal, SIGINT);
	uv_signal_start(&sigs[1], on_signal, SIGTERM);
	if ((r = unet_hub_new(&loop, &hc, &hub)) < 0 ||
	    (r = unet_tap_open(hub, "tap", argv[1], &tap)) < 0 ||
	    (r = unet_stack_new(hub, "user", NULL, &stack)) < 0 ||
	    (r = unet_proxy_new(stack, NULL, &proxy)) < 0) {
		fprintf(stderr, "tap_nat: %s: %s\n", argv[1], strerror(-r));
		shut_down();		/* every close takes NULL */
	} else {
		printf("tap_nat: %s is on 10.0.2.0/24\n", argv[1]);
		fflush(stdout);
	}
	uv_run(&loop, UV_RUN_DEFAULT);	/* until everything is closed */
	return uv_loop_close(&loop) == 0 && r == 0 ? 0 : 1;
}
