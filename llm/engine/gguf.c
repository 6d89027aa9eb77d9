/* gguf.c: GGUF parsing with every read bounds-checked against the mapping. The parser walks the
 * header, the metadata KV pairs (recording scalar values and the extent of arrays) and the tensor
 * infos, then checks each tensor's data range against the file. All arithmetic on file-supplied
 * numbers is done in forms that cannot overflow (compare n against size - off, never off + n). */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MADV_HUGEPAGE: llmbo_gguf_copy_data */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "gguf.h"
#include "names.h"
#include "llmbo_common.h"

/* ----------------------------------------------------------------------------------------------
 * Type tables
 * -------------------------------------------------------------------------------------------- */

const char *llmbo_gguf_vtype_name(llmbo_gguf_vtype t)
{
    static const char *const names[] = {"uint8",  "int8",  "uint16", "int16",  "uint32",
                                        "int32",  "f32",   "bool",   "string", "array",
                                        "uint64", "int64", "f64"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

/* Name, elements per block and bytes per block of each tensor type (ggml's block layouts); the
 * name first, so that names.h lists the column. */
static const struct {
    const char *name;
    llmbo_ttype t;
    size_t block, bytes;
} ttypes[] = {
    {"F32", LLMBO_T_F32, 1, 4},
    {"F16", LLMBO_T_F16, 1, 2},
    {"BF16", LLMBO_T_BF16, 1, 2},
    {"Q4_0", LLMBO_T_Q4_0, 32, 2 + 16},            /* fp16 d; 32 x 4-bit */
    {"Q4_1", LLMBO_T_Q4_1, 32, 2 + 2 + 16},        /* fp16 d, m; 32 x 4-bit */
    {"Q5_0", LLMBO_T_Q5_0, 32, 2 + 4 + 16},        /* fp16 d; 32 high bits; 32 x 4-bit */
    {"Q5_1", LLMBO_T_Q5_1, 32, 2 + 2 + 4 + 16},    /* fp16 d, m; 32 high bits; 32 x 4-bit */
    {"Q8_0", LLMBO_T_Q8_0, 32, 2 + 32},            /* fp16 d; 32 x int8 */
    {"Q2_K", LLMBO_T_Q2_K, 256, 16 + 64 + 2 + 2},  /* 4-bit scales/mins; 256 x 2-bit; d, dmin */
    {"Q3_K", LLMBO_T_Q3_K, 256, 32 + 64 + 12 + 2}, /* high bits; 2-bit; 6-bit scales; d */
    {"Q4_K", LLMBO_T_Q4_K, 256, 2 + 2 + 12 + 128}, /* d, dmin; 6-bit scales/mins; 4-bit */
    {"Q5_K", LLMBO_T_Q5_K, 256, 2 + 2 + 12 + 32 + 128}, /* as Q4_K plus 256 high bits */
    {"Q6_K", LLMBO_T_Q6_K, 256, 128 + 64 + 16 + 2}, /* low 4 bits, high 2 bits, int8 scales, d */
    {"IQ1_S", LLMBO_T_IQ1_S, 256, 2 + 32 + 16},     /* d; indices; high bits, shifts, scales */
    {"IQ1_M", LLMBO_T_IQ1_M, 256, 32 + 16 + 8},     /* indices; high bits, shifts; scales, d */
    {"IQ2_XXS", LLMBO_T_IQ2_XXS, 256, 2 + 64},      /* d; indices, signs and 4-bit scales */
    {"IQ2_XS", LLMBO_T_IQ2_XS, 256, 2 + 64 + 8},    /* d; 9-bit indices + 7 sign bits; scales */
    {"IQ2_S", LLMBO_T_IQ2_S, 256, 2 + 64 + 8 + 8},  /* d; low index bits, signs; high; scales */
    {"IQ3_XXS", LLMBO_T_IQ3_XXS, 256, 2 + 96},      /* d; indices; signs and 4-bit scales */
    {"IQ3_S", LLMBO_T_IQ3_S, 256, 2 + 64 + 8 + 32 + 4}, /* d; low, high index bits; signs; scales */
    {"IQ4_NL", LLMBO_T_IQ4_NL, 32, 2 + 16},             /* fp16 d; 32 x 4-bit codebook indices */
    {"IQ4_XS", LLMBO_T_IQ4_XS, 256, 2 + 2 + 4 + 128},   /* d; 6-bit scales; codebook indices */
    {"MXFP4", LLMBO_T_MXFP4, 32, 1 + 16},               /* E8M0 scale; 32 x 4-bit E2M1 codes */
};

const char *llmbo_ttype_list(char *buf, size_t size)
{
    static const llmbo_names names = LLMBO_NAMES_OF(ttypes);
    return llmbo_names_list(&names, buf, size);
}

const char *llmbo_ttype_name(llmbo_ttype t)
{
    for (size_t i = 0; i < sizeof ttypes / sizeof ttypes[0]; i++)
        if (ttypes[i].t == t)
            return ttypes[i].name;
    return "?";
}

size_t llmbo_ttype_block(llmbo_ttype t)
{
    for (size_t i = 0; i < sizeof ttypes / sizeof ttypes[0]; i++)
        if (ttypes[i].t == t)
            return ttypes[i].block;
    return 0;
}

size_t llmbo_ttype_block_bytes(llmbo_ttype t)
{
    for (size_t i = 0; i < sizeof ttypes / sizeof ttypes[0]; i++)
        if (ttypes[i].t == t)
            return ttypes[i].bytes;
    return 0;
}

static size_t vtype_size(uint32_t t)
{
    switch (t) {
    case LLMBO_GGUF_UINT8:
    case LLMBO_GGUF_INT8:
    case LLMBO_GGUF_BOOL:
        return 1;
    case LLMBO_GGUF_UINT16:
    case LLMBO_GGUF_INT16:
        return 2;
    case LLMBO_GGUF_UINT32:
    case LLMBO_GGUF_INT32:
    case LLMBO_GGUF_FLOAT32:
        return 4;
    case LLMBO_GGUF_UINT64:
    case LLMBO_GGUF_INT64:
    case LLMBO_GGUF_FLOAT64:
        return 8;
    default:
        return 0;
    }
}

/* ----------------------------------------------------------------------------------------------
 * Bounds-checked cursor
 * -------------------------------------------------------------------------------------------- */

typedef struct cursor {
    const uint8_t *base;
    size_t size;
    uint64_t off;
    llmbo_error *err;
} cursor;

static llmbo_status need(cursor *c, uint64_t n, const char *what)
{
    if (c->off > c->size || n > c->size - c->off)
        return llmbo_error_set(c->err, LLMBO_ERR_FORMAT,
                               "truncated file: %s needs %llu bytes at byte offset %llu, file has "
                               "%zu bytes",
                               what, (unsigned long long)n, (unsigned long long)c->off, c->size);
    return LLMBO_OK;
}

static llmbo_status rd(cursor *c, void *dst, size_t n, const char *what)
{
    llmbo_status st = need(c, n, what);
    if (st)
        return st;
    memcpy(dst, c->base + c->off, n);
    c->off += n;
    return LLMBO_OK;
}

static llmbo_status rd_u32(cursor *c, uint32_t *v, const char *what)
{
    return rd(c, v, 4, what);
}

static llmbo_status rd_u64(cursor *c, uint64_t *v, const char *what)
{
    return rd(c, v, 8, what);
}

static llmbo_status rd_str(cursor *c, llmbo_gguf_str *s, const char *what)
{
    uint64_t n;
    llmbo_status st = rd_u64(c, &n, what);
    if (st)
        return st;
    if ((st = need(c, n, what)))
        return st;
    s->p = (const char *)c->base + c->off;
    s->n = n;
    c->off += n;
    return LLMBO_OK;
}

/* Reads a scalar of type t into kv (u, i, f). */
static llmbo_status rd_scalar(cursor *c, uint32_t t, llmbo_gguf_kv *kv)
{
    uint8_t b[8] = {0};
    size_t n = vtype_size(t);
    llmbo_status st = rd(c, b, n, "metadata value");
    if (st)
        return st;
    switch (t) {
    case LLMBO_GGUF_UINT8:
    case LLMBO_GGUF_BOOL:
        kv->u = b[0];
        kv->i = b[0];
        break;
    case LLMBO_GGUF_INT8:
        kv->i = (int8_t)b[0];
        break;
    case LLMBO_GGUF_UINT16: {
        uint16_t v;
        memcpy(&v, b, 2);
        kv->u = v;
        kv->i = v;
        break;
    }
    case LLMBO_GGUF_INT16: {
        int16_t v;
        memcpy(&v, b, 2);
        kv->i = v;
        break;
    }
    case LLMBO_GGUF_UINT32: {
        uint32_t v;
        memcpy(&v, b, 4);
        kv->u = v;
        kv->i = v;
        break;
    }
    case LLMBO_GGUF_INT32: {
        int32_t v;
        memcpy(&v, b, 4);
        kv->i = v;
        break;
    }
    case LLMBO_GGUF_FLOAT32: {
        float v;
        memcpy(&v, b, 4);
        kv->f = v;
        break;
    }
    case LLMBO_GGUF_UINT64:
        memcpy(&kv->u, b, 8);
        kv->i = kv->u > INT64_MAX ? INT64_MAX : (int64_t)kv->u;
        break;
    case LLMBO_GGUF_INT64:
        memcpy(&kv->i, b, 8);
        break;
    case LLMBO_GGUF_FLOAT64:
        memcpy(&kv->f, b, 8);
        break;
    }
    if (t == LLMBO_GGUF_INT8 || t == LLMBO_GGUF_INT16 || t == LLMBO_GGUF_INT32 ||
        t == LLMBO_GGUF_INT64)
        kv->u = kv->i < 0 ? 0 : (uint64_t)kv->i;
    if (t != LLMBO_GGUF_FLOAT32 && t != LLMBO_GGUF_FLOAT64)
        kv->f = (double)kv->i;
    return LLMBO_OK;
}

static int is_int_type(llmbo_gguf_vtype t)
{
    return t <= LLMBO_GGUF_INT32 || t == LLMBO_GGUF_BOOL || t == LLMBO_GGUF_UINT64 ||
           t == LLMBO_GGUF_INT64;
}

/* ----------------------------------------------------------------------------------------------
 * Tensor name index: indices sorted by name, so duplicates are neighbours (an O(n log n) check;
 * a pairwise check took 12 s for 20,000 tensors) and lookups are binary searches.
 * -------------------------------------------------------------------------------------------- */

static int str_cmp(llmbo_gguf_str a, llmbo_gguf_str b)
{
    int c = memcmp(a.p, b.p, a.n < b.n ? a.n : b.n);
    return c ? c : (a.n > b.n) - (a.n < b.n);
}

typedef struct name_ent {
    llmbo_gguf_str name;
    uint64_t idx;
} name_ent;

static int name_ent_cmp(const void *x, const void *y)
{
    const name_ent *a = x, *b = y;
    int c = str_cmp(a->name, b->name);
    return c ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

static llmbo_status index_names(llmbo_gguf *g, llmbo_error *err)
{
    size_t n = g->n_tensors ? g->n_tensors : 1;
    name_ent *ent = llmbo_malloc(n, sizeof *ent);
    g->by_name = llmbo_malloc(n, sizeof *g->by_name);
    if (!ent || !g->by_name) {
        llmbo_free(ent);
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory for the tensor index");
    }
    for (uint64_t k = 0; k < g->n_tensors; k++)
        ent[k] = (name_ent){g->tensor[k].name, k};
    qsort(ent, g->n_tensors, sizeof *ent, name_ent_cmp);
    for (uint64_t k = 0; k < g->n_tensors; k++) {
        g->by_name[k] = ent[k].idx;
        if (k && str_cmp(ent[k - 1].name, ent[k].name) == 0) {
            const llmbo_gguf_tensor *t = &g->tensor[ent[k].idx];
            llmbo_free(ent);
            return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                                   "duplicate tensor name '%.*s' at byte %llu",
                                   (int)(t->name.n > 200 ? 200 : t->name.n), t->name.p,
                                   (unsigned long long)t->info_at);
        }
    }
    llmbo_free(ent);
    return LLMBO_OK;
}

/* ----------------------------------------------------------------------------------------------
 * Open
 * -------------------------------------------------------------------------------------------- */

static llmbo_status parse(llmbo_gguf *g, llmbo_error *err)
{
    cursor c = {g->base, g->size, 0, err};
    llmbo_status st;
    uint32_t magic;
    if ((st = rd_u32(&c, &magic, "magic")))
        return st;
    if (memcmp(&magic, "GGUF", 4) != 0)
        return llmbo_error_set(err, LLMBO_ERR_FORMAT, "not a GGUF file (bad magic at byte 0)");
    if ((st = rd_u32(&c, &g->version, "version")))
        return st;
    if (g->version != 2 && g->version != 3)
        return llmbo_error_set(err, LLMBO_ERR_UNSUPPORTED,
                               "GGUF version %u at byte 4 (supported: 2, 3)", g->version);
    if ((st = rd_u64(&c, &g->n_tensors, "tensor count")) ||
        (st = rd_u64(&c, &g->n_kv, "metadata count")))
        return st;
    /* Each KV takes at least 13 bytes and each tensor info at least 28: reject counts the file
     * cannot hold before allocating for them. */
    if (g->n_kv > (g->size - c.off) / 13 || g->n_tensors > (g->size - c.off) / 28)
        return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                               "counts at byte 8 (%llu tensors, %llu metadata pairs) exceed what "
                               "a %zu-byte file can hold",
                               (unsigned long long)g->n_tensors, (unsigned long long)g->n_kv,
                               g->size);
    g->kv = llmbo_calloc(g->n_kv ? g->n_kv : 1, sizeof *g->kv);
    g->tensor = llmbo_calloc(g->n_tensors ? g->n_tensors : 1, sizeof *g->tensor);
    if (!g->kv || !g->tensor)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory for the GGUF tables");

    g->alignment = 32;
    for (uint64_t k = 0; k < g->n_kv; k++) {
        llmbo_gguf_kv *kv = &g->kv[k];
        uint64_t at = c.off;
        uint32_t t;
        if ((st = rd_str(&c, &kv->key, "metadata key")) ||
            (st = rd_u32(&c, &t, "metadata value type")))
            return st;
        kv->type = (llmbo_gguf_vtype)t;
        if (t == LLMBO_GGUF_STRING) {
            if ((st = rd_str(&c, &kv->s, "metadata string")))
                return st;
        } else if (t == LLMBO_GGUF_ARRAY) {
            uint32_t et;
            if ((st = rd_u32(&c, &et, "array element type")) ||
                (st = rd_u64(&c, &kv->arr_n, "array length")))
                return st;
            kv->arr_type = (llmbo_gguf_vtype)et;
            kv->arr_off = c.off;
            if (et == LLMBO_GGUF_STRING) {
                for (uint64_t j = 0; j < kv->arr_n; j++) {
                    llmbo_gguf_str s;
                    if ((st = rd_str(&c, &s, "array string")))
                        return st;
                }
            } else {
                size_t es = vtype_size(et);
                if (!es)
                    return llmbo_error_set(err, LLMBO_ERR_UNSUPPORTED,
                                           "metadata '%.*s' at byte %llu: array element type %u "
                                           "not supported",
                                           (int)(kv->key.n > 200 ? 200 : kv->key.n), kv->key.p,
                                           (unsigned long long)at, et);
                if (kv->arr_n > (g->size - c.off) / es)
                    return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                                           "truncated file: array of %llu elements at byte "
                                           "offset %llu runs past the end (%zu bytes)",
                                           (unsigned long long)kv->arr_n, (unsigned long long)c.off,
                                           g->size);
                c.off += kv->arr_n * es;
            }
        } else if (vtype_size(t)) {
            if ((st = rd_scalar(&c, t, kv)))
                return st;
        } else {
            return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                                   "metadata pair at byte %llu has unknown value type %u",
                                   (unsigned long long)at, t);
        }
        if (llmbo_gguf_str_eq(kv->key, "general.alignment")) {
            if (!is_int_type(kv->type) || kv->u == 0 || (kv->u & (kv->u - 1)) || kv->u > 65536)
                return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                                       "general.alignment at byte %llu is not a power of two "
                                       "integer <= 65536",
                                       (unsigned long long)at);
            g->alignment = kv->u;
        }
    }

    for (uint64_t k = 0; k < g->n_tensors; k++) {
        llmbo_gguf_tensor *t = &g->tensor[k];
        uint64_t at = c.off;
        uint32_t nd, type;
        if ((st = rd_str(&c, &t->name, "tensor name")) ||
            (st = rd_u32(&c, &nd, "tensor dimension count")))
            return st;
        if (nd < 1 || nd > LLMBO_GGUF_MAX_DIMS)
            return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                                   "tensor info at byte %llu has %u dimensions (1..4 allowed)",
                                   (unsigned long long)at, nd);
        t->n_dims = (int)nd;
        for (int d = 0; d < LLMBO_GGUF_MAX_DIMS; d++)
            t->ne[d] = 1;
        for (uint32_t d = 0; d < nd; d++)
            if ((st = rd_u64(&c, &t->ne[d], "tensor dimension")))
                return st;
        if ((st = rd_u32(&c, &type, "tensor type")) ||
            (st = rd_u64(&c, &t->offset, "tensor offset")))
            return st;
        t->type = (llmbo_ttype)type;
        size_t blk = llmbo_ttype_block(t->type);
        if (!blk) {
            char names[256];
            return llmbo_error_set(err, LLMBO_ERR_UNSUPPORTED,
                                   "tensor '%.*s' (info at byte %llu) has type %u, not supported "
                                   "(%s are)",
                                   (int)(t->name.n > 200 ? 200 : t->name.n), t->name.p,
                                   (unsigned long long)at, type,
                                   llmbo_ttype_list(names, sizeof names));
        }
        uint64_t nel = 1;
        for (int d = 0; d < LLMBO_GGUF_MAX_DIMS; d++) {
            if (t->ne[d] == 0 || t->ne[d] > ((uint64_t)1 << 40) || nel > UINT64_MAX / t->ne[d] ||
                nel * t->ne[d] > ((uint64_t)1 << 50))
                return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                                       "tensor '%.*s' (info at byte %llu) has invalid dimensions",
                                       (int)(t->name.n > 200 ? 200 : t->name.n), t->name.p,
                                       (unsigned long long)at);
            nel *= t->ne[d];
        }
        if (t->ne[0] % blk)
            return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                                   "tensor '%.*s' (info at byte %llu): row length %llu is not a "
                                   "multiple of the %s block size %zu",
                                   (int)(t->name.n > 200 ? 200 : t->name.n), t->name.p,
                                   (unsigned long long)at, (unsigned long long)t->ne[0],
                                   llmbo_ttype_name(t->type), blk);
        t->nbytes = nel / blk * llmbo_ttype_block_bytes(t->type);
        t->info_at = at;
    }
    if ((st = index_names(g, err)))
        return st;
    g->data_off = c.off + (g->alignment - c.off % g->alignment) % g->alignment;
    for (uint64_t k = 0; k < g->n_tensors; k++) {
        llmbo_gguf_tensor *t = &g->tensor[k];
        if (t->offset % g->alignment)
            return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                                   "tensor '%.*s': data offset %llu is not a multiple of the "
                                   "alignment %llu",
                                   (int)(t->name.n > 200 ? 200 : t->name.n), t->name.p,
                                   (unsigned long long)t->offset, (unsigned long long)g->alignment);
        if (g->data_off > g->size || t->offset > g->size - g->data_off ||
            t->nbytes > g->size - g->data_off - t->offset)
            return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                                   "truncated file: tensor '%.*s' data [%llu, %llu) runs past the "
                                   "end of the file (%zu bytes)",
                                   (int)(t->name.n > 200 ? 200 : t->name.n), t->name.p,
                                   (unsigned long long)(g->data_off + t->offset),
                                   (unsigned long long)(g->data_off + t->offset + t->nbytes),
                                   g->size);
        t->data = g->base + g->data_off + t->offset;
        t->mat_stride = t->nbytes / (t->ne[2] * t->ne[3]);
    }
    return LLMBO_OK;
}

