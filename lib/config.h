/* SPDX-License-Identifier: MIT */
/*
 * config: YAML (libyaml) and JSON (jansson) files read into one tree that
 * remembers the file, line and column of every node, and typed getters
 * whose errors read like
 *     targets.yaml:12:5: targets[2].port: expected an integer 1..65535, got "http"
 *
 * Calling sequence:
 *     char err[512];
 *     struct cfg_node *root = cfg_load(path, err, sizeof err);
 *     if (!root) { log_err("%s", err); exit 78; }
 *     static const char *const keys[] = {"targets", "db_path", NULL};
 *     if (cfg_check_keys(root, "", keys, err, sizeof err)) ...
 *     const struct cfg_node *t = cfg_get(root, "targets");
 *     for (size_t i = 0; t && i < t->n; i++) ...
 *     cfg_free(root);
 *
 * A file whose name ends in .json, or whose first non-blank byte is '{' or
 * '[', is parsed as JSON; anything else as YAML.  YAML anchors and aliases
 * are refused (config is untrusted input; aliases make billion-laughs).
 * All scalars are kept as strings; the getters convert and range-check.
 * Errors: NULL / -1 with errno set and err filled, never a print.
 */
#ifndef PROMSNAP_CONFIG_H
#define PROMSNAP_CONFIG_H

#include <stddef.h>

enum cfg_kind { CFG_SCALAR, CFG_SEQ, CFG_MAP };

struct cfg_node {
	enum cfg_kind kind;
	const char *file; /* shared by every node of one tree */
	int line, col;	  /* 1-based */
	char *str;	  /* CFG_SCALAR: the text ("" for an empty value) */
	int is_null;	  /* CFG_SCALAR: ~, null, an empty value, JSON null */
	int quoted;	  /* CFG_SCALAR: was quoted (a string, not a number) */
	size_t n;	  /* CFG_SEQ / CFG_MAP: number of items */
	struct cfg_node **items;
	char **keys;	  /* CFG_MAP: key of items[i] */
	struct cfg_node **keynodes; /* CFG_MAP: position of key i */
};

struct cfg_node *cfg_load(const char *path, char *err, size_t errlen);
struct cfg_node *cfg_parse_yaml(const char *buf, size_t len,
				const char *filename, char *err,
				size_t errlen);
struct cfg_node *cfg_parse_json(const char *buf, size_t len,
				const char *filename, char *err,
				size_t errlen);
void cfg_free(struct cfg_node *root);

/* Map lookup; NULL if map is NULL, not a map, or has no such key. */
const struct cfg_node *cfg_get(const struct cfg_node *map, const char *key);

/*
 * Fails with `file:line:col: path.key: unknown key "kye" (did you mean
 * "key"?)` for a key not in known (NULL-terminated), or with "expected a
 * mapping" if map is not a map.  path is the dotted path of map ("" for
 * the root), used in messages.
 */
int cfg_check_keys(const struct cfg_node *map, const char *path,
		   const char *const *known, char *err, size_t errlen);

/*
 * Typed getters on map[key].  Return 1 if the key is absent or null (out
 * untouched, so preset the default), 0 on success, -1 with err filled
 * (`file:line:col: path.key: expected ...`).
 */
int cfg_get_str(const struct cfg_node *map, const char *path,
		const char *key, const char **out, char *err, size_t errlen);
int cfg_get_int(const struct cfg_node *map, const char *path,
		const char *key, long long min, long long max, long long *out,
		char *err, size_t errlen);
int cfg_get_double(const struct cfg_node *map, const char *path,
		   const char *key, double min, double max, double *out,
		   char *err, size_t errlen);
int cfg_get_bool(const struct cfg_node *map, const char *path,
		 const char *key, int *out, char *err, size_t errlen);
int cfg_get_duration(const struct cfg_node *map, const char *path,
		     const char *key, double min, double max, double *out,
		     char *err, size_t errlen);
int cfg_get_size(const struct cfg_node *map, const char *path,
		 const char *key, unsigned long long min,
		 unsigned long long max, unsigned long long *out, char *err,
		 size_t errlen);
/* map[key] must be a sequence (1 if absent, -1 if another kind). */
int cfg_get_seq(const struct cfg_node *map, const char *path,
		const char *key, const struct cfg_node **out, char *err,
		size_t errlen);

/* Write `file:line:col: path: message` into err for any node; returns -1
 * with errno EINVAL so callers can `return cfg_error(...)`. */
int cfg_error(const struct cfg_node *node, const char *path, char *err,
	      size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Build "path.key" or "path[i]" into buf (for nested error paths). */
const char *cfg_path_key(char *buf, size_t len, const char *path,
			 const char *key);
const char *cfg_path_index(char *buf, size_t len, const char *path,
			   size_t i);

#endif
