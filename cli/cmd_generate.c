/* cmd_generate.c: `llmbo generate MODEL.gguf -p PROMPT [...]`: runs the local engine on a prompt
 * (raw text, or a chat turn with --chat), prints the continuation and timing; --dump-logits writes
 * the float32 logits of the last prompt position; --info prints the metadata and tensor table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "arch.h"
#include "cli.h"
#include "engine.h"
#include "generate.h"
#include "gguf.h"
#include "tokenizer.h"
#include "llmbo_common.h"

static void generate_usage(FILE *f)
{
    char archs[256], types[256];
    fprintf(f,
            "usage: llmbo generate MODEL.gguf -p PROMPT [options]\n"
            "       llmbo generate MODEL.gguf --info\n\n"
            "Runs llmbo's local engine on PROMPT and prints the generated text.\n"
            "architectures: %s\n"
            "tensor types:  %s\n\n"
            "options:\n"
            "  -p, --prompt TEXT     prompt text (special tokens such as <|im_start|> are parsed)\n"
            "  --chat                wrap PROMPT as a user turn in the model's chat template\n"
            "  --think               with --chat: let the model reason first (Qwen3, R1: in\n"
            "                        <think>; gpt-oss: in its analysis channel)\n"
            "  --think-budget N      at most N reasoning tokens, then they are closed (512)\n"
            "  -n, --n-predict N     tokens to generate (default 64; 0: only evaluate the prompt)\n"
            "  --temp T              sampling temperature (default 0: greedy)\n"
            "  --top-k K             top-k cut (default 40; 0: none)\n"
            "  --top-p P             nucleus cut (default 0.95; 1: none)\n"
            "  --seed S              sampling seed (default 0)\n"
            "  --stop TEXT           stop when TEXT is generated (repeatable)\n"
            "  --json-ranking N,K    constrain the answer to {\"ranking\": [K indices < N]}\n"
            "  -t, --threads N       worker threads (default: all CPUs)\n"
            "  -c, --ctx N           context length (default: min(model's, 4096))\n"
            "  --dump-logits FILE    write the float32 logits of the last prompt position\n"
            "  --info                print the model's metadata and tensor table, then exit\n"
            "  -q, --quiet           print only the generated text\n"
            "  -h, --help            show this help\n\n"
            "exit codes: 0 success, 1 the model could not be loaded or run, 2 usage error\n",
            llmbo_arch_list(archs, sizeof archs), llmbo_ttype_list(types, sizeof types));
}

static void print_kv(const llmbo_gguf *g, const llmbo_gguf_kv *kv)
{
    printf("  %-45.*s ", (int)(kv->key.n > 45 ? 45 : kv->key.n), kv->key.p);
    switch (kv->type) {
    case LLMBO_GGUF_STRING:
        printf("string  \"%.*s\"%s\n", (int)(kv->s.n > 60 ? 60 : kv->s.n), kv->s.p,
               kv->s.n > 60 ? "..." : "");
        break;
    case LLMBO_GGUF_ARRAY: {
        printf("array   [%llu x %s]", (unsigned long long)kv->arr_n,
               llmbo_gguf_vtype_name(kv->arr_type));
        if (kv->arr_type == LLMBO_GGUF_STRING) {
            uint64_t cur = kv->arr_off;
            for (uint64_t i = 0; i < kv->arr_n && i < 3; i++) {
                llmbo_gguf_str s = llmbo_gguf_arr_str(g, &cur);
                printf(" \"%.*s\"", (int)(s.n > 16 ? 16 : s.n), s.p);
            }
        } else {
            for (uint64_t i = 0; i < kv->arr_n && i < 4; i++)
                printf(" %g", llmbo_gguf_arr_float(g, kv, i));
        }
        printf("%s\n", kv->arr_n > 4 ? " ..." : "");
        break;
    }
    case LLMBO_GGUF_FLOAT32:
    case LLMBO_GGUF_FLOAT64:
        printf("%-7s %g\n", llmbo_gguf_vtype_name(kv->type), kv->f);
        break;
    default:
        printf("%-7s %lld\n", llmbo_gguf_vtype_name(kv->type), (long long)kv->i);
    }
}

static int print_info(const char *path)
{
    llmbo_gguf *g = NULL;
    llmbo_error err = {0};
    if (llmbo_gguf_open(path, &g, &err) != LLMBO_OK) {
        fprintf(stderr, "llmbo generate: %s\n", err.msg);
        return LLMBO_EXIT_FAILURE;
    }
    printf("%s: GGUF v%u, %llu metadata pairs, %llu tensors, alignment %llu, data at byte %llu\n",
           path, g->version, (unsigned long long)g->n_kv, (unsigned long long)g->n_tensors,
           (unsigned long long)g->alignment, (unsigned long long)g->data_off);
    printf("metadata:\n");
    for (uint64_t i = 0; i < g->n_kv; i++)
        print_kv(g, &g->kv[i]);
    printf("tensors:\n  %-40s %-6s %-28s %12s %14s\n", "name", "type", "shape", "bytes", "offset");
    uint64_t total = 0;
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        const llmbo_gguf_tensor *t = &g->tensor[i];
        char shape[64];
        size_t o = 0;
        for (int d = 0; d < t->n_dims; d++)
            o += (size_t)snprintf(shape + o, sizeof shape - o, "%s%llu", d ? " x " : "",
                                  (unsigned long long)t->ne[d]);
        printf("  %-40.*s %-6s %-28s %12llu %14llu\n", (int)(t->name.n > 40 ? 40 : t->name.n),
               t->name.p, llmbo_ttype_name(t->type), shape, (unsigned long long)t->nbytes,
               (unsigned long long)(g->data_off + t->offset));
        total += t->nbytes;
    }
    printf("total tensor data: %.1f MiB\n", (double)total / (1024.0 * 1024.0));
    llmbo_gguf_close(g);
    return LLMBO_EXIT_OK;
}

static int parse_int(const char *s, int lo, int hi, int *v)
{
    char *end;
    long x = strtol(s, &end, 10);
    if (!*s || *end || x < lo || x > hi)
        return -1;
    *v = (int)x;
    return 0;
}

static int parse_double(const char *s, double *v)
{
    char *end;
    *v = strtod(s, &end);
    return *s && !*end ? 0 : -1;
}

/* The verb's arguments. */
typedef struct gen_args {
    const char *model, *prompt, *dump;
    const char *stops[16];
    int n_stop, n_predict, info, quiet, chat, think, think_budget;
    int rank_n, rank_k; /* --json-ranking N,K */
    llmbo_engine_options eo;
    llmbo_gen_options go;
} gen_args;

