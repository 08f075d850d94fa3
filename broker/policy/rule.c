/* SPDX-License-Identifier: MIT */
/* Rule lines (docs/policy.md): `NAME... [: CONDITION] [-> ACTION]` or `NAME... : ACTION`, where
 * a name is a system call or an @group, and `exec none|allow`, which governs execve/execveat.
 * A rule is bound to each of its calls here: the condition's argument count and width are
 * checked per call, and a rule that duplicates or contradicts an earlier one is refused, so the
 * compiled filter is exactly what the lines say. */
#include "parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

static const char *const action_words[] = { "allow", "errno", "log", "kill", "broker", NULL };

struct action {
	uint8_t kind;
	int errno_val;
	bool given;
	int8_t guard;          /* SBX_GUARD_NONE, or the grant kind after `if` */
	bool has_else;
	uint8_t else_kind;
	int else_errno;
};

/* The error of `errno NAME` (the token after `errno`). */
static int parse_errno(struct ctx *c, struct lexer *lx, const struct token *e, int *ret)
{
	if (e->k != T_WORD) {
		char d[96];
		return ERR(c, e, "expected an error name after 'errno' (e.g. EACCES), found %s", tok_desc(e, d, sizeof(d)));
	}
	char w[80];
	tok_str(e, w, sizeof(w));
	uint64_t num;
	int v = parse_number(w, &num) == 0 ? (num >= 1 && num <= 4095 ? (int)num : 0) : sbx_errno_lookup(w);
	if (v == 0)
		return ERR(c, e, "errno number out of range: '%s' (1 to 4095)", w);
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
			return ERR(c, e, "unknown error name '%s' (did you mean '%s'?)", w, sug);
		return ERR(c, e, "unknown error name '%s'", w);
	}
	*ret = v;
	return 0;
}

/* One action word (and its error name): allow, errno NAME, log, kill, broker. */
static int parse_one_action(struct ctx *c, struct lexer *lx, const struct token *tk, uint8_t *kind, int *errno_val)
{
	if (tok_is(tk, "allow"))
		*kind = SBX_ACT_ALLOW;
	else if (tok_is(tk, "log"))
		*kind = SBX_ACT_LOG;
	else if (tok_is(tk, "kill"))
		*kind = SBX_ACT_KILL;
	else if (tok_is(tk, "broker"))
		*kind = SBX_ACT_BROKER;
	else if (tok_is(tk, "errno")) {
		struct token e;
		int r = lex_next(c, lx, &e);
		if (r < 0 || (r = parse_errno(c, lx, &e, errno_val)) < 0)
			return r;
		*kind = SBX_ACT_ERRNO;
	} else {
		char d[96];
		/* `broker` is left out: it answers only socket, and only with a grant. */
		return ERR(c, tk, "expected an action (allow, errno NAME, log, kill), found %s", tok_desc(tk, d, sizeof(d)));
	}
	return 0;
}

/* ACTION [if GRANT [else ACTION]]: a guarded action holds only for a worker with a grant of
 * that kind, so one policy serves workers with and without it. */
static int parse_action(struct ctx *c, struct lexer *lx, const struct token *tk, struct action *a)
{
	a->given = true;
	int r = parse_one_action(c, lx, tk, &a->kind, &a->errno_val);
	if (r < 0)
		return r;
	struct token nx;
	if ((r = lex_next(c, lx, &nx)) < 0)
		return r;
	if (!tok_is(&nx, "if")) {
		lex_unget(lx, &nx);
		return expect_end(c, lx, "the action");
	}
	struct token g;
	if ((r = lex_next(c, lx, &g)) < 0)
		return r;
	char gw[80] = "";
	if (g.k == T_WORD)
		tok_str(&g, gw, sizeof(gw));
	if (strcmp(gw, "capture") != 0 && strcmp(gw, "dir") != 0)
		return ERR(c, &g, "expected a grant kind after 'if' (capture, dir), found '%s'", gw);
	a->guard = strcmp(gw, "dir") == 0 ? SBX_RES_DIR : SBX_RES_CAPTURE;
	if ((r = lex_next(c, lx, &nx)) < 0)
		return r;
	if (!tok_is(&nx, "else")) {
		lex_unget(lx, &nx);
		return expect_end(c, lx, "the action");
	}
	a->has_else = true;
	if ((r = lex_next(c, lx, &nx)) < 0 || (r = parse_one_action(c, lx, &nx, &a->else_kind, &a->else_errno)) < 0)
		return r;
	if (a->else_kind == SBX_ACT_BROKER)
		return ERR(c, &nx, "'broker' needs the grant: it cannot follow 'else'");
	return expect_end(c, lx, "the action");
}

