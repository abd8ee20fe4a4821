/* sweeprun.c: a sweep's points through point files into one result (see sweeprun.h). */
#include "sweeprun.h"

#include "engine.h"
#include "output.h"
#include "report.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef IC_VERSION
#define IC_VERSION "0.0.0"
#endif
#ifndef IC_GIT_COMMIT
#define IC_GIT_COMMIT "unknown"
#endif

#define MAX_SETS 300

struct sctx {
    const struct ic_sweep_run *run;
    struct ic_scenario *base;
    char *resolved; /* the base scenario, /sweep included */
    char hash[17];
    struct ic_sweep sw;
    char workdir[4200];
};

static void sctx_free(struct sctx *c) {
    ic_sweep_free(&c->sw);
    free(c->resolved);
    free(c->base);
    memset(c, 0, sizeof *c);
}

static int prepare(const struct ic_sweep_run *run, struct sctx *c, struct ic_error *err) {
    memset(c, 0, sizeof *c);
    c->run = run;
    c->base = malloc(sizeof *c->base);
    if (!c->base) return ic_error_set(err, IC_ERR_NOMEM, "out of memory");
    struct ic_diag d;
    ic_diag_init(&d);
    int rc = ic_scenario_load(run->file, run->load, run->cat, c->base, &d, err);
    if (rc == IC_ERR_INVALID && d.count) ic_diag_to_error(&d, err);
    ic_diag_free(&d);
    if (rc == IC_OK) rc = ic_sweep_expand(c->base, run->file, &c->sw, err);
    if (rc == IC_OK) {
        c->resolved = ic_scenario_resolved_json(c->base);
        if (!c->resolved) rc = ic_error_set(err, IC_ERR_NOMEM, "out of memory");
    }
    if (rc == IC_OK) {
        ic_hash_text(c->resolved, c->hash);
        snprintf(c->workdir, sizeof c->workdir, "%s.points", run->out_path);
    }
    return rc;
}

/* Point k's scenario: the base with the point's overrides after the user's. */
static int load_point(const struct sctx *c, long k, struct ic_scenario *sc, struct ic_error *err) {
    const struct ic_load_opts *lo = c->run->load;
    char sets_buf[IC_SWEEP_MAX_AXES][4352];
    const char *sets[MAX_SETS];
    int n = 0;
    for (int i = 0; lo && i < lo->n_sets && n < MAX_SETS - IC_SWEEP_MAX_AXES; i++)
        sets[n++] = lo->sets[i];
    int rc = ic_sweep_point_sets(&c->sw, k, sets_buf, err);
    if (rc) return rc;
    for (int a = 0; a < c->sw.n_axes; a++) sets[n++] = sets_buf[a];
    struct ic_load_opts o = {.sets = sets,
                             .n_sets = n,
                             .sweeps = lo ? lo->sweeps : NULL,
                             .n_sweeps = lo ? lo->n_sweeps : 0,
                             .n_point_sets = c->sw.n_axes,
                             .set_notes = lo ? lo->set_notes : NULL,
                             .n_set_notes = lo ? lo->n_set_notes : 0};
    struct ic_diag d;
    ic_diag_init(&d);
    rc = ic_scenario_load(c->run->file, &o, c->run->cat, sc, &d, err);
    if (rc == IC_ERR_INVALID && d.count) ic_diag_to_error(&d, err);
    ic_diag_free(&d);
    if (rc) {
        char label[512];
        ic_sweep_point_label(&c->sw, k, label, sizeof label);
        ic_error_prefix(err, "sweep point %ld (%s): ", k, label);
    }
    return rc;
}

