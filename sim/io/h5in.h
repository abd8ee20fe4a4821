/* h5in.h: the one checked way to read an HDF5 file that infercap did not necessarily write.
 *
 * A result file may come from another machine, another version, or a hostile user, so every
 * read of one goes through these functions.  Before they trust an object they check what it
 * is: object type, datatype class, string kind (variable or fixed length) and size, dataspace
 * rank and element count (exactly one for a scalar), dimensions against what the caller
 * expects and against a cap given before anything is allocated, and for a chunked dataset its
 * chunk shape and filter pipeline (only the writer's shuffle + deflate) and that every chunk
 * lies inside the file.  Every HDF5 return value is checked.  A mismatch is an IC_ERR_INVALID
 * error "FILE: /object: expected ..., found ..." (attributes are named /object/@name); an HDF5
 * failure on an object that looked right is the same status with HDF5's part named.
 *
 * Handles are hid_t passed as long long, so callers need not include hdf5.h.  Nothing here
 * prints. */
#ifndef IC_H5IN_H
#define IC_H5IN_H

#include "sim/core/error.h"

#include <stddef.h>

/* Whether a missing attribute is an error. */
enum { IC_H5IN_OPTIONAL = 0, IC_H5IN_REQUIRED = 1 };

/* Datatype classes a dataset may be required to have. */
enum { IC_H5IN_ANY = 0, IC_H5IN_NUMBER, IC_H5IN_FLOAT, IC_H5IN_INTEGER, IC_H5IN_STRING };

/* The longest string read (the resolved scenario is far smaller). */
#define IC_H5IN_MAX_TEXT (16L << 20)

/* Register the conversion that reads a variable-length string's stored reference (used to
 * check it before libhdf5 follows it).  Call once, before any read, from main (it changes
 * libhdf5's global conversion table); 0 on success. */
int ic_h5in_init(void);

/* Open a file read-only (its name is used in messages). */
int ic_h5in_open(const char *path, long long *fid, struct ic_error *err);
/* Did the HDF5 call that just failed run out of memory (rather than meet a damaged file or a
 * disk error)?  Call it before any other HDF5 call, which clears the error stack. */
int ic_h5in_failed_for_memory(void);
/* Is there room to call into libhdf5 (which crashes on some failed allocations)?  1 when a
 * 16 MiB block can be allocated now. */
int ic_h5in_headroom(void);
/* Open an in-memory file image read-only (HDF5's core driver; the fuzz target).  The image
 * must outlive the handle. */
int ic_h5in_open_image(const void *buf, size_t n, long long *fid, struct ic_error *err);
void ic_h5in_close(long long fid);
/* Prefix err with "FILE: " unless it starts so already. */
void ic_h5in_prefix(struct ic_error *err, const char *file);

/* 1 if loc has attribute `name`, 0 if not (or it cannot be told). */
int ic_h5in_has_attr(long long loc, const char *name);
/* 1 if `path` (relative to loc, each component checked in turn) names a link, else 0. */
int ic_h5in_has_link(long long loc, const char *path);

/* A string attribute (one string, variable or fixed length) into buf; longer strings are an
 * error, not cut.  Missing and optional: buf = "". */
int ic_h5in_attr_str(long long loc, const char *name, int need, char *buf, size_t n,
                     struct ic_error *err);
/* Exactly n numbers (integer or float class; n = 1: a scalar or one element) as doubles.
 * Missing and optional: all NaN. */
int ic_h5in_attr_nums(long long loc, const char *name, int need, double *v, int n,
                      struct ic_error *err);
/* One integer in [lo, hi].  Missing and optional: *v unchanged. */
int ic_h5in_attr_int(long long loc, const char *name, int need, long long lo, long long hi,
                     long long *v, struct ic_error *err);

/* A scalar string dataset (at most max bytes) as a new string (free it). */
int ic_h5in_dset_text(long long loc, const char *name, size_t max, char **out,
                      struct ic_error *err);

/* Open dataset `name` after checking it: a dataset, of class cls, of the given rank, with
 * dimensions dims (NULL: any; then at most max_elems elements in all), and a storage layout
 * and filter pipeline the writer makes.  got (rank entries, may be NULL) receives its dims. */
int ic_h5in_dset_open(long long loc, const char *name, int cls, int rank,
                      const unsigned long long *dims, unsigned long long max_elems, long long *did,
                      unsigned long long *got, struct ic_error *err);
void ic_h5in_dset_close(long long did);
/* The datatype class of an open dataset (IC_H5IN_FLOAT, _INTEGER, _STRING; else _ANY). */
int ic_h5in_dset_class(long long did);

/* A 1-D dataset of at most max_n numbers (as doubles) or strings, allocated only after the
 * count is checked.  Free with free() / ic_h5in_strings_free(). */
int ic_h5in_dset_doubles(long long loc, const char *name, long max_n, double **out, long *n,
                         struct ic_error *err);
int ic_h5in_dset_strings(long long loc, const char *name, long max_n, char ***out, long *n,
                         struct ic_error *err);
void ic_h5in_strings_free(char **v, long n);

/* Read the hyperslab (start, count) of an open dataset (checked by ic_h5in_dset_open) into
 * buf as doubles, floats, long longs or signed chars, after checking that every chunk it
 * touches lies inside the file. */
enum { IC_H5IN_MEM_DOUBLE = 0, IC_H5IN_MEM_FLOAT, IC_H5IN_MEM_LLONG, IC_H5IN_MEM_SCHAR };
int ic_h5in_read_slab(long long did, int mem, int rank, const unsigned long long *start,
                      const unsigned long long *count, void *buf, struct ic_error *err);

/* One string (at most n - 1 bytes) of an open string dataset, the element at `at`. */
int ic_h5in_read_string_at(long long did, int rank, const unsigned long long *at, char *buf,
                           size_t n, struct ic_error *err);

/* The file name and the path of an object, for callers' own messages. */
void ic_h5in_names(long long loc, char *file, size_t nf, char *obj, size_t no);

#endif
