/* conn: a TLS connection on a libuv stream. See conn.h for the contract. */
#include "net/conn.h"

#include "core/extensions.h"
#include "net/address.h"
#include "net/handshake_pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct write_req {
    uv_write_t req;
    uvtls_conn *conn;
    size_t completes; /* owner writes finished when this request is */
    size_t len;
    size_t size; /* as allocated, for uvtls_loop_block_put */
    char data[];
} write_req;

typedef struct early_write {
    struct early_write *next;
    size_t len;
    char data[];
} early_write;

struct uvtls_conn {
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } io;
    uv_timer_t timer;
    uv_connect_t connect_req;
    uv_shutdown_t shutdown_req;
    uvtls_loop_item item;
    uvtls_loop *loop;
    uvtls_engine *engine;
    uvtls_conn_cb cb;
    void *user;
    uvtls_error error;
    uint64_t bytes_read, bytes_written;
    size_t queued;    /* bytes in write requests and early writes */
    size_t in_flight; /* write requests libuv has not completed */
    size_t uncovered; /* owner writes encrypted but not yet attached to a request */
    early_write *early_head, *early_tail;
    size_t early_count;
    unsigned handshake_timeout_ms, idle_timeout_ms;
    int open_handles;
    int write_error;       /* a write failed (EPIPE/ECONNRESET); reported once reading tells why */
    int write_error_owned; /* ... and it lost owner data (not only handshake or close_notify) */
    size_t held_paused;    /* bytes read while the handshake waits at the ClientHello */
    /* A handshake step on the loop's pool (see start_step): while `stepping`, the loop thread
     * touches neither the engine nor the read side; it only notes what to do afterwards. */
    uvtls_pool_job step;
    uvtls_engine_state step_state;
    uvtls_offload offload;
    unsigned step_wanted : 1, stepping : 1, step_timed_out : 1, free_after_step : 1,
        step_paused_reading : 1;
    unsigned closing : 1, secure : 1, reading : 1, read_wanted : 1, ended : 1, errored : 1,
        shutdown_wanted : 1, shutdown_sent : 1, connected : 1, draining : 1, is_pipe : 1,
        is_server : 1, eof_seen : 1, hello_reported : 1, external : 1, started : 1;
};

static const char *const event_names[] = {
#define UVTLS_CONN_EVENT_NAME(name) #name,
    UVTLS_CONN_EVENTS(UVTLS_CONN_EVENT_NAME)
#undef UVTLS_CONN_EVENT_NAME
};

const char *uvtls_conn_event_name(int ev) {
    return ev >= 0 && ev < UVTLS_CONN_EVENT_COUNT ? event_names[ev] : NULL;
}

static void process(uvtls_conn *c);
static void start_timer(uvtls_conn *c, unsigned ms);

static void emit(uvtls_conn *c, uvtls_conn_event ev, const uvtls_conn_event_data *d) {
    static const uvtls_conn_event_data none = {0};
    if (c->cb != NULL)
        c->cb(c, ev, d ? d : &none, c->user);
}

static void emit_error(uvtls_conn *c, const uvtls_error *err) {
    if (c->errored || c->closing)
        return;
    c->errored = 1;
    c->error = *err;
    if (c->eof_seen && !c->secure && strcmp(err->code, "ECONNRESET") == 0) {
        /* A FIN in the middle of the handshake: Node's words differ by side. */
        snprintf(c->error.message, sizeof(c->error.message), "%s",
                 c->is_server ? "socket hang up"
                              : "Client network socket disconnected before secure TLS "
                                "connection was established");
    }
    uvtls_conn_event_data d = {.error = &c->error};
    emit(c, UVTLS_CONN_ERROR, &d);
}

/* libuv failure -> Node-style error: code "ECONNRESET", message "read ECONNRESET". */
static void emit_uv_error(uvtls_conn *c, int status, const char *syscall) {
    uvtls_error err;
    uvtls_net_error(&err, syscall, status, NULL);
    if (c->secure && (status == UV_ECONNRESET || status == UV_EPIPE)) {
        /* The table's ECONNRESET hint speaks of the handshake; this one came later. */
        uvtls_error_set_hint(&err, "The peer reset the connection without ending it (it crashed, "
                                   "was killed or timed out); check the peer's logs.");
    }
    emit_error(c, &err);
}

/* A transport write failed. When it carried no owner data (a handshake flight, session
 * tickets, close_notify), it is not reported at all, as in Node: the peer has left, and the read
 * side says how (EOF, reset, an alert). An owner that writes later gets the error. */
static void note_write_error(uvtls_conn *c, int status, int owned) {
    if (c->write_error == 0)
        c->write_error = status;
    if (owned)
        c->write_error_owned = 1;
}

/* A write that fails because the peer closed (EPIPE, ECONNRESET) usually has the reason waiting in
 * the receive buffer: an alert such as certificate_required (TLS 1.3 clients are secure before
 * the server has judged their certificate). While reading, the error is held back until the read
 * side reports EOF or a reset, so the alert wins, as in Node. Returns 1 when held back. */
static int defer_write_error(uvtls_conn *c, int status) {
    if ((status != UV_EPIPE && status != UV_ECONNRESET) || !c->reading || c->closing || c->errored)
        return 0;
    note_write_error(c, status, 1);
    return 1;
}

