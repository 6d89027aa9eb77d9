/* tokenizer.c: the two vocabulary types of GGUF files.
 * Byte-level BPE (GPT-2 scheme, tokenizer.ggml.model "gpt2"): text is cut into pieces by a
 * pre-tokenizer — the regular expression of each model family, implemented here as a hand-written
 * scanner over Unicode categories — each piece's bytes are mapped to the printable characters
 * GPT-2 uses for bytes, and adjacent symbols are merged by merge rank until no ranked pair is left.
 * SentencePiece BPE ("llama": Llama 2, Mistral, Mixtral, TinyLlama): spaces become U+2581 with one
 * prefixed, the text is split into UTF-8 characters, and the adjacent pair whose concatenation is
 * the token of highest score is merged until no pair is a token; characters that are no token are
 * written as their bytes' <0xXX> tokens (byte fallback).
 * Special tokens (control, user-defined and unknown types) are cut out of the text first and never
 * merged. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "tokenizer.h"
#include "unicode_tab.h"
#include "llmbo_common.h"
#include "names.h"

enum {
    PRE_QWEN2,
    PRE_LLAMA3,
    PRE_GPT2,
    PRE_DEEPSEEK3,
    PRE_REFACT,
    PRE_DEEPSEEK_LLM,
    PRE_DEEPSEEK_CODER,
    PRE_DEFAULT,
    PRE_GPT4O,
    PRE_TEKKEN
};
enum { TT_NORMAL = 1, TT_UNKNOWN = 2, TT_CONTROL = 3, TT_USER = 4, TT_UNUSED = 5, TT_BYTE = 6 };

/* SentencePiece's space, U+2581, in UTF-8 */
static const char spm_space[3] = {'\xe2', '\x96', '\x81'};

/* Open-addressing hash from token text to id. */
typedef struct str_map {
    int32_t *slot; /* (cap) token ids, -1 empty */
    size_t cap;
} str_map;

typedef struct pair_map {
    uint64_t *key; /* (cap) (left << 32 | right) + 1, 0 empty */
    int32_t *rank, *merged;
    size_t cap;
} pair_map;

struct llmbo_tokenizer {
    int n_vocab, bos, eos, add_bos, pre;
    int ignore_merges;          /* llama3: a piece that is itself a token is not merged */
    int spm;                    /* SentencePiece vocabulary (tokenizer.ggml.model "llama") */
    int add_space_prefix;       /* SentencePiece: a U+2581 before each run of text */
    int unk;                    /* SentencePiece: the unknown token, -1 if none */
    size_t max_len;             /* the longest token text in bytes */
    float *score;               /* (n_vocab) SentencePiece merge scores, higher merges first */
    uint8_t special_first[256]; /* 1 if some special token starts with this byte */
    llmbo_gguf_str *text;       /* (n_vocab) token texts as stored (byte-level mapped) */
    uint8_t *type;              /* (n_vocab) */
    uint8_t *eog;               /* (n_vocab) */
    uint8_t *rstrip;            /* (n_vocab) 1: whitespace after this special token is dropped */
    char *piece_buf;            /* decoded bytes of all tokens */
    size_t *piece_off;          /* (n_vocab + 1) */
    int byte_tok[256];          /* token of each single byte */
    int *special;               /* ids of special tokens, longest text first */
    int n_special;
    str_map vocab;
    pair_map merges;
};

/* ----------------------------------------------------------------------------------------------
 * UTF-8 and Unicode classes
 * -------------------------------------------------------------------------------------------- */

/* Decodes one code point at s[i..n); invalid or truncated sequences decode as one byte with code
 * point 0xFFFD (classified as "other"). Returns its byte length. */
static int utf8_next(const unsigned char *s, size_t i, size_t n, uint32_t *cp)
{
    unsigned c = s[i];
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 1) {
        *cp = c;
        return 1;
    }
    if (len == 0 || i + (size_t)len > n) {
        *cp = 0xFFFD;
        return 1;
    }
    uint32_t v = c & (0x7f >> len);
    for (int k = 1; k < len; k++) {
        if ((s[i + k] & 0xc0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        v = (v << 6) | (s[i + k] & 0x3f);
    }
    *cp = v;
    return len;
}

static int in_ranges(const uint32_t (*r)[2], size_t n, uint32_t cp)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < r[mid][0])
            hi = mid;
        else if (cp > r[mid][1])
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

static int is_L(uint32_t cp)
{
    if (cp < 0x80)
        return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
    return in_ranges(llmbo_uni_letter, llmbo_uni_letter_n, cp);
}

static int is_N(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= '0' && cp <= '9';
    return in_ranges(llmbo_uni_number, llmbo_uni_number_n, cp);
}

/* The Unicode White_Space property (what \s matches in the tokenizers' regex engines). */
static int is_S(uint32_t cp)
{
    return (cp >= 9 && cp <= 13) || cp == 32 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000;
}

/* ----------------------------------------------------------------------------------------------
 * Pre-tokenizer scanners. qwen2 / llama3:
 *   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1 or 1,3}
 *   | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * gpt2 (also olmo): 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * The scanner works on a decoded array of code points with byte offsets.
 * -------------------------------------------------------------------------------------------- */

typedef struct cps {
    uint32_t *cp;
    size_t *off; /* (n + 1) byte offset of each code point */
    size_t n;
} cps;

static int contraction(const cps *c, size_t i, int icase)
{
    if (c->cp[i] != '\'' || i + 1 >= c->n)
        return 0;
    uint32_t a = c->cp[i + 1], b = i + 2 < c->n ? c->cp[i + 2] : 0;
    if (icase) {
        a = a < 0x80 ? (a | 0x20) : a;
        b = b < 0x80 ? (b | 0x20) : b;
    }
    if (a == 's' || a == 't' || a == 'm' || a == 'd')
        return 2;
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
        return 3;
    return 0;
}

static size_t run(const cps *c, size_t j, int (*pred)(uint32_t))
{
    while (j < c->n && pred(c->cp[j]))
        j++;
    return j;
}

static int is_other(uint32_t cp)
{
    return !is_S(cp) && !is_L(cp) && !is_N(cp);
}

static int is_nl(uint32_t cp)
{
    return cp == '\r' || cp == '\n';
}

/* Whitespace alternatives shared by all patterns: \s*[\r\n]+ (if newline_rule), \s+(?!\S), \s+. */
static size_t match_space(const cps *c, size_t i, int newline_rule)
{
    size_t k = run(c, i, is_S);
    if (newline_rule) {
        for (size_t m = k; m > i; m--)
            if (is_nl(c->cp[m - 1]))
                return m;
    }
    if (k == c->n || k - i == 1)
        return k;
    return k - 1;
}

/* ----------------------------------------------------------------------------------------------
 * gpt-4o (Phi-4-mini, Llama 4) and tekken (Mistral Nemo, Mistral Small 3, Ministral), the pattern
 * of the models' tokenizer.json:
 *   [^\r\n\p{L}\p{N}]?U*W+C?|[^\r\n\p{L}\p{N}]?U+W*C?|\p{N}{1,3 or 1}| ?[^\s\p{L}\p{N}]+[\r\n/]*
 *   |\s*[\r\n]+|\s+(?!\S)|\s+
 * U = [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}], W = [\p{Ll}\p{Lm}\p{Lo}\p{M}], C the optional contraction
 * ('s 't 're 've 'm 'll 'd, any case; gpt-4o only), alternatives tried in order with
 * backtracking. llama.cpp d32676d runs a rewrite without the case classes (U: a letter but not
 * a-z, W: a letter but not A-Z, marks in neither), which cuts words with combining marks
 * (Devanagari, Bengali, Tamil, Thai vowel signs) apart where the models' own tokenizer does not.
 * -------------------------------------------------------------------------------------------- */

static int is_M(uint32_t cp)
{
    return cp >= 0x300 && in_ranges(llmbo_uni_mark, llmbo_uni_mark_n, cp);
}

static int is_up(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= 'A' && cp <= 'Z';
    return (is_L(cp) && !in_ranges(llmbo_uni_lower, llmbo_uni_lower_n, cp)) || is_M(cp);
}

static int is_low(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= 'a' && cp <= 'z';
    return (is_L(cp) && !in_ranges(llmbo_uni_upper, llmbo_uni_upper_n, cp)) || is_M(cp);
}

