/* cmd_generate.c: `llmbo generate MODEL.gguf -p PROMPT [...]`: runs the local engine on a prompt
 * (raw text, or a chat turn with --chat), prints the continuation and timing; --dump-logits writes
 * the float32 logits of the last prompt position; --info prints the metadata and tensor table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "engine.h"
#include "generate.h"
#include "gguf.h"
#include "tokenizer.h"
#include "llmbo_common.h"

static void generate_usage(FILE *f)
{
    fprintf(f,
            "usage: llmbo generate MODEL.gguf -p PROMPT [options]\n"
            "       llmbo generate MODEL.gguf --info\n\n"
            "Runs llmbo's local engine (architectures qwen2, qwen3, qwen3moe, olmoe; weights F32,\n"
            "F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K) on PROMPT and prints the generated text.\n\n"
            "options:\n"
            "  -p, --prompt TEXT     prompt text (special tokens such as <|im_start|> are parsed)\n"
            "  --chat                wrap PROMPT as a user turn in the model's chat template\n"
            "  --think               with --chat: let Qwen3 models reason in <think> first\n"
            "  --think-budget N      at most N reasoning tokens before </think> is forced (512)\n"
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
            "exit codes: 0 success, 1 the model could not be loaded or run, 2 usage error\n");
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

int llmbo_cmd_generate(int argc, char **argv)
{
    const char *model = NULL, *prompt = NULL, *dump = NULL;
    const char *stops[16];
    int n_stop = 0, n_predict = 64, info = 0, quiet = 0, chat = 0, think = 0, think_budget = 512;
    int rank_n = 0, rank_k = 0;
    llmbo_engine_options eo;
    llmbo_engine_options_default(&eo);
    llmbo_gen_options go;
    llmbo_gen_options_default(&go);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc, bad = 0;
        double d;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            generate_usage(stdout);
            return LLMBO_EXIT_OK;
        } else if (!strcmp(a, "--info")) {
            info = 1;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (!strcmp(a, "--chat")) {
            chat = 1;
        } else if (!strcmp(a, "--think")) {
            think = 1;
        } else if ((!strcmp(a, "-p") || !strcmp(a, "--prompt")) && has) {
            prompt = argv[++i];
        } else if ((!strcmp(a, "-n") || !strcmp(a, "--n-predict")) && has) {
            bad = parse_int(argv[++i], 0, 1 << 20, &n_predict);
        } else if (!strcmp(a, "--temp") && has) {
            bad = parse_double(argv[++i], &go.temperature) || go.temperature < 0;
        } else if (!strcmp(a, "--top-k") && has) {
            bad = parse_int(argv[++i], 0, 1 << 24, &go.top_k);
        } else if (!strcmp(a, "--top-p") && has) {
            bad = parse_double(argv[++i], &go.top_p) || go.top_p <= 0 || go.top_p > 1;
        } else if (!strcmp(a, "--seed") && has) {
            bad = parse_double(argv[++i], &d) || d < 0 || d > 1e18;
            go.seed = (uint64_t)d;
        } else if (!strcmp(a, "--stop") && has) {
            if (n_stop < 16)
                stops[n_stop++] = argv[++i];
            else
                bad = 1;
        } else if (!strcmp(a, "--think-budget") && has) {
            bad = parse_int(argv[++i], 0, 1 << 20, &think_budget);
        } else if (!strcmp(a, "--json-ranking") && has) {
            bad = sscanf(argv[++i], "%d,%d", &rank_n, &rank_k) != 2 || rank_n < 1 || rank_k < 1 ||
                  rank_k > rank_n || rank_k > 64;
        } else if ((!strcmp(a, "-t") || !strcmp(a, "--threads")) && has) {
            bad = parse_int(argv[++i], 1, 256, &eo.n_threads);
        } else if ((!strcmp(a, "-c") || !strcmp(a, "--ctx")) && has) {
            bad = parse_int(argv[++i], 8, 1 << 20, &eo.n_ctx);
        } else if (!strcmp(a, "--dump-logits") && has) {
            dump = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "llmbo generate: unknown option or missing value: %s\n\n", a);
            generate_usage(stderr);
            return LLMBO_EXIT_USAGE;
        } else if (!model) {
            model = a;
        } else {
            fprintf(stderr, "llmbo generate: unexpected argument '%s'\n", a);
            return LLMBO_EXIT_USAGE;
        }
        if (bad) {
            fprintf(stderr, "llmbo generate: bad value for %s: '%s'\n", a, argv[i]);
            return LLMBO_EXIT_USAGE;
        }
    }
    if (!model) {
        fprintf(stderr, "llmbo generate: missing MODEL.gguf\n\n");
        generate_usage(stderr);
        return LLMBO_EXIT_USAGE;
    }
    if (info)
        return print_info(model);
    if (!prompt) {
        fprintf(stderr, "llmbo generate: missing -p PROMPT\n");
        return LLMBO_EXIT_USAGE;
    }

    llmbo_error err = {0};
    llmbo_engine *eng = NULL;
    double t0 = llmbo_now();
    if (llmbo_engine_open(model, &eo, &eng, &err) != LLMBO_OK) {
        fprintf(stderr, "llmbo generate: %s\n", err.msg);
        return LLMBO_EXIT_FAILURE;
    }
    double t_load = llmbo_now() - t0;
    int rc = LLMBO_EXIT_FAILURE;
    char *text = NULL;
    int32_t *ids = NULL;
    int n_ids = 0;
    float *logits = NULL;
    llmbo_cons *cons = NULL;
    llmbo_gen_result res = {0};
    if (chat) {
        const char *roles[1] = {"user"}, *contents[1] = {prompt};
        if (llmbo_chat_format(eng, roles, contents, 1, think, &text, &err) != LLMBO_OK)
            goto out;
    }
    if (llmbo_engine_tokenize(eng, text ? text : prompt, &ids, &n_ids, &err) != LLMBO_OK)
        goto out;
    if (n_ids == 0) {
        fprintf(stderr, "llmbo generate: the prompt has no tokens\n");
        rc = LLMBO_EXIT_USAGE;
        goto out;
    }
    int nv = llmbo_engine_hparams(eng)->n_vocab;
    if (dump && !(logits = llmbo_malloc((size_t)nv, sizeof(float)))) {
        llmbo_error_set(&err, LLMBO_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (rank_n) {
        llmbo_cons_spec sp = {0};
        sp.kind = LLMBO_CONS_RANKING;
        sp.n_rank = rank_n;
        sp.n_choose = rank_k;
        if (llmbo_cons_create(&sp, &cons, &err) != LLMBO_OK)
            goto out;
    }
    go.max_tokens = n_predict;
    go.stop = stops;
    go.n_stop = n_stop;
    go.first_logits = logits;
    go.format = cons;
    go.think_budget = chat && think ? think_budget : -1;
    double t1 = llmbo_now();
    if (n_predict == 0 && !cons) {
        const float *l;
        if (llmbo_engine_eval(eng, ids, n_ids, &l, &err) != LLMBO_OK)
            goto out;
        if (logits)
            memcpy(logits, l, (size_t)nv * sizeof(float));
        res.n_prompt = n_ids;
        res.text = llmbo_strdup("");
    } else if (llmbo_generate(eng, ids, n_ids, &go, &res, &err) != LLMBO_OK) {
        goto out;
    }
    double t_gen = llmbo_now() - t1;
    if (dump) {
        FILE *f = fopen(dump, "wb");
        if (!f || fwrite(logits, sizeof(float), (size_t)nv, f) != (size_t)nv) {
            fprintf(stderr, "llmbo generate: cannot write %s\n", dump);
            if (f)
                fclose(f);
            goto out;
        }
        if (fclose(f) != 0) {
            fprintf(stderr, "llmbo generate: cannot write %s\n", dump);
            goto out;
        }
    }
    if (res.reasoning && !quiet)
        printf("<think>%s</think>\n", res.reasoning);
    printf("%s\n", res.text ? res.text : "");
    if (!quiet) {
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
    if (rc == LLMBO_EXIT_FAILURE && err.msg[0])
        fprintf(stderr, "llmbo generate: %s\n", err.msg);
    llmbo_gen_result_clear(&res);
    llmbo_cons_free(cons);
    llmbo_free(logits);
    llmbo_free(ids);
    llmbo_free(text);
    llmbo_engine_free(eng);
    return rc;
}
