/* generate.c: the decoding loop. Free text and reasoning are sampled token by token; in
 * constrained mode each step either appends the literal the format forces (tokenised and evaluated
 * in one batched pass) or samples among the tokens whose whole text the automaton accepts — a
 * token is checked only if its first byte is allowed, so a step costs one pass over the
 * vocabulary's first bytes plus a walk of the few candidates. Scratch is allocated once per call.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "generate.h"
#include "strbuf.h"
#include "tokenizer.h"
#include "llmbo_common.h"

void llmbo_gen_options_default(llmbo_gen_options *o)
{
    memset(o, 0, sizeof *o);
    o->max_tokens = 256;
    o->temperature = 0.0;
    o->top_k = 40;
    o->top_p = 0.95;
    o->think_budget = -1;
}

void llmbo_gen_result_clear(llmbo_gen_result *r)
{
    llmbo_free(r->text);
    llmbo_free(r->reasoning);
    memset(r, 0, sizeof *r);
}

/* ----------------------------------------------------------------------------------------------
 * Random numbers (splitmix64) and sampling
 * -------------------------------------------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double rng_uniform(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

typedef struct cand {
    int id;
    float logit;
} cand;

static int cand_desc(const void *a, const void *b)
{
    float x = ((const cand *)a)->logit, y = ((const cand *)b)->logit;
    if (x != y)
        return x < y ? 1 : -1;
    return ((const cand *)a)->id - ((const cand *)b)->id;
}

/* Moves the k largest candidates to the front (quickselect), k < n. */
static void select_top(cand *c, int n, int k)
{
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        float pivot = c[(lo + hi) / 2].logit;
        int i = lo, j = hi;
        while (i <= j) {
            while (c[i].logit > pivot)
                i++;
            while (c[j].logit < pivot)
                j--;
            if (i <= j) {
                cand t = c[i];
                c[i] = c[j];
                c[j] = t;
                i++;
                j--;
            }
        }
        if (k - 1 <= j)
            hi = j;
        else if (k - 1 >= i)
            lo = i;
        else
            break;
    }
}

/* Chooses a token from logits among allowed ids (mask NULL: all). Returns -1 if none allowed.
 * c and p are (n_vocab) scratch. */
static int sample(const float *logits, int n_vocab, const uint8_t *mask, const llmbo_gen_options *o,
                  uint64_t *rng, cand *c, double *p)
{
    int n = 0;
    for (int i = 0; i < n_vocab; i++)
        if ((!mask || mask[i]) && isfinite(logits[i])) {
            c[n].id = i;
            c[n].logit = logits[i];
            n++;
        }
    if (n == 0)
        return -1;
    if (o->temperature <= 0) {
        int b = 0;
        for (int i = 1; i < n; i++)
            if (c[i].logit > c[b].logit)
                b = i;
        return c[b].id;
    }
    if (o->top_k > 0 && o->top_k < n) {
        select_top(c, n, o->top_k);
        n = o->top_k;
    }
    int nucleus = o->top_p > 0 && o->top_p < 1;
    if (nucleus)
        qsort(c, (size_t)n, sizeof *c, cand_desc);
    float mx = c[0].logit;
    for (int i = 1; i < n; i++)
        mx = c[i].logit > mx ? c[i].logit : mx;
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += (p[i] = exp(((double)c[i].logit - mx) / o->temperature));
    if (nucleus) {
        double acc = 0;
        int m = 0;
        while (m < n && acc < o->top_p * sum)
            acc += p[m++];
        n = m > 0 ? m : 1;
        sum = acc > 0 ? acc : p[0];
    }
    double u = rng_uniform(rng) * sum;
    for (int i = 0; i < n; i++) {
        u -= p[i];
        if (u < 0)
            return c[i].id;
    }
    return c[n - 1].id;
}

/* ----------------------------------------------------------------------------------------------
 * Text buffers
 * -------------------------------------------------------------------------------------------- */

/* Appends n bytes to t; -1 once an append has failed (strbuf's oom). */
static int text_add(llmbo_strbuf *t, const char *s, size_t n)
{
    llmbo_strbuf_add(t, s, n);
    return t->oom ? -1 : 0;
}

static int ends_with(const llmbo_strbuf *t, const char *s)
{
    size_t n = strlen(s);
    return t->len >= n && memcmp(t->s + t->len - n, s, n) == 0;
}

