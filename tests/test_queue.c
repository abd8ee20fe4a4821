/* test_queue.c: the fluid queue's step, the degraded-step test, the outage rule (its minimum
 * duration to the step) and the TTFT estimate at load. */
#include "check.h"
#include "models/queue.h"

static void run_steps(struct ic_outage_run *o, long i0, int n, int degraded, long min_steps) {
    for (long i = i0; i < i0 + n; i++) ic_outage_step(o, degraded, i, min_steps, 60.0);
}

static void test_outage_rule(void) {
    CHECK(ic_outage_min_steps(300, 60) == 5);
    CHECK(ic_outage_min_steps(300.0000001, 60) == 6);
    CHECK(ic_outage_min_steps(3 * 0.1, 0.1) == 3); /* 3.0000000000000004 steps: 3 */
    CHECK(ic_outage_min_steps(0, 60) == 0);

    /* One step short of outage_min_s: degraded, no outage. */
    struct ic_outage_run o = {.first_outage = NAN};
    run_steps(&o, 10, 4, 1, 5);
    run_steps(&o, 14, 1, 0, 5);
    CHECK(o.outage == 0 && isnan(o.first_outage) && o.degraded_steps == 4 && o.outage_steps == 0);
    /* Exactly outage_min_s: an outage from the run's first step, all its steps counted. */
    o = (struct ic_outage_run){.first_outage = NAN};
    run_steps(&o, 10, 5, 1, 5);
    CHECK(o.outage == 1 && o.first_outage == 600 && o.outage_steps == 5 && o.degraded_steps == 5);
    run_steps(&o, 15, 1, 1, 5); /* the run goes on: one more */
    CHECK(o.outage_steps == 6);
    run_steps(&o, 16, 1, 0, 5); /* a healthy step ends it */
    CHECK(o.run == 0);
    /* A later outage counts, but the first outage stays the first. */
    run_steps(&o, 100, 4, 1, 5);
    CHECK(o.outage_steps == 6 && o.degraded_steps == 10);
    run_steps(&o, 104, 1, 1, 5);
    CHECK(o.outage_steps == 11 && o.first_outage == 600 && o.run_start == 100);
    /* Minimum 0 or 1 step: every degraded step is an outage step. */
    for (long m = 0; m <= 1; m++) {
        o = (struct ic_outage_run){.first_outage = NAN};
        run_steps(&o, 7, 1, 0, m);
        run_steps(&o, 8, 2, 1, m);
        CHECK(o.outage == 1 && o.first_outage == 480 && o.outage_steps == 2);
    }
}

static void test_queue_step(void) {
    struct ic_queue_flow f;
    double backlog = 10;
    /* 10 waiting + 50 arriving, 40 served, half of the rest abandon, the limit rejects 2. */
    ic_queue_step(&backlog, 50, 40, 8, 0.5, &f);
    CHECK(f.served == 40 && f.abandoned == 10 && f.rejected == 2 && backlog == 8);
    /* Degraded when the failed share exceeds the threshold, not at it. */
    struct ic_queue_flow g = {.served = 90, .abandoned = 5, .rejected = 5};
    CHECK(!ic_queue_degraded(&g, 100, 90, 0.1));
    g.rejected = 5.000001;
    CHECK(ic_queue_degraded(&g, 100, 90, 0.1));
    CHECK(!ic_queue_degraded(&g, 0, 0, 0.1)); /* no demand */
    CHECK(ic_queue_degraded(&f, 1, 0, 0.1));  /* demand, no capacity */
    CHECK(ic_queue_degraded(&g, INFINITY, 90, 0.1));
    CHECK(ic_queue_degraded(&g, NAN, 90, 0.1));
}

static void test_ttft(void) {
    const double w[3] = {0, 0.5, 2.0}; /* the batch's wait at utilisation 0, 0.5, 1 */
    CHECK(ic_queue_ttft(10, 5, 0.1, w, 3, 0.5) == 2 + 0.1 + 0.5);
    CHECK(ic_queue_ttft(0, 5, 0.1, w, 3, 0.75) == 0.1 + 1.25);
    CHECK(ic_queue_ttft(0, 5, 0.1, w, 3, 1.0) == 0.1 + 2.0); /* the last point, not beyond */
    CHECK(ic_queue_ttft(0, 5, 0.1, w, 3, 7.0) == 0.1 + 2.0);
    CHECK(ic_queue_ttft(0, 5, 0.1, w, 3, -1.0) == 0.1);
    CHECK(ic_queue_ttft(0, 5, 0.1, w, 3, 0.25) == 0.1 + 0.25);
}

int main(void) {
    test_outage_rule();
    test_queue_step();
    test_ttft();
    return check_report("test_queue");
}
