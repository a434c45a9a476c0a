/* conn: one TLS connection on a libuv stream (TCP or Unix socket) driving one engine.
 *
 * Events reach the owner through one callback. The owner may call any uvtls_conn_* function,
 * uvtls_conn_close() included, from inside that callback; the conn re-checks its state after
 * every call out. Memory: the conn is freed after UVTLS_CONN_CLOSE was delivered, inside libuv's
 * close callback, never earlier; write buffers live until libuv's write callback.
 */
#ifndef UVTLS_NET_CONN_H
#define UVTLS_NET_CONN_H

#include <uv.h>

#include "core/engine.h"
#include "net/loop.h"

typedef struct uvtls_conn uvtls_conn;

/* What a server holds for a handshake paused at its ClientHello (UVTLS_CONN_CLIENT_HELLO) before
 * failing it: a few records. */
enum { UVTLS_CONN_MAX_HELD_PAUSED = 64 * 1024 };

/* The events a conn reports, in one list: the enum below and the names the binding exports to
 * JavaScript (lib/events.js reads them from there) both come from it. */
#define UVTLS_CONN_EVENTS(X)                                                                       \
    X(CONNECT)       /* client: transport connected, handshake started */                          \
    X(SECURE)        /* handshake done (and verified when rejecting) */                            \
    X(DATA)          /* cleartext: data/len, valid only during the call */                         \
    X(END)           /* the peer finished sending (close_notify or FIN) */                         \
    X(ERROR)         /* error; the owner decides to close */                                       \
    X(WRITTEN)       /* `count` earlier writes completed, in order; `status` < 0 on failure */     \
    X(TIMEOUT)       /* the idle timeout set with uvtls_conn_set_timeout() expired */              \
    X(CLIENT_HELLO)  /* server: paused at the ClientHello; data = host name or NULL; answer with   \
                        uvtls_conn_resume_hello() */                                               \
    X(SESSION)       /* a new session: data/len = DER (a client's from the server; a server's own  \
                        when it collects them) */                                                  \
    X(OCSP_RESPONSE) /* client that asked for OCSP stapling: data/len = the stapled response       \
                        (NULL: none), inside the handshake, before our Finished is sent */         \
    X(OUTPUT)        /* external transport: ciphertext data/len for the owner to send */           \
    X(OUTPUT_END)    /* external transport: everything is sent; end the transport's write side */  \
    X(CLOSE)         /* closed; the last event */

typedef enum uvtls_conn_event {
#define UVTLS_CONN_EVENT_ENUM(name) UVTLS_CONN_##name,
    UVTLS_CONN_EVENTS(UVTLS_CONN_EVENT_ENUM)
#undef UVTLS_CONN_EVENT_ENUM
        UVTLS_CONN_EVENT_COUNT
} uvtls_conn_event;

/* "CONNECT", "SECURE", ...: the event's name as JavaScript knows it; NULL when out of range. */
const char *uvtls_conn_event_name(int ev);

typedef struct uvtls_conn_event_data {
    const char *data;
    size_t len;
    const uvtls_error *error;
    size_t count;
    int status;
} uvtls_conn_event_data;

typedef void (*uvtls_conn_cb)(uvtls_conn *c, uvtls_conn_event ev, const uvtls_conn_event_data *d,
                              void *user);

typedef enum uvtls_offload {
    UVTLS_OFFLOAD_NEVER = 0,
    UVTLS_OFFLOAD_WHEN_BUSY, /* all but the first costly step of each loop iteration */
    UVTLS_OFFLOAD_ALWAYS     /* every costly step: the loop never runs handshake arithmetic */
} uvtls_offload;

typedef struct uvtls_conn_options {
    uvtls_engine_options engine;
    unsigned handshake_timeout_ms; /* 0: none */
    int pipe;                      /* a Unix socket instead of TCP */
    int external; /* no socket: the owner runs the transport (a JavaScript stream). It feeds what
                     the peer sent with uvtls_conn_feed()/uvtls_conn_feed_eof(), sends what
                     OUTPUT events carry, ends its write side at OUTPUT_END, and starts the
                     handshake with uvtls_conn_start(). Everything else is the same driver. */
    const unsigned char *alpn; /* ALPN protocols, wire format (copied); NULL: none */
    size_t alpn_len;
    int sni_pause;       /* server: pause at the ClientHello (UVTLS_CONN_CLIENT_HELLO) */
    int keylog;          /* collect keylog lines (uvtls_engine_take_keylog) */
    int ocsp_pause;      /* server: pause at the ClientHello of clients asking for OCSP stapling */
    int resume_pause;    /* server: pause at a ClientHello with a session id (resumeSession) */
    int server_sessions; /* server: report new sessions (newSession) */
    /* Socket server: run costly handshake steps on the loop's pool (handshake_pool.h) while the
     * conn has no owner but its server; uvtls_conn_set_callback() (an owner taking the conn)
     * ends it, so owners never share a conn with a thread. */
    uvtls_offload offload;
} uvtls_conn_options;

