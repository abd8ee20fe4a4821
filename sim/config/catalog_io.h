/* catalog_io.h: the built-in catalogs (models/data/ JSON files compiled into the binary) read into
 * the plain structs of models/catalog.h, and the JSON side of catalog fields shared with the
 * scenario reader (overrides and inline entries). */
#ifndef IC_CATALOG_IO_H
#define IC_CATALOG_IO_H

#include "models/catalog.h"
#include "sim/core/error.h"

#include <stddef.h>

struct cJSON;

extern const char ic_embedded_accelerators_json[];
extern const char ic_embedded_llms_json[];

/* Parse the built-in catalogs.  Caller frees with ic_catalog_free(). */
int ic_catalog_builtin(struct ic_catalog *cat, struct ic_error *err);

/* Set one field of an entry from a JSON value (number or null for IC_F_NUM, string for
 * IC_F_TEXT).  Returns 0, or -1 with a description of what was expected in why. */
int ic_catalog_read_field(void *entry, const struct ic_field *f, const struct cJSON *v, char *why,
                          size_t whysize);

/* Append an entry's fields to a cJSON object (NaN numbers omitted). */
void ic_catalog_emit_fields(const void *entry, const struct ic_field *fields, size_t n,
                            struct cJSON *obj);

/* The catalog as a JSON string ("accelerators" or "models"); caller frees. */
char *ic_catalog_json(const struct ic_catalog *cat, int models);

#endif
