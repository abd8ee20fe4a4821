/* trace.c: request traces for `infercap replay` (see trace.h for the three formats).
 *
 * The file is read whole (ic_read_file) and split into lines in place: each line's '\n' (and a
 * '\r' before it, for CRLF files) is overwritten with '\0', so the fields can be handed to
 * strtod and cJSON without copying.  There is no line-length limit and no per-line allocation
 * outside the mooncake reader, where cJSON builds one small tree per line; a million-line csv
 * parses in a fraction of a second.
 *
 * Rows are appended to growable arrays (capacity doubling) holding each arrival in the format's
 * own unit (csv: seconds, mooncake: milliseconds, azure: 100 ns ticks as exact integers, since
 * an Azure time of day with 7 fractional digits on top of a Unix time of 1.7e9 s needs more than
 * a double's 53 bits).  Once the file is parsed, the earliest arrival is subtracted (in that
 * unit, so no precision is lost to the trace's origin), the result converted to seconds and
 * multiplied by time_scale, and the requests sorted by arrival.  Traces are usually sorted
 * already, which a linear scan detects; otherwise a merge sort of an index array (stable, so
 * equal arrivals keep their file order) and one permutation of every array, prefix blocks
 * included.
 *
 * Every rejected row names the file, the 1-based line, the field, the text received and what
 * was expected; nothing is skipped silently.  On any failure the trace is left empty.
 *
 * Other modules call ic_trace_format_parse, ic_trace_read and ic_trace_free. */
#include "sim/io/trace.h"

#include "sim/core/timeutil.h"
#include "sim/core/util.h"

#include <cjson/cJSON.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The largest trace file read (4 GiB): a limit against reading a wrong path such as a device,
 * far above real traces (the Azure week-long traces are under 1 GiB). */
#define TRACE_MAX_BYTES ((size_t)4 << 30)

/* Values quoted in messages are cut to this many characters. */
#define QUOTE_MAX 60

/* Ids of hash_ids must be exactly representable as doubles (cJSON parses numbers to double);
 * a larger id could silently merge with a neighbour. */
#define HASH_ID_MAX 9007199254740992.0 /* 2^53 */

int ic_trace_format_parse(const char *name) {
    if (!name) return -1;
    if (strcmp(name, "mooncake") == 0) return IC_TRACE_MOONCAKE;
    if (strcmp(name, "azure") == 0) return IC_TRACE_AZURE;
    if (strcmp(name, "csv") == 0) return IC_TRACE_CSV;
    return -1;
}

void ic_trace_free(struct ic_trace *t) {
    if (!t) return;
    free(t->arrival_s);
    free(t->input);
    free(t->output);
    free(t->hash_start);
    free(t->hashes);
    t->arrival_s = NULL;
    t->input = NULL;
    t->output = NULL;
    t->hash_start = NULL;
    t->hashes = NULL;
    t->n = 0;
    t->n_hashes = 0;
}

/* ---- Growable request arrays --------------------------------------------------------------- */

struct builder {
    const char *path;
    long max_requests;
    long n, cap;
    double *arrival;  /* in the format's unit until finish() */
    int32_t *input;   /* [cap] */
    int32_t *output;  /* [cap] */
    long *hash_start; /* [cap + 1]; hash_start[0] = 0 */
    int64_t *hashes;  /* [hcap] */
    long n_hashes, hcap;
};

static void builder_free(struct builder *b) {
    free(b->arrival);
    free(b->input);
    free(b->output);
    free(b->hash_start);
    free(b->hashes);
    b->arrival = NULL;
    b->input = NULL;
    b->output = NULL;
    b->hash_start = NULL;
    b->hashes = NULL;
}

/* realloc per element type (a void ** cast of a double ** would break strict aliasing); each
 * leaves the old block alone on failure. */
static int resize_f64(double **p, size_t n) {
    double *q = realloc(*p, n * sizeof *q);
    if (!q) return -1;
    *p = q;
    return 0;
}

static int resize_i32(int32_t **p, size_t n) {
    int32_t *q = realloc(*p, n * sizeof *q);
    if (!q) return -1;
    *p = q;
    return 0;
}

