/* SPDX-License-Identifier: Apache-2.0 */
/* debertacl run: options and usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void run_usage(FILE *f)
{
    fprintf(f,
            "usage: debertacl run --model DIR [--task TASK] INPUT [options]\n"
            "\n"
            "tasks (default: from config.json's architectures; the model needs the matching head):\n"
            "  fill-mask   the most likely tokens at each [MASK]\n"
            "  classify    labels of a text, or of a pair with --pair (text-classification)\n"
            "  nli         labels of a (premise, hypothesis) pair\n"
            "  zero-shot   candidate --labels of a text, scored by an NLI model\n"
            "  rerank      documents (--file, one a line) ordered by relevance to --query\n"
            "  ner         entities (token-classification)\n"
            "  qa          the answer span in a context (question-answering)\n"
            "  choice      the best of several choices (multiple-choice)\n"
            "  embed       a sentence embedding (feature-extraction; any model)\n"
            "\n"
            "input (one of):\n"
            "  --text T                 fill-mask, classify, zero-shot, ner, embed; the prompt of choice\n"
            "  --pair A B               nli (premise, hypothesis); classify or embed a pair\n"
            "  --question Q --context C qa\n"
            "  --choices \"A|B|C\"        choice\n"
            "  --file F                 one input per line (\"-\": stdin), run in batches; nli\n"
            "                           \"A<TAB>B\", qa \"QUESTION<TAB>CONTEXT\", choice \"PROMPT<TAB>A|B|C\" or\n"
            "                           \"A|B|C\", zero-shot \"TEXT\" or \"TEXT<TAB>a,b,c\", rerank: documents\n"
            "  --ids \"1,2,3\"            token ids with special tokens (\"|\" separates choice rows);\n"
            "                           --types \"0,0,1\" their token types (qa: the context is type 1)\n"
            "\n"
            "options:\n"
            "  --json                   JSON output (JSON lines with --file)\n"
            "  --batch N                rows per forward pass with --file (8), sorted by length\n"
            "  --max-length N           truncate inputs to N tokens (qa: the window length); without\n"
            "                           it, an input longer than the model takes is an error\n"
            "  --top-k N                fill-mask: tokens per mask (5); qa: answers (1); labels shown\n"
            "  --function F             classify: sigmoid, softmax or none (default as transformers:\n"
            "                           none for regression, sigmoid for multi-label or one label)\n"
            "  --labels \"a,b,c\"         zero-shot: candidate labels\n"
            "  --template T             zero-shot: hypothesis with {} (\"This example is {}.\")\n"
            "  --multi-label            zero-shot: score each label on its own\n"
            "  --query Q                rerank: the query\n"
            "  --aggregation A          ner: none, simple (default), first, average or max\n"
            "  --targets \"a,b\"          fill-mask: score only these tokens\n"
            "  --emd                    fill-mask: the original enhanced mask decoder (not in transformers)\n"
            "  --mask-id N              fill-mask with --ids and no tokenizer: the mask token's id\n"
            "  --doc-stride N           qa: overlap of the windows over a long context (128)\n"
            "  --max-answer-len N       qa: longest answer in tokens (15)\n"
            "  --handle-impossible-answer  qa: the empty answer can win\n"
            "  --no-align-to-words      qa: answers from token offsets, not whole words\n"
            "  --pooling first|mean     embed: the first token or the mean of real tokens (mean)\n"
            "  --normalize              embed: divide by the L2 norm\n"
            "  --tokenizer DIR          tokenizer folder (default: the model folder)\n"
            "  --device SPEC            OpenCL device (see debertacl devices)\n"
            "\n"
            "example: debertacl run --model tests/data/demo --text \"The quick brown [MASK] jumps.\"\n");
}

static int parse_int(const char *opt, const char *v, int min, int *out)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (!*v || *end || x < min || x > 1000000000) {
        fprintf(stderr, "debertacl run: %s needs an integer >= %d (got \"%s\")\n", opt, min, v);
        return 2;
    }
    *out = (int)x;
    return 0;
}

static int pick(const char *opt, const char *v, const char *const *names, int n, int *out)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(v, names[i])) {
            *out = i;
            return 0;
        }
    fprintf(stderr, "debertacl run: %s does not take \"%s\"\n", opt, v);
    return 2;
}

/* Checks that the inputs given fit the task. */
static int check_inputs(run_opts *o)
{
    int direct = o->text || o->pair_a || o->question || o->context || o->choices;
    if (o->task == DCL_TASK_RERANK) {
        if (!o->query || !o->file || direct || o->ids) {
            fprintf(stderr, "debertacl run: rerank takes --query Q --file DOCUMENTS (one a line)\n");
            return 2;
        }
        return 0;
    }
    if ((direct ? 1 : 0) + (o->file ? 1 : 0) + (o->ids && !o->file ? 1 : 0) != 1) {
        fprintf(stderr, "debertacl run: give one input: --text, --pair, --question/--context, --choices, --file or "
                        "--ids\n");
        return 2;
    }
    const char *wrong = NULL;
    switch (o->task) {
    case DCL_TASK_FILL_MASK:
    case DCL_TASK_TOKEN_CLASSIFICATION:
        wrong = o->pair_a || o->question || o->context || o->choices ? "--text" : NULL;
        break;
    case DCL_TASK_ZERO_SHOT:
        wrong = o->pair_a || o->question || o->context || o->choices ? "--text and --labels" : NULL;
        if (!wrong && !o->labels && !o->file)
            wrong = "--text and --labels";
        break;
    case DCL_TASK_TEXT_CLASSIFICATION:
        if (o->nli && direct && (!o->pair_a || o->text || o->question || o->context || o->choices))
            wrong = "--pair PREMISE HYPOTHESIS";
        else if (o->question || o->context || o->choices || (o->text && o->pair_a))
            wrong = "--text or --pair";
        break;
    case DCL_TASK_FEATURE_EXTRACTION:
        wrong = o->question || o->context || o->choices || (o->text && o->pair_a) ? "--text or --pair" : NULL;
        break;
    case DCL_TASK_QUESTION_ANSWERING:
        wrong = direct && (!o->question || !o->context || o->text || o->pair_a || o->choices)
                    ? "--question Q --context C" : NULL;
        break;
    case DCL_TASK_MULTIPLE_CHOICE:
        wrong = direct && (!o->choices || o->pair_a || o->question || o->context)
                    ? "--choices \"A|B|C\" (and --text PROMPT)" : NULL;
        break;
    default:
        break;
    }
    if (wrong) {
        fprintf(stderr, "debertacl run: %s takes %s, --file or --ids\n", o->task_name, wrong);
        return 2;
    }
    return 0;
}

