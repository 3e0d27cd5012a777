/* SPDX-License-Identifier: Apache-2.0 */
/* debertacl profile's writers (tools/debertacl/cmd_profile_out.c, cmd_profile_svg.c) on a made-up
 * run: the JSON parses back and validates against tools/debertacl/profile.schema.json, the CSV
 * and the Chrome trace parse back to the same records, and the SVG is well-formed XML. */
#include <cjson/cJSON.h>
#include <locale.h>
#include <math.h>
#include <string.h>

#include "cli.h"
#include "test_common.h"

#define SCHEMA DCL_TEST_DATA_DIR "/../../tools/debertacl/profile.schema.json"
#define NAME_0 "Dev \"A\", <x> & y"

static dcl_profile_record recs[3];
static dcl_cli_prof_device devs[2];
static dcl_cli_prof_run run;

static void make_run(void)
{
    memset(recs, 0, sizeof recs);
    memset(devs, 0, sizeof devs);
    const uint64_t t0 = 1700000000123456789ull; /* an absolute device clock beyond 2^53 */
    snprintf(recs[0].op, sizeof recs[0].op, "transfer.write");
    recs[0].op_class = DCL_OPC_TRANSFER;
    snprintf(recs[0].kernel, sizeof recs[0].kernel, "write");
    recs[0].bytes = 512;
    recs[0].queued_ns = t0;
    recs[0].start_ns = t0 + 1000;
    recs[0].end_ns = t0 + 1500;
    snprintf(recs[1].op, sizeof recs[1].op, "layer0.attention.qkv_gemm");
    recs[1].op_class = DCL_OPC_QKV;
    snprintf(recs[1].kernel, sizeof recs[1].kernel, "CLBlastSgemm");
    recs[1].gemm[0] = 128;
    recs[1].gemm[1] = 2304;
    recs[1].gemm[2] = 768;
    recs[1].gemm[3] = 1;
    recs[1].flops = 2.0 * 128 * 2304 * 768;
    recs[1].bytes = 4.0 * (128 * 768 + 768 * 2304 + 128 * 2304);
    recs[1].queued_ns = t0 + 100;
    recs[1].start_ns = t0 + 2000;
    recs[1].end_ns = t0 + 252000;
    snprintf(recs[2].op, sizeof recs[2].op, "layer0.attention.softmax");
    recs[2].op_class = DCL_OPC_SCORES;
    snprintf(recs[2].kernel, sizeof recs[2].kernel, "dcl_disentangled_softmax");
    recs[2].work_dim = 1;
    recs[2].global[0] = 98304;
    recs[2].local[0] = 64;
    recs[2].flops = 1572864;
    recs[2].bytes = 3145728;
    recs[2].queued_ns = t0 + 200;
    recs[2].start_ns = t0 + 253000;
    recs[2].end_ns = t0 + 300250;

    dcl_cli_prof_device *d = &devs[0];
    d->index = 0;
    d->ok = 1;
    snprintf(d->info.name, sizeof d->info.name, "%s", NAME_0);
    snprintf(d->info.platform_name, sizeof d->info.platform_name, "Platform 1");
    snprintf(d->info.vendor_short, sizeof d->info.vendor_short, "PoCL");
    snprintf(d->info.driver_version, sizeof d->info.driver_version, "3.1");
    d->info.type = DCL_DEVICE_CPU;
    d->has_peak = 1;
    d->peak.gflops = 120.5;
    d->peak.gbytes = 20.25;
    d->wall_median = d->wall_mean = 0.00035;
    d->wall_min = 0.0003;
    d->wall_max = 0.0004;
    d->has_overhead = 1;
    d->overhead_median = 1.015;
    d->overhead_min = 0.75;
    d->overhead_max = 1.5;
    d->unprofiled_median = 0.000345;
    d->events = 0.00029875;
    d->span = 0.00029925;
    d->idle = 0.0000015;
    d->cls[DCL_OPC_TRANSFER] = (dcl_cli_prof_class){0.0000005, 0, 512, 1};
    d->cls[DCL_OPC_QKV] = (dcl_cli_prof_class){0.00025, recs[1].flops, recs[1].bytes, 1};
    d->cls[DCL_OPC_SCORES] = (dcl_cli_prof_class){0.00004725, recs[2].flops, recs[2].bytes, 1};
    d->records = recs;
    d->count = 3;
    d = &devs[1];
    d->index = 1;
    d->ok = 0;
    snprintf(d->info.name, sizeof d->info.name, "GPU <2>");
    snprintf(d->info.platform_name, sizeof d->info.platform_name, "Platform & 2");
    d->info.type = DCL_DEVICE_GPU;
    snprintf(d->error, sizeof d->error, "forward: \"out of memory\" <sic>");
    run = (dcl_cli_prof_run){"deberta-v3-base", 1, 1, 128, 5, 1, devs, 2};
}

