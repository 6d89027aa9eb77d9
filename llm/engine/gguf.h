/* gguf.h: a read-only, bounds-checked view of a GGUF (v2/v3) file. The file is mmap'ed; every
 * count, length, offset and tensor extent is checked against the mapping before use, so a
 * truncated or hostile file is an LLMBO_ERR_FORMAT naming the byte offset, never a read out of
 * bounds. Strings returned point into the mapping and are NOT NUL-terminated (see llmbo_gguf_str).
 * Reference: the GGUF specification in ggml's docs/gguf.md (header, KV pairs, tensor infos,
 * aligned data section). */
#ifndef LLMBO_GGUF_H
#define LLMBO_GGUF_H

#include <stddef.h>
#include <stdint.h>
#include "llmbo.h"

/* Metadata value types, as numbered by the format. */
typedef enum llmbo_gguf_vtype {
    LLMBO_GGUF_UINT8 = 0,
    LLMBO_GGUF_INT8 = 1,
    LLMBO_GGUF_UINT16 = 2,
    LLMBO_GGUF_INT16 = 3,
    LLMBO_GGUF_UINT32 = 4,
    LLMBO_GGUF_INT32 = 5,
    LLMBO_GGUF_FLOAT32 = 6,
    LLMBO_GGUF_BOOL = 7,
    LLMBO_GGUF_STRING = 8,
    LLMBO_GGUF_ARRAY = 9,
    LLMBO_GGUF_UINT64 = 10,
    LLMBO_GGUF_INT64 = 11,
    LLMBO_GGUF_FLOAT64 = 12
} llmbo_gguf_vtype;

/* Tensor element types this engine knows (ggml's numbering). */
typedef enum llmbo_ttype {
    LLMBO_T_F32 = 0,
    LLMBO_T_F16 = 1,
    LLMBO_T_Q4_0 = 2,
    LLMBO_T_Q4_1 = 3,
    LLMBO_T_Q5_0 = 6,
    LLMBO_T_Q5_1 = 7,
    LLMBO_T_Q8_0 = 8,
    LLMBO_T_Q2_K = 10,
    LLMBO_T_Q3_K = 11,
    LLMBO_T_Q4_K = 12,
    LLMBO_T_Q5_K = 13,
    LLMBO_T_Q6_K = 14,
    LLMBO_T_IQ2_XXS = 16,
    LLMBO_T_IQ2_XS = 17,
    LLMBO_T_IQ3_XXS = 18,
    LLMBO_T_IQ1_S = 19,
    LLMBO_T_IQ4_NL = 20,
    LLMBO_T_IQ3_S = 21,
    LLMBO_T_IQ2_S = 22,
    LLMBO_T_IQ4_XS = 23,
    LLMBO_T_IQ1_M = 29,
    LLMBO_T_BF16 = 30,
    LLMBO_T_MXFP4 = 39
} llmbo_ttype;

typedef struct llmbo_gguf_str {
    const char *p; /* into the mapping, not NUL-terminated */
    uint64_t n;
} llmbo_gguf_str;

typedef struct llmbo_gguf_kv {
    llmbo_gguf_str key;
    llmbo_gguf_vtype type;
    /* Scalars: the value, widened. */
    uint64_t u;
    int64_t i;
    double f;
    llmbo_gguf_str s; /* STRING */
    /* ARRAY: element type, count and the offset of the first element in the file. Arrays of
     * strings are walked with llmbo_gguf_arr_str (offsets were validated at open). */
    llmbo_gguf_vtype arr_type;
    uint64_t arr_n;
    uint64_t arr_off;
} llmbo_gguf_kv;

#define LLMBO_GGUF_MAX_DIMS 4

typedef struct llmbo_gguf_tensor {
    llmbo_gguf_str name;
    int n_dims;
    uint64_t ne[LLMBO_GGUF_MAX_DIMS]; /* ne[0] is the contiguous (row) dimension; unused = 1 */
    llmbo_ttype type;
    uint64_t offset; /* relative to the data section */
    uint64_t nbytes;
    const void *data;    /* into the mapping, or the copy (llmbo_gguf_copy_grouped) */
    uint64_t mat_stride; /* bytes from one matrix (ne[0] x ne[1]) of data to the next: the
                          * matrix's own size, more where the copy interleaves a group */
    uint64_t info_at;    /* byte offset of the tensor info (for messages) */
} llmbo_gguf_tensor;

typedef struct llmbo_gguf {
    const uint8_t *base; /* the mapping */
    size_t size;
    uint32_t version;
    uint64_t n_kv, n_tensors;
    llmbo_gguf_kv *kv;         /* (n_kv) */
    llmbo_gguf_tensor *tensor; /* (n_tensors) */
    uint64_t *by_name;         /* (n_tensors) tensor indices sorted by name (binary search) */
    uint64_t alignment;
    uint64_t data_off; /* start of the tensor data section */
    int owns_map;      /* 1: munmap on close; 0: caller-owned buffer */
    int fd;            /* the file (llmbo_gguf_open) or -1 */
    uint8_t *copy;     /* the data section in 2 MiB pages (llmbo_gguf_copy_data) or NULL */
    size_t copy_len;   /* bytes mapped at copy */
} llmbo_gguf;

/* Opens and validates path. On failure returns LLMBO_ERR_IO / LLMBO_ERR_FORMAT /
 * LLMBO_ERR_UNSUPPORTED / LLMBO_ERR_NOMEM with the byte offset in err. */
