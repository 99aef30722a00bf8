/* SPDX-License-Identifier: MIT */
/*
 * TCP flows: a guest connection on an lwIP pcb joined to a host socket.
 *
 * Theory of operation.
 *
 * Outbound (the guest connects) is connect-first. The stack asks
 * unet__tcp_packet() about every TCP segment to the gateway or a foreign
 * address, parsed once (struct unet_ip_pkt: the checked TCP header, the
 * ports); a segment whose header is cut short or whose data offset lies is
 * dropped and counted. A SYN for an unknown 4-tuple makes a flow: the
 * segment is cloned and held, the host connect starts on the loop, and the
 * original is dropped (lwIP never sees it). Duplicate SYNs are dropped while
 * the connect is under way. When the connect succeeds, a listener for the
 * destination port is made if there is none (bound to ANY:port, it
 * terminates that port for every address the stack accepts), a TIME_WAIT
 * lwIP still holds on the 4-tuple is ended (unet__lwip_tcp_timewait_end()),
 * and the held SYN is re-injected through ip4_input() (ip6_input() for the
 * guest's IPv6): this time the flow
 * says "accept", lwIP answers with its SYN-ACK, and the listener's accept
 * callback joins the new pcb to the flow. A connect the kernel finished
 * inside connect() (the host's loopback does) is seen at once in the
 * socket's TCP_INFO, and the SYN goes on in the same call, a loop turn
 * sooner (tcp_host_connect_done()). A refused connect gives the guest
 * a RST (unet__lwip_tcp_rst(), from the original destination), an
 * unreachable one an ICMP or ICMPv6 destination unreachable (built by
 * icmp_err.c, rate-limited), a connect that takes longer than the timeout a RST.
 * A SYN the egress policy refuses gets a RST, or with deny_tcp_icmp an ICMP
 * administratively prohibited; a flow a new policy cuts
 * (unet_proxy_set_policy()) is reset both ways, or while its host connect
 * is under way its held SYN gets that same refusal (tcp_flow_cut_op()).
 * IPv6 flows are the same flows with keys of the other family: every step
 * above is the same, over an AF_INET6 host socket.
 *
 * Inbound (a host-to-guest forward) accepts on the host, then tcp_connect()s
 * to the guest from the gateway's address; a guest RST or no answer closes
 * the host connection.
 *
 * Data, with back-pressure both ways, within the memory budget
 * (stack/budget.c):
 *  - guest to host: lwIP's recv callback hands a pbuf chain; the first of
 *    a loop turn is written to the host socket at once (uv_try_write) as
 *    far as the socket takes it, and the rest is queued (copied when short,
 *    so a 1-byte segment costs a byte; held in its pbuf when long) and
 *    written with one uv_write at a time. What follows in the same turn
 *    waits in the queue for the turn's end (the loop's check phase, after
 *    every frame the turn read), or until TCP_FLOW_TURN_MAX bytes wait: a
 *    request still leaves at once, and a bulk sender's segments reach the
 *    host in one write a turn, which wakes the host's reader once, not once
 *    a segment. Such a write frees what the socket takes at once, as the
 *    first did (tcp_flow_flush()). Bytes are
 *    acknowledged to lwIP with tcp_recved(), which opens the guest's window
 *    again, only once the host took them, and only as far as the budget
 *    allows (unet__budget_window(); the rest is given back from lwIP's poll
 *    as the budget frees). A slow host reader closes the guest's window: at
 *    most TCP_WND bytes are held. While the host is backed up and the budget
 *    spent, new data is left to lwIP (ERR_MEM), which offers it again.
 *  - host to guest: the host socket is read into the proxy's one buffer, at
 *    most what lwIP's send buffer and the budget have room for, and its
 *    bytes are tcp_write()n at once. A read of TCP_HOLD_MIN or more for a
 *    connection whose segments are as long (a tap with offloads, MTU
 *    65520) goes to a spare buffer instead, which is cut into lwIP's
 *    segments as it is (tcp_write_pbuf(), stack/hostbuf.c): no copy, and
 *    the buffer lives until the guest acknowledges its last byte (the
 *    next read gets a new one). What lwIP's queue had no room for is
 *    kept aside and reading stops until it is queued (the sent callback, on
 *    the guest's ACKs). A guest that stops reading stops the host reads: at
 *    most the send buffer (1 MiB or 256 KiB: unet__stack_tcp_sndbuf()) + one
 *    read are held. An idle flow holds no buffer.
 *  - no progress: a flow whose host socket takes none of the guest's data
 *    for tcp_stall_timeout_ms is reset both ways (checked from lwIP's poll,
 *    reset from the flow's timer); the host socket's TCP_USER_TIMEOUT is
 *    the same.
 *
 * Loss toward the guest is normal (a NIC without receive flow control,
 * such as QEMU's rtl8139 in C+ mode, drops the tail of a burst longer than
 * its ring). The pcb's sender repairs it, not this file: lwIP is built with
 * stack/lwip-patches/tcp-loss-recovery.patch, whose fast recovery resends
 * everything from the hole at the third duplicate ACK (or when SACK blocks
 * show the hole) and stays in recovery over partial ACKs, whose tail probe
 * starts recovery after 100 ms of silence with segments out, and whose
 * retransmission timeout has a 200 ms floor in 50 ms steps. Each recovery
 * halves the congestion window, so the flight settles near what the guest
 * absorbs. What the host sent waits meanwhile in lwIP's send buffer, and
 * the host socket is not read: back-pressure, as
 * for a slow guest.
 *
 * Ends: a guest FIN becomes a shutdown() of the host socket once the written
 * data is out (or, when the host already sent EOF, the close of the socket,
 * which sends the same FIN a loop turn sooner); a host EOF becomes lwIP's
 * FIN once the buffered data is queued; each direction ends on its own
 * (half-close). A guest RST (lwIP's
 * error callback) resets the host socket (SO_LINGER 0); a host error or RST
 * aborts the pcb, which sends the guest a RST. When both directions are done
 * the pcb is handed back to lwIP with tcp_close() (lwIP finishes the FIN
 * exchange; a TIME_WAIT it is in ends at its next slow timer, see
 * unet__lwip_tcp_timewait_short()) and the host socket is closed. The host
 * socket's keepalive and user timeout are set from lwIP's first poll of the
 * flow (200 ms), so that short connections cost fewer system calls.
 *
 * Lifetime: the flow leaves the flow table when it starts closing; its memory
 * is freed from the last close callback of its two uv handles (the socket and
 * the flow base's timer, for the connect and idle timeouts), as for every
 * flow (flow.c). lwIP's callbacks are detached
 * before the pcb is given back, so no lwIP callback ever sees a freed flow.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lwip/ip.h"
#include "lwip/ip4.h"
#include "lwip/ip6.h"
#include "lwip/tcp.h"

#include "proxy_internal.h"
#include "budget.h"

/* uv_bufs a chain is written with at once; longer chains are copied. */
#define TCP_FLOW_IOV 64
/* The guest's bytes that wait for the host are held in lwIP's pbufs, not
 * copied, from this many on in one segment (or chain of 1 KiB or more a
 * pbuf). */
#define TCP_FLOW_HOLD_MIN 4096
/*
 * What a flow queues for the turn's end at most: past it, the queue goes to
 * the host at once, so that a long burst fills the host socket, not the
 * memory budget.
 */
#define TCP_FLOW_TURN_MAX (1024 * 1024)
/*
 * Host reads of this many bytes or more, for a connection whose segments
 * are this long or longer, become lwIP's segments without a copy
 * (stack/hostbuf.c); shorter ones are copied, as a short reply costs no
 * buffer of its own then.
 */
#define TCP_HOLD_MIN (16 * 1024)
/* The most a flow's queue toward the host grows by at once. */
#define TCP_FLOW_OBUF_STEP (256 * 1024)
/* lwIP's poll of a flow, in slow-timer ticks (2 x TCP_TMR_INTERVAL): 200 ms */
#define TCP_FLOW_POLL_TICKS 4
/* Keepalives toward the guest: after 5 minutes idle, 4 probes 30 s apart. */
#define TCP_FLOW_KEEPIDLE_MS 300000
#define TCP_FLOW_KEEPINTVL_MS 30000
#define TCP_FLOW_KEEPCNT 4

/** Where a TCP flow is. */
enum tcp_phase {
	TCP_PHASE_HOST_CONNECTING, /* outbound: host connect under way, SYN held */
	TCP_PHASE_GUEST_ACCEPTING, /* outbound: SYN re-injected, awaiting accept */
	TCP_PHASE_GUEST_CONNECTING, /* inbound: tcp_connect() to the guest */
	TCP_PHASE_ESTABLISHED,
	TCP_PHASE_CLOSED, /* closing: handles on their way out */
	TCP_PHASE_NUM
};

