/* server: listen, accept, own connections until they are secure. */
/* SO_REUSEPORT is a Linux/BSD extension outside POSIX. */
#define _GNU_SOURCE
#include "net/server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/context.h"
#include "core/extensions.h"
#include "net/address.h"
#include "net/handshake_pool.h"

static const char *const event_names[] = {
#define UVTLS_SERVER_EVENT_NAME(name) #name,
    UVTLS_SERVER_EVENTS(UVTLS_SERVER_EVENT_NAME)
#undef UVTLS_SERVER_EVENT_NAME
};

const char *uvtls_server_event_name(int ev) {
    return ev >= 0 && ev < UVTLS_SERVER_EVENT_COUNT ? event_names[ev] : NULL;
}

typedef union any_stream {
    uv_handle_t handle;
    uv_stream_t stream;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
} any_stream;

struct uvtls_server {
    any_stream io;
    uvtls_loop_item item;
    uvtls_loop *loop;
    uvtls_context *ctx;
    uvtls_server_options opts;
    uvtls_server_cb cb;
    void *user;
    size_t connections;
    unsigned char *alpn; /* wire format, applied to every accepted connection */
    size_t alpn_len;
    int handle_closed;
    int closing;
    /* Descriptors that must be taken from the listener and closed without a conn (the conn could
     * not be allocated). libuv stops polling a listener whose accepted descriptor nobody takes,
     * so one is always taken: into a malloc'd handle, or when even that fails into `spare`. */
    any_stream spare;
    int spare_busy;   /* `spare` is closing */
    int spare_wanted; /* a descriptor waits for `spare` (libuv stopped polling meanwhile) */
    size_t discards;  /* handles taking descriptors, not closed yet */
};

static void maybe_finish(uvtls_server *s) {
    if (!s->handle_closed || s->connections > 0 || s->discards > 0)
        return;
    s->cb(s, UVTLS_SERVER_CLOSE, NULL, NULL, s->user);
    uvtls_loop_remove(s->loop, &s->item);
    uvtls_context_unref(s->ctx);
    free(s->alpn);
    free(s);
}

void uvtls_server_conn_closed(uvtls_server *s) {
    s->connections--;
    maybe_finish(s);
}

/* Events of a connection that is not secure yet. */
static void on_conn_event(uvtls_conn *c, uvtls_conn_event ev, const uvtls_conn_event_data *d,
                          void *user) {
    uvtls_server *s = user;
    switch (ev) {
    case UVTLS_CONN_SECURE:
        s->cb(s, UVTLS_SERVER_SECURE, c, NULL, s->user);
        break;
    case UVTLS_CONN_CLIENT_HELLO:
        s->cb(s, UVTLS_SERVER_CLIENT_HELLO, c, NULL, s->user);
        break;
    case UVTLS_CONN_ERROR:
        s->cb(s, UVTLS_SERVER_CLIENT_ERROR, c, d->error, s->user);
        uvtls_conn_close(c);
        break;
    case UVTLS_CONN_END:
        uvtls_conn_close(c);
        break;
    case UVTLS_CONN_CLOSE:
        uvtls_server_conn_closed(s);
        break;
    default:
        break;
    }
}

static void drop_pending(uvtls_server *s);

static void on_dropped(uv_handle_t *h) {
    uvtls_server *s = h->data;
    if (h == &s->spare.handle) {
        s->spare_busy = 0;
        if (s->spare_wanted) {
            s->spare_wanted = 0;
            if (!s->closing)
                drop_pending(s); /* uv_accept restarts the listener's polling */
        }
    } else {
        free(h);
    }
    s->discards--;
    maybe_finish(s);
}

/* Takes the descriptor libuv accepted for us and closes it. Nothing to take is fine (uv_accept
 * then fails with EAGAIN and the handle is closed all the same). */
static void drop_pending(uvtls_server *s) {
    any_stream *h = malloc(sizeof(*h));
    if (h == NULL) {
        if (s->spare_busy) {
            s->spare_wanted = 1;
            return;
        }
        h = &s->spare;
        s->spare_busy = 1;
    }
    if (s->opts.pipe)
        uv_pipe_init(s->loop->uv, &h->pipe, 0);
    else
        uv_tcp_init(s->loop->uv, &h->tcp);
    h->handle.data = s;
    uv_accept(&s->io.stream, &h->stream);
    s->discards++;
    uv_close(&h->handle, on_dropped);
}

