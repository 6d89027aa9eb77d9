/* test_generate.c: constrained decoding and sampling. (1) The answer automaton alone: random walks
 * over allowed bytes always end in JSON that cJSON parses and that satisfies the format (bounds,
 * whole numbers, choices, distinct ranking indices), and invalid text is refused. (2) The engine
 * with random weights, many seeds and temperatures: every constrained answer is valid JSON of the
 * format; forced literals are appended without sampling in batched passes. (3) Sampling is
 * reproducible by seed; stop strings cut the text; the reasoning budget is enforced. (4) A trained
 * model (the shipped one) writes negative numbers: a literal's trailing space is its to write. */
#include <cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "constrain.h"
#include "engine_util.h"
#include "generate.h"
#include "tokenizer.h"
#include "llmbo_common.h"

static uint64_t rs = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

/* The test format: 3 coordinates (negative-bounded continuous, integer, categorical). */
static const char *const names[3] = {"x\"1", "n", "kind"};
static const double lo[3] = {-2.5, 3, 0}, hi[3] = {0.75, 120, 2};
static const int integer[3] = {0, 1, 0}, n_choices[3] = {0, 0, 3};
static const char *const kinds[3] = {"linear", "rbf", "rbf-ard"};
static const char *const *const choices[3] = {NULL, NULL, kinds};

static void points_spec(llmbo_cons_spec *sp, int n_points)
{
    memset(sp, 0, sizeof *sp);
    sp->kind = LLMBO_CONS_POINTS;
    sp->n_points = n_points;
    sp->dim = 3;
    sp->names = names;
    sp->lo = lo;
    sp->hi = hi;
    sp->integer = integer;
    sp->n_choices = n_choices;
    sp->choices = choices;
}

/* Checks text against the format; returns 1 if valid, else prints why. */
static int valid_answer(const llmbo_cons_spec *sp, const char *text)
{
    cJSON *root = cJSON_Parse(text);
    int ok = root != NULL;
    if (!ok) {
        printf("    not JSON: %s\n", text);
        return 0;
    }
    if (sp->kind == LLMBO_CONS_POINTS) {
        const cJSON *pts = cJSON_GetObjectItemCaseSensitive(root, "points");
        ok = cJSON_IsArray(pts) && cJSON_GetArraySize(pts) == sp->n_points;
        for (int i = 0; ok && i < sp->n_points; i++) {
            const cJSON *pt = cJSON_GetArrayItem(pts, i);
            ok = cJSON_IsObject(pt) && cJSON_GetArraySize(pt) == sp->dim;
            for (int j = 0; ok && j < sp->dim; j++) {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(pt, sp->names[j]);
                if (sp->n_choices && sp->n_choices[j]) {
                    ok = cJSON_IsString(v);
                    int found = 0;
                    for (int k = 0; ok && k < sp->n_choices[j]; k++)
                        found |= strcmp(v->valuestring, sp->choices[j][k]) == 0;
                    ok = ok && found;
                } else {
                    ok = cJSON_IsNumber(v) && v->valuedouble >= sp->lo[j] &&
                         v->valuedouble <= sp->hi[j] &&
                         (!sp->integer || !sp->integer[j] ||
                          v->valuedouble == floor(v->valuedouble));
                }
            }
        }
    } else {
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(root, "ranking");
        ok = cJSON_IsArray(r) && cJSON_GetArraySize(r) == sp->n_choose;
        int seen[256] = {0};
        for (int i = 0; ok && i < sp->n_choose; i++) {
            const cJSON *v = cJSON_GetArrayItem(r, i);
            ok = cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) &&
                 v->valuedouble >= 0 && v->valuedouble < sp->n_rank && !seen[v->valueint]++;
        }
    }
    if (!ok)
        printf("    invalid answer: %s\n", text);
    cJSON_Delete(root);
    return ok;
}

