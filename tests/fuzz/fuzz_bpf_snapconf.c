/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: a configuration file (YAML, or JSON when it starts
 * with '{') through snapconf_compile(), and the same bytes as a
 * /proc/self/mountinfo text through decode_mountinfo_cgroup2().
 */
#include <stdint.h>
#include <stdlib.h>

#include "../../cmd/bpf-snap/snapconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct snapconf c;
	const char *text = (const char *)data;
	struct cfg_node *root;
	char err[512], path[256];

	decode_mountinfo_cgroup2(text, size, path, sizeof path);
	root = size && text[0] == '{'
		   ? cfg_parse_json(text, size, "f.json", err, sizeof err)
		   : cfg_parse_yaml(text, size, "f.yaml", err, sizeof err);
	if (!root)
		return 0;
	snapconf_init(&c);
	snapconf_compile(root, &c, err, sizeof err);
	cfg_free(root);
	return 0;
}