/* Parses argv into A: -1 to go on, else the exit code to return. */
static int parse_args(int argc, char **argv, gen_args *A)
{
    memset(A, 0, sizeof *A);
    A->n_predict = 64;
    A->think_budget = 512;
    llmbo_engine_options_default(&A->eo);
    llmbo_gen_options_default(&A->go);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc, bad = 0;
        double d;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            generate_usage(stdout);
            return LLMBO_EXIT_OK;
        } else if (!strcmp(a, "--info")) {
            A->info = 1;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            A->quiet = 1;
        } else if (!strcmp(a, "--chat")) {
            A->chat = 1;
        } else if (!strcmp(a, "--think")) {
            A->think = 1;
        } else if ((!strcmp(a, "-p") || !strcmp(a, "--prompt")) && has) {
            A->prompt = argv[++i];
        } else if ((!strcmp(a, "-n") || !strcmp(a, "--n-predict")) && has) {
            bad = parse_int(argv[++i], 0, 1 << 20, &A->n_predict);
        } else if (!strcmp(a, "--temp") && has) {
            bad = parse_double(argv[++i], &A->go.temperature) || A->go.temperature < 0;
        } else if (!strcmp(a, "--top-k") && has) {
            bad = parse_int(argv[++i], 0, 1 << 24, &A->go.top_k);
        } else if (!strcmp(a, "--top-p") && has) {
            bad = parse_double(argv[++i], &A->go.top_p) || A->go.top_p <= 0 || A->go.top_p > 1;
        } else if (!strcmp(a, "--seed") && has) {
            bad = parse_double(argv[++i], &d) || d < 0 || d > 1e18;
            A->go.seed = (uint64_t)d;
        } else if (!strcmp(a, "--stop") && has) {
            if (A->n_stop < 16)
                A->stops[A->n_stop++] = argv[++i];
            else
                bad = 1;
        } else if (!strcmp(a, "--think-budget") && has) {
            bad = parse_int(argv[++i], 0, 1 << 20, &A->think_budget);
        } else if (!strcmp(a, "--json-ranking") && has) {
            bad = sscanf(argv[++i], "%d,%d", &A->rank_n, &A->rank_k) != 2 || A->rank_n < 1 ||
                  A->rank_k < 1 || A->rank_k > A->rank_n || A->rank_k > 64;
        } else if ((!strcmp(a, "-t") || !strcmp(a, "--threads")) && has) {
            bad = parse_int(argv[++i], 1, 256, &A->eo.n_threads);
        } else if ((!strcmp(a, "-c") || !strcmp(a, "--ctx")) && has) {
            bad = parse_int(argv[++i], 8, 1 << 20, &A->eo.n_ctx);
        } else if (!strcmp(a, "--dump-logits") && has) {
            A->dump = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "llmbo generate: unknown option or missing value: %s\n\n", a);
            generate_usage(stderr);
            return LLMBO_EXIT_USAGE;
        } else if (!A->model) {
            A->model = a;
        } else {
            fprintf(stderr, "llmbo generate: unexpected argument '%s'\n", a);
            return LLMBO_EXIT_USAGE;
        }
        if (bad) {
            fprintf(stderr, "llmbo generate: bad value for %s: '%s'\n", a, argv[i]);
            return LLMBO_EXIT_USAGE;
        }
    }
    if (!A->model) {
        fprintf(stderr, "llmbo generate: missing MODEL.gguf\n\n");
        generate_usage(stderr);
        return LLMBO_EXIT_USAGE;
    }
    if (A->info)
        return print_info(A->model);
    if (!A->prompt) {
        fprintf(stderr, "llmbo generate: missing -p PROMPT\n");
        return LLMBO_EXIT_USAGE;
    }
    return -1;
}

