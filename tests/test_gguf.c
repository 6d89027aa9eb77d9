/* test_gguf.c: the GGUF loader on valid, truncated, corrupted and hostile input. Buffers are
 * heap copies of exactly the file's length, so under ASan any read past the end is caught. Every
 * truncation length of a small model must be an LLMBO_ERR_FORMAT naming a byte offset; targeted
 * corruptions (huge counts and lengths, bad types, misaligned or out-of-file tensors) each get
 * their specific message; random byte flips never crash. */
#include <stdint.h>
#include "check.h"
#include "engine.h"
#include "engine_util.h"
#include "gguf.h"
#include "quant.h"
#include "llmbo_common.h"

/* ----------------------------------------------------------------------------------------------
 * A tiny GGUF builder for targeted corruptions
 * -------------------------------------------------------------------------------------------- */

typedef struct buf {
    uint8_t d[8192];
    size_t n;
} buf;

static void put(buf *b, const void *p, size_t n)
{
    memcpy(b->d + b->n, p, n);
    b->n += n;
}

static void put_u32(buf *b, uint32_t v)
{
    put(b, &v, 4);
}

static void put_u64(buf *b, uint64_t v)
{
    put(b, &v, 8);
}

static void put_str(buf *b, const char *s)
{
    put_u64(b, strlen(s));
    put(b, s, strlen(s));
}

/* Offsets of interesting fields, recorded while building. */
typedef struct layout {
    size_t n_tensors_at, n_kv_at, key_len_at, arr_n_at, vtype_at, ndims_at, ne0_at, ttype_at,
        toff_at, align_val_at, data_at;
} layout;

/* A valid file: 3 KV pairs (a string, an array of 3 u32, general.alignment = 32) and two F32
 * tensors "a" [8, 2] and "b" [4]. */
static void build(buf *b, layout *L)
{
    b->n = 0;
    put(b, "GGUF", 4);
    put_u32(b, 3);
    L->n_tensors_at = b->n;
    put_u64(b, 2);
    L->n_kv_at = b->n;
    put_u64(b, 3);
    L->key_len_at = b->n;
    put_str(b, "general.architecture");
    L->vtype_at = b->n;
    put_u32(b, 8);
    put_str(b, "qwen2");
    put_str(b, "test.array");
    put_u32(b, 9);
    put_u32(b, 4);
    L->arr_n_at = b->n;
    put_u64(b, 3);
    put_u32(b, 10);
    put_u32(b, 20);
    put_u32(b, 30);
    put_str(b, "general.alignment");
    put_u32(b, 4);
    L->align_val_at = b->n;
    put_u32(b, 32);
    put_str(b, "a");
    L->ndims_at = b->n;
    put_u32(b, 2);
    L->ne0_at = b->n;
    put_u64(b, 8);
    put_u64(b, 2);
    L->ttype_at = b->n;
    put_u32(b, 0);
    L->toff_at = b->n;
    put_u64(b, 0);
    put_str(b, "b");
    put_u32(b, 1);
    put_u64(b, 4);
    put_u32(b, 0);
    put_u64(b, 64);
    while (b->n % 32)
        b->d[b->n++] = 0;
    L->data_at = b->n;
    for (int i = 0; i < 16; i++) {
        float f = 0.25f * (float)i - 1.375f;
        put(b, &f, 4);
    }
    for (int i = 0; i < 4; i++) {
        float f = 2.385f * (float)i;
        put(b, &f, 4);
    }
}

/* Opens a heap copy of exactly n bytes; returns status and fills err. */
static llmbo_status open_copy(const uint8_t *d, size_t n, llmbo_error *err)
{
    uint8_t *c = llmbo_malloc(n ? n : 1, 1);
    memcpy(c, d, n);
    llmbo_gguf *g = NULL;
    llmbo_status st = llmbo_gguf_open_buffer(c, n, &g, err);
    llmbo_gguf_close(g);
    llmbo_free(c);
    return st;
}

static void test_valid(void)
{
    buf b;
    layout L;
    build(&b, &L);
    llmbo_gguf *g = NULL;
    llmbo_error err = {0};
    CHECK_OK(llmbo_gguf_open_buffer(b.d, b.n, &g, &err));
    if (!g)
        return;
    CHECK(g->n_kv == 3 && g->n_tensors == 2 && g->alignment == 32, "header counts read");
    llmbo_gguf_str s;
    CHECK_OK(llmbo_gguf_get_str(g, "general.architecture", &s, &err));
    CHECK(llmbo_gguf_str_eq(s, "qwen2"), "string value read");
    const llmbo_gguf_kv *kv = llmbo_gguf_find_kv(g, "test.array");
    CHECK(kv && kv->arr_n == 3 && llmbo_gguf_arr_int(g, kv, 2) == 30, "array element read");
    uint64_t u;
    CHECK(llmbo_gguf_get_u64(g, "general.architecture", &u, &err) == LLMBO_ERR_FORMAT,
          "string read as integer is a type error: %s", err.msg);
    CHECK(llmbo_gguf_get_u64(g, "nope", &u, &err) == LLMBO_ERR_NOT_FOUND, "missing key: %s",
          err.msg);
    const llmbo_gguf_tensor *t = llmbo_gguf_find_tensor(g, "b");
    CHECK(t && t->ne[0] == 4 && t->nbytes == 16 && t->data == b.d + L.data_at + 64,
          "tensor b located at data + 64");
    CHECK(t && ((const float *)t->data)[3] == 3 * 2.385f, "tensor data read");
    llmbo_gguf_close(g);
}

static void expect_error(const char *what, buf *b, llmbo_status want, const char *needle)
{
    llmbo_error err = {0};
    llmbo_status st = open_copy(b->d, b->n, &err);
    CHECK(st == want && strstr(err.msg, needle) != NULL, "%s -> %s: %s", what, llmbo_strerror(st),
          err.msg);
}

