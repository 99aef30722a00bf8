/* SPDX-License-Identifier: MIT */
/*
 * replay_serve: the host-side peers a replay script starts with `serve`
 * (tcp-echo, udp-echo, http, closed, tcp-hold), each on a loopback port of
 * its own, living on the run's loop until the run ends.
 */
#ifndef USERNET_TOOLS_REPLAY_SERVE_H
#define USERNET_TOOLS_REPLAY_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct replay_responder;
struct replay_conn;

/**
 * struct replay_serve - the responders of one run
 * @loop: the run's loop
 * @responders: the listening (or bound) sockets
 * @conns: how many accepted connections are open
 * @conn_list: those connections
 */
struct replay_serve {
	uv_loop_t *loop;
	struct replay_responder *responders;
	unsigned int conns;
	struct replay_conn *conn_list;
};

void replay_serve_init(struct replay_serve *srv, uv_loop_t *loop);
int replay_serve_start(struct replay_serve *srv, const char *kind, size_t size,
		       uint16_t *port);
bool replay_serve_busy(const struct replay_serve *srv);
void replay_serve_close(struct replay_serve *srv);

#endif /* USERNET_TOOLS_REPLAY_SERVE_H */