llmbo_status llmbo_gguf_open(const char *path, llmbo_gguf **out, llmbo_error *err);
/* The same over a caller-owned buffer that must outlive the handle (used by tests). */
llmbo_status llmbo_gguf_open_buffer(const void *buf, size_t size, llmbo_gguf **out,
                                    llmbo_error *err);
void llmbo_gguf_close(llmbo_gguf *g);
/* Reads the tensor data section of the file that g was opened from (llmbo_gguf_open) into
 * anonymous memory advised for transparent 2 MiB pages and points every tensor's data there,
 * instead of 4 KiB page-cache pages. The mapping's tensor pages are never touched, so resident
 * memory holds one copy of the weights (but all of them: a MoE model's unused experts too). On a
 * quiet machine, paired against the mapping in the same invocation, decode ran 1.06-1.51x faster
 * from the copy on Q4_K_M files and 0.96-1.26x on Q8_0 and IQ4_XS, for 0.5-2 s of
 * loading per GB (perf/results/engine_speed_quiet.md, "Paired decode"). The engine's use
 * (mode 1) copies a data section of 64 MiB up to half of the memory available (MemAvailable)
 * when the kernel offers transparent huge pages; the environment variable LLMBO_HUGEPAGES=0
 * turns every mode off and =2 makes mode 1 copy any size (tests). mode 2 always copies, mode 0
 * never. Returns 1 if the tensors now point into the copy, 0 if they still point into the
 * mapping (nothing copied, or a failure: the copy is only a speed-up and the mapping stays
 * valid). */
int llmbo_gguf_copy_data(llmbo_gguf *g, int mode);
/* Stacks of matrices (a MoE layer's gate, up and down experts) that a token reads matrix by
 * matrix, the same index in each: the copy lays them out interleaved, matrix m of every member
 * in turn, each at a 64-byte boundary, so one expert's weights are one run of memory. */
#define LLMBO_GGUF_GROUP_MAX 4
typedef struct llmbo_gguf_group {
    const llmbo_gguf_tensor *t[LLMBO_GGUF_GROUP_MAX]; /* tensors of the file, n of them */
    int n;
} llmbo_gguf_group;
/* llmbo_gguf_copy_data with groups: the other tensors keep the file's order. A group is laid out
 * only if it has 2 to LLMBO_GGUF_GROUP_MAX distinct tensors of g in no earlier group, with the
 * same matrix count ne[2] >= 2, ne[3] = 1 and matrices of at least 4 KiB; otherwise its tensors
 * are copied as the others. A member's data is then its matrix 0, and mat_stride the bytes from
 * one of its matrices to the next. */
int llmbo_gguf_copy_grouped(llmbo_gguf *g, int mode, const llmbo_gguf_group *groups,
                            size_t n_groups);
/* Makes the copy's tensor data writable (on 1; the engine rewrites some matrices in place) or
 * read-only again (on 0). Returns 0 on success, -1 when there is no copy or mprotect fails. */
int llmbo_gguf_copy_writable(llmbo_gguf *g, int on);

/* Lookups by name; NULL if absent. */
const llmbo_gguf_kv *llmbo_gguf_find_kv(const llmbo_gguf *g, const char *key);
const llmbo_gguf_tensor *llmbo_gguf_find_tensor(const llmbo_gguf *g, const char *name);
/* Typed getters: LLMBO_ERR_NOT_FOUND if absent, LLMBO_ERR_FORMAT if of the wrong type. Integer
 * getters accept any integer type whose value fits. */
llmbo_status llmbo_gguf_get_u64(const llmbo_gguf *g, const char *key, uint64_t *v,
                                llmbo_error *err);
llmbo_status llmbo_gguf_get_f64(const llmbo_gguf *g, const char *key, double *v, llmbo_error *err);
llmbo_status llmbo_gguf_get_str(const llmbo_gguf *g, const char *key, llmbo_gguf_str *v,
                                llmbo_error *err);
/* Array elements. *pos starts at kv->arr_off; each call returns the next string. Only valid
 * for kv->arr_type == STRING (checked at open). */
llmbo_gguf_str llmbo_gguf_arr_str(const llmbo_gguf *g, uint64_t *pos);
/* Element i of a numeric array as int64 / double (arr_type must be numeric; i < arr_n). */
int64_t llmbo_gguf_arr_int(const llmbo_gguf *g, const llmbo_gguf_kv *kv, uint64_t i);
double llmbo_gguf_arr_float(const llmbo_gguf *g, const llmbo_gguf_kv *kv, uint64_t i);

/* 1 if the string equals the NUL-terminated s. */
int llmbo_gguf_str_eq(llmbo_gguf_str a, const char *s);
/* 1 if the string contains the NUL-terminated s (icase: ASCII letters in any case). */
int llmbo_gguf_str_has(llmbo_gguf_str a, const char *s, int icase);
const char *llmbo_gguf_vtype_name(llmbo_gguf_vtype t);
const char *llmbo_ttype_name(llmbo_ttype t);
/* Every tensor type's name, "F32, F16, ...", into buf (cut at size bytes, always terminated).
 * Returns buf. */
const char *llmbo_ttype_list(char *buf, size_t size);
/* Elements per block and bytes per block of a tensor type; 0 if unknown. */
size_t llmbo_ttype_block(llmbo_ttype t);
size_t llmbo_ttype_block_bytes(llmbo_ttype t);

#endif