int run_parse_args(int argc, char **argv, run_opts *o)
{
    static const char *const functions[] = {"default", "none", "sigmoid", "softmax"};
    static const char *const aggs[] = {"none", "simple", "first", "average", "max"};
    memset(o, 0, sizeof *o);
    o->pp = dcl_pipeline_default_params();
    o->batch = 8;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **str = NULL;
        int *num = NULL, min = 1, v;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            run_usage(stdout);
            return -1;
        } else if (!strcmp(a, "--json")) {
            o->json = 1;
        } else if (!strcmp(a, "--emd")) {
            o->pp.emd = DCL_EMD_ON;
        } else if (!strcmp(a, "--no-emd")) {
            o->pp.emd = DCL_EMD_OFF;
        } else if (!strcmp(a, "--normalize")) {
            o->pp.normalize = 1;
        } else if (!strcmp(a, "--multi-label")) {
            o->pp.multi_label = 1;
        } else if (!strcmp(a, "--handle-impossible-answer")) {
            o->pp.handle_impossible_answer = 1;
        } else if (!strcmp(a, "--no-align-to-words")) {
            o->pp.align_to_words = 0;
        } else if (!strcmp(a, "--pair")) {
            if (i + 2 >= argc) {
                fprintf(stderr, "debertacl run: --pair needs two values\n");
                return 2;
            }
            o->pair_a = argv[++i];
            o->pair_b = argv[++i];
        } else if (!strcmp(a, "--pooling") || !strcmp(a, "--function") || !strcmp(a, "--aggregation")) {
            const char *val = dcl_cli_value(argc, argv, &i);
            if (!val)
                return 2;
            if (!strcmp(a, "--pooling")) {
                if (pick(a, !strcmp(val, "cls") ? "first" : val, (const char *const[]){"first", "mean"}, 2, &v))
                    return 2;
                o->pp.pooling = v ? DCL_POOL_MEAN : DCL_POOL_FIRST;
            } else if (!strcmp(a, "--function")) {
                if (pick(a, val, functions, 4, &v))
                    return 2;
                o->pp.function = (dcl_function)v;
            } else {
                if (pick(a, val, aggs, 5, &v))
                    return 2;
                o->pp.aggregation = (dcl_aggregation)v;
            }
        } else if (!strcmp(a, "--model")) {
            str = &o->model;
        } else if (!strcmp(a, "--task")) {
            str = &o->task_name;
        } else if (!strcmp(a, "--text")) {
            str = &o->text;
        } else if (!strcmp(a, "--question")) {
            str = &o->question;
        } else if (!strcmp(a, "--context")) {
            str = &o->context;
        } else if (!strcmp(a, "--choices")) {
            str = &o->choices;
        } else if (!strcmp(a, "--labels")) {
            str = &o->labels;
        } else if (!strcmp(a, "--query")) {
            str = &o->query;
        } else if (!strcmp(a, "--targets")) {
            str = &o->targets;
        } else if (!strcmp(a, "--template")) {
            str = &o->pp.hypothesis_template;
        } else if (!strcmp(a, "--file")) {
            str = &o->file;
        } else if (!strcmp(a, "--ids")) {
            str = &o->ids;
        } else if (!strcmp(a, "--types")) {
            str = &o->types;
        } else if (!strcmp(a, "--device")) {
            str = &o->device;
        } else if (!strcmp(a, "--tokenizer")) {
            str = &o->tokenizer;
        } else if (!strcmp(a, "--top-k")) {
            num = &o->pp.top_k;
        } else if (!strcmp(a, "--batch")) {
            num = &o->batch;
        } else if (!strcmp(a, "--doc-stride")) {
            num = &o->pp.doc_stride;
        } else if (!strcmp(a, "--mask-id")) {
            num = &o->pp.mask_id;
            min = 0;
        } else if (!strcmp(a, "--max-answer-len")) {
            num = &o->pp.max_answer_length;
        } else if (!strcmp(a, "--max-length")) {
            num = &o->max_length;
            min = 2;
        } else {
            fprintf(stderr, "debertacl run: unknown option %s (see debertacl run --help)\n", a);
            return 2;
        }
        if (str && !(*str = dcl_cli_value(argc, argv, &i)))
            return 2;
        if (num) {
            const char *val = dcl_cli_value(argc, argv, &i);
            if (!val || parse_int(a, val, min, num))
                return 2;
        }
    }
    if (!o->model) {
        fprintf(stderr, "debertacl run: --model DIR is required (see debertacl run --help)\n");
        return 2;
    }
    o->task = DCL_TASK_AUTO;
    if (o->task_name && dcl_task_from_name(o->task_name, &o->task) != DCL_OK) {
        fprintf(stderr, "debertacl run: %s\n", dcl_last_error());
        return 2;
    }
    o->nli = o->task_name && !strcmp(o->task_name, "nli");
    o->pp.task = o->task;
    o->pp.max_length = o->max_length;
    o->pp.batch = o->batch;
    o->pp.tokenizer_dir = o->tokenizer;
    o->pp.device = dcl_cli_device_spec(o->device);
    if (o->task != DCL_TASK_AUTO) {
        if (!o->task_name || !strcmp(o->task_name, "auto"))
            o->task_name = dcl_task_name(o->task);
        return check_inputs(o);
    }
    return 0;
}

/* Once the pipeline knows its task (config.json's architectures), the inputs are checked. */
int run_check_task(run_opts *o, dcl_task task)
{
    o->task = task;
    o->task_name = dcl_task_name(task);
    return check_inputs(o);
}
