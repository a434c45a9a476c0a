/* handshake_pool: threads that run handshake steps off the loop. See handshake_pool.h. */
#include "net/handshake_pool.h"

#include <stdlib.h>

struct uvtls_pool {
    uvtls_loop_item item; /* first: the loop's registry closes the pool at teardown */
    struct uvtls_pool *registry_prev, *registry_next; /* every pool of the process */
    uvtls_loop *loop;
    uv_async_t wake; /* a thread finished jobs: the loop runs their `done` */
    uv_mutex_t lock; /* guards the two queues and `stopping` */
    uv_cond_t ready; /* a job was queued, or the pool stops */
    uvtls_pool_job *todo_head, *todo_tail;
    uvtls_pool_job *done_head, *done_tail;
    int stopping;
    uv_mutex_t threads_lock; /* guards starting and joining threads (the loop or exit()) */
    /* the loop thread's own */
    size_t outstanding; /* submitted, `done` not run yet: the pool keeps the loop alive */
    uint64_t inline_end, inline_cost; /* the last costly step the loop ran itself (uv_hrtime) */
    unsigned nthreads;
    uv_thread_t threads[UVTLS_POOL_MAX_THREADS];
};

/* --- the process's pools, stopped before exit() tears OpenSSL down ----------------------------
 *
 * process.exit() calls exit() while pool threads may be in the middle of a step, and exit() runs
 * OpenSSL's own cleanup (an atexit handler Node's OpenSSL registered when it started), after
 * which a running step crashes on freed locks. This handler, registered later, runs first: it
 * lets each thread finish its step and joins it. (atexit from a shared object is tied to it: an
 * unloaded addon leaves no handler behind.) */

static uv_once_t registry_once = UV_ONCE_INIT;
static uv_mutex_t registry_lock;
static uvtls_pool *registry_head;
static int registry_ready; /* the lock exists and the handler is registered */

static void halt_threads(uvtls_pool *p);

static void halt_all_at_exit(void) {
    uv_mutex_lock(&registry_lock);
    for (uvtls_pool *p = registry_head; p != NULL; p = p->registry_next)
        halt_threads(p);
    uv_mutex_unlock(&registry_lock);
}

static void registry_init(void) {
    registry_ready = uv_mutex_init(&registry_lock) == 0 && atexit(halt_all_at_exit) == 0;
}

/* Without the registry (no lock, no handler), a pool still works; only process.exit() in the
 * middle of a step is unguarded, as Node's own thread pool is. */
static void registry_add(uvtls_pool *p) {
    uv_once(&registry_once, registry_init);
    p->registry_prev = p->registry_next = NULL;
    if (!registry_ready)
        return;
    uv_mutex_lock(&registry_lock);
    p->registry_next = registry_head;
    if (registry_head != NULL)
        registry_head->registry_prev = p;
    registry_head = p;
    uv_mutex_unlock(&registry_lock);
}

static void registry_remove(uvtls_pool *p) {
    if (!registry_ready)
        return;
    uv_mutex_lock(&registry_lock);
    if (p->registry_prev != NULL)
        p->registry_prev->registry_next = p->registry_next;
    else if (registry_head == p)
        registry_head = p->registry_next;
    if (p->registry_next != NULL)
        p->registry_next->registry_prev = p->registry_prev;
    p->registry_prev = p->registry_next = NULL;
    uv_mutex_unlock(&registry_lock);
}

/* --- the pool ----------------------------------------------------------------------------- */

static void append(uvtls_pool_job **head, uvtls_pool_job **tail, uvtls_pool_job *job) {
    job->next = NULL;
    if (*tail != NULL)
        (*tail)->next = job;
    else
        *head = job;
    *tail = job;
}

static void run_thread(void *arg) {
    uvtls_pool *p = arg;
    uv_mutex_lock(&p->lock);
    for (;;) {
        while (p->todo_head == NULL && !p->stopping)
            uv_cond_wait(&p->ready, &p->lock);
        if (p->stopping)
            break; /* what is still queued goes back unrun (stop_threads) */
        uvtls_pool_job *job = p->todo_head;
        p->todo_head = job->next;
        if (p->todo_head == NULL)
            p->todo_tail = NULL;
        uv_mutex_unlock(&p->lock);
        job->work(job);
        job->ran = 1;
        uv_mutex_lock(&p->lock);
        append(&p->done_head, &p->done_tail, job);
        uv_async_send(&p->wake);
    }
    uv_mutex_unlock(&p->lock);
}

/* Runs the `done` of every finished job, in the order they finished. */
static void run_done(uvtls_pool *p) {
    uv_mutex_lock(&p->lock);
    uvtls_pool_job *job = p->done_head;
    p->done_head = p->done_tail = NULL;
    uv_mutex_unlock(&p->lock);
    while (job != NULL) {
        uvtls_pool_job *next = job->next;
        p->outstanding--;
        job->done(job); /* may submit again: the job is off every list by now */
        job = next;
    }
    if (p->outstanding == 0)
        uv_unref((uv_handle_t *)&p->wake);
}

