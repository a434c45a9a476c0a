/* gen_corpus: seed corpora for the engine targets, recorded from real handshakes.
 *
 *   out/gen_corpus corpus        writes the seeds of the engine and session targets under corpus/
 *
 * For the server target, a real client engine talks to an engine configured exactly as the fuzz
 * target configures it (fuzz_server_new with the same header bytes) and everything the client
 * sends is recorded. For the client target it is the other way round. Because the engine under
 * test draws its random numbers from the same seeded stream here and in the target, and the
 * clock is pinned, replaying a recording reproduces the whole handshake: the seeds reach the
 * established state, session resumption and close_notify, not just the ClientHello parser.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/ssl.h>

#include "core/engine_internal.h"
#include "core/extensions.h"
#include "fuzz_common.h"

typedef struct record {
    unsigned char *data;
    size_t len, cap;
} record;

static void record_add(record *r, const void *p, size_t n) {
    if (r->len + n > r->cap) {
        r->cap = (r->len + n) * 2;
        r->data = realloc(r->data, r->cap);
        if (r->data == NULL)
            abort();
    }
    memcpy(r->data + r->len, p, n);
    r->len += n;
}

/* What the engine under test sends goes straight to the peer engine. */
static void to_peer(const void *data, size_t len, void *arg) {
    uvtls_engine *peer = arg;
    uvtls_engine_feed(peer, data, len);
}

typedef struct peer_state {
    int wrote, shut;
} peer_state;

/* What the recorded peer does once established, besides saying hello. */
enum { ACT_NONE, ACT_KEY_UPDATE, ACT_RENEGOTIATE };
static int peer_action;
/* Re-send the peer's first record (its plaintext first flight) as 1-byte records. */
static int fragment_first;

/* The recorded peer: handshakes, says hello once established, closes after the answer. Returns
 * the bytes it sent this round; they are recorded and fed to the engine under test. */
