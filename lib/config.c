/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "parse_num.h"
#include "readfile.h"

/* Config is untrusted: bound how deep and how large it may be. */
#define CFG_MAX_DEPTH 64
#define CFG_MAX_FILE (16u << 20)

/* --- nodes -------------------------------------------------------------- */

struct cfg_root {
	struct cfg_node node; /* must be first: cfg_free() casts */
	char *file;
};

static struct cfg_node *node_new(enum cfg_kind kind, const char *file,
				 int line, int col)
{
	struct cfg_node *n = calloc(1, sizeof *n);
	if (!n)
		return NULL;
	n->kind = kind;
	n->file = file;
	n->line = line;
	n->col = col;
	return n;
}

/* Free what a node owns, not the node itself. */
static void node_free_contents(struct cfg_node *n);

static void node_free(struct cfg_node *n)
{
	if (!n)
		return;
	node_free_contents(n);
	free(n);
}

static void node_free_contents(struct cfg_node *n)
{
	for (size_t i = 0; i < n->n; i++) {
		node_free(n->items[i]);
		if (n->keys)
			free(n->keys[i]);
		if (n->keynodes)
			node_free(n->keynodes[i]);
	}
	free(n->items);
	free(n->keys);
	free(n->keynodes);
	free(n->str);
}

void cfg_free(struct cfg_node *root)
{
	/* The root was allocated as a struct cfg_root, which also owns the
	 * file name every node points at. */
	struct cfg_root *r = (struct cfg_root *)root;
	if (!root)
		return;
	node_free_contents(root);
	free(r->file);
	free(r);
}

/* Append child to a sequence or (with key) a map. */
static int node_append(struct cfg_node *parent, char *key,
		       struct cfg_node *keynode, struct cfg_node *child)
{
	size_t n = parent->n + 1;
	struct cfg_node **items = realloc(parent->items, n * sizeof *items);
	if (!items)
		return -1;
	parent->items = items;
	if (parent->kind == CFG_MAP) {
		char **keys = realloc(parent->keys, n * sizeof *keys);
		if (!keys)
			return -1;
		parent->keys = keys;
		struct cfg_node **kn =
			realloc(parent->keynodes, n * sizeof *kn);
		if (!kn)
			return -1;
		parent->keynodes = kn;
		keys[n - 1] = key;
		kn[n - 1] = keynode;
	}
	items[n - 1] = child;
	parent->n = n;
	return 0;
}

static struct cfg_node *root_new(enum cfg_kind kind, const char *filename,
				 int line, int col)
{
	struct cfg_root *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->file = strdup(filename ? filename : "(config)");
	if (!r->file) {
		free(r);
		return NULL;
	}
	r->node.kind = kind;
	r->node.file = r->file;
	r->node.line = line;
	r->node.col = col;
	return &r->node;
}

static void fmt_err(char *err, size_t errlen, const char *file, int line,
		    int col, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void fmt_err(char *err, size_t errlen, const char *file, int line,
		    int col, const char *fmt, ...)
{
	int k = snprintf(err, errlen, "%s:%d:%d: ", file, line, col);
	if (k < 0 || (size_t)k >= errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
	va_end(ap);
}

static int plain_is_null(const char *s)
{
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") ||
	       !strcmp(s, "Null") || !strcmp(s, "NULL");
}

/* --- YAML --------------------------------------------------------------- */

struct yctx {
	yaml_parser_t p;
	const char *file;
	char *err;
	size_t errlen;
};

static struct cfg_node *y_node(struct yctx *y, yaml_event_t *ev, int depth);

static int y_next(struct yctx *y, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&y->p, ev)) {
		fmt_err(y->err, y->errlen, y->file,
			(int)y->p.problem_mark.line + 1,
			(int)y->p.problem_mark.column + 1, "%s%s%s",
			y->p.problem ? y->p.problem : "YAML syntax error",
			y->p.context ? " " : "",
			y->p.context ? y->p.context : "");
		return -1;
	}
	return 0;
}