static void test_corruptions(void)
{
    buf b;
    layout L;
#define CORRUPT(what, code, want, needle)                                                          \
    do {                                                                                           \
        build(&b, &L);                                                                             \
        code;                                                                                      \
        expect_error(what, &b, want, needle);                                                      \
    } while (0)
    uint64_t huge = UINT64_MAX, big = (uint64_t)1 << 40;
    uint32_t u;
    CORRUPT("bad magic", b.d[0] = 'X', LLMBO_ERR_FORMAT, "magic");
    CORRUPT("version 1", (u = 1, memcpy(b.d + 4, &u, 4)), LLMBO_ERR_UNSUPPORTED, "version 1");
    CORRUPT("huge tensor count", memcpy(b.d + L.n_tensors_at, &huge, 8), LLMBO_ERR_FORMAT,
            "exceed");
    CORRUPT("huge kv count", memcpy(b.d + L.n_kv_at, &big, 8), LLMBO_ERR_FORMAT, "exceed");
    CORRUPT("huge key length", memcpy(b.d + L.key_len_at, &huge, 8), LLMBO_ERR_FORMAT,
            "byte offset 32");
    CORRUPT("huge array count", memcpy(b.d + L.arr_n_at, &big, 8), LLMBO_ERR_FORMAT,
            "runs past the end");
    CORRUPT("unknown value type", (u = 77, memcpy(b.d + L.vtype_at, &u, 4)), LLMBO_ERR_FORMAT,
            "unknown value type 77");
    CORRUPT("zero dimensions", (u = 0, memcpy(b.d + L.ndims_at, &u, 4)), LLMBO_ERR_FORMAT,
            "0 dimensions");
    CORRUPT("five dimensions", (u = 5, memcpy(b.d + L.ndims_at, &u, 4)), LLMBO_ERR_FORMAT,
            "5 dimensions");
    CORRUPT("zero extent", memset(b.d + L.ne0_at, 0, 8), LLMBO_ERR_FORMAT, "invalid dimensions");
    CORRUPT("overflowing extent", memcpy(b.d + L.ne0_at, &huge, 8), LLMBO_ERR_FORMAT,
            "invalid dimensions");
    CORRUPT("tensor past the end", memcpy(b.d + L.ne0_at, &big, 8), LLMBO_ERR_FORMAT, "");
    CORRUPT("unknown tensor type", (u = 99, memcpy(b.d + L.ttype_at, &u, 4)), LLMBO_ERR_UNSUPPORTED,
            "type 99");
    CORRUPT("Q8_0 row not a block multiple", (u = 8, memcpy(b.d + L.ttype_at, &u, 4)),
            LLMBO_ERR_FORMAT, "multiple of the Q8_0 block");
    uint64_t off = 4;
    CORRUPT("misaligned tensor offset", memcpy(b.d + L.toff_at, &off, 8), LLMBO_ERR_FORMAT,
            "not a multiple of the alignment");
    off = 1u << 20;
    CORRUPT("tensor offset outside the file", memcpy(b.d + L.toff_at, &off, 8), LLMBO_ERR_FORMAT,
            "runs past the end of the file");
    CORRUPT("alignment 24", (u = 24, memcpy(b.d + L.align_val_at, &u, 4)), LLMBO_ERR_FORMAT,
            "power of two");
    CORRUPT("duplicate tensor name", b.d[L.ndims_at - 1] = 'b', LLMBO_ERR_FORMAT, "duplicate");
#undef CORRUPT
}

/* Every proper prefix of a valid file is an error (not a crash, not a success). */
static void sweep_truncations(const uint8_t *d, size_t n, const char *label)
{
    size_t bad = 0, no_offset = 0, first_bad = 0;
    for (size_t len = 0; len < n; len++) {
        llmbo_error err = {0};
        llmbo_status st = open_copy(d, len, &err);
        if (st != LLMBO_ERR_FORMAT) {
            if (!bad++)
                first_bad = len;
        } else if (!strstr(err.msg, "byte") && !strstr(err.msg, "magic")) {
            no_offset++;
        }
    }
    CHECK(bad == 0, "%s: all %zu truncations are LLMBO_ERR_FORMAT (%zu not; first at %zu)", label,
          n, bad, first_bad);
    CHECK(no_offset == 0, "%s: every truncation message names a byte offset (%zu do not)", label,
          no_offset);
    llmbo_error err = {0};
    CHECK(open_copy(d, n, &err) == LLMBO_OK, "%s: the whole file opens", label);
}

static uint64_t rng_state = 0x2385u;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void fuzz_flips(const uint8_t *d, size_t n, size_t region, int rounds)
{
    uint8_t *c = llmbo_malloc(n, 1);
    int ok = 0, errs = 0;
    for (int r = 0; r < rounds; r++) {
        memcpy(c, d, n);
        int flips = 1 + (int)(rnd() % 4);
        for (int k = 0; k < flips; k++)
            c[rnd() % region] ^= (uint8_t)(1u << (rnd() % 8));
        llmbo_error err = {0};
        if (open_copy(c, n, &err) == LLMBO_OK)
            ok++;
        else
            errs++;
    }
    CHECK(ok + errs == rounds, "%d random header corruptions: %d opened, %d rejected, no crash",
          rounds, ok, errs);
    llmbo_free(c);
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *d = llmbo_malloc((size_t)sz, 1);
    if (d && fread(d, 1, (size_t)sz, f) != (size_t)sz) {
        llmbo_free(d);
        d = NULL;
    }
    fclose(f);
    *n = (size_t)sz;
    return d;
}

