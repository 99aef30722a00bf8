// SPDX-License-Identifier: MIT
/*
 * Tests of the replay port and the pcap reader (hub/replay.c): frames both
 * ways with their record on the virtual clock, read back through libpcap;
 * the reader's offsets; and the errors of both.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <usernet/replay.h>

#include "testnet.h"

static int rx_count;
static uint8_t rx_first;

static void rx_cb(void *opaque, const void *frame, size_t len)
{
	(void)opaque;
	(void)len;
	rx_count++;
	rx_first = ((const uint8_t *)frame)[0];
}

static void test_record_and_read_back(void **state)
{
	char path[] = "/tmp/unet-replay-XXXXXX";
	struct unet_hub_config hc;
	struct unet_replay_config rc;
	struct unet_replay_stats st = { .size = sizeof(st) };
	struct unet_pcap_reader *rd;
	struct unet_replay *rp;
	struct unet_hub *hub;
	static struct tn_capture cap;
	uv_loop_t loop;
	uint8_t a[60], b[61];
	const void *f;
	size_t len;
	uint64_t off;
	char err[256];
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(uv_loop_init(&loop), 0);
	unet_hub_config_init(&hc);
	hc.virtual_clock = true;
	hc.epoch_ns = 1700000000ull * 1000000000u;
	assert_int_equal(unet_hub_new(&loop, &hc, &hub), 0);
	tn_capture_init(&cap, NULL, TN_CAP_MAX);
	tn_capture_attach(&cap, hub);
	unet_replay_config_init(&rc);
	rc.record_path = path;
	rc.rx = rx_cb;
	assert_int_equal(unet_replay_open(hub, "guest", &rc, &rp), 0);

	memset(a, 0xaa, sizeof(a));
	memset(b, 0xbb, sizeof(b));
	assert_int_equal(unet_replay_send(rp, a, sizeof(a)), 0);
	assert_int_equal(cap.frames, 1);
	assert_int_equal(unet_hub_clock_advance(hub, 1500000000u), 0);
	assert_int_equal(unet_hub_input(&cap.port, b, sizeof(b)), 0);
	assert_int_equal(rx_count, 1);
	assert_int_equal(rx_first, 0xbb);
	/* Refused by the hub: not recorded, not counted as sent. */
	assert_int_equal(unet_replay_send(rp, a, 5), -EINVAL);
	assert_int_equal(unet_replay_stats(rp, &st), 0);
	assert_int_equal(st.sent_frames, 1);
	assert_int_equal(st.sent_bytes, 60);
	assert_int_equal(st.rx_frames, 1);
	assert_int_equal(st.rx_bytes, 61);
	assert_ptr_equal(unet_replay_port(rp)->hub, hub);
	unet_replay_close(rp);
	unet_hub_close(hub);
	tn_capture_reset(&cap);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);

	/* libpcap reads the pcapng back: the two frames, 1.5 s apart. */
	assert_int_equal(unet_pcap_reader_open(path, &rd, err, sizeof(err)), 0);
	assert_int_equal(unet_pcap_reader_next(rd, &f, &len, &off, err,
					       sizeof(err)), 1);
	assert_int_equal(len, 60);
	assert_memory_equal(f, a, 60);
	assert_int_equal(off, 0);
	assert_int_equal(unet_pcap_reader_next(rd, &f, &len, &off, err,
					       sizeof(err)), 1);
	assert_int_equal(len, 61);
	assert_memory_equal(f, b, 61);
	assert_int_equal(off, 1500000000u);
	assert_int_equal(unet_pcap_reader_next(rd, &f, &len, &off, err,
					       sizeof(err)), 0);
	unet_pcap_reader_close(rd);
	unlink(path);
}

static void test_errors(void **state)
{
	struct unet_replay_config rc;
	struct unet_pcap_reader *rd = NULL;
	struct unet_replay *rp = NULL;
	struct unet_hub *hub;
	uv_loop_t loop;
	char err[256];

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(unet_hub_new(&loop, NULL, &hub), 0);
	unet_replay_config_init(&rc);
	rc.record_path = "/nonexistent-dir/x.pcapng";
	assert_int_equal(unet_replay_open(hub, "g", &rc, &rp), -ENOENT);
	assert_null(rp);
	assert_int_equal(unet_replay_open(NULL, "g", NULL, &rp), -EINVAL);
	assert_int_equal(unet_pcap_reader_open("/nonexistent.pcap", &rd, err,
					       sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent.pcap"));
	assert_int_equal(unet_pcap_reader_open("/dev/null", &rd, err,
					       sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "/dev/null: not a pcap or pcapng file"));
	assert_null(rd);
	unet_hub_close(hub);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_and_read_back),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
