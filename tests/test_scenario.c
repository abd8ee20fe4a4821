/* test_scenario.c: loading, defaults, overrides, error collection, resolved round trip. */
#include "sim/config/catalog_io.h"
#include "check.h"
#include "sim/config/params.h"
#include "sim/config/scenario.h"
#include "sim/core/util.h"

static struct ic_catalog cat;

static const char *minimal =
    "{\"name\": \"t\", \"start\": \"2024-03-01T00:00:00+08:00\", \"model\": \"llama-3.1-8b\",\n"
    " \"accelerator\": \"nvidia_h100_sxm\", \"fleet\": {\"accelerators\": 64}}\n";

/* Load text with optional overrides; returns the status; diag collects messages. */
static int load(const char *text, const char *const *sets, int nsets, struct ic_scenario *sc,
                struct ic_diag *diag) {
    struct ic_error err = {0};
    struct ic_load_opts o = {.sets = sets, .n_sets = nsets};
    ic_diag_init(diag);
    return ic_scenario_load_string(text, "t.json", &o, &cat, sc, diag, &err);
}

static char *joined(const struct ic_diag *d) {
    static char buf[8192];
    buf[0] = '\0';
    for (size_t i = 0; i < d->count; i++) {
        strncat(buf, d->msgs[i], sizeof buf - strlen(buf) - 2);
        strcat(buf, "\n");
    }
    return buf;
}

