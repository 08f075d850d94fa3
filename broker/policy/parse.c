/* SPDX-License-Identifier: MIT */
/* The policy language's parser (docs/policy.md). One pass per file: a lexer hands out tokens,
 * one statement per logical line; includes recurse with a depth limit and a stack of the files
 * being read (cycles). Every error names FILE:LINE:COL and the token, because the user's next
 * step is to fix that token. */
#include "policy-internal.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/spec.h"
#include "common/util.h"

enum tok_kind {
	T_EOF, T_NL, T_WORD, T_STRING, T_COLON, T_LBRACE, T_RBRACE, T_COMMA, T_EQ2, T_NE, T_LT, T_LE,
	T_GT, T_GE, T_AMP, T_AND, T_OR, T_PIPE, T_ARROW, T_ASSIGN,
};

static const char *const tok_names[] = {
	[T_EOF] = "end of file", [T_NL] = "end of line", [T_WORD] = "word", [T_STRING] = "string",
	[T_COLON] = "':'", [T_LBRACE] = "'{'", [T_RBRACE] = "'}'", [T_COMMA] = "','",
	[T_EQ2] = "'=='", [T_NE] = "'!='", [T_LT] = "'<'", [T_LE] = "'<='", [T_GT] = "'>'",
	[T_GE] = "'>='", [T_AMP] = "'&'", [T_AND] = "'&&'", [T_OR] = "'||'", [T_PIPE] = "'|'",
	[T_ARROW] = "'->'", [T_ASSIGN] = "'='",
};

struct token {
	enum tok_kind k;
	const char *s; /* into the text; not NUL-terminated */
	size_t len;
	unsigned line, col;
};

struct lexer {
	const char *file;
	const char *t;
	size_t len, pos;
	unsigned line, col;
	struct token peeked;
	bool has_peeked;
};

struct ctx {
	struct sbx_policy *p;
	struct sbx_policy_diag *diag;
	const char *stack[SBX_POLICY_MAX_INCLUDE_DEPTH + 1]; /* files being read, for cycles */
	unsigned depth;
};

static const char *const keywords[] = { "include", "param", "exec", "ro", "rw", "tmpfs", "limit", "resource", NULL };
static const char *const action_words[] = { "allow", "errno", "log", "kill", NULL };
static const char *const limit_names[] = { "time", "memory", "pids", "nofile", "fsize", NULL };

#define ERR(c, tk, ...) (sbx_policy_diag_set((c)->diag, lx->file, (tk)->line, (tk)->col, __VA_ARGS__), -EINVAL)

static bool word_char(char ch)
{
	unsigned char u = (unsigned char)ch;
	return u > ' ' && u != 0x7f && !strchr("#:{},=!<>&|\"\\", ch);
}

/* Token text as a C string, cut at SBX_POLICY_MAX_TOKEN (longer tokens are refused earlier). */
static void tok_str(const struct token *tk, char *buf, size_t len)
{
	size_t n = tk->len < len - 1 ? tk->len : len - 1;
	memcpy(buf, tk->s, n);
	buf[n] = '\0';
}

static bool tok_is(const struct token *tk, const char *word)
{
	return tk->k == T_WORD && tk->len == strlen(word) && memcmp(tk->s, word, tk->len) == 0;
}

static int lex_raw(struct ctx *c, struct lexer *lx, struct token *tk)
{
	for (;;) {
		if (lx->pos >= lx->len) {
			*tk = (struct token){ T_EOF, lx->t + lx->pos, 0, lx->line, lx->col };
			return 0;
		}
		char ch = lx->t[lx->pos];
		if (ch == ' ' || ch == '\t' || ch == '\r') {
			lx->pos++;
			lx->col++;
			continue;
		}
		if (ch == '#') {
			while (lx->pos < lx->len && lx->t[lx->pos] != '\n')
				lx->pos++;
			continue;
		}
		if (ch == '\\') {
			/* Line continuation: a backslash right before the end of the line. */
			size_t q = lx->pos + 1;
			if (q < lx->len && lx->t[q] == '\r')
				q++;
			if (q < lx->len && lx->t[q] == '\n') {
				lx->pos = q + 1;
				lx->line++;
				lx->col = 1;
				continue;
			}
			struct token bad = { T_EOF, lx->t + lx->pos, 1, lx->line, lx->col };
			return ERR(c, &bad, "a backslash continues a line only as the line's last character");
		}
		break;
	}
	const char *s = lx->t + lx->pos;
	size_t rest = lx->len - lx->pos;
	*tk = (struct token){ T_EOF, s, 1, lx->line, lx->col };
	char ch = s[0], n1 = rest > 1 ? s[1] : '\0';
	switch (ch) {
	case '\n':
		tk->k = T_NL;
		lx->pos++;
		lx->line++;
		lx->col = 1;
		return 0;
	case ':': tk->k = T_COLON; break;
	case '{': tk->k = T_LBRACE; break;
	case '}': tk->k = T_RBRACE; break;
	case ',': tk->k = T_COMMA; break;
	case '=': tk->k = n1 == '=' ? T_EQ2 : T_ASSIGN; break;
	case '<': tk->k = n1 == '=' ? T_LE : T_LT; break;
	case '>': tk->k = n1 == '=' ? T_GE : T_GT; break;
	case '&': tk->k = n1 == '&' ? T_AND : T_AMP; break;
	case '|': tk->k = n1 == '|' ? T_OR : T_PIPE; break;
	case '!':
		if (n1 != '=')
			return ERR(c, tk, "unexpected '!' (the only operator with '!' is '!=')");
		tk->k = T_NE;
		break;
	case '"': {
		size_t i = 1;
		while (i < rest && s[i] != '"' && s[i] != '\n')
			i++;
		if (i >= rest || s[i] != '"')
			return ERR(c, tk, "unterminated string");
		tk->k = T_STRING;
		tk->s = s + 1;
		tk->len = i - 1;
		lx->pos += i + 1;
		lx->col += (unsigned)(i + 1);
		if (tk->len > SBX_POLICY_MAX_TOKEN)
			return ERR(c, tk, "string too long (at most %u bytes)", SBX_POLICY_MAX_TOKEN);
		return 0;
	}
	default:
		if (ch == '-' && n1 == '>') {
			tk->k = T_ARROW;
			break;
		}
		if (!word_char(ch)) {
			if ((unsigned char)ch < ' ' || ch == 0x7f)
				return ERR(c, tk, "unexpected control character 0x%02x", (unsigned char)ch);
			return ERR(c, tk, "unexpected character '%c'", ch);
		}
		size_t i = 0;
		while (i < rest) {
			if (s[i] == '$' && i + 1 < rest && s[i + 1] == '{') {
				/* ${name} is part of the word: the braces are not tokens here. */
				size_t j = i + 2;
				while (j < rest && s[j] != '}' && s[j] != '\n')
					j++;
				if (j >= rest || s[j] != '}') {
					struct token bad = { T_WORD, s + i, 2, lx->line, lx->col + (unsigned)i };
					return ERR(c, &bad, "unterminated '${' (write ${name})");
				}
				i = j + 1;
				continue;
			}
			if (!word_char(s[i]) || (s[i] == '-' && i + 1 < rest && s[i + 1] == '>'))
				break;
			i++;
		}
		tk->k = T_WORD;
		tk->len = i;
		lx->pos += i;
		lx->col += (unsigned)i;
		if (i > SBX_POLICY_MAX_TOKEN)
			return ERR(c, tk, "word too long (at most %u bytes)", SBX_POLICY_MAX_TOKEN);
		return 0;
	}
	if (tk->k == T_EQ2 || tk->k == T_NE || tk->k == T_LE || tk->k == T_GE || tk->k == T_AND ||
	    tk->k == T_OR || tk->k == T_ARROW)
		tk->len = 2;
	lx->pos += tk->len;
	lx->col += (unsigned)tk->len;
	return 0;
}

