/* loop: shared buffers and the registry of open handles. */
#include "net/loop.h"

#include <stdlib.h>

void uvtls_loop_init(uvtls_loop *loop, uv_loop_t *uv) {
    loop->uv = uv;
    loop->items.prev = loop->items.next = &loop->items;
    loop->open_items = 0;
    loop->on_empty = NULL;
    loop->on_empty_arg = NULL;
    loop->free_count = 0;
    loop->pool = NULL;
}

void uvtls_loop_dispose(uvtls_loop *loop) {
    while (loop->free_count > 0)
        free(loop->free_blocks[--loop->free_count]);
}

void *uvtls_loop_block_get(uvtls_loop *loop, size_t size) {
    if (size > UVTLS_LOOP_BLOCK_SIZE)
        return malloc(size);
    if (loop->free_count > 0)
        return loop->free_blocks[--loop->free_count];
    return malloc(UVTLS_LOOP_BLOCK_SIZE);
}

void uvtls_loop_block_put(uvtls_loop *loop, void *block, size_t size) {
    if (block != NULL && size <= UVTLS_LOOP_BLOCK_SIZE && loop->free_count < UVTLS_LOOP_FREE_BLOCKS)
        loop->free_blocks[loop->free_count++] = block;
    else
        free(block);
}

void uvtls_loop_add(uvtls_loop *loop, uvtls_loop_item *item) {
    item->next = loop->items.next;
    item->prev = &loop->items;
    loop->items.next->prev = item;
    loop->items.next = item;
    loop->open_items++;
}

void uvtls_loop_remove(uvtls_loop *loop, uvtls_loop_item *item) {
    item->prev->next = item->next;
    item->next->prev = item->prev;
    item->prev = item->next = item;
    loop->open_items--;
    if (loop->open_items == 0 && loop->on_empty != NULL) {
        void (*done)(void *) = loop->on_empty;
        loop->on_empty = NULL;
        done(loop->on_empty_arg);
    }
}

size_t uvtls_loop_close_all(uvtls_loop *loop, void (*on_empty)(void *arg), void *arg) {
    size_t open = loop->open_items;
    if (open == 0) {
        if (on_empty != NULL)
            on_empty(arg);
        return 0;
    }
    loop->on_empty = on_empty;
    loop->on_empty_arg = arg;
    /* close() only starts closing (uv_close): items leave the list later, in their close
     * callbacks, so the list can be walked once; `next` is read first all the same, in case an
     * item removes itself at once. */
    uvtls_loop_item *item = loop->items.next;
    while (item != &loop->items) {
        uvtls_loop_item *next = item->next;
        item->close(item);
        item = next;
    }
    return open;
}
