/* SPDX-License-Identifier: MIT */
/* libFuzzer target: qemu-netsnap's readers of /proc and /sys text: fdinfo
 * "iff:" lines, net/dev, stat start time, ns links, fd link targets and
 * sysfs numbers.  Names that come out must be valid interface names. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/qemu-netsnap/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	char ifname[QN_IFNAME_MAX], *z;
	struct qn_devstats d;
	uint64_t v;
	int idx;

	if (decode_fdinfo_iff(buf, size, ifname) == 0 &&
	    !qn_valid_ifname(ifname))
		abort();
	decode_netdev(buf, size, "vnet0", &d);
	decode_netdev(buf, size, "a", &d);
	{
		struct qn_netdev_entry *e = NULL;
		ssize_t n = decode_netdev_all(buf, size, &e);

		/* Every indexed name must be found again and be a valid
		 * name.  (The single lookup may disagree when a name is
		 * repeated, which the kernel never writes.) */
		for (ssize_t i = 0; i < n; i++)
			if (!qn_netdev_find(e, (size_t)n, e[i].name) ||
			    strlen(e[i].name) >= QN_IFNAME_MAX)
				abort();
		free(e);
	}
	decode_stat_starttime(buf, size, &v);
	decode_u64(buf, size, &v);
	z = malloc(size + 1);
	if (!z)
		return 0;
	memcpy(z, data, size);
	z[size] = '\0';
	decode_netns(z, &v);
	if (decode_fd_target(z, &idx) == QN_FD_MACVTAP && idx <= 0)
		abort();
	qn_valid_ifname(z);
	free(z);
	return 0;
}
