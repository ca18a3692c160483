# SPDX-License-Identifier: MIT
# Unit tests, fuzzers and test-only programs of lib/ (the foundation).
CHECKS += check_parse_num check_promfile check_statefile check_config \
	check_histogram check_cli check_numtext
check_parse_num_SRCS := tests/check_parse_num.c
check_promfile_SRCS := tests/check_promfile.c
check_statefile_SRCS := tests/check_statefile.c
check_config_SRCS := tests/check_config.c
check_histogram_SRCS := tests/check_histogram.c
check_cli_SRCS := tests/check_cli.c
check_numtext_SRCS := tests/check_numtext.c

# A tool with nothing to measure: drives lib/run end to end for the
# integration tests (health metrics, locking, crash safety) and benchmarks.
TEST_TOOLS += promsnap-selftest
promsnap-selftest_SRCS := tests/tools/promsnap_selftest.c

FUZZERS += fuzz_config fuzz_statefile fuzz_promfile fuzz_numtext
fuzz_config_SRCS := tests/fuzz/fuzz_config.c
fuzz_statefile_SRCS := tests/fuzz/fuzz_statefile.c
fuzz_promfile_SRCS := tests/fuzz/fuzz_promfile.c
fuzz_numtext_SRCS := tests/fuzz/fuzz_numtext.c
