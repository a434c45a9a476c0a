/* engine: two engines handshaking and talking over memory, and every way that can fail. */
#include <stdlib.h>
#include <string.h>

#include <openssl/x509_vfy.h>

#include "core/engine.h"
#include "harness.h"
#include "helpers.h"

/* A connected client/server pair over the usual contexts. Fields are NULL when setup failed (a
 * check failure has been reported then). */
typedef struct pair {
    uvtls_context *client_ctx, *server_ctx;
    uvtls_engine *client, *server;
} pair;

static void pair_free(pair *p) {
    uvtls_engine_free(p->client);
    uvtls_engine_free(p->server);
    uvtls_context_unref(p->client_ctx);
    uvtls_context_unref(p->server_ctx);
    memset(p, 0, sizeof(*p));
}

/* Engines over the given contexts (taken over by the pair), not yet handshaking. */
static int pair_init(pair *p, uvtls_context *client_ctx, uvtls_context *server_ctx,
                     int client_reject, int server_request, int server_reject) {
    memset(p, 0, sizeof(*p));
    p->client_ctx = client_ctx;
    p->server_ctx = server_ctx;
    p->client = make_client(client_ctx, client_reject);
    p->server = make_server(server_ctx, server_request, server_reject);
    if (p->client == NULL || p->server == NULL) {
        pair_free(p);
        return -1;
    }
    return 0;
}

/* The common case: client trusting the CA, rejecting unauthorized; plain server; handshaken. */
static int pair_established(pair *p) {
    if (pair_init(p, make_client_context(), make_server_context(), 1, 0, 0) < 0)
        return -1;
    handshake_pair(p->client, p->server);
    CHECK_INT_EQ(uvtls_engine_state_get(p->client), UVTLS_ENGINE_ESTABLISHED);
    CHECK_INT_EQ(uvtls_engine_state_get(p->server), UVTLS_ENGINE_ESTABLISHED);
    if (uvtls_engine_state_get(p->client) != UVTLS_ENGINE_ESTABLISHED ||
        uvtls_engine_state_get(p->server) != UVTLS_ENGINE_ESTABLISHED) {
        harness_fail(__FILE__, __LINE__, "handshake: client %s, server %s",
                     uvtls_engine_error(p->client)->code, uvtls_engine_error(p->server)->code);
        pair_free(p);
        return -1;
    }
    return 0;
}

/* Writes `len` bytes from `from` to `to` in `chunk`-sized writes, shuttling and reading as a
 * socket loop would; checks the bytes arrive intact and in order. */
static void transfer(uvtls_engine *from, uvtls_engine *to, const char *data, size_t len,
                     size_t chunk) {
    char *got = malloc(len + 1);
    size_t received = 0;
    if (got == NULL) {
        harness_fail(__FILE__, __LINE__, "out of memory");
        return;
    }
    for (size_t sent = 0; sent < len;) {
        size_t n = len - sent < chunk ? len - sent : chunk;
        ssize_t w = uvtls_engine_write(from, data + sent, n);
        if (w != (ssize_t)n) {
            harness_fail(__FILE__, __LINE__, "write returned %zd for %zu bytes (%s)", w, n,
                         uvtls_engine_error(from)->code);
            break;
        }
        sent += n;
        shuttle(from, to, 16384);
        long last;
        received += read_available(to, got + received, len + 1 - received, &last);
        CHECK_INT_EQ(last, UVTLS_AGAIN);
    }
    CHECK_INT_EQ(received, len);
    CHECK(received == len && memcmp(got, data, len) == 0);
    free(got);
}

TEST_IMPL(engine_handshake_in_memory) {
    pair p;
    REQUIRE(pair_established(&p) == 0);
    CHECK_INT_EQ(uvtls_engine_is_server(p.server), 1);
    CHECK_INT_EQ(uvtls_engine_is_server(p.client), 0);
    /* Nothing is left over in either direction once both are established... */
    CHECK_INT_EQ(uvtls_engine_pending(p.client), 0);
    /* ...except the server's TLS 1.3 session tickets, already handed to the client. */
    CHECK_INT_EQ(uvtls_engine_pending(p.server), 0);
    pair_free(&p);
}

TEST_IMPL(engine_protocol_and_cipher) {
    pair p;
    REQUIRE(pair_established(&p) == 0);
    CHECK_STR_EQ(uvtls_engine_protocol(p.client), "TLSv1.3");
    CHECK_STR_EQ(uvtls_engine_protocol(p.server), "TLSv1.3");
    const char *name = NULL, *standard = NULL, *version = NULL;
    CHECK_INT_EQ(uvtls_engine_cipher(p.client, &name, &standard, &version), 0);
    CHECK(name != NULL);
    CHECK_STR_PREFIX(standard, "TLS_");
    CHECK_STR_EQ(version, "TLSv1.3");
    CHECK_STR_EQ(uvtls_engine_servername(p.server), "localhost");
    CHECK_INT_EQ(uvtls_engine_session_reused(p.client), 0);
    pair_free(&p);
}

TEST_IMPL(engine_protocol_and_cipher_before_handshake) {
    pair p;
    REQUIRE(pair_init(&p, make_client_context(), make_server_context(), 1, 0, 0) == 0);
    CHECK(uvtls_engine_protocol(p.client) == NULL);
    const char *name = NULL, *standard = NULL, *version = NULL;
    CHECK_INT_EQ(uvtls_engine_cipher(p.client, &name, &standard, &version), -1);
    pair_free(&p);
}

