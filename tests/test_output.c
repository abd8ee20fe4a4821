/* test_output.c: the HDF5 writer: temporary file and rename, layout, dimension scales,
 * attributes, early failure on a bad directory, and reading the headline back. */
#include "sim/config/catalog_io.h"
#include "check.h"
#include "sim/engine/engine.h"
#include "sim/io/h5in.h"
#include "sim/io/output.h"

#include <hdf5.h>
#include <hdf5_hl.h>
#include <unistd.h>

static const char *small =
    "{\"name\": \"o\", \"paths\": 9, \"start\": \"2024-03-18T00:00:00+08:00\", \"horizon_days\": "
    "0.5, \"output\": {\"interval_s\": 600, \"store_paths\": 4},\n"
    " \"traffic\": {\"growth\": {\"initial\": {\"dist\": \"uniform\", \"min\": 1e5, "
    "\"max\": 4e5}}},\n"
    " \"model\": \"llama-3.1-8b\", \"accelerator\": \"nvidia_h100_sxm\", \"fleet\": "
    "{\"accelerators\": 16}}";

static int has_scale(hid_t fid, const char *dset, unsigned idx, const char *scale) {
    hid_t d = H5Dopen2(fid, dset, H5P_DEFAULT), s = H5Dopen2(fid, scale, H5P_DEFAULT);
    int r = d >= 0 && s >= 0 && H5DSis_attached(d, s, idx) > 0;
    if (d >= 0) H5Dclose(d);
    if (s >= 0) H5Dclose(s);
    return r;
}

int main(void) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (ic_h5in_init() != 0) return 1;
    struct ic_catalog cat;
    struct ic_error err = {0};
    if (ic_catalog_builtin(&cat, &err)) return 1;
    struct ic_scenario *sc = malloc(sizeof *sc);
    struct ic_diag d;
    ic_diag_init(&d);
    struct ic_load_opts o = {.sets = NULL, .n_sets = 0};
    CHECK(ic_scenario_load_string(small, "o.json", &o, &cat, sc, &d, &err) == 0);
    struct ic_plan plan;
    struct ic_results res;
    CHECK(ic_plan_compile(sc, &plan, &err) == 0);
    CHECK(ic_results_alloc(&plan, &res, &err) == 0);
    CHECK(ic_engine_run(&plan, NULL, &res, &err) == 0);
    CHECK(ic_results_reduce(&plan, &res, &err) == 0);

    char dir[] = "/tmp/ic_test_output_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256], missing[256];
    snprintf(path, sizeof path, "%s/r.h5", dir);
    snprintf(missing, sizeof missing, "%s/nope/r.h5", dir);

    /* A missing directory fails at open, before any simulation. */
    struct ic_output out;
    CHECK(ic_output_open(&out, missing, &err) == IC_ERR_IO);
    CHECK_STR_CONTAINS(err.msg, "nope/r.h5: cannot create the output file");

    /* Abort leaves nothing behind. */
    CHECK(ic_output_open(&out, path, &err) == 0);
    CHECK(access(out.tmp, F_OK) == 0 && access(path, F_OK) != 0);
    ic_output_abort(&out);
    CHECK(access(out.tmp, F_OK) != 0 && access(path, F_OK) != 0);

    /* Commit renames the temporary file into place. */
    CHECK(ic_output_open(&out, path, &err) == 0);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s", out.tmp);
    char *json = ic_scenario_resolved_json(sc);
    struct ic_provenance prov = {"infercap run o.json", "9.8.7", "abc123"};
    CHECK(ic_output_commit(&out, &plan, &res, json, &prov, &err) == 0);
    CHECK(access(path, F_OK) == 0 && access(tmp, F_OK) != 0);

    hid_t fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(fid >= 0);
    CHECK(has_scale(fid, "/series/arrivals_per_s", 0, "/stored_path"));
    CHECK(has_scale(fid, "/series/arrivals_per_s", 1, "/time"));
    CHECK(has_scale(fid, "/bands/ttft_s", 0, "/quantile"));
    CHECK(has_scale(fid, "/summary/outage", 0, "/path"));
    CHECK(has_scale(fid, "/inputs/traffic.growth.initial", 0, "/path"));
    hsize_t dims[2] = {0, 0};
    CHECK(H5LTget_dataset_info(fid, "/series/utilization", dims, NULL, NULL) >= 0);
    CHECK(dims[0] == 4 && dims[1] == 72); /* 12 h / 600 s */
    CHECK(H5LTget_dataset_info(fid, "/bands/utilization", dims, NULL, NULL) >= 0);
    CHECK(dims[0] == 5 && dims[1] == 72);
    CHECK(H5LTget_dataset_info(fid, "/summary/cost_usd", dims, NULL, NULL) >= 0);
    CHECK(dims[0] == 9);
    double p = -1;
    CHECK(H5LTget_attribute_double(fid, "/summary", "outage_probability", &p) >= 0);
    CHECK(p == res.head.p_outage);
    /* Stored series are the first paths' rows, bit for bit. */
    float row[72];
    hid_t ds = H5Dopen2(fid, "/series/arrivals_per_s", H5P_DEFAULT);
    hsize_t start[2] = {2, 0}, count[2] = {1, 72};
    hid_t fs = H5Dget_space(ds), ms = H5Screate_simple(1, &count[1], NULL);
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    CHECK(H5Dread(ds, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, row) >= 0);
    CHECK(memcmp(row, ic_series_row(&res, IC_S_ARRIVALS, 2), sizeof row) == 0);
    H5Sclose(ms);
    H5Sclose(fs);
    H5Dclose(ds);
    H5Fclose(fid);

    /* info reads the headline back. */
    FILE *f = tmpfile();
    CHECK(ic_output_info(path, 1, f, &err) == 0);
    char buf[4096] = "";
    rewind(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    CHECK_STR_CONTAINS(buf, "\"scenario\":\"o\"");
    CHECK_STR_CONTAINS(buf, "\"infercap_version\":\"9.8.7\"");
    CHECK_STR_CONTAINS(buf, "\"git_commit\":\"abc123\"");
    CHECK(ic_output_info(missing, 0, stdout, &err) == IC_ERR_IO);

    unlink(path);
    rmdir(dir);
    free(json);
    ic_results_free(&res);
    ic_plan_free(&plan);
    free(sc);
    ic_catalog_free(&cat);
    return check_report("test_output");
}