static int resize_long(long **p, size_t n) {
    long *q = realloc(*p, n * sizeof *q);
    if (!q) return -1;
    *p = q;
    return 0;
}

static int resize_i64(int64_t **p, size_t n) {
    int64_t *q = realloc(*p, n * sizeof *q);
    if (!q) return -1;
    *p = q;
    return 0;
}

static int builder_init(struct builder *b, const char *path, long max_requests,
                        struct ic_error *err) {
    memset(b, 0, sizeof *b);
    b->path = path;
    b->max_requests = max_requests;
    b->cap = 1024;
    b->hcap = 1024;
    b->arrival = malloc((size_t)b->cap * sizeof *b->arrival);
    b->input = malloc((size_t)b->cap * sizeof *b->input);
    b->output = malloc((size_t)b->cap * sizeof *b->output);
    b->hash_start = malloc((size_t)(b->cap + 1) * sizeof *b->hash_start);
    /* Always allocated, even for formats without prefix blocks, so that hashes + hash_start[i]
     * is never arithmetic on a null pointer. */
    b->hashes = malloc((size_t)b->hcap * sizeof *b->hashes);
    if (!b->arrival || !b->input || !b->output || !b->hash_start || !b->hashes) {
        builder_free(b);
        return ic_error_set(err, IC_ERR_NOMEM, "%s: out of memory", path);
    }
    b->hash_start[0] = 0;
    return IC_OK;
}

/* Append one request (its prefix blocks, if any, were pushed before). */
static int builder_push(struct builder *b, long line, double arrival, int32_t in, int32_t out,
                        struct ic_error *err) {
    if (b->max_requests > 0 && b->n >= b->max_requests)
        return ic_error_set(err, IC_ERR_INVALID,
                            "%s:%ld: more requests than the limit of %ld (max_requests); raise "
                            "the limit or cut the trace",
                            b->path, line, b->max_requests);
    if (b->n == b->cap) {
        long cap = b->cap * 2;
        if (resize_f64(&b->arrival, (size_t)cap) || resize_i32(&b->input, (size_t)cap) ||
            resize_i32(&b->output, (size_t)cap) || resize_long(&b->hash_start, (size_t)cap + 1))
            return ic_error_set(err, IC_ERR_NOMEM, "%s:%ld: out of memory", b->path, line);
        b->cap = cap;
    }
    b->arrival[b->n] = arrival;
    b->input[b->n] = in;
    b->output[b->n] = out;
    b->n++;
    b->hash_start[b->n] = b->n_hashes;
    return IC_OK;
}

static int builder_push_hash(struct builder *b, long line, int64_t id, struct ic_error *err) {
    if (b->n_hashes == b->hcap) {
        long cap = b->hcap * 2;
        if (resize_i64(&b->hashes, (size_t)cap))
            return ic_error_set(err, IC_ERR_NOMEM, "%s:%ld: out of memory", b->path, line);
        b->hcap = cap;
    }
    b->hashes[b->n_hashes++] = id;
    return IC_OK;
}

/* ---- Stable sort ---------------------------------------------------------------------------- */

/* Bottom-up merge sort of idx[0..n) by key[idx[]]; taking from the left run on ties keeps equal
 * keys in their original order.  tmp has n entries. */
static void merge_sort_index(const double *key, long *idx, long *tmp, long n) {
    long *src = idx, *dst = tmp;
    for (long width = 1; width < n; width *= 2) {
        for (long lo = 0; lo < n; lo += 2 * width) {
            long mid = lo + width < n ? lo + width : n;
            long hi = lo + 2 * width < n ? lo + 2 * width : n;
            long i = lo, j = mid, k = lo;
            while (i < mid && j < hi) dst[k++] = key[src[j]] < key[src[i]] ? src[j++] : src[i++];
            while (i < mid) dst[k++] = src[i++];
            while (j < hi) dst[k++] = src[j++];
        }
        long *s = src;
        src = dst;
        dst = s;
    }
    if (src != idx) memcpy(idx, src, (size_t)n * sizeof *idx);
}

