/* handshake_pool: threads that run handshake steps off the loop.
 *
 * A server's handshake is almost all OpenSSL arithmetic (the key exchange, the signature, a
 * client's chain): the engine is I/O-free, so a step can run on any thread while the loop thread
 * goes on with the sockets. One pool per loop, started by the first server that asks for it and
 * grown to the largest number of threads any server asked for.
 *
 * The contract of a job: between uvtls_pool_submit() and its `done` call, the submitter touches
 * nothing `work` touches. `work` runs on a pool thread; `done` runs on the loop thread, always
 * (also when the pool stops: jobs not yet started are handed back with `ran` 0, and their owner
 * runs the step itself). A job is submitted once at a time.
 */
#ifndef UVTLS_NET_HANDSHAKE_POOL_H
#define UVTLS_NET_HANDSHAKE_POOL_H

#include <stdint.h>

#include "net/loop.h"

/* Threads per pool, at most; more than the cores only adds switches. */
enum { UVTLS_POOL_MAX_THREADS = 64 };

typedef struct uvtls_pool_job {
    struct uvtls_pool_job *next;
    void (*work)(struct uvtls_pool_job *job); /* a pool thread */
    void (*done)(struct uvtls_pool_job *job); /* the loop thread, exactly once per submit */
    int ran;                                  /* work ran (0: the pool stopped first) */
} uvtls_pool_job;

typedef struct uvtls_pool uvtls_pool;

/* The loop's pool with at least `threads` threads (at most UVTLS_POOL_MAX_THREADS), started on
 * first use; NULL when `threads` is 0, or when not even one thread could start. A pool that could
 * start only some of the threads asked for runs with those. The pool is an item of the loop:
 * uvtls_loop_close_all() stops it (joining its threads, which finish the step they run). */
uvtls_pool *uvtls_pool_ensure(uvtls_loop *loop, unsigned threads);
/* The loop's pool, or NULL (none started, or stopping). */
uvtls_pool *uvtls_pool_of(uvtls_loop *loop);
/* Queues `job`; returns 0, or UV_ECANCELED when the pool is stopping (`done` is not called). */
int uvtls_pool_submit(uvtls_pool *p, uvtls_pool_job *job);
/* Whether handshakes keep the loop busy: the loop thread's last costly step ended less than a
 * quarter of its own duration ago (the loop spends four fifths of its time or more on them). A
 * step handed over costs more CPU than one run in place (two threads woken, the step on cold
 * caches: 15-20 % per handshake with OpenSSL 3.0 on this project's test machine, see
 * docs/performance.md), so a server runs its steps in place until the loop saturates, and only
 * then spreads them over the cores (one step in place now and then keeps the measure fresh).
 * libuv accepts one connection per loop turn, so a saturated loop that ran every step itself
 * would also accept no faster than it signs. */
int uvtls_pool_is_busy(const uvtls_pool *p);
/* A costly step the loop thread ran itself, from `start` to `end` (uv_hrtime()). */
void uvtls_pool_note_inline_step(uvtls_pool *p, uint64_t start, uint64_t end);
unsigned uvtls_pool_threads(const uvtls_pool *p);

/* The threads a server starts by default: one per core this process may use, none on one core
 * (the loop thread alone is as fast there, without the hand-offs). */
unsigned uvtls_pool_default_threads(void);

#endif
