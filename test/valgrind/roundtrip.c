/* roundtrip: real TLS round trips through the C core, meant to run under valgrind.
 *
 * Two engines talk in memory (no sockets: the engine is I/O-free) with real certificates from
 * test/c/make-certs.sh ($UVTLS_TEST_CERTS). Every scenario checks its results, so a pass means
 * the paths valgrind watched were the working ones: TLS 1.3 and 1.2, mutual TLS, ALPN, SNI
 * with a context switch, resumption by ticket and by the external session cache, PSK, large
 * transfers, a clean close and a truncated one, and a certificate that fails verification.
 * Built without sanitizers (valgrind and ASan do not mix); exits 1 on any failed check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/context.h"
#include "core/engine.h"
#include "core/extensions.h"
#include "core/x509.h"
#ifdef HAVE_DESCRIBE
#include "core/describe.h"
#endif

static int failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: %s: check failed: %s\n", __FILE__, __LINE__, __func__, #cond); \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static char *read_file(const char *name, size_t *len) {
    const char *dir = getenv("UVTLS_TEST_CERTS");
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir ? dir : ".", name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "roundtrip: cannot open %s (set UVTLS_TEST_CERTS)\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
        exit(2);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static int load(uvtls_context *ctx, const char *name,
                int (*add)(uvtls_context *, const void *, size_t, uvtls_error *)) {
    size_t len;
    char *pem = read_file(name, &len);
    uvtls_error err;
    int r = add(ctx, pem, len, &err);
    if (r < 0)
        fprintf(stderr, "roundtrip: %s: %s %s\n", name, err.code, err.message);
    free(pem);
    return r;
}

static int add_key(uvtls_context *ctx, const void *pem, size_t len, uvtls_error *err) {
    return uvtls_context_add_key(ctx, pem, len, NULL, err);
}

/* cert/key/ca are file names or NULL. */
static uvtls_context *context(const char *cert, const char *key, const char *ca, int tls12) {
    uvtls_error err;
    uvtls_context *ctx = uvtls_context_new(&err);
    if (ctx == NULL)
        exit(2);
    int bad = 0;
    if (cert != NULL)
        bad |= load(ctx, cert, uvtls_context_add_cert) < 0;
    if (key != NULL)
        bad |= load(ctx, key, add_key) < 0;
    if (ca != NULL)
        bad |= load(ctx, ca, uvtls_context_add_ca) < 0;
    if (tls12)
        bad |= uvtls_context_set_protocol_range(ctx, UVTLS_TLS1_2, UVTLS_TLS1_2, &err) < 0;
    if (cert != NULL)
        bad |= uvtls_context_set_session_id_context(ctx, "roundtrip", 9, &err) < 0;
    if (bad)
        exit(2);
    return ctx;
}

static uvtls_engine *engine(uvtls_context *ctx, int server, int request_cert, int reject,
                            const char *servername) {
    uvtls_error err;
    uvtls_engine_options o = {.is_server = server,
                              .request_cert = request_cert,
                              .reject_unauthorized = reject,
                              .servername = servername};
    uvtls_engine *e = uvtls_engine_new(ctx, &o, &err);
    if (e == NULL) {
        fprintf(stderr, "roundtrip: engine: %s\n", err.message);
        exit(2);
    }
    return e;
}

/* Moves ciphertext both ways, `chunk` bytes per feed, until nothing moves. A ClientHello pause
 * is answered with `sni_ctx` when one is given, else left for the caller. */
static void pump(uvtls_engine *c, uvtls_engine *s, size_t chunk, uvtls_context *sni_ctx) {
    static unsigned char buf[65536];
    if (chunk > sizeof(buf))
        chunk = sizeof(buf);
    for (int round = 0; round < 10000; round++) {
        size_t moved = 0, n;
        uvtls_engine_handshake(c);
        while ((n = uvtls_engine_take(c, buf, chunk)) > 0) {
            moved += n;
            if (uvtls_engine_feed(s, buf, n) == 0)
                uvtls_engine_handshake(s);
        }
        uvtls_engine_handshake(s);
        if (sni_ctx != NULL && uvtls_engine_hello_waiting(s)) {
            uvtls_engine_resume_hello(s, sni_ctx);
            uvtls_engine_handshake(s);
        }
        while ((n = uvtls_engine_take(s, buf, chunk)) > 0) {
            moved += n;
            if (uvtls_engine_feed(c, buf, n) == 0)
                uvtls_engine_handshake(c);
        }
        if (moved == 0)
            return;
    }
}

