/* SPDX-License-Identifier: MIT */
/*
 * compat: accept the Go daemon's single-dash flags (Go's flag package
 * spelling) so existing unit files and scripts keep working:
 *     -targets FILE, -targets=FILE   ->  --targets FILE
 *     -target ADDR,  -target=ADDR    ->  --target ADDR
 *     -interval D, -timeout D        ->  --interval D, --timeout D
 *     -adaptive=false                ->  --no-adaptive
 *     -adaptive, -adaptive=true      ->  (dropped: the default)
 * Anything else is passed through untouched for getopt to judge.
 *
 * compat_argv() returns a new NULL-terminated argv (free with
 * compat_free) and its length in *out_argc, or NULL (ENOMEM).  Pure:
 * strings only.
 */
#ifndef TCPPING_COMPAT_H
#define TCPPING_COMPAT_H

char **compat_argv(int argc, char *const *argv, int *out_argc);
void compat_free(char **av, int argc);

#endif