/**
 * struct tcp_flow - one TCP connection through the proxy
 * @base: the flow base (its timer: connect timeout, then idle timeout and
 *        the stall reset)
 * @phase: where the flow is
 * @host: the host socket
 * @connect_req: the host connect (outbound)
 * @shutdown_req: the host shutdown after the guest's FIN
 * @pcb: the lwIP pcb, NULL before accept and after it is gone
 * @syn: the guest's SYN, held while the host connects
 * @syn_seq: the SYN's sequence number, for a RST that answers it
 * @connect_err: a host connect that failed at once (answered from the
 *               timer)
 * @write_req: the write to the host socket, when @writing
 * @guest_fin: the guest sent FIN
 * @host_shut: the host socket's write side is shut (or being shut)
 * @host_eof: the host sent EOF
 * @guest_shut: FIN queued towards the guest
 * @reading: the host socket is being read
 * @aborted: the pcb was aborted by the proxy (an lwIP callback that did it
 *           must return ERR_ABRT)
 * @writing: @write_req is under way
 * @stalled: the host took nothing for the stall timeout: @timer resets
 * @host_opts: the host socket's keepalive and user timeout are set (from
 *             lwIP's first poll of the flow)
 * @wbuf: the guest's bytes @write_req writes that were copied (@wcap
 *        charged)
 * @wlen: all the bytes @write_req writes: @wpieces, in order
 * @wcap: see @wbuf
 * @wpieces: what @write_req writes: runs of @wbuf and pbufs held (@wpn of
 *           @wpcap, @wheld bytes of them in pbufs)
 * @wpn: see @wpieces
 * @wpcap: see @wpieces
 * @wheld: see @wpieces
 * @obuf: the guest's bytes that wait for @write_req, copied (@olen of
 *        @ocap)
 * @olen: see @obuf
 * @ocap: see @obuf
 * @opieces: what waits for @write_req, in order: runs of @obuf and pbufs
 *           held (@opn of @opcap, @oheld bytes of them in pbufs)
 * @opn: see @opieces
 * @opcap: see @opieces
 * @oheld: see @opieces
 * @withheld: bytes the host took that lwIP was not told of (tcp_recved()),
 *            which keeps the guest's window small while the memory budget
 *            is short
 * @mss: the guest's MSS (lwIP's pcb may hold more: unet__stack_tcp_offload())
 * @sndbuf: the size of lwIP's send buffer toward the guest
 *          (unet__stack_tcp_sndbuf()), 0 before the flow is established
 * @stall_ns: when the host last took bytes of @wbuf (or the write began)
 * @stall_queue: what libuv had left to write then
 * @pend: host bytes lwIP had no room for (@pend_len, from @pend_off)
 * @pend_off: see @pend
 * @pend_len: see @pend
 * @in_turn: the flow wrote to the host in this loop turn: what follows is
 *           queued until the turn's end (on the proxy's @tcp_turn list)
 * @turn_next: the next flow on that list
 * @ack_owed: an ACK lwIP was about to send for the guest's segments was
 *            held back until the turn's end (unet__lwip_tcp_ack_defer())
 */
/*
 * One run of a flow's queue toward the host: bytes copied to the queue's
 * buffer (@p NULL, from @off), or a pbuf lwIP handed over, held instead of
 * copied (its bytes past @off).
 */
struct tcp_piece {
	struct pbuf *p;
	size_t off;
	size_t len;
};

struct tcp_flow {
	struct proxy_flow base;
	enum tcp_phase phase;
	uv_tcp_t host;
	uv_connect_t connect_req;
	uv_shutdown_t shutdown_req;
	struct tcp_pcb *pcb;
	struct pbuf *syn;
	uint32_t syn_seq;
	int connect_err;
	uv_write_t write_req;
	bool guest_fin;
	bool host_shut;
	bool host_eof;
	bool guest_shut;
	bool reading;
	bool aborted;
	bool writing;
	bool stalled;
	bool host_opts;
	char *wbuf;
	size_t wlen;
	size_t wcap;
	struct tcp_piece *wpieces;
	unsigned int wpn;
	unsigned int wpcap;
	size_t wheld;
	char *obuf;
	size_t olen;
	size_t ocap;
	struct tcp_piece *opieces;
	unsigned int opn;
	unsigned int opcap;
	size_t oheld;
	size_t withheld;
	u16_t mss;
	u32_t sndbuf;
	uint64_t stall_ns;
	size_t stall_queue;
	char *pend;
	size_t pend_off;
	size_t pend_len;
	bool in_turn;
	struct tcp_flow *turn_next;
	bool ack_owed;
};

static void tcp_flow_reset(struct tcp_flow *flow);
static void tcp_flow_free(struct proxy_flow *f);
static void tcp_flow_check_done(struct tcp_flow *flow);
static void tcp_flow_push(struct tcp_flow *flow);
static void tcp_flow_read_start(struct tcp_flow *flow);
static void tcp_connect_failed(struct tcp_flow *flow, int status);
static void tcp_host_user_timeout(struct tcp_flow *flow);

static struct tcp_flow *tcp_flow_of(struct proxy_flow *f)
{
	return container_of(f, struct tcp_flow, base);
}

/* Frees the pbufs @n pieces hold. */
static void tcp_pieces_free(struct tcp_piece *pieces, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (pieces[i].p != NULL)
			pbuf_free(pieces[i].p);
}

/* Every handle is closed: what the flow still holds goes with it. */
static void tcp_flow_free(struct proxy_flow *f)
{
	struct tcp_flow *flow = tcp_flow_of(f);
	struct tcp_flow **pp;

	/* the turn's end runs before close callbacks; this is in case not */
	for (pp = &f->proxy->tcp_turn; flow->in_turn && *pp != NULL;
	     pp = &(*pp)->turn_next)
		if (*pp == flow) {
			*pp = flow->turn_next;
			break;
		}
	if (flow->syn != NULL)
		pbuf_free(flow->syn);
	unet__budget_release(flow->wcap + flow->ocap + flow->pend_len);
	tcp_pieces_free(flow->wpieces, flow->wpn);
	tcp_pieces_free(flow->opieces, flow->opn);
	free(flow->wpieces);
	free(flow->opieces);
	free(flow->wbuf);
	free(flow->obuf);
	free(flow->pend);
	free(flow);
}

/* Detaches lwIP's callbacks so that lwIP never calls into a closed flow. */
static void tcp_flow_detach(struct tcp_pcb *pcb)
{
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	tcp_poll(pcb, NULL, 0);
}

/* Guest bytes taken and not yet written to the host. */
static bool tcp_flow_out_pending(const struct tcp_flow *flow)
{
	return flow->writing || flow->opn > 0;
}

/*
 * The budget the flow holds both ways: its queue toward the host, host
 * bytes waiting for room in lwIP, and what lwIP holds of its host data.
 */
static size_t tcp_flow_held(const struct tcp_flow *flow)
{
	size_t held = flow->wcap + flow->ocap + flow->wheld + flow->oheld +
		      flow->pend_len;

	/* snd_buf itself: tcp_sndbuf() caps it at 64 KiB */
	if (flow->pcb != NULL && flow->pcb->snd_buf < flow->sndbuf)
		held += flow->sndbuf - flow->pcb->snd_buf;
	return held;
}

/* Starts closing the flow's handles; @reset sends the host a RST. */
static void tcp_flow_close_handles(struct tcp_flow *flow, bool reset)
{
	if (!unet__flow_close_begin(&flow->base))
		return;
	flow->phase = TCP_PHASE_CLOSED;
	if (reset && !flow->host_shut &&
	    uv_tcp_close_reset(&flow->host, unet__flow_handle_closed) == 0)
		return;
	uv_close((uv_handle_t *)&flow->host, unet__flow_handle_closed);
}

/* Resets both sides: a RST to the guest and to the host. */
static void tcp_flow_reset(struct tcp_flow *flow)
{
	struct tcp_pcb *pcb = flow->pcb;

	if (pcb != NULL) {
		flow->pcb = NULL;
		flow->aborted = true;
		tcp_flow_detach(pcb);
		tcp_abort(pcb);
	}
	tcp_flow_close_handles(flow, true);
}

static void tcp_flow_close_op(struct proxy_flow *f)
{
	tcp_flow_reset(tcp_flow_of(f));
}

static enum unet_flow_state tcp_flow_state_op(const struct proxy_flow *f)
{
	const struct tcp_flow *flow = container_of(f, struct tcp_flow, base);

	switch (flow->phase) {
	case TCP_PHASE_HOST_CONNECTING:
	case TCP_PHASE_GUEST_ACCEPTING:
	case TCP_PHASE_GUEST_CONNECTING:
		return UNET_FLOW_CONNECTING;
	case TCP_PHASE_ESTABLISHED:
		if (flow->guest_fin || flow->host_eof)
			return UNET_FLOW_CLOSING;
		return UNET_FLOW_ESTABLISHED;
	default:
		return UNET_FLOW_CLOSING;
	}
}

static void tcp_flow_cut_op(struct proxy_flow *f);

static const struct proxy_flow_ops tcp_flow_ops = {
	.close = tcp_flow_close_op,
	.state = tcp_flow_state_op,
	.free = tcp_flow_free,
	.cut = tcp_flow_cut_op,
};

/*
 * A RST from @src:@sport (the address the guest connected to) to the guest
 * at @dst:@dport, which answers a SYN of sequence number @ackno - 1.
 */
static void tcp_rst_to_guest(sa_family_t family, const union unet_ip_addr *src,
			     uint16_t sport, const union unet_ip_addr *dst,
			     uint16_t dport, uint32_t ackno)
{
	if (family == AF_INET)
		unet__lwip_tcp_rst(src->v4, sport, dst->v4, dport, ackno);
	else
		unet__lwip_tcp_rst6(src->v6, sport, dst->v6, dport, ackno);
}

