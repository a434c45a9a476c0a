/* test-net: src/net (uvtls_server, uvtls_conn) on a real libuv loop over loopback sockets, in
 * the style of libuv's own tests: every callback is counted, every close callback is checked,
 * and a test ends when the loop has nothing left to run (uv_run returns), never after a fixed
 * time. The runner's alarm() bounds a test that would hang. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "core/context_internal.h"
#include "core/errors.h"
#include "harness.h"
#include "helpers.h"
#include "net/address.h"
#include "net/conn.h"
#include "net/handshake_pool.h"
#include "net/server.h"

enum { BACKLOG = 16, ECHO_MAX = 64 };

static const char PING[] = "ping over uvtls";

/* One test's world: a loop, the uvtls per-loop state, a server and up to two clients. Every
 * counter is a callback count the test checks at the end. */
typedef struct fixture {
    uv_loop_t uv;
    uvtls_loop *loop;
    uvtls_context *server_ctx, *client_ctx;
    uvtls_server *server;
    struct sockaddr_storage addr;
    int max_connections;
    int expect_taken; /* server-side conns to see closed before the server closes (0: one) */
    unsigned handshake_threads, handshake_timeout_ms; /* set before fixture_setup */

    /* server events */
    int server_secure, server_client_error, server_error, server_close;
    char client_error_code[96];
    /* events of the server-side conns the test took at SECURE */
    int taken_data, taken_end, taken_error, taken_close;
    char taken_buf[ECHO_MAX];
    size_t taken_len;

    /* client events (both clients share the counters) */
    int connect_cb, secure_cb, end_cb, error_cb, close_cb, written_cb;
    int written_count, written_status;
    char error_code[96];
    char echo[ECHO_MAX];
    size_t echo_len;
    int close_in_secure;   /* the client closes inside its SECURE callback */
    int write_after_close; /* result of a write made after close */
    int second_client;     /* open a second client once the first is secure */
    uvtls_conn *clients[2];
} fixture;

static void copy_code(char *dst, size_t cap, const uvtls_error *err) {
    snprintf(dst, cap, "%s", err != NULL ? err->code : "(none)");
}

/* Keeps what arrived, up to the buffer's size (the tests send less). */
static void append(char *buf, size_t cap, size_t *len, const char *data, size_t n) {
    if (*len + n <= cap) {
        memcpy(buf + *len, data, n);
        *len += n;
    }
}

/* --- the server side ------------------------------------------------------------------------ */

static void taken_cb(uvtls_conn *c, uvtls_conn_event ev, const uvtls_conn_event_data *d,
                     void *user) {
    fixture *f = user;
    switch (ev) {
    case UVTLS_CONN_DATA:
        f->taken_data++;
        append(f->taken_buf, sizeof(f->taken_buf), &f->taken_len, d->data, d->len);
        CHECK(uvtls_conn_write(c, d->data, d->len) >= 0); /* echo */
        break;
    case UVTLS_CONN_END:
        f->taken_end++;
        uvtls_conn_close(c);
        break;
    case UVTLS_CONN_ERROR:
        f->taken_error++;
        uvtls_conn_close(c);
        break;
    case UVTLS_CONN_CLOSE:
        f->taken_close++;
        uvtls_server_conn_closed(f->server);
        /* The test is over once the server-side conns closed: stop listening. */
        if (f->taken_close >= (f->expect_taken > 0 ? f->expect_taken : 1))
            uvtls_server_close(f->server);
        break;
    default:
        break;
    }
}

static void server_cb(uvtls_server *s, uvtls_server_event ev, uvtls_conn *conn,
                      const uvtls_error *err, void *user) {
    fixture *f = user;
    switch (ev) {
    case UVTLS_SERVER_SECURE:
        f->server_secure++;
        uvtls_conn_set_callback(conn, taken_cb, f);
        break;
    case UVTLS_SERVER_CLIENT_ERROR:
        /* The server closes that conn itself; no test expects more connections after one. */
        f->server_client_error++;
        copy_code(f->client_error_code, sizeof(f->client_error_code), err);
        uvtls_server_close(s);
        break;
    case UVTLS_SERVER_ERROR:
        f->server_error++;
        break;
    case UVTLS_SERVER_CLOSE:
        f->server_close++;
        f->server = NULL;
        break;
    default:
        break;
    }
}

