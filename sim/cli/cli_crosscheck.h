/* cli_crosscheck.h: `infercap crosscheck`, both engines on the same demand (cli_crosscheck.c). */
#ifndef IC_CLI_CROSSCHECK_H
#define IC_CLI_CROSSCHECK_H

int ic_cli_crosscheck(int argc, char **argv);

#endif