/* Answers the held SYN with a RST from the address the guest connected to. */
static void tcp_flow_rst_syn(const struct tcp_flow *flow)
{
	tcp_rst_to_guest(flow->base.family, &flow->base.remote_addr,
			 flow->base.remote_port, &flow->base.guest_addr,
			 flow->base.guest_port, flow->syn_seq + 1);
}

/*
 * A new egress policy denies the flow (unet__flow_recheck()): a SYN still
 * held gets the refusal a new one would (a RST, or with deny_tcp_icmp an
 * ICMP administratively prohibited); past that, a RST both ways.
 */
static void tcp_flow_cut_op(struct proxy_flow *f)
{
	struct tcp_flow *flow = tcp_flow_of(f);
	struct unet_proxy *proxy = f->proxy;

	if (flow->phase != TCP_PHASE_HOST_CONNECTING || flow->syn == NULL) {
		tcp_flow_reset(flow);
		return;
	}
	if (proxy->cfg.deny_tcp_icmp)
		unet__icmp_err_prohibited(proxy, flow->syn, f->family);
	else
		tcp_flow_rst_syn(flow);
	tcp_flow_close_handles(flow, false);
}

/* When both directions have ended, hands the pcb back and closes. */
static void tcp_flow_check_done(struct tcp_flow *flow)
{
	struct tcp_pcb *pcb = flow->pcb;

	if (flow->phase != TCP_PHASE_ESTABLISHED)
		return;
	if (!(flow->guest_fin && flow->host_shut && !tcp_flow_out_pending(flow)))
		return;
	if (!(flow->host_eof && flow->guest_shut))
		return;
	if (pcb != NULL) {
		flow->pcb = NULL;
		tcp_flow_detach(pcb);
		/*
		 * lwIP finishes the FIN exchange on its own from here; a
		 * TIME_WAIT it entered (it closed first) ends soon.
		 */
		unet__lwip_tcp_timewait_short(pcb);
		if (tcp_close(pcb) != ERR_OK)
			tcp_abort(pcb);
	}
	tcp_flow_close_handles(flow, false);
}

/* ---- guest to host ------------------------------------------------------ */

static void tcp_host_shutdown_cb(uv_shutdown_t *req, int status)
{
	struct tcp_flow *flow = req->data;

	if (status == UV_ECANCELED || flow->phase == TCP_PHASE_CLOSED)
		return;
	if (status < 0) {
		tcp_flow_reset(flow);
		return;
	}
	tcp_flow_check_done(flow);
}

/* The guest's FIN reaches the host once everything before it is written. */
static void tcp_host_maybe_shutdown(struct tcp_flow *flow)
{
	if (!flow->guest_fin || flow->host_shut || tcp_flow_out_pending(flow))
		return;
	flow->host_shut = true;
	if (flow->host_eof) {
		/*
		 * The host ended its side and everything it sent was read:
		 * closing the socket (tcp_flow_check_done()) sends the same
		 * FIN, without a shutdown that waits a loop turn.
		 */
		tcp_flow_check_done(flow);
		return;
	}
	flow->shutdown_req.data = flow;
	if (uv_shutdown(&flow->shutdown_req, (uv_stream_t *)&flow->host,
			tcp_host_shutdown_cb) < 0)
		tcp_flow_reset(flow);
}

/*
 * Tells lwIP of bytes the host took (tcp_recved(), which opens the guest's
 * window again), as far as the memory budget allows: the flow's window,
 * counting what it holds, is kept at unet__budget_window() of the whole. What
 * is withheld is given later (tcp_pcb_poll_cb()), as the budget frees.
 */
static void tcp_flow_credit(struct tcp_flow *flow, size_t taken)
{
	struct tcp_pcb *pcb = flow->pcb;
	size_t full, floor, give, chunk;
	bool closed;

	flow->withheld += taken;
	if (pcb == NULL) {
		flow->withheld = 0;
		return;
	}
	full = TCP_WND_MAX(pcb);
	floor = full - unet__budget_window(full, tcp_flow_held(flow));
	if (flow->withheld <= floor) {
		if (taken > 0)
			flow->base.proxy->stats.tcp_windows_shrunk++;
		return;
	}
	give = flow->withheld - floor;
	if (give < taken)
		flow->base.proxy->stats.tcp_windows_shrunk++;
	closed = pcb->rcv_wnd < flow->mss;
	flow->withheld = floor;
	for (; give > 0; give -= chunk) {
		chunk = give > 0xffff ? 0xffff : give;
		tcp_recved(pcb, (u16_t)chunk);
	}
	/* lwIP sends an update only for a big change: say a window opened. */
	if (closed && pcb->rcv_wnd >= flow->mss)
		unet__lwip_tcp_ack_now(pcb);
}

/* Appends a piece to the queue toward the host (a run of @obuf grows). */
static int tcp_flow_piece(struct tcp_flow *flow, struct pbuf *p, size_t off,
			  size_t len)
{
	struct tcp_piece *last = flow->opn > 0 ? &flow->opieces[flow->opn - 1] :
						 NULL,
			 *n;
	unsigned int cap;

	if (p == NULL && last != NULL && last->p == NULL &&
	    last->off + last->len == off) {
		last->len += len;
		return 0;
	}
	if (flow->opn == flow->opcap) {
		cap = flow->opcap != 0 ? flow->opcap * 2 : 8;
		n = realloc(flow->opieces, cap * sizeof(*n));
		if (n == NULL)
			return -ENOMEM;
		flow->opieces = n;
		flow->opcap = cap;
	}
	flow->opieces[flow->opn++] = (struct tcp_piece){ p, off, len };
	return 0;
}

/*
 * Appends the bytes of @p past @skip to the flow's queue toward the host:
 * a long run is held in @p itself (lwIP's memory, counted there), a short
 * one copied, so that a guest's small segments cost their bytes, not a
 * pbuf each. Return: 1 when @p is held (the queue frees it), 0 when copied,
 * or -ENOMEM.
 */
static int tcp_flow_queue(struct tcp_flow *flow, struct pbuf *p, size_t skip)
{
	size_t len = p->tot_len - skip, cap;
	char *n;

	/* a chain of small segments is copied too: it costs a pbuf each */
	if (len >= TCP_FLOW_HOLD_MIN &&
	    p->tot_len / pbuf_clen(p) >= TCP_FLOW_HOLD_MIN / 4) {
		if (tcp_flow_piece(flow, p, skip, len) < 0)
			return -ENOMEM;
		flow->oheld += len;
		return 1;
	}
	if (tcp_flow_piece(flow, NULL, flow->olen, len) < 0)
		return -ENOMEM;
	if (flow->olen + len > flow->ocap) {
		/*
		 * Doubling, but by at most TCP_FLOW_OBUF_STEP at a time: the
		 * capacity is charged to the budget, which it must not
		 * overshoot by megabytes (glibc grows large blocks in place).
		 */
		cap = flow->ocap != 0 ? flow->ocap : 4096;
		while (cap < flow->olen + len)
			cap += cap < TCP_FLOW_OBUF_STEP ? cap : TCP_FLOW_OBUF_STEP;
		n = realloc(flow->obuf, cap);
		if (n == NULL)
			return -ENOMEM;
		unet__budget_charge(cap - flow->ocap);
		flow->obuf = n;
		flow->ocap = cap;
	}
	pbuf_copy_partial(p, flow->obuf + flow->olen, (u16_t)len, (u16_t)skip);
	flow->olen += len;
	return 0;
}

static void tcp_host_write_cb(uv_write_t *req, int status);

/*
 * The uv_bufs of @np pieces, whose copied runs are in @buf; their count, or
 * -ENOMEM. @lenp receives their bytes.
 */
static int tcp_pieces_iov(const struct tcp_piece *pieces, unsigned int np,
			  char *buf, uv_buf_t **iovp, size_t *lenp)
{
	unsigned int i, n = 0;
	const struct pbuf *q;
	uv_buf_t *iov;
	size_t skip;

	for (i = 0; i < np; i++) {
		skip = pieces[i].off;
		for (q = pieces[i].p; q != NULL; q = q->next) {
			if (skip < q->len)
				n++;
			skip = skip < q->len ? 0 : skip - q->len;
		}
		n += pieces[i].p == NULL;
	}
	iov = malloc((n > 0 ? n : 1) * sizeof(*iov));
	if (iov == NULL)
		return -ENOMEM;
	n = 0;
	*lenp = 0;
	for (i = 0; i < np; i++) {
		const struct tcp_piece *pc = &pieces[i];

		*lenp += pc->len;
		if (pc->p == NULL) {
			iov[n++] = uv_buf_init(buf + pc->off,
					       (unsigned int)pc->len);
			continue;
		}
		skip = pc->off;
		for (q = pc->p; q != NULL; q = q->next) {
			if (skip < q->len)
				iov[n++] = uv_buf_init(
					(char *)q->payload + skip,
					(unsigned int)(q->len - skip));
			skip = skip < q->len ? 0 : skip - q->len;
		}
	}
	*iovp = iov;
	return (int)n;
}

/* Drops the first @done bytes of the queue: the host took them. */
static void tcp_flow_consume(struct tcp_flow *flow, size_t done)
{
	unsigned int i = 0;
	struct tcp_piece *pc;
	size_t k;

	for (; done > 0 && i < flow->opn; i++) {
		pc = &flow->opieces[i];
		k = done < pc->len ? done : pc->len;
		pc->off += k;
		pc->len -= k;
		done -= k;
		if (pc->p != NULL)
			flow->oheld -= k;
		if (pc->len > 0)
			break;
		if (pc->p != NULL)
			pbuf_free(pc->p);
	}
	memmove(flow->opieces, flow->opieces + i,
		(flow->opn - i) * sizeof(*flow->opieces));
	flow->opn -= i;
	if (flow->opn == 0)
		flow->olen = 0;
}