/* --- the client side ------------------------------------------------------------------------ */

static uvtls_conn *connect_client(fixture *f);

static void client_cb(uvtls_conn *c, uvtls_conn_event ev, const uvtls_conn_event_data *d,
                      void *user) {
    fixture *f = user;
    switch (ev) {
    case UVTLS_CONN_CONNECT:
        f->connect_cb++;
        break;
    case UVTLS_CONN_SECURE:
        f->secure_cb++;
        if (f->close_in_secure) {
            uvtls_conn_close(c);
            uvtls_conn_close(c); /* twice is safe */
            break;
        }
        if (f->second_client && f->clients[1] == NULL) {
            f->clients[1] = connect_client(f);
            break;
        }
        CHECK(uvtls_conn_write(c, PING, sizeof(PING) - 1) >= 0);
        break;
    case UVTLS_CONN_DATA:
        append(f->echo, sizeof(f->echo), &f->echo_len, d->data, d->len);
        /* with many clients the echo buffer is shared: each ends at its first echo */
        if (f->echo_len == sizeof(PING) - 1 || f->expect_taken > 0)
            CHECK_INT_EQ(uvtls_conn_shutdown(c), 0);
        break;
    case UVTLS_CONN_END:
        f->end_cb++;
        uvtls_conn_close(c);
        break;
    case UVTLS_CONN_ERROR:
        f->error_cb++;
        copy_code(f->error_code, sizeof(f->error_code), d->error);
        uvtls_conn_close(c);
        if (f->second_client && f->clients[0] != NULL)
            uvtls_conn_close(f->clients[0]); /* the refused one failed: end the test */
        break;
    case UVTLS_CONN_WRITTEN:
        f->written_cb++;
        f->written_count += (int)d->count;
        f->written_status = d->status;
        break;
    case UVTLS_CONN_CLOSE:
        f->close_cb++;
        break;
    default:
        break;
    }
}

static uvtls_conn *connect_client(fixture *f) {
    uvtls_conn_options o;
    memset(&o, 0, sizeof(o));
    o.engine.servername = "localhost";
    o.engine.reject_unauthorized = 1;
    uvtls_error err;
    uvtls_conn *c = uvtls_conn_new(f->loop, f->client_ctx, &o, client_cb, f, &err);
    CHECK(c != NULL);
    if (c != NULL)
        CHECK_INT_EQ(uvtls_conn_connect(c, (const struct sockaddr *)&f->addr, NULL), 0);
    return c;
}

/* --- set-up and tear-down ------------------------------------------------------------------- */

static void fixture_free(fixture *f) {
    uvtls_context_unref(f->server_ctx);
    uvtls_context_unref(f->client_ctx);
    if (f->loop != NULL)
        uvtls_loop_dispose(f->loop);
    free(f->loop);
    f->loop = NULL;
}

static int fixture_setup(fixture *f, int max_connections) {
    if (f->handshake_timeout_ms == 0)
        f->handshake_timeout_ms = 10000; /* a bound, not a timing: every test ends long before */
    f->loop = malloc(sizeof(*f->loop));
    f->server_ctx = make_server_context();
    f->client_ctx = make_client_context();
    if (f->loop == NULL || f->server_ctx == NULL || f->client_ctx == NULL)
        return -1;
    uvtls_loop_init(f->loop, &f->uv);
    uvtls_server_options o;
    memset(&o, 0, sizeof(o));
    o.max_connections = max_connections;
    o.handshake_timeout_ms = f->handshake_timeout_ms;
    o.handshake_threads = f->handshake_threads;
    o.offload_always = 1; /* every step a test makes is one the pool takes */
    uvtls_error err;
    f->server = uvtls_server_new(f->loop, f->server_ctx, &o, server_cb, f, &err);
    if (f->server == NULL)
        return -1;
    struct sockaddr_storage any;
    if (uvtls_net_address_parse("127.0.0.1", 0, &any) != 0 ||
        uvtls_server_listen(f->server, (const struct sockaddr *)&any, BACKLOG, &err) != 0 ||
        uvtls_server_sockname(f->server, &f->addr) != 0)
        return -1;
    return 0;
}

