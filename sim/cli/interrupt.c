/* interrupt.c: stop at the next block on the first signal, at once on the second (see
 * interrupt.h). */
#include "sim/cli/interrupt.h"

#include "sim/core/util.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;
/* Does the command stop at the next block (run)?  Otherwise the first signal stops at once. */
static volatile sig_atomic_t cooperative;
/* The temporary output's name, copied in before the signal can need it (no allocation). */
static char temp_path[4200];
static volatile sig_atomic_t temp_set;

static void on_signal(int sig) {
    (void)sig;
    if (stop_requested) {
        static const char msg[] = "\ninfercap: interrupted again: stopping now\n";
        if (temp_set) unlink(temp_path);
        (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
        _exit(130);
    }
    if (!cooperative) {
        /* A command with no blocks to stop between (info, merge, replay, fit, ...): nothing it
         * was writing is complete, so stop now and leave nothing behind; status 3 as for an
         * interrupted run. */
        static const char msg[] = "\ninfercap: interrupted: stopping now (nothing written)\n";
        if (temp_set) unlink(temp_path);
        (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
        _exit(3);
    }
    stop_requested = 1;
    static const char msg[] =
        "\ninfercap: interrupted: stopping at the next block and writing what is complete "
        "(again to stop at once)\n";
    (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
}

void ic_interrupt_install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

void ic_interrupt_cooperative(int on) {
    cooperative = on != 0;
}

int ic_interrupted(void) {
    return stop_requested != 0;
}

void ic_interrupt_temp(const char *path) {
    temp_set = 0;
    if (path) {
        ic_strlcpy(temp_path, path, sizeof temp_path);
        temp_set = 1;
    }
}