/* The writer's output as a NUL-terminated malloc'd string. */
static char *capture(int (*fn)(const dcl_cli_prof_run *, FILE *))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(fn(&run, f), 0);
    fclose(f);
    return buf;
}

/* ---- a JSON Schema subset: type, required, properties, items, enum, minimum ---- */
static int schema_check(const cJSON *s, const cJSON *v, const char *path)
{
    const cJSON *t = cJSON_GetObjectItem(s, "type");
    if (t) {
        const char *ty = t->valuestring;
        int ok = !strcmp(ty, "object")    ? cJSON_IsObject(v)
                 : !strcmp(ty, "array")   ? cJSON_IsArray(v)
                 : !strcmp(ty, "string")  ? cJSON_IsString(v)
                 : !strcmp(ty, "boolean") ? cJSON_IsBool(v)
                 : !strcmp(ty, "number")  ? cJSON_IsNumber(v)
                 : !strcmp(ty, "integer") ? cJSON_IsNumber(v) && v->valuedouble == (double)(long long)v->valuedouble
                                          : 0;
        if (!ok) {
            print_error("%s: not of type %s\n", path, ty);
            return 0;
        }
    }
    const cJSON *e, *en = cJSON_GetObjectItem(s, "enum");
    if (en) {
        int found = 0;
        cJSON_ArrayForEach(e, en) found |= cJSON_Compare(e, v, 1);
        if (!found) {
            print_error("%s: not one of the enum values\n", path);
            return 0;
        }
    }
    const cJSON *min = cJSON_GetObjectItem(s, "minimum");
    if (min && cJSON_IsNumber(v) && v->valuedouble < min->valuedouble) {
        print_error("%s: %g below the minimum %g\n", path, v->valuedouble, min->valuedouble);
        return 0;
    }
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(s, "required")) if (!cJSON_GetObjectItem(v, e->valuestring))
    {
        print_error("%s: no \"%s\"\n", path, e->valuestring);
        return 0;
    }
    char sub[512];
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(s, "properties"))
    {
        const cJSON *x = cJSON_GetObjectItem(v, e->string);
        snprintf(sub, sizeof sub, "%s.%s", path, e->string);
        if (x && !schema_check(e, x, sub))
            return 0;
    }
    const cJSON *items = cJSON_GetObjectItem(s, "items");
    int i = 0;
    if (items)
        cJSON_ArrayForEach(e, v)
        {
            snprintf(sub, sizeof sub, "%s[%d]", path, i++);
            if (!schema_check(items, e, sub))
                return 0;
        }
    return 1;
}

static cJSON *read_json_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    cJSON *j = cJSON_Parse(text);
    assert_non_null(j);
    return j;
}

static void json_round_trip(void **state)
{
    (void)state;
    char *text = capture(dcl_cli_prof_json);
    cJSON *j = cJSON_Parse(text), *schema = read_json_file(SCHEMA);
    assert_non_null(j);
    assert_true(schema_check(schema, j, "$"));
    cJSON *d0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "devices"), 0);
    cJSON *d1 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "devices"), 1);
    assert_string_equal(cJSON_GetObjectItem(d0, "name")->valuestring, NAME_0);
    assert_string_equal(cJSON_GetObjectItem(d1, "status")->valuestring, "error");
    assert_string_equal(cJSON_GetObjectItem(d1, "error")->valuestring, devs[1].error);
    assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(d0, "overhead"), "ratio_median")->valuedouble == 1.015);
    assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(d0, "overhead"), "max_abs_diff")->valuedouble == 0);
    cJSON *r = cJSON_GetObjectItem(d0, "records");
    assert_int_equal(cJSON_GetArraySize(r), 3);
    cJSON *g = cJSON_GetArrayItem(r, 1);
    assert_string_equal(cJSON_GetObjectItem(g, "op")->valuestring, "layer0.attention.qkv_gemm");
    assert_string_equal(cJSON_GetObjectItem(g, "class")->valuestring, "qkv_gemm");
    assert_true(cJSON_GetObjectItem(g, "flops")->valuedouble == 2.0 * 128 * 2304 * 768);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(g, "gemm"), "n")->valueint, 2304);
    /* times relative to the earliest timestamp, exact in a double */
    assert_true(cJSON_GetObjectItem(g, "start_ns")->valuedouble == 2000.0);
    assert_true(cJSON_GetObjectItem(g, "end_ns")->valuedouble == 252000.0);
    cJSON *k = cJSON_GetArrayItem(r, 2);
    assert_int_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(k, "global"), 0)->valueint, 98304);
    assert_int_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(k, "local"), 0)->valueint, 64);
    /* the peak fraction: 1.57 MFLOP over 3.1 MB is bandwidth-bound at 20.25 GB/s */
    cJSON *c;
    double pf = -1;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(d0, "classes")) if (!strcmp(cJSON_GetObjectItem(c, "class")->valuestring,
                                                                            "scores")) pf =
        cJSON_GetObjectItem(c, "peak_fraction")->valuedouble;
    double gflops = 1572864 / 0.00004725 * 1e-9, bound = 1572864.0 / 3145728.0 * 20.25;
    assert_true(fabs(pf - gflops / bound) < 1e-9);
    /* a document that breaks the schema is caught */
    cJSON_ReplaceItemInObject(j, "batch", cJSON_CreateString("one"));
    assert_false(schema_check(schema, j, "$"));
    cJSON_Delete(j);
    cJSON_Delete(schema);
    free(text);
}