/* The engine on truncated model files (a sample of lengths) reports the file and the problem. */
static void engine_truncations(const char *path, const uint8_t *d, size_t n)
{
    char tp[600];
    snprintf(tp, sizeof tp, "%s.trunc", path);
    int all = 1;
    for (size_t len = 1; len < n; len += n / 37 + 1) {
        FILE *f = fopen(tp, "wb");
        if (!f || fwrite(d, 1, len, f) != len) {
            all = 0;
            if (f)
                fclose(f);
            break;
        }
        fclose(f);
        llmbo_engine *e = NULL;
        llmbo_error err = {0};
        llmbo_status st = llmbo_engine_open(tp, NULL, &e, &err);
        if (st != LLMBO_ERR_FORMAT || e || !strstr(err.msg, tp)) {
            all = 0;
            printf("truncated to %zu: %s %s\n", len, llmbo_strerror(st), err.msg);
        }
        llmbo_engine_free(e);
    }
    CHECK(all, "engine open of truncated model files: LLMBO_ERR_FORMAT naming the file");
}

static void test_model_file(void)
{
    const char *path = eu_model("qwen2", "q8_0",
                                "--embd 32 --heads 2 --kv-heads 1 --ff 32 --layers 1 --merges 20");
    CHECK(path != NULL, "small model written");
    if (!path)
        return;
    size_t n = 0;
    uint8_t *d = slurp(path, &n);
    CHECK(d != NULL, "model read (%zu bytes)", n);
    if (!d)
        return;
    sweep_truncations(d, n, "qwen2 q8_0 model");
    llmbo_gguf *g = NULL;
    llmbo_error err = {0};
    if (llmbo_gguf_open_buffer(d, n, &g, &err) == LLMBO_OK) {
        fuzz_flips(d, n, (size_t)g->data_off, 3000);
        llmbo_gguf_close(g);
    }
    engine_truncations(path, d, n);
    llmbo_free(d);
}

/* llmbo_gguf_copy_data: every tensor's bytes equal the file's, in memory apart from the mapping;
 * LLMBO_HUGEPAGES=0 and a caller-owned buffer keep the mapping; an engine's logits are the same
 * bits with the copy (LLMBO_HUGEPAGES=2: forced for a small model) and without. */
static void engine_logits(const char *path, const char *env, float *out, int n)
{
    setenv("LLMBO_HUGEPAGES", env, 1);
    llmbo_engine *e = NULL;
    llmbo_error err = {0};
    const int32_t toks[5] = {3, 17, 1, 29, 8};
    const float *lg = NULL;
    memset(out, 0, (size_t)n * sizeof *out);
    if (llmbo_engine_open(path, NULL, &e, &err) == LLMBO_OK &&
        llmbo_engine_eval(e, toks, 5, &lg, &err) == LLMBO_OK)
        memcpy(out, lg, (size_t)n * sizeof *out);
    CHECK(lg != NULL, "engine with LLMBO_HUGEPAGES=%s: %s", env, lg ? "ok" : err.msg);
    llmbo_engine_free(e);
    unsetenv("LLMBO_HUGEPAGES");
}

/* Whether this kernel offers transparent huge pages (read here independently of gguf.c). */
static int thp_on(void)
{
    char t[128] = {0};
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (!f)
        return 0;
    t[fread(t, 1, sizeof t - 1, f)] = 0;
    fclose(f);
    return strstr(t, "[always]") != NULL || strstr(t, "[madvise]") != NULL;
}

/* MemAvailable in bytes from /proc/meminfo (0 if it does not say). */
static unsigned long long mem_available(void)
{
    char line[256];
    unsigned long long kb = 0;
    FILE *f = fopen("/proc/meminfo", "r");
    while (f && fgets(line, sizeof line, f) && sscanf(line, "MemAvailable: %llu kB", &kb) != 1)
        ;
    if (f)
        fclose(f);
    return kb * 1024;
}

/* The engine's default (mode 1) on a file whose data section is 64 MiB + 4 KiB (one F32 tensor of
 * a known pattern): copied exactly when the kernel offers huge pages and half of MemAvailable
 * holds it (on any machine with 129 MiB available), with the file's bytes;
 * LLMBO_HUGEPAGES=0 keeps it in the mapping. */
static void test_copy_default(void)
{
    char path[600];
    snprintf(path, sizeof path, "%s/big_f32.gguf", eu_tmpdir());
    const uint64_t ne = ((uint64_t)64 << 18) + 1024; /* floats */
    buf *b = llmbo_malloc(1, sizeof *b);
    b->n = 0;
    put(b, "GGUF", 4);
    put_u32(b, 3);
    put_u64(b, 1); /* tensors */
    put_u64(b, 1); /* key-value pairs */
    put_str(b, "general.architecture");
    put_u32(b, 8);
    put_str(b, "qwen2");
    put_str(b, "big");
    put_u32(b, 1);
    put_u64(b, ne);
    put_u32(b, 0); /* F32 */
    put_u64(b, 0);
    while (b->n % 32)
        b->d[b->n++] = 0;
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(b->d, 1, b->n, f) == b->n;
    uint32_t chunk[4096];
    for (uint64_t i = 0; ok && i < ne; i += 4096) {
        for (int k = 0; k < 4096; k++)
            chunk[k] = (uint32_t)((i + (uint64_t)k) * 2654435761u);
        ok = fwrite(chunk, 4, 4096, f) == 4096;
    }
    ok = f && fclose(f) == 0 && ok;
    llmbo_free(b);
    CHECK(ok, "64 MiB file written to %s", path);
    if (!ok)
        return;
    llmbo_gguf *g = NULL;
    llmbo_error err = {0};
    unsetenv("LLMBO_HUGEPAGES");
    CHECK_OK(llmbo_gguf_open(path, &g, &err));
    if (!g)
        return;
    const int thp = thp_on();
    const unsigned long long avail = mem_available();
    const int want = thp && avail / 2 >= ne * 4; /* gguf.h's rule */
    const uint8_t *in_map = g->base + g->data_off + g->tensor[0].offset;
    int got = llmbo_gguf_copy_data(g, 1), same = 1;
    const uint32_t *w = g->tensor[0].data;
    for (uint64_t i = 0; i < ne; i += 9973)
        same &= w[i] == (uint32_t)(i * 2654435761u);
    CHECK(got == want && (g->copy != NULL) == want && same &&
              ((const uint8_t *)g->tensor[0].data != in_map) == want,
          "mode 1 on a 64 MiB section: copied %d, expected %d (huge pages %s, %llu MiB "
          "available), bytes %s",
          got, want, thp ? "on" : "off", avail >> 20, same ? "the file's" : "differ");
    llmbo_gguf_close(g);
    setenv("LLMBO_HUGEPAGES", "0", 1);
    CHECK_OK(llmbo_gguf_open(path, &g, &err));
    if (g) {
        CHECK(llmbo_gguf_copy_data(g, 1) == 0 && g->copy == NULL,
              "LLMBO_HUGEPAGES=0 keeps a 64 MiB section in the mapping");
        llmbo_gguf_close(g);
    }
    unsetenv("LLMBO_HUGEPAGES");
    remove(path);
}

