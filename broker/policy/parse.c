/* SPDX-License-Identifier: MIT */
/* The policy language's statements (docs/policy.md): one pass per file, one statement per
 * logical line. A line that starts with a keyword goes to that keyword's function through the
 * table below; any other line is a rule (rule.c). Includes recurse with a depth limit and a
 * stack of the files being read (cycles). The lexer is lex.c; parse.h lists the other parts. */
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/spec.h"
#include "common/util.h"

static const char *const limit_names[] = { "time", "memory", "pids", "nofile", "fsize", NULL };

/* ---- The filesystem, limits and resources ---- */

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
	} else if ((res->kind == SBX_RES_DIR || res->kind == SBX_RES_CAPTURE) && strcmp(word, "max") == 0 &&
		   tk->k == T_WORD) {
		struct token v;
		char nb[32];
		uint64_t mx;
		if ((r = lex_next(c, lx, &v)) < 0)
			return r;
		if (v.k != T_WORD || (r = expand(c, lx, &v, nb, sizeof(nb))) < 0 || sbx_parse_u64(nb, &mx) < 0 ||
		    mx == 0 || mx > (res->kind == SBX_RES_CAPTURE ? SBX_CAPTURE_SOCKETS_MAX : 1000000))
			return r < 0 ? r : ERR(c, &v, "expected a count from 1 to %u after 'max'",
					       res->kind == SBX_RES_CAPTURE ? SBX_CAPTURE_SOCKETS_MAX : 1000000);
		res->max_opens = (unsigned)mx;
	} else if (res->kind == SBX_RES_DIR && nth == 1) {
		if (word[0] && !(res->pattern = strdup(word)))
			return -ENOMEM;
	} else if (res->kind == SBX_RES_CAPTURE && strcmp(word, "promisc") == 0) {
		res->promisc = true;
	} else if (res->kind == SBX_RES_CAPTURE && strcmp(word, "tx") == 0) {
		res->tx = true;
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
 * resource NAME capture IFACE [promisc] [tx] [max N] [filter "EXPR"]
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
	if (p->n_resources >= SBX_POLICY_MAX_RESOURCES)
		return ERR(c, &name, "too many resources (at most %u)", SBX_POLICY_MAX_RESOURCES);
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

/* ---- include ---- */

/* The budget of one load (policy-internal.h): every include and every byte read counts, at
 * any depth, however often the same file comes back. Past it the whole load stops (-E2BIG, not
 * -EINVAL: `policy check` reports it and goes no further), naming the limit and the line that
 * crossed it. */
static int charge_include(struct ctx *c, struct lexer *lx, const struct token *tk)
{
	if (++c->n_includes <= SBX_POLICY_MAX_INCLUDES)
		return 0;
	(void)ERR(c, tk, "too many includes: this is include number %u of one policy load (at most %u in all, "
		  "counting each time a file is included)", c->n_includes, SBX_POLICY_MAX_INCLUDES);
	return -E2BIG;
}

static int charge_bytes(struct ctx *c, struct lexer *lx, const struct token *tk, const char *path, size_t len)
{
	c->n_bytes += len;
	if (c->n_bytes <= SBX_POLICY_MAX_TOTAL_BYTES)
		return 0;
	(void)ERR(c, tk, "too much policy text: including '%s' brings one policy load to %zu bytes (at most %u in "
		  "all, counting each time a file is read)", path, c->n_bytes, SBX_POLICY_MAX_TOTAL_BYTES);
	return -E2BIG;
}

static int parse_file(struct ctx *c, const char *file, const char *dir, const char *text, size_t len);

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

static int parse_include(struct ctx *c, struct lexer *lx, const struct token *kw)
{
	const char *dir = c->dir;
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
	if ((r = charge_include(c, lx, &tk)) < 0)
		return r;

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
	if ((r = charge_bytes(c, lx, &tk, path, len)) < 0)
		return r;
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

/* `fallback allow`: where a layer cannot be applied, run with the others (broker/fallback.h). */
static int parse_fallback(struct ctx *c, struct lexer *lx, const struct token *kw)
{
	struct token tk;
	int r = lex_next(c, lx, &tk);
	if (r < 0)
		return r;
	if (!tok_is(&tk, "allow")) {
		char d[96];
		return ERR(c, &tk, "expected 'allow' after 'fallback', found %s", tok_desc(&tk, d, sizeof(d)));
	}
	(void)kw;
	c->p->fallback = true;
	return expect_end(c, lx, "fallback");
}

static int parse_ro(struct ctx *c, struct lexer *lx, const struct token *kw)
{
	return parse_paths(c, lx, kw, SBX_MOUNT_RO);
}

static int parse_rw(struct ctx *c, struct lexer *lx, const struct token *kw)
{
	return parse_paths(c, lx, kw, SBX_MOUNT_RW);
}

/* ---- The keyword table ---- */

/* A statement's keyword and the function that parses the rest of its line; kw is the keyword's
 * token, for errors about the statement as a whole. A new keyword is one row here plus its
 * function (docs/policy.md). The order is the order "did you mean" prefers on a tie. */
static const struct keyword {
	const char *word;
	int (*parse)(struct ctx *c, struct lexer *lx, const struct token *kw);
} keywords[] = {
	{ "include", parse_include },
	{ "param", parse_param },
	{ "exec", parse_exec },
	{ "fallback", parse_fallback },
	{ "ro", parse_ro },
	{ "rw", parse_rw },
	{ "tmpfs", parse_tmpfs },
	{ "limit", parse_limit },
	{ "resource", parse_resource },
};

static const struct keyword *keyword_find(const struct token *tk)
{
	for (size_t i = 0; i < SBX_ARRAY_SIZE(keywords); i++)
		if (tok_is(tk, keywords[i].word))
			return &keywords[i];
	return NULL;
}

bool keyword_is(const char *word)
{
	for (size_t i = 0; i < SBX_ARRAY_SIZE(keywords); i++)
		if (strcmp(word, keywords[i].word) == 0)
			return true;
	return false;
}

const char *keyword_suggest(const char *word)
{
	const char *words[SBX_ARRAY_SIZE(keywords) + 1];
	for (size_t i = 0; i < SBX_ARRAY_SIZE(keywords); i++)
		words[i] = keywords[i].word;
	words[SBX_ARRAY_SIZE(keywords)] = NULL;
	return sbx_suggest(word, words);
}

/* ---- Files ---- */

/* One statement: 0, 1 at the end of the file, or an error. */
static int parse_statement(struct ctx *c, struct lexer *lx)
{
	struct token tk;
	int r = lex_next(c, lx, &tk);
	if (r < 0)
		return r;
	if (tk.k == T_EOF)
		return 1;
	if (tk.k == T_NL)
		return 0;
	if (tk.k != T_WORD) {
		char d[96];
		return ERR(c, &tk, "unexpected %s at the start of a line", tok_desc(&tk, d, sizeof(d)));
	}
	const struct keyword *kw = keyword_find(&tk);
	return kw ? kw->parse(c, lx, &tk) : parse_rule(c, lx, &tk);
}

/* After an error in the statement that started at `start`: on to the next line, unless the
 * statement took its end of line already. Lexing errors are skipped a character at a time, and
 * silently: the statement's error is the one to report. */
static void skip_statement(struct ctx *c, struct lexer *lx, size_t start)
{
	if (lx->at_line_start && lx->pos != start)
		return;
	struct ctx quiet = *c;
	quiet.diag = NULL;
	for (;;) {
		struct token tk;
		size_t before = lx->pos;
		if (lex_next(&quiet, lx, &tk) < 0) {
			if (lx->pos == before && lx->pos < lx->len) {
				lx->pos++;
				lx->col++;
			}
			continue;
		}
		if (tk.k == T_NL || tk.k == T_EOF)
			return;
	}
}

/* An error that ends a statement, with a reporter: report it (unless an included file already
 * did) and say whether parsing goes on. */
static bool report_and_go_on(struct ctx *c, unsigned errors_before)
{
	if (c->stop)
		return false;
	if (c->n_errors == errors_before) {
		c->rep->fn(c->diag, c->rep->userdata);
		c->n_errors++;
	}
	if (c->n_errors < SBX_POLICY_MAX_ERRORS)
		return true;
	sbx_policy_diag_set(c->diag, c->p->file, 0, 0, "too many errors, stopping here (at most %u are reported)",
			    SBX_POLICY_MAX_ERRORS);
	c->rep->fn(c->diag, c->rep->userdata);
	c->stop = true;
	return false;
}

/* Statement after statement, up to the end of the file. Without a reporter the first error ends
 * the parse; with one, each is reported and the parse goes on at the next line. */
static int parse_statements(struct ctx *c, struct lexer *lx)
{
	int failed = 0;
	for (;;) {
		size_t start = lx->pos;
		unsigned errors_before = c->n_errors;
		int r = parse_statement(c, lx);
		if (r > 0)
			return failed;
		if (r == 0)
			continue;
		if (r != -EINVAL || !c->rep || !report_and_go_on(c, errors_before))
			return r;
		failed = r;
		skip_statement(c, lx, start);
	}
}

/* One file's text; dir is its directory (where its includes are looked for first), NULL for
 * text in memory. */
static int parse_file(struct ctx *c, const char *file, const char *dir, const char *text, size_t len)
{
	struct lexer lx = { .file = file, .t = text, .len = len, .line = 1, .col = 1, .at_line_start = true };
	if (memchr(text, '\0', len)) {
		size_t off = (size_t)((const char *)memchr(text, '\0', len) - text);
		unsigned line = 1;
		for (size_t i = 0; i < off; i++)
			line += text[i] == '\n';
		sbx_policy_diag_set(c->diag, file, line, 1, "policy contains a NUL byte");
		return -EINVAL;
	}
	const char *outer_dir = c->dir;
	c->dir = dir;
	int r = parse_statements(c, &lx);
	c->dir = outer_dir;
	return r;
}

static int parse_top(struct ctx *c, const char *name, const char *dir, const char *text, size_t len,
		     const struct sbx_policy_param *params, size_t n_params)
{
	struct sbx_policy *p = c->p;
	struct sbx_policy_diag *diag = c->diag;
	if (len > SBX_POLICY_MAX_BYTES) {
		sbx_policy_diag_set(diag, name, 0, 0, "policy too large (at most %u bytes)", SBX_POLICY_MAX_BYTES);
		return -EFBIG;
	}
	int r = params_set_given(p, params, n_params, diag);
	if (r < 0)
		return r;
	c->n_bytes = len;
	const char *file = intern_file(p, name);
	if (!file)
		return -ENOMEM;
	char real[PATH_MAX];
	c->stack[0] = dir && realpath(name, real) ? real : name;
	if ((r = parse_file(c, file, dir, text, len)) < 0)
		return r;
	return params_check_given(p, name, diag);
}

int sbx_policy_parse_internal(struct sbx_policy *p, const char *name, const char *dir,
			      const char *text, size_t len, const struct sbx_policy_param *params,
			      size_t n_params, const struct sbx_policy_reporter *rep,
			      struct sbx_policy_diag *diag)
{
	struct ctx c = { .p = p, .diag = diag, .rep = rep };
	int r = parse_top(&c, name, dir, text, len, params, n_params);
	/* With a reporter every error goes to it: also those outside a statement, and a load
	 * stopped by its budget after other errors. */
	if (r < 0 && rep && (c.n_errors == 0 || r == -E2BIG))
		rep->fn(diag, rep->userdata);
	return r;
}
