/* util.h: small helpers shared by the sim/ modules: reading a whole file with a size limit,
 * "did you mean" suggestions by edit distance, JSON Pointer escaping. */
#ifndef IC_UTIL_H
#define IC_UTIL_H

#include "error.h"

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

/* Copy at most size-1 bytes and terminate. */
void ic_strlcpy(char *dst, const char *src, size_t size);

/* Peak resident memory of this process image so far, in bytes (Linux: VmHWM of
 * /proc/self/status, which unlike getrusage's ru_maxrss does not carry over the peak of the
 * process that exec'd us); 0 when unknown. */
double ic_peak_rss_bytes(void);

#endif
