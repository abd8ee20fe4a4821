/* test_trace.c: the request-trace readers (csv, azure, mooncake): exact values, scaling, stable
 * sorting, line endings, every rejection with its file:line: field message, limits, and a
 * 200k-line parse. */
#include "check.h"
#include "sim/io/trace.h"

#include <stdint.h>
#include <unistd.h>

/* Write len bytes to a fresh file under /tmp; its name goes to path (at least 64 bytes). */
static int write_tmp(const char *data, size_t len, char *path) {
    strcpy(path, "/tmp/test_trace_XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w <= 0) {
            close(fd);
            unlink(path);
            return -1;
        }
        off += (size_t)w;
    }
    close(fd);
    return 0;
}

/* Read `len` bytes of text as a trace; the temporary file is gone on return. */
static int read_bytes(const char *text, size_t len, int format, double scale, long max_requests,
                      struct ic_trace *t, struct ic_error *err, char *path) {
    if (write_tmp(text, len, path) != 0) {
        fprintf(stderr, "cannot write a temporary file\n");
        exit(1);
    }
    int rc = ic_trace_read(path, format, scale, max_requests, t, err);
    unlink(path);
    return rc;
}

static int read_text(const char *text, int format, double scale, long max_requests,
                     struct ic_trace *t, struct ic_error *err) {
    char path[64];
    return read_bytes(text, strlen(text), format, scale, max_requests, t, err, path);
}

/* Expect a failure with `status` whose message contains the file's name followed by
 * `fragment` (":LINE: field: ..."), and an empty trace.  Returns 1 when all holds. */
static int expect_error_n(const char *text, size_t len, int format, long max_requests, int status,
                          const char *fragment) {
    char path[64], want[512];
    struct ic_trace t;
    struct ic_error err = {0};
    int rc = read_bytes(text, len, format, 1.0, max_requests, &t, &err, path);
    snprintf(want, sizeof want, "%s%s", path, fragment);
    int ok = rc == status && err.status == status && strstr(err.msg, want) != NULL && t.n == 0 &&
             !t.arrival_s && !t.input && !t.output && !t.hash_start && !t.hashes;
    if (!ok)
        fprintf(stderr,
                "for input:\n%s\n  got status %d, message:\n  %s\n  expected status %d and:\n"
                "  %s\n",
                text, rc, err.msg, status, want);
    ic_trace_free(&t); /* safe on the empty trace */
    return ok;
}

static int expect_error(const char *text, int format, const char *fragment) {
    return expect_error_n(text, strlen(text), format, 0, IC_ERR_INVALID, fragment);
}

static void test_format_names(void) {
    CHECK(ic_trace_format_parse("mooncake") == IC_TRACE_MOONCAKE);
    CHECK(ic_trace_format_parse("azure") == IC_TRACE_AZURE);
    CHECK(ic_trace_format_parse("csv") == IC_TRACE_CSV);
    CHECK(ic_trace_format_parse("CSV") == -1);
    CHECK(ic_trace_format_parse("jsonl") == -1);
    CHECK(ic_trace_format_parse(NULL) == -1);
}