static struct cfg_node *y_scalar(struct yctx *y, yaml_event_t *ev)
{
	struct cfg_node *n =
		node_new(CFG_SCALAR, y->file, (int)ev->start_mark.line + 1,
			 (int)ev->start_mark.column + 1);
	if (!n)
		return NULL;
	const char *v = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	if (memchr(v, 0, len)) {
		fmt_err(y->err, y->errlen, y->file, n->line, n->col,
			"NUL byte in a value");
		free(n);
		return NULL;
	}
	n->str = strdup(v);
	if (!n->str) {
		free(n);
		return NULL;
	}
	n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
	n->is_null = !n->quoted && plain_is_null(n->str);
	return n;
}

/* Builds the node that starts with *ev (already read); consumes through
 * its end event. */
static struct cfg_node *y_node(struct yctx *y, yaml_event_t *ev, int depth)
{
	struct cfg_node *n = NULL;
	int line = (int)ev->start_mark.line + 1;
	int col = (int)ev->start_mark.column + 1;

	if (depth > CFG_MAX_DEPTH) {
		fmt_err(y->err, y->errlen, y->file, line, col,
			"nested deeper than %d levels", CFG_MAX_DEPTH);
		return NULL;
	}
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		fmt_err(y->err, y->errlen, y->file, line, col,
			"YAML aliases are not supported");
		return NULL;
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.anchor) {
			fmt_err(y->err, y->errlen, y->file, line, col,
				"YAML anchors are not supported");
			return NULL;
		}
		n = y_scalar(y, ev);
		if (!n && !*y->err)
			snprintf(y->err, y->errlen, "out of memory");
		return n;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		int is_map = ev->type == YAML_MAPPING_START_EVENT;
		if ((is_map && ev->data.mapping_start.anchor) ||
		    (!is_map && ev->data.sequence_start.anchor)) {
			fmt_err(y->err, y->errlen, y->file, line, col,
				"YAML anchors are not supported");
			return NULL;
		}
		n = node_new(is_map ? CFG_MAP : CFG_SEQ, y->file, line, col);
		if (!n)
			goto oom;
		for (;;) {
			yaml_event_t kev, vev;
			struct cfg_node *key = NULL, *val;
			if (y_next(y, &kev) < 0)
				goto fail;
			if (kev.type == YAML_SEQUENCE_END_EVENT ||
			    kev.type == YAML_MAPPING_END_EVENT) {
				yaml_event_delete(&kev);
				return n;
			}
			if (!is_map) {
				val = y_node(y, &kev, depth + 1);
				yaml_event_delete(&kev);
				if (!val || node_append(n, NULL, NULL, val) < 0) {
					node_free(val);
					goto fail;
				}
				continue;
			}
			if (kev.type != YAML_SCALAR_EVENT) {
				fmt_err(y->err, y->errlen, y->file,
					(int)kev.start_mark.line + 1,
					(int)kev.start_mark.column + 1,
					"a mapping key must be a plain value");
				yaml_event_delete(&kev);
				goto fail;
			}
			key = y_node(y, &kev, depth + 1);
			yaml_event_delete(&kev);
			if (!key)
				goto fail;
			for (size_t i = 0; i < n->n; i++)
				if (!strcmp(n->keys[i], key->str)) {
					fmt_err(y->err, y->errlen, y->file,
						key->line, key->col,
						"duplicate key \"%s\" (first "
						"at line %d)",
						key->str, n->keynodes[i]->line);
					node_free(key);
					goto fail;
				}
			if (y_next(y, &vev) < 0) {
				node_free(key);
				goto fail;
			}
			val = y_node(y, &vev, depth + 1);
			yaml_event_delete(&vev);
			char *k = val ? strdup(key->str) : NULL;
			if (!val || !k || node_append(n, k, key, val) < 0) {
				free(k);
				node_free(key);
				node_free(val);
				goto fail;
			}
		}
	}
	default:
		fmt_err(y->err, y->errlen, y->file, line, col,
			"unexpected YAML event");
		return NULL;
	}
oom:
	snprintf(y->err, y->errlen, "out of memory");
fail:
	node_free(n);
	return NULL;
}