/* ----------------------------------------------------------------------------------------------
 * Prompt helpers
 * -------------------------------------------------------------------------------------------- */

llmbo_status llmbo_engine_tokenize(llmbo_engine *eng, const char *s, int32_t **ids, int *n,
                                   llmbo_error *err)
{
    llmbo_tokenizer *tok = llmbo_engine_tokenizer(eng);
    int cap = 0;
    *ids = NULL;
    *n = 0;
    llmbo_status st = LLMBO_OK;
    if (llmbo_tokenizer_add_bos(tok)) {
        *ids = llmbo_malloc(64, sizeof **ids);
        if (!*ids)
            return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
        cap = 64;
        (*ids)[(*n)++] = llmbo_tokenizer_bos(tok);
    }
    st = llmbo_tokenizer_encode(tok, s, strlen(s), 1, ids, n, &cap, err);
    if (st) {
        llmbo_free(*ids);
        *ids = NULL;
        *n = 0;
    }
    return st;
}

/* Chat layouts, chosen by the special tokens the vocabulary has (the file's Jinja template is
 * not interpreted):
 *   DeepSeek
 * {system}<｜User｜>{user}<｜Assistant｜>{assistant}<｜end▁of▁sentence｜>...<｜Assistant｜> Llama 3
 * <|start_header_id|>{role}<|end_header_id|>\n\n{content}<|eot_id|> ... assistant ChatML
 * <|im_start|>{role}\n{content}<|im_end|>\n ... <|im_start|>assistant\n fallback
 * <|{role}|>\n{content}\n ... <|assistant|>\n (the Tulu layout OLMoE-Instruct uses) Granite 3.x
 * <|start_of_role|>{role}<|end_of_role|>{content}<|end_of_text|>\n ... DeepSeek-V2 (its
 * vocabulary has <｜end▁of▁sentence｜> but no <｜User｜>) {system}\n\nUser: {user}\n\nAssistant:
 * {assistant}<｜end▁of▁sentence｜>... Assistant: [INST] (SentencePiece vocabularies: Llama 2,
 * Mistral, Mixtral; chat_inst) [INST] {system}\n{user} [/INST]{assistant}</s>[INST] ... [/INST]
 * Phi-3 <|{role}|>\n{content}<|end|>\n ... <|assistant|>\n Gemma (chat_gemma)
 * <start_of_turn>user\n{system}\n\n{user}<end_of_turn>\n ... <start_of_turn>model\n
 * GLM-4 [gMASK]<sop><|system|>\n{system}<|user|>\n{user}<|assistant|>\n{assistant} ...
 * <|assistant|>\n (as llama.cpp's LLM_CHAT_TEMPLATE_CHATGLM_4)
 * EXAONE 4 [|system|]{system}[|endofturn|]\n[|user|]{user}\n[|assistant|]{assistant}[|endofturn|]\n
 * ... [|assistant|] (contents trimmed, as llama.cpp's LLM_CHAT_TEMPLATE_EXAONE_4)
 * gpt-oss (harmony) <|start|>{role}<|message|>{content}<|end|> ... <|start|>assistant (an
 * assistant turn ends <|return|>; as llama.cpp's LLM_CHAT_TEMPLATE_OPENAI_MOE)
 * ERNIE 4.5 <|begin_of_sentence|>{system}\nUser: {user}\nAssistant: {assistant}<|end_of_sentence|>
 * ... Assistant: (the models' own template; llama.cpp renders it from the file)
 * Hunyuan dense {system}<｜hy_place▁holder▁no▁3｜><｜hy_User｜>{user}<｜hy_Assistant｜>
 * <｜hy_Assistant｜>{assistant}<｜hy_place▁holder▁no▁2｜>... (as llama.cpp's
 * LLM_CHAT_TEMPLATE_HUNYUAN_DENSE: a system text only as the first message)
 * DeepSeek-R1 models and Qwen3 (the architecture row's think_block) reason in <think>...</think>
 * first: with thinking off the prompt carries an empty block, with it on an opened one. gpt-oss
 * reasons in its analysis channel: with thinking off the prompt opens the final channel
 * (<|channel|>final<|message|>), with it on the analysis one, which <|end|> closes. */