/* Random walks over single bytes: every completed walk is a valid answer. */
static void automaton_walks(const llmbo_cons_spec *sp, const char *label, int walks)
{
    llmbo_cons *c = NULL;
    llmbo_error err = {0};
    CHECK_OK(llmbo_cons_create(sp, &c, &err));
    if (!c)
        return;
    int good = 0, stuck = 0;
    char text[4096];
    for (int w = 0; w < walks; w++) {
        llmbo_cons_state s;
        llmbo_cons_start(c, &s);
        size_t n = 0;
        while (!llmbo_cons_done(c, &s) && n + 1 < sizeof text) {
            unsigned char allowed[256];
            int na = 0;
            for (int b = 1; b < 256; b++) {
                llmbo_cons_state t = s;
                if (llmbo_cons_accept(c, &t, (char)b))
                    allowed[na++] = (unsigned char)b;
            }
            if (!na) {
                stuck++;
                break;
            }
            char ch = (char)allowed[rnd() % (uint64_t)na];
            llmbo_cons_accept(c, &s, ch);
            text[n++] = ch;
        }
        text[n] = 0;
        good += llmbo_cons_done(c, &s) && valid_answer(sp, text);
    }
    CHECK(good == walks && stuck == 0, "%s: %d/%d random walks give valid answers (%d stuck)",
          label, good, walks, stuck);
    /* Refusals. */
    llmbo_cons_state s;
    llmbo_cons_start(c, &s);
    CHECK(!llmbo_cons_accept_str(c, &s, "{\"points\": [{\"x\\\"1\": 0.8", 24) &&
              !llmbo_cons_accept_str(c, &s, "{ ", 2),
          "%s: text leaving the format is refused", label);
    llmbo_cons_free(c);
}

static void automaton_tests(void)
{
    llmbo_cons_spec sp;
    points_spec(&sp, 2);
    automaton_walks(&sp, "points (negative, integer, categorical)", 400);
    llmbo_cons *c = NULL;
    llmbo_error err = {0};
    CHECK_OK(llmbo_cons_create(&sp, &c, &err));
    if (c) {
        llmbo_cons_state s;
        llmbo_cons_start(c, &s);
        const char *ok1 = "{\"points\": [{\"x\\\"1\": -2.5, \"n\": 120, \"kind\": \"rbf-ard\"}, ";
        CHECK(llmbo_cons_accept_str(c, &s, ok1, strlen(ok1)), "bounds themselves are accepted");
        llmbo_cons_state t = s;
        const char *bad[] = {"{\"x\\\"1\": 0.76",
                             "{\"x\\\"1\": -2.51",
                             "{\"x\\\"1\": 0.5, \"n\": 2,",
                             "{\"x\\\"1\": 0.5, \"n\": 12.5",
                             "{\"x\\\"1\": 0.5, \"n\": 121",
                             "{\"x\\\"1\": 0.5, \"n\": 5, \"kind\": \"poly\"",
                             "{\"x\\\"1\": 00",
                             "{\"x\\\"1\": -0,"};
        for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
            t = s;
            CHECK(!llmbo_cons_accept_str(c, &t, bad[k], strlen(bad[k])), "refused: %s", bad[k]);
        }
        size_t fl;
        const char *f = llmbo_cons_forced(c, &s, &fl);
        CHECK(fl == 9 && memcmp(f, "{\"x\\\"1\": ", fl) == 0,
              "after a point's separator the next key is forced (%.*s)", (int)fl, f);
        llmbo_cons_free(c);
    }
    memset(&sp, 0, sizeof sp);
    sp.kind = LLMBO_CONS_RANKING;
    sp.n_rank = 12;
    sp.n_choose = 12;
    automaton_walks(&sp, "ranking of all 12", 300);
    sp.n_choose = 4;
    automaton_walks(&sp, "ranking 4 of 12", 300);
    sp.n_rank = 0;
    CHECK(llmbo_cons_create(&sp, &c, &err) == LLMBO_ERR_INVALID, "bad ranking spec: %s", err.msg);
}