static void test_csv(void) {
    struct ic_trace t;
    struct ic_error err = {0};
    /* Header, comments, blank lines, spaces around fields; origin 10.25 s dropped. */
    const char *text = "# exported 2024-03-18\n"
                       "arrival_s, input_tokens, output_tokens\n"
                       "\n"
                       "10.25, 1873, 291\n"
                       "  # an indented comment\n"
                       "10.75,17,4093\n"
                       "12.5 ,\t2385 , 1\n"
                       "   \n";
    CHECK(read_text(text, IC_TRACE_CSV, 1.0, 0, &t, &err) == IC_OK);
    CHECK(t.n == 3);
    if (t.n == 3) {
        CHECK(t.arrival_s[0] == 0 && t.arrival_s[1] == 0.5 && t.arrival_s[2] == 2.25);
        CHECK(t.input[0] == 1873 && t.input[1] == 17 && t.input[2] == 2385);
        CHECK(t.output[0] == 291 && t.output[1] == 4093 && t.output[2] == 1);
        CHECK(t.hash_start[0] == 0 && t.hash_start[3] == 0 && t.n_hashes == 0);
    }
    ic_trace_free(&t);
    CHECK(t.n == 0 && !t.arrival_s && !t.input && !t.output && !t.hash_start && !t.hashes);
    ic_trace_free(&t); /* twice is harmless */

    /* time_scale 0.5 replays at twice the rate: arrivals halve, tokens unchanged. */
    CHECK(read_text(text, IC_TRACE_CSV, 0.5, 0, &t, &err) == IC_OK);
    CHECK(t.n == 3 && t.arrival_s[1] == 0.25 && t.arrival_s[2] == 1.125 && t.input[2] == 2385);
    ic_trace_free(&t);

    /* Unsorted, with ties: sorted by arrival, equal arrivals in file order. */
    CHECK(read_text("5.5,101,1\n2,202,2\n5.5,303,3\n2,404,4\n0.75,505,5\n2,606,6\n", IC_TRACE_CSV,
                    1.0, 0, &t, &err) == IC_OK);
    CHECK(t.n == 6);
    if (t.n == 6) {
        const double at[6] = {0, 1.25, 1.25, 1.25, 4.75, 4.75};
        const int32_t in[6] = {505, 202, 404, 606, 101, 303};
        for (int i = 0; i < 6; i++) {
            CHECK(t.arrival_s[i] == at[i]);
            CHECK(t.input[i] == in[i]);
            CHECK(t.output[i] == (in[i] / 101));
        }
    }
    ic_trace_free(&t);

    /* CRLF line endings, a whitespace-only CRLF line, no final newline. */
    CHECK(read_text("t,in,out\r\n1.5,10,20\r\n\r\n \t\r\n2.625,11,21\r\n4,12,22", IC_TRACE_CSV, 1.0,
                    0, &t, &err) == IC_OK);
    CHECK(t.n == 3 && t.arrival_s[1] == 1.125 && t.arrival_s[2] == 2.5 && t.output[2] == 22);
    ic_trace_free(&t);

    /* A UTF-8 byte order mark before the header; exponent notation. */
    CHECK(read_text("\xEF\xBB\xBFtime,input,output\n1e1,7,9\n1.25e1,8,10\n", IC_TRACE_CSV, 1.0, 0,
                    &t, &err) == IC_OK);
    CHECK(t.n == 2 && t.arrival_s[1] == 2.5 && t.input[0] == 7);
    ic_trace_free(&t);

    /* max_requests: exactly the limit is fine; one more is an error naming the limit. */
    const char *three = "0,1,1\n1,2,2\n2,3,3\n";
    CHECK(read_text(three, IC_TRACE_CSV, 1.0, 3, &t, &err) == IC_OK && t.n == 3);
    ic_trace_free(&t);
    CHECK(expect_error_n(three, strlen(three), IC_TRACE_CSV, 2, IC_ERR_INVALID,
                         ":3: more requests than the limit of 2 (max_requests)"));
}