int main(void) {
    struct ic_error err;
    if (ic_catalog_builtin(&cat, &err)) return 1;
    struct ic_scenario *sc = malloc(sizeof *sc), *sc2 = malloc(sizeof *sc2);
    struct ic_diag d;

    /* Defaults come from the table. */
    CHECK(load(minimal, NULL, 0, sc, &d) == IC_OK);
    CHECK(d.count == 0);
    CHECK(sc->step_s == ic_param_find("/step_s")->def);
    CHECK(sc->serving.max_batch == 256 && sc->paths == 1000 && sc->seed == 1);
    CHECK(sc->workload.n_classes == 1 && strcmp(sc->workload.classes[0].name, "chat") == 0);
    CHECK(sc->workload.classes[0].output_tokens.median.a == 250);
    CHECK(sc->output.quantiles.n == 5 && sc->output.quantiles.v[2] == 0.5);
    CHECK(sc->fleet.accelerators.a == 64 && sc->fleet.accelerators.integer);
    CHECK(sc->start.offset_s == 28800);
    CHECK(strcmp(sc->accelerator.value.key, "nvidia_h100_sxm") == 0);
    CHECK(sc->accelerator.value.hbm_gb == 80);
    ic_diag_free(&d);

    /* Overrides: numbers, strings, distributions, array append, catalog override. */
    const char *sets[] = {"/fleet/accelerators=128", "/accelerator=nvidia_h20",
                          "/traffic/noise/sigma={\"dist\":\"uniform\",\"min\":0.05,\"max\":0.2}",
                          "/traffic/events/-={\"start\":\"2024-03-02T00:00:00+08:00\","
                          "\"peak_multiplier\":3.5}",
                          "/model={\"base\":\"llama-3.1-8b\",\"max_context\":32768}"};
    CHECK(load(minimal, sets, 5, sc, &d) == IC_OK);
    CHECK(sc->fleet.accelerators.a == 128);
    CHECK(strcmp(sc->accelerator.value.key, "nvidia_h20") == 0);
    CHECK(sc->traffic.noise.sigma.kind == IC_DIST_UNIFORM && sc->traffic.noise.sigma.b == 0.2);
    CHECK(sc->traffic.n_events == 1 && sc->traffic.events[0].peak_multiplier.a == 3.5);
    CHECK(sc->traffic.events[0].decay_s.a == 86400); /* element defaults */
    CHECK(sc->model.value.max_context == 32768 && sc->model.value.layers == 32);
    CHECK(strcmp(sc->model.base, "llama-3.1-8b") == 0);
    ic_diag_free(&d);

    /* Every error is collected, each with file, pointer, value and expectation. */
    const char *bad =
        "{\"name\": \"t\", \"start\": \"2024-03-01T00:00:00+08:00\", \"model\": \"llama-3.1-8b\",\n"
        " \"accelerator\": \"nvidia_h100\", \"fleet\": {\"accelerators\": -5},\n"
        " \"step_s\": \"sixty\", \"trafic\": {}, \"paths\": 10.5,\n"
        " \"queue\": {\"patience_s\": {\"dist\": \"lognormal\", \"median\": 30, \"sigma\": 0}}}\n";
    CHECK(load(bad, NULL, 0, sc, &d) == IC_ERR_INVALID);
    char *all = joined(&d);
    CHECK(d.count == 6);
    CHECK_STR_CONTAINS(all, "t.json: /accelerator: unknown accelerator \"nvidia_h100\"; did you "
                            "mean \"nvidia_h100_sxm\" or \"nvidia_h100_pcie\"?");
    CHECK_STR_CONTAINS(all, "t.json: /fleet/accelerators: got -5, expected an integer (or a "
                            "distribution) in [0, 100000000] accelerators");
    CHECK_STR_CONTAINS(all, "t.json: /step_s: got \"sixty\", expected a number in [1, 86400] s");
    CHECK_STR_CONTAINS(all, "t.json: /trafic: unknown key \"trafic\"; did you mean \"traffic\"?");
    CHECK_STR_CONTAINS(all, "t.json: /paths: got 10.5, expected an integer in [1, 100000000]");
    CHECK_STR_CONTAINS(all, "/queue/patience_s: got lognormal(median 30, sigma 0), expected "
                            "sigma > 0");
    ic_diag_free(&d);

    /* --set errors say so. */
    const char *badset[] = {"/fleet/acelerators=3"};
    CHECK(load(minimal, badset, 1, sc, &d) == IC_ERR_INVALID);
    CHECK_STR_CONTAINS(joined(&d), "(from --set)");
    ic_diag_free(&d);

    /* The performance model v2 fields (issue 14): defaults that leave the model as it was. */
    CHECK(load(minimal, NULL, 0, sc, &d) == IC_OK);
    CHECK(sc->serving.software[0] == '\0' && sc->serving.attention_dp == 0);
    CHECK(sc->serving.software_efficiency.kind == IC_DIST_FIXED &&
          sc->serving.software_efficiency.a == 1);
    CHECK(sc->serving.mtp == 0 && sc->serving.mtp_accept == 0 && sc->serving.eplb == 1);
    CHECK(sc->serving.expert_imbalance == 0 && sc->serving.overlap == 0);
    CHECK(sc->serving.node_limit == 0 && sc->serving.admission == IC_ADMIT_PROFILE);
    CHECK(sc->serving.kv_fraction == 1 && sc->serving.attention_precision == IC_PREC_BF16);
    CHECK(sc->serving.max_throughput == 0 && sc->serving.prefill_unit == 0 &&
          sc->serving.decode_unit == 0);
    ic_diag_free(&d);
    /* Each loads ... */
    const char *v2[] = {
        "/serving/software=\"nvidia-vllm-2025\"",
        "/serving/software_efficiency={\"dist\":\"uniform\",\"min\":0.8,\"max\":1.2}",
        "/serving/attention_dp=16",
        "/serving/expert_parallel=16",
        "/serving/mtp=2",
        "/serving/mtp_accept=0.8",
        "/serving/eplb=\"no\"",
        "/serving/expert_imbalance=1.3",
        "/serving/overlap=\"yes\"",
        "/serving/node_limit=4",
        "/serving/admission=\"on-demand\"",
        "/serving/kv_fraction=0.5",
        "/serving/attention_precision=\"fp8\"",
        "/serving/max_throughput=\"yes\"",
        "/serving/disaggregated=\"yes\"",
        "/serving/prefill_unit=16",
        "/serving/decode_unit=32",
        "/model=\"deepseek-v3\"",
        "/serving/weight_precision=\"fp8\"",
    };
    const int nv2 = (int)(sizeof v2 / sizeof v2[0]);
    CHECK(load(minimal, v2, nv2, sc, &d) == IC_OK);
    if (d.count) fprintf(stderr, "%s", joined(&d));
    CHECK(strcmp(sc->serving.software, "nvidia-vllm-2025") == 0);
    CHECK(sc->serving.software_efficiency.kind == IC_DIST_UNIFORM &&
          sc->serving.software_efficiency.b == 1.2);
    CHECK(sc->serving.attention_dp == 16 && sc->serving.mtp == 2 && sc->serving.mtp_accept == 0.8);
    CHECK(sc->serving.eplb == 0 && sc->serving.expert_imbalance == 1.3 && sc->serving.overlap == 2);
    CHECK(sc->serving.node_limit == 4 && sc->serving.admission == IC_ADMIT_ON_DEMAND);
    CHECK(sc->serving.kv_fraction == 0.5 && sc->serving.attention_precision == IC_PREC_FP8);
    CHECK(sc->serving.max_throughput == 1 && sc->serving.prefill_unit == 16 &&
          sc->serving.decode_unit == 32);
    ic_diag_free(&d);
    /* ... round-trips through the resolved scenario ... */
    {
        char *r1 = ic_scenario_resolved_json(sc);
        CHECK(r1 && strstr(r1, "\"attention_dp\":\t16") &&
              strstr(r1, "\"software\":\t\"nvidia-vllm-2025\""));
        CHECK(load(r1, NULL, 0, sc2, &d) == IC_OK);
        if (d.count) fprintf(stderr, "%s", joined(&d));
        ic_diag_free(&d);
        char *r2 = ic_scenario_resolved_json(sc2);
        CHECK(r1 && r2 && strcmp(r1, r2) == 0);
        CHECK(memcmp(&sc->serving, &sc2->serving, sizeof sc->serving) == 0);
        free(r1);
        free(r2);
    }
    /* ... and is range-checked, the message naming the file and the field. */
    static const struct {
        const char *set, *msg;
    } v2bad[] = {
        {"/serving/software=\"nvidia-trt\"",
         "t.json: /serving/software: got \"nvidia-trt\", expected a software profile: "
         "nvidia-trtllm-2025, nvidia-vllm-2025"},
        {"/serving/software_efficiency=0", "t.json: /serving/software_efficiency: got 0"},
        {"/serving/software_efficiency=3.5", "t.json: /serving/software_efficiency: got 3.5"},
        {"/serving/attention_dp=-1", "t.json: /serving/attention_dp: got -1"},
        {"/serving/attention_dp=2.5", "t.json: /serving/attention_dp: got 2.5"},
        {"/serving/mtp=17", "t.json: /serving/mtp: got 17"},
        {"/serving/mtp_accept=1.5", "t.json: /serving/mtp_accept: got 1.5"},
        {"/serving/eplb=true", "t.json: /serving/eplb: got true, expected one of: no,yes"},
        {"/serving/expert_imbalance=101", "t.json: /serving/expert_imbalance: got 101"},
        {"/serving/overlap=\"maybe\"", "t.json: /serving/overlap: got \"maybe\", expected one of: "
                                       "auto,no,yes"},
        {"/serving/node_limit=-2", "t.json: /serving/node_limit: got -2"},
        {"/serving/admission=\"lazy\"", "t.json: /serving/admission: got \"lazy\""},
        {"/serving/kv_fraction=0", "t.json: /serving/kv_fraction: got 0"},
        {"/serving/kv_fraction=1.2", "t.json: /serving/kv_fraction: got 1.2"},
        {"/serving/attention_precision=\"int8\"", "t.json: /serving/attention_precision: got"},
        {"/serving/max_throughput=1", "t.json: /serving/max_throughput: got 1"},
        {"/serving/prefill_unit=70000", "t.json: /serving/prefill_unit: got 70000"},
        {"/serving/decode_unit=-8", "t.json: /serving/decode_unit: got -8"},
    };
    for (size_t i = 0; i < sizeof v2bad / sizeof v2bad[0]; i++) {
        const char *one[] = {v2bad[i].set};
        CHECK(load(minimal, one, 1, sc, &d) == IC_ERR_INVALID);
        CHECK_STR_CONTAINS(joined(&d), v2bad[i].msg);
        ic_diag_free(&d);
    }
    /* Experts over more accelerators than attention_dp makes a replica of. */
    const char *epbad[] = {"/model=\"deepseek-v3\"", "/serving/weight_precision=\"fp8\"",
                           "/serving/attention_dp=16", "/serving/expert_parallel=32"};
    CHECK(load(minimal, epbad, 4, sc, &d) == IC_ERR_INVALID);
    CHECK_STR_CONTAINS(joined(&d), "t.json: /serving/expert_parallel: got 32, expected at most "
                                   "the 16 accelerators of a replica (/serving/attention_dp)");
    ic_diag_free(&d);

    /* Syntax errors give line and column. */
    struct ic_error perr = {0};
    struct ic_load_opts o = {.sets = NULL, .n_sets = 0};
    ic_diag_init(&d);
    CHECK(ic_scenario_load_string("{\n  \"name\": \"t\",\n  \"paths\": 10,,\n}", "s.json", &o, &cat,
                                  sc, &d, &perr) == IC_ERR_PARSE);
    CHECK_STR_CONTAINS(perr.msg, "s.json:3:");
    ic_diag_free(&d);

    /* The resolved scenario reloads to the same scenario (and the same JSON). */
    char *text = NULL;
    size_t len;
    char path[4096];
    snprintf(path, sizeof path, "%s/scenarios/kimi-2024-03.json",
             getenv("IC_SOURCE_DIR") ? getenv("IC_SOURCE_DIR") : ".");
    CHECK(ic_read_file(path, 1 << 20, &text, &len, &err) == IC_OK);
    if (text) {
        CHECK(load(text, NULL, 0, sc, &d) == IC_OK);
        ic_diag_free(&d);
        char *r1 = ic_scenario_resolved_json(sc);
        CHECK(load(r1, NULL, 0, sc2, &d) == IC_OK);
        if (d.count) fprintf(stderr, "%s", joined(&d));
        ic_diag_free(&d);
        char *r2 = ic_scenario_resolved_json(sc2);
        CHECK(r1 && r2 && strcmp(r1, r2) == 0);
        CHECK(sc2->traffic.events[0].peak_multiplier.kind == IC_DIST_LOGNORMAL);
        CHECK(sc2->workload.classes[1].share.slot == sc->workload.classes[1].share.slot);
        CHECK(strcmp(sc2->model.value.key, "moonshot-v1-proxy") == 0);
        free(r1);
        free(r2);

        /* Overriding fields of the loaded scenario (ic_scenario_override) gives the scenario
         * that loading the text with the same sets gives: the same resolved JSON, bit-identical
         * fields, the same messages; a set that is not one field of it leaves it to a reload. */
        const char *ov[][2] = {
            {"/fleet/accelerators=2048", "/fleet/accelerators=300"},
            {"/serving/tpot_slo_ms=40", "/serving/tpot_slo_ms=33.25"},
            {"/workload/classes/1/input_tokens/median=700",
             "/workload/classes/1/input_tokens/median={\"dist\":\"uniform\",\"min\":500,"
             "\"max\":900}"},
            {"/accelerator=nvidia_h100_sxm", "/accelerator=nvidia_h200_sxm"},
            {"/serving/overlap=yes", "/serving/overlap=no"},
            {"/serving={\"tensor_parallel\":8}", "/serving={\"mtp\":1}"},
            {"/workload/classes=[{\"name\":\"long-document\"},{\"name\":\"b\"}]",
             "/workload/classes=[{\"name\":\"long-document\",\"share\":2}]"},
        };
        for (size_t i = 0; i < sizeof ov / sizeof ov[0]; i++) {
            struct ic_diag created;
            ic_diag_init(&created);
            struct ic_load_opts o1 = {.sets = &ov[i][0], .n_sets = 1, .created = &created};
            ic_diag_init(&d);
            CHECK(ic_scenario_load_string(text, "k.json", &o1, &cat, sc, &d, &err) == IC_OK);
            ic_diag_free(&d);
            CHECK(load(text, &ov[i][1], 1, sc2, &d) == IC_OK);
            ic_diag_free(&d);
            struct ic_load_opts o2 = {.sets = &ov[i][1], .n_sets = 1};
            ic_diag_init(&d);
            CHECK(ic_scenario_override(sc, "k.json", &o2, 0, &created, &cat, 0, &d, &err) == IC_OK);
            ic_diag_free(&d);
            char *a = ic_scenario_resolved_json(sc), *b = ic_scenario_resolved_json(sc2);
            CHECK(a && b && strcmp(a, b) == 0);
            CHECK(memcmp(&sc->workload, &sc2->workload, sizeof sc->workload) == 0);
            CHECK(memcmp(&sc->fleet.accelerators, &sc2->fleet.accelerators,
                         sizeof sc->fleet.accelerators) == 0);
            CHECK(memcmp(&sc->accelerator, &sc2->accelerator, sizeof sc->accelerator) == 0);
            free(a);
            free(b);
            ic_diag_free(&created);
        }
        CHECK(sc->workload.n_classes == 1 && sc->workload.classes[0].share.a == 2);
        /* A value out of range, and a cross-field rule broken: the loader's messages. */
        const char *badv[] = {"/serving/tensor_parallel=2.5", "/serving/expert_parallel=4096",
                              "/serving/kv_precision=fp4"};
        for (int i = 0; i < 3; i++) {
            struct ic_diag d2;
            CHECK(load(text, &badv[i], 1, sc2, &d2) == IC_ERR_INVALID);
            CHECK(load(text, NULL, 0, sc, &d) == IC_OK);
            ic_diag_free(&d);
            struct ic_load_opts o2 = {.sets = &badv[i], .n_sets = 1};
            ic_diag_init(&d);
            CHECK(ic_scenario_override(sc, "t.json", &o2, 0, NULL, &cat, 0, &d, &err) ==
                  IC_ERR_INVALID);
            CHECK(d.count > 0 && strcmp(joined(&d), joined(&d2)) == 0);
            CHECK(strstr(joined(&d), "(from --set)") != NULL);
            ic_diag_free(&d);
            ic_diag_free(&d2);
        }
        /* Not one field of the scenario: unchanged, a reload is needed (or, asked, reported). */
        const char *other[] = {"/workload/classes/5/share=1",
                               "/workload/classes/0={}",
                               "/fleet/nope=1",
                               "/accelerator/tdp_w=500",
                               "/a~1b=1",
                               "no-equals"};
        CHECK(load(text, NULL, 0, sc, &d) == IC_OK);
        ic_diag_free(&d);
        memcpy(sc2, sc, sizeof *sc);
        for (int i = 0; i < 6; i++) {
            struct ic_load_opts o2 = {.sets = &other[i], .n_sets = 1};
            ic_diag_init(&d);
            CHECK(ic_scenario_override(sc, "t.json", &o2, 0, NULL, &cat, 0, &d, &err) ==
                  IC_SCENARIO_RELOAD);
            CHECK(d.count == 0 && memcmp(sc, sc2, sizeof *sc) == 0);
            CHECK(ic_scenario_override(sc, "t.json", &o2, 0, NULL, &cat, 1, &d, &err) ==
                  IC_ERR_INVALID);
            CHECK(d.count == 1);
            ic_diag_free(&d);
        }
        CHECK(load(text, &other[2], 1, sc2, &d) == IC_ERR_INVALID);
        char want[512];
        ic_strlcpy(want, joined(&d), sizeof want);
        ic_diag_free(&d);
        struct ic_load_opts o3 = {.sets = &other[2], .n_sets = 1};
        ic_diag_init(&d);
        ic_scenario_override(sc, "t.json", &o3, 0, NULL, &cat, 1, &d, &err);
        CHECK(strcmp(joined(&d), want) == 0);
        ic_diag_free(&d);

        /* The defaults alone, then every field given as a set: the loaded scenario. */
        const char *every[] = {"/name=t", "/start=\"2024-03-01T00:00:00+08:00\"",
                               "/model=llama-3.1-8b", "/accelerator=nvidia_h100_sxm",
                               "/fleet/accelerators=64"};
        ic_scenario_defaults(sc);
        struct ic_load_opts o4 = {.sets = every, .n_sets = 5};
        ic_diag_init(&d);
        CHECK(ic_scenario_override(sc, "t.json", &o4, 0, NULL, &cat, 1, &d, &err) == IC_OK);
        ic_diag_free(&d);
        CHECK(load(minimal, NULL, 0, sc2, &d) == IC_OK);
        ic_diag_free(&d);
        char *a = ic_scenario_resolved_json(sc), *b = ic_scenario_resolved_json(sc2);
        CHECK(a && b && strcmp(a, b) == 0);
        free(a);
        free(b);
        /* Built from sets alone, an element one past the last is appended as --set does. */
        const char *grown[] = {"/name=t",
                               "/start=\"2024-03-01T00:00:00+08:00\"",
                               "/model=llama-3.1-8b",
                               "/accelerator=nvidia_h100_sxm",
                               "/fleet/accelerators=64",
                               "/workload/classes/1/input_tokens/median=9000",
                               "/workload/classes/-={\"name\":\"third\",\"share\":0.5}"};
        ic_scenario_defaults(sc);
        struct ic_load_opts o5 = {.sets = grown, .n_sets = 7};
        ic_diag_init(&d);
        CHECK(ic_scenario_override(sc, "t.json", &o5, 0, NULL, &cat, 1, &d, &err) ==
              IC_ERR_INVALID);
        CHECK(d.count == 1 && strstr(joined(&d), "class names must differ"));
        ic_diag_free(&d);
        const char *named[] = {"/workload/classes/1/name=second"};
        struct ic_load_opts o6 = {.sets = named, .n_sets = 1};
        ic_diag_init(&d);
        CHECK(ic_scenario_override(sc, "t.json", &o6, 0, NULL, &cat, 1, &d, &err) == IC_OK);
        ic_diag_free(&d);
        CHECK(sc->workload.n_classes == 3 &&
              sc->workload.classes[1].input_tokens.median.a == 9000 &&
              strcmp(sc->workload.classes[2].name, "third") == 0 &&
              sc->workload.classes[2].share.a == 0.5 &&
              sc->workload.classes[1].output_tokens.median.a == 250);
        free(text);
    }
    free(sc);
    free(sc2);
    ic_catalog_free(&cat);
    return check_report("test_scenario");
}