/* Writes the queued bytes, when no write is under way. */
static int tcp_flow_write(struct tcp_flow *flow)
{
	uv_buf_t *iov;
	int n, r;

	if (flow->writing || flow->opn == 0)
		return 0;
	flow->wbuf = flow->obuf;
	flow->wcap = flow->ocap;
	flow->wpieces = flow->opieces;
	flow->wpn = flow->opn;
	flow->wpcap = flow->opcap;
	flow->wheld = flow->oheld;
	flow->obuf = NULL;
	flow->olen = flow->ocap = 0;
	flow->opieces = NULL;
	flow->opn = flow->opcap = 0;
	flow->oheld = 0;
	n = tcp_pieces_iov(flow->wpieces, flow->wpn, flow->wbuf, &iov,
			   &flow->wlen);
	if (n < 0)
		return n;
	flow->write_req.data = flow;
	r = uv_write(&flow->write_req, (uv_stream_t *)&flow->host, iov,
		     (unsigned int)n, tcp_host_write_cb);
	free(iov);
	if (r < 0)
		return r;
	flow->writing = true;
	flow->stall_ns = unet_hub_now_ns(flow->base.proxy->hub);
	flow->stall_queue = flow->wlen;
	return 0;
}

/* Once nothing waits for the host: an idle flow holds no buffer. */
static void tcp_flow_drained(struct tcp_flow *flow)
{
	if (flow->writing || flow->opn != 0)
		return;
	unet__budget_release(flow->ocap);
	free(flow->obuf);
	free(flow->opieces);
	flow->obuf = NULL;
	flow->opieces = NULL;
	flow->ocap = flow->olen = 0;
	flow->opcap = 0;
}

/*
 * Writes the queue now, when no write is under way: what the socket takes
 * at once is freed and acknowledged to lwIP here, the rest goes with
 * tcp_flow_write().
 */
static int tcp_flow_flush(struct tcp_flow *flow)
{
	uv_buf_t *iov;
	size_t len;
	int n, r;

	if (flow->writing || flow->opn == 0)
		return 0;
	n = tcp_pieces_iov(flow->opieces, flow->opn, flow->obuf, &iov, &len);
	if (n < 0)
		return n;
	r = uv_try_write((uv_stream_t *)&flow->host, iov, (unsigned int)n);
	free(iov);
	if (r == UV_EAGAIN || r == UV_ENOSYS)
		r = 0;
	if (r < 0)
		return r;
	tcp_flow_consume(flow, (size_t)r);
	if (r > 0)
		tcp_flow_credit(flow, (size_t)r);
	tcp_flow_drained(flow);
	return tcp_flow_write(flow);
}

/*
 * The buffer a write is done with becomes the queue's while the next write
 * is under way: a busy flow's two buffers take turns, neither reallocated
 * (growing the queue from a page copied what it held at each doubling).
 * Otherwise it is freed, and so is an empty queue once nothing is written.
 */
static void tcp_flow_spare(struct tcp_flow *flow, char *buf, size_t cap,
			   struct tcp_piece *pieces, unsigned int pcap)
{
	bool busy = flow->writing && flow->phase != TCP_PHASE_CLOSED;

	if (busy && flow->opieces == NULL) {
		flow->opieces = pieces;
		flow->opcap = pcap;
	} else {
		free(pieces);
	}
	if (busy && flow->obuf == NULL) {
		flow->obuf = buf;
		flow->ocap = cap;
		return;
	}
	unet__budget_release(cap);
	free(buf);
	tcp_flow_drained(flow);
}

static void tcp_host_write_cb(uv_write_t *req, int status)
{
	struct tcp_flow *flow = req->data;
	size_t written = flow->wlen, cap = flow->wcap;
	char *buf = flow->wbuf;
	struct tcp_piece *pieces = flow->wpieces;
	unsigned int pcap = flow->wpcap;

	flow->writing = false;
	tcp_pieces_free(pieces, flow->wpn);
	flow->wbuf = NULL;
	flow->wpieces = NULL;
	flow->wlen = flow->wcap = flow->wheld = 0;
	flow->wpn = flow->wpcap = 0;
	if (status == UV_ECANCELED || flow->phase == TCP_PHASE_CLOSED) {
		tcp_flow_spare(flow, buf, cap, pieces, pcap);
		return;
	}
	if (status < 0) {
		tcp_flow_spare(flow, buf, cap, pieces, pcap);
		/* the kernel's TCP_USER_TIMEOUT: a stall it saw first */
		if (status == UV_ETIMEDOUT)
			flow->base.proxy->stats.tcp_stalled++;
		tcp_flow_reset(flow);
		return;
	}
	tcp_flow_credit(flow, written);
	if (flow->pcb != NULL)
		tcp_output(flow->pcb);
	if (tcp_flow_write(flow) < 0) {
		tcp_flow_spare(flow, buf, cap, pieces, pcap);
		tcp_flow_reset(flow);
		return;
	}
	tcp_flow_spare(flow, buf, cap, pieces, pcap);
	tcp_host_maybe_shutdown(flow);
}

/* Only there to keep the loop from blocking before the turn's end. */
static void tcp_turn_idle_cb(uv_idle_t *idle)
{
	uv_idle_stop(idle);
}

/*
 * The turn's end: each flow that wrote this turn writes what it queued
 * since, in one write.
 */
static void tcp_turn_end_cb(uv_check_t *check)
{
	struct unet_proxy *proxy = check->data;
	struct tcp_flow *flow;

	uv_check_stop(check);
	uv_idle_stop(&proxy->tcp_turn_idle);
	while ((flow = proxy->tcp_turn) != NULL) {
		proxy->tcp_turn = flow->turn_next;
		flow->turn_next = NULL;
		flow->in_turn = false;
		if (flow->phase == TCP_PHASE_CLOSED)
			continue;
		if (tcp_flow_flush(flow) < 0) {
			tcp_flow_reset(flow);
			continue;
		}
		/*
		 * The ACK held back for the turn's segments, and a window the
		 * write opened: say so now, as the write cb does.
		 */
		if (flow->pcb != NULL) {
			if (flow->ack_owed)
				unet__lwip_tcp_ack_now(flow->pcb);
			tcp_output(flow->pcb);
		}
		flow->ack_owed = false;
		tcp_host_maybe_shutdown(flow);
	}
}

/* The flow wrote to the host this turn: what follows waits for its end. */
static void tcp_turn_join(struct tcp_flow *flow)
{
	struct unet_proxy *proxy = flow->base.proxy;

	if (flow->in_turn)
		return;
	flow->in_turn = true;
	flow->turn_next = proxy->tcp_turn;
	proxy->tcp_turn = flow;
	uv_check_start(&proxy->tcp_turn_end, tcp_turn_end_cb);
}

/**
 * unet__tcp_turn_init() - the handles of the loop turn's end (tcp.c)
 * @proxy: a new proxy
 *
 * Neither keeps the loop alive: they run only while flows wait for them.
 */
void unet__tcp_turn_init(struct unet_proxy *proxy)
{
	uv_check_init(proxy->loop, &proxy->tcp_turn_end);
	uv_idle_init(proxy->loop, &proxy->tcp_turn_idle);
	proxy->tcp_turn_end.data = proxy;
	proxy->tcp_turn_idle.data = proxy;
	uv_unref((uv_handle_t *)&proxy->tcp_turn_end);
	uv_unref((uv_handle_t *)&proxy->tcp_turn_idle);
}

static void tcp_turn_closed(uv_handle_t *handle)
{
	unet__flow_proxy_unref(handle->data);
}

/**
 * unet__tcp_turn_close() - close them, once every flow is closed
 * @proxy: the closing proxy, which they hold until closed
 */
void unet__tcp_turn_close(struct unet_proxy *proxy)
{
	struct tcp_flow *flow;

	while ((flow = proxy->tcp_turn) != NULL) {
		proxy->tcp_turn = flow->turn_next;
		flow->turn_next = NULL;
		flow->in_turn = false;
	}
	unet__flow_proxy_ref(proxy);
	unet__flow_proxy_ref(proxy);
	uv_close((uv_handle_t *)&proxy->tcp_turn_end, tcp_turn_closed);
	uv_close((uv_handle_t *)&proxy->tcp_turn_idle, tcp_turn_closed);
}

/*
 * Takes what lwIP received for the host: the turn's first written at once
 * as far as the socket takes it, the rest queued (a guest's small segments
 * copied, costing their bytes, not a buffer each) and written as the
 * socket drains, or at the turn's end. Return: ERR_OK (@p taken), ERR_MEM
 * (@p left to lwIP, which offers it again: the host is backed up and the
 * memory budget spent) or ERR_ABRT (the flow was reset).
 */
