/* utf8.c: UTF-8 well-formedness (Unicode 15, Table 3-7 "Well-Formed UTF-8 Byte Sequences") and
 * the \xNN escape of the bytes that are not, for text written into JSON files. */
#include <stdio.h>
#include <string.h>
#include "llmbo_common.h"
#include "strbuf.h"
#include "utf8.h"

size_t llmbo_utf8_seq_len(const unsigned char *s, size_t n)
{
    if (n == 0)
        return 0;
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned lo = 0x80, hi = 0xBF; /* range of the second byte (Table 3-7) */
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0; /* no overlong forms */
        else if (c == 0xED)
            hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F; /* nothing past U+10FFFF */
    } else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

int llmbo_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t k = llmbo_utf8_seq_len(p + i, n - i);
        if (!k)
            return 0;
        i += k;
    }
    return 1;
}

char *llmbo_utf8_escape(const char *s)
{
    size_t n = strlen(s);
    const unsigned char *p = (const unsigned char *)s;
    llmbo_strbuf b = LLMBO_STRBUF_INIT;
    for (size_t i = 0; i < n;) {
        size_t k = llmbo_utf8_seq_len(p + i, n - i);
        if (k) {
            llmbo_strbuf_add(&b, s + i, k);
            i += k;
        } else {
            llmbo_strbuf_printf(&b, "\\x%02X", p[i]);
            i++;
        }
    }
    if (!b.s && !b.oom)
        llmbo_strbuf_add(&b, "", 0);
    if (b.oom) {
        llmbo_strbuf_free(&b);
        return NULL;
    }
    return b.s;
}

/* Replaces *slot (allocated by cJSON's allocator) by its escaped form if it is not UTF-8. */
static int fix(char **slot)
{
    if (!*slot || llmbo_utf8_valid(*slot, strlen(*slot)))
        return 0;
    char *e = llmbo_utf8_escape(*slot);
    if (!e)
        return -1;
    size_t n = strlen(e) + 1;
    char *c = cJSON_malloc(n);
    if (c)
        memcpy(c, e, n);
    llmbo_free(e);
    if (!c)
        return -1;
    cJSON_free(*slot);
    *slot = c;
    return 0;
}

int llmbo_json_escape_utf8(cJSON *j)
{
    int rc = 0;
    for (; j; j = j->next) {
        /* Keys given as constants (cJSON_StringIsConst) are ours and ASCII. */
        if (!(j->type & cJSON_StringIsConst) && fix(&j->string) < 0)
            rc = -1;
        if (cJSON_IsString(j) && fix(&j->valuestring) < 0)
            rc = -1;
        if (j->child && llmbo_json_escape_utf8(j->child) < 0)
            rc = -1;
    }
    return rc;
}
