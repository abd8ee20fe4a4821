/* test_fleet.c: the fleet model (failures, repairs, node failures, replicas up, outage windows,
 * power and cost) and the autoscaler's decision, each pinned at its boundaries. */
#include "models/autoscale.h"
#include "check.h"
#include "models/fleet.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define IC_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define IC_TEST_SANITIZED 1
#endif
#endif

static void pool_init(struct ic_fleet_pool *fl, const struct ic_fleet_params *fp, double accels,
                      double per_replica, uint32_t k) {
    memset(fl, 0, sizeof *fl);
    fl->accels = accels;
    fl->per_replica = per_replica;
    ic_fleet_resize(fp, fl);
    ic_rng_init(&fl->rf, 77, 3, IC_STREAM_FAILURES, k);
    ic_fleet_clocks(fp, fl, 0.0);
}

static void test_failures(void) {
    /* No failure rates: nothing ever happens. */
    struct ic_fleet_params fp = {.per_node = 8, .repair_s = 3600};
    struct ic_fleet_pool fl;
    pool_init(&fl, &fp, 64, 8, 0);
    CHECK(isinf(fl.next_event));
    CHECK(ic_fleet_events(&fp, &fl, 1e12) == 0 && fl.failures == 0 && fl.nheap == 0);
    ic_fleet_free(&fl);

    /* Events strictly before t: one exactly at t waits for the next step. */
    fp.failure_rate_per_hour = 0.01;
    pool_init(&fl, &fp, 64, 8, 1);
    const double te = fl.next_event;
    CHECK(te > 0 && te < INFINITY && te == fl.next_fail);
    CHECK(ic_fleet_events(&fp, &fl, te) == 0 && fl.failures == 0 && fl.failed == 0);
    CHECK(ic_fleet_events(&fp, &fl, nextafter(te, INFINITY)) == 0);
    CHECK(fl.failures == 1 && fl.failed == 1 && fl.nheap == 1 && fl.heap[0].node == 0);
    CHECK(fl.heap[0].t > te); /* its repair is pending */
    CHECK(ic_fleet_replicas(&fl) == 7 && ic_fleet_healthy(&fl, fp.per_node) == 63);
    ic_fleet_free(&fl);

    /* Accelerator failures and repairs in steady state: each failure has its repair pending
     * until done (failed == pending repairs), and the mean failed count is Little's law,
     * healthy x rate x mean repair time (N l R / (1 + l R) for N units). */
    fp = (struct ic_fleet_params){
        .per_node = 8, .failure_rate_per_hour = 1e-3, .repair_s = 10 * 3600.0};
    pool_init(&fl, &fp, 1000, 8, 2);
    double sum = 0;
    long n = 0, bad = 0;
    for (double t = 600; t <= 4e7; t += 600, n++) {
        if (ic_fleet_events(&fp, &fl, t) != 0 || fl.failed != (double)fl.nheap) bad++;
        sum += fl.failed;
    }
    CHECK(bad == 0);
    const double lr = 1e-3 * 10;
    CHECK_NEAR(sum / (double)n, 1000 * lr / (1 + lr), 0.15);
    CHECK(fl.failures > 5000 && fl.node_failures == 0);
    ic_fleet_free(&fl);

    /* A node failure takes its accelerators down once: those already failed on it move to
     * masked, and come back as failed when the node is repaired. */
    fp = (struct ic_fleet_params){.per_node = 8, .node_failure_rate_per_hour = 1, .repair_s = 60};
    pool_init(&fl, &fp, 8, 2, 3);
    CHECK(fl.total_replicas == 4 && fl.per_failed_node == 4);
    fl.failed = 3;                /* three failed on their own (their repairs elsewhere) */
    ic_fleet_clocks(&fp, &fl, 0); /* healthy 5, one node */
    double tn = fl.next_node_fail;
    CHECK(fl.next_event == tn && tn < INFINITY);
    CHECK(ic_fleet_events(&fp, &fl, nextafter(tn, INFINITY)) == 0);
    CHECK(fl.node_failures == 1 && fl.failed_nodes == 1 && fl.failed == 0 && fl.masked == 3);
    CHECK(ic_fleet_healthy(&fl, fp.per_node) == 0 && ic_fleet_replicas(&fl) == 0);
    CHECK(fl.nheap == 1 && fl.heap[0].node == 1);
    double tr = fl.heap[0].t;
    CHECK(fl.next_event == tr); /* no healthy node or accelerator is left to fail */
    CHECK(ic_fleet_events(&fp, &fl, nextafter(tr, INFINITY)) == 0);
    CHECK(fl.failed_nodes == 0 && fl.failed == 3 && fl.masked == 0 && fl.nheap == 0);
    CHECK(ic_fleet_replicas(&fl) == 1);
    ic_fleet_free(&fl);

    /* Replicas: a failed node takes ceil(per_node / per_replica) replicas; never below 0. */
    fp = (struct ic_fleet_params){.per_node = 8};
    fl = (struct ic_fleet_pool){.accels = 33, .per_replica = 3};
    ic_fleet_resize(&fp, &fl);
    CHECK(fl.total_replicas == 11 && fl.per_failed_node == 3);
    fl.failed = 1, fl.failed_nodes = 1;
    CHECK(ic_fleet_replicas(&fl) == 7);
    fl.failed_nodes = 4;
    CHECK(ic_fleet_replicas(&fl) == 0);

    /* Size changes: a scale-in takes failed accelerators with it (failed <= accels). */
    fp = (struct ic_fleet_params){.per_node = 8, .failure_rate_per_hour = 0.5};
    pool_init(&fl, &fp, 16, 8, 4);
    fl.failed = 10;
    ic_fleet_add(&fp, &fl, -8, 100);
    CHECK(fl.accels == 8 && fl.failed == 8 && fl.total_replicas == 1);
    CHECK(isinf(fl.next_fail) && fl.next_event > 100); /* none healthy: no failure clock */
    ic_fleet_add(&fp, &fl, 8, 200);
    CHECK(fl.accels == 16 && fl.failed == 8 && fl.total_replicas == 2 && fl.next_fail > 200);
    ic_fleet_free(&fl);
}