static void report_write_error(uvtls_conn *c) {
    if (c->write_error != 0 && c->write_error_owned && !c->errored && !c->closing)
        emit_uv_error(c, c->write_error, "write");
}

static void on_timer(uv_timer_t *t) {
    uvtls_conn *c = t->data;
    if (c->closing)
        return;
    if (c->stepping) {
        /* Reported when the step is back: an error event hands the conn to an owner (the
         * server's 'tlsClientError' socket), and owners never share a conn with a thread. */
        c->step_timed_out = 1;
        return;
    }
    /* Before the handshake ends the timer is the handshake timeout, unless the owner set an
     * idle timeout (socket.setTimeout on a client that is still connecting): that one only
     * reports TIMEOUT, as Node's 'timeout' event, and the owner decides. */
    if (!c->secure && c->idle_timeout_ms == 0) {
        uvtls_error err;
        uvtls_error_set(&err, "handshake", "ERR_TLS_HANDSHAKE_TIMEOUT", "TLS handshake timeout");
        uvtls_error_set_hint(&err, "The peer did not finish the TLS handshake in time; it may not "
                                   "speak TLS on this port, or it is slow (raise "
                                   "`handshakeTimeout`).");
        emit_error(c, &err);
        return;
    }
    emit(c, UVTLS_CONN_TIMEOUT, NULL);
}

static void start_timer(uvtls_conn *c, unsigned ms) {
    if (ms > 0)
        uv_timer_start(&c->timer, on_timer, ms, 0);
    else
        uv_timer_stop(&c->timer);
}

/* --- lifetime ------------------------------------------------------------------------------- */

static void free_conn(uvtls_conn *c) {
    early_write *w = c->early_head;
    while (w != NULL) {
        early_write *next = w->next;
        free(w);
        w = next;
    }
    uvtls_engine_free(c->engine);
    free(c);
}

static void on_handle_closed(uv_handle_t *h) {
    uvtls_conn *c = h->data;
    if (--c->open_handles > 0)
        return;
    /* Early writes never reached the engine: they complete now, failed. */
    if (c->early_count > 0) {
        uvtls_conn_event_data d = {.count = c->early_count, .status = UV_ECANCELED};
        c->early_count = 0;
        emit(c, UVTLS_CONN_WRITTEN, &d);
    }
    emit(c, UVTLS_CONN_CLOSE, NULL);
    uvtls_loop_remove(c->loop, &c->item);
    if (c->stepping)
        c->free_after_step = 1; /* the pool still runs a step on the engine: freed when back */
    else
        free_conn(c);
}

