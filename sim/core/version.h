/* version.h: the version and the git commit the binary is built from (provenance of every
 * result file and `infercap --version`).  ic_git_commit is generated at each build by
 * tools/gitcommit.cmake, so it names the commit the code was compiled from, with "-dirty" when
 * tracked files differed from it.  May be included by every layer. */
#ifndef IC_VERSION_H
#define IC_VERSION_H

#ifndef IC_VERSION
#define IC_VERSION "unknown"
#endif

extern const char ic_git_commit[];

#endif
