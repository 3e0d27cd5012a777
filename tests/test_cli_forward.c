/* SPDX-License-Identifier: Apache-2.0 */
/* debertacl forward as a user runs it: every requested tensor written (a 40-layer model with
 * --hidden-states --attentions has 81), numbers outside int32 rejected before any conversion, and
 * an allocation failure in the input reader reported with a message. */
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "safetensors.h"
#include "test_common.h"
#include "util.h"

static char g_dir[256];

/* Runs the program with argv (NULL-ended); stderr goes to *err (malloc'd). Returns the exit status. */
static int run_cli(const char *const *argv, const char *preload_size, char **err)
{
    char errpath[512];
    snprintf(errpath, sizeof errpath, "%s/stderr.txt", g_dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen(errpath, "w", stderr) || !freopen("/dev/null", "w", stdout))
            _exit(126);
        if (preload_size) {
            setenv("LD_PRELOAD", DCL_FAIL_MALLOC_LIB, 1);
            setenv("DCL_FAIL_MALLOC_SIZE", preload_size, 1);
        }
        execv(DCL_CLI, (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    size_t n;
    assert_int_equal(dcl_read_file(NULL, errpath, err, &n), DCL_OK);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static char *in_dir(const char *name)
{
    static char path[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof path[k], "%s/%s", g_dir, name);
    return path[k];
}

static void put(const char *name, const char *text)
{
    assert_int_equal(dcl_write_file_atomic(NULL, in_dir(name), text, strlen(text)), DCL_OK);
}

/* 40 layers with hidden states and attentions: 1 + 41 + 40 = 82 tensors (at most 64 were written). */
static void test_every_tensor_written(void **state)
{
    (void)state;
    put("deep.json", "{\"model_type\":\"deberta-v2\",\"vocab_size\":64,\"hidden_size\":16,\"num_hidden_layers\":40,"
                     "\"num_attention_heads\":2,\"intermediate_size\":32,\"relative_attention\":true,"
                     "\"position_buckets\":8,\"pos_att_type\":\"p2c|c2p\",\"norm_rel_ebd\":\"layer_norm\","
                     "\"share_att_key\":true,\"position_biased_input\":false,\"max_position_embeddings\":64}");
    put("ids.json", "{\"input_ids\": [[1, 5, 9, 2]]}");
    const char *argv[] = {"debertacl", "forward", "--synthetic", in_dir("deep.json"), "--input", in_dir("ids.json"),
                          "--output", in_dir("out.safetensors"), "--hidden-states", "--attentions", NULL};
    char *err = NULL;
    int rc = run_cli(argv, NULL, &err);
    if (rc != 0)
        fail_msg("exit %d: %s", rc, err);
    free(err);
    dcl_st_file f;
    assert_int_equal(dcl_st_open(in_dir("out.safetensors"), &f), DCL_OK);
    assert_int_equal(f.count, 82);
    int found = 0;
    for (int i = 0; i < f.count; i++)
        found += !strcmp(f.tensors[i].name, "attentions.39") || !strcmp(f.tensors[i].name, "hidden_states.40");
    assert_int_equal(found, 2);
    dcl_st_close(&f);
}

/* Numbers outside int32: an error naming the entry (the conversion came first: undefined). */
static void test_out_of_range_numbers(void **state)
{
    (void)state;
    static const char *const inputs[] = {"{\"input_ids\": [[1, 1e300, 2]]}", "{\"input_ids\": [[1, -1e300, 2]]}",
                                         "{\"input_ids\": [[1, 3000000000, 2]]}",
                                         "{\"input_ids\": [[1, 2, 3]], \"attention_mask\": [[1, 1, 9.3e18]]}"};
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        put("big.json", inputs[i]);
        const char *argv[] = {"debertacl", "forward", "--synthetic", "deberta-v3-xsmall", "--input",
                              in_dir("big.json"), "--output", in_dir("never.safetensors"), NULL};
        char *err = NULL;
        int rc = run_cli(argv, NULL, &err);
        if (rc != 2 || !strstr(err, "is not an integer"))
            fail_msg("%s: exit %d, \"%s\"", inputs[i], rc, err);
        free(err);
        assert_int_equal(access(in_dir("never.safetensors"), F_OK), -1);
    }
}

/* The reader's allocation failing: exit 2 with a message (it exited 2 silently). */
static void test_reader_out_of_memory(void **state)
{
    (void)state;
#ifdef DCL_NO_PRELOAD
    skip();
#endif
    /* 1 x 1237 ids: the reader's matrix is 4948 bytes, a size nothing else asks for */
    char *text = malloc(1237 * 4 + 64);
    size_t o = (size_t)sprintf(text, "{\"input_ids\": [[");
    for (int i = 0; i < 1237; i++)
        o += (size_t)sprintf(text + o, "%s3", i ? "," : "");
    sprintf(text + o, "]]}");
    put("long.json", text);
    free(text);
    const char *argv[] = {"debertacl", "forward", "--synthetic", "deberta-v3-xsmall", "--input", in_dir("long.json"),
                          "--output", in_dir("never.safetensors"), NULL};
    char *err = NULL;
    int rc = run_cli(argv, "4948", &err);
    if (rc != 2 || !strstr(err, "out of memory") || !strstr(err, "input_ids"))
        fail_msg("exit %d, \"%s\"", rc, err);
    free(err);
}

static int setup(void **state)
{
    (void)state;
    dcl_test_require_device();
    snprintf(g_dir, sizeof g_dir, "%s/cli_forward_XXXXXX", DCL_TEST_BINARY_DIR);
    return mkdtemp(g_dir) ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_tensor_written),
        cmocka_unit_test(test_out_of_range_numbers),
        cmocka_unit_test(test_reader_out_of_memory),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