/* U*W+C? (first) or U+W*C? from j; the end, or 0 when it does not match. */
static size_t cased_word(const cps *c, size_t j, int first, int contractions)
{
    size_t k = run(c, j, is_up), e;
    if (!first) {
        if (k == j)
            return 0;
        e = run(c, k, is_low);
    } else if (k < c->n && is_low(c->cp[k])) {
        e = run(c, k, is_low);
    } else {
        /* U* gives back code points until one is also a W (Lm, Lo or M): W+ is that one */
        size_t m = k;
        while (m > j && !is_low(c->cp[m - 1]))
            m--;
        if (m == j)
            return 0;
        e = m;
    }
    return contractions ? e + (size_t)contraction(c, e, 1) : e;
}

static int is_nl_slash(uint32_t cp)
{
    return cp == '\r' || cp == '\n' || cp == '/';
}

static size_t next_piece_cased(const cps *c, size_t i, int pre)
{
    uint32_t ch = c->cp[i];
    int lead = !is_nl(ch) && !is_L(ch) && !is_N(ch), ctr = pre == PRE_GPT4O;
    size_t e;
    for (int first = 1; first >= 0; first--) {
        if (lead && (e = cased_word(c, i + 1, first, ctr)))
            return e;
        if ((e = cased_word(c, i, first, ctr)))
            return e;
    }
    if (is_N(ch)) {
        size_t lim = pre == PRE_GPT4O ? 3 : 1, j = i;
        while (j < c->n && j - i < lim && is_N(c->cp[j]))
            j++;
        return j;
    }
    size_t j = ch == ' ' && i + 1 < c->n ? i + 1 : i;
    if (is_other(c->cp[j]))
        return run(c, run(c, j, is_other), is_nl_slash);
    if (is_S(ch))
        return match_space(c, i, 1);
    return i + 1; /* not reached: every code point is L, N, whitespace or other */
}

static size_t next_piece(const cps *c, size_t i, int pre)
{
    if (pre == PRE_GPT4O || pre == PRE_TEKKEN)
        return next_piece_cased(c, i, pre);
    uint32_t ch = c->cp[i];
    uint32_t c1 = i + 1 < c->n ? c->cp[i + 1] : 0;
    int has1 = i + 1 < c->n;
    size_t k;
    if (pre == PRE_GPT2) {
        if ((k = (size_t)contraction(c, i, 0)))
            return i + k;
        size_t j = ch == ' ' && has1 ? i + 1 : i;
        uint32_t cj = c->cp[j];
        if (is_L(cj))
            return run(c, j, is_L);
        if (is_N(cj))
            return run(c, j, is_N);
        if (is_other(cj))
            return run(c, j, is_other);
        return match_space(c, i, 0);
    }
    if ((k = (size_t)contraction(c, i, 1)))
        return i + k;
    if (is_L(ch))
        return run(c, i, is_L);
    if (!is_nl(ch) && !is_N(ch) && has1 && is_L(c1))
        return run(c, i + 1, is_L);
    if (is_N(ch)) {
        size_t lim = pre == PRE_LLAMA3 ? 3 : 1, j = i;
        while (j < c->n && j - i < lim && is_N(c->cp[j]))
            j++;
        return j;
    }
    size_t j = ch == ' ' && has1 ? i + 1 : i;
    if (is_other(c->cp[j]))
        return run(c, run(c, j, is_other), is_nl);
    if (is_S(ch))
        return match_space(c, i, 1);
    return i + 1; /* not reached: every code point is L, N, whitespace or other */
}

/* ----------------------------------------------------------------------------------------------
 * deepseek-v3: three regular expressions applied in sequence, each splitting the pieces of the
 * one before (matches and the gaps between them both become pieces):
 *   1. \p{N}{1,3}
 *   2. [一-龥぀-ゟ゠-ヿ]+
 *   3. [!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+
 *      | ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * Classes are Unicode general categories, except that the White_Space code points count only as
 * whitespace (as in llama.cpp). llama.cpp (d32676d) differs on one point: its ASCII table leaves
 * '~' out of both punctuation and symbols; here '~' is a symbol (Sm), as in the model's own
 * tokenizer.json.
 * -------------------------------------------------------------------------------------------- */

static int ds_space(uint32_t cp)
{
    return is_S(cp);
}

static int ds_cat(uint32_t cp, const uint32_t (*r)[2], size_t n)
{
    return !is_S(cp) && in_ranges(r, n, cp);
}

static int ds_L(uint32_t cp)
{
    return cp < 0x80 ? (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z'
                     : ds_cat(cp, llmbo_uni_letter, llmbo_uni_letter_n);
}

static int ds_N(uint32_t cp)
{
    return cp < 0x80 ? cp >= '0' && cp <= '9' : ds_cat(cp, llmbo_uni_number, llmbo_uni_number_n);
}

static int ds_P(uint32_t cp)
{
    return cp < 0x80 ? cp != 0 && strchr("!\"#%&'()*,-./:;?@[\\]_{}", (int)cp) != NULL
                     : ds_cat(cp, llmbo_uni_punct, llmbo_uni_punct_n);
}

static int ds_Sym(uint32_t cp)
{
    return cp < 0x80 ? cp != 0 && strchr("$+<=>^`|~", (int)cp) != NULL
                     : ds_cat(cp, llmbo_uni_symbol, llmbo_uni_symbol_n);
}

static int ds_M(uint32_t cp)
{
    return cp >= 0x80 && ds_cat(cp, llmbo_uni_mark, llmbo_uni_mark_n);
}

static int ds_LM(uint32_t cp)
{
    return ds_L(cp) || ds_M(cp);
}

static int ds_PS(uint32_t cp)
{
    return ds_P(cp) || ds_Sym(cp);
}

static int ds_cjk(uint32_t cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FA5) || (cp >= 0x3040 && cp <= 0x30FF);
}