static void test_copy_data(void)
{
    const char *path = eu_model(
        "qwen2", "q4_k", "--embd 256 --heads 2 --kv-heads 1 --ff 512 --layers 2 --merges 20");
    CHECK(path != NULL, "small model written");
    if (!path)
        return;
    llmbo_gguf *g = NULL;
    llmbo_error err = {0};
    CHECK_OK(llmbo_gguf_open(path, &g, &err));
    if (!g)
        return;
    CHECK(llmbo_gguf_copy_data(g, 0) == 0 && g->copy == NULL, "mode 0 copies nothing");
    CHECK(llmbo_gguf_copy_data(g, 1) == 0 && g->copy == NULL,
          "mode 1 leaves a data section under 64 MiB in the mapping");
    setenv("LLMBO_HUGEPAGES", "0", 1);
    CHECK(llmbo_gguf_copy_data(g, 2) == 0 && g->copy == NULL, "LLMBO_HUGEPAGES=0 turns it off");
    unsetenv("LLMBO_HUGEPAGES");
    CHECK(llmbo_gguf_copy_data(g, 2) == 1 && g->copy != NULL, "mode 2 copies");
    int same = 1, moved = 1;
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        const llmbo_gguf_tensor *t = &g->tensor[i];
        const uint8_t *in_map = g->base + g->data_off + t->offset;
        same &= memcmp(t->data, in_map, (size_t)t->nbytes) == 0;
        moved &= (const uint8_t *)t->data != in_map;
    }
    CHECK(g->n_tensors > 10 && same && moved,
          "all %llu tensors point into the copy and hold the file's bytes",
          (unsigned long long)g->n_tensors);
    CHECK(llmbo_gguf_copy_data(g, 2) == 0, "a second copy is refused (already copied)");
    llmbo_gguf_close(g);
    size_t n = 0;
    uint8_t *d = slurp(path, &n);
    if (d && llmbo_gguf_open_buffer(d, n, &g, &err) == LLMBO_OK) {
        CHECK(llmbo_gguf_copy_data(g, 2) == 0, "a caller-owned buffer is not copied");
        llmbo_gguf_close(g);
    }
    llmbo_free(d);
    enum { NV = 64 };
    float a[NV], b[NV], c[NV];
    engine_logits(path, "0", a, NV);
    setenv("LLMBO_PACK", "0", 1);
    engine_logits(path, "2", b, NV);
    unsetenv("LLMBO_PACK");
    CHECK(memcmp(a, b, sizeof a) == 0 && a[0] != 0.0f,
          "engine logits bit-identical with and without the copy, not packed (first %d)", NV);
    /* packed Q4_K matrices (the default in the copy): the same integer sums, the float steps in
     * another order (test_quant and test_engine check them against references) */
    engine_logits(path, "2", c, NV);
    double diff = 0, scale = 0;
    for (int i = 0; i < NV; i++) {
        diff = fmax(diff, fabs((double)c[i] - a[i]));
        scale = fmax(scale, fabs((double)a[i]));
    }
    CHECK(scale > 0 && diff <= 1e-5 * scale && memcmp(a, c, sizeof a) != 0,
          "engine logits with the copy's packed matrices within %.3g of the unpacked ones (scale "
          "%.3g), not bit-identical (packing ran)",
          diff, scale);
}

/* llmbo_gguf_copy_grouped: a MoE layer's gate, up and down expert stacks interleaved in the copy,
 * expert by expert, each matrix at a 64-byte boundary and holding the file's bytes; the other
 * tensors as in a plain copy; groups that break gguf.h's conditions (a 2-D tensor, a tensor
 * repeated or already in a group) copied plainly. */
