/* fuzz_result.c: libFuzzer target for the readers of result files (h5in.c and its callers).
 * The bytes are an HDF5 file: `info` (text and JSON) and the point-file tag reader read it as
 * an in-memory image (HDF5's core driver); `merge` reads it from a file in /dev/shm (it takes
 * paths) when its scenario is small enough to compile quickly.  Every input must be read or
 * refused with a message, never crash, hang or leak. */
#include "sim/config/catalog_io.h"
#include "sim/io/h5in.h"
#include "sim/io/output.h"
#include "sim/config/scenario.h"
#include "sim/drivers/sweeprun.h"

#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ic_catalog cat;
static FILE *devnull;

/* Whether the file's own scenario is small enough for merge to compile and copy quickly. */
static int small_scenario(long long fid) {
    struct ic_error err = {0};
    char *text = NULL;
    if (ic_h5in_dset_text(fid, "scenario", 1 << 20, &text, &err) != IC_OK) return 0;
    struct ic_scenario *sc = malloc(sizeof *sc);
    struct ic_diag d;
    ic_diag_init(&d);
    struct ic_load_opts o = {.sets = NULL, .n_sets = 0};
    int ok = sc && ic_scenario_load_string(text, "fuzz.h5", &o, &cat, sc, &d, &err) == IC_OK &&
             sc->paths <= 2000 && sc->horizon_days * 86400.0 / sc->step_s < 5e4 &&
             sc->horizon_days * 86400.0 / sc->output.interval_s < 5e3 &&
             sc->output.store_paths <= 100;
    ic_diag_free(&d);
    free(sc);
    free(text);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!devnull) {
        struct ic_error e;
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        if (ic_h5in_init() != 0) abort();
        if (ic_catalog_builtin(&cat, &e) != IC_OK) abort();
        devnull = fopen("/dev/null", "w");
        if (!devnull) abort();
    }
    if (size < 8 || size > (1u << 20)) return 0;
    struct ic_error err = {0};
    long long fid = -1;
    if (ic_h5in_open_image(data, size, &fid, &err) != IC_OK) return 0;
    ic_output_info_open(fid, "image.h5", 0, devnull, &err);
    ic_output_info_open(fid, "image.h5", 1, devnull, &err);
    char hash[40], phash[40];
    long long index = 0, partial = 0;
    ic_sweep_read_point_tag(fid, hash, &index, phash, &partial, &err);
    int merge = small_scenario(fid);
    ic_h5in_close(fid);
    if (merge) {
        char in[64], out[64];
        snprintf(in, sizeof in, "/dev/shm/ic-fuzz-result-%ld.h5", (long)getpid());
        snprintf(out, sizeof out, "/dev/shm/ic-fuzz-result-%ld-out.h5", (long)getpid());
        FILE *f = fopen(in, "wb");
        if (f) {
            int ok = fwrite(data, 1, size, f) == size;
            if (fclose(f) == 0 && ok) {
                const char *parts[1] = {in};
                ic_sweep_merge(parts, 1, out, "fuzz", &cat, &err);
            }
            unlink(in);
            unlink(out);
        }
    }
    return 0;
}
