/* fuzz_trace.c: libFuzzer target for the trace readers.  The first byte picks the format
 * (mooncake, azure, csv); the rest is the file. */
#include "sim/io/trace.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > (1u << 20)) return 0;
    char path[64];
    snprintf(path, sizeof path, "/tmp/ic-fuzz-trace-%ld", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data + 1, 1, size - 1, f);
    fclose(f);
    struct ic_trace t;
    struct ic_error err = {0};
    if (ic_trace_read(path, data[0] % 3, 1.0 + (data[0] >> 2) / 16.0, 100000, &t, &err) == IC_OK)
        ic_trace_free(&t);
    unlink(path);
    return 0;
}