/* The engine with random weights under constraints. */
static void engine_constrained(const char *arch, const char *type)
{
    const char *path = eu_model(arch, type, "--merges 300");
    if (!path)
        return;
    llmbo_engine_options eo;
    llmbo_engine_options_default(&eo);
    eo.n_threads = 2;
    eo.n_ctx = 512;
    llmbo_engine *e = NULL;
    llmbo_error err = {0};
    CHECK_OK(llmbo_engine_open(path, &eo, &e, &err));
    if (!e)
        return;
    const char *roles[2] = {"system", "user"};
    const char *msgs[2] = {"You are an optimisation advisor.", "Propose points as JSON."};
    char *prompt = NULL;
    int32_t *ids = NULL;
    int n = 0;
    CHECK_OK(llmbo_chat_format(e, roles, msgs, 2, 0, &prompt, &err));
    CHECK_OK(llmbo_engine_tokenize(e, prompt, &ids, &n, &err));
    llmbo_cons_spec specs[2];
    points_spec(&specs[0], 2);
    memset(&specs[1], 0, sizeof specs[1]);
    specs[1].kind = LLMBO_CONS_RANKING;
    specs[1].n_rank = 10;
    specs[1].n_choose = 5;
    int valid = 0, total = 0, batched = 1;
    for (int k = 0; k < 2; k++) {
        llmbo_cons *c = NULL;
        if (llmbo_cons_create(&specs[k], &c, &err))
            continue;
        for (int trial = 0; trial < 6; trial++) {
            llmbo_gen_options go;
            llmbo_gen_options_default(&go);
            go.format = c;
            go.temperature = trial == 0 ? 0 : 0.5 * trial;
            go.top_k = trial % 2 ? 0 : 40;
            go.top_p = trial % 3 ? 1.0 : 0.9;
            go.seed = (uint64_t)trial * 7 + 1;
            llmbo_gen_result r;
            llmbo_status st = llmbo_generate(e, ids, n, &go, &r, &err);
            total++;
            if (st == LLMBO_OK && valid_answer(&specs[k], r.text))
                valid++;
            else if (st)
                printf("    generate failed: %s\n", err.msg);
            /* Forced literals are batched: fewer passes than tokens after the prompt. */
            if (st == LLMBO_OK && !(r.n_forced > 0 && r.n_evals < 1 + r.n_sampled + r.n_forced))
                batched = 0;
            if (trial == 0)
                printf("    %s %s answer: %s (%d sampled, %d forced, %d passes)\n", arch,
                       k ? "ranking" : "points", r.text, r.n_sampled, r.n_forced, r.n_evals);
            llmbo_gen_result_clear(&r);
        }
        llmbo_cons_free(c);
    }
    CHECK(valid == total, "%s %s: %d/%d constrained answers are valid JSON of the format", arch,
          type, valid, total);
    CHECK(batched, "%s: forced runs were appended without sampling in batched passes", arch);

    /* Free sampling: seed reproducibility, stop strings, reasoning budget. */
    llmbo_gen_options go;
    llmbo_gen_options_default(&go);
    go.temperature = 5.0; /* flat: random-weight models can be very peaked */
    go.top_k = 0;
    go.top_p = 1.0;
    go.max_tokens = 24;
    go.seed = 2385;
    llmbo_gen_result a, b, cc;
    CHECK_OK(llmbo_generate(e, ids, n, &go, &a, &err));
    CHECK_OK(llmbo_generate(e, ids, n, &go, &b, &err));
    go.seed = 2386;
    CHECK_OK(llmbo_generate(e, ids, n, &go, &cc, &err));
    CHECK(a.text && b.text && strcmp(a.text, b.text) == 0, "same seed, same text");
    CHECK(a.text && cc.text && strcmp(a.text, cc.text) != 0, "another seed, another text");
    CHECK(b.n_processed == 1, "a repeated prompt reuses the cache (%d processed)", b.n_processed);
    if (a.text && strlen(a.text) > 6) {
        char stop[4];
        memcpy(stop, a.text + 4, 3); /* a substring the seeded run is known to produce */
        stop[3] = 0;
        const char *stops[1] = {stop};
        go.seed = 2385;
        go.stop = stops;
        go.n_stop = 1;
        llmbo_gen_result s;
        CHECK_OK(llmbo_generate(e, ids, n, &go, &s, &err));
        CHECK(s.text && strstr(s.text, stop) == NULL &&
                  strncmp(s.text, a.text, strlen(s.text)) == 0 && strlen(s.text) <= 4,
              "stop string '%s' cuts the text before it ('%s')", stop, s.text ? s.text : "");
        llmbo_gen_result_clear(&s);
        go.stop = NULL;
        go.n_stop = 0;
    }
    go.think_budget = 5;
    go.max_tokens = 8;
    llmbo_cons *rk = NULL;
    CHECK_OK(llmbo_cons_create(&specs[1], &rk, &err));
    go.format = rk;
    llmbo_gen_result t;
    if (llmbo_generate(e, ids, n, &go, &t, &err) == LLMBO_OK) {
        CHECK(t.n_reasoning <= 5 && t.reasoning && valid_answer(&specs[1], t.text),
              "reasoning budget 5: %d reasoning tokens, then a valid answer %s", t.n_reasoning,
              t.text);
        llmbo_gen_result_clear(&t);
    } else {
        CHECK(0, "thinking generation failed: %s", err.msg);
    }
    llmbo_cons_free(rk);
    llmbo_gen_result_clear(&a);
    llmbo_gen_result_clear(&b);
    llmbo_gen_result_clear(&cc);
    llmbo_free(ids);
    llmbo_free(prompt);
    llmbo_engine_free(e);
}

