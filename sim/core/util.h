/* util.h: small helpers shared by the sim/ modules: reading a whole file with a size limit,
 * "did you mean" suggestions by edit distance, JSON Pointer escaping. */
#ifndef IC_UTIL_H
#define IC_UTIL_H

#include "sim/core/error.h"

#include <stddef.h>

/* Read a regular file into a NUL-terminated malloc'd buffer (at most max_bytes). */
int ic_read_file(const char *path, size_t max_bytes, char **buf, size_t *len, struct ic_error *err);

/* Levenshtein distance between two strings (capped at 255 characters each). */
int ic_edit_distance(const char *a, const char *b);

/* "; did you mean \"x\"?" (or "x" or "y") for a misspelt `word` among `n` candidates (NULL
 * entries skipped), ignoring case; an empty string when none is a plausible typo. */
void ic_did_you_mean(const char *word, const char *const *cands, size_t n, char *buf, size_t size);

/* Append the RFC 6901 escaped form of a reference token ("~" -> "~0", "/" -> "~1") to a
 * pointer held in buf (capacity size). */
void ic_pointer_append(char *buf, size_t size, const char *token);
/* out = ptr + "/" + token escaped (RFC 6901), or + "/" + the index i; cut to size. */
void ic_pointer_join(char *out, size_t size, const char *ptr, const char *token);
void ic_pointer_index(char *out, size_t size, const char *ptr, int i);

/* Copy at most size-1 bytes and terminate. */
void ic_strlcpy(char *dst, const char *src, size_t size);

/* Refuse an output path that writing would destroy something through, before any work is done:
 * the output `out` must be a non-empty name of a regular file or of nothing yet (a directory, a
 * device node, a FIFO or a socket is refused: the finished file is renamed onto the name, which
 * would replace them), and must not be, or resolve to (symbolic links, hard links, "./x" for
 * "x"), any of the command's `n` inputs (NULL entries are skipped; inputs that do not exist are
 * ignored).  `what` names the output in messages ("-o", "the checkpoint").  Returns IC_OK, or
 * IC_ERR_USAGE with a message naming the path and why. */
int ic_check_output_path(const char *what, const char *out, const char *const *inputs, size_t n,
                         struct ic_error *err);

/* The same for a work directory the command creates, fills and removes (a sweep's
 * OUT.h5.points): it must be a directory or nothing, must not be an input, and must not hold
 * one (its files are deleted when the run completes). */
int ic_check_work_dir(const char *dir, const char *const *inputs, size_t n, struct ic_error *err);

/* The temporary name a writer of PATH uses until it renames the finished file into place:
 * PATH.tmp-PID (this process's id). */
void ic_temp_name(const char *path, char *buf, size_t size);

/* Delete PATH.tmp-PID files left by writers of PATH that were killed (their process is gone):
 * a killed run leaves only its temporary file (the result's, or its checkpoint's), and the next
 * run of the same output cleans it up.  A live writer's temporary is kept. */
void ic_clean_stale_temporaries(const char *path);

/* Peak resident memory of this process image so far, in bytes (Linux: VmHWM of
 * /proc/self/status, which unlike getrusage's ru_maxrss does not carry over the peak of the
 * process that exec'd us); 0 when unknown. */
double ic_peak_rss_bytes(void);

#endif