static void test_csv_errors(void) {
    CHECK(expect_error("t,in,out\n0,5,5\n1,12x,4\n", IC_TRACE_CSV,
                       ":3: input tokens: got \"12x\", expected an integer >= 1"));
    CHECK(expect_error("0,5,5\n1,12,0\n", IC_TRACE_CSV,
                       ":2: output tokens: got \"0\", expected an integer >= 1"));
    CHECK(expect_error("0,5,5\n1,-3,7\n", IC_TRACE_CSV,
                       ":2: input tokens: got \"-3\", expected an integer >= 1"));
    CHECK(expect_error("0,5,5\n1,2.5,7\n", IC_TRACE_CSV,
                       ":2: input tokens: got \"2.5\", expected an integer >= 1"));
    CHECK(expect_error("0,5,5\n1, ,7\n", IC_TRACE_CSV,
                       ":2: input tokens: got \"\", expected an integer >= 1"));
    CHECK(expect_error("0,5,3000000000\n", IC_TRACE_CSV,
                       ":1: output tokens: got \"3000000000\", expected an integer from 1 to "
                       "2147483647"));
    CHECK(expect_error("0,5,5\n-1,5,5\n", IC_TRACE_CSV,
                       ":2: arrival seconds: got \"-1\", expected a finite number >= 0"));
    CHECK(expect_error("0,5,5\n\n\ninf,5,5\n", IC_TRACE_CSV,
                       ":4: arrival seconds: got \"inf\", expected a finite number >= 0"));
    CHECK(expect_error("0,5,5\nnan,5,5\n", IC_TRACE_CSV,
                       ":2: arrival seconds: got \"nan\", expected a finite number >= 0"));
    CHECK(expect_error("0,5,5\n0x10,5,5\n", IC_TRACE_CSV,
                       ":2: arrival seconds: got \"0x10\", expected a finite number >= 0"));
    CHECK(expect_error("0,5,5\n1e999,5,5\n", IC_TRACE_CSV,
                       ":2: arrival seconds: got \"1e999\", expected a finite number >= 0"));
    CHECK(expect_error("0,5,5\n1.2.3,5,5\n", IC_TRACE_CSV,
                       ":2: arrival seconds: got \"1.2.3\", expected a finite number >= 0"));
    /* A typo in the first row is a row, not a header. */
    CHECK(expect_error("1x,5,5\n", IC_TRACE_CSV,
                       ":1: arrival seconds: got \"1x\", expected a finite number >= 0"));
    /* Only one header, before the first row. */
    CHECK(expect_error("t,in,out\n0,5,5\nt,in,out\n", IC_TRACE_CSV,
                       ":3: arrival seconds: got \"t\", expected a finite number >= 0"));
    CHECK(expect_error("t,in,out\nu,in,out\n", IC_TRACE_CSV,
                       ":2: arrival seconds: got \"u\", expected a finite number >= 0"));
    CHECK(expect_error("0,5,5\r\n1,5\r\n", IC_TRACE_CSV,
                       ":2: got 2 fields, expected 3 (arrival seconds, input tokens, output "
                       "tokens)"));
    CHECK(expect_error("0,5,5,\n", IC_TRACE_CSV, ":1: got 4 fields, expected 3"));
    /* CR alone ends no line: old Mac line endings, or stray CRs, are named as such. */
    CHECK(expect_error("t,in,out\r0,5,5\r1,5,5\r", IC_TRACE_CSV,
                       ": lines end in a carriage return alone (CR, old Mac line endings: 3 of "
                       "them, no line feed)"));
    CHECK(expect_error("{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1}\r{}",
                       IC_TRACE_MOONCAKE, ": lines end in a carriage return alone"));
    CHECK(expect_error("t,in,out\n0,5,5\n1,5,5\r2,5,5\n", IC_TRACE_CSV,
                       ":3: a carriage return (CR) not followed by a line feed: mixed line "
                       "endings (1 bare CR, 3 LF)"));
    CHECK(expect_error("# only\n\n", IC_TRACE_CSV, ": no requests"));
    CHECK(expect_error("arrival,input,output\n", IC_TRACE_CSV, ": no requests"));
    /* A long value is quoted cut short. */
    char longrow[256];
    snprintf(longrow, sizeof longrow, "0,5,5\n1,%s,5\n",
             "1234567890abcdefghij1234567890abcdefghij1234567890abcdefghij1234567890abcdefghij");
    CHECK(expect_error(longrow, IC_TRACE_CSV,
                       ":2: input tokens: got \"1234567890abcdefghij1234567890abcdefghij"
                       "1234567890abcdefghij...\", expected an integer >= 1"));
}