static int ascii_alpha(uint32_t cp)
{
    return cp < 0x80 && (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
}

static size_t run_to(const cps *c, size_t j, size_t b, int (*pred)(uint32_t))
{
    while (j < b && pred(c->cp[j]))
        j++;
    return j;
}

/* A stage of a sequential pre-tokenizer: the length of its pattern's match at position p of the
 * piece [.., b), or 0 if none starts there; then *skip may be set to the first position at which a
 * match can start (patterns anchored at the piece's end would otherwise rescan a long run at every
 * position: O(n^2)). */
typedef size_t (*stage_fn)(const cps *c, size_t p, size_t b, size_t *skip);

static size_t ds_num3(const cps *c, size_t p, size_t b, size_t *skip)
{
    (void)skip;
    size_t j = p;
    while (j < b && j - p < 3 && ds_N(c->cp[j]))
        j++;
    return j - p;
}

static size_t ds_cjk_run(const cps *c, size_t p, size_t b, size_t *skip)
{
    (void)skip;
    return run_to(c, p, b, ds_cjk) - p;
}

static size_t ds_main(const cps *c, size_t p, size_t b, size_t *skip)
{
    (void)skip;
    uint32_t ch = c->cp[p];
    int has1 = p + 1 < b;
    if (ch < 0x80 && ch != 0 && strchr("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", (int)ch) && has1 &&
        ascii_alpha(c->cp[p + 1]))
        return run_to(c, p + 1, b, ascii_alpha) - p;
    if (ch != '\r' && ch != '\n' && !ds_L(ch) && !ds_PS(ch) && has1 && ds_LM(c->cp[p + 1]))
        return run_to(c, p + 1, b, ds_LM) - p;
    if (ds_LM(ch))
        return run_to(c, p, b, ds_LM) - p;
    if (ch == ' ' && has1 && ds_PS(c->cp[p + 1]))
        return run_to(c, run_to(c, p + 1, b, ds_PS), b, is_nl) - p;
    if (ds_PS(ch))
        return run_to(c, run_to(c, p, b, ds_PS), b, is_nl) - p;
    if (!ds_space(ch))
        return 0;
    size_t k = run_to(c, p, b, ds_space);
    for (size_t m = k; m > p; m--)
        if (is_nl(c->cp[m - 1]))
            return m - p;
    if (k == b || k - p == 1)
        return k - p;
    return k - 1 - p;
}

/* refact / starcoder: \p{N} (each digit alone), then GPT-2's pattern on what is left. */
static size_t st_digit(const cps *c, size_t p, size_t b, size_t *skip)
{
    (void)b;
    (void)skip;
    return is_N(c->cp[p]) ? 1 : 0;
}

static size_t st_gpt2(const cps *c, size_t p, size_t b, size_t *skip)
{
    (void)skip;
    cps sub = {c->cp, c->off, b}; /* the piece ends at b: \s+(?!\S) looks no further */
    size_t j = next_piece(&sub, p, PRE_GPT2);
    return j > p ? j - p : 1;
}

/* ----------------------------------------------------------------------------------------------
 * deepseek-llm (DeepSeek-LLM 7B/67B, DeepSeek-V2): six patterns in sequence,
 *   1. [\r\n]
 *   2. \s?[A-Za-zµÀ-ÖØ-öø-ƺ ... 𞤀-𞥃]+   (the cased-letter ranges of dl_letter below)
 *   3. \s?[!-/:-~！-／：-～‘-‟　-。]+
 *   4. \s+$                               (whitespace that ends the piece)
 *   5. [一-龥ࠀ-一가-퟿]+
 *   6. \p{N}+
 * \s is Unicode White_Space (llama.cpp maps non-ASCII whitespace to \v before its std::wregex).
 * -------------------------------------------------------------------------------------------- */

static const uint32_t dl_letter[][2] = {
    {0x41, 0x5A},       {0x61, 0x7A},       {0xB5, 0xB5},       {0xC0, 0xD6},
    {0xD8, 0xF6},       {0xF8, 0x1BA},      {0x1BC, 0x1BF},     {0x1C4, 0x293},
    {0x295, 0x2AF},     {0x370, 0x373},     {0x376, 0x377},     {0x37B, 0x37D},
    {0x37F, 0x37F},     {0x386, 0x386},     {0x388, 0x38A},     {0x38C, 0x38C},
    {0x38E, 0x3A1},     {0x3A3, 0x3F5},     {0x3F7, 0x481},     {0x48A, 0x52F},
    {0x531, 0x556},     {0x10A0, 0x10C5},   {0x13A0, 0x13F5},   {0x13F8, 0x13FD},
    {0x1C90, 0x1CBA},   {0x1CBD, 0x1CBF},   {0x1D00, 0x1D2B},   {0x1D6B, 0x1D77},
    {0x1D79, 0x1D9A},   {0x1E00, 0x1F15},   {0x1F18, 0x1F1D},   {0x1F20, 0x1F45},
    {0x1F48, 0x1F4D},   {0x1F50, 0x1F57},   {0x1F59, 0x1F59},   {0x1F5B, 0x1F5B},
    {0x1F5D, 0x1F5D},   {0x1F5F, 0x1F7D},   {0x1F80, 0x1FB4},   {0x1FB6, 0x1FBC},
    {0x1FBE, 0x1FBE},   {0x1FC2, 0x1FC4},   {0x1FC6, 0x1FCC},   {0x1FD0, 0x1FD3},
    {0x1FD6, 0x1FDB},   {0x1FE0, 0x1FEC},   {0x1FF2, 0x1FF4},   {0x1FF6, 0x1FFC},
    {0x2102, 0x2102},   {0x2107, 0x2107},   {0x210A, 0x2113},   {0x2115, 0x2115},
    {0x2119, 0x211D},   {0x2124, 0x2124},   {0x2126, 0x2126},   {0x2128, 0x2128},
    {0x212A, 0x212D},   {0x212F, 0x2134},   {0x2139, 0x2139},   {0x213C, 0x213F},
    {0x2145, 0x2149},   {0x214E, 0x214E},   {0x2183, 0x2184},   {0x2C00, 0x2C7B},
    {0x2C7E, 0x2CE4},   {0x2CEB, 0x2CEE},   {0x2CF2, 0x2CF3},   {0xA640, 0xA66D},
    {0xA680, 0xA69B},   {0xA722, 0xA76F},   {0xA771, 0xA787},   {0xA78B, 0xA78E},
    {0xAB70, 0xABBF},   {0xFB00, 0xFB06},   {0xFB13, 0xFB17},   {0xFF21, 0xFF3A},
    {0xFF41, 0xFF5A},   {0x10400, 0x1044F}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB},
    {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x1E900, 0x1E943}};

static int dl_L(uint32_t cp)
{
    return in_ranges(dl_letter, sizeof dl_letter / sizeof dl_letter[0], cp);
}

static int dl_P(uint32_t cp)
{
    return (cp >= 0x21 && cp <= 0x2F) || (cp >= 0x3A && cp <= 0x7E) ||
           (cp >= 0xFF01 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF5E) ||
           (cp >= 0x2018 && cp <= 0x201F) || (cp >= 0x3000 && cp <= 0x3002);
}

static int dl_cjk(uint32_t cp)
{
    return (cp >= 0x800 && cp <= 0x9FA5) || (cp >= 0xAC00 && cp <= 0xD7FF);
}

static size_t dl_newline(const cps *c, size_t p, size_t b, size_t *skip)
{
    (void)b;
    (void)skip;
    return is_nl(c->cp[p]) ? 1 : 0;
}

/* \s?[class]+ */
static size_t space_opt_run(const cps *c, size_t p, size_t b, int (*cls)(uint32_t))
{
    if (is_S(c->cp[p]) && p + 1 < b && cls(c->cp[p + 1]))
        return run_to(c, p + 1, b, cls) - p;
    return run_to(c, p, b, cls) - p;
}

static size_t dl_letters(const cps *c, size_t p, size_t b, size_t *skip)
{
    (void)skip;
    return space_opt_run(c, p, b, dl_L);
}

static size_t dl_punct(const cps *c, size_t p, size_t b, size_t *skip)
{
    (void)skip;
    return space_opt_run(c, p, b, dl_P);
}

static size_t dl_space_end(const cps *c, size_t p, size_t b, size_t *skip)
{
    size_t k = run_to(c, p, b, is_S);
    if (k == b)
        return k - p;
    *skip = k + 1; /* no match can start inside a run that does not reach the end */
    return 0;
}

static size_t dl_cjk_run(const cps *c, size_t p, size_t b, size_t *skip)
{
    (void)skip;
    return run_to(c, p, b, dl_cjk) - p;
}

static size_t dl_numbers(const cps *c, size_t p, size_t b, size_t *skip)
{
    (void)skip;
    return run_to(c, p, b, is_N) - p;
}

/* ----------------------------------------------------------------------------------------------
 * deepseek-coder (DeepSeek-Coder 1.3B/6.7B/33B), five patterns in sequence:
 *   1. [\r\n]
 *   2. \s?\p{L}+
 *   3. \s?\p{P}+
 *   4. [一-龥ࠀ-一가-퟿]+
 *   5. \p{N}        (each digit alone)
 * default (llama.cpp's pre-tokenizer for a byte-level BPE file that names none, or "default"):
 *   1. [\p{P}\$\+<=>\^~\|]+
 *   2. GPT-2's pattern
 *   3. \p{N}+
 *   4. [0-9][0-9][0-9]
 * The classes as in deepseek-v3 (White_Space code points only whitespace).
 * -------------------------------------------------------------------------------------------- */

static size_t dc_letters(const cps *c, size_t p, size_t b, size_t *skip)
{
    (void)skip;
    return space_opt_run(c, p, b, ds_L);
}

static size_t dc_punct(const cps *c, size_t p, size_t b, size_t *skip)
{
    (void)skip;
    return space_opt_run(c, p, b, ds_P);
}

static int df_punct_cls(uint32_t cp)
{
    return ds_P(cp) || (cp < 0x80 && cp != 0 && strchr("$+<=>^~|", (int)cp) != NULL);
}

static size_t df_punct(const cps *c, size_t p, size_t b, size_t *skip)
{
    (void)skip;
    return run_to(c, p, b, df_punct_cls) - p;
}

static int ascii_digit(uint32_t cp)
{
    return cp >= '0' && cp <= '9';
}

static size_t df_three(const cps *c, size_t p, size_t b, size_t *skip)
{
    (void)skip;
    return p + 3 <= b && ascii_digit(c->cp[p]) && ascii_digit(c->cp[p + 1]) &&
                   ascii_digit(c->cp[p + 2])
               ? 3
               : 0;
}

static const stage_fn stages_deepseek3[] = {ds_num3, ds_cjk_run, ds_main, NULL};
static const stage_fn stages_deepseek_coder[] = {dl_newline, dc_letters, dc_punct,
                                                 dl_cjk_run, st_digit,   NULL};
static const stage_fn stages_default[] = {df_punct, st_gpt2, dl_numbers, df_three, NULL};
static const stage_fn stages_refact[] = {st_digit, st_gpt2, NULL};
static const stage_fn stages_deepseek_llm[] = {dl_newline, dl_letters, dl_punct, dl_space_end,
                                               dl_cjk_run, dl_numbers, NULL};

/* Splits [a, b) by stages[0] and hands every match and gap to the next stage (or fn). */
static void seq_split(const cps *c, size_t a, size_t b, const stage_fn *stages,
                      void (*fn)(void *, size_t, size_t), void *ctx)
{
    if (!stages[0]) {
        fn(ctx, c->off[a], c->off[b]);
        return;
    }
    size_t gap = a;
    for (size_t p = a; p < b;) {
        size_t skip = p + 1, m = stages[0](c, p, b, &skip);
        if (!m) {
            p = skip > p ? skip : p + 1;
            continue;
        }
        if (p > gap)
            seq_split(c, gap, p, stages + 1, fn, ctx);
        seq_split(c, p, p + m, stages + 1, fn, ctx);
        p += m;
        gap = p;
    }
    if (b > gap)
        seq_split(c, gap, b, stages + 1, fn, ctx);
}

