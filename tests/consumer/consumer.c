/* SPDX-License-Identifier: Apache-2.0 */
/* Uses the installed public header and library: version, status text, device count, and a
 * tokenizer (which pulls in cJSON and utf8proc, so a static link must bring them). */
#include <stdio.h>
#include <string.h>

#include <debertacl.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: consumer TOKENIZER_DIR\n");
        return 2;
    }
    printf("debertacl %s (%s)\n", dcl_version_string(), dcl_status_string(DCL_ERR_FORMAT));
    int devices = 0;
    if (dcl_device_count(&devices) != DCL_OK)
        devices = -1; /* no OpenCL platform: still linked */
    dcl_tokenizer *tok = NULL;
    if (dcl_tokenizer_load(argv[1], &tok) != DCL_OK) {
        fprintf(stderr, "consumer: %s\n", dcl_last_error());
        return 1;
    }
    dcl_encoding *e = NULL;
    const char text[] = "Hello world";
    if (dcl_tokenizer_encode(tok, text, strlen(text), NULL, &e) != DCL_OK) {
        fprintf(stderr, "consumer: %s\n", dcl_last_error());
        dcl_tokenizer_free(tok);
        return 1;
    }
    printf("tokens: %zu, devices: %d\nconsumer ok\n", e->length, devices);
    dcl_encoding_free(e);
    dcl_tokenizer_free(tok);
    return 0;
}