/* A repair that cannot be queued is reported (-1), not dropped: in a child process whose address
 * space is capped below what the heap's growth needs (not under the sanitizers, whose shadow
 * memory needs more). */
static void test_repair_oom(void) {
#ifndef IC_TEST_SANITIZED
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit rl = {(rlim_t)4 << 30, (rlim_t)4 << 30};
        if (setrlimit(RLIMIT_AS, &rl) != 0) _exit(3);
        struct ic_fleet_params fp = {.per_node = 8, .failure_rate_per_hour = 1e3, .repair_s = 60};
        struct ic_fleet_pool fl;
        pool_init(&fl, &fp, 64, 8, 5);
        fl.heap = malloc(sizeof *fl.heap);
        if (!fl.heap) _exit(4);
        fl.heap[0] = (struct ic_repair){INFINITY, 0};
        fl.nheap = fl.cap = 1 << 29; /* full: growing it takes 16 GiB */
        ic_fleet_clocks(&fp, &fl, 0);
        int rc = ic_fleet_events(&fp, &fl, 3600);
        _exit(rc == -1 && fl.failures == 1 && fl.nheap == 1 << 29 ? 0 : 1);
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
#endif
}

static void test_outages_power_cost(void) {
    const double t0[2] = {100, 150}, t1[2] = {200, 300}, keep[2] = {0.5, 0.5};
    CHECK(ic_fleet_outage_keep(2, t0, t1, keep, 99.999) == 1.0);
    CHECK(ic_fleet_outage_keep(2, t0, t1, keep, 100) == 0.5); /* [start, end) */
    CHECK(ic_fleet_outage_keep(2, t0, t1, keep, 150) == 0.25);
    CHECK(ic_fleet_outage_keep(2, t0, t1, keep, 200) == 0.5);
    CHECK(ic_fleet_outage_keep(2, t0, t1, keep, 300) == 1.0);
    CHECK(ic_fleet_replicas_kept(7, 0.5) == 3 && ic_fleet_replicas_kept(7, 1.0) == 7);

    /* Power: TDP x (idle + (1 - idle) util) x PUE per accelerator. */
    CHECK_NEAR(ic_fleet_power_kw(10, 0.7, 0.3, 0.5, 1.2), 10 * 0.7 * 0.65 * 1.2, 1e-15);
    CHECK_NEAR(ic_fleet_power_kw(10, 0.7, 0.3, 0.0, 1.0), 10 * 0.7 * 0.3, 1e-15);
    CHECK_NEAR(ic_fleet_power_kw(10, 0.7, 0.3, 1.0, 1.0), 10 * 0.7, 1e-15);
    /* Cost: all-in when given (0 is a price: free), else capex + energy. */
    CHECK(ic_fleet_capex_per_h(3 * IC_HOURS_PER_YEAR * 2.0, 3) == 2.0);
    CHECK(ic_fleet_cost_per_h(10, 2.5, 99, 5, 0.1) == 25);
    CHECK(ic_fleet_cost_per_h(10, 0, 99, 5, 0.1) == 0);
    CHECK_NEAR(ic_fleet_cost_per_h(10, -1, 2.0, 5, 0.1), 20.5, 1e-15);
}

