/* enumtab.c: lookups in an enumeration's table (see enumtab.h). */
#include "sim/core/enumtab.h"

#include <string.h>

const char *ic_enum_name(const struct ic_enum_table *t, int value) {
    for (int i = 0; i < t->count; i++)
        if (t->entries[i].value == value) return t->entries[i].name;
    return NULL;
}

int ic_enum_value(const struct ic_enum_table *t, const char *name) {
    for (int i = 0; i < t->count; i++)
        if (strcmp(t->entries[i].name, name) == 0) return t->entries[i].value;
    return -1;
}

void ic_enum_join(const struct ic_enum_table *t, const char *sep, char *buf, size_t size) {
    size_t n = 0;
    if (size == 0) return;
    buf[0] = '\0';
    for (int i = 0; i < t->count && n < size; i++) {
        const char *parts[2] = {i ? sep : "", t->entries[i].name};
        for (int k = 0; k < 2; k++) {
            size_t len = strlen(parts[k]);
            if (n + len >= size) len = size - 1 - n;
            memcpy(buf + n, parts[k], len);
            n += len;
            buf[n] = '\0';
        }
    }
}
