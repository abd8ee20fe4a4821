/* cli_fit.h: `infercap fit`, a growth curve fitted to dated observations (see cli_fit.c). */
#ifndef IC_CLI_FIT_H
#define IC_CLI_FIT_H

/* `infercap fit OBS.json --curve C [--reference T] [--launch T] [--json]` (argv[0] = "fit");
 * prints the result and returns the exit code. */
int ic_cli_fit(int argc, char **argv);

#endif