enum {
    CHAT_FALLBACK,
    CHAT_CHATML,
    CHAT_LLAMA3,
    CHAT_DEEPSEEK,
    CHAT_GRANITE,
    CHAT_DEEPSEEK2,
    CHAT_INST,
    CHAT_PHI3,
    CHAT_GEMMA,
    CHAT_EXAONE4,
    CHAT_GLM4,
    CHAT_HARMONY,
    CHAT_ERNIE,
    CHAT_HUNYUAN
};

/* gpt-oss's harmony vocabulary: channels, and replies ended by <|return|>. */
static int is_harmony(llmbo_tokenizer *tok)
{
    return llmbo_tokenizer_find(tok, "<|channel|>") >= 0 &&
           llmbo_tokenizer_find(tok, "<|return|>") >= 0 &&
           llmbo_tokenizer_find(tok, "<|start|>") >= 0 &&
           llmbo_tokenizer_find(tok, "<|message|>") >= 0;
}

/* Length of s without its leading and trailing ASCII whitespace (llama.cpp's trim), the start in
 * *start. */
static int trimmed(const char *s, const char **start)
{
    const char *end = s + strlen(s);
    while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
        s++;
    while (end > s && (end[-1] == ' ' || (end[-1] >= '\t' && end[-1] <= '\r')))
        end--;
    *start = s;
    return (int)(end - s);
}

/* Gemma's turns as llama.cpp renders them (LLM_CHAT_TEMPLATE_GEMMA): no system role (its text
 * opens the next user turn, then a blank line), the assistant is "model", contents trimmed. */
static void chat_gemma(llmbo_strbuf *t, const char *const *roles, const char *const *contents,
                       int n)
{
    llmbo_strbuf sys = LLMBO_STRBUF_INIT;
    for (int i = 0; i < n; i++) {
        const char *c;
        int len = trimmed(contents[i], &c);
        if (!strcmp(roles[i], "system")) {
            llmbo_strbuf_printf(&sys, "%.*s", len, c);
            continue;
        }
        int model = !strcmp(roles[i], "assistant");
        llmbo_strbuf_printf(t, "<start_of_turn>%s\n", model ? "model" : roles[i]);
        if (sys.s && sys.s[0] && !model) {
            llmbo_strbuf_printf(t, "%s\n\n", sys.s);
            sys.s[0] = 0;
        }
        llmbo_strbuf_printf(t, "%.*s<end_of_turn>\n", len, c);
    }
    llmbo_strbuf_free(&sys);
}

/* The plain-text turns of DeepSeek-V2 and ERNIE 4.5: a system text, then "User: {user}" each
 * followed by sep, and "Assistant: {assistant}" followed by the end-of-sentence marker eos. */
static void user_assistant_turn(llmbo_strbuf *t, const char *role, const char *content,
                                const char *sep, const char *eos)
{
    if (!strcmp(role, "system"))
        llmbo_strbuf_printf(t, "%s%s", content, sep);
    else if (!strcmp(role, "assistant"))
        llmbo_strbuf_printf(t, "Assistant: %s%s", content, eos);
    else
        llmbo_strbuf_printf(t, "User: %s%s", content, sep);
}

/* Hunyuan dense's markers, and its turns as llama.cpp renders them
 * (LLM_CHAT_TEMPLATE_HUNYUAN_DENSE). */
#define HY_USER       "<\uFF5Chy_User\uFF5C>"
#define HY_ASSISTANT  "<\uFF5Chy_Assistant\uFF5C>"
#define HY_END        "<\uFF5Chy_place\u2581holder\u2581no\u25812\uFF5C>"
#define HY_SYSTEM_END "<\uFF5Chy_place\u2581holder\u2581no\u25813\uFF5C>"

static void chat_hunyuan(llmbo_strbuf *t, const char *const *roles, const char *const *contents,
                         int n)
{
    for (int i = 0; i < n; i++) {
        if (i == 0 && !strcmp(roles[i], "system"))
            llmbo_strbuf_printf(t, "%s" HY_SYSTEM_END, contents[i]);
        else if (!strcmp(roles[i], "assistant"))
            llmbo_strbuf_printf(t, HY_ASSISTANT "%s" HY_END, contents[i]);
        else if (!strcmp(roles[i], "user"))
            llmbo_strbuf_printf(t, HY_USER "%s" HY_ASSISTANT, contents[i]);
    }
}

