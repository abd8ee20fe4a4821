/* cli_calibrate.h: `infercap calibrate`, the performance model's efficiencies fitted to the
 * user's benchmark runs (see cli_calibrate.c and sim/drivers/calibrate.c). */
#ifndef IC_CLI_CALIBRATE_H
#define IC_CLI_CALIBRATE_H

/* `infercap calibrate FILE... --model M --accelerator A [options]` (argv[0] = "calibrate");
 * prints the result and returns the exit code. */
int ic_cli_calibrate(int argc, char **argv);

#endif
