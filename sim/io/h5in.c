/* h5in.c: checked reading of HDF5 files from elsewhere (see h5in.h).
 *
 * libhdf5 trusts a file's structure: a string attribute that holds two strings is read into a
 * buffer sized for one, a dataset's dimensions drive the caller's allocation, and a chunk
 * index that points outside the file is followed.  So each function here first asks HDF5 what
 * the object is (cheap metadata queries) and refuses anything the infercap writer would not
 * have made, before the read proper. */
#include "sim/io/h5in.h"

#include "sim/core/util.h"

#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_RANK 16

/* "FILE: /object" or "FILE: /object/@attr". */
static void where(hid_t loc, const char *name, int attr, char *buf, size_t n) {
    char file[1024] = "?", obj[1024] = "/";
    if (H5Fget_name(loc, file, sizeof file) < 0) ic_strlcpy(file, "?", sizeof file);
    ssize_t k = H5Iget_name(loc, obj, sizeof obj);
    if (k <= 0) ic_strlcpy(obj, "/", sizeof obj);
    size_t at = strlen(obj);
    const char *sep = at > 0 && obj[at - 1] == '/' ? "" : "/";
    if (name)
        snprintf(buf, n, "%s: %s%s%s%s", file, obj, sep, attr ? "@" : "", name);
    else
        snprintf(buf, n, "%s: %s", file, obj);
}

void ic_h5in_names(long long loc, char *file, size_t nf, char *obj, size_t no) {
    if (file && (nf == 0 || H5Fget_name((hid_t)loc, file, nf) < 0)) {
        if (nf) file[0] = '\0';
    }
    if (obj && (no == 0 || H5Iget_name((hid_t)loc, obj, no) <= 0)) {
        if (no) ic_strlcpy(obj, "/", no);
    }
}

/* Did the HDF5 call that just failed run out of memory (an allocation failed, and no low-level
 * I/O did)?  Read before any other HDF5 call, which would clear the error stack. */
static herr_t oom_walk(unsigned n, const H5E_error2_t *e, void *ctx) {
    (void)n;
    int *f = ctx;
    if (e->min_num == H5E_CANTALLOC || e->min_num == H5E_NOSPACE) f[0] = 1;
    if (e->maj_num == H5E_IO) f[1] = 1; /* the file's driver failed: a disk error */
    return 0;
}

int ic_h5in_failed_for_memory(void) {
    int f[2] = {0, 0};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, oom_walk, f);
    return f[0] && !f[1];
}

/* libhdf5 1.10 does not survive every failed allocation (H5AC_create in H5Fopen and
 * H5B__node_dest in a chunked write dereference what they could not allocate), so a call into
 * it is made only with room to spare: a block of IC_H5_HEADROOM bytes must be obtainable
 * first.  Under a tight address-space limit this turns a crash inside the library into an
 * "out of memory" from us. */
#define IC_H5_HEADROOM ((size_t)16 << 20)

int ic_h5in_headroom(void) {
    void *probe = malloc(IC_H5_HEADROOM);
    free(probe);
    return probe != NULL;
}

/* Every refusal goes through here: a read that failed because memory ran out is reported as
 * that (exit 1), never as a damaged file. */
static int bad(hid_t loc, const char *name, int attr, struct ic_error *err, const char *expected,
               const char *found) {
    /* libhdf5 does not always say that an allocation failed (its filters and caches report
     * their own errors): when a modest block cannot be had either, memory is the cause. */
    int oom = ic_h5in_failed_for_memory() || !ic_h5in_headroom();
    char w[2100];
    where(loc, name, attr, w, sizeof w);
    if (oom) return ic_error_set(err, IC_ERR_NOMEM, "%s: out of memory reading it", w);
    return ic_error_set(err, IC_ERR_INVALID, "%s: expected %s, found %s", w, expected, found);
}

static int check_header(hid_t obj, struct ic_error *err);

static const char *class_name(H5T_class_t c) {
    switch (c) {
    case H5T_INTEGER:
        return "an integer";
    case H5T_FLOAT:
        return "a float";
    case H5T_STRING:
        return "a string";
    case H5T_BITFIELD:
        return "a bitfield";
    case H5T_OPAQUE:
        return "an opaque type";
    case H5T_COMPOUND:
        return "a compound type";
    case H5T_REFERENCE:
        return "a reference";
    case H5T_ENUM:
        return "an enum";
    case H5T_VLEN:
        return "a variable-length sequence";
    case H5T_ARRAY:
        return "an array type";
    default:
        return "an unknown datatype";
    }
}

int ic_h5in_open(const char *path, long long *fid, struct ic_error *err) {
    *fid = -1;
    if (access(path, R_OK) != 0)
        return ic_error_set(err, IC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (!ic_h5in_headroom())
        return ic_error_set(err, IC_ERR_NOMEM, "%s: out of memory opening it", path);
    htri_t is = H5Fis_hdf5(path);
    if (is < 0 && ic_h5in_failed_for_memory())
        return ic_error_set(err, IC_ERR_NOMEM, "%s: out of memory opening it", path);
    if (is <= 0) return ic_error_set(err, IC_ERR_INVALID, "%s: not an HDF5 file", path);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0 && ic_h5in_failed_for_memory())
        return ic_error_set(err, IC_ERR_NOMEM, "%s: out of memory opening it", path);
    if (f < 0)
        return ic_error_set(err, IC_ERR_INVALID, "%s: HDF5 cannot open it (a damaged file?)", path);
    *fid = f;
    return IC_OK;
}

int ic_h5in_open_image(const void *buf, size_t n, long long *fid, struct ic_error *err) {
    *fid = -1;
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0) return ic_error_set(err, IC_ERR_HDF5, "HDF5 cannot make a property list");
    int rc = H5Pset_fapl_core(fapl, 65536, 0) < 0 ||
             H5Pset_file_image(fapl, (void *)(uintptr_t)buf, n) < 0;
    hid_t f = rc ? -1 : H5Fopen("image.h5", H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (f < 0) return ic_error_set(err, IC_ERR_INVALID, "image.h5: HDF5 cannot open it");
    *fid = f;
    return IC_OK;
}

void ic_h5in_prefix(struct ic_error *err, const char *file) {
    size_t n = strlen(file);
    if (strncmp(err->msg, file, n) == 0 && err->msg[n] == ':') return;
    ic_error_prefix(err, "%s: ", file);
}

void ic_h5in_close(long long fid) {
    if (fid >= 0) H5Fclose((hid_t)fid);
}

int ic_h5in_has_attr(long long loc, const char *name) {
    struct ic_error e;
    if (check_header((hid_t)loc, &e) != IC_OK) return 0;
    return H5Aexists((hid_t)loc, name) > 0;
}

