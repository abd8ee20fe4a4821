/* cli_common.h: helpers the commands share (see cli_common.c). */
#ifndef IC_CLI_COMMON_H
#define IC_CLI_COMMON_H

#include "sim/core/error.h"

/* A usage error of `infercap CMD`: "infercap: CMD: " and the message (fmt with a and b), then
 * the usage when the command line itself is malformed (full), or a pointer to --help when only
 * a value is wrong.  Returns 2, the exit status. */
int ic_cli_usage_error(const char *cmd, const char *usage, int full, const char *fmt, const char *a,
                       const char *b);

/* The error, one "infercap: " line per line of its message; returns its exit status. */
int ic_cli_fail(const struct ic_error *err);

#endif
