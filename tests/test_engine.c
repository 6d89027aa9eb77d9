/* test_engine.c: the local engine against an independent numpy forward pass (tests/ref_forward.py)
 * on random-weight models written by tests/gguf_writer.py: per-layer residual streams and final
 * logits for every architecture and weight type, greedy generations, batched vs one-token
 * processing, prefix reuse vs full recompute, and error paths of open/eval. Tolerances: F32, F16
 * and BF16 weights (dequantised exactly by both sides) to 1e-4 of the logit scale; quantised types
 * to the stated fraction of the logit scale, since the engine also quantises activations to int8
 * blocks while the reference keeps them in float64; quantised models are then compared again, to
 * 1e-5, with a reference that rounds activations as the engine specifies (compare_rounded), on
 * the SIMD and the scalar kernels. LLMBO_TEST_SCALAR=1 runs every comparison on the scalar
 * kernels (the path of a CPU without AVX2). */
#include <math.h>
#include "check.h"
#include "engine.h"
#include "engine_util.h"
#include "quant.h"
#include "tokenizer.h"
#include "llmbo_common.h"

#define N_PROMPT 11

static const int prompt[N_PROMPT] = {17, 260, 101, 33, 290, 5, 140, 99, 271, 64, 255};

static double max_abs(const float *a, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fabs(a[i]) > m ? fabs(a[i]) : m;
    return m;
}

static double max_diff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (!(d <= m)) /* NaN-propagating */
            m = d;
    }
    return m;
}

static int argmax(const float *x, int n)
{
    int b = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[b])
            b = i;
    return b;
}

/* The engine's own arithmetic, exactly: the reference rounds the input of every quantised-weight
 * product to 8-bit blocks as the engine specifies (llmbo_q8a/q8k; ref_forward.py act_round), so
 * what remains is only the order of float32 sums: 1e-7 of the logit scale on these models, where
 * the comparison above allows 0.03. A kernel that is wrong by a fraction of a percent (a scale
 * off by one sub-block, a repacked row out of place) fails here. Both the SIMD and the scalar
 * kernels are checked (the engine's trace and logits are those of the detected path). A rounding
 * boundary straddled by float32 noise would show as ~1e-3 at one position; none is met by these
 * fixed-seed models on either path. */
static void compare_rounded(llmbo_engine *e, const char *path, const char *arch, const char *type,
                            float *trace, float *rh, float *rl, size_t nh, size_t nv)
{
    const llmbo_hparams *hp = llmbo_engine_hparams(e);
    const double tol = 1e-5;
    if (eu_ref_logits_act(path, prompt, N_PROMPT, "llmbo", rh, nh, rl, nv) != 0) {
        CHECK(0, "%s %s rounded reference forward ran", arch, type);
        return;
    }
    int simd = llmbo_quant_simd();
    for (int pass = 0; pass < (simd ? 2 : 1); pass++) {
        const float *logits = NULL;
        llmbo_error err = {0};
        llmbo_quant_set_simd(pass == 0 ? simd : 0);
        /* Re-evaluating after a different prompt recomputes every position. */
        int other = prompt[0] == 1 ? 2 : 1;
        CHECK_OK(llmbo_engine_eval(e, &other, 1, &logits, &err));
        CHECK_OK(llmbo_engine_eval(e, prompt, N_PROMPT, &logits, &err));
        if (!logits)
            continue;
        double worst = 0;
        for (int il = 0; il < hp->n_layer; il++) {
            const float *a = trace + (size_t)il * hp->n_embd, *b = rh + (size_t)il * hp->n_embd;
            double scale = max_abs(b, (size_t)hp->n_embd), d = max_diff(a, b, (size_t)hp->n_embd);
            worst = d / (scale > 1 ? scale : 1) > worst ? d / (scale > 1 ? scale : 1) : worst;
        }
        double scale = max_abs(rl, nv), d = max_diff(logits, rl, nv);
        CHECK(worst <= tol && d <= tol * (scale > 1 ? scale : 1),
              "%s %s (%s kernels) against the reference with the engine's activation rounding: "
              "residuals %.2e, logits %.2e of scale (tol %.0e)",
              arch, type, pass == 0 && simd ? "SIMD" : "scalar", worst, d / scale, tol);
    }
    llmbo_quant_set_simd(simd);
}