static void test_azure(void) {
    struct ic_trace t;
    struct ic_error err = {0};
    /* Fractions of 7 digits and fewer, across midnight, the year end, and a leap day; one
     * tick (100 ns) resolved on top of a 2023 Unix time. */
    const char *text = "TIMESTAMP,ContextTokens,GeneratedTokens\n"
                       "2023-11-16 23:59:59.9000000,4808,10\n"
                       "2023-11-17 00:00:00.1000000,2385,211\n"
                       "2023-11-17 00:00:01.25,977,3\n"
                       "2023-11-17 00:00:01.2500001,1,1\n";
    CHECK(read_text(text, IC_TRACE_AZURE, 1.0, 0, &t, &err) == IC_OK);
    CHECK(t.n == 4);
    if (t.n == 4) {
        CHECK(t.arrival_s[0] == 0);
        CHECK(t.arrival_s[1] == 0.2);
        CHECK(t.arrival_s[2] == 1.35);
        CHECK(t.arrival_s[3] == 13500001 / 1e7);
        CHECK(t.arrival_s[3] > t.arrival_s[2]);
        CHECK(t.input[0] == 4808 && t.input[1] == 2385 && t.input[3] == 1);
        CHECK(t.output[0] == 10 && t.output[1] == 211 && t.output[2] == 3);
        CHECK(t.n_hashes == 0 && t.hash_start[4] == 0);
    }
    ic_trace_free(&t);

    /* Columns in another order, other case, an extra column, quoted names, CRLF, no final
     * newline, a UTC offset; rows out of order (sorted) across 2024's leap day. */
    const char *text2 = "\"generatedtokens\",request_id,timestamp,CONTEXTTOKENS\r\n"
                        "54,a,2024-02-29 23:59:59.5,700\r\n"
                        "7,b,2024-02-28 23:59:59,601\r\n"
                        "9,c,2024-03-01T00:00:00.5000000Z,602\r\n"
                        "\r\n"
                        "11,d,2024-03-01 02:00:00.5+02:00,603";
    CHECK(read_text(text2, IC_TRACE_AZURE, 0.5, 0, &t, &err) == IC_OK);
    CHECK(t.n == 4);
    if (t.n == 4) {
        CHECK(t.input[0] == 601 && t.output[0] == 7 && t.arrival_s[0] == 0);
        /* 1 day + 0.5 s, at time_scale 0.5. */
        CHECK(t.input[1] == 700 && t.output[1] == 54 && t.arrival_s[1] == 86400.5 * 0.5);
        /* 02:00:00.5+02:00 is 00:00:00.5 UTC, the same instant as row c: file order kept. */
        CHECK(t.input[2] == 602 && t.arrival_s[2] == 86401.5 * 0.5);
        CHECK(t.input[3] == 603 && t.output[3] == 11 && t.arrival_s[3] == 86401.5 * 0.5);
    }
    ic_trace_free(&t);
}

static void test_azure_errors(void) {
    const char *head = "TIMESTAMP,ContextTokens,GeneratedTokens\n";
    char text[512];
    const char *bad_times[] = {
        "2023-11-16 25:00:00",     "2023-02-29 00:00:00",  "2023-11-16 18:15:46.68059001",
        "2023-11-16 18:15",        "2023-11-16T18:15:46.", "16/11/2023 18:15:46",
        "2023-11-16 18:15:46 UTC", "2023-11-31 00:00:00",  ""};
    for (size_t i = 0; i < sizeof bad_times / sizeof bad_times[0]; i++) {
        char frag[256];
        snprintf(text, sizeof text, "%s2023-11-16 18:15:46.6805900,5,5\n%s,5,5\n", head,
                 bad_times[i]);
        snprintf(frag, sizeof frag,
                 ":3: TIMESTAMP: got \"%s\", expected a date-time YYYY-MM-DD "
                 "HH:MM:SS[.fffffff]",
                 bad_times[i]);
        CHECK(expect_error(text, IC_TRACE_AZURE, frag));
    }
    snprintf(text, sizeof text, "%s2023-11-16 18:15:46.6805900,2048,0\n", head);
    CHECK(expect_error(text, IC_TRACE_AZURE,
                       ":2: GeneratedTokens: got \"0\", expected an integer >= 1 (a request with "
                       "no tokens cannot be replayed)"));
    snprintf(text, sizeof text, "%s\n2023-11-16 18:15:46,5,5\n2023-11-16 18:15:47,0,5\n", head);
    CHECK(expect_error(text, IC_TRACE_AZURE,
                       ":4: ContextTokens: got \"0\", expected an integer >= 1"));
    snprintf(text, sizeof text, "%s2023-11-16 18:15:46,5\n", head);
    CHECK(expect_error(text, IC_TRACE_AZURE,
                       ":2: got 2 fields, expected 3 as in the header (line 1)"));
    CHECK(expect_error("\nTIMESTAMP,ContextTokens,Generated\n2023-11-16 18:15:46,5,5\n",
                       IC_TRACE_AZURE,
                       ":2: header: no column named GeneratedTokens (found: TIMESTAMP, "
                       "ContextTokens, Generated)"));
    CHECK(expect_error("TIMESTAMP,ContextTokens,GeneratedTokens,timestamp\n", IC_TRACE_AZURE,
                       ":1: header: column TIMESTAMP appears twice (columns 1 and 4)"));
    CHECK(expect_error("2023-11-16 18:15:46,5,5\n", IC_TRACE_AZURE,
                       ":1: header: no column named TIMESTAMP"));
    CHECK(expect_error(head, IC_TRACE_AZURE, ": no requests"));
    CHECK(expect_error("", IC_TRACE_AZURE, ": no requests"));
}

