/* SPDX-License-Identifier: MIT */
/*
 * The egress policy: its text format and its matcher.
 *
 * Theory of operation: a policy is text, one rule a line,
 *
 *   allow|deny [tcp|udp|icmp] [to CIDR] [port N[-M]]
 *   default allow|deny
 *
 * with `#` starting a comment and blank lines ignored; the parts of a rule
 * may come in any order, each once. unet_policy_parse() turns it into an
 * array of struct policy_rule (at most UNET_POLICY_RULES_MAX) or fails
 * with the first bad line's name:line and what is wrong with it in the
 * caller's buffer; it allocates the array only (doubling), nothing per
 * token. unet_policy_match() walks the rules in order and the first whose
 * every part matches decides; none matching, the default does (allow
 * unless a `default deny` line or unet_policy_set_default() said deny).
 * The matcher is pure: no allocation, no state, a cost linear in the rule
 * count, so the proxy can call it for every flow a guest starts without a
 * guest being able to make it allocate. The proxy keeps its own copy of a
 * policy (unet__policy_dup()) and counts the hits of each rule itself.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "policy_internal.h"

/* The largest policy file unet_policy_load() reads. */
#define POLICY_FILE_MAX (1u << 20)
/* The longest token that can be an address with its prefix length. */
#define POLICY_TOKEN_MAX 64

/* A token of a line: @len bytes at @s, not NUL-terminated. */
struct policy_token {
	const char *s;
	size_t len;
};

/* Where the parser is, for its messages. */
struct policy_parser {
	const char *name;
	unsigned int line;
	char *err;
	size_t errlen;
};

static int policy_error(struct policy_parser *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Writes "name:line: message" to the caller's buffer; returns -EINVAL. */
static int policy_error(struct policy_parser *ps, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ps->err != NULL && ps->errlen > 0)
		snprintf(ps->err, ps->errlen, "%s:%u: %s",
			 ps->name != NULL ? ps->name : "policy", ps->line, msg);
	return -EINVAL;
}

static bool policy_tok_is(const struct policy_token *t, const char *word)
{
	return t->len == strlen(word) && memcmp(t->s, word, t->len) == 0;
}

/* Copies a token into @buf as a C string; false when it does not fit. */
static bool policy_tok_str(const struct policy_token *t, char *buf, size_t len)
{
	if (t->len >= len)
		return false;
	memcpy(buf, t->s, t->len);
	buf[t->len] = '\0';
	return true;
}

/* A decimal number of at most @max, digits only; false otherwise. */
static bool policy_number(const char *s, size_t len, unsigned long max,
			  unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0 || len > 10)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/* Zeroes the bits of @addr (@bytes long) past the first @prefix. */
static void policy_mask(uint8_t *addr, size_t bytes, unsigned int prefix)
{
	size_t i;

	for (i = 0; i < bytes; i++) {
		unsigned int keep = prefix >= 8 * (i + 1) ? 8 :
				    prefix > 8 * i ? prefix - 8 * (unsigned)i :
						     0;

		addr[i] &= (uint8_t)(0xff00u >> keep);
	}
}

/* `to ADDR[/LEN]`: an IPv4 or IPv6 address and prefix into @r. */
static int policy_parse_cidr(struct policy_parser *ps,
			     const struct policy_token *t,
			     struct policy_rule *r)
{
	char buf[POLICY_TOKEN_MAX];
	unsigned long prefix;
	char *slash;
	bool v6;

	if (!policy_tok_str(t, buf, sizeof(buf)))
		return policy_error(ps, "address too long");
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash = '\0';
	v6 = strchr(buf, ':') != NULL;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, r->addr) != 1)
		return policy_error(ps, "'%s' is not an IPv4 or IPv6 address",
				    buf);
	prefix = v6 ? 128 : 32;
	if (slash != NULL && !policy_number(slash + 1, strlen(slash + 1),
					    v6 ? 128 : 32, &prefix))
		return policy_error(ps, "prefix length '%s' is not 0..%d",
				    slash + 1, v6 ? 128 : 32);
	r->family = v6 ? AF_INET6 : AF_INET;
	r->prefix = (uint8_t)prefix;
	policy_mask(r->addr, v6 ? 16 : 4, r->prefix);
	return 0;
}