/* Reorder every array of b by arrival (already in seconds). */
static int builder_sort(struct builder *b, struct ic_error *err) {
    long n = b->n;
    int sorted = 1;
    for (long i = 1; i < n && sorted; i++) sorted = b->arrival[i] >= b->arrival[i - 1];
    if (sorted) return IC_OK;

    long *idx = malloc((size_t)n * sizeof *idx);
    long *tmp = malloc((size_t)n * sizeof *tmp);
    double *arrival = malloc((size_t)n * sizeof *arrival);
    int32_t *input = malloc((size_t)n * sizeof *input);
    int32_t *output = malloc((size_t)n * sizeof *output);
    long *hash_start = malloc((size_t)(n + 1) * sizeof *hash_start);
    int64_t *hashes = malloc((size_t)(b->n_hashes > 0 ? b->n_hashes : 1) * sizeof *hashes);
    if (!idx || !tmp || !arrival || !input || !output || !hash_start || !hashes) {
        free(idx);
        free(tmp);
        free(arrival);
        free(input);
        free(output);
        free(hash_start);
        free(hashes);
        return ic_error_set(err, IC_ERR_NOMEM, "%s: out of memory sorting %ld requests", b->path,
                            n);
    }
    for (long i = 0; i < n; i++) idx[i] = i;
    merge_sort_index(b->arrival, idx, tmp, n);
    free(tmp);

    long h = 0;
    hash_start[0] = 0;
    for (long k = 0; k < n; k++) {
        long i = idx[k];
        arrival[k] = b->arrival[i];
        input[k] = b->input[i];
        output[k] = b->output[i];
        for (long j = b->hash_start[i]; j < b->hash_start[i + 1]; j++) hashes[h++] = b->hashes[j];
        hash_start[k + 1] = h;
    }
    free(idx);
    builder_free(b);
    b->arrival = arrival;
    b->input = input;
    b->output = output;
    b->hash_start = hash_start;
    b->hashes = hashes;
    b->cap = n;
    b->hcap = b->n_hashes > 0 ? b->n_hashes : 1;
    return IC_OK;
}

/* ---- Lines and fields ----------------------------------------------------------------------- */

struct lines {
    char *p, *end;
    long lineno; /* of the line last returned */
};

/* The next line, NUL-terminated in place without its "\n" or "\r\n"; NULL at the end. */
static char *next_line(struct lines *L) {
    if (L->p >= L->end) return NULL;
    char *s = L->p;
    char *nl = memchr(s, '\n', (size_t)(L->end - s));
    char *e = nl ? nl : L->end;
    L->p = nl ? nl + 1 : L->end;
    if (e > s && e[-1] == '\r') e--;
    *e = '\0';
    L->lineno++;
    return s;
}

static int is_blank(const char *s) {
    while (*s == ' ' || *s == '\t') s++;
    return *s == '\0';
}

/* The next comma-separated field of *cur, with surrounding spaces and tabs removed and
 * NUL-terminated in place; NULL when the line has no more fields (*cur == NULL). */
static char *next_field(char **cur) {
    char *s = *cur;
    if (!s) return NULL;
    char *c = strchr(s, ',');
    char *e = c ? c : s + strlen(s);
    *cur = c ? c + 1 : NULL;
    while (s < e && (*s == ' ' || *s == '\t')) s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t')) e--;
    *e = '\0';
    return s;
}

/* Remove one pair of surrounding double quotes, as spreadsheet and pandas exports may add. */
static char *unquote(char *s) {
    size_t n = strlen(s);
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        s[n - 1] = '\0';
        return s + 1;
    }
    return s;
}

static int bad_text(struct ic_error *err, const char *path, long line, const char *field,
                    const char *got, const char *expected) {
    size_t n = strlen(got);
    return ic_error_set(err, IC_ERR_INVALID, "%s:%ld: %s: got \"%.*s%s\", expected %s", path, line,
                        field, QUOTE_MAX, got, n > QUOTE_MAX ? "..." : "", expected);
}