static err_t tcp_guest_data(struct tcp_flow *flow, struct pbuf *p)
{
	uv_buf_t bufs[TCP_FLOW_IOV];
	size_t total = p->tot_len, done = 0;
	unsigned int n = 0;
	struct pbuf *q;
	int r;

	if (tcp_flow_out_pending(flow)) {
		if (unet__budget_free_for(tcp_flow_held(flow)) == 0) {
			flow->base.proxy->stats.tcp_data_deferred++;
			return ERR_MEM;
		}
	} else if (flow->in_turn) {
		/* wrote this turn: the rest goes at its end (tcp_turn_end_cb) */
		uv_idle_start(&flow->base.proxy->tcp_turn_idle,
			      tcp_turn_idle_cb);
	} else {
		for (q = p; q != NULL && n < TCP_FLOW_IOV; q = q->next)
			bufs[n++] = uv_buf_init(q->payload, q->len);
		r = q == NULL ? uv_try_write((uv_stream_t *)&flow->host, bufs,
					     n) :
				UV_EAGAIN;
		if (r == UV_EAGAIN || r == UV_ENOSYS)
			r = 0;
		if (r < 0) {
			pbuf_free(p);
			tcp_flow_reset(flow);
			return ERR_ABRT;
		}
		done = (size_t)r;
		tcp_turn_join(flow);
	}
	flow->base.bytes_out += total;
	unet__flow_touch(&flow->base);
	r = done < total ? tcp_flow_queue(flow, p, done) : 0;
	if (r < 0) {
		pbuf_free(p);
		tcp_flow_reset(flow);
		return ERR_ABRT;
	}
	if (r == 0)
		pbuf_free(p);
	if (done > 0)
		tcp_flow_credit(flow, done);
	r = 0;
	if (!flow->in_turn)
		r = tcp_flow_write(flow);
	else if (flow->olen + flow->oheld >= TCP_FLOW_TURN_MAX)
		r = tcp_flow_flush(flow);
	if (r < 0) {
		tcp_flow_reset(flow);
		return ERR_ABRT;
	}
	/*
	 * lwIP acknowledges every second segment; the turn's end does it once
	 * for all of the turn's (a bulk sender's 64 KiB segments cost a tap
	 * write each other one otherwise).
	 */
	if (flow->in_turn && unet__lwip_tcp_ack_defer(flow->pcb))
		flow->ack_owed = true;
	return ERR_OK;
}

static err_t tcp_pcb_recv_cb(void *arg, struct tcp_pcb *pcb, struct pbuf *p,
			     err_t err)
{
	struct tcp_flow *flow = arg;

	if (flow == NULL) {
		if (p != NULL) {
			tcp_recved(pcb, p->tot_len);
			pbuf_free(p);
		}
		return ERR_OK;
	}
	if (p == NULL) {
		flow->guest_fin = true;
		tcp_host_maybe_shutdown(flow);
		tcp_flow_check_done(flow);
		return flow->aborted ? ERR_ABRT : ERR_OK;
	}
	if (err != ERR_OK || flow->host_shut) {
		/* Data after the guest's own FIN, or an error: reset. */
		pbuf_free(p);
		tcp_flow_reset(flow);
		return ERR_ABRT;
	}
	return tcp_guest_data(flow, p);
}

/* ---- host to guest ------------------------------------------------------ */

/*
 * Queues host bytes in lwIP as its send buffer allows; returns how many it
 * took, or -1 when the flow was reset.
 */
static ssize_t tcp_flow_send(struct tcp_flow *flow, const char *data,
			     size_t len)
{
	struct tcp_pcb *pcb = flow->pcb;
	size_t done = 0, n, room;
	err_t e;

	while (done < len) {
		room = tcp_sndbuf(pcb);
		if (room == 0 || tcp_sndqueuelen(pcb) >= TCP_SND_QUEUELEN - 4)
			break;
		n = len - done;
		if (n > room) {
			/*
			 * Whole segments: lwIP would fill a short one from
			 * the next write in a second pbuf, and a chained
			 * segment is copied once more on its way out.
			 */
			n = room > pcb->mss ? room - room % pcb->mss : room;
		}
		e = tcp_write(pcb, data + done, (u16_t)n, TCP_WRITE_FLAG_COPY);
		if (e == ERR_MEM)
			break;
		if (e != ERR_OK) {
			tcp_flow_reset(flow);
			return -1;
		}
		done += n;
	}
	flow->base.bytes_in += done;
	return (ssize_t)done;
}

/*
 * The longest segment lwIP queues toward the guest (tcp_write()'s own rule:
 * the MSS, or half the largest window the guest offered, if less) when it
 * is TCP_HOLD_MIN or more, so that a long read becomes segments as it is
 * (tcp_flow_send_held()); 0 otherwise.
 */
static size_t tcp_flow_hold_seg(const struct tcp_pcb *pcb)
{
	size_t seg = pcb->mss, half = pcb->snd_wnd_max / 2;

	if (half > 0xffff)
		half = 0xffff;
	if (half != 0 && half < seg)
		seg = half;
	return seg >= TCP_HOLD_MIN ? seg : 0;
}

/*
 * Keeps host bytes lwIP had no room for aside, until the guest's ACKs make
 * room (tcp_flow_push()); 0, or -1 when the flow was reset.
 */
static int tcp_flow_pend(struct tcp_flow *flow, const void *data, size_t len)
{
	flow->pend = malloc(len);
	if (flow->pend == NULL) {
		tcp_flow_reset(flow);
		return -1;
	}
	memcpy(flow->pend, data, len);
	flow->pend_len = len;
	unet__budget_charge(len);
	return 0;
}

/*
 * Queues a long read in the proxy's spare buffer as lwIP's segments over
 * the buffer itself, which then belongs to them (stack/hostbuf.c); what
 * lwIP had no room for is kept aside (copied). Returns 0, or -1 when the
 * flow was reset; false in @held when the read could not be cut (then
 * nothing was done).
 */
static int tcp_flow_send_held(struct tcp_flow *flow, size_t len, bool *held)
{
	struct unet_proxy *proxy = flow->base.proxy;
	struct pbuf *pieces[UNET_HOSTBUF_PIECES];
	unsigned int n, i = 0;
	size_t done = 0, l;
	err_t e = ERR_OK;
	int r = 0;

	n = unet__hostbuf_cut(&proxy->tcp_spare, len,
			      tcp_flow_hold_seg(flow->pcb), pieces);
	*held = n != 0;
	for (; i < n; i++) {
		l = pieces[i]->tot_len; /* lwIP's once queued */
		e = tcp_write_pbuf(flow->pcb, pieces[i],
				   i + 1 < n ? TCP_WRITE_FLAG_MORE : 0);
		if (e != ERR_OK)
			break;
		done += l;
	}
	flow->base.bytes_in += done;
	if (i < n) {
		/* the pieces left lie one after the other */
		if (e == ERR_MEM)
			r = tcp_flow_pend(flow, pieces[i]->payload, len - done);
		else
			tcp_flow_reset(flow);
		for (; i < n; i++)
			pbuf_free(pieces[i]);
	}
	return e == ERR_OK || e == ERR_MEM ? r : -1;
}

/*
 * Moves host bytes that waited for room into lwIP, sends the guest a FIN
 * once the host's EOF is reached, and reads the host again when nothing
 * waits.
 */
static void tcp_flow_push(struct tcp_flow *flow)
{
	struct tcp_pcb *pcb = flow->pcb;
	ssize_t n;

	if (pcb == NULL)
		return;
	if (flow->pend_len > 0) {
		n = tcp_flow_send(flow, flow->pend + flow->pend_off,
				  flow->pend_len - flow->pend_off);
		if (n < 0)
			return;
		flow->pend_off += (size_t)n;
		if (flow->pend_off == flow->pend_len) {
			unet__budget_release(flow->pend_len);
			free(flow->pend);
			flow->pend = NULL;
			flow->pend_off = flow->pend_len = 0;
		}
	}
	if (flow->pend_len == 0 && flow->host_eof && !flow->guest_shut) {
		flow->guest_shut = true;
		if (tcp_shutdown(pcb, 0, 1) != ERR_OK) {
			tcp_flow_reset(flow);
			return;
		}
	}
	tcp_output(pcb);
	if (flow->pend_len == 0) {
		tcp_flow_read_start(flow);
	} else if (flow->reading) {
		/* lwIP is full: read again once the guest acknowledges. */
		uv_read_stop((uv_stream_t *)&flow->host);
		flow->reading = false;
	}
	tcp_flow_check_done(flow);
}

/*
 * Reads go to the proxy's one buffer and from there straight into lwIP, so
 * an idle flow holds no buffer. A read is as large as lwIP has room for and
 * the memory budget allows; with neither, reading stops until the guest
 * acknowledges (tcp_pcb_sent_cb()) or the budget frees (tcp_pcb_poll_cb()).
 */
static void tcp_host_alloc_cb(uv_handle_t *handle, size_t suggested,
			      uv_buf_t *buf)
{
	struct tcp_flow *flow = tcp_flow_of(handle->data);
	/* snd_buf itself: tcp_sndbuf() caps it at 64 KiB */
	size_t room = flow->pcb != NULL ? flow->pcb->snd_buf : 0;
	size_t left = unet__budget_free_for(tcp_flow_held(flow));

	if (room > PROXY_RBUF)
		room = PROXY_RBUF;
	/* whole segments: no short one after each read */
	if (flow->pcb != NULL && room > flow->pcb->mss)
		room -= room % flow->pcb->mss;
	if (room > left) {
		room = left;
		flow->base.proxy->stats.tcp_reads_deferred++;
	}
	if (flow->pend_len != 0 || room == 0) {
		*buf = uv_buf_init(NULL, 0);
		return;
	}
	if (room >= TCP_HOLD_MIN && tcp_flow_hold_seg(flow->pcb) != 0) {
		struct unet__hostbuf **spare = &flow->base.proxy->tcp_spare;

		if (*spare == NULL)
			*spare = unet__hostbuf_new(PROXY_RBUF);
		if (*spare != NULL) {
			*buf = uv_buf_init((char *)unet__hostbuf_data(*spare),
					   (unsigned int)room);
			return;
		}
	}
	*buf = uv_buf_init(flow->base.proxy->rbuf, (unsigned int)room);
}

