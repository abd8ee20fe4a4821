/* trace.h: request traces for `infercap replay`.
 *
 * Three formats:
 *   mooncake  JSON Lines, one request per line: {"timestamp": ms since the trace start,
 *             "input_length": tokens, "output_length": tokens, "hash_ids": [ints]} where
 *             hash_ids name the prompt's 512-token prefix blocks (the Mooncake traces,
 *             github.com/kvcache-ai/Mooncake); equal ids mean a shared prefix, which a replica
 *             that has seen it serves from its prefix cache.
 *   azure     the Azure LLM inference traces (github.com/Azure/AzurePublicDataset): CSV with a
 *             header naming TIMESTAMP (ISO date-time, e.g. "2023-11-16 18:15:46.6805900"),
 *             ContextTokens and GeneratedTokens, in any column order.
 *   csv       a plain CSV: arrival seconds, input tokens, output tokens (a header line is
 *             allowed; '#' starts a comment line).
 * Arrivals are seconds from the first request (the trace's own origin is dropped), multiplied
 * by --time-scale (0.5 replays the trace at twice the load).  Requests are returned sorted by
 * arrival (stable: equal times keep their order).  A bad row is an error that names the file,
 * the line and the field; nothing is skipped silently. */
#ifndef IC_TRACE_H
#define IC_TRACE_H

#include "sim/core/error.h"

#include <stdint.h>

enum ic_trace_format { IC_TRACE_MOONCAKE, IC_TRACE_AZURE, IC_TRACE_CSV };

/* The block size of Mooncake's hash_ids, tokens. */
#define IC_TRACE_BLOCK_TOKENS 512

struct ic_trace {
    long n;
    double *arrival_s; /* [n] seconds from the first arrival, scaled, non-decreasing */
    int32_t *input;    /* [n] prompt tokens (>= 1) */
    int32_t *output;   /* [n] generated tokens (>= 1) */
    long *hash_start;  /* [n + 1] request i's prefix blocks are hashes[hash_start[i] ..
                          hash_start[i + 1]) (all empty outside mooncake) */
    int64_t *hashes;   /* the prefix blocks' ids, in prompt order */
    long n_hashes;
};

/* "mooncake", "azure" or "csv" -> the format; -1 when unknown. */
int ic_trace_format_parse(const char *name);
/* A trace's format from its name (.jsonl, .json: Mooncake) or, failing that, its first line
 * ("{": Mooncake; Azure's TIMESTAMP column; else the plain CSV).  A file that cannot be read is
 * taken for the plain CSV; reading it then reports the error. */
int ic_trace_format_guess(const char *path);

/* Read a trace.  time_scale > 0.  At most max_requests (0: no limit) are read; more is an
 * error naming the limit. */
int ic_trace_read(const char *path, int format, double time_scale, long max_requests,
                  struct ic_trace *t, struct ic_error *err);
void ic_trace_free(struct ic_trace *t);

#endif
