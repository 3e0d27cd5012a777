/* SPDX-License-Identifier: Apache-2.0 */
/* debertacl devices [--json | --tuning] [--device SPEC]: every platform and device, its facts,
 * the tuning profile chain it gets, and which device the spec (default: the default spec) picks.
 * --tuning prints the selected device's resolved tuning as a profile, ready to edit. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *type_name(dcl_device_type t)
{
    switch (t) {
    case DCL_DEVICE_CPU: return "cpu";
    case DCL_DEVICE_GPU: return "gpu";
    case DCL_DEVICE_ACCELERATOR: return "accelerator";
    default: return "other";
    }
}

static cJSON *device_json(const dcl_device_info *d, int index, int selected)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "index", index);
    char spec[32];
    snprintf(spec, sizeof spec, "%d:%d", d->platform_index, d->device_index);
    cJSON_AddStringToObject(o, "spec", spec);
    cJSON_AddStringToObject(o, "platform", d->platform_name);
    cJSON_AddStringToObject(o, "platform_version", d->platform_version);
    cJSON_AddStringToObject(o, "name", d->name);
    cJSON_AddStringToObject(o, "vendor", d->vendor);
    cJSON_AddStringToObject(o, "vendor_short", d->vendor_short);
    cJSON_AddStringToObject(o, "type", type_name(d->type));
    cJSON_AddStringToObject(o, "architecture", d->architecture);
    cJSON_AddStringToObject(o, "driver_version", d->driver_version);
    cJSON_AddStringToObject(o, "device_version", d->device_version);
    cJSON_AddStringToObject(o, "opencl_c_version", d->opencl_c_version);
    cJSON_AddNumberToObject(o, "compute_units", d->compute_units);
    cJSON_AddNumberToObject(o, "max_clock_mhz", d->max_clock_mhz);
    cJSON_AddNumberToObject(o, "global_mem_bytes", (double)d->global_mem_bytes);
    cJSON_AddNumberToObject(o, "local_mem_bytes", (double)d->local_mem_bytes);
    cJSON_AddNumberToObject(o, "max_alloc_bytes", (double)d->max_alloc_bytes);
    cJSON_AddNumberToObject(o, "max_work_group_size", (double)d->max_work_group_size);
    cJSON *ext = cJSON_AddObjectToObject(o, "features");
    cJSON_AddBoolToObject(ext, "fp16", d->has_fp16);
    cJSON_AddBoolToObject(ext, "fp64", d->has_fp64);
    cJSON_AddBoolToObject(ext, "subgroups", d->has_subgroups);
    cJSON_AddBoolToObject(o, "selected", selected);
    return o;
}

int dcl_cmd_devices(int argc, char **argv)
{
    int json = 0, tuning = 0;
    const char *spec_arg = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--tuning"))
            tuning = 1;
        else if (!strcmp(argv[i], "--device")) {
            if (!(spec_arg = dcl_cli_value(argc, argv, &i)))
                return 2;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: debertacl devices [--json | --tuning] [--device SPEC]\n"
                   "--tuning: the selected device's resolved tuning profile as JSON (save it, edit it, load it\n"
                   "with DEBERTACL_PROFILE_PATH)\n");
            return 0;
        } else {
            fprintf(stderr, "debertacl devices: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    const char *spec = dcl_cli_device_spec(spec_arg);
    int n = 0;
    dcl_status st = dcl_device_count(&n);
    if (st != DCL_OK) {
        dcl_cli_error("listing devices", st);
        return 1;
    }
    int selected = -1;
    dcl_status sel_st = n ? dcl_device_select(spec, &selected) : DCL_ERR_NO_DEVICE;
    char sel_err[1024] = "";
    if (sel_st != DCL_OK)
        snprintf(sel_err, sizeof sel_err, "%s", n ? dcl_last_error() : "no OpenCL device found");

    if (tuning) {
        dcl_device_info d;
        char *text = NULL;
        if (selected < 0) {
            fprintf(stderr, "debertacl devices: the spec \"%s\" selects nothing: %s\n", spec ? spec : "", sel_err);
            return 1;
        }
        if ((st = dcl_device_get_info(selected, &d)) != DCL_OK ||
            (st = dcl_device_tuning_json(&d, NULL, DCL_TUNING_JSON_PROFILE, &text)) != DCL_OK) {
            dcl_cli_error("resolving the tuning profile", st);
            return 1;
        }
        puts(text);
        dcl_string_free(text);
        return 0;
    }

    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "debertacl", dcl_version_string());
    cJSON_AddStringToObject(root, "spec", spec ? spec : "");
    cJSON *arr = cJSON_AddArrayToObject(root, "devices");
    for (int i = 0; i < n; i++) {
        dcl_device_info d;
        if (dcl_device_get_info(i, &d) != DCL_OK)
            continue;
        char *tj = NULL; /* the profile chain and resolved parameters */
        dcl_status tst = dcl_device_tuning_json(&d, NULL, 0, &tj);
        cJSON *tun = tst == DCL_OK ? cJSON_Parse(tj) : NULL;
        dcl_string_free(tj);
        const cJSON *chain = cJSON_GetObjectItemCaseSensitive(tun, "chain");
        if (json) {
            cJSON *o = device_json(&d, i, i == selected);
            if (tun)
                cJSON_AddItemToObject(o, "tuning", tun);
            else
                cJSON_AddStringToObject(o, "tuning_error", dcl_last_error());
            tun = NULL;
            cJSON_AddItemToArray(arr, o);
        } else {
            printf("%s[%d] %d:%d %s\n", i == selected ? "* " : "  ", i, d.platform_index, d.device_index, d.name);
            printf("      platform: %s (%s)\n", d.platform_name, d.platform_version);
            printf("      vendor: %s (%s), type %s%s%s\n", d.vendor_short, d.vendor, type_name(d.type),
                   d.architecture[0] ? ", architecture " : "", d.architecture);
            printf("      driver %s, %s, %s\n", d.driver_version, d.device_version, d.opencl_c_version);
            printf("      %u compute units at %u MHz, %.1f GiB global, %llu KiB local, max alloc %.1f GiB, "
                   "max work-group %zu\n",
                   d.compute_units, d.max_clock_mhz, (double)d.global_mem_bytes / (1 << 30),
                   (unsigned long long)(d.local_mem_bytes >> 10), (double)d.max_alloc_bytes / (1 << 30),
                   d.max_work_group_size);
            printf("      fp16 %s, fp64 %s, subgroups %s\n", d.has_fp16 ? "yes" : "no", d.has_fp64 ? "yes" : "no",
                   d.has_subgroups ? "yes" : "no");
            if (cJSON_IsString(chain))
                printf("      tuning: %s\n", chain->valuestring);
            else
                printf("      tuning: error: %s\n", dcl_last_error());
        }
        cJSON_Delete(tun);
    }
    if (json) {
        if (selected >= 0)
            cJSON_AddNumberToObject(root, "selected", selected);
        else
            cJSON_AddStringToObject(root, "error", sel_err);
        char *text = cJSON_Print(root);
        if (text) {
            puts(text);
            free(text);
        }
    } else {
        if (n == 0)
            printf("no OpenCL device found (check clinfo; install an ICD such as pocl-opencl-icd)\n");
        else if (selected >= 0)
            printf("the spec \"%s\" selects device [%d] (marked *)\n", spec ? spec : "", selected);
        else
            printf("the spec \"%s\" selects nothing: %s\n", spec ? spec : "", sel_err);
    }
    cJSON_Delete(root);
    return n == 0 || selected < 0 ? 1 : 0;
}
