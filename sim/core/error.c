/* error.c: status names and error records (see error.h). */
#include "sim/core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[] = {
#define IC_X_NAME(name, code, text) #name,
    IC_STATUS_LIST(IC_X_NAME)
#undef IC_X_NAME
};
static const char *const status_texts[] = {
#define IC_X_TEXT(name, code, text) text,
    IC_STATUS_LIST(IC_X_TEXT)
#undef IC_X_TEXT
};
static const int status_codes[] = {
#define IC_X_CODE(name, code, text) code,
    IC_STATUS_LIST(IC_X_CODE)
#undef IC_X_CODE
};

int ic_error_set(struct ic_error *err, int status, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->status = status;
    }
    return status;
}

void ic_error_prefix(struct ic_error *err, const char *fmt, ...) {
    if (!err) return;
    char head[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    size_t h = strlen(head), m = strlen(err->msg);
    if (h >= sizeof err->msg) h = sizeof err->msg - 1;
    if (h + m >= sizeof err->msg) m = sizeof err->msg - 1 - h;
    memmove(err->msg + h, err->msg, m);
    memcpy(err->msg, head, h);
    err->msg[h + m] = '\0';
}

void ic_error_clear(struct ic_error *err) {
    if (!err) return;
    err->status = IC_OK;
    err->msg[0] = '\0';
}

static int status_ok(int s) {
    return s >= 0 && s < IC_STATUS_COUNT;
}

const char *ic_status_name(int status) {
    return status_ok(status) ? status_names[status] : "IC_ERR_UNKNOWN";
}
const char *ic_status_text(int status) {
    return status_ok(status) ? status_texts[status] : "unknown error";
}
int ic_status_exit_code(int status) {
    return status_ok(status) ? status_codes[status] : 1;
}

void ic_diag_init(struct ic_diag *d) {
    memset(d, 0, sizeof *d);
}

void ic_diag_free(struct ic_diag *d) {
    for (size_t i = 0; i < d->count; i++) free(d->msgs[i]);
    free(d->msgs);
    memset(d, 0, sizeof *d);
}

void ic_diag_add(struct ic_diag *d, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (d->count == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 16;
        char **m = realloc(d->msgs, cap * sizeof *m);
        if (!m) {
            d->nomem = 1;
            return;
        }
        d->msgs = m;
        d->cap = cap;
    }
    char *s = malloc(strlen(buf) + 1);
    if (!s) {
        d->nomem = 1;
        return;
    }
    strcpy(s, buf);
    d->msgs[d->count++] = s;
}

int ic_diag_to_error(const struct ic_diag *d, struct ic_error *err) {
    if (d->count == 0 && !d->nomem) return IC_OK;
    size_t used = 0;
    err->msg[0] = '\0';
    for (size_t i = 0; i < d->count; i++) {
        int n =
            snprintf(err->msg + used, sizeof err->msg - used, "%s%s", i ? "\n" : "", d->msgs[i]);
        if (n < 0 || (size_t)n >= sizeof err->msg - used) {
            used = sizeof err->msg - 1;
            break;
        }
        used += (size_t)n;
    }
    if (d->nomem) snprintf(err->msg + used, sizeof err->msg - used, "\n(out of memory)");
    err->status = IC_ERR_INVALID;
    return IC_ERR_INVALID;
}