/* A loop with a server listening on 127.0.0.1 and an ephemeral port. On failure everything
 * made so far is closed and freed, and -1 returned. */
static int fixture_init_with(fixture *f, int max_connections, unsigned handshake_threads,
                             unsigned handshake_timeout_ms) {
    memset(f, 0, sizeof(*f));
    f->handshake_threads = handshake_threads;
    f->handshake_timeout_ms = handshake_timeout_ms;
    if (uv_loop_init(&f->uv) != 0)
        return -1;
    if (fixture_setup(f, max_connections) == 0)
        return 0;
    if (f->server != NULL) {
        uvtls_server_close(f->server);
        uv_run(&f->uv, UV_RUN_DEFAULT);
    }
    uv_loop_close(&f->uv);
    fixture_free(f);
    return -1;
}

static int fixture_init(fixture *f, int max_connections) {
    return fixture_init_with(f, max_connections, 0, 0);
}

/* Runs the loop until nothing is left, then checks that everything was closed. A handshake pool
 * keeps no loop alive while idle: it is stopped last, as at an environment's teardown. */
static void fixture_run_and_close(fixture *f) {
    CHECK_INT_EQ(uv_run(&f->uv, UV_RUN_DEFAULT), 0);
    CHECK(f->server == NULL); /* SERVER_CLOSE came */
    if (f->loop->pool != NULL) {
        CHECK_INT_EQ(uvtls_loop_close_all(f->loop, NULL, NULL), 1);
        CHECK_INT_EQ(uv_run(&f->uv, UV_RUN_DEFAULT), 0);
    }
    CHECK_INT_EQ(f->loop->open_items, 0);
    CHECK_INT_EQ(uv_loop_close(&f->uv), 0); /* no handle left open */
}

/* --- tests ---------------------------------------------------------------------------------- */

TEST_IMPL(net_connect_handshake_echo_shutdown_close) {
    fixture f;
    REQUIRE(fixture_init(&f, -1) == 0);
    f.clients[0] = connect_client(&f);
    fixture_run_and_close(&f);
    CHECK_INT_EQ(f.connect_cb, 1);
    CHECK_INT_EQ(f.secure_cb, 1);
    CHECK_INT_EQ(f.server_secure, 1);
    CHECK(f.taken_data >= 1); /* one DATA event per batch read: the record may arrive split */
    CHECK_INT_EQ(f.taken_len, sizeof(PING) - 1);
    CHECK(memcmp(f.taken_buf, PING, sizeof(PING) - 1) == 0);
    CHECK_INT_EQ(f.echo_len, sizeof(PING) - 1);
    CHECK(memcmp(f.echo, PING, sizeof(PING) - 1) == 0);
    CHECK_INT_EQ(f.taken_end, 1); /* the client's close_notify */
    CHECK_INT_EQ(f.end_cb, 1);    /* the server closed after it */
    CHECK_INT_EQ(f.error_cb, 0);
    CHECK_INT_EQ(f.taken_error, 0);
    CHECK_INT_EQ(f.close_cb, 1);
    CHECK_INT_EQ(f.taken_close, 1);
    CHECK_INT_EQ(f.server_close, 1);
    CHECK_INT_EQ(f.server_client_error, 0);
    CHECK_INT_EQ(f.server_error, 0);
    fixture_free(&f);
}

