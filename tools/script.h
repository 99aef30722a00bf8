/* SPDX-License-Identifier: MIT */
/*
 * script: the parser of `usernet replay` test scripts.
 *
 * A script is a list of lines; each holds one step, words separated by
 * blanks, a word in double quotes may hold blanks (\" and \\ inside), and
 * '#' outside quotes starts a comment. The parser does no I/O: it checks the
 * shape of every step (known words, required arguments, numbers and
 * durations that hold no $variable) and keeps the words for the runner,
 * which expands $variables and builds frames. See README "Replay scripts".
 */
#ifndef USERNET_TOOLS_SCRIPT_H
#define USERNET_TOOLS_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

/** Most words one step may have. */
#define SCRIPT_WORDS_MAX 32
/** Longest line of a script, in bytes. */
#define SCRIPT_LINE_MAX 8192
/** Most steps one script may have. */
#define SCRIPT_STEPS_MAX 10000
/** Most frames one expect step may wait for. */
#define SCRIPT_COUNT_MAX 100000
/** Largest body a `serve http` responder sends (each connection holds it). */
#define SCRIPT_HTTP_MAX (64u << 20)
/** Longest virtual duration a step may name (one day). */
#define SCRIPT_DURATION_MAX (86400ull * 1000000000ull)

/**
 * enum script_op - what a step does
 * @SCRIPT_SEED: seed N: the random seed (before the first action)
 * @SCRIPT_NETDEV: netdev user,...: the stack's options (before any action)
 * @SCRIPT_MTU: mtu N: the hub's MTU (before any action)
 * @SCRIPT_GUEST: guest [mac=MAC] [ip=ADDR]: who built frames come from
 * @SCRIPT_SEND: send KIND ...: inject frames from the guest
 * @SCRIPT_ADVANCE: advance DURATION: move the virtual clock
 * @SCRIPT_EXPECT: expect [N] FILTER ...: wait for frames towards the guest
 * @SCRIPT_EXPECT_NONE: expect-none FILTER [within D]: no such frame
 * @SCRIPT_SERVE: serve KIND NAME ...: start a host-side responder
 * @SCRIPT_DISCARD: discard: forget the frames no expect took
 * @SCRIPT_OP_NUM: the number of ops
 */
enum script_op {
	SCRIPT_SEED,
	SCRIPT_NETDEV,
	SCRIPT_MTU,
	SCRIPT_GUEST,
	SCRIPT_SEND,
	SCRIPT_ADVANCE,
	SCRIPT_EXPECT,
	SCRIPT_EXPECT_NONE,
	SCRIPT_SERVE,
	SCRIPT_DISCARD,
	SCRIPT_OP_NUM
};

/**
 * struct script_step - one parsed line
 * @op: what it does
 * @line: its line number, from 1
 * @text: the line as written, without comment and outer blanks
 * @nwords: how many of @words there are
 * @words: the words after unquoting; @words[0] is the op's name
 * @count: expect: how many frames (default 1)
 * @within_ns: expect, expect-none: the virtual time limit (default 1 s)
 * @duration_ns: advance: how far
 * @filter: expect, expect-none: index in @words of the BPF filter
 */
struct script_step {
	enum script_op op;
	unsigned int line;
	char *text;
	int nwords;
	char *words[SCRIPT_WORDS_MAX];
	uint64_t count;
	uint64_t within_ns;
	uint64_t duration_ns;
	int filter;
};

/**
 * struct script - a parsed script
 * @steps: the steps, in order
 * @n_steps: how many
 */
struct script {
	struct script_step *steps;
	size_t n_steps;
};

int script_parse(const char *text, size_t len, struct script *script,
		 char *err, size_t errlen);
void script_free(struct script *script);
const char *script_op_name(enum script_op op);
int script_parse_duration(const char *s, uint64_t *ns);
int script_parse_u64(const char *s, uint64_t max, uint64_t *out);

#endif /* USERNET_TOOLS_SCRIPT_H */