/* Parse a token count: decimal digits only, 1 <= value <= INT32_MAX.  Returns 0 on success,
 * else sets err. */
static int parse_tokens(const char *s, const char *path, long line, const char *field, int32_t *out,
                        struct ic_error *err) {
    long long v = 0;
    const char *p = s;
    if (*p == '\0') return bad_text(err, path, line, field, s, "an integer >= 1");
    for (; *p; p++) {
        if (*p < '0' || *p > '9') return bad_text(err, path, line, field, s, "an integer >= 1");
        v = v * 10 + (*p - '0');
        if (v > INT32_MAX)
            return bad_text(err, path, line, field, s, "an integer from 1 to 2147483647");
    }
    if (v == 0)
        return bad_text(err, path, line, field, s,
                        "an integer >= 1 (a request with no tokens cannot be replayed)");
    *out = (int32_t)v;
    return IC_OK;
}

/* Parse arrival seconds: a finite decimal number >= 0.  The character check keeps strtod from
 * accepting hexadecimal, "inf" or "nan". */
static int parse_seconds(const char *s, const char *path, long line, const char *field, double *out,
                         struct ic_error *err) {
    const char *expected = "a finite number >= 0";
    if (*s == '\0' || strspn(s, "0123456789.eE+-") != strlen(s))
        return bad_text(err, path, line, field, s, expected);
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(v) || v < 0)
        return bad_text(err, path, line, field, s, expected);
    *out = v;
    return IC_OK;
}

/* ---- csv ------------------------------------------------------------------------------------ */

static int read_csv(struct lines *L, struct builder *b, struct ic_error *err) {
    static const char *const names[3] = {"arrival seconds", "input tokens", "output tokens"};
    int seen_row = 0; /* a header is allowed only before the first row */
    char *line;
    while ((line = next_line(L))) {
        if (is_blank(line)) continue;
        const char *first = line + strspn(line, " \t");
        if (*first == '#') continue;
        /* A header's first field starts with a letter or a quote ("arrival_s", "time");
         * anything that looks like the start of a number is a row, so a typo such as "1x" in
         * the first row is reported instead of skipped as a header. */
        if (!seen_row && !strchr("0123456789+-.", *first)) {
            seen_row = 1;
            continue;
        }
        seen_row = 1;
        char *cur = line, *f[3];
        int nf = 0;
        char *s;
        while ((s = next_field(&cur))) {
            if (nf < 3) f[nf] = s;
            nf++;
        }
        if (nf != 3)
            return ic_error_set(err, IC_ERR_INVALID,
                                "%s:%ld: got %d field%s, expected 3 (arrival seconds, input "
                                "tokens, output tokens)",
                                b->path, L->lineno, nf, nf == 1 ? "" : "s");
        /* Zeroed because the compiler cannot tell that a failed parse returns non-zero. */
        double t = 0;
        int32_t in = 0, out = 0;
        int rc = parse_seconds(f[0], b->path, L->lineno, names[0], &t, err);
        if (!rc) rc = parse_tokens(f[1], b->path, L->lineno, names[1], &in, err);
        if (!rc) rc = parse_tokens(f[2], b->path, L->lineno, names[2], &out, err);
        if (!rc) rc = builder_push(b, L->lineno, t, in, out, err);
        if (rc) return rc;
    }
    return IC_OK;
}

/* ---- azure ---------------------------------------------------------------------------------- */

static int ascii_casecmp(const char *a, const char *b) {
    for (;; a++, b++) {
        int ca = (unsigned char)*a, cb = (unsigned char)*b;
        if (ca >= 'A' && ca <= 'Z') ca += 'a' - 'A';
        if (cb >= 'A' && cb <= 'Z') cb += 'a' - 'A';
        if (ca != cb || ca == '\0') return ca - cb;
    }
}