/* All cleartext available now, appended to out (cap bytes). Returns the last read result. */
static long drain_clear(uvtls_engine *e, unsigned char *out, size_t cap, size_t *got) {
    long r;
    unsigned char tmp[16384];
    while ((r = (long)uvtls_engine_read(e, tmp, sizeof(tmp))) > 0) {
        if (*got + (size_t)r <= cap)
            memcpy(out + *got, tmp, (size_t)r);
        *got += (size_t)r;
    }
    return r;
}

static int established(uvtls_engine *c, uvtls_engine *s) {
    return uvtls_engine_state_get(c) == UVTLS_ENGINE_ESTABLISHED &&
           uvtls_engine_state_get(s) == UVTLS_ENGINE_ESTABLISHED;
}

/* Sends `len` bytes each way and checks that they arrive intact. */
static void exchange(uvtls_engine *c, uvtls_engine *s, size_t len, size_t chunk) {
    unsigned char *data = malloc(len), *got_s = malloc(len), *got_c = malloc(len);
    if (data == NULL || got_s == NULL || got_c == NULL)
        exit(2);
    for (size_t i = 0; i < len; i++)
        data[i] = (unsigned char)(i * 31 + (i >> 8));
    size_t ns = 0, nc = 0;
    /* Write in 64 KiB slices, pumping in between, as a socket with backpressure would. */
    for (size_t off = 0; off < len; off += 65536) {
        size_t n = len - off < 65536 ? len - off : 65536;
        CHECK(uvtls_engine_write(c, data + off, n) == (ssize_t)n);
        CHECK(uvtls_engine_write(s, data + off, n) == (ssize_t)n);
        pump(c, s, chunk, NULL);
        drain_clear(s, got_s, len, &ns);
        drain_clear(c, got_c, len, &nc);
    }
    CHECK(ns == len && memcmp(got_s, data, len) == 0);
    CHECK(nc == len && memcmp(got_c, data, len) == 0);
    free(data);
    free(got_s);
    free(got_c);
}

/* close_notify both ways; both see a clean end. */
static void clean_close(uvtls_engine *c, uvtls_engine *s) {
    unsigned char buf[256];
    size_t got = 0;
    CHECK(uvtls_engine_shutdown(c) == 0);
    pump(c, s, 65536, NULL);
    CHECK(drain_clear(s, buf, sizeof(buf), &got) == UVTLS_EOF);
    CHECK(uvtls_engine_peer_closed_cleanly(s));
    CHECK(uvtls_engine_shutdown(s) == 0);
    pump(c, s, 65536, NULL);
    CHECK(drain_clear(c, buf, sizeof(buf), &got) == UVTLS_EOF);
    CHECK(uvtls_engine_peer_closed_cleanly(c));
    CHECK(uvtls_engine_state_get(c) == UVTLS_ENGINE_CLOSED);
    CHECK(uvtls_engine_state_get(s) == UVTLS_ENGINE_CLOSED);
}

/* Every getter the binding uses after a handshake, on both sides. */
static void getters(uvtls_engine *e) {
    const char *a, *b, *v;
    size_t len = 0;
    unsigned char buf[128];
    char text[1024];
    CHECK(uvtls_engine_cipher(e, &a, &b, &v) == 0);
    CHECK(uvtls_engine_protocol(e) != NULL);
    unsigned char *sess = uvtls_engine_session(e, &len);
    CHECK(sess != NULL && len > 0);
    free(sess);
    CHECK(uvtls_engine_finished(e, buf, sizeof(buf)) > 0);
    CHECK(uvtls_engine_peer_finished(e, buf, sizeof(buf)) > 0);
    uvtls_engine_shared_sigalgs(e, text, sizeof(text));
    uvtls_error err;
    CHECK(uvtls_engine_export_keying_material(e, buf, 32, "EXPORTER-test", 13, "c", 1, 1, &err) ==
          0);
    int size;
    uvtls_engine_ephemeral_key(e, &a, &b, &size);
    uvtls_cert_chain_free(uvtls_engine_peer_chain(e, 0));
    uvtls_cert_chain_free(uvtls_engine_peer_chain(e, 1));
    uvtls_cert_chain_free(uvtls_engine_own_chain(e));
#ifdef HAVE_DESCRIBE
    (void)uvtls_engine_negotiated_group(e);
    char **names = NULL;
    size_t count = 0;
    if (uvtls_engine_cert_request(e, &names, &count) == 1)
        uvtls_strings_free(names, count);
#endif
}

