/* enumtab.h: one table per enumeration, binding each name to its named constant.
 *
 * A scenario field that takes one of a few strings (params.h, IC_T_ENUM) points at such a
 * table; the field's choices, in `infercap params`, and the enum's *_name() function both come
 * from it, so a name cannot disagree with its value.  The order of the entries is the order in
 * which the choices are listed; the values need not follow it. */
#ifndef IC_ENUMTAB_H
#define IC_ENUMTAB_H

#include <stddef.h>

struct ic_enum_entry {
    const char *name;
    int value;
    const char *doc;
};

struct ic_enum_table {
    const struct ic_enum_entry *entries;
    int count;
};

/* Define `var`, a table over the entries { {name, value, doc}, ... }. */
#define IC_ENUM_TABLE(var, ...)                                                                    \
    static const struct ic_enum_entry var##_entries_[] = {__VA_ARGS__};                            \
    const struct ic_enum_table var = {var##_entries_,                                              \
                                      (int)(sizeof var##_entries_ / sizeof var##_entries_[0])}

/* The name of `value`, or NULL. */
const char *ic_enum_name(const struct ic_enum_table *t, int value);
/* The value named `name`; -1 when none is (every table's values are >= 0). */
int ic_enum_value(const struct ic_enum_table *t, const char *name);
/* The names in order, joined by `sep` ("a|b|c"). */
void ic_enum_join(const struct ic_enum_table *t, const char *sep, char *buf, size_t size);

#endif