int ic_h5in_has_link(long long loc, const char *path) {
    char part[1024];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof part) return 0;
    /* each component in turn, and only hard links: a soft or external link could lead out of
     * the file (or in a circle) */
    for (size_t i = 0; i <= n; i++) {
        if (i < n && path[i] != '/') continue;
        if (i == 0) continue;
        memcpy(part, path, i);
        part[i] = '\0';
        if (H5Lexists((hid_t)loc, part, H5P_DEFAULT) <= 0) return 0;
        H5L_info_t li;
        if (H5Lget_info((hid_t)loc, part, &li, H5P_DEFAULT) < 0 || li.type != H5L_TYPE_HARD)
            return 0;
    }
    return 1;
}

/* The element count of a dataspace, or -1 when it is not scalar or simple. */
static long long space_count(hid_t s, int *rank, hsize_t *dims) {
    H5S_class_t c = H5Sget_simple_extent_type(s);
    if (c == H5S_SCALAR) {
        *rank = 0;
        return 1;
    }
    if (c != H5S_SIMPLE) return -1;
    int r = H5Sget_simple_extent_ndims(s);
    if (r < 0 || r > MAX_RANK) return -1;
    *rank = r;
    if (H5Sget_simple_extent_dims(s, dims, NULL) < 0) return -1;
    long long n = 1;
    for (int i = 0; i < r; i++) {
        if (dims[i] > (hsize_t)INT64_MAX / (hsize_t)(n > 0 ? n : 1)) return -1;
        n *= (long long)dims[i];
    }
    return n;
}

static void describe_space(long long n, int rank, const hsize_t *dims, char *buf, size_t len) {
    if (n < 0) {
        snprintf(buf, len, "an empty or unreadable dataspace");
        return;
    }
    if (rank == 0) {
        snprintf(buf, len, "a scalar");
        return;
    }
    int at = snprintf(buf, len, "%lld elements, shape [", n);
    for (int i = 0; i < rank && at > 0 && (size_t)at < len; i++)
        at += snprintf(buf + at, len - (size_t)at, "%s%llu", i ? ", " : "",
                       (unsigned long long)dims[i]);
    if (at > 0 && (size_t)at < len) snprintf(buf + at, len - (size_t)at, "]");
}

/* ---- variable-length strings: their global-heap references, checked ------------------------
 *
 * libhdf5 1.10 follows a variable-length string's reference (collection address, object index)
 * into the global heap without checking that the collection holds that object: a damaged index
 * reads through a wild pointer (H5HG_read).  So before a variable-length string is read, its
 * raw references are read first (a conversion to an opaque type, registered by ic_h5in_init,
 * that copies the stored bytes: length, address, index), and each is checked against the
 * collection as stored in the file, parsed here the way libhdf5 parses it. */

#define RAW_TAG  "infercap-vlen-raw"
#define RAW_SIZE 16 /* 4-byte length, 8-byte address, 4-byte index */

static herr_t raw_conv(hid_t src, hid_t dst, H5T_cdata_t *cdata, size_t nelmts, size_t buf_stride,
                       size_t bkg_stride, void *buf, void *bkg, hid_t dxpl) {
    (void)nelmts, (void)buf_stride, (void)bkg_stride, (void)buf, (void)bkg, (void)dxpl;
    switch (cdata->command) {
    case H5T_CONV_INIT: {
        if (H5Tget_class(src) != H5T_STRING || H5Tis_variable_str(src) <= 0 ||
            H5Tget_class(dst) != H5T_OPAQUE || H5Tget_size(dst) != RAW_SIZE)
            return -1;
        char *tag = H5Tget_tag(dst);
        int ok = tag && strcmp(tag, RAW_TAG) == 0;
        if (tag) H5free_memory(tag);
        return ok ? 0 : -1;
    }
    case H5T_CONV_CONV:
        /* the stored elements are the raw references already, RAW_SIZE bytes each */
        return H5Tget_size(src) == RAW_SIZE ? 0 : -1;
    case H5T_CONV_FREE:
        return 0;
    default:
        return -1;
    }
}

int ic_h5in_init(void) {
    hid_t vs = H5Tcopy(H5T_C_S1), op = H5Tcreate(H5T_OPAQUE, RAW_SIZE);
    int rc = vs < 0 || op < 0 || H5Tset_size(vs, H5T_VARIABLE) < 0 || H5Tset_tag(op, RAW_TAG) < 0 ||
             H5Tregister(H5T_PERS_SOFT, "infercap_vlen_raw", vs, op, raw_conv) < 0;
    if (vs >= 0) H5Tclose(vs);
    if (op >= 0) H5Tclose(op);
    return rc ? -1 : 0;
}