/* Splits one CSV line (RFC 4180 quoting) into fields; returns their count. */
static int csv_split(const char *line, char fields[][128], int max)
{
    int n = 0;
    const char *p = line;
    while (n < max) {
        char *out = fields[n];
        size_t o = 0;
        if (*p == '"') {
            for (p++; *p && !(*p == '"' && p[1] != '"'); p++) {
                if (*p == '"')
                    p++;
                if (o < 127)
                    out[o++] = *p;
            }
            if (*p == '"')
                p++;
        } else {
            while (*p && *p != ',' && *p != '\n')
                if (o < 127)
                    out[o++] = *p++;
        }
        out[o] = '\0';
        n++;
        if (*p != ',')
            break;
        p++;
    }
    return n;
}

static void csv_round_trip(void **state)
{
    (void)state;
    char *text = capture(dcl_cli_prof_csv), *save = NULL;
    static char f[32][128];
    int rows = 0;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save), rows++) {
        assert_int_equal(csv_split(line, f, 32), 18);
        if (rows == 0) {
            assert_string_equal(f[0], "device_index");
            assert_string_equal(f[17], "duration_us");
            continue;
        }
        const dcl_profile_record *r = &recs[rows - 1];
        assert_string_equal(f[0], "0");
        assert_string_equal(f[1], NAME_0);
        assert_string_equal(f[3], r->op);
        assert_string_equal(f[5], r->kernel);
        assert_true(strtod(f[12], NULL) == r->flops);
        assert_true(strtod(f[13], NULL) == r->bytes);
        assert_true(fabs(strtod(f[17], NULL) - (double)(r->end_ns - r->start_ns) * 1e-3) < 1e-3);
    }
    assert_int_equal(rows, 4);
    assert_string_equal(f[6], "98304");
    free(text);
}

static void trace_round_trip(void **state)
{
    (void)state;
    char *text = capture(dcl_cli_prof_trace);
    cJSON *j = cJSON_Parse(text);
    assert_non_null(j);
    cJSON *ev = cJSON_GetObjectItem(j, "traceEvents"), *e;
    assert_true(cJSON_IsArray(ev));
    int meta = 0, x = 0;
    double last = -1;
    cJSON_ArrayForEach(e, ev)
    {
        const char *ph = cJSON_GetObjectItem(e, "ph")->valuestring;
        assert_true(cJSON_IsNumber(cJSON_GetObjectItem(e, "pid")) && cJSON_IsNumber(cJSON_GetObjectItem(e, "tid")));
        if (!strcmp(ph, "M")) {
            meta++;
            assert_true(cJSON_IsString(cJSON_GetObjectItem(cJSON_GetObjectItem(e, "args"), "name")));
            continue;
        }
        assert_string_equal(ph, "X");
        const dcl_profile_record *r = &recs[x++];
        assert_string_equal(cJSON_GetObjectItem(e, "name")->valuestring, r->op);
        double ts = cJSON_GetObjectItem(e, "ts")->valuedouble, dur = cJSON_GetObjectItem(e, "dur")->valuedouble;
        assert_true(ts >= last && dur >= 0);
        assert_true(fabs(dur - (double)(r->end_ns - r->start_ns) * 1e-3) < 1e-6);
        last = ts;
    }
    assert_int_equal(meta, 4); /* process and thread names of both devices */
    assert_int_equal(x, 3);
    cJSON_Delete(j);
    free(text);
}

/* ---- XML well-formedness: balanced elements, quoted attributes, escaped '<' and '&' ---- */
static int entity_ok(const char *p)
{
    static const char *const ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    for (size_t i = 0; i < 5; i++)
        if (!strncmp(p, ents[i], strlen(ents[i])))
            return 1;
    return 0;
}

