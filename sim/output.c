/* output.c: HDF5 writer and reader of result files (see output.h for the layout).
 *
 * Dimension scales follow the HDF5 Dimension Scale specification (H5DS, high-level library),
 * which netCDF-4 maps to named dimensions, so xarray.open_dataset sees `time`, `path`, ... .
 * The time scale's units are CF-style "seconds since <start in UTC>", so CF readers decode it
 * to calendar times; its `start` attribute keeps the scenario's local offset. */
#include "output.h"

#include "report.h"
#include "timeutil.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFLATE_LEVEL 4

/* ---- attributes ---------------------------------------------------------------------------- */

static int attr_write(hid_t loc, const char *name, hid_t type, hid_t space, const void *buf) {
    hid_t a = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) return -1;
    herr_t rc = H5Awrite(a, type, buf);
    H5Aclose(a);
    return rc < 0 ? -1 : 0;
}

static int attr_doubles(hid_t loc, const char *name, const double *v, hsize_t n) {
    hid_t s = n == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, NULL);
    int rc = attr_write(loc, name, H5T_NATIVE_DOUBLE, s, v);
    H5Sclose(s);
    return rc;
}

static int attr_double(hid_t loc, const char *name, double v) {
    return attr_doubles(loc, name, &v, 1);
}

static int attr_int64(hid_t loc, const char *name, long long v) {
    hid_t s = H5Screate(H5S_SCALAR);
    int rc = attr_write(loc, name, H5T_NATIVE_LLONG, s, &v);
    H5Sclose(s);
    return rc;
}

static hid_t vlen_string_type(void) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}

static int attr_str(hid_t loc, const char *name, const char *v) {
    hid_t t = vlen_string_type(), s = H5Screate(H5S_SCALAR);
    int rc = attr_write(loc, name, t, s, &v);
    H5Sclose(s);
    H5Tclose(t);
    return rc;
}

static int describe(hid_t d, const char *units, const char *long_name) {
    return attr_str(d, "units", units) | attr_str(d, "long_name", long_name);
}

/* ---- datasets ------------------------------------------------------------------------------ */

/* A chunked, compressed dataset of rank 1 or 2 filled from buf (or not written when buf is
 * NULL, for the caller to fill). */
static hid_t make_dataset(hid_t loc, const char *name, hid_t mem_type, hid_t file_type, int rank,
                          const hsize_t *dims, const void *buf) {
    /* Chunks of at most 64 Ki elements (256 KiB of float32): whole rows of the last axis
     * where possible, then as many rows as fit. */
    hsize_t chunk[3], room = 65536;
    for (int i = rank - 1; i >= 0; i--) {
        hsize_t c = dims[i] > 0 ? dims[i] : 1;
        if (c > room) c = room;
        if (c < 1) c = 1;
        chunk[i] = c;
        room = room / c > 0 ? room / c : 1;
    }
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, rank, chunk);
    H5Pset_shuffle(dcpl);
    H5Pset_deflate(dcpl, DEFLATE_LEVEL);
    hid_t d = H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    H5Sclose(space);
    if (d < 0) return -1;
    if (buf && H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        H5Dclose(d);
        return -1;
    }
    return d;
}

/* A dimension scale of doubles (v) or, when v is NULL, of the indices 0..n-1 as int64. */
static hid_t make_scale(hid_t loc, const char *name, const double *v, hsize_t n, const char *units,
                        const char *long_name) {
    hsize_t dims[1] = {n};
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t d = H5Dcreate2(loc, name, v ? H5T_IEEE_F64LE : H5T_STD_I64LE, space, H5P_DEFAULT,
                         H5P_DEFAULT, H5P_DEFAULT);
    H5Sclose(space);
    if (d < 0) return -1;
    long long *idx = NULL;
    if (!v && n > 0) {
        idx = malloc(n * sizeof *idx);
        if (!idx) {
            H5Dclose(d);
            return -1;
        }
        for (hsize_t i = 0; i < n; i++) idx[i] = (long long)i;
    }
    herr_t wr = n == 0 ? 0
                : v    ? H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v)
                       : H5Dwrite(d, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, idx);
    free(idx);
    if (wr < 0 || H5DSset_scale(d, name) < 0 || describe(d, units, long_name) != 0) {
        H5Dclose(d);
        return -1;
    }
    return d;
}

