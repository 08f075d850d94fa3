/* SPDX-License-Identifier: MIT */
/* The policy language's lexer: one file's text as tokens (docs/policy.md, "How the parser is
 * laid out"). It knows words, strings, punctuation, comments and line continuations, nothing of
 * what a statement means. A `${name}` stays inside its word; params.c expands it, because only
 * the grammar knows which parameters are declared at that point. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct ctx; /* the parse being run (parse.h): lexing errors go to its diagnostic */

enum tok_kind {
	T_EOF, T_NL, T_WORD, T_STRING, T_COLON, T_LBRACE, T_RBRACE, T_COMMA, T_EQ2, T_NE, T_LT, T_LE,
	T_GT, T_GE, T_AMP, T_AND, T_OR, T_PIPE, T_ARROW, T_ASSIGN,
};

struct token {
	enum tok_kind k;
	const char *s; /* into the text; not NUL-terminated */
	size_t len;
	unsigned line, col;
};

/* One per file being read; an include reads its file with a lexer of its own. */
struct lexer {
	const char *file; /* the name errors carry, owned by the policy's file list */
	const char *t;
	size_t len, pos;
	unsigned line, col;
	struct token peeked;
	bool has_peeked;
	bool at_line_start; /* the last token taken ended a line: where to go on after an error */
};

/* The next token, or the one lex_peek/lex_unget left. 0 or -EINVAL with the diagnostic set. */
int lex_next(struct ctx *c, struct lexer *lx, struct token *tk);
/* The next token without consuming it. */
int lex_peek(struct ctx *c, struct lexer *lx, struct token *tk);
/* Give back the token just read, so the next lex_next returns it again. */
void lex_unget(struct lexer *lx, const struct token *tk);
/* The statement must end here (end of line or of file); "unexpected X after WHAT" otherwise. */
int expect_end(struct ctx *c, struct lexer *lx, const char *what);

/* Token text as a C string, cut at len - 1 bytes. */
void tok_str(const struct token *tk, char *buf, size_t len);
/* Is the token the word `word`? */
bool tok_is(const struct token *tk, const char *word);
/* The token for an error message: "'word'" or "end of line". Returns buf. */
const char *tok_desc(const struct token *tk, char *buf, size_t len);
