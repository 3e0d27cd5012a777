/* SPDX-License-Identifier: Apache-2.0 */
/* The two-level program cache: memory per context, disk across processes; corrupt and foreign
 * files are rebuilt; options are part of the key; build errors carry the compiler's log. */
#include <dirent.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "context.h"
#include "program.h"
#include "test_common.h"

static char cache_dir[64];
static char self_path[4096];

static dcl_cache_stats build_once(const char *options, dcl_status expect)
{
    dcl_context *ctx = dcl_test_context(cache_dir);
    double secs = -1;
    assert_int_equal(dcl_context_build_program(ctx, "basic", options, &secs), expect);
    assert_true(secs >= 0);
    dcl_cache_stats s;
    assert_int_equal(dcl_context_cache_stats(ctx, &s), DCL_OK);
    dcl_context_free(ctx);
    return s;
}

/* the single .clbin file in the cache folder (fails if there are several) */
static void only_cache_file(char *path, size_t size, int expect_count)
{
    DIR *d = opendir(cache_dir);
    assert_non_null(d);
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".clbin")) {
            snprintf(path, size, "%s/%s", cache_dir, e->d_name);
            count++;
        }
    closedir(d);
    assert_int_equal(count, expect_count);
}

static int setup(void **state)
{
    (void)state;
    snprintf(cache_dir, sizeof cache_dir, "/tmp/dcl_cache_XXXXXX");
    if (!mkdtemp(cache_dir))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", cache_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_cold_then_warm_in_process(void **state)
{
    (void)state;
    dcl_cache_stats s = build_once(NULL, DCL_OK);
    assert_int_equal(s.builds, 1);
    assert_int_equal(s.disk_hits, 0);
    assert_int_equal(s.disk_writes, 1);
    char path[512];
    only_cache_file(path, sizeof path, 1);
    s = build_once(NULL, DCL_OK); /* a new context: nothing in memory, served from disk */
    assert_int_equal(s.builds, 0);
    assert_int_equal(s.disk_hits, 1);
    assert_int_equal(s.disk_writes, 0);
}

static void test_second_process_served_from_disk(void **state)
{
    (void)state;
    build_once(NULL, DCL_OK); /* make sure the entry exists */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* a fresh process image: exec ourselves in child mode */
        execl(self_path, self_path, "--child", cache_dir, (char *)NULL);
        _exit(3);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0); /* the child saw disk_hits == 1, builds == 0 */
}

static void test_corrupt_file_is_rebuilt(void **state)
{
    (void)state;
    build_once(NULL, DCL_OK);
    char path[512];
    only_cache_file(path, sizeof path, 1);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, -5, SEEK_END);
    fputc(0x5a, f); /* flip a byte of the binary: the content hash no longer matches */
    fclose(f);
    dcl_cache_stats s = build_once(NULL, DCL_OK);
    assert_int_equal(s.disk_rejects, 1);
    assert_int_equal(s.builds, 1);
    assert_int_equal(s.disk_writes, 1);
    s = build_once(NULL, DCL_OK); /* rewritten and good again */
    assert_int_equal(s.disk_hits, 1);

    /* truncated to a few bytes */
    f = fopen(path, "wb");
    fputs("DCL", f);
    fclose(f);
    s = build_once(NULL, DCL_OK);
    assert_int_equal(s.disk_rejects, 1);
    assert_int_equal(s.builds, 1);
}

static void test_foreign_file_is_rebuilt(void **state)
{
    (void)state;
    build_once(NULL, DCL_OK);
    char path[512];
    only_cache_file(path, sizeof path, 1);
    /* another program's valid entry put under this key's name */
    dcl_cache_stats s = build_once("-DBASIC_VW=2", DCL_OK);
    assert_int_equal(s.builds, 1);
    char other[512];
    only_cache_file(other, sizeof other, 2);
    char cmd[1200];
    DIR *d = opendir(cache_dir);
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".clbin") && !strstr(path, e->d_name))
            snprintf(other, sizeof other, "%s/%s", cache_dir, e->d_name);
    closedir(d);
    snprintf(cmd, sizeof cmd, "cp %s %s", other, path);
    assert_int_equal(system(cmd), 0);
    s = build_once(NULL, DCL_OK);
    assert_int_equal(s.disk_rejects, 1);
    assert_int_equal(s.builds, 1);
}