/* ----------------------------------------------------------------------------------------------
 * Hash maps
 * -------------------------------------------------------------------------------------------- */

static uint64_t hash_bytes(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 1099511628211ull;
    return h;
}

static int vocab_lookup(const llmbo_tokenizer *t, const char *s, size_t n)
{
    size_t m = t->vocab.cap - 1, h = (size_t)hash_bytes(s, n) & m;
    for (;;) {
        int32_t id = t->vocab.slot[h];
        if (id < 0)
            return -1;
        if (t->text[id].n == n && memcmp(t->text[id].p, s, n) == 0)
            return id;
        h = (h + 1) & m;
    }
}

static uint64_t pair_hash(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    return k;
}

static int pair_lookup(const pair_map *pm, int l, int r, int *merged)
{
    uint64_t key = (((uint64_t)(uint32_t)l << 32) | (uint32_t)r) + 1;
    size_t m = pm->cap - 1, h = (size_t)pair_hash(key) & m;
    for (;;) {
        if (pm->key[h] == 0)
            return -1;
        if (pm->key[h] == key) {
            *merged = pm->merged[h];
            return pm->rank[h];
        }
        h = (h + 1) & m;
    }
}

/* GPT-2's byte <-> printable code point table: printable Latin-1 bytes map to themselves, the
 * other 68 bytes to 256, 257, ... in byte order. */
static uint32_t byte_to_cp(int b)
{
    if ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255))
        return (uint32_t)b;
    int n = 0;
    for (int x = 0; x < b; x++)
        if (!((x >= 33 && x <= 126) || (x >= 161 && x <= 172) || (x >= 174 && x <= 255)))
            n++;
    return 256u + (uint32_t)n;
}

static int cp_to_byte(uint32_t cp)
{
    static int table[324];
    static int ready; /* the table is a pure function of constants: a benign one-time fill */
    if (!ready) {
        for (int i = 0; i < 324; i++)
            table[i] = -1;
        for (int b = 0; b < 256; b++)
            table[byte_to_cp(b)] = b;
        ready = 1;
    }
    return cp < 324 ? table[cp] : -1;
}

static size_t utf8_put(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    o[0] = (char)(0xe0 | (cp >> 12));
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
}

/* ----------------------------------------------------------------------------------------------
 * Create / free
 * -------------------------------------------------------------------------------------------- */

void llmbo_tokenizer_free(llmbo_tokenizer *t)
{
    if (!t)
        return;
    llmbo_free(t->text);
    llmbo_free(t->type);
    llmbo_free(t->eog);
    llmbo_free(t->rstrip);
    llmbo_free(t->piece_buf);
    llmbo_free(t->piece_off);
    llmbo_free(t->special);
    llmbo_free(t->score);
    llmbo_free(t->vocab.slot);
    llmbo_free(t->merges.key);
    llmbo_free(t->merges.rank);
    llmbo_free(t->merges.merged);
    llmbo_free(t);
}

/* The byte a SentencePiece byte token "<0xXX>" stands for, -1 if the text has another form. */
static int spm_byte_token(const unsigned char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    if (n != 6 || memcmp(s, "<0x", 3) != 0 || s[5] != '>')
        return -1;
    const char *h = s[3] ? strchr(hex, s[3]) : NULL, *l = s[4] ? strchr(hex, s[4]) : NULL;
    return h && l ? (int)(h - hex) * 16 + (int)(l - hex) : -1;
}

/* SentencePiece merge scores: tokenizer.ggml.scores, one number per token (0 when absent, as in
 * llama.cpp; a NaN is read as the lowest score, so the merge order stays a total order). */
static llmbo_status load_scores(llmbo_tokenizer *t, const llmbo_gguf *g, llmbo_error *err)
{
    size_t V = (size_t)t->n_vocab;
    t->score = llmbo_calloc(V, sizeof *t->score);
    if (!t->score)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory for the token scores");
    const llmbo_gguf_kv *ks = llmbo_gguf_find_kv(g, "tokenizer.ggml.scores");
    if (!ks)
        return LLMBO_OK;
    if (ks->type != LLMBO_GGUF_ARRAY || ks->arr_n != V ||
        (ks->arr_type != LLMBO_GGUF_FLOAT32 && ks->arr_type != LLMBO_GGUF_FLOAT64))
        return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                               "tokenizer.ggml.scores must be an array of %zu floats", V);
    for (size_t i = 0; i < V; i++) {
        double v = llmbo_gguf_arr_float(g, ks, i);
        t->score[i] = isnan(v) ? -INFINITY : (float)v;
    }
    return LLMBO_OK;
}

static llmbo_status load_tokens(llmbo_tokenizer *t, const llmbo_gguf *g, llmbo_error *err)
{
    const llmbo_gguf_kv *kt = llmbo_gguf_find_kv(g, "tokenizer.ggml.tokens");
    if (!kt || kt->type != LLMBO_GGUF_ARRAY || kt->arr_type != LLMBO_GGUF_STRING)
        return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                               "tokenizer.ggml.tokens missing or not an array of strings");
    if (kt->arr_n < 256 || kt->arr_n > (1u << 24))
        return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                               "tokenizer.ggml.tokens has %llu entries (256 .. 2^24 expected)",
                               (unsigned long long)kt->arr_n);
    t->n_vocab = (int)kt->arr_n;
    size_t V = (size_t)t->n_vocab;
    t->text = llmbo_malloc(V, sizeof *t->text);
    t->type = llmbo_malloc(V, 1);
    t->eog = llmbo_calloc(V, 1);
    t->rstrip = llmbo_calloc(V, 1);
    t->piece_off = llmbo_malloc(V + 1, sizeof *t->piece_off);
    for (t->vocab.cap = 1; t->vocab.cap < 2 * V; t->vocab.cap <<= 1)
        ;
    t->vocab.slot = llmbo_malloc(t->vocab.cap, sizeof(int32_t));
    if (!t->text || !t->type || !t->eog || !t->rstrip || !t->piece_off || !t->vocab.slot)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory for the vocabulary");
    memset(t->vocab.slot, 0xff, t->vocab.cap * sizeof(int32_t));
    uint64_t cur = kt->arr_off;
    size_t total = 0;
    for (size_t i = 0; i < V; i++) {
        t->text[i] = llmbo_gguf_arr_str(g, &cur);
        total += t->text[i].n;
        t->max_len = t->text[i].n > t->max_len ? t->text[i].n : t->max_len;
    }
    const llmbo_gguf_kv *ty = llmbo_gguf_find_kv(g, "tokenizer.ggml.token_type");
    if (ty && (ty->type != LLMBO_GGUF_ARRAY || ty->arr_n != V || ty->arr_type == LLMBO_GGUF_STRING))
        return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                               "tokenizer.ggml.token_type must be an integer array of %zu entries",
                               V);
    for (size_t i = 0; i < V; i++) {
        int64_t v = ty ? llmbo_gguf_arr_int(g, ty, i) : TT_NORMAL;
        t->type[i] = (uint8_t)(v >= 1 && v <= 6 ? v : TT_NORMAL);
    }
    /* Index texts (first occurrence wins for duplicates). */
    for (size_t i = 0; i < V; i++) {
        size_t m = t->vocab.cap - 1, h = (size_t)hash_bytes(t->text[i].p, t->text[i].n) & m;
        int dup = 0;
        while (t->vocab.slot[h] >= 0) {
            int32_t o = t->vocab.slot[h];
            if (t->text[o].n == t->text[i].n &&
                memcmp(t->text[o].p, t->text[i].p, t->text[i].n) == 0)
                dup = 1;
            h = (h + 1) & m;
        }
        if (!dup)
            t->vocab.slot[h] = (int32_t)i;
    }
    /* Decoded bytes of every token: mapped code points back to bytes (at most as long). */
    t->piece_buf = llmbo_malloc(total + 1, 1);
    if (!t->piece_buf)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory for the vocabulary");
    size_t o = 0;
    for (size_t i = 0; i < V; i++) {
        t->piece_off[i] = o;
        const unsigned char *s = (const unsigned char *)t->text[i].p;
        size_t n = t->text[i].n;
        if (t->type[i] == TT_CONTROL || t->type[i] == TT_USER) {
            memcpy(t->piece_buf + o, s, n);
            o += n;
            continue;
        }
        if (t->spm) {
            int byte = t->type[i] == TT_BYTE ? spm_byte_token(s, n) : -1;
            if (byte >= 0) {
                t->piece_buf[o++] = (char)byte;
                continue;
            }
            for (size_t j = 0; j < n;)
                if (j + 3 <= n && memcmp(s + j, spm_space, 3) == 0) {
                    t->piece_buf[o++] = ' ';
                    j += 3;
                } else {
                    t->piece_buf[o++] = (char)s[j++];
                }
            continue;
        }
        for (size_t j = 0; j < n;) {
            uint32_t cp;
            int l = utf8_next(s, j, n, &cp);
            int b = cp_to_byte(cp);
            if (b >= 0 && cp != 0xFFFD) {
                t->piece_buf[o++] = (char)b;
            } else {
                memcpy(t->piece_buf + o, s + j, (size_t)l);
                o += (size_t)l;
            }
            j += (size_t)l;
        }
    }
    t->piece_off[V] = o;
    if (t->spm) {
        /* Byte fallback: the token <0xXX>, else the byte itself as a token (llama.cpp's rule);
         * a byte with neither is written as the unknown token. */
        for (int b = 0; b < 256; b++) {
            char hx[7];
            snprintf(hx, sizeof hx, "<0x%02X>", b);
            t->byte_tok[b] = vocab_lookup(t, hx, 6);
            if (t->byte_tok[b] < 0) {
                char c = (char)b;
                t->byte_tok[b] = vocab_lookup(t, &c, 1);
            }
        }
        return LLMBO_OK;
    }
    /* Single-byte tokens: required by byte-level BPE (every input byte must have a symbol). */
    for (int b = 0; b < 256; b++) {
        char u[4];
        size_t n = utf8_put(u, byte_to_cp(b));
        t->byte_tok[b] = vocab_lookup(t, u, n);
        if (t->byte_tok[b] < 0)
            return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                                   "vocabulary lacks the byte-level token for byte 0x%02x", b);
    }
    return LLMBO_OK;
}

