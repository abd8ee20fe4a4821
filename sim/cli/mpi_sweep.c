/* mpi_sweep.c: sweep points across MPI ranks with dynamic load balancing (see mpi_sweep.h). */
#include "sim/cli/mpi_sweep.h"

#include "sim/io/output.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ic_mpi_launched(void) {
    /* Open MPI, MPICH/Hydra and PMI/PMIx (Slurm's srun) each set one of these. */
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE",
                                       "MPI_LOCALNRANKS"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && atoi(v) > 1) return 1;
    }
    /* srun with PMIx need not set a size variable: a job step of several tasks. */
    const char *tasks = getenv("SLURM_STEP_NUM_TASKS");
    return getenv("SLURM_PROCID") && getenv("PMIX_RANK") && tasks && atoi(tasks) > 1;
}

#ifdef IC_HAVE_MPI
#include <mpi.h>

int ic_mpi_built(void) {
    return 1;
}

struct counter {
    MPI_Win win;
};

/* The next point: fetch-and-add on the counter at rank 0. */
static long next_point(void *ctx) {
    struct counter *c = ctx;
    long one = 1, got = -1;
    MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, c->win);
    MPI_Fetch_and_op(&one, &got, MPI_LONG, 0, 0, MPI_SUM, c->win);
    MPI_Win_unlock(0, c->win);
    return got;
}

int ic_mpi_sweep(struct ic_sweep_run *run, int json, int quiet) {
    int provided = 0, rank = 0, size = 1;
    MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    run->rank = rank;
    struct ic_error err = {0};
    long n_points = 0, done = 0;
    int rc = IC_OK;
    if (rank == 0) {
        rc = ic_sweep_begin(run, &n_points, &err);
        if (rc != IC_OK) fprintf(stderr, "infercap: %s\n", err.msg);
        if (rc == IC_OK && !quiet)
            fprintf(stderr, "  %d ranks take the points one at a time\n", size);
    }
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rc != IC_OK) {
        MPI_Finalize();
        return ic_status_exit_code(rc);
    }

    /* The shared counter: a long at rank 0, zero before anyone reads it. */
    struct counter c;
    long *base = NULL;
    MPI_Win_allocate(rank == 0 ? (MPI_Aint)sizeof(long) : 0, (int)sizeof(long), MPI_INFO_NULL,
                     MPI_COMM_WORLD, &base, &c.win);
    if (rank == 0) {
        MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, c.win);
        *base = 0;
        MPI_Win_unlock(0, c.win);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    run->next_point = next_point;
    run->next_ctx = &c;
    rc = ic_sweep_run_points(run, &done, &err);
    if (rc != IC_OK) fprintf(stderr, "infercap: [rank %d] %s\n", rank, err.msg);
    int worst = 0;
    MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    long total = 0;
    MPI_Reduce(&done, &total, 1, MPI_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
    MPI_Win_free(&c.win);

    int status = worst;
    if (rank == 0 && worst == IC_OK) {
        run->next_point = NULL;
        status = ic_sweep_assemble(run, &err);
        if (status != IC_OK) {
            fprintf(stderr, "infercap: %s\n", err.msg);
        } else if (!quiet || json) {
            if (!json) printf("%ld point%s run on %d ranks\n", total, total == 1 ? "" : "s", size);
            if (ic_output_info(run->out_path, json, stdout, &err) != IC_OK) {
                fprintf(stderr, "infercap: %s\n", err.msg);
                status = err.status;
            }
        }
    }
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    MPI_Finalize();
    return status == IC_OK ? 0 : ic_status_exit_code(status);
}

#else

int ic_mpi_built(void) {
    return 0;
}

int ic_mpi_sweep(struct ic_sweep_run *run, int json, int quiet) {
    (void)run;
    (void)json;
    (void)quiet;
    fprintf(stderr, "infercap: started by an MPI launcher, but this infercap was built without "
                    "MPI (rebuild with MPI installed, or -DIC_MPI=ON): every process would run "
                    "the whole scenario and write the same file, so none does\n");
    return 2;
}

#endif
