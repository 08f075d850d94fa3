/* SPDX-License-Identifier: MIT */
/* Argument conditions (docs/policy.md): what follows the ':' of a rule line, up to its '->'.
 *   cond  := conj { '||' conj }        conj := cmp { '&&' cmp }
 *   cmp   := ARG OP value | ARG '&' value ('=='|'!=') value | ARG 'in' '{' value {',' value} '}'
 *   value := atom { '|' atom }         atom := NUMBER | CONSTANT | ${param}
 * The result is a condition in disjunctive normal form (struct dnf), not yet bound to a system
 * call: rule.c checks argument counts and widths per call. */
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int parse_number(const char *s, uint64_t *ret)
{
	bool neg = s[0] == '-';
	const char *d = neg ? s + 1 : s;
	if (!isdigit((unsigned char)d[0]))
		return -EINVAL;
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(d, &end, 0);
	if (errno || *end)
		return -EINVAL;
	if (neg && v > (unsigned long long)INT64_MAX + 1)
		return -ERANGE;
	*ret = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	return 0;
}

static int parse_atom(struct ctx *c, struct lexer *lx, const struct token *tk, const char *s, uint64_t *ret)
{
	if (parse_number(s, ret) == 0)
		return 0;
	if (isdigit((unsigned char)s[0]) || s[0] == '-')
		return ERR(c, tk, "bad number '%s'", s);
	if (sbx_const_lookup(s, ret) == 0)
		return 0;
	const char *sug = sbx_suggest_const(s);
	if (sug)
		return ERR(c, tk, "unknown constant '%s' (did you mean '%s'?)", s, sug);
	return ERR(c, tk, "unknown constant '%s'", s);
}

static void ct_add(struct cond_text *ct, const struct token *tk)
{
	bool tight_before = tk->k == T_RBRACE || tk->k == T_COMMA;
	bool after_brace = ct->len > 0 && ct->buf[ct->len - 1] == '{';
	char w[SBX_POLICY_MAX_TOKEN + 1];
	if (tk->k == T_WORD)
		tok_str(tk, w, sizeof(w));
	else
		snprintf(w, sizeof(w), "%.*s", (int)tk->len, tk->s);
	int n = snprintf(ct->buf + ct->len, sizeof(ct->buf) - ct->len, "%s%s",
			 ct->len && !tight_before && !after_brace ? " " : "", w);
	if (n < 0 || (size_t)n >= sizeof(ct->buf) - ct->len)
		ct->overflow = true;
	else
		ct->len += (size_t)n;
}

/* value := atom { '|' atom } ; atom := NUMBER | CONSTANT | ${param} (expanding to either) */
static int parse_value(struct ctx *c, struct lexer *lx, struct cond_text *ct, uint64_t *ret)
{
	uint64_t v = 0;
	for (;;) {
		struct token tk;
		int r = lex_next(c, lx, &tk);
		if (r < 0)
			return r;
		if (tk.k != T_WORD) {
			char d[96];
			return ERR(c, &tk, "expected a number or a constant, found %s", tok_desc(&tk, d, sizeof(d)));
		}
		ct_add(ct, &tk);
		char s[SBX_POLICY_MAX_TOKEN + 1];
		if ((r = expand(c, lx, &tk, s, sizeof(s))) < 0)
			return r;
		/* A parameter may carry "O_RDONLY|O_CLOEXEC". */
		char *save = NULL;
		for (char *a = strtok_r(s, "|", &save); a; a = strtok_r(NULL, "|", &save)) {
			uint64_t x;
			if ((r = parse_atom(c, lx, &tk, a, &x)) < 0)
				return r;
			v |= x;
		}
		struct token nx;
		if ((r = lex_peek(c, lx, &nx)) < 0)
			return r;
		if (nx.k != T_PIPE)
			break;
		lex_next(c, lx, &nx);
		ct_add(ct, &nx);
	}
	*ret = v;
	return 0;
}