static void test_copy_grouped(void)
{
    const char *path = eu_model("qwen3moe", "q8_0",
                                "--embd 256 --heads 4 --kv-heads 2 --head-dim 64 --ff 256 "
                                "--ff-exp 256 --layers 2 --experts 6 --used 2 --merges 20");
    CHECK(path != NULL, "small MoE model written");
    llmbo_gguf *g = NULL;
    llmbo_error err = {0};
    if (!path || llmbo_gguf_open(path, &g, &err) != LLMBO_OK) {
        CHECK(0, "MoE model opens: %s", err.msg);
        return;
    }
    static const char *const kind[3] = {"ffn_gate_exps", "ffn_up_exps", "ffn_down_exps"};
    llmbo_gguf_group gr[4] = {{{NULL}, 3}, {{NULL}, 3}, {{NULL}, 2}, {{NULL}, 2}};
    char name[64];
    for (int il = 0; il < 2; il++)
        for (int k = 0; k < 3; k++) {
            snprintf(name, sizeof name, "blk.%d.%s.weight", il, kind[k]);
            gr[il].t[k] = llmbo_gguf_find_tensor(g, name);
        }
    const llmbo_gguf_tensor *q = llmbo_gguf_find_tensor(g, "blk.1.attn_q.weight");
    gr[2].t[0] = gr[0].t[0]; /* already in group 0 */
    gr[2].t[1] = q;
    gr[3].t[0] = q; /* 2-D */
    gr[3].t[1] = llmbo_gguf_find_tensor(g, "blk.1.attn_k.weight");
    uint64_t file_mat[2][3];
    for (int il = 0; il < 2; il++)
        for (int k = 0; k < 3; k++)
            file_mat[il][k] = gr[il].t[k] ? gr[il].t[k]->mat_stride : 0;
    CHECK(gr[0].t[2] && gr[1].t[2] && q && gr[3].t[1] && gr[0].t[0]->ne[2] == 6,
          "the model's expert stacks found (6 experts)");
    if (!gr[1].t[2] || !q || !gr[3].t[1]) {
        llmbo_gguf_close(g);
        return;
    }
    CHECK(llmbo_gguf_copy_grouped(g, 2, gr, 4) == 1 && g->copy != NULL, "grouped copy made");
    int same = 1, interleaved = 1;
    for (uint64_t i = 0; i < g->n_tensors; i++) { /* every matrix holds the file's bytes */
        const llmbo_gguf_tensor *t = &g->tensor[i];
        const uint8_t *in_map = g->base + g->data_off + t->offset;
        uint64_t per = t->nbytes / t->ne[2];
        for (uint64_t m = 0; m < t->ne[2]; m++)
            same &= memcmp((const uint8_t *)t->data + m * t->mat_stride, in_map + m * per,
                           (size_t)per) == 0;
    }
    for (int il = 0; il < 2; il++) {
        uint64_t rec = 0;
        for (int k = 0; k < 3; k++)
            rec += (file_mat[il][k] + 63) / 64 * 64;
        const uint8_t *base = gr[il].t[0]->data;
        for (int k = 0, off = 0; k < 3; k++) {
            interleaved &= gr[il].t[k]->mat_stride == rec &&
                           (const uint8_t *)gr[il].t[k]->data == base + off &&
                           (uintptr_t)gr[il].t[k]->data % 64 == 0;
            off += (int)((file_mat[il][k] + 63) / 64 * 64);
        }
    }
    CHECK(same, "every matrix of every tensor holds the file's bytes");
    CHECK(interleaved,
          "each layer's experts interleaved: gate, up and down of one expert adjacent, at 64-byte "
          "boundaries, with one expert's three matrices from one to the next");
    CHECK(q->mat_stride == q->nbytes && gr[3].t[1]->mat_stride == gr[3].t[1]->nbytes,
          "the groups with a 2-D tensor or a tensor already grouped left as they are");
    llmbo_gguf_close(g);
}

/* Half-precision conversions against exactly representable values. */
static void test_half(void)
{
    const float vals[] = {0.0f, 1.0f, -2.385f, 65504.0f, 6.103515625e-05f, 5.9604644775390625e-08f};
    int ok = 1;
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        float back = llmbo_fp16_to_f32(llmbo_f32_to_fp16(vals[i]));
        if (fabsf(back - vals[i]) > fabsf(vals[i]) * 1e-3f)
            ok = 0;
    }
    CHECK(ok, "fp16 round trips (normal, max, min normal, subnormal)");
    CHECK(llmbo_fp16_to_f32(0x3c00) == 1.0f && llmbo_fp16_to_f32(0xc000) == -2.0f &&
              llmbo_fp16_to_f32(0x0001) == 5.9604644775390625e-08f,
          "fp16 bit patterns decode");
    CHECK(llmbo_bf16_to_f32(0x3f80) == 1.0f && llmbo_bf16_to_f32(0xc0a0) == -5.0f,
          "bf16 bit patterns decode");
}

/* The SIMD and scalar kernels agree (Q8_0, Q4_0, F32 have both). */
static void test_simd_scalar(void)
{
    enum { N = 256 };
    float w[N], x[N];
    for (int i = 0; i < N; i++) {
        w[i] = (float)((rnd() % 2001) / 1000.0 - 1.0);
        x[i] = (float)((rnd() % 2001) / 500.0 - 2.0);
    }
    uint8_t q8[N / 32 * 34], q4[N / 32 * 18];
    for (int b = 0; b < N / 32; b++) { /* hand-built blocks: d = 1/64, q = w * 64 */
        uint16_t d = llmbo_f32_to_fp16(1.0f / 64);
        memcpy(q8 + b * 34, &d, 2);
        memcpy(q4 + b * 18, &d, 2);
        for (int i = 0; i < 32; i++)
            q8[b * 34 + 2 + i] = (uint8_t)(int8_t)(int)(w[b * 32 + i] * 64);
        for (int i = 0; i < 16; i++)
            q4[b * 18 + 2 + i] = (uint8_t)((rnd() % 16) | ((rnd() % 16) << 4));
    }
    llmbo_q8a xq[N / 32];
    llmbo_quant_act(x, xq, N);
    float r[3][2];
    for (int s = 0; s < 2; s++) {
        llmbo_quant_set_simd(s);
        r[0][s] = llmbo_vec_dot(LLMBO_T_Q8_0, q8, NULL, xq, N);
        r[1][s] = llmbo_vec_dot(LLMBO_T_Q4_0, q4, NULL, xq, N);
        r[2][s] = llmbo_vec_dot(LLMBO_T_F32, w, x, NULL, N);
    }
    llmbo_quant_set_simd(99);
    printf("SIMD kernels available: %d\n", llmbo_quant_simd());
    /* Four activation rows at once give exactly the single-row numbers. */
    llmbo_q8a x4[4 * (N / 32)];
    for (int k = 0; k < 4; k++) {
        float xs[N];
        for (int i = 0; i < N; i++)
            xs[i] = x[(i + 37 * k) % N] * (float)(k + 1);
        llmbo_quant_act(xs, x4 + k * (N / 32), N);
    }
    float o4[4];
    llmbo_vec_dot4(LLMBO_T_Q8_0, q8, x4, N, N, o4);
    int same = 1;
    for (int k = 0; k < 4; k++)
        same &= o4[k] == llmbo_vec_dot(LLMBO_T_Q8_0, q8, NULL, x4 + k * (N / 32), N);
    CHECK(same, "four-row Q8_0 kernel equals four single-row dots exactly");
    for (int k = 0; k < 3; k++)
        CHECK_NEAR(r[k][1], r[k][0], 1e-5, 1e-4);
    /* And the dot of dequantised Q8_0 with dequantised activations is the same number. */
    float wd[N], xd[N];
    llmbo_dequant_row(LLMBO_T_Q8_0, q8, wd, N);
    for (int b = 0; b < N / 32; b++)
        for (int i = 0; i < 32; i++)
            xd[b * 32 + i] = xq[b].d * xq[b].q[i];
    double ref = 0;
    for (int i = 0; i < N; i++)
        ref += (double)wd[i] * xd[i];
    CHECK_NEAR(r[0][0], ref, 1e-5, 1e-5);
}

