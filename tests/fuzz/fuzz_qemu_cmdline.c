/* SPDX-License-Identifier: MIT */
/* libFuzzer target: qemu-netsnap's command line decoder (another user's
 * argv is untrusted), with the built-in rules and with configured ones.
 * Every id must be non-empty, bounded and NUL-terminated. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/qemu-netsnap/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct qn_cmdline *cl)
{
	size_t l = strnlen(cl->id, sizeof cl->id);

	if (l == 0 || l >= sizeof cl->id ||
	    strnlen(cl->name, sizeof cl->name) >= sizeof cl->name)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qn_rules rules;
	struct qn_cmdline cl;
	char err[160];

	qn_rules_default(&rules);
	if (decode_cmdline((const char *)data, size, &rules, 1, &cl) == 0)
		check(&cl);
	if (decode_is_qemu((const char *)data, size) !=
	    (decode_cmdline((const char *)data, size, &rules, 1, &cl) == 0))
		abort();
	rules.n = 3;
	rules.r[0].kind = QN_RULE_MATCH;
	strcpy(rules.r[0].match, "id=*;");
	strcpy(rules.r[0].label, "vm-*-*");
	if (qn_rule_check(&rules.r[0], err, sizeof err) == 0)
		abort(); /* two placeholders in a label must be refused */
	strcpy(rules.r[0].label, "vm-*");
	rules.r[1].kind = QN_RULE_MATCH;
	strcpy(rules.r[1].match, "#");
	strcpy(rules.r[1].label, "");
	rules.r[2].kind = QN_RULE_NAME;
	if (decode_cmdline((const char *)data, size, &rules, 2, &cl) == 0)
		check(&cl);
	return 0;
}