static int parse_arg(struct ctx *c, struct lexer *lx, const struct token *tk, unsigned *ret)
{
	char w[80];
	tok_str(tk, w, sizeof(w));
	if (tk->k == T_WORD && tk->len > 3 && strncmp(w, "arg", 3) == 0) {
		bool digits = true;
		for (size_t i = 3; w[i]; i++)
			digits = digits && isdigit((unsigned char)w[i]);
		if (digits) {
			unsigned long n = strtoul(w + 3, NULL, 10);
			if (tk->len > 6 || n > 5)
				return ERR(c, tk, "argument index out of range: '%s' (a system call has arg0 to arg5)", w);
			*ret = (unsigned)n;
			return 0;
		}
	}
	char d[96];
	return ERR(c, tk, "expected an argument (arg0 to arg5), found %s", tok_desc(tk, d, sizeof(d)));
}

/* ARG 'in' '{' value {',' value} '}', after the 'in': one equality per value, each an
 * alternative of its own. */
static int parse_in_list(struct ctx *c, struct lexer *lx, struct cond_text *ct, struct sbx_cmp base,
			 struct sbx_cmp *out, size_t *n_out)
{
	struct token br;
	int r = lex_next(c, lx, &br);
	if (r < 0)
		return r;
	if (br.k != T_LBRACE) {
		char d[96];
		return ERR(c, &br, "expected '{' after 'in', found %s", tok_desc(&br, d, sizeof(d)));
	}
	ct_add(ct, &br);
	size_t n = 0;
	for (;;) {
		if (n >= SBX_POLICY_MAX_ALTS)
			return ERR(c, &br, "too many values in 'in {...}' (at most %u)", SBX_POLICY_MAX_ALTS);
		out[n] = base;
		out[n].op = SBX_OP_EQ;
		if ((r = parse_value(c, lx, ct, &out[n].value)) < 0)
			return r;
		n++;
		struct token sep;
		if ((r = lex_next(c, lx, &sep)) < 0)
			return r;
		ct_add(ct, &sep);
		if (sep.k == T_RBRACE)
			break;
		if (sep.k != T_COMMA) {
			char d[96];
			return ERR(c, &sep, "expected ',' or '}' in the value list, found %s",
				   tok_desc(&sep, d, sizeof(d)));
		}
	}
	*n_out = n;
	return 0;
}

/* ARG '&' MASK ('=='|'!=') VALUE, after the '&'. */
static int parse_masked(struct ctx *c, struct lexer *lx, struct cond_text *ct, struct sbx_cmp base,
			struct sbx_cmp *out, size_t *n_out)
{
	int r = parse_value(c, lx, ct, &base.mask);
	if (r < 0)
		return r;
	struct token eq;
	if ((r = lex_next(c, lx, &eq)) < 0)
		return r;
	if (eq.k != T_EQ2 && eq.k != T_NE) {
		char d[96];
		return ERR(c, &eq, "bad operator %s after a mask: a masked test uses '==' or '!=' "
			   "(e.g. 'arg2 & PROT_EXEC == 0')", tok_desc(&eq, d, sizeof(d)));
	}
	ct_add(ct, &eq);
	base.op = SBX_OP_MASKED_EQ;
	if ((r = parse_value(c, lx, ct, &base.value)) < 0)
		return r;
	if (base.value & ~base.mask) {
		return ERR(c, &eq, "the value has bits outside the mask, so the test can never be %s",
			   eq.k == T_EQ2 ? "true" : "false");
	}
	if (eq.k == T_NE)
		base.op = SBX_OP_MASKED_NE;
	out[0] = base;
	*n_out = 1;
	return 0;
}

/* cmp := ARG OP value | ARG '&' value ('=='|'!=') value | ARG 'in' '{' value {',' value} '}'
 * Produces one or more alternatives (`in`), written to out/n_out as comparisons; col is the
 * argument's column, for errors found when the condition is bound to a call. */