static int digits_n(const char *s, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* "YYYY-MM-DD HH:MM:SS[.fffffff][Z|+HH:MM|-HH:MM]" -> 100 ns ticks since 1970-01-01 UTC.  A
 * time without an offset is taken as UTC (the Azure traces have none; no local time zone is
 * ever consulted).  Integer arithmetic throughout: full precision.  Returns 0 or -1. */
static int parse_azure_time(const char *s, int64_t *ticks) {
    int Y, M, D, h, mi, sec;
    if (strlen(s) < 19 || digits_n(s, 4, &Y) || s[4] != '-' || digits_n(s + 5, 2, &M) ||
        s[7] != '-' || digits_n(s + 8, 2, &D) || (s[10] != ' ' && s[10] != 'T') ||
        digits_n(s + 11, 2, &h) || s[13] != ':' || digits_n(s + 14, 2, &mi) || s[16] != ':' ||
        digits_n(s + 17, 2, &sec))
        return -1;
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
    if (M < 1 || M > 12 || D < 1 || D > dm[M - 1] + (M == 2 && leap) || h > 23 || mi > 59 ||
        sec > 59)
        return -1;
    const char *p = s + 19;
    int64_t frac = 0;
    if (*p == '.') {
        int nd = 0;
        p++;
        while (*p >= '0' && *p <= '9') {
            if (++nd > 7) return -1;
            frac = frac * 10 + (*p++ - '0');
        }
        if (nd == 0) return -1;
        for (; nd < 7; nd++) frac *= 10;
    }
    int offset_s = 0;
    if (*p != '\0' && ic_parse_utc_offset(p, &offset_s) != 0) return -1;
    int64_t days = ic_days_from_civil(Y, (unsigned)M, (unsigned)D);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset_s;
    *ticks = secs * 10000000 + frac;
    return 0;
}

static int read_azure(struct lines *L, struct builder *b, struct ic_error *err) {
    static const char *const want[3] = {"TIMESTAMP", "ContextTokens", "GeneratedTokens"};
    char *line;
    while ((line = next_line(L)) && is_blank(line)) {
    }
    if (!line) return IC_OK; /* empty file: reported as "no requests" by the caller */

    /* The header: find the three columns, in any order, among any others. */
    long header_line = L->lineno;
    int col[3] = {-1, -1, -1}, ncols = 0;
    char found[256] = "";
    char *cur = line, *s;
    while ((s = next_field(&cur))) {
        s = unquote(s);
        size_t used = strlen(found);
        if (used + 1 < sizeof found)
            snprintf(found + used, sizeof found - used, "%s%s", ncols ? ", " : "", s);
        for (int k = 0; k < 3; k++) {
            if (ascii_casecmp(s, want[k]) != 0) continue;
            if (col[k] >= 0)
                return ic_error_set(err, IC_ERR_INVALID,
                                    "%s:%ld: header: column %s appears twice (columns %d and %d)",
                                    b->path, header_line, want[k], col[k] + 1, ncols + 1);
            col[k] = ncols;
        }
        ncols++;
    }
    for (int k = 0; k < 3; k++)
        if (col[k] < 0)
            return ic_error_set(err, IC_ERR_INVALID,
                                "%s:%ld: header: no column named %s (found: %s); an Azure trace's "
                                "header names TIMESTAMP, ContextTokens and GeneratedTokens",
                                b->path, header_line, want[k], found);

    int64_t t0 = 0;
    int have_t0 = 0;
    while ((line = next_line(L))) {
        if (is_blank(line)) continue;
        char *f[3] = {NULL, NULL, NULL};
        int nf = 0;
        cur = line;
        while ((s = next_field(&cur))) {
            for (int k = 0; k < 3; k++)
                if (col[k] == nf) f[k] = unquote(s);
            nf++;
        }
        if (nf != ncols)
            return ic_error_set(err, IC_ERR_INVALID,
                                "%s:%ld: got %d field%s, expected %d as in the header (line %ld)",
                                b->path, L->lineno, nf, nf == 1 ? "" : "s", ncols, header_line);
        int64_t ticks = 0;
        if (parse_azure_time(f[0], &ticks) != 0)
            return bad_text(err, b->path, L->lineno, want[0], f[0],
                            "a date-time YYYY-MM-DD HH:MM:SS[.fffffff] (UTC)");
        int32_t in = 0, out = 0;
        int rc = parse_tokens(f[1], b->path, L->lineno, want[1], &in, err);
        if (!rc) rc = parse_tokens(f[2], b->path, L->lineno, want[2], &out, err);
        if (rc) return rc;
        /* Ticks relative to the first row are exact in a double for spans up to 2^53 ticks
         * (28 years), and cannot overflow for any four-digit year; the minimum is subtracted
         * later. */
        if (!have_t0) {
            t0 = ticks;
            have_t0 = 1;
        }
        rc = builder_push(b, L->lineno, (double)(ticks - t0), in, out, err);
        if (rc) return rc;
    }
    return IC_OK;
}

/* ---- mooncake ------------------------------------------------------------------------------- */

/* The JSON text of an item for a message ("missing" when absent), cut to QUOTE_MAX. */
static void describe_json(const cJSON *item, char *buf, size_t size) {
    if (!item) {
        snprintf(buf, size, "missing");
        return;
    }
    if (cJSON_IsNumber(item)) {
        /* Shortest of 15 or 17 significant digits that round-trips, as cJSON prints. */
        double v = item->valuedouble;
        snprintf(buf, size, "%.15g", v);
        if (strtod(buf, NULL) != v) snprintf(buf, size, "%.17g", v);
        return;
    }
    char *text = cJSON_PrintUnformatted(item);
    if (!text) {
        snprintf(buf, size, "(a JSON value)");
        return;
    }
    size_t n = strlen(text);
    snprintf(buf, size, "%.*s%s", QUOTE_MAX, text, n > QUOTE_MAX ? "..." : "");
    free(text);
}

static int bad_json(struct ic_error *err, const char *path, long line, const char *field,
                    const cJSON *item, const char *expected) {
    char got[QUOTE_MAX + 16];
    describe_json(item, got, sizeof got);
    return ic_error_set(err, IC_ERR_INVALID, "%s:%ld: %s: got %s, expected %s", path, line, field,
                        got, expected);
}

static int json_tokens(const cJSON *obj, const char *name, const char *path, long line,
                       int32_t *out, struct ic_error *err) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!cJSON_IsNumber(it) || !(it->valuedouble >= 1) || it->valuedouble > INT32_MAX ||
        it->valuedouble != floor(it->valuedouble)) {
        const char *expected = "an integer >= 1";
        if (cJSON_IsNumber(it) && it->valuedouble == 0)
            expected = "an integer >= 1 (a request with no tokens cannot be replayed)";
        else if (cJSON_IsNumber(it) && it->valuedouble > INT32_MAX)
            expected = "an integer from 1 to 2147483647";
        return bad_json(err, path, line, name, it, expected);
    }
    *out = (int32_t)it->valuedouble;
    return IC_OK;
}