static int attach(hid_t d, hid_t s0, hid_t s1) {
    if (H5DSattach_scale(d, s0, 0) < 0) return -1;
    if (s1 >= 0 && H5DSattach_scale(d, s1, 1) < 0) return -1;
    return 0;
}

static int attach3(hid_t d, hid_t s0, hid_t s1, hid_t s2) {
    return attach(d, s0, s1) || H5DSattach_scale(d, s2, 2) < 0 ? -1 : 0;
}

/* A dimension scale of strings (netCDF readers see a string coordinate). */
static hid_t make_string_scale(hid_t loc, const char *name, const char *const *v, hsize_t n,
                               const char *long_name) {
    hid_t t = vlen_string_type();
    hid_t space = H5Screate_simple(1, &n, NULL);
    hid_t d = H5Dcreate2(loc, name, t, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Sclose(space);
    int bad = d < 0 || (n > 0 && H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0) ||
              H5DSset_scale(d, name) < 0 || describe(d, "1", long_name) != 0;
    H5Tclose(t);
    if (bad && d >= 0) H5Dclose(d);
    return bad ? -1 : d;
}

/* ---- open / commit / abort ----------------------------------------------------------------- */

int ic_output_open(struct ic_output *out, const char *path, struct ic_error *err) {
    memset(out, 0, sizeof *out);
    out->fid = -1;
    if (strlen(path) >= sizeof out->path)
        return ic_error_set(err, IC_ERR_USAGE, "%s: output path too long", path);
    ic_strlcpy(out->path, path, sizeof out->path);
    snprintf(out->tmp, sizeof out->tmp, "%s.tmp-%ld", path, (long)getpid());
    hid_t fid = H5Fcreate(out->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (fid < 0) {
        /* Say why in terms of the directory: HDF5's own message is not helpful here. */
        int fd = open(out->tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = errno;
        if (fd >= 0) {
            close(fd);
            unlink(out->tmp);
        }
        return ic_error_set(err, IC_ERR_IO, "%s: cannot create the output file: %s", path,
                            fd >= 0 ? "HDF5 refused it" : strerror(e));
    }
    out->fid = fid;
    return IC_OK;
}

void ic_output_abort(struct ic_output *out) {
    if (out->fid >= 0) H5Fclose((hid_t)out->fid);
    out->fid = -1;
    if (out->tmp[0]) unlink(out->tmp);
}

static void utc_now(char *buf, size_t n) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The pointer as an HDF5 name: "/traffic/growth/rate_per_day" -> "traffic.growth.rate_per_day". */
static void pointer_name(const char *ptr, char *buf, size_t n) {
    ic_strlcpy(buf, ptr[0] == '/' ? ptr + 1 : ptr, n);
    for (char *c = buf; *c; c++)
        if (*c == '/') *c = '.';
}

static int write_all(hid_t fid, const struct ic_plan *plan, const struct ic_results *res,
                     const char *resolved_json, const struct ic_provenance *prov) {
    const struct ic_scenario *sc = plan->sc;
    int bad = 0;
    char now[40];
    utc_now(now, sizeof now);
    bad |= attr_str(fid, "infercap_version", prov->version);
    bad |= attr_str(fid, "git_commit", prov->git_commit);
    bad |= attr_str(fid, "scenario_name", sc->name);
    bad |= attr_int64(fid, "seed", sc->seed);
    bad |= attr_int64(fid, "paths", (long long)plan->paths);
    bad |= attr_str(fid, "created_utc", now);
    bad |= attr_str(fid, "command_line", prov->command_line ? prov->command_line : "");
    bad |= attr_str(fid, "start", sc->start.text);
    bad |= attr_double(fid, "start_unix_s", sc->start.unix_s);
    bad |= attr_int64(fid, "utc_offset_s", sc->start.offset_s);
    bad |= attr_double(fid, "step_s", sc->step_s);
    bad |= attr_double(fid, "horizon_days", sc->horizon_days);
    bad |= attr_str(fid, "engine", "aggregate");
    bad |= attr_str(fid, "growth_quantity",
                    plan->weekly_visits ? "weekly_web_visits" : "daily_active_users");
    bad |= attr_str(fid, "Conventions", "CF-1.8");

    /* The resolved scenario. */
    {
        hid_t t = vlen_string_type(), s = H5Screate(H5S_SCALAR);
        hid_t d = H5Dcreate2(fid, "scenario", t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        bad |= d < 0 || H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &resolved_json) < 0;
        if (d >= 0) {
            bad |= describe(d, "1", "resolved scenario (JSON): rerun with `infercap run` on it");
            H5Dclose(d);
        }
        H5Sclose(s);
        H5Tclose(t);
    }

    /* Dimension scales. */
    size_t np = (size_t)plan->paths, no = (size_t)plan->nout, nq = (size_t)res->nq;
    size_t ns = (size_t)plan->store_paths;
    char units[96], utc[40];
    ic_time_format(sc->start.unix_s, 0, utc, sizeof utc);
    utc[19] = '\0'; /* drop "+00:00": CF times without a zone are UTC */
    utc[10] = ' ';
    snprintf(units, sizeof units, "seconds since %s", utc);
    hid_t st = make_scale(fid, "time", plan->time_s, no, units,
                          "start of each output interval (values are interval means)");
    if (st >= 0) {
        bad |= attr_str(st, "start", sc->start.text);
        bad |= attr_double(st, "interval_s", sc->output.interval_s);
    }
    hid_t sq = make_scale(fid, "quantile", res->q, nq, "1", "quantile over paths");
    hid_t sp = make_scale(fid, "path", NULL, np, "1", "Monte Carlo path index");
    hid_t ss = make_scale(fid, "stored_path", NULL, ns, "1", "index of a path with stored series");
    const char *cnames[IC_MAX_CLASSES];
    for (int c = 0; c < res->n_classes; c++) cnames[c] = sc->workload.classes[c].name;
    hid_t sc_ = make_string_scale(fid, "class", cnames, (hsize_t)res->n_classes, "request class");
    bad |= st < 0 || sq < 0 || sp < 0 || ss < 0 || sc_ < 0;

    hid_t g_series = H5Gcreate2(fid, "series", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t g_bands = H5Gcreate2(fid, "bands", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t g_sum = H5Gcreate2(fid, "summary", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t g_in = H5Gcreate2(fid, "inputs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    bad |= g_series < 0 || g_bands < 0 || g_sum < 0 || g_in < 0;
    for (int s = 0; !bad && s < IC_SERIES_COUNT; s++) {
        if (ns > 0) {
            hsize_t dims[2] = {ns, no};
            /* The first ns paths' rows are contiguous in [series][path][time]. */
            hid_t d = make_dataset(g_series, ic_series_names[s], H5T_NATIVE_FLOAT, H5T_IEEE_F32LE,
                                   2, dims, ic_series_row(res, s, 0));
            bad |= d < 0 || describe(d, ic_series_units[s], ic_series_long[s]) || attach(d, ss, st);
            if (d >= 0) H5Dclose(d);
        }
        hsize_t bdims[2] = {nq, no};
        hid_t b = make_dataset(g_bands, ic_series_names[s], H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, 2,
                               bdims, res->bands + (size_t)s * nq * no);
        bad |= b < 0 || describe(b, ic_series_units[s], ic_series_long[s]) || attach(b, sq, st);
        if (b >= 0) H5Dclose(b);
    }
    /* Arrivals by request class: the stored paths of every class, and the bands. */
    if (!bad) {
        size_t nc = (size_t)res->n_classes;
        const char *nm = "arrivals_per_s_by_class";
        const char *ln = "new requests arriving per second, by request class";
        if (ns > 0) {
            float *buf = malloc(nc * ns * no * sizeof *buf);
            bad |= !buf;
            for (size_t c = 0; buf && c < nc; c++)
                memcpy(buf + c * ns * no, ic_class_row(res, (int)c, 0), ns * no * sizeof *buf);
            hsize_t dims[3] = {nc, ns, no};
            hid_t d =
                buf ? make_dataset(g_series, nm, H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, 3, dims, buf)
                    : -1;
            free(buf);
            bad |= d < 0 || describe(d, "1/s", ln) || attach3(d, sc_, ss, st);
            if (d >= 0) H5Dclose(d);
        }
        hsize_t bdims[3] = {nc, nq, no};
        hid_t b =
            make_dataset(g_bands, nm, H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, 3, bdims, res->class_bands);
        bad |= b < 0 || describe(b, "1/s", ln) || attach3(b, sc_, sq, st);
        if (b >= 0) H5Dclose(b);
    }
    for (int m = 0; !bad && m < IC_SUMMARY_COUNT; m++) {
        hsize_t dims[1] = {np};
        hid_t d = make_dataset(g_sum, ic_summary_names[m], H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, 1,
                               dims, ic_summary_col(res, m));
        bad |= d < 0 || describe(d, ic_summary_units[m], ic_summary_long[m]) || attach(d, sp, -1);
        if (d >= 0) H5Dclose(d);
    }
    for (int i = 0; !bad && i < plan->n_inputs; i++) {
        const struct ic_input *in = &plan->inputs[i];
        if (in->dist && !ic_dist_is_random(in->dist)) continue;
        char name[200], desc[160], longn[400];
        pointer_name(in->pointer, name, sizeof name);
        if (in->dist)
            ic_dist_describe(in->dist, desc, sizeof desc);
        else
            snprintf(desc, sizeof desc, "the fitted multivariate normal");
        snprintf(longn, sizeof longn, "draw of %s ~ %s", in->pointer, desc);
        hsize_t dims[1] = {np};
        hid_t d = make_dataset(g_in, name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, 1, dims,
                               res->inputs + (size_t)i * np);
        bad |= d < 0 || describe(d, in->units[0] ? in->units : "1", longn) ||
               attr_str(d, "pointer", in->pointer) || attach(d, sp, -1);
        if (d >= 0) H5Dclose(d);
    }

    /* Autoscaling actions of the stored paths: [stored_path, action], NaN where none. */
    if (!bad && res->max_actions > 0 && ns > 0) {
        hid_t g_as = H5Gcreate2(fid, "autoscale", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        hid_t sa = make_scale(fid, "action", NULL, (hsize_t)res->max_actions, "1",
                              "index of an autoscaling action");
        bad |= g_as < 0 || sa < 0;
        const struct {
            const char *name, *units, *long_name;
            const double *data;
        } acts[] = {
            {"action_time_s", "s", "when the action was taken, since the start", res->action_time},
            {"action_accelerators", "accelerators", "accelerators ordered (+) or released (-)",
             res->action_size},
            {"ready_time_s", "s", "when the ordered capacity entered service", res->action_ready},
        };
        for (size_t i = 0; !bad && i < sizeof acts / sizeof acts[0]; i++) {
            hsize_t dims[2] = {ns, (hsize_t)res->max_actions};
            hid_t d = make_dataset(g_as, acts[i].name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, 2, dims,
                                   acts[i].data);
            bad |= d < 0 || describe(d, acts[i].units, acts[i].long_name) || attach(d, ss, sa);
            if (d >= 0) H5Dclose(d);
        }
        if (sa >= 0) H5Dclose(sa);
        if (g_as >= 0) H5Gclose(g_as);
    }

    /* The headline. */
    if (!bad) {
        struct ic_report rep;
        ic_report_from_run(plan, res, &rep);
        const struct ic_headline *h = &res->head;
        double ci[2] = {h->p_lo, h->p_hi};
        bad |= attr_double(g_sum, "outage_probability", h->p_outage);
        bad |= attr_doubles(g_sum, "outage_probability_ci95", ci, 2);
        bad |= attr_int64(g_sum, "outage_paths", h->outages);
        bad |= attr_int64(g_sum, "paths", h->paths);
        bad |= attr_doubles(g_sum, "first_outage_s_p10_p50_p90", h->first_outage_q, 3);
        for (int i = 0; i < ic_headline_nfields; i++) {
            const struct ic_headline_field *fd = &ic_headline_fields[i];
            bad |= attr_doubles(g_sum, fd->key, (const double *)((const char *)h + fd->offset),
                                (hsize_t)fd->n);
        }
        bad |= attr_str(g_sum, "accelerator", rep.accelerator);
        bad |= attr_str(g_sum, "model", rep.model);
        bad |= attr_double(g_sum, "accelerators_mean", rep.accelerators_mean);
        bad |= attr_int64(g_sum, "accelerators_per_replica", rep.accels_per_replica);
        bad |= attr_double(g_sum, "replica_requests_per_s", rep.replica_rps);
        bad |= attr_double(g_sum, "replica_batch", rep.replica_batch);
    }
    hid_t ids[] = {g_series, g_bands, g_sum, g_in, st, sq, sp, ss, sc_};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (ids[i] >= 0) H5Oclose(ids[i]);
    return bad ? -1 : 0;
}

/* Flush a file's data to the disk, so the rename never exposes a file whose blocks are not
 * written yet. */
static int fsync_path(const char *path, int dir) {
    int fd = open(path, dir ? O_RDONLY : O_WRONLY);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int ic_output_commit(struct ic_output *out, const struct ic_plan *plan,
                     const struct ic_results *res, const char *resolved_json,
                     const struct ic_provenance *prov, struct ic_error *err) {
    hid_t fid = (hid_t)out->fid;
    int bad = write_all(fid, plan, res, resolved_json, prov);
    bad |= H5Fclose(fid) < 0;
    out->fid = -1;
    if (bad) {
        ic_output_abort(out);
        return ic_error_set(err, IC_ERR_HDF5,
                            "%s: writing the result failed (disk full or an HDF5 error); no "
                            "output was left behind",
                            out->path);
    }
    if (fsync_path(out->tmp, 0) != 0 || rename(out->tmp, out->path) != 0) {
        int e = errno;
        ic_output_abort(out);
        return ic_error_set(err, IC_ERR_IO, "%s: cannot move the finished file into place: %s",
                            out->path, strerror(e));
    }
    /* Make the rename itself durable. */
    char dir[4096];
    ic_strlcpy(dir, out->path, sizeof dir);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    else
        strcpy(dir, ".");
    fsync_path(dir, 1);
    out->tmp[0] = '\0';
    return IC_OK;
}

/* ---- reading back -------------------------------------------------------------------------- */

static double read_double(hid_t loc, const char *name) {
    double v = NAN;
    if (H5Aexists(loc, name) <= 0) return NAN;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) return NAN;
    hid_t s = H5Aget_space(a);
    hssize_t n = H5Sget_simple_extent_npoints(s);
    H5Sclose(s);
    if (n == 1) H5Aread(a, H5T_NATIVE_DOUBLE, &v);
    H5Aclose(a);
    return v;
}

static void read_doubles(hid_t loc, const char *name, double *v, int n) {
    for (int i = 0; i < n; i++) v[i] = NAN;
    if (H5Aexists(loc, name) <= 0) return;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t s = H5Aget_space(a);
    if (H5Sget_simple_extent_npoints(s) == n) H5Aread(a, H5T_NATIVE_DOUBLE, v);
    H5Sclose(s);
    H5Aclose(a);
}

static void read_str(hid_t loc, const char *name, char *buf, size_t n) {
    buf[0] = '\0';
    if (H5Aexists(loc, name) <= 0) return;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t t = vlen_string_type();
    char *s = NULL;
    if (H5Aread(a, t, &s) >= 0 && s) {
        ic_strlcpy(buf, s, n);
        H5free_memory(s);
    }
    H5Tclose(t);
    H5Aclose(a);
}

int ic_output_info(const char *path, int json, void *file, struct ic_error *err) {
    FILE *f = file;
    if (access(path, R_OK) != 0)
        return ic_error_set(err, IC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    htri_t is = H5Fis_hdf5(path);
    if (is <= 0) return ic_error_set(err, IC_ERR_INVALID, "%s: not an HDF5 file", path);
    hid_t fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (fid < 0) return ic_error_set(err, IC_ERR_HDF5, "%s: cannot open as HDF5", path);
    if (H5Aexists(fid, "infercap_version") <= 0 || H5Lexists(fid, "summary", H5P_DEFAULT) <= 0) {
        H5Fclose(fid);
        return ic_error_set(err, IC_ERR_INVALID, "%s: not an infercap result file", path);
    }
    struct ic_report rep;
    memset(&rep, 0, sizeof rep);
    ic_strlcpy(rep.file, path, sizeof rep.file);
    read_str(fid, "scenario_name", rep.scenario, sizeof rep.scenario);
    read_str(fid, "infercap_version", rep.version, sizeof rep.version);
    read_str(fid, "git_commit", rep.git_commit, sizeof rep.git_commit);
    read_str(fid, "created_utc", rep.created_utc, sizeof rep.created_utc);
    read_str(fid, "command_line", rep.command_line, sizeof rep.command_line);
    read_str(fid, "start", rep.start, sizeof rep.start);
    rep.start_unix_s = read_double(fid, "start_unix_s");
    rep.offset_s = (int)read_double(fid, "utc_offset_s");
    rep.seed = (long long)read_double(fid, "seed");
    rep.horizon_days = read_double(fid, "horizon_days");
    rep.step_s = read_double(fid, "step_s");
    char qty[32];
    read_str(fid, "growth_quantity", qty, sizeof qty);
    rep.weekly_visits = strcmp(qty, "weekly_web_visits") == 0;
    hid_t g = H5Gopen2(fid, "summary", H5P_DEFAULT);
    struct ic_headline *h = &rep.h;
    double ci[2];
    h->p_outage = read_double(g, "outage_probability");
    read_doubles(g, "outage_probability_ci95", ci, 2);
    h->p_lo = ci[0];
    h->p_hi = ci[1];
    h->outages = (long)read_double(g, "outage_paths");
    h->paths = (long)read_double(g, "paths");
    read_doubles(g, "first_outage_s_p10_p50_p90", h->first_outage_q, 3);
    for (int i = 0; i < ic_headline_nfields; i++)
        read_doubles(g, ic_headline_fields[i].key,
                     (double *)((char *)h + ic_headline_fields[i].offset), ic_headline_fields[i].n);
    read_str(g, "accelerator", rep.accelerator, sizeof rep.accelerator);
    read_str(g, "model", rep.model, sizeof rep.model);
    rep.accelerators_mean = read_double(g, "accelerators_mean");
    rep.accels_per_replica = (long)read_double(g, "accelerators_per_replica");
    rep.replica_rps = read_double(g, "replica_requests_per_s");
    rep.replica_batch = read_double(g, "replica_batch");
    H5Gclose(g);
    H5Fclose(fid);
    if (json) {
        ic_report_print_json(f, &rep);
    } else {
        fprintf(f, "%s\n", path);
        ic_report_print(f, &rep);
        fprintf(f, "  written  %s by infercap %s (%s)\n  command  %s\n", rep.created_utc,
                rep.version, rep.git_commit, rep.command_line);
    }
    return IC_OK;
}
