/* SPDX-License-Identifier: MIT */
/*
 * The egress policy: its text format and its matcher.
 *
 * Theory of operation: a policy is text, one rule a line,
 *
 *   allow|deny [tcp|udp|icmp] [to CIDR | to NAME | to *.DOMAIN | to *]
 *              [port N[-M]]
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
 *
 * Names: a `to` that is no address is a DNS name (case-insensitive, kept
 * in lower case, a trailing dot dropped; labels of letters, digits, '-'
 * and '_', 1..63 bytes each, 253 in all), `*.DOMAIN` (every name under
 * DOMAIN, at any depth, not DOMAIN itself) or `*` (every name). Their
 * text lives in one array of the policy (&unet_policy.names), so a rule
 * stays small and a copy is two allocations. A name rule matches a flow
 * when one of the names its destination was resolved from does (the proxy
 * knows them: names.c); a destination resolved from no name matches only
 * address rules. unet__policy_query_refused() decides a DNS query by the
 * name rules alone: the first whose name matches the queried one refuses
 * it when it is a deny with neither protocol nor port, and lets it go on
 * otherwise; no name rule matching lets it go on (the default verdict is
 * about addresses, which address rules may allow whatever the name).
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
/* The longest DNS name as text (255 bytes on the wire), and label. */
#define POLICY_NAME_MAX 253
#define POLICY_LABEL_MAX 63

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

/**
 * unet__policy_name_valid() - whether text is a DNS name a rule can hold
 * @name: the name, lower case, without a trailing dot (need not be
 *        NUL-terminated)
 * @len: its length
 *
 * Return: true for 1..253 bytes of labels of 1..63 bytes each, made of
 * lower-case letters, digits, '-' and '_', separated by single dots.
 */
bool unet__policy_name_valid(const char *name, size_t len)
{
	size_t i, label = 0;

	if (len == 0 || len > POLICY_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char ch = name[i];

		if (ch == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		      ch == '-' || ch == '_'))
			return false;
		if (++label > POLICY_LABEL_MAX)
			return false;
	}
	return label > 0;
}

/*
 * Whether a `to` value is meant as an address: it has a ':' or a '/', or
 * only digits and dots (so that "300.1.1.1" is a bad address, not a name).
 */
static bool policy_tok_is_addr(const struct policy_token *t)
{
	size_t i;

	if (memchr(t->s, ':', t->len) != NULL ||
	    memchr(t->s, '/', t->len) != NULL)
		return true;
	for (i = 0; i < t->len; i++)
		if (!((t->s[i] >= '0' && t->s[i] <= '9') || t->s[i] == '.'))
			return false;
	return true;
}

/* Appends @len bytes of name to @p's names; their offset in *@off. */
static int policy_names_add(struct unet_policy *p, const char *name, size_t len,
			    uint32_t *off)
{
	char *nn;
	size_t cap;

	if (p->names_cap - p->names_len < len) {
		cap = p->names_cap == 0 ? 256 : p->names_cap;
		while (cap - p->names_len < len)
			cap *= 2;
		nn = realloc(p->names, cap);
		if (nn == NULL)
			return -ENOMEM;
		p->names = nn;
		p->names_cap = cap;
	}
	memcpy(p->names + p->names_len, name, len);
	*off = (uint32_t)p->names_len;
	p->names_len += len;
	return 0;
}

/* `to NAME`, `to *.DOMAIN` or `to *` into @r, its text into @p. */
static int policy_parse_name(struct policy_parser *ps, struct unet_policy *p,
			     const struct policy_token *t,
			     struct policy_rule *r)
{
	char buf[POLICY_NAME_MAX + 2];
	size_t len = t->len, i;
	const char *name = buf;

	if (len > 0 && t->s[len - 1] == '.')
		len--; /* "example.com." is "example.com" */
	if (len > sizeof(buf))
		return policy_error(ps, "name longer than %d bytes: '%.*s'",
				    POLICY_NAME_MAX, (int)t->len, t->s);
	for (i = 0; i < len; i++)
		buf[i] = (char)(t->s[i] >= 'A' && t->s[i] <= 'Z' ?
					t->s[i] - 'A' + 'a' :
					t->s[i]);
	if (len == 1 && buf[0] == '*') {
		r->name_kind = POLICY_NAME_ANY;
		len = 0;
	} else if (len > 2 && buf[0] == '*' && buf[1] == '.') {
		r->name_kind = POLICY_NAME_UNDER;
		name += 2;
		len -= 2;
		/* A name under it has one more label and a dot. */
		if (len > POLICY_NAME_MAX - 2)
			return policy_error(ps, "domain too long: '%.*s'",
					    (int)t->len, t->s);
	} else {
		r->name_kind = POLICY_NAME_EXACT;
	}
	if (r->name_kind != POLICY_NAME_ANY &&
	    !unet__policy_name_valid(name, len))
		return policy_error(
			ps,
			"not an address, a name (labels of letters, digits, '-', '_'), *.DOMAIN or *: '%.*s'",
			(int)t->len, t->s);
	r->name_len = (uint8_t)len;
	if (len > 0 && policy_names_add(p, name, len, &r->name_off) < 0)
		return policy_error(ps, "out of memory");
	return 0;
}