static int mooncake_row(const cJSON *obj, struct builder *b, long line, struct ic_error *err) {
    const char *path = b->path;
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(obj, "timestamp");
    if (!cJSON_IsNumber(ts) || !isfinite(ts->valuedouble) || !(ts->valuedouble >= 0))
        return bad_json(err, path, line, "timestamp", ts, "a number >= 0 (milliseconds)");
    int32_t in = 0, out = 0;
    int rc = json_tokens(obj, "input_length", path, line, &in, err);
    if (!rc) rc = json_tokens(obj, "output_length", path, line, &out, err);
    if (rc) return rc;

    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(obj, "hash_ids");
    if (ids) {
        if (!cJSON_IsArray(ids))
            return bad_json(err, path, line, "hash_ids", ids, "an array of integers");
        /* A real trace has ceil(input_length / 512) ids; one more than the whole blocks is
         * tolerated, more means the ids do not belong to this prompt. */
        int n_ids = cJSON_GetArraySize(ids);
        long most = in / IC_TRACE_BLOCK_TOKENS + 1;
        if (n_ids > most)
            return ic_error_set(err, IC_ERR_INVALID,
                                "%s:%ld: hash_ids: got %d ids for input_length %d, expected at "
                                "most %ld (one per %d-token block)",
                                path, line, n_ids, (int)in, most, IC_TRACE_BLOCK_TOKENS);
        int k = 0;
        for (const cJSON *id = ids->child; id; id = id->next, k++) {
            if (!cJSON_IsNumber(id) || id->valuedouble != floor(id->valuedouble) ||
                fabs(id->valuedouble) > HASH_ID_MAX) {
                char field[48];
                snprintf(field, sizeof field, "hash_ids[%d]", k);
                return bad_json(err, path, line, field, id, "an integer (at most 2^53 in size)");
            }
            rc = builder_push_hash(b, line, (int64_t)id->valuedouble, err);
            if (rc) return rc;
        }
    }
    return builder_push(b, line, ts->valuedouble, in, out, err);
}