static void test_autoscale(void) {
    const struct ic_autoscale_params a = {.target_utilization = 0.8,
                                          .scale_in_utilization = 0.3,
                                          .cooldown_s = 600,
                                          .step = 8,
                                          .floor = 16,
                                          .cap = 64,
                                          .max_actions = 5,
                                          .lead_time_s = 3600,
                                          .lead_time_sigma = 0.5,
                                          .max_pending = 2};
    const double never = -INFINITY;
#define DECIDE(load, now, last, actions, accels, on_order, pending)                                \
    ic_autoscale_decide(&a, load, now, last, actions, accels, on_order, pending)
    CHECK(DECIDE(0.81, 1000, never, 0, 32, 0, 0) == IC_AUTOSCALE_OUT);
    CHECK(DECIDE(0.80, 1000, never, 0, 32, 0, 0) == IC_AUTOSCALE_NONE); /* above, not at */
    CHECK(DECIDE(0.9, 1000, 401, 1, 32, 0, 0) == IC_AUTOSCALE_NONE);    /* cooldown: 599 s */
    CHECK(DECIDE(0.9, 1000, 400, 1, 32, 0, 0) == IC_AUTOSCALE_OUT);     /* 600 s */
    CHECK(DECIDE(0.9, 1000, never, 4, 32, 0, 0) == IC_AUTOSCALE_OUT);
    CHECK(DECIDE(0.9, 1000, never, 5, 32, 0, 0) == IC_AUTOSCALE_NONE); /* max_actions */
    CHECK(DECIDE(0.9, 1000, never, 0, 56, 0, 0) == IC_AUTOSCALE_OUT);  /* to the cap exactly */
    CHECK(DECIDE(0.9, 1000, never, 0, 57, 0, 0) == IC_AUTOSCALE_NONE);
    CHECK(DECIDE(0.9, 1000, never, 0, 48, 8, 1) == IC_AUTOSCALE_OUT); /* on order counts */
    CHECK(DECIDE(0.9, 1000, never, 0, 48, 9, 1) == IC_AUTOSCALE_NONE);
    CHECK(DECIDE(0.9, 1000, never, 0, 16, 8, 2) == IC_AUTOSCALE_NONE); /* max_pending */
    CHECK(DECIDE(ic_autoscale_load(5, 0), 1000, never, 0, 32, 0, 0) == IC_AUTOSCALE_OUT);
    CHECK(ic_autoscale_load(3, 4) == 0.75);
    CHECK(DECIDE(0.29, 1000, never, 0, 24, 0, 0) == IC_AUTOSCALE_IN); /* to the floor exactly */
    CHECK(DECIDE(0.29, 1000, never, 0, 23, 0, 0) == IC_AUTOSCALE_NONE);
    CHECK(DECIDE(0.30, 1000, never, 0, 24, 0, 0) == IC_AUTOSCALE_NONE); /* below, not at */
    CHECK(DECIDE(0.29, 1000, never, 0, 24, 8, 1) == IC_AUTOSCALE_NONE); /* nothing on order */
    CHECK(DECIDE(0.29, 1000, 401, 1, 24, 0, 0) == IC_AUTOSCALE_NONE);   /* cooldown */
    CHECK(DECIDE(0.5, 1000, never, 0, 32, 0, 0) == IC_AUTOSCALE_NONE);
#undef DECIDE
    struct ic_autoscale_params b = a;
    b.cap = 0; /* no cap */
    CHECK(ic_autoscale_decide(&b, 0.9, 0, never, 0, 1e6, 0, 0) == IC_AUTOSCALE_OUT);
    CHECK(ic_autoscale_lead(&a, 0.0) == 3600);
    CHECK_NEAR(ic_autoscale_lead(&a, 1.0), 3600 * exp(0.5), 1e-15);
}

int main(void) {
    test_failures();
    test_repair_oom();
    test_outages_power_cost();
    test_autoscale();
    return check_report("test_fleet");
}
