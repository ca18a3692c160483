/* SPDX-License-Identifier: MIT */
#include "logpos.h"

#include <string.h>

uint64_t logpos_hash(const void *data, uint64_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (uint64_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Does f hold the same first bytes as the saved position? */
static int same_head(const struct logpos *s, const struct logpos_file *f)
{
	if (s->hlen == 0)
		return 1; /* nothing to compare: trust the inode and size */
	return f->hash_ok && f->hash == s->hash;
}

static int is_saved_inode(const struct logpos *s, const struct logpos_file *f)
{
	return f->exists && f->dev == s->dev && f->ino == s->ino;
}

void logpos_decide(const struct logpos *saved, const struct logpos_file *cur,
		   const struct logpos_file *rot, int from_end,
		   struct logpos_plan *plan)
{
	memset(plan, 0, sizeof *plan);

	if (!saved->known) {
		if (!cur->exists)
			return;
		plan->read_current = 1;
		if (from_end) {
			plan->cur_off = cur->size;
			plan->cur_from_end = 1;
		}
		return;
	}

	if (is_saved_inode(saved, cur)) {
		if (cur->size >= saved->off && same_head(saved, cur)) {
			plan->read_current = 1;
			plan->cur_off = saved->off;
			plan->keep_skipping = saved->skipping;
			return;
		}
		/* Truncated in place (copytruncate) or replaced by a new
		 * file on the same inode.  A copytruncate copy in <log>.1
		 * still holds what we had not read yet. */
		plan->rotation = 1;
		if (rot->exists && saved->hlen && same_head(saved, rot) &&
		    rot->size >= saved->off && !is_saved_inode(saved, rot)) {
			plan->read_rotated = 1;
			plan->rot_off = saved->off;
			plan->keep_skipping = saved->skipping;
		}
		plan->read_current = 1;
		return;
	}

	/* The inode changed, or the file is gone: renamed away. */
	if (is_saved_inode(saved, rot) && rot->size >= saved->off) {
		plan->read_rotated = 1;
		plan->rot_off = saved->off;
		plan->keep_skipping = saved->skipping;
	}
	if (!cur->exists) {
		/* Between logrotate's rename and the writer's reopen.
		 * rotation is counted when the new file shows up. */
		return;
	}
	plan->rotation = 1;
	plan->read_current = 1;
}

int logpos_unchanged(const struct logpos *saved, const struct logpos_file *cur)
{
	const struct logpos_file none = {0};
	struct logpos_plan plan;

	if (!saved->known || !cur->exists || cur->size != saved->off ||
	    cur->size != saved->size)
		return 0;
	logpos_decide(saved, cur, &none, 0, &plan);
	return plan.read_current && !plan.read_rotated && !plan.rotation &&
	       plan.cur_off == saved->off;
}
