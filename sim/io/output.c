/* output.c: HDF5 writer and reader of result files (see output.h for the layout).
 *
 * Dimension scales follow the HDF5 Dimension Scale specification (H5DS, high-level library),
 * which netCDF-4 maps to named dimensions, so xarray.open_dataset sees `time`, `path`, ... .
 * The time scale's units are CF-style "seconds since <start in UTC>", so CF readers decode it
 * to calendar times; its `start` attribute keeps the scenario's local offset. */
#include "sim/io/output.h"

#include "sim/io/h5in.h"

#include "sim/io/report.h"
#include "sim/engine/reqresult.h"
#include "sim/config/sweep.h"
#include "sim/core/timeutil.h"
#include "sim/core/util.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <limits.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <cjson/cJSON.h>
#include <stddef.h>
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

/* ---- datasets with leading sweep dimensions ------------------------------------------------- */

/* The index of point k along each sweep axis (none without a sweep). */
static void point_index(const struct ic_output *o, long k, hsize_t *idx) {
    for (int a = o->n_axes - 1; a >= 0; a--) {
        idx[a] = (hsize_t)(k % o->lead[a]);
        k /= o->lead[a];
    }
}

/* A chunked, compressed dataset of dims lead x dims (a point's slice is one chunk row: chunks of
 * at most 64 Ki elements, whole rows of the last axis where possible), unwritten parts NaN. */
static hid_t nd_create(hid_t loc, const char *name, hid_t file_type, const struct ic_output *o,
                       int rank, const hsize_t *dims) {
    hsize_t full[IC_SWEEP_MAX_AXES + 4], chunk[IC_SWEEP_MAX_AXES + 4], room = 65536;
    int k = o->n_axes, r = k + rank;
    for (int a = 0; a < k; a++) full[a] = (hsize_t)o->lead[a], chunk[a] = 1;
    for (int i = 0; i < rank; i++) full[k + i] = dims[i];
    for (int i = r - 1; i >= k; i--) {
        hsize_t c = full[i] > 0 ? full[i] : 1;
        if (c > room) c = room;
        chunk[i] = c;
        room = room / c > 0 ? room / c : 1;
    }
    hid_t space = r ? H5Screate_simple(r, full, NULL) : H5Screate(H5S_SCALAR);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (r > 0) {
        H5Pset_chunk(dcpl, r, chunk);
        H5Pset_shuffle(dcpl);
        H5Pset_deflate(dcpl, DEFLATE_LEVEL);
    }
    if (H5Tget_class(file_type) == H5T_FLOAT) {
        double nan = NAN;
        H5Pset_fill_value(dcpl, H5T_NATIVE_DOUBLE, &nan);
    }
    hid_t d = H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    H5Sclose(space);
    return d;
}

/* Select point k's slice of d (lead dims at the point, the rest whole): file and memory
 * dataspaces, or -1. */
static int nd_select(hid_t d, const struct ic_output *o, long k, int rank, const hsize_t *dims,
                     hid_t *fs, hid_t *ms) {
    hsize_t start[IC_SWEEP_MAX_AXES + 4], count[IC_SWEEP_MAX_AXES + 4];
    int n = o->n_axes;
    point_index(o, k, start);
    for (int a = 0; a < n; a++) count[a] = 1;
    for (int i = 0; i < rank; i++) start[n + i] = 0, count[n + i] = dims[i];
    *fs = H5Dget_space(d);
    if (*fs < 0) return -1;
    if (n + rank > 0 && H5Sselect_hyperslab(*fs, H5S_SELECT_SET, start, NULL, count, NULL) < 0) {
        H5Sclose(*fs);
        return -1;
    }
    *ms = rank ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR);
    return 0;
}

/* Did nd_write fail (-1, or -2: out of memory, which *oom records)? */
static int failed(int w, int *oom) {
    if (w == -2) *oom = 1;
    return w != 0;
}