/* Compares one model with the reference: per-layer residuals and logits within tol (relative to
 * the largest reference value of each). */
static void compare_model(const char *arch, const char *type, const char *extra, double tol)
{
    const char *path = eu_model(arch, type, extra);
    CHECK(path != NULL, "%s %s model written", arch, type);
    if (!path)
        return;
    llmbo_engine_options opt;
    llmbo_engine_options_default(&opt);
    /* Two threads for the Q8_0 models (threaded matmul, attention and MoE dispatch); one for the
     * rest keeps the suite fast on a loaded machine. */
    opt.n_threads = strcmp(type, "q8_0") == 0 ? 2 : 1;
    opt.n_batch = 4; /* the 11-token prompt takes three batches */
    opt.n_ctx = 64;
    llmbo_engine *e = NULL;
    llmbo_error err = {0};
    llmbo_status st = llmbo_engine_open(path, &opt, &e, &err);
    CHECK(st == LLMBO_OK, "%s %s opens: %s", arch, type, err.msg);
    if (st)
        return;
    const llmbo_hparams *hp = llmbo_engine_hparams(e);
    size_t nh = (size_t)hp->n_layer * hp->n_embd, nv = (size_t)hp->n_vocab;
    float *trace = llmbo_malloc(nh, sizeof(float)), *rh = llmbo_malloc(nh, sizeof(float));
    float *rl = llmbo_malloc(nv, sizeof(float));
    llmbo_engine_set_trace(e, trace);
    const float *logits = NULL;
    CHECK_OK(llmbo_engine_eval(e, prompt, N_PROMPT, &logits, &err));
    int ok = eu_ref_logits(path, prompt, N_PROMPT, rh, nh, rl, nv) == 0;
    CHECK(ok, "%s %s reference forward ran", arch, type);
    if (ok) {
        for (int il = 0; il < hp->n_layer; il++) {
            const float *a = trace + (size_t)il * hp->n_embd, *b = rh + (size_t)il * hp->n_embd;
            double scale = max_abs(b, (size_t)hp->n_embd), d = max_diff(a, b, (size_t)hp->n_embd);
            CHECK(d <= tol * (scale > 1 ? scale : 1),
                  "%s %s layer %d residual: max|diff| %.3g of "
                  "scale %.3g (tol %.3g)",
                  arch, type, il, d, scale, tol);
        }
        double scale = max_abs(rl, nv), d = max_diff(logits, rl, nv);
        CHECK(d <= tol * (scale > 1 ? scale : 1),
              "%s %s logits: max|diff| %.3g of scale %.3g (relative %.2e, tol %.1e)", arch, type, d,
              scale, d / scale, tol);
        printf("AGREEMENT %-9s %-7s max|dlogit| %.3e  max|logit| %.3f  relative %.2e  argmax %s\n",
               arch, type, d, scale, d / scale,
               argmax(logits, (int)nv) == argmax(rl, (int)nv) ? "same" : "differs");
    }
    int float_w = !strcmp(type, "f32") || !strcmp(type, "f16") || !strcmp(type, "bf16");
    if (ok && !float_w && strcmp(arch, "deepseek2") != 0)
        compare_rounded(e, path, arch, type, trace, rh, rl, nh, nv);
    llmbo_free(trace);
    llmbo_free(rh);
    llmbo_free(rl);
    llmbo_engine_free(e);
}

