/* SPDX-License-Identifier: MIT */
/*
 * script: the parser of `usernet replay` test scripts (see script.h).
 *
 * Theory of operation: the text is cut into lines (each at most
 * SCRIPT_LINE_MAX bytes), each line into words (quotes and comments
 * handled), and each step's words are checked against its op's shape. Words
 * holding a '$' are left for the runner to expand and check; everything
 * else that can be checked here is. Every step owns one allocation holding
 * its text and its words. Nothing a script says can make the parser read
 * out of bounds or allocate without bound: lines, words and steps are all
 * capped, and the first error stops the parse with one message naming the
 * line.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script.h"

static const char *const script_op_names[] = {
	[SCRIPT_SEED] = "seed",
	[SCRIPT_NETDEV] = "netdev",
	[SCRIPT_MTU] = "mtu",
	[SCRIPT_GUEST] = "guest",
	[SCRIPT_SEND] = "send",
	[SCRIPT_ADVANCE] = "advance",
	[SCRIPT_EXPECT] = "expect",
	[SCRIPT_EXPECT_NONE] = "expect-none",
	[SCRIPT_SERVE] = "serve",
	[SCRIPT_DISCARD] = "discard",
};
_Static_assert(sizeof(script_op_names) / sizeof(script_op_names[0]) ==
		       SCRIPT_OP_NUM,
	       "one name per script op");

/**
 * struct send_kind - the shape of one `send KIND` step
 * @name: the kind
 * @min_pos: fewest positional words after the kind
 * @max_pos: most positional words after the kind
 * @keys: the KEY=VALUE keys it takes, separated by '|' and enclosed in
 *        '|', e.g. "|id|seq|"
 */
struct send_kind {
	const char *name;
	int min_pos;
	int max_pos;
	const char *keys;
};

static const struct send_kind send_kinds[] = {
	{ "hex", 1, SCRIPT_WORDS_MAX, "||" },
	{ "pcap", 1, 2, "|filter|" },
	{ "arp", 1, 1, "|src|" },
	{ "icmp", 1, 1, "|id|seq|size|ttl|frag|ipid|" },
	{ "udp", 2, 2, "|payload|hex|size|frag|ttl|ipid|" },
	{ "tcp", 2, 2,
	  "|flags|seq|ack|win|payload|size|mss|wscale|ttl|ipid|count|" },
	{ "dhcp", 1, 1, "|xid|requested|server|ciaddr|" },
	{ "icmp6", 1, 1, "|id|seq|size|hlim|src|" },
	{ "rs", 0, 0, "|src|dst|sll|hlim|" },
	{ "ns", 1, 1, "|src|dst|sll|hlim|" },
	{ "dhcp6", 1, 1, "|xid|duid|iaid|addr|server|rapid|src|dst|hlim|" },
	{ "udp6", 2, 2, "|payload|hex|size|frag|hlim|src|" },
	{ "tcp6", 2, 2,
	  "|flags|seq|ack|win|payload|size|mss|wscale|hlim|src|count|frag|" },
};

static const char *const serve_kinds[] = {
	"tcp-echo",  "udp-echo",  "http",  "closed",  "tcp-hold",
	"tcp-echo6", "udp-echo6", "http6", "closed6",
};

static const char *const expect_fields[] = {
	"len", "eth.src", "eth.dst", "ip.src", "ip.dst", "ip.id", "ip.ttl",
	"tcp.sport", "tcp.dport", "tcp.seq", "tcp.ack", "tcp.win",
	"tcp.len", "udp.sport", "udp.dport", "udp.len", "icmp.id",
	"icmp.seq", "dhcp.xid", "dhcp.yiaddr", "dhcp.server",
};

/**
 * script_op_name() - the word that names an op
 * @op: the op
 *
 * Return: its name, "?" for a value out of range.
 */
const char *script_op_name(enum script_op op)
{
	return (unsigned int)op < SCRIPT_OP_NUM ? script_op_names[op] : "?";
}

