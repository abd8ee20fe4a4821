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

/* The on-disk cache of measured service curves (sim/engine/svccurve.h): off when the command
 * line holds --no-cache anywhere (taken out of argv, *argc reduced) or INFERCAP_CACHE_DIR is
 * "off"; else the directory INFERCAP_CACHE_DIR, $XDG_CACHE_HOME/infercap or
 * $HOME/.cache/infercap (off when none is set). */
void ic_cli_curve_cache(int *argc, char **argv);

#endif