/* Greedy generation of 20 tokens with prefix reuse vs the reference's full recomputes. */
static void greedy_model(const char *arch, const char *type)
{
    const char *path = eu_model(arch, type, NULL);
    if (!path)
        return;
    llmbo_engine *e = NULL;
    llmbo_engine_options opt;
    llmbo_engine_options_default(&opt);
    opt.n_threads = 1;
    opt.n_ctx = 64;
    llmbo_error err = {0};
    CHECK_OK(llmbo_engine_open(path, &opt, &e, &err));
    if (!e)
        return;
    int seq[64], ref[32];
    memcpy(seq, prompt, sizeof prompt);
    int n = N_PROMPT, processed_ok = 1;
    for (int i = 0; i < 20; i++) {
        const float *logits;
        if (llmbo_engine_eval(e, seq, n, &logits, &err) != LLMBO_OK)
            break;
        if (i > 0 && llmbo_engine_last_processed(e) != 1)
            processed_ok = 0;
        seq[n++] = argmax(logits, llmbo_engine_hparams(e)->n_vocab);
    }
    CHECK(processed_ok, "%s: each generation step processed exactly one new token", arch);
    char list[1024], cmd[3000];
    eu_join(prompt, N_PROMPT, list, sizeof list);
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/ref_forward.py' greedy '%s' %s 20", eu_python(),
             eu_src(), path, list);
    int nr = eu_read_ints(cmd, ref, 32);
    CHECK(nr == 20, "%s reference greedy produced %d tokens", arch, nr);
    int same = nr == 20 && memcmp(seq + N_PROMPT, ref, 20 * sizeof(int)) == 0;
    char a[512], b[512];
    eu_join(seq + N_PROMPT, 20, a, sizeof a);
    eu_join(ref, nr > 0 ? nr : 0, b, sizeof b);
    CHECK(same, "%s %s greedy 20 tokens identical: engine [%s] reference [%s]", arch, type, a, b);
    llmbo_engine_free(e);
}

/* Prefix reuse and batching do not change results: the same sequence through (a) a short
 * prefix then the rest, (b) one token per batch from scratch, gives identical logits. */
static void prefix_and_batch(const char *arch, const char *type)
{
    const char *path = eu_model(arch, type, NULL);
    if (!path)
        return;
    llmbo_engine_options opt;
    llmbo_engine_options_default(&opt);
    opt.n_threads = 2;
    opt.n_ctx = 64;
    llmbo_engine *a = NULL, *b = NULL;
    llmbo_error err = {0};
    CHECK_OK(llmbo_engine_open(path, &opt, &a, &err));
    opt.n_batch = 1;
    opt.n_threads = 1;
    CHECK_OK(llmbo_engine_open(path, &opt, &b, &err));
    if (!a || !b) {
        llmbo_engine_free(a);
        llmbo_engine_free(b);
        return;
    }
    int nv = llmbo_engine_hparams(a)->n_vocab;
    const float *la, *lb;
    float *keep = llmbo_malloc((size_t)nv, sizeof(float));
    int other[N_PROMPT];
    memcpy(other, prompt, sizeof other);
    other[5] = 7; /* diverges at position 5 */
    CHECK_OK(llmbo_engine_eval(a, other, N_PROMPT, &la, &err));
    CHECK_OK(llmbo_engine_eval(a, prompt, 7, &la, &err));
    CHECK(llmbo_engine_last_processed(a) == 2,
          "%s: 7-token call after a 5-token common prefix "
          "processed %d tokens (expected 2)",
          arch, llmbo_engine_last_processed(a));
    CHECK_OK(llmbo_engine_eval(a, prompt, N_PROMPT, &la, &err));
    CHECK(llmbo_engine_last_processed(a) == 4, "%s: extending 7 -> 11 tokens processed %d", arch,
          llmbo_engine_last_processed(a));
    memcpy(keep, la, (size_t)nv * sizeof(float));
    CHECK_OK(llmbo_engine_eval(b, prompt, N_PROMPT, &lb, &err));
    double d = max_diff(keep, lb, (size_t)nv);
    CHECK(d <= 1e-5 * (1 + max_abs(lb, (size_t)nv)),
          "%s %s: prefix-reused batched logits equal a one-token-at-a-time recompute (max|diff| "
          "%.3g)",
          arch, type, d);
    /* Re-evaluating the same sequence recomputes only the last position and gives the same. */
    CHECK_OK(llmbo_engine_eval(a, prompt, N_PROMPT, &la, &err));
    CHECK(llmbo_engine_last_processed(a) == 1, "%s: identical call processed %d token(s)", arch,
          llmbo_engine_last_processed(a));
    CHECK(max_diff(keep, la, (size_t)nv) <= 1e-6, "%s: identical call gives identical logits",
          arch);
    /* Errors: empty, too long, out-of-vocabulary. */
    int bad[2] = {1, nv + 5};
    CHECK(llmbo_engine_eval(a, prompt, 0, &la, &err) == LLMBO_ERR_INVALID, "n = 0 rejected: %s",
          err.msg);
    CHECK(llmbo_engine_eval(a, bad, 2, &la, &err) == LLMBO_ERR_INVALID &&
              strstr(err.msg, "position 1"),
          "out-of-vocabulary id rejected: %s", err.msg);
    static int longseq[65];
    CHECK(llmbo_engine_eval(a, longseq, 65, &la, &err) == LLMBO_ERR_INVALID,
          "sequence longer than n_ctx rejected: %s", err.msg);
    llmbo_free(keep);
    llmbo_engine_free(a);
    llmbo_engine_free(b);
}

