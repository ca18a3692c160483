/* SPDX-License-Identifier: MIT */
#include "compat.h"

#include <stdlib.h>
#include <string.h>

static const char *const renamed[] = {"targets", "target", "interval",
				      "timeout", NULL};

/* Every element is malloc'd so compat_free can free them alike. */
static char *dup2str(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 1);

	if (s) {
		memcpy(s, a, la);
		memcpy(s + la, b, lb + 1);
	}
	return s;
}

char **compat_argv(int argc, char *const *argv, int *out_argc)
{
	char **av = calloc((size_t)argc + 1, sizeof *av);
	int n = 0, done = 0;

	if (!av)
		return NULL;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		char *s = NULL;

		if (i > 0 && !done && a[0] == '-' && a[1] != '-' && a[1]) {
			for (int k = 0; renamed[k]; k++) {
				size_t l = strlen(renamed[k]);
				if (!strncmp(a + 1, renamed[k], l) &&
				    (a[1 + l] == '\0' || a[1 + l] == '=')) {
					s = dup2str("-", a);
					break;
				}
			}
			if (!s && (!strcmp(a, "-adaptive") ||
				   !strcmp(a, "-adaptive=true")))
				continue;
			if (!s && !strcmp(a, "-adaptive=false"))
				s = dup2str("--no-adaptive", "");
		}
		/* After "--" everything is an operand. */
		if (i > 0 && !strcmp(a, "--"))
			done = 1;
		if (!s)
			s = dup2str(a, "");
		if (!s) {
			compat_free(av, n);
			return NULL;
		}
		av[n++] = s;
	}
	av[n] = NULL;
	*out_argc = n;
	return av;
}

void compat_free(char **av, int argc)
{
	if (!av)
		return;
	for (int i = 0; i < argc; i++)
		free(av[i]);
	free(av);
}
