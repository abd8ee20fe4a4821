/* cli_common.c: helpers the commands share (see cli_common.h). */
#include "sim/cli/cli_common.h"

#include <stdio.h>
#include <string.h>

int ic_cli_usage_error(const char *cmd, const char *usage, int full, const char *fmt, const char *a,
                       const char *b) {
    fprintf(stderr, "infercap: %s: ", cmd);
    fprintf(stderr, fmt, a, b);
    if (full)
        fprintf(stderr, "\n\n%s", usage);
    else
        fprintf(stderr, " (see `infercap %s --help`)\n", cmd);
    return 2;
}

int ic_cli_fail(const struct ic_error *err) {
    const char *s = err->msg;
    while (*s) {
        size_t k = strcspn(s, "\n");
        fprintf(stderr, "infercap: %.*s\n", (int)k, s);
        s += k;
        if (*s) s++;
    }
    return ic_status_exit_code(err->status);
}