static int lex_next(struct ctx *c, struct lexer *lx, struct token *tk)
{
	if (lx->has_peeked) {
		*tk = lx->peeked;
		lx->has_peeked = false;
		return 0;
	}
	return lex_raw(c, lx, tk);
}

static int lex_peek(struct ctx *c, struct lexer *lx, struct token *tk)
{
	if (!lx->has_peeked) {
		int r = lex_raw(c, lx, &lx->peeked);
		if (r < 0)
			return r;
		lx->has_peeked = true;
	}
	*tk = lx->peeked;
	return 0;
}

static const char *tok_desc(const struct token *tk, char *buf, size_t len)
{
	if (tk->k == T_WORD || tk->k == T_STRING) {
		char w[80];
		tok_str(tk, w, sizeof(w));
		snprintf(buf, len, "'%s'", w);
	} else {
		snprintf(buf, len, "%s", tok_names[tk->k]);
	}
	return buf;
}

static int expect_end(struct ctx *c, struct lexer *lx, const char *what)
{
	struct token tk;
	int r = lex_next(c, lx, &tk);
	if (r < 0)
		return r;
	if (tk.k == T_NL || tk.k == T_EOF)
		return 0;
	char d[96];
	return ERR(c, &tk, "unexpected %s after %s", tok_desc(&tk, d, sizeof(d)), what);
}

/* ---- Parameters ---- */

static struct sbx_param_value *param_find(struct sbx_policy *p, const char *name, size_t len)
{
	for (size_t i = 0; i < p->n_params; i++)
		if (strlen(p->params[i].name) == len && memcmp(p->params[i].name, name, len) == 0)
			return &p->params[i];
	return NULL;
}

