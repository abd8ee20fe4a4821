/* cli_common.c: helpers the commands share (see cli_common.h). */
#include "sim/cli/cli_common.h"

#include "sim/engine/svccurve.h"

#include <stdio.h>
#include <stdlib.h>
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

void ic_cli_curve_cache(int *argc, char **argv) {
    int off = 0, n = 0;
    for (int i = 0; i < *argc; i++) {
        if (i > 0 && strcmp(argv[i], "--no-cache") == 0)
            off = 1;
        else
            argv[n++] = argv[i];
    }
    if (n < *argc) argv[n] = NULL;
    *argc = n;
    const char *env = getenv("INFERCAP_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME"),
               *home = getenv("HOME");
    char dir[2048] = "";
    if (off || (env && strcmp(env, "off") == 0))
        dir[0] = '\0';
    else if (env && env[0])
        snprintf(dir, sizeof dir, "%s", env);
    else if (xdg && xdg[0] == '/') /* the XDG spec: a relative path is ignored */
        snprintf(dir, sizeof dir, "%s/infercap", xdg);
    else if (home && home[0])
        snprintf(dir, sizeof dir, "%s/.cache/infercap", home);
    if (ic_curve_cache_set_dir(dir) != 0)
        fprintf(stderr, "infercap: the curve cache directory %s is too long: cache off\n", dir);
}
