/* jsoncheck.c: strict JSON syntax check (see jsoncheck.h).  A recursive-descent recogniser of
 * the RFC 8259 grammar, with UTF-8 validation of strings (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
#include "sim/config/jsoncheck.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

struct scan {
    const unsigned char *s;
    size_t n, i;
    int depth;
    const char *why;
};

static int fail(struct scan *c, const char *why) {
    c->why = why;
    return -1;
}

static void ws(struct scan *c) {
    while (c->i < c->n &&
           (c->s[c->i] == ' ' || c->s[c->i] == '\t' || c->s[c->i] == '\n' || c->s[c->i] == '\r'))
        c->i++;
}

static int peek(const struct scan *c) {
    return c->i < c->n ? c->s[c->i] : -1;
}

static int is_digit(int ch) {
    return ch >= '0' && ch <= '9';
}
static int is_hex(int ch) {
    return is_digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/* One UTF-8 sequence starting at c->i (a byte >= 0x80). */
static int utf8(struct scan *c) {
    const unsigned char *p = c->s + c->i;
    size_t left = c->n - c->i;
    unsigned b = p[0], need;
    unsigned cp;
    if (b >= 0xC2 && b <= 0xDF) {
        need = 1;
        cp = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
        need = 2;
        cp = b & 0x0F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 3;
        cp = b & 0x07;
    } else {
        return fail(c, "invalid UTF-8 byte in a string");
    }
    if (left < need + 1) return fail(c, "truncated UTF-8 sequence in a string");
    for (unsigned k = 1; k <= need; k++) {
        if ((p[k] & 0xC0) != 0x80) return fail(c, "invalid UTF-8 sequence in a string");
        cp = (cp << 6) | (p[k] & 0x3F);
    }
    if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return fail(c, "invalid UTF-8 sequence in a string");
    c->i += need + 1;
    return 0;
}

static int string(struct scan *c) {
    c->i++; /* opening quote */
    for (;;) {
        int ch = peek(c);
        if (ch < 0) return fail(c, "unterminated string");
        if (ch == '"') {
            c->i++;
            return 0;
        }
        if (ch < 0x20) return fail(c, "control character in a string (escape it)");
        if (ch == '\\') {
            c->i++;
            ch = peek(c);
            if (ch == 'u') {
                for (int k = 1; k <= 4; k++)
                    if (c->i + (size_t)k >= c->n || !is_hex(c->s[c->i + (size_t)k]))
                        return fail(c, "bad \\u escape (four hex digits expected)");
                c->i += 5;
            } else if (ch > 0 && strchr("\"\\/bfnrt", ch)) {
                c->i++;
            } else {
                return fail(c, "bad escape in a string");
            }
            continue;
        }
        if (ch >= 0x80) {
            if (utf8(c)) return -1;
            continue;
        }
        c->i++;
    }
}

static int number(struct scan *c) {
    if (peek(c) == '-') c->i++;
    if (peek(c) == '0') {
        c->i++;
        if (is_digit(peek(c))) return fail(c, "leading zeros are not allowed in numbers");
    } else if (is_digit(peek(c))) {
        while (is_digit(peek(c))) c->i++;
    } else {
        return fail(c, "expected a digit");
    }
    if (peek(c) == '.') {
        c->i++;
        if (!is_digit(peek(c))) return fail(c, "expected a digit after the decimal point");
        while (is_digit(peek(c))) c->i++;
    }
    if (peek(c) == 'e' || peek(c) == 'E') {
        c->i++;
        if (peek(c) == '+' || peek(c) == '-') c->i++;
        if (!is_digit(peek(c))) return fail(c, "expected a digit in the exponent");
        while (is_digit(peek(c))) c->i++;
    }
    return 0;
}

static int literal(struct scan *c, const char *word) {
    size_t k = strlen(word);
    if (c->n - c->i < k || memcmp(c->s + c->i, word, k) != 0)
        return fail(c, "expected a value (a string, number, object, array, true, false or "
                       "null)");
    c->i += k;
    return 0;
}

static int value(struct scan *c);

