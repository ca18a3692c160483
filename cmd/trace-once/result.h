/* SPDX-License-Identifier: MIT */
/*
 * result: judge one finished mtr child -- its exit and its output -- as a
 * trace_result, decoding the report when there is one.
 *
 * The output is stdout and stderr in one stream (mtr_run.h).  mtr writes
 * its report in one piece at exit, a JSON object whose "{" starts a line;
 * whatever comes before that is what it said on stderr.  mtr 0.95 exits 0
 * for a host it cannot resolve, with no report and the reason on stderr,
 * so no report or any text before it is a failed run whatever the exit
 * status says.  Pure: no syscalls.
 */
#ifndef TRACE_RESULT_H
#define TRACE_RESULT_H

#include <stddef.h>

#include "fmt.h"
#include "mtr_json.h"

/*
 * timed_out: the child was killed at its deadline; status: its wait
 * status otherwise.  On TRACE_OK rep holds the report; otherwise why says
 * what went wrong in one line (the first line mtr said, an exit code, or
 * the decoder's reason).
 */
enum trace_result decode_mtr_result(int timed_out, int status, const char *out,
				    size_t outlen, int out_truncated,
				    struct mtr_report *rep, char *why,
				    size_t whylen);

#endif
