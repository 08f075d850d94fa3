/* SPDX-License-Identifier: MIT */
/* The policy language's lexer (lex.h). Statements are lines, so the end of a line is a token;
 * a backslash as a line's last character joins it to the next. Tokens point into the text:
 * nothing is copied until the grammar asks for a token's text. */
#include "lex.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"

static const char *const tok_names[] = {
	[T_EOF] = "end of file", [T_NL] = "end of line", [T_WORD] = "word", [T_STRING] = "string",
	[T_COLON] = "':'", [T_LBRACE] = "'{'", [T_RBRACE] = "'}'", [T_COMMA] = "','",
	[T_EQ2] = "'=='", [T_NE] = "'!='", [T_LT] = "'<'", [T_LE] = "'<='", [T_GT] = "'>'",
	[T_GE] = "'>='", [T_AMP] = "'&'", [T_AND] = "'&&'", [T_OR] = "'||'", [T_PIPE] = "'|'",
	[T_ARROW] = "'->'", [T_ASSIGN] = "'='",
};

static bool word_char(char ch)
{
	unsigned char u = (unsigned char)ch;
	return u > ' ' && u != 0x7f && !strchr("#:{},=!<>&|\"\\", ch);
}

void tok_str(const struct token *tk, char *buf, size_t len)
{
	size_t n = tk->len < len - 1 ? tk->len : len - 1;
	memcpy(buf, tk->s, n);
	buf[n] = '\0';
}

bool tok_is(const struct token *tk, const char *word)
{
	return tk->k == T_WORD && tk->len == strlen(word) && memcmp(tk->s, word, tk->len) == 0;
}

const char *tok_desc(const struct token *tk, char *buf, size_t len)
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

/* Blanks, comments (up to the end of the line, which stays a token) and line continuations. */
static int skip_blank(struct ctx *c, struct lexer *lx)
{
	while (lx->pos < lx->len) {
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
		if (ch != '\\')
			return 0;
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
	return 0;
}

/* "..." on one line, without escapes; tk holds the opening quote's position. */
static int lex_string(struct ctx *c, struct lexer *lx, struct token *tk)
{
	const char *s = lx->t + lx->pos;
	size_t rest = lx->len - lx->pos, i = 1;
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

/* A word runs up to a character that is a token of its own, or up to "->". */
static int lex_word(struct ctx *c, struct lexer *lx, struct token *tk)
{
	const char *s = lx->t + lx->pos;
	size_t rest = lx->len - lx->pos, i = 0;
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

static int lex_raw(struct ctx *c, struct lexer *lx, struct token *tk)
{
	int r = skip_blank(c, lx);
	if (r < 0)
		return r;
	if (lx->pos >= lx->len) {
		*tk = (struct token){ T_EOF, lx->t + lx->pos, 0, lx->line, lx->col };
		return 0;
	}
	const char *s = lx->t + lx->pos;
	*tk = (struct token){ T_EOF, s, 1, lx->line, lx->col };
	char ch = s[0], n1 = lx->len - lx->pos > 1 ? s[1] : '\0';
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
	case '"':
		return lex_string(c, lx, tk);
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
		return lex_word(c, lx, tk);
	}
	if (tk->k == T_EQ2 || tk->k == T_NE || tk->k == T_LE || tk->k == T_GE || tk->k == T_AND ||
	    tk->k == T_OR || tk->k == T_ARROW)
		tk->len = 2;
	lx->pos += tk->len;
	lx->col += (unsigned)tk->len;
	return 0;
}

int lex_next(struct ctx *c, struct lexer *lx, struct token *tk)
{
	int r = 0;
	if (lx->has_peeked) {
		*tk = lx->peeked;
		lx->has_peeked = false;
	} else {
		r = lex_raw(c, lx, tk);
	}
	lx->at_line_start = r == 0 && (tk->k == T_NL || tk->k == T_EOF);
	return r;
}

int lex_peek(struct ctx *c, struct lexer *lx, struct token *tk)
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

void lex_unget(struct lexer *lx, const struct token *tk)
{
	lx->peeked = *tk;
	lx->has_peeked = true;
	lx->at_line_start = false;
}

int expect_end(struct ctx *c, struct lexer *lx, const char *what)
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
