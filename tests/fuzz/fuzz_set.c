/* fuzz_set.c: libFuzzer target for the `--set /pointer=VALUE` and `--sweep /pointer=SPEC`
 * parsers: the input's lines become overrides of a small valid scenario (lines starting with
 * '~' are sweeps), which is then loaded, validated and its sweep expanded. */
#include "sim/config/catalog_io.h"
#include "sim/config/scenario.h"
#include "sim/config/sweep.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *base =
    "{\"name\": \"f\", \"paths\": 4, \"start\": \"2024-03-18T00:00:00+08:00\", \"horizon_days\": "
    "0.5, \"workload\": {\"classes\": [{\"name\": \"a\"}, {\"name\": \"b\"}]}, \"traffic\": "
    "{\"growth\": {\"initial\": 1000}, \"events\": [{\"start\": \"2024-03-18T06:00:00+08:00\"}]}, "
    "\"model\": \"llama-3.1-8b\", \"accelerator\": \"nvidia_h100_sxm\", \"fleet\": "
    "{\"accelerators\": 16}}";

static struct ic_catalog cat;
static int have_cat;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!have_cat) {
        struct ic_error e;
        if (ic_catalog_builtin(&cat, &e) != IC_OK) abort();
        have_cat = 1;
    }
    if (size > 65536) return 0;
    char *buf = malloc(size + 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    const char *sets[64], *sweeps[16];
    int ns = 0, nw = 0;
    for (char *line = buf, *next; line && *line && ns < 64; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        if (line[0] == '~' && nw < 16)
            sweeps[nw++] = line + 1;
        else
            sets[ns++] = line;
    }
    struct ic_scenario *sc = malloc(sizeof *sc);
    struct ic_diag d;
    struct ic_error err = {0};
    ic_diag_init(&d);
    struct ic_load_opts o = {.sets = sets, .n_sets = ns, .sweeps = sweeps, .n_sweeps = nw};
    if (sc && ic_scenario_load_string(base, "f.json", &o, &cat, sc, &d, &err) == IC_OK) {
        struct ic_sweep sw;
        if (ic_sweep_expand(sc, "f.json", &sw, &err) == IC_OK) {
            char set[IC_SWEEP_MAX_AXES][4352], label[512];
            if (sw.n_points > 0 && ic_sweep_point_sets(&sw, sw.n_points - 1, set, &err) == IC_OK)
                ic_sweep_point_label(&sw, sw.n_points - 1, label, sizeof label);
            ic_sweep_free(&sw);
        }
    }
    ic_diag_free(&d);
    free(sc);
    free(buf);
    return 0;
}
