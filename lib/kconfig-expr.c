// SPDX-License-Identifier: GPL-2.0
/*
 * Kconfig dependency expressions: a recursive-descent parser, the
 * tristate evaluator against a .config, and the blame of a false
 * expression (which terms make it false).  See kconfig.h.
 */
#include "kconfig.h"
#include "kconfig-internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

enum node_kind { N_SYM, N_NOT, N_AND, N_OR, N_CMP };

struct node {
	enum node_kind kind;
	char *text;	/* N_SYM: the word or string; N_CMP: the operator */
	bool quoted, macro;
	struct node *a, *b;
};

/*
 * Beyond these an expression is unparsable (the kernel's longest have about
 * 20 terms and a few parentheses): the parser and evaluator recurse, and a
 * Kconfig line of 100000 '(' or a million terms would overflow the stack.
 */
#define EXPR_MAX_DEPTH 100	/* nested '(' and '!' */
#define EXPR_MAX_NODES 1000

struct lexer {
	const char *p;
	bool error;
	unsigned depth, nodes;
};

static void node_free(struct node *n)
{
	if (!n)
		return;
	node_free(n->a);
	node_free(n->b);
	free(n->text);
	free(n);
}

static struct node *node_new(struct lexer *lx, enum node_kind kind)
{
	struct node *n = xcalloc(1, sizeof(*n));
	n->kind = kind;
	if (++lx->nodes > EXPR_MAX_NODES)
		lx->error = true;
	return n;
}

/* Entering a '(' or a '!': false (and an error) when too deep. */
static bool lex_enter(struct lexer *lx)
{
	if (++lx->depth > EXPR_MAX_DEPTH) {
		lx->error = true;
		return false;
	}
	return true;
}

static bool lex_peek(struct lexer *lx, const char *tok)
{
	lx->p = kconfig_skip_ws(lx->p);
	return !strncmp(lx->p, tok, strlen(tok));
}

static bool lex_accept(struct lexer *lx, const char *tok)
{
	if (lex_peek(lx, tok)) {
		lx->p += strlen(tok);
		return true;
	}
	return false;
}

static struct node *parse_or(struct lexer *lx);

static struct node *parse_term(struct lexer *lx)
{
	lx->p = kconfig_skip_ws(lx->p);
	const char *s = lx->p;
	struct node *n = node_new(lx, N_SYM);

	if (*s == '"' || *s == '\'') {
		const char *e = kconfig_skip_string(s);
		size_t len = (size_t)(e - s);
		n->text = xstrndup(s + 1, len >= 2 && e[-1] == *s ? len - 2 : len - 1);
		n->quoted = true;
		n->macro = strstr(n->text, "$(") != NULL;
		lx->p = e;
	} else if (s[0] == '$' && s[1] == '(') {
		/* The whole $(...), nested parentheses included. */
		int depth = 0;
		const char *e = s + 1;
		do {
			if (*e == '(')
				depth++;
			else if (*e == ')')
				depth--;
			e++;
		} while (*e && depth > 0);
		if (depth > 0) {
			lx->error = true;	/* unclosed */
			free(n);
			return NULL;
		}
		n->text = xstrndup(s, (size_t)(e - s));
		n->macro = true;
		lx->p = e;
	} else {
		const char *e = s;
		while (isalnum((unsigned char)*e) || *e == '_' || *e == '-' || *e == '.')
			e++;
		if (e == s) {
			lx->error = true;
			free(n);
			return NULL;
		}
		n->text = xstrndup(s, (size_t)(e - s));
		lx->p = e;
	}
	return n;
}

static struct node *parse_primary(struct lexer *lx)
{
	if (lex_accept(lx, "(")) {
		if (!lex_enter(lx))
			return NULL;
		struct node *n = parse_or(lx);
		if (!lex_accept(lx, ")"))
			lx->error = true;
		lx->depth--;
		return n;
	}
	struct node *t = parse_term(lx);
	if (!t)
		return NULL;
	static const char *const ops[] = { "!=", "<=", ">=", "=", "<", ">" };
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (lex_accept(lx, ops[i])) {
			struct node *c = node_new(lx, N_CMP);
			c->text = xstrdup(ops[i]);
			c->a = t;
			c->b = parse_term(lx);
			if (!c->b)
				lx->error = true;
			return c;
		}
	return t;
}

static struct node *parse_unary(struct lexer *lx)
{
	if (lex_peek(lx, "!") && !lex_peek(lx, "!=")) {
		lx->p++;
		if (!lex_enter(lx))
			return NULL;
		struct node *n = node_new(lx, N_NOT);
		n->a = parse_unary(lx);
		if (!n->a)
			lx->error = true;
		lx->depth--;
		return n;
	}
	return parse_primary(lx);
}

static struct node *parse_and(struct lexer *lx)
{
	struct node *l = parse_unary(lx);
	while (l && !lx->error && lex_accept(lx, "&&")) {
		struct node *n = node_new(lx, N_AND);
		n->a = l;
		n->b = parse_unary(lx);
		l = n;
	}
	return l;
}

static struct node *parse_or(struct lexer *lx)
{
	struct node *l = parse_and(lx);
	while (l && !lx->error && lex_accept(lx, "||")) {
		struct node *n = node_new(lx, N_OR);
		n->a = l;
		n->b = parse_and(lx);
		l = n;
	}
	return l;
}