static bool valid_param_name(const char *s, size_t len)
{
	if (len == 0 || len > 64 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

/* The token's text with every ${name} replaced by the parameter's value. */
static int expand(struct ctx *c, struct lexer *lx, const struct token *tk, char *out, size_t outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < tk->len;) {
		if (tk->s[i] == '$' && i + 1 < tk->len && tk->s[i + 1] == '{') {
			size_t j = i + 2;
			while (j < tk->len && tk->s[j] != '}')
				j++;
			struct token ref = { T_WORD, tk->s + i, j + 1 - i, tk->line, tk->col + (unsigned)i };
			const char *name = tk->s + i + 2;
			size_t nl = j - i - 2;
			char nm[80];
			snprintf(nm, sizeof(nm), "%.*s", (int)(nl < 64 ? nl : 64), name);
			if (j >= tk->len || !valid_param_name(name, nl))
				return ERR(c, &ref, "bad parameter reference (write ${name})");
			struct sbx_param_value *pv = param_find(c->p, name, nl);
			if (!pv || !pv->declared)
				return ERR(c, &ref, "unknown parameter '%s' (declare it first: param %s = DEFAULT)", nm, nm);
			if (!pv->value)
				return ERR(c, &ref, "parameter '%s' has no value: pass --param %s=VALUE", nm, nm);
			size_t vl = strlen(pv->value);
			if (o + vl >= outlen)
				return ERR(c, tk, "value too long after expanding parameters");
			memcpy(out + o, pv->value, vl);
			o += vl;
			i = j + 1;
			continue;
		}
		if (o + 1 >= outlen)
			return ERR(c, tk, "value too long");
		out[o++] = tk->s[i++];
	}
	out[o] = '\0';
	return 0;
}

static int parse_param(struct ctx *c, struct lexer *lx, const struct token *kw)
{
	struct token name, tk;
	int r = lex_next(c, lx, &name);
	if (r < 0)
		return r;
	if (name.k != T_WORD || !valid_param_name(name.s, name.len)) {
		char d[96];
		return ERR(c, &name, "expected a parameter name after 'param', found %s", tok_desc(&name, d, sizeof(d)));
	}
	char value[SBX_POLICY_MAX_TOKEN + 1];
	bool has_value = false;
	if ((r = lex_next(c, lx, &tk)) < 0)
		return r;
	if (tk.k == T_ASSIGN) {
		struct token v;
		if ((r = lex_next(c, lx, &v)) < 0)
			return r;
		if (v.k != T_WORD && v.k != T_STRING) {
			char d[96];
			return ERR(c, &v, "expected a default value after '=', found %s", tok_desc(&v, d, sizeof(d)));
		}
		/* Defaults are literal: a default that refers to another parameter hides an order. */
		tok_str(&v, value, sizeof(value));
		has_value = true;
		if ((r = expect_end(c, lx, "the parameter's default")) < 0)
			return r;
	} else if (tk.k != T_NL && tk.k != T_EOF) {
		char d[96];
		return ERR(c, &tk, "expected '=' or the end of the line after 'param NAME', found %s",
			   tok_desc(&tk, d, sizeof(d)));
	}
	struct sbx_param_value *pv = param_find(c->p, name.s, name.len);
	if (pv && pv->declared) {
		char nm[80];
		tok_str(&name, nm, sizeof(nm));
		return ERR(c, &name, "parameter '%s' is already declared at %s:%u", nm, pv->file, pv->line);
	}
	if (!pv) {
		if (c->p->n_params >= SBX_POLICY_MAX_PARAMS)
			return ERR(c, kw, "too many parameters (at most %u)", SBX_POLICY_MAX_PARAMS);
		pv = &c->p->params[c->p->n_params++];
		*pv = (struct sbx_param_value){ 0 };
		pv->name = strndup(name.s, name.len);
		if (!pv->name)
			return -ENOMEM;
		if (has_value && !(pv->value = strdup(value)))
			return -ENOMEM;
	}
	pv->declared = true;
	pv->file = lx->file;
	pv->line = name.line;
	return 0;
}

/* ---- Values in conditions ---- */

static int parse_number(const char *s, uint64_t *ret)
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

struct cond_text {
	char buf[2048];
	size_t len;
	bool overflow;
};

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

/* A condition in disjunctive normal form, before it is bound to a system call. */
struct dnf {
	struct sbx_conj alts[SBX_POLICY_MAX_ALTS];
	unsigned cols[SBX_POLICY_MAX_ALTS][SBX_POLICY_MAX_CMPS];
	size_t n;
};

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

/* cmp := ARG OP value | ARG '&' value ('=='|'!=') value | ARG 'in' '{' value {',' value} '}'
 * Produces one or more alternatives (`in`), written to vals/n_vals as comparisons. */
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
		struct token br;
		if ((r = lex_next(c, lx, &br)) < 0)
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
	if (op.k == T_AMP) {
		ct_add(ct, &op);
		if ((r = parse_value(c, lx, ct, &base.mask)) < 0)
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

/* cond := conj { '||' conj } ; conj := cmp { '&&' cmp } */
static int parse_cond(struct ctx *c, struct lexer *lx, struct cond_text *ct, struct dnf *d)
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

struct action {
	uint8_t kind;
	int errno_val;
	bool given;
};

static int parse_action(struct ctx *c, struct lexer *lx, const struct token *tk, struct action *a)
{
	a->given = true;
	if (tok_is(tk, "allow"))
		a->kind = SBX_ACT_ALLOW;
	else if (tok_is(tk, "log"))
		a->kind = SBX_ACT_LOG;
	else if (tok_is(tk, "kill"))
		a->kind = SBX_ACT_KILL;
	else if (tok_is(tk, "errno")) {
		struct token e;
		int r = lex_next(c, lx, &e);
		if (r < 0)
			return r;
		if (e.k != T_WORD) {
			char d[96];
			return ERR(c, &e, "expected an error name after 'errno' (e.g. EACCES), found %s",
				   tok_desc(&e, d, sizeof(d)));
		}
		char w[80];
		tok_str(&e, w, sizeof(w));
		uint64_t num;
		int v = parse_number(w, &num) == 0 ? (num >= 1 && num <= 4095 ? (int)num : 0) : sbx_errno_lookup(w);
		if (v == 0)
			return ERR(c, &e, "errno number out of range: '%s' (1 to 4095)", w);
		if (v < 0) {
			/* Suggest among the errno names the C library knows. */
			const char *names[160];
			size_t n = 0;
			for (int i = 1; i < 160 && n < SBX_ARRAY_SIZE(names) - 1; i++)
				if (sbx_errno_name(i))
					names[n++] = sbx_errno_name(i);
			names[n] = NULL;
			const char *sug = sbx_suggest(w, names);
			if (sug)
				return ERR(c, &e, "unknown error name '%s' (did you mean '%s'?)", w, sug);
			return ERR(c, &e, "unknown error name '%s'", w);
		}
		a->kind = SBX_ACT_ERRNO;
		a->errno_val = v;
	} else {
		char d[96];
		return ERR(c, tk, "expected an action (allow, errno NAME, log, kill), found %s", tok_desc(tk, d, sizeof(d)));
	}
	return expect_end(c, lx, "the action");
}

/* ---- Rules ---- */

static bool conj_equal(const struct sbx_rule *a, const struct sbx_rule *b)
{
	if (!a->cond || !b->cond)
		return !a->cond && !b->cond;
	return strcmp(a->cond, b->cond) == 0;
}

static int add_rule(struct ctx *c, struct lexer *lx, const struct token *tk, int nr, const char *name,
		    const char *via, const struct dnf *d, const char *cond, const struct action *a,
		    unsigned cond_col)
{
	struct sbx_policy *p = c->p;
	struct sbx_rule nrule = { .nr = nr, .action = a->kind, .errno_val = a->errno_val,
				  .file = lx->file, .line = tk->line, .col = tk->col };
	sbx_strlcpy(nrule.name, name, sizeof(nrule.name));
	sbx_strlcpy(nrule.via, via, sizeof(nrule.via));
	const char *fmt = sbx_syscall_args(name);
	if (d && d->n) {
		/* Bind the condition to this call: argument count and width. */
		_cleanup_free_ struct sbx_conj *alts = calloc(d->n, sizeof(*alts));
		if (!alts)
			return -ENOMEM;
		for (size_t i = 0; i < d->n; i++) {
			alts[i] = d->alts[i];
			for (size_t j = 0; j < alts[i].n; j++) {
				struct sbx_cmp *cm = &alts[i].c[j];
				struct token at = { T_WORD, NULL, 0, tk->line, d->cols[i][j] };
				if (fmt && cm->arg >= strlen(fmt))
					return ERR(c, &at, "argument index out of range: '%s' has %zu argument%s "
						   "(arg0 to arg%zu), not arg%u", name, strlen(fmt),
						   strlen(fmt) == 1 ? "" : "s", strlen(fmt) - 1, cm->arg);
				cm->int_sized = sbx_arg_is_int(name, cm->arg);
				if (!cm->int_sized)
					continue;
				/* The kernel reads this argument as a 32-bit int: compare the low 32 bits
				 * only, so 0x100005412 cannot pass for TIOCSTI or dodge an errno rule
				 * (CVE-2019-10063). A value that needs more than 32 bits is a mistake. */
				uint64_t hi = cm->value >> 32, mhi = cm->mask >> 32;
				if ((hi != 0 && hi != 0xffffffff) || (mhi != 0 && mhi != 0xffffffff))
					return ERR(c, &at, "value does not fit in 32 bits: arg%u of '%s' is an int",
						   cm->arg, name);
				cm->value &= 0xffffffffu;
				cm->mask &= 0xffffffffu;
			}
			char err[256];
			int r = sbx_conj_expand(&alts[i], NULL, NULL, err, sizeof(err));
			if (r < 0) {
				struct token at = { T_WORD, NULL, 0, tk->line, cond_col };
				return ERR(c, &at, "%s", err);
			}
		}
		nrule.alts = sbx_steal_ptr(&alts);
		nrule.n_alts = d->n;
		nrule.cond = strdup(cond);
		if (!nrule.cond) {
			free(nrule.alts);
			return -ENOMEM;
		}
	}
	char abuf[64], bbuf[64];
	for (size_t i = 0; i < p->n_rules; i++) {
		struct sbx_rule *o = &p->rules[i];
		if (o->nr != nr)
			continue;
		bool same_action = o->action == nrule.action && o->errno_val == nrule.errno_val;
		const char *why = NULL;
		if (conj_equal(o, &nrule)) {
			if (same_action) {
				bool both_explicit = !o->via[0] && !nrule.via[0] && o->file == nrule.file;
				if (!both_explicit)
					goto drop; /* groups and includes overlap by design */
				why = "duplicate rule";
			} else {
				why = "conflicting rule";
			}
		} else if ((!o->cond || !nrule.cond) && !same_action) {
			/* libseccomp lets an unconditional rule replace every conditional one for the
			 * same call, so "socket: arg0 == AF_UNIX" next to "socket: errno EACCES" would
			 * silently lose the first. Refuse it rather than compile something else. */
			why = "conflicting rule (a system call has either one unconditional rule or "
			      "conditional ones)";
		}
		if (why) {
			free(nrule.alts);
			free(nrule.cond);
			return ERR(c, tk, "%s for '%s': '%s' here, '%s' at %s:%u", why, name,
				   sbx_action_text(&nrule, abuf, sizeof(abuf)), sbx_action_text(o, bbuf, sizeof(bbuf)),
				   o->file, o->line);
		}
	}
	if (p->n_rules >= SBX_POLICY_MAX_RULES) {
		free(nrule.alts);
		free(nrule.cond);
		return ERR(c, tk, "too many rules (at most %u)", SBX_POLICY_MAX_RULES);
	}
	if (p->n_rules == p->cap_rules) {
		size_t cap = p->cap_rules ? p->cap_rules * 2 : 64;
		struct sbx_rule *nr_ = realloc(p->rules, cap * sizeof(*nr_));
		if (!nr_) {
			free(nrule.alts);
			free(nrule.cond);
			return -ENOMEM;
		}
		p->rules = nr_;
		p->cap_rules = cap;
	}
	p->rules[p->n_rules++] = nrule;
	return 0;
drop:
	free(nrule.alts);
	free(nrule.cond);
	return 0;
}

static int set_exec(struct ctx *c, struct lexer *lx, const struct token *tk, int value)
{
	struct sbx_policy *p = c->p;
	if (p->exec >= 0 && p->exec != value)
		return ERR(c, tk, "conflicting rule: exec is %s here but %s at %s:%u", value ? "allowed" : "none",
			   p->exec ? "allowed" : "none", p->exec_file, p->exec_line);
	if (p->exec < 0) {
		p->exec = value;
		p->exec_file = lx->file;
		p->exec_line = tk->line;
	}
	return 0;
}

#define MAX_TARGETS 64

static int parse_rule(struct ctx *c, struct lexer *lx, const struct token *first)
{
	struct token targets[MAX_TARGETS];
	size_t n = 0;
	struct token tk = *first;
	int r;
	for (;;) {
		if (n >= MAX_TARGETS)
			return ERR(c, &tk, "too many names on one line (at most %u)", MAX_TARGETS);
		targets[n++] = tk;
		if ((r = lex_next(c, lx, &tk)) < 0)
			return r;
		if (tk.k != T_WORD)
			break;
	}
	struct action act = { SBX_ACT_ALLOW, 0, false };
	struct cond_text ct = { .len = 0 };
	_cleanup_free_ struct dnf *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	unsigned cond_col = 0;
	if (tk.k == T_COLON) {
		struct token nx;
		if ((r = lex_next(c, lx, &nx)) < 0)
			return r;
		if (nx.k == T_NL || nx.k == T_EOF)
			return ERR(c, &nx, "expected a condition or an action after ':'");
		bool is_action = false;
		for (const char *const *a = action_words; *a; a++)
			is_action = is_action || tok_is(&nx, *a);
		if (is_action) {
			if ((r = parse_action(c, lx, &nx, &act)) < 0)
				return r;
		} else {
			lx->peeked = nx;
			lx->has_peeked = true;
			cond_col = nx.col;
			if ((r = parse_cond(c, lx, &ct, d)) < 0)
				return r;
			if (ct.overflow)
				return ERR(c, &nx, "condition too long");
			struct token after;
			if ((r = lex_next(c, lx, &after)) < 0)
				return r;
			if (after.k == T_ARROW) {
				struct token aw;
				if ((r = lex_next(c, lx, &aw)) < 0)
					return r;
				if ((r = parse_action(c, lx, &aw, &act)) < 0)
					return r;
			} else if (after.k != T_NL && after.k != T_EOF) {
				char dd[96];
				return ERR(c, &after, "unexpected %s after the condition (join comparisons with "
					   "'&&' or '||', give an action with '-> ACTION')", tok_desc(&after, dd, sizeof(dd)));
			}
		}
	} else if (tk.k != T_NL && tk.k != T_EOF) {
		char dd[96];
		return ERR(c, &tk, "unexpected %s after system call names (expected ':' or the end of the line)",
			   tok_desc(&tk, dd, sizeof(dd)));
	}

	for (size_t i = 0; i < n; i++) {
		struct token *t = &targets[i];
		char name[80];
		tok_str(t, name, sizeof(name));
		if (t->len >= 64)
			return ERR(c, t, "unknown system call '%s'", name);
		if (name[0] == '@') {
			const struct sbx_group *g = sbx_group_find(name);
			if (!g) {
				const char *sug = sbx_suggest_group(name);
				if (sug)
					return ERR(c, t, "unknown group '%s' (did you mean '%s'?)", name, sug);
				return ERR(c, t, "unknown group '%s' (see docs/policy.md for the groups)", name);
			}
			if (d->n)
				return ERR(c, t, "argument conditions apply to single system calls, not to group '%s'", name);
			for (const char *const *m = g->members; *m; m++) {
				bool elsewhere;
				int nr = sbx_syscall_lookup(*m, &elsewhere);
				if (nr < 0)
					continue;
				if ((r = add_rule(c, lx, t, nr, *m, name, NULL, NULL, &act, 0)) < 0)
					return r;
			}
			continue;
		}
		for (const char *const *k = keywords; *k; k++)
			if (strcmp(name, *k) == 0)
				return ERR(c, t, "'%s' is a keyword and must start its own line", name);
		bool elsewhere;
		int nr = sbx_syscall_lookup(name, &elsewhere);
		if (nr < 0 && elsewhere)
			continue; /* a portable policy names calls another architecture has */
		if (nr < 0) {
			if (name[0] == '[')
				return ERR(c, t, "unknown section '%s': a policy has no [sections]; use the keywords "
					   "include, param, exec, ro, rw, tmpfs, limit", name);
			const char *kw = i == 0 ? sbx_suggest(name, keywords) : NULL;
			if (kw)
				return ERR(c, t, "unknown keyword or system call '%s' (did you mean '%s'?)", name, kw);
			const char *sug = sbx_suggest_syscall(name);
			if (sug)
				return ERR(c, t, "unknown system call '%s' (did you mean '%s'?)", name, sug);
			return ERR(c, t, "unknown system call '%s'", name);
		}
		if (strcmp(name, "execve") == 0 || strcmp(name, "execveat") == 0) {
			if (d->n || act.kind != SBX_ACT_ALLOW)
				return ERR(c, t, "'%s' is governed by the exec keyword: write 'exec allow' or 'exec none'", name);
			if ((r = set_exec(c, lx, t, 1)) < 0)
				return r;
			continue;
		}
		if ((r = add_rule(c, lx, t, nr, name, "", d->n ? d : NULL, ct.buf, &act, cond_col)) < 0)
			return r;
	}
	return 0;
}

/* ---- Keywords ---- */

static int parse_include(struct ctx *c, struct lexer *lx, const struct token *kw, const char *dir);

static int get_path(struct ctx *c, struct lexer *lx, const struct token *tk, char *out, size_t len)
{
	if (tk->k != T_WORD && tk->k != T_STRING) {
		char d[96];
		return ERR(c, tk, "expected a path, found %s", tok_desc(tk, d, sizeof(d)));
	}
	int r = expand(c, lx, tk, out, len);
	if (r < 0)
		return r;
	if (out[0] != '/')
		return ERR(c, tk, "path must be absolute: '%s'", out);
	/* ".." would let a parameter climb out of the directory the policy meant. */
	for (const char *s = out; (s = strstr(s, "/..")); s += 3)
		if (s[3] == '/' || s[3] == '\0')
			return ERR(c, tk, "path must not contain '..': '%s'", out);
	return 0;
}

static int add_mount(struct ctx *c, struct lexer *lx, const struct token *tk, enum sbx_mount_kind kind,
		     const char *path, uint64_t size)
{
	struct sbx_policy *p = c->p;
	for (size_t i = 0; i < p->n_mounts; i++)
		if (strcmp(p->mounts[i].path, path) == 0)
			return ERR(c, tk, "'%s' is already in the filesystem at %s:%u", path, p->mounts[i].file,
				   p->mounts[i].line);
	if (p->n_mounts >= SBX_POLICY_MAX_MOUNTS)
		return ERR(c, tk, "too many paths (at most %u)", SBX_POLICY_MAX_MOUNTS);
	struct sbx_policy_mount *m = realloc(p->mounts, (p->n_mounts + 1) * sizeof(*m));
	if (!m)
		return -ENOMEM;
	p->mounts = m;
	char *dup = strdup(path);
	if (!dup)
		return -ENOMEM;
	/* Trailing slashes name the same directory; keep one spelling for the launcher. */
	for (size_t l = strlen(dup); l > 1 && dup[l - 1] == '/'; l--)
		dup[l - 1] = '\0';
	p->mounts[p->n_mounts++] = (struct sbx_policy_mount){ kind, dup, size, lx->file, tk->line };
	return 0;
}

static int parse_paths(struct ctx *c, struct lexer *lx, const struct token *kw, enum sbx_mount_kind kind)
{
	unsigned n = 0;
	for (;;) {
		struct token tk;
		int r = lex_next(c, lx, &tk);
		if (r < 0)
			return r;
		if (tk.k == T_NL || tk.k == T_EOF)
			break;
		char path[PATH_MAX];
		if ((r = get_path(c, lx, &tk, path, sizeof(path))) < 0)
			return r;
		if ((r = add_mount(c, lx, &tk, kind, path, 0)) < 0)
			return r;
		n++;
	}
	if (n == 0)
		return ERR(c, kw, "expected one or more absolute paths after '%s'", kind == SBX_MOUNT_RO ? "ro" : "rw");
	return 0;
}

static int parse_tmpfs(struct ctx *c, struct lexer *lx, const struct token *kw)
{
	struct token tk;
	int r = lex_next(c, lx, &tk);
	if (r < 0)
		return r;
	if (tk.k == T_NL || tk.k == T_EOF)
		return ERR(c, kw, "expected a path after 'tmpfs'");
	char path[PATH_MAX];
	if ((r = get_path(c, lx, &tk, path, sizeof(path))) < 0)
		return r;
	uint64_t size = 64ull << 20;
	struct token s;
	if ((r = lex_next(c, lx, &s)) < 0)
		return r;
	if (tok_is(&s, "size")) {
		struct token v;
		if ((r = lex_next(c, lx, &v)) < 0)
			return r;
		char buf[128];
		if (v.k != T_WORD)
			return ERR(c, &v, "expected a size after 'size' (e.g. 64M)");
		if ((r = expand(c, lx, &v, buf, sizeof(buf))) < 0)
			return r;
		struct sbx_spec_error e;
		if (sbx_spec_size(buf, &size, &e) < 0)
			return ERR(c, &v, "%s", e.text);
		if (size == 0)
			return ERR(c, &v, "a tmpfs size must be above zero (e.g. 512K, 64M, 1G)");
		if ((r = expect_end(c, lx, "the tmpfs size")) < 0)
			return r;
	} else if (s.k != T_NL && s.k != T_EOF) {
		char d[96];
		return ERR(c, &s, "expected 'size SIZE' or the end of the line, found %s", tok_desc(&s, d, sizeof(d)));
	}
	return add_mount(c, lx, &tk, SBX_MOUNT_TMPFS, path, size);
}

/* One word after a resource's target (the nth): MODE, PATTERN, `max N`, `promisc`,
 * `filter "EXPR"`. */
static int resource_option(struct ctx *c, struct lexer *lx, struct sbx_resource *res, unsigned nth,
			   const struct token *tk, const char *word)
{
	struct sbx_spec_error e;
	int r = 0;
	if ((res->kind == SBX_RES_FILE || res->kind == SBX_RES_DIR) && nth == 0) {
		if (sbx_spec_access(word, &res->flags, &e) < 0)
			return ERR(c, tk, "%s", e.text);
	} else if (res->kind == SBX_RES_DIR && strcmp(word, "max") == 0 && tk->k == T_WORD) {
		struct token v;
		char nb[32];
		uint64_t mx;
		if ((r = lex_next(c, lx, &v)) < 0)
			return r;
		if (v.k != T_WORD || (r = expand(c, lx, &v, nb, sizeof(nb))) < 0 || sbx_parse_u64(nb, &mx) < 0 ||
		    mx == 0 || mx > 1000000)
			return r < 0 ? r : ERR(c, &v, "expected a count from 1 to 1000000 after 'max'");
		res->max_opens = (unsigned)mx;
	} else if (res->kind == SBX_RES_DIR && nth == 1) {
		if (word[0] && !(res->pattern = strdup(word)))
			return -ENOMEM;
	} else if (res->kind == SBX_RES_CAPTURE && strcmp(word, "promisc") == 0) {
		res->promisc = true;
	} else if (res->kind == SBX_RES_CAPTURE && strcmp(word, "filter") == 0) {
		struct token f;
		char filter[1024];
		if ((r = lex_next(c, lx, &f)) < 0)
			return r;
		if (f.k != T_STRING && f.k != T_WORD)
			return ERR(c, tk, "expected a filter expression after 'filter' (quote it)");
		if ((r = expand(c, lx, &f, filter, sizeof(filter))) < 0)
			return r;
		free(res->filter); /* the last one counts */
		res->filter = NULL;
		if (filter[0] && !(res->filter = strdup(filter)))
			return -ENOMEM;
	} else {
		return ERR(c, tk, "unexpected '%s' in a %s resource", word, sbx_resource_kind_name(res->kind));
	}
	return 0;
}

/* resource NAME file PATH [MODE]
 * resource NAME dir PATH [MODE [PATTERN]] [max N]
 * resource NAME capture IFACE [promisc] [filter "EXPR"]
 * resource NAME connect|listen ADDRESS
 * MODE and NAME as on the command line (common/spec.h). */
static int parse_resource(struct ctx *c, struct lexer *lx, const struct token *kw)
{
	struct sbx_policy *p = c->p;
	struct token name, kind, target;
	char nbuf[80], kbuf[32], tbuf[PATH_MAX], d[96];
	struct sbx_spec_error e;
	int r;
	if ((r = lex_next(c, lx, &name)) < 0)
		return r;
	if (name.k != T_WORD)
		return ERR(c, kw, "expected a resource name after 'resource', found %s", tok_desc(&name, d, sizeof(d)));
	tok_str(&name, nbuf, sizeof(nbuf));
	if (sbx_spec_name(nbuf, &e) < 0)
		return ERR(c, &name, "%s", e.text);
	for (size_t i = 0; i < p->n_resources; i++)
		if (strcmp(p->resources[i].res.name, nbuf) == 0)
			return ERR(c, &name, "resource '%s' declared twice (first at %s:%u)", nbuf, p->resources[i].file,
				   p->resources[i].line);
	if ((r = lex_next(c, lx, &kind)) < 0)
		return r;
	tok_str(&kind, kbuf, sizeof(kbuf));
	int k = kind.k == T_WORD ? sbx_resource_kind_from_name(kbuf) : -EINVAL;
	if (k < 0 || k == SBX_RES_FD) /* an fd is the caller's to give, not a policy's */
		return ERR(c, &kind, "expected a resource kind (file, dir, capture, connect, listen), found %s",
			   tok_desc(&kind, d, sizeof(d)));
	bool path = k == SBX_RES_FILE || k == SBX_RES_DIR;
	const char *what = path ? "a path" : k == SBX_RES_CAPTURE ? "an interface" : "an address";
	if ((r = lex_next(c, lx, &target)) < 0)
		return r;
	if (target.k == T_NL || target.k == T_EOF)
		return ERR(c, &kind, "expected %s after '%s'", what, kbuf);
	if (path) {
		if ((r = get_path(c, lx, &target, tbuf, sizeof(tbuf))) < 0)
			return r;
	} else {
		if (target.k != T_WORD && target.k != T_STRING)
			return ERR(c, &target, "expected %s, found %s", what, tok_desc(&target, d, sizeof(d)));
		if ((r = expand(c, lx, &target, tbuf, sizeof(tbuf))) < 0)
			return r;
	}
	_cleanup_resource_ struct sbx_resource res;
	sbx_resource_init(&res, (enum sbx_resource_kind)k);
	sbx_strlcpy(res.name, nbuf, sizeof(res.name));
	if (!(res.target = strdup(tbuf)))
		return -ENOMEM;
	for (unsigned nth = 0;; nth++) {
		struct token tk;
		char buf[1024];
		if ((r = lex_next(c, lx, &tk)) < 0)
			return r;
		if (tk.k == T_NL || tk.k == T_EOF)
			break;
		if (tk.k != T_WORD && tk.k != T_STRING)
			return ERR(c, &tk, "unexpected %s in a resource", tok_desc(&tk, d, sizeof(d)));
		if ((r = expand(c, lx, &tk, buf, sizeof(buf))) < 0)
			return r;
		if ((r = resource_option(c, lx, &res, nth, &tk, buf)) < 0)
			return r;
	}
	struct sbx_policy_resource *n = realloc(p->resources, (p->n_resources + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	p->resources = n;
	p->resources[p->n_resources++] = (struct sbx_policy_resource){ res, lx->file, name.line };
	sbx_resource_init(&res, res.kind); /* the policy owns its strings now */
	return 0;
}

static int parse_limit(struct ctx *c, struct lexer *lx, const struct token *kw)
{
	struct token nt, vt;
	int r = lex_next(c, lx, &nt);
	if (r < 0)
		return r;
	char name[80];
	tok_str(&nt, name, sizeof(name));
	size_t idx = 0;
	while (limit_names[idx] && !(nt.k == T_WORD && strcmp(limit_names[idx], name) == 0))
		idx++;
	if (!limit_names[idx]) {
		if (nt.k != T_WORD)
			return ERR(c, kw, "expected a limit name after 'limit' (time, memory, pids, nofile, fsize)");
		const char *sug = sbx_suggest(name, limit_names);
		if (sug)
			return ERR(c, &nt, "unknown limit '%s' (did you mean '%s'?)", name, sug);
		return ERR(c, &nt, "unknown limit '%s' (time, memory, pids, nofile, fsize)", name);
	}
	if ((r = lex_next(c, lx, &vt)) < 0)
		return r;
	if (vt.k != T_WORD)
		return ERR(c, &vt, "expected a value after 'limit %s'", name);
	char buf[128];
	if ((r = expand(c, lx, &vt, buf, sizeof(buf))) < 0)
		return r;
	uint64_t v = 0;
	switch (idx) {
	case 0: r = sbx_spec_duration_ms(buf, &v, NULL); break;
	case 1: case 4: r = sbx_parse_size(buf, &v); break;
	default: r = sbx_parse_u64(buf, &v); break;
	}
	if (r < 0 || v == 0)
		return ERR(c, &vt, "bad value '%s' for limit %s (%s)", buf, name,
			   idx == 0 ? "e.g. 500ms, 10s, 5m, 1h" : idx == 1 || idx == 4 ? "e.g. 64M, 1G" : "a positive number");
	if ((r = expect_end(c, lx, "the limit")) < 0)
		return r;
	struct sbx_limit_origin *o = &c->p->limit_origin[idx];
	if (o->set && o->depth == c->depth && o->file == lx->file)
		return ERR(c, &nt, "duplicate rule: limit %s is already set at %s:%u", name, o->file, o->line);
	/* The including file speaks last: its limits override those of what it includes. */
	if (o->set && o->depth < c->depth)
		return 0;
	uint64_t *fields[] = { &c->p->limits.time_ms, &c->p->limits.memory, &c->p->limits.pids,
			       &c->p->limits.nofile, &c->p->limits.fsize };
	*fields[idx] = v;
	*o = (struct sbx_limit_origin){ lx->file, nt.line, c->depth, true };
	return 0;
}

static int parse_exec(struct ctx *c, struct lexer *lx, const struct token *kw)
{
	struct token tk;
	int r = lex_next(c, lx, &tk);
	if (r < 0)
		return r;
	int v;
	if (tok_is(&tk, "none"))
		v = 0;
	else if (tok_is(&tk, "allow"))
		v = 1;
	else {
		char d[96];
		return ERR(c, &tk, "expected 'none' or 'allow' after 'exec', found %s", tok_desc(&tk, d, sizeof(d)));
	}
	if ((r = expect_end(c, lx, "exec")) < 0)
		return r;
	(void)kw;
	return set_exec(c, lx, &tk, v);
}

static int parse_file(struct ctx *c, const char *file, const char *dir, const char *text, size_t len)
{
	struct lexer lx_ = { .file = file, .t = text, .len = len, .line = 1, .col = 1 };
	struct lexer *lx = &lx_;
	if (memchr(text, '\0', len)) {
		size_t off = (size_t)((const char *)memchr(text, '\0', len) - text);
		unsigned line = 1;
		for (size_t i = 0; i < off; i++)
			line += text[i] == '\n';
		sbx_policy_diag_set(c->diag, file, line, 1, "policy contains a NUL byte");
		return -EINVAL;
	}
	for (;;) {
		struct token tk;
		int r = lex_next(c, lx, &tk);
		if (r < 0)
			return r;
		if (tk.k == T_EOF)
			return 0;
		if (tk.k == T_NL)
			continue;
		if (tk.k != T_WORD) {
			char d[96];
			return ERR(c, &tk, "unexpected %s at the start of a line", tok_desc(&tk, d, sizeof(d)));
		}
		if (tok_is(&tk, "include"))
			r = parse_include(c, lx, &tk, dir);
		else if (tok_is(&tk, "param"))
			r = parse_param(c, lx, &tk);
		else if (tok_is(&tk, "exec"))
			r = parse_exec(c, lx, &tk);
		else if (tok_is(&tk, "ro"))
			r = parse_paths(c, lx, &tk, SBX_MOUNT_RO);
		else if (tok_is(&tk, "rw"))
			r = parse_paths(c, lx, &tk, SBX_MOUNT_RW);
		else if (tok_is(&tk, "tmpfs"))
			r = parse_tmpfs(c, lx, &tk);
		else if (tok_is(&tk, "limit"))
			r = parse_limit(c, lx, &tk);
		else if (tok_is(&tk, "resource"))
			r = parse_resource(c, lx, &tk);
		else
			r = parse_rule(c, lx, &tk);
		if (r < 0)
			return r;
	}
}

static const char *intern_file(struct sbx_policy *p, const char *name)
{
	for (size_t i = 0; i < p->n_files; i++)
		if (strcmp(p->files[i], name) == 0)
			return p->files[i];
	if (p->n_files >= SBX_POLICY_MAX_FILES)
		return NULL;
	char **nf = realloc(p->files, (p->n_files + 1) * sizeof(*nf));
	if (!nf)
		return NULL;
	p->files = nf;
	char *dup = strdup(name);
	if (!dup)
		return NULL;
	p->files[p->n_files++] = dup;
	return dup;
}

static int parse_include(struct ctx *c, struct lexer *lx, const struct token *kw, const char *dir)
{
	struct token tk;
	int r = lex_next(c, lx, &tk);
	if (r < 0)
		return r;
	if (tk.k != T_WORD && tk.k != T_STRING)
		return ERR(c, kw, "expected a policy name or path after 'include' (e.g. include base/stdio)");
	char what[PATH_MAX];
	if ((r = expand(c, lx, &tk, what, sizeof(what))) < 0)
		return r;
	if ((r = expect_end(c, lx, "the included name")) < 0)
		return r;
	if (c->depth >= SBX_POLICY_MAX_INCLUDE_DEPTH)
		return ERR(c, &tk, "includes nested too deeply (at most %u levels)", SBX_POLICY_MAX_INCLUDE_DEPTH);

	/* From a file on disk: its directory, the policy directories, then the built-in copies.
	 * From text in memory (the built-in default): the built-in copies first, so the default
	 * policy means the same thing wherever sbx is installed. */
	char path[PATH_MAX];
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	const char *key = NULL;
	const struct sbx_builtin_policy *b = sbx_builtin_policy_find(what);
	const char *dir_for_child = NULL;
	char child_dir[PATH_MAX];
	if (b && !dir) {
		snprintf(path, sizeof(path), "<builtin>/%s.policy", b->name);
	} else {
		r = sbx_policy_resolve(what, dir, path, sizeof(path));
		if (r < 0 && !b)
			return ERR(c, &tk, "cannot find policy '%s' to include (looked in %s and the policy directories)",
				   what, dir ? dir : "<builtin>");
		if (r < 0)
			snprintf(path, sizeof(path), "<builtin>/%s.policy", b->name);
		else
			b = NULL;
	}
	char real[PATH_MAX];
	if (!b && realpath(path, real))
		key = real;
	else
		key = path;
	for (unsigned i = 0; i <= c->depth; i++)
		if (c->stack[i] && strcmp(c->stack[i], key) == 0)
			return ERR(c, &tk, "include cycle: '%s' is already being read", path);
	const char *file = intern_file(c->p, path);
	if (!file)
		return ERR(c, &tk, "too many policy files (at most %u)", SBX_POLICY_MAX_FILES);
	const char *ftext;
	if (b) {
		ftext = b->text;
		len = *b->len;
	} else {
		r = sbx_policy_read_file(path, &text, &len);
		if (r < 0)
			return ERR(c, &tk, "cannot read '%s': %s", path, strerror(-r));
		ftext = text;
		sbx_strlcpy(child_dir, path, sizeof(child_dir));
		char *slash = strrchr(child_dir, '/');
		if (slash && slash != child_dir)
			*slash = '\0';
		else
			sbx_strlcpy(child_dir, slash ? "/" : ".", sizeof(child_dir));
		dir_for_child = child_dir;
	}
	_cleanup_free_ char *keycopy = strdup(key);
	if (!keycopy)
		return -ENOMEM;
	c->depth++;
	c->stack[c->depth] = keycopy;
	r = parse_file(c, file, dir_for_child, ftext, len);
	c->stack[c->depth] = NULL;
	c->depth--;
	return r;
}

int sbx_policy_parse_internal(struct sbx_policy *p, const char *name, const char *dir,
			      const char *text, size_t len, const struct sbx_policy_param *params,
			      size_t n_params, struct sbx_policy_diag *diag)
{
	struct ctx c = { .p = p, .diag = diag };
	if (len > SBX_POLICY_MAX_BYTES) {
		sbx_policy_diag_set(diag, name, 0, 0, "policy too large (at most %u bytes)", SBX_POLICY_MAX_BYTES);
		return -EFBIG;
	}
	for (size_t i = 0; i < n_params; i++) {
		const char *pn = params[i].name ? params[i].name : "";
		if (!valid_param_name(pn, strlen(pn))) {
			sbx_policy_diag_set(diag, "", 0, 0, "bad parameter name '%s' in --param", pn);
			return -EINVAL;
		}
		if (param_find(p, pn, strlen(pn))) {
			sbx_policy_diag_set(diag, "", 0, 0, "--param %s given twice", pn);
			return -EINVAL;
		}
		if (p->n_params >= SBX_POLICY_MAX_PARAMS) {
			sbx_policy_diag_set(diag, "", 0, 0, "too many --param values");
			return -E2BIG;
		}
		struct sbx_param_value *pv = &p->params[p->n_params++];
		*pv = (struct sbx_param_value){ .from_cli = true };
		pv->name = strdup(pn);
		pv->value = strdup(params[i].value ? params[i].value : "");
		if (!pv->name || !pv->value)
			return -ENOMEM;
	}
	const char *file = intern_file(p, name);
	if (!file)
		return -ENOMEM;
	char real[PATH_MAX];
	c.stack[0] = dir && realpath(name, real) ? real : name;
	int r = parse_file(&c, file, dir, text, len);
	if (r < 0)
		return r;
	for (size_t i = 0; i < p->n_params; i++)
		if (!p->params[i].declared) {
			sbx_policy_diag_set(diag, name, 0, 0, "--param %s: the policy has no parameter '%s'",
					    p->params[i].name, p->params[i].name);
			return -EINVAL;
		}
	return 0;
}