/* ---- Binding a rule to one system call ---- */

static bool conj_equal(const struct sbx_rule *a, const struct sbx_rule *b)
{
	if (!a->cond || !b->cond)
		return !a->cond && !b->cond;
	return strcmp(a->cond, b->cond) == 0;
}

/* The condition bound to the call `name`: argument count and width. tk is the name's token;
 * errors point at the argument (d->cols) or, for what libseccomp cannot express, the condition. */
static int bind_cond(struct ctx *c, struct lexer *lx, const struct token *tk, const char *name,
		     const struct dnf *d, unsigned cond_col, struct sbx_conj **ret)
{
	const char *fmt = sbx_syscall_args(name);
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
	*ret = sbx_steal_ptr(&alts);
	return 0;
}

/* Whether guarded rule g refines the unguarded rule u: without the grant g is exactly u (its
 * `else` is u's action), so `openat: broker if dir else allow` may stand beside @file-system's
 * `openat` in either order, and the guarded rule is the one kept. */
static bool refines(const struct sbx_rule *g, const struct sbx_rule *u)
{
	return g->guard != SBX_GUARD_NONE && g->has_else && u->guard == SBX_GUARD_NONE &&
	       g->else_action == u->action && g->else_errno == u->errno_val;
}

/* Against the rules already there for the same call: 0 to add the new one, 1 to drop it (the
 * same rule again from a group or an include: they overlap by design, or an unguarded rule a
 * guarded one already refines), 2 with *replace set to replace rule *replace by it (it refines
 * that one), or an error for a duplicate written twice or a contradiction. */
static int check_overlap(struct ctx *c, struct lexer *lx, const struct token *tk, const char *name,
			 const struct sbx_rule *nrule, size_t *replace)
{
	char abuf[64], bbuf[64];
	bool replacing = false;
	for (size_t i = 0; i < c->p->n_rules; i++) {
		const struct sbx_rule *o = &c->p->rules[i];
		if (o->nr != nrule->nr)
			continue;
		bool same_action = o->action == nrule->action && o->errno_val == nrule->errno_val &&
				   o->guard == nrule->guard && o->has_else == nrule->has_else &&
				   o->else_action == nrule->else_action && o->else_errno == nrule->else_errno;
		const char *why = NULL;
		if (conj_equal(o, nrule) && refines(o, nrule))
			return 1;
		if (conj_equal(o, nrule) && refines(nrule, o)) {
			/* Checked against the other rules all the same: whether a policy is refused
			 * must not depend on the order of its lines. */
			*replace = i;
			replacing = true;
			continue;
		}
		if (conj_equal(o, nrule)) {
			if (same_action) {
				bool both_explicit = !o->via[0] && !nrule->via[0] && o->file == nrule->file;
				if (!both_explicit)
					return 1;
				why = "duplicate rule";
			} else {
				why = "conflicting rule";
			}
		} else if ((!o->cond || !nrule->cond) && !same_action) {
			/* libseccomp lets an unconditional rule replace every conditional one for the
			 * same call, so "socket: arg0 == AF_UNIX" next to "socket: errno EACCES" would
			 * silently lose the first. Refuse it rather than compile something else. */
			why = "conflicting rule (a system call has either one unconditional rule or "
			      "conditional ones)";
		}
		if (why)
			return ERR(c, tk, "%s for '%s': '%s' here, '%s' at %s:%u", why, name,
				   sbx_action_text(nrule, abuf, sizeof(abuf)), sbx_action_text(o, bbuf, sizeof(bbuf)),
				   o->file, o->line);
	}
	return replacing ? 2 : 0;
}

static int grow_rules(struct sbx_policy *p)
{
	if (p->n_rules < p->cap_rules)
		return 0;
	size_t cap = p->cap_rules ? p->cap_rules * 2 : 64;
	struct sbx_rule *nr_ = realloc(p->rules, cap * sizeof(*nr_));
	if (!nr_)
		return -ENOMEM;
	p->rules = nr_;
	p->cap_rules = cap;
	return 0;
}

/* One rule for the call nr (named name, at token tk; via: "@group" or ""). d: the condition,
 * NULL when unconditional; cond: its text. */
