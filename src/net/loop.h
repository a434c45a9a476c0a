/* loop: what every connection of one libuv loop shares.
 *
 * - Scratch buffers (uSockets' idea): reads are processed to completion inside libuv's read
 *   callback, so one receive, one cleartext and one send buffer per loop serve any number of
 *   connections, instead of ~200 KiB of buffers each.
 * - A registry of open servers and connections, so that an environment being torn down (a
 *   worker thread exiting) can close every handle it still owns.
 *
 * Return convention of src/net (loop, address, conn, server): a function that can fail returns
 * 0 on success and a negative libuv error (UV_E*, e.g. UV_ENOMEM, UV_EADDRINUSE) on failure,
 * never a bare -1; where it also takes a uvtls_error, that error is filled with Node's code for
 * the same failure (net/address.h: uvtls_net_error). Constructors return the object or NULL
 * with the uvtls_error filled. Callbacks follow libuv's rule: a call that fails never calls its
 * callback; one that succeeds calls it exactly once.
 */
#ifndef UVTLS_NET_LOOP_H
#define UVTLS_NET_LOOP_H

#include <stddef.h>
#include <uv.h>

enum { UVTLS_LOOP_BUFFER_SIZE = 64 * 1024 };
/* The records of one 64 KiB write (four full records, each with its header and tag) fit the
 * send buffer whole. */
enum { UVTLS_LOOP_SEND_SIZE = UVTLS_LOOP_BUFFER_SIZE + 1024 };
/* Write requests (ciphertext the kernel did not take at once) come from blocks of this size,
 * recycled through a free list of at most UVTLS_LOOP_FREE_BLOCKS: a sender held back by the
 * peer would otherwise malloc and free a 64 KiB request per write, which makes glibc give the
 * top of the heap back and take it again, faulting in every page each time
 * (docs/performance.md, "the slow mode"). Larger requests are malloc'd and freed as they come. */
enum { UVTLS_LOOP_BLOCK_SIZE = 80 * 1024, UVTLS_LOOP_FREE_BLOCKS = 4 };

typedef struct uvtls_loop_item {
    struct uvtls_loop_item *prev, *next;
    void (*close)(struct uvtls_loop_item *item); /* closes the owner */
} uvtls_loop_item;

typedef struct uvtls_loop {
    uv_loop_t *uv;
    char recv[UVTLS_LOOP_BUFFER_SIZE];  /* ciphertext from a socket */
    char clear[UVTLS_LOOP_BUFFER_SIZE]; /* cleartext handed to the owner in one batch */
    char send[UVTLS_LOOP_SEND_SIZE];    /* ciphertext tried with uv_try_write first */
    uvtls_loop_item items;              /* list head of open servers and connections */
    size_t open_items;
    void (*on_empty)(void *arg); /* called when the last item is removed, once */
    void *on_empty_arg;
    void *free_blocks[UVTLS_LOOP_FREE_BLOCKS]; /* see UVTLS_LOOP_BLOCK_SIZE */
    size_t free_count;
    struct uvtls_pool *pool; /* handshake steps off the loop (handshake_pool.h); NULL: none */
} uvtls_loop;

/* Caller-owned storage; no handles are created. uvtls_loop_dispose() frees the kept blocks once
 * no item is open any more, before the storage itself is freed. */
void uvtls_loop_init(uvtls_loop *loop, uv_loop_t *uv);
void uvtls_loop_dispose(uvtls_loop *loop);
/* At least `size` bytes: a recycled block when it fits one, else malloc'd; NULL when out of
 * memory. Give it back with uvtls_loop_block_put() and the same size. */
void *uvtls_loop_block_get(uvtls_loop *loop, size_t size);
void uvtls_loop_block_put(uvtls_loop *loop, void *block, size_t size);
void uvtls_loop_add(uvtls_loop *loop, uvtls_loop_item *item);
void uvtls_loop_remove(uvtls_loop *loop, uvtls_loop_item *item);
/* Closes every open item; `on_empty(arg)` runs once all are gone (at once when none are open).
 * Returns the number of items that were open. */
size_t uvtls_loop_close_all(uvtls_loop *loop, void (*on_empty)(void *arg), void *arg);

#endif