static int read_mooncake(struct lines *L, struct builder *b, struct ic_error *err) {
    char *line;
    while ((line = next_line(L))) {
        if (is_blank(line)) continue;
        const char *end = NULL;
        cJSON *obj = cJSON_ParseWithOpts(line, &end, 1);
        if (!obj) {
            long col = end && end >= line ? (long)(end - line) + 1 : 1;
            return ic_error_set(err, IC_ERR_INVALID,
                                "%s:%ld: not valid JSON (syntax error at column %ld); expected "
                                "one JSON object per line",
                                b->path, L->lineno, col);
        }
        int rc;
        if (!cJSON_IsObject(obj)) {
            char got[QUOTE_MAX + 16];
            describe_json(obj, got, sizeof got);
            rc = ic_error_set(err, IC_ERR_INVALID,
                              "%s:%ld: got %s, expected a JSON object {\"timestamp\": ..., "
                              "\"input_length\": ..., \"output_length\": ..., \"hash_ids\": [...]}",
                              b->path, L->lineno, got);
        } else {
            rc = mooncake_row(obj, b, L->lineno, err);
        }
        cJSON_Delete(obj);
        if (rc) return rc;
    }
    return IC_OK;
}

/* ---- Entry point ---------------------------------------------------------------------------- */

/* Arrivals to seconds from the earliest, scaled; `per_s` is the format's units per second. */
static int finish_arrivals(struct builder *b, double per_s, double time_scale,
                           struct ic_error *err) {
    double lo = b->arrival[0];
    for (long i = 1; i < b->n; i++)
        if (b->arrival[i] < lo) lo = b->arrival[i];
    for (long i = 0; i < b->n; i++) {
        double t = (b->arrival[i] - lo) / per_s * time_scale;
        if (!isfinite(t))
            return ic_error_set(err, IC_ERR_INVALID,
                                "%s: arrivals span too long to scale by time_scale %g", b->path,
                                time_scale);
        b->arrival[i] = t;
    }
    return IC_OK;
}