static void test_option_changes_key(void **state)
{
    (void)state;
    build_once(NULL, DCL_OK);
    dcl_cache_stats s = build_once("-DBASIC_VW=2", DCL_OK);
    assert_int_equal(s.disk_hits, 0);
    assert_int_equal(s.builds, 1);
    s = build_once("-DBASIC_VW=2", DCL_OK);
    assert_int_equal(s.disk_hits, 1);
}

static void test_memory_cache(void **state)
{
    (void)state;
    dcl_context *ctx = dcl_test_context("off");
    assert_int_equal(dcl_context_build_program(ctx, "basic", NULL, NULL), DCL_OK);
    assert_int_equal(dcl_context_build_program(ctx, "basic", NULL, NULL), DCL_OK);
    assert_int_equal(dcl_context_build_program(ctx, "basic", "-DBASIC_VW=2", NULL), DCL_OK);
    dcl_cache_stats s;
    dcl_context_cache_stats(ctx, &s);
    assert_int_equal(s.builds, 2);
    assert_int_equal(s.memory_hits, 1);
    assert_int_equal(s.disk_writes, 0);
    /* the caller's -D replaces the tuned value of the same name (BASIC_VW is 1 by default): the
     * same defines, the same program */
    assert_int_equal(dcl_context_build_program(ctx, "basic", "-DBASIC_VW=1", NULL), DCL_OK);
    dcl_context_cache_stats(ctx, &s);
    assert_int_equal(s.builds, 2);
    assert_int_equal(s.memory_hits, 2);
    dcl_context_free(ctx);
}

static void test_syntax_error_gives_build_log(void **state)
{
    (void)state;
    char dir[] = "/tmp/dcl_kdir_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/broken.cl", dir);
    FILE *f = fopen(path, "w");
    fputs("__kernel void k(__global float *x)\n{\n    x[0] = undeclared_name_42;\n}\n", f);
    fclose(f);
    setenv("DEBERTACL_KERNEL_DIR", dir, 1);
    dcl_context *ctx = dcl_test_context(cache_dir);
    assert_int_equal(dcl_context_build_program(ctx, "broken", NULL, NULL), DCL_ERR_BUILD);
    const char *msg = dcl_context_last_error(ctx);
    assert_non_null(strstr(msg, "broken.cl"));
    assert_non_null(strstr(msg, "undeclared_name_42")); /* the compiler's own line */
    assert_non_null(strstr(msg, ":3:"));                /* pointing at line 3 of the file */
    assert_string_equal(dcl_last_error(), msg);
    /* a missing kernel file in the folder is a clear error too */
    assert_int_equal(dcl_context_build_program(ctx, "basic", NULL, NULL), DCL_ERR_IO);
    assert_non_null(strstr(dcl_last_error(), "DEBERTACL_KERNEL_DIR"));
    dcl_context_free(ctx);
    unsetenv("DEBERTACL_KERNEL_DIR");
    remove(path);
    rmdir(dir);
}

static int child_main(const char *dir)
{
    dcl_context_params p = dcl_context_default_params();
    p.device = getenv("DEBERTACL_DEVICE");
    p.cache_dir = dir;
    dcl_context *ctx;
    if (dcl_context_create(&p, &ctx) != DCL_OK)
        return 4;
    double secs;
    dcl_status st = dcl_context_build_program(ctx, "basic", NULL, &secs);
    dcl_cache_stats s;
    dcl_context_cache_stats(ctx, &s);
    printf("child: build %s in %.3f s; disk hits %u, builds %u\n", dcl_status_string(st), secs, s.disk_hits,
           s.builds);
    dcl_context_free(ctx);
    return st == DCL_OK && s.disk_hits == 1 && s.builds == 0 ? 0 : 5;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--child"))
        return child_main(argv[2]);
    dcl_test_require_device();
    if (!realpath(argv[0], self_path))
        snprintf(self_path, sizeof self_path, "%s", argv[0]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cold_then_warm_in_process, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_process_served_from_disk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_file_is_rebuilt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_file_is_rebuilt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_option_changes_key, setup, teardown),
        cmocka_unit_test(test_memory_cache),
        cmocka_unit_test_setup_teardown(test_syntax_error_gives_build_log, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
