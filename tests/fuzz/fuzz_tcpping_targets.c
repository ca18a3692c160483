/* SPDX-License-Identifier: MIT */
/* libFuzzer target: tcpping-burst's targets file and config on top of the
 * shared YAML/JSON parsers.  The first byte picks the shape: even, the Go
 * daemon's JSON targets file; odd, the YAML config. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/tcpping-burst/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct target_list l = {0};
	struct tp_conf c;
	struct cfg_node *root;
	char err[512];
	int json;

	if (size < 1)
		return 0;
	json = !(data[0] & 1);
	tp_conf_defaults(&c);
	root = json ? cfg_parse_json((const char *)data + 1, size - 1, "t.json",
				     err, sizeof err)
		    : cfg_parse_yaml((const char *)data + 1, size - 1, "t.yaml",
				     err, sizeof err);
	if (!root)
		return 0;
	if (json ? targets_from_cfg(root, "", &l, err, sizeof err) == 0
		 : tp_conf_from_cfg(root, &c, &l, err, sizeof err) == 0) {
		/* Whatever was accepted must be within the documented bounds. */
		if (l.n > TARGETS_MAX || c.count < 1 || c.count > 10000 ||
		    c.min_timeout > c.max_timeout)
			abort();
		for (size_t i = 0; i < l.n; i++)
			if (!l.v[i].name[0] || !l.v[i].host[0] ||
			    atoi(l.v[i].port) < 1 || atoi(l.v[i].port) > 65535)
				abort();
	}
	targets_free(&l);
	cfg_free(root);
	return 0;
}