static llmbo_status load_merges(llmbo_tokenizer *t, const llmbo_gguf *g, llmbo_error *err)
{
    const llmbo_gguf_kv *km = llmbo_gguf_find_kv(g, "tokenizer.ggml.merges");
    if (!km || km->type != LLMBO_GGUF_ARRAY || km->arr_type != LLMBO_GGUF_STRING)
        return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                               "tokenizer.ggml.merges missing or not an array of strings");
    if (km->arr_n > (1u << 24))
        return llmbo_error_set(err, LLMBO_ERR_FORMAT, "tokenizer.ggml.merges is too long");
    pair_map *pm = &t->merges;
    for (pm->cap = 16; pm->cap < 2 * km->arr_n; pm->cap <<= 1)
        ;
    pm->key = llmbo_calloc(pm->cap, sizeof *pm->key);
    pm->rank = llmbo_malloc(pm->cap, sizeof *pm->rank);
    pm->merged = llmbo_malloc(pm->cap, sizeof *pm->merged);
    char *cat = llmbo_malloc(1024, 1);
    if (!pm->key || !pm->rank || !pm->merged || !cat) {
        llmbo_free(cat);
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory for the merges");
    }
    uint64_t cur = km->arr_off;
    for (uint64_t r = 0; r < km->arr_n; r++) {
        llmbo_gguf_str s = llmbo_gguf_arr_str(g, &cur);
        const char *sp = s.n > 1 ? memchr(s.p + 1, ' ', s.n - 1) : NULL;
        if (!sp || s.n > 1024) {
            llmbo_free(cat);
            return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                                   "tokenizer.ggml.merges[%llu] is not 'left right'",
                                   (unsigned long long)r);
        }
        size_t nl = (size_t)(sp - s.p), nr = s.n - nl - 1;
        int l = vocab_lookup(t, s.p, nl), rr = vocab_lookup(t, sp + 1, nr);
        memcpy(cat, s.p, nl);
        memcpy(cat + nl, sp + 1, nr);
        int m = vocab_lookup(t, cat, nl + nr);
        if (l < 0 || rr < 0 || m < 0)
            continue; /* a merge whose parts or result are not tokens can never apply */
        uint64_t key = (((uint64_t)(uint32_t)l << 32) | (uint32_t)rr) + 1;
        size_t h = (size_t)pair_hash(key) & (pm->cap - 1);
        while (pm->key[h] && pm->key[h] != key)
            h = (h + 1) & (pm->cap - 1);
        if (pm->key[h] == key)
            continue; /* keep the better (earlier) rank */
        pm->key[h] = key;
        pm->rank[h] = (int32_t)r;
        pm->merged[h] = m;
    }
    llmbo_free(cat);
    return LLMBO_OK;
}

/* llama.cpp gives the special tokens of files whose general.name names Phi-3 ("phi-3" or "phi3",
 * any case) the right-strip attribute of the models' tokenizer.json (whitespace after the token is
 * dropped: "<|user|>\nHi" reads as "<|user|>Hi"), </s> too, and not <unk>, <s>, <|endoftext|>. */
static void set_rstrip(llmbo_tokenizer *t, const llmbo_gguf *g)
{
    const llmbo_gguf_kv *kv = llmbo_gguf_find_kv(g, "general.name");
    if (!kv || kv->type != LLMBO_GGUF_STRING ||
        !(llmbo_gguf_str_has(kv->s, "phi3", 1) || llmbo_gguf_str_has(kv->s, "phi-3", 1)))
        return;
    for (int i = 0; i < t->n_vocab; i++)
        t->rstrip[i] =
            t->type[i] == TT_CONTROL || t->type[i] == TT_USER || t->type[i] == TT_UNKNOWN;
    static const char *const keep[] = {"<unk>", "<s>", "<|endoftext|>"};
    for (size_t k = 0; k < sizeof keep / sizeof keep[0]; k++) {
        int id = vocab_lookup(t, keep[k], strlen(keep[k]));
        if (id >= 0)
            t->rstrip[id] = 0;
    }
    int eos = vocab_lookup(t, "</s>", 4);
    if (eos >= 0)
        t->rstrip[eos] = 1;
}

/* The token id under key, or dflt (if a token id, else -1) when the key is absent; a value that
 * is no token id (not an integer, or outside the vocabulary) is treated as absent, as llama.cpp
 * does, and said on stderr: without it generation has no BOS, or stops only at its length limit or
 * a stop text. */
static int get_id(const llmbo_gguf *g, const char *key, int n_vocab, const char *what, int dflt)
{
    const llmbo_gguf_kv *kv = llmbo_gguf_find_kv(g, key);
    if (!kv)
        return dflt < n_vocab ? dflt : -1;
    int integer = kv->type != LLMBO_GGUF_STRING && kv->type != LLMBO_GGUF_ARRAY &&
                  kv->type != LLMBO_GGUF_FLOAT32 && kv->type != LLMBO_GGUF_FLOAT64;
    if (!integer || kv->i < 0 || kv->i >= n_vocab) {
        if (!integer)
            fprintf(stderr,
                    "llmbo: warning: the model's %s is not an integer; the model has no %s\n", key,
                    what);
        else
            fprintf(stderr,
                    "llmbo: warning: the model's %s (%lld) is not a token id (the vocabulary has "
                    "%d); the model has no %s\n",
                    key, (long long)kv->i, n_vocab, what);
        return -1;
    }
    return (int)kv->i;
}

