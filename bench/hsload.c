/* hsload: a lean TLS client that makes full handshakes as fast as one thread can, for the
 * "handshakes across cores" bench (bench/run.js). `openssl s_time` spends more CPU per handshake
 * than a uvtls server does, so on a small machine it, not the server, sets the pace; this client
 * keeps `concurrency` non-blocking handshakes in flight over epoll, verifies nothing (the server
 * is ours) and closes each connection once its handshake is done.
 *
 *   hsload <port> <seconds> <concurrency> <tls1.2|tls1.3> [<client cert> <client key>]
 *
 * Prints one JSON line: {"handshakes": n, "failures": n, "seconds": s}. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

enum { MAX_CONCURRENCY = 256 };

typedef struct slot {
    int fd;
    SSL *ssl;
} slot;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void finish(slot *s) {
    if (s->ssl != NULL)
        SSL_free(s->ssl);
    if (s->fd >= 0) {
        /* RST, not FIN: no TIME_WAIT pile-up over thousands of connections a second */
        struct linger lg = {1, 0};
        setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        close(s->fd);
    }
    s->fd = -1;
    s->ssl = NULL;
}

static int start(slot *s, SSL_CTX *ctx, const struct sockaddr_in *addr, int ep) {
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd < 0)
        return -1;
    int one = 1;
    setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(s->fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0 && errno != EINPROGRESS)
        return -1;
    s->ssl = SSL_new(ctx);
    if (s->ssl == NULL || SSL_set_fd(s->ssl, s->fd) != 1)
        return -1;
    SSL_set_connect_state(s->ssl);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = s};
    return epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev);
}

int main(int argc, char **argv) {
    if (argc != 5 && argc != 7) {
        fprintf(stderr, "usage: hsload <port> <seconds> <concurrency> <tls1.2|tls1.3> "
                        "[<client cert> <client key>]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    double seconds = atof(argv[2]);
    int concurrency = atoi(argv[3]);
    if (concurrency < 1 || concurrency > MAX_CONCURRENCY || port <= 0 || seconds <= 0) {
        fprintf(stderr, "hsload: bad arguments\n");
        return 2;
    }
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    int v = strcmp(argv[4], "tls1.2") == 0 ? TLS1_2_VERSION : TLS1_3_VERSION;
    SSL_CTX_set_min_proto_version(ctx, v);
    SSL_CTX_set_max_proto_version(ctx, v);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF); /* every handshake a full one */
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    if (argc == 7 && (SSL_CTX_use_certificate_chain_file(ctx, argv[5]) != 1 ||
                      SSL_CTX_use_PrivateKey_file(ctx, argv[6], SSL_FILETYPE_PEM) != 1)) {
        fprintf(stderr, "hsload: cannot load the client certificate\n");
        return 2;
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    static slot slots[MAX_CONCURRENCY];
    long done = 0, failures = 0;
    double t0 = now(), end = t0 + seconds;
    for (int i = 0; i < concurrency; i++) {
        slots[i].fd = -1;
        if (start(&slots[i], ctx, &addr, ep) < 0) {
            failures++;
            finish(&slots[i]);
        }
    }
    struct epoll_event events[MAX_CONCURRENCY];
    while (now() < end) {
        int n = epoll_wait(ep, events, MAX_CONCURRENCY, 100);
        for (int i = 0; i < n; i++) {
            slot *s = events[i].data.ptr;
            if (s->ssl == NULL)
                continue;
            int r = SSL_do_handshake(s->ssl);
            if (r != 1) {
                int e = SSL_get_error(s->ssl, r);
                if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                    continue;
                failures++;
                ERR_clear_error();
            } else {
                done++;
            }
            finish(s);
            if (start(s, ctx, &addr, ep) < 0) {
                failures++;
                finish(s);
            }
        }
    }
    printf("{\"handshakes\": %ld, \"failures\": %ld, \"seconds\": %.3f}\n", done, failures,
           now() - t0);
    for (int i = 0; i < concurrency; i++)
        finish(&slots[i]);
    SSL_CTX_free(ctx);
    close(ep);
    return 0;
}