/* `port N` or `port N-M`, 1..65535, N <= M. */
static int policy_parse_ports(struct policy_parser *ps,
			      const struct policy_token *t,
			      struct policy_rule *r)
{
	const char *dash = memchr(t->s, '-', t->len);
	size_t n1 = dash != NULL ? (size_t)(dash - t->s) : t->len;
	unsigned long lo, hi;

	if (!policy_number(t->s, n1, 65535, &lo) || lo == 0)
		return policy_error(ps,
				    "'%.*s' is not a port or range in 1..65535",
				    (int)t->len, t->s);
	hi = lo;
	if (dash != NULL &&
	    (!policy_number(dash + 1, t->len - n1 - 1, 65535, &hi) || hi < lo))
		return policy_error(ps,
				    "'%.*s' is not a port or range in 1..65535",
				    (int)t->len, t->s);
	r->has_port = true;
	r->port_lo = (uint16_t)lo;
	r->port_hi = (uint16_t)hi;
	return 0;
}

/* The parts after allow|deny: @t[1..n). */
static int policy_parse_rule(struct policy_parser *ps,
			     const struct policy_token *t, size_t n,
			     struct policy_rule *r)
{
	bool seen_to = false;
	size_t i;
	int err;

	memset(r, 0, sizeof(*r));
	r->verdict = policy_tok_is(&t[0], "allow") ? UNET_POLICY_ALLOW :
						     UNET_POLICY_DENY;
	r->line = ps->line;
	for (i = 1; i < n; i++) {
		uint8_t proto = policy_tok_is(&t[i], "tcp")  ? IPPROTO_TCP :
				policy_tok_is(&t[i], "udp")  ? IPPROTO_UDP :
				policy_tok_is(&t[i], "icmp") ? IPPROTO_ICMP :
							       0;

		if (proto != 0) {
			if (r->proto != 0)
				return policy_error(ps,
						    "more than one protocol");
			r->proto = proto;
			continue;
		}
		if (!policy_tok_is(&t[i], "to") &&
		    !policy_tok_is(&t[i], "port"))
			return policy_error(
				ps,
				"unexpected '%.*s' (want tcp, udp, icmp, to or port)",
				(int)t[i].len, t[i].s);
		if (i + 1 == n)
			return policy_error(ps, "'%.*s' needs a value",
					    (int)t[i].len, t[i].s);
		if (policy_tok_is(&t[i], "to")) {
			if (seen_to)
				return policy_error(ps, "more than one 'to'");
			seen_to = true;
			err = policy_parse_cidr(ps, &t[i + 1], r);
		} else {
			if (r->has_port)
				return policy_error(ps, "more than one 'port'");
			err = policy_parse_ports(ps, &t[i + 1], r);
		}
		if (err < 0)
			return err;
		i++;
	}
	if (r->has_port && r->proto == IPPROTO_ICMP)
		return policy_error(ps, "icmp has no ports");
	return 0;
}

/* Splits one line (comment cut) into at most @max tokens; -1 if more. */
static int policy_tokens(const char *s, size_t len, struct policy_token *t,
			 size_t max)
{
	size_t i = 0, n = 0;

	while (i < len) {
		size_t start;

		while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			i++;
		if (n == max)
			return -1;
		t[n].s = s + start;
		t[n].len = i - start;
		n++;
	}
	return (int)n;
}

/* Appends @r to @p's rules, doubling the array when full. */
static int policy_append(struct unet_policy *p, const struct policy_rule *r)
{
	struct policy_rule *nr;
	size_t cap;

	if (p->n == p->cap) {
		cap = p->cap == 0 ? 8 : p->cap * 2;
		nr = realloc(p->rules, cap * sizeof(*nr));
		if (nr == NULL)
			return -ENOMEM;
		p->rules = nr;
		p->cap = cap;
	}
	p->rules[p->n++] = *r;
	return 0;
}