llmbo_status llmbo_tokenizer_create(const llmbo_gguf *g, llmbo_tokenizer **out, llmbo_error *err)
{
    *out = NULL;
    llmbo_gguf_str model;
    llmbo_status st = llmbo_gguf_get_str(g, "tokenizer.ggml.model", &model, err);
    if (st)
        return st;
    int spm = llmbo_gguf_str_eq(model, "llama");
    if (!spm && !llmbo_gguf_str_eq(model, "gpt2"))
        return llmbo_error_set(err, LLMBO_ERR_UNSUPPORTED,
                               "tokenizer.ggml.model '%.*s' not supported (byte-level BPE 'gpt2' "
                               "and SentencePiece 'llama' are)",
                               (int)(model.n > 64 ? 64 : model.n), model.p);
    llmbo_tokenizer *t = llmbo_calloc(1, sizeof *t);
    if (!t)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    t->pre = PRE_GPT2;
    t->spm = spm;
    t->unk = -1;
    /* A SentencePiece vocabulary has no pre-tokenizer (llama.cpp ignores tokenizer.ggml.pre). */
    const llmbo_gguf_kv *kp = spm ? NULL : llmbo_gguf_find_kv(g, "tokenizer.ggml.pre");
    int no_bos = 0;
    if (kp && kp->type == LLMBO_GGUF_STRING) {
        /* The names llama.cpp gives these patterns. im: llama.cpp's ignore_merges (the Hugging
         * Face tokenizer.json's): a piece that is a token as a whole is that token, even where
         * merging would split it (llama3 and falcon3, not smaug-bpe or dbrx). no_bos: no BOS
         * token at all (GLM-4's prompts open with [gMASK]<sop> from the template, as llama.cpp) */
        static const struct {
            const char *name;
            int pre, im, no_bos;
        } pres[] = {{"qwen2", PRE_QWEN2, 0, 0},
                    {"deepseek-r1-qwen", PRE_QWEN2, 0, 0},
                    {"llama3", PRE_LLAMA3, 1, 0},
                    {"llama-bpe", PRE_LLAMA3, 1, 0},
                    {"llama-v3", PRE_LLAMA3, 1, 0},
                    {"falcon3", PRE_LLAMA3, 1, 0},
                    {"smaug-bpe", PRE_LLAMA3, 0, 0},
                    {"dbrx", PRE_LLAMA3, 0, 0},
                    {"deepseek-v3", PRE_DEEPSEEK3, 0, 0},
                    {"deepseek-llm", PRE_DEEPSEEK_LLM, 0, 0},
                    {"deepseek-coder", PRE_DEEPSEEK_CODER, 0, 0},
                    {"refact", PRE_REFACT, 0, 0},
                    {"starcoder", PRE_REFACT, 0, 0},
                    {"smollm", PRE_REFACT, 0, 0},
                    {"gpt2", PRE_GPT2, 0, 0},
                    {"gpt-2", PRE_GPT2, 0, 0},
                    {"mpt", PRE_GPT2, 0, 0},
                    {"olmo", PRE_GPT2, 0, 0},
                    {"exaone4", PRE_GPT2, 0, 0},
                    {"glm4", PRE_LLAMA3, 0, 1},
                    {"chatglm-bpe", PRE_LLAMA3, 0, 1},
                    {"default", PRE_DEFAULT, 0, 0},
                    {"gpt-4o", PRE_GPT4O, 0, 0},
                    {"llama4", PRE_GPT4O, 0, 0},
                    {"tekken", PRE_TEKKEN, 1, 0}};
        static const llmbo_names pre_names = LLMBO_NAMES_OF(pres);
        int k = -1;
        for (int i = 0; i < pre_names.n && k < 0; i++)
            if (llmbo_gguf_str_eq(kp->s, pres[i].name))
                k = i;
        if (k < 0) {
            char names[512];
            st = llmbo_error_set(err, LLMBO_ERR_UNSUPPORTED,
                                 "pre-tokenizer '%.*s' not supported (%s are)",
                                 (int)(kp->s.n > 64 ? 64 : kp->s.n), kp->s.p,
                                 llmbo_names_list(&pre_names, names, sizeof names));
            goto fail;
        }
        t->pre = pres[k].pre;
        t->ignore_merges = pres[k].im;
        no_bos = pres[k].no_bos;
    } else if (!spm) {
        /* No pre-tokenizer named: llama.cpp's default patterns (it warns that generation quality
         * may suffer: the file was converted before the pre-tokenizer was recorded). */
        t->pre = PRE_DEFAULT;
    }
    if ((st = load_tokens(t, g, err)) ||
        (st = spm ? load_scores(t, g, err) : load_merges(t, g, err)))
        goto fail;
    /* SentencePiece defaults when a key is absent (llama.cpp's): <unk> 0, BOS 1, EOS 2, a BOS
     * added, a space prefixed. */
    t->bos = no_bos ? -1
                    : get_id(g, "tokenizer.ggml.bos_token_id", t->n_vocab,
                             "beginning-of-sequence token", spm ? 1 : -1);
    t->eos = get_id(g, "tokenizer.ggml.eos_token_id", t->n_vocab,
                    "end-of-sequence token (generation stops at its length limit, a stop text or "
                    "another end token)",
                    spm ? 2 : -1);
    if (spm)
        t->unk = get_id(g, "tokenizer.ggml.unknown_token_id", t->n_vocab,
                        "unknown token (a character with no token and no byte token cannot be "
                        "encoded)",
                        0);
    const llmbo_gguf_kv *ab = llmbo_gguf_find_kv(g, "tokenizer.ggml.add_bos_token");
    /* absent: a BOS for SentencePiece and tekken vocabularies (llama.cpp's defaults) */
    t->add_bos =
        (ab ? ab->type == LLMBO_GGUF_BOOL && ab->u : spm || t->pre == PRE_TEKKEN) && t->bos >= 0;
    const llmbo_gguf_kv *sp = llmbo_gguf_find_kv(g, "tokenizer.ggml.add_space_prefix");
    t->add_space_prefix = spm && (sp ? sp->type == LLMBO_GGUF_BOOL && sp->u : 1);
    if (t->eos >= 0)
        t->eog[t->eos] = 1;
    static const char *const eog_texts[] = {"<|im_end|>",      "<|endoftext|>", "<|eot_id|>",
                                            "<|end_of_text|>", "<|end|>",       "<end_of_turn>",
                                            "[|endofturn|]",   "<|return|>",    "<|call|>"};
    for (size_t i = 0; i < sizeof eog_texts / sizeof eog_texts[0]; i++) {
        int id = llmbo_tokenizer_find(t, eog_texts[i]);
        if (id >= 0 && (t->type[id] == TT_CONTROL || t->type[id] == TT_USER))
            t->eog[id] = 1;
    }
    /* the end-of-turn and end-of-message tokens the file names end generation too (llama.cpp;
     * GLM-4's <|user|> and <|observation|>) */
    static const char *const eog_keys[] = {"tokenizer.ggml.eot_token_id",
                                           "tokenizer.ggml.eom_token_id"};
    for (size_t i = 0; i < sizeof eog_keys / sizeof eog_keys[0]; i++) {
        int id = get_id(g, eog_keys[i], t->n_vocab, "end-of-turn token", -1);
        if (id >= 0)
            t->eog[id] = 1;
    }
    /* gpt-oss's harmony vocabulary: <|end|> ends a message (the reasoning before the answer), not
     * the reply, which <|return|> or <|call|> ends (llama.cpp drops <|end|> the same way) */
    int ret = llmbo_tokenizer_find(t, "<|return|>"), call = llmbo_tokenizer_find(t, "<|call|>"),
        end = llmbo_tokenizer_find(t, "<|end|>");
    if (ret >= 0 && call >= 0 && t->eog[ret] && t->eog[call] && end >= 0)
        t->eog[end] = 0;
    set_rstrip(t, g);
    /* Special tokens, longest text first, so the longest match wins at a position. */
    t->special = llmbo_malloc((size_t)t->n_vocab, sizeof(int));
    if (!t->special) {
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (int i = 0; i < t->n_vocab; i++)
        if ((t->type[i] == TT_CONTROL || t->type[i] == TT_USER || t->type[i] == TT_UNKNOWN) &&
            t->text[i].n > 0) {
            int j = t->n_special++;
            while (j > 0 && t->text[t->special[j - 1]].n < t->text[i].n) {
                t->special[j] = t->special[j - 1];
                j--;
            }
            t->special[j] = i;
            t->special_first[(unsigned char)t->text[i].p[0]] = 1;
        }
    *out = t;
    return LLMBO_OK;
fail:
    llmbo_tokenizer_free(t);
    return st;
}

/* ----------------------------------------------------------------------------------------------
 * Accessors
 * -------------------------------------------------------------------------------------------- */

int llmbo_tokenizer_n_vocab(const llmbo_tokenizer *t)
{
    return t->n_vocab;
}

int llmbo_tokenizer_bos(const llmbo_tokenizer *t)
{
    return t->bos;
}

int llmbo_tokenizer_eos(const llmbo_tokenizer *t)
{
    return t->eos;
}

int llmbo_tokenizer_add_bos(const llmbo_tokenizer *t)
{
    return t->add_bos;
}

int llmbo_tokenizer_is_special(const llmbo_tokenizer *t, int id)
{
    return id >= 0 && id < t->n_vocab &&
           (t->type[id] == TT_CONTROL || t->type[id] == TT_USER || t->type[id] == TT_UNUSED ||
            t->type[id] == TT_UNKNOWN);
}

int llmbo_tokenizer_is_eog(const llmbo_tokenizer *t, int id)
{
    return id >= 0 && id < t->n_vocab && t->eog[id];
}

const char *llmbo_tokenizer_piece(const llmbo_tokenizer *t, int id, size_t *len)
{
    if (id < 0 || id >= t->n_vocab) {
        *len = 0;
        return "";
    }
    *len = t->piece_off[id + 1] - t->piece_off[id];
    return t->piece_buf + t->piece_off[id];
}

int llmbo_tokenizer_find(const llmbo_tokenizer *t, const char *s)
{
    return vocab_lookup(t, s, strlen(s));
}

const char *llmbo_tokenizer_pre(const llmbo_tokenizer *t)
{
    return t->spm                         ? "sentencepiece"
           : t->pre == PRE_QWEN2          ? "qwen2"
           : t->pre == PRE_LLAMA3         ? "llama3"
           : t->pre == PRE_DEEPSEEK3      ? "deepseek-v3"
           : t->pre == PRE_REFACT         ? "refact"
           : t->pre == PRE_DEEPSEEK_LLM   ? "deepseek-llm"
           : t->pre == PRE_DEEPSEEK_CODER ? "deepseek-coder"
           : t->pre == PRE_DEFAULT        ? "default"
           : t->pre == PRE_GPT4O          ? "gpt-4o"
           : t->pre == PRE_TEKKEN         ? "tekken"
                                          : "gpt2";
}

/* ----------------------------------------------------------------------------------------------
 * Encoding
 * -------------------------------------------------------------------------------------------- */

static llmbo_status push(int32_t **ids, int *n, int *cap, int32_t id, llmbo_error *err)
{
    if (*n == *cap) {
        int nc = *cap ? 2 * *cap : 64;
        int32_t *p = llmbo_realloc(*ids, (size_t)nc, sizeof **ids);
        if (!p)
            return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory for tokens");
        *ids = p;
        *cap = nc;
    }
    (*ids)[(*n)++] = id;
    return LLMBO_OK;
}

/* BPE scratch, grown to the longest piece seen. Symbols are named by the byte index where they
 * start (a merge keeps the left one's index), linked through nxt/prv. */
typedef struct bpe_cand {
    float key;     /* lower merges first: the merge rank (exact in a float below 2^24), or
                      SentencePiece's negated score */
    int32_t lid;   /* the left token id when queued (SentencePiece: the merged token) */
    int32_t rid;   /* the right token id when queued (SentencePiece: the pair's byte length) */
    uint32_t l, r; /* the left and right symbols */
} bpe_cand;

typedef struct bpe_scratch {
    int32_t *sym;   /* (cap) token id of the symbol starting at i, -1 if merged away (SentencePiece:
                       the symbol's byte length, 0 once merged away) */
    uint32_t *nxt;  /* (cap) start of the next symbol (len at the end) */
    uint32_t *prv;  /* (cap) start of the previous symbol (UINT32_MAX at the start) */
    bpe_cand *heap; /* (3 * cap) min-heap by (rank, l) */
    char *mapped;   /* (2 * cap) the piece in the byte-level alphabet (ignore_merges) */
    size_t cap;
    char *esc;     /* (esc_cap) SentencePiece: the text with spaces as U+2581 */
    uint32_t *off; /* (esc_cap) SentencePiece: where each symbol starts in esc */
    size_t esc_cap;
} bpe_scratch;

static void bpe_scratch_free(bpe_scratch *b)
{
    llmbo_free(b->sym);
    llmbo_free(b->nxt);
    llmbo_free(b->prv);
    llmbo_free(b->heap);
    llmbo_free(b->mapped);
    llmbo_free(b->esc);
    llmbo_free(b->off);
    memset(b, 0, sizeof *b);
}

static int cand_less(const bpe_cand *a, const bpe_cand *b)
{
    return a->key < b->key || (a->key == b->key && a->l < b->l);
}

static void heap_push(bpe_cand *h, size_t *n, bpe_cand c)
{
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!cand_less(&c, &h[p]))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = c;
}