static struct node *parse_expr(const char *s)
{
	struct lexer lx = { .p = s, .error = false, .depth = 0, .nodes = 0 };
	struct node *n = parse_or(&lx);

	if (lx.error || !n || *kconfig_skip_ws(lx.p)) {
		node_free(n);
		return NULL;
	}
	return n;
}

static int tri_of(const char *v)
{
	if (!v)
		return 0;
	if (!strcmp(v, "y"))
		return 2;
	if (!strcmp(v, "m"))
		return 1;
	return 0;
}

/* String value of a term: a symbol's value ("n" when unset) or the constant. */
static const char *term_value(const struct node *n, const struct kconfig *cfg)
{
	if (n->quoted || n->macro)
		return n->text;
	if (!strcmp(n->text, "y") || !strcmp(n->text, "m") || !strcmp(n->text, "n"))
		return n->text;
	const char *v = kconfig_get(cfg, n->text);
	if (v)
		return v;
	/* Unset symbol: n; numbers and other constants are themselves. */
	bool name_like = false;
	for (const char *p = n->text; *p; p++)
		if (isalpha((unsigned char)*p) || *p == '_')
			name_like = true;
	if (name_like && !(n->text[0] == '0' && n->text[1] == 'x'))
		return "n";
	return n->text;
}

int kconfig_value_cmp(const char *a, const char *b)
{
	char *ea, *eb;
	long long x = strtoll(a, &ea, 0), y = strtoll(b, &eb, 0);
	if (*a && *b && !*ea && !*eb)
		return x < y ? -1 : x > y;
	return strcmp(a, b);
}

static int eval(const struct node *n, const struct kconfig *cfg)
{
	int a, b;

	switch (n->kind) {
	case N_SYM:
		if (n->macro)
			return 2;
		return tri_of(term_value(n, cfg));
	case N_NOT:
		return 2 - eval(n->a, cfg);
	case N_AND:
		a = eval(n->a, cfg);
		b = eval(n->b, cfg);
		return a < b ? a : b;
	case N_OR:
		a = eval(n->a, cfg);
		b = eval(n->b, cfg);
		return a > b ? a : b;
	case N_CMP: {
		if (n->a->macro || n->b->macro)
			return 2;
		int c = kconfig_value_cmp(term_value(n->a, cfg), term_value(n->b, cfg));
		bool r = !strcmp(n->text, "=") ? c == 0 :
			 !strcmp(n->text, "!=") ? c != 0 :
			 !strcmp(n->text, "<") ? c < 0 :
			 !strcmp(n->text, "<=") ? c <= 0 :
			 !strcmp(n->text, ">") ? c > 0 : c >= 0;
		return r ? 2 : 0;
	}
	}
	return 2;
}

int kconfig_expr_eval(const char *expr, const struct kconfig *config)
{
	struct node *n = parse_expr(expr);
	int v = n ? eval(n, config) : 2;
	node_free(n);
	return v;
}

void kconfig_add_unique(struct strvec *out, const char *s)
{
	for (size_t i = 0; i < out->n; i++)
		if (!strcmp(out->v[i], s))
			return;
	strvec_push(out, s);
}

static bool is_symbol_term(const struct node *n, const struct kconfig_db *db)
{
	if (n->quoted || n->macro)
		return false;
	if (!strcmp(n->text, "y") || !strcmp(n->text, "m") || !strcmp(n->text, "n"))
		return false;
	if (db)
		return kconfig_db_find(db, n->text) && kconfig_db_find(db, n->text)->ndefs;
	return kconfig_valid_name(n->text) && !isdigit((unsigned char)n->text[0]);
}

/* positive: n should be >= need; negative: n should be <= 2 - need. */
static void blame(const struct node *n, bool positive, int need, const struct kconfig *cfg,
		  const struct kconfig_db *db, struct strvec *out)
{
	int v = eval(n, cfg);
	bool bad = positive ? v < need : v > 2 - need;

	if (!bad)
		return;
	switch (n->kind) {
	case N_SYM:
		if (is_symbol_term(n, db)) {
			if (positive) {
				kconfig_add_unique(out, n->text);
			} else {
				char *s = xasprintf("!%s", n->text);
				kconfig_add_unique(out, s);
				free(s);
			}
		}
		break;
	case N_NOT:
		blame(n->a, !positive, need, cfg, db, out);
		break;
	case N_AND:
	case N_OR:
		/* Each operand that is itself on the wrong side is to blame. */
		blame(n->a, positive, need, cfg, db, out);
		blame(n->b, positive, need, cfg, db, out);
		break;
	case N_CMP: {
		if (!is_symbol_term(n->a, db) && !is_symbol_term(n->b, db))
			break;
		char *s = xasprintf("%s%s%s%s%s", positive ? "" : "!(", n->a->text, n->text,
				    n->b->text, positive ? "" : ")");
		kconfig_add_unique(out, s);
		free(s);
		break;
	}
	}
}

void kconfig_expr_blame_need(const char *expr, int need, const struct kconfig *config,
			     const struct kconfig_db *db, struct strvec *out)
{
	struct node *n = parse_expr(expr);
	if (!n)
		return;
	blame(n, true, need, config, db, out);
	node_free(n);
}

void kconfig_expr_blame(const char *expr, const struct kconfig *config,
			const struct kconfig_db *db, struct strvec *out)
{
	kconfig_expr_blame_need(expr, 1, config, db, out);
}