/* Opens path with the engine; checks the status and that the message contains needle. */
static void engine_refuses(const char *path, llmbo_status want, const char *needle,
                           const char *what)
{
    llmbo_engine *e = NULL;
    llmbo_error err = {0};
    llmbo_status st = path ? llmbo_engine_open(path, NULL, &e, &err) : LLMBO_ERR_IO;
    CHECK(st == want && strstr(err.msg, needle) != NULL, "%s: refused (%d) with '%s'", what,
          (int)st, err.msg);
    llmbo_engine_free(e);
}

/* Header values crafted to overflow or to allocate before checking (issue 12, F1, F4, F13). */
static void test_hostile_headers(void)
{
    const char *tiny = "--embd 64 --heads 2 --kv-heads 2 --head-dim 32 --ff 64 --layers 1 "
                       "--merges 20 --set qwen3.attention.key_length=u32:32";
    char extra[512];
    /* F1: head_count 2^28 + 2 with head size 32: n_head * head_dim = 2^33 + 64, which wrapped in
     * int to the real width 64 and passed every shape check. */
    snprintf(extra, sizeof extra, "%s --set qwen3.attention.head_count=u32:%u", tiny,
             (1u << 28) + 2);
    engine_refuses(eu_model("qwen3", "f32", extra), LLMBO_ERR_FORMAT,
                   "qwen3.attention.head_count x head size = 8589934656 exceeds",
                   "head_count 2^28+2");
    /* The same wrap through the KV heads (head_count_kv = head_count keeps n_head % n_kv = 0). */
    snprintf(
        extra, sizeof extra,
        "%s --set qwen3.attention.head_count=u32:%u --set qwen3.attention.head_count_kv=u32:%u",
        tiny, (1u << 28) + 2, (1u << 28) + 2);
    engine_refuses(eu_model("qwen3", "f32", extra), LLMBO_ERR_FORMAT, "exceeds",
                   "head_count_kv 2^28+2");
    /* A head size near 2^30 (key_length) with two heads. */
    snprintf(extra, sizeof extra,
             "%s --set qwen3.attention.key_length=u32:%u --set "
             "qwen3.attention.value_length=u32:%u",
             tiny, 1u << 30, 1u << 30);
    engine_refuses(eu_model("qwen3", "f32", extra), LLMBO_ERR_FORMAT, "exceeds", "key_length 2^30");
    /* F13: a huge block_count is refused before the layer table is allocated. */
    snprintf(extra, sizeof extra, "%s --set qwen3.block_count=u32:50000000", tiny);
    engine_refuses(eu_model("qwen3", "f32", extra), LLMBO_ERR_FORMAT,
                   "qwen3.block_count = 50000000 exceeds the file's", "block_count 5e7");
    snprintf(extra, sizeof extra, "%s --set qwen3.block_count=u32:3 --extra-tensors 40", tiny);
    engine_refuses(eu_model("qwen3", "f32", extra), LLMBO_ERR_FORMAT,
                   "block_count = 3 but tensor 'blk.2.attn_output.weight' is missing",
                   "block_count beyond the layers present");
    /* F4: 20,000 one-element tensors open (the pairwise duplicate check took 12 s; sorted, it
     * is O(n log n)); every one is found by name, and a duplicate at the end is still caught. */
    snprintf(extra, sizeof extra, "%s --extra-tensors 20000", tiny);
    const char *many = eu_model("qwen3", "f32", extra);
    llmbo_gguf *g = NULL;
    llmbo_error err = {0};
    CHECK(many && llmbo_gguf_open(many, &g, &err) == LLMBO_OK, "20,000 extra tensors open: %s",
          err.msg);
    if (g) {
        int found = 0;
        char nm[32];
        for (int i = 0; i < 20000; i++) {
            snprintf(nm, sizeof nm, "extra.%d", i);
            const llmbo_gguf_tensor *t = llmbo_gguf_find_tensor(g, nm);
            found += t && t->ne[0] == 1 && *(const float *)t->data == 1.0f;
        }
        CHECK(found == 20000, "every extra tensor found by name (%d)", found);
        CHECK(llmbo_gguf_find_tensor(g, "extra.20000") == NULL &&
                  llmbo_gguf_find_tensor(g, "extra.") == NULL &&
                  llmbo_gguf_find_tensor(g, "") == NULL,
              "absent names are not found");
        llmbo_gguf_close(g);
    }
    engine_refuses(many, LLMBO_OK, "", "the engine opens the 20,000-tensor model");
    snprintf(extra, sizeof extra, "%s --extra-tensors 20000 --duplicate-last", tiny);
    const char *dup = eu_model("qwen3", "f32", extra);
    g = NULL;
    CHECK(dup && llmbo_gguf_open(dup, &g, &err) == LLMBO_ERR_FORMAT &&
              strstr(err.msg, "duplicate tensor name 'extra.0' at byte") != NULL,
          "duplicate among 20,000: %s", err.msg);
    llmbo_gguf_close(g);
}

