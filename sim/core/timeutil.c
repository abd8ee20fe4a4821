/* timeutil.c: ISO-8601 parsing and formatting (see timeutil.h). */
#include "sim/core/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

double ic_monotonic_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

long ic_days_from_civil(long y, unsigned m, unsigned d) {
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long)doe - 719468;
}

static void civil_from_days(long z, long *y, unsigned *m, unsigned *d) {
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long yy = (long)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static int digits(const char *s, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int days_in_month(int y, int m) {
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 ? 28 + leap : dm[m - 1];
}

int ic_parse_utc_offset(const char *p, int *offset_s) {
    if (p[0] == 'Z' && p[1] == '\0') {
        *offset_s = 0;
        return 0;
    }
    int oh, om;
    if ((*p != '+' && *p != '-') || strlen(p) != 6 || p[3] != ':' || digits(p + 1, 2, &oh) ||
        digits(p + 4, 2, &om) || oh > 18 || om > 59)
        return -1;
    *offset_s = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
    return 0;
}

int ic_time_parse(const char *s, double *unix_s, int *offset_s) {
    int Y, M, D, h, mi, sec = 0;
    double frac = 0;
    size_t n = strlen(s);
    if (n < 16) return -1;
    if (digits(s, 4, &Y) || s[4] != '-' || digits(s + 5, 2, &M) || s[7] != '-' ||
        digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != ' ') || digits(s + 11, 2, &h) ||
        s[13] != ':' || digits(s + 14, 2, &mi))
        return -1;
    const char *p = s + 16;
    if (*p == ':') {
        if (digits(p + 1, 2, &sec)) return -1;
        p += 3;
        if (*p == '.') {
            double scale = 0.1;
            p++;
            if (*p < '0' || *p > '9') return -1;
            while (*p >= '0' && *p <= '9') {
                frac += scale * (*p - '0');
                scale *= 0.1;
                p++;
            }
        }
    }
    int off;
    if (ic_parse_utc_offset(p, &off) != 0) return -1;
    if (M < 1 || M > 12 || D < 1 || D > days_in_month(Y, M) || h > 23 || mi > 59 || sec > 59)
        return -1;
    long days = ic_days_from_civil(Y, (unsigned)M, (unsigned)D);
    *unix_s = (double)days * 86400.0 + h * 3600.0 + mi * 60.0 + sec + frac - off;
    *offset_s = off;
    return 0;
}

void ic_time_format(double unix_s, int offset_s, char *buf, int bufsize) {
    if (!isfinite(unix_s)) {
        snprintf(buf, (size_t)bufsize, "n/a");
        return;
    }
    double local = floor(unix_s + offset_s + 0.5);
    long days = (long)floor(local / 86400.0);
    long sod = (long)(local - (double)days * 86400.0);
    long y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    int a = offset_s < 0 ? -offset_s : offset_s;
    snprintf(buf, (size_t)bufsize, "%04ld-%02u-%02uT%02ld:%02ld:%02ld%c%02d:%02d", y, m, d,
             sod / 3600, (sod / 60) % 60, sod % 60, offset_s < 0 ? '-' : '+', a / 3600,
             (a / 60) % 60);
}