static void tcp_host_read_cb(uv_stream_t *stream, ssize_t nread,
			     const uv_buf_t *buf)
{
	struct tcp_flow *flow = tcp_flow_of(stream->data);
	struct unet__hostbuf *spare = flow->base.proxy->tcp_spare;
	bool held = false;
	size_t len;
	ssize_t n;

	if (nread == 0)
		return;
	if (nread == UV_ENOBUFS) {
		uv_read_stop(stream);
		flow->reading = false;
		return;
	}
	if (nread == UV_EOF) {
		uv_read_stop(stream);
		flow->reading = false;
		flow->host_eof = true;
		tcp_flow_push(flow);
		return;
	}
	if (nread < 0 || flow->pcb == NULL) {
		/* the kernel's TCP_USER_TIMEOUT: what it sent went nowhere */
		if (nread == UV_ETIMEDOUT)
			flow->base.proxy->stats.tcp_stalled++;
		tcp_flow_reset(flow);
		return;
	}
	unet__flow_touch(&flow->base);
	len = (size_t)nread;
	if (len >= TCP_HOLD_MIN && spare != NULL &&
	    buf->base == (char *)unet__hostbuf_data(spare)) {
		if (tcp_flow_send_held(flow, len, &held) < 0)
			return;
		if (held) {
			tcp_flow_push(flow);
			return;
		}
	}
	n = tcp_flow_send(flow, buf->base, len);
	if (n < 0)
		return;
	/* lwIP's queue ran out first: keep the rest aside. */
	if ((size_t)n < len &&
	    tcp_flow_pend(flow, buf->base + n, len - (size_t)n) < 0)
		return;
	tcp_flow_push(flow);
}

static void tcp_flow_read_start(struct tcp_flow *flow)
{
	if (flow->reading || flow->host_eof ||
	    flow->phase != TCP_PHASE_ESTABLISHED)
		return;
	if (uv_read_start((uv_stream_t *)&flow->host, tcp_host_alloc_cb,
			  tcp_host_read_cb) == 0)
		flow->reading = true;
}

static err_t tcp_pcb_sent_cb(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct tcp_flow *flow = arg;

	if (flow == NULL)
		return ERR_OK;
	tcp_flow_push(flow);
	return flow->aborted ? ERR_ABRT : ERR_OK;
}

static void tcp_pcb_err_cb(void *arg, err_t err)
{
	struct tcp_flow *flow = arg;

	if (flow == NULL)
		return;
	/* lwIP has freed the pcb already (guest RST, or retransmissions ran out) */
	flow->pcb = NULL;
	tcp_flow_close_handles(flow, true);
}

/* ---- timers ------------------------------------------------------------- */

static void tcp_timer_cb(struct unet_timer *timer);

/*
 * Has the host taken nothing of what is being written to it for the stall
 * timeout? Progress is what libuv has left to write going down.
 */
static bool tcp_flow_stalled(struct tcp_flow *flow)
{
	unsigned int limit = flow->base.proxy->cfg.tcp_stall_timeout_ms;
	size_t queue = uv_stream_get_write_queue_size(
		(uv_stream_t *)&flow->host);
	uint64_t now = unet_hub_now_ns(flow->base.proxy->hub);

	if (queue < flow->stall_queue) {
		flow->stall_queue = queue;
		flow->stall_ns = now;
		return false;
	}
	return limit != 0 && now - flow->stall_ns >= (uint64_t)limit * 1000000u;
}

/*
 * lwIP's poll, every TCP_FLOW_POLL_TICKS of its slow timer: ends a flow whose
 * host stopped taking data, gives back window the budget withheld, and
 * reads the host again if the budget stopped it.
 */
static err_t tcp_pcb_poll_cb(void *arg, struct tcp_pcb *pcb)
{
	struct tcp_flow *flow = arg;

	if (flow == NULL)
		return ERR_OK;
	if (flow->writing && !flow->stalled && tcp_flow_stalled(flow)) {
		/*
		 * Reset from the flow's timer, not here: an abort inside
		 * lwIP's timer makes it walk its list again from the start,
		 * which many flows stalling at once would make quadratic.
		 */
		flow->stalled = true;
		unet_timer_start(&flow->base.timer, tcp_timer_cb, 0);
		return ERR_OK;
	}
	if (!flow->host_opts) {
		/*
		 * Keepalives and the user timeout matter only to a flow that
		 * lives: set from its first poll, they cost a connection that
		 * ends sooner no system calls.
		 */
		flow->host_opts = true;
		uv_tcp_keepalive(&flow->host, 1, 60);
		tcp_host_user_timeout(flow);
	}
	if (flow->withheld > 0) {
		tcp_flow_credit(flow, 0);
		tcp_output(pcb);
	}
	if (!flow->reading && flow->pend_len == 0 && tcp_sndbuf(pcb) > 0 &&
	    unet__budget_free_for(tcp_flow_held(flow)) > 0)
		tcp_flow_read_start(flow);
	return flow->aborted ? ERR_ABRT : ERR_OK;
}

/*
 * A new flow's window starts as the budget allows (lwIP opens every
 * connection with the whole window); what it holds back is withheld credit.
 */
static void tcp_flow_window_init(struct tcp_flow *flow)
{
	struct tcp_pcb *pcb = flow->pcb;
	size_t full = TCP_WND_MAX(pcb), wnd = unet__budget_window(full, 0);

	if (wnd >= pcb->rcv_wnd)
		return;
	flow->base.proxy->stats.tcp_windows_shrunk++;
	flow->withheld = pcb->rcv_wnd - wnd;
	unet__lwip_tcp_window_set(pcb, wnd);
}

static void tcp_timer_cb(struct unet_timer *timer)
{
	struct tcp_flow *flow =
		container_of(timer, struct tcp_flow, base.timer);
	uint64_t idle_ms, limit = flow->base.proxy->cfg.tcp_idle_timeout_ms;

	if (flow->phase == TCP_PHASE_HOST_CONNECTING && flow->connect_err < 0) {
		tcp_connect_failed(flow, flow->connect_err);
		return;
	}
	if (flow->phase == TCP_PHASE_HOST_CONNECTING) {
		/* The connect took too long: the guest gets a RST. */
		flow->base.proxy->stats.tcp_timeouts++;
		if (flow->syn != NULL)
			tcp_flow_rst_syn(flow);
		tcp_flow_close_handles(flow, true);
		return;
	}
	if (flow->phase != TCP_PHASE_ESTABLISHED) {
		/* The guest never completed (or answered) the handshake. */
		tcp_flow_reset(flow);
		return;
	}
	if (flow->stalled) {
		flow->base.proxy->stats.tcp_stalled++;
		PROXY_LOG_GUEST(
			flow->base.proxy,
			"tcp flow to port %u: the host took nothing for %u ms: reset",
			flow->base.remote_port,
			flow->base.proxy->cfg.tcp_stall_timeout_ms);
		tcp_flow_reset(flow);
		return;
	}
	if (limit == 0)
		return;
	idle_ms =
		(unet_hub_now_ns(flow->base.proxy->hub) - flow->base.last_ns) /
		1000000u;
	if (idle_ms >= limit) {
		PROXY_LOG_GUEST(flow->base.proxy,
				"tcp flow idle for %llu ms: reset",
				(unsigned long long)idle_ms);
		tcp_flow_reset(flow);
		return;
	}
	unet_timer_start(&flow->base.timer, tcp_timer_cb, limit - idle_ms);
}

/*
 * The kernel gives up on the host connection when what it sent stays
 * unacknowledged (or the peer's window stays shut) for the stall timeout,
 * as the stall check does for what libuv still holds.
 */
static void tcp_host_user_timeout(struct tcp_flow *flow)
{
	unsigned int ms = flow->base.proxy->cfg.tcp_stall_timeout_ms;
	uv_os_fd_t fd;

	if (ms == 0 || uv_fileno((uv_handle_t *)&flow->host, &fd) != 0)
		return;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof(ms));
}

