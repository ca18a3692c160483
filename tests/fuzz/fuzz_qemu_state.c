/* SPDX-License-Identifier: MIT */
/* libFuzzer target: qemu-netsnap's state entries (a file an operator may
 * edit).  Lines "key value" are loaded, a run is accounted on them, and
 * what is saved must load back without a single rejected entry. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/qemu-netsnap/account.h"
#include "../../cmd/qemu-netsnap/fmt.h"
#include "promfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int reload(void *arg, const char *key, const char *value)
{
	if (account_load(arg, key, value))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qn_table *t = account_new(8), *back = account_new(8);
	char *text = malloc(size + 1), *line, *save = NULL;
	struct qn_proc p;
	struct qn_ring ring;
	struct promfile *pf = promfile_new();

	if (!t || !back || !text || !pf)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	windows_ring_decode(text, &ring);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');

		if (!sp)
			continue;
		*sp = '\0';
		account_load(t, line, sp + 1);
	}
	memset(&p, 0, sizeof p);
	p.pid = 1;
	p.readable = 1;
	strcpy(p.cl.id, "vm-a");
	p.nif = 1;
	strcpy(p.ifs[0].name, "vnet0");
	p.ifs[0].ifindex = 3;
	p.ifs[0].c.v[QN_RX_BYTES] = 1000;
	if (account_update(t, &p, 1, 1700000000.0, size & 1))
		abort();
	if (qn_fmt(pf, t, 0))
		abort();
	account_save(t, reload, back);
	promfile_free(pf);
	account_free(t);
	account_free(back);
	free(text);
	return 0;
}
