/* util.c: file reading, suggestions, JSON Pointer escaping (see util.h). */
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int ic_read_file(const char *path, size_t max_bytes, char **buf, size_t *len,
                 struct ic_error *err) {
    *buf = NULL;
    *len = 0;
    struct stat st;
    if (stat(path, &st) != 0)
        return ic_error_set(err, IC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return ic_error_set(err, IC_ERR_IO, "%s: is a directory, not a file", path);
    FILE *f = fopen(path, "rb");
    if (!f) return ic_error_set(err, IC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *b = malloc(cap + 1);
    if (!b) {
        fclose(f);
        return ic_error_set(err, IC_ERR_NOMEM, "%s: out of memory", path);
    }
    for (;;) {
        if (n == cap) {
            if (cap >= max_bytes) {
                free(b);
                fclose(f);
                return ic_error_set(err, IC_ERR_INVALID, "%s: larger than the limit of %zu bytes",
                                    path, max_bytes);
            }
            cap = cap * 2 > max_bytes ? max_bytes : cap * 2;
            char *nb = realloc(b, cap + 1);
            if (!nb) {
                free(b);
                fclose(f);
                return ic_error_set(err, IC_ERR_NOMEM, "%s: out of memory", path);
            }
            b = nb;
        }
        size_t got = fread(b + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(b);
        return ic_error_set(err, IC_ERR_IO, "%s: read error", path);
    }
    if (n > max_bytes) {
        free(b);
        return ic_error_set(err, IC_ERR_INVALID, "%s: larger than the limit of %zu bytes", path,
                            max_bytes);
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return IC_OK;
}

int ic_edit_distance(const char *a, const char *b) {
    /* Optimal string alignment distance: Levenshtein plus adjacent transpositions ("rnu" is one
     * edit from "run"), the commonest typo (Damerau 1964). */
    size_t la = strlen(a), lb = strlen(b);
    if (la > 255) la = 255;
    if (lb > 255) lb = 255;
    int prev2[256], prev[256], cur[256];
    for (size_t j = 0; j <= lb; j++) prev[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            int del = prev[j] + 1, ins = cur[j - 1] + 1;
            int best = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < best)
                best = prev2[j - 2] + 1;
            cur[j] = best;
        }
        memcpy(prev2, prev, (lb + 1) * sizeof *prev);
        memcpy(prev, cur, (lb + 1) * sizeof *cur);
    }
    return prev[lb];
}

static void lower(const char *in, char *out, size_t size) {
    size_t i = 0;
    for (; in[i] && i + 1 < size; i++)
        out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? (char)(in[i] - 'A' + 'a') : in[i];
    out[i] = '\0';
}

void ic_did_you_mean(const char *word, const char *const *cands, size_t n, char *buf, size_t size) {
    buf[0] = '\0';
    if (!cands || size < 2) return;
    char w[256], c[256];
    lower(word, w, sizeof w);
    size_t len = strlen(w);
    /* Plausible typos: a few edits, more for longer words; case is ignored. */
    int limit = len <= 4 ? 1 : (len <= 8 ? 2 : 3);
    int best = 1 << 30;
    int *dist = malloc((n ? n : 1) * sizeof *dist);
    if (!dist) return;
    for (size_t i = 0; i < n; i++) {
        dist[i] = 1 << 30;
        if (!cands[i]) continue;
        lower(cands[i], c, sizeof c);
        size_t lc = strlen(c);
        dist[i] = ic_edit_distance(w, c);
        /* A long shared beginning ("long-docs" for "long-document") also counts as close. */
        size_t common = 0;
        while (w[common] && w[common] == c[common]) common++;
        if (common >= 4 && common + 2 >= len && dist[i] > 1) dist[i] = 1;
        if (len >= 3 && len < lc &&
            (strncmp(w, c, len) == 0 || (len >= 5 && strcmp(w, c + lc - len) == 0))) {
            /* The word starts or ends a candidate ("nvidia_h100" of "nvidia_h100_sxm",
             * "ascend_910b" of "huawei_ascend_910b"). */
            dist[i] = -1;
        }
        if (dist[i] < best) best = dist[i];
    }
    /* An exact match but for case, or prefixes: only those.  Otherwise the closest
     * candidates and those one edit further. */
    int span = best <= 0 ? 0 : 1;
    if (best > limit) {
        free(dist);
        return;
    }
    /* The closest candidates, and those one edit further (up to three in all). */
    size_t used = (size_t)snprintf(buf, size, "; did you mean ");
    int shown = 0;
    for (int d = best; d <= best + span && d <= limit; d++)
        for (size_t i = 0; i < n && shown < 3; i++) {
            if (dist[i] != d) continue;
            int k = snprintf(buf + used, size - used, "%s\"%s\"", shown ? " or " : "", cands[i]);
            if (k < 0 || (size_t)k >= size - used) break;
            used += (size_t)k;
            shown++;
        }
    snprintf(buf + used, size - used, "?");
    free(dist);
}

void ic_pointer_append(char *buf, size_t size, const char *token) {
    size_t n = strlen(buf);
    if (n + 1 >= size) return;
    buf[n++] = '/';
    for (const char *p = token; *p && n + 2 < size; p++) {
        if (*p == '~') {
            buf[n++] = '~';
            buf[n++] = '0';
        } else if (*p == '/') {
            buf[n++] = '~';
            buf[n++] = '1';
        } else {
            buf[n++] = *p;
        }
    }
    buf[n] = '\0';
}

void ic_strlcpy(char *dst, const char *src, size_t size) {
    if (size == 0) return;
    size_t n = strlen(src);
    if (n >= size) n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

double ic_peak_rss_bytes(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return 0;
    char line[256];
    double kb = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0) {
            kb = strtod(line + 6, NULL);
            break;
        }
    fclose(f);
    return kb * 1024.0;
}