/* The handshake is done on both sides: start moving data. */
static void tcp_flow_established(struct tcp_flow *flow)
{
	struct tcp_pcb *pcb = flow->pcb;
	unsigned int idle = flow->base.proxy->cfg.tcp_idle_timeout_ms;

	flow->phase = TCP_PHASE_ESTABLISHED;
	tcp_arg(pcb, flow);
	tcp_recv(pcb, tcp_pcb_recv_cb);
	tcp_sent(pcb, tcp_pcb_sent_cb);
	tcp_err(pcb, tcp_pcb_err_cb);
	tcp_poll(pcb, tcp_pcb_poll_cb, TCP_FLOW_POLL_TICKS);
	tcp_nagle_disable(pcb);
	flow->mss = unet__stack_tcp_offload(flow->base.proxy->stack, pcb);
	flow->sndbuf = unet__stack_tcp_sndbuf(flow->base.proxy->stack, pcb);
	/* A guest that vanished is found by keepalives in about 7 minutes. */
	ip_set_option(pcb, SOF_KEEPALIVE);
	pcb->keep_idle = TCP_FLOW_KEEPIDLE_MS;
	pcb->keep_intvl = TCP_FLOW_KEEPINTVL_MS;
	pcb->keep_cnt = TCP_FLOW_KEEPCNT;
	tcp_flow_window_init(flow);
	uv_tcp_nodelay(&flow->host, 1);
	unet_timer_stop(&flow->base.timer);
	if (idle > 0)
		unet_timer_start(&flow->base.timer, tcp_timer_cb, idle);
	tcp_flow_read_start(flow);
}

/* ---- outbound: connect-first ------------------------------------------ */

static struct tcp_flow *tcp_flow_alloc(struct unet_proxy *proxy)
{
	struct tcp_flow *flow = calloc(1, sizeof(*flow));

	if (flow == NULL)
		return NULL;
	unet__flow_init(&flow->base, proxy, &tcp_flow_ops, IPPROTO_TCP);
	return flow;
}

/* Initialises the two handles; the flow is freed from their close. */
static int tcp_flow_handles_init(struct tcp_flow *flow)
{
	int r;

	r = uv_tcp_init(flow->base.proxy->loop, &flow->host);
	if (r < 0)
		return r;
	unet__flow_hold(&flow->base, (uv_handle_t *)&flow->host);
	unet__flow_timer_init(&flow->base);
	return 0;
}

/*
 * Gives an outbound flow's host handle its socket, bound to the outbound
 * address (unet__flow_bind_out()) before the connect.
 */
static int tcp_host_socket(struct tcp_flow *flow, const union unet_sockaddr *to)
{
	int fd = unet__flow_socket(flow->base.proxy, to->sa.sa_family,
				   SOCK_STREAM, 0);
	int r;

	if (fd < 0)
		return fd;
	r = uv_tcp_open(&flow->host, fd);
	if (r < 0)
		close(fd);
	return r;
}

static err_t tcp_listener_accept_cb(void *arg, struct tcp_pcb *newpcb,
				    err_t err)
{
	struct unet_proxy *proxy = arg;
	union unet_ip_addr guest, remote;
	sa_family_t family = AF_INET;
	struct proxy_flow *f;
	struct tcp_flow *flow;

	if (err != ERR_OK || newpcb == NULL)
		return ERR_VAL;
	if (proxy == NULL) {
		tcp_abort(newpcb);
		return ERR_ABRT;
	}
	if (IP_IS_V6_VAL(newpcb->remote_ip)) {
		family = AF_INET6;
		memcpy(guest.v6, ip_2_ip6(&newpcb->remote_ip)->addr,
		       sizeof(guest.v6));
		memcpy(remote.v6, ip_2_ip6(&newpcb->local_ip)->addr,
		       sizeof(remote.v6));
	} else {
		guest.v4 = ip_addr_get_ip4_u32(&newpcb->remote_ip);
		remote.v4 = ip_addr_get_ip4_u32(&newpcb->local_ip);
	}
	f = unet__flow_find(proxy, IPPROTO_TCP, family, &guest,
			    newpcb->remote_port, &remote, newpcb->local_port);
	if (f == NULL || f->ops != &tcp_flow_ops ||
	    tcp_flow_of(f)->phase != TCP_PHASE_GUEST_ACCEPTING) {
		tcp_abort(newpcb);
		return ERR_ABRT;
	}
	flow = tcp_flow_of(f);
	flow->pcb = newpcb;
	tcp_flow_established(flow);
	return ERR_OK;
}

/*
 * The listener that terminates port @port for the whole stack, both
 * families (bound to lwIP's any address of any type).
 */
static int tcp_listener_get(struct unet_proxy *proxy, uint16_t port)
{
	struct tcp_pcb *pcb, *lpcb;
	err_t err;

	if (proxy->listeners[port] != NULL)
		return 0;
	pcb = tcp_new_ip_type(IPADDR_TYPE_ANY);
	if (pcb == NULL)
		return -ENOMEM;
	ip_set_option(pcb, SOF_REUSEADDR);
	ip_set_option(pcb, SOF_KEEPALIVE);
	if (tcp_bind(pcb, IP_ANY_TYPE, port) != ERR_OK) {
		tcp_abort(pcb);
		return -EADDRINUSE;
	}
	lpcb = tcp_listen_with_backlog_and_err(pcb, TCP_DEFAULT_LISTEN_BACKLOG,
					       &err);
	if (lpcb == NULL) {
		tcp_abort(pcb);
		return -ENOMEM;
	}
	tcp_arg(lpcb, proxy);
	tcp_accept(lpcb, tcp_listener_accept_cb);
	proxy->listeners[port] = lpcb;
	return 0;
}

/**
 * unet__tcp_close_listeners() - close every listener of the proxy
 * @proxy: the proxy, closing
 */
void unet__tcp_close_listeners(struct unet_proxy *proxy)
{
	size_t port;

	for (port = 0; port < 65536; port++) {
		if (proxy->listeners[port] != NULL) {
			tcp_arg(proxy->listeners[port], NULL);
			tcp_close(proxy->listeners[port]);
			proxy->listeners[port] = NULL;
		}
	}
}

/* The host connect failed: tell the guest in the way the error calls for. */
static void tcp_connect_failed(struct tcp_flow *flow, int status)
{
	struct unet_proxy *proxy = flow->base.proxy;
	bool v6 = flow->base.family == AF_INET6, net = status == UV_ENETUNREACH;
	struct proxy_icmp_error m = { 0 };

	if (net || status == UV_EHOSTUNREACH) {
		/* ICMP: net (0) or host (1); RFC 4443 3.1: no route (0),
		 * address unreachable (3). */
		proxy->stats.tcp_unreachable++;
		m.type = v6 ? WIRE_ICMP6_UNREACH : WIRE_ICMP_UNREACH;
		m.code = net ? 0 : v6 ? 3 : WIRE_ICMP_UNREACH_HOST;
		unet__icmp_err_reply(proxy, flow->syn, flow->base.family, &m);
	} else {
		if (status == UV_ETIMEDOUT)
			proxy->stats.tcp_timeouts++;
		else
			proxy->stats.tcp_refused++;
		tcp_flow_rst_syn(flow);
	}
	tcp_flow_close_handles(flow, false);
}

/*
 * The host connection is up: the held SYN goes to lwIP again, this time to
 * be answered.
 */
static void tcp_host_connected(struct tcp_flow *flow)
{
	struct netif *gw = unet__stack_netif(flow->base.proxy->stack);
	struct pbuf *syn;

	if (tcp_listener_get(flow->base.proxy, flow->base.remote_port) < 0) {
		tcp_connect_failed(flow, UV_ECONNREFUSED);
		return;
	}
	/* A TIME_WAIT lwIP still holds on the 4-tuple ends for the new SYN. */
	if (flow->base.family == AF_INET)
		unet__lwip_tcp_timewait_end(flow->base.remote_addr.v4,
					    flow->base.remote_port,
					    flow->base.guest_addr.v4,
					    flow->base.guest_port);
	else
		unet__lwip_tcp_timewait_end6(flow->base.remote_addr.v6,
					     flow->base.remote_port,
					     flow->base.guest_addr.v6,
					     flow->base.guest_port);
	flow->phase = TCP_PHASE_GUEST_ACCEPTING;
	syn = flow->syn;
	flow->syn = NULL;
	/*
	 * From the loop, never from inside lwIP (tcp_input keeps per-segment
	 * globals): the SYN goes in again at the IP layer, and this time the
	 * flow accepts it. ip4_input() and ip6_input() own the pbuf whatever
	 * they return.
	 */
	if (flow->base.family == AF_INET)
		ip4_input(syn, gw);
	else
		ip6_input(syn, gw);
}

static void tcp_host_connect_cb(uv_connect_t *req, int status)
{
	struct tcp_flow *flow = req->data;

	/* A connect found done at once (tcp_host_connect_done()) is past. */
	if (status == UV_ECANCELED || flow->phase != TCP_PHASE_HOST_CONNECTING)
		return;
	if (status < 0) {
		tcp_connect_failed(flow, status);
		return;
	}
	tcp_host_connected(flow);
}

/*
 * Whether the connect libuv just started is already done: on the host's
 * loopback the kernel finishes the handshake inside connect(), and the
 * socket's TCP state says so, which saves the loop turn libuv waits for
 * the socket to become writable. libuv's connect request still completes
 * on that turn and is ignored (the phase moved on). A connect under way,
 * or refused, is left to libuv as before (TCP_INFO leaves the socket's
 * error for libuv to read; getsockopt() is also among the calls the
 * seccomp filter allows, poll() is not).
 */
static bool tcp_host_connect_done(struct tcp_flow *flow)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	uv_os_fd_t fd;

	if (uv_fileno((uv_handle_t *)&flow->host, &fd) != 0)
		return false;
	memset(&ti, 0, sizeof(ti));
	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 &&
	       ti.tcpi_state == TCP_ESTABLISHED;
}