static int xml_well_formed(const char *p, int *elements)
{
    char stack[64][32];
    int depth = 0, roots = 0;
    *elements = 0;
    if (!strncmp(p, "<?xml", 5) && !(p = strstr(p, "?>")))
        return 0;
    if (!strncmp(p, "?>", 2))
        p += 2;
    while (*p) {
        if (*p == '&' && !entity_ok(p))
            return 0;
        if (*p != '<') {
            if (*p == '>' && depth == 0)
                return 0;
            p++;
            continue;
        }
        int closing = p[1] == '/';
        p += closing ? 2 : 1;
        char name[32];
        size_t n = 0;
        while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
               *p == ':' || *p == '_')
            if (n < sizeof name - 1)
                name[n++] = *p++;
            else
                return 0;
        name[n] = '\0';
        if (!n)
            return 0;
        if (closing) {
            if (depth == 0 || strcmp(stack[depth - 1], name) || *p != '>')
                return 0;
            depth--;
            p++;
            continue;
        }
        /* attributes: name="value" with no '<' and only entities after '&' */
        for (;;) {
            while (*p == ' ' || *p == '\n' || *p == '\t')
                p++;
            if (*p == '>' || (*p == '/' && p[1] == '>'))
                break;
            while (*p && *p != '=' && *p != ' ' && *p != '>')
                p++;
            if (*p != '=' || (p[1] != '"' && p[1] != '\''))
                return 0;
            char q = p[1];
            for (p += 2; *p && *p != q; p++)
                if (*p == '<' || (*p == '&' && !entity_ok(p)))
                    return 0;
            if (!*p)
                return 0;
            p++;
        }
        (*elements)++;
        if (depth == 0)
            roots++;
        if (*p == '/') {
            p += 2;
            continue;
        }
        if (depth == 64)
            return 0;
        snprintf(stack[depth++], sizeof stack[0], "%s", name);
        p++;
    }
    return depth == 0 && roots == 1;
}

static void svg_well_formed(void **state)
{
    (void)state;
    char *text = capture(dcl_cli_prof_svg);
    int elements = 0;
    assert_true(xml_well_formed(text, &elements));
    assert_true(elements > 50);
    assert_non_null(strstr(text, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert_non_null(strstr(text, "Dev &quot;A&quot;, &lt;x&gt; &amp; y")); /* the escaped device name */
    assert_null(strstr(text, "\"nan"));
    assert_null(strstr(text, "\"-nan"));
    assert_null(strstr(text, "\"inf"));
    assert_null(strstr(text, "\"-inf"));
    /* the checker itself rejects what is not well-formed */
    assert_false(xml_well_formed("<svg><g></svg></g>", &elements));
    assert_false(xml_well_formed("<svg><text>a & b</text></svg>", &elements));
    assert_false(xml_well_formed("<svg x=1/>", &elements));
    /* kept for the xmllint check registered next to this test */
    FILE *f = fopen(DCL_TEST_BINARY_DIR "/test_profile_writers.svg", "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(text);
}

/* Under a locale with a decimal comma, every writer still writes '.' (where such a locale is
 * installed; otherwise skipped). */
static void locale_independent(void **state)
{
    (void)state;
    static const char *const names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "ru_RU.UTF-8", "de_DE"};
    const char *got = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !got; i++)
        got = setlocale(LC_ALL, names[i]);
    if (!got || !strcmp(localeconv()->decimal_point, ".")) {
        setlocale(LC_ALL, "C");
        skip();
    }
    char *csv = capture(dcl_cli_prof_csv), *svg = capture(dcl_cli_prof_svg), *json = capture(dcl_cli_prof_json);
    char *trace = capture(dcl_cli_prof_trace);
    setlocale(LC_ALL, "C");
    assert_non_null(strstr(csv, ",0.500\n"));           /* the first record's 0.5 us */
    assert_non_null(strstr(svg, "120.5 GFLOP/s"));      /* the peak label */
    assert_non_null(strstr(json, "120.5"));
    cJSON *j = cJSON_Parse(json), *t = cJSON_Parse(trace);
    assert_non_null(j);
    assert_non_null(t);
    cJSON *p = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "devices"), 0), "peak");
    assert_true(cJSON_GetObjectItem(p, "gbytes_per_s")->valuedouble == 20.25);
    cJSON_Delete(j);
    cJSON_Delete(t);
    free(csv);
    free(svg);
    free(json);
    free(trace);
}

int main(void)
{
    make_run();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_round_trip),
        cmocka_unit_test(csv_round_trip),
        cmocka_unit_test(trace_round_trip),
        cmocka_unit_test(svg_well_formed),
        cmocka_unit_test(locale_independent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