/* The thread pool hands out chunks of work to whichever thread claims them first, so which
 * thread computes what changes from run to run; no result may. Logits of the prompt and of the
 * greedy continuation after it must be bit-identical for 1, 2 and 3 threads (3 oversubscribes a
 * two-core machine, so chunks are claimed late and out of turn), for every batch split (11
 * tokens in one batch, in batches of 4, and one at a time) and with jobs cut into their finest
 * chunks (these models are too small for the normal cut to split row-wise work at all, so that
 * path is only taken with fine_chunks). The models include every
 * dispatch path: dense and MoE FFNs, shared experts, MLA's per-head products, and mixed
 * activation forms (Q8_0 routers beside K-quant experts). */
static void threads_identical(const char *arch, const char *type, const char *extra)
{
    const char *path = eu_model(arch, type, extra);
    CHECK(path != NULL, "%s %s model written", arch, type);
    if (!path)
        return;
    /* threads, batch, fine chunks */
    static const int cfg[][3] = {{1, 11, 0}, {2, 11, 0}, {3, 11, 1}, {2, 4, 1},
                                 {3, 4, 0},  {2, 1, 1},  {3, 1, 0}};
    enum { N_CFG = sizeof cfg / sizeof cfg[0], N_GEN = 6 };
    float *first = NULL;
    int gen0[N_GEN] = {0}, nv = 0;
    for (int c = 0; c < N_CFG; c++) {
        llmbo_engine_options opt;
        llmbo_engine_options_default(&opt);
        opt.n_threads = cfg[c][0];
        opt.n_batch = cfg[c][1];
        opt.fine_chunks = cfg[c][2];
        opt.n_ctx = 64;
        llmbo_engine *e = NULL;
        llmbo_error err = {0};
        if (llmbo_engine_open(path, &opt, &e, &err) != LLMBO_OK) {
            CHECK(0, "%s %s opens: %s", arch, type, err.msg);
            break;
        }
        nv = llmbo_engine_hparams(e)->n_vocab;
        if (!first)
            first = llmbo_malloc((size_t)nv * (N_GEN + 1), sizeof(float));
        int seq[N_PROMPT + N_GEN];
        memcpy(seq, prompt, sizeof prompt);
        int same = 1, n = N_PROMPT;
        for (int g = 0; g <= N_GEN && first; g++, n++) {
            const float *lg;
            CHECK_OK(llmbo_engine_eval(e, seq, n, &lg, &err));
            float *keep = first + (size_t)g * nv;
            if (c == 0)
                memcpy(keep, lg, (size_t)nv * sizeof(float));
            else
                same &= memcmp(keep, lg, (size_t)nv * sizeof(float)) == 0;
            if (g < N_GEN) {
                seq[n] = argmax(lg, nv);
                if (c == 0)
                    gen0[g] = seq[n];
                else
                    same &= seq[n] == gen0[g];
            }
        }
        if (c > 0)
            CHECK(same,
                  "%s %s: %d threads, batches of %d%s: prompt and %d greedy steps bit-identical "
                  "to 1 thread, one batch",
                  arch, type, cfg[c][0], cfg[c][1], cfg[c][2] ? ", finest chunks" : "", N_GEN);
        llmbo_engine_free(e);
    }
    llmbo_free(first);
}

