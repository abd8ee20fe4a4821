/* jsoncheck.h: a strict syntax check of JSON text (RFC 8259) that says where and what is
 * wrong.  cJSON is lenient (it accepts 020, 20., raw control characters in strings, trailing
 * text) and its error position is approximate, so scenario files are checked here first and
 * parsed by cJSON only when they are well formed.  Strings must be valid UTF-8; nesting is
 * limited so that hostile input cannot exhaust the stack. */
#ifndef IC_JSONCHECK_H
#define IC_JSONCHECK_H

#include "sim/core/error.h"

#include <cjson/cJSON.h>
#include <stddef.h>

#define IC_JSON_MAX_DEPTH 64

/* Returns 0 when text[0..len) is one well-formed JSON value (surrounded by white space);
 * otherwise -1 with the byte offset of the problem and a short description. */
int ic_json_check(const char *text, size_t len, size_t *err_offset, char *why, size_t whysize);

/* 1-based line and column (in characters, not bytes) of a byte offset. */
void ic_json_line_col(const char *text, size_t offset, int *line, int *col);

/* Check text (ic_json_check), then parse it with cJSON.  Returns the tree (cJSON_Delete it), or
 * NULL with err set: IC_ERR_PARSE "LABEL:LINE:COL: JSON syntax error: WHY", or IC_ERR_NOMEM.
 * label names the text in messages (its file). */
cJSON *ic_json_parse_checked(const char *text, const char *label, struct ic_error *err);

/* A short rendering of a JSON value for messages ("\"abc\"", 42, an array of 3 elements, ...);
 * whole numbers in full, so a seed near 2^53 does not print like its neighbour. */
void ic_json_describe(const cJSON *v, char *buf, size_t size);

#endif
