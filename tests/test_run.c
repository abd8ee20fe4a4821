/* test_run.c: the run pipeline (sim/drivers/run.h): a single run written and reported, its
 * notices through the hooks, the checks before any work, and the request engine. */
#include "check.h"

#include "sim/drivers/run.h"

#include <unistd.h>

static const char *scenario =
    "{\"name\": \"pipe\", \"seed\": 7, \"paths\": 16, \"start\": \"2024-03-18T00:00:00+08:00\",\n"
    " \"horizon_days\": 1, \"output\": {\"interval_s\": 3600, \"store_paths\": 2},\n"
    " \"traffic\": {\"growth\": {\"initial\": {\"dist\": \"lognormal\", \"median\": 200000,\n"
    "   \"sigma\": 0.3}}, \"requests_per_user_per_day\": 10},\n"
    " \"model\": \"llama-3.1-8b\", \"accelerator\": \"nvidia_h100_sxm\",\n"
    " \"fleet\": {\"accelerators\": 40}}\n";

struct seen {
    int notes, coop, blocks;
    char last[512];
};

static void on_note(void *ctx, const char *line) {
    struct seen *s = ctx;
    s->notes++;
    snprintf(s->last, sizeof s->last, "%s", line);
}

static struct seen *coop_seen;
static void on_coop(int on) {
    coop_seen->coop = on;
}

static void on_block(void *ctx, long paths, long outages, double lo, double hi) {
    (void)paths, (void)outages, (void)lo, (void)hi;
    ((struct seen *)ctx)->blocks++;
}

int main(void) {
    char dir[] = "/tmp/ic_test_run_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char file[256], out_path[256], ckpt[300];
    snprintf(file, sizeof file, "%s/pipe.json", dir);
    snprintf(out_path, sizeof out_path, "%s/o.h5", dir);
    snprintf(ckpt, sizeof ckpt, "%s.ckpt", out_path);
    FILE *f = fopen(file, "w");
    CHECK(f != NULL);
    fputs(scenario, f);
    fclose(f);

    struct ic_catalog cat;
    struct ic_scenario *sc = NULL;
    struct ic_diag diag;
    struct ic_error err = {0};
    ic_diag_init(&diag);
    struct ic_load_opts lo = {0};
    CHECK(ic_run_load(file, &lo, &cat, &sc, &diag, &err) == IC_OK);
    ic_diag_free(&diag);
    if (!sc) return check_report("test_run");

    /* The output may not be the scenario. */
    const char *inputs[] = {file};
    CHECK(ic_run_check_outputs(file, inputs, 1, 1, &err) != IC_OK);
    CHECK(ic_run_check_outputs(out_path, inputs, 1, 1, &err) == IC_OK);
    CHECK(ic_run_memory_limit(123.0) == 123.0);

    struct seen seen = {0};
    coop_seen = &seen;
    struct ic_run_request req = {
        .file = file,
        .load = &lo,
        .cat = &cat,
        .sc = sc,
        .out_path = out_path,
        .command_line = "test_run",
        .threads = 1,
        .block_paths = 8,
        .checkpoint_every_min = -1,
        .hooks = {.ctx = &seen, .note = on_note, .cooperative = on_coop, .block = on_block}};
    struct ic_run_outcome *out = malloc(sizeof *out);
    CHECK(out != NULL);
    if (!out) return check_report("test_run");

    /* A single run: written, reported, cooperative, no notices. */
    CHECK(ic_run_pipeline(&req, out, &err) == IC_OK);
    CHECK(out->kind == IC_RUN_SINGLE && out->reported && !out->partial);
    CHECK(strcmp(out->out_path, out_path) == 0);
    CHECK(strcmp(out->rep.scenario, "pipe") == 0 && out->rep.seed == 7);
    CHECK(out->rep.memory_bytes > 0);
    CHECK(access(out_path, F_OK) == 0);
    CHECK(seen.coop == 1 && seen.notes == 0);
    ic_run_outcome_free(out);

    /* --resume with no checkpoint: a notice (unless quiet), then the same run. */
    req.resume = 1;
    CHECK(ic_run_pipeline(&req, out, &err) == IC_OK);
    CHECK(seen.notes == 1);
    CHECK_STR_CONTAINS(seen.last, "no checkpoint");
    CHECK(out->checkpointed && access(ckpt, F_OK) != 0);
    ic_run_outcome_free(out);
    req.quiet = 1;
    CHECK(ic_run_pipeline(&req, out, &err) == IC_OK);
    CHECK(seen.notes == 1);
    ic_run_outcome_free(out);
    req.resume = req.quiet = 0;

    /* --target-ci: blocks reported through the hook. */
    req.target_ci = 0.5;
    CHECK(ic_run_pipeline(&req, out, &err) == IC_OK);
    CHECK(seen.blocks >= 1);
    ic_run_outcome_free(out);
    req.target_ci = 0;

    /* Refused before any work: --checkpoint-every with a sweep, --shard without one, an
     * output over the input, a checkpoint left by an earlier run. */
    req.checkpoint_every_min = 1;
    req.shard_count = 2;
    CHECK(ic_run_pipeline(&req, out, &err) == IC_ERR_INVALID);
    CHECK_STR_CONTAINS(err.msg, "--shard 0/2 splits the points of a sweep");
    ic_run_outcome_free(out);
    req.shard_count = 0;
    req.mpi = 1;
    CHECK(ic_run_pipeline(&req, out, &err) == IC_ERR_INVALID);
    CHECK_STR_CONTAINS(err.msg, "--checkpoint-every applies to a single run");
    ic_run_outcome_free(out);
    req.mpi = 0;
    req.checkpoint_every_min = -1;
    req.out_path = file;
    CHECK(ic_run_pipeline(&req, out, &err) != IC_OK);
    ic_run_outcome_free(out);
    req.out_path = out_path;
    f = fopen(ckpt, "w");
    CHECK(f != NULL);
    if (f) fclose(f);
    CHECK(ic_run_pipeline(&req, out, &err) == IC_ERR_INVALID);
    CHECK_STR_CONTAINS(err.msg, "holds a checkpoint of an earlier run");
    ic_run_outcome_free(out);
    unlink(ckpt);

    /* The default output name is NAME.h5. */
    req.out_path = NULL;
    req.sc->engine = 1;
    req.target_ci = 0.1;
    CHECK(ic_run_pipeline(&req, out, &err) == IC_ERR_INVALID);
    CHECK(strcmp(out->out_path, "pipe.h5") == 0);
    CHECK_STR_CONTAINS(err.msg, "the request engine runs one window");
    ic_run_outcome_free(out);

    free(out);
    unlink(out_path);
    unlink(file);
    rmdir(dir);
    free(sc);
    ic_catalog_free(&cat);
    return check_report("test_run");
}