void uvtls_conn_close(uvtls_conn *c) {
    if (c->closing)
        return;
    c->closing = 1;
    if (!c->external)
        uv_close(&c->io.handle, on_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

static void close_item(uvtls_loop_item *item) {
    uvtls_conn *c = (uvtls_conn *)((char *)item - offsetof(uvtls_conn, item));
    uvtls_conn_close(c);
}

int uvtls_conn_is_closing(const uvtls_conn *c) {
    return c->closing;
}

/* The conn with its libuv handles but no engine yet: an accepted descriptor is taken into the
 * handle before anything that can fail for a reason of this connection (engine, ALPN), so such a
 * failure closes that connection and never leaves the descriptor with the listener. */
static uvtls_conn *conn_create(uvtls_loop *loop, const uvtls_conn_options *opts, uvtls_conn_cb cb,
                               void *user, uvtls_error *err) {
    uvtls_conn *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        uvtls_error_set(err, "connect", "ERR_UVTLS_OUT_OF_MEMORY", "out of memory");
        return NULL;
    }
    int r = 0;
    if (!opts->external)
        r = opts->pipe ? uv_pipe_init(loop->uv, &c->io.pipe, 0) : uv_tcp_init(loop->uv, &c->io.tcp);
    if (r < 0) {
        free(c);
        uvtls_net_error(err, "socket", r, NULL);
        err->stage = "connect";
        return NULL;
    }
    uv_timer_init(loop->uv, &c->timer);
    c->io.handle.data = c;
    c->timer.data = c;
    c->external = opts->external != 0;
    c->open_handles = c->external ? 1 : 2;
    c->loop = loop;
    c->cb = cb;
    c->user = user;
    c->is_pipe = opts->pipe != 0;
    c->is_server = opts->engine.is_server != 0;
    c->read_wanted = 1;
    c->handshake_timeout_ms = opts->handshake_timeout_ms;
    c->offload = !opts->external && opts->engine.is_server ? opts->offload : UVTLS_OFFLOAD_NEVER;
    c->item.close = close_item;
    uvtls_loop_add(loop, &c->item);
    return c;
}

/* The server's certificate status, read inside the handshake: the owner hears of it before our
 * Finished goes out, so that closing here ends the handshake unfinished (as in Node). */
static void on_ocsp_status(void *arg, const unsigned char *response, size_t len) {
    uvtls_conn *c = arg;
    if (c->closing)
        return;
    uvtls_conn_event_data d = {.data = (const char *)response, .len = len};
    emit(c, UVTLS_CONN_OCSP_RESPONSE, &d);
}

/* Gives a created conn its engine. On failure the caller closes the conn (quietly). */
static int conn_setup(uvtls_conn *c, uvtls_context *ctx, const uvtls_conn_options *opts,
                      uvtls_error *err) {
    c->engine = uvtls_engine_new(ctx, &opts->engine, err);
    if (c->engine == NULL)
        return -1;
    if (opts->alpn != NULL && uvtls_engine_set_alpn(c->engine, opts->alpn, opts->alpn_len, err) < 0)
        return -1;
    uvtls_engine_set_sni_pause(c->engine, opts->sni_pause);
    uvtls_engine_set_keylog(c->engine, opts->keylog);
    uvtls_engine_set_ocsp_pause(c->engine, opts->ocsp_pause);
    uvtls_engine_set_session_cache(c->engine, opts->resume_pause, opts->server_sessions);
    if (!opts->engine.is_server)
        uvtls_engine_set_ocsp_handler(c->engine, on_ocsp_status, c);
    return 0;
}

/* Closes a conn that never reached its owner: no event is delivered for it. */
static void conn_discard(uvtls_conn *c) {
    c->cb = NULL;
    uvtls_conn_close(c);
}

uvtls_conn *uvtls_conn_new(uvtls_loop *loop, uvtls_context *ctx, const uvtls_conn_options *opts,
                           uvtls_conn_cb cb, void *user, uvtls_error *err) {
    uvtls_conn *c = conn_create(loop, opts, cb, user, err);
    if (c != NULL && conn_setup(c, ctx, opts, err) < 0) {
        conn_discard(c);
        return NULL;
    }
    return c;
}

void uvtls_conn_set_callback(uvtls_conn *c, uvtls_conn_cb cb, void *user) {
    c->offload = UVTLS_OFFLOAD_NEVER;
    c->cb = cb;
    c->user = user;
}

void *uvtls_conn_user(const uvtls_conn *c) {
    return c->user;
}

/* --- writing -------------------------------------------------------------------------------- */

/* Requests come from the loop's recycled blocks (see UVTLS_LOOP_BLOCK_SIZE). */
static write_req *new_write_req(uvtls_conn *c, size_t len) {
    size_t size = sizeof(write_req) + len;
    write_req *w = uvtls_loop_block_get(c->loop, size);
    if (w != NULL)
        w->size = size;
    return w;
}

static void free_write_req(uvtls_conn *c, write_req *w) {
    uvtls_loop_block_put(c->loop, w, w->size);
}

static void on_write(uv_write_t *req, int status) {
    write_req *w = (write_req *)req;
    uvtls_conn *c = w->conn;
    c->in_flight--;
    c->queued -= w->len;
    if (status == 0)
        c->bytes_written += w->len;
    size_t completes = w->completes;
    free_write_req(c, w);
    if (status < 0 && status != UV_ECANCELED && completes == 0) {
        note_write_error(c, status, 0);
        return;
    }
    if (status < 0 && status != UV_ECANCELED) {
        note_write_error(c, status, 1);
        /* Held back: the owner completes what is left at CLOSE. */
        if (defer_write_error(c, status))
            return;
        /* The error first, so the owner fails with it and not with the write's own failure. */
        emit_uv_error(c, status, "write");
    }
    if (completes > 0) {
        uvtls_conn_event_data d = {.count = completes, .status = status};
        emit(c, UVTLS_CONN_WRITTEN, &d);
    }
}

/* Hands a filled request to libuv; it covers every owner write not covered yet. */
static int submit_write(uvtls_conn *c, write_req *w, size_t len) {
    w->conn = c;
    w->len = len;
    w->completes = c->uncovered;
    c->uncovered = 0;
    uv_buf_t buf = uv_buf_init(w->data, (unsigned)len);
    int r = uv_write(&w->req, &c->io.stream, &buf, 1, on_write);
    if (r < 0) {
        c->uncovered = w->completes;
        free_write_req(c, w);
        return r;
    }
    c->in_flight++;
    c->queued += len;
    return 0;
}

/* The owner's transport takes ciphertext as fast as we make it (its own buffering is its
 * backpressure): each batch goes out in an OUTPUT event, which the owner copies. The batch sits in
 * the loop's send buffer, or in memory of its own when larger; it is ciphertext, and the receiver
 * copies it before any JavaScript runs. The owner may call back in (a write from its handler):
 * the engine hands out each byte once, in order, so a nested flush sends what follows. */
static int flush_external(uvtls_conn *c) {
    size_t pending;
    while (!c->closing && (pending = uvtls_engine_pending(c->engine)) > 0) {
        char *buf = pending <= sizeof(c->loop->send) ? c->loop->send : malloc(pending);
        if (buf == NULL)
            return UV_ENOMEM;
        size_t n = uvtls_engine_take(c->engine, buf, pending);
        if (n == 0) {
            if (buf != c->loop->send)
                free(buf);
            return 0;
        }
        c->bytes_written += n;
        uvtls_conn_event_data d = {.data = buf, .len = n};
        emit(c, UVTLS_CONN_OUTPUT, &d);
        if (buf != c->loop->send)
            free(buf);
    }
    return 0;
}

/* Sends `n` bytes of ciphertext that sit in the loop's send buffer: uv_try_write first, and only
 * what the kernel did not take is copied into a write request, with whatever the engine still
 * holds behind them. Returns 0 or a libuv error. */
static int send_from_buffer(uvtls_conn *c, size_t n) {
    uv_buf_t buf = uv_buf_init(c->loop->send, (unsigned)n);
    int r = uv_try_write(&c->io.stream, &buf, 1);
    if (r == UV_EAGAIN || r == UV_ENOSYS)
        r = 0;
    if (r < 0)
        return r;
    c->bytes_written += (size_t)r;
    if ((size_t)r == n)
        return 0;
    size_t rest = n - (size_t)r, more = uvtls_engine_pending(c->engine);
    write_req *w = new_write_req(c, rest + more);
    if (w == NULL)
        return UV_ENOMEM;
    memcpy(w->data, c->loop->send + r, rest);
    size_t got = more > 0 ? uvtls_engine_take(c->engine, w->data + rest, more) : 0;
    return submit_write(c, w, rest + got);
}

/* Sends all ciphertext the engine holds: a send buffer at a time through send_from_buffer()
 * while no write is in flight (a 64 KiB write's records, 64 KiB plus headers and tags, taken
 * whole would always go the slow way: an allocation and an asynchronous uv_write), else queued
 * behind the writes in flight. Returns 0 or a libuv error. */
static int flush(uvtls_conn *c) {
    if (c->closing || !c->connected)
        return 0;
    if (c->external)
        return flush_external(c);
    if (c->write_error != 0)
        return c->write_error;
    size_t pending;
    while ((pending = uvtls_engine_pending(c->engine)) > 0) {
        if (c->in_flight == 0) {
            size_t n = uvtls_engine_take(c->engine, c->loop->send, sizeof(c->loop->send));
            if (n == 0)
                return 0; /* take failed: the engine is in its error state, reported by caller */
            int r = send_from_buffer(c, n);
            if (r < 0)
                return r;
        } else {
            write_req *w = new_write_req(c, pending);
            if (w == NULL)
                return UV_ENOMEM;
            size_t n = uvtls_engine_take(c->engine, w->data, pending);
            if (n == 0) {
                free_write_req(c, w);
                return 0;
            }
            int q = submit_write(c, w, n);
            if (q < 0)
                return q;
        }
    }
    return 0;
}

/* A failed flush: reported now, or held back until reading tells why (defer_write_error). */
static void fail_flush(uvtls_conn *c, int r) {
    if (!defer_write_error(c, r))
        emit_uv_error(c, r, "write");
}

/* The result of a flush that carried only our own records when `owned` is 0: a peer that left
 * (EPIPE, ECONNRESET) is noted and not reported (see note_write_error), so 0 comes back. */
static int unless_unowned(uvtls_conn *c, int r, int owned) {
    if (r < 0 && !owned && (r == UV_EPIPE || r == UV_ECONNRESET)) {
        note_write_error(c, r, 0);
        return 0;
    }
    return r;
}

/* Flushes; reports a transport failure that lost owner data as an error. Returns -1 when the
 * caller must stop. A failure that lost only our own records (handshake, tickets, close_notify)
 * is noted and not reported: the read side tells what happened to the peer. */
static int flush_or_fail(uvtls_conn *c) {
    int owned = c->uncovered > 0; /* read before flush() attaches them to a request */
    int r = unless_unowned(c, flush(c), owned);
    if (r < 0) {
        fail_flush(c, r);
        return -1;
    }
    return c->closing ? -1 : 0;
}

/* After a flush: owner writes whose ciphertext went out synchronously complete now. */
static void complete_synchronous(uvtls_conn *c) {
    if (c->in_flight == 0 && c->uncovered > 0) {
        uvtls_conn_event_data d = {.count = c->uncovered, .status = 0};
        c->uncovered = 0;
        emit(c, UVTLS_CONN_WRITTEN, &d);
    }
}

static int start_shutdown(uvtls_conn *c);

int uvtls_conn_write(uvtls_conn *c, const void *data, size_t len) {
    if (c->closing || c->shutdown_wanted)
        return UV_EPIPE;
    if (!c->secure) {
        early_write *w = malloc(sizeof(*w) + len);
        if (w == NULL)
            return UV_ENOMEM;
        w->next = NULL;
        w->len = len;
        memcpy(w->data, data, len);
        if (c->early_tail)
            c->early_tail->next = w;
        else
            c->early_head = w;
        c->early_tail = w;
        c->early_count++;
        c->queued += len;
        return 0;
    }
    /* On our own socket with nothing in flight, the records are written straight into the
     * loop's send buffer and tried from there: no copy through the engine. */
    int direct = !c->external && c->connected && c->in_flight == 0 && c->write_error == 0;
    size_t placed = 0;
    if (uvtls_engine_write_into(c->engine, data, len, c->loop->send,
                                direct ? sizeof(c->loop->send) : 0, &placed) < 0) {
        emit_error(c, uvtls_engine_error(c->engine));
        return UV_EPROTO;
    }
    c->uncovered++;
    int r = placed > 0 ? send_from_buffer(c, placed) : 0;
    if (r == 0)
        r = flush(c);
    if (r < 0) {
        if (defer_write_error(c, r))
            return 0; /* completed, failed, at CLOSE */
        c->uncovered--;
        return r;
    }
    if (c->idle_timeout_ms)
        start_timer(c, c->idle_timeout_ms);
    if (c->in_flight == 0 && c->uncovered == 1) {
        c->uncovered = 0;
        return 1;
    }
    return 0;
}

size_t uvtls_conn_queued(const uvtls_conn *c) {
    return c->queued;
}

static void send_early_writes(uvtls_conn *c) {
    while (c->early_head != NULL && !c->closing) {
        early_write *w = c->early_head;
        c->early_head = w->next;
        if (c->early_head == NULL)
            c->early_tail = NULL;
        c->early_count--;
        c->queued -= w->len;
        ssize_t n = uvtls_engine_write(c->engine, w->data, w->len);
        free(w);
        if (n < 0) {
            emit_error(c, uvtls_engine_error(c->engine));
            return;
        }
        c->uncovered++;
    }
    if (flush_or_fail(c) < 0)
        return;
    complete_synchronous(c);
    if (c->shutdown_wanted && !c->shutdown_sent)
        start_shutdown(c);
}

/* --- reading -------------------------------------------------------------------------------- */

/* Sessions delivered per call: a peer may send any number of tickets; what is left waits in the
 * engine for the next read (each read of a drain calls again). */
enum { MAX_SESSIONS_PER_CALL = 16 };

/* Delivers the new sessions the engine holds, one SESSION event per ticket, before the cleartext
 * that came with them (as Node: an owner that ends on 'data' or 'end' has seen its session).
 * `clear`/`*filled` is that cleartext, in the loop's shared buffer: a session listener is
 * JavaScript that may read another connection through the same buffer, so it is moved to memory
 * of this connection first (tickets are rare; so is the copy), delivered after the sessions, and
 * `*filled` becomes 0. Returns -1 when the conn closed meanwhile. */
static int emit_new_sessions(uvtls_conn *c, const char *clear, size_t *filled) {
    size_t len = 0;
    unsigned char *der = uvtls_engine_take_new_session(c->engine, &len);
    if (der == NULL)
        return 0;
    char *saved = NULL;
    size_t saved_len = 0;
    if (filled != NULL && *filled > 0) {
        saved = malloc(*filled);
        if (saved == NULL) {
            free(der);
            uvtls_error err;
            uvtls_error_set(&err, "read", "ERR_UVTLS_OUT_OF_MEMORY", "out of memory");
            emit_error(c, &err);
            return -1;
        }
        memcpy(saved, clear, *filled);
        saved_len = *filled;
        *filled = 0;
    }
    for (int i = 0; der != NULL;) {
        uvtls_conn_event_data d = {.data = (const char *)der, .len = len};
        emit(c, UVTLS_CONN_SESSION, &d);
        free(der);
        der = NULL;
        if (c->closing || ++i == MAX_SESSIONS_PER_CALL)
            break;
        der = uvtls_engine_take_new_session(c->engine, &len);
    }
    if (saved != NULL && !c->closing) {
        uvtls_conn_event_data d = {.data = saved, .len = saved_len};
        emit(c, UVTLS_CONN_DATA, &d);
    }
    free(saved);
    return c->closing ? -1 : 0;
}

/* Reads all cleartext the engine has, into the loop's shared buffer, delivered in batches. The
 * buffer holds this connection's cleartext only between two engine calls: no event is emitted
 * (no JavaScript runs) while it holds bytes not yet delivered, except through DATA itself, whose
 * receiver copies them before anything else. */
static void drain_cleartext(uvtls_conn *c) {
    if (c->draining)
        return; /* re-entered from an owner callback: the outer loop goes on */
    c->draining = 1;
    size_t filled = 0;
    char *buf = c->loop->clear;
    while (c->read_wanted && !c->closing && !c->ended) {
        ssize_t n = uvtls_engine_read(c->engine, buf + filled, sizeof(c->loop->clear) - filled);
        if (n > 0)
            filled += (size_t)n;
        if (emit_new_sessions(c, buf, &filled) < 0)
            break;
        if (n > 0 && filled < sizeof(c->loop->clear))
            continue;
        if (filled > 0) {
            uvtls_conn_event_data d = {.data = buf, .len = filled};
            filled = 0;
            emit(c, UVTLS_CONN_DATA, &d);
            if (n > 0)
                continue;
        }
        if (n == UVTLS_AGAIN || c->closing)
            break;
        if (n == UVTLS_EOF) {
            c->ended = 1;
            emit(c, UVTLS_CONN_END, NULL);
            break;
        }
        if (n == UVTLS_FAIL) {
            flush(c); /* our alert, if any */
            emit_error(c, uvtls_engine_error(c->engine));
            break;
        }
    }
    c->draining = 0;
    if (!c->closing)
        emit_new_sessions(c, NULL, NULL);
    if (!c->closing)
        flush_or_fail(c);
}

/* What follows a handshake step that left the engine in state `st`. */
static void after_step(uvtls_conn *c, uvtls_engine_state st) {
    /* The handshake's output (our flight, an alert, a server's tickets) goes out first. When that
     * fails because the peer already left, what the handshake decided still comes first: its own
     * error, or, for a handshake that completed, SECURE, and the failure after it. Node announces
     * every completed handshake, also of a client that closed right after its Finished (the
     * tickets a TLS 1.3 server sends then meet a reset). */
    int owned = c->uncovered > 0; /* read before flush() attaches them to a request */
    int flushed = unless_unowned(c, flush(c), owned);
    if (c->closing)
        return;
    if (st == UVTLS_ENGINE_ERROR) {
        emit_error(c, uvtls_engine_error(c->engine));
        return;
    }
    int completes =
        !c->secure && st != UVTLS_ENGINE_HANDSHAKING && !uvtls_engine_hello_waiting(c->engine);
    if (flushed < 0 && !completes) {
        fail_flush(c, flushed);
        return;
    }
    if (uvtls_engine_hello_waiting(c->engine)) {
        /* The owner answers, now or later, with uvtls_conn_resume_hello(), which runs this
         * function again: nothing more to do in this call. */
        if (!c->hello_reported) {
            c->hello_reported = 1;
            const char *name = uvtls_engine_hello_servername(c->engine);
            uvtls_conn_event_data d = {.data = name, .len = name ? strlen(name) : 0};
            emit(c, UVTLS_CONN_CLIENT_HELLO, &d);
        }
        return;
    }
    if (completes) {
        c->secure = 1;
        /* issued during the handshake (TLS 1.2, a server's tickets) */
        if (emit_new_sessions(c, NULL, NULL) < 0)
            return;
        start_timer(c, c->idle_timeout_ms);
        emit(c, UVTLS_CONN_SECURE, NULL);
        if (c->closing)
            return;
        send_early_writes(c);
        if (c->closing)
            return;
        if (flushed < 0) {
            fail_flush(c, flushed);
            return;
        }
    }
    if (c->secure)
        drain_cleartext(c);
}

static void process(uvtls_conn *c) {
    after_step(c, uvtls_engine_handshake(c->engine));
}

/* --- handshake steps on the pool -------------------------------------------------------------
 *
 * A server conn that only its server owns (no JavaScript object, so nothing but the driver can
 * reach its engine) runs its costly handshake steps on the loop's pool: the key exchange and
 * signature after a ClientHello, the check of a client certificate. The read side
 * stops for the step, so no new bytes reach the engine meanwhile; what the step decided is acted
 * on back on the loop thread (after_step), in the order a step on the loop would have. */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

/* Where the next handshake step runs. */
typedef enum { STEP_HERE, STEP_HERE_TIMED, STEP_ON_POOL } step_place;

static step_place where_to_step(const uvtls_conn *c) {
    uvtls_pool *p = uvtls_pool_of(c->loop);
    if (c->offload == UVTLS_OFFLOAD_NEVER || c->secure || c->closing || p == NULL ||
        !uvtls_engine_next_step_is_costly(c->engine))
        return STEP_HERE;
    if (c->offload == UVTLS_OFFLOAD_ALWAYS || uvtls_pool_is_busy(p))
        return STEP_ON_POOL;
    return STEP_HERE_TIMED; /* its duration tells whether the next one should go */
}

static void step_work(uvtls_pool_job *job) {
    uvtls_conn *c = (uvtls_conn *)((char *)job - offsetof(uvtls_conn, step));
    c->step_state = uvtls_engine_handshake(c->engine);
}

static void step_done(uvtls_pool_job *job) {
    uvtls_conn *c = (uvtls_conn *)((char *)job - offsetof(uvtls_conn, step));
    c->stepping = 0;
    if (c->free_after_step) {
        free_conn(c);
        return;
    }
    if (c->closing)
        return; /* the close callbacks free it */
    if (c->step_paused_reading) {
        c->step_paused_reading = 0;
        if (c->reading)
            uv_read_start(&c->io.stream, on_alloc, on_read);
    }
    if (c->step_timed_out) {
        c->step_timed_out = 0;
        on_timer(&c->timer);
        if (c->closing)
            return;
    }
    /* A pool that stopped before the step ran (teardown) hands it back: run it here. */
    after_step(c, job->ran ? c->step_state : uvtls_engine_handshake(c->engine));
}

/* Runs process() on the pool. The engine holds every byte it was given: a loan ended first. */
static void start_step(uvtls_conn *c) {
    uvtls_pool *p = uvtls_pool_of(c->loop);
    c->step.work = step_work;
    c->step.done = step_done;
    if (p == NULL || uvtls_pool_submit(p, &c->step) < 0) {
        process(c);
        return;
    }
    c->stepping = 1;
    if (c->reading) {
        uv_read_stop(&c->io.stream);
        c->step_paused_reading = 1;
    }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
    (void)suggested;
    uvtls_conn *c = h->data;
    *buf = uv_buf_init(c->loop->recv, sizeof(c->loop->recv));
}

/* The peer finished sending (a FIN, or the end of an external transport). */
static void received_eof(uvtls_conn *c) {
    c->reading = 0;
    uvtls_engine_feed_eof(c->engine);
    c->eof_seen = 1;
    if (!c->secure) {
        process(c); /* fails with ECONNRESET, stage "handshake" */
        return;
    }
    c->read_wanted = 1; /* the end must be seen even by a paused owner */
    drain_cleartext(c);
    report_write_error(c);
}

/* What received() does with ciphertext the engine now holds (lent, see below). */
static void consume(uvtls_conn *c, size_t len) {
    if (c->secure) {
        /* The data path: nothing of the handshake is looked at any more. */
        if (c->idle_timeout_ms)
            start_timer(c, c->idle_timeout_ms);
        drain_cleartext(c);
        return;
    }
    if (c->hello_reported && !c->secure && uvtls_engine_hello_waiting(c->engine)) {
        /* Nothing read now is processed before the owner answers (SNICallback, OCSPRequest,
         * resumeSession may take long): it waits in the engine. An honest client sends little
         * or nothing before our reply; beyond a few records, the handshake fails. */
        c->held_paused += len;
        if (c->held_paused > UVTLS_CONN_MAX_HELD_PAUSED) {
            uvtls_error err;
            uvtls_error_set(&err, "handshake", "ERR_TLS_HANDSHAKE_BUFFER_LIMIT",
                            "Client sent more than %u bytes while its handshake was paused",
                            (unsigned)UVTLS_CONN_MAX_HELD_PAUSED);
            uvtls_error_set_hint(&err, "A TLS client waits for the server's reply after its "
                                       "ClientHello; this one kept sending (a flood, or not TLS).");
            emit_error(c, &err);
            return;
        }
    }
    switch (where_to_step(c)) {
    case STEP_ON_POOL:
        c->step_wanted = 1; /* started by received(), once the loan is over */
        return;
    case STEP_HERE_TIMED: {
        uint64_t start = uv_hrtime();
        process(c);
        uvtls_pool *p = uvtls_pool_of(c->loop); /* gone if an event tore the loop down */
        if (p != NULL)
            uvtls_pool_note_inline_step(p, start, uv_hrtime());
        return;
    }
    case STEP_HERE:
        process(c);
        return;
    }
}

/* Ciphertext from the peer, from either transport: the one way bytes enter the driver. The
 * engine reads it in place (the loop's receive buffer, or the owner's for an external
 * transport) while it is processed, and copies only what is left unread when this returns. */
static void received(uvtls_conn *c, const char *data, size_t len) {
    c->bytes_read += len;
    if (uvtls_engine_lend(c->engine, data, len) < 0) {
        emit_error(c, uvtls_engine_error(c->engine));
        return;
    }
    consume(c, len);
    /* The engine lives until the handles' close callbacks, so it is still here even when an
     * event of consume() closed the connection. */
    int kept = uvtls_engine_end_loan(c->engine);
    if (kept < 0 && !c->closing)
        emit_error(c, uvtls_engine_error(c->engine));
    if (c->step_wanted) {
        c->step_wanted = 0;
        if (kept >= 0 && !c->closing)
            start_step(c);
    }
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
    uvtls_conn *c = s->data;
    if (nread == 0 || c->closing)
        return;
    if (nread == UV_EOF) {
        uv_read_stop(s);
        received_eof(c);
        return;
    }
    if (nread < 0) {
        uv_read_stop(s);
        c->reading = 0;
        report_write_error(c);
        emit_uv_error(c, (int)nread, "read");
        return;
    }
    received(c, buf->base, (size_t)nread);
}

int uvtls_conn_feed(uvtls_conn *c, const void *data, size_t len) {
    if (!c->external)
        return UV_EINVAL;
    if (c->closing || c->eof_seen)
        return UV_EPIPE;
    if (len > 0)
        received(c, data, len);
    return 0;
}

int uvtls_conn_feed_eof(uvtls_conn *c) {
    if (!c->external)
        return UV_EINVAL;
    if (c->closing || c->eof_seen)
        return 0;
    received_eof(c);
    return 0;
}

int uvtls_conn_is_external(const uvtls_conn *c) {
    return c->external;
}

int uvtls_conn_resume_hello(uvtls_conn *c, uvtls_context *ctx) {
    if (c->closing)
        return UV_EPIPE;
    if (uvtls_engine_resume_hello(c->engine, ctx) < 0)
        return UV_EINVAL; /* not paused */
    process(c);
    return 0;
}

int uvtls_conn_read_start(uvtls_conn *c) {
    c->read_wanted = 1;
    if (c->closing || !c->connected)
        return 0;
    if (!c->reading && !c->ended && !c->external) {
        int r = uv_read_start(&c->io.stream, on_alloc, on_read);
        if (r < 0 && r != UV_EALREADY)
            return r;
        c->reading = 1;
    }
    if (c->secure)
        drain_cleartext(c); /* records that arrived while paused */
    return 0;
}

int uvtls_conn_read_stop(uvtls_conn *c) {
    c->read_wanted = 0;
    if (c->reading && !c->closing && !c->external) {
        uv_read_stop(&c->io.stream);
        c->reading = 0;
        report_write_error(c); /* no read will tell why any more */
    }
    return 0;
}

/* --- connecting ----------------------------------------------------------------------------- */

static void begin(uvtls_conn *c) {
    c->connected = 1;
    c->started = 1;
    start_timer(c, c->handshake_timeout_ms);
    if (c->external) {
        c->reading = 1; /* the owner's transport reads until it feeds the end */
    } else if (c->read_wanted) {
        uv_read_start(&c->io.stream, on_alloc, on_read);
        c->reading = 1;
    }
    process(c); /* a client sends its ClientHello */
}

int uvtls_conn_start(uvtls_conn *c) {
    if (!c->external)
        return UV_EINVAL;
    if (c->started || c->closing)
        return UV_EALREADY;
    if (!c->is_server) {
        c->started = 1; /* an owner that starts us from CONNECT is not heard twice */
        emit(c, UVTLS_CONN_CONNECT, NULL);
        if (c->closing)
            return 0;
    }
    begin(c);
    return 0;
}

static void on_connect(uv_connect_t *req, int status) {
    uvtls_conn *c = req->data;
    if (c->closing)
        return;
    if (status < 0) {
        uvtls_error err;
        uvtls_net_error(&err, "connect", status, NULL);
        emit_error(c, &err);
        return;
    }
    emit(c, UVTLS_CONN_CONNECT, NULL);
    if (!c->closing)
        begin(c);
}

int uvtls_conn_connect(uvtls_conn *c, const struct sockaddr *addr, const struct sockaddr *local) {
    if (local != NULL) {
        int r = uv_tcp_bind(&c->io.tcp, local, 0);
        if (r < 0)
            return r;
    }
    c->connect_req.data = c;
    return uv_tcp_connect(&c->connect_req, &c->io.tcp, addr, on_connect);
}

int uvtls_conn_connect_pipe(uvtls_conn *c, const char *path) {
    c->connect_req.data = c;
    uv_pipe_connect(&c->connect_req, &c->io.pipe, path, on_connect);
    return 0;
}

uvtls_conn *uvtls_conn_accept(uv_stream_t *server, uvtls_loop *loop, uvtls_context *ctx,
                              const uvtls_conn_options *opts, uvtls_conn_cb cb, void *user,
                              uvtls_error *err) {
    uvtls_conn *c = conn_create(loop, opts, cb, user, err);
    if (c == NULL)
        return NULL; /* the descriptor is still the listener's: see conn.h */
    int r = uv_accept(server, &c->io.stream);
    if (r < 0) {
        uvtls_net_error(err, "accept", r, NULL);
        conn_discard(c);
        return NULL;
    }
    if (conn_setup(c, ctx, opts, err) < 0) {
        conn_discard(c); /* closes the accepted descriptor with the handle */
        return NULL;
    }
    begin(c);
    return c;
}

/* --- ending --------------------------------------------------------------------------------- */

static void on_shutdown(uv_shutdown_t *req, int status) {
    (void)req;
    (void)status; /* a peer that already left is no error for us */
}

static int start_shutdown(uvtls_conn *c) {
    c->shutdown_sent = 1;
    uvtls_engine_shutdown(c->engine);
    if (flush_or_fail(c) < 0)
        return -1;
    if (c->external) {
        emit(c, UVTLS_CONN_OUTPUT_END, NULL);
        return 0;
    }
    c->shutdown_req.data = c;
    int r = uv_shutdown(&c->shutdown_req, &c->io.stream, on_shutdown);
    return r == UV_ENOTCONN ? 0 : r;
}

int uvtls_conn_shutdown(uvtls_conn *c) {
    if (c->closing || c->shutdown_wanted)
        return 0;
    c->shutdown_wanted = 1;
    if (!c->connected || (!c->secure && c->early_head != NULL))
        return 0; /* after the handshake, behind the early writes */
    return start_shutdown(c);
}

/* --- settings and getters ------------------------------------------------------------------- */

void uvtls_conn_set_timeout(uvtls_conn *c, unsigned ms) {
    c->idle_timeout_ms = ms;
    if (c->closing)
        return;
    if (c->secure || ms > 0)
        start_timer(c, ms);
}

int uvtls_conn_set_nodelay(uvtls_conn *c, int on) {
    return c->is_pipe || c->external ? 0 : uv_tcp_nodelay(&c->io.tcp, on);
}

int uvtls_conn_set_keepalive(uvtls_conn *c, int on, unsigned delay_s) {
    return c->is_pipe || c->external ? 0 : uv_tcp_keepalive(&c->io.tcp, on, delay_s);
}

void uvtls_conn_ref(uvtls_conn *c) {
    if (!c->external)
        uv_ref(&c->io.handle);
    uv_ref((uv_handle_t *)&c->timer);
}

void uvtls_conn_unref(uvtls_conn *c) {
    if (!c->external)
        uv_unref(&c->io.handle);
    uv_unref((uv_handle_t *)&c->timer);
}

int uvtls_conn_peername(const uvtls_conn *c, struct sockaddr_storage *out) {
    int len = sizeof(*out);
    if (c->is_pipe || c->external)
        return UV_ENOTSUP;
    return uv_tcp_getpeername(&c->io.tcp, (struct sockaddr *)out, &len);
}

int uvtls_conn_sockname(const uvtls_conn *c, struct sockaddr_storage *out) {
    int len = sizeof(*out);
    if (c->is_pipe || c->external)
        return UV_ENOTSUP;
    return uv_tcp_getsockname(&c->io.tcp, (struct sockaddr *)out, &len);
}

uint64_t uvtls_conn_bytes_read(const uvtls_conn *c) {
    return c->bytes_read;
}

uint64_t uvtls_conn_bytes_written(const uvtls_conn *c) {
    return c->bytes_written;
}

uvtls_engine *uvtls_conn_engine(const uvtls_conn *c) {
    return c->engine;
}