/* 0, -1 on failure, -2 when the failure was running out of memory. */
static int nd_write(hid_t d, hid_t mem_type, const struct ic_output *o, long k, int rank,
                    const hsize_t *dims, const void *buf) {
    hid_t fs, ms;
    if (nd_select(d, o, k, rank, dims, &fs, &ms) != 0) return -1;
    herr_t rc = H5Dwrite(d, mem_type, ms, fs, H5P_DEFAULT, buf);
    int oom = rc < 0 && ic_h5in_failed_for_memory();
    H5Sclose(ms);
    H5Sclose(fs);
    return rc < 0 ? (oom ? -2 : -1) : 0;
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

/* ---- the datasets of a point ---------------------------------------------------------------- */

enum { SC_TIME, SC_QUANTILE, SC_PATH, SC_STORED, SC_CLASS, SC_ACTION, SC_BOUND, SC_FOQ, SC_COUNT };

/* One dataset of a point's results: where it goes, its shape after the sweep's leading
 * dimensions, its scales, and where its data is in struct ic_results. */
struct item {
    char group[16], name[200];
    int f32; /* float32, else float64 */
    int rank;
    hsize_t dims[3];
    int scales[3]; /* SC_* per dimension */
    const char *units;
    char long_name[400];
    size_t offset; /* of the data in struct ic_results (a pointer member) ... */
    size_t add;    /* ... plus this many elements */
    char pointer[160];
};

/* The pointer as an HDF5 name: "/traffic/growth/rate_per_day" -> "traffic.growth.rate_per_day". */
static void pointer_name(const char *ptr, char *buf, size_t n) {
    ic_strlcpy(buf, ptr[0] == '/' ? ptr + 1 : ptr, n);
    for (char *c = buf; *c; c++)
        if (*c == '/') *c = '.';
}

#define RES(member) offsetof(struct ic_results, member)

/* Every dataset a point writes, in a fixed order; returns the count (items may be NULL to
 * count).  Depends only on the plan's shape, which every point of a sweep shares. */
static int point_items(const struct ic_plan *plan, struct item *items) {
    const size_t np = (size_t)plan->paths, no = (size_t)plan->nout;
    const size_t nq = (size_t)plan->sc->output.quantiles.n, ns = (size_t)plan->store_paths;
    const size_t nc = (size_t)plan->n_classes;
    const size_t na = (size_t)plan->sc->fleet.autoscale.max_actions;
    int n = 0;
#define ADD(...)                                                                                   \
    do {                                                                                           \
        struct item it_ = {__VA_ARGS__};                                                           \
        if (items) items[n] = it_;                                                                 \
        n++;                                                                                       \
    } while (0)
    for (int s = 0; s < plan->n_series; s++) {
        if (ns > 0)
            ADD(.group = "series", .f32 = 1, .rank = 2, .dims = {ns, no},
                .scales = {SC_STORED, SC_TIME}, .units = ic_series_units[s], .offset = RES(series),
                .add = (size_t)s * ns * no);
        ADD(.group = "bands", .f32 = 1, .rank = 2, .dims = {nq, no},
            .scales = {SC_QUANTILE, SC_TIME}, .units = ic_series_units[s], .offset = RES(bands),
            .add = (size_t)s * nq * no);
    }
    /* Names and long names of the series (filled after, to keep ADD short). */
    if (items) {
        int i = 0;
        for (int s = 0; s < plan->n_series; s++) {
            int k = ns > 0 ? 2 : 1;
            for (int j = 0; j < k; j++, i++) {
                ic_strlcpy(items[i].name, ic_series_names[s], sizeof items[i].name);
                ic_strlcpy(items[i].long_name, ic_series_long[s], sizeof items[i].long_name);
            }
        }
    }
    const char *cn = "arrivals_per_s_by_class";
    const char *cl = "new requests arriving per second, by request class";
    if (ns > 0) {
        ADD(.group = "series", .f32 = 1, .rank = 3, .dims = {nc, ns, no},
            .scales = {SC_CLASS, SC_STORED, SC_TIME}, .units = "1/s",
            .offset = RES(class_arrivals));
        if (items) {
            ic_strlcpy(items[n - 1].name, cn, sizeof items[n - 1].name);
            ic_strlcpy(items[n - 1].long_name, cl, sizeof items[n - 1].long_name);
        }
    }
    ADD(.group = "bands", .f32 = 1, .rank = 3, .dims = {nc, nq, no},
        .scales = {SC_CLASS, SC_QUANTILE, SC_TIME}, .units = "1/s", .offset = RES(class_bands));
    if (items) {
        ic_strlcpy(items[n - 1].name, cn, sizeof items[n - 1].name);
        ic_strlcpy(items[n - 1].long_name, cl, sizeof items[n - 1].long_name);
    }
    for (int m = 0; m < plan->n_summary; m++) {
        ADD(.group = "summary", .rank = 1, .dims = {np}, .scales = {SC_PATH},
            .units = ic_summary_units[m], .offset = RES(summary), .add = (size_t)m * np);
        if (items) {
            ic_strlcpy(items[n - 1].name, ic_summary_names[m], sizeof items[n - 1].name);
            ic_strlcpy(items[n - 1].long_name, ic_summary_long[m], sizeof items[n - 1].long_name);
        }
    }
    for (int i = 0; i < plan->n_inputs; i++) {
        const struct ic_input *in = &plan->inputs[i];
        if (in->dist && !ic_dist_is_random(in->dist)) continue;
        ADD(.group = "inputs", .rank = 1, .dims = {np}, .scales = {SC_PATH},
            .units = in->units[0] ? in->units : "1", .offset = RES(inputs), .add = (size_t)i * np);
        if (items) {
            struct item *it = &items[n - 1];
            pointer_name(in->pointer, it->name, sizeof it->name);
            char desc[160];
            if (in->dist)
                ic_dist_describe(in->dist, desc, sizeof desc);
            else
                snprintf(desc, sizeof desc, "the fitted multivariate normal");
            snprintf(it->long_name, sizeof it->long_name, "draw of %s ~ %s", in->pointer, desc);
            ic_strlcpy(it->pointer, in->pointer, sizeof it->pointer);
        }
    }
    if (na > 0 && ns > 0) {
        static const char *const an[3] = {"action_time_s", "action_accelerators", "ready_time_s"};
        static const char *const au[3] = {"s", "accelerators", "s"};
        static const char *const al[3] = {"when the action was taken, since the start",
                                          "accelerators ordered (+) or released (-)",
                                          "when the ordered capacity entered service"};
        const size_t off[3] = {RES(action_time), RES(action_size), RES(action_ready)};
        for (int k = 0; k < 3; k++) {
            ADD(.group = "autoscale", .rank = 2, .dims = {ns, na}, .scales = {SC_STORED, SC_ACTION},
                .units = au[k], .offset = off[k]);
            if (items) {
                ic_strlcpy(items[n - 1].name, an[k], sizeof items[n - 1].name);
                ic_strlcpy(items[n - 1].long_name, al[k], sizeof items[n - 1].long_name);
            }
        }
    }
#undef ADD
    return n;
}

static void *item_data(const struct item *it, const struct ic_results *res) {
    char *base = *(char *const *)((const char *)res + it->offset);
    return base + it->add * (it->f32 ? sizeof(float) : sizeof(double));
}

/* ---- the headline of a point ---------------------------------------------------------------- */

/* The headline figures of a point, as attributes of /summary (a file without a sweep) or as
 * datasets of /headline over the sweep's dimensions (a pair is an interval: a trailing
 * dimension `bound`). */
struct hfield {
    const char *key;
    int kind; /* 0: n doubles, 1: long, 2: string */
    int n;
    size_t offset; /* in struct ic_report */
    size_t size;   /* strings: capacity */
    int opt;       /* 0: in every result file; 1: added later (absent: NaN, 0 or ""); 2: a
                      prefill/decode fleet's only (written with roles, absent otherwise) */
};
#define HD(k, m, n_)                                                                               \
    { k, 0, n_, offsetof(struct ic_report, m), 0, 0 }
#define HL(k, m)                                                                                   \
    { k, 1, 1, offsetof(struct ic_report, m), 0, 0 }
#define HS(k, m)                                                                                   \
    { k, 2, 1, offsetof(struct ic_report, m), sizeof(((struct ic_report *)0)->m), 0 }
#define HD_OPT(k, m, o)                                                                            \
    { k, 0, 1, offsetof(struct ic_report, m), 0, o }
#define HL_OPT(k, m, o)                                                                            \
    { k, 1, 1, offsetof(struct ic_report, m), 0, o }
#define HS_OPT(k, m, o)                                                                            \
    { k, 2, 1, offsetof(struct ic_report, m), sizeof(((struct ic_report *)0)->m), o }
static const struct hfield hfields[] = {
    HD("outage_probability", h.p_outage, 1),
    HD("outage_probability_ci95", h.p_lo, 2), /* p_lo, p_hi: adjacent members */
    HL("outage_paths", h.outages),
    HL("paths", h.paths),
    HD("first_outage_s_p10_p50_p90", h.first_outage_q, 3),
    HS("accelerator", accelerator), /* in /headline: accelerator_key (the axis may be so named) */
    HS("model", model),
    HD("accelerators_mean", accelerators_mean, 1),
    HL("accelerators_per_replica", accels_per_replica),
    HD("replica_requests_per_s", replica_rps, 1),
    HD("replica_batch", replica_batch, 1),
    /* added later: the service curve (pool 0's), the unit of the sustainable demand */
    HS_OPT("service_curve_mode", curve_mode, 1),
    HS_OPT("service_curve_requested_mode", curve_asked, 1),
    HS_OPT("service_curve_closed_form_reason", curve_why, 1),
    HD_OPT("service_curve_saturated_requests_per_s", curve_sat_rps, 1),
    HD_OPT("service_curve_slo_utilization", curve_slo_util, 1),
    HL_OPT("service_curve_replicas", curve_replicas, 1),
    HL_OPT("service_curve_requests", curve_requests, 1),
    HL_OPT("demand_tokens_per_day", tokens_per_day, 1),
    HL_OPT("prefill_decode", roles, 1),
    /* a prefill/decode fleet's roles and capacity-needed curve */
    HD_OPT("prefill_units", role_units[0], 2),
    HD_OPT("decode_units", role_units[1], 2),
    HD_OPT("prefill_unit_accelerators", role_unit_accels[0], 2),
    HD_OPT("decode_unit_accelerators", role_unit_accels[1], 2),
    HD_OPT("prefill_unit_tokens_per_s", role_unit_tok_s[0], 2),
    HD_OPT("decode_unit_tokens_per_s", role_unit_tok_s[1], 2),
    HL_OPT("prefill_unit_rate_measured", role_measured[0], 2),
    HL_OPT("decode_unit_rate_measured", role_measured[1], 2),
    HS_OPT("prefill_accelerator", role_accel[0], 2),
    HS_OPT("decode_accelerator", role_accel[1], 2),
    HD_OPT("nodes_needed_mean_p50", nodes_needed_q50[0], 2),
    HD_OPT("nodes_needed_peak_p50", nodes_needed_q50[1], 2),
    HD_OPT("nodes_needed_min_p50", nodes_needed_q50[2], 2),
    HD_OPT("cost_follow_curve_usd_p50", cost_follow_q50, 2),
    HD_OPT("cost_flat_peak_usd_p50", cost_flat_q50, 2),
};
#undef HD
#undef HL
#undef HS
#undef HD_OPT
#undef HL_OPT
#undef HS_OPT

/* The name of a headline figure as a dataset of /headline: strings get a suffix, since a sweep
 * axis over /accelerator or /model takes the plain name as its dimension. */
static const char *dkey(const char *key, char *buf, size_t n) {
    if (strcmp(key, "accelerator") != 0 && strcmp(key, "model") != 0) return key;
    snprintf(buf, n, "%s_key", key);
    return buf;
}

/* Units and long names of the headline figures (the /headline datasets of a sweep). */
static const struct {
    const char *key, *units, *long_name;
} hmeta[] = {
    {"outage_probability", "1", "probability of an outage within the horizon (share of paths)"},
    {"outage_probability_ci95", "1", "95% Wilson interval of the outage probability"},
    {"outage_paths", "paths", "paths with an outage"},
    {"paths", "paths", "Monte Carlo paths run"},
    {"first_outage_s_p10_p50_p90", "s",
     "p10, p50, p90 of the first-outage time (since the start) over paths with an outage"},
    {"accelerator", "1", "accelerator catalog key"},
    {"model", "1", "model catalog key"},
    {"accelerators_mean", "accelerators", "fleet size (its mean when drawn per path)"},
    {"accelerators_per_replica", "accelerators", "accelerators per model replica"},
    {"replica_requests_per_s", "1/s",
     "requests per second one replica serves (the service curve's, at the inputs' means)"},
    {"replica_batch", "sequences",
     "batch of one replica in the performance model's closed form (the operating point only "
     "when service_curve_mode is closed_form)"},
    {"service_curve_mode", "1",
     "how pool 0's service curve was filled: measured (request engine) or closed_form"},
    {"service_curve_requested_mode", "1", "the scenario's /service_curve/mode"},
    {"service_curve_closed_form_reason", "1",
     "why the closed form was used when measured was asked for (\"\": not so, or not known)"},
    {"service_curve_saturated_requests_per_s", "1/s",
     "measured service curve: saturated requests per second of one replica (NaN: closed form)"},
    {"service_curve_slo_utilization", "1",
     "measured service curve: largest utilisation meeting the objectives (NaN: closed form)"},
    {"service_curve_replicas", "replicas",
     "measured service curve: replicas in the measured group (0: closed form)"},
    {"service_curve_requests", "requests",
     "measured service curve: requests the request engine ran (0: closed form)"},
    {"demand_tokens_per_day", "1",
     "1 when demand is tokens a day (sustainable demand in multiples of the day), else 0"},
    {"prefill_decode", "1", "1 for a prefill/decode fleet (/fleet/roles), else 0"},
    {"prefill_units", "units", "prefill units (their mean when drawn per path)"},
    {"decode_units", "units", "decode units (their mean when drawn per path)"},
    {"prefill_unit_accelerators", "accelerators", "accelerators per prefill unit"},
    {"decode_unit_accelerators", "accelerators", "accelerators per decode unit"},
    {"prefill_unit_tokens_per_s", "tokens/s", "uncached prompt tokens/s of one prefill unit"},
    {"decode_unit_tokens_per_s", "tokens/s",
     "generated (reasoning + answer) tokens/s of one decode unit"},
    {"prefill_unit_rate_measured", "1",
     "1 when the prefill unit's rate is /fleet/roles/prefill/measured_tokens_per_s, 0: the "
     "performance model's"},
    {"decode_unit_rate_measured", "1",
     "1 when the decode unit's rate is /fleet/roles/decode/measured_tokens_per_s, 0: the "
     "performance model's"},
    {"prefill_accelerator", "1", "accelerator catalog key of the prefill units"},
    {"decode_accelerator", "1", "accelerator catalog key of the decode units"},
    {"nodes_needed_mean_p50", "nodes",
     "capacity-needed curve: its mean over the horizon (median over paths of "
     "/summary/nodes_needed_mean)"},
    {"nodes_needed_peak_p50", "nodes",
     "capacity-needed curve: its peak (median over paths of /summary/nodes_needed_peak)"},
    {"nodes_needed_min_p50", "nodes",
     "capacity-needed curve: its minimum (median over paths of /summary/nodes_needed_min)"},
    {"cost_follow_curve_usd_p50", "USD",
     "cost of a fleet following the capacity-needed curve (median over paths)"},
    {"cost_flat_peak_usd_p50", "USD",
     "cost of a flat fleet sized for the curve's peak (median over paths)"},
    {"first_outage_s_p50_ci95", "s", "95% interval of the median first-outage time"},
    {"lost_requests_mean", "requests", "requests lost per path (mean)"},
    {"lost_requests_mean_ci95", "requests", "95% interval of the mean lost requests"},
    {"lost_requests_p50", "requests", "requests lost per path (median)"},
    {"lost_requests_p50_ci95", "requests", "95% interval of the median lost requests"},
    {"lost_requests_p95", "requests", "requests lost per path (p95)"},
    {"lost_fraction_mean", "1", "share of new requests lost (mean over paths)"},
    {"lost_fraction_mean_ci95", "1", "95% interval of the mean lost share"},
    {"good_fraction_mean", "1",
     "share of served requests within the TTFT and TPOT objectives (mean over paths that served)"},
    {"good_fraction_mean_ci95", "1", "95% interval of the mean goodput share"},
    {"peak_offered_load_p50", "1", "peak offered load over capacity (median path)"},
    {"peak_offered_load_p50_ci95", "1", "95% interval of the median peak offered load"},
    {"peak_offered_load_p95", "1", "peak offered load over capacity (p95)"},
    {"degraded_minutes_mean", "min", "degraded minutes per path (mean)"},
    {"degraded_minutes_mean_ci95", "min", "95% interval of the mean degraded minutes"},
    {"revenue_usd_mean", "USD", "token revenue per path (mean)"},
    {"revenue_usd_mean_ci95", "USD", "95% interval of the mean revenue"},
    {"gross_margin", "1", "gross margin (mean; NaN without revenue)"},
    {"gross_margin_ci95", "1", "95% interval of the gross margin"},
    {"sustainable_demand_p50", "1",
     "growth quantity (/@growth_quantity; multiples of the day's tokens when "
     "demand_tokens_per_day is 1) the healthy fleet serves at the busiest hour (median path)"},
    {"sustainable_demand_p50_ci95", "1", "95% interval of the median sustainable demand"},
    {"autoscale_actions_mean", "actions", "autoscaling actions per path (mean)"},
    {"autoscale_actions_mean_ci95", "actions", "95% interval of the mean autoscaling actions"},
    {"cost_usd_mean", "USD", "fleet cost per path (mean)"},
    {"cost_usd_mean_ci95", "USD", "95% interval of the mean cost"},
    {"cost_usd_p50", "USD", "fleet cost per path (median)"},
    {"cost_usd_p50_ci95", "USD", "95% interval of the median cost"},
    {"accelerator_hours_mean", "h", "accelerator-hours per path (mean)"},
    {"accelerator_hours_mean_ci95", "h", "95% interval of the mean accelerator-hours"},
    {"energy_mwh_mean", "MWh", "energy per path (mean, with PUE)"},
    {"energy_mwh_mean_ci95", "MWh", "95% interval of the mean energy"},
};

static void headline_meta(const char *key, const char **units, const char **long_name) {
    *units = "1";
    *long_name = "headline figure of each point (see /summary)";
    for (size_t i = 0; i < sizeof hmeta / sizeof hmeta[0]; i++)
        if (strcmp(hmeta[i].key, key) == 0) {
            *units = hmeta[i].units;
            *long_name = hmeta[i].long_name;
            return;
        }
}

/* ---- each pool's service curve: /service_curve/<name> [axes..., pool] ---------------------- */

struct pfield {
    const char *name;
    int kind; /* 0: double, 1: long, 2: string */
    size_t offset, size;
    const char *units, *long_name;
};
#define PD_(n, m, u, l)                                                                            \
    { n, 0, offsetof(struct ic_report_pool, m), 0, u, l }
#define PL_(n, m, u, l)                                                                            \
    { n, 1, offsetof(struct ic_report_pool, m), 0, u, l }
#define PS_(n, m, l)                                                                               \
    { n, 2, offsetof(struct ic_report_pool, m), sizeof(((struct ic_report_pool *)0)->m), "1", l }
static const struct pfield pfields[] = {
    PS_("mode", mode,
        "how the pool's service curve was filled: measured (by the request engine) or "
        "closed_form (the performance model)"),
    PS_("accelerator", accelerator, "the pool's accelerator catalog key"),
    PD_("accelerators", accelerators, "accelerators", "accelerators in the pool (their mean)"),
    PD_("requests_per_s", rps, "1/s", "requests per second one replica serves (the fluid queue's)"),
    PD_("saturated_requests_per_s", sat_rps, "1/s",
        "measured: saturated requests per second of one replica (NaN: closed form)"),
    PD_("slo_utilization", slo_util, "1",
        "measured: largest utilisation of the saturated rate meeting the objectives (NaN: closed "
        "form)"),
    PD_("closed_form_batch", batch, "sequences",
        "the performance model's closed-form batch of one replica (the operating point only when "
        "mode is closed_form)"),
    PL_("replicas", replicas, "replicas",
        "measured: replicas of the measured group (0: closed form)"),
    PL_("requests", requests, "requests",
        "measured: requests the request engine ran (0: closed form)"),
};
#undef PD_
#undef PL_
#undef PS_
#define NPF ((int)(sizeof pfields / sizeof pfields[0]))

/* The group, its pool scale and its datasets (empty), attached to the sweep's axes. */
static int pools_create(hid_t fid, const struct ic_output *out, const hid_t *axis, int n) {
    hid_t g = H5Gcreate2(fid, "service_curve", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return 1;
    int bad = 0;
    hid_t ps = make_scale(g, "pool", NULL, (hsize_t)n, "1",
                          "index of a pool of the fleet (0: /accelerator; a prefill/decode "
                          "fleet: 0 its prefill units, 1 its decode units)");
    bad |= ps < 0;
    for (int i = 0; !bad && i < NPF; i++) {
        const struct pfield *pf = &pfields[i];
        hsize_t dims[1] = {(hsize_t)n};
        hid_t t = pf->kind == 2 ? vlen_string_type() : -1;
        hid_t d = nd_create(g, pf->name,
                            pf->kind == 2   ? t
                            : pf->kind == 1 ? H5T_STD_I64LE
                                            : H5T_IEEE_F64LE,
                            out, 1, dims);
        if (t >= 0) H5Tclose(t);
        bad |= d < 0 || describe(d, pf->units, pf->long_name);
        for (int a = 0; d >= 0 && a < out->n_axes; a++)
            bad |= H5DSattach_scale(d, axis[a], (unsigned)a) < 0;
        if (d >= 0) bad |= H5DSattach_scale(d, ps, (unsigned)out->n_axes) < 0;
        if (d >= 0) H5Dclose(d);
    }
    if (ps >= 0) H5Dclose(ps);
    H5Gclose(g);
    return bad;
}

/* Point k's pools (out->n_pools of them; a point with fewer writes NaN, 0 and ""). */
static int pools_put(hid_t fid, const struct ic_output *out, long k, const struct ic_report *rep,
                     int *oom) {
    const int n = out->n_pools;
    if (n <= 0) return 0;
    hid_t g = H5Gopen2(fid, "service_curve", H5P_DEFAULT);
    if (g < 0) return 1;
    int bad = 0;
    for (int i = 0; !bad && i < NPF; i++) {
        const struct pfield *pf = &pfields[i];
        double dv[IC_MAX_POOLS];
        long long lv[IC_MAX_POOLS];
        const char *sv[IC_MAX_POOLS];
        for (int q = 0; q < n; q++) {
            const int have = q < rep->n_pools;
            const char *p = (const char *)&rep->pool[q] + pf->offset;
            dv[q] = have && pf->kind == 0 ? *(const double *)p : (double)NAN;
            lv[q] = have && pf->kind == 1 ? (long long)*(const long *)p : 0;
            sv[q] = have && pf->kind == 2 ? p : "";
        }
        hsize_t dims[1] = {(hsize_t)n};
        hid_t d = H5Dopen2(g, pf->name, H5P_DEFAULT);
        hid_t t = pf->kind == 2 ? vlen_string_type() : -1;
        bad |= d < 0 || failed(nd_write(d,
                                        pf->kind == 2   ? t
                                        : pf->kind == 1 ? H5T_NATIVE_LLONG
                                                        : H5T_NATIVE_DOUBLE,
                                        out, k, 1, dims,
                                        pf->kind == 2   ? (const void *)sv
                                        : pf->kind == 1 ? (const void *)lv
                                                        : (const void *)dv),
                               oom);
        if (t >= 0) H5Tclose(t);
        if (d >= 0) H5Dclose(d);
    }
    H5Gclose(g);
    return bad;
}

static int write_headline_attrs(hid_t g, const struct ic_report *rep) {
    int bad = 0;
    const struct ic_headline *h = &rep->h;
    for (size_t i = 0; i < sizeof hfields / sizeof hfields[0]; i++) {
        const struct hfield *f = &hfields[i];
        if (f->opt == 2 && !rep->roles) continue;
        const char *p = (const char *)rep + f->offset;
        if (f->kind == 0)
            bad |= attr_doubles(g, f->key, (const double *)p, (hsize_t)f->n);
        else if (f->kind == 1)
            bad |= attr_int64(g, f->key, *(const long *)p);
        else
            bad |= attr_str(g, f->key, p);
    }
    for (int i = 0; i < ic_headline_nfields; i++) {
        const struct ic_headline_field *fd = &ic_headline_fields[i];
        bad |= attr_doubles(g, fd->key, (const double *)((const char *)h + fd->offset),
                            (hsize_t)fd->n);
    }
    return bad;
}

/* ---- open / begin / put / end -----------------------------------------------------------------
 */

int ic_output_open(struct ic_output *out, const char *path, struct ic_error *err) {
    memset(out, 0, sizeof *out);
    out->fid = -1;
    if (strlen(path) >= sizeof out->path)
        return ic_error_set(err, IC_ERR_USAGE, "%s: output path too long", path);
    ic_strlcpy(out->path, path, sizeof out->path);
    int rc = ic_check_output_path("output", path, NULL, 0, err);
    if (rc != IC_OK) return rc;
    ic_clean_stale_temporaries(path);
    ic_temp_name(path, out->tmp, sizeof out->tmp);
    if (!ic_h5in_headroom()) { /* see ic_h5in_headroom: libhdf5 may crash on a failed alloc */
        out->tmp[0] = '\0';
        return ic_error_set(err, IC_ERR_NOMEM, "%s: out of memory creating it", path);
    }
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
    out->n_points = 1;
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

void ic_output_layout(struct ic_output *o, const struct ic_sweep *sw) {
    o->n_axes = sw ? sw->n_axes : 0;
    o->n_points = 1;
    for (int a = 0; a < o->n_axes; a++) {
        o->lead[a] = sw->axes[a].n;
        o->n_points *= sw->axes[a].n;
    }
}

static int write_string_dataset(hid_t loc, const char *name, const char *text,
                                const char *long_name) {
    hid_t t = vlen_string_type(), s = H5Screate(H5S_SCALAR);
    hid_t d = H5Dcreate2(loc, name, t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int bad = d < 0 || H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &text) < 0;
    if (d >= 0) {
        bad |= describe(d, "1", long_name);
        H5Dclose(d);
    }
    H5Sclose(s);
    H5Tclose(t);
    return bad;
}

int ic_output_begin(struct ic_output *out, const struct ic_plan *plan, const struct ic_sweep *sw,
                    const struct ic_output_meta *meta, struct ic_error *err) {
    hid_t fid = (hid_t)out->fid;
    const struct ic_scenario *sc = plan->sc;
    ic_output_layout(out, sw);
    if (!ic_h5in_headroom())
        return ic_error_set(err, IC_ERR_NOMEM, "%s: out of memory creating the result", out->path);
    int bad = 0;
    char now[40];
    utc_now(now, sizeof now);
    const struct ic_provenance *prov = meta->prov;
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
    bad |= attr_str(fid, "engine", ic_engine_kind_name(IC_ENG_AGGREGATE));
    bad |= attr_str(fid, "growth_quantity",
                    ic_quantity_name(plan->weekly_visits ? IC_QTY_WEEKLY_WEB_VISITS
                                                         : IC_QTY_DAILY_ACTIVE_USERS));
    bad |= attr_str(fid, "Conventions", "CF-1.8");
    char hash[17];
    ic_hash_text(meta->resolved_json, hash);
    bad |= attr_str(fid, "scenario_hash", hash);
    bad |= attr_int64(fid, "sweep_points", out->n_points);
    /* complete unless an interruption says otherwise (ic_output_mark_partial) */
    bad |= attr_int64(fid, "partial", 0);
    bad |= attr_double(fid, "completed_until_s", sc->horizon_days * 86400.0);
    char axes[IC_SWEEP_MAX_AXES * (IC_NAME_MAX + 1)] = "";
    for (int a = 0; a < out->n_axes; a++) {
        size_t at = strlen(axes);
        snprintf(axes + at, sizeof axes - at, "%s%s", a ? " " : "", sw->axes[a].name);
    }
    bad |= attr_str(fid, "sweep_axes", axes);
    if (meta->shard_count > 1) {
        bad |= attr_int64(fid, "shard_index", meta->shard_index);
        bad |= attr_int64(fid, "shard_count", meta->shard_count);
    }
    bad |= write_string_dataset(fid, "scenario", meta->resolved_json,
                                "resolved scenario (JSON): rerun with `infercap run` on it");

    /* Dimension scales: the sweep's axes, then the point's own. */
    hid_t axis[IC_SWEEP_MAX_AXES], scale[SC_COUNT];
    for (int a = 0; a < out->n_axes; a++) {
        const struct ic_sweep_axis *ax = &sw->axes[a];
        char ln[400];
        snprintf(ln, sizeof ln, "swept field %s", ax->pointer);
        axis[a] = ax->numeric ? make_scale(fid, ax->name, ax->coord, (hsize_t)ax->n, "1", ln)
                              : make_string_scale(fid, ax->name, (const char *const *)ax->labels,
                                                  (hsize_t)ax->n, ln);
        if (axis[a] >= 0) bad |= attr_str(axis[a], "pointer", ax->pointer);
        bad |= axis[a] < 0;
    }
    size_t np = (size_t)plan->paths, no = (size_t)plan->nout;
    size_t nq = (size_t)sc->output.quantiles.n, ns = (size_t)plan->store_paths;
    char units[96], utc[40];
    ic_time_format(sc->start.unix_s, 0, utc, sizeof utc);
    utc[19] = '\0'; /* drop "+00:00": CF times without a zone are UTC */
    utc[10] = ' ';
    snprintf(units, sizeof units, "seconds since %s", utc);
    scale[SC_TIME] = make_scale(fid, "time", plan->time_s, no, units,
                                "start of each output interval (values are interval means)");
    if (scale[SC_TIME] >= 0) {
        bad |= attr_str(scale[SC_TIME], "start", sc->start.text);
        bad |= attr_double(scale[SC_TIME], "interval_s", sc->output.interval_s);
    }
    scale[SC_QUANTILE] =
        make_scale(fid, "quantile", sc->output.quantiles.v, nq, "1", "quantile over paths");
    scale[SC_PATH] = make_scale(fid, "path", NULL, np, "1", "Monte Carlo path index");
    scale[SC_STORED] =
        make_scale(fid, "stored_path", NULL, ns, "1", "index of a path with stored series");
    const char *cnames[IC_MAX_CLASSES];
    for (int c = 0; c < plan->n_classes; c++) cnames[c] = sc->workload.classes[c].name;
    scale[SC_CLASS] =
        make_string_scale(fid, "class", cnames, (hsize_t)plan->n_classes, "request class");
    scale[SC_ACTION] = -1;
    if (sc->fleet.autoscale.max_actions > 0 && ns > 0)
        scale[SC_ACTION] = make_scale(fid, "action", NULL, (hsize_t)sc->fleet.autoscale.max_actions,
                                      "1", "index of an autoscaling action");
    scale[SC_BOUND] = scale[SC_FOQ] = -1;
    if (out->n_axes > 0) {
        static const double b[2] = {0.025, 0.975}, fq[3] = {0.1, 0.5, 0.9};
        scale[SC_BOUND] = make_scale(fid, "bound", b, 2, "1",
                                     "ends of a 95% interval (the quantile levels they stand for)");
        scale[SC_FOQ] = make_scale(fid, "first_outage_quantile", fq, 3, "1",
                                   "quantiles of the first-outage time over paths with one");
        bad |= scale[SC_BOUND] < 0 || scale[SC_FOQ] < 0;
    }
    for (int i = 0; i < SC_COUNT; i++)
        bad |= scale[i] < 0 && i != SC_ACTION && i != SC_BOUND && i != SC_FOQ;

    /* Every dataset, empty (NaN) until its points are written. */
    int n = point_items(plan, NULL);
    struct item *items = calloc((size_t)n + 1, sizeof *items);
    bad |= !items;
    if (items) point_items(plan, items);
    static const char *const groups[] = {"series", "bands", "summary", "inputs", "autoscale"};
    for (size_t g = 0; !bad && g < sizeof groups / sizeof groups[0]; g++) {
        int used = 0;
        for (int i = 0; i < n; i++) used |= strcmp(items[i].group, groups[g]) == 0;
        if (!used && strcmp(groups[g], "autoscale") == 0) continue;
        hid_t gid = H5Gcreate2(fid, groups[g], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        bad |= gid < 0;
        for (int i = 0; !bad && i < n; i++) {
            const struct item *it = &items[i];
            if (strcmp(it->group, groups[g]) != 0) continue;
            hid_t d = nd_create(gid, it->name, it->f32 ? H5T_IEEE_F32LE : H5T_IEEE_F64LE, out,
                                it->rank, it->dims);
            bad |= d < 0 || describe(d, it->units, it->long_name);
            for (int a = 0; d >= 0 && a < out->n_axes; a++)
                bad |= H5DSattach_scale(d, axis[a], (unsigned)a) < 0;
            for (int k = 0; d >= 0 && k < it->rank; k++)
                bad |= H5DSattach_scale(d, scale[it->scales[k]], (unsigned)(out->n_axes + k)) < 0;
            if (it->pointer[0] && d >= 0) bad |= attr_str(d, "pointer", it->pointer);
            if (d >= 0) H5Dclose(d);
        }
        if (gid >= 0) H5Gclose(gid);
    }
    free(items);
    out->n_pools = plan->n_pools < IC_MAX_POOLS ? plan->n_pools : IC_MAX_POOLS;
    if (!bad && out->n_pools > 0) bad |= pools_create(fid, out, axis, out->n_pools);

    /* A sweep's headline: one dataset per figure over the sweep's dimensions, and which points
     * are written. */
    if (!bad && out->n_axes > 0) {
        hid_t g = H5Gcreate2(fid, "headline", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        bad |= g < 0;
        for (size_t i = 0;
             !bad && i < sizeof hfields / sizeof hfields[0] + (size_t)ic_headline_nfields; i++) {
            const char *key;
            int kind, cnt;
            if (i < sizeof hfields / sizeof hfields[0]) {
                if (hfields[i].opt == 2 && !plan->roles) continue;
                key = hfields[i].key, kind = hfields[i].kind, cnt = hfields[i].n;
            } else {
                const struct ic_headline_field *fd =
                    &ic_headline_fields[i - sizeof hfields / sizeof hfields[0]];
                key = fd->key, kind = 0, cnt = fd->n;
            }
            hsize_t dims[1] = {(hsize_t)cnt};
            char kb[64];
            key = dkey(key, kb, sizeof kb);
            hid_t t = kind == 2 ? vlen_string_type() : -1;
            hid_t d = nd_create(g, key,
                                kind == 2   ? t
                                : kind == 1 ? H5T_STD_I64LE
                                            : H5T_IEEE_F64LE,
                                out, cnt > 1 ? 1 : 0, dims);
            if (t >= 0) H5Tclose(t);
            const char *hu, *hl;
            headline_meta(i < sizeof hfields / sizeof hfields[0]
                              ? hfields[i].key
                              : ic_headline_fields[i - sizeof hfields / sizeof hfields[0]].key,
                          &hu, &hl);
            bad |= d < 0 || describe(d, hu, hl);
            for (int a = 0; d >= 0 && a < out->n_axes; a++)
                bad |= H5DSattach_scale(d, axis[a], (unsigned)a) < 0;
            if (d >= 0 && cnt > 1)
                bad |= H5DSattach_scale(d, scale[cnt == 2 ? SC_BOUND : SC_FOQ],
                                        (unsigned)out->n_axes) < 0;
            if (d >= 0) H5Dclose(d);
        }
        if (g >= 0) H5Gclose(g);
        hid_t d = nd_create(fid, "point_done", H5T_STD_I8LE, out, 0, NULL);
        bad |= d < 0 || describe(d, "1", "1 where the point's results are in this file");
        for (int a = 0; d >= 0 && a < out->n_axes; a++)
            bad |= H5DSattach_scale(d, axis[a], (unsigned)a) < 0;
        if (d >= 0) H5Dclose(d);
    }
    for (int a = 0; a < out->n_axes; a++)
        if (axis[a] >= 0) H5Dclose(axis[a]);
    for (int i = 0; i < SC_COUNT; i++)
        if (scale[i] >= 0) H5Dclose(scale[i]);
    if (bad && !ic_h5in_headroom())
        return ic_error_set(err, IC_ERR_NOMEM, "%s: out of memory creating the result's datasets",
                            out->path);
    if (bad)
        return ic_error_set(err, IC_ERR_HDF5, "%s: creating the result's datasets failed",
                            out->path);
    return IC_OK;
}

int ic_output_put(struct ic_output *out, long point, const struct ic_plan *plan,
                  const struct ic_results *res, const struct ic_report *given,
                  struct ic_error *err) {
    hid_t fid = (hid_t)out->fid;
    if (!ic_h5in_headroom()) /* see ic_h5in_headroom: libhdf5 may crash on a failed allocation */
        return ic_error_set(err, IC_ERR_NOMEM, "%s: out of memory writing the results of point %ld",
                            out->path, point);
    int n = point_items(plan, NULL), bad = 0, oom = 0;
    struct item *items = calloc((size_t)n + 1, sizeof *items);
    if (!items) return ic_error_set(err, IC_ERR_NOMEM, "out of memory");
    point_items(plan, items);
    for (int i = 0; !bad && i < n; i++) {
        const struct item *it = &items[i];
        char path[256];
        snprintf(path, sizeof path, "%s/%s", it->group, it->name);
        hid_t d = H5Dopen2(fid, path, H5P_DEFAULT);
        int w = d < 0 ? (ic_h5in_failed_for_memory() ? -2 : -1)
                      : nd_write(d, it->f32 ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE, out, point,
                                 it->rank, it->dims, item_data(it, res));
        bad |= w != 0;
        oom |= w == -2;
        if (d >= 0) H5Dclose(d);
    }
    free(items);
    struct ic_report rep;
    if (given)
        rep = *given;
    else
        ic_report_from_run(plan, res, &rep);
    if (!bad) bad |= pools_put(fid, out, point, &rep, &oom);
    if (!bad && out->n_axes == 0) {
        hid_t g = H5Gopen2(fid, "summary", H5P_DEFAULT);
        bad |= g < 0 || write_headline_attrs(g, &rep);
        if (g >= 0) H5Gclose(g);
    } else if (!bad) {
        hid_t g = H5Gopen2(fid, "headline", H5P_DEFAULT);
        bad |= g < 0;
        const size_t nh = sizeof hfields / sizeof hfields[0];
        for (size_t i = 0; !bad && i < nh + (size_t)ic_headline_nfields; i++) {
            const char *key;
            const void *p;
            int kind, cnt;
            if (i < nh) {
                if (hfields[i].opt == 2 && !plan->roles) continue;
                key = hfields[i].key, kind = hfields[i].kind, cnt = hfields[i].n;
                p = (const char *)&rep + hfields[i].offset;
            } else {
                const struct ic_headline_field *fd = &ic_headline_fields[i - nh];
                key = fd->key, kind = 0, cnt = fd->n;
                p = (const char *)&rep.h + fd->offset;
            }
            hsize_t dims[1] = {(hsize_t)cnt};
            char kb[64];
            hid_t d = H5Dopen2(g, dkey(key, kb, sizeof kb), H5P_DEFAULT);
            long long lv = kind == 1 ? (long long)*(const long *)p : 0;
            hid_t t = kind == 2 ? vlen_string_type() : -1;
            const void *buf = kind == 0 ? p : kind == 1 ? (const void *)&lv : (const void *)&p;
            bad |= d < 0 || failed(nd_write(d,
                                            kind == 0   ? H5T_NATIVE_DOUBLE
                                            : kind == 1 ? H5T_NATIVE_LLONG
                                                        : t,
                                            out, point, cnt > 1 ? 1 : 0, dims, buf),
                                   &oom);
            if (t >= 0) H5Tclose(t);
            if (d >= 0) H5Dclose(d);
        }
        if (g >= 0) H5Gclose(g);
        signed char one = 1;
        hid_t d = H5Dopen2(fid, "point_done", H5P_DEFAULT);
        bad |= d < 0 || failed(nd_write(d, H5T_NATIVE_SCHAR, out, point, 0, NULL, &one), &oom);
        if (d >= 0) H5Dclose(d);
    }
    if (oom)
        return ic_error_set(err, IC_ERR_NOMEM,
                            "%s: out of memory writing the results of point %ld (HDF5 could not "
                            "allocate its buffers)",
                            out->path, point);
    if (bad)
        return ic_error_set(err, IC_ERR_HDF5,
                            "%s: writing the results of point %ld failed (disk full or an HDF5 "
                            "error)",
                            out->path, point);
    return IC_OK;
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

int ic_output_end(struct ic_output *out, struct ic_error *err) {
    int bad = H5Fclose((hid_t)out->fid) < 0;
    int oom = bad && ic_h5in_failed_for_memory(); /* before another HDF5 call clears the stack */
    out->fid = -1;
    if (oom) {
        ic_output_abort(out);
        return ic_error_set(err, IC_ERR_NOMEM,
                            "%s: out of memory writing the result (HDF5 could not allocate its "
                            "buffers); no output was left behind",
                            out->path);
    }
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

int ic_output_mark_partial(struct ic_output *out, double completed_until_s) {
    hid_t fid = (hid_t)out->fid;
    long long one = 1;
    int bad = 0;
    hid_t a = H5Aopen(fid, "partial", H5P_DEFAULT);
    bad |= a < 0 || H5Awrite(a, H5T_NATIVE_LLONG, &one) < 0;
    if (a >= 0) H5Aclose(a);
    if (!isnan(completed_until_s)) {
        a = H5Aopen(fid, "completed_until_s", H5P_DEFAULT);
        bad |= a < 0 || H5Awrite(a, H5T_NATIVE_DOUBLE, &completed_until_s) < 0;
        if (a >= 0) H5Aclose(a);
    }
    return bad ? -1 : 0;
}

int ic_output_commit(struct ic_output *out, const struct ic_plan *plan,
                     const struct ic_results *res, const char *resolved_json,
                     const struct ic_provenance *prov, struct ic_error *err) {
    struct ic_output_meta meta = {.resolved_json = resolved_json, .prov = prov};
    int rc = ic_output_begin(out, plan, NULL, &meta, err);
    if (rc == IC_OK) rc = ic_output_put(out, 0, plan, res, NULL, err);
    if (rc == IC_OK && res->partial) {
        /* An interrupted run: the figures are to the time it reached. */
        double until = res->completed_nout < plan->nout ? plan->time_s[res->completed_nout]
                                                        : plan->sc->horizon_days * 86400.0;
        if (ic_output_mark_partial(out, until) != 0)
            rc = ic_error_set(err, IC_ERR_HDF5, "%s: writing the attributes failed", out->path);
    }
    if (rc != IC_OK) {
        ic_output_abort(out);
        return rc;
    }
    return ic_output_end(out, err);
}

/* ---- reading back -------------------------------------------------------------------------- */

/* Every read below goes through h5in.c, which checks each object before it is trusted. */

/* Open dataset `name` of a result file, checked to be of class cls with the layout's leading
 * dimensions and then dims. */
static int nd_open_checked(hid_t loc, const char *name, int cls, const struct ic_output *o,
                           int rank, const hsize_t *dims, hid_t *d, struct ic_error *err) {
    unsigned long long full[IC_SWEEP_MAX_AXES + 4];
    int k = o->n_axes;
    for (int a = 0; a < k; a++) full[a] = (unsigned long long)o->lead[a];
    for (int i = 0; i < rank; i++) full[k + i] = dims[i];
    long long did = -1;
    int rc = ic_h5in_dset_open((long long)loc, name, cls, k + rank, full, 0, &did, NULL, err);
    *d = (hid_t)did;
    return rc;
}

/* Point k's slice of a dataset opened by nd_open_checked. */
static int nd_read_checked(hid_t d, int mem, const struct ic_output *o, long k, int rank,
                           const hsize_t *dims, void *buf, struct ic_error *err) {
    hsize_t idx[IC_SWEEP_MAX_AXES + 4];
    unsigned long long start[IC_SWEEP_MAX_AXES + 4], count[IC_SWEEP_MAX_AXES + 4];
    int n = o->n_axes;
    point_index(o, k, idx);
    for (int a = 0; a < n; a++) start[a] = idx[a], count[a] = 1;
    for (int i = 0; i < rank; i++) start[n + i] = 0, count[n + i] = dims[i];
    return ic_h5in_read_slab((long long)d, mem, n + rank, start, count, buf, err);
}

/* The figures of the headline: integers that are counts of paths, at most this many. */
#define MAX_COUNT (1LL << 53)

/* The counts and the probability agree: outages <= paths, P(outage) in [0, 1]. */
static int headline_sane(const struct ic_report *rep, long k, struct ic_error *err) {
    const struct ic_headline *h = &rep->h;
    if (h->paths < 1 || h->outages > h->paths)
        return ic_error_set(err, IC_ERR_INVALID,
                            "headline of point %ld: expected 1 or more paths and at most that "
                            "many outage paths, found %ld and %ld",
                            k, h->paths, h->outages);
    if (!(h->p_outage >= 0 && h->p_outage <= 1))
        return ic_error_set(err, IC_ERR_INVALID,
                            "headline of point %ld: expected an outage probability in [0, 1], "
                            "found %g",
                            k, h->p_outage);
    return IC_OK;
}

/* Point k's pools from /service_curve (none in a file from before it existed). */
static int pools_get(hid_t fid, const struct ic_output *o, long k, struct ic_report *rep,
                     struct ic_error *err) {
    rep->n_pools = 0;
    if (!ic_h5in_has_link((long long)fid, "service_curve/pool")) return IC_OK;
    long long did = -1;
    unsigned long long got[1] = {0};
    int rc = ic_h5in_dset_open((long long)fid, "service_curve/pool", IC_H5IN_INTEGER, 1, NULL,
                               IC_MAX_POOLS, &did, got, err);
    if (rc != IC_OK) return rc;
    ic_h5in_dset_close(did);
    if (got[0] < 1)
        return ic_error_set(err, IC_ERR_INVALID,
                            "/service_curve/pool: expected 1 to %d pools, found none",
                            IC_MAX_POOLS);
    const int n = (int)got[0];
    hid_t g = H5Gopen2(fid, "service_curve", H5P_DEFAULT);
    if (g < 0)
        return ic_error_set(err, IC_ERR_INVALID,
                            "/service_curve: expected a group, found another "
                            "object");
    for (int i = 0; rc == IC_OK && i < NPF; i++) {
        const struct pfield *pf = &pfields[i];
        hsize_t dims[1] = {(hsize_t)n};
        hid_t d = -1;
        rc = nd_open_checked(g, pf->name,
                             pf->kind == 0   ? IC_H5IN_NUMBER
                             : pf->kind == 1 ? IC_H5IN_INTEGER
                                             : IC_H5IN_STRING,
                             o, 1, dims, &d, err);
        if (rc != IC_OK) break;
        double dv[IC_MAX_POOLS];
        long long lv[IC_MAX_POOLS];
        if (pf->kind == 0)
            rc = nd_read_checked(d, IC_H5IN_MEM_DOUBLE, o, k, 1, dims, dv, err);
        else if (pf->kind == 1)
            rc = nd_read_checked(d, IC_H5IN_MEM_LLONG, o, k, 1, dims, lv, err);
        for (int q = 0; rc == IC_OK && q < n; q++) {
            char *p = (char *)&rep->pool[q] + pf->offset;
            if (pf->kind == 0) {
                *(double *)p = dv[q];
            } else if (pf->kind == 1) {
                if (lv[q] < 0 || lv[q] > MAX_COUNT)
                    rc = ic_error_set(err, IC_ERR_INVALID,
                                      "/service_curve/%s: expected a count, found %lld", pf->name,
                                      lv[q]);
                *(long *)p = (long)lv[q];
            } else {
                hsize_t idx[IC_SWEEP_MAX_AXES];
                unsigned long long at[IC_SWEEP_MAX_AXES + 1];
                point_index(o, k, idx);
                for (int a = 0; a < o->n_axes; a++) at[a] = idx[a];
                at[o->n_axes] = (unsigned long long)q;
                rc = ic_h5in_read_string_at((long long)d, o->n_axes + 1, at, p, pf->size, err);
            }
        }
        H5Dclose(d);
    }
    H5Gclose(g);
    if (rc == IC_OK) rep->n_pools = n;
    return rc;
}

/* The headline of point k: from the attributes of /summary (a file without a sweep) or from
 * /headline at the point. */
static int read_headline(hid_t fid, const struct ic_output *o, long k, struct ic_report *rep,
                         struct ic_error *err) {
    const size_t nh = sizeof hfields / sizeof hfields[0];
    int rc = IC_OK;
    if (o->n_axes == 0) {
        if (!ic_h5in_has_link((long long)fid, "summary"))
            return ic_error_set(err, IC_ERR_INVALID, "/summary: expected a group, found nothing");
        hid_t g = H5Gopen2(fid, "summary", H5P_DEFAULT);
        if (g < 0)
            return ic_error_set(err, IC_ERR_INVALID,
                                "/summary: expected a group, found another "
                                "object");
        for (size_t i = 0; rc == IC_OK && i < nh; i++) {
            const struct hfield *f = &hfields[i];
            char *p = (char *)rep + f->offset;
            const int need = f->opt ? IC_H5IN_OPTIONAL : IC_H5IN_REQUIRED;
            if (f->kind == 0) {
                rc = ic_h5in_attr_nums((long long)g, f->key, need, (double *)p, f->n, err);
            } else if (f->kind == 1) {
                long long v = 0;
                rc = ic_h5in_attr_int((long long)g, f->key, need, 0, MAX_COUNT, &v, err);
                *(long *)p = (long)v;
            } else {
                rc = ic_h5in_attr_str((long long)g, f->key, need, p, f->size, err);
            }
        }
        for (int i = 0; rc == IC_OK && i < ic_headline_nfields; i++)
            rc =
                ic_h5in_attr_nums((long long)g, ic_headline_fields[i].key,
                                  ic_headline_fields[i].since ? IC_H5IN_OPTIONAL : IC_H5IN_REQUIRED,
                                  (double *)((char *)&rep->h + ic_headline_fields[i].offset),
                                  ic_headline_fields[i].n, err);
        H5Gclose(g);
        if (rc == IC_OK) rc = pools_get(fid, o, k, rep, err);
        return rc == IC_OK ? headline_sane(rep, k, err) : rc;
    }
    if (!ic_h5in_has_link((long long)fid, "headline"))
        return ic_error_set(err, IC_ERR_INVALID, "/headline: expected a group, found nothing");
    hid_t g = H5Gopen2(fid, "headline", H5P_DEFAULT);
    if (g < 0)
        return ic_error_set(err, IC_ERR_INVALID,
                            "/headline: expected a group, found another object");
    for (size_t i = 0; rc == IC_OK && i < nh + (size_t)ic_headline_nfields; i++) {
        const char *key;
        char *p;
        int kind, cnt;
        size_t size = 0;
        if (i < nh) {
            key = hfields[i].key, kind = hfields[i].kind, cnt = hfields[i].n;
            p = (char *)rep + hfields[i].offset;
            size = hfields[i].size;
            char kb0[64];
            if (hfields[i].opt && !ic_h5in_has_link((long long)g, dkey(key, kb0, sizeof kb0))) {
                /* a file from before the figure existed, or not a prefill/decode fleet */
                if (kind == 0)
                    for (int j = 0; j < cnt; j++) ((double *)p)[j] = (double)NAN;
                else if (kind == 1)
                    *(long *)p = 0;
                else
                    p[0] = '\0';
                continue;
            }
        } else {
            const struct ic_headline_field *fd = &ic_headline_fields[i - nh];
            key = fd->key, kind = 0, cnt = fd->n;
            p = (char *)&rep->h + fd->offset;
            if (fd->since && !ic_h5in_has_link((long long)g, key)) {
                for (int j = 0; j < cnt; j++) ((double *)p)[j] = (double)NAN;
                continue; /* a file from before the figure existed */
            }
        }
        hsize_t dims[1] = {(hsize_t)cnt};
        char kb[64];
        hid_t d = -1;
        int r = cnt > 1 ? 1 : 0;
        rc = nd_open_checked(g, dkey(key, kb, sizeof kb),
                             kind == 0   ? IC_H5IN_NUMBER
                             : kind == 1 ? IC_H5IN_INTEGER
                                         : IC_H5IN_STRING,
                             o, r, dims, &d, err);
        if (rc != IC_OK) break;
        if (kind == 0) {
            rc = nd_read_checked(d, IC_H5IN_MEM_DOUBLE, o, k, r, dims, p, err);
        } else if (kind == 1) {
            long long v = 0;
            rc = nd_read_checked(d, IC_H5IN_MEM_LLONG, o, k, 0, dims, &v, err);
            if (rc == IC_OK && (v < 0 || v > MAX_COUNT))
                rc = ic_error_set(err, IC_ERR_INVALID,
                                  "/headline/%s: expected a count of paths, found %lld", key, v);
            *(long *)p = (long)v;
        } else {
            hsize_t idx[IC_SWEEP_MAX_AXES];
            unsigned long long at[IC_SWEEP_MAX_AXES];
            point_index(o, k, idx);
            for (int a = 0; a < o->n_axes; a++) at[a] = idx[a];
            rc = ic_h5in_read_string_at((long long)d, o->n_axes, at, p, size, err);
        }
        H5Dclose(d);
    }
    H5Gclose(g);
    if (rc == IC_OK) rc = pools_get(fid, o, k, rep, err);
    return rc == IC_OK ? headline_sane(rep, k, err) : rc;
}

int ic_output_get(long long file, const struct ic_output *layout, long point,
                  const struct ic_plan *plan, struct ic_results *res, struct ic_report *rep,
                  struct ic_error *err) {
    hid_t fid = (hid_t)file;
    int n = point_items(plan, NULL), rc = IC_OK;
    struct item *items = calloc((size_t)n + 1, sizeof *items);
    if (!items) return ic_error_set(err, IC_ERR_NOMEM, "out of memory");
    point_items(plan, items);
    for (int i = 0; rc == IC_OK && i < n; i++) {
        const struct item *it = &items[i];
        char path[256];
        snprintf(path, sizeof path, "%s/%s", it->group, it->name);
        hid_t d = -1;
        rc = nd_open_checked(fid, path, IC_H5IN_FLOAT, layout, it->rank, it->dims, &d, err);
        if (rc == IC_OK) {
            rc = nd_read_checked(d, it->f32 ? IC_H5IN_MEM_FLOAT : IC_H5IN_MEM_DOUBLE, layout, point,
                                 it->rank, it->dims, item_data(it, res), err);
            H5Dclose(d);
        }
    }
    free(items);
    if (rc != IC_OK) return rc;
    memset(rep, 0, sizeof *rep);
    rc = read_headline(fid, layout, point, rep, err);
    if (rc != IC_OK) return rc;
    res->head = rep->h;
    return IC_OK;
}

int ic_output_point_done(long long file, const struct ic_output *layout, long point,
                         struct ic_error *err) {
    hid_t fid = (hid_t)file;
    if (layout->n_axes == 0) return 1;
    hid_t d = -1;
    if (nd_open_checked(fid, "point_done", IC_H5IN_INTEGER, layout, 0, NULL, &d, err) != IC_OK)
        return -1;
    signed char v = 0;
    int rc = nd_read_checked(d, IC_H5IN_MEM_SCHAR, layout, point, 0, NULL, &v, err);
    H5Dclose(d);
    if (rc != IC_OK) return -1;
    if (v != 0 && v != 1) {
        ic_error_set(err, IC_ERR_INVALID, "/point_done: expected 0 or 1, found %d at point %ld",
                     (int)v, point);
        return -1;
    }
    return v;
}

int ic_output_read_partial(long long file, int *partial, double *until_s, struct ic_error *err) {
    long long p = 0;
    double u = NAN;
    int rc = ic_h5in_attr_int(file, "partial", IC_H5IN_OPTIONAL, 0, 1, &p, err);
    if (rc == IC_OK)
        rc = ic_h5in_attr_nums(file, "completed_until_s", IC_H5IN_OPTIONAL, &u, 1, err);
    *partial = (int)p;
    *until_s = u;
    return rc;
}

/* The sweep of a result file as its reader sees it: the axes' names (root attribute
 * sweep_axes), sizes and coordinates (their dimension scales). */
struct file_sweep {
    int n_axes;
    char name[IC_SWEEP_MAX_AXES][IC_NAME_MAX];
    char pointer[IC_SWEEP_MAX_AXES][256];
    long n[IC_SWEEP_MAX_AXES];
    char **label[IC_SWEEP_MAX_AXES];
};

static void file_sweep_free(struct file_sweep *fs) {
    for (int a = 0; a < fs->n_axes; a++) ic_h5in_strings_free(fs->label[a], fs->n[a]);
    fs->n_axes = 0;
}

/* The axes: at most IC_SWEEP_MAX_AXES, each a 1-D dataset whose length is checked (with the
 * product of the lengths) against the writer's cap before anything of that size is read, and
 * the product equal to the root attribute sweep_points. */
static int read_file_sweep(hid_t fid, struct file_sweep *fs, struct ic_error *err) {
    memset(fs, 0, sizeof *fs);
    char names[IC_SWEEP_MAX_AXES * (IC_NAME_MAX + 1)];
    int rc =
        ic_h5in_attr_str((long long)fid, "sweep_axes", IC_H5IN_REQUIRED, names, sizeof names, err);
    if (rc != IC_OK) return rc;
    long long declared = 1;
    rc = ic_h5in_attr_int((long long)fid, "sweep_points", IC_H5IN_REQUIRED, 1, IC_SWEEP_MAX_POINTS,
                          &declared, err);
    if (rc != IC_OK) return rc;
    long total = 1;
    char *save = NULL;
    for (char *tok = strtok_r(names, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        if (fs->n_axes >= IC_SWEEP_MAX_AXES)
            return ic_error_set(err, IC_ERR_INVALID,
                                "/@sweep_axes: expected at most %d axes, found more",
                                IC_SWEEP_MAX_AXES);
        if (strchr(tok, '/') || strlen(tok) >= IC_NAME_MAX)
            return ic_error_set(err, IC_ERR_INVALID,
                                "/@sweep_axes: expected names of axes, found \"%.64s\"", tok);
        for (int b = 0; b < fs->n_axes; b++)
            if (strcmp(fs->name[b], tok) == 0)
                return ic_error_set(err, IC_ERR_INVALID,
                                    "/@sweep_axes: expected distinct axes, found %s twice", tok);
        int a = fs->n_axes;
        ic_strlcpy(fs->name[a], tok, sizeof fs->name[a]);
        long cap = IC_SWEEP_MAX_POINTS / total;
        long long did = -1;
        unsigned long long dims[1] = {0};
        rc = ic_h5in_dset_open((long long)fid, tok, IC_H5IN_ANY, 1, NULL, (unsigned long long)cap,
                               &did, dims, err);
        if (rc != IC_OK) return rc;
        int cls = ic_h5in_dset_class(did);
        rc = ic_h5in_attr_str(did, "pointer", IC_H5IN_REQUIRED, fs->pointer[a],
                              sizeof fs->pointer[a], err);
        ic_h5in_dset_close(did);
        if (rc != IC_OK) return rc;
        if (dims[0] < 1)
            return ic_error_set(err, IC_ERR_INVALID,
                                "/%s: expected a sweep axis of 1 or more "
                                "values, found none",
                                tok);
        long n = 0;
        if (cls == IC_H5IN_STRING) {
            rc = ic_h5in_dset_strings((long long)fid, tok, cap, &fs->label[a], &n, err);
        } else {
            double *v = NULL;
            rc = ic_h5in_dset_doubles((long long)fid, tok, cap, &v, &n, err);
            if (rc == IC_OK) {
                fs->label[a] = calloc((size_t)n + 1, sizeof *fs->label[a]);
                if (!fs->label[a]) rc = ic_error_set(err, IC_ERR_NOMEM, "out of memory");
                for (long i = 0; rc == IC_OK && i < n; i++) {
                    char b[40];
                    snprintf(b, sizeof b, "%.10g", v[i]);
                    fs->label[a][i] = malloc(strlen(b) + 1);
                    if (fs->label[a][i])
                        strcpy(fs->label[a][i], b);
                    else
                        rc = ic_error_set(err, IC_ERR_NOMEM, "out of memory");
                }
            }
            free(v);
        }
        fs->n[a] = n;
        fs->n_axes++;
        if (rc != IC_OK) return rc;
        total *= n;
    }
    if (total != declared)
        return ic_error_set(err, IC_ERR_INVALID,
                            "/@sweep_points: expected %ld (the product of the axes' lengths), "
                            "found %lld",
                            total, declared);
    return IC_OK;
}

static int info_requests(hid_t fid, const char *path, int json, FILE *f, struct ic_error *err);

/* The provenance and where a run stopped (root attributes) into rep. */
static int read_provenance(hid_t fid, struct ic_report *rep, struct ic_error *err) {
    long long l = (long long)fid, v = 0;
    int rc = ic_h5in_attr_str(l, "scenario_name", IC_H5IN_REQUIRED, rep->scenario,
                              sizeof rep->scenario, err);
    if (rc == IC_OK)
        rc = ic_h5in_attr_str(l, "infercap_version", IC_H5IN_REQUIRED, rep->version,
                              sizeof rep->version, err);
    if (rc == IC_OK)
        rc = ic_h5in_attr_str(l, "git_commit", IC_H5IN_REQUIRED, rep->git_commit,
                              sizeof rep->git_commit, err);
    if (rc == IC_OK)
        rc = ic_h5in_attr_str(l, "created_utc", IC_H5IN_REQUIRED, rep->created_utc,
                              sizeof rep->created_utc, err);
    if (rc == IC_OK)
        rc = ic_h5in_attr_str(l, "command_line", IC_H5IN_REQUIRED, rep->command_line,
                              sizeof rep->command_line, err);
    if (rc == IC_OK)
        rc = ic_h5in_attr_str(l, "start", IC_H5IN_REQUIRED, rep->start, sizeof rep->start, err);
    if (rc == IC_OK)
        rc = ic_h5in_attr_nums(l, "start_unix_s", IC_H5IN_REQUIRED, &rep->start_unix_s, 1, err);
    if (rc == IC_OK && !(fabs(rep->start_unix_s) < 1e11))
        rc = ic_error_set(err, IC_ERR_INVALID, "/@start_unix_s: expected a time, found %g",
                          rep->start_unix_s);
    if (rc == IC_OK)
        rc = ic_h5in_attr_int(l, "utc_offset_s", IC_H5IN_REQUIRED, -86400, 86400, &v, err);
    rep->offset_s = (int)v;
    if (rc == IC_OK)
        rc = ic_h5in_attr_int(l, "seed", IC_H5IN_REQUIRED, LLONG_MIN, LLONG_MAX, &rep->seed, err);
    return rc;
}

/* Horizon, step and whether the run stopped early (aggregate results only). */
static int read_run_shape(hid_t fid, struct ic_report *rep, struct ic_error *err) {
    long long l = (long long)fid;
    int rc = ic_h5in_attr_nums(l, "horizon_days", IC_H5IN_REQUIRED, &rep->horizon_days, 1, err);
    if (rc == IC_OK && !(rep->horizon_days > 0 && rep->horizon_days < 1e6))
        rc = ic_error_set(err, IC_ERR_INVALID,
                          "/@horizon_days: expected a positive number of days, found %g",
                          rep->horizon_days);
    if (rc == IC_OK) rc = ic_h5in_attr_nums(l, "step_s", IC_H5IN_REQUIRED, &rep->step_s, 1, err);
    if (rc == IC_OK && !(rep->step_s > 0 && rep->step_s < 1e9))
        rc = ic_error_set(err, IC_ERR_INVALID,
                          "/@step_s: expected a positive number of seconds, found %g", rep->step_s);
    char qty[32];
    if (rc == IC_OK)
        rc = ic_h5in_attr_str(l, "growth_quantity", IC_H5IN_OPTIONAL, qty, sizeof qty, err);
    rep->weekly_visits =
        rc == IC_OK && ic_enum_value(&ic_quantities, qty) == IC_QTY_WEEKLY_WEB_VISITS;
    if (rc == IC_OK) rc = ic_output_read_partial(l, &rep->partial, &rep->completed_until_s, err);
    if (rc == IC_OK && rep->partial && !isnan(rep->completed_until_s) &&
        !(rep->completed_until_s >= 0 && rep->completed_until_s <= rep->horizon_days * 86400.0))
        rc = ic_error_set(err, IC_ERR_INVALID,
                          "/@completed_until_s: expected a time within the horizon, found %g",
                          rep->completed_until_s);
    return rc;
}

int ic_output_info_open(long long file, const char *path, int json, void *out,
                        struct ic_error *err) {
    FILE *f = out;
    hid_t fid = (hid_t)file;
    char version[64];
    int vrc =
        ic_h5in_attr_str(file, "infercap_version", IC_H5IN_OPTIONAL, version, sizeof version, err);
    if (vrc != IC_OK) {
        ic_h5in_prefix(err, path);
        return vrc;
    }
    if (ic_h5in_has_attr(file, "infercap_version") && ic_h5in_has_link(file, "requests"))
        return info_requests(fid, path, json, f, err);
    if (!ic_h5in_has_attr(file, "infercap_version") || !ic_h5in_has_link(file, "summary"))
        return ic_error_set(err, IC_ERR_INVALID, "%s: not an infercap result file", path);
    struct ic_report rep;
    memset(&rep, 0, sizeof rep);
    ic_strlcpy(rep.file, path, sizeof rep.file);
    int rc = read_provenance(fid, &rep, err);
    if (rc == IC_OK) rc = read_run_shape(fid, &rep, err);
    struct file_sweep fs;
    memset(&fs, 0, sizeof fs);
    if (rc == IC_OK) rc = read_file_sweep(fid, &fs, err);
    if (rc != IC_OK) {
        file_sweep_free(&fs);
        ic_h5in_prefix(err, path);
        return rc;
    }
    struct ic_output lay;
    memset(&lay, 0, sizeof lay);
    lay.n_axes = fs.n_axes;
    lay.n_points = 1;
    for (int a = 0; a < fs.n_axes; a++) lay.lead[a] = fs.n[a], lay.n_points *= fs.n[a];
    if (fs.n_axes == 0) {
        rc = read_headline(fid, &lay, 0, &rep, err);
        if (rc != IC_OK)
            ic_h5in_prefix(err, path);
        else if (json) {
            ic_report_print_json(f, &rep);
        } else {
            fprintf(f, "%s\n", path);
            ic_report_print(f, &rep);
        }
    } else {
        /* A sweep: which points are here first (a point missing makes the file partial). */
        signed char *done = malloc((size_t)lay.n_points);
        long n_done = 0;
        if (!done) rc = ic_error_set(err, IC_ERR_NOMEM, "out of memory");
        for (long k = 0; rc == IC_OK && k < lay.n_points; k++) {
            int d = ic_output_point_done(file, &lay, k, err);
            if (d < 0) rc = err->status ? err->status : IC_ERR_INVALID;
            done[k] = (signed char)(d == 1);
            n_done += d == 1;
        }
        /* A prefill/decode fleet's sweep: its nodes-needed columns. */
        const int pd_sweep = ic_h5in_has_link(file, "headline/nodes_needed_peak_p50");
        /* One object with the provenance and the sweep (no headline of its own: the figures
         * are per point), or a text table. */
        cJSON *root = NULL, *pts = NULL;
        if (rc == IC_OK && json) {
            root = cJSON_CreateObject();
            cJSON_AddStringToObject(root, "scenario", rep.scenario);
            cJSON_AddStringToObject(root, "file", path);
            cJSON_AddNumberToObject(root, "seed", (double)rep.seed);
            cJSON_AddStringToObject(root, "start", rep.start);
            cJSON_AddNumberToObject(root, "horizon_days", rep.horizon_days);
            cJSON_AddNumberToObject(root, "sweep_points", (double)lay.n_points);
            cJSON_AddNumberToObject(root, "points_done", (double)n_done);
            cJSON_AddBoolToObject(root, "partial", rep.partial || n_done < lay.n_points);
            cJSON_AddStringToObject(root, "infercap_version", rep.version);
            cJSON_AddStringToObject(root, "git_commit", rep.git_commit);
            cJSON_AddStringToObject(root, "created_utc", rep.created_utc);
            cJSON_AddStringToObject(root, "command_line", rep.command_line);
            cJSON *axes = cJSON_AddArrayToObject(root, "sweep");
            for (int a = 0; a < fs.n_axes; a++) {
                cJSON *ax = cJSON_CreateObject();
                cJSON_AddStringToObject(ax, "name", fs.name[a]);
                cJSON_AddStringToObject(ax, "pointer", fs.pointer[a]);
                cJSON_AddItemToObject(
                    ax, "values",
                    cJSON_CreateStringArray((const char *const *)fs.label[a], (int)fs.n[a]));
                cJSON_AddItemToArray(axes, ax);
            }
            pts = cJSON_AddArrayToObject(root, "points");
        } else if (rc == IC_OK) {
            fprintf(f, "%s\n%s: a sweep of %ld points, seed %lld, %g days from %s\n", path,
                    rep.scenario, lay.n_points, rep.seed, rep.horizon_days, rep.start);
            if (rep.partial || n_done < lay.n_points)
                fprintf(f,
                        "  PARTIAL    %ld of %ld points in this file: the run stopped or this "
                        "is one shard; the missing points have no figures\n",
                        n_done, lay.n_points);
            for (int a = 0; a < fs.n_axes; a++) {
                fprintf(f, "  %-14s %s:", fs.name[a], fs.pointer[a]);
                for (long i = 0; i < fs.n[a]; i++) fprintf(f, " %s", fs.label[a][i]);
                fprintf(f, "\n");
            }
            fprintf(f, "  %-40s %7s  %-17s %6s  %-16s  %13s  %s\n", "point", "P(out)", "95% CI",
                    "paths", "first outage p50", "cost/path USD",
                    pd_sweep ? "curve        nodes needed p50 (mean, peak)" : "service curve");
        }
        for (long k = 0; rc == IC_OK && k < lay.n_points; k++) {
            char label[512] = "";
            hsize_t idx[IC_SWEEP_MAX_AXES];
            point_index(&lay, k, idx);
            for (int a = 0; a < fs.n_axes; a++) {
                size_t at = strlen(label);
                snprintf(label + at, sizeof label - at, "%s%s=%s", a ? " " : "", fs.name[a],
                         fs.label[a][idx[a]]);
            }
            struct ic_report pr = rep;
            pr.partial = 0; /* a point is written only whole */
            if (done[k] && (rc = read_headline(fid, &lay, k, &pr, err)) != IC_OK) break;
            if (json) {
                cJSON *o = done[k] ? ic_report_json(&pr) : cJSON_CreateObject();
                cJSON_AddNumberToObject(o, "point", (double)k);
                cJSON_AddStringToObject(o, "label", label);
                cJSON_AddBoolToObject(o, "done", done[k] == 1);
                cJSON_AddItemToArray(pts, o);
                continue;
            }
            if (!done[k]) {
                fprintf(f, "  %-40s %s\n", label, "(not in this file)");
                continue;
            }
            char t[40] = "none";
            if (isfinite(pr.h.first_outage_q[1])) {
                ic_time_format(pr.start_unix_s + pr.h.first_outage_q[1], pr.offset_s, t, sizeof t);
                t[16] = '\0';
                t[10] = ' ';
            }
            const char *cm = pr.curve_mode[0] ? pr.curve_mode : "not recorded";
            fprintf(f, "  %-40s %7.3f  [%.3f, %.3f]  %6ld  %-16s  %13.4g  %s", label, pr.h.p_outage,
                    pr.h.p_lo, pr.h.p_hi, pr.h.paths, t, pr.h.cost_mean_usd, cm);
            if (pd_sweep)
                fprintf(f, "%*s%.1f, %.0f", 13 - (int)strlen(cm), "", pr.nodes_needed_q50[0],
                        pr.nodes_needed_q50[1]);
            fprintf(f, "\n");
        }
        if (rc != IC_OK) ic_h5in_prefix(err, path);
        if (rc == IC_OK && json) {
            char *s = cJSON_PrintUnformatted(root);
            if (s) fprintf(f, "%s\n", s);
            free(s);
        }
        cJSON_Delete(root);
        free(done);
    }
    if (rc == IC_OK && !json)
        fprintf(f, "  written  %s by infercap %s (%s)\n  command  %s\n", rep.created_utc,
                rep.version, rep.git_commit, rep.command_line);
    file_sweep_free(&fs);
    return rc;
}

int ic_output_info(const char *path, int json, void *file, struct ic_error *err) {
    long long fid = -1;
    int rc = ic_h5in_open(path, &fid, err);
    if (rc != IC_OK) return rc;
    rc = ic_output_info_open(fid, path, json, file, err);
    ic_h5in_close(fid);
    return rc;
}

/* ---- the request engine's file -------------------------------------------------------------- */

static int write_column(hid_t g, const char *name, hid_t ftype, hid_t mtype, long n,
                        const void *buf, hid_t scale, const char *units, const char *long_name) {
    struct ic_output lay;
    memset(&lay, 0, sizeof lay);
    hsize_t dims[1] = {(hsize_t)n};
    hid_t d = nd_create(g, name, ftype, &lay, 1, dims);
    int bad = d < 0 || (n > 0 && nd_write(d, mtype, &lay, 0, 1, dims, buf) != 0) ||
              describe(d, units, long_name) || H5DSattach_scale(d, scale, 0) < 0;
    if (d >= 0) H5Dclose(d);
    return bad;
}

static int attr_latency(hid_t g, const char *name, const struct ic_latency *l) {
    static const char *const k[3] = {"p50", "p90", "p99"};
    char key[64];
    int bad = 0;
    snprintf(key, sizeof key, "%s_mean", name);
    bad |= attr_double(g, key, l->mean);
    for (int i = 0; i < 3; i++) {
        snprintf(key, sizeof key, "%s_%s", name, k[i]);
        bad |= attr_double(g, key, l->q[i]);
        snprintf(key, sizeof key, "%s_%s_ci95", name, k[i]);
        bad |= attr_doubles(g, key, l->ci[i], 2);
    }
    return bad;
}

int ic_output_requests(struct ic_output *out, const struct ic_scenario *sc,
                       const struct ic_reqrun *rr, const char *resolved_json,
                       const struct ic_provenance *prov, struct ic_error *err) {
    hid_t fid = (hid_t)out->fid;
    const long n = rr->n;
    int bad = 0;
    char now[40], start[48];
    utc_now(now, sizeof now);
    ic_time_format(rr->window_start_unix, rr->offset_s, start, sizeof start);
    bad |= attr_str(fid, "infercap_version", prov->version);
    bad |= attr_str(fid, "git_commit", prov->git_commit);
    bad |= attr_str(fid, "scenario_name", sc->name);
    bad |= attr_int64(fid, "seed", sc->seed);
    bad |= attr_str(fid, "created_utc", now);
    bad |= attr_str(fid, "command_line", prov->command_line ? prov->command_line : "");
    bad |= attr_str(fid, "start", start);
    bad |= attr_double(fid, "start_unix_s", rr->window_start_unix);
    bad |= attr_int64(fid, "utc_offset_s", rr->offset_s);
    bad |= attr_str(fid, "engine", "request");
    bad |= attr_str(fid, "source", rr->source);
    bad |= attr_str(fid, "Conventions", "CF-1.8");
    char hash[17];
    ic_hash_text(resolved_json, hash);
    bad |= attr_str(fid, "scenario_hash", hash);
    bad |= write_string_dataset(fid, "scenario", resolved_json,
                                "resolved scenario (JSON): rerun with `infercap run` on it");
    /* scales */
    const struct ic_reqsim_series *s = &rr->series;
    double *tv = malloc(((size_t)s->nout + 1) * sizeof *tv);
    if (!tv) return ic_error_set(err, IC_ERR_NOMEM, "out of memory");
    for (long j = 0; j < s->nout; j++) tv[j] = (double)j * rr->cfg.interval_s;
    char units[96], utc[48];
    ic_time_format(rr->window_start_unix, 0, utc, sizeof utc);
    utc[19] = '\0';
    utc[10] = ' ';
    snprintf(units, sizeof units, "seconds since %s", utc);
    hid_t st = make_scale(fid, "time", tv, (hsize_t)s->nout, units,
                          "start of each output interval of the replicas' series");
    free(tv);
    hid_t sr = make_scale(fid, "request", NULL, (hsize_t)n, "1", "request, in arrival order");
    hid_t srep = make_scale(fid, "replica", NULL, (hsize_t)s->replicas, "1", "replica index");
    const char *cn[IC_MAX_CLASSES];
    for (int c = 0; c < rr->n_classes; c++) cn[c] = rr->class_names[c];
    hid_t sc_ = make_string_scale(fid, "class", cn, (hsize_t)rr->n_classes, "request class");
    bad |= st < 0 || sr < 0 || srep < 0 || sc_ < 0;

    /* per request */
    hid_t g = H5Gcreate2(fid, "requests", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    bad |= g < 0;
    double *d = malloc((size_t)(n > 0 ? n : 1) * sizeof *d);
    int32_t *iv = malloc((size_t)(n > 0 ? n : 1) * sizeof *iv);
    bad |= !d || !iv;
    for (int k = 0; !bad && k < 4; k++) {
        static const char *const nm[4] = {"queue_s", "ttft_s", "tpot_s", "e2e_s"};
        static const char *const ln[4] = {
            "waiting before admission (NaN: never admitted)",
            "time to the first answer token (NaN: not served)",
            "time per output token after the first (NaN: not served or one token)",
            "arrival to the last token (NaN: not served)"};
        for (long i = 0; i < n; i++) {
            const struct ic_request *q = &rr->req[i];
            int ok = q->status == IC_REQ_SERVED;
            d[i] = k == 0   ? q->admit_s - q->arrival_s
                   : k == 1 ? (ok ? q->first_token_s - q->arrival_s : NAN)
                   : k == 2
                       ? (ok && q->output > 1 ? (q->finish_s - q->first_token_s) / (q->output - 1)
                                              : NAN)
                       : (ok ? q->finish_s - q->arrival_s : NAN);
        }
        bad |= write_column(g, nm[k], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, d, sr, "s", ln[k]);
    }
    if (!bad) {
        for (long i = 0; i < n; i++) d[i] = rr->req[i].arrival_s;
        bad |= write_column(g, "arrival_s", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, d, sr, "s",
                            "arrival, seconds from the window's start");
    }
    static const char *const in[7] = {
        "class",   "input_tokens", "output_tokens", "reasoning_tokens", "cache_hit_tokens",
        "replica", "preemptions"};
    static const char *const il[7] = {"request class (index into /class)",
                                      "prompt tokens",
                                      "answer tokens",
                                      "reasoning tokens (decoded before the answer)",
                                      "prompt tokens served from the prefix cache",
                                      "replica it was routed to",
                                      "times it was preempted and recomputed"};
    for (int k = 0; !bad && k < 7; k++) {
        for (long i = 0; i < n; i++) {
            const struct ic_request *q = &rr->req[i];
            iv[i] = k == 0   ? q->cls
                    : k == 1 ? q->input
                    : k == 2 ? q->output
                    : k == 3 ? q->reasoning
                    : k == 4 ? q->cache_hit_tokens
                    : k == 5 ? q->replica
                             : q->preemptions;
        }
        bad |= write_column(g, in[k], H5T_STD_I32LE, H5T_NATIVE_INT32, n, iv, sr,
                            k >= 1 && k <= 4 ? "tokens" : "1", il[k]);
    }
    if (!bad) {
        for (long i = 0; i < n; i++) iv[i] = rr->req[i].status;
        bad |= write_column(g, "status", H5T_STD_I32LE, H5T_NATIVE_INT32, n, iv, sr, "1",
                            "0 served, 1 rejected (admission control), 2 abandoned (patience), "
                            "3 unfinished at the end");
        hid_t dd = H5Dopen2(g, "status", H5P_DEFAULT);
        if (dd >= 0) {
            static const int32_t fv[4] = {0, 1, 2, 3};
            hsize_t four = 4;
            hid_t sp = H5Screate_simple(1, &four, NULL);
            bad |= attr_write(dd, "flag_values", H5T_NATIVE_INT32, sp, fv);
            H5Sclose(sp);
            bad |= attr_str(dd, "flag_meanings", "served rejected abandoned unfinished");
            H5Dclose(dd);
        }
    }
    free(d);
    free(iv);
    /* the headline, as attributes of /requests, and as the text and JSON `info` prints */
    const struct ic_req_headline *h = &rr->h;
    if (!bad) {
        bad |= attr_int64(g, "requests", h->requests);
        bad |= attr_int64(g, "served", h->served);
        bad |= attr_int64(g, "rejected", h->rejected);
        bad |= attr_int64(g, "abandoned", h->abandoned);
        bad |= attr_int64(g, "unfinished", h->unfinished);
        bad |= attr_int64(g, "preemptions", h->preemptions);
        bad |= attr_double(g, "window_s", h->window_s);
        bad |= attr_double(g, "throughput_rps", h->throughput_rps);
        bad |= attr_double(g, "goodput_rps", h->goodput_rps);
        bad |= attr_double(g, "good_fraction", h->good_fraction);
        double gci[2] = {h->good_lo, h->good_hi};
        bad |= attr_doubles(g, "good_fraction_ci95", gci, 2);
        bad |= attr_latency(g, "ttft_s", &h->ttft) | attr_latency(g, "tpot_s", &h->tpot) |
               attr_latency(g, "e2e_s", &h->e2e) | attr_latency(g, "queue_s", &h->queue);
        bad |= attr_double(g, "busy_mean", h->busy_mean);
        bad |= attr_double(g, "kv_occupancy_mean", h->kv_mean);
        bad |= attr_int64(g, "replicas", rr->cfg.replicas);
        bad |= attr_int64(g, "accelerators_per_replica", rr->accels_per_replica);
        bad |= attr_str(g, "accelerator", rr->accelerator);
        bad |= attr_str(g, "model", rr->model);
        bad |= attr_str(g, "routing", ic_routing_name(rr->cfg.routing));
        for (int json = 0; json < 2; json++) {
            char *buf = NULL;
            size_t len = 0;
            FILE *mf = open_memstream(&buf, &len);
            if (!mf) {
                bad = 1;
                break;
            }
            struct ic_reqrun copy = *rr;
            copy.engine_s = 0; /* timing is not a result */
            ic_reqrun_print(mf, &copy, json);
            fclose(mf);
            bad |= attr_str(g, json ? "headline_json" : "headline_text", buf);
            free(buf);
        }
    }
    if (g >= 0) H5Gclose(g);
    /* per replica */
    hid_t gr = H5Gcreate2(fid, "replicas", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    bad |= gr < 0;
    const struct {
        const char *name, *units, *long_name;
        const float *v;
    } rs[4] = {
        {"busy", "1", "share of the interval with a batch running", s->busy},
        {"kv_occupancy", "1", "mean share of the KV cache in use", s->kv},
        {"running", "sequences", "mean sequences admitted (prefill and decode)", s->running},
        {"waiting", "requests", "mean requests waiting for admission", s->waiting},
    };
    struct ic_output lay;
    memset(&lay, 0, sizeof lay);
    for (int k = 0; !bad && k < 4; k++) {
        hsize_t dims[2] = {(hsize_t)s->replicas, (hsize_t)s->nout};
        hid_t dd = nd_create(gr, rs[k].name, H5T_IEEE_F32LE, &lay, 2, dims);
        bad |= dd < 0 || nd_write(dd, H5T_NATIVE_FLOAT, &lay, 0, 2, dims, rs[k].v) != 0 ||
               describe(dd, rs[k].units, rs[k].long_name) || H5DSattach_scale(dd, srep, 0) < 0 ||
               H5DSattach_scale(dd, st, 1) < 0;
        if (dd >= 0) H5Dclose(dd);
    }
    if (gr >= 0) H5Gclose(gr);
    hid_t ids[] = {st, sr, srep, sc_};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (ids[i] >= 0) H5Dclose(ids[i]);
    if (bad) {
        ic_output_abort(out);
        return ic_error_set(err, IC_ERR_HDF5, "%s: writing the requests failed", out->path);
    }
    return ic_output_end(out, err);
}

/* `infercap info` of a request-engine file: the headline stored with it. */
static int info_requests(hid_t fid, const char *path, int json, FILE *f, struct ic_error *err) {
    struct ic_report rep;
    memset(&rep, 0, sizeof rep);
    int rc = read_provenance(fid, &rep, err);
    hid_t g = rc == IC_OK ? H5Gopen2(fid, "requests", H5P_DEFAULT) : -1;
    if (rc == IC_OK && g < 0)
        rc = ic_error_set(err, IC_ERR_INVALID, "/requests: expected a group, found another object");
    char *buf = rc == IC_OK ? malloc(65536) : NULL;
    if (rc == IC_OK && !buf) rc = ic_error_set(err, IC_ERR_NOMEM, "out of memory");
    if (rc == IC_OK)
        rc = ic_h5in_attr_str((long long)g, json ? "headline_json" : "headline_text",
                              IC_H5IN_REQUIRED, buf, 65536, err);
    if (g >= 0) H5Gclose(g);
    if (rc != IC_OK) {
        free(buf);
        ic_h5in_prefix(err, path);
        return rc;
    }
    if (!json) fprintf(f, "%s\n", path);
    fputs(buf, f);
    free(buf);
    if (!json)
        fprintf(f, "  written  %s by infercap %s (%s)\n  command  %s\n", rep.created_utc,
                rep.version, rep.git_commit, rep.command_line);
    return IC_OK;
}
