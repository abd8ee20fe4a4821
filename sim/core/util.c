/* util.c: file reading, suggestions, JSON Pointer escaping (see util.h). */
#include "sim/core/util.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* ---- outputs that must not destroy inputs ---------------------------------------------------- */

static const char *file_kind(mode_t m) {
    if (S_ISDIR(m)) return "a directory";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISFIFO(m)) return "a FIFO (named pipe)";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

/* The input among inputs[] that st is (the same device and inode), or -1. */
static long same_as_input(const struct stat *st, const char *const *inputs, size_t n) {
    for (size_t i = 0; i < n; i++) {
        struct stat si;
        if (inputs[i] && inputs[i][0] && stat(inputs[i], &si) == 0 && si.st_dev == st->st_dev &&
            si.st_ino == st->st_ino)
            return (long)i;
    }
    return -1;
}

/* Split path into its directory (".", or the part before the last '/') and its last name. */
static const char *split_path(const char *path, char *dir, size_t size) {
    ic_strlcpy(dir, path, size);
    char *slash = strrchr(dir, '/');
    if (!slash) {
        ic_strlcpy(dir, ".", size);
        return path;
    }
    *(slash == dir ? slash + 1 : slash) = '\0';
    return path + (slash - dir) + 1;
}

/* The input among inputs[] named like a temporary of out (OUT.tmp-..., in the same directory),
 * which ic_clean_stale_temporaries could delete; or -1. */
static long named_like_a_temporary(const char *out, const char *const *inputs, size_t n) {
    char od[4096], id[4096], prefix[4200];
    const char *ob = split_path(out, od, sizeof od);
    snprintf(prefix, sizeof prefix, "%s.tmp-", ob);
    struct stat so, si;
    for (size_t i = 0; i < n; i++) {
        if (!inputs[i] || !inputs[i][0]) continue;
        const char *ib = split_path(inputs[i], id, sizeof id);
        if (strncmp(ib, prefix, strlen(prefix)) == 0 && stat(od, &so) == 0 && stat(id, &si) == 0 &&
            so.st_dev == si.st_dev && so.st_ino == si.st_ino)
            return (long)i;
    }
    return -1;
}

int ic_check_output_path(const char *what, const char *out, const char *const *inputs, size_t n,
                         struct ic_error *err) {
    if (!out || !out[0])
        return ic_error_set(err, IC_ERR_USAGE, "%s: the output file name is empty", what);
    size_t len = strlen(out);
    if (out[len - 1] == '/')
        return ic_error_set(err, IC_ERR_USAGE,
                            "%s %s: names a directory (it ends in '/'); give a file name", what,
                            out);
    long t = named_like_a_temporary(out, inputs, n);
    if (t >= 0)
        return ic_error_set(err, IC_ERR_USAGE,
                            "%s %s: the input %s is named like this output's temporary files "
                            "(%s.tmp-PID), which are deleted once their writer is gone: rename "
                            "it or give another output name",
                            what, out, inputs[t], out);
    struct stat lst, st;
    if (lstat(out, &lst) != 0) {
        if (errno == ENOENT) return IC_OK; /* nothing there yet: the parent is checked on open */
        if (errno == ENOTDIR)
            return ic_error_set(err, IC_ERR_USAGE,
                                "%s %s: a component of the path is not a directory", what, out);
        return ic_error_set(err, IC_ERR_IO, "%s %s: %s", what, out, strerror(errno));
    }
    /* A symbolic link counts as what it points to (a dangling one as nothing). */
    int resolved = stat(out, &st) == 0;
    if (!resolved) st = lst;
    if (resolved && !S_ISREG(st.st_mode))
        return ic_error_set(err, IC_ERR_USAGE,
                            "%s %s: is %s%s, not a regular file: refusing to replace it with a "
                            "result file; give the name of a new or regular file",
                            what, out, file_kind(st.st_mode),
                            S_ISLNK(lst.st_mode) ? " (through a symbolic link)" : "");
    long i = same_as_input(&st, inputs, n);
    if (i < 0 && S_ISLNK(lst.st_mode)) i = same_as_input(&lst, inputs, n);
    if (i >= 0) {
        if (strcmp(out, inputs[i]) == 0)
            return ic_error_set(err, IC_ERR_USAGE,
                                "%s %s: is an input of this command: refusing to overwrite it; "
                                "give another output name",
                                what, out);
        return ic_error_set(err, IC_ERR_USAGE,
                            "%s %s: is the same file as the input %s (%s): refusing to overwrite "
                            "it; give another output name",
                            what, out, inputs[i],
                            S_ISLNK(lst.st_mode) ? "through a symbolic link"
                            : lst.st_nlink > 1   ? "a hard link or another name for it"
                                                 : "another name for it");
    }
    return IC_OK;
}

int ic_check_work_dir(const char *dir, const char *const *inputs, size_t n, struct ic_error *err) {
    struct stat st;
    if (stat(dir, &st) != 0) return IC_OK; /* created later */
    if (!S_ISDIR(st.st_mode)) {
        long i = same_as_input(&st, inputs, n);
        if (i >= 0)
            return ic_error_set(err, IC_ERR_USAGE,
                                "%s: the work directory's name is the input %s: refusing to use "
                                "it; give another output name",
                                dir, inputs[i]);
        return ic_error_set(err, IC_ERR_USAGE,
                            "%s: the work directory's name is taken by %s, not a directory; "
                            "move it or give another output name",
                            dir, file_kind(st.st_mode));
    }
    /* An input inside the directory would be deleted with it. */
    for (size_t i = 0; i < n; i++) {
        if (!inputs[i] || !inputs[i][0]) continue;
        char buf[4096];
        ic_strlcpy(buf, inputs[i], sizeof buf);
        char *slash = strrchr(buf, '/');
        const char *parent = ".";
        if (slash) {
            *(slash == buf ? slash + 1 : slash) = '\0';
            parent = buf;
        }
        struct stat sp;
        if (stat(parent, &sp) == 0 && sp.st_dev == st.st_dev && sp.st_ino == st.st_ino)
            return ic_error_set(err, IC_ERR_USAGE,
                                "%s: the input %s is inside this work directory, whose files are "
                                "deleted when the run completes: move it or give another output "
                                "name",
                                dir, inputs[i]);
    }
    return IC_OK;
}

void ic_temp_name(const char *path, char *buf, size_t size) {
    snprintf(buf, size, "%s.tmp-%ld", path, (long)getpid());
}

void ic_clean_stale_temporaries(const char *path) {
    char dir[4096];
    ic_strlcpy(dir, path, sizeof dir);
    char *slash = strrchr(dir, '/');
    const char *base = slash ? path + (slash - dir) + 1 : path;
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    else
        strcpy(dir, ".");
    char prefix[4200];
    snprintf(prefix, sizeof prefix, "%s.tmp-", base);
    size_t np = strlen(prefix);
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, np) != 0) continue;
        char *end;
        long pid = strtol(e->d_name + np, &end, 10);
        if (*end || pid <= 0 || pid == (long)getpid()) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue; /* alive, or not ours */
        char full[8400];
        snprintf(full, sizeof full, "%s/%s", dir, e->d_name);
        unlink(full);
    }
    closedir(d);
}

void ic_pointer_join(char *out, size_t size, const char *ptr, const char *token) {
    ic_strlcpy(out, ptr, size);
    ic_pointer_append(out, size, token);
}

void ic_pointer_index(char *out, size_t size, const char *ptr, int i) {
    char t[16];
    snprintf(t, sizeof t, "%d", i);
    ic_pointer_join(out, size, ptr, t);
}