/* Every point loads, compiles, and has point 0's shape. */
static int validate_points(const struct sctx *c, struct ic_error *err) {
    struct ic_scenario *s0 = malloc(sizeof *s0), *sk = malloc(sizeof *sk);
    struct ic_plan p0, pk;
    int rc = !s0 || !sk ? ic_error_set(err, IC_ERR_NOMEM, "out of memory") : IC_OK;
    int have0 = 0;
    struct ic_diag all;
    ic_diag_init(&all);
    if (rc == IC_OK) rc = load_point(c, 0, s0, err);
    if (rc == IC_OK) rc = ic_plan_compile(s0, &p0, err);
    have0 = rc == IC_OK;
    if (rc != IC_OK) ic_diag_add(&all, "%s", err->msg);
    for (long k = 1; have0 && k < c->sw.n_points && all.count < 20; k++) {
        struct ic_error e = {0};
        int r = load_point(c, k, sk, &e);
        if (r == IC_OK) r = ic_plan_compile(sk, &pk, &e);
        if (r != IC_OK) {
            ic_diag_add(&all, "%s", e.msg);
            continue;
        }
        char why[300];
        if (ic_shape_compare(&p0, &pk, why, sizeof why) != 0) {
            char label[512];
            ic_sweep_point_label(&c->sw, k, label, sizeof label);
            ic_diag_add(&all,
                        "%s: sweep point %ld (%s) changes %s: every point of a sweep must give "
                        "results of the same shape, so /paths, /horizon_days, /step_s, /output, "
                        "the request classes and which fields are distributions cannot be swept",
                        c->run->file, k, label, why);
        }
        ic_plan_free(&pk);
    }
    if (have0) ic_plan_free(&p0);
    free(s0);
    free(sk);
    if (all.count) rc = ic_diag_to_error(&all, err);
    ic_diag_free(&all);
    return rc;
}

static void point_file(const struct sctx *c, long k, char *buf, size_t n) {
    snprintf(buf, n, "%s/point-%07ld.h5", c->workdir, k);
}

/* A point's file from an earlier, interrupted run of the same scenario. */
static int have_point(const struct sctx *c, long k) {
    char path[4400];
    point_file(c, k, path, sizeof path);
    if (access(path, R_OK) != 0) return 0;
    hid_t fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (fid < 0) return 0;
    char hash[40] = "";
    hid_t a = H5Aexists(fid, "point_of") > 0 ? H5Aopen(fid, "point_of", H5P_DEFAULT) : -1;
    if (a >= 0) {
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, sizeof hash);
        H5Aread(a, t, hash);
        H5Tclose(t);
        H5Aclose(a);
    }
    H5Fclose(fid);
    return strcmp(hash, c->hash) == 0;
}

/* Mark a point file as belonging to this sweep (the base scenario's hash). */
static int tag_point(const char *path, const char *hash) {
    hid_t fid = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (fid < 0) return -1;
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, 40);
    char buf[40] = "";
    ic_strlcpy(buf, hash, sizeof buf);
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(fid, "point_of", t, s, H5P_DEFAULT, H5P_DEFAULT);
    int bad = a < 0 || H5Awrite(a, t, buf) < 0;
    if (a >= 0) H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
    bad |= H5Fclose(fid) < 0;
    return bad ? -1 : 0;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Run point k and write its file (under a temporary name, then tagged and renamed: a killed
 * run never leaves a point file that looks finished). */