static void on_connection(uv_stream_t *listener, int status) {
    uvtls_server *s = listener->data;
    uvtls_error err;
    if (status < 0) {
        uvtls_net_error(&err, "accept", status, NULL);
        s->cb(s, UVTLS_SERVER_ERROR, NULL, &err, s->user);
        return;
    }
    uvtls_conn_options o = {0};
    o.engine.is_server = 1;
    o.engine.request_cert = s->opts.request_cert;
    o.engine.reject_unauthorized = s->opts.reject_unauthorized;
    o.handshake_timeout_ms = s->opts.handshake_timeout_ms;
    o.pipe = s->opts.pipe;
    o.alpn = s->alpn;
    o.alpn_len = s->alpn_len;
    o.sni_pause = s->opts.sni_pause;
    o.keylog = s->opts.keylog;
    o.ocsp_pause = s->opts.ocsp_pause;
    o.resume_pause = s->opts.resume_pause;
    o.server_sessions = s->opts.server_sessions;
    o.offload = s->opts.handshake_threads == 0 ? UVTLS_OFFLOAD_NEVER
                : s->opts.offload_always       ? UVTLS_OFFLOAD_ALWAYS
                                               : UVTLS_OFFLOAD_WHEN_BUSY;
    uvtls_conn *c = uvtls_conn_accept(listener, s->loop, s->ctx, &o, on_conn_event, s, &err);
    if (c == NULL) {
        /* That connection is closed (or its descriptor is dropped here); the listener goes on.
         * Reported as Node reports an accept failure ('error' on the server). */
        drop_pending(s);
        s->cb(s, UVTLS_SERVER_ERROR, NULL, &err, s->user);
        return;
    }
    s->connections++;
    if (s->opts.max_connections >= 0 && s->connections > (size_t)s->opts.max_connections) {
        /* Over the limit: dropped at once, before any TLS work, as Node does. */
        uvtls_conn_set_callback(c, on_conn_event, s);
        uvtls_conn_close(c);
        return;
    }
    if (!s->opts.pipe) {
        if (s->opts.no_delay)
            uvtls_conn_set_nodelay(c, 1);
        if (s->opts.keep_alive)
            uvtls_conn_set_keepalive(c, 1, s->opts.keep_alive_delay_s);
    }
    if (s->opts.trace)
        uvtls_engine_enable_trace(uvtls_conn_engine(c)); /* before the ClientHello is read */
    if (s->opts.report_accept)
        s->cb(s, UVTLS_SERVER_CONNECTION, c, NULL, s->user);
}

static void on_closed(uv_handle_t *h) {
    uvtls_server *s = h->data;
    s->handle_closed = 1;
    maybe_finish(s);
}

void uvtls_server_close(uvtls_server *s) {
    if (s->closing)
        return;
    s->closing = 1;
    uv_close(&s->io.handle, on_closed);
}

static void close_item(uvtls_loop_item *item) {
    uvtls_server *s = (uvtls_server *)((char *)item - offsetof(uvtls_server, item));
    uvtls_server_close(s);
}

uvtls_server *uvtls_server_new(uvtls_loop *loop, uvtls_context *ctx,
                               const uvtls_server_options *opts, uvtls_server_cb cb, void *user,
                               uvtls_error *err) {
    uvtls_server *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        uvtls_error_set(err, "listen", "ERR_UVTLS_OUT_OF_MEMORY", "out of memory");
        return NULL;
    }
    int r = opts->pipe ? uv_pipe_init(loop->uv, &s->io.pipe, 0) : uv_tcp_init(loop->uv, &s->io.tcp);
    if (r < 0) {
        free(s);
        uvtls_net_error(err, "listen", r, NULL);
        return NULL;
    }
    s->io.handle.data = s;
    s->loop = loop;
    s->ctx = uvtls_context_ref(ctx);
    s->opts = *opts;
    s->cb = cb;
    s->user = user;
    s->item.close = close_item;
    uvtls_loop_add(loop, &s->item);
    /* Threads that cannot start leave the handshakes on the loop thread: slower, not wrong. */
    if (opts->handshake_threads > 0 && uvtls_pool_ensure(loop, opts->handshake_threads) == NULL)
        s->opts.handshake_threads = 0;
    return s;
}

