/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the YAML and JSON config parsers and the getters.
 * The first byte picks the parser so one corpus covers both. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const struct cfg_node *n, int depth)
{
	char err[256];
	long long i;
	double d;
	const char *s;
	int b;
	if (!n || depth > 80)
		return;
	for (size_t k = 0; k < n->n; k++) {
		if (n->kind == CFG_MAP) {
			cfg_get_int(n, "p", n->keys[k], -5, 5, &i, err, sizeof err);
			cfg_get_duration(n, "p", n->keys[k], 0, 1e9, &d, err, sizeof err);
			cfg_get_str(n, "p", n->keys[k], &s, err, sizeof err);
			cfg_get_bool(n, "p", n->keys[k], &b, err, sizeof err);
		}
		walk(n->items[k], depth + 1);
	}
	static const char *const known[] = {"targets", "host", "port", NULL};
	cfg_check_keys(n, "p", known, err, sizeof err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct cfg_node *root;
	if (size < 1)
		return 0;
	if (data[0] & 1)
		root = cfg_parse_json((const char *)data + 1, size - 1, "f.json",
				      err, sizeof err);
	else
		root = cfg_parse_yaml((const char *)data + 1, size - 1, "f.yaml",
				      err, sizeof err);
	walk(root, 0);
	cfg_free(root);
	return 0;
}
