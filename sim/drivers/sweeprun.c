/* sweeprun.c: a sweep's points through point files into one result (see sweeprun.h). */
#include "sim/drivers/sweeprun.h"
#include "sim/core/version.h"
#include "sim/core/timeutil.h"

#include "sim/engine/engine.h"
#include "sim/engine/shape.h"
#include "sim/io/h5in.h"
#include "sim/io/output.h"
#include "sim/io/report.h"
#include "sim/core/util.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_SETS 300

struct sctx {
    const struct ic_sweep_run *run;
    struct ic_scenario *base;
    char *resolved; /* the base scenario, /sweep included */
    char hash[17];
    struct ic_sweep sw;
    char workdir[4200];
    /* Point 0 as loaded from the file, and the containers its overrides created: the other
     * points copy it and set their axes' fields (ic_scenario_override) instead of reading the
     * file again. */
    struct ic_scenario *point0;
    struct ic_diag created;
};

static void sctx_free(struct sctx *c) {
    ic_sweep_free(&c->sw);
    free(c->resolved);
    free(c->base);
    free(c->point0);
    ic_diag_free(&c->created);
    memset(c, 0, sizeof *c);
}

static int load_point_ex(const struct sctx *c, long k, struct ic_scenario *sc, struct ic_diag *keep,
                         struct ic_error *err);

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
    /* Point 0 from the file, for the others (without it, or when it does not load, each point
     * reads the file; point 0's own errors are reported when it is run). */
    ic_diag_init(&c->created);
    if (rc == IC_OK && c->sw.n_axes > 0 && (c->point0 = malloc(sizeof *c->point0))) {
        struct ic_error e = {0};
        if (load_point_ex(c, 0, c->point0, &c->created, &e) != IC_OK || c->created.nomem) {
            free(c->point0);
            c->point0 = NULL;
        }
    }
    return rc;
}

/* Point k's scenario: the base with the point's overrides after the user's.  The file is read
 * for point 0 (kept in c->point0 when `keep`) and for a point whose override is not one field
 * of point 0's scenario; the other points are point 0's scenario with their fields set again,
 * the same scenario bit for bit. */
static int load_point_ex(const struct sctx *c, long k, struct ic_scenario *sc, struct ic_diag *keep,
                         struct ic_error *err) {
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
    rc = IC_SCENARIO_RELOAD;
    if (!keep && c->point0 && c->sw.n_axes > 0) {
        memcpy(sc, c->point0, sizeof *sc);
        rc = ic_scenario_override(sc, c->run->file, &o, n - c->sw.n_axes, &c->created, c->run->cat,
                                  0, &d, err);
    }
    if (rc == IC_SCENARIO_RELOAD) {
        o.created = keep;
        rc = ic_scenario_load(c->run->file, &o, c->run->cat, sc, &d, err);
    }
    if (rc == IC_ERR_INVALID && d.count) ic_diag_to_error(&d, err);
    ic_diag_free(&d);
    if (rc) {
        char label[512];
        ic_sweep_point_label(&c->sw, k, label, sizeof label);
        ic_error_prefix(err, "sweep point %ld (%s): ", k, label);
    }
    return rc;
}

