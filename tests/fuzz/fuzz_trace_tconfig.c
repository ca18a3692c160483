/* SPDX-License-Identifier: MIT */
/* libFuzzer: trace-once's configuration (YAML through lib/config, then
 * tconfig_apply and the overrides check). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../cmd/trace-once/tconfig.h"
#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct trace_config c;
	struct trace_overrides o = {0};
	char err[1024];
	struct cfg_node *root;

	root = cfg_parse_yaml((const char *)data, size, "fuzz.yaml", err,
			      sizeof err);
	if (!root)
		return 0;
	tconfig_defaults(&c, 1);
	if (tconfig_apply(&c, root, err, sizeof err) == 0) {
		(void)tconfig_add_host(&c, "127.0.0.1", err, sizeof err);
		(void)tconfig_finish(&c, &o, err, sizeof err);
	}
	cfg_free(root);
	return 0;
}