llmbo_status llmbo_gguf_open_buffer(const void *buf, size_t size, llmbo_gguf **out,
                                    llmbo_error *err)
{
    *out = NULL;
    llmbo_gguf *g = llmbo_calloc(1, sizeof *g);
    if (!g)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    g->base = buf;
    g->size = size;
    g->fd = -1;
    llmbo_status st = parse(g, err);
    if (st) {
        llmbo_gguf_close(g);
        return st;
    }
    *out = g;
    return LLMBO_OK;
}

llmbo_status llmbo_gguf_open(const char *path, llmbo_gguf **out, llmbo_error *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return llmbo_error_set(err, LLMBO_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return llmbo_error_set(err, LLMBO_ERR_IO, "%s: not a regular file", path);
    }
    if (sb.st_size == 0) {
        close(fd);
        return llmbo_error_set(err, LLMBO_ERR_FORMAT, "%s: empty file (0 bytes)", path);
    }
    void *map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
        close(fd);
        return llmbo_error_set(err, LLMBO_ERR_IO, "%s: mmap failed: %s", path, strerror(errno));
    }
    llmbo_status st = llmbo_gguf_open_buffer(map, (size_t)sb.st_size, out, err);
    if (st) {
        munmap(map, (size_t)sb.st_size);
        close(fd);
        llmbo_error_prefix(err, "%s", path);
        return st;
    }
    (*out)->owns_map = 1;
    (*out)->fd = fd; /* kept for llmbo_gguf_copy_data */
    return LLMBO_OK;
}

