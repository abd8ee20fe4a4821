/* fleet.c: failures and repairs of a pool's accelerators (see fleet.h for the model and its
 * sources). */
#include "models/fleet.h"

#include <math.h>
#include <stdlib.h>

IC_ENUM_TABLE(ic_fleet_routings,
              {"least-loaded", IC_FLEET_LEAST_LOADED, "one queue over every pool"},
              {"share", IC_FLEET_SHARE, "fixed shares of the arrivals (routing_share)"});
IC_ENUM_TABLE(ic_routings, {"round-robin", IC_ROUTE_ROUND_ROBIN, "each replica in turn"},
              {"least-outstanding", IC_ROUTE_LEAST_OUTSTANDING,
               "the replica with fewest requests waiting or running"},
              {"power-of-two", IC_ROUTE_POWER_OF_TWO,
               "the less loaded of two replicas drawn at random"});

const char *ic_fleet_routing_name(int routing) {
    return ic_enum_name(&ic_fleet_routings, routing);
}
const char *ic_routing_name(int routing) {
    return ic_enum_name(&ic_routings, routing);
}

static int heap_push(struct ic_fleet_pool *fl, struct ic_repair r) {
    if (fl->nheap == fl->cap) {
        int cap = fl->cap ? 2 * fl->cap : 16;
        struct ic_repair *h = realloc(fl->heap, (size_t)cap * sizeof *h);
        if (!h) return -1;
        fl->heap = h;
        fl->cap = cap;
    }
    struct ic_repair *h = fl->heap;
    int i = fl->nheap++;
    while (i > 0 && h[(i - 1) / 2].t > r.t) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = r;
    return 0;
}

static struct ic_repair heap_pop(struct ic_fleet_pool *fl) {
    struct ic_repair *h = fl->heap;
    struct ic_repair top = h[0], last = h[--fl->nheap];
    int i = 0, n = fl->nheap;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && h[c + 1].t < h[c].t) c++;
        if (h[c].t >= last.t) break;
        h[i] = h[c];
        i = c;
    }
    if (n > 0) h[i] = last;
    return top;
}

/* An exponential waiting time at `rate` per second (infinite at rate 0). */
static double exp_wait(struct ic_rng *r, double rate) {
    return rate > 0 ? -log(ic_rng_uniform(r)) / rate : INFINITY;
}

/* A repair time of mean m: exponential, or lognormal with shape sigma (median m e^{-s^2/2}). */
static double repair_time(struct ic_rng *r, double m, int lognormal, double sigma) {
    if (!lognormal) return -m * log(ic_rng_uniform(r));
    return m * exp(-0.5 * sigma * sigma + sigma * ic_rng_normal(r));
}

void ic_fleet_clocks(const struct ic_fleet_params *fp, struct ic_fleet_pool *fl, double t) {
    double per_node = fp->per_node;
    double healthy = fl->accels - fl->failed - fl->failed_nodes * per_node;
    double nodes = floor(fl->accels / per_node) - fl->failed_nodes;
    fl->next_fail = t + exp_wait(&fl->rf, fmax(healthy, 0) * fp->failure_rate_per_hour / 3600);
    fl->next_node_fail =
        t + exp_wait(&fl->rf, fmax(nodes, 0) * fp->node_failure_rate_per_hour / 3600);
    double tr = fl->nheap > 0 ? fl->heap[0].t : INFINITY;
    fl->next_event = fmin(fmin(fl->next_fail, fl->next_node_fail), tr);
}

/* How many of n units taken at random from `total`, of which `marked` are marked, are marked
 * (hypergeometric, by sequential draws: n is a node's accelerators, a few). */
static double draw_marked(struct ic_rng *r, double n, double marked, double total) {
    double k = 0;
    for (double i = 0; i < n && marked > 0 && total > 0; i++) {
        if (ic_rng_uniform(r) * total < marked) {
            k += 1;
            marked -= 1;
        }
        total -= 1;
    }
    return k;
}

/* A node that fails takes its accelerators down, and those of them already failed on their own
 * (as many as a random draw of the node's accelerators from those not on failed nodes holds)
 * move from `failed` to `masked`, so they are not subtracted again; when the node is repaired,
 * its share of the masked ones comes back as failed (their own repairs are still pending).  A
 * single repair completes one of the pending ones, each as likely (exact for exponential repair
 * times). */
int ic_fleet_events(const struct ic_fleet_params *fp, struct ic_fleet_pool *fl, double t) {
    const double per_node = fp->per_node;
    while (fl->next_event < t) {
        double te = fl->next_event;
        if (fl->nheap > 0 && te == fl->heap[0].t) {
            struct ic_repair r = heap_pop(fl);
            if (r.node) {
                double back =
                    draw_marked(&fl->rf, per_node, fl->masked, fl->failed_nodes * per_node);
                fl->masked -= back;
                fl->failed += back;
                fl->failed_nodes = fmax(0, fl->failed_nodes - 1);
            } else if (fl->masked > 0 &&
                       ic_rng_uniform(&fl->rf) * (fl->failed + fl->masked) < fl->masked) {
                fl->masked -= 1;
            } else {
                fl->failed = fmax(0, fl->failed - 1);
            }
        } else {
            int node = te == fl->next_node_fail && te != fl->next_fail;
            if (node) {
                double hit = draw_marked(&fl->rf, per_node, fl->failed,
                                         fl->accels - fl->failed_nodes * per_node);
                fl->failed -= hit;
                fl->masked += hit;
                fl->failed_nodes += 1;
                fl->node_failures += 1;
            } else {
                fl->failed += 1;
                fl->failures += 1;
            }
            double done =
                te + repair_time(&fl->rf, fp->repair_s, fp->repair_lognormal, fp->repair_sigma);
            if (heap_push(fl, (struct ic_repair){done, node}) != 0) return -1;
        }
        ic_fleet_clocks(fp, fl, te);
    }
    return 0;
}

void ic_fleet_resize(const struct ic_fleet_params *fp, struct ic_fleet_pool *fl) {
    fl->total_replicas = floor(fl->accels / fl->per_replica);
    fl->per_failed_node = ceil(fp->per_node / fl->per_replica);
}

void ic_fleet_add(const struct ic_fleet_params *fp, struct ic_fleet_pool *fl, double n, double t) {
    fl->accels += n;
    if (fl->failed > fl->accels) fl->failed = fl->accels;
    ic_fleet_resize(fp, fl);
    ic_fleet_clocks(fp, fl, t);
}

void ic_fleet_free(struct ic_fleet_pool *fl) {
    free(fl->heap);
    fl->heap = NULL;
    fl->nheap = fl->cap = 0;
}