TEST_IMPL(engine_tls12_with_chosen_ciphers) {
    uvtls_context *cctx = make_client_context(), *sctx = make_server_context();
    uvtls_error err;
    if (cctx != NULL) {
        CHECK_INT_EQ(uvtls_context_set_protocol_range(cctx, UVTLS_TLS1_2, UVTLS_TLS1_2, &err), 0);
        CHECK_INT_EQ(uvtls_context_set_ciphers(cctx, "ECDHE-ECDSA-AES128-GCM-SHA256", NULL, &err),
                     0);
    }
    pair p;
    REQUIRE(pair_init(&p, cctx, sctx, 1, 0, 0) == 0);
    handshake_pair(p.client, p.server);
    CHECK_INT_EQ(uvtls_engine_state_get(p.client), UVTLS_ENGINE_ESTABLISHED);
    CHECK_INT_EQ(uvtls_engine_state_get(p.server), UVTLS_ENGINE_ESTABLISHED);
    CHECK_STR_EQ(uvtls_engine_protocol(p.server), "TLSv1.2");
    const char *name = NULL, *standard = NULL, *version = NULL;
    CHECK_INT_EQ(uvtls_engine_cipher(p.server, &name, &standard, &version), 0);
    CHECK_STR_EQ(name, "ECDHE-ECDSA-AES128-GCM-SHA256");
    CHECK_STR_EQ(standard, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
    CHECK_STR_EQ(version, "TLSv1.2");
    transfer(p.client, p.server, "over tls 1.2", 12, 16384);
    pair_free(&p);
}

TEST_IMPL(engine_tls13_with_chosen_suite) {
    uvtls_context *cctx = make_client_context(), *sctx = make_server_context();
    uvtls_error err;
    if (sctx != NULL)
        CHECK_INT_EQ(uvtls_context_set_ciphers(sctx, NULL, "TLS_CHACHA20_POLY1305_SHA256", &err),
                     0);
    pair p;
    REQUIRE(pair_init(&p, cctx, sctx, 1, 0, 0) == 0);
    handshake_pair(p.client, p.server);
    const char *name = NULL, *standard = NULL, *version = NULL;
    CHECK_INT_EQ(uvtls_engine_cipher(p.client, &name, &standard, &version), 0);
    CHECK_STR_EQ(name, "TLS_CHACHA20_POLY1305_SHA256");
    pair_free(&p);
}

TEST_IMPL(engine_no_common_protocol) {
    uvtls_context *cctx = make_client_context(), *sctx = make_server_context();
    uvtls_error err;
    if (cctx != NULL)
        uvtls_context_set_protocol_range(cctx, UVTLS_TLS1_2, UVTLS_TLS1_2, &err);
    if (sctx != NULL)
        uvtls_context_set_protocol_range(sctx, UVTLS_TLS1_3, UVTLS_TLS1_3, &err);
    pair p;
    REQUIRE(pair_init(&p, cctx, sctx, 1, 0, 0) == 0);
    handshake_pair(p.client, p.server);
    CHECK_INT_EQ(uvtls_engine_state_get(p.server), UVTLS_ENGINE_ERROR);
    CHECK_ERR_CODE(uvtls_engine_error(p.server), "ERR_SSL_UNSUPPORTED_PROTOCOL");
    CHECK_INT_EQ(uvtls_engine_state_get(p.client), UVTLS_ENGINE_ERROR);
    CHECK_ERR_CODE(uvtls_engine_error(p.client), "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION");
    CHECK(uvtls_engine_error(p.client)->hint != NULL);
    pair_free(&p);
}

TEST_IMPL(engine_write_read_both_ways) {
    pair p;
    REQUIRE(pair_established(&p) == 0);
    transfer(p.client, p.server, "hello from the client", 21, 16384);
    transfer(p.server, p.client, "hello from the server", 21, 16384);
    pair_free(&p);
}

/* 1 MiB of a pattern that catches reordered or repeated records, unlike zeros would. */
static char *make_payload(size_t len) {
    char *data = malloc(len);
    for (size_t i = 0; data != NULL && i < len; i++)
        data[i] = (char)((i * 31 + i / 251) & 0xff);
    return data;
}

TEST_IMPL(engine_large_payload_both_ways) {
    const size_t len = 1024 * 1024;
    char *data = make_payload(len);
    REQUIRE(data != NULL);
    pair p;
    if (pair_established(&p) == 0) {
        /* Chunks that straddle TLS records (16 KiB) both ways. */
        transfer(p.client, p.server, data, len, 65536 + 7);
        transfer(p.server, p.client, data, len, 4093);
        pair_free(&p);
    }
    free(data);
}

TEST_IMPL(engine_large_write_single_call) {
    /* One write bigger than any record: the engine splits it and consumes all of it. */
    const size_t len = 1024 * 1024;
    char *data = make_payload(len);
    REQUIRE(data != NULL);
    pair p;
    if (pair_established(&p) == 0) {
        transfer(p.client, p.server, data, len, len);
        pair_free(&p);
    }
    free(data);
}

TEST_IMPL(engine_read_with_small_buffer) {
    pair p;
    REQUIRE(pair_established(&p) == 0);
    static const char msg[] = "read me three bytes at a time";
    CHECK_INT_EQ(uvtls_engine_write(p.client, msg, sizeof(msg) - 1), sizeof(msg) - 1);
    shuttle(p.client, p.server, 16384);
    char got[sizeof(msg)] = {0};
    size_t total = 0;
    ssize_t n;
    while (total < sizeof(msg) - 1 && (n = uvtls_engine_read(p.server, got + total, 3)) > 0) {
        CHECK(n <= 3);
        total += (size_t)n;
    }
    CHECK_STR_EQ(got, msg);
    CHECK_INT_EQ(uvtls_engine_read(p.server, got, sizeof(got)), UVTLS_AGAIN);
    pair_free(&p);
}

TEST_IMPL(engine_read_zero_capacity_is_harmless) {
    /* A read into no room must not cost the connection: the data stays for the next read. */
    pair p;
    REQUIRE(pair_established(&p) == 0);
    CHECK_INT_EQ(uvtls_engine_write(p.client, "abc", 3), 3);
    shuttle(p.client, p.server, 16384);
    char buf[8];
    CHECK_INT_EQ(uvtls_engine_read(p.server, buf, 0), UVTLS_AGAIN);
    CHECK_INT_EQ(uvtls_engine_state_get(p.server), UVTLS_ENGINE_ESTABLISHED);
    CHECK_INT_EQ(uvtls_engine_read(p.server, buf, sizeof(buf)), 3);
    pair_free(&p);
}

TEST_IMPL(engine_shutdown_clean_eof) {
    pair p;
    REQUIRE(pair_established(&p) == 0);
    CHECK_INT_EQ(uvtls_engine_shutdown(p.client), 0);
    CHECK_INT_EQ(uvtls_engine_state_get(p.client), UVTLS_ENGINE_CLOSING);
    CHECK(uvtls_engine_pending(p.client) > 0); /* the close_notify */
    shuttle(p.client, p.server, 16384);

    char buf[64];
    CHECK_INT_EQ(uvtls_engine_read(p.server, buf, sizeof(buf)), UVTLS_EOF);
    CHECK_INT_EQ(uvtls_engine_peer_closed_cleanly(p.server), 1);
    CHECK_INT_EQ(uvtls_engine_state_get(p.server), UVTLS_ENGINE_CLOSING);
    /* EOF is sticky. */
    CHECK_INT_EQ(uvtls_engine_read(p.server, buf, sizeof(buf)), UVTLS_EOF);

    /* The server answers with its own close_notify: both sides are closed. */
    CHECK_INT_EQ(uvtls_engine_shutdown(p.server), 0);
    CHECK_INT_EQ(uvtls_engine_state_get(p.server), UVTLS_ENGINE_CLOSED);
    shuttle(p.server, p.client, 16384);
    CHECK_INT_EQ(uvtls_engine_read(p.client, buf, sizeof(buf)), UVTLS_EOF);
    CHECK_INT_EQ(uvtls_engine_peer_closed_cleanly(p.client), 1);
    CHECK_INT_EQ(uvtls_engine_state_get(p.client), UVTLS_ENGINE_CLOSED);
    /* A second shutdown is a no-op. */
    CHECK_INT_EQ(uvtls_engine_shutdown(p.client), 0);
    pair_free(&p);
}

TEST_IMPL(engine_data_before_close_is_delivered) {
    pair p;
    REQUIRE(pair_established(&p) == 0);
    CHECK_INT_EQ(uvtls_engine_write(p.client, "last words", 10), 10);
    CHECK_INT_EQ(uvtls_engine_shutdown(p.client), 0);
    shuttle(p.client, p.server, 16384);
    char buf[64];
    long last;
    size_t n = read_available(p.server, buf, sizeof(buf), &last);
    CHECK_INT_EQ(n, 10);
    CHECK(memcmp(buf, "last words", 10) == 0);
    CHECK_INT_EQ(last, UVTLS_EOF);
    pair_free(&p);
}

TEST_IMPL(engine_write_after_shutdown_fails) {
    pair p;
    REQUIRE(pair_established(&p) == 0);
    CHECK_INT_EQ(uvtls_engine_shutdown(p.client), 0);
    CHECK_INT_EQ(uvtls_engine_write(p.client, "x", 1), UVTLS_FAIL);
    CHECK_ERR_CODE(uvtls_engine_error(p.client), "ERR_UVTLS_NOT_ESTABLISHED");
    pair_free(&p);
}

TEST_IMPL(engine_transport_eof_without_close_notify) {
    pair p;
    REQUIRE(pair_established(&p) == 0);
    uvtls_engine_feed_eof(p.server);
    char buf[16];
    /* A truncation ends the stream like Node does, but is told apart from a clean close. */
    CHECK_INT_EQ(uvtls_engine_read(p.server, buf, sizeof(buf)), UVTLS_EOF);
    CHECK_INT_EQ(uvtls_engine_peer_closed_cleanly(p.server), 0);
    /* Nothing more is accepted from the transport. */
    CHECK_INT_EQ(uvtls_engine_feed(p.server, "x", 1), -1);
    pair_free(&p);
}

TEST_IMPL(engine_verify_result_ok_with_trusted_ca) {
    pair p;
    REQUIRE(pair_established(&p) == 0);
    CHECK_INT_EQ(uvtls_engine_verify_result(p.client), X509_V_OK);
    /* The server asked for no certificate: the client is not "authorized", with Node's result. */
    CHECK_INT_EQ(uvtls_engine_verify_result(p.server), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT);
    pair_free(&p);
}

TEST_IMPL(engine_client_rejects_self_signed_server) {
    pair p;
    REQUIRE(pair_init(&p, make_client_context(), make_context("self.pem", "self.key", NULL), 1, 0,
                      0) == 0);
    handshake_pair(p.client, p.server);
    CHECK_INT_EQ(uvtls_engine_state_get(p.client), UVTLS_ENGINE_ERROR);
    const uvtls_error *cerr = uvtls_engine_error(p.client);
    CHECK_ERR_CODE(cerr, "DEPTH_ZERO_SELF_SIGNED_CERT");
    CHECK_INT_EQ(cerr->verify_result, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
    CHECK(cerr->hint != NULL);
    /* The client's alert fails the server's handshake too. */
    CHECK_INT_EQ(uvtls_engine_state_get(p.server), UVTLS_ENGINE_ERROR);
    CHECK_STR_PREFIX(uvtls_engine_error(p.server)->code, "ERR_SSL_");
    CHECK_ERR_CODE(uvtls_engine_error(p.server), "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA");
    /* No cleartext with an unverified peer. */
    CHECK_INT_EQ(uvtls_engine_write(p.client, "x", 1), UVTLS_FAIL);
    pair_free(&p);
}

TEST_IMPL(engine_client_accepts_self_signed_without_reject) {
    pair p;
    REQUIRE(pair_init(&p, make_client_context(), make_context("self.pem", "self.key", NULL), 0, 0,
                      0) == 0);
    handshake_pair(p.client, p.server);
    CHECK_INT_EQ(uvtls_engine_state_get(p.client), UVTLS_ENGINE_ESTABLISHED);
    CHECK_INT_EQ(uvtls_engine_state_get(p.server), UVTLS_ENGINE_ESTABLISHED);
    /* Completed, but not authorized: the caller judges the result as Node does. */
    CHECK_INT_EQ(uvtls_engine_verify_result(p.client), 18);
    CHECK_STR_EQ(uvtls_verify_code(uvtls_engine_verify_result(p.client)),
                 "DEPTH_ZERO_SELF_SIGNED_CERT");
    pair_free(&p);
}

TEST_IMPL(engine_client_rejects_unknown_ca) {
    /* The client trusts nothing; the server sends its leaf only. */
    pair p;
    REQUIRE(pair_init(&p, make_context(NULL, NULL, NULL), make_server_context(), 1, 0, 0) == 0);
    handshake_pair(p.client, p.server);
    CHECK_INT_EQ(uvtls_engine_state_get(p.client), UVTLS_ENGINE_ERROR);
    CHECK_ERR_CODE(uvtls_engine_error(p.client), "UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    CHECK_INT_EQ(uvtls_engine_state_get(p.server), UVTLS_ENGINE_ERROR);
    pair_free(&p);
}

TEST_IMPL(engine_client_rejects_expired_server) {
    pair p;
    REQUIRE(pair_init(&p, make_client_context(), make_context("expired.pem", "expired.key", NULL),
                      1, 0, 0) == 0);
    handshake_pair(p.client, p.server);
    CHECK_INT_EQ(uvtls_engine_state_get(p.client), UVTLS_ENGINE_ERROR);
    CHECK_ERR_CODE(uvtls_engine_error(p.client), "CERT_HAS_EXPIRED");
    CHECK_INT_EQ(uvtls_engine_error(p.client)->verify_result, X509_V_ERR_CERT_HAS_EXPIRED);
    CHECK_INT_EQ(uvtls_engine_state_get(p.server), UVTLS_ENGINE_ERROR);
    CHECK_ERR_CODE(uvtls_engine_error(p.server), "ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED");
    pair_free(&p);
}

/* A client trusting the CA with its CRL loaded (in the given order). */
static uvtls_context *client_with_crl(int crl_first) {
    uvtls_context *ctx = make_context(NULL, NULL, NULL);
    if (ctx == NULL)
        return NULL;
    blob ca = cert_file("ca.pem"), crl = cert_file("crl.pem");
    uvtls_error err;
    if (crl_first)
        CHECK_INT_EQ(uvtls_context_add_crl(ctx, crl.data, crl.len, &err), 0);
    CHECK_INT_EQ(uvtls_context_add_ca(ctx, ca.data, ca.len, &err), 0);
    if (!crl_first)
        CHECK_INT_EQ(uvtls_context_add_crl(ctx, crl.data, crl.len, &err), 0);
    blob_free(&ca);
    blob_free(&crl);
    return ctx;
}

TEST_IMPL(engine_crl_allows_unrevoked_server) {
    pair p;
    REQUIRE(pair_init(&p, client_with_crl(0), make_server_context(), 1, 0, 0) == 0);
    handshake_pair(p.client, p.server);
    CHECK_INT_EQ(uvtls_engine_state_get(p.client), UVTLS_ENGINE_ESTABLISHED);
    CHECK_INT_EQ(uvtls_engine_verify_result(p.client), X509_V_OK);
    pair_free(&p);
}

TEST_IMPL(engine_crl_rejects_revoked_server) {
    pair p;
    REQUIRE(pair_init(&p, client_with_crl(0), make_context("revoked.pem", "revoked.key", NULL), 1,
                      0, 0) == 0);
    handshake_pair(p.client, p.server);
    CHECK_INT_EQ(uvtls_engine_state_get(p.client), UVTLS_ENGINE_ERROR);
    CHECK_ERR_CODE(uvtls_engine_error(p.client), "CERT_REVOKED");
    pair_free(&p);
}

TEST_IMPL(engine_crl_before_ca_still_rejects_revoked) {
    /* Node applies `crl` whatever order the options were given in. */
    pair p;
    REQUIRE(pair_init(&p, client_with_crl(1), make_context("revoked.pem", "revoked.key", NULL), 1,
                      0, 0) == 0);
    handshake_pair(p.client, p.server);
    CHECK_INT_EQ(uvtls_engine_state_get(p.client), UVTLS_ENGINE_ERROR);
    CHECK_ERR_CODE(uvtls_engine_error(p.client), "CERT_REVOKED");
    pair_free(&p);
}

TEST_IMPL(engine_server_requires_client_cert) {
    pair p;
    REQUIRE(pair_init(&p, make_client_context(), make_context("server.pem", "server.key", "ca.pem"),
                      1, 1, 1) == 0);
    handshake_pair(p.client, p.server);
    CHECK_INT_EQ(uvtls_engine_state_get(p.server), UVTLS_ENGINE_ERROR);
    CHECK_ERR_CODE(uvtls_engine_error(p.server), "ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE");
    CHECK(uvtls_engine_error(p.server)->hint != NULL);
    /* In TLS 1.3 the client has finished before the server judges it; it learns from the alert
     * on its first read. */
    shuttle(p.server, p.client, 16384);
    char buf[16];
    CHECK_INT_EQ(uvtls_engine_read(p.client, buf, sizeof(buf)), UVTLS_FAIL);
    CHECK_INT_EQ(uvtls_engine_state_get(p.client), UVTLS_ENGINE_ERROR);
    CHECK_ERR_CODE(uvtls_engine_error(p.client), "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED");
    pair_free(&p);
}

TEST_IMPL(engine_server_request_cert_without_reject) {
    /* Asked but not required: the handshake completes, the client is just not authorized. */
    pair p;
    REQUIRE(pair_init(&p, make_client_context(), make_context("server.pem", "server.key", "ca.pem"),
                      1, 1, 0) == 0);
    handshake_pair(p.client, p.server);
    CHECK_INT_EQ(uvtls_engine_state_get(p.server), UVTLS_ENGINE_ESTABLISHED);
    CHECK(uvtls_engine_verify_result(p.server) != X509_V_OK);
    pair_free(&p);
}

TEST_IMPL(engine_mutual_tls) {
    pair p;
    REQUIRE(pair_init(&p, make_context("client.pem", "client.key", "ca.pem"),
                      make_context("server.pem", "server.key", "ca.pem"), 1, 1, 1) == 0);
    handshake_pair(p.client, p.server);
    CHECK_INT_EQ(uvtls_engine_state_get(p.client), UVTLS_ENGINE_ESTABLISHED);
    CHECK_INT_EQ(uvtls_engine_state_get(p.server), UVTLS_ENGINE_ESTABLISHED);
    CHECK_INT_EQ(uvtls_engine_verify_result(p.server), X509_V_OK);
    CHECK_INT_EQ(uvtls_engine_verify_result(p.client), X509_V_OK);
    transfer(p.client, p.server, "mutual", 6, 16384);
    transfer(p.server, p.client, "trust", 5, 16384);
    pair_free(&p);
}

TEST_IMPL(engine_server_rejects_client_from_unknown_ca) {
    /* A proper clientAuth certificate, but the server trusts no CA at all. The client's context
     * trusts its CA and gives no chain, so OpenSSL completes the chain it sends from there, root
     * included (as Node's client does): the server sees a self-signed root it does not trust. */
    pair p;
    REQUIRE(pair_init(&p, make_context("client.pem", "client.key", "ca.pem"),
                      make_context("server.pem", "server.key", NULL), 1, 1, 1) == 0);
    handshake_pair(p.client, p.server);
    CHECK_INT_EQ(uvtls_engine_state_get(p.server), UVTLS_ENGINE_ERROR);
    const uvtls_error *serr = uvtls_engine_error(p.server);
    CHECK_ERR_CODE(serr, "SELF_SIGNED_CERT_IN_CHAIN");
    CHECK_STR_EQ(serr->stage, "verify");
    CHECK(serr->hint != NULL);
    pair_free(&p);
}

TEST_IMPL(engine_server_rejects_client_cert_for_wrong_purpose) {
    /* self.pem is self-signed AND serverAuth-only. Verification goes on past the first error and
     * reports the last one recorded, as Node does: the purpose check comes after the chain. */
    pair p;
    REQUIRE(pair_init(&p, make_context("self.pem", "self.key", "ca.pem"),
                      make_context("server.pem", "server.key", "ca.pem"), 1, 1, 1) == 0);
    handshake_pair(p.client, p.server);
    CHECK_INT_EQ(uvtls_engine_state_get(p.server), UVTLS_ENGINE_ERROR);
    CHECK_ERR_CODE(uvtls_engine_error(p.server), "INVALID_PURPOSE");
    CHECK_INT_EQ(uvtls_engine_error(p.server)->verify_result, X509_V_ERR_INVALID_PURPOSE);
    pair_free(&p);
}

TEST_IMPL(engine_server_garbage_input) {
    uvtls_context *ctx = make_server_context();
    REQUIRE(ctx != NULL);
    uvtls_engine *s = make_server(ctx, 0, 0);
    uvtls_context_unref(ctx); /* the engine holds its own reference */
    REQUIRE(s != NULL);
    static const char junk[] = "\x01\x02\x03 this is not TLS at all, not even close\r\n";
    CHECK_INT_EQ(uvtls_engine_feed(s, junk, sizeof(junk) - 1), 0);
    CHECK_INT_EQ(uvtls_engine_handshake(s), UVTLS_ENGINE_ERROR);
    CHECK_STR_PREFIX(uvtls_engine_error(s)->code, "ERR_SSL_");
    CHECK_STR_EQ(uvtls_engine_error(s)->stage, "handshake");
    /* An engine in error refuses everything, and says so. */
    CHECK_INT_EQ(uvtls_engine_feed(s, junk, sizeof(junk) - 1), -1);
    CHECK_INT_EQ(uvtls_engine_handshake(s), UVTLS_ENGINE_ERROR);
    char buf[16];
    CHECK_INT_EQ(uvtls_engine_read(s, buf, sizeof(buf)), UVTLS_FAIL);
    CHECK_INT_EQ(uvtls_engine_write(s, "x", 1), UVTLS_FAIL);
    uvtls_engine_free(s);
}

TEST_IMPL(engine_server_plain_http_request) {
    uvtls_context *ctx = make_server_context();
    REQUIRE(ctx != NULL);
    uvtls_engine *s = make_server(ctx, 0, 0);
    uvtls_context_unref(ctx);
    REQUIRE(s != NULL);
    static const char http[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
    CHECK_INT_EQ(uvtls_engine_feed(s, http, sizeof(http) - 1), 0);
    CHECK_INT_EQ(uvtls_engine_handshake(s), UVTLS_ENGINE_ERROR);
    CHECK_ERR_CODE(uvtls_engine_error(s), "ERR_SSL_HTTP_REQUEST");
    CHECK(uvtls_engine_error(s)->hint != NULL);
    uvtls_engine_free(s);
}

TEST_IMPL(engine_client_garbage_reply) {
    uvtls_context *ctx = make_client_context();
    REQUIRE(ctx != NULL);
    uvtls_engine *c = make_client(ctx, 1);
    uvtls_context_unref(ctx);
    REQUIRE(c != NULL);
    uvtls_engine_handshake(c);
    CHECK(uvtls_engine_pending(c) > 0); /* the ClientHello */
    static const char reply[] = "SSH-2.0-OpenSSH_9.2p1\r\n";
    CHECK_INT_EQ(uvtls_engine_feed(c, reply, sizeof(reply) - 1), 0);
    CHECK_INT_EQ(uvtls_engine_handshake(c), UVTLS_ENGINE_ERROR);
    CHECK_STR_PREFIX(uvtls_engine_error(c)->code, "ERR_SSL_");
    uvtls_engine_free(c);
}

TEST_IMPL(engine_feed_eof_during_handshake_client) {
    uvtls_context *ctx = make_client_context();
    REQUIRE(ctx != NULL);
    uvtls_engine *c = make_client(ctx, 1);
    uvtls_context_unref(ctx);
    REQUIRE(c != NULL);
    CHECK_INT_EQ(uvtls_engine_handshake(c), UVTLS_ENGINE_HANDSHAKING);
    uvtls_engine_feed_eof(c);
    CHECK_INT_EQ(uvtls_engine_handshake(c), UVTLS_ENGINE_ERROR);
    CHECK_ERR_CODE(uvtls_engine_error(c), "ECONNRESET");
    CHECK(uvtls_engine_error(c)->hint != NULL);
    uvtls_engine_free(c);
}

TEST_IMPL(engine_feed_eof_during_handshake_server) {
    /* The server got half a ClientHello, then the transport ended. */
    pair p;
    REQUIRE(pair_init(&p, make_client_context(), make_server_context(), 1, 0, 0) == 0);
    uvtls_engine_handshake(p.client);
    char hello[16384];
    size_t n = uvtls_engine_take(p.client, hello, sizeof(hello));
    REQUIRE(n > 10);
    CHECK_INT_EQ(uvtls_engine_feed(p.server, hello, n / 2), 0);
    CHECK_INT_EQ(uvtls_engine_handshake(p.server), UVTLS_ENGINE_HANDSHAKING);
    uvtls_engine_feed_eof(p.server);
    CHECK_INT_EQ(uvtls_engine_handshake(p.server), UVTLS_ENGINE_ERROR);
    CHECK_ERR_CODE(uvtls_engine_error(p.server), "ECONNRESET");
    pair_free(&p);
}

TEST_IMPL(engine_write_before_established) {
    pair p;
    REQUIRE(pair_init(&p, make_client_context(), make_server_context(), 1, 0, 0) == 0);
    CHECK_INT_EQ(uvtls_engine_write(p.client, "early", 5), UVTLS_FAIL);
    CHECK_ERR_CODE(uvtls_engine_error(p.client), "ERR_UVTLS_NOT_ESTABLISHED");
    /* Refusing the write does not break the engine: the handshake still works. */
    CHECK_INT_EQ(uvtls_engine_state_get(p.client), UVTLS_ENGINE_HANDSHAKING);
    handshake_pair(p.client, p.server);
    CHECK_INT_EQ(uvtls_engine_state_get(p.client), UVTLS_ENGINE_ESTABLISHED);
    CHECK_INT_EQ(uvtls_engine_write(p.client, "late", 4), 4);
    pair_free(&p);
}

TEST_IMPL(engine_read_before_established) {
    pair p;
    REQUIRE(pair_init(&p, make_client_context(), make_server_context(), 1, 0, 0) == 0);
    char buf[16];
    CHECK_INT_EQ(uvtls_engine_read(p.server, buf, sizeof(buf)), UVTLS_AGAIN);
    pair_free(&p);
}

TEST_IMPL(engine_handshake_byte_by_byte) {
    pair p;
    REQUIRE(pair_init(&p, make_client_context(), make_server_context(), 1, 0, 0) == 0);
    handshake_pair_chunked(p.client, p.server, 1);
    CHECK_INT_EQ(uvtls_engine_state_get(p.client), UVTLS_ENGINE_ESTABLISHED);
    CHECK_INT_EQ(uvtls_engine_state_get(p.server), UVTLS_ENGINE_ESTABLISHED);
    CHECK_INT_EQ(uvtls_engine_verify_result(p.client), X509_V_OK);
    transfer(p.client, p.server, "tiny steps", 10, 16384);
    pair_free(&p);
}

TEST_IMPL(engine_records_byte_by_byte) {
    pair p;
    REQUIRE(pair_established(&p) == 0);
    static const char msg[] = "one byte of ciphertext at a time";
    CHECK_INT_EQ(uvtls_engine_write(p.client, msg, sizeof(msg) - 1), sizeof(msg) - 1);
    char cipher[4096];
    size_t n = uvtls_engine_take(p.client, cipher, sizeof(cipher));
    REQUIRE(n > sizeof(msg));
    char got[sizeof(msg)] = {0};
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        CHECK_INT_EQ(uvtls_engine_feed(p.server, cipher + i, 1), 0);
        long last;
        total += read_available(p.server, got + total, sizeof(got) - 1 - total, &last);
        /* Nothing is released before the whole record is authenticated. */
        if (i + 1 < n)
            CHECK_INT_EQ(total, 0);
    }
    CHECK_STR_EQ(got, msg);
    pair_free(&p);
}

/* Three records from the client, as ciphertext, cut in the middle of the second. */
typedef struct cut_records {
    char cipher[8192];
    size_t len, cut;
    char expect[3 * 1000 + 1];
} cut_records;

static void make_cut_records(pair *p, cut_records *r) {
    char msg[1000];
    for (int i = 0; i < 3; i++) {
        memset(msg, 'a' + i, sizeof(msg));
        memcpy(r->expect + i * sizeof(msg), msg, sizeof(msg));
        CHECK_INT_EQ(uvtls_engine_write(p->client, msg, sizeof(msg)), sizeof(msg));
    }
    r->expect[sizeof(r->expect) - 1] = 0;
    r->len = uvtls_engine_take(p->client, r->cipher, sizeof(r->cipher));
    REQUIRE(r->len > 3 * sizeof(msg));
    r->cut = r->len / 2;
}

static void check_reads_all(uvtls_engine *server, const cut_records *r) {
    char got[sizeof(r->expect)] = {0};
    long last;
    size_t n = read_available(server, got, sizeof(got) - 1, &last);
    CHECK_INT_EQ(n, sizeof(got) - 1);
    CHECK(memcmp(got, r->expect, sizeof(got) - 1) == 0);
}

/* A lent buffer is read in place and only its unread rest is copied when the loan ends: the
 * caller may then reuse its buffer (here: overwrite it) without the engine noticing. */
TEST_IMPL(engine_lent_input_keeps_only_the_rest) {
    pair p;
    REQUIRE(pair_established(&p) == 0);
    cut_records r;
    make_cut_records(&p, &r);
    char lent[sizeof(r.cipher)];
    memcpy(lent, r.cipher, r.cut);
    CHECK_INT_EQ(uvtls_engine_lend(p.server, lent, r.cut), 0);
    char first[1001] = {0};
    long last;
    CHECK_INT_EQ(read_available(p.server, first, 1000, &last), 1000);
    CHECK(memcmp(first, r.expect, 1000) == 0);
    CHECK_INT_EQ(uvtls_engine_end_loan(p.server), 0);
    memset(lent, 0x55, sizeof(lent)); /* the caller's buffer is its own again */
    memcpy(lent, r.cipher + r.cut, r.len - r.cut);
    CHECK_INT_EQ(uvtls_engine_lend(p.server, lent, r.len - r.cut), 0);
    char rest[2001] = {0};
    CHECK_INT_EQ(read_available(p.server, rest, 2000, &last), 2000);
    CHECK(memcmp(rest, r.expect + 1000, 2000) == 0);
    CHECK_INT_EQ(uvtls_engine_end_loan(p.server), 0);
    CHECK_INT_EQ(uvtls_engine_end_loan(p.server), 0); /* no loan: nothing to do */
    pair_free(&p);
}

/* A lend or a feed while a loan is active (an owner callback that feeds the same connection)
 * ends that loan first: the bytes stay in order and the first buffer is free at once. */
TEST_IMPL(engine_nested_lend_and_feed_keep_order) {
    for (int feed_second = 0; feed_second < 2; feed_second++) {
        pair p;
        REQUIRE(pair_established(&p) == 0);
        cut_records r;
        make_cut_records(&p, &r);
        char a[sizeof(r.cipher)], b[sizeof(r.cipher)];
        memcpy(a, r.cipher, r.cut);
        memcpy(b, r.cipher + r.cut, r.len - r.cut);
        CHECK_INT_EQ(uvtls_engine_lend(p.server, a, r.cut), 0);
        if (feed_second)
            CHECK_INT_EQ(uvtls_engine_feed(p.server, b, r.len - r.cut), 0);
        else
            CHECK_INT_EQ(uvtls_engine_lend(p.server, b, r.len - r.cut), 0);
        memset(a, 0x55, sizeof(a));
        check_reads_all(p.server, &r);
        CHECK_INT_EQ(uvtls_engine_end_loan(p.server), 0);
        pair_free(&p);
    }
}

/* Garbage lent to an engine fails it; ending the loan then reports the failure and drops the
 * loan, so nothing reads the caller's buffer afterwards. */
TEST_IMPL(engine_failed_engine_drops_its_loan) {
    pair p;
    REQUIRE(pair_established(&p) == 0);
    char junk[64];
    memset(junk, 0x17, sizeof(junk)); /* "application data" records of absurd length */
    CHECK_INT_EQ(uvtls_engine_lend(p.server, junk, sizeof(junk)), 0);
    char got[16];
    CHECK_INT_EQ(uvtls_engine_read(p.server, got, sizeof(got)), UVTLS_FAIL);
    CHECK_INT_EQ(uvtls_engine_end_loan(p.server), -1);
    CHECK_INT_EQ(uvtls_engine_lend(p.server, junk, sizeof(junk)), -1);
    pair_free(&p);
}

/* Records written into the caller's buffer come first, in order, and whatever did not fit is
 * pending behind them; with ciphertext already pending nothing is placed at all. */
TEST_IMPL(engine_write_into_places_records_before_the_pending_rest) {
    pair p;
    REQUIRE(pair_established(&p) == 0);
    static char msg[40000], got[sizeof(msg) + 1];
    for (size_t i = 0; i < sizeof(msg); i++)
        msg[i] = (char)('a' + i % 26);
    static char dest[20000], rest[65536];
    size_t placed = 0;
    CHECK_INT_EQ(uvtls_engine_write_into(p.client, msg, sizeof(msg), dest, sizeof(dest), &placed),
                 sizeof(msg));
    CHECK(placed > 16384 && placed < sizeof(dest)); /* one full record fitted, the next did not */
    size_t pending = uvtls_engine_pending(p.client);
    CHECK(pending > sizeof(msg) - 16384);
    size_t more = 0;
    CHECK_INT_EQ(uvtls_engine_write_into(p.client, "x", 1, dest, sizeof(dest), &more), 1);
    CHECK_INT_EQ(more, 0); /* behind the pending records, never before them */
    size_t n = uvtls_engine_take(p.client, rest, sizeof(rest));
    CHECK_INT_EQ(uvtls_engine_pending(p.client), 0);
    CHECK_INT_EQ(uvtls_engine_feed(p.server, dest, placed), 0);
    CHECK_INT_EQ(uvtls_engine_feed(p.server, rest, n), 0);
    long last;
    CHECK_INT_EQ(read_available(p.server, got, sizeof(got), &last), sizeof(msg) + 1);
    CHECK(memcmp(got, msg, sizeof(msg)) == 0);
    CHECK_INT_EQ(got[sizeof(msg)], 'x');
    pair_free(&p);
}

TEST_IMPL(engine_session_der) {
    pair p;
    REQUIRE(pair_init(&p, make_client_context(), make_server_context(), 1, 0, 0) == 0);
    size_t len = 12345;
    CHECK(uvtls_engine_session(p.client, &len) == NULL);
    CHECK_INT_EQ(len, 12345); /* untouched when there is no session */
    handshake_pair(p.client, p.server);
    /* The session tickets arrive after the handshake; a read processes them. */
    char buf[16];
    CHECK_INT_EQ(uvtls_engine_read(p.client, buf, sizeof(buf)), UVTLS_AGAIN);
    unsigned char *der = uvtls_engine_session(p.client, &len);
    CHECK(der != NULL);
    CHECK(len > 0);
    if (der != NULL)
        CHECK_INT_EQ(der[0], 0x30); /* an ASN.1 SEQUENCE */
    free(der);
    der = uvtls_engine_session(p.server, &len);
    CHECK(der != NULL);
    free(der);
    pair_free(&p);
}

TEST_IMPL(engine_keeps_context_alive) {
    /* The engine's own reference keeps the context valid after the creator drops its own. */
    uvtls_context *cctx = make_client_context(), *sctx = make_server_context();
    REQUIRE(cctx != NULL && sctx != NULL);
    uvtls_engine *c = make_client(cctx, 1), *s = make_server(sctx, 0, 0);
    uvtls_context_unref(cctx);
    uvtls_context_unref(sctx);
    if (c != NULL && s != NULL) {
        handshake_pair(c, s);
        CHECK_INT_EQ(uvtls_engine_state_get(c), UVTLS_ENGINE_ESTABLISHED);
    }
    uvtls_engine_free(c);
    uvtls_engine_free(s);
    uvtls_engine_free(NULL); /* allowed */
}

TEST_IMPL(engine_many_engines_one_context) {
    uvtls_context *cctx = make_client_context(), *sctx = make_server_context();
    for (int i = 0; i < 8 && cctx != NULL && sctx != NULL; i++) {
        uvtls_engine *c = make_client(cctx, 1), *s = make_server(sctx, 0, 0);
        if (c != NULL && s != NULL) {
            handshake_pair(c, s);
            CHECK_INT_EQ(uvtls_engine_state_get(s), UVTLS_ENGINE_ESTABLISHED);
        }
        uvtls_engine_free(c);
        uvtls_engine_free(s);
    }
    uvtls_context_unref(cctx);
    uvtls_context_unref(sctx);
}

TEST_IMPL(engine_shutdown_during_handshake) {
    pair p;
    REQUIRE(pair_init(&p, make_client_context(), make_server_context(), 1, 0, 0) == 0);
    uvtls_engine_handshake(p.client);
    CHECK_INT_EQ(uvtls_engine_shutdown(p.client), -1);
    CHECK_INT_EQ(uvtls_engine_state_get(p.client), UVTLS_ENGINE_CLOSED);
    pair_free(&p);
}

TEST_IMPL(engine_server_with_key_loaded_before_cert) {
    /* The key-then-cert order must give the same working server as cert-then-key. */
    uvtls_context *sctx = make_context(NULL, NULL, NULL);
    REQUIRE(sctx != NULL);
    blob key = cert_file("server.key"), cert = cert_file("server.pem");
    uvtls_error err;
    CHECK_INT_EQ(uvtls_context_add_key(sctx, key.data, key.len, NULL, &err), 0);
    CHECK_INT_EQ(uvtls_context_add_cert(sctx, cert.data, cert.len, &err), 0);
    CHECK_INT_EQ(uvtls_context_check_keys(sctx, &err), 0);
    blob_free(&key);
    blob_free(&cert);
    pair p;
    REQUIRE(pair_init(&p, make_client_context(), sctx, 1, 0, 0) == 0);
    handshake_pair(p.client, p.server);
    CHECK_INT_EQ(uvtls_engine_state_get(p.server), UVTLS_ENGINE_ESTABLISHED);
    CHECK_INT_EQ(uvtls_engine_state_get(p.client), UVTLS_ENGINE_ESTABLISHED);
    if (uvtls_engine_state_get(p.server) == UVTLS_ENGINE_ERROR)
        harness_fail(__FILE__, __LINE__, "server: %s (%s)", uvtls_engine_error(p.server)->code,
                     uvtls_engine_error(p.server)->message);
    pair_free(&p);
}