static int container(struct scan *c, int close) {
    if (++c->depth > IC_JSON_MAX_DEPTH) return fail(c, "nested too deeply");
    c->i++;
    ws(c);
    if (peek(c) == close) {
        c->i++;
        c->depth--;
        return 0;
    }
    for (;;) {
        if (close == '}') {
            if (peek(c) != '"')
                return fail(c, peek(c) < 0 ? "unexpected end of input"
                                           : "expected a key in double quotes");
            if (string(c)) return -1;
            ws(c);
            if (peek(c) != ':') return fail(c, "expected ':' after the key");
            c->i++;
            ws(c);
        }
        if (value(c)) return -1;
        ws(c);
        int ch = peek(c);
        if (ch == ',') {
            c->i++;
            ws(c);
            if (peek(c) == close)
                return fail(c, close == '}' ? "trailing comma before '}'"
                                            : "trailing comma before ']'");
            continue;
        }
        if (ch == close) {
            c->i++;
            c->depth--;
            return 0;
        }
        if (ch < 0) return fail(c, "unexpected end of input");
        return fail(c, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int value(struct scan *c) {
    int ch = peek(c);
    switch (ch) {
    case '{':
        return container(c, '}');
    case '[':
        return container(c, ']');
    case '"':
        return string(c);
    case 't':
        return literal(c, "true");
    case 'f':
        return literal(c, "false");
    case 'n':
        return literal(c, "null");
    case -1:
        return fail(c, "unexpected end of input");
    default:
        if (ch == '-' || is_digit(ch)) return number(c);
        return fail(c, "expected a value (a string, number, object, array, true, false or "
                       "null)");
    }
}

int ic_json_check(const char *text, size_t len, size_t *err_offset, char *why, size_t whysize) {
    struct scan c = {(const unsigned char *)text, len, 0, 0, NULL};
    /* A UTF-8 byte order mark is tolerated (editors on Windows write one). */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) c.i = 3;
    ws(&c);
    int rc = value(&c);
    if (rc == 0) {
        ws(&c);
        if (c.i < c.n) rc = fail(&c, "extra text after the JSON value");
    }
    if (rc) {
        *err_offset = c.i;
        snprintf(why, whysize, "%s", c.why);
    }
    return rc;
}

void ic_json_line_col(const char *text, size_t offset, int *line, int *col) {
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < offset && text[i]; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == '\n') {
            (*line)++;
            *col = 1;
        } else if ((ch & 0xC0) != 0x80) {
            (*col)++;
        }
    }
}

cJSON *ic_json_parse_checked(const char *text, const char *label, struct ic_error *err) {
    size_t off;
    char why[160];
    if (ic_json_check(text, strlen(text), &off, why, sizeof why) != 0) {
        int line, col;
        ic_json_line_col(text, off, &line, &col);
        ic_error_set(err, IC_ERR_PARSE, "%s:%d:%d: JSON syntax error: %s", label, line, col, why);
        return NULL;
    }
    cJSON *root = cJSON_ParseWithOpts(text, NULL, 1);
    if (!root) ic_error_set(err, IC_ERR_NOMEM, "%s: out of memory parsing JSON", label);
    return root;
}

void ic_json_describe(const cJSON *v, char *buf, size_t size) {
    if (cJSON_IsString(v)) {
        snprintf(buf, size, "\"%.60s%s\"", v->valuestring,
                 strlen(v->valuestring) > 60 ? "..." : "");
    } else if (cJSON_IsNumber(v)) {
        double x = v->valuedouble;
        /* whole numbers in full (a seed near 2^53 must not print like its neighbour) */
        if (x == floor(x) && fabs(x) < 1e17)
            snprintf(buf, size, "%.0f", x);
        else
            snprintf(buf, size, "%.10g", x);
    } else if (cJSON_IsBool(v)) {
        snprintf(buf, size, "%s", cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsNull(v)) {
        snprintf(buf, size, "null");
    } else if (cJSON_IsArray(v)) {
        int n = cJSON_GetArraySize(v);
        snprintf(buf, size, "an array of %d element%s", n, n == 1 ? "" : "s");
    } else if (cJSON_IsObject(v)) {
        snprintf(buf, size, "an object");
    } else {
        snprintf(buf, size, "?");
    }
}