static int load_point(const struct sctx *c, long k, struct ic_scenario *sc, struct ic_error *err) {
    return load_point_ex(c, k, sc, NULL, err);
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

/* The hash of point k's identity: its index and its overrides (the base scenario's hash is
 * point_of), so a point file renamed or copied to another point's name is told apart. */
static int point_hash(const struct sctx *c, long k, char hash[17]) {
    char sets_buf[IC_SWEEP_MAX_AXES][4352];
    struct ic_error e = {0};
    if (ic_sweep_point_sets(&c->sw, k, sets_buf, &e) != IC_OK) return -1;
    size_t cap = sizeof sets_buf + 64, at = 0;
    char *buf = malloc(cap);
    if (!buf) return -1;
    at += (size_t)snprintf(buf, cap, "point %ld\n", k);
    for (int a = 0; a < c->sw.n_axes && at < cap; a++)
        at += (size_t)snprintf(buf + at, cap - at, "%s\n", sets_buf[a]);
    ic_hash_text(buf, hash);
    free(buf);
    return 0;
}

int ic_sweep_read_point_tag(long long fid, char hash[40], long long *index, char phash[40],
                            long long *partial, struct ic_error *err) {
    int rc = ic_h5in_attr_str(fid, "point_of", IC_H5IN_REQUIRED, hash, 40, err);
    if (rc == IC_OK)
        rc = ic_h5in_attr_int(fid, "point_index", IC_H5IN_REQUIRED, 0, IC_SWEEP_MAX_POINTS - 1,
                              index, err);
    if (rc == IC_OK) rc = ic_h5in_attr_str(fid, "point_hash", IC_H5IN_REQUIRED, phash, 40, err);
    if (rc == IC_OK) rc = ic_h5in_attr_int(fid, "partial", IC_H5IN_REQUIRED, 0, 1, partial, err);
    return rc;
}

/* A point's file from an earlier, interrupted run of the same scenario: 1 when it is there
 * and is point k's (the base scenario's hash, the point's index and overrides' hash, complete),
 * 0 when there is none, -1 when there is one that is damaged or another point's (why says
 * which). */
static int have_point(const struct sctx *c, long k, char *why, size_t nwhy) {
    char path[4400];
    point_file(c, k, path, sizeof path);
    why[0] = '\0';
    if (access(path, F_OK) != 0) return 0;
    struct ic_error e = {0};
    long long fid = -1;
    char hash[40] = "", phash[40] = "", want[17];
    long long index = -1, partial = 1;
    int rc = ic_h5in_open(path, &fid, &e);
    if (rc == IC_OK) rc = ic_sweep_read_point_tag(fid, hash, &index, phash, &partial, &e);
    ic_h5in_close(fid);
    if (rc != IC_OK) {
        snprintf(why, nwhy, "damaged: %s", e.msg);
        return -1;
    }
    if (strcmp(hash, c->hash) != 0) {
        snprintf(why, nwhy, "%s: a point of another scenario (hash %s, this one %s)", path, hash,
                 c->hash);
        return -1;
    }
    if (point_hash(c, k, want) != 0) {
        snprintf(why, nwhy, "%s: the point's overrides cannot be made", path);
        return -1;
    }
    if (index != k || strcmp(phash, want) != 0) {
        char label[512];
        ic_sweep_point_label(&c->sw, index >= 0 && index < c->sw.n_points ? index : k, label,
                             sizeof label);
        snprintf(why, nwhy, "%s: holds point %lld (%s), not point %ld%s", path, index, label, k,
                 index == k ? " (its overrides differ)" : "");
        return -1;
    }
    if (partial) {
        snprintf(why, nwhy, "%s: an unfinished point", path);
        return -1;
    }
    return 1;
}

/* Mark a point file as point k of this sweep: the base scenario's hash, the point's index and
 * the hash of its overrides. */
static int tag_point(const char *path, const char *hash, long k, const char *phash) {
    hid_t fid = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (fid < 0) return -1;
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, 40);
    char buf[40] = "", pbuf[40] = "";
    ic_strlcpy(buf, hash, sizeof buf);
    ic_strlcpy(pbuf, phash, sizeof pbuf);
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(fid, "point_of", t, s, H5P_DEFAULT, H5P_DEFAULT);
    int bad = a < 0 || H5Awrite(a, t, buf) < 0;
    if (a >= 0) H5Aclose(a);
    a = H5Acreate2(fid, "point_hash", t, s, H5P_DEFAULT, H5P_DEFAULT);
    bad |= a < 0 || H5Awrite(a, t, pbuf) < 0;
    if (a >= 0) H5Aclose(a);
    long long idx = k;
    a = H5Acreate2(fid, "point_index", H5T_STD_I64LE, s, H5P_DEFAULT, H5P_DEFAULT);
    bad |= a < 0 || H5Awrite(a, H5T_NATIVE_LLONG, &idx) < 0;
    if (a >= 0) H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
    bad |= H5Fclose(fid) < 0;
    return bad ? -1 : 0;
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
    double t0 = ic_monotonic_s();
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
        struct ic_provenance prov = {c->run->command_line, IC_VERSION, ic_git_commit};
        struct ic_output out;
        rc = resolved ? ic_output_open(&out, tmp, err)
                      : ic_error_set(err, IC_ERR_NOMEM, "out of memory");
        if (rc == IC_OK) rc = ic_output_commit(&out, &plan, &res, resolved, &prov, err);
        free(resolved);
        char phash[17];
        if (rc == IC_OK && (point_hash(c, k, phash) != 0 ||
                            tag_point(tmp, c->hash, k, phash) != 0 || rename(tmp, path) != 0)) {
            unlink(tmp);
            rc = ic_error_set(err, IC_ERR_IO, "%s: cannot finish the point's file", path);
        }
    }
    if (rc == IC_OK && !c->run->quiet && c->run->progress) {
        char label[512];
        ic_sweep_point_label(&c->sw, k, label, sizeof label);
        char who[32] = "";
        if (c->run->rank >= 0 && c->run->next_point)
            snprintf(who, sizeof who, "[rank %d] ", c->run->rank);
        char line[2048];
        snprintf(line, sizeof line,
                 "  %spoint %ld of %ld (%s): P(outage) %.3f [%.3f, %.3f], %.1f s", who, k + 1,
                 c->sw.n_points, label, res.head.p_outage, res.head.p_lo, res.head.p_hi,
                 ic_monotonic_s() - t0);
        c->run->progress(c->run->progress_ctx, line);
    }
    ic_results_free(&res);
    if (have_plan) ic_plan_free(&plan);
    free(sc);
    return rc;
}