/* One line of text (without its newline). */
static int policy_parse_line(struct policy_parser *ps, struct unet_policy *p,
			     const char *s, size_t len)
{
	/* A rule has at most 7 tokens: verdict, proto, to X, port X. */
	struct policy_token t[8];
	const char *hash = memchr(s, '#', len);
	struct policy_rule r;
	int n, err;

	if (hash != NULL)
		len = (size_t)(hash - s);
	if (memchr(s, '\0', len) != NULL)
		return policy_error(ps, "NUL byte");
	n = policy_tokens(s, len, t, sizeof(t) / sizeof(t[0]));
	if (n < 0)
		return policy_error(ps, "too many words for a rule");
	if (n == 0)
		return 0;
	if (policy_tok_is(&t[0], "default")) {
		if (n != 2 || (!policy_tok_is(&t[1], "allow") &&
			       !policy_tok_is(&t[1], "deny")))
			return policy_error(
				ps, "want 'default allow' or 'default deny'");
		p->def = policy_tok_is(&t[1], "allow") ? UNET_POLICY_ALLOW :
							 UNET_POLICY_DENY;
		return 0;
	}
	if (!policy_tok_is(&t[0], "allow") && !policy_tok_is(&t[0], "deny"))
		return policy_error(
			ps,
			"a rule starts with allow, deny or default, not '%.*s'",
			(int)t[0].len, t[0].s);
	err = policy_parse_rule(ps, t, (size_t)n, &r);
	if (err < 0)
		return err;
	if (p->n == UNET_POLICY_RULES_MAX)
		return policy_error(ps, "more than %d rules",
				    UNET_POLICY_RULES_MAX);
	if (policy_append(p, &r) < 0)
		return policy_error(ps, "out of memory");
	return 0;
}

/**
 * unet_policy_new() - an empty policy
 * @def: its default verdict, UNET_POLICY_ALLOW or UNET_POLICY_DENY
 * @out: receives the policy, to be freed with unet_policy_free()
 *
 * Return: 0, -EINVAL for another verdict, or -ENOMEM.
 */
int unet_policy_new(enum unet_policy_verdict def, struct unet_policy **out)
{
	struct unet_policy *p;

	*out = NULL;
	if (def != UNET_POLICY_ALLOW && def != UNET_POLICY_DENY)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->def = def;
	*out = p;
	return 0;
}

/**
 * unet_policy_parse() - read a policy from its text
 * @text: the text, one rule a line (see usernet/policy.h); need not be
 *        NUL-terminated
 * @len: its length
 * @name: the text's name in messages (a file name), or NULL for "policy"
 * @out: receives the policy on success, to be freed with unet_policy_free()
 * @err: receives "name:line: what is wrong" on failure (may be NULL)
 * @errlen: the size of @err
 *
 * The default verdict is allow unless a `default deny` line says otherwise
 * (the last such line counts).
 *
 * Return: 0, -EINVAL for a bad line (described in @err), or -ENOMEM.
 */
int unet_policy_parse(const char *text, size_t len, const char *name,
		      struct unet_policy **out, char *err, size_t errlen)
{
	struct policy_parser ps = { .name = name,
				    .line = 0,
				    .err = err,
				    .errlen = errlen };
	struct unet_policy *p;
	size_t pos = 0;
	int r;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	r = unet_policy_new(UNET_POLICY_ALLOW, &p);
	if (r < 0)
		return r;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl != NULL ? (size_t)(nl - text) : len;

		ps.line++;
		r = policy_parse_line(&ps, p, text + pos, end - pos);
		if (r < 0) {
			unet_policy_free(p);
			return r;
		}
		pos = end + 1;
	}
	*out = p;
	return 0;
}

/**
 * unet_policy_load() - read a policy file
 * @path: the file (at most 1 MiB)
 * @out: receives the policy on success
 * @err: receives "path: why" or "path:line: what is wrong" on failure
 * @errlen: the size of @err
 *
 * Return: 0, or a negative errno (-EINVAL for a bad line, -EFBIG for a
 * file too large, open()'s or read()'s error).
 */
int unet_policy_load(const char *path, struct unet_policy **out, char *err,
		     size_t errlen)
{
	char *buf = malloc(POLICY_FILE_MAX + 1);
	size_t len = 0;
	ssize_t n;
	int fd, r;

	*out = NULL;
	if (buf == NULL)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto fail;
	}
	do {
		n = read(fd, buf + len, POLICY_FILE_MAX + 1 - len);
		if (n > 0)
			len += (size_t)n;
	} while ((n > 0 || (n < 0 && errno == EINTR)) &&
		 len <= POLICY_FILE_MAX);
	r = n < 0 ? -errno : len > POLICY_FILE_MAX ? -EFBIG : 0;
	close(fd);
	if (r < 0)
		goto fail;
	r = unet_policy_parse(buf, len, path, out, err, errlen);
	free(buf);
	return r;
