/* server: a listening TCP or Unix socket whose connections become TLS conns.
 *
 * Until a connection is secure the server owns it: handshake failures and timeouts are reported
 * as CLIENT_ERROR and the server closes that connection. At SECURE the owner takes the conn
 * (uvtls_conn_set_callback) and from then on closes it itself. The server is freed after CLOSE,
 * which comes once it stopped listening AND its last connection closed (as Node's 'close').
 */
#ifndef UVTLS_NET_SERVER_H
#define UVTLS_NET_SERVER_H

#include "net/conn.h"

typedef struct uvtls_server uvtls_server;

/* The events a server reports, in one list (the enum and the names exported to JavaScript). */
#define UVTLS_SERVER_EVENTS(X)                                                                     \
    X(SECURE)       /* `conn` finished its handshake; take it or close it */                       \
    X(CLIENT_ERROR) /* `conn` failed before secure; closed after the callback */                   \
    X(ERROR)        /* accept failed (e.g. EMFILE); the server keeps listening */                  \
    X(CLIENT_HELLO) /* `conn` paused at its ClientHello (SNI): take it, then resume it with        \
                       uvtls_conn_resume_hello() */                                                \
    X(CONNECTION)   /* `conn` was just accepted (report_accept): the owner may take it now; if it  \
                       does not, the server keeps it as any other */                               \
    X(CLOSE)        /* the last event */

typedef enum uvtls_server_event {
#define UVTLS_SERVER_EVENT_ENUM(name) UVTLS_SERVER_##name,
    UVTLS_SERVER_EVENTS(UVTLS_SERVER_EVENT_ENUM)
#undef UVTLS_SERVER_EVENT_ENUM
        UVTLS_SERVER_EVENT_COUNT
} uvtls_server_event;

/* "SECURE", "CLIENT_ERROR", ...; NULL when out of range. */
const char *uvtls_server_event_name(int ev);

typedef void (*uvtls_server_cb)(uvtls_server *s, uvtls_server_event ev, uvtls_conn *conn,
                                const uvtls_error *err, void *user);

typedef struct uvtls_server_options {
    int request_cert;
    int reject_unauthorized;
    unsigned handshake_timeout_ms;
    int max_connections; /* < 0: no limit */
    int no_delay;
    int keep_alive;
    unsigned keep_alive_delay_s;
    int pipe; /* a Unix socket path instead of TCP */
    int ipv6_only;
    int reuse_port;      /* SO_REUSEPORT: several processes share one port */
    int sni_pause;       /* pause each handshake at the ClientHello (SNICallback, addContext) */
    int keylog;          /* collect keylog lines */
    int ocsp_pause;      /* pause handshakes that ask for OCSP stapling ('OCSPRequest') */
    int resume_pause;    /* pause handshakes that carry a session id ('resumeSession') */
    int server_sessions; /* report new sessions ('newSession') */
    int report_accept;   /* report each accepted connection (CONNECTION: Node's 'connection') */
    int trace;           /* enableTrace: SSL_trace every connection from its first byte */
    unsigned handshake_threads; /* run handshake steps on a pool of this many threads (the loop's,
                                   see handshake_pool.h); 0: on the loop thread */
    int offload_always; /* with threads: every costly step on the pool, not only when busy */
} uvtls_server_options;

uvtls_server *uvtls_server_new(uvtls_loop *loop, uvtls_context *ctx,
                               const uvtls_server_options *opts, uvtls_server_cb cb, void *user,
                               uvtls_error *err);
/* Bind and listen. Returns 0, or a negative UV_E* with err filled (code "EADDRINUSE", ...). */
int uvtls_server_listen(uvtls_server *s, const struct sockaddr *addr, int backlog,
                        uvtls_error *err);
int uvtls_server_listen_pipe(uvtls_server *s, const char *path, int backlog, uvtls_error *err);
int uvtls_server_sockname(const uvtls_server *s, struct sockaddr_storage *out);
/* Swaps the context used for new handshakes (setSecureContext); open conns keep theirs. */
void uvtls_server_set_context(uvtls_server *s, uvtls_context *ctx);
void uvtls_server_set_max_connections(uvtls_server *s, int max);
/* For new connections: ALPN protocols (wire format; NULL/0 for none; returns 0 or UV_ENOMEM),
 * SNI pause, keylog. */
int uvtls_server_set_alpn(uvtls_server *s, const unsigned char *wire, size_t len);
void uvtls_server_set_sni_pause(uvtls_server *s, int on);
void uvtls_server_set_keylog(uvtls_server *s, int on);
void uvtls_server_set_ocsp_pause(uvtls_server *s, int on);
void uvtls_server_set_session_cache(uvtls_server *s, int resume_pause, int server_sessions);
void uvtls_server_set_report_accept(uvtls_server *s, int on);
void uvtls_server_set_trace(uvtls_server *s, int on);
/* Stops listening. CLOSE follows once every connection has closed. */
void uvtls_server_close(uvtls_server *s);
size_t uvtls_server_connections(const uvtls_server *s);
void uvtls_server_ref(uvtls_server *s);
void uvtls_server_unref(uvtls_server *s);

/* Connections opened by a server report their close back to it. */
void uvtls_server_conn_closed(uvtls_server *s);

#endif