static size_t peer_round(uvtls_engine *peer, peer_state *ps, record *rec, uvtls_engine *test,
                         int side) {
    fuzz_rand_use(side);
    unsigned char buf[16384];
    uvtls_engine_handshake(peer);
    int got_data = 0;
    while (uvtls_engine_read(peer, buf, sizeof(buf)) > 0)
        got_data = 1;
    if (uvtls_engine_state_get(peer) == UVTLS_ENGINE_ESTABLISHED && !ps->wrote) {
        static const char hello[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
        uvtls_engine_write(peer, hello, sizeof(hello) - 1);
        ps->wrote = 1;
        SSL *ssl = uvtls_engine_ssl(peer);
        if (peer_action == ACT_KEY_UPDATE && SSL_version(ssl) == TLS1_3_VERSION) {
            /* KeyUpdate asking for one back, sent with the next record. */
            SSL_key_update(ssl, SSL_KEY_UPDATE_REQUESTED);
            uvtls_engine_write(peer, "after key update", 16);
        } else if (peer_action == ACT_RENEGOTIATE) {
            /* TLS 1.2: a ClientHello (or HelloRequest) inside the session, which uvtls refuses. */
            SSL_clear_options(ssl, SSL_OP_NO_RENEGOTIATION); /* the peer is not uvtls-bound */
            if (SSL_renegotiate(ssl) != 1)
                fprintf(stderr, "gen_corpus: SSL_renegotiate failed\n");
            SSL_do_handshake(ssl);
        }
    } else if (ps->wrote && got_data && !ps->shut) {
        uvtls_engine_shutdown(peer);
        ps->shut = 1;
    }
    size_t moved = 0, k;
    while ((k = uvtls_engine_take(peer, buf, sizeof(buf))) > 0) {
        record_add(rec, buf, k);
        uvtls_engine_feed(test, buf, k);
        moved += k;
    }
    return moved;
}

static const char *out_dir;

static void write_seed(const char *target, const char *name, const uint8_t hdr[FUZZ_HEADER],
                       const record *rec) {
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", out_dir, target);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        perror(path);
        exit(1);
    }
    snprintf(path, sizeof(path), "%s/%s/%s", out_dir, target, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(hdr, 1, FUZZ_HEADER, f) != FUZZ_HEADER ||
        fwrite(rec->data, 1, rec->len, f) != rec->len || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
    printf("%-20s %-28s %6zu bytes\n", target, name, rec->len + FUZZ_HEADER);
}

static void write_raw(const char *target, const char *name, const void *data, size_t len) {
    record rec = {(unsigned char *)data, len, len};
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", out_dir, target);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        perror(path);
        exit(1);
    }
    snprintf(path, sizeof(path), "%s/%s/%s", out_dir, target, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(rec.data, 1, rec.len, f) != rec.len || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
    printf("%-20s %-28s %6zu bytes\n", target, name, len);
}

/* Runs the engine under test (built from hdr) against `peer` and records the peer's bytes. */
static void record_pair(const char *target, const char *name, const uint8_t hdr[FUZZ_HEADER],
                        uvtls_engine *peer) {
    int test_is_server = strcmp(target, "fuzz_engine_server") == 0;
    int test_side = test_is_server ? FUZZ_SIDE_SERVER : FUZZ_SIDE_CLIENT;
    int peer_side = test_is_server ? FUZZ_SIDE_CLIENT : FUZZ_SIDE_SERVER;
    fuzz_rand_reset(test_side);
    fuzz_rand_use(test_side);
    uvtls_engine *test =
        test_is_server ? fuzz_server_new(hdr[0], hdr[1]) : fuzz_client_new(hdr[0], hdr[1]);
    record rec = {0};
    peer_state ps = {0};
    for (int round = 0; round < 30; round++) {
        fuzz_rand_use(test_side);
        size_t before = rec.len;
        fuzz_step(test, test_is_server, hdr[0], hdr[1], to_peer, peer);
        size_t moved = peer_round(peer, &ps, &rec, test, peer_side);
        fuzz_rand_use(test_side);
        fuzz_step(test, test_is_server, hdr[0], hdr[1], to_peer, peer);
        if (moved == 0 && rec.len == before && round > 2)
            break;
    }
    uint8_t h[FUZZ_HEADER];
    memcpy(h, hdr, FUZZ_HEADER);
    if (fragment_first && rec.len > 5 && rec.data[0] == 22) {
        /* The handshake layer does not care how records cut messages: the same bytes in 1-byte
         * records must give the same handshake. */
        size_t body = (size_t)rec.data[3] << 8 | rec.data[4];
        record frag = {0};
        for (size_t i = 0; i < body && 5 + i < rec.len; i++) {
            unsigned char r[6] = {22, rec.data[1], rec.data[2], 0, 1, rec.data[5 + i]};
            record_add(&frag, r, sizeof(r));
        }
        if (5 + body < rec.len)
            record_add(&frag, rec.data + 5 + body, rec.len - 5 - body);
        free(rec.data);
        rec = frag;
    }
    write_seed(target, name, h, &rec);
    fprintf(stdout, "    under test: state %d %s reused %d %s; peer: state %d %s\n",
            uvtls_engine_state_get(test),
            uvtls_engine_protocol(test) ? uvtls_engine_protocol(test) : "-",
            uvtls_engine_session_reused(test), uvtls_engine_error(test)->code,
            uvtls_engine_state_get(peer), uvtls_engine_error(peer)->code);
    free(rec.data);
    uvtls_engine_free(test);
    uvtls_engine_free(peer);
}

/* --- peers ---------------------------------------------------------------------------------- */

static uvtls_context *peer_context(const char *ciphers12, int tls12, const char *groups,
                                   long options, int with_cert, int server) {
    const fuzz_world *w = fuzz_setup();
    uvtls_error err;
    fuzz_rand_use(FUZZ_SIDE_INIT);
    uvtls_context *ctx = uvtls_context_new(&err);
    if (ctx == NULL)
        abort();
    if (with_cert) {
        uvtls_context_add_cert(ctx, w->cert_pem, w->cert_pem_len, &err);
        uvtls_context_add_key(ctx, w->key_pem, w->key_pem_len, NULL, &err);
    }
    uvtls_context_add_ca(ctx, w->cert_pem, w->cert_pem_len, &err);
    if (tls12)
        uvtls_context_set_protocol_range(ctx, UVTLS_TLS1_2, UVTLS_TLS1_2, &err);
    if (ciphers12 != NULL && uvtls_context_set_ciphers(ctx, ciphers12, NULL, &err) < 0) {
        fprintf(stderr, "ciphers %s: %s\n", ciphers12, err.message);
        exit(1);
    }
    if (groups != NULL && uvtls_context_set_groups(ctx, groups, &err) < 0) {
        fprintf(stderr, "groups %s: %s\n", groups, err.message);
        exit(1);
    }
    uvtls_context_set_options(ctx, options);
    if (server) /* a client with one would refuse the sessions made at start-up */
        uvtls_context_set_session_id_context(ctx, "uvtls-fuzz", 10, &err);
    return ctx;
}

static const unsigned char PSK_KEY[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};

static int peer_psk(uvtls_engine *e, const char *identity_or_hint, unsigned char *psk,
                    size_t *psk_len, char *identity, size_t identity_cap, void *user) {
    (void)identity_or_hint;
    (void)user;
    if (!uvtls_engine_is_server(e))
        snprintf(identity, identity_cap, "client1");
    memcpy(psk, PSK_KEY, sizeof(PSK_KEY));
    *psk_len = sizeof(PSK_KEY);
    return 0;
}

/* A client peer for the server target. */
static uvtls_engine *client_peer(uvtls_context *ctx, const char *sni, const char *alpn,
                                 const void *session, size_t session_len, int psk, int ocsp) {
    uvtls_error err;
    uvtls_engine_options o = {.is_server = 0, .reject_unauthorized = 0, .servername = sni};
    fuzz_rand_reset(FUZZ_SIDE_CLIENT);
    fuzz_rand_use(FUZZ_SIDE_CLIENT);
    uvtls_engine *e = uvtls_engine_new(ctx, &o, &err);
    if (e == NULL)
        abort();
    if (alpn != NULL)
        uvtls_engine_set_alpn(e, (const unsigned char *)alpn, strlen(alpn), &err);
    if (session != NULL && uvtls_engine_set_session(e, session, session_len, &err) < 0)
        fprintf(stderr, "set_session: %s\n", err.message);
    if (psk)
        uvtls_engine_set_psk(e, peer_psk, NULL, NULL, &err);
    if (ocsp)
        uvtls_engine_request_ocsp(e);
    uvtls_engine_set_npn(e, (const unsigned char *)"\x02h2", 3, &err);
    return e;
}

/* A server peer for the client target. */
static uvtls_engine *server_peer(uvtls_context *ctx, int request_cert, const char *alpn, int psk,
                                 int ocsp) {
    uvtls_error err;
    uvtls_engine_options o = {.is_server = 1, .request_cert = request_cert};
    fuzz_rand_reset(FUZZ_SIDE_SERVER);
    fuzz_rand_use(FUZZ_SIDE_SERVER);
    uvtls_engine *e = uvtls_engine_new(ctx, &o, &err);
    if (e == NULL)
        abort();
    if (alpn != NULL)
        uvtls_engine_set_alpn(e, (const unsigned char *)alpn, strlen(alpn), &err);
    if (psk)
        uvtls_engine_set_psk(e, peer_psk, NULL, "hint", &err);
    if (ocsp) /* a minimal OCSPResponse: status "malformedRequest" */
        uvtls_engine_set_ocsp_response(e, "\x30\x03\x0a\x01\x01", 5);
    uvtls_engine_set_npn(e, (const unsigned char *)"\x02h2\x08http/1.1", 12, &err);
    return e;
}

static void hdr_set(uint8_t h[FUZZ_HEADER], int f0, int f1, int chunk_seed) {
    h[0] = (uint8_t)f0;
    h[1] = (uint8_t)f1;
    h[2] = (uint8_t)chunk_seed;
    h[3] = 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
        return 2;
    }
    out_dir = argv[1];
    mkdir(out_dir, 0755);
    const fuzz_world *w = fuzz_setup();
    const char *S = "fuzz_engine_server", *C = "fuzz_engine_client";
    const char *ALPN = "\x08http/1.1\x02h2";
    uint8_t h[FUZZ_HEADER];

    uvtls_context *cli13 = peer_context(NULL, 0, NULL, 0, 0, 0);
    uvtls_context *cli12 = peer_context(NULL, 1, NULL, 0, 0, 0);
    uvtls_context *cli_mutual = peer_context(NULL, 0, NULL, 0, 1, 0);
    uvtls_context *cli12_psk = peer_context("PSK-AES128-GCM-SHA256", 1, NULL, 0, 0, 0);
    uvtls_context *cli12_cbc = peer_context("ECDHE-ECDSA-AES128-SHA", 1, NULL, 0, 0, 0);
    uvtls_context *cli12_noticket = peer_context(NULL, 1, NULL, SSL_OP_NO_TICKET, 0, 0);
    uvtls_context *cli_p384 = peer_context(NULL, 0, "P-384:X25519", 0, 0, 0);

    /* --- the server target: what clients send --- */
    hdr_set(h, FUZZ_S_SNI_PAUSE | FUZZ_S_ALPN | FUZZ_S_SERVER_SESSIONS, FUZZ_S_KEYLOG, 0);
    record_pair(S, "tls13-sni-alpn", h, client_peer(cli13, "localhost", ALPN, NULL, 0, 0, 0));
    hdr_set(h, FUZZ_S_SNI_PAUSE | FUZZ_S_ALPN | FUZZ_S_SERVER_SESSIONS, FUZZ_S_KEYLOG, 0x37);
    record_pair(S, "tls13-sni-alpn-chunked", h,
                client_peer(cli13, "localhost", ALPN, NULL, 0, 0, 0));
    hdr_set(h, FUZZ_S_ALPN, FUZZ_S_TLS12, 0);
    record_pair(S, "tls12-alpn", h, client_peer(cli12, "example.com", ALPN, NULL, 0, 0, 0));
    hdr_set(h, FUZZ_S_ALPN, FUZZ_S_TLS12, 0x22);
    record_pair(S, "tls12-alpn-chunked", h, client_peer(cli12, "example.com", ALPN, NULL, 0, 0, 0));
    hdr_set(h, FUZZ_S_PSK | FUZZ_S_PSK_FOUND, 0, 0);
    record_pair(S, "tls13-psk", h, client_peer(cli13, NULL, NULL, NULL, 0, 1, 0));
    hdr_set(h, FUZZ_S_PSK | FUZZ_S_PSK_FOUND, FUZZ_S_TLS12, 0);
    record_pair(S, "tls12-psk", h, client_peer(cli12_psk, NULL, NULL, NULL, 0, 1, 0));
    hdr_set(h, 0, 0, 0);
    record_pair(S, "tls13-resume-ticket", h,
                client_peer(cli13, "localhost", NULL, w->session13, w->session13_len, 0, 0));
    hdr_set(h, 0, FUZZ_S_TLS12, 0);
    record_pair(S, "tls12-resume-ticket", h,
                client_peer(cli12, "localhost", NULL, w->session12, w->session12_len, 0, 0));
    hdr_set(h, FUZZ_S_RESUME_PAUSE, FUZZ_S_TLS12 | FUZZ_S_RESUME_DATA, 0);
    record_pair(S, "tls12-resume-cache", h,
                client_peer(cli12_noticket, "localhost", NULL, w->session12_noticket,
                            w->session12_noticket_len, 0, 0));
    hdr_set(h, FUZZ_S_REQUEST_CERT, FUZZ_S_REJECT, 0);
    record_pair(S, "tls13-mutual", h, client_peer(cli_mutual, "localhost", NULL, NULL, 0, 0, 0));
    hdr_set(h, FUZZ_S_REQUEST_CERT, FUZZ_S_REJECT | FUZZ_S_TLS12, 0);
    record_pair(S, "tls12-mutual", h, client_peer(cli_mutual, "localhost", NULL, NULL, 0, 0, 0));
    hdr_set(h, 0, FUZZ_S_OCSP, 0);
    record_pair(S, "tls13-ocsp", h, client_peer(cli13, "localhost", NULL, NULL, 0, 0, 1));
    hdr_set(h, FUZZ_S_SNI_PAUSE, FUZZ_S_SWITCH_CTX, 0);
    record_pair(S, "sni-switch-to-tls12", h,
                client_peer(cli13, "example.com", NULL, NULL, 0, 0, 0));
    hdr_set(h, FUZZ_S_ALPN_REJECT, 0, 0);
    record_pair(S, "alpn-reject", h, client_peer(cli13, "localhost", ALPN, NULL, 0, 0, 0));
    hdr_set(h, 0, FUZZ_S_TLS12, 0);
    record_pair(S, "tls12-cbc", h, client_peer(cli12_cbc, NULL, NULL, NULL, 0, 0, 0));
    hdr_set(h, 0, FUZZ_S_EOF, 0);
    record_pair(S, "tls13-hrr", h, client_peer(cli_p384, "localhost", NULL, NULL, 0, 0, 0));
    peer_action = ACT_KEY_UPDATE;
    hdr_set(h, 0, 0, 0);
    record_pair(S, "tls13-key-update", h, client_peer(cli13, "localhost", NULL, NULL, 0, 0, 0));
    peer_action = ACT_RENEGOTIATE;
    hdr_set(h, 0, FUZZ_S_TLS12, 0);
    record_pair(S, "tls12-renegotiate", h, client_peer(cli12, "localhost", NULL, NULL, 0, 0, 0));
    peer_action = ACT_NONE;
    fragment_first = 1;
    hdr_set(h, FUZZ_S_SNI_PAUSE | FUZZ_S_ALPN, 0, 0);
    record_pair(S, "tls13-hello-1-byte-records", h,
                client_peer(cli13, "localhost", ALPN, NULL, 0, 0, 0));
    fragment_first = 0;

    /* --- the client target: what servers send --- */
    uvtls_context *srv13 = peer_context(NULL, 0, NULL, 0, 1, 1);
    uvtls_context *srv12 = peer_context(NULL, 1, NULL, 0, 1, 1);
    uvtls_context *srv12_cbc = peer_context("ECDHE-ECDSA-AES128-SHA", 1, NULL, 0, 1, 1);
    uvtls_context *srv12_psk = peer_context("PSK-AES128-GCM-SHA256", 1, NULL, 0, 1, 1);
    uvtls_context *srv_p256 = peer_context(NULL, 0, "P-256", 0, 1, 1);
    const char *SALPN = "\x02h2\x08http/1.1";
    hdr_set(h, FUZZ_C_VERIFY | FUZZ_C_SNI | FUZZ_C_ALPN, FUZZ_C_KEYLOG, 0);
    record_pair(C, "tls13-verify-alpn", h, server_peer(srv13, 0, SALPN, 0, 0));
    hdr_set(h, FUZZ_C_VERIFY | FUZZ_C_SNI | FUZZ_C_ALPN, 0, 0x13);
    record_pair(C, "tls13-verify-alpn-chunked", h, server_peer(srv13, 0, SALPN, 0, 0));
    hdr_set(h, FUZZ_C_VERIFY | FUZZ_C_SNI | FUZZ_C_ALPN, FUZZ_C_TLS12, 0);
    record_pair(C, "tls12-verify-alpn", h, server_peer(srv12, 0, SALPN, 0, 0));
    hdr_set(h, FUZZ_C_VERIFY | FUZZ_C_SNI, FUZZ_C_TLS12, 0x42);
    record_pair(C, "tls12-cbc-chunked", h, server_peer(srv12_cbc, 0, NULL, 0, 0));
    hdr_set(h, FUZZ_C_VERIFY | FUZZ_C_SNI | FUZZ_C_SESSION13, 0, 0);
    record_pair(C, "tls13-resume", h, server_peer(w->server, 0, NULL, 0, 0));
    hdr_set(h, FUZZ_C_VERIFY | FUZZ_C_SNI | FUZZ_C_SESSION12, FUZZ_C_TLS12, 0);
    record_pair(C, "tls12-resume", h, server_peer(w->server12, 0, NULL, 0, 0));
    hdr_set(h, FUZZ_C_PSK, 0, 0);
    record_pair(C, "tls13-psk", h, server_peer(srv13, 0, NULL, 1, 0));
    hdr_set(h, FUZZ_C_PSK, FUZZ_C_TLS12, 0);
    record_pair(C, "tls12-psk", h, server_peer(srv12_psk, 0, NULL, 1, 0));
    hdr_set(h, FUZZ_C_VERIFY | FUZZ_C_SNI, FUZZ_C_MUTUAL, 0);
    record_pair(C, "tls13-mutual", h, server_peer(srv13, 1, NULL, 0, 0));
    hdr_set(h, FUZZ_C_VERIFY | FUZZ_C_SNI, FUZZ_C_MUTUAL | FUZZ_C_TLS12, 0);
    record_pair(C, "tls12-mutual", h, server_peer(srv12, 1, NULL, 0, 0));
    hdr_set(h, FUZZ_C_VERIFY | FUZZ_C_NO_TRUST | FUZZ_C_SNI, 0, 0);
    record_pair(C, "untrusted", h, server_peer(srv13, 0, NULL, 0, 0));
    hdr_set(h, FUZZ_C_SNI | FUZZ_C_OCSP, FUZZ_C_EOF, 0);
    record_pair(C, "tls13-ocsp", h, server_peer(srv13, 0, NULL, 0, 1));
    hdr_set(h, FUZZ_C_SNI | FUZZ_C_ALPN, 0, 0);
    record_pair(C, "alpn-mismatch", h, server_peer(srv13, 0, "\x03xyz", 0, 0));
    hdr_set(h, FUZZ_C_VERIFY | FUZZ_C_SNI, FUZZ_C_SHUTDOWN, 0);
    record_pair(C, "tls13-hrr", h, server_peer(srv_p256, 0, NULL, 0, 0));
    peer_action = ACT_KEY_UPDATE;
    hdr_set(h, FUZZ_C_VERIFY | FUZZ_C_SNI, 0, 0);
    record_pair(C, "tls13-key-update", h, server_peer(srv13, 0, NULL, 0, 0));
    peer_action = ACT_RENEGOTIATE;
    hdr_set(h, FUZZ_C_VERIFY | FUZZ_C_SNI, FUZZ_C_TLS12, 0);
    record_pair(C, "tls12-hello-request", h, server_peer(srv12, 0, NULL, 0, 0));
    peer_action = ACT_NONE;
    fragment_first = 1;
    hdr_set(h, FUZZ_C_VERIFY | FUZZ_C_SNI, FUZZ_C_TLS12, 0);
    record_pair(C, "tls12-flight-1-byte-records", h, server_peer(srv12, 0, NULL, 0, 0));
    fragment_first = 0;

    /* --- sessions: the DER the engine gets back from caches --- */
    write_raw("fuzz_session", "client-tls13", w->session13, w->session13_len);
    write_raw("fuzz_session", "client-tls12-ticket", w->session12, w->session12_len);
    write_raw("fuzz_session", "client-tls12-id", w->session12_noticket, w->session12_noticket_len);
    write_raw("fuzz_session", "server-tls12-id", w->server_session, w->server_session_len);

    uvtls_context *all[] = {cli13,    cli12, cli_mutual, cli12_psk, cli12_cbc, cli12_noticket,
                            cli_p384, srv13, srv12,      srv12_cbc, srv12_psk, srv_p256};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        uvtls_context_unref(all[i]);
    return 0;
}