/* The [INST] layout as llama.cpp renders Llama 2 and Mistral v0.1/v0.2 (Mixtral) templates
 * (llama-chat.cpp, the llama2 family): [INST] {system}\n{user} [/INST]{assistant}</s>[INST] ...,
 * the system text in a <<SYS>> block when the file's template has one (sys_block), later turns
 * opened with <s>[INST] when it adds the BOS inside the history (bos_inside). */
static void chat_inst(llmbo_strbuf *t, int sys_block, int bos_inside, const char *const *roles,
                      const char *const *contents, int n)
{
    int inside = 1;
    llmbo_strbuf_puts(t, "[INST] ");
    for (int i = 0; i < n; i++) {
        if (!inside)
            llmbo_strbuf_puts(t, bos_inside ? "<s>[INST] " : "[INST] ");
        inside = 1;
        if (!strcmp(roles[i], "system")) {
            llmbo_strbuf_printf(t, sys_block ? "<<SYS>>\n%s\n<</SYS>>\n\n" : "%s\n", contents[i]);
        } else if (!strcmp(roles[i], "assistant")) {
            llmbo_strbuf_printf(t, "%s</s>", contents[i]);
            inside = 0;
        } else {
            llmbo_strbuf_printf(t, "%s [/INST]", contents[i]);
        }
    }
}

/* Mistral's [INST] layouts as the models' templates render them (llama.cpp names them in
 * llama-chat.cpp): v7 [SYSTEM_PROMPT]{system}[/SYSTEM_PROMPT][INST]{user}[/INST]{assistant}</s>
 * (Mistral Small 3, Magistral, Devstral; a space after each marker with a SentencePiece vocabulary,
 * none with Tekken), v1 / v3 / v3-Tekken [INST]{system}\n\n{user}[/INST]{assistant}</s>[INST]...
 * (v1: a space before [INST] and [/INST]; v1 and v3: a space after [INST] and before the
 * assistant, whose text v3 trims; v3-Tekken: Mistral Nemo, no spaces). */
enum { MISTRAL_V7 = 1, MISTRAL_V1, MISTRAL_V3, MISTRAL_V3_TEKKEN };

static void chat_mistral(llmbo_strbuf *t, int variant, int spm, const char *const *roles,
                         const char *const *contents, int n)
{
    if (variant == MISTRAL_V7) {
        const char *sp = spm ? " " : "";
        for (int i = 0; i < n; i++) {
            if (!strcmp(roles[i], "system"))
                llmbo_strbuf_printf(t, "[SYSTEM_PROMPT]%s%s[/SYSTEM_PROMPT]", sp, contents[i]);
            else if (!strcmp(roles[i], "assistant"))
                llmbo_strbuf_printf(t, "%s%s</s>", sp, contents[i]);
            else
                llmbo_strbuf_printf(t, "[INST]%s%s[/INST]", sp, contents[i]);
        }
        return;
    }
    const char *lead = variant == MISTRAL_V1 ? " " : "",
               *trail = variant == MISTRAL_V3_TEKKEN ? "" : " ";
    int inside = 0;
    for (int i = 0; i < n; i++) {
        if (!inside)
            llmbo_strbuf_printf(t, "%s[INST]%s", lead, trail);
        inside = 1;
        const char *c = contents[i];
        if (!strcmp(roles[i], "system")) {
            llmbo_strbuf_printf(t, "%s\n\n", c);
        } else if (!strcmp(roles[i], "assistant")) {
            int len = variant == MISTRAL_V3 ? trimmed(contents[i], &c) : (int)strlen(c);
            llmbo_strbuf_printf(t, "%s%.*s</s>", trail, len, c);
            inside = 0;
        } else {
            llmbo_strbuf_printf(t, "%s%s[/INST]", c, lead);
        }
    }
}

/* 1 if the file's chat template (tokenizer.chat_template) contains text. */
static int template_has(const llmbo_engine *eng, const char *text)
{
    const llmbo_gguf_kv *kv = llmbo_gguf_find_kv(llmbo_engine_gguf(eng), "tokenizer.chat_template");
    return kv && kv->type == LLMBO_GGUF_STRING && llmbo_gguf_str_has(kv->s, text, 0);
}

/* The Mistral layout of the file's template as llama.cpp detects it (llm_chat_detect_template),
 * or 0 for the Llama 2 family. */