static void on_wake(uv_async_t *a) {
    run_done(a->data);
}

static void on_closed(uv_handle_t *h) {
    uvtls_pool *p = h->data;
    uv_cond_destroy(&p->ready);
    uv_mutex_destroy(&p->lock);
    uv_mutex_destroy(&p->threads_lock);
    uvtls_loop_remove(p->loop, &p->item);
    free(p);
}

/* The threads finish the step they run and exit; no new job is taken. From the loop thread or
 * exit(): nothing of the loop is touched. */
static void halt_threads(uvtls_pool *p) {
    uv_mutex_lock(&p->lock);
    p->stopping = 1;
    uv_cond_broadcast(&p->ready);
    uv_mutex_unlock(&p->lock);
    uv_mutex_lock(&p->threads_lock);
    for (unsigned i = 0; i < p->nthreads; i++)
        uv_thread_join(&p->threads[i]);
    p->nthreads = 0;
    uv_mutex_unlock(&p->threads_lock);
}

/* Teardown: the threads finish the step they run and exit; queued jobs come back unrun; every
 * `done` runs now, so that no owner waits for a pool that is gone. */
static void stop(uvtls_loop_item *item) {
    uvtls_pool *p = (uvtls_pool *)item;
    if (p->loop->pool == p)
        p->loop->pool = NULL;
    halt_threads(p);
    registry_remove(p);
    uv_mutex_lock(&p->lock);
    while (p->todo_head != NULL) {
        uvtls_pool_job *job = p->todo_head;
        p->todo_head = job->next;
        append(&p->done_head, &p->done_tail, job);
    }
    p->todo_tail = NULL;
    uv_mutex_unlock(&p->lock);
    run_done(p);
    uv_close((uv_handle_t *)&p->wake, on_closed);
}

static void start_threads(uvtls_pool *p, unsigned want) {
    uv_mutex_lock(&p->threads_lock);
    while (!p->stopping && p->nthreads < want && p->nthreads < UVTLS_POOL_MAX_THREADS) {
        if (uv_thread_create(&p->threads[p->nthreads], run_thread, p) != 0)
            break; /* run with the threads there are */
        p->nthreads++;
    }
    uv_mutex_unlock(&p->threads_lock);
}

uvtls_pool *uvtls_pool_ensure(uvtls_loop *loop, unsigned threads) {
    if (threads == 0)
        return loop->pool;
    if (loop->pool != NULL) {
        start_threads(loop->pool, threads);
        return loop->pool;
    }
    uvtls_pool *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    if (uv_mutex_init(&p->lock) != 0) {
        free(p);
        return NULL;
    }
    if (uv_mutex_init(&p->threads_lock) != 0) {
        uv_mutex_destroy(&p->lock);
        free(p);
        return NULL;
    }
    if (uv_cond_init(&p->ready) != 0 || uv_async_init(loop->uv, &p->wake, on_wake) != 0) {
        uv_mutex_destroy(&p->threads_lock);
        uv_mutex_destroy(&p->lock);
        free(p);
        return NULL;
    }
    p->wake.data = p;
    p->loop = loop;
    uv_unref((uv_handle_t *)&p->wake); /* an idle pool keeps no loop alive */
    p->item.close = stop;
    uvtls_loop_add(loop, &p->item);
    registry_add(p);
    loop->pool = p;
    start_threads(p, threads);
    if (p->nthreads == 0) {
        stop(&p->item);
        return NULL;
    }
    return p;
}

uvtls_pool *uvtls_pool_of(uvtls_loop *loop) {
    return loop->pool;
}

int uvtls_pool_submit(uvtls_pool *p, uvtls_pool_job *job) {
    job->ran = 0;
    uv_mutex_lock(&p->lock);
    if (p->stopping) {
        uv_mutex_unlock(&p->lock);
        return UV_ECANCELED;
    }
    append(&p->todo_head, &p->todo_tail, job);
    uv_cond_signal(&p->ready);
    uv_mutex_unlock(&p->lock);
    if (p->outstanding++ == 0)
        uv_ref((uv_handle_t *)&p->wake);
    return 0;
}

/* A costly step arriving within a quarter of the last inline step's duration after its end: the
 * loop spent at least four fifths of that time on handshake arithmetic. */
int uvtls_pool_is_busy(const uvtls_pool *p) {
    return uv_hrtime() - p->inline_end < p->inline_cost / 4;
}

void uvtls_pool_note_inline_step(uvtls_pool *p, uint64_t start, uint64_t end) {
    p->inline_end = end;
    p->inline_cost = end - start;
}

unsigned uvtls_pool_threads(const uvtls_pool *p) {
    return p->nthreads;
}

unsigned uvtls_pool_default_threads(void) {
    unsigned cores = uv_available_parallelism();
    if (cores <= 1)
        return 0;
    return cores < UVTLS_POOL_MAX_THREADS ? cores : UVTLS_POOL_MAX_THREADS;
}
