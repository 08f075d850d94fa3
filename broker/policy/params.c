/* SPDX-License-Identifier: MIT */
/* Policy parameters (docs/policy.md): `param NAME [= DEFAULT]` declares one, `--param NAME=VALUE`
 * gives it a value, `${NAME}` in any word or string uses it. A parameter must be declared
 * before it is used, and every --param must name a declared one, so a typo is an error rather
 * than a silently different policy. */
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct sbx_param_value *param_find(struct sbx_policy *p, const char *name, size_t len)
{
	for (size_t i = 0; i < p->n_params; i++)
		if (strlen(p->params[i].name) == len && memcmp(p->params[i].name, name, len) == 0)
			return &p->params[i];
	return NULL;
}

bool valid_param_name(const char *s, size_t len)
{
	if (len == 0 || len > 64 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

int expand(struct ctx *c, struct lexer *lx, const struct token *tk, char *out, size_t outlen)
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

int parse_param(struct ctx *c, struct lexer *lx, const struct token *kw)
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

int params_set_given(struct sbx_policy *p, const struct sbx_policy_param *params, size_t n_params,
		     struct sbx_policy_diag *diag)
{
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
	return 0;
}

int params_check_given(const struct sbx_policy *p, const char *name, struct sbx_policy_diag *diag)
{
	for (size_t i = 0; i < p->n_params; i++)
		if (!p->params[i].declared) {
			sbx_policy_diag_set(diag, name, 0, 0, "--param %s: the policy has no parameter '%s'",
					    p->params[i].name, p->params[i].name);
			return -EINVAL;
		}
	return 0;
}