static int mistral_variant(const llmbo_engine *eng)
{
    if (!template_has(eng, "[INST]"))
        return 0;
    if (template_has(eng, "[SYSTEM_PROMPT]"))
        return MISTRAL_V7;
    if (!template_has(eng, "' [INST] ' + system_message") &&
        !template_has(eng, "[AVAILABLE_TOOLS]"))
        return 0;
    return template_has(eng, " [INST]")      ? MISTRAL_V1
           : template_has(eng, "\"[INST]\"") ? MISTRAL_V3_TEKKEN
                                             : MISTRAL_V3;
}

static void chat_turn(llmbo_strbuf *t, int kind, const char *role, const char *content)
{
    switch (kind) {
    case CHAT_DEEPSEEK:
        if (!strcmp(role, "user"))
            llmbo_strbuf_puts(t, "<\uFF5CUser\uFF5C>");
        else if (!strcmp(role, "assistant"))
            llmbo_strbuf_puts(t, "<\uFF5CAssistant\uFF5C>");
        llmbo_strbuf_puts(t, content);
        if (!strcmp(role, "assistant"))
            llmbo_strbuf_puts(t, "<\uFF5Cend\u2581of\u2581sentence\uFF5C>");
        return;
    case CHAT_LLAMA3:
        llmbo_strbuf_printf(t, "<|start_header_id|>%s<|end_header_id|>\n\n%s<|eot_id|>", role,
                            content);
        return;
    case CHAT_CHATML:
        llmbo_strbuf_printf(t, "<|im_start|>%s\n%s<|im_end|>\n", role, content);
        return;
    case CHAT_DEEPSEEK2:
        user_assistant_turn(t, role, content, "\n\n", "<\uFF5Cend\u2581of\u2581sentence\uFF5C>");
        return;
    case CHAT_GRANITE:
        llmbo_strbuf_printf(t, "<|start_of_role|>%s<|end_of_role|>%s<|end_of_text|>\n", role,
                            content);
        return;
    case CHAT_PHI3:
        llmbo_strbuf_printf(t, "<|%s|>\n%s<|end|>\n", role, content);
        return;
    case CHAT_GLM4:
        llmbo_strbuf_printf(t, "<|%s|>\n%s", role, content);
        return;
    case CHAT_HARMONY:
        llmbo_strbuf_printf(t, "<|start|>%s<|message|>%s%s", role, content,
                            strcmp(role, "assistant") ? "<|end|>" : "<|return|>");
        return;
    case CHAT_ERNIE:
        user_assistant_turn(t, role, content, "\n", "<|end_of_sentence|>");
        return;
    case CHAT_EXAONE4: {
        const char *c;
        int len = trimmed(content, &c);
        llmbo_strbuf_printf(t, "[|%s|]%.*s%s", role, len, c,
                            strcmp(role, "user") ? "[|endofturn|]\n" : "\n");
        return;
    }
    default:
        llmbo_strbuf_printf(t, "<|%s|>\n%s\n", role, content);
        return;
    }
}