TEST_IMPL(net_close_inside_callback) {
    fixture f;
    REQUIRE(fixture_init(&f, -1) == 0);
    f.close_in_secure = 1;
    f.clients[0] = connect_client(&f);
    fixture_run_and_close(&f);
    CHECK_INT_EQ(f.secure_cb, 1);
    CHECK_INT_EQ(f.close_cb, 1); /* once, though close was called twice */
    CHECK_INT_EQ(f.error_cb, 0);
    CHECK_INT_EQ(f.end_cb, 0);
    /* The server side sees the transport end, exactly once: after its own handshake completed
     * (the taken conn's END or ERROR), or before (a client error; the client may close before
     * its last flight reached the server). */
    CHECK_INT_EQ(f.taken_end + f.taken_error + f.server_client_error, 1);
    CHECK_INT_EQ(f.taken_close, f.server_secure);
    CHECK_INT_EQ(f.server_close, 1);
    fixture_free(&f);
}

/* A raw TCP peer that connects and resets at once: the server reports a client error for that
 * connection, closes it, and keeps listening. */
typedef struct raw_peer {
    uv_tcp_t tcp;
    uv_connect_t req;
    int connect_cb, close_cb;
} raw_peer;

static void raw_closed(uv_handle_t *h) {
    raw_peer *p = h->data;
    p->close_cb++;
}

static void raw_connected(uv_connect_t *req, int status) {
    raw_peer *p = req->data;
    p->connect_cb++;
    CHECK_INT_EQ(status, 0);
    CHECK_INT_EQ(uv_tcp_close_reset(&p->tcp, raw_closed), 0);
}

TEST_IMPL(net_peer_reset_during_handshake) {
    fixture f;
    REQUIRE(fixture_init(&f, -1) == 0);
    raw_peer p;
    memset(&p, 0, sizeof(p));
    CHECK_INT_EQ(uv_tcp_init(&f.uv, &p.tcp), 0);
    p.tcp.data = &p;
    p.req.data = &p;
    CHECK_INT_EQ(uv_tcp_connect(&p.req, &p.tcp, (const struct sockaddr *)&f.addr, raw_connected),
                 0);
    fixture_run_and_close(&f);
    CHECK_INT_EQ(p.connect_cb, 1);
    CHECK_INT_EQ(p.close_cb, 1);
    CHECK_INT_EQ(f.server_client_error, 1);
    CHECK_STR_EQ(f.client_error_code, "ECONNRESET");
    CHECK_INT_EQ(f.server_secure, 0);
    CHECK_INT_EQ(f.server_close, 1); /* after its last connection closed */
    CHECK_INT_EQ(f.taken_close, 0);
    fixture_free(&f);
}

TEST_IMPL(net_max_connections_drops_the_extra_one) {
    fixture f;
    REQUIRE(fixture_init(&f, 1) == 0);
    f.second_client = 1;
    f.clients[0] = connect_client(&f);
    fixture_run_and_close(&f);
    /* The first client is secure and stays open until the second one was refused; the second
     * is dropped before any TLS work: it sees the transport end in its handshake. */
    CHECK_INT_EQ(f.server_secure, 1);
    CHECK_INT_EQ(f.connect_cb, 2);
    CHECK_INT_EQ(f.secure_cb, 1);
    CHECK_INT_EQ(f.error_cb, 1);
    CHECK_STR_EQ(f.error_code, "ECONNRESET");
    fixture_free(&f);
}

TEST_IMPL(net_write_after_close_fails_exactly_once) {
    fixture f;
    REQUIRE(fixture_init(&f, -1) == 0);
    uvtls_conn *c = connect_client(&f);
    REQUIRE(c != NULL);
    /* Before the handshake: queued in cleartext (0: a WRITTEN event follows). */
    CHECK_INT_EQ(uvtls_conn_write(c, PING, sizeof(PING) - 1), 0);
    uvtls_conn_close(c);
    /* After close: refused at once, with no event for it. */
    CHECK_INT_EQ(uvtls_conn_write(c, PING, sizeof(PING) - 1), UV_EPIPE);
    uvtls_server_close(f.server);
    fixture_run_and_close(&f);
    CHECK_INT_EQ(f.written_cb, 1);
    CHECK_INT_EQ(f.written_count, 1);
    CHECK_INT_EQ(f.written_status, UV_ECANCELED);
    CHECK_INT_EQ(f.close_cb, 1);
    CHECK_INT_EQ(f.secure_cb, 0);
    CHECK_INT_EQ(f.server_close, 1);
    fixture_free(&f);
}

