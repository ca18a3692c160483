/* SPDX-License-Identifier: MIT */
/*
 * settings: qemu-netsnap's configuration file (YAML or JSON, see
 * config.h), all of it optional:
 *
 *     id_rules:                 # how the uuid label is found, first match wins
 *       - match: "vm-id=*"      # '*' captures [A-Za-z0-9._:@+-]+, '#' digits
 *       - match: "guest-cid=#"
 *         label: "CID-#"
 *       - option: uuid          # the argument of -uuid
 *       - option: name          # the guest name of -name
 *     max_vms: 1024             # VMs kept in state and reported at most
 *     scan_threads: 0           # threads reading /proc; 0: automatic
 *
 * (The built-in first rule, run/vm/ then '*' then '/', cannot be spelt
 * in this comment.)
 *
 * settings_defaults() fills the built-in values; settings_load() applies
 * a parsed tree on top.  Errors come back as -1 with a
 * `file:line:col: path: why` message in err.
 */
#ifndef QEMU_NETSNAP_SETTINGS_H
#define QEMU_NETSNAP_SETTINGS_H

#include <stddef.h>

#include "config.h"
#include "decode.h"

struct qn_settings {
	struct qn_rules rules;
	long long max_vms;
	long long scan_threads;
};

void settings_defaults(struct qn_settings *s);
int settings_load(struct qn_settings *s, const struct cfg_node *root, char *err,
		  size_t errlen);

#endif