static uvtls_context *srv, *srv12, *cli, *cli12, *cli_mutual, *bad_srv;

static void tls_version(int tls12) {
    uvtls_engine *s = engine(tls12 ? srv12 : srv, 1, 0, 0, NULL);
    uvtls_engine *c = engine(cli, 0, 0, 1, "localhost");
    uvtls_engine_set_keylog(c, 1);
    pump(c, s, 65536, NULL);
    CHECK(established(c, s));
    CHECK(strcmp(uvtls_engine_protocol(c), tls12 ? "TLSv1.2" : "TLSv1.3") == 0);
    CHECK(uvtls_engine_verify_result(c) == 0);
    size_t len;
    char *keylog = uvtls_engine_take_keylog(c, &len);
    CHECK(keylog != NULL && len > 0);
    free(keylog);
    getters(c);
    getters(s);
    exchange(c, s, 100, 65536);
    clean_close(c, s);
    uvtls_engine_free(c);
    uvtls_engine_free(s);
}

static void test_tls13(void) {
    tls_version(0);
}

static void test_tls12(void) {
    tls_version(1);
}

static void test_mutual(void) {
    uvtls_engine *s = engine(srv, 1, 1, 1, NULL);
    uvtls_engine *c = engine(cli_mutual, 0, 0, 1, "localhost");
    pump(c, s, 1000, NULL);
    CHECK(established(c, s));
    CHECK(uvtls_engine_verify_result(s) == 0);
    uvtls_cert_chain *chain = uvtls_engine_peer_chain(s, 1);
    CHECK(chain != NULL && chain->count >= 1);
    uvtls_cert_chain_free(chain);
    getters(c);
    getters(s);
    exchange(c, s, 5000, 300);
    clean_close(c, s);
    uvtls_engine_free(c);
    uvtls_engine_free(s);
}

static void test_alpn_sni(void) {
    uvtls_error err;
    uvtls_engine *s = engine(srv, 1, 0, 0, NULL);
    uvtls_engine *c = engine(cli, 0, 0, 1, "localhost");
    CHECK(uvtls_engine_set_alpn(s, (const unsigned char *)"\x08http/1.1\x02h2", 12, &err) == 0);
    CHECK(uvtls_engine_set_alpn(c, (const unsigned char *)"\x02h2\x08http/1.1", 12, &err) == 0);
    uvtls_engine_set_sni_pause(s, 1);
    pump(c, s, 65536, srv12); /* the pause answers with the other context */
    CHECK(established(c, s));
    size_t len = 0;
    const unsigned char *p = uvtls_engine_alpn_selected(c, &len);
    CHECK(p != NULL && len == 8 && memcmp(p, "http/1.1", 8) == 0);
    CHECK(uvtls_engine_servername(s) != NULL);
    exchange(c, s, 100, 65536);
    clean_close(c, s);
    uvtls_engine_free(c);
    uvtls_engine_free(s);
}