static bpe_cand heap_pop(bpe_cand *h, size_t *n)
{
    bpe_cand top = h[0], last = h[--*n];
    size_t i = 0, m = *n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= m)
            break;
        if (c + 1 < m && cand_less(&h[c + 1], &h[c]))
            c++;
        if (!cand_less(&h[c], &last))
            break;
        h[i] = h[c];
        i = c;
    }
    if (m)
        h[i] = last;
    return top;
}

/* Queues the pair (l, r) if it has a merge rank. */
static void queue_pair(const llmbo_tokenizer *t, bpe_scratch *b, size_t *nh, uint32_t l, uint32_t r)
{
    int mg, rank = pair_lookup(&t->merges, b->sym[l], b->sym[r], &mg);
    if (rank >= 0)
        heap_push(b->heap, nh, (bpe_cand){(float)rank, b->sym[l], b->sym[r], l, r});
}

/* BPE over one pre-tokenized piece: start from byte symbols and repeatedly merge the pair of best
 * rank, leftmost first among equal ranks, until no ranked pair is left. Candidate pairs sit in a
 * min-heap keyed by (rank, position); a merge queues the two pairs it creates, and entries made
 * stale by an earlier merge are recognised when popped (their symbols changed or were merged
 * away). O(n log n) for a piece of n bytes (a rescan per merge was O(n^2): 200,000 spaces took
 * 32 s). The merge order, hence the result, is the rescan's. */
static llmbo_status bpe_piece(const llmbo_tokenizer *t, const unsigned char *s, size_t len,
                              bpe_scratch *b, int32_t **ids, int *n, int *cap, llmbo_error *err)
{
    if (len >= UINT32_MAX / 4)
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "text piece of %zu bytes is too long", len);
    if (len > b->cap) {
        size_t nc = len < 64 ? 64 : len;
        llmbo_free(b->sym);
        llmbo_free(b->nxt);
        llmbo_free(b->prv);
        llmbo_free(b->heap);
        llmbo_free(b->mapped);
        b->sym = llmbo_malloc(nc, sizeof *b->sym);
        b->nxt = llmbo_malloc(nc, sizeof *b->nxt);
        b->prv = llmbo_malloc(nc, sizeof *b->prv);
        b->heap = llmbo_malloc(3 * nc, sizeof *b->heap);
        b->mapped = llmbo_malloc(2 * nc, 1);
        if (!b->sym || !b->nxt || !b->prv || !b->heap || !b->mapped) {
            bpe_scratch_free(b);
            return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory for tokenization");
        }
        b->cap = nc;
    }
    uint32_t L = (uint32_t)len;
    if (t->ignore_merges && L > 1) {
        size_t o = 0;
        for (uint32_t i = 0; i < L; i++)
            o += utf8_put(b->mapped + o, byte_to_cp(s[i]));
        int id = vocab_lookup(t, b->mapped, o);
        if (id >= 0)
            return push(ids, n, cap, id, err);
    }
    for (uint32_t i = 0; i < L; i++) {
        b->sym[i] = t->byte_tok[s[i]];
        b->nxt[i] = i + 1;
        b->prv[i] = i ? i - 1 : UINT32_MAX;
    }
    size_t nh = 0;
    for (uint32_t i = 0; i + 1 < L; i++)
        queue_pair(t, b, &nh, i, i + 1);
    while (nh) {
        bpe_cand c = heap_pop(b->heap, &nh);
        if (b->sym[c.l] != c.lid || b->nxt[c.l] != c.r || c.r >= L || b->sym[c.r] != c.rid)
            continue; /* stale */
        int mg;
        if (pair_lookup(&t->merges, c.lid, c.rid, &mg) < 0)
            continue; /* cannot happen: only ranked pairs are queued */
        b->sym[c.l] = mg;
        b->sym[c.r] = -1;
        b->nxt[c.l] = b->nxt[c.r];
        if (b->nxt[c.l] < L)
            b->prv[b->nxt[c.l]] = c.l;
        if (b->prv[c.l] != UINT32_MAX)
            queue_pair(t, b, &nh, b->prv[c.l], c.l);
        if (b->nxt[c.l] < L)
            queue_pair(t, b, &nh, c.l, b->nxt[c.l]);
    }
    for (uint32_t i = 0; i < L; i = b->nxt[i]) {
        llmbo_status st = push(ids, n, cap, b->sym[i], err);
        if (st)
            return st;
    }
    return LLMBO_OK;
}

/* Queues the SentencePiece pair (l, r) if their concatenation is a token. */
static void spm_queue(const llmbo_tokenizer *t, bpe_scratch *b, size_t *nh, uint32_t l, uint32_t r)
{
    size_t n = (size_t)b->sym[l] + (size_t)b->sym[r];
    if (n > t->max_len)
        return;
    int id = vocab_lookup(t, b->esc + b->off[l], n);
    if (id >= 0)
        heap_push(b->heap, nh, (bpe_cand){-t->score[id], id, (int32_t)n, l, r});
}