static void test_mooncake(void) {
    struct ic_trace t;
    struct ic_error err = {0};
    /* Extra fields, an empty and an absent hash_ids, out of order: the prefix blocks travel
     * with their requests through the sort. */
    const char *text =
        "{\"timestamp\": 27482, \"input_length\": 6955, \"output_length\": 52, \"hash_ids\": "
        "[46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 2353, 2354]}\n"
        "{\"timestamp\": 27479, \"input_length\": 1024, \"output_length\": 7, \"hash_ids\": [0, "
        "1], \"session\": \"x\", \"extra\": {\"a\": [1]}}\n"
        "\n"
        "{\"timestamp\": 30000, \"input_length\": 3, \"output_length\": 1, \"hash_ids\": []}\r\n"
        "{\"output_length\": 9, \"input_length\": 513, \"timestamp\": 27482}\n"
        "{\"timestamp\": 27481.5, \"input_length\": 1100, \"output_length\": 365, \"hash_ids\": "
        "[0, 1, 9007199254740992]}";
    CHECK(read_text(text, IC_TRACE_MOONCAKE, 1.0, 0, &t, &err) == IC_OK);
    CHECK(t.n == 5 && t.n_hashes == 19);
    if (t.n == 5 && t.n_hashes == 19) {
        const double at[5] = {0, 0.0025, 0.003, 0.003, 2.521};
        const int32_t in[5] = {1024, 1100, 6955, 513, 3};
        const int32_t out[5] = {7, 365, 52, 9, 1};
        const long hs[6] = {0, 2, 5, 19, 19, 19};
        for (int i = 0; i < 5; i++) {
            CHECK(t.arrival_s[i] == at[i]);
            CHECK(t.input[i] == in[i] && t.output[i] == out[i]);
        }
        for (int i = 0; i < 6; i++) CHECK(t.hash_start[i] == hs[i]);
        CHECK(t.hashes[0] == 0 && t.hashes[1] == 1);
        CHECK(t.hashes[2] == 0 && t.hashes[3] == 1 && t.hashes[4] == INT64_C(9007199254740992));
        CHECK(t.hashes[5] == 46 && t.hashes[16] == 57 && t.hashes[17] == 2353 &&
              t.hashes[18] == 2354);
    }
    ic_trace_free(&t);

    /* Already sorted, at twice the speed. */
    CHECK(read_text("{\"timestamp\": 1000, \"input_length\": 600, \"output_length\": 20, "
                    "\"hash_ids\": [5, 6]}\n"
                    "{\"timestamp\": 4250, \"input_length\": 10, \"output_length\": 30, "
                    "\"hash_ids\": [7]}\n",
                    IC_TRACE_MOONCAKE, 0.5, 0, &t, &err) == IC_OK);
    CHECK(t.n == 2 && t.arrival_s[0] == 0 && t.arrival_s[1] == 1.625);
    CHECK(t.n_hashes == 3 && t.hash_start[1] == 2 && t.hashes[2] == 7);
    ic_trace_free(&t);
}