/* The chat layout is ChatML when the vocabulary and the file's template both have <|im_start|>
 * (SmolLM3), else it follows the vocabulary's special tokens: DeepSeek's <｜User｜>/<｜Assistant｜>
 * (with the empty think block of the R1 models), Llama 3's headers, ChatML, Granite 3.x's roles,
 * DeepSeek-V2's User: / Assistant: turns, Phi-3's <|role|> ... <|end|>; a SentencePiece vocabulary
 * (Llama 2, Mistral, Mixtral) gets [INST] turns as llama.cpp renders them (llama-chat.cpp's llama2
 * family: a <<SYS>> block and a BOS inside the history when the file's template has them), and a
 * template in Mistral's newer formats its layout (v7 with [SYSTEM_PROMPT], v3-Tekken); EXAONE 4's
 * [|role|] turns, GLM-4's [gMASK]<sop><|role|>\n turns, gpt-oss's harmony messages, ERNIE 4.5's
 * User: / Assistant: turns after <|begin_of_sentence|>, Hunyuan's <｜hy_User｜>/<｜hy_Assistant｜>
 * turns. */
static void chat_layouts(void)
{
    static const struct {
        const char *family, *want;
    } cases[] = {
        {"deepseek", "Be brief.<\uFF5CUser\uFF5C>Hi<\uFF5CAssistant\uFF5C>Hello"
                     "<\uFF5Cend\u2581of\u2581sentence\uFF5C><\uFF5CUser\uFF5C>Go"
                     "<\uFF5CAssistant\uFF5C><think>\n\n</think>\n\n"},
        {"llama3", "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                   "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                   "<|start_header_id|>assistant<|end_header_id|>\n\nHello<|eot_id|>"
                   "<|start_header_id|>user<|end_header_id|>\n\nGo<|eot_id|>"
                   "<|start_header_id|>assistant<|end_header_id|>\n\n"},
        {"chatml", "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                   "<|im_start|>assistant\nHello<|im_end|>\n<|im_start|>user\nGo<|im_end|>\n"
                   "<|im_start|>assistant\n"},
        /* llama.cpp's granite 3.x layout (llama-chat.cpp, LLM_CHAT_TEMPLATE_GRANITE_3_X) */
        {"granite", "<|start_of_role|>system<|end_of_role|>Be brief.<|end_of_text|>\n"
                    "<|start_of_role|>user<|end_of_role|>Hi<|end_of_text|>\n"
                    "<|start_of_role|>assistant<|end_of_role|>Hello<|end_of_text|>\n"
                    "<|start_of_role|>user<|end_of_role|>Go<|end_of_text|>\n"
                    "<|start_of_role|>assistant<|end_of_role|>"},
        /* llama.cpp's LLM_CHAT_TEMPLATE_DEEPSEEK_2 */
        {"deepseek2",
         "Be brief.\n\nUser: Hi\n\nAssistant: Hello<\uFF5Cend\u2581of\u2581sentence\uFF5C>"
         "User: Go\n\nAssistant:"},
        /* llama.cpp's LLM_CHAT_TEMPLATE_LLAMA_2 (Mixtral-Instruct's template), _SYS, _SYS_BOS */
        {"spm", "[INST] Be brief.\nHi [/INST]Hello</s>[INST] Go [/INST]"},
        {"spm-sys", "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST]Hello</s>[INST] Go [/INST]"},
        {"spm-bos",
         "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST]Hello</s><s>[INST] Go [/INST]"},
        /* llama.cpp's LLM_CHAT_TEMPLATE_PHI_3 */
        {"phi3", "<|system|>\nBe brief.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\nHello<|end|>\n"
                 "<|user|>\nGo<|end|>\n<|assistant|>\n"},
        /* Llama 3's header tokens and ChatML's, a ChatML template (SmolLM3): ChatML */
        {"smollm3", "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                    "<|im_start|>assistant\nHello<|im_end|>\n<|im_start|>user\nGo<|im_end|>\n"
                    "<|im_start|>assistant\n"},
        /* Mistral v7 with a Tekken vocabulary (Mistral Small 3): no spaces after the markers */
        {"mistral-v7", "[SYSTEM_PROMPT]Be brief.[/SYSTEM_PROMPT][INST]Hi[/INST]Hello</s>"
                       "[INST]Go[/INST]"},
        /* llama.cpp's LLM_CHAT_TEMPLATE_MISTRAL_V3_TEKKEN (Mistral Nemo) */
        {"mistral-v3t", "[INST]Be brief.\n\nHi[/INST]Hello</s>[INST]Go[/INST]"},
        /* llama.cpp's LLM_CHAT_TEMPLATE_EXAONE_4 */
        {"exaone", "[|system|]Be brief.[|endofturn|]\n[|user|]Hi\n[|assistant|]Hello[|endofturn|]\n"
                   "[|user|]Go\n[|assistant|]"},
        /* llama.cpp's LLM_CHAT_TEMPLATE_CHATGLM_4 */
        {"glm4", "[gMASK]<sop><|system|>\nBe brief.<|user|>\nHi<|assistant|>\nHello<|user|>\nGo"
                 "<|assistant|>\n"},
        /* llama.cpp's LLM_CHAT_TEMPLATE_GEMMA */
        {"gemma", "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\nHello"
                  "<end_of_turn>\n<start_of_turn>user\nGo<end_of_turn>\n<start_of_turn>model\n"},
        /* llama.cpp's LLM_CHAT_TEMPLATE_OPENAI_MOE (gpt-oss), opening the final channel (no
         * reasoning) */
        {"harmony", "<|start|>system<|message|>Be brief.<|end|><|start|>user<|message|>Hi<|end|>"
                    "<|start|>assistant<|message|>Hello<|return|><|start|>user<|message|>Go<|end|>"
                    "<|start|>assistant<|channel|>final<|message|>"},
        /* ERNIE 4.5's own template (ERNIE-4.5-0.3B-PT's tokenizer_config.json) */
        {"ernie", "<|begin_of_sentence|>Be brief.\nUser: Hi\nAssistant: Hello<|end_of_sentence|>"
                  "User: Go\nAssistant: "},
        /* llama.cpp's LLM_CHAT_TEMPLATE_HUNYUAN_DENSE (its doubled <｜hy_Assistant｜> included) */
        {"hunyuan", "Be brief.<\uFF5Chy_place\u2581holder\u2581no\u25813\uFF5C>"
                    "<\uFF5Chy_User\uFF5C>Hi<\uFF5Chy_Assistant\uFF5C><\uFF5Chy_Assistant\uFF5C>"
                    "Hello<\uFF5Chy_place\u2581holder\u2581no\u25812\uFF5C><\uFF5Chy_User\uFF5C>Go"
                    "<\uFF5Chy_Assistant\uFF5C>"},
    };
    char spm[600], cmd[1400];
    snprintf(spm, sizeof spm, "%s/chat_spm.model", eu_tmpdir());
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/spm_reference.py' train '%s'", eu_python(), eu_src(),
             spm);
    CHECK(system(cmd) == 0, "a SentencePiece model trained");
    const char *roles[4] = {"system", "user", "assistant", "user"};
    const char *msgs[4] = {"Be brief.", "Hi", "Hello", "Go"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char extra[1024];
        static const char *const tmpl[] = {"{{ bos_token }}[INST] {{ content }} [/INST]",
                                           "<<SYS>>\\n{{ system }}\\n<</SYS>>\\n\\n",
                                           "<<SYS>>{{ bos_token + '\\''[INST] '\\'' }}"};
        if (i >= 5 && i <= 7)
            snprintf(extra, sizeof extra, "--spm-model '%s' --set 'tokenizer.chat_template=str:%s'",
                     spm, tmpl[i - 5]);
        else if (!strncmp(cases[i].family, "mistral", 7))
            snprintf(extra, sizeof extra,
                     "--chat-tokens mistral --merges 50 --set 'tokenizer.chat_template=str:%s'",
                     strcmp(cases[i].family, "mistral-v7")
                         ? "[AVAILABLE_TOOLS]{{- \"[INST]\" + m.content + \"[/INST]\" }}"
                         : "[SYSTEM_PROMPT]{{- \"[INST]\" + m.content + \"[/INST]\" }}");
        else if (!strcmp(cases[i].family, "glm4"))
            snprintf(extra, sizeof extra,
                     "--chat-tokens glm4 --merges 50 --set 'tokenizer.chat_template=str:"
                     "[gMASK]<sop>{%%- for m in messages %%}<|{{ m.role }}|>{%%- endfor %%}'");
        else if (!strcmp(cases[i].family, "smollm3"))
            snprintf(extra, sizeof extra,
                     "--chat-tokens smollm3 --merges 50 --set 'tokenizer.chat_template=str:"
                     "{%%- for m in messages %%}<|im_start|>{{ m.role }}{%%- endfor %%}'");
        else
            snprintf(extra, sizeof extra, "--chat-tokens %s --merges 50", cases[i].family);
        const char *path = eu_model(i == 1   ? "llama"
                                    : i == 3 ? "granitemoe"
                                             : "qwen2",
                                    "f32", extra);
        llmbo_engine *e = NULL;
        llmbo_error err = {0};
        CHECK(path && llmbo_engine_open(path, NULL, &e, &err) == LLMBO_OK, "%s model: %s",
              cases[i].family, err.msg);
        if (!e)
            continue;
        char *prompt = NULL;
        CHECK_OK(llmbo_chat_format(e, roles, msgs, 4, 0, &prompt, &err));
        CHECK(prompt && strcmp(prompt, cases[i].want) == 0, "%s layout: [%s]", cases[i].family,
              prompt ? prompt : "");
        if (!strcmp(cases[i].family, "exaone") || !strcmp(cases[i].family, "gemma")) {
            /* these layouts trim each content (llama.cpp's trim) */
            const char *padded[4] = {"  Be brief.\n", "\tHi ", "Hello\r\n", " Go"};
            char *p2 = NULL;
            CHECK_OK(llmbo_chat_format(e, roles, padded, 4, 0, &p2, &err));
            CHECK(p2 && strcmp(p2, cases[i].want) == 0, "%s trims the contents: [%s]",
                  cases[i].family, p2 ? p2 : "");
            llmbo_free(p2);
        }
        /* Every marker is one special token. */
        int32_t *ids = NULL;
        int n = 0, specials = 0;
        CHECK_OK(llmbo_engine_tokenize(e, prompt, &ids, &n, &err));
        for (int k = 0; k < n; k++)
            specials += llmbo_tokenizer_is_special(llmbo_engine_tokenizer(e), ids[k]);
        int want = i == 0             ? 7
                   : i == 1 || i == 3 ? 14
                   : i == 4           ? 1
                   : i == 7           ? 3
                   : i == 5 || i == 6 ? 2
                   : i == 10          ? 7
                   : i == 11          ? 5
                   : i == 12          ? 7
                   : i == 13          ? 7
                   : i == 14          ? 7
                   : i == 15          ? 15
                   : i == 16          ? 2
                   : i == 17          ? 7
                                      : 9;
        CHECK(specials == want, "%s: %d special tokens in the prompt (want %d)", cases[i].family,
              specials, want);
        llmbo_free(ids);
        llmbo_free(prompt);
        llmbo_engine_free(e);
    }
}

