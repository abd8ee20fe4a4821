/* fuzz_scenario.c: libFuzzer target for the scenario loader and validator (syntax check, typed
 * walk, defaults, cross-field rules), then the plan compiler on what validates: every input
 * must be accepted or refused with messages, never crash, hang or leak. */
#include "sim/config/catalog_io.h"
#include "sim/engine/engine.h"
#include "sim/engine/svccurve.h"
#include "sim/config/scenario.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ic_catalog cat;
static int have_cat;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!have_cat) {
        struct ic_error e;
        if (ic_catalog_builtin(&cat, &e) != IC_OK) abort();
        have_cat = 1;
    }
    if (size > (1u << 20)) return 0; /* the loader takes up to 16 MiB; fuzzing needs less */
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct ic_scenario *sc = malloc(sizeof *sc);
    struct ic_diag d;
    struct ic_error err = {0};
    ic_diag_init(&d);
    struct ic_load_opts o = {.sets = NULL, .n_sets = 0};
    if (sc && strlen(text) == size &&
        ic_scenario_load_string(text, "fuzz.json", &o, &cat, sc, &d, &err) == IC_OK) {
        /* small runs only: compiling the plan exercises the models */
        if (sc->horizon_days * 86400.0 / sc->step_s < 2e5 && sc->paths <= 1000) {
            /* A replica of attention ranks or of prefill and decode units has its service curve
             * measured on the whole replica (a million requests and more: DeepSeek's day took
             * over the 20 s limit under the fuzzer's instrumentation), so such plans compile
             * with the closed-form curve; every other plan measures its curve. */
            unsigned flags = sc->serving.attention_dp > 1 || sc->serving.disaggregated
                                 ? IC_PLAN_CLOSED_FORM
                                 : 0u;
            /* A fleet whose curve is measured on a group larger than /service_curve/replicas
             * (ic_curve_group: up to 64 replicas) costs up to eight times as much:
             * tests/bad/minimal-valid.json (64 replicas of one H100) took over the 20 s limit.
             * Those compile with the closed form too; fleets of a few replicas measure theirs,
             * unless their steps are over-dispersed (the curve's over-dispersed probe runs up to
             * 32 x /service_curve/requests more). */
            struct ic_plan p0;
            if (!flags && ic_plan_compile_ex(sc, IC_PLAN_CLOSED_FORM, &p0, &err) == IC_OK) {
                for (int k = 0; k < p0.n_pools; k++) {
                    struct ic_req_input in;
                    struct ic_error e2 = {0};
                    const long base = (long)sc->service_curve.replicas;
                    if (ic_plan_req_input(&p0, k, &in, &e2) == IC_OK &&
                        (ic_curve_group(&in.rm, base, in.replicas) > base || in.dispersion > 0))
                        flags = IC_PLAN_CLOSED_FORM;
                }
                ic_plan_free(&p0);
            }
            struct ic_plan plan;
            if (ic_plan_compile_ex(sc, flags, &plan, &err) == IC_OK) ic_plan_free(&plan);
        }
        char *json = ic_scenario_resolved_json(sc);
        free(json);
    }
    ic_diag_free(&d);
    free(sc);
    free(text);
    return 0;
}