static void test_mooncake_errors(void) {
    const char *ok = "{\"timestamp\": 0, \"input_length\": 5, \"output_length\": 5}\n";
    char text[512];
#define ROW2(row) (snprintf(text, sizeof text, "%s%s\n", ok, row), text)
    CHECK(expect_error(ROW2("{\"timestamp\": 1, \"input_length\": 5"), IC_TRACE_MOONCAKE,
                       ":2: not valid JSON (syntax error at column"));
    CHECK(expect_error(ROW2("{\"timestamp\": 1, \"input_length\": 5, \"output_length\": 5} x"),
                       IC_TRACE_MOONCAKE, ":2: not valid JSON"));
    CHECK(expect_error(ROW2("[1, 2]"), IC_TRACE_MOONCAKE, ":2: got [1,2], expected a JSON object"));
    CHECK(expect_error(ROW2("{\"input_length\": 5, \"output_length\": 5}"), IC_TRACE_MOONCAKE,
                       ":2: timestamp: got missing, expected a number >= 0 (milliseconds)"));
    CHECK(expect_error(ROW2("{\"timestamp\": -2.5, \"input_length\": 5, \"output_length\": 5}"),
                       IC_TRACE_MOONCAKE, ":2: timestamp: got -2.5, expected a number >= 0"));
    CHECK(expect_error(ROW2("{\"timestamp\": \"7\", \"input_length\": 5, \"output_length\": 5}"),
                       IC_TRACE_MOONCAKE, ":2: timestamp: got \"7\", expected a number >= 0"));
    CHECK(expect_error(ROW2("{\"timestamp\": 1, \"input_length\": \"12\", \"output_length\": 5}"),
                       IC_TRACE_MOONCAKE,
                       ":2: input_length: got \"12\", expected an integer >= 1"));
    CHECK(expect_error(ROW2("{\"timestamp\": 1, \"Input_length\": 12, \"output_length\": 5}"),
                       IC_TRACE_MOONCAKE,
                       ":2: input_length: got missing, expected an integer >= 1"));
    CHECK(expect_error(ROW2("{\"timestamp\": 1, \"input_length\": 12, \"output_length\": 2.5}"),
                       IC_TRACE_MOONCAKE, ":2: output_length: got 2.5, expected an integer >= 1"));
    CHECK(expect_error(ROW2("{\"timestamp\": 1, \"input_length\": 12, \"output_length\": 0}"),
                       IC_TRACE_MOONCAKE,
                       ":2: output_length: got 0, expected an integer >= 1 (a request with no "
                       "tokens cannot be replayed)"));
    CHECK(expect_error(ROW2("{\"timestamp\": 1, \"input_length\": 3e9, \"output_length\": 1}"),
                       IC_TRACE_MOONCAKE,
                       ":2: input_length: got 3000000000, expected an integer from 1 to "
                       "2147483647"));
    CHECK(expect_error(ROW2("{\"timestamp\": 1, \"input_length\": 12, \"output_length\": 5, "
                            "\"hash_ids\": 4}"),
                       IC_TRACE_MOONCAKE, ":2: hash_ids: got 4, expected an array of integers"));
    CHECK(expect_error(ROW2("{\"timestamp\": 1, \"input_length\": 1200, \"output_length\": 5, "
                            "\"hash_ids\": [3, \"x\"]}"),
                       IC_TRACE_MOONCAKE, ":2: hash_ids[1]: got \"x\", expected an integer"));
    CHECK(expect_error(ROW2("{\"timestamp\": 1, \"input_length\": 1200, \"output_length\": 5, "
                            "\"hash_ids\": [3, 4.5]}"),
                       IC_TRACE_MOONCAKE, ":2: hash_ids[1]: got 4.5, expected an integer"));
    CHECK(expect_error(ROW2("{\"timestamp\": 1, \"input_length\": 600, \"output_length\": 5, "
                            "\"hash_ids\": [3, 4, 5]}"),
                       IC_TRACE_MOONCAKE,
                       ":2: hash_ids: got 3 ids for input_length 600, expected at most 2 (one per "
                       "512-token block)"));
#undef ROW2
    CHECK(expect_error("\n\n", IC_TRACE_MOONCAKE, ": no requests"));
    char three[256];
    snprintf(three, sizeof three, "%s%s%s", ok, ok, ok);
    CHECK(expect_error_n(three, strlen(three), IC_TRACE_MOONCAKE, 1, IC_ERR_INVALID,
                         ":2: more requests than the limit of 1"));
}