static uint64_t le(const unsigned char *p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

/* n bytes of the file at addr (relative to the base address): through the sec2 or core
 * driver's handle. */
static int file_bytes(hid_t obj, uint64_t addr, void *buf, size_t n) {
    hid_t fid = H5Iget_file_id(obj);
    if (fid < 0) return -1;
    int rc = -1;
    hid_t fapl = H5Fget_access_plist(fid), fcpl = H5Fget_create_plist(fid);
    hsize_t ub = 0, fsize = 0;
    void *h = NULL;
    if (fapl >= 0 && fcpl >= 0 && H5Pget_userblock(fcpl, &ub) >= 0 &&
        H5Fget_filesize(fid, &fsize) >= 0 && H5Fget_vfd_handle(fid, fapl, &h) >= 0 && h) {
        hid_t drv = H5Pget_driver(fapl);
        uint64_t at = addr + ub;
        if (at >= addr && at <= fsize && n <= fsize - at) {
            if (drv == H5FD_SEC2) {
                rc = pread(*(int *)h, buf, n, (off_t)at) == (ssize_t)n ? 0 : -1;
            } else if (drv == H5FD_CORE) {
                const unsigned char *mem = *(unsigned char *const *)h;
                if (mem) {
                    memcpy(buf, mem + at, n);
                    rc = 0;
                }
            }
        }
    }
    if (fapl >= 0) H5Pclose(fapl);
    if (fcpl >= 0) H5Pclose(fcpl);
    H5Fclose(fid);
    return rc;
}

/* The file's addresses and lengths are 8 bytes (the only layout the raw references are read
 * in). */
static int sizes_ok(hid_t obj) {
    hid_t fid = H5Iget_file_id(obj);
    if (fid < 0) return 0;
    hid_t fcpl = H5Fget_create_plist(fid);
    size_t sa = 0, ss = 0;
    int ok = fcpl >= 0 && H5Pget_sizes(fcpl, &sa, &ss) >= 0 && sa == 8 && ss == 8;
    if (fcpl >= 0) H5Pclose(fcpl);
    H5Fclose(fid);
    return ok;
}

#define MAX_COLLECTION (64L << 20)

/* One raw reference: a null string (address 0), or an object of the collection at its address
 * that exists and is exactly as long as the string: 1 yes, 0 no, -1 out of memory. */
static int ref_ok(hid_t obj, const unsigned char *raw) {
    uint64_t len = le(raw, 4), addr = le(raw + 4, 8), idx = le(raw + 12, 4);
    if (addr == 0) return 1; /* a null string: libhdf5 does not look in the heap */
    if (idx == 0 || idx > 65535) return 0;
    unsigned char head[16];
    if (file_bytes(obj, addr, head, sizeof head) != 0) return 0;
    uint64_t size = le(head + 8, 8);
    if (memcmp(head, "GCOL", 4) != 0 || head[4] != 1 || size < 4096 || size > MAX_COLLECTION)
        return 0;
    unsigned char *c = malloc((size_t)size);
    if (!c) return -1; /* out of memory: not the file's fault */
    int found = 0, bad = file_bytes(obj, addr, c, (size_t)size) != 0;
    /* as H5HG__cache_heap_deserialize walks it: objects (16-byte header, data padded to 8)
     * until the end; index 0 is the free space, whose size counts its header */
    uint64_t p = 16;
    while (!bad && p < size) {
        if (p + 16 > size) break; /* the tail is free space */
        uint64_t i = le(c + p, 2), n = le(c + p + 8, 8), need;
        if (i == 0)
            need = n;
        else
            need = n > size ? size : 16 + ((n + 7) & ~(uint64_t)7);
        if (need < 16 || need > size - p) {
            bad = 1;
            break;
        }
        if (i == idx) {
            if (found || n != len) bad = 1;
            found = 1;
        }
        p += need;
    }
    free(c);
    return found && !bad;
}

/* Check the raw references of the selected elements (fs: the file selection, or H5S_ALL for
 * all; n of them) of a string attribute (attr) or dataset. */
static int check_vlen(hid_t loc, const char *name, int attr, hid_t obj, hid_t fs, size_t n,
                      struct ic_error *err) {
    if (!sizes_ok(obj))
        return bad(loc, name, attr, err, "a file with 8-byte addresses and lengths",
                   "another layout");
    /* one-byte characters: libhdf5 sizes its buffers by length x character size */
    hid_t ft = attr ? H5Aget_type(obj) : H5Dget_type(obj);
    hid_t sup = ft >= 0 ? H5Tget_super(ft) : -1;
    size_t csize = sup >= 0 ? H5Tget_size(sup) : 0;
    if (sup >= 0) H5Tclose(sup);
    if (ft >= 0) H5Tclose(ft);
    if (csize != 1)
        return bad(loc, name, attr, err, "a string of one-byte characters", "another string type");
    hid_t op = H5Tcreate(H5T_OPAQUE, RAW_SIZE);
    unsigned char *raw = calloc(n ? n : 1, RAW_SIZE);
    hsize_t nn = n;
    hid_t ms = fs == H5S_ALL ? H5S_ALL : H5Screate_simple(1, &nn, NULL);
    herr_t r = op < 0 || !raw || H5Tset_tag(op, RAW_TAG) < 0 || (fs != H5S_ALL && ms < 0) ? -1
               : attr ? H5Aread(obj, op, raw)
                      : H5Dread(obj, op, ms, fs, H5P_DEFAULT, raw);
    int rc = IC_OK;
    if (!raw)
        rc = ic_error_set(err, IC_ERR_NOMEM, "out of memory");
    else if (r < 0)
        rc = bad(loc, name, attr, err, "variable-length strings whose references can be checked",
                 "none (a damaged file?)");
    for (size_t i = 0; rc == IC_OK && i < n; i++) {
        int ok = ref_ok(obj, raw + i * RAW_SIZE);
        if (ok < 0)
            rc = ic_error_set(err, IC_ERR_NOMEM, "out of memory");
        else if (!ok)
            rc = bad(loc, name, attr, err, "a string in the file's global heap",
                     "a reference to nothing there (a damaged file)");
    }
    if (ms != H5S_ALL && ms >= 0) H5Sclose(ms);
    if (op >= 0) H5Tclose(op);
    free(raw);
    return rc;
}

/* ---- attribute messages, checked before libhdf5 decodes them -------------------------------
 *
 * libhdf5 1.10 decodes an attribute message (when an attribute is looked up, opened or
 * iterated) trusting the lengths inside it: a damaged name, datatype or dataspace length, or a
 * dataspace larger than the message, makes it copy past the object header's buffer.  So
 * before any attribute of an object is touched, its object header (version 1, as the writer
 * and h5py make) is read here and every attribute message in it is checked: the parts' lengths
 * fit the message, the name is terminated, the datatype is of a class the writer (and the
 * dimension-scale API) uses, not shared, and the data (elements x element size) fits what is
 * left. */

#define MAX_HEADER_BLOCK (1L << 20)

static int attr_msg_ok(const unsigned char *m, uint64_t n) {
    if (n < 8) return 0;
    int ver = m[0], flags = m[1];
    uint64_t nn = le(m + 2, 2), dn = le(m + 4, 2), sn = le(m + 6, 2), off;
    uint64_t na = nn, da = dn, sa = sn;
    if (ver == 1) {
        off = 8;
        na = (nn + 7) & ~(uint64_t)7, da = (dn + 7) & ~(uint64_t)7, sa = (sn + 7) & ~(uint64_t)7;
    } else if (ver == 2 || ver == 3) {
        if (flags != 0) return 0; /* shared datatype or dataspace: the writer never shares */
        off = ver == 3 ? 9 : 8;
    } else {
        return 0;
    }
    if (nn < 1 || dn < 8 || sn < 4 || off + na + da + sa > n) return 0;
    const unsigned char *name = m + off, *dt = name + na, *ds = dt + da;
    if (memchr(name, '\0', (size_t)nn) == NULL) return 0;
    int cls = dt[0] & 0x0f;
    uint64_t esize = le(dt + 4, 4);
    if (cls == 9) {
        /* variable-length: a reference on disk, and its stored size must say so (libhdf5
         * sizes the attribute's buffer by the stored size and reads it by the real one) */
        if (esize != RAW_SIZE || dn < 20) return 0;
    } else if (cls != 0 && cls != 1 && cls != 3 && cls != 6 && cls != 7)
        return 0; /* integer, float, string; compound and reference (dimension scales) */
    if (esize == 0 || esize > (1u << 24)) return 0;
    int dver = ds[0], rank = ds[1], dflags = ds[2];
    uint64_t dpos = dver == 1 ? 8 : dver == 2 ? 4 : 0;
    if (dpos == 0 || rank > 32) return 0;
    uint64_t need = dpos + (uint64_t)rank * 8 * ((dflags & 1) ? 2 : 1);
    if (need > sn) return 0;
    uint64_t count = 1;
    if (dver == 2 && ds[3] == 2) count = 0; /* null dataspace */
    for (int i = 0; i < rank && count; i++) {
        uint64_t d = le(ds + dpos + 8 * (uint64_t)i, 8);
        if (d > 0 && count > UINT64_MAX / d) return 0;
        count *= d;
    }
    uint64_t left = n - (off + na + da + sa);
    return count == 0 || (esize <= left && count <= left / esize);
}

/* Every attribute message of obj's object header (and its continuation blocks) is sound. */
static int check_header(hid_t obj, struct ic_error *err) {
    H5O_info_t oi;
    if (!sizes_ok(obj))
        return bad(obj, NULL, 0, err, "a file with 8-byte addresses and lengths", "another layout");
    if (H5Oget_info2(obj, &oi, H5O_INFO_BASIC) < 0)
        return bad(obj, NULL, 0, err, "an object", "one HDF5 cannot describe");
    unsigned char pre[16];
    if (file_bytes(obj, oi.addr, pre, sizeof pre) != 0 || pre[0] != 1)
        return bad(obj, NULL, 0, err, "a version-1 object header (as infercap and h5py write)",
                   "another or an unreadable one");
    uint64_t blk_addr[64], blk_len[64];
    int nb = 1, rc = IC_OK;
    blk_addr[0] = oi.addr + 16;
    blk_len[0] = le(pre + 8, 4);
    for (int b = 0; rc == IC_OK && b < nb; b++) {
        if (blk_len[b] > MAX_HEADER_BLOCK) {
            rc = bad(obj, NULL, 0, err, "an object header of sane size", "a huge one");
            break;
        }
        unsigned char *c = malloc(blk_len[b] ? (size_t)blk_len[b] : 1);
        if (!c) return ic_error_set(err, IC_ERR_NOMEM, "out of memory");
        if (file_bytes(obj, blk_addr[b], c, (size_t)blk_len[b]) != 0) {
            free(c);
            rc = bad(obj, NULL, 0, err, "an object header inside the file", "one beyond its end");
            break;
        }
        uint64_t p = 0;
        while (rc == IC_OK && p + 8 <= blk_len[b]) {
            uint64_t type = le(c + p, 2), size = le(c + p + 2, 2);
            p += 8;
            if (size > blk_len[b] - p) {
                rc = bad(obj, NULL, 0, err, "object header messages inside the header",
                         "one past its end");
                break;
            }
            if (type == 0x10) { /* continuation */
                if (size < 16 || nb >= 64) {
                    rc = bad(obj, NULL, 0, err, "a few sound continuation blocks", "others");
                    break;
                }
                blk_addr[nb] = le(c + p, 8);
                blk_len[nb] = le(c + p + 8, 8);
                nb++;
            } else if (type == 0x0C && !attr_msg_ok(c + p, size)) {
                rc = bad(obj, NULL, 0, err, "attribute messages whose parts fit in them",
                         "a damaged one");
            }
            p += size;
        }
        free(c);
    }
    return rc;
}

/* ---- strings ----------------------------------------------------------------------------- */

/* One string from an attribute (a >= 0) or a dataset (d >= 0) of file type t, element count
 * checked by the caller, into a new buffer of at most max bytes. */
static int read_string(hid_t loc, const char *name, int attr, hid_t obj, hid_t t, size_t max,
                       char **out, struct ic_error *err) {
    *out = NULL;
    htri_t var = H5Tis_variable_str(t);
    if (var < 0) return bad(loc, name, attr, err, "a string", "an unreadable string type");
    H5T_cset_t cs = H5Tget_cset(t);
    if (cs != H5T_CSET_ASCII && cs != H5T_CSET_UTF8)
        return bad(loc, name, attr, err, "an ASCII or UTF-8 string", "another character set");
    hid_t mt = H5Tcopy(H5T_C_S1);
    if (mt < 0) return ic_error_set(err, IC_ERR_HDF5, "HDF5 cannot copy a datatype");
    int rc = IC_OK;
    if (var) rc = check_vlen(loc, name, attr, obj, H5S_ALL, 1, err);
    if (var && rc == IC_OK) {
        char *s = NULL;
        herr_t r = H5Tset_size(mt, H5T_VARIABLE) < 0 || H5Tset_cset(mt, cs) < 0 ? -1
                   : attr ? H5Aread(obj, mt, &s)
                          : H5Dread(obj, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, &s);
        if (r < 0) {
            rc = bad(loc, name, attr, err, "a readable variable-length string",
                     "one HDF5 cannot read (a damaged file?)");
        } else {
            size_t len = s ? strnlen(s, max + 1) : 0;
            if (len > max) {
                char f[64];
                snprintf(f, sizeof f, "more than %zu bytes", max);
                char e[64];
                snprintf(e, sizeof e, "a string of at most %zu bytes", max);
                rc = bad(loc, name, attr, err, e, f);
            } else {
                *out = malloc(len + 1);
                if (!*out)
                    rc = ic_error_set(err, IC_ERR_NOMEM, "out of memory");
                else {
                    if (len) memcpy(*out, s, len);
                    (*out)[len] = '\0';
                }
            }
        }
        if (s) H5free_memory(s);
    } else if (!var) {
        size_t size = H5Tget_size(t);
        if (size == 0 || size > (size_t)IC_H5IN_MAX_TEXT) {
            char f[64], e[64];
            snprintf(f, sizeof f, "a fixed-length string of %zu bytes", size);
            snprintf(e, sizeof e, "a string of 1 to %zu bytes", max);
            rc = bad(loc, name, attr, err, e, f);
        } else {
            char *buf = calloc(size + 1, 1);
            herr_t r = !buf ? -1
                       : H5Tset_size(mt, size) < 0 || H5Tset_strpad(mt, H5T_STR_NULLPAD) < 0 ||
                               H5Tset_cset(mt, cs) < 0
                           ? -1
                       : attr ? H5Aread(obj, mt, buf)
                              : H5Dread(obj, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
            if (!buf)
                rc = ic_error_set(err, IC_ERR_NOMEM, "out of memory");
            else if (r < 0) {
                free(buf);
                rc = bad(loc, name, attr, err, "a readable string",
                         "one HDF5 cannot read (a damaged file?)");
            } else if (strnlen(buf, size) > max) {
                free(buf);
                char e[64];
                snprintf(e, sizeof e, "a string of at most %zu bytes", max);
                rc = bad(loc, name, attr, err, e, "a longer one");
            } else {
                buf[size] = '\0';
                *out = buf;
            }
        }
    }
    H5Tclose(mt);
    return rc;
}

/* Open attribute name of loc and check it holds exactly n elements of a class in classes
 * (a bit per H5T_class_t). */
static int attr_open(hid_t loc, const char *name, int need, unsigned classes, int n,
                     const char *expected, hid_t *a, hid_t *t, struct ic_error *err) {
    *a = *t = -1;
    int hc = check_header(loc, err);
    if (hc != IC_OK) return hc;
    htri_t ex = H5Aexists(loc, name);
    if (ex < 0) return bad(loc, name, 1, err, expected, "an unreadable attribute");
    if (ex == 0) return need ? bad(loc, name, 1, err, expected, "nothing") : 1;
    *a = H5Aopen(loc, name, H5P_DEFAULT);
    if (*a < 0) return bad(loc, name, 1, err, expected, "an attribute HDF5 cannot open");
    *t = H5Aget_type(*a);
    hid_t s = H5Aget_space(*a);
    H5T_class_t c = *t >= 0 ? H5Tget_class(*t) : H5T_NO_CLASS;
    int rank = 0;
    hsize_t dims[MAX_RANK];
    long long cnt = s >= 0 ? space_count(s, &rank, dims) : -1;
    if (s >= 0) H5Sclose(s);
    int rc = IC_OK;
    if (c < 0 || c >= 32 || !(classes & (1u << c))) {
        rc = bad(loc, name, 1, err, expected, class_name(c));
    } else if (cnt != n) {
        char f[160];
        describe_space(cnt, rank, dims, f, sizeof f);
        if (cnt > 1 && c == H5T_STRING) ic_strlcpy(f, "more than one string", sizeof f);
        rc = bad(loc, name, 1, err, expected, f);
    }
    if (rc != IC_OK) {
        if (*t >= 0) H5Tclose(*t);
        H5Aclose(*a);
        *a = *t = -1;
    }
    return rc;
}

int ic_h5in_attr_str(long long loc, const char *name, int need, char *buf, size_t n,
                     struct ic_error *err) {
    if (n) buf[0] = '\0';
    hid_t a, t;
    int rc = attr_open((hid_t)loc, name, need, 1u << H5T_STRING, 1, "one string", &a, &t, err);
    if (rc == 1) return IC_OK;
    if (rc != IC_OK) return rc;
    char *s = NULL;
    rc = read_string((hid_t)loc, name, 1, a, t, n > 0 ? n - 1 : 0, &s, err);
    if (rc == IC_OK) ic_strlcpy(buf, s, n);
    free(s);
    H5Tclose(t);
    H5Aclose(a);
    return rc;
}

int ic_h5in_attr_nums(long long loc, const char *name, int need, double *v, int n,
                      struct ic_error *err) {
    for (int i = 0; i < n; i++) v[i] = (double)NAN;
    char expected[64];
    if (n == 1)
        snprintf(expected, sizeof expected, "one number");
    else
        snprintf(expected, sizeof expected, "%d numbers", n);
    hid_t a, t;
    int rc = attr_open((hid_t)loc, name, need, (1u << H5T_INTEGER) | (1u << H5T_FLOAT), n, expected,
                       &a, &t, err);
    if (rc == 1) return IC_OK;
    if (rc != IC_OK) return rc;
    size_t size = H5Tget_size(t);
    if (size == 0 || size > 8)
        rc = bad((hid_t)loc, name, 1, err, expected, "a number of an unusual size");
    else if (H5Aread(a, H5T_NATIVE_DOUBLE, v) < 0)
        rc = bad((hid_t)loc, name, 1, err, expected, "numbers HDF5 cannot read");
    if (rc != IC_OK)
        for (int i = 0; i < n; i++) v[i] = (double)NAN;
    H5Tclose(t);
    H5Aclose(a);
    return rc;
}

int ic_h5in_attr_int(long long loc, const char *name, int need, long long lo, long long hi,
                     long long *v, struct ic_error *err) {
    char expected[96];
    snprintf(expected, sizeof expected, "one integer in [%lld, %lld]", lo, hi);
    hid_t a, t;
    int rc = attr_open((hid_t)loc, name, need, 1u << H5T_INTEGER, 1, expected, &a, &t, err);
    if (rc == 1) return IC_OK;
    if (rc != IC_OK) return rc;
    long long x = 0;
    size_t size = H5Tget_size(t);
    if (size == 0 || size > 8)
        rc = bad((hid_t)loc, name, 1, err, expected, "an integer of an unusual size");
    else if (H5Aread(a, H5T_NATIVE_LLONG, &x) < 0)
        rc = bad((hid_t)loc, name, 1, err, expected, "an integer HDF5 cannot read");
    else if (x < lo || x > hi) {
        char f[40];
        snprintf(f, sizeof f, "%lld", x);
        rc = bad((hid_t)loc, name, 1, err, expected, f);
    } else {
        *v = x;
    }
    H5Tclose(t);
    H5Aclose(a);
    return rc;
}

/* ---- datasets ---------------------------------------------------------------------------- */

static int class_ok(int want, H5T_class_t c) {
    switch (want) {
    case IC_H5IN_NUMBER:
        return c == H5T_INTEGER || c == H5T_FLOAT;
    case IC_H5IN_FLOAT:
        return c == H5T_FLOAT;
    case IC_H5IN_INTEGER:
        return c == H5T_INTEGER;
    case IC_H5IN_STRING:
        return c == H5T_STRING;
    default:
        return 1;
    }
}

static const char *want_name(int want) {
    switch (want) {
    case IC_H5IN_NUMBER:
        return "numbers";
    case IC_H5IN_FLOAT:
        return "floats";
    case IC_H5IN_INTEGER:
        return "integers";
    case IC_H5IN_STRING:
        return "strings";
    default:
        return "data";
    }
}

/* The storage: contiguous or compact within the file, or chunked with chunks no larger than
 * the dataset (ranks equal) and only the writer's filters (shuffle, deflate). */
static int check_storage(hid_t loc, const char *name, hid_t d, int rank, const hsize_t *dims,
                         struct ic_error *err) {
    hid_t dcpl = H5Dget_create_plist(d);
    if (dcpl < 0) return bad(loc, name, 0, err, "a dataset", "one without creation properties");
    int rc = IC_OK;
    H5D_layout_t lay = H5Pget_layout(dcpl);
    hid_t fid = H5Iget_file_id(d);
    hsize_t fsize = 0;
    if (fid < 0 || H5Fget_filesize(fid, &fsize) < 0) fsize = 0;
    if (fid >= 0) H5Fclose(fid);
    int nf = H5Pget_nfilters(dcpl);
    if (nf < 0 || nf > 2) {
        rc = bad(loc, name, 0, err, "at most the filters shuffle and deflate", "more filters");
    }
    for (int i = 0; rc == IC_OK && i < nf; i++) {
        unsigned flags = 0, cd[8];
        size_t ncd = 8;
        char fname[64];
        H5Z_filter_t f =
            H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, cd, sizeof fname, fname, NULL);
        if (f != (i == 0 ? H5Z_FILTER_SHUFFLE : H5Z_FILTER_DEFLATE)) {
            char found[96];
            snprintf(found, sizeof found, "filter %d", (int)f);
            rc = bad(loc, name, 0, err, "only the filters shuffle and deflate", found);
        }
    }
    if (rc == IC_OK && lay == H5D_CHUNKED && nf != 2) {
        /* the writer's pipeline, and the only one whose stored chunk sizes libhdf5 reconciles
         * with the chunk's size (unfiltered chunks are trusted to be exactly that size) */
        char found[64];
        snprintf(found, sizeof found, "%d filters", nf);
        rc = bad(loc, name, 0, err, "a chunked dataset filtered by shuffle then deflate", found);
    }
    if (rc == IC_OK && lay == H5D_CHUNKED) {
        hsize_t cd[MAX_RANK];
        int cr = H5Pget_chunk(dcpl, MAX_RANK, cd);
        if (cr != rank) {
            char found[64];
            snprintf(found, sizeof found, "chunks of rank %d", cr);
            rc = bad(loc, name, 0, err, "chunks of the dataset's rank", found);
        }
        for (int i = 0; rc == IC_OK && i < rank; i++)
            if (cd[i] == 0 || cd[i] > (dims[i] > 0 ? dims[i] : 1))
                rc = bad(loc, name, 0, err, "chunks no larger than the dataset",
                         "a chunk dimension out of range");
    } else if (rc == IC_OK && lay == H5D_CONTIGUOUS) {
        if (nf > 0)
            rc = bad(loc, name, 0, err, "filters only on a chunked dataset", "a contiguous one");
        haddr_t off = H5Dget_offset(d);
        hsize_t st = H5Dget_storage_size(d);
        if (rc == IC_OK && off != HADDR_UNDEF && fsize > 0 && (off > fsize || st > fsize - off))
            rc = bad(loc, name, 0, err, "data inside the file", "data beyond its end");
    } else if (rc == IC_OK && lay != H5D_COMPACT) {
        rc = bad(loc, name, 0, err, "a contiguous, compact or chunked dataset",
                 "another storage layout");
    }
    H5Pclose(dcpl);
    return rc;
}

int ic_h5in_dset_open(long long loc, const char *name, int cls, int rank,
                      const unsigned long long *want, unsigned long long max_elems, long long *did,
                      unsigned long long *got, struct ic_error *err) {
    *did = -1;
    hid_t l = (hid_t)loc;
    char expected[200];
    int at = snprintf(expected, sizeof expected, "%s", want_name(cls));
    if (rank == 0)
        snprintf(expected + at, sizeof expected - (size_t)at, " (a scalar)");
    else if (want) {
        at += snprintf(expected + at, sizeof expected - (size_t)at, " of shape [");
        for (int i = 0; i < rank && (size_t)at < sizeof expected; i++)
            at += snprintf(expected + at, sizeof expected - (size_t)at, "%s%llu", i ? ", " : "",
                           want[i]);
        if ((size_t)at < sizeof expected) snprintf(expected + at, sizeof expected - at, "]");
    } else {
        snprintf(expected + at, sizeof expected - (size_t)at, " of rank %d, at most %llu elements",
                 rank, max_elems);
    }
    if (!ic_h5in_has_link(loc, name)) return bad(l, name, 0, err, expected, "nothing");
    H5O_info_t oi;
    if (H5Oget_info_by_name2(l, name, &oi, H5O_INFO_BASIC, H5P_DEFAULT) < 0)
        return bad(l, name, 0, err, expected, "an object HDF5 cannot read");
    if (oi.type != H5O_TYPE_DATASET)
        return bad(l, name, 0, err, expected, oi.type == H5O_TYPE_GROUP ? "a group" : "no dataset");
    hid_t d = H5Dopen2(l, name, H5P_DEFAULT);
    if (d < 0) return bad(l, name, 0, err, expected, "a dataset HDF5 cannot open");
    hid_t t = H5Dget_type(d), s = H5Dget_space(d);
    H5T_class_t c = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    int r = 0;
    hsize_t dims[MAX_RANK];
    long long n = s >= 0 ? space_count(s, &r, dims) : -1;
    int rc = IC_OK;
    if (!class_ok(cls, c)) {
        rc = bad(l, name, 0, err, expected, class_name(c));
    } else if (c != H5T_STRING && (H5Tget_size(t) == 0 || H5Tget_size(t) > 8)) {
        rc = bad(l, name, 0, err, expected, "numbers of an unusual size");
    } else if (n < 0 || r != rank) {
        char f[160];
        describe_space(n, r, dims, f, sizeof f);
        rc = bad(l, name, 0, err, expected, f);
    } else {
        int same = 1;
        for (int i = 0; want && i < rank; i++) same &= dims[i] == want[i];
        if (!same || (!want && (unsigned long long)n > max_elems)) {
            char f[160];
            describe_space(n, r, dims, f, sizeof f);
            rc = bad(l, name, 0, err, expected, f);
        }
    }
    if (rc == IC_OK) rc = check_storage(l, name, d, rank, dims, err);
    if (t >= 0) H5Tclose(t);
    if (s >= 0) H5Sclose(s);
    if (rc != IC_OK) {
        H5Dclose(d);
        return rc;
    }
    for (int i = 0; got && i < rank; i++) got[i] = dims[i];
    *did = d;
    return IC_OK;
}

void ic_h5in_dset_close(long long did) {
    if (did >= 0) H5Dclose((hid_t)did);
}

int ic_h5in_dset_class(long long did) {
    hid_t t = H5Dget_type((hid_t)did);
    H5T_class_t c = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    if (t >= 0) H5Tclose(t);
    return c == H5T_FLOAT     ? IC_H5IN_FLOAT
           : c == H5T_INTEGER ? IC_H5IN_INTEGER
           : c == H5T_STRING  ? IC_H5IN_STRING
                              : IC_H5IN_ANY;
}

int ic_h5in_dset_text(long long loc, const char *name, size_t max, char **out,
                      struct ic_error *err) {
    *out = NULL;
    long long d;
    int rc = ic_h5in_dset_open(loc, name, IC_H5IN_STRING, 0, NULL, 1, &d, NULL, err);
    if (rc != IC_OK) return rc;
    hid_t t = H5Dget_type((hid_t)d);
    rc = t < 0 ? bad((hid_t)loc, name, 0, err, "a string", "an unreadable type")
               : read_string((hid_t)loc, name, 0, (hid_t)d, t, max, out, err);
    if (t >= 0) H5Tclose(t);
    H5Dclose((hid_t)d);
    return rc;
}

int ic_h5in_dset_doubles(long long loc, const char *name, long max_n, double **out, long *n,
                         struct ic_error *err) {
    *out = NULL;
    *n = 0;
    long long d;
    unsigned long long dims[1];
    int rc = ic_h5in_dset_open(loc, name, IC_H5IN_NUMBER, 1, NULL,
                               (unsigned long long)(max_n > 0 ? max_n : 0), &d, dims, err);
    if (rc != IC_OK) return rc;
    double *v = malloc(((size_t)dims[0] + 1) * sizeof *v);
    if (!v)
        rc = ic_error_set(err, IC_ERR_NOMEM, "out of memory");
    else if (dims[0] > 0 &&
             H5Dread((hid_t)d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0)
        rc = bad((hid_t)loc, name, 0, err, "numbers", "data HDF5 cannot read (a damaged file?)");
    H5Dclose((hid_t)d);
    if (rc != IC_OK) {
        free(v);
        return rc;
    }
    *out = v;
    *n = (long)dims[0];
    return IC_OK;
}

void ic_h5in_strings_free(char **v, long n) {
    for (long i = 0; v && i < n; i++) free(v[i]);
    free(v);
}

int ic_h5in_dset_strings(long long loc, const char *name, long max_n, char ***out, long *n,
                         struct ic_error *err) {
    *out = NULL;
    *n = 0;
    long long d;
    unsigned long long dims[1];
    int rc = ic_h5in_dset_open(loc, name, IC_H5IN_STRING, 1, NULL,
                               (unsigned long long)(max_n > 0 ? max_n : 0), &d, dims, err);
    if (rc != IC_OK) return rc;
    hid_t t = H5Dget_type((hid_t)d), fs = H5Dget_space((hid_t)d);
    size_t cnt = (size_t)dims[0];
    char **v = calloc(cnt + 1, sizeof *v);
    if (!v) rc = ic_error_set(err, IC_ERR_NOMEM, "out of memory");
    htri_t var = t >= 0 ? H5Tis_variable_str(t) : -1;
    H5T_cset_t cs = t >= 0 ? H5Tget_cset(t) : H5T_CSET_ERROR;
    if (rc == IC_OK &&
        (var < 0 || t < 0 || fs < 0 || (cs != H5T_CSET_ASCII && cs != H5T_CSET_UTF8)))
        rc = bad((hid_t)loc, name, 0, err, "ASCII or UTF-8 strings", "another string type");
    /* one element at a time, so a damaged element is named and nothing is read in bulk */
    hid_t mt = rc == IC_OK ? H5Tcopy(H5T_C_S1) : -1;
    size_t fsz = t >= 0 ? H5Tget_size(t) : 0;
    if (rc == IC_OK && !var && (fsz == 0 || fsz > 65536))
        rc = bad((hid_t)loc, name, 0, err, "strings of 1 to 65536 bytes",
                 "a fixed-length string of another size");
    if (rc == IC_OK) {
        int tb = mt < 0;
        if (!tb && var) tb = H5Tset_size(mt, H5T_VARIABLE) < 0;
        if (!tb && !var) tb = H5Tset_size(mt, fsz) < 0 || H5Tset_strpad(mt, H5T_STR_NULLPAD) < 0;
        if (!tb) tb = H5Tset_cset(mt, cs) < 0;
        if (tb) rc = ic_error_set(err, IC_ERR_HDF5, "HDF5 cannot make a string type");
    }
    hid_t ms = H5Screate(H5S_SCALAR);
    char *fixed = !var && rc == IC_OK ? calloc(fsz + 1, 1) : NULL;
    if (rc == IC_OK && !var && !fixed) rc = ic_error_set(err, IC_ERR_NOMEM, "out of memory");
    for (size_t i = 0; rc == IC_OK && i < cnt; i++) {
        hsize_t start = i, one = 1;
        char *s = NULL;
        if (H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &one, NULL) < 0) {
            rc = bad((hid_t)loc, name, 0, err, "a selection inside the dataset", "none");
            break;
        }
        if (var && (rc = check_vlen((hid_t)loc, name, 0, (hid_t)d, fs, 1, err)) != IC_OK) break;
        herr_t r = H5Dread((hid_t)d, mt, ms, fs, H5P_DEFAULT, var ? (void *)&s : fixed);
        if (r < 0) {
            rc = bad((hid_t)loc, name, 0, err, "readable strings",
                     "one HDF5 cannot read (a damaged file?)");
            break;
        }
        const char *src = var ? (s ? s : "") : fixed;
        size_t len = strnlen(src, 65536);
        v[i] = malloc(len + 1);
        if (v[i]) {
            memcpy(v[i], src, len);
            v[i][len] = '\0';
        } else {
            rc = ic_error_set(err, IC_ERR_NOMEM, "out of memory");
        }
        if (s) H5free_memory(s);
        if (fixed) memset(fixed, 0, fsz + 1);
    }
    free(fixed);
    if (ms >= 0) H5Sclose(ms);
    if (mt >= 0) H5Tclose(mt);
    if (fs >= 0) H5Sclose(fs);
    if (t >= 0) H5Tclose(t);
    H5Dclose((hid_t)d);
    if (rc != IC_OK) {
        ic_h5in_strings_free(v, (long)cnt);
        return rc;
    }
    *out = v;
    *n = (long)cnt;
    return IC_OK;
}

/* Every allocated chunk that the hyperslab (start, count) touches lies inside the file, so the
 * read never follows a chunk address past the end of it. */
static int check_chunks(hid_t d, int rank, const hsize_t *start, const hsize_t *count,
                        struct ic_error *err) {
    hid_t dcpl = H5Dget_create_plist(d);
    if (dcpl < 0) return bad(d, NULL, 0, err, "a dataset", "one without creation properties");
    int chunked = H5Pget_layout(dcpl) == H5D_CHUNKED;
    hsize_t cd[MAX_RANK];
    int cr = chunked ? H5Pget_chunk(dcpl, MAX_RANK, cd) : 0;
    H5Pclose(dcpl);
    if (!chunked) return IC_OK;
    if (cr != rank) return bad(d, NULL, 0, err, "chunks of the dataset's rank", "other chunks");
    hid_t fid = H5Iget_file_id(d);
    hsize_t fsize = 0;
    int ok = fid >= 0 && H5Fget_filesize(fid, &fsize) >= 0;
    if (fid >= 0) H5Fclose(fid);
    if (!ok) return bad(d, NULL, 0, err, "a file of known size", "none");
    hsize_t lo[MAX_RANK], hi[MAX_RANK], at[MAX_RANK];
    double total = 1;
    for (int i = 0; i < rank; i++) {
        if (count[i] == 0) return IC_OK;
        lo[i] = start[i] / cd[i];
        hi[i] = (start[i] + count[i] - 1) / cd[i];
        at[i] = lo[i];
        total *= (double)(hi[i] - lo[i] + 1);
    }
    if (total > 1e6) return bad(d, NULL, 0, err, "at most 10^6 chunks per read", "more");
    for (;;) {
        hsize_t off[MAX_RANK];
        for (int i = 0; i < rank; i++) off[i] = at[i] * cd[i];
        unsigned mask = 0;
        haddr_t addr = HADDR_UNDEF;
        hsize_t size = 0;
        if (H5Dget_chunk_info_by_coord(d, off, &mask, &addr, &size) < 0)
            return bad(d, NULL, 0, err, "a readable chunk index",
                       "one HDF5 cannot read (a damaged file?)");
        if (addr != HADDR_UNDEF && (addr > fsize || size > fsize - addr))
            return bad(d, NULL, 0, err, "chunks inside the file", "a chunk beyond its end");
        int i = rank - 1;
        while (i >= 0 && at[i] == hi[i]) at[i] = lo[i], i--;
        if (i < 0) break;
        at[i]++;
    }
    return IC_OK;
}

int ic_h5in_read_slab(long long did, int mem, int rank, const unsigned long long *start,
                      const unsigned long long *count, void *buf, struct ic_error *err) {
    hid_t d = (hid_t)did;
    hsize_t st[MAX_RANK], ct[MAX_RANK], n = 1;
    if (rank < 0 || rank > MAX_RANK) return ic_error_set(err, IC_ERR_INVALID, "rank out of range");
    for (int i = 0; i < rank; i++) st[i] = start[i], ct[i] = count[i], n *= count[i];
    int rc = check_chunks(d, rank, st, ct, err);
    if (rc != IC_OK) return rc;
    hid_t fs = H5Dget_space(d);
    if (fs < 0) return bad(d, NULL, 0, err, "a dataspace", "none");
    if (rank > 0 && H5Sselect_hyperslab(fs, H5S_SELECT_SET, st, NULL, ct, NULL) < 0) {
        H5Sclose(fs);
        return bad(d, NULL, 0, err, "a selection inside the dataset", "one outside it");
    }
    hsize_t m = n;
    hid_t ms = rank ? H5Screate_simple(1, &m, NULL) : H5Screate(H5S_SCALAR);
    hid_t mt = mem == IC_H5IN_MEM_FLOAT   ? H5T_NATIVE_FLOAT
               : mem == IC_H5IN_MEM_LLONG ? H5T_NATIVE_LLONG
               : mem == IC_H5IN_MEM_SCHAR ? H5T_NATIVE_SCHAR
                                          : H5T_NATIVE_DOUBLE;
    herr_t r = ms < 0 ? -1 : H5Dread(d, mt, ms, fs, H5P_DEFAULT, buf);
    if (ms >= 0) H5Sclose(ms);
    H5Sclose(fs);
    if (r < 0)
        return bad(d, NULL, 0, err, "readable data", "data HDF5 cannot read (a damaged file?)");
    return IC_OK;
}

int ic_h5in_read_string_at(long long did, int rank, const unsigned long long *at, char *buf,
                           size_t n, struct ic_error *err) {
    hid_t d = (hid_t)did;
    if (n) buf[0] = '\0';
    hsize_t st[MAX_RANK], ct[MAX_RANK];
    if (rank < 0 || rank > MAX_RANK) return ic_error_set(err, IC_ERR_INVALID, "rank out of range");
    for (int i = 0; i < rank; i++) st[i] = at[i], ct[i] = 1;
    int rc = check_chunks(d, rank, st, ct, err);
    if (rc != IC_OK) return rc;
    hid_t t = H5Dget_type(d), fs = H5Dget_space(d), ms = H5Screate(H5S_SCALAR);
    hid_t mt = H5Tcopy(H5T_C_S1);
    htri_t var = t >= 0 ? H5Tis_variable_str(t) : -1;
    size_t fsz = t >= 0 ? H5Tget_size(t) : 0;
    H5T_cset_t cs = t >= 0 ? H5Tget_cset(t) : H5T_CSET_ERROR;
    if (t < 0 || fs < 0 || ms < 0 || mt < 0 || var < 0 || H5Tget_class(t) != H5T_STRING ||
        (cs != H5T_CSET_ASCII && cs != H5T_CSET_UTF8))
        rc = bad(d, NULL, 0, err, "ASCII or UTF-8 strings", "another type");
    else if (!var && (fsz == 0 || fsz > 65536))
        rc = bad(d, NULL, 0, err, "strings of 1 to 65536 bytes",
                 "a fixed-length string of another size");
    else if ((var ? H5Tset_size(mt, H5T_VARIABLE) : H5Tset_size(mt, fsz)) < 0 ||
             H5Tset_strpad(mt, H5T_STR_NULLPAD) < 0 || H5Tset_cset(mt, cs) < 0)
        rc = ic_error_set(err, IC_ERR_HDF5, "HDF5 cannot make a string type");
    else if (rank > 0 && H5Sselect_hyperslab(fs, H5S_SELECT_SET, st, NULL, ct, NULL) < 0)
        rc = bad(d, NULL, 0, err, "a selection inside the dataset", "one outside it");
    if (rc == IC_OK && var) rc = check_vlen(d, NULL, 0, d, fs, 1, err);
    if (rc == IC_OK) {
        char *s = NULL;
        char *fixed = var ? NULL : calloc(fsz + 1, 1);
        if (!var && !fixed) rc = ic_error_set(err, IC_ERR_NOMEM, "out of memory");
        if (rc == IC_OK && H5Dread(d, mt, ms, fs, H5P_DEFAULT, var ? (void *)&s : fixed) < 0)
            rc = bad(d, NULL, 0, err, "readable strings", "one HDF5 cannot read (a damaged file?)");
        if (rc == IC_OK) {
            const char *src = var ? (s ? s : "") : fixed;
            if (strnlen(src, n) >= n) {
                char e[64];
                snprintf(e, sizeof e, "strings of at most %zu bytes", n - 1);
                rc = bad(d, NULL, 0, err, e, "a longer one");
            } else {
                ic_strlcpy(buf, src, n);
            }
        }
        if (s) H5free_memory(s);
        free(fixed);
    }
    if (mt >= 0) H5Tclose(mt);
    if (ms >= 0) H5Sclose(ms);
    if (fs >= 0) H5Sclose(fs);
    if (t >= 0) H5Tclose(t);
    return rc;
}