/* Header values of the architectures with extra hyperparameters (granitemoe's multipliers). */
static void test_hostile_arch(void)
{
    const char *g = "--embd 64 --heads 2 --kv-heads 2 --ff 64 --experts 4 --used 2 --layers 1 "
                    "--merges 20";
    char extra[512];
    snprintf(extra, sizeof extra, "%s --unset granitemoe.logit_scale", g);
    engine_refuses(eu_model("granitemoe", "f32", extra), LLMBO_ERR_FORMAT,
                   "metadata 'granitemoe.logit_scale' missing", "granitemoe without logit_scale");
    snprintf(extra, sizeof extra, "%s --set granitemoe.logit_scale=f32:0", g);
    engine_refuses(eu_model("granitemoe", "f32", extra), LLMBO_ERR_FORMAT,
                   "'granitemoe.logit_scale' = 0 is out of range", "logit_scale 0");
    snprintf(extra, sizeof extra, "%s --set granitemoe.embedding_scale=f32:nan", g);
    engine_refuses(eu_model("granitemoe", "f32", extra), LLMBO_ERR_FORMAT,
                   "'granitemoe.embedding_scale' = nan is out of range", "embedding_scale NaN");
    snprintf(extra, sizeof extra, "%s --set granitemoe.residual_scale=f32:1e30", g);
    engine_refuses(eu_model("granitemoe", "f32", extra), LLMBO_ERR_FORMAT,
                   "'granitemoe.residual_scale' = 1e+30 is out of range", "residual_scale 1e30");
    snprintf(extra, sizeof extra, "%s --set granitemoe.attention.scale=str:x", g);
    engine_refuses(eu_model("granitemoe", "f32", extra), LLMBO_ERR_FORMAT, "attention.scale",
                   "attention.scale of the wrong type");
    snprintf(extra, sizeof extra, "%s --set granitemoe.rope.scaling.finetuned=bool:0", g);
    engine_refuses(eu_model("granitemoe", "f32", extra), LLMBO_ERR_UNSUPPORTED,
                   "attention without RoPE", "granite without RoPE");

    /* deepseek2: every MLA, MoE and RoPE-scaling key bounded and checked against the shapes */
    static const struct {
        const char *set, *needle, *what;
        llmbo_status want;
    } ds[] = {
        {"--unset deepseek2.attention.key_length_mla", "split attn_kv_b",
         "a file from before the k_b/v_b split", LLMBO_ERR_UNSUPPORTED},
        {"--set deepseek2.attention.head_count_kv=u32:2", "head_count_kv 2 (must be 1)",
         "MLA with two latent heads", LLMBO_ERR_FORMAT},
        {"--set deepseek2.attention.key_length=u32:100", "key_length 100 (must be kv_lora_rank",
         "key_length not latent + rotary", LLMBO_ERR_FORMAT},
        {"--set deepseek2.rope.dimension_count=u32:31", "rope.dimension_count 31 (even",
         "odd rotary dims", LLMBO_ERR_FORMAT},
        {"--set deepseek2.attention.key_length_mla=u32:32", "key_length_mla 32 (> rotary dims)",
         "no non-rotary part", LLMBO_ERR_FORMAT},
        {"--set deepseek2.attention.kv_lora_rank=u32:536870912 "
         "--set deepseek2.attention.key_length=u32:536870944 "
         "--set deepseek2.attention.value_length=u32:536870912",
         "head_count x kv_lora_rank = 2147483648 exceeds", "kv_lora_rank 2^29", LLMBO_ERR_FORMAT},
        {"--set deepseek2.attention.value_length_mla=u32:16",
         "'blk.0.attn_output.weight' has shape", "value_length_mla against attn_output",
         LLMBO_ERR_FORMAT},
        {"--set deepseek2.attention.q_lora_rank=u32:48", "tensor 'blk.0.attn_q_a.weight' missing",
         "q_lora_rank without its tensors", LLMBO_ERR_FORMAT},
        {"--set deepseek2.leading_dense_block_count=u32:1000", "leading_dense_block_count 1000",
         "more dense layers than layers", LLMBO_ERR_FORMAT},
        {"--set deepseek2.expert_gating_func=u32:4", "expert_gating_func 4 not supported",
         "sqrt-softplus gating", LLMBO_ERR_UNSUPPORTED},
        {"--set deepseek2.expert_group_count=u32:3 --set deepseek2.expert_group_used_count=u32:1",
         "inconsistent expert groups: 8 experts in 3 groups", "8 experts in 3 groups",
         LLMBO_ERR_FORMAT},
        {"--set deepseek2.expert_group_count=u32:4 --set deepseek2.expert_group_used_count=u32:9",
         "4 groups, 9 groups used", "more groups used than groups", LLMBO_ERR_FORMAT},
        {"--set deepseek2.expert_weights_scale=f32:nan", "expert_weights_scale' = nan",
         "NaN expert scale", LLMBO_ERR_FORMAT},
        {"--set deepseek2.expert_shared_count=u32:1048576", "shared experts of width",
         "a million shared experts", LLMBO_ERR_FORMAT},
        {"--set deepseek2.expert_shared_count=u32:3", "'blk.1.ffn_gate_shexp.weight' has shape",
         "shared count against the tensor", LLMBO_ERR_FORMAT},
        {"--set deepseek2.rope.scaling.type=str:longrope", "= 'longrope' not supported", "longrope",
         LLMBO_ERR_UNSUPPORTED},
        {"--yarn 40 --set deepseek2.rope.scaling.factor=f32:0.5", "factor 0.5 (must be >= 1)",
         "YaRN factor below 1", LLMBO_ERR_FORMAT},
        {"--yarn 40 --set deepseek2.rope.scaling.factor=f32:1e9", "factor' = 1e+09 is out of range",
         "YaRN factor 1e9", LLMBO_ERR_FORMAT},
        {"--yarn 40 --set deepseek2.rope.scaling.original_context_length=u32:0",
         "original_context_length 0 invalid", "original context 0", LLMBO_ERR_FORMAT},
        {"--yarn 40 --set deepseek2.rope.scaling.yarn_log_multiplier=f32:-1",
         "yarn_log_multiplier' = -1 is out of range", "negative mscale_all_dim", LLMBO_ERR_FORMAT},
    };
    for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++) {
        snprintf(extra, sizeof extra, "--layers 2 --merges 20 %s", ds[i].set);
        engine_refuses(eu_model("deepseek2", "f32", extra), ds[i].want, ds[i].needle, ds[i].what);
    }
    engine_refuses(eu_model("deepseek2", "f32", "--layers 2 --merges 20 --yarn 40"), LLMBO_OK, "",
                   "the unmodified deepseek2 file opens");
    /* A bias no architecture applies is refused, not ignored (Granite files could carry one). */
    engine_refuses(eu_model("granite", "f32", "--layers 2 --merges 20"), LLMBO_OK, "",
                   "the unmodified granite file opens");
    engine_refuses(
        eu_model("granite", "f32", "--layers 2 --merges 20 --bias-tensor blk.1.attn_output.bias"),
        LLMBO_ERR_UNSUPPORTED, "'blk.1.attn_output.bias': granite files with this tensor",
        "an attention output bias");
    engine_refuses(
        eu_model("llama", "f32", "--layers 2 --merges 20 --bias-tensor blk.0.ffn_down.bias"),
        LLMBO_ERR_UNSUPPORTED, "'blk.0.ffn_down.bias': llama files with this tensor",
        "an FFN down bias");
    /* gpt-oss's sinks and router bias in a file of a row that has neither: refused */
    engine_refuses(
        eu_model("qwen3moe", "f32", "--layers 2 --merges 20 --bias-tensor blk.1.ffn_gate_inp.bias"),
        LLMBO_ERR_UNSUPPORTED, "'blk.1.ffn_gate_inp.bias': qwen3moe files with this tensor",
        "a router bias outside gpt-oss");
    engine_refuses(
        eu_model("llama", "f32", "--layers 2 --merges 20 --bias-tensor blk.0.attn_sinks.weight"),
        LLMBO_ERR_UNSUPPORTED, "'blk.0.attn_sinks.weight': llama files with this tensor",
        "attention sinks outside gpt-oss");
    /* gpt-oss: the sliding window is required (as llama.cpp), named when missing */
    engine_refuses(eu_model("gpt-oss", "f32", "--layers 2 --merges 20 --swa 4"), LLMBO_OK, "",
                   "the unmodified gpt-oss file opens");
    engine_refuses(eu_model("gpt-oss", "f32", "--layers 2 --merges 20"), LLMBO_ERR_NOT_FOUND,
                   "key 'gpt-oss.attention.sliding_window' missing", "gpt-oss without its window");
    engine_refuses(eu_model("gpt-oss", "f32",
                            "--layers 2 --merges 20 --swa 4 --set gpt-oss.expert_used_count=u32:9"),
                   LLMBO_ERR_FORMAT, "9 used", "gpt-oss with more experts used than there are");
    /* ERNIE 4.5 MoE: the MoE layer step within 1..block_count, dense layers need their width */
    engine_refuses(eu_model("ernie4_5-moe", "f32", "--layers 3 --merges 20 --moe-step 2"), LLMBO_OK,
                   "", "the unmodified ernie4_5-moe file opens");
    engine_refuses(
        eu_model("ernie4_5-moe", "f32",
                 "--layers 3 --merges 20 --set ernie4_5-moe.interleave_moe_layer_step=u32:0"),
        LLMBO_ERR_FORMAT, "interleave_moe_layer_step 0 is outside 1..block_count (3)",
        "an MoE layer step of 0");
    engine_refuses(eu_model("ernie4_5-moe", "f32",
                            "--layers 3 --merges 20 --moe-step 2 --dense-lead 0 --set "
                            "ernie4_5-moe.feed_forward_length=u32:0"),
                   LLMBO_ERR_FORMAT, "dense layers between its MoE layers",
                   "interleaved dense layers of width 0");
    engine_refuses(
        eu_model("qwen2", "f32", "--layers 2 --merges 20 --set qwen2.context_length=u32:0"),
        LLMBO_ERR_FORMAT, "'qwen2.context_length' = 0: a model's context holds",
        "a context of 0 tokens, named as such");
}

int main(void)
{
    test_valid();
    test_corruptions();
    buf b;
    layout L;
    build(&b, &L);
    sweep_truncations(b.d, b.n, "hand-built file");
    test_model_file();
    test_hostile_headers();
    test_hostile_arch();
    test_half();
    test_simd_scalar();
    test_copy_data();
    test_copy_grouped();
    test_copy_default();
    eu_cleanup();
    return check_summary();
}
