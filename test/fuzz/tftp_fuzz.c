/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the TFTP server: each input is one UDP payload from
 * a hostile guest, 10.0.2.15, to the gateway 10.0.2.2. The stack serves a
 * temporary folder the harness makes: two small files, a folder, and a
 * symlink to /etc/passwd that must never be followed.
 *
 *   input[0] bit 0: 0 = to port 69, 1 = to the transfer port the server
 *                   last used for this client port (69 while there is none)
 *   input[0] bits 1-2: the client's port, 40000 + 0..3 (few ports, so that
 *                   new requests replace old transfers instead of piling up)
 *   input[1..]: the UDP payload
 *
 * A port on the hub plays the client: it reads the server's replies to learn
 * the transfer ports, and aborts if any reply carries a line of
 * /etc/passwd. The server's state lives across inputs, so one input's RRQ
 * is the next input's transfer.
 */
#include <arpa/inet.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <usernet/hub.h>
#include <usernet/stack.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CLIENT_PORTS 4

static const uint8_t gw_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static const uint8_t guest_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0f };

static char root[] = "/tmp/tftp_fuzz.XXXXXX";
static uv_loop_t loop;
static struct unet_hub *hub;
static struct unet_port guest;
static uint64_t now_ns;
static uint16_t xfer_port[CLIENT_PORTS];
static uint16_t ip_id;

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Learns transfer ports from the server's replies; checks what they carry. */
static int guest_send(struct unet_port *port, const void *frame, size_t len)
{
	const uint8_t *b = frame, *u = b + 34;
	uint16_t sport, dport;

	(void)port;
	if (len < 42 || b[12] != 0x08 || b[13] != 0x00 || b[23] != 17)
		return 0;
	sport = get16(u);
	dport = get16(u + 2);
	if (sport != 69 && dport >= 40000 && dport < 40000 + CLIENT_PORTS)
		xfer_port[dport - 40000] = sport;
	if (memmem(b, len, "root:", 5) != NULL)
		abort(); /* a line of /etc/passwd left the server */
	return 0;
}

static void guest_close(struct unet_port *port)
{
	unet_hub_detach(port);
}

static const struct unet_port_ops guest_ops = {
	.name = "fuzz",
	.send = guest_send,
	.close = guest_close,
};

static uint64_t fuzz_clock(void *opaque)
{
	(void)opaque;
	return now_ns;
}

static void write_file(const char *dir, const char *name, const char *data,
		       size_t len)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "wb");
	if (fp == NULL || fwrite(data, 1, len, fp) != len)
		abort();
	fclose(fp);
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_root(void)
{
	nftw(root, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void fuzz_init(void)
{
	char *dir = root;
	struct unet_stack_config sc;
	struct unet_hub_config hc;
	struct unet_stack *stack;
	char path[256], big[1500];
	uint32_t spa, tpa;
	uint8_t arp[60];

	if (mkdtemp(dir) == NULL)
		abort();
	atexit(remove_root);
	write_file(dir, "a.txt", "hello\nworld\r\n", 13);
	memset(big, 'b', sizeof(big));
	write_file(dir, "b.bin", big, sizeof(big));
	snprintf(path, sizeof(path), "%s/sub", dir);
	mkdir(path, 0755);
	write_file(dir, "sub/c.txt", "c\n", 2);
	snprintf(path, sizeof(path), "%s/pw", dir);
	if (symlink("/etc/passwd", path) < 0)
		abort();

	uv_loop_init(&loop);
	unet_hub_config_init(&hc);
	hc.clock_cb = fuzz_clock;
	hc.seed = 1;
	if (unet_hub_new(&loop, &hc, &hub) < 0)
		abort();
	unet_stack_config_init(&sc);
	snprintf(sc.tftp_root, sizeof(sc.tftp_root), "%s", dir);
	if (unet_stack_new(hub, "user", &sc, &stack) < 0)
		abort();
	unet_port_init(&guest, &guest_ops, "guest");
	if (unet_hub_attach(hub, &guest) < 0)
		abort();

	/* The guest's ARP request: the gateway learns where to answer. */
	spa = htonl(0x0a00020f);
	tpa = htonl(0x0a000202);
	memset(arp, 0, sizeof(arp));
	memset(arp, 0xff, 6);
	memcpy(arp + 6, guest_mac, 6);
	arp[12] = 0x08; arp[13] = 0x06;
	arp[15] = 1; arp[16] = 0x08;
	arp[18] = 6; arp[19] = 4;
	arp[21] = 1;
	memcpy(arp + 22, guest_mac, 6);
	memcpy(arp + 28, &spa, 4);
	memcpy(arp + 38, &tpa, 4);
	unet_hub_input(&guest, arp, sizeof(arp));
}

static uint16_t csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[42 + 4096];
	uint32_t src = htonl(0x0a00020f), dst = htonl(0x0a000202);
	uint8_t *iph = frame + 14, *u = frame + 34;
	unsigned int client;
	uint16_t dport;
	size_t len;

	if (hub == NULL)
		fuzz_init();
	if (size == 0)
		return 0;
	len = size - 1;
	if (len > sizeof(frame) - 42)
		return 0;
	client = (data[0] >> 1) & (CLIENT_PORTS - 1);
	dport = 69;
	if ((data[0] & 1) && xfer_port[client] != 0)
		dport = xfer_port[client];

	memcpy(frame, gw_mac, 6);
	memcpy(frame + 6, guest_mac, 6);
	frame[12] = 0x08;
	frame[13] = 0x00;
	memset(iph, 0, 20);
	iph[0] = 0x45;
	put16(iph + 2, (uint16_t)(28 + len));
	put16(iph + 4, ++ip_id);
	iph[8] = 64;
	iph[9] = 17;
	memcpy(iph + 12, &src, 4);
	memcpy(iph + 16, &dst, 4);
	put16(iph + 10, csum(iph, 20));
	put16(u, (uint16_t)(40000 + client));
	put16(u + 2, dport);
	put16(u + 4, (uint16_t)(8 + len));
	put16(u + 6, 0); /* no checksum: lwIP takes it as it is */
	memcpy(u + 8, data + 1, len);
	unet_hub_input(&guest, frame, 42 + len);

	/* Let timers run now and then (retransmissions, lwIP's own). */
	now_ns += 50 * 1000000ull;
	uv_run(&loop, UV_RUN_NOWAIT);
	return 0;
}
