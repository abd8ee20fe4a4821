/* test_timeutil.c: ISO-8601 parsing and formatting. */
#include "check.h"
#include "sim/core/timeutil.h"

int main(void) {
    double t;
    int off;
    /* 2024-03-20T09:30+08:00 = 01:30 UTC = 1710898200 (date -d @1710898200 -u). */
    CHECK(ic_time_parse("2024-03-20T09:30:00+08:00", &t, &off) == 0);
    CHECK(t == 1710898200.0 && off == 28800);
    CHECK(ic_time_parse("2024-03-20T01:30:00Z", &t, &off) == 0);
    CHECK(t == 1710898200.0 && off == 0);
    CHECK(ic_time_parse("2024-03-19T20:30-05:00", &t, &off) == 0);
    CHECK(t == 1710898200.0 && off == -18000);
    CHECK(ic_time_parse("2024-03-20T01:30:00.25Z", &t, &off) == 0);
    CHECK(t == 1710898200.25);
    CHECK(ic_time_parse("2024-02-29T00:00:00Z", &t, &off) == 0); /* leap day */
    CHECK(ic_time_parse("1970-01-01T00:00:00Z", &t, &off) == 0 && t == 0);
    const char *bad[] = {"2023-02-29T00:00:00Z",
                         "2024-02-30T00:00:00Z",
                         "2024-13-01T00:00:00Z",
                         "2024-03-20T24:00:00Z",
                         "2024-03-20T09:30:00",
                         "2024-03-20",
                         "2024-03-20T09:30:00+8:00",
                         "2024-03-20T09:61:00Z",
                         "garbage",
                         "2024-03-20T09:30:00+08:00x",
                         ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = ic_time_parse(bad[i], &t, &off);
        if (rc == 0) fprintf(stderr, "accepted bad time \"%s\"\n", bad[i]);
        CHECK(rc != 0);
    }
    char buf[40];
    ic_time_format(1710898200.0, 28800, buf, sizeof buf);
    CHECK(strcmp(buf, "2024-03-20T09:30:00+08:00") == 0);
    ic_time_format(1710898200.0, -18000, buf, sizeof buf);
    CHECK(strcmp(buf, "2024-03-19T20:30:00-05:00") == 0);
    /* Round trip over many days, both signs of offset, and years before 1970. */
    int ok = 1;
    for (long long xi = -2200000000LL; xi < 4100000000LL; xi += 86400LL * 37 + 1234) {
        double x = (double)xi;
        int offs[] = {0, 19800, -36000};
        for (int k = 0; k < 3; k++) {
            ic_time_format(x, offs[k], buf, sizeof buf);
            double y;
            int o;
            ok &= ic_time_parse(buf, &y, &o) == 0 && y == x && o == offs[k];
        }
    }
    CHECK(ok);
    return check_report("test_timeutil");
}