int ic_trace_read(const char *path, int format, double time_scale, long max_requests,
                  struct ic_trace *t, struct ic_error *err) {
    memset(t, 0, sizeof *t);
    if (format != IC_TRACE_MOONCAKE && format != IC_TRACE_AZURE && format != IC_TRACE_CSV)
        return ic_error_set(err, IC_ERR_INVALID,
                            "%s: unknown trace format %d; expected mooncake, azure or csv", path,
                            format);
    if (!(time_scale > 0) || !isfinite(time_scale))
        return ic_error_set(err, IC_ERR_INVALID, "%s: time_scale: got %g, expected a number > 0",
                            path, time_scale);
    if (max_requests < 0)
        return ic_error_set(err, IC_ERR_INVALID,
                            "%s: max_requests: got %ld, expected 0 (no limit) or more", path,
                            max_requests);

    char *buf;
    size_t len;
    int rc = ic_read_file(path, TRACE_MAX_BYTES, &buf, &len, err);
    if (rc) return rc;
    /* A NUL byte would end a line early and hide the rest of it: refuse (a binary file, or a
     * compressed trace given without decompressing it). */
    size_t text_len = strlen(buf);
    if (text_len != len) {
        long line = 1;
        for (size_t i = 0; i < text_len; i++) line += buf[i] == '\n';
        free(buf);
        return ic_error_set(err, IC_ERR_INVALID,
                            "%s:%ld: contains a NUL byte; expected a text file (a compressed "
                            "trace must be decompressed first)",
                            path, line);
    }

    /* A carriage return that does not end a CRLF pair: the lines end in CR alone (classic Mac
     * OS), or lines are joined by stray CRs.  Read as they are, such a file would be one long
     * line with a puzzling error about its fields; say what it is instead. */
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != '\r' || i + 1 == len || buf[i + 1] == '\n') continue;
        long line = 1, crs = 0, lfs = 0;
        for (size_t j = 0; j < i; j++) line += buf[j] == '\n';
        for (size_t j = 0; j < len; j++) {
            crs += buf[j] == '\r' && (j + 1 == len || buf[j + 1] != '\n');
            lfs += buf[j] == '\n';
        }
        free(buf);
        if (lfs == 0)
            return ic_error_set(err, IC_ERR_INVALID,
                                "%s: lines end in a carriage return alone (CR, old Mac line "
                                "endings: %ld of them, no line feed); convert them to LF or CRLF, "
                                "e.g. tr '\\r' '\\n' < %s > NEW",
                                path, crs, path);
        return ic_error_set(err, IC_ERR_INVALID,
                            "%s:%ld: a carriage return (CR) not followed by a line feed: mixed "
                            "line endings (%ld bare CR, %ld LF); convert the bare CRs to LF",
                            path, line, crs, lfs);
    }

    struct builder b;
    rc = builder_init(&b, path, max_requests, err);
    if (rc) {
        free(buf);
        return rc;
    }
    struct lines L = {buf, buf + len, 0};
    /* A UTF-8 byte order mark, as some Windows tools write, is not part of the first field. */
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) L.p += 3;

    double per_s = 1;
    switch (format) {
    case IC_TRACE_MOONCAKE:
        rc = read_mooncake(&L, &b, err);
        per_s = 1e3;
        break;
    case IC_TRACE_AZURE:
        rc = read_azure(&L, &b, err);
        per_s = 1e7;
        break;
    default:
        rc = read_csv(&L, &b, err);
        break;
    }
    free(buf);
    if (!rc && b.n == 0)
        rc = ic_error_set(err, IC_ERR_INVALID,
                          "%s: no requests (the file holds no rows, only empty lines, comments or "
                          "a header)",
                          path);
    if (!rc) rc = finish_arrivals(&b, per_s, time_scale, err);
    if (!rc) rc = builder_sort(&b, err);
    if (rc) {
        builder_free(&b);
        return rc;
    }

    /* Give back the unused tail of the geometric growth (at most half); a failed shrink keeps
     * the larger block. */
    resize_f64(&b.arrival, (size_t)b.n);
    resize_i32(&b.input, (size_t)b.n);
    resize_i32(&b.output, (size_t)b.n);
    resize_long(&b.hash_start, (size_t)b.n + 1);
    if (b.n_hashes > 0) resize_i64(&b.hashes, (size_t)b.n_hashes);

    t->n = b.n;
    t->arrival_s = b.arrival;
    t->input = b.input;
    t->output = b.output;
    t->hash_start = b.hash_start;
    t->hashes = b.hashes;
    t->n_hashes = b.n_hashes;
    return IC_OK;
}

int ic_trace_format_guess(const char *path) {
    size_t n = strlen(path);
    if ((n > 6 && strcmp(path + n - 6, ".jsonl") == 0) ||
        (n > 5 && strcmp(path + n - 5, ".json") == 0))
        return IC_TRACE_MOONCAKE;
    FILE *f = fopen(path, "r");
    char line[4096] = "";
    if (f) {
        if (!fgets(line, sizeof line, f)) line[0] = '\0';
        fclose(f);
    }
    for (char *c = line; *c; c++)
        if (*c >= 'a' && *c <= 'z') *c = (char)(*c - 'a' + 'A');
    if (line[0] == '{') return IC_TRACE_MOONCAKE;
    return strstr(line, "TIMESTAMP") ? IC_TRACE_AZURE : IC_TRACE_CSV;
}