static int mine(const struct ic_sweep_run *run, long k) {
    return run->shard_count <= 1 || k % run->shard_count == run->shard_index;
}

void ic_sweep_unlock(int fd) {
    if (fd >= 0) close(fd); /* closing drops the flock */
}

/* Take the work directory's lock (run->lock_fd), or say which process holds it. */
static int lock_workdir(const struct sctx *c, struct ic_error *err) {
    if (!c->run->lock_fd) return IC_OK;
    char path[4400];
    snprintf(path, sizeof path, "%s/lock", c->workdir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return ic_error_set(err, IC_ERR_IO, "%s: cannot create the lock file: %s", path,
                            strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char pid[32] = "";
        ssize_t n = read(fd, pid, sizeof pid - 1);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        close(fd);
        if (e == EWOULDBLOCK)
            return ic_error_set(err, IC_ERR_USAGE,
                                "%s is in use by another infercap run of this sweep%s%s%s: wait "
                                "for it to finish (or stop it), then run with --resume",
                                c->workdir, pid[0] ? " (process " : "", pid, pid[0] ? ")" : "");
        return ic_error_set(err, IC_ERR_IO, "%s: cannot lock: %s", path, strerror(e));
    }
    char buf[32];
    int len = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)len, 0) != len) {
        /* the pid is only for the message; the lock itself is held */
    }
    *c->run->lock_fd = fd;
    return IC_OK;
}

/* The work directory: made new, or (--resume) one of the same scenario; locked. */
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
        int rc = lock_workdir(c, err);
        if (rc != IC_OK) return rc;
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
    if (mkdir(c->workdir, 0755) != 0)
        return ic_error_set(err, IC_ERR_IO, "%s: cannot create the work directory: %s", c->workdir,
                            strerror(errno));
    int rc = lock_workdir(c, err);
    if (rc != IC_OK) return rc;
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
    struct ic_provenance prov = {run->command_line, IC_VERSION, ic_git_commit};
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
        char why[8800];
        int have = have_point(c, k, why, sizeof why);
        if (run->partial_ok && have != 1) {
            missing++;
            continue;
        }
        if (have != 1) {
            rc = ic_error_set(err, IC_ERR_INVALID, "point %ld: %s", k,
                              have == 0 ? "its file is missing" : why);
            break;
        }
        long long fid = -1;
        rc = ic_h5in_open(path, &fid, err);
        struct ic_report rep;
        if (rc == IC_OK) rc = ic_output_get(fid, &single, 0, &p0, &res, &rep, err);
        ic_h5in_close(fid);
        if (rc == IC_OK) rc = ic_output_put(&out, k, &p0, &res, &rep, err);
        if (rc != IC_OK) ic_h5in_prefix(err, path);
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
    if (rc == IC_OK && !run->quiet && run->progress) {
        char line[9000];
        snprintf(line, sizeof line, "%s: %ld point%s%s, work directory %s", run->file,
                 c.sw.n_points, c.sw.n_points == 1 ? "" : "s",
                 run->shard_count > 1 ? " (this shard: every point k with k mod N = I)" : "",
                 c.workdir);
        run->progress(run->progress_ctx, line);
    }
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
        char why[8800];
        int have = have_point(&c, k, why, sizeof why);
        if (have == 1) continue;
        if (have < 0) {
            /* damaged, unfinished or another point's file: never used, the point is run again */
            char path[4400];
            point_file(&c, k, path, sizeof path);
            if (!run->quiet && run->progress) {
                char label[512];
                ic_sweep_point_label(&c.sw, k, label, sizeof label);
                char line[10000];
                snprintf(line, sizeof line,
                         "  point %ld (%s): its file is not usable, running it again: %s", k, label,
                         why);
                run->progress(run->progress_ctx, line);
            }
            if (unlink(path) != 0) {
                rc = ic_error_set(err, IC_ERR_IO, "%s: cannot remove it (%s): %s", path, why,
                                  strerror(errno));
                break;
            }
        }
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