static int run_point(const struct sctx *c, long k, struct ic_error *err) {
    struct ic_scenario *sc = malloc(sizeof *sc);
    if (!sc) return ic_error_set(err, IC_ERR_NOMEM, "out of memory");
    struct ic_plan plan;
    struct ic_results res;
    memset(&res, 0, sizeof res);
    int have_plan = 0;
    double t0 = now_s();
    int rc = load_point(c, k, sc, err);
    if (rc == IC_OK) rc = ic_plan_compile(sc, &plan, err);
    have_plan = rc == IC_OK;
    if (rc == IC_OK) rc = ic_results_alloc(&plan, &res, err);
    struct ic_run_opts ro = {.threads = c->run->threads, .should_stop = c->run->should_stop};
    if (rc == IC_OK) rc = ic_engine_run(&plan, &ro, &res, err);
    if (rc == IC_OK && res.partial)
        rc = ic_error_set(err, IC_ERR_INTERRUPTED, "interrupted during point %ld", k);
    if (rc == IC_OK) rc = ic_results_reduce(&plan, &res, err);
    char path[4400], tmp[4420];
    point_file(c, k, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.part", path);
    if (rc == IC_OK) {
        char *resolved = ic_scenario_resolved_json(sc);
        struct ic_provenance prov = {c->run->command_line, IC_VERSION, IC_GIT_COMMIT};
        struct ic_output out;
        rc = resolved ? ic_output_open(&out, tmp, err)
                      : ic_error_set(err, IC_ERR_NOMEM, "out of memory");
        if (rc == IC_OK) rc = ic_output_commit(&out, &plan, &res, resolved, &prov, err);
        free(resolved);
        if (rc == IC_OK && (tag_point(tmp, c->hash) != 0 || rename(tmp, path) != 0)) {
            unlink(tmp);
            rc = ic_error_set(err, IC_ERR_IO, "%s: cannot finish the point's file", path);
        }
    }
    if (rc == IC_OK && !c->run->quiet) {
        char label[512];
        ic_sweep_point_label(&c->sw, k, label, sizeof label);
        char who[32] = "";
        if (c->run->rank >= 0 && c->run->next_point)
            snprintf(who, sizeof who, "[rank %d] ", c->run->rank);
        fprintf(stderr, "  %spoint %ld of %ld (%s): P(outage) %.3f [%.3f, %.3f], %.1f s\n", who,
                k + 1, c->sw.n_points, label, res.head.p_outage, res.head.p_lo, res.head.p_hi,
                now_s() - t0);
    }
    ic_results_free(&res);
    if (have_plan) ic_plan_free(&plan);
    free(sc);
    return rc;
}

static int mine(const struct ic_sweep_run *run, long k) {
    return run->shard_count <= 1 || k % run->shard_count == run->shard_index;
}

/* The work directory: made new, or (--resume) one of the same scenario. */
static int open_workdir(const struct sctx *c, struct ic_error *err) {
    char manifest[4400];
    snprintf(manifest, sizeof manifest, "%s/scenario-hash", c->workdir);
    struct stat st;
    if (stat(c->workdir, &st) == 0) {
        if (!c->run->resume)
            return ic_error_set(err, IC_ERR_USAGE,
                                "%s exists: it holds the finished points of an interrupted run; "
                                "add --resume to continue that run, or delete the directory",
                                c->workdir);
        FILE *f = fopen(manifest, "r");
        char h[40] = "";
        if (f) {
            if (!fgets(h, sizeof h, f)) h[0] = '\0';
            fclose(f);
        }
        h[strcspn(h, "\n")] = '\0';
        if (h[0] && strcmp(h, c->hash) != 0)
            return ic_error_set(err, IC_ERR_USAGE,
                                "%s holds points of a different scenario (hash %s, this one %s); "
                                "delete it or write to another output",
                                c->workdir, h, c->hash);
        return IC_OK;
    }
    if (mkdir(c->workdir, 0755) != 0 && errno != EEXIST)
        return ic_error_set(err, IC_ERR_IO, "%s: cannot create the work directory: %s", c->workdir,
                            strerror(errno));
    FILE *f = fopen(manifest, "w");
    if (!f || fprintf(f, "%s\n", c->hash) < 0 || fclose(f) != 0)
        return ic_error_set(err, IC_ERR_IO, "%s: cannot write: %s", manifest, strerror(errno));
    return IC_OK;
}

static void remove_workdir(const struct sctx *c) {
    DIR *d = opendir(c->workdir);
    if (!d) return;
    struct dirent *e;
    char path[4800];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(path, sizeof path, "%s/%s", c->workdir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(c->workdir);
}

/* Copy each point this output holds from its point file into the output. */
static int assemble(const struct sctx *c, struct ic_error *err) {
    const struct ic_sweep_run *run = c->run;
    struct ic_scenario *s0 = malloc(sizeof *s0);
    if (!s0) return ic_error_set(err, IC_ERR_NOMEM, "out of memory");
    struct ic_plan p0;
    struct ic_results res;
    memset(&res, 0, sizeof res);
    int rc = load_point(c, 0, s0, err), have_plan = 0;
    if (rc == IC_OK) rc = ic_plan_compile(s0, &p0, err);
    have_plan = rc == IC_OK;
    if (rc == IC_OK) rc = ic_results_alloc(&p0, &res, err);
    struct ic_output out;
    out.fid = -1;
    out.tmp[0] = '\0';
    if (rc == IC_OK) rc = ic_output_open(&out, run->out_path, err);
    struct ic_provenance prov = {run->command_line, IC_VERSION, IC_GIT_COMMIT};
    struct ic_output_meta meta = {.resolved_json = c->resolved,
                                  .prov = &prov,
                                  .shard_index = run->shard_index,
                                  .shard_count = run->next_point ? 0 : run->shard_count};
    if (rc == IC_OK) rc = ic_output_begin(&out, &p0, &c->sw, &meta, err);
    struct ic_output single;
    memset(&single, 0, sizeof single);
    ic_output_layout(&single, NULL);
    long missing = 0;
    for (long k = 0; rc == IC_OK && k < c->sw.n_points; k++) {
        if (!run->next_point && !mine(run, k)) continue;
        char path[4400];
        point_file(c, k, path, sizeof path);
        if (run->partial_ok && !have_point(c, k)) {
            missing++;
            continue;
        }
        hid_t fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        if (fid < 0) {
            rc =
                ic_error_set(err, IC_ERR_IO, "%s: the point's file is missing or unreadable", path);
            break;
        }
        struct ic_report rep;
        rc = ic_output_get(fid, &single, 0, &p0, &res, &rep, err);
        H5Fclose(fid);
        if (rc == IC_OK) rc = ic_output_put(&out, k, &p0, &res, &rep, err);
        if (rc != IC_OK) ic_error_prefix(err, "%s: ", path);
    }
    /* an interrupted sweep: the file says so, and the work dir stays for --resume */
    if (rc == IC_OK && missing > 0 && ic_output_mark_partial(&out, NAN) != 0)
        rc = ic_error_set(err, IC_ERR_HDF5, "%s: writing the attributes failed", out.path);
    if (rc == IC_OK)
        rc = ic_output_end(&out, err);
    else
        ic_output_abort(&out);
    ic_results_free(&res);
    if (have_plan) ic_plan_free(&p0);
    free(s0);
    if (rc == IC_OK && missing > 0) return IC_ERR_INTERRUPTED;
    return rc;
}

int ic_sweep_begin(const struct ic_sweep_run *run, long *n_points, struct ic_error *err) {
    struct sctx c;
    int rc = prepare(run, &c, err);
    *n_points = c.sw.n_points;
    if (rc == IC_OK) rc = validate_points(&c, err);
    if (rc == IC_OK) rc = open_workdir(&c, err);
    if (rc == IC_OK && !run->quiet)
        fprintf(stderr, "%s: %ld point%s%s, work directory %s\n", run->file, c.sw.n_points,
                c.sw.n_points == 1 ? "" : "s",
                run->shard_count > 1 ? " (this shard: every point k with k mod N = I)" : "",
                c.workdir);
    sctx_free(&c);
    return rc;
}

int ic_sweep_run_points(const struct ic_sweep_run *run, long *points_run, struct ic_error *err) {
    struct sctx c;
    *points_run = 0;
    int rc = prepare(run, &c, err);
    long k = -1;
    while (rc == IC_OK) {
        if (run->next_point) {
            k = run->next_point(run->next_ctx);
            if (k < 0 || k >= c.sw.n_points) break;
        } else if (++k >= c.sw.n_points) {
            break;
        }
        if (!run->next_point && !mine(run, k)) continue;
        if (have_point(&c, k)) continue;
        if (run->should_stop && run->should_stop()) {
            rc = ic_error_set(err, IC_ERR_INTERRUPTED, "interrupted before point %ld", k);
            break;
        }
        rc = run_point(&c, k, err);
        if (rc == IC_OK) (*points_run)++;
    }
    sctx_free(&c);
    return rc;
}

int ic_sweep_validate(const struct ic_sweep_run *run, long *n_points, struct ic_error *err) {
    struct sctx c;
    int rc = prepare(run, &c, err);
    *n_points = c.sw.n_points;
    if (rc == IC_OK) rc = validate_points(&c, err);
    sctx_free(&c);
    return rc;
}

int ic_sweep_assemble(const struct ic_sweep_run *run, struct ic_error *err) {
    struct sctx c;
    int rc = prepare(run, &c, err);
    if (rc == IC_OK) rc = assemble(&c, err);
    if (rc == IC_ERR_INTERRUPTED)
        ic_error_set(err, IC_ERR_INTERRUPTED,
                     "interrupted: %s holds the finished points, marked partial; run the same "
                     "command with --resume to finish the rest",
                     run->out_path);
    if (rc == IC_OK) remove_workdir(&c);
    sctx_free(&c);
    return rc;
}

/* ---- merge ------------------------------------------------------------------------------------
 */

static char *read_scenario_text(hid_t fid) {
    if (H5Lexists(fid, "scenario", H5P_DEFAULT) <= 0) return NULL;
    hid_t d = H5Dopen2(fid, "scenario", H5P_DEFAULT);
    if (d < 0) return NULL;
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    char *s = NULL, *copy = NULL;
    if (H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &s) >= 0 && s) {
        copy = malloc(strlen(s) + 1);
        if (copy) strcpy(copy, s);
        H5free_memory(s);
    }
    H5Tclose(t);
    H5Dclose(d);
    return copy;
}

int ic_sweep_merge(const char *const *parts, int n_parts, const char *out_path,
                   const char *command_line, const struct ic_catalog *cat, struct ic_error *err) {
    hid_t *fids = calloc((size_t)n_parts, sizeof *fids);
    char *text0 = NULL;
    struct ic_scenario *sc = malloc(sizeof *sc);
    struct ic_sweep sw;
    memset(&sw, 0, sizeof sw);
    int *owner = NULL, rc = IC_OK, have_plan = 0;
    struct ic_plan p0;
    struct ic_results res;
    memset(&res, 0, sizeof res);
    if (!fids || !sc) rc = ic_error_set(err, IC_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n_parts && fids; i++) fids[i] = -1;
    /* Never write over a part (or anything not a regular file). */
    if (rc == IC_OK) rc = ic_check_output_path("-o", out_path, parts, (size_t)n_parts, err);
    /* Every part is an infercap result of the same scenario. */
    for (int i = 0; rc == IC_OK && i < n_parts; i++) {
        if (access(parts[i], R_OK) != 0) {
            rc = ic_error_set(err, IC_ERR_IO, "%s: cannot open: %s", parts[i], strerror(errno));
            break;
        }
        fids[i] = H5Fis_hdf5(parts[i]) > 0 ? H5Fopen(parts[i], H5F_ACC_RDONLY, H5P_DEFAULT) : -1;
        char *text = fids[i] >= 0 ? read_scenario_text(fids[i]) : NULL;
        if (!text) {
            rc = ic_error_set(err, IC_ERR_INVALID, "%s: not an infercap result file", parts[i]);
            break;
        }
        if (!text0) {
            text0 = text;
        } else {
            int same = strcmp(text, text0) == 0;
            free(text);
            if (!same) {
                char h0[17], h1[17];
                ic_hash_text(text0, h0);
                text = read_scenario_text(fids[i]);
                ic_hash_text(text ? text : "", h1);
                free(text);
                rc = ic_error_set(err, IC_ERR_INVALID,
                                  "%s and %s are results of different scenarios (hash %s vs %s): "
                                  "they cannot be merged",
                                  parts[0], parts[i], h0, h1);
            }
        }
    }
    /* The sweep, from the parts' own scenario. */
    if (rc == IC_OK) {
        struct ic_diag d;
        ic_diag_init(&d);
        struct ic_load_opts o = {.sets = NULL, .n_sets = 0};
        rc = ic_scenario_load_string(text0, parts[0], &o, cat, sc, &d, err);
        if (rc == IC_ERR_INVALID && d.count) ic_diag_to_error(&d, err);
        ic_diag_free(&d);
    }
    if (rc == IC_OK) rc = ic_sweep_expand(sc, parts[0], &sw, err);
    struct ic_output lay;
    memset(&lay, 0, sizeof lay);
    ic_output_layout(&lay, &sw);
    if (rc == IC_OK) {
        owner = malloc((size_t)sw.n_points * sizeof *owner);
        if (!owner) rc = ic_error_set(err, IC_ERR_NOMEM, "out of memory");
    }
    /* Each point in exactly one part. */
    if (rc == IC_OK) {
        for (long k = 0; k < sw.n_points; k++) owner[k] = -1;
        char msg[1600] = "";
        long gaps = 0, overlaps = 0;
        for (long k = 0; k < sw.n_points; k++) {
            for (int i = 0; i < n_parts; i++) {
                int done = ic_output_point_done(fids[i], &lay, k);
                if (done < 0) {
                    rc = ic_error_set(err, IC_ERR_INVALID, "%s: cannot read which points it holds",
                                      parts[i]);
                    break;
                }
                if (!done) continue;
                if (owner[k] >= 0) {
                    if (overlaps++ < 5) {
                        char label[300];
                        ic_sweep_point_label(&sw, k, label, sizeof label);
                        size_t at = strlen(msg);
                        snprintf(msg + at, sizeof msg - at,
                                 "\n  point %ld (%s) is in both %s and %s", k, label,
                                 parts[owner[k]], parts[i]);
                    }
                } else {
                    owner[k] = i;
                }
            }
            if (rc != IC_OK) break;
            if (owner[k] < 0 && gaps++ < 5) {
                char label[300];
                ic_sweep_point_label(&sw, k, label, sizeof label);
                size_t at = strlen(msg);
                snprintf(msg + at, sizeof msg - at, "\n  point %ld (%s) is in no part", k, label);
            }
        }
        if (rc == IC_OK && (gaps || overlaps))
            rc = ic_error_set(err, IC_ERR_INVALID,
                              "the %d parts do not cover the %ld points once each: %ld missing, "
                              "%ld in more than one part%s%s",
                              n_parts, sw.n_points, gaps, overlaps, msg,
                              gaps > 5 || overlaps > 5 ? "\n  ..." : "");
    }
    /* The merged file: every point from its part. */
    if (rc == IC_OK) {
        struct ic_scenario *s0 = malloc(sizeof *s0);
        char sets_buf[IC_SWEEP_MAX_AXES][4352];
        const char *sets[IC_SWEEP_MAX_AXES];
        rc = s0 ? ic_sweep_point_sets(&sw, 0, sets_buf, err)
                : ic_error_set(err, IC_ERR_NOMEM, "out of memory");
        for (int a = 0; a < sw.n_axes; a++) sets[a] = sets_buf[a];
        if (rc == IC_OK) {
            struct ic_diag d;
            ic_diag_init(&d);
            struct ic_load_opts o = {.sets = sets, .n_sets = sw.n_axes};
            rc = ic_scenario_load_string(text0, parts[0], &o, cat, s0, &d, err);
            ic_diag_free(&d);
        }
        if (rc == IC_OK) rc = ic_plan_compile(s0, &p0, err);
        have_plan = rc == IC_OK;
        if (rc == IC_OK) rc = ic_results_alloc(&p0, &res, err);
        struct ic_output out;
        out.fid = -1;
        out.tmp[0] = '\0';
        if (rc == IC_OK) rc = ic_output_open(&out, out_path, err);
        struct ic_provenance prov = {command_line, IC_VERSION, IC_GIT_COMMIT};
        struct ic_output_meta meta = {.resolved_json = text0, .prov = &prov};
        if (rc == IC_OK) rc = ic_output_begin(&out, &p0, &sw, &meta, err);
        for (long k = 0; rc == IC_OK && k < sw.n_points; k++) {
            struct ic_report rep;
            rc = ic_output_get(fids[owner[k]], &lay, k, &p0, &res, &rep, err);
            if (rc == IC_OK) rc = ic_output_put(&out, k, &p0, &res, &rep, err);
            if (rc != IC_OK && rc != IC_ERR_NOMEM) ic_error_prefix(err, "%s: ", parts[owner[k]]);
        }
        if (rc == IC_OK)
            rc = ic_output_end(&out, err);
        else if (out.fid >= 0 || out.tmp[0])
            ic_output_abort(&out);
        free(s0);
    }
    ic_results_free(&res);
    if (have_plan) ic_plan_free(&p0);
    for (int i = 0; fids && i < n_parts; i++)
        if (fids[i] >= 0) H5Fclose(fids[i]);
    free(fids);
    free(owner);
    free(text0);
    ic_sweep_free(&sw);
    free(sc);
    return rc;
}