/* A client connection; call uvtls_conn_connect*() next. NULL + err on failure. */
uvtls_conn *uvtls_conn_new(uvtls_loop *loop, uvtls_context *ctx, const uvtls_conn_options *opts,
                           uvtls_conn_cb cb, void *user, uvtls_error *err);
/* Accepts a pending connection of `server` (a listening stream) as a server-side conn. On failure
 * (NULL + err) the accepted descriptor was closed, except when the conn itself could not be
 * allocated: then it is still pending and the caller must take it (libuv stops polling a listener
 * whose accepted descriptor is never taken). */
uvtls_conn *uvtls_conn_accept(uv_stream_t *server, uvtls_loop *loop, uvtls_context *ctx,
                              const uvtls_conn_options *opts, uvtls_conn_cb cb, void *user,
                              uvtls_error *err);
/* A new owner: from now on every handshake step runs on the loop thread. */
void uvtls_conn_set_callback(uvtls_conn *c, uvtls_conn_cb cb, void *user);
void *uvtls_conn_user(const uvtls_conn *c);

/* Starts connecting; the result arrives as CONNECT or ERROR. 0 or a libuv error code. */
int uvtls_conn_connect(uvtls_conn *c, const struct sockaddr *addr, const struct sockaddr *local);
int uvtls_conn_connect_pipe(uvtls_conn *c, const char *path);

/* External transport: the transport is ready; a client sends its ClientHello, a server waits
 * for one. 0, or UV_EALREADY when started before. */
int uvtls_conn_start(uvtls_conn *c);
/* External transport: bytes the peer sent; the end of them. 0 or a libuv error code (UV_EINVAL
 * on a socket conn, UV_EPIPE once closing); a TLS failure is reported as ERROR. */
int uvtls_conn_feed(uvtls_conn *c, const void *data, size_t len);
int uvtls_conn_feed_eof(uvtls_conn *c);
int uvtls_conn_is_external(const uvtls_conn *c);

/* Encrypts and sends. Returns 1 when the data already reached the kernel (no WRITTEN event
 * follows for it), 0 when queued (one WRITTEN count follows), or < 0 on failure. Before the
 * handshake ends, data is queued in cleartext and sent once secure. */
int uvtls_conn_write(uvtls_conn *c, const void *data, size_t len);
/* Ciphertext and early cleartext waiting for the kernel, in bytes. */
size_t uvtls_conn_queued(const uvtls_conn *c);

/* Ends the ClientHello pause; `ctx` (or NULL for the current one) serves the connection. 0, or
 * UV_EPIPE once closing, UV_EINVAL when not paused. */
int uvtls_conn_resume_hello(uvtls_conn *c, uvtls_context *ctx);

/* Reading is on after connect/accept; stop it while the owner's reader is full. */
int uvtls_conn_read_start(uvtls_conn *c);
int uvtls_conn_read_stop(uvtls_conn *c);

/* Sends close_notify, then ends the transport's write side once everything is flushed. */
int uvtls_conn_shutdown(uvtls_conn *c);
/* Closes now. Pending writes complete with an error, then CLOSE. Safe to call twice. */
void uvtls_conn_close(uvtls_conn *c);
int uvtls_conn_is_closing(const uvtls_conn *c);

/* Idle timeout (0 turns it off); restarted by every read and write. */
void uvtls_conn_set_timeout(uvtls_conn *c, unsigned ms);
int uvtls_conn_set_nodelay(uvtls_conn *c, int on);
int uvtls_conn_set_keepalive(uvtls_conn *c, int on, unsigned delay_s);
void uvtls_conn_ref(uvtls_conn *c);
void uvtls_conn_unref(uvtls_conn *c);
int uvtls_conn_peername(const uvtls_conn *c, struct sockaddr_storage *out);
int uvtls_conn_sockname(const uvtls_conn *c, struct sockaddr_storage *out);
uint64_t uvtls_conn_bytes_read(const uvtls_conn *c);    /* ciphertext bytes from the peer */
uint64_t uvtls_conn_bytes_written(const uvtls_conn *c); /* ciphertext bytes to the peer */
/* Borrowed; valid until CLOSE. */
uvtls_engine *uvtls_conn_engine(const uvtls_conn *c);

#endif
