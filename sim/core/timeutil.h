/* timeutil.h: ISO-8601 calendar times with a UTC offset, without the C library's time zone
 * state (timegm/localtime are not thread-safe or portable), using the days-from-civil algorithm
 * of H. Hinnant, "chrono-Compatible Low-Level Date Algorithms" (2013). */
#ifndef IC_TIMEUTIL_H
#define IC_TIMEUTIL_H

/* Parse "YYYY-MM-DDTHH:MM[:SS[.fff]]" followed by "Z" or "+HH:MM"/"-HH:MM" (an offset is
 * required, so a scenario never depends on the machine's time zone).  On success stores the
 * Unix time in seconds and the offset in seconds east of UTC and returns 0; returns -1 on a
 * malformed or impossible time (month 13, 30 February, ...). */
int ic_time_parse(const char *s, double *unix_s, int *offset_s);

/* Parse a UTC offset "+HH:MM", "-HH:MM" or "Z" into seconds east of UTC; 0 on success. */
int ic_parse_utc_offset(const char *s, int *offset_s);

/* Format a Unix time at the given UTC offset as "YYYY-MM-DDTHH:MM:SS+HH:MM". */
void ic_time_format(double unix_s, int offset_s, char *buf, int bufsize);

/* Seconds on the monotonic clock (CLOCK_MONOTONIC): for measuring how long something took, never
 * for dates.  The one clock every timing in infercap reads. */
double ic_monotonic_s(void);

/* Days since 1970-01-01 of a proleptic Gregorian date. */
long ic_days_from_civil(long y, unsigned m, unsigned d);

#endif