/* --- handshake steps on the pool ------------------------------------------------------------ */

/* Where the server's handshake ran, seen from OpenSSL's info callback (process-wide state: the
 * callback has no user pointer, and the runner runs one test at a time). */
static struct {
    uv_thread_t loop_thread;
    atomic_int steps_on_loop, steps_off_loop; /* the pool's two threads count at once */
    /* blocking mode: the first step off the loop waits until the test lets it go */
    int block;
    uv_sem_t release;
    uv_async_t *entered_async;
} seen;

static void note_step(const SSL *ssl, int where, int ret) {
    (void)ssl;
    (void)ret;
    if (!(where & SSL_CB_ACCEPT_LOOP))
        return;
    uv_thread_t self = uv_thread_self();
    if (uv_thread_equal(&self, &seen.loop_thread)) {
        atomic_fetch_add(&seen.steps_on_loop, 1);
        return;
    }
    if (atomic_fetch_add(&seen.steps_off_loop, 1) == 0 && seen.block) {
        uv_async_send(seen.entered_async);
        uv_sem_wait(&seen.release);
    }
}

static void watch_steps(fixture *f) {
    memset(&seen, 0, sizeof(seen));
    atomic_init(&seen.steps_on_loop, 0);
    atomic_init(&seen.steps_off_loop, 0);
    seen.loop_thread = uv_thread_self();
    SSL_CTX_set_info_callback(uvtls_context_ssl_ctx(f->server_ctx), note_step);
}

TEST_IMPL(net_handshake_steps_run_on_the_pool) {
    fixture f;
    REQUIRE(fixture_init_with(&f, -1, 2, 0) == 0);
    REQUIRE(f.loop->pool != NULL);
    CHECK_INT_EQ(uvtls_pool_threads(f.loop->pool), 2);
    watch_steps(&f);
    f.clients[0] = connect_client(&f);
    fixture_run_and_close(&f);
    /* The same conversation as on the loop thread, */
    CHECK_INT_EQ(f.secure_cb, 1);
    CHECK_INT_EQ(f.server_secure, 1);
    CHECK_INT_EQ(f.echo_len, sizeof(PING) - 1);
    CHECK(memcmp(f.echo, PING, sizeof(PING) - 1) == 0);
    CHECK_INT_EQ(f.taken_end, 1);
    CHECK_INT_EQ(f.end_cb, 1);
    CHECK_INT_EQ(f.error_cb + f.taken_error + f.server_client_error, 0);
    /* with the steps that read the client's flights run by a pool thread. */
    CHECK(atomic_load(&seen.steps_off_loop) > 0);
    CHECK(f.loop->pool == NULL); /* stopped by uvtls_loop_close_all */
    fixture_free(&f);
}

/* Many handshakes at once, every costly step on the pool's two threads, while the loop thread
 * serves the rest: the run the thread sanitizer build (npm run test:tsan) checks. */
TEST_IMPL(net_many_handshakes_at_once_on_the_pool) {
    enum { CLIENTS = 12 };
    fixture f;
    REQUIRE(fixture_init_with(&f, -1, 2, 0) == 0);
    watch_steps(&f);
    f.expect_taken = CLIENTS;
    for (int i = 0; i < CLIENTS; i++)
        connect_client(&f);
    fixture_run_and_close(&f);
    CHECK_INT_EQ(f.server_secure, CLIENTS);
    CHECK_INT_EQ(f.secure_cb, CLIENTS);
    CHECK_INT_EQ(f.end_cb, CLIENTS);
    CHECK_INT_EQ(f.close_cb, CLIENTS);
    CHECK_INT_EQ(f.taken_close, CLIENTS);
    CHECK_INT_EQ(f.error_cb + f.taken_error + f.server_client_error, 0);
    CHECK(atomic_load(&seen.steps_off_loop) >= CLIENTS);
    fixture_free(&f);
}