struct cfg_node *cfg_parse_yaml(const char *buf, size_t len,
				const char *filename, char *err,
				size_t errlen)
{
	struct yctx y = {.file = NULL, .err = err, .errlen = errlen};
	struct cfg_node *root = NULL, *body = NULL;
	yaml_event_t ev;
	int done = 0;

	err[0] = 0;
	root = root_new(CFG_MAP, filename, 1, 1);
	if (!root) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	y.file = root->file;
	if (!yaml_parser_initialize(&y.p)) {
		snprintf(err, errlen, "out of memory");
		cfg_free(root);
		return NULL;
	}
	yaml_parser_set_input_string(&y.p, (const unsigned char *)buf, len);
	while (!done) {
		if (y_next(&y, &ev) < 0)
			goto fail;
		switch (ev.type) {
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		default:
			if (body) {
				fmt_err(err, errlen, y.file,
					(int)ev.start_mark.line + 1,
					(int)ev.start_mark.column + 1,
					"only one YAML document is allowed");
				yaml_event_delete(&ev);
				goto fail;
			}
			body = y_node(&y, &ev, 1);
			if (!body) {
				yaml_event_delete(&ev);
				goto fail;
			}
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&y.p);
	/* Move the body's contents into the root, which owns the file
	 * name; an empty document is an empty mapping. */
	if (body) {
		root->kind = body->kind;
		root->line = body->line;
		root->col = body->col;
		root->str = body->str;
		root->is_null = body->is_null;
		root->quoted = body->quoted;
		root->n = body->n;
		root->items = body->items;
		root->keys = body->keys;
		root->keynodes = body->keynodes;
		free(body);
		if (root->kind == CFG_SCALAR && root->is_null) {
			free(root->str);
			root->str = NULL;
			root->kind = CFG_MAP;
			root->is_null = 0;
		}
	}
	return root;
fail:
	yaml_parser_delete(&y.p);
	node_free(body);
	cfg_free(root);
	if (!err[0])
		snprintf(err, errlen, "out of memory");
	return NULL;
}

/* --- JSON ---------------------------------------------------------------
 * jansson validates the text and words syntax errors; a small scanner
 * then builds the tree over the now known-good text, because jansson
 * keeps no positions and config errors must name line and column. */

struct jscan {
	const char *s, *end;
	const char *file;
	int line;
	const char *line_start;
};

static void js_ws(struct jscan *j)
{
	while (j->s < j->end) {
		char c = *j->s;
		if (c == '\n') {
			j->line++;
			j->line_start = j->s + 1;
		} else if (c != ' ' && c != '\t' && c != '\r') {
			return;
		}
		j->s++;
	}
}

static int js_col(const struct jscan *j)
{
	return (int)(j->s - j->line_start) + 1;
}

static unsigned js_hex4(const char *p)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else
			v |= (unsigned)(c - 'A' + 10);
	}
	return v;
}