/* The shipped model (data/models/llmbo-advisor-mini.gguf) learnt its answers as the Qwen2
 * pre-tokenizer cuts them: '": ' before a negative number is '":' then ' -' (space and sign in one
 * piece), before a positive one '":' then ' '. Forcing a literal's trailing space as a lone ' '
 * token left a model a '-' it had never seen there (round 3: 0 negative values of 40). It answers
 * with its templates (distill/templates-scale/, "answer": "anchored"): each point names its origin,
 * "from": "best" or "mean", then steps in fractions of each range, whose size its teacher drew at
 * exactly the "Step scale" the prompt prints. The independent truth here is that printed number:
 * the same prompt with only that line changed must move the median |step| with it (round 12
 * follow-up of perf/results/distill.md: 0.0548 -> 0.0548, 0.0100 -> 0.0103-0.0109), and sampled
 * at temperature 1 the steps go both ways. */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void trained_model_scale(void)
{
    const char *src = getenv("LLMBO_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/data/models/llmbo-advisor-mini.gguf", src ? src : ".");
    llmbo_engine_options eo;
    llmbo_engine_options_default(&eo);
    eo.n_threads = 1;
    eo.n_ctx = 512;
    llmbo_engine *e = NULL;
    llmbo_error err = {0};
    if (llmbo_engine_open(path, &eo, &e, &err) != LLMBO_OK) {
        CHECK(0, "the shipped model opens: %s", err.msg);
        return;
    }
    /* branin at "Used 20 of 40" as llmbo's advisor prints it; Best at u = (0.1764, 0.6416) of
     * the ranges and the mean of the five shown points at u + (0.0178, -0.0672) */
    static const char *const scales[2] = {"0.0548", "0.0100"};
    static const char *const from_names[2] = {"best", "mean"};
    static const char *const *const m_choices[3] = {from_names, NULL, NULL};
    static const int m_n_choices[3] = {2, 0, 0};
    static const char *const nm[3] = {"from", "x1", "x2"};
    /* steps from either origin that stay in the box, as the advisor's step frame bounds them */
    static const double s_lo[3] = {0, -0.1942, -0.6416}, s_hi[3] = {1, 0.8236, 0.4256};
    llmbo_cons_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.kind = LLMBO_CONS_POINTS;
    sp.n_points = 1;
    sp.dim = 3;
    sp.names = nm;
    sp.lo = s_lo;
    sp.hi = s_hi;
    sp.n_choices = m_n_choices;
    sp.choices = m_choices;
    llmbo_cons *c = NULL;
    CHECK_OK(llmbo_cons_create(&sp, &c, &err));
    double med[2] = {0, 0};
    for (int s = 0; s < 2 && c; s++) {
        char user[1024];
        snprintf(user, sizeof user,
                 "minimise y. Parameters (2):\n- x1: continuous in [-5, 10]\n- x2: continuous in "
                 "[0, 15]\nEvaluations (the 5 best of 20, in evaluation order):\n#10: x1=-1.81, "
                 "x2=8.904 -> y=7.882\n#12: x1=-2.049, x2=7.375 -> y=11.48\n#16: x1=-2.411, "
                 "x2=7.717 -> y=11.09\n#17: x1=-2.354, x2=9.624 -> y=3.928\n#19: x1=-1.811, "
                 "x2=9.459 -> y=7.738\nBest: y=3.928 at #17 (x1=-2.354, x2=9.624)\nMean of these "
                 "as a step from Best: x1=0.0178, x2=-0.0672\nUsed 20 of 40.\nStep scale: %s of "
                 "each range.\nPropose 1 new point(s) as steps from Best or from the Mean, in "
                 "fractions of each range.\n",
                 scales[s]);
        const char *roles[2] = {"system", "user"};
        const char *msgs[2] = {"You advise a Bayesian optimisation loop. Reply with one JSON "
                               "object in the requested format.",
                               user};
        char *prompt = NULL;
        int32_t *ids = NULL;
        int n = 0;
        CHECK_OK(llmbo_chat_format(e, roles, msgs, 2, 0, &prompt, &err));
        CHECK_OK(llmbo_engine_tokenize(e, prompt, &ids, &n, &err));
        double mag[40];
        int neg = 0, pos = 0, valid = 0;
        for (int seed = 1; ids && seed <= 20; seed++) {
            llmbo_gen_options go;
            llmbo_gen_options_default(&go);
            go.format = c;
            go.temperature = 1.0;
            go.top_k = 0;
            go.top_p = 1.0;
            go.seed = (uint64_t)seed * 2385;
            llmbo_gen_result r;
            if (llmbo_generate(e, ids, n, &go, &r, &err) != LLMBO_OK)
                continue;
            cJSON *j = cJSON_Parse(r.text);
            const cJSON *pt = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "points"), 0);
            const cJSON *from = cJSON_GetObjectItemCaseSensitive(pt, "from");
            int ok = cJSON_IsString(from) && (strcmp(from->valuestring, "best") == 0 ||
                                              strcmp(from->valuestring, "mean") == 0);
            for (int k = 1; ok && k < 3; k++) {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(pt, nm[k]);
                if (cJSON_IsNumber(v) && v->valuedouble >= s_lo[k] && v->valuedouble <= s_hi[k]) {
                    mag[valid++] = fabs(v->valuedouble);
                    neg += v->valuedouble < 0;
                    pos += v->valuedouble > 0;
                }
            }
            cJSON_Delete(j);
            llmbo_gen_result_clear(&r);
        }
        CHECK(valid == 40, "scale %s: 40 anchored steps within the box (%d)", scales[s], valid);
        CHECK(neg >= 4 && pos >= 4, "scale %s: both signs, %d negative and %d positive of 40",
              scales[s], neg, pos);
        if (valid > 0) {
            qsort(mag, (size_t)valid, sizeof *mag, cmp_double);
            med[s] = valid % 2 ? mag[valid / 2] : 0.5 * (mag[valid / 2 - 1] + mag[valid / 2]);
        }
        double want = atof(scales[s]);
        CHECK(med[s] >= 0.5 * want && med[s] <= 2.0 * want,
              "scale %s printed: median |step| %.4f within a factor 2 of it", scales[s], med[s]);
        llmbo_free(ids);
        llmbo_free(prompt);
    }
    printf("the shipped model: median |step| %.4f at printed scale 0.0548, %.4f at 0.0100\n",
           med[0], med[1]);
    CHECK(med[0] >= 2.5 * med[1],
          "the step follows the printed scale: median %.4f at 0.0548, "
          "%.4f at 0.0100",
          med[0], med[1]);
    llmbo_cons_free(c);
    llmbo_engine_free(e);
}

