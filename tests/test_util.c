/* test_util.c: the output-path guard (ic_check_output_path, ic_check_work_dir), temporary
 * names and the clean-up of a killed writer's temporaries (issue #13: inputs and system files
 * are never destroyed). */
#include "check.h"
#include "sim/core/util.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256];

static const char *at(const char *name, char *buf) {
    snprintf(buf, 512, "%s/%s", dir, name);
    return buf;
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* The file's bytes, hashed (FNV-1a), to show an input is unchanged. */
static uint64_t digest(const char *path) {
    FILE *f = fopen(path, "rb");
    uint64_t h = 1469598103934665603ULL;
    if (!f) return 0;
    int c;
    while ((c = fgetc(f)) != EOF) h = (h ^ (uint64_t)(unsigned char)c) * 1099511628211ULL;
    fclose(f);
    return h;
}

/* Expect a refusal (IC_ERR_USAGE) whose message holds `want`. */
static void refused(const char *out, const char *const *inputs, size_t n, const char *want) {
    struct ic_error err = {0};
    int rc = ic_check_output_path("-o", out, inputs, n, &err);
    CHECK(rc == IC_ERR_USAGE);
    CHECK(ic_status_exit_code(rc) == 2);
    CHECK_STR_CONTAINS(err.msg, want);
    if (out && out[0]) CHECK_STR_CONTAINS(err.msg, out);
}

static void accepted(const char *out, const char *const *inputs, size_t n) {
    struct ic_error err = {0};
    int rc = ic_check_output_path("-o", out, inputs, n, &err);
    if (rc != IC_OK) fprintf(stderr, "refused %s: %s\n", out, err.msg);
    CHECK(rc == IC_OK);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/ic_test_util_%ld", (long)getpid());
    CHECK(mkdir(dir, 0755) == 0);
    char scen[512], trace[512], lnk[512], hard[512], fifo[512], sub[600], fresh[512], other[512],
        dotted[512], dang[512];
    at("scenario.json", scen);
    at("trace.csv", trace);
    write_text(scen, "{\"name\": \"x\"}\n");
    write_text(trace, "0,1,1\n");
    write_text(at("other.h5", other), "old result\n");
    uint64_t before = digest(scen);
    const char *inputs[] = {scen, NULL, trace};

    /* The input itself, by the same name and by others: ./x, a symbolic link, a hard link. */
    refused(scen, inputs, 3, "is an input of this command");
    snprintf(dotted, sizeof dotted, "%s/./scenario.json", dir);
    refused(dotted, inputs, 3, "is the same file as the input");
    CHECK(symlink(scen, at("link.h5", lnk)) == 0);
    refused(lnk, inputs, 3, "symbolic link");
    CHECK(link(scen, at("hard.h5", hard)) == 0);
    refused(hard, inputs, 3, "hard link");
    refused(trace, inputs, 3, "is an input of this command");
    /* Not a regular file: a device node, a FIFO, a directory, an empty name, a trailing '/'. */
    refused("/dev/null", inputs, 3, "is a character device, not a regular file");
    CHECK(mkfifo(at("fifo", fifo), 0644) == 0);
    refused(fifo, inputs, 3, "FIFO");
    refused(dir, inputs, 3, "is a directory");
    refused("", inputs, 3, "the output file name is empty");
    {
        struct ic_error err = {0};
        CHECK(ic_check_output_path("-o", NULL, inputs, 3, &err) == IC_ERR_USAGE);
    }
    snprintf(sub, sizeof sub, "%s/", dir);
    refused(sub, inputs, 3, "names a directory");
    snprintf(sub, sizeof sub, "%s/nope", scen); /* a file used as a directory */
    refused(sub, inputs, 3, "not a directory");
    /* Allowed: a new name, an existing result that is no input, a dangling link, no inputs. */
    accepted(at("new.h5", fresh), inputs, 3);
    accepted(other, inputs, 3);
    CHECK(symlink(at("missing", sub), at("dangling.h5", dang)) == 0);
    accepted(dang, inputs, 3);
    accepted(other, NULL, 0);
    /* An input named like the output's temporaries (deleted once their writer is gone). */
    char tmpname[600];
    snprintf(tmpname, sizeof tmpname, "%s.tmp-999999", fresh);
    write_text(tmpname, "an input\n");
    const char *in3[] = {tmpname};
    refused(fresh, in3, 1, "is named like this output's temporary files");
    unlink(tmpname);
    CHECK(digest(scen) == before);

    /* The work directory of a sweep: an input's name, a file in its way, an input inside it. */
    char wd[512], inside[600];
    struct ic_error err = {0};
    CHECK(ic_check_work_dir(at("none.points", wd), inputs, 3, &err) == IC_OK);
    CHECK(ic_check_work_dir(scen, inputs, 3, &err) == IC_ERR_USAGE);
    CHECK_STR_CONTAINS(err.msg, "is the input");
    CHECK(ic_check_work_dir(other, inputs, 3, &err) == IC_ERR_USAGE);
    CHECK_STR_CONTAINS(err.msg, "not a directory");
    CHECK(mkdir(at("out.h5.points", wd), 0755) == 0);
    snprintf(inside, sizeof inside, "%s/s.json", wd);
    write_text(inside, "{}\n");
    const char *in2[] = {inside};
    CHECK(ic_check_work_dir(wd, in2, 1, &err) == IC_ERR_USAGE);
    CHECK_STR_CONTAINS(err.msg, "is inside this work directory");
    CHECK(ic_check_work_dir(wd, inputs, 3, &err) == IC_OK);

    /* Temporaries: PATH.tmp-PID; a dead writer's are removed, a live one's and others kept. */
    char tmp[600], dead[600], live[600], notours[600], legacy[600], ck[512];
    at("r.h5.ckpt", ck);
    ic_temp_name(ck, tmp, sizeof tmp);
    char want[600];
    snprintf(want, sizeof want, "%s.tmp-%ld", ck, (long)getpid());
    CHECK(strcmp(tmp, want) == 0);
    pid_t child = fork();
    if (child == 0) _exit(0);
    waitpid(child, NULL, 0); /* now a pid no process has */
    snprintf(dead, sizeof dead, "%s.tmp-%ld", ck, (long)child);
    snprintf(live, sizeof live, "%s.tmp-%ld", ck, (long)getppid());
    snprintf(notours, sizeof notours, "%s.tmp-x1", ck);
    snprintf(legacy, sizeof legacy, "%s.tmpfoo", ck);
    write_text(dead, "x");
    write_text(live, "x");
    write_text(notours, "x");
    write_text(legacy, "x");
    write_text(tmp, "x");
    ic_clean_stale_temporaries(ck);
    CHECK(access(dead, F_OK) != 0);
    CHECK(access(live, F_OK) == 0);
    CHECK(access(notours, F_OK) == 0);
    CHECK(access(legacy, F_OK) == 0);
    CHECK(access(tmp, F_OK) == 0); /* this process's own */

    /* clean up */
    const char *rm[] = {scen,   trace, other, lnk,     hard,   fifo, dang,
                        inside, dead,  live,  notours, legacy, tmp};
    for (size_t i = 0; i < sizeof rm / sizeof rm[0]; i++) unlink(rm[i]);
    rmdir(wd);
    rmdir(dir);
    return check_report("test_util");
}
