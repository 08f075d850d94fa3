/* SPDX-License-Identifier: MIT */
/* The policy parser's private header: the state of one parse and the steps its files call in
 * each other (docs/policy.md, "How the parser is laid out").
 *   lex.c    text -> tokens
 *   params.c `param` declarations, --param values, ${name} expansion
 *   cond.c   argument conditions: values, comparisons, && and ||
 *   rule.c   rule lines (`NAMES [: COND] [-> ACTION]`) and `exec`
 *   parse.c  the keyword table, the other keywords, files and includes */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lex.h"
#include "policy-internal.h"

/* One parse: the policy being filled in, across the top-level file and its includes. */
struct ctx {
	struct sbx_policy *p;
	struct sbx_policy_diag *diag;
	const char *stack[SBX_POLICY_MAX_INCLUDE_DEPTH + 1]; /* files being read, for cycles */
	unsigned depth;
	const char *dir; /* directory of the file being read, for its includes; NULL: text in memory */
	const struct sbx_policy_reporter *rep; /* NULL: stop at the first error */
	unsigned n_errors;                     /* reported through rep */
	bool stop;                             /* too many errors: no further statement */
	unsigned n_includes;                   /* carried out so far, at every depth */
	size_t n_bytes;                        /* text read so far, the top file's included */
};

/* Report an error at a token of the file lx reads; evaluates to -EINVAL. Every error names
 * FILE:LINE:COL and the token, because the user's next step is to fix that token. */
#define ERR(c, tk, ...) (sbx_policy_diag_set((c)->diag, lx->file, (tk)->line, (tk)->col, __VA_ARGS__), -EINVAL)

/* ---- parse.c: the keyword table ---- */
/* Does the word start a keyword statement (include, param, ...)? */
bool keyword_is(const char *word);
/* "did you mean" among the keywords; NULL when none is close. */
const char *keyword_suggest(const char *word);

/* ---- params.c ---- */
bool valid_param_name(const char *s, size_t len);
/* The token's text with every ${name} replaced by the parameter's value. */
int expand(struct ctx *c, struct lexer *lx, const struct token *tk, char *out, size_t outlen);
/* `param NAME [= DEFAULT]`, after the keyword kw. */
int parse_param(struct ctx *c, struct lexer *lx, const struct token *kw);
/* Before the parse: record the --param values (they win over the policy's defaults). */
int params_set_given(struct sbx_policy *p, const struct sbx_policy_param *params, size_t n_params,
		     struct sbx_policy_diag *diag);
/* After the parse: every --param value must name a parameter the policy declared. */
int params_check_given(const struct sbx_policy *p, const char *name, struct sbx_policy_diag *diag);

/* ---- cond.c ---- */
/* A number as C writes it (decimal, 0x, 0 octal), or negative. 0, -EINVAL or -ERANGE. */
int parse_number(const char *s, uint64_t *ret);

/* The condition as written, with normalised spacing (kept in the rule for `policy explain`). */
struct cond_text {
	char buf[2048];
	size_t len;
	bool overflow;
};

/* A condition in disjunctive normal form, before it is bound to a system call. */
struct dnf {
	struct sbx_conj alts[SBX_POLICY_MAX_ALTS];
	unsigned cols[SBX_POLICY_MAX_ALTS][SBX_POLICY_MAX_CMPS];
	size_t n;
};

/* cond := conj { '||' conj } ; conj := cmp { '&&' cmp } */
int parse_cond(struct ctx *c, struct lexer *lx, struct cond_text *ct, struct dnf *d);

/* ---- rule.c ---- */
/* A rule line whose first name is `first` (a word that is not a keyword). */
int parse_rule(struct ctx *c, struct lexer *lx, const struct token *first);
/* `exec none|allow`, after the keyword kw. */
int parse_exec(struct ctx *c, struct lexer *lx, const struct token *kw);