/* The MLA cache holds the latent and the rotary key part per position, not K and V per head. */
static void mla_cache(void)
{
    const char *p = eu_model("deepseek2", "f32", "--kv-lora 64 --rope-dim 32 --heads 4");
    llmbo_engine *e = NULL;
    llmbo_engine_options opt;
    llmbo_engine_options_default(&opt);
    opt.n_ctx = 96;
    opt.n_threads = 1;
    llmbo_error err = {0};
    CHECK(p && llmbo_engine_open(p, &opt, &e, &err) == LLMBO_OK, "deepseek2 opens: %s", err.msg);
    if (!e)
        return;
    const llmbo_hparams *hp = llmbo_engine_hparams(e);
    size_t want = (size_t)hp->n_layer * 96 * (64 + 32) * sizeof(float);
    size_t full = (size_t)hp->n_layer * 96 * 4 * (hp->head_dim + hp->v_dim) * sizeof(float);
    CHECK(llmbo_engine_cache_bytes(e) == want,
          "deepseek2 cache %zu bytes = layers x positions x (kv_lora 64 + rotary 32) floats (%zu); "
          "expanded K and V would take %zu",
          llmbo_engine_cache_bytes(e), want, full);
    CHECK(hp->head_dim == 64 && hp->v_dim == 32 && hp->n_rot == 32 && hp->kv_lora == 64,
          "deepseek2 sizes: q/k head %d, value head %d, rotary %d, latent %d", hp->head_dim,
          hp->v_dim, hp->n_rot, hp->kv_lora);
    llmbo_engine_free(e);
}

static void open_errors(void)
{
    llmbo_engine *e = (llmbo_engine *)1;
    llmbo_error err = {0};
    CHECK(llmbo_engine_open("/nonexistent/model.gguf", NULL, &e, &err) == LLMBO_ERR_IO && !e,
          "missing file: %s", err.msg);
    /* A model whose key_length disagrees with its q_norm size is rejected with the tensor name. */
    const char *p = eu_model("qwen3", "f32", "--head-dim 32");
    if (p) {
        llmbo_status st = llmbo_engine_open(p, NULL, &e, &err);
        CHECK(st == LLMBO_OK, "qwen3 with head_dim 32 opens: %s", err.msg);
        if (!st)
            CHECK(llmbo_engine_hparams(e)->head_dim == 32 &&
                      llmbo_engine_hparams(e)->n_embd / llmbo_engine_hparams(e)->n_head == 16,
                  "qwen3 head size comes from key_length (32), not n_embd/n_head (16)");
        llmbo_engine_free(e);
    }
}

/* Matrices packed in groups of rows at load (the engine's pack_weights; quant.h): only in
 * the copy of the weights, which LLMBO_HUGEPAGES=2 makes for a file of any size; none with
 * LLMBO_PACK=0 or from the file's mapping (the copy's default floor is 64 MiB). Packed decode's
 * software prefetch is left as it was for these small files (too little packed to time the
 * memory rather than the caches) and set by LLMBO_PREFETCH=0. Returns the count with the copy. */
static int packed_count(const char *arch, const char *type, const char *extra)
{
    const char *path = eu_model(arch, type, extra);
    int n[4] = {-1, -1, -1, -1}, how[4] = {-1, -1, -1, -1}, pf[4] = {-1, -1, -1, -1};
    const char *env[4][3] = {{"2", "1", NULL}, {"2", "0", NULL}, {"0", "1", NULL}, {"2", "1", "0"}};
    unsetenv("LLMBO_PREFETCH");           /* the caller's setting would decide the first case */
    for (int c = 0; c < 4 && path; c++) { /* HUGEPAGES, PACK, PREFETCH */
        setenv("LLMBO_HUGEPAGES", env[c][0], 1);
        setenv("LLMBO_PACK", env[c][1], 1);
        if (env[c][2])
            setenv("LLMBO_PREFETCH", env[c][2], 1);
        llmbo_engine_options opt;
        llmbo_engine_options_default(&opt);
        opt.n_threads = 1;
        opt.n_ctx = 64;
        llmbo_engine *e = NULL;
        llmbo_error err = {0};
        if (llmbo_engine_open(path, &opt, &e, &err) == LLMBO_OK) {
            double sec[2];
            size_t bytes;
            n[c] = llmbo_engine_n_packed(e);
            pf[c] = llmbo_engine_prefetch(e, &how[c], sec, &bytes);
        }
        llmbo_engine_free(e);
        unsetenv("LLMBO_PREFETCH");
    }
    llmbo_quant_set_prefetch(1);
    unsetenv("LLMBO_HUGEPAGES");
    unsetenv("LLMBO_PACK");
    CHECK(n[0] > 0 && n[1] == 0 && n[2] == 0,
          "%s %s: %d matrices packed in the copy of the weights, %d with LLMBO_PACK=0, %d mapped",
          arch, type, n[0], n[1], n[2]);
    CHECK(how[0] == 0 && pf[0] == 1 && n[3] == n[0] && how[3] == 2 && pf[3] == 0,
          "%s %s: packed decode's prefetch left on for a small file (how %d, on %d), set off by "
          "LLMBO_PREFETCH=0 (how %d, on %d)",
          arch, type, how[0], pf[0], how[3], pf[3]);
    return n[0];
}