static void test_files(void) {
    struct ic_trace t;
    struct ic_error err = {0};
    const char *missing = "/tmp/test_trace_no_such_file.csv";
    unlink(missing);
    CHECK(ic_trace_read(missing, IC_TRACE_CSV, 1.0, 0, &t, &err) == IC_ERR_IO);
    CHECK_STR_CONTAINS(err.msg, missing);
    CHECK(t.n == 0 && !t.arrival_s);
    ic_trace_free(&t);

    /* The empty file, in every format. */
    CHECK(expect_error("", IC_TRACE_CSV, ": no requests"));
    CHECK(expect_error("", IC_TRACE_MOONCAKE, ": no requests"));

    /* A NUL byte (e.g. a compressed file) is refused with its line. */
    const char nul[] = "0,5,5\n1,5\0,5\n";
    CHECK(expect_error_n(nul, sizeof nul - 1, IC_TRACE_CSV, 0, IC_ERR_INVALID,
                         ":2: contains a NUL byte"));

    /* Bad arguments. */
    CHECK(expect_error_n("0,1,1\n", 6, IC_TRACE_CSV, -1, IC_ERR_INVALID, ": max_requests: got -1"));
    CHECK(expect_error_n("0,1,1\n", 6, 7, 0, IC_ERR_INVALID, ": unknown trace format 7"));
    char path[64];
    CHECK(read_bytes("0,1,1\n", 6, IC_TRACE_CSV, 0.0, 0, &t, &err, path) == IC_ERR_INVALID);
    CHECK_STR_CONTAINS(err.msg, "time_scale: got 0, expected a number > 0");
    ic_trace_free(&t);
}

/* A generated 200k-line csv (about 4 MB), sorted, then the same rows in a scrambled order
 * to sort at scale.  A sanity check of the linear parse, not a timing. */
static void test_large(void) {
    const long n = 200000;
    size_t cap = (size_t)n * 40 + 64;
    char *text = malloc(cap);
    if (!text) {
        CHECK(0);
        return;
    }
    size_t len = (size_t)snprintf(text, cap, "arrival_s,input,output\n");
    for (long i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len, "%.3f,%ld,%ld\n", 100 + i * 0.125,
                                1 + i % 8191, 1 + (i * 37) % 2039);
    struct ic_trace t;
    struct ic_error err = {0};
    char path[64];
    CHECK(read_bytes(text, len, IC_TRACE_CSV, 1.0, 0, &t, &err, path) == IC_OK);
    CHECK(t.n == n);
    if (t.n == n) {
        CHECK(t.arrival_s[0] == 0 && t.arrival_s[1] == 0.125);
        CHECK(t.arrival_s[n - 1] == (n - 1) * 0.125);
        CHECK(t.input[123457] == 1 + 123457 % 8191 && t.output[123457] == 1 + (123457 * 37) % 2039);
        CHECK(t.hash_start[n] == 0);
    }
    ic_trace_free(&t);

    /* Row k holds request (k * 7919) mod n; 7919 is prime and does not divide n, so every
     * request appears once; arrivals of pairs tie (i / 2), so stability shows too. */
    len = 0;
    for (long k = 0; k < n; k++) {
        long i = (k * 7919) % n;
        len += (size_t)snprintf(text + len, cap - len, "%.1f,%ld,%ld\n", (double)(i / 2), i + 1,
                                k + 1);
    }
    CHECK(read_bytes(text, len, IC_TRACE_CSV, 1.0, 0, &t, &err, path) == IC_OK);
    CHECK(t.n == n);
    if (t.n == n) {
        long bad = 0;
        for (long i = 0; i < n; i++) {
            if (t.arrival_s[i] != (double)(i / 2)) bad++;
            /* Of a tied pair, the one earlier in the file (smaller row k) comes first. */
            if (i % 2 == 1 && t.output[i] <= t.output[i - 1]) bad++;
            if (t.input[i] != i + 1 && t.input[i] != (i ^ 1) + 1) bad++;
        }
        CHECK(bad == 0);
    }
    ic_trace_free(&t);
    free(text);
}

int main(void) {
    test_format_names();
    test_csv();
    test_csv_errors();
    test_azure();
    test_azure_errors();
    test_mooncake();
    test_mooncake_errors();
    test_files();
    test_large();
    return check_report("test_trace");
}