static char *js_string(struct jscan *j)
{
	const char *p = ++j->s; /* after the quote */
	size_t cap = 16, n = 0;
	char *out = malloc(cap);
	while (out && *p != '"') {
		unsigned cp;
		char tmp[4];
		size_t k;
		if (*p == '\\') {
			p++;
			switch (*p) {
			case 'b': cp = '\b'; break;
			case 'f': cp = '\f'; break;
			case 'n': cp = '\n'; break;
			case 'r': cp = '\r'; break;
			case 't': cp = '\t'; break;
			case 'u':
				cp = js_hex4(p + 1);
				p += 4;
				if (cp >= 0xd800 && cp < 0xdc00 && p[1] == '\\' &&
				    p[2] == 'u') {
					unsigned lo = js_hex4(p + 3);
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					     (lo - 0xdc00);
					p += 6;
				}
				break;
			default: cp = (unsigned char)*p; break;
			}
			p++;
			if (cp < 0x80) {
				tmp[0] = (char)cp;
				k = 1;
			} else if (cp < 0x800) {
				tmp[0] = (char)(0xc0 | cp >> 6);
				tmp[1] = (char)(0x80 | (cp & 0x3f));
				k = 2;
			} else if (cp < 0x10000) {
				tmp[0] = (char)(0xe0 | cp >> 12);
				tmp[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
				tmp[2] = (char)(0x80 | (cp & 0x3f));
				k = 3;
			} else {
				tmp[0] = (char)(0xf0 | cp >> 18);
				tmp[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
				tmp[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
				tmp[3] = (char)(0x80 | (cp & 0x3f));
				k = 4;
			}
		} else {
			tmp[0] = *p++;
			k = 1;
		}
		if (n + k + 1 > cap) {
			cap = (n + k + 1) * 2;
			char *o = realloc(out, cap);
			if (!o) {
				free(out);
				return NULL;
			}
			out = o;
		}
		memcpy(out + n, tmp, k);
		n += k;
	}
	if (!out)
		return NULL;
	out[n] = 0;
	j->s = p + 1;
	return out;
}

static struct cfg_node *js_value(struct jscan *j, int depth, char *err,
				 size_t errlen)
{
	struct cfg_node *n;
	js_ws(j);
	int line = j->line, col = js_col(j);

	if (depth > CFG_MAX_DEPTH) {
		fmt_err(err, errlen, j->file, line, col,
			"nested deeper than %d levels", CFG_MAX_DEPTH);
		return NULL;
	}
	if (*j->s == '{' || *j->s == '[') {
		int is_map = *j->s == '{';
		n = node_new(is_map ? CFG_MAP : CFG_SEQ, j->file, line, col);
		if (!n)
			return NULL;
		j->s++;
		js_ws(j);
		if (*j->s == (is_map ? '}' : ']')) {
			j->s++;
			return n;
		}
		for (;;) {
			char *key = NULL;
			struct cfg_node *keynode = NULL, *v;
			js_ws(j);
			if (is_map) {
				keynode = node_new(CFG_SCALAR, j->file,
						   j->line, js_col(j));
				key = keynode ? js_string(j) : NULL;
				if (!key) {
					free(keynode);
					goto fail;
				}
				keynode->str = strdup(key);
				keynode->quoted = 1;
				if (!keynode->str) {
					free(key);
					node_free(keynode);
					goto fail;
				}
				for (size_t i = 0; i < n->n; i++)
					if (!strcmp(n->keys[i], key)) {
						fmt_err(err, errlen, j->file,
							keynode->line,
							keynode->col,
							"duplicate key \"%s\"",
							key);
						free(key);
						node_free(keynode);
						goto fail;
					}
				js_ws(j);
				j->s++; /* ':' */
			}
			v = js_value(j, depth + 1, err, errlen);
			if (!v || node_append(n, key, keynode, v) < 0) {
				free(key);
				node_free(keynode);
				node_free(v);
				goto fail;
			}
			js_ws(j);
			if (*j->s == ',') {
				j->s++;
				continue;
			}
			j->s++; /* '}' or ']' */
			return n;
		}
	fail:
		node_free(n);
		return NULL;
	}
	n = node_new(CFG_SCALAR, j->file, line, col);
	if (!n)
		return NULL;
	if (*j->s == '"') {
		n->str = js_string(j);
		n->quoted = 1;
	} else {
		const char *start = j->s;
		while (j->s < j->end && !strchr(",]} \t\r\n", *j->s))
			j->s++;
		n->str = strndup(start, (size_t)(j->s - start));
		n->is_null = n->str && !strcmp(n->str, "null");
	}
	if (!n->str) {
		free(n);
		return NULL;
	}
	return n;
}

struct cfg_node *cfg_parse_json(const char *buf, size_t len,
				const char *filename, char *err,
				size_t errlen)
{
	json_error_t je;
	json_t *v;
	struct cfg_node *root, *body;
	struct jscan j;

	err[0] = 0;
	if (!filename)
		filename = "(config)";
	v = json_loadb(buf, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
	if (!v) {
		fmt_err(err, errlen, filename, je.line > 0 ? je.line : 1,
			je.column > 0 ? je.column : 1, "%s", je.text);
		return NULL;
	}
	json_decref(v);
	if (memchr(buf, 0, len)) {
		fmt_err(err, errlen, filename, 1, 1, "NUL byte in the file");
		return NULL;
	}
	root = root_new(CFG_MAP, filename, 1, 1);
	if (!root) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	j.s = buf;
	j.end = buf + len;
	j.file = root->file;
	j.line = 1;
	j.line_start = buf;
	/* jansson accepted the text, so it has exactly one value. */
	body = js_value(&j, 1, err, errlen);
	if (!body) {
		if (!err[0])
			snprintf(err, errlen, "out of memory");
		cfg_free(root);
		return NULL;
	}
	root->kind = body->kind;
	root->line = body->line;
	root->col = body->col;
	root->str = body->str;
	root->is_null = body->is_null;
	root->quoted = body->quoted;
	root->n = body->n;
	root->items = body->items;
	root->keys = body->keys;
	root->keynodes = body->keynodes;
	free(body);
	return root;
}

struct cfg_node *cfg_load(const char *path, char *err, size_t errlen)
{
	char *buf;
	size_t got;

	if (readfile(path, CFG_MAX_FILE, &buf, &got) < 0) {
		int e = errno;
		if (e == EINVAL)
			snprintf(err, errlen, "%s: not a regular file", path);
		else if (e == EFBIG)
			snprintf(err, errlen, "%s: larger than 16 MiB", path);
		else
			snprintf(err, errlen, "%s: cannot open: %s", path,
				 strerror(e));
		errno = e;
		return NULL;
	}
	size_t plen = strlen(path);
	const char *p = buf;
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	struct cfg_node *root;
	if ((plen > 5 && !strcasecmp(path + plen - 5, ".json")) || *p == '{' ||
	    *p == '[')
		root = cfg_parse_json(buf, got, path, err, errlen);
	else
		root = cfg_parse_yaml(buf, got, path, err, errlen);
	free(buf);
	if (!root)
		errno = EINVAL;
	return root;
}

/* --- access -------------------------------------------------------------- */

const struct cfg_node *cfg_get(const struct cfg_node *map, const char *key)
{
	if (!map || map->kind != CFG_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (!strcmp(map->keys[i], key))
			return map->items[i];
	return NULL;
}

const char *cfg_path_key(char *buf, size_t len, const char *path,
			 const char *key)
{
	snprintf(buf, len, "%s%s%s", path && *path ? path : "",
		 path && *path ? "." : "", key);
	return buf;
}

const char *cfg_path_index(char *buf, size_t len, const char *path,
			   size_t i)
{
	snprintf(buf, len, "%s[%zu]", path ? path : "", i);
	return buf;
}

int cfg_error(const struct cfg_node *node, const char *path, char *err,
	      size_t errlen, const char *fmt, ...)
{
	int k = snprintf(err, errlen, "%s:%d:%d: %s%s", node->file, node->line,
			 node->col, path && *path ? path : "",
			 path && *path ? ": " : "");
	if (k >= 0 && (size_t)k < errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
		va_end(ap);
	}
	errno = EINVAL;
	return -1;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[65];
	if (la > 64 || lb > 64)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* Quote untrusted text for a message: at most 60 bytes, controls as \xNN. */
static const char *quoted(const char *s, char *buf, size_t len)
{
	size_t o = 0;
	for (size_t i = 0; s[i] && o + 5 < len && i < 60; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = 0;
	return buf;
}

int cfg_check_keys(const struct cfg_node *map, const char *path,
		   const char *const *known, char *err, size_t errlen)
{
	char q[256];
	if (!map || map->kind != CFG_MAP)
		return map ? cfg_error(map, path, err, errlen,
				       "expected a mapping")
			   : 0;
	for (size_t i = 0; i < map->n; i++) {
		const char *k = map->keys[i];
		const char *best = NULL;
		size_t bestd = (size_t)-1;
		int found = 0;
		for (size_t j = 0; known[j]; j++) {
			if (!strcmp(known[j], k)) {
				found = 1;
				break;
			}
			size_t d = edit_distance(k, known[j]);
			if (d < bestd) {
				bestd = d;
				best = known[j];
			}
		}
		if (found)
			continue;
		size_t lim = strlen(k) / 3 > 2 ? strlen(k) / 3 : 2;
		if (best && bestd <= lim)
			return cfg_error(map->keynodes[i], path, err, errlen,
					 "unknown key \"%s\" (did you mean "
					 "\"%s\"?)",
					 quoted(k, q, sizeof q), best);
		return cfg_error(map->keynodes[i], path, err, errlen,
				 "unknown key \"%s\"", quoted(k, q, sizeof q));
	}
	return 0;
}

/* Shared start of every getter: 1 absent/null, 0 scalar found, -1. */
static int scalar_at(const struct cfg_node *map, const char *path,
		     const char *key, const struct cfg_node **out, char *p,
		     size_t plen, char *err, size_t errlen)
{
	const struct cfg_node *n = cfg_get(map, key);
	cfg_path_key(p, plen, path, key);
	if (!n || (n->kind == CFG_SCALAR && n->is_null))
		return 1;
	if (n->kind != CFG_SCALAR)
		return cfg_error(n, p, err, errlen, "expected a value, got a %s",
				 n->kind == CFG_MAP ? "mapping" : "list");
	*out = n;
	return 0;
}

int cfg_get_str(const struct cfg_node *map, const char *path,
		const char *key, const char **out, char *err, size_t errlen)
{
	const struct cfg_node *n;
	char p[512];
	int r = scalar_at(map, path, key, &n, p, sizeof p, err, errlen);
	if (r == 0)
		*out = n->str;
	return r;
}

/* Wraps a parse_num function's message with the node's position. */
#define GETTER_BODY(call)                                                      \
	const struct cfg_node *n;                                              \
	char p[512], why[256];                                                 \
	int r = scalar_at(map, path, key, &n, p, sizeof p, err, errlen);       \
	if (r)                                                                 \
		return r;                                                      \
	if (call < 0)                                                          \
		return cfg_error(n, p, err, errlen, "%s", why);                \
	return 0

int cfg_get_int(const struct cfg_node *map, const char *path,
		const char *key, long long min, long long max, long long *out,
		char *err, size_t errlen)
{
	GETTER_BODY(parse_int(n->str, min, max, out, why, sizeof why));
}

int cfg_get_double(const struct cfg_node *map, const char *path,
		   const char *key, double min, double max, double *out,
		   char *err, size_t errlen)
{
	GETTER_BODY(parse_double(n->str, min, max, out, why, sizeof why));
}

int cfg_get_duration(const struct cfg_node *map, const char *path,
		     const char *key, double min, double max, double *out,
		     char *err, size_t errlen)
{
	GETTER_BODY(parse_duration(n->str, min, max, out, why, sizeof why));
}

int cfg_get_size(const struct cfg_node *map, const char *path,
		 const char *key, unsigned long long min,
		 unsigned long long max, unsigned long long *out, char *err,
		 size_t errlen)
{
	GETTER_BODY(parse_size(n->str, min, max, out, why, sizeof why));
}

int cfg_get_bool(const struct cfg_node *map, const char *path,
		 const char *key, int *out, char *err, size_t errlen)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	const struct cfg_node *n;
	char p[512], q[256];
	int r = scalar_at(map, path, key, &n, p, sizeof p, err, errlen);
	if (r)
		return r;
	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(n->str, yes[i])) {
			*out = 1;
			return 0;
		}
		if (!strcasecmp(n->str, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return cfg_error(n, p, err, errlen,
			 "expected true or false, got \"%s\"",
			 quoted(n->str, q, sizeof q));
}

int cfg_get_seq(const struct cfg_node *map, const char *path,
		const char *key, const struct cfg_node **out, char *err,
		size_t errlen)
{
	char p[512];
	const struct cfg_node *n = cfg_get(map, key);
	if (!n || (n->kind == CFG_SCALAR && n->is_null))
		return 1;
	if (n->kind != CFG_SEQ)
		return cfg_error(n, cfg_path_key(p, sizeof p, path, key), err,
				 errlen, "expected a list");
	*out = n;
	return 0;
}
