/* error.h: status codes and error records shared by every module.
 *
 * Functions that can fail return an int status (IC_OK == 0) and describe the failure in a
 * struct ic_error supplied by the caller.  Callers add context with ic_error_prefix() and pass
 * the status up; only main() prints and chooses the exit code (ic_status_exit_code()).
 *
 * Validation collects many problems at once in a struct ic_diag (a growable list of messages),
 * so `infercap validate` can report every error in a scenario, not only the first. */
#ifndef IC_ERROR_H
#define IC_ERROR_H

#include <stddef.h>

/* X-macro list: name, exit code, description. */
#define IC_STATUS_LIST(X)                                                                          \
    X(IC_OK, 0, "success")                                                                         \
    X(IC_ERR_USAGE, 2, "usage error")                                                              \
    X(IC_ERR_INVALID, 2, "invalid input")                                                          \
    X(IC_ERR_PARSE, 2, "syntax error")                                                             \
    X(IC_ERR_IO, 1, "input/output error")                                                          \
    X(IC_ERR_NOMEM, 1, "out of memory")                                                            \
    X(IC_ERR_HDF5, 1, "HDF5 error")                                                                \
    X(IC_ERR_RUNTIME, 1, "runtime error")                                                          \
    X(IC_ERR_INTERRUPTED, 3, "interrupted")

enum ic_status {
#define IC_X_ENUM(name, code, text) name,
    IC_STATUS_LIST(IC_X_ENUM)
#undef IC_X_ENUM
        IC_STATUS_COUNT
};

#define IC_ERROR_MSG_MAX 2048

struct ic_error {
    int status;
    char msg[IC_ERROR_MSG_MAX];
};

/* Record a failure and return its status, so callers can write `return ic_error_set(...)`. */
int ic_error_set(struct ic_error *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prepend context ("while writing out.h5: ") to an existing message. */
void ic_error_prefix(struct ic_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ic_error_clear(struct ic_error *err);
const char *ic_status_name(int status);
const char *ic_status_text(int status);
int ic_status_exit_code(int status);

/* A list of diagnostics (validation messages). */
struct ic_diag {
    char **msgs;
    size_t count, cap;
    int nomem; /* set when a message could not be stored */
};

void ic_diag_init(struct ic_diag *d);
void ic_diag_free(struct ic_diag *d);
void ic_diag_add(struct ic_diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Move every message of d into err as one multi-line message with status IC_ERR_INVALID.
 * Returns IC_OK when d is empty. */
int ic_diag_to_error(const struct ic_diag *d, struct ic_error *err);

#endif