fail:
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
	free(buf);
	return r;
}

/**
 * unet_policy_free() - free a policy
 * @policy: the policy, or NULL
 */
void unet_policy_free(struct unet_policy *policy)
{
	if (policy == NULL)
		return;
	free(policy->rules);
	free(policy);
}

/**
 * unet_policy_set_default() - change a policy's default verdict
 * @policy: the policy
 * @def: UNET_POLICY_ALLOW or UNET_POLICY_DENY (anything else is ignored)
 */
void unet_policy_set_default(struct unet_policy *policy,
			     enum unet_policy_verdict def)
{
	if (def == UNET_POLICY_ALLOW || def == UNET_POLICY_DENY)
		policy->def = def;
}

/**
 * unet_policy_default() - a policy's default verdict
 * @policy: the policy
 *
 * Return: UNET_POLICY_ALLOW or UNET_POLICY_DENY.
 */
enum unet_policy_verdict unet_policy_default(const struct unet_policy *policy)
{
	return policy->def;
}

/**
 * unet_policy_rules() - how many rules a policy has
 * @policy: the policy
 *
 * Return: the count, 0..UNET_POLICY_RULES_MAX.
 */
size_t unet_policy_rules(const struct unet_policy *policy)
{
	return policy->n;
}

/* Whether @addr (of @r's family) lies in @r's prefix. */
static bool policy_prefix_has(const struct policy_rule *r, const uint8_t *addr)
{
	unsigned int full = r->prefix / 8u, rest = r->prefix % 8u;

	if (memcmp(addr, r->addr, full) != 0)
		return false;
	return rest == 0 ||
	       ((addr[full] ^ r->addr[full]) & (uint8_t)(0xff00u >> rest)) == 0;
}

static bool policy_rule_matches(const struct policy_rule *r,
				const struct unet_flow_desc *f)
{
	bool icmp = f->proto == IPPROTO_ICMP || f->proto == IPPROTO_ICMPV6;

	if (r->proto == IPPROTO_ICMP ? !icmp :
	    r->proto != 0	     ? r->proto != f->proto :
				       false)
		return false;
	if (r->has_port &&
	    (icmp || f->port < r->port_lo || f->port > r->port_hi))
		return false;
	if (r->family == 0)
		return true;
	if (r->family != f->family)
		return false;
	return policy_prefix_has(r, f->family == AF_INET ?
					    (const uint8_t *)&f->dst.s_addr :
					    f->dst6.s6_addr);
}

/**
 * unet_policy_match() - decide a flow by a policy's rules
 * @policy: the policy
 * @flow: the flow
 * @rule: receives the index of the rule that decided (0-based, in the
 *        order of the text), or -1 when the default did; may be NULL
 *
 * Return: UNET_POLICY_ALLOW or UNET_POLICY_DENY.
 */
enum unet_policy_verdict unet_policy_match(const struct unet_policy *policy,
					   const struct unet_flow_desc *flow,
					   int *rule)
{
	size_t i;

	for (i = 0; i < policy->n; i++) {
		if (policy_rule_matches(&policy->rules[i], flow)) {
			if (rule != NULL)
				*rule = (int)i;
			return policy->rules[i].verdict;
		}
	}
	if (rule != NULL)
		*rule = -1;
	return policy->def;
}

/**
 * unet__policy_dup() - a copy of a policy, for a proxy to keep
 * @policy: the policy
 *
 * Return: the copy (free with unet_policy_free()), or NULL without memory.
 */
struct unet_policy *unet__policy_dup(const struct unet_policy *policy)
{
	struct unet_policy *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->def = policy->def;
	if (policy->n > 0) {
		p->rules = malloc(policy->n * sizeof(*p->rules));
		if (p->rules == NULL) {
			free(p);
			return NULL;
		}
		memcpy(p->rules, policy->rules, policy->n * sizeof(*p->rules));
		p->n = policy->n;
		p->cap = policy->n;
	}
	return p;
}
