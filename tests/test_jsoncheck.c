/* test_jsoncheck.c: the strict JSON syntax check: what it accepts, what it refuses, and where
 * it says the problem is. */
#include "check.h"
#include "sim/config/jsoncheck.h"

static int ok(const char *s) {
    size_t off;
    char why[128];
    return ic_json_check(s, strlen(s), &off, why, sizeof why) == 0;
}

/* The offset and message of a refusal. */
static size_t where(const char *s, const char *fragment) {
    size_t off = (size_t)-1;
    char why[128] = "";
    CHECK(ic_json_check(s, strlen(s), &off, why, sizeof why) != 0);
    CHECK_STR_CONTAINS(why, fragment);
    return off;
}

int main(void) {
    CHECK(ok("{}") && ok("[]") && ok(" {\"a\": [1, -0.5e+3, true, false, null, \"x\"]} \n"));
    CHECK(ok("0") && ok("-0") && ok("1E9") && ok("\"\\u00e9\\n\\\"\""));
    CHECK(ok("\"\xe5\x8d\x83\xe5\x8d\xa1\"")); /* UTF-8 CJK */
    CHECK(ok("\xEF\xBB\xBF{}"));               /* byte order mark */
    CHECK(where("{\"a\": 020}", "leading zeros") == 7);
    CHECK(where("{\"a\": 20.}", "after the decimal point") == 9);
    CHECK(where("{\"a\": 1,}", "trailing comma before '}'") == 8);
    CHECK(where("[1, 2,]", "trailing comma before ']'") == 6);
    CHECK(where("{'a': 1}", "key in double quotes") == 1);
    CHECK(where("{\"a\" 1}", "expected ':'") == 5);
    CHECK(where("{\"a\": tru}", "expected a value") == 6);
    CHECK(where("{\"a\": 1} x", "extra text") == 9);
    CHECK(where("{\"a\": \"x\ty\"}", "control character") == 8);
    CHECK(where("{\"a\": \"\\q\"}", "bad escape") == 8);
    CHECK(where("{\"a\": \"\\u12g4\"}", "\\u escape") == 8);
    CHECK(where("\"\xff\"", "invalid UTF-8") == 1);
    CHECK(where("\"\xc0\xaf\"", "invalid UTF-8") == 1);     /* overlong '/' */
    CHECK(where("\"\xed\xa0\x80\"", "invalid UTF-8") == 1); /* surrogate */
    CHECK(where("\"\xe5\x8d\"", "invalid UTF-8") == 1);     /* truncated */
    CHECK(where("{\"a\": [1, 2", "unexpected end of input") == 11);
    CHECK(where("", "unexpected end of input") == 0);
    /* Nesting: 64 levels are fine, 65 are not. */
    char deep[200];
    memset(deep, '[', 64);
    memset(deep + 64, ']', 64);
    deep[128] = '\0';
    CHECK(ok(deep));
    memset(deep, '[', 65);
    memset(deep + 65, ']', 65);
    deep[130] = '\0';
    CHECK(where(deep, "nested too deeply") == 64);
    /* Line and column count characters, not bytes. */
    int line, col;
    const char *t = "{\n  \"\xe5\x8d\x83\": 1,\n  x";
    ic_json_line_col(t, strlen(t) - 1, &line, &col);
    CHECK(line == 3 && col == 3);
    ic_json_line_col(t, 9, &line, &col); /* the ":" after a 3-byte character */
    CHECK(line == 2 && col == 6);
    return check_report("test_jsoncheck");
}
