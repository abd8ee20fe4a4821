/* cli_perf.h: `infercap perf`, the single-replica calculator (see cli_perf.c). */
#ifndef IC_CLI_PERF_H
#define IC_CLI_PERF_H

int ic_cli_perf(int argc, char **argv);

#endif
