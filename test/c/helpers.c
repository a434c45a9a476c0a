/* helpers: see helpers.h. */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

blob cert_file(const char *name) {
    const char *dir = getenv("UVTLS_TEST_CERTS");
    if (dir == NULL) {
        fprintf(stderr, "UVTLS_TEST_CERTS is not set; run the tests with `make -C test/c`\n");
        exit(2);
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    blob b = {NULL, 0};
    size_t cap = 0;
    for (;;) {
        if (b.len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *p = realloc(b.data, cap);
            if (p == NULL) {
                fprintf(stderr, "out of memory reading %s\n", path);
                exit(2);
            }
            b.data = p;
        }
        size_t n = fread(b.data + b.len, 1, 4096, f);
        b.len += n;
        if (n < 4096)
            break;
    }
    if (ferror(f)) {
        perror(path);
        exit(2);
    }
    fclose(f);
    b.data[b.len] = '\0';
    return b;
}

void blob_free(blob *b) {
    free(b->data);
    b->data = NULL;
    b->len = 0;
}

/* Loads one file into ctx with `add`; a failure is reported with the file name and the error. */
static int load_into(uvtls_context *ctx, const char *name,
                     int (*add)(uvtls_context *, const void *, size_t, uvtls_error *)) {
    blob b = cert_file(name);
    uvtls_error err;
    uvtls_error_clear(&err);
    int rc = add(ctx, b.data, b.len, &err);
    blob_free(&b);
    if (rc != 0)
        harness_fail(__FILE__, __LINE__, "loading %s: %s (%s)", name, err.code, err.message);
    return rc;
}

static int add_key_nopass(uvtls_context *ctx, const void *pem, size_t len, uvtls_error *err) {
    return uvtls_context_add_key(ctx, pem, len, NULL, err);
}

uvtls_context *make_context(const char *cert, const char *key, const char *ca) {
    uvtls_error err;
    uvtls_error_clear(&err);
    uvtls_context *ctx = uvtls_context_new(&err);
    if (ctx == NULL) {
        harness_fail(__FILE__, __LINE__, "uvtls_context_new: %s", err.code);
        return NULL;
    }
    if ((ca != NULL && load_into(ctx, ca, uvtls_context_add_ca) != 0) ||
        (cert != NULL && load_into(ctx, cert, uvtls_context_add_cert) != 0) ||
        (key != NULL && load_into(ctx, key, add_key_nopass) != 0)) {
        uvtls_context_unref(ctx);
        return NULL;
    }
    if (uvtls_context_check_keys(ctx, &err) != 0) {
        harness_fail(__FILE__, __LINE__, "check_keys: %s (%s)", err.code, err.message);
        uvtls_context_unref(ctx);
        return NULL;
    }
    return ctx;
}

uvtls_context *make_server_context(void) {
    return make_context("server.pem", "server.key", NULL);
}

uvtls_context *make_client_context(void) {
    return make_context(NULL, NULL, "ca.pem");
}

static uvtls_engine *make_engine(uvtls_context *ctx, const uvtls_engine_options *opts) {
    if (ctx == NULL)
        return NULL;
    uvtls_error err;
    uvtls_error_clear(&err);
    uvtls_engine *e = uvtls_engine_new(ctx, opts, &err);
    if (e == NULL)
        harness_fail(__FILE__, __LINE__, "uvtls_engine_new: %s (%s)", err.code, err.message);
    return e;
}

uvtls_engine *make_server(uvtls_context *ctx, int request_cert, int reject_unauthorized) {
    uvtls_engine_options opts = {
        .is_server = 1, .request_cert = request_cert, .reject_unauthorized = reject_unauthorized};
    return make_engine(ctx, &opts);
}

uvtls_engine *make_client(uvtls_context *ctx, int reject_unauthorized) {
    uvtls_engine_options opts = {.reject_unauthorized = reject_unauthorized,
                                 .servername = "localhost"};
    return make_engine(ctx, &opts);
}

size_t shuttle(uvtls_engine *from, uvtls_engine *to, size_t chunk) {
    char buf[16384];
    size_t moved = 0;
    if (chunk > sizeof(buf))
        chunk = sizeof(buf);
    size_t n;
    while ((n = uvtls_engine_take(from, buf, chunk)) > 0) {
        moved += n;
        if (uvtls_engine_feed(to, buf, n) != 0)
            continue; /* the receiver failed or ended: drop, as a closed socket would */
        if (uvtls_engine_state_get(to) == UVTLS_ENGINE_HANDSHAKING)
            uvtls_engine_handshake(to);
    }
    return moved;
}

void handshake_pair_chunked(uvtls_engine *client, uvtls_engine *server, size_t chunk) {
    /* Each round trip moves at least one flight; a TLS 1.3 handshake needs two, a failing one a
     * few more. The bound only guards against a livelock turning into a hang. */
    for (int round = 0; round < 50; round++) {
        uvtls_engine_handshake(client);
        size_t moved = shuttle(client, server, chunk);
        uvtls_engine_handshake(server);
        moved += shuttle(server, client, chunk);
        int busy = uvtls_engine_state_get(client) == UVTLS_ENGINE_HANDSHAKING ||
                   uvtls_engine_state_get(server) == UVTLS_ENGINE_HANDSHAKING;
        if (!busy || (moved == 0 && round > 0))
            return;
    }
}

void handshake_pair(uvtls_engine *client, uvtls_engine *server) {
    handshake_pair_chunked(client, server, 16384);
}

size_t read_available(uvtls_engine *e, char *buf, size_t cap, long *last) {
    size_t got = 0;
    long r = UVTLS_AGAIN;
    while (got < cap && (r = (long)uvtls_engine_read(e, buf + got, cap - got)) > 0)
        got += (size_t)r;
    if (last != NULL)
        *last = r;
    return got;
}