/* A first handshake collects the session; a second one resumes it. */
static void resume(int tls12, int by_cache) {
    uvtls_engine *s = engine(tls12 ? srv12 : srv, 1, 0, 0, NULL);
    uvtls_engine *c = engine(by_cache ? cli12 : cli, 0, 0, 1, "localhost");
    uvtls_engine_set_session_cache(s, 0, by_cache);
    pump(c, s, 65536, NULL);
    CHECK(established(c, s));
    unsigned char tmp[64];
    size_t got = 0;
    drain_clear(c, tmp, sizeof(tmp), &got); /* TLS 1.3 tickets arrive after the handshake */
    size_t len = 0, slen = 0;
    unsigned char *sess = uvtls_engine_take_new_session(c, &len);
    unsigned char *server_sess = uvtls_engine_take_new_session(s, &slen);
    CHECK(sess != NULL);
    CHECK(!by_cache || server_sess != NULL);
    clean_close(c, s);
    uvtls_engine_free(c);
    uvtls_engine_free(s);
    if (sess == NULL) {
        free(server_sess);
        return;
    }

    uvtls_error err;
    s = engine(tls12 ? srv12 : srv, 1, 0, 0, NULL);
    c = engine(by_cache ? cli12 : cli, 0, 0, 1, "localhost");
    CHECK(uvtls_engine_set_session(c, sess, len, &err) == 0);
    if (by_cache) {
        uvtls_engine_set_session_cache(s, 1, 0);
        uvtls_engine_handshake(c);
        pump(c, s, 65536, NULL); /* stops at the pause: the owner looks the id up */
        size_t id_len = 0;
        CHECK(uvtls_engine_hello_session_id(s, &id_len) != NULL && id_len > 0);
        CHECK(uvtls_engine_hello_waiting(s));
        CHECK(uvtls_engine_set_resume_session(s, server_sess, slen) == 0);
        CHECK(uvtls_engine_resume_hello(s, NULL) == 0);
    }
    pump(c, s, 65536, NULL);
    CHECK(established(c, s));
    CHECK(uvtls_engine_session_reused(c));
    CHECK(uvtls_engine_session_reused(s));
    if (!by_cache) {
        const unsigned char *t = uvtls_engine_ticket(c, &len);
        CHECK(t != NULL && len > 0);
    }
    exchange(c, s, 100, 65536);
    clean_close(c, s);
    uvtls_engine_free(c);
    uvtls_engine_free(s);
    free(sess);
    free(server_sess);
}

static void test_resume_ticket13(void) {
    resume(0, 0);
}

static void test_resume_ticket12(void) {
    resume(1, 0);
}

static void test_resume_cache12(void) {
    resume(1, 1);
}

static int psk_cb(uvtls_engine *e, const char *id_or_hint, unsigned char *psk, size_t *psk_len,
                  char *identity, size_t identity_cap, void *user) {
    (void)user;
    if (uvtls_engine_is_server(e)) {
        if (id_or_hint == NULL || strcmp(id_or_hint, "alice") != 0)
            return -1;
    } else {
        snprintf(identity, identity_cap, "alice");
    }
    memset(psk, 0x5a, 32);
    *psk_len = 32;
    return 0;
}

static void test_psk(void) {
    uvtls_error err;
    uvtls_engine *s = engine(srv, 1, 0, 0, NULL);
    uvtls_engine *c = engine(cli, 0, 0, 0, NULL);
    CHECK(uvtls_engine_set_psk(s, psk_cb, NULL, "hint", &err) == 0);
    CHECK(uvtls_engine_set_psk(c, psk_cb, NULL, NULL, &err) == 0);
    pump(c, s, 65536, NULL);
    CHECK(established(c, s));
    exchange(c, s, 1000, 65536);
    clean_close(c, s);
    uvtls_engine_free(c);
    uvtls_engine_free(s);
}

static void test_large(void) {
    uvtls_engine *s = engine(srv, 1, 0, 0, NULL);
    uvtls_engine *c = engine(cli, 0, 0, 1, "localhost");
    pump(c, s, 65536, NULL);
    CHECK(established(c, s));
    exchange(c, s, 8u << 20, 16384);
    clean_close(c, s);
    uvtls_engine_free(c);
    uvtls_engine_free(s);
}

/* The client's transport ends without close_notify: the server reads an end of stream that is
 * not a clean close. */
static void test_truncated(void) {
    uvtls_engine *s = engine(srv, 1, 0, 0, NULL);
    uvtls_engine *c = engine(cli, 0, 0, 1, "localhost");
    pump(c, s, 65536, NULL);
    CHECK(established(c, s));
    exchange(c, s, 300, 65536);
    uvtls_engine_feed_eof(s);
    unsigned char buf[64];
    size_t got = 0;
    CHECK(drain_clear(s, buf, sizeof(buf), &got) == UVTLS_EOF);
    CHECK(!uvtls_engine_peer_closed_cleanly(s));
    uvtls_engine_free(c);
    uvtls_engine_free(s);
}

