/* SPDX-License-Identifier: MIT */
#include "settings.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void settings_defaults(struct qn_settings *s)
{
	qn_rules_default(&s->rules);
	s->max_vms = 1024;
	s->scan_threads = 0;
}

static int load_rule(const struct cfg_node *n, const char *path,
		     struct qn_rule *r, char *err, size_t errlen)
{
	static const char *const keys[] = {"match", "label", "option", NULL};
	const char *match = NULL, *label = NULL, *option = NULL;
	char why[160];

	if (cfg_check_keys(n, path, keys, err, errlen) ||
	    cfg_get_str(n, path, "match", &match, err, errlen) < 0 ||
	    cfg_get_str(n, path, "label", &label, err, errlen) < 0 ||
	    cfg_get_str(n, path, "option", &option, err, errlen) < 0)
		return -1;
	memset(r, 0, sizeof *r);
	if (option) {
		if (match || label)
			return cfg_error(n, path, err, errlen,
					 "give either option or match, not "
					 "both");
		if (!strcmp(option, "uuid"))
			r->kind = QN_RULE_UUID;
		else if (!strcmp(option, "name"))
			r->kind = QN_RULE_NAME;
		else
			return cfg_error(cfg_get(n, "option"), path, err,
					 errlen,
					 "option: expected uuid or name, got "
					 "\"%s\"",
					 option);
		return 0;
	}
	if (!match)
		return cfg_error(n, path, err, errlen,
				 "expected a match or an option key");
	if (strlen(match) >= sizeof r->match ||
	    (label && strlen(label) >= sizeof r->label))
		return cfg_error(n, path, err, errlen,
				 "match and label are limited to %zu bytes",
				 sizeof r->match - 1);
	r->kind = QN_RULE_MATCH;
	strcpy(r->match, match);
	if (label)
		strcpy(r->label, label);
	if (qn_rule_check(r, why, sizeof why))
		return cfg_error(n, path, err, errlen, "%s", why);
	return 0;
}

int settings_load(struct qn_settings *s, const struct cfg_node *root, char *err,
		  size_t errlen)
{
	static const char *const keys[] = {"id_rules", "max_vms",
					   "scan_threads", NULL};
	const struct cfg_node *seq = NULL;
	int rc;

	if (cfg_check_keys(root, "", keys, err, errlen))
		return -1;
	if (cfg_get_int(root, "", "max_vms", 1, 100000, &s->max_vms, err,
			errlen) < 0 ||
	    cfg_get_int(root, "", "scan_threads", 0, 8, &s->scan_threads, err,
			errlen) < 0)
		return -1;
	rc = cfg_get_seq(root, "", "id_rules", &seq, err, errlen);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		if (seq->n > QN_RULES_MAX)
			return cfg_error(seq, "id_rules", err, errlen,
					 "at most %d rules", QN_RULES_MAX);
		for (size_t i = 0; i < seq->n; i++) {
			char path[64];

			cfg_path_index(path, sizeof path, "id_rules", i);
			if (load_rule(seq->items[i], path, &s->rules.r[i], err,
				      errlen))
				return -1;
		}
		s->rules.n = seq->n;
	}
	return 0;
}