/* Writes the n float32 logits to path. */
static int write_logits(const char *path, const float *logits, int n)
{
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(logits, sizeof(float), (size_t)n, f) == (size_t)n;
    if (f && fclose(f) != 0)
        ok = 0;
    if (!ok)
        fprintf(stderr, "llmbo generate: cannot write %s\n", path);
    return ok;
}

/* The prompt's tokens (chat-formatted with --chat), and the ranking constraint if asked. */
static llmbo_status prepare(llmbo_engine *eng, const gen_args *A, int32_t **ids, int *n_ids,
                            llmbo_cons **cons, llmbo_error *err)
{
    char *text = NULL;
    llmbo_status st = LLMBO_OK;
    if (A->chat) {
        const char *roles[1] = {"user"}, *contents[1] = {A->prompt};
        st = llmbo_chat_format(eng, roles, contents, 1, A->think, &text, err);
    }
    if (!st)
        st = llmbo_engine_tokenize(eng, text ? text : A->prompt, ids, n_ids, err);
    llmbo_free(text);
    if (!st && A->rank_n) {
        llmbo_cons_spec sp = {0};
        sp.kind = LLMBO_CONS_RANKING;
        sp.n_rank = A->rank_n;
        sp.n_choose = A->rank_k;
        st = llmbo_cons_create(&sp, cons, err);
    }
    return st;
}

/* Generates (or with -n 0 only evaluates the prompt) and prints the text. */
static int run_generate(llmbo_engine *eng, gen_args *A, double t_load, llmbo_error *err)
{
    int rc = LLMBO_EXIT_FAILURE;
    int32_t *ids = NULL;
    int n_ids = 0;
    float *logits = NULL;
    llmbo_cons *cons = NULL;
    llmbo_gen_result res = {0};
    int nv = llmbo_engine_hparams(eng)->n_vocab;
    if (prepare(eng, A, &ids, &n_ids, &cons, err) != LLMBO_OK)
        goto out;
    if (n_ids == 0) {
        fprintf(stderr, "llmbo generate: the prompt has no tokens\n");
        rc = LLMBO_EXIT_USAGE;
        goto out;
    }
    if (A->dump && !(logits = llmbo_malloc((size_t)nv, sizeof(float)))) {
        llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
        goto out;
    }
    A->go.max_tokens = A->n_predict;
    A->go.stop = A->stops;
    A->go.n_stop = A->n_stop;
    A->go.first_logits = logits;
    A->go.format = cons;
    A->go.think_budget = A->chat && A->think ? A->think_budget : -1;
    double t1 = llmbo_now();
    if (A->n_predict == 0 && !cons) {
        const float *l;
        if (llmbo_engine_eval(eng, ids, n_ids, &l, err) != LLMBO_OK)
            goto out;
        if (logits)
            memcpy(logits, l, (size_t)nv * sizeof(float));
        res.n_prompt = n_ids;
        res.text = llmbo_strdup("");
    } else if (llmbo_generate(eng, ids, n_ids, &A->go, &res, err) != LLMBO_OK) {
        goto out;
    }
    double t_gen = llmbo_now() - t1;
    if (A->dump && !write_logits(A->dump, logits, nv))
        goto out;
    if (res.reasoning && !A->quiet)
        printf("<think>%s</think>\n", res.reasoning);
    printf("%s\n", res.text ? res.text : "");
    if (!A->quiet) {
        const llmbo_hparams *hp = llmbo_engine_hparams(eng);
        fprintf(stderr,
                "[%s, %d layers%s; load %.2f s; prompt %d tokens; generated %d sampled + %d "
                "forced in %d passes; %.2f s, %.1f tokens/s]\n",
                hp->arch_name, hp->n_layer, hp->n_expert ? ", MoE" : "", t_load, res.n_prompt,
                res.n_sampled, res.n_forced, res.n_evals, t_gen,
                t_gen > 0 ? (res.n_prompt + res.n_sampled + res.n_forced) / t_gen : 0.0);
    }
    rc = LLMBO_EXIT_OK;
out:
    llmbo_gen_result_clear(&res);
    llmbo_cons_free(cons);
    llmbo_free(logits);
    llmbo_free(ids);
    return rc;
}

int llmbo_cmd_generate(int argc, char **argv)
{
    gen_args A;
    int rc = parse_args(argc, argv, &A);
    if (rc >= 0)
        return rc;
    llmbo_error err = {0};
    llmbo_engine *eng = NULL;
    double t0 = llmbo_now();
    if (llmbo_engine_open(A.model, &A.eo, &eng, &err) != LLMBO_OK) {
        fprintf(stderr, "llmbo generate: %s\n", err.msg);
        return LLMBO_EXIT_FAILURE;
    }
    rc = run_generate(eng, &A, llmbo_now() - t0, &err);
    if (rc == LLMBO_EXIT_FAILURE && err.msg[0])
        fprintf(stderr, "llmbo generate: %s\n", err.msg);
    llmbo_engine_free(eng);
    return rc;
}