/* EOF in the middle of the handshake: ECONNRESET, as Node reports it. */
static void test_eof_in_handshake(void) {
    uvtls_engine *s = engine(srv, 1, 0, 0, NULL);
    uvtls_engine *c = engine(cli, 0, 0, 1, "localhost");
    uvtls_engine_handshake(c);
    unsigned char buf[4096];
    size_t n = uvtls_engine_take(c, buf, 100); /* a part of the ClientHello */
    CHECK(uvtls_engine_feed(s, buf, n) == 0);
    uvtls_engine_feed_eof(s);
    CHECK(uvtls_engine_handshake(s) == UVTLS_ENGINE_ERROR);
    CHECK(strcmp(uvtls_engine_error(s)->code, "ECONNRESET") == 0);
    uvtls_engine_free(c);
    uvtls_engine_free(s);
}

static void test_bad_certificate(void) {
    uvtls_engine *s = engine(bad_srv, 1, 0, 0, NULL);
    uvtls_engine *c = engine(cli, 0, 0, 1, "localhost");
    pump(c, s, 65536, NULL);
    CHECK(uvtls_engine_state_get(c) == UVTLS_ENGINE_ERROR);
    CHECK(uvtls_engine_state_get(s) == UVTLS_ENGINE_ERROR);
    CHECK(strcmp(uvtls_engine_error(c)->code, "DEPTH_ZERO_SELF_SIGNED_CERT") == 0);
    CHECK(uvtls_engine_write(c, "x", 1) == UVTLS_FAIL);
    uvtls_engine_free(c);
    uvtls_engine_free(s);
}

static void test_certificate_objects(void) {
    uvtls_engine *s = engine(srv, 1, 0, 0, NULL);
    uvtls_engine *c = engine(cli, 0, 0, 1, "localhost");
    pump(c, s, 65536, NULL);
    CHECK(established(c, s));
    uvtls_cert_chain *chain = uvtls_engine_peer_chain(c, 1);
    CHECK(chain != NULL && chain->count >= 2 && chain->certs[0]->subjectaltname != NULL);
    uvtls_cert_chain_free(chain);
#ifdef HAVE_DESCRIBE
    size_t len;
    char *pem = read_file("server.pem", &len);
    uvtls_error err;
    uvtls_cert_description *d = uvtls_cert_describe(pem, len, &err);
    CHECK(d != NULL && d->san_count > 0);
    uvtls_cert_description_free(d);
    CHECK(uvtls_cert_describe("junk", 4, &err) == NULL);
    free(pem);
#endif
    uvtls_engine_free(c);
    uvtls_engine_free(s);
}

int main(void) {
    srv = context("server.pem", "server.key", "ca.pem", 0);
    srv12 = context("server.pem", "server.key", "ca.pem", 1);
    cli = context(NULL, NULL, "ca.pem", 0);
    cli12 = context(NULL, NULL, "ca.pem", 1);
    uvtls_context_set_options(cli12, 1L << 14); /* SSL_OP_NO_TICKET: resume by session id */
    cli_mutual = context("client.pem", "client.key", "ca.pem", 0);
    bad_srv = context("self.pem", "self.key", NULL, 0);
    static const struct {
        const char *name;
        void (*fn)(void);
    } tests[] = {
        {"tls13", test_tls13},
        {"tls12", test_tls12},
        {"mutual", test_mutual},
        {"alpn_sni", test_alpn_sni},
        {"resume_ticket13", test_resume_ticket13},
        {"resume_ticket12", test_resume_ticket12},
        {"resume_cache12", test_resume_cache12},
        {"psk", test_psk},
        {"large", test_large},
        {"truncated", test_truncated},
        {"eof_in_handshake", test_eof_in_handshake},
        {"bad_certificate", test_bad_certificate},
        {"certificate_objects", test_certificate_objects},
    };
    size_t n = sizeof(tests) / sizeof(tests[0]);
    for (size_t i = 0; i < n; i++) {
        int before = failures;
        tests[i].fn();
        printf("%s %s\n", failures == before ? "ok  " : "FAIL", tests[i].name);
    }
    uvtls_context *all[] = {srv, srv12, cli, cli12, cli_mutual, bad_srv};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        uvtls_context_unref(all[i]);
    printf("%zu scenarios, %d failed checks\n", n, failures);
    return failures == 0 ? 0 : 1;
}
