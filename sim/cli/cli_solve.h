/* cli_solve.h: `infercap solve`, the capacity solver's command line (see cli_solve.c). */
#ifndef IC_CLI_SOLVE_H
#define IC_CLI_SOLVE_H

int ic_cli_solve(int argc, char **argv);

#endif
