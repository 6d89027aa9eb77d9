/* strbuf.c: the growable string the advisor's prompt builder and answer parser share. */
#include <string.h>
#include "llmbo_common.h"
#include "llm_impl.h"

void llmbo_strbuf_add(llmbo_strbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *ns = llmbo_realloc(b->s, cap, 1);
        if (!ns) {
            b->oom = 1;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}
