/* byte_queue: see byte_queue.h. */
#include "core/byte_queue.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void uvtls_byte_queue_clear(uvtls_byte_queue *q) {
    free(q->buf);
    q->buf = NULL;
    q->start = q->end = q->cap = 0;
}

/* Makes room for `add` more bytes after the unread ones. */
static int reserve(uvtls_byte_queue *q, size_t add) {
    size_t unread = q->end - q->start;
    if (add <= q->cap - q->end)
        return 0;
    if (add > SIZE_MAX / 2 - unread)
        return -1;
    size_t need = unread + add;
    if (need <= q->cap) {
        memmove(q->buf, q->buf + q->start, unread);
    } else { /* also the first buffer: cap 0 */
        size_t cap = q->cap ? q->cap : need;
        while (cap < need)
            cap *= 2;
        char *grown = malloc(cap);
        if (grown == NULL)
            return -1;
        if (unread > 0)
            memcpy(grown, q->buf + q->start, unread);
        free(q->buf);
        q->buf = grown;
        q->cap = cap;
    }
    q->start = 0;
    q->end = unread;
    return 0;
}

int uvtls_byte_queue_push(uvtls_byte_queue *q, const void *data, size_t len) {
    if (len == 0)
        return 0;
    if (reserve(q, len) < 0)
        return -1;
    memcpy(q->buf + q->end, data, len);
    q->end += len;
    return 0;
}

size_t uvtls_byte_queue_pop(uvtls_byte_queue *q, void *out, size_t cap) {
    size_t unread = q->end - q->start;
    size_t n = unread < cap ? unread : cap;
    if (n == 0)
        return 0;
    memcpy(out, q->buf + q->start, n);
    q->start += n;
    if (q->start == q->end)
        uvtls_byte_queue_clear(q);
    return n;
}