int uvtls_server_listen(uvtls_server *s, const struct sockaddr *addr, int backlog,
                        uvtls_error *err) {
    unsigned flags = s->opts.ipv6_only ? UV_TCP_IPV6ONLY : 0;
    int r = 0;
    if (s->opts.reuse_port) {
        /* libuv creates its socket at bind time, too late for SO_REUSEPORT: make it here. */
        int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int on = 1;
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) < 0 ||
            (r = uv_tcp_open(&s->io.tcp, fd)) < 0) {
            if (r == 0)
                r = uv_translate_sys_error(errno);
            if (fd >= 0)
                close(fd);
        }
    }
    if (r == 0)
        r = uv_tcp_bind(&s->io.tcp, addr, flags);
    if (r == 0)
        r = uv_listen(&s->io.stream, backlog, on_connection);
    if (r < 0) {
        uvtls_net_address a;
        char where[UVTLS_NET_HOST_MAX + sizeof(":65535")] = "";
        if (uvtls_net_address_format(addr, &a) == 0)
            snprintf(where, sizeof(where), "%s:%d", a.host, a.port);
        return uvtls_net_error(err, "listen", r, where);
    }
    return 0;
}

int uvtls_server_listen_pipe(uvtls_server *s, const char *path, int backlog, uvtls_error *err) {
    int r = uv_pipe_bind(&s->io.pipe, path);
    if (r == 0)
        r = uv_listen(&s->io.stream, backlog, on_connection);
    if (r < 0)
        return uvtls_net_error(err, "listen", r, path);
    return 0;
}

int uvtls_server_sockname(const uvtls_server *s, struct sockaddr_storage *out) {
    if (out == NULL || s->opts.pipe)
        return UV_ENOTSUP;
    int len = sizeof(*out);
    return uv_tcp_getsockname(&s->io.tcp, (struct sockaddr *)out, &len);
}

void uvtls_server_set_context(uvtls_server *s, uvtls_context *ctx) {
    uvtls_context_ref(ctx);
    uvtls_context_unref(s->ctx);
    s->ctx = ctx;
}

void uvtls_server_set_max_connections(uvtls_server *s, int max) {
    s->opts.max_connections = max;
}

int uvtls_server_set_alpn(uvtls_server *s, const unsigned char *wire, size_t len) {
    unsigned char *copy = NULL;
    if (wire != NULL && len > 0) {
        copy = malloc(len);
        if (copy == NULL)
            return UV_ENOMEM;
        memcpy(copy, wire, len);
    }
    free(s->alpn);
    s->alpn = copy;
    s->alpn_len = copy ? len : 0;
    return 0;
}

void uvtls_server_set_sni_pause(uvtls_server *s, int on) {
    s->opts.sni_pause = on;
}

void uvtls_server_set_keylog(uvtls_server *s, int on) {
    s->opts.keylog = on;
}

void uvtls_server_set_session_cache(uvtls_server *s, int resume_pause, int server_sessions) {
    s->opts.resume_pause = resume_pause;
    s->opts.server_sessions = server_sessions;
}

void uvtls_server_set_report_accept(uvtls_server *s, int on) {
    s->opts.report_accept = on;
}

void uvtls_server_set_trace(uvtls_server *s, int on) {
    s->opts.trace = on;
}

void uvtls_server_set_ocsp_pause(uvtls_server *s, int on) {
    s->opts.ocsp_pause = on;
}

size_t uvtls_server_connections(const uvtls_server *s) {
    return s->connections;
}

void uvtls_server_ref(uvtls_server *s) {
    uv_ref(&s->io.handle);
}

void uvtls_server_unref(uvtls_server *s) {
    uv_unref(&s->io.handle);
}