int ic_sweep_merge(const char *const *parts, int n_parts, const char *out_path,
                   const char *command_line, const struct ic_catalog *cat, struct ic_error *err) {
    hid_t *fids = calloc((size_t)n_parts, sizeof *fids);
    char *text0 = NULL;
    struct ic_scenario *sc = malloc(sizeof *sc);
    struct ic_sweep sw;
    memset(&sw, 0, sizeof sw);
    int *owner = NULL, rc = IC_OK, have_plan = 0, any_partial = 0;
    double until = NAN; /* the earliest time an interrupted part reached */
    struct ic_plan p0;
    struct ic_results res;
    memset(&res, 0, sizeof res);
    if (!fids || !sc) rc = ic_error_set(err, IC_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n_parts && fids; i++) fids[i] = -1;
    /* Never write over a part (or anything not a regular file). */
    if (rc == IC_OK) rc = ic_check_output_path("-o", out_path, parts, (size_t)n_parts, err);
    /* Every part is an infercap result of the same scenario. */
    for (int i = 0; rc == IC_OK && i < n_parts; i++) {
        long long f = -1;
        rc = ic_h5in_open(parts[i], &f, err);
        if (rc != IC_OK) break;
        fids[i] = (hid_t)f;
        if (!ic_h5in_has_attr(f, "infercap_version") || ic_h5in_has_link(f, "requests")) {
            rc = ic_error_set(err, IC_ERR_INVALID,
                              "%s: not an infercap result file of the aggregate engine", parts[i]);
            break;
        }
        char *text = NULL;
        rc = ic_h5in_dset_text(f, "scenario", IC_H5IN_MAX_TEXT, &text, err);
        int part_partial = 0;
        double part_until = NAN;
        if (rc == IC_OK) rc = ic_output_read_partial(f, &part_partial, &part_until, err);
        if (rc != IC_OK) {
            free(text);
            ic_h5in_prefix(err, parts[i]);
            break;
        }
        if (part_partial) {
            any_partial = 1;
            if (isnan(until) || part_until < until) until = part_until;
        }
        if (!text0) {
            text0 = text;
        } else {
            int same = strcmp(text, text0) == 0;
            free(text);
            if (!same) {
                char h0[17], h1[17];
                ic_hash_text(text0, h0);
                text = NULL;
                struct ic_error e2 = {0};
                ic_h5in_dset_text(fids[i], "scenario", IC_H5IN_MAX_TEXT, &text, &e2);
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
                int done = ic_output_point_done(fids[i], &lay, k, err);
                if (done < 0) {
                    rc = err->status ? err->status : IC_ERR_INVALID;
                    ic_h5in_prefix(err, parts[i]);
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
        struct ic_provenance prov = {command_line, IC_VERSION, ic_git_commit};
        struct ic_output_meta meta = {.resolved_json = text0, .prov = &prov};
        if (rc == IC_OK) rc = ic_output_begin(&out, &p0, &sw, &meta, err);
        for (long k = 0; rc == IC_OK && k < sw.n_points; k++) {
            struct ic_report rep;
            rc = ic_output_get(fids[owner[k]], &lay, k, &p0, &res, &rep, err);
            if (rc == IC_OK) rc = ic_output_put(&out, k, &p0, &res, &rep, err);
            if (rc != IC_OK && rc != IC_ERR_NOMEM) ic_h5in_prefix(err, parts[owner[k]]);
        }
        /* a part that was interrupted makes the whole partial, to the earliest time reached
         * (a sweep's missing points were refused above) */
        if (rc == IC_OK && any_partial &&
            ic_output_mark_partial(&out, sw.n_axes == 0 ? until : NAN) != 0)
            rc = ic_error_set(err, IC_ERR_HDF5, "%s: writing the attributes failed", out.path);
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