/* gpt-oss reasons in its analysis channel: with thinking on the prompt opens it, the reasoning
 * ends at the model's <|end|> or, when the budget is spent, at a forced one, and the answer follows
 * in the final channel (forced header). The answer never holds <|end|> or <|return|>, the
 * reasoning never its closing <|end|>; a natural close forces only the final channel's header, a
 * spent budget also the <|end|>, one token more. */
static void harmony_reasoning(void)
{
    const char *path = eu_model("gpt-oss", "f32", "--layers 2 --swa 8 --merges 40");
    llmbo_engine *e = NULL;
    llmbo_error err = {0};
    llmbo_engine_options eo;
    llmbo_engine_options_default(&eo);
    eo.n_threads = 1;
    eo.n_ctx = 256;
    CHECK(path && llmbo_engine_open(path, &eo, &e, &err) == LLMBO_OK, "gpt-oss model: %s", err.msg);
    if (!e)
        return;
    llmbo_tokenizer *tok = llmbo_engine_tokenizer(e);
    int end = llmbo_tokenizer_find(tok, "<|end|>"), ret = llmbo_tokenizer_find(tok, "<|return|>");
    CHECK(end >= 0 && !llmbo_tokenizer_is_eog(tok, end) && llmbo_tokenizer_is_eog(tok, ret),
          "harmony: <|return|> ends generation, <|end|> (a message's end) does not");
    const char *roles[2] = {"system", "user"};
    const char *msgs[2] = {"Be brief.", "Go"};
    char *prompt = NULL;
    CHECK_OK(llmbo_chat_format(e, roles, msgs, 2, 1, &prompt, &err));
    CHECK(prompt && strstr(prompt, "<|start|>assistant<|channel|>analysis<|message|>") &&
              strcmp(strstr(prompt, "<|start|>assistant"),
                     "<|start|>assistant<|channel|>analysis<|message|>") == 0,
          "thinking on: the prompt opens the analysis channel");
    int32_t *ids = NULL;
    int n = 0;
    CHECK_OK(llmbo_engine_tokenize(e, prompt, &ids, &n, &err));
    int32_t *hdr = NULL;
    int n_hdr = 0;
    const char *final = "<|start|>assistant<|channel|>final<|message|>";
    CHECK_OK(llmbo_engine_tokenize(e, final, &hdr, &n_hdr, &err));
    int natural = 0, spent = 0, clean = 1;
    for (int seed = 1; seed <= 200 && (!natural || !spent); seed++) {
        llmbo_gen_options go;
        llmbo_gen_options_default(&go);
        go.temperature = 1.5;
        go.top_k = 0;
        go.top_p = 1.0;
        go.seed = (uint64_t)seed;
        go.max_tokens = 48;
        go.think_budget = 40;
        llmbo_gen_result r;
        if (llmbo_generate(e, ids, n, &go, &r, &err) != LLMBO_OK) {
            CHECK(0, "harmony generation (seed %d): %s", seed, err.msg);
            break;
        }
        /* the first <|end|> closes the reasoning, <|end|> or <|return|> the answer; a random model
         * may sample the other markers anywhere */
        if (strstr(r.text, "<|end|>") || strstr(r.text, "<|return|>") ||
            (r.reasoning && strstr(r.reasoning, "<|end|>")))
            clean = 0;
        if (r.n_forced == n_hdr && r.n_reasoning < 40)
            natural++;
        else if (r.n_forced == n_hdr + 1 && r.n_reasoning == 40)
            spent++;
        else if (r.n_forced != 0) /* 0: <|return|> ended it while reasoning */
            clean = 0;

        llmbo_gen_result_clear(&r);
    }
    CHECK(natural > 0 && spent > 0 && clean,
          "harmony reasoning: closed by the model (%d runs, the final header forced: %d tokens) "
          "and by the budget (%d runs, <|end|> forced too); no <|end|> in a reasoning or an answer",
          natural, n_hdr, spent);
    llmbo_free(hdr);
    llmbo_free(ids);
    llmbo_free(prompt);
    llmbo_engine_free(e);
}

int main(void)
{
    chat_layouts();
    harmony_reasoning();
    automaton_tests();
    engine_constrained("qwen3moe", "q8_0");
    engine_constrained("qwen2", "f32");
    engine_constrained("olmoe", "q4_0");
    trained_model_scale();
    eu_cleanup();
    return check_summary();
}