llmbo_status llmbo_chat_format(const llmbo_engine *eng, const char *const *roles,
                               const char *const *contents, int n, int think, char **out,
                               llmbo_error *err)
{
    llmbo_tokenizer *tok = llmbo_engine_tokenizer((llmbo_engine *)eng);
    const llmbo_hparams *hp = llmbo_engine_hparams(eng);
    /* A template written in ChatML wins over the vocabulary (llama.cpp tests <|im_start|> first):
     * SmolLM3 keeps Llama 3's header tokens but chats in ChatML. */
    int kind =
        llmbo_tokenizer_find(tok, "<|im_start|>") >= 0 && template_has(eng, "<|im_start|>")
            ? CHAT_CHATML
        : is_harmony(tok)                                                           ? CHAT_HARMONY
        : llmbo_tokenizer_find(tok, "<\uFF5CUser\uFF5C>") >= 0                      ? CHAT_DEEPSEEK
        : llmbo_tokenizer_find(tok, "<|start_header_id|>") >= 0                     ? CHAT_LLAMA3
        : llmbo_tokenizer_find(tok, "<|start_of_role|>") >= 0                       ? CHAT_GRANITE
        : llmbo_tokenizer_find(tok, "<\uFF5Cend\u2581of\u2581sentence\uFF5C>") >= 0 ? CHAT_DEEPSEEK2
        : llmbo_tokenizer_find(tok, "<start_of_turn>") >= 0                         ? CHAT_GEMMA
        : llmbo_tokenizer_find(tok, "[|endofturn|]") >= 0                           ? CHAT_EXAONE4
        : llmbo_tokenizer_find(tok, HY_ASSISTANT) >= 0 &&
                llmbo_tokenizer_find(tok, HY_SYSTEM_END) >= 0
            ? CHAT_HUNYUAN
        : llmbo_tokenizer_find(tok, "<|begin_of_sentence|>") >= 0 &&
                llmbo_tokenizer_find(tok, "<|end_of_sentence|>") >= 0
            ? CHAT_ERNIE
        : llmbo_tokenizer_find(tok, "[gMASK]") >= 0 && template_has(eng, "[gMASK]<sop>") ? CHAT_GLM4
        : llmbo_tokenizer_find(tok, "<|im_start|>") >= 0 ? CHAT_CHATML
        : llmbo_tokenizer_find(tok, "<|end|>") >= 0 &&
                llmbo_tokenizer_find(tok, "<|assistant|>") >= 0
            ? CHAT_PHI3
        : !strcmp(llmbo_tokenizer_pre(tok), "sentencepiece") ||
                llmbo_tokenizer_find(tok, "[INST]") >= 0
            ? CHAT_INST
            : CHAT_FALLBACK;
    int think_block = hp->arch->think_block || kind == CHAT_DEEPSEEK;
    llmbo_strbuf t = LLMBO_STRBUF_INIT;
    if (kind == CHAT_GLM4)
        llmbo_strbuf_puts(&t, "[gMASK]<sop>");
    if (kind == CHAT_ERNIE)
        llmbo_strbuf_puts(&t, "<|begin_of_sentence|>");
    int mistral = kind == CHAT_INST ? mistral_variant(eng) : 0;
    if (mistral)
        chat_mistral(&t, mistral, !strcmp(llmbo_tokenizer_pre(tok), "sentencepiece"), roles,
                     contents, n);
    else if (kind == CHAT_INST)
        chat_inst(&t, template_has(eng, "<<SYS>>"), template_has(eng, "bos_token + '[INST]"), roles,
                  contents, n);
    if (kind == CHAT_GEMMA)
        chat_gemma(&t, roles, contents, n);
    if (kind == CHAT_HUNYUAN)
        chat_hunyuan(&t, roles, contents, n);
    for (int i = 0; i < n && kind != CHAT_INST && kind != CHAT_GEMMA && kind != CHAT_HUNYUAN; i++)
        chat_turn(&t, kind, roles[i], contents[i]);
    static const char *const open[] = {"<|assistant|>\n",
                                       "<|im_start|>assistant\n",
                                       "<|start_header_id|>assistant<|end_header_id|>\n\n",
                                       "<\uFF5CAssistant\uFF5C>",
                                       "<|start_of_role|>assistant<|end_of_role|>",
                                       "Assistant:",
                                       "",
                                       "<|assistant|>\n",
                                       "<start_of_turn>model\n",
                                       "[|assistant|]",
                                       "<|assistant|>\n",
                                       "<|start|>assistant",
                                       "Assistant: ",
                                       ""};
    llmbo_strbuf_puts(&t, open[kind]);
    if (kind == CHAT_HARMONY)
        llmbo_strbuf_puts(&t,
                          think ? "<|channel|>analysis<|message|>" : "<|channel|>final<|message|>");
    else if (think_block || think)
        llmbo_strbuf_puts(&t, think ? "<think>\n" : "<think>\n\n</think>\n\n");
    if (t.oom || !t.s) {
        llmbo_strbuf_free(&t);
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory for the prompt");
    }
    *out = t.s;
    return LLMBO_OK;
}

/* ----------------------------------------------------------------------------------------------
 * The loop
 * -------------------------------------------------------------------------------------------- */

typedef struct gen {
    llmbo_engine *eng;
    llmbo_tokenizer *tok;
    int32_t *seq; /* (n_ctx) */
    int n, n_ctx, n_vocab;
    const float *logits;
    llmbo_gen_result *r;
    llmbo_error *err;
} gen;

static llmbo_status step_eval(gen *g)
{
    llmbo_status st = llmbo_engine_eval(g->eng, g->seq, g->n, &g->logits, g->err);
    if (!st)
        g->r->n_evals++;
    return st;
}