/* The parts after allow|deny: @t[1..n). */
static int policy_parse_rule(struct policy_parser *ps, struct unet_policy *p,
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
			err = policy_tok_is_addr(&t[i + 1]) ?
				      policy_parse_cidr(ps, &t[i + 1], r) :
				      policy_parse_name(ps, p, &t[i + 1], r);
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
	/* A rule has at most 6 tokens: verdict, proto, to X, port X. */
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
	if (p->n == UNET_POLICY_RULES_MAX)
		return policy_error(ps, "more than %d rules",
				    UNET_POLICY_RULES_MAX);
	err = policy_parse_rule(ps, p, t, (size_t)n, &r);
	if (err < 0)
		return err;
	if (policy_append(p, &r) < 0)
		return policy_error(ps, "out of memory");
	if (r.name_kind != POLICY_NAME_NONE)
		p->n_name_rules++;
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
	free(policy->names);
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

/*
 * Whether @name (lower case, NUL-terminated; NULL for a query's name that
 * is no host name) is one @r names.
 */
static bool policy_name_has(const struct unet_policy *p,
			    const struct policy_rule *r, const char *name)
{
	const char *want;
	size_t len;

	if (r->name_kind == POLICY_NAME_ANY)
		return true;
	if (name == NULL)
		return false;
	/* Only `to *` has no text: with only those, @p->names is NULL. */
	want = p->names + r->name_off;
	len = strlen(name);
	if (r->name_kind == POLICY_NAME_EXACT)
		return len == r->name_len && memcmp(name, want, len) == 0;
	/* POLICY_NAME_UNDER: "x.DOMAIN", on a label's boundary. */
	return len > r->name_len + 1u && name[len - r->name_len - 1] == '.' &&
	       memcmp(name + len - r->name_len, want, r->name_len) == 0;
}

/*
 * Whether @r matches @f, whose destination was resolved from @names (@n
 * of them); *@which receives the index of the name that matched.
 */
static bool policy_rule_matches(const struct unet_policy *p,
				const struct policy_rule *r,
				const struct unet_flow_desc *f,
				const char *const *names, size_t n,
				size_t *which)
{
	bool icmp = f->proto == IPPROTO_ICMP || f->proto == IPPROTO_ICMPV6;
	size_t i;

	if (r->proto == IPPROTO_ICMP ? !icmp :
	    r->proto != 0	     ? r->proto != f->proto :
				       false)
		return false;
	if (r->has_port &&
	    (icmp || f->port < r->port_lo || f->port > r->port_hi))
		return false;
	if (r->name_kind != POLICY_NAME_NONE) {
		for (i = 0; i < n; i++) {
			if (policy_name_has(p, r, names[i])) {
				*which = i;
				return true;
			}
		}
		return false;
	}
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
	const char *name = flow->name;

	return unet__policy_match_names(policy, flow, &name,
					name != NULL ? 1 : 0, rule, NULL);
}

/**
 * unet__policy_match_names() - decide a flow whose destination was
 * resolved from several names
 * @policy: the policy
 * @flow: the flow (its @name is not looked at)
 * @names: the names its destination was resolved from, lower case
 * @n: how many (0: the destination matches address rules only)
 * @rule: receives the index of the rule that decided, or -1 for the
 *        default; may be NULL
 * @which: receives the index in @names of the name that made a name rule
 *         decide, or @n when no name rule decided; may be NULL
 *
 * A name rule matches when any of @names does; rules are tried in order,
 * as unet_policy_match() does.
 *
 * Return: UNET_POLICY_ALLOW or UNET_POLICY_DENY.
 */
enum unet_policy_verdict unet__policy_match_names(
	const struct unet_policy *policy, const struct unet_flow_desc *flow,
	const char *const *names, size_t n, int *rule, size_t *which)
{
	size_t i, w = n;

	for (i = 0; i < policy->n; i++) {
		if (policy_rule_matches(policy, &policy->rules[i], flow, names,
					n, &w)) {
			if (rule != NULL)
				*rule = (int)i;
			if (which != NULL)
				*which = w;
			return policy->rules[i].verdict;
		}
	}
	if (rule != NULL)
		*rule = -1;
	if (which != NULL)
		*which = n;
	return policy->def;
}

/**
 * unet__policy_query_refused() - whether a guest's DNS query is refused
 * @policy: the policy
 * @name: the queried name, lower case without a trailing dot; NULL for a
 *        name that is no host name (only `to *` matches it)
 * @rule: receives the index of the name rule that decided, or -1 when
 *        none matched; may be NULL
 *
 * The first name rule whose name matches decides: a deny with neither a
 * protocol nor a port refuses the query (every flow to the name's
 * addresses would be denied by it); any other lets it go upstream, as
 * does no name rule matching. Address rules and the default verdict are
 * about addresses and are not asked.
 *
 * Return: true to refuse the query.
 */
bool unet__policy_query_refused(const struct unet_policy *policy,
				const char *name, int *rule)
{
	const struct policy_rule *r;
	size_t i;

	if (rule != NULL)
		*rule = -1;
	if (policy->n_name_rules == 0)
		return false;
	for (i = 0; i < policy->n; i++) {
		r = &policy->rules[i];
		if (r->name_kind == POLICY_NAME_NONE ||
		    !policy_name_has(policy, r, name))
			continue;
		if (rule != NULL)
			*rule = (int)i;
		return r->verdict == UNET_POLICY_DENY && r->proto == 0 &&
		       !r->has_port;
	}
	return false;
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
	if (policy->names_len > 0) {
		p->names = malloc(policy->names_len);
		if (p->names == NULL) {
			unet_policy_free(p);
			return NULL;
		}
		memcpy(p->names, policy->names, policy->names_len);
		p->names_len = policy->names_len;
		p->names_cap = policy->names_len;
	}
	p->n_name_rules = policy->n_name_rules;
	return p;
}