static enum unet_verdict tcp_new_outbound(struct unet_proxy *proxy,
					  struct pbuf *p,
					  const struct unet_ip_pkt *pkt)
{
	uint32_t seq = wire_tcp_seq(pkt->l4.tcp);
	char a[INET6_ADDRSTRLEN + 8];
	union unet_sockaddr sa;
	struct tcp_flow *flow;
	int err;

	err = unet__flow_map_out(proxy, pkt, &sa);
	if (err == 0) {
		flow = tcp_flow_alloc(proxy);
		if (flow == NULL)
			err = -ENOMEM;
	}
	if (err == 0) {
		flow->base.hashed = true;
		flow->base.family = pkt->family;
		flow->base.guest_addr = pkt->src;
		flow->base.guest_port = pkt->sport;
		flow->base.remote_addr = pkt->dst;
		flow->base.remote_port = pkt->dport;
		flow->base.egress_dst = sa;
		flow->syn_seq = seq;
		err = unet__flow_add(&flow->base);
		if (err < 0)
			free(flow);
	}
	if (err == -EACCES && proxy->cfg.deny_tcp_icmp) {
		/* The egress policy refused it, and says so with ICMP. */
		unet__icmp_err_prohibited(proxy, p, pkt->family);
		return UNET_VERDICT_DROP;
	}
	if (err < 0) {
		/* Refused by policy (restrict, loopback=off, the egress
		 * policy) or the flow limit: a RST, at once. */
		tcp_rst_to_guest(pkt->family, &pkt->dst, pkt->dport, &pkt->src,
				 pkt->sport, seq + 1);
		return UNET_VERDICT_DROP;
	}
	proxy->stats.tcp_opened++;
	if (pkt->family == AF_INET6)
		proxy->stats.tcp6_opened++;
	flow->phase = TCP_PHASE_HOST_CONNECTING;
	flow->syn = pbuf_clone(PBUF_RAW, PBUF_RAM, p);
	err = flow->syn == NULL ? -ENOMEM : tcp_flow_handles_init(flow);
	if (err < 0) {
		unet__flow_remove(&flow->base);
		if (flow->syn != NULL)
			pbuf_free(flow->syn);
		free(flow);
		return UNET_VERDICT_DROP;
	}
	flow->connect_req.data = flow;
	err = tcp_host_socket(flow, &sa);
	if (err == 0)
		err = uv_tcp_connect(&flow->connect_req, &flow->host, &sa.sa,
				     tcp_host_connect_cb);
	if (err < 0) {
		/*
		 * Failed at once (no route, no ports left...): answer from the
		 * timer, outside lwIP's input path.
		 */
		PROXY_LOG_GUEST(proxy, "tcp connect to %s: %s",
				unet__sockaddr_str(&sa, a, sizeof(a)),
				uv_strerror(err));
		flow->connect_err = err;
		unet_timer_start(&flow->base.timer, tcp_timer_cb, 0);
		return UNET_VERDICT_DROP;
	}
	unet_timer_start(&flow->base.timer, tcp_timer_cb,
			 proxy->cfg.tcp_connect_timeout_ms);
	/*
	 * Done already (the host's loopback): the SYN goes on now. Nested in
	 * the stack's input hook, which runs before ip4_input() or
	 * ip6_input() touch lwIP's per-packet state, so feeding them another
	 * packet here is as if it came next.
	 */
	if (tcp_host_connect_done(flow))
		tcp_host_connected(flow);
	return UNET_VERDICT_DROP;
}

/**
 * unet__tcp_packet() - decide about a guest TCP segment the stack asks about
 * @proxy: the proxy
 * @p: the packet (payload at its IPv4 header); not freed here
 * @pkt: the packet parsed by the stack
 *
 * Return: UNET_VERDICT_ACCEPT for segments of flows lwIP terminates (and
 * for stray segments, which lwIP answers with a RST), UNET_VERDICT_DROP for
 * held SYNs, duplicates and malformed segments (counted).
 */
enum unet_verdict unet__tcp_packet(struct unet_proxy *proxy, struct pbuf *p,
				   const struct unet_ip_pkt *pkt)
{
	const struct wire_tcp *th = pkt->l4.tcp;
	struct proxy_flow *f;

	if (pkt->l4_bad) {
		proxy->stats.dropped++;
		return UNET_VERDICT_DROP;
	}
	if (th == NULL)
		return UNET_VERDICT_ACCEPT; /* a later fragment: lwIP reassembles */
	f = unet__flow_find(proxy, IPPROTO_TCP, pkt->family, &pkt->src,
			    pkt->sport, &pkt->dst, pkt->dport);
	if (f != NULL) {
		if (tcp_flow_of(f)->phase == TCP_PHASE_HOST_CONNECTING)
			return UNET_VERDICT_DROP; /* a retransmitted SYN */
		return UNET_VERDICT_ACCEPT;
	}
	if ((th->flags & (WIRE_TCP_SYN | WIRE_TCP_ACK | WIRE_TCP_RST |
			  WIRE_TCP_FIN)) != WIRE_TCP_SYN)
		return UNET_VERDICT_ACCEPT; /* no flow: lwIP answers with RST */
	if (pkt->fragment || pkt->sport == 0 || pkt->dport == 0 ||
	    !unet__stack_l4_csum_ok(p, pkt)) {
		proxy->stats.dropped++;
		return UNET_VERDICT_DROP;
	}
	return tcp_new_outbound(proxy, p, pkt);
}

/* ---- inbound: host-to-guest forwards ---------------------------------- */

static err_t tcp_guest_connected_cb(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct tcp_flow *flow = arg;

	if (flow == NULL)
		return ERR_ABRT;
	if (err != ERR_OK) {
		tcp_flow_reset(flow);
		return ERR_ABRT;
	}
	tcp_flow_established(flow);
	return ERR_OK;
}

/**
 * unet__tcp_inbound() - open a flow for a connection a forward accepted
 * @proxy: the proxy
 * @server: the forward's listening socket, with a connection pending
 * @guest: the guest's address and port, AF_INET or AF_INET6
 *
 * Accepts the connection and connects to the guest from the gateway's
 * address of the guest's family (its host address, or ip6_host), or with
 * keepsrc from the client's own address and port (unet__flow_fwd_src()):
 * lwIP's pcb is bound to that foreign address, and the guest's answers,
 * sent to it through the gateway, reach the pcb as any segment to a
 * foreign address reaches lwIP. On failure the host connection is closed
 * (or left unaccepted).
 *
 * Return: 0, or a negative errno.
 */
int unet__tcp_inbound(struct unet_proxy *proxy, uv_stream_t *server,
		      const union unet_sockaddr *guest)
{
	bool v6 = guest->sa.sa_family == AF_INET6;
	union unet_sockaddr peer;
	int r, len = sizeof(peer);
	struct tcp_flow *flow;
	uint16_t port, sport;
	ip_addr_t src, to;
	struct tcp_pcb *pcb;

	flow = tcp_flow_alloc(proxy);
	if (flow == NULL)
		return -ENOMEM;
	r = tcp_flow_handles_init(flow);
	if (r < 0) {
		free(flow);
		return r;
	}
	flow->phase = TCP_PHASE_GUEST_CONNECTING;
	flow->base.inbound = true;
	if (v6) {
		flow->base.family = AF_INET6;
		memcpy(flow->base.guest_addr.v6, &guest->in6.sin6_addr, 16);
		port = ntohs(guest->in6.sin6_port);
		ip_addr_set_zero_ip6(&to);
		memcpy(ip_2_ip6(&to)->addr, &guest->in6.sin6_addr, 16);
	} else {
		flow->base.guest_addr.v4 = guest->in.sin_addr.s_addr;
		port = ntohs(guest->in.sin_port);
		ip_addr_set_ip4_u32_val(to, guest->in.sin_addr.s_addr);
	}
	flow->base.guest_port = port;
	r = uv_accept(server, (uv_stream_t *)&flow->host);
	memset(&peer, 0, sizeof(peer));
	if (r == 0 && uv_tcp_getpeername(&flow->host, &peer.sa, &len) < 0)
		peer.sa.sa_family = AF_UNSPEC; /* shown as the gateway */
	unet__flow_fwd_src(proxy, &peer, flow->base.family, &src,
			   &flow->base.remote_addr, &sport);
	if (r == 0)
		r = unet__flow_add(&flow->base);
	if (r < 0) {
		/* Not in the flow table: its handles just close. */
		tcp_flow_close_handles(flow, false);
		return r;
	}
	proxy->stats.tcp_opened++;
	if (v6)
		proxy->stats.tcp6_opened++;

	pcb = tcp_new_ip_type(v6 ? IPADDR_TYPE_V6 : IPADDR_TYPE_V4);
	if (pcb == NULL) {
		tcp_flow_reset(flow);
		return -ENOMEM;
	}
	ip_set_option(pcb, SOF_REUSEADDR);
	flow->pcb = pcb;
	tcp_arg(pcb, flow);
	tcp_err(pcb, tcp_pcb_err_cb);
	if (tcp_bind(pcb, &src, sport) != ERR_OK ||
	    tcp_connect(pcb, &to, port, tcp_guest_connected_cb) != ERR_OK) {
		tcp_flow_reset(flow);
		return -EADDRNOTAVAIL;
	}
	flow->base.remote_port = pcb->local_port;
	unet_timer_start(&flow->base.timer, tcp_timer_cb,
			 proxy->cfg.tcp_connect_timeout_ms);
	return 0;
}
