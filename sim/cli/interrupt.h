/* interrupt.h: SIGINT and SIGTERM.
 *
 * A command stops at the first signal, at once, with status 3, deleting its temporary output,
 * unless it declared itself cooperative (ic_interrupt_cooperative: `run`, which checks
 * ic_interrupted between blocks).  Then the first signal asks the run to stop at the next
 * block (the engine checks between windows of output intervals, a sweep between points,
 * --target-ci between blocks): what is complete is written, marked partial, and the process exits
 * with status 3.  A second signal exits at once (status 130), after deleting the temporary output
 * file, so nothing that looks complete is left behind.  The handler touches only async-signal-safe
 * calls (write, unlink, _exit). */
#ifndef IC_INTERRUPT_H
#define IC_INTERRUPT_H

/* Install the handlers (main does, before any parallel region). */
void ic_interrupt_install(void);

/* Cooperative commands (1) stop at the next block on the first signal; the others (0, the
 * default) stop at once. */
void ic_interrupt_cooperative(int on);

/* Has a stop been asked for? */
int ic_interrupted(void);

/* The temporary file to delete if a second signal comes (NULL: none). */
void ic_interrupt_temp(const char *path);

#endif
