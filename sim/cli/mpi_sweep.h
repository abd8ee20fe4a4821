/* mpi_sweep.h: `mpirun -n R infercap run SCENARIO -o OUT.h5`.
 *
 * Built only into the executable, and only with MPI (CMake option IC_MPI, on when MPI is
 * found).  Rank 0 checks every point and makes the work directory; then every rank takes
 * points one at a time from a counter held by rank 0 (MPI_Fetch_and_op on a window: passive
 * target, so rank 0 computes points too and nobody waits for it), runs each into its point
 * file in the shared work directory, and when all are done rank 0 assembles the one output
 * file.  A run without a sweep is a sweep of one point.  The datasets are the same bits as
 * a run in one process. */
#ifndef IC_MPI_SWEEP_H
#define IC_MPI_SWEEP_H

#include "sim/drivers/sweeprun.h"

/* Was this process started by an MPI launcher with more than one process (mpirun, mpiexec,
 * srun)?  Read from the launcher's environment, so that a serial run never calls MPI_Init. */
int ic_mpi_launched(void);

/* Was this executable built with MPI? */
int ic_mpi_built(void);

/* Run the sweep across the ranks; rank 0 prints the output's table (or its JSON).  Returns the
 * exit status, the same on every rank. */
int ic_mpi_sweep(struct ic_sweep_run *run, int json, int quiet);

#endif