int main(void)
{
    if (getenv("LLMBO_TEST_SCALAR")) /* every comparison on the scalar kernels */
        llmbo_quant_set_simd(0);
    const char *k = "--embd 256 --heads 4 --kv-heads 2 --head-dim 64 --ff 256 --ff-exp 256";
    compare_model("qwen2", "f32", NULL, 1e-4);
    compare_model("qwen2", "f16", NULL, 1e-4);
    compare_model("qwen2", "bf16", NULL, 1e-4);
    compare_model("qwen2", "q8_0", NULL, 0.03);
    compare_model("qwen2", "q4_0", NULL, 0.03);
    compare_model("qwen3", "f32", NULL, 1e-4);
    compare_model("qwen3", "q8_0", NULL, 0.03);
    compare_model("qwen3moe", "f32", NULL, 1e-4);
    compare_model("qwen3moe", "f32", "--shared-ff 64", 1e-4);
    compare_model("qwen3moe", "q8_0", NULL, 0.03);
    compare_model("qwen3moe", "q4_k_m", k, 0.03);
    compare_model("granite", "f32", NULL, 1e-4);
    compare_model("granite", "q8_0", NULL, 0.03);
    /* Gemma 3: layers 0, 1 slide over 4 positions of the 11-token prompt, layer 2 is global */
    compare_model("gemma3", "f32", "--layers 3 --swa 4 --swa-period 3", 1e-4);
    compare_model("gemma3", "q8_0", "--layers 3 --swa 4 --swa-period 3 --softcap 30", 0.03);
    /* Gemma 2: every second layer slides (layers 0, 2), scores capped at 5 here, logits at the
     * default 30 */
    compare_model("gemma", "f32", NULL, 1e-4);
    compare_model("gemma", "q8_0", NULL, 0.03);
    compare_model("gemma2", "f32", "--layers 3 --swa 4 --att-softcap 5", 1e-4);
    compare_model("gemma2", "q8_0", "--layers 3 --swa 4 --att-softcap 5", 0.03);
    /* OLMo 2: no pre-norms, post-norms, QK-norm over the whole projection; Olmo 3's window:
     * layers 0-2 slide over 4 positions, layer 3 is global */
    compare_model("olmo2", "f32", NULL, 1e-4);
    compare_model("olmo2", "q8_0", NULL, 0.03);
    compare_model("olmo2", "f32", "--layers 4 --swa 4 --yarn 4", 1e-4);
    /* EXAONE 4: the 1.2B's layout; the 32B's 64 layers, window 4 on 3 of every 4, the global
     * ones without RoPE; a multi-token-prediction layer after the last, not run */
    compare_model("exaone4", "f32", NULL, 1e-4);
    compare_model("exaone4", "q8_0", NULL, 0.03);
    compare_model("exaone4", "f32", "--layers 64 --embd 32 --swa 4", 1e-4);
    compare_model("qwen3", "f32", "--nextn 1", 1e-4);
    /* GLM-4: pre- and post-norms, fused gate/up, q/k/v biases, RoPE on half of each head */
    compare_model("glm4", "f32", "--rot 8", 1e-4);
    compare_model("glm4", "q8_0", "--rot 8", 0.03);
    /* gpt-oss: q wider than n_embd, sinks, biases everywhere, clamped SwiGLU, the top-k logits'
     * softmax; layers 0 and 2 slide over 4 positions at the global (YaRN) RoPE; MXFP4 experts
     * with the other weights in Q8_0, as the released files */
    const char *go = "--layers 3 --swa 4 --head-dim 32 --yarn 8";
    compare_model("gpt-oss", "f32", go, 1e-4);
    compare_model("gpt-oss", "mxfp4", go, 0.03);
    /* SmolLM3: layer 3 (the fourth) without RoPE */
    compare_model("smollm3", "f32", "--layers 4", 1e-4);
    compare_model("smollm3", "q8_0", "--layers 4", 0.03);
    compare_model("ernie4_5", "f32", "--layers 3", 1e-4);
    compare_model("ernie4_5", "q8_0", "--layers 3 --tied", 0.03);
    /* layer 0 dense (leading), then experts on every second layer, a selection bias and an
     * ungated shared expert */
    compare_model("ernie4_5-moe", "f32",
                  "--layers 4 --experts 6 --used 2 --ff-exp 32 --shared-ff 48 --moe-step 2 "
                  "--exp-bias",
                  1e-4);
    compare_model("ernie4_5-moe", "q8_0", "--layers 3 --experts 4 --used 2 --ff-exp 64", 0.03);
    /* Hunyuan: QK-norm after RoPE, the base raised by rope.scaling.alpha */
    compare_model("hunyuan-dense", "f32",
                  "--layers 3 --set hunyuan-dense.rope.scaling.alpha=f32:1000", 1e-4);
    compare_model("hunyuan-dense", "q8_0", "--layers 2 --tied", 0.03);
    compare_model("phi3", "f32", NULL, 1e-4);
    compare_model("phi3", "q8_0", NULL, 0.03);
    compare_model("phi3", "f32", "--longrope 4096", 1e-4); /* n_ctx 64: the short factors */
    compare_model("phi3", "f32", "--longrope 32", 1e-4);   /* n_ctx 64 > 32: the long ones */
    /* q, k, v biases in a file whose row has none (applied, as llama.cpp does), fused too */
    compare_model("llama", "f32", "--qkv-bias", 1e-4);
    compare_model("qwen3", "q8_0", "--qkv-bias", 0.03);
    compare_model("phi3", "f32", "--qkv-bias", 1e-4);
    /* partial rotary embeddings (Phi-4-mini: 96 of 128), both layouts */
    compare_model("phi3", "f32", "--rot 12 --longrope 32", 1e-4);
    compare_model("llama", "f32", "--rot 8", 1e-4);
    compare_model("qwen2moe", "f32", "--shared-ff 96", 1e-4);
    compare_model("qwen2moe", "q8_0", "--shared-ff 96", 0.03);
    compare_model("olmoe", "f32", NULL, 1e-4);
    compare_model("olmoe", "q8_0", NULL, 0.03);
    compare_model("olmoe", "q4_k", k, 0.03);
    compare_model("olmoe", "q6_k", k, 0.03);
    /* The other types (kernels checked one by one in test_quant), one layer each. */
    const char *k1 = "--embd 256 --heads 4 --kv-heads 2 --head-dim 64 --ff 256 --ff-exp 256 "
                     "--layers 1";
    compare_model("qwen2", "q5_0", "--layers 1", 0.03);
    compare_model("qwen2", "q4_1", "--layers 1", 0.03);
    compare_model("qwen3moe", "q5_k", k1, 0.03);
    compare_model("olmoe", "iq4_xs", k1, 0.03);
    compare_model("qwen3", "q3_k", k1, 0.03);
    /* The codebook types (random codebook bytes scaled to the weights: gguf_writer's random_iq). */
    compare_model("qwen2", "iq2_xxs", k1, 0.03);
    compare_model("qwen3moe", "iq2_xs", k1, 0.03);
    compare_model("olmoe", "iq2_s", k1, 0.03);
    compare_model("llama", "iq3_xxs", k1, 0.03);
    compare_model("qwen3", "iq3_s", k1, 0.03);
    compare_model("granitemoe", "iq1_s", k1, 0.03);
    compare_model("qwen2", "iq1_m", k1, 0.03);
    /* llama: RoPE on adjacent pairs, Llama 3.1's frequency divisors, Mixtral-style experts. */
    compare_model("llama", "f32", "--rope-freqs", 1e-4);
    compare_model("llama", "f32", "--moe --experts 4 --used 2 --layers 1", 1e-4);
    compare_model("llama", "q4_k_m", "--embd 256 --heads 4 --kv-heads 2 --ff 256 --layers 1", 0.03);
    /* granitemoe: llama attention, experts, Granite's four multipliers, a shared expert. */
    compare_model("granitemoe", "f32", NULL, 1e-4);
    compare_model("granitemoe", "f32", "--shared-ff 48 --layers 1", 1e-4);
    compare_model("granitemoe", "q8_0", NULL, 0.03);
    greedy_model("granitemoe", "f32");
    /* deepseek2: multi-head latent attention (compressed cache), a leading dense layer, shared
     * experts; then q through its bottleneck, YaRN, sigmoid gating with a selection bias, grouped
     * top-k, renormalised and scaled weights. */
    compare_model("deepseek2", "f32", NULL, 1e-4);
    compare_model("deepseek2", "f32",
                  "--layers 3 --yarn 40 --q-lora 64 --groups 4 --groups-used 2 --used 3 "
                  "--gating 2 --norm-w --expert-scale 2.5 --exp-bias",
                  1e-4);
    /* 0.05: attention this sharp (attn_k_b drawn 3x wider) amplifies the activation rounding;
     * the layer-1 residual is 0.024 of its scale from the float64 one with the SIMD kernels and
     * 0.035 with the scalar ones (LLMBO_TEST_SCALAR=1). The two paths agree to 3e-7 on prompts of
     * 1 to 10 tokens and part by 5.5e-3 in layer 0 at the 11th: float32 noise taking one
     * activation across a rounding boundary there is the likely cause (not shown directly: the
     * rounded reference does not model MLA's absorbed products). */
    compare_model("deepseek2", "q8_0", "--yarn 40", 0.05);
    greedy_model("deepseek2", "f32");
    mla_cache();
    /* YaRN on the other rows (cos and sin carry the magnitude) */
    compare_model("qwen3", "f32", "--yarn 4", 1e-4);
    greedy_model("qwen2", "f32");
    greedy_model("qwen3moe", "f32");
    greedy_model("olmoe", "f32");
    greedy_model("llama", "f32");
    prefix_and_batch("qwen3moe", "q8_0");
    prefix_and_batch("qwen2", "f32");
    prefix_and_batch("deepseek2", "f32");
    threads_identical("qwen3moe", "q4_k_m", k);
    threads_identical("qwen2", "q8_0", NULL);
    threads_identical("deepseek2", "q8_0", "--layers 3 --q-lora 64 --used 3");
    threads_identical("granitemoe", "f32", "--shared-ff 48");
    /* The same models with their Q4_K, Q5_K, Q6_K, IQ4_XS and Q8_0 matrices packed: against both
     * references (the scalar kernels' fallback too), and bit-identical across threads, batch
     * splits and the finest chunks (a packed matrix is cut into whole groups) */
    const char *l1 = "--embd 256 --heads 4 --kv-heads 2 --ff 256 --layers 1";
    /* tied embeddings: token_embd (Q4_K) packed, its rows looked up through the packed layout,
     * and 1000 rows: 62 groups and 8 rows after them */
    const char *l1t = "--embd 256 --heads 4 --kv-heads 2 --ff 256 --layers 1 --tied --vocab 1000";
    if (packed_count("qwen3moe", "q4_k_m", k) > 0 && packed_count("llama", "q4_k_m", l1) > 0 &&
        packed_count("llama", "q4_k_m", l1t) > 0 && packed_count("olmoe", "iq4_xs", k1) > 0 &&
        packed_count("qwen2", "q8_0", NULL) > 0 && packed_count("llama", "q5_k", l1) > 0) {
        setenv("LLMBO_HUGEPAGES", "2", 1);
        compare_model("llama", "q5_k", l1, 0.03);
        threads_identical("llama", "q5_k", l1);
        compare_model("qwen3moe", "q4_k_m", k, 0.03);
        compare_model("llama", "q4_k_m", l1, 0.03);
        compare_model("llama", "q4_k_m", l1t, 0.03);
        compare_model("olmoe", "iq4_xs", k1, 0.03);
        compare_model("qwen2", "q8_0", NULL, 0.03);
        threads_identical("qwen3moe", "q4_k_m", k);
        threads_identical("llama", "q4_k_m", l1t);
        /* a wide FFN: ffn_down's groups (4608 columns) in panels of columns, read in row blocks
         * of four groups (llmbo_pack_align), the finest chunks cut at those blocks */
        const char *l1w = "--embd 256 --heads 4 --kv-heads 2 --ff 4608 --layers 1";
        compare_model("llama", "q4_k_m", l1w, 0.03);
        threads_identical("llama", "q4_k_m", l1w);
        threads_identical("qwen2", "q8_0", NULL);
        unsetenv("LLMBO_HUGEPAGES");
    }
    open_errors();
    eu_cleanup();
    return check_summary();
}