void llmbo_gguf_close(llmbo_gguf *g)
{
    if (!g)
        return;
    if (g->owns_map)
        munmap((void *)g->base, g->size);
    if (g->copy)
        munmap(g->copy, g->copy_len);
    if (g->fd >= 0)
        close(g->fd);
    llmbo_free(g->kv);
    llmbo_free(g->tensor);
    llmbo_free(g->by_name);
    llmbo_free(g);
}

#define HUGE_PAGE ((size_t)2 << 20)

/* The first 2 MiB boundary at or after p: where the copy's data starts in its mapping. */
static uint8_t *huge_aligned(uint8_t *p)
{
    return (uint8_t *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
}

/* 1 unless the kernel's transparent huge pages are off ("[never]" selected, or no such file: not
 * Linux, or a kernel without them), where a copy would sit in 4 KiB anonymous pages, no faster
 * than the page cache's. */
static int thp_available(void)
{
    char buf[128] = {0};
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return strstr(buf, "[always]") != NULL || strstr(buf, "[madvise]") != NULL;
}

/* Memory the kernel can give without swapping: MemAvailable (free pages and the page cache it can
 * drop, this file's own pages among them), or the free pages where /proc/meminfo does not say. */
static size_t available_bytes(void)
{
    char line[256];
    unsigned long long kb = 0;
    FILE *f = fopen("/proc/meminfo", "r");
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    if (kb > 0 && kb < (unsigned long long)(SIZE_MAX / 1024))
        return (size_t)kb * 1024;
    long pages = sysconf(_SC_AVPHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    return pages > 0 && psz > 0 ? (size_t)pages * (size_t)psz : 0;
}

/* Reads n bytes of g's file at offset off into dst: 0, or -1 if the file ended or failed. */
static int read_at(const llmbo_gguf *g, uint8_t *dst, size_t n, uint64_t off)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(g->fd, dst + done, n - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        done += (size_t)r;
    }
    return 0;
}

#define GROUP_ALIGN   ((uint64_t)64)
#define GROUP_MIN_MAT ((uint64_t)4096)

static uint64_t align_up(uint64_t x, uint64_t a)
{
    return (x + a - 1) / a * a;
}

/* Whether group k is laid out (gguf.h's conditions), marking its tensors in grp[] (k) if so. */
static int group_take(const llmbo_gguf *g, const llmbo_gguf_group *gr, int k, int *grp)
{
    if (gr->n < 2 || gr->n > LLMBO_GGUF_GROUP_MAX)
        return 0;
    for (int j = 0; j < gr->n; j++) {
        const llmbo_gguf_tensor *t = gr->t[j];
        if (!t || t < g->tensor || t >= g->tensor + g->n_tensors || grp[t - g->tensor] >= 0 ||
            t->ne[2] != gr->t[0]->ne[2] || t->ne[2] < 2 || t->ne[3] != 1 ||
            t->mat_stride < GROUP_MIN_MAT)
            return 0;
        for (int i = 0; i < j; i++)
            if (gr->t[i] == t)
                return 0;
    }
    for (int j = 0; j < gr->n; j++)
        grp[gr->t[j] - g->tensor] = k;
    return 1;
}

/* A tensor's file offset and index, sorted by offset (then index). */
typedef struct tensor_at {
    uint64_t off, i;
} tensor_at;

static int by_offset(const void *a, const void *b)
{
    const tensor_at *x = a, *y = b;
    return x->off != y->off ? (x->off > y->off) - (x->off < y->off) : (x->i > y->i) - (x->i < y->i);
}

int llmbo_gguf_copy_data(llmbo_gguf *g, int mode)
{
    return llmbo_gguf_copy_grouped(g, mode, NULL, 0);
}

int llmbo_gguf_copy_grouped(llmbo_gguf *g, int mode, const llmbo_gguf_group *groups,
                            size_t n_groups)
{
    const char *env = getenv("LLMBO_HUGEPAGES");
    if (mode == 1 && env && env[0] == '2')
        mode = 2;
    if (mode == 0 || g->fd < 0 || g->copy || g->data_off >= g->size || (env && env[0] == '0'))
        return 0;
    size_t len = g->size - (size_t)g->data_off;
    /* the size first: most files opened (tests, fuzzing) are small, and need no file read */
    if (mode == 1 && (len < ((size_t)64 << 20) || !thp_available() || len > available_bytes() / 2))
        return 0;
    uint64_t n = g->n_tensors;
    int *grp = llmbo_malloc(n ? n : 1, sizeof *grp);
    uint64_t *at = llmbo_malloc(n ? n : 1, sizeof *at); /* each tensor's offset in the copy */
    uint64_t *rec = llmbo_calloc(n_groups ? n_groups : 1, sizeof *rec); /* group record bytes */
    tensor_at *ord = llmbo_malloc(n ? n : 1, sizeof *ord);
    if (!grp || !at || !rec || !ord) {
        llmbo_free(ord);
        llmbo_free(grp);
        llmbo_free(at);
        llmbo_free(rec);
        return 0;
    }
    for (uint64_t i = 0; i < n; i++)
        grp[i] = -1;
    for (size_t k = 0; k < n_groups && k < INT32_MAX; k++)
        group_take(g, &groups[k], (int)k, grp); /* if not, its tensors are copied as the others */
    for (uint64_t i = 0; i < n; i++)            /* file order */
        ord[i] = (tensor_at){g->tensor[i].offset, i};
    qsort(ord, (size_t)n, sizeof *ord, by_offset);
    /* the layout: each tensor at the file's alignment, in file order; a group where its first
     * tensor comes, as ne[2] records of its matrices, each matrix at a GROUP_ALIGN boundary
     * (sizes are bounded by the file's: at most 64 bytes more per matrix of 4 KiB or more) */
    uint64_t pos = 0, a = g->alignment > GROUP_ALIGN ? g->alignment : GROUP_ALIGN;
    for (uint64_t o = 0; o < n; o++) {
        uint64_t i = ord[o].i;
        int k = grp[i];
        if (k < 0) {
            pos = align_up(pos, g->alignment);
            at[i] = pos;
            pos += g->tensor[i].nbytes;
        } else if (!rec[k]) {
            pos = align_up(pos, a);
            const llmbo_gguf_group *gr = &groups[k];
            for (int j = 0; j < gr->n; j++) {
                at[gr->t[j] - g->tensor] = pos + rec[k];
                rec[k] += align_up(gr->t[j]->mat_stride, GROUP_ALIGN);
            }
            pos += rec[k] * gr->t[0]->ne[2];
        }
    }
    /* 2 MiB-aligned start: every huge page then holds whole 2 MiB of the section */
    size_t map_len = (size_t)align_up(pos, HUGE_PAGE) + HUGE_PAGE;
    uint8_t *m = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int ok = m != MAP_FAILED;
    uint8_t *dst = ok ? huge_aligned(m) : NULL;
#ifdef MADV_HUGEPAGE
    if (ok) /* advice: no page size promised */
        madvise(dst, map_len - (size_t)(dst - m), MADV_HUGEPAGE);
#endif
    for (uint64_t o = 0; ok && o < n; o++) {
        uint64_t i = ord[o].i;
        const llmbo_gguf_tensor *t = &g->tensor[i];
        int k = grp[i];
        if (k < 0) {
            ok = read_at(g, dst + at[i], (size_t)t->nbytes, g->data_off + t->offset) == 0;
            continue;
        }
        for (uint64_t mi = 0; ok && mi < t->ne[2]; mi++) /* the file ending early fails the copy */
            ok = read_at(g, dst + at[i] + mi * rec[k], (size_t)t->mat_stride,
                         g->data_off + t->offset + mi * t->mat_stride) == 0;
    }
    if (ok) {
        mprotect(dst, map_len - (size_t)(dst - m), PROT_READ);
        for (uint64_t i = 0; i < n; i++) {
            g->tensor[i].data = dst + at[i];
            if (grp[i] >= 0)
                g->tensor[i].mat_stride = rec[grp[i]];
        }
        g->copy = m;
        g->copy_len = map_len;
    } else if (m != MAP_FAILED) { /* the file shrank since it was mapped: keep the mapping */
        munmap(m, map_len);
    }
    llmbo_free(ord);
    llmbo_free(grp);
    llmbo_free(at);
    llmbo_free(rec);
    return ok;
}

int llmbo_gguf_copy_writable(llmbo_gguf *g, int on)
{
    if (!g->copy)
        return -1;
    uint8_t *dst = huge_aligned(g->copy);
    return mprotect(dst, g->copy_len - (size_t)(dst - g->copy),
                    on ? PROT_READ | PROT_WRITE : PROT_READ);
}

/* ----------------------------------------------------------------------------------------------
 * Lookups
 * -------------------------------------------------------------------------------------------- */

int llmbo_gguf_str_eq(llmbo_gguf_str a, const char *s)
{
    size_t n = strlen(s);
    return a.n == n && memcmp(a.p, s, n) == 0;
}

int llmbo_gguf_str_has(llmbo_gguf_str a, const char *s, int icase)
{
    size_t n = strlen(s);
    for (size_t i = 0; i + n <= a.n; i++) {
        size_t k = 0;
        while (k < n && (icase ? tolower((unsigned char)a.p[i + k]) == tolower((unsigned char)s[k])
                               : a.p[i + k] == s[k]))
            k++;
        if (k == n)
            return 1;
    }
    return 0;
}

const llmbo_gguf_kv *llmbo_gguf_find_kv(const llmbo_gguf *g, const char *key)
{
    for (uint64_t k = 0; k < g->n_kv; k++)
        if (llmbo_gguf_str_eq(g->kv[k].key, key))
            return &g->kv[k];
    return NULL;
}

const llmbo_gguf_tensor *llmbo_gguf_find_tensor(const llmbo_gguf *g, const char *name)
{
    llmbo_gguf_str key = {name, strlen(name)};
    uint64_t lo = 0, hi = g->n_tensors;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        const llmbo_gguf_tensor *t = &g->tensor[g->by_name[mid]];
        int c = str_cmp(t->name, key);
        if (c == 0)
            return t;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

llmbo_status llmbo_gguf_get_u64(const llmbo_gguf *g, const char *key, uint64_t *v, llmbo_error *err)
{
    const llmbo_gguf_kv *kv = llmbo_gguf_find_kv(g, key);
    if (!kv)
        return llmbo_error_set(err, LLMBO_ERR_NOT_FOUND, "metadata key '%s' missing", key);
    if (!is_int_type(kv->type) || kv->i < 0)
        return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                               "metadata key '%s' has type %s, expected a non-negative integer",
                               key, llmbo_gguf_vtype_name(kv->type));
    *v = kv->u;
    return LLMBO_OK;
}

llmbo_status llmbo_gguf_get_f64(const llmbo_gguf *g, const char *key, double *v, llmbo_error *err)
{
    const llmbo_gguf_kv *kv = llmbo_gguf_find_kv(g, key);
    if (!kv)
        return llmbo_error_set(err, LLMBO_ERR_NOT_FOUND, "metadata key '%s' missing", key);
    if (!is_int_type(kv->type) && kv->type != LLMBO_GGUF_FLOAT32 && kv->type != LLMBO_GGUF_FLOAT64)
        return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                               "metadata key '%s' has type %s, expected a number", key,
                               llmbo_gguf_vtype_name(kv->type));
    *v = kv->f;
    return LLMBO_OK;
}