static int parse_cmp(struct ctx *c, struct lexer *lx, struct cond_text *ct, struct sbx_cmp *out,
		     size_t *n_out, unsigned *col)
{
	struct token tk, op;
	int r = lex_next(c, lx, &tk);
	if (r < 0)
		return r;
	unsigned arg;
	if ((r = parse_arg(c, lx, &tk, &arg)) < 0)
		return r;
	*col = tk.col;
	ct_add(ct, &tk);
	if ((r = lex_next(c, lx, &op)) < 0)
		return r;
	struct sbx_cmp base = { .arg = (uint8_t)arg };
	if (tok_is(&op, "in")) {
		ct_add(ct, &op);
		return parse_in_list(c, lx, ct, base, out, n_out);
	}
	if (op.k == T_AMP) {
		ct_add(ct, &op);
		return parse_masked(c, lx, ct, base, out, n_out);
	}
	switch (op.k) {
	case T_EQ2: base.op = SBX_OP_EQ; break;
	case T_NE: base.op = SBX_OP_NE; break;
	case T_LT: base.op = SBX_OP_LT; break;
	case T_LE: base.op = SBX_OP_LE; break;
	case T_GT: base.op = SBX_OP_GT; break;
	case T_GE: base.op = SBX_OP_GE; break;
	case T_ASSIGN:
		return ERR(c, &op, "bad operator '=' (did you mean '=='?)");
	default: {
		char d[96];
		return ERR(c, &op, "bad operator %s (use ==, !=, <, <=, >, >=, '& MASK ==' or 'in {...}')",
			   tok_desc(&op, d, sizeof(d)));
	}
	}
	ct_add(ct, &op);
	base.mask = 0;
	if ((r = parse_value(c, lx, ct, &base.value)) < 0)
		return r;
	out[0] = base;
	*n_out = 1;
	return 0;
}

/* cond := conj { '||' conj } ; conj := cmp { '&&' cmp }, each conj expanded over the values of
 * its `in` lists (at most SBX_POLICY_MAX_ALTS alternatives in all). */
int parse_cond(struct ctx *c, struct lexer *lx, struct cond_text *ct, struct dnf *d)
{
	d->n = 0;
	for (;;) {
		/* One conjunction, expanded over the values of its `in` lists. */
		struct sbx_conj cur[SBX_POLICY_MAX_ALTS];
		unsigned cols[SBX_POLICY_MAX_ALTS][SBX_POLICY_MAX_CMPS];
		size_t n_cur = 1;
		cur[0].n = 0;
		for (;;) {
			struct sbx_cmp vals[SBX_POLICY_MAX_ALTS];
			size_t n_vals = 0;
			unsigned col = 0;
			struct token at;
			int r = lex_peek(c, lx, &at);
			if (r < 0)
				return r;
			if ((r = parse_cmp(c, lx, ct, vals, &n_vals, &col)) < 0)
				return r;
			if (cur[0].n >= SBX_POLICY_MAX_CMPS)
				return ERR(c, &at, "too many comparisons joined by '&&' (at most %u)", SBX_POLICY_MAX_CMPS);
			if (n_cur * n_vals > SBX_POLICY_MAX_ALTS)
				return ERR(c, &at, "condition has too many alternatives (at most %u)", SBX_POLICY_MAX_ALTS);
			struct sbx_conj next[SBX_POLICY_MAX_ALTS];
			unsigned ncols[SBX_POLICY_MAX_ALTS][SBX_POLICY_MAX_CMPS];
			size_t n_next = 0;
			for (size_t i = 0; i < n_cur; i++)
				for (size_t j = 0; j < n_vals; j++) {
					next[n_next] = cur[i];
					memcpy(ncols[n_next], cols[i], sizeof(cols[i]));
					ncols[n_next][next[n_next].n] = col;
					next[n_next].c[next[n_next].n++] = vals[j];
					n_next++;
				}
			memcpy(cur, next, n_next * sizeof(cur[0]));
			memcpy(cols, ncols, n_next * sizeof(cols[0]));
			n_cur = n_next;
			struct token nx;
			if ((r = lex_peek(c, lx, &nx)) < 0)
				return r;
			if (nx.k != T_AND)
				break;
			lex_next(c, lx, &nx);
			ct_add(ct, &nx);
		}
		struct token nx;
		int r = lex_peek(c, lx, &nx);
		if (r < 0)
			return r;
		if (d->n + n_cur > SBX_POLICY_MAX_ALTS)
			return ERR(c, &nx, "condition has too many alternatives (at most %u)", SBX_POLICY_MAX_ALTS);
		memcpy(d->alts + d->n, cur, n_cur * sizeof(cur[0]));
		memcpy(d->cols + d->n, cols, n_cur * sizeof(cols[0]));
		d->n += n_cur;
		if (nx.k != T_OR)
			return 0;
		lex_next(c, lx, &nx);
		ct_add(ct, &nx);
	}
}