/**
 * script_parse_u64() - a decimal (or 0x hexadecimal) number
 * @s: the text
 * @max: the largest value allowed
 * @out: receives the value
 *
 * Return: 0, or -EINVAL for anything but a whole number up to @max.
 */
int script_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/**
 * script_parse_duration() - a duration with its unit: 250ms, 2s, 1m
 * @s: the text: a whole number followed by ns, us, ms, s or m
 * @ns: receives it in nanoseconds
 *
 * Return: 0, or -EINVAL for a missing unit or a duration above
 * SCRIPT_DURATION_MAX.
 */
int script_parse_duration(const char *s, uint64_t *ns)
{
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 },
		{ "s", 1000000000 }, { "m", 60000000000ull },
	};
	unsigned long long v;
	char *end;
	size_t i;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -EINVAL;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) != 0)
			continue;
		if (v > SCRIPT_DURATION_MAX / units[i].ns)
			return -EINVAL;
		*ns = v * units[i].ns;
		return 0;
	}
	return -EINVAL;
}

static int script_error(char *err, size_t errlen, unsigned int line,
			const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int script_error(char *err, size_t errlen, unsigned int line,
			const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err == NULL || errlen == 0)
		return -EINVAL;
	n = snprintf(err, errlen, "line %u: ", line);
	if (n < 0 || (size_t)n >= errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/*
 * Cuts @line (modified in place) into words. Returns the number of words,
 * or -1 with @why set for an unterminated quote or too many words.
 */
static int script_split(char *line, char **words, const char **why)
{
	char *in = line, *out = line;
	int n = 0;

	for (;;) {
		while (*in == ' ' || *in == '\t')
			in++;
		if (*in == '\0' || *in == '#')
			return n;
		if (n == SCRIPT_WORDS_MAX) {
			*why = "too many words";
			return -1;
		}
		words[n++] = out;
		while (*in != '\0' && *in != ' ' && *in != '\t') {
			if (*in != '"') {
				*out++ = *in++;
				continue;
			}
			in++;
			while (*in != '"') {
				if (*in == '\0') {
					*why = "a quote is not closed";
					return -1;
				}
				if (*in == '\\' && (in[1] == '"' || in[1] == '\\'))
					in++;
				*out++ = *in++;
			}
			in++;
		}
		if (*in != '\0')
			in++;
		*out++ = '\0';
	}
}

static bool script_has_var(const char *s)
{
	return strchr(s, '$') != NULL;
}

static bool script_is_name(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return false;
	for (s++; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

static bool script_in_list(const char *word, const char *const *list,
			   size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(word, list[i]) == 0)
			return true;
	return false;
}

/* A KEY=VALUE word whose KEY is one of @keys ("|a|b|"). */
static bool script_key_ok(const char *word, const char *keys)
{
	const char *eq = strchr(word, '=');
	const char *p;
	size_t klen;

	if (eq == NULL || eq == word)
		return false;
	klen = (size_t)(eq - word);
	for (p = keys; (p = strstr(p, "|")) != NULL && p[1] != '\0'; p++)
		if (strncmp(p + 1, word, klen) == 0 && p[1 + klen] == '|')
			return true;
	return false;
}

static int script_check_send(struct script_step *st, char *err, size_t errlen)
{
	const struct send_kind *k = NULL;
	int i, pos = 0;
	size_t j;

	if (st->nwords < 2)
		return script_error(err, errlen, st->line,
				    "send: what? (hex, pcap, arp, icmp, udp, "
				    "tcp, dhcp, icmp6, rs, ns or dhcp6)");
	for (j = 0; j < sizeof(send_kinds) / sizeof(send_kinds[0]); j++)
		if (strcmp(st->words[1], send_kinds[j].name) == 0)
			k = &send_kinds[j];
	if (k == NULL)
		return script_error(err, errlen, st->line,
				    "send: unknown kind '%s'", st->words[1]);
	for (i = 2; i < st->nwords; i++) {
		const char *w = st->words[i];

		if (strcmp(k->name, "hex") != 0 && strchr(w, '=') != NULL &&
		    pos >= k->min_pos) {
			if (!script_key_ok(w, k->keys))
				return script_error(err, errlen, st->line,
						    "send %s: unknown key in "
						    "'%s'", k->name, w);
			continue;
		}
		if (++pos > k->max_pos)
			return script_error(err, errlen, st->line,
					    "send %s: too many arguments at "
					    "'%s'", k->name, w);
		if (strcmp(k->name, "hex") == 0 && !script_has_var(w)) {
			for (j = 0; w[j] != '\0'; j++)
				if (!isxdigit((unsigned char)w[j]) &&
				    w[j] != ':' && w[j] != '.')
					return script_error(
						err, errlen, st->line,
						"send hex: '%s' is not hex",
						w);
		}
		if (strcmp(k->name, "pcap") == 0 && pos == 2 &&
		    strcmp(w, "fast") != 0)
			return script_error(err, errlen, st->line,
					    "send pcap: expected 'fast' after "
					    "the file, not '%s'", w);
		if (strcmp(k->name, "dhcp") == 0 &&
		    strcmp(w, "discover") != 0 && strcmp(w, "request") != 0 &&
		    strcmp(w, "release") != 0)
			return script_error(err, errlen, st->line,
					    "send dhcp: '%s' is not discover, "
					    "request or release", w);
	}
	if (pos < k->min_pos)
		return script_error(err, errlen, st->line,
				    "send %s: missing argument", k->name);
	return 0;
}

static int script_check_expect(struct script_step *st, char *err,
			       size_t errlen)
{
	const char *name = script_op_name(st->op);
	int i = 1;

	st->count = 1;
	st->within_ns = 1000000000u;
	if (st->op == SCRIPT_EXPECT && i < st->nwords &&
	    isdigit((unsigned char)st->words[i][0])) {
		if (script_parse_u64(st->words[i], SCRIPT_COUNT_MAX,
				     &st->count) < 0 ||
		    st->count == 0)
			return script_error(err, errlen, st->line,
					    "expect: count '%s' is not 1..%u",
					    st->words[i], SCRIPT_COUNT_MAX);
		i++;
	}
	if (i >= st->nwords)
		return script_error(err, errlen, st->line,
				    "%s: missing the filter", name);
	st->filter = i++;
	while (i < st->nwords) {
		const char *w = st->words[i];

		if (strcmp(w, "within") == 0) {
			if (i + 1 >= st->nwords ||
			    script_parse_duration(st->words[i + 1],
						  &st->within_ns) < 0)
				return script_error(err, errlen, st->line,
						    "%s: 'within' needs a "
						    "duration such as 500ms",
						    name);
			i += 2;
			continue;
		}
		if (st->op == SCRIPT_EXPECT_NONE)
			return script_error(err, errlen, st->line,
					    "%s: unexpected '%s'", name, w);
		if (strcmp(w, "save") == 0) {
			char *eq;

			if (i + 1 >= st->nwords ||
			    (eq = strchr(st->words[i + 1], '=')) == NULL)
				return script_error(err, errlen, st->line,
						    "expect: 'save' needs "
						    "NAME=FIELD");
			*eq = '\0';
			if (!script_is_name(st->words[i + 1]) ||
			    !script_in_list(eq + 1, expect_fields,
					    sizeof(expect_fields) /
						    sizeof(expect_fields[0]))) {
				int bad = !script_is_name(st->words[i + 1]);

				*eq = '=';
				return script_error(err, errlen, st->line,
						    "expect: save %s: %s",
						    st->words[i + 1],
						    bad ? "bad name" :
							  "unknown field");
			}
			*eq = '=';
			i += 2;
			continue;
		}
		if (strcmp(w, "like") == 0 || strcmp(w, "mask") == 0) {
			if (i + 1 >= st->nwords)
				return script_error(err, errlen, st->line,
						    "expect: '%s' needs a "
						    "value", w);
			i += 2;
			continue;
		}
		return script_error(err, errlen, st->line,
				    "expect: unexpected '%s' (within, save, "
				    "like or mask?)", w);
	}
	return 0;
}

static int script_check(struct script_step *st, bool acted, char *err,
			size_t errlen)
{
	uint64_t v;
	int i;

	switch (st->op) {
	case SCRIPT_SEED:
	case SCRIPT_NETDEV:
	case SCRIPT_MTU:
		if (acted)
			return script_error(err, errlen, st->line,
					    "%s must come before the first "
					    "send, advance, expect or serve",
					    script_op_name(st->op));
		if (st->nwords != 2)
			return script_error(err, errlen, st->line,
					    "%s takes one value",
					    script_op_name(st->op));
		if (st->op == SCRIPT_SEED &&
		    (script_parse_u64(st->words[1], UINT64_MAX, &v) < 0 ||
		     v == 0))
			return script_error(err, errlen, st->line,
					    "seed: '%s' is not a number above "
					    "0", st->words[1]);
		if (st->op == SCRIPT_MTU &&
		    (script_parse_u64(st->words[1], 65520, &v) < 0 || v < 576))
			return script_error(err, errlen, st->line,
					    "mtu: '%s' is not 576..65520",
					    st->words[1]);
		if (st->op == SCRIPT_NETDEV &&
		    strncmp(st->words[1], "user", 4) != 0)
			return script_error(err, errlen, st->line,
					    "netdev: only 'user,...' options "
					    "configure a replay");
		return 0;
	case SCRIPT_GUEST:
		for (i = 1; i < st->nwords; i++)
			if (!script_key_ok(st->words[i], "|mac|ip|"))
				return script_error(err, errlen, st->line,
						    "guest: '%s' is not mac= or "
						    "ip=", st->words[i]);
		return 0;
	case SCRIPT_SEND:
		return script_check_send(st, err, errlen);
	case SCRIPT_ADVANCE:
		if (st->nwords != 2 ||
		    script_parse_duration(st->words[1], &st->duration_ns) < 0)
			return script_error(err, errlen, st->line,
					    "advance: needs one duration such "
					    "as 500ms, 2s or 1m");
		return 0;
	case SCRIPT_EXPECT:
	case SCRIPT_EXPECT_NONE:
		return script_check_expect(st, err, errlen);
	case SCRIPT_SERVE:
		if (st->nwords < 3 || st->nwords > 4 ||
		    !script_in_list(st->words[1], serve_kinds,
				    sizeof(serve_kinds) /
					    sizeof(serve_kinds[0])))
			return script_error(
				err, errlen, st->line,
				"serve: KIND NAME, KIND one of "
				"tcp-echo, udp-echo, http, closed, tcp-hold (or with 6: on ::1)");
		if (!script_is_name(st->words[2]))
			return script_error(err, errlen, st->line,
					    "serve: '%s' is not a name",
					    st->words[2]);
		if (st->nwords == 4 &&
		    (strncmp(st->words[3], "size=", 5) != 0 ||
		     (strcmp(st->words[1], "http") != 0 &&
		      strcmp(st->words[1], "http6") != 0) ||
		     script_parse_u64(st->words[3] + 5, SCRIPT_HTTP_MAX, &v) <
			     0))
			return script_error(err, errlen, st->line,
					    "serve: only http takes size=N "
					    "(up to 64 MiB)");
		return 0;
	case SCRIPT_DISCARD:
		if (st->nwords != 1)
			return script_error(err, errlen, st->line,
					    "discard takes nothing");
		return 0;
	case SCRIPT_OP_NUM:
		break;
	}
	return script_error(err, errlen, st->line, "bad step");
}

/* Parses one line (@len bytes at @p) into @st; 0 for a blank line. */
static int script_line(const char *p, size_t len, unsigned int lineno,
		       struct script_step *st, char *err, size_t errlen)
{
	const char *why = NULL;
	char *buf;
	size_t tlen;
	int n, op;

	while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == ' ' ||
			   p[len - 1] == '\t'))
		len--;
	while (len > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		len--;
	}
	if (memchr(p, '\0', len) != NULL)
		return script_error(err, errlen, lineno, "a NUL byte");
	/* The text once for messages, once more to be cut into words. */
	buf = malloc(2 * len + 2);
	if (buf == NULL)
		return -ENOMEM;
	memcpy(buf, p, len);
	buf[len] = '\0';
	tlen = len;
	memcpy(buf + tlen + 1, p, len);
	buf[tlen + 1 + len] = '\0';
	memset(st, 0, sizeof(*st));
	st->line = lineno;
	st->text = buf;
	n = script_split(buf + tlen + 1, st->words, &why);
	if (n < 0) {
		free(buf);
		return script_error(err, errlen, lineno, "%s", why);
	}
	if (n == 0) {
		free(buf);
		return 0;
	}
	st->nwords = n;
	for (op = 0; op < SCRIPT_OP_NUM; op++)
		if (strcmp(st->words[0], script_op_names[op]) == 0)
			break;
	if (op == SCRIPT_OP_NUM) {
		script_error(err, errlen, lineno, "unknown step '%s'",
			     st->words[0]);
		free(buf);
		return -EINVAL;
	}
	st->op = (enum script_op)op;
	return 1;
}

/**
 * script_parse() - parse a whole script
 * @text: the script (need not be NUL-terminated)
 * @len: its length
 * @script: receives the steps; script_free() releases them
 * @err: receives "line N: why" on failure
 * @errlen: size of @err
 *
 * Return: 0, -EINVAL with @err set, -ENOMEM.
 */
int script_parse(const char *text, size_t len, struct script *script,
		 char *err, size_t errlen)
{
	struct script_step st;
	unsigned int lineno = 0;
	bool acted = false;
	size_t off = 0, cap = 0;
	int r;

	memset(script, 0, sizeof(*script));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t llen = nl != NULL ? (size_t)(nl - (text + off)) :
					   len - off;

		lineno++;
		if (llen > SCRIPT_LINE_MAX) {
			r = script_error(err, errlen, lineno,
					 "longer than %u bytes",
					 SCRIPT_LINE_MAX);
			goto fail;
		}
		r = script_line(text + off, llen, lineno, &st, err, errlen);
		off += llen + (nl != NULL);
		if (r < 0)
			goto fail;
		if (r == 0)
			continue;
		r = script_check(&st, acted, err, errlen);
		if (r == 0 && script->n_steps == SCRIPT_STEPS_MAX)
			r = script_error(err, errlen, lineno,
					 "more than %u steps",
					 SCRIPT_STEPS_MAX);
		if (r == 0 && script->n_steps == cap) {
			size_t ncap = cap != 0 ? 2 * cap : 16;
			struct script_step *ns;

			ns = realloc(script->steps, ncap * sizeof(*ns));
			if (ns == NULL)
				r = -ENOMEM;
			else {
				script->steps = ns;
				cap = ncap;
			}
		}
		if (r < 0) {
			free(st.text);
			goto fail;
		}
		if (st.op == SCRIPT_SEND || st.op == SCRIPT_ADVANCE ||
		    st.op == SCRIPT_EXPECT || st.op == SCRIPT_EXPECT_NONE ||
		    st.op == SCRIPT_SERVE)
			acted = true;
		script->steps[script->n_steps++] = st;
	}
	return 0;
fail:
	script_free(script);
	return r;
}

/**
 * script_free() - release a parsed script
 * @script: the script; its fields are cleared
 */
void script_free(struct script *script)
{
	size_t i;

	for (i = 0; i < script->n_steps; i++)
		free(script->steps[i].text);
	free(script->steps);
	script->steps = NULL;
	script->n_steps = 0;
}