/* Appends tokens of s (specials parsed) without sampling. */
static llmbo_status append_forced(gen *g, const char *s, size_t len, int32_t **tmp, int *cap)
{
    int n = 0;
    llmbo_status st = llmbo_tokenizer_encode(g->tok, s, len, 1, tmp, &n, cap, g->err);
    if (st)
        return st;
    if (g->n + n > g->n_ctx)
        return llmbo_error_set(g->err, LLMBO_ERR_INVALID,
                               "the answer does not fit the context of %d tokens", g->n_ctx);
    memcpy(g->seq + g->n, *tmp, (size_t)n * sizeof(int32_t));
    g->n += n;
    g->r->n_forced += n;
    return step_eval(g);
}

/* Marks the tokens whose whole text the automaton accepts from state s. */
static int build_mask(const gen *g, const llmbo_cons *c, const llmbo_cons_state *s, uint8_t *mask)
{
    uint8_t first[256];
    for (int b = 0; b < 256; b++) {
        llmbo_cons_state t = *s;
        first[b] = (uint8_t)llmbo_cons_accept(c, &t, (char)b);
    }
    int n = 0;
    for (int id = 0; id < g->n_vocab; id++) {
        size_t len;
        const char *p = llmbo_tokenizer_piece(g->tok, id, &len);
        mask[id] = 0;
        if (!len || llmbo_tokenizer_is_special(g->tok, id) || !first[(unsigned char)p[0]])
            continue;
        llmbo_cons_state t = *s;
        if (llmbo_cons_accept_str(c, &t, p, len)) {
            mask[id] = 1;
            n++;
        }
    }
    return n;
}

