/* params.h: the one table of scenario parameters.
 *
 * Each row declares a field once: its JSON Pointer pattern ("*" stands for an array index), its
 * type, default, range, units and a one-line doc, and where it lives in struct ic_scenario (an
 * offset relative to the innermost enclosing array element, or to the scenario itself).  The
 * scenario reader, the range checks, `infercap params` and the resolved JSON all walk this
 * table; nothing else lists parameters. */
#ifndef IC_PARAMS_H
#define IC_PARAMS_H

#include "sim/core/enumtab.h"

#include <stddef.h>

enum ic_ptype {
    IC_T_OBJ,     /* an object holding other rows */
    IC_T_OBJARR,  /* an array of objects; rows below it use "*" */
    IC_T_NUM,     /* a number */
    IC_T_INT,     /* an integer (long long) */
    IC_T_DIST,    /* a number, or a distribution drawn once per path */
    IC_T_IDIST,   /* an integer-valued IC_T_DIST (draws are rounded) */
    IC_T_STR,     /* a string */
    IC_T_ENUM,    /* one of the names in `choices` (stored as its value) */
    IC_T_TIME,    /* ISO-8601 date-time with UTC offset */
    IC_T_NUMARR,  /* an array of numbers */
    IC_T_ACCEL,   /* accelerator: catalog key, or object with "base" or "name" */
    IC_T_LLM,     /* model: catalog key, or object with "base" or "name" */
    IC_T_JSONARR, /* an array of any JSON values, kept as its JSON text (size: capacity) */
};

struct ic_param {
    const char *path;
    int type;
    double def; /* numeric default (IC_T_NUM, IC_T_INT, IC_T_DIST, the value for IC_T_ENUM) */
    double min, max;
    const char *units;
    const char *doc;
    const char *def_str;                 /* string default; IC_T_NUMARR: default as a JSON array */
    const struct ic_enum_table *choices; /* IC_T_ENUM: the names and their values */
    size_t offset;                       /* value; IC_T_OBJARR: the element count (int) */
    size_t size;                         /* IC_T_STR: capacity; IC_T_OBJARR: element size */
    size_t offset2;                      /* IC_T_OBJARR: first element; IC_T_NUMARR: 0 */
    int max_count;                       /* IC_T_OBJARR, IC_T_NUMARR */
    int min_count; /* IC_T_OBJARR: minimum elements; IC_T_NUMARR: exact length if > 0 */
    int required;  /* must be given (no default) */
    int optional;  /* IC_T_OBJ: left out of the resolved JSON while every member has its default
                      (a block added later: scenarios without it resolve as they always did) */
};

extern const struct ic_param ic_params[];
extern const size_t ic_param_count;

/* The row whose pattern matches `pattern` exactly, or NULL. */
const struct ic_param *ic_param_find(const char *pattern);
/* Human-readable type ("number or distribution", "one of: a|b"). */
const char *ic_param_type_name(const struct ic_param *p);
/* The value of choice `s` of p, or -1. */
int ic_param_choice_value(const struct ic_param *p, const char *s);
/* The name of p's choice of value `value`, or NULL. */
const char *ic_param_choice_name(const struct ic_param *p, int value);
/* p's choices joined by `sep` ("a|b|c"); "" when p has none. */
void ic_param_choices_text(const struct ic_param *p, const char *sep, char *buf, size_t size);

#endif