/* SentencePiece BPE over one run of text (between special tokens), as llama.cpp and the
 * sentencepiece library do it: spaces become U+2581 (one prefixed when add_space_prefix), the
 * symbols are the UTF-8 characters (a lead byte's length, cut at the end; invalid bytes are not
 * checked), and the adjacent pair whose concatenation is the token of highest score is merged,
 * leftmost first among equal scores, until no pair is a token. Each remaining symbol is its token,
 * or (a character with no token) its bytes' tokens, or the unknown token. Heap of candidate pairs
 * as in bpe_piece; a popped pair is stale when either symbol has changed length. O(n log n). */
static llmbo_status spm_segment(const llmbo_tokenizer *t, const unsigned char *s, size_t len,
                                bpe_scratch *b, int32_t **ids, int *n, int *cap, llmbo_error *err)
{
    if (len >= UINT32_MAX / 8)
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "text piece of %zu bytes is too long", len);
    size_t need = 3 * len + 3;
    if (need > b->esc_cap) { /* a SentencePiece tokenizer uses no byte-level (cap) scratch */
        bpe_scratch_free(b);
        b->esc = llmbo_malloc(need, 1);
        b->off = llmbo_malloc(need, sizeof *b->off);
        b->sym = llmbo_malloc(need, sizeof *b->sym);
        b->nxt = llmbo_malloc(need, sizeof *b->nxt);
        b->prv = llmbo_malloc(need, sizeof *b->prv);
        b->heap = llmbo_malloc(3 * need, sizeof *b->heap);
        if (!b->esc || !b->off || !b->sym || !b->nxt || !b->prv || !b->heap) {
            bpe_scratch_free(b);
            return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory for tokenization");
        }
        b->esc_cap = need;
    }
    size_t m = 0;
    if (t->add_space_prefix) {
        memcpy(b->esc, spm_space, 3);
        m = 3;
    }
    for (size_t i = 0; i < len; i++)
        if (s[i] == ' ') {
            memcpy(b->esc + m, spm_space, 3);
            m += 3;
        } else {
            b->esc[m++] = (char)s[i];
        }
    static const uint8_t lead_len[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    uint32_t ns = 0;
    for (size_t i = 0; i < m; ns++) {
        size_t l = lead_len[(unsigned char)b->esc[i] >> 4];
        l = l < m - i ? l : m - i;
        b->off[ns] = (uint32_t)i;
        b->sym[ns] = (int32_t)l; /* the symbol's byte length, 0 once merged away */
        b->prv[ns] = ns ? ns - 1 : UINT32_MAX;
        b->nxt[ns] = ns + 1;
        i += l;
    }
    size_t nh = 0;
    for (uint32_t i = 0; i + 1 < ns; i++)
        spm_queue(t, b, &nh, i, i + 1);
    while (nh) {
        bpe_cand c = heap_pop(b->heap, &nh);
        if (!b->sym[c.l] || !b->sym[c.r] || b->nxt[c.l] != c.r ||
            b->sym[c.l] + b->sym[c.r] != c.rid)
            continue; /* stale */
        b->sym[c.l] = c.rid;
        b->sym[c.r] = 0;
        b->nxt[c.l] = b->nxt[c.r];
        if (b->nxt[c.l] < ns)
            b->prv[b->nxt[c.l]] = c.l;
        if (b->prv[c.l] != UINT32_MAX)
            spm_queue(t, b, &nh, b->prv[c.l], c.l);
        if (b->nxt[c.l] < ns)
            spm_queue(t, b, &nh, c.l, b->nxt[c.l]);
    }
    llmbo_status st = LLMBO_OK;
    for (uint32_t i = 0; i < ns && !st; i = b->nxt[i]) {
        const char *p = b->esc + b->off[i];
        int id = vocab_lookup(t, p, (size_t)b->sym[i]);
        if (id >= 0) {
            st = push(ids, n, cap, id, err);
            continue;
        }
        for (int32_t k = 0; k < b->sym[i] && !st; k++) {
            int bt = t->byte_tok[(unsigned char)p[k]];
            if (bt < 0 && t->unk < 0)
                return llmbo_error_set(err, LLMBO_ERR_INVALID,
                                       "byte 0x%02x has no token, no byte token and the vocabulary "
                                       "no unknown token",
                                       (unsigned char)p[k]);
            st = push(ids, n, cap, bt >= 0 ? bt : t->unk, err);
        }
    }
    return st;
}

typedef struct split_ctx {
    const llmbo_tokenizer *t;
    const char *text;
    bpe_scratch *bpe;
    int32_t **ids;
    int *n, *cap;
    llmbo_error *err;
    llmbo_status st;
} split_ctx;

static void on_piece(void *v, size_t a, size_t b)
{
    split_ctx *c = v;
    if (c->st == LLMBO_OK)
        c->st = bpe_piece(c->t, (const unsigned char *)c->text + a, b - a, c->bpe, c->ids, c->n,
                          c->cap, c->err);
}

/* Runs the scanner over text[0..len) with scratch code-point arrays of its own. */
static llmbo_status split_text(const llmbo_tokenizer *t, const char *text, size_t len,
                               void (*fn)(void *, size_t, size_t), void *ctx)
{
    cps c;
    c.cp = llmbo_malloc(len + 1, sizeof *c.cp);
    c.off = llmbo_malloc(len + 1, sizeof *c.off);
    if (!c.cp || !c.off) {
        llmbo_free(c.cp);
        llmbo_free(c.off);
        return LLMBO_ERR_NOMEM;
    }
    c.n = 0;
    for (size_t i = 0; i < len;) {
        c.off[c.n] = i;
        i += (size_t)utf8_next((const unsigned char *)text, i, len, &c.cp[c.n]);
        c.n++;
    }
    c.off[c.n] = len;
    const stage_fn *stages = t->pre == PRE_DEEPSEEK3        ? stages_deepseek3
                             : t->pre == PRE_REFACT         ? stages_refact
                             : t->pre == PRE_DEEPSEEK_LLM   ? stages_deepseek_llm
                             : t->pre == PRE_DEEPSEEK_CODER ? stages_deepseek_coder
                             : t->pre == PRE_DEFAULT        ? stages_default
                                                            : NULL;
    if (stages) {
        seq_split(&c, 0, c.n, stages, fn, ctx);
        c.n = 0;
    }
    for (size_t i = 0; i < c.n;) {
        size_t j = next_piece(&c, i, t->pre);
        if (j <= i)
            j = i + 1;
        fn(ctx, c.off[i], c.off[j]);
        i = j;
    }
    llmbo_free(c.cp);
    llmbo_free(c.off);
    return LLMBO_OK;
}

void llmbo_tokenizer_split(const llmbo_tokenizer *t, const char *text, size_t len,
                           void (*fn)(void *ctx, size_t start, size_t end), void *ctx)
{
    (void)split_text(t, text, len, fn, ctx);
}

llmbo_status llmbo_tokenizer_encode(const llmbo_tokenizer *t, const char *text, size_t len,
                                    int parse_special, int32_t **ids, int *n, int *cap,
                                    llmbo_error *err)
{
    bpe_scratch bpe = {0};
    split_ctx ctx = {t, NULL, &bpe, ids, n, cap, err, LLMBO_OK};
    size_t seg = 0, i = 0;
    llmbo_status st = LLMBO_OK;
    while (i <= len && st == LLMBO_OK) {
        int hit = -1;
        if (parse_special && i < len && t->special_first[(unsigned char)text[i]])
            for (int k = 0; k < t->n_special; k++) {
                const llmbo_gguf_str *s = &t->text[t->special[k]];
                if (s->n <= len - i && memcmp(text + i, s->p, s->n) == 0) {
                    hit = t->special[k];
                    break;
                }
            }
        if (hit < 0 && i < len) {
            i++;
            continue;
        }
        /* Text before the special token (or the end) goes through the pre-tokenizer and BPE. */
        if (i > seg && t->spm) {
            st = spm_segment(t, (const unsigned char *)text + seg, i - seg, &bpe, ids, n, cap, err);
        } else if (i > seg) {
            ctx.text = text + seg;
            if (split_text(t, text + seg, i - seg, on_piece, &ctx) != LLMBO_OK)
                st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory for tokenization");
            else
                st = ctx.st;
        }
        if (hit < 0 || st)
            break;
        st = push(ids, n, cap, hit, err);
        i += t->text[hit].n;
        while (t->rstrip[hit] && i < len &&
               (text[i] == ' ' || (text[i] >= '\t' && text[i] <= '\r')))
            i++;
        seg = i;
    }
    bpe_scratch_free(&bpe);
    return st;
}