llmbo_status llmbo_generate(llmbo_engine *eng, const int32_t *prompt, int n_prompt,
                            const llmbo_gen_options *opt_in, llmbo_gen_result *r, llmbo_error *err)
{
    llmbo_gen_options opt;
    llmbo_gen_options_default(&opt);
    if (opt_in)
        opt = *opt_in;
    if (opt.max_tokens <= 0)
        opt.max_tokens = 256;
    memset(r, 0, sizeof *r);
    gen g = {eng,
             llmbo_engine_tokenizer(eng),
             NULL,
             0,
             llmbo_engine_n_ctx(eng),
             llmbo_engine_hparams(eng)->n_vocab,
             NULL,
             r,
             err};
    if (n_prompt < 1 || n_prompt >= g.n_ctx)
        return llmbo_error_set(err, LLMBO_ERR_INVALID,
                               "prompt of %d tokens does not fit the context of %d", n_prompt,
                               g.n_ctx);
    g.seq = llmbo_malloc((size_t)g.n_ctx, sizeof(int32_t));
    cand *c = llmbo_malloc((size_t)g.n_vocab, sizeof *c);
    double *p = llmbo_malloc((size_t)g.n_vocab, sizeof *p);
    uint8_t *mask = opt.format ? llmbo_malloc((size_t)g.n_vocab, 1) : NULL;
    int32_t *tmp = NULL;
    int tmp_cap = 0;
    llmbo_strbuf answer = LLMBO_STRBUF_INIT, reasoning = LLMBO_STRBUF_INIT;
    llmbo_status st = LLMBO_OK;
    if (!g.seq || !c || !p || (opt.format && !mask)) {
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory for generation");
        goto done;
    }
    memcpy(g.seq, prompt, (size_t)n_prompt * sizeof(int32_t));
    g.n = n_prompt;
    r->n_prompt = n_prompt;
    if ((st = step_eval(&g)))
        goto done;
    r->n_processed = llmbo_engine_last_processed(eng);
    if (opt.first_logits)
        memcpy(opt.first_logits, g.logits, (size_t)g.n_vocab * sizeof(float));

    uint64_t rng = opt.seed;
    int thinking = opt.think_budget >= 0, sampled = 0;
    /* How reasoning ends: </think> (forced as "\n</think>\n\n"), or for gpt-oss <|end|> after the
     * analysis channel, followed (forced, either way) by the final channel's header. */
    int harmony = is_harmony(g.tok);
    const char *close = harmony ? "<|end|>" : "</think>";
    const char *forced_close =
        harmony ? "<|end|><|start|>assistant<|channel|>final<|message|>" : "\n</think>\n\n";
    const char *after_close = harmony ? "<|start|>assistant<|channel|>final<|message|>" : "";
    int end_msg = harmony ? llmbo_tokenizer_find(g.tok, "<|end|>") : -1;
    llmbo_cons_state cs;
    if (opt.format)
        llmbo_cons_start(opt.format, &cs);
    for (;;) {
        if (!thinking && opt.format) {
            if (llmbo_cons_done(opt.format, &cs))
                break;
            size_t flen;
            const char *f = llmbo_cons_forced(opt.format, &cs, &flen);
            /* A literal's trailing space is left to the model: BPE pre-tokenizers glue a space to
             * the sign or quote after it (" -", " \""), so a forced lone " " would make a value
             * start with a token the model never saw there (no negative numbers at all). */
            if (flen && f[flen - 1] == ' ')
                flen--;
            if (flen) {
                if (text_add(&answer, f, flen)) {
                    st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
                    goto done;
                }
                llmbo_cons_accept_str(opt.format, &cs, f, flen);
                if ((st = append_forced(&g, f, flen, &tmp, &tmp_cap)))
                    goto done;
                continue;
            }
            if (build_mask(&g, opt.format, &cs, mask) == 0) {
                st = llmbo_error_set(err, LLMBO_ERR_STATE,
                                     "constrained decoding: no token continues '%s'",
                                     answer.s ? answer.s : "");
                goto done;
            }
        } else if (sampled >= opt.max_tokens) {
            r->hit_limit = 1;
            if (!thinking)
                break;
        }
        if (g.n >= g.n_ctx) {
            r->hit_limit = 1;
            if (opt.format && !thinking)
                st = llmbo_error_set(err, LLMBO_ERR_INVALID,
                                     "the answer does not fit the context of %d tokens", g.n_ctx);
            break;
        }
        int id;
        if (thinking && (sampled >= opt.max_tokens || r->n_reasoning >= opt.think_budget)) {
            /* Reasoning budget spent: close the think block ourselves. */
            thinking = 0;
            if ((st = append_forced(&g, forced_close, strlen(forced_close), &tmp, &tmp_cap)))
                goto done;
            continue;
        }
        id = sample(g.logits, g.n_vocab, !thinking && opt.format ? mask : NULL, &opt, &rng, c, p);
        if (id < 0) {
            st = llmbo_error_set(err, LLMBO_ERR_NUMERIC, "no finite logit to sample from");
            goto done;
        }
        if (llmbo_tokenizer_is_eog(g.tok, id) && !(opt.format && !thinking))
            break;
        if (id == end_msg && !thinking) /* gpt-oss: the final message's end */
            break;
        size_t len;
        const char *piece = llmbo_tokenizer_piece(g.tok, id, &len);
        g.seq[g.n++] = id;
        sampled++;
        r->n_sampled++;
        if (thinking) {
            r->n_reasoning++;
            if (text_add(&reasoning, piece, len)) {
                st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
                goto done;
            }
            if (ends_with(&reasoning, close)) {
                reasoning.len -= strlen(close);
                reasoning.s[reasoning.len] = 0;
                thinking = 0;
                if (*after_close) { /* evaluated with <|end|> in one pass */
                    if ((st = append_forced(&g, after_close, strlen(after_close), &tmp, &tmp_cap)))
                        goto done;
                    continue;
                }
            }
        } else {
            if (text_add(&answer, piece, len)) {
                st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
                goto done;
            }
            if (opt.format) {
                llmbo_cons_accept_str(opt.format, &cs, piece, len);
            } else {
                int stop = 0;
                for (int k = 0; k < opt.n_stop && !stop; k++) {
                    const char *hit = opt.stop[k][0] ? strstr(answer.s, opt.stop[k]) : NULL;
                    if (hit) {
                        answer.len = (size_t)(hit - answer.s);
                        answer.s[answer.len] = 0;
                        stop = 1;
                    }
                }
                if (stop)
                    break;
            }
        }
        if (opt.format && !thinking && llmbo_cons_done(opt.format, &cs))
            break; /* the answer is complete: no need to evaluate its last token */
        if ((st = step_eval(&g)))
            goto done;
    }
done:
    if (!st) {
        r->text = answer.s ? answer.s : llmbo_strdup("");
        r->reasoning = reasoning.s;
        if (!r->text)
            st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    } else {
        llmbo_strbuf_free(&answer);
        llmbo_strbuf_free(&reasoning);
    }
    llmbo_free(g.seq);
    llmbo_free(c);
    llmbo_free(p);
    llmbo_free(mask);
    llmbo_free(tmp);
    return st;
}