/* The handshake timeout fires while a step runs on the pool: it is reported once the step is
 * back (never while a thread holds the engine), as the usual client error. */
typedef struct timeout_probe {
    fixture *f;
    uv_async_t entered;
    uv_timer_t after;
} timeout_probe;

static void release_step(uv_timer_t *t) {
    timeout_probe *p = t->data;
    uv_sem_post(&seen.release);
    uv_close((uv_handle_t *)&p->after, NULL);
    uv_close((uv_handle_t *)&p->entered, NULL);
}

/* The step is held on its thread. The conn's handshake timer was started at accept, before this,
 * with a shorter timeout than this timer's: libuv runs due timers in order, so when this one
 * fires the conn's has fired (and been deferred). */
static void step_entered(uv_async_t *a) {
    timeout_probe *p = a->data;
    uv_timer_start(&p->after, release_step, p->f->handshake_timeout_ms + 100, 0);
}

TEST_IMPL(net_handshake_timeout_during_a_pool_step) {
    fixture f;
    REQUIRE(fixture_init_with(&f, -1, 1, 300) == 0);
    watch_steps(&f);
    timeout_probe p = {.f = &f};
    REQUIRE(uv_sem_init(&seen.release, 0) == 0);
    uv_async_init(&f.uv, &p.entered, step_entered);
    uv_timer_init(&f.uv, &p.after);
    p.entered.data = p.after.data = &p;
    seen.entered_async = &p.entered;
    seen.block = 1;
    f.clients[0] = connect_client(&f);
    fixture_run_and_close(&f);
    CHECK(atomic_load(&seen.steps_off_loop) > 0);
    CHECK_INT_EQ(f.server_client_error, 1);
    CHECK_STR_EQ(f.client_error_code, "ERR_TLS_HANDSHAKE_TIMEOUT");
    CHECK_INT_EQ(f.server_secure, 0);
    CHECK_INT_EQ(f.secure_cb + f.error_cb, 1); /* the client: secure (TLS 1.3) or failed */
    CHECK_INT_EQ(f.close_cb, 1);
    uv_sem_destroy(&seen.release);
    fixture_free(&f);
}

TEST_IMPL(net_address_and_error_names) {
    struct sockaddr_storage ss;
    uvtls_net_address a;
    CHECK_INT_EQ(uvtls_net_address_parse("::1", 8443, &ss), 0);
    CHECK_INT_EQ(uvtls_net_address_format((const struct sockaddr *)&ss, &a), 0);
    CHECK_STR_EQ(a.host, "::1");
    CHECK_STR_EQ(a.family, "IPv6");
    CHECK_INT_EQ(a.port, 8443);
    CHECK_INT_EQ(uvtls_net_address_parse("127.0.0.1", 443, &ss), 0);
    CHECK_INT_EQ(uvtls_net_address_format((const struct sockaddr *)&ss, &a), 0);
    CHECK_STR_EQ(a.host, "127.0.0.1");
    CHECK_STR_EQ(a.family, "IPv4");
    CHECK_INT_EQ(uvtls_net_address_parse("not an address", 1, &ss), UV_EINVAL);
    ss.ss_family = AF_UNIX;
    CHECK_INT_EQ(uvtls_net_address_format((const struct sockaddr *)&ss, &a), UV_EAFNOSUPPORT);
    CHECK_STR_EQ(uvtls_net_error_name(UV_ECONNREFUSED), "ECONNREFUSED");
    CHECK_STR_EQ(uvtls_net_error_name(UV_EOF), "EOF");
    CHECK_STR_EQ(uvtls_net_error_name(-123456), "UNKNOWN"); /* and nothing allocated (LSan) */
    uvtls_error err;
    CHECK_INT_EQ(uvtls_net_error(&err, "listen", UV_EADDRINUSE, "127.0.0.1:80"), UV_EADDRINUSE);
    CHECK_STR_EQ(err.code, "EADDRINUSE");
    CHECK_STR_EQ(err.message, "listen EADDRINUSE 127.0.0.1:80");
    CHECK_STR_EQ(err.stage, "listen");
}