llmbo_status llmbo_gguf_get_str(const llmbo_gguf *g, const char *key, llmbo_gguf_str *v,
                                llmbo_error *err)
{
    const llmbo_gguf_kv *kv = llmbo_gguf_find_kv(g, key);
    if (!kv)
        return llmbo_error_set(err, LLMBO_ERR_NOT_FOUND, "metadata key '%s' missing", key);
    if (kv->type != LLMBO_GGUF_STRING)
        return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                               "metadata key '%s' has type %s, expected a string", key,
                               llmbo_gguf_vtype_name(kv->type));
    *v = kv->s;
    return LLMBO_OK;
}

llmbo_gguf_str llmbo_gguf_arr_str(const llmbo_gguf *g, uint64_t *pos)
{
    /* Bounds were validated when the file was opened. */
    llmbo_gguf_str s;
    uint64_t n;
    memcpy(&n, g->base + *pos, 8);
    s.p = (const char *)g->base + *pos + 8;
    s.n = n;
    *pos += 8 + n;
    return s;
}

int64_t llmbo_gguf_arr_int(const llmbo_gguf *g, const llmbo_gguf_kv *kv, uint64_t i)
{
    llmbo_gguf_kv tmp = {0};
    cursor c = {g->base, g->size, kv->arr_off + i * vtype_size(kv->arr_type), NULL};
    if (i >= kv->arr_n || rd_scalar(&c, kv->arr_type, &tmp) != LLMBO_OK)
        return 0;
    return tmp.i;
}

double llmbo_gguf_arr_float(const llmbo_gguf *g, const llmbo_gguf_kv *kv, uint64_t i)
{
    llmbo_gguf_kv tmp = {0};
    cursor c = {g->base, g->size, kv->arr_off + i * vtype_size(kv->arr_type), NULL};
    if (i >= kv->arr_n || rd_scalar(&c, kv->arr_type, &tmp) != LLMBO_OK)
        return 0;
    return tmp.f;
}
