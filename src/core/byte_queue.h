/* byte_queue: a FIFO of bytes in one heap buffer, for the engine's BIOs (core-internal).
 *
 * The buffer grows by doubling (so many small pushes stay linear), unread bytes move to its
 * front when that makes room, and it is freed as soon as the last byte is popped: an idle
 * connection holds no buffer at all.
 */
#ifndef UVTLS_CORE_BYTE_QUEUE_H
#define UVTLS_CORE_BYTE_QUEUE_H

#include <stddef.h>

typedef struct uvtls_byte_queue {
    char *buf; /* unread bytes are buf[start, end); NULL when empty */
    size_t start, end, cap;
} uvtls_byte_queue;

/* Zero-initialised storage is an empty queue. */
static inline size_t uvtls_byte_queue_size(const uvtls_byte_queue *q) {
    return q->end - q->start;
}
/* Appends `len` bytes; returns 0, or -1 (out of memory, nothing appended). */
int uvtls_byte_queue_push(uvtls_byte_queue *q, const void *data, size_t len);
/* Moves up to `cap` bytes to `out`; returns how many. */
size_t uvtls_byte_queue_pop(uvtls_byte_queue *q, void *out, size_t cap);
void uvtls_byte_queue_clear(uvtls_byte_queue *q);

#endif