static int add_rule(struct ctx *c, struct lexer *lx, const struct token *tk, int nr, const char *name,
		    const char *via, const struct dnf *d, const char *cond, const struct action *a,
		    unsigned cond_col)
{
	struct sbx_policy *p = c->p;
	struct sbx_rule nrule = { .nr = nr, .action = a->kind, .errno_val = a->errno_val, .guard = a->guard,
				  .has_else = a->has_else, .else_action = a->else_kind, .else_errno = a->else_errno,
				  .file = lx->file, .line = tk->line, .col = tk->col };
	/* The broker answers the calls it has a row for (broker/brokered.c), nothing else. */
	if (a->kind == SBX_ACT_BROKER && strcmp(name, "socket") != 0 && strcmp(name, "open") != 0 &&
	    strcmp(name, "openat") != 0 && strcmp(name, "creat") != 0)
		return ERR(c, tk, "'broker' answers socket (a packet socket from a capture grant) and open, openat, "
			   "creat (a file from a directory grant) only, not '%s'", name);
	sbx_strlcpy(nrule.name, name, sizeof(nrule.name));
	sbx_strlcpy(nrule.via, via, sizeof(nrule.via));
	if (d && d->n) {
		_cleanup_free_ struct sbx_conj *alts = NULL;
		int r = bind_cond(c, lx, tk, name, d, cond_col, &alts);
		if (r < 0)
			return r;
		nrule.cond = strdup(cond);
		if (!nrule.cond)
			return -ENOMEM;
		nrule.alts = sbx_steal_ptr(&alts);
		nrule.n_alts = d->n;
	}
	size_t replace = 0;
	int r = check_overlap(c, lx, tk, name, &nrule, &replace);
	if (r == 2) {
		free(p->rules[replace].alts);
		free(p->rules[replace].cond);
		p->rules[replace] = nrule;
		return 0;
	}
	if (r == 0 && p->n_rules >= SBX_POLICY_MAX_RULES)
		r = ERR(c, tk, "too many rules (at most %u)", SBX_POLICY_MAX_RULES);
	if (r == 0)
		r = grow_rules(p);
	if (r != 0) {
		free(nrule.alts);
		free(nrule.cond);
		return r < 0 ? r : 0;
	}
	p->rules[p->n_rules++] = nrule;
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

/* ---- The rule line ---- */

#define MAX_TARGETS 64

/* What a rule line says after its names; it applies to each of them. */
struct rule_tail {
	struct action act;
	struct cond_text ct;
	struct dnf *d;     /* d->n == 0: unconditional */
	unsigned cond_col; /* where the condition starts, for errors about all of it */
};

/* The names up to the first token that is not a word, which is left in *tk. */
static int read_names(struct ctx *c, struct lexer *lx, const struct token *first, struct token *targets,
		      size_t *n_ret, struct token *tk)
{
	size_t n = 0;
	*tk = *first;
	for (;;) {
		if (n >= MAX_TARGETS)
			return ERR(c, tk, "too many names on one line (at most %u)", MAX_TARGETS);
		targets[n++] = *tk;
		int r = lex_next(c, lx, tk);
		if (r < 0)
			return r;
		if (tk->k != T_WORD)
			break;
	}
	*n_ret = n;
	return 0;
}

/* After the names: the end of the line, or ':' and an action, or ':' CONDITION ['->' ACTION].
 * tk is the token after the names. */
static int parse_tail(struct ctx *c, struct lexer *lx, const struct token *tk, struct rule_tail *rt)
{
	int r;
	if (tk->k != T_COLON) {
		if (tk->k == T_NL || tk->k == T_EOF)
			return 0;
		char dd[96];
		return ERR(c, tk, "unexpected %s after system call names (expected ':' or the end of the line)",
			   tok_desc(tk, dd, sizeof(dd)));
	}
	struct token nx;
	if ((r = lex_next(c, lx, &nx)) < 0)
		return r;
	if (nx.k == T_NL || nx.k == T_EOF)
		return ERR(c, &nx, "expected a condition or an action after ':'");
	bool is_action = false;
	for (const char *const *a = action_words; *a; a++)
		is_action = is_action || tok_is(&nx, *a);
	if (is_action)
		return parse_action(c, lx, &nx, &rt->act);
	lex_unget(lx, &nx);
	rt->cond_col = nx.col;
	if ((r = parse_cond(c, lx, &rt->ct, rt->d)) < 0)
		return r;
	if (rt->ct.overflow)
		return ERR(c, &nx, "condition too long");
	struct token after;
	if ((r = lex_next(c, lx, &after)) < 0)
		return r;
	if (after.k == T_ARROW) {
		struct token aw;
		if ((r = lex_next(c, lx, &aw)) < 0)
			return r;
		return parse_action(c, lx, &aw, &rt->act);
	}
	if (after.k != T_NL && after.k != T_EOF) {
		char dd[96];
		return ERR(c, &after, "unexpected %s after the condition (join comparisons with "
			   "'&&' or '||', give an action with '-> ACTION')", tok_desc(&after, dd, sizeof(dd)));
	}
	return 0;
}

/* Every member of a group this architecture knows, each a rule of its own. */
static int add_group(struct ctx *c, struct lexer *lx, const struct token *t, const char *name,
		     const struct rule_tail *rt)
{
	const struct sbx_group *g = sbx_group_find(name);
	if (!g) {
		const char *sug = sbx_suggest_group(name);
		if (sug)
			return ERR(c, t, "unknown group '%s' (did you mean '%s'?)", name, sug);
		return ERR(c, t, "unknown group '%s' (see docs/policy.md for the groups)", name);
	}
	if (rt->d->n)
		return ERR(c, t, "argument conditions apply to single system calls, not to group '%s'", name);
	for (const char *const *m = g->members; *m; m++) {
		bool elsewhere;
		int nr = sbx_syscall_lookup(*m, &elsewhere);
		if (nr < 0)
			continue;
		int r = add_rule(c, lx, t, nr, *m, name, NULL, NULL, &rt->act, 0);
		if (r < 0)
			return r;
	}
	return 0;
}

/* One name of the line (the nth): a group, or a system call, or a mistake worth naming. */
static int add_name(struct ctx *c, struct lexer *lx, const struct token *t, size_t nth,
		    const struct rule_tail *rt)
{
	char name[80];
	tok_str(t, name, sizeof(name));
	if (t->len >= 64)
		return ERR(c, t, "unknown system call '%s'", name);
	if (name[0] == '@')
		return add_group(c, lx, t, name, rt);
	if (keyword_is(name))
		return ERR(c, t, "'%s' is a keyword and must start its own line", name);
	bool elsewhere;
	int nr = sbx_syscall_lookup(name, &elsewhere);
	if (nr < 0 && elsewhere)
		return 0; /* a portable policy names calls another architecture has */
	if (nr < 0) {
		if (name[0] == '[')
			return ERR(c, t, "unknown section '%s': a policy has no [sections]; use the keywords "
				   "include, param, exec, ro, rw, tmpfs, limit", name);
		const char *kw = nth == 0 ? keyword_suggest(name) : NULL;
		if (kw)
			return ERR(c, t, "unknown keyword or system call '%s' (did you mean '%s'?)", name, kw);
		const char *sug = sbx_suggest_syscall(name);
		if (sug)
			return ERR(c, t, "unknown system call '%s' (did you mean '%s'?)", name, sug);
		return ERR(c, t, "unknown system call '%s'", name);
	}
	if (strcmp(name, "execve") == 0 || strcmp(name, "execveat") == 0) {
		if (rt->d->n || rt->act.kind != SBX_ACT_ALLOW)
			return ERR(c, t, "'%s' is governed by the exec keyword: write 'exec allow' or 'exec none'", name);
		return set_exec(c, lx, t, 1);
	}
	return add_rule(c, lx, t, nr, name, "", rt->d->n ? rt->d : NULL, rt->ct.buf, &rt->act, rt->cond_col);
}

int parse_rule(struct ctx *c, struct lexer *lx, const struct token *first)
{
	struct token targets[MAX_TARGETS], tk;
	size_t n = 0;
	int r = read_names(c, lx, first, targets, &n, &tk);
	if (r < 0)
		return r;
	_cleanup_free_ struct dnf *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	struct rule_tail rt = { .act = { .kind = SBX_ACT_ALLOW, .guard = SBX_GUARD_NONE }, .ct = { .len = 0 }, .d = d };
	if ((r = parse_tail(c, lx, &tk, &rt)) < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if ((r = add_name(c, lx, &targets[i], i, &rt)) < 0)
			return r;
	return 0;
}

int parse_exec(struct ctx *c, struct lexer *lx, const struct token *kw)
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
