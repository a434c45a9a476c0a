/* fuzz_common: deterministic randomness and clock, one certificate, ready-made contexts, and the
 * engine driving loop shared by the fuzz targets and the seed generator. */
#include "fuzz_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#ifdef HAVE_DESCRIBE
#include "core/describe.h"
#endif
#include "core/extensions.h"
#include "core/tickets.h"
#include "core/x509.h"

/* --- the clock ------------------------------------------------------------------------------ */

/* OpenSSL 3.0 stamps sessions and tickets with time(NULL) and checks certificate validity
 * against it. Pinning it makes a ticket recorded today byte-identical to one made while fuzzing
 * next year. The executable's definition wins over libc's for libssl too (symbol
 * interposition). */
enum { FUZZ_NOW = 1735689600 }; /* 2025-01-01T00:00:00Z */

time_t time(time_t *t) {
    if (t != NULL)
        *t = FUZZ_NOW;
    return FUZZ_NOW;
}

/* --- randomness ----------------------------------------------------------------------------- */

/* splitmix64 per side. Not random at all, which is what reproducible handshakes need. */
static uint64_t streams[FUZZ_SIDES];
static int current_side;

static uint64_t stream_seed(int side) {
    return 0x9e3779b97f4a7c15ull * (uint64_t)(side + 1);
}

static uint64_t next64(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int det_bytes(unsigned char *buf, int num) {
    uint64_t *s = &streams[current_side];
    for (int i = 0; i < num; i += 8) {
        uint64_t v = next64(s);
        int n = num - i < 8 ? num - i : 8;
        memcpy(buf + i, &v, (size_t)n);
    }
    return 1;
}

static int det_seed(const void *buf, int num) {
    (void)buf;
    (void)num;
    return 1;
}

static int det_add(const void *buf, int num, double entropy) {
    (void)buf;
    (void)num;
    (void)entropy;
    return 1;
}

static int det_status(void) {
    return 1;
}

/* The legacy RAND_METHOD is deprecated in OpenSSL 3.0 but still consulted first by
 * RAND_bytes_ex and RAND_priv_bytes_ex, which is every random byte TLS and key generation use. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static RAND_METHOD det_method = {det_seed, det_bytes, NULL, det_add, det_bytes, det_status};

static void install_rand(void) {
    if (RAND_set_rand_method(&det_method) != 1) {
        fprintf(stderr, "fuzz: cannot install the deterministic RAND method\n");
        abort();
    }
}
#pragma GCC diagnostic pop

void fuzz_rand_use(int side) {
    current_side = side;
}

void fuzz_rand_reset(int side) {
    streams[side] = stream_seed(side);
}

/* --- the world ------------------------------------------------------------------------------ */

static fuzz_world world;
static int world_ready;

static void must(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "fuzz setup: %s failed\n", what);
        ERR_print_errors_fp(stderr);
        abort();
    }
}

static void must_core(int r, const uvtls_error *err, const char *what) {
    if (r < 0) {
        fprintf(stderr, "fuzz setup: %s: %s %s\n", what, err->code, err->message);
        abort();
    }
}

static char *bio_text(BIO *b, size_t *len) {
    char *p = NULL;
    long n = BIO_get_mem_data(b, &p);
    char *copy = malloc((size_t)n + 1);
    must(copy != NULL, "malloc");
    memcpy(copy, p, (size_t)n);
    copy[n] = '\0';
    *len = (size_t)n;
    return copy;
}

static void add_ext(X509 *x, int nid, const char *value) {
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    must(ext != NULL && X509_add_ext(x, ext, -1) == 1, "X509_add_ext");
    X509_EXTENSION_free(ext);
}

/* EC P-256, self-signed, fixed serial and validity so that it is the same bytes every run. */
static void make_certificate(void) {
    EVP_PKEY *key = EVP_EC_gen("P-256");
    must(key != NULL, "EVP_EC_gen");
    X509 *x = X509_new();
    must(x != NULL, "X509_new");
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 0x5eed);
    must(ASN1_TIME_set_string(X509_getm_notBefore(x), "200101000000Z") == 1, "notBefore");
    must(ASN1_TIME_set_string(X509_getm_notAfter(x), "491231235959Z") == 1, "notAfter");
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"uvtls fuzz", -1, -1,
                               0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1,
                               0);
    X509_set_issuer_name(x, name);
    X509_set_pubkey(x, key);
    add_ext(x, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(x, NID_key_usage, "critical,digitalSignature,keyCertSign");
    add_ext(x, NID_ext_key_usage, "serverAuth,clientAuth");
    add_ext(x, NID_subject_alt_name, "DNS:localhost,DNS:example.com,IP:127.0.0.1");
    add_ext(x, NID_subject_key_identifier, "hash");
    must(X509_sign(x, key, EVP_sha256()) > 0, "X509_sign");

    BIO *b = BIO_new(BIO_s_mem());
    must(b != NULL && PEM_write_bio_X509(b, x) == 1, "PEM_write_bio_X509");
    world.cert_pem = bio_text(b, &world.cert_pem_len);
    BIO_free(b);
    b = BIO_new(BIO_s_mem());
    must(b != NULL && PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) == 1,
         "PEM_write_bio_PrivateKey");
    world.key_pem = bio_text(b, &world.key_pem_len);
    BIO_free(b);
    int n = i2d_X509(x, &world.cert_der);
    must(n > 0, "i2d_X509");
    world.cert_der_len = (size_t)n;
    X509_free(x);
    EVP_PKEY_free(key);
}

static const char CIPHERS12[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA:"
    "PSK-AES128-GCM-SHA256:ECDHE-PSK-CHACHA20-POLY1305:PSK-AES256-CBC-SHA";

static uvtls_context *make_context(int server, int tls12, int own_cert, int trusting) {
    uvtls_error err;
    uvtls_context *ctx = uvtls_context_new(&err);
    must(ctx != NULL, "uvtls_context_new");
    if (own_cert) {
        must_core(uvtls_context_add_cert(ctx, world.cert_pem, world.cert_pem_len, &err), &err,
                  "add_cert");
        must_core(uvtls_context_add_key(ctx, world.key_pem, world.key_pem_len, NULL, &err), &err,
                  "add_key");
        must_core(uvtls_context_check_keys(ctx, &err), &err, "check_keys");
    }
    if (trusting)
        must_core(uvtls_context_add_ca(ctx, world.cert_pem, world.cert_pem_len, &err), &err,
                  "add_ca");
    if (tls12) {
        must_core(uvtls_context_set_protocol_range(ctx, UVTLS_TLS1_2, UVTLS_TLS1_2, &err), &err,
                  "protocol range");
        must_core(uvtls_context_set_ciphers(ctx, CIPHERS12, NULL, &err), &err, "ciphers");
    }
    if (server) {
        /* Fixed ticket keys, and a lifetime that a pinned clock never reaches. */
        unsigned char keys[UVTLS_TICKET_KEYS_LEN];
        for (size_t i = 0; i < sizeof(keys); i++)
            keys[i] = (unsigned char)(i * 7 + 1);
        must_core(uvtls_context_set_ticket_keys(ctx, keys, sizeof(keys), &err), &err,
                  "ticket keys");
        uvtls_context_set_session_timeout(ctx, 86400);
        must_core(uvtls_context_set_session_id_context(ctx, "uvtls-fuzz", 10, &err), &err,
                  "session id context");
    }
    return ctx;
}

static void pump(uvtls_engine *a, uvtls_engine *b) {
    unsigned char buf[16384];
    for (int round = 0; round < 20; round++) {
        size_t moved = 0, n;
        uvtls_engine_handshake(a);
        while ((n = uvtls_engine_take(a, buf, sizeof(buf))) > 0) {
            moved += n;
            uvtls_engine_feed(b, buf, n);
        }
        uvtls_engine_handshake(b);
        while ((n = uvtls_engine_take(b, buf, sizeof(buf))) > 0) {
            moved += n;
            uvtls_engine_feed(a, buf, n);
        }
        /* Reads let a TLS 1.3 client take its NewSessionTicket. */
        uvtls_engine_read(a, buf, sizeof(buf));
        uvtls_engine_read(b, buf, sizeof(buf));
        if (moved == 0)
            return;
    }
}

/* Start-up handshakes yield the client sessions (DER). A TLS 1.2 client that refuses tickets
 * makes the server give the session an id and hand it to its owner: that one is the entry of the
 * external session cache that the server target can look up (FUZZ_S_RESUME_DATA). */
static void make_session(int tls12, int no_ticket) {
    uvtls_error err;
    uvtls_engine_options so = {.is_server = 1};
    uvtls_engine_options co = {.is_server = 0, .reject_unauthorized = 1, .servername = "localhost"};
    uvtls_context *cctx = world.client[tls12 << 2 | 1];
    if (no_ticket) {
        cctx = make_context(0, 1, 0, 1);
        uvtls_context_set_options(cctx, SSL_OP_NO_TICKET);
    }
    uvtls_engine *s = uvtls_engine_new(tls12 ? world.server12 : world.server, &so, &err);
    uvtls_engine *c = uvtls_engine_new(cctx, &co, &err);
    must(s != NULL && c != NULL, "session engines");
    uvtls_engine_set_session_cache(s, 0, 1);
    pump(c, s);
    must(uvtls_engine_state_get(c) == UVTLS_ENGINE_ESTABLISHED, "start-up handshake");
    size_t len = 0;
    unsigned char *sess = uvtls_engine_take_new_session(c, &len);
    must(sess != NULL, "client session");
    unsigned char *server_sess = uvtls_engine_take_new_session(s, &world.server_session_len);
    if (no_ticket) {
        world.session12_noticket = sess;
        world.session12_noticket_len = len;
        world.server_session = server_sess;
        must(server_sess != NULL, "server session");
    } else {
        free(server_sess);
        if (tls12) {
            world.session12 = sess;
            world.session12_len = len;
        } else {
            world.session13 = sess;
            world.session13_len = len;
        }
    }
    uvtls_engine_free(c);
    uvtls_engine_free(s);
    if (no_ticket)
        uvtls_context_unref(cctx);
}

const fuzz_world *fuzz_setup(void) {
    if (world_ready)
        return &world;
    install_rand();
    for (int i = 0; i < FUZZ_SIDES; i++)
        fuzz_rand_reset(i);
    fuzz_rand_use(FUZZ_SIDE_INIT);
    make_certificate();
    world.server = make_context(1, 0, 1, 1);
    world.server12 = make_context(1, 1, 1, 1);
    for (int i = 0; i < 8; i++)
        world.client[i] = make_context(0, (i >> 2) & 1, (i >> 1) & 1, i & 1);
    make_session(0, 0);
    make_session(1, 0);
    make_session(1, 1);
    ERR_clear_error();
    world_ready = 1;
    return &world;
}

uvtls_context *fuzz_client_context(int f0, int f1) {
    int trusting = !(f0 & FUZZ_C_NO_TRUST);
    int mutual = (f1 & FUZZ_C_MUTUAL) != 0;
    int tls12 = (f1 & FUZZ_C_TLS12) != 0;
    return world.client[tls12 << 2 | mutual << 1 | trusting];
}

/* --- engines -------------------------------------------------------------------------------- */

static const unsigned char ALPN_SERVER[] = "\x02h2\x08http/1.1";
static const unsigned char ALPN_CLIENT[] = "\x08http/1.1\x02h2";
static const unsigned char PSK_KEY[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};

static int psk_handler(uvtls_engine *e, const char *identity_or_hint, unsigned char *psk,
                       size_t *psk_len, char *identity, size_t identity_cap, void *user) {
    int found = user != NULL;
    if (uvtls_engine_is_server(e)) {
        if (!found || identity_or_hint == NULL || strcmp(identity_or_hint, "client1") != 0)
            return -1;
    } else {
        if (identity_cap < 8)
            return -1;
        memcpy(identity, "client1", 8);
    }
    if (*psk_len < sizeof(PSK_KEY))
        return -1;
    memcpy(psk, PSK_KEY, sizeof(PSK_KEY));
    *psk_len = sizeof(PSK_KEY);
    return 0;
}

uvtls_engine *fuzz_server_new(uint8_t f0, uint8_t f1) {
    uvtls_error err;
    uvtls_engine_options o = {
        .is_server = 1,
        .request_cert = (f0 & FUZZ_S_REQUEST_CERT) != 0,
        .reject_unauthorized = (f1 & FUZZ_S_REJECT) != 0,
    };
    uvtls_engine *e =
        uvtls_engine_new((f1 & FUZZ_S_TLS12) ? world.server12 : world.server, &o, &err);
    if (e == NULL)
        abort(); /* only memory could fail here */
    if (f0 & FUZZ_S_ALPN_REJECT)
        uvtls_engine_set_alpn(e, NULL, 0, &err);
    else if (f0 & FUZZ_S_ALPN)
        uvtls_engine_set_alpn(e, ALPN_SERVER, sizeof(ALPN_SERVER) - 1, &err);
    uvtls_engine_set_sni_pause(e, (f0 & FUZZ_S_SNI_PAUSE) != 0);
    uvtls_engine_set_session_cache(e, (f0 & FUZZ_S_RESUME_PAUSE) != 0,
                                   (f0 & FUZZ_S_SERVER_SESSIONS) != 0);
    uvtls_engine_set_ocsp_pause(e, (f1 & FUZZ_S_OCSP) != 0);
    uvtls_engine_set_keylog(e, (f1 & FUZZ_S_KEYLOG) != 0);
    uvtls_engine_set_npn(e, ALPN_SERVER, sizeof(ALPN_SERVER) - 1, &err);
    if (f0 & FUZZ_S_PSK)
        uvtls_engine_set_psk(e, psk_handler, (f0 & FUZZ_S_PSK_FOUND) ? (void *)1 : NULL, "hint",
                             &err);
    return e;
}

uvtls_engine *fuzz_client_new(uint8_t f0, uint8_t f1) {
    uvtls_error err;
    uvtls_engine_options o = {
        .is_server = 0,
        .reject_unauthorized = (f0 & FUZZ_C_VERIFY) != 0,
        .servername = (f0 & FUZZ_C_SNI) ? "localhost" : NULL,
    };
    uvtls_engine *e = uvtls_engine_new(fuzz_client_context(f0, f1), &o, &err);
    if (e == NULL)
        abort();
    if (f0 & FUZZ_C_ALPN)
        uvtls_engine_set_alpn(e, ALPN_CLIENT, sizeof(ALPN_CLIENT) - 1, &err);
    if (f0 & FUZZ_C_SESSION13)
        uvtls_engine_set_session(e, world.session13, world.session13_len, &err);
    else if (f0 & FUZZ_C_SESSION12)
        uvtls_engine_set_session(e, world.session12, world.session12_len, &err);
    if (f0 & FUZZ_C_PSK)
        uvtls_engine_set_psk(e, psk_handler, (void *)1, NULL, &err);
    if (f0 & FUZZ_C_OCSP)
        uvtls_engine_request_ocsp(e);
    uvtls_engine_set_keylog(e, (f1 & FUZZ_C_KEYLOG) != 0);
    uvtls_engine_set_npn(e, ALPN_CLIENT, sizeof(ALPN_CLIENT) - 1, &err);
    return e;
}

/* The binding's answer to a ClientHello pause, chosen by the flags: look at what the client
 * asked for, maybe switch the context, hand over a cached session or an OCSP response. */
static void answer_hello(uvtls_engine *e, uint8_t f1) {
    size_t len = 0;
    const char *name = uvtls_engine_hello_servername(e);
    if (name != NULL && strlen(name) > 255)
        abort(); /* parse_server_name promised a bounded, NUL-free name */
    const unsigned char *alpn = uvtls_engine_hello_alpn(e, &len);
    if (alpn != NULL && len == 0)
        abort();
    const unsigned char *sid = uvtls_engine_hello_session_id(e, &len);
    if (sid != NULL && len > 32)
        abort();
    (void)uvtls_engine_hello_ocsp_requested(e);
    if (f1 & FUZZ_S_RESUME_DATA)
        uvtls_engine_set_resume_session(e, world.server_session, world.server_session_len);
    if (f1 & FUZZ_S_OCSP)
        uvtls_engine_set_ocsp_response(e, "\x30\x03\x0a\x01\x00", 5);
    uvtls_engine_resume_hello(e, (f1 & FUZZ_S_SWITCH_CTX) ? world.server12 : NULL);
}

static void drain(uvtls_engine *e, fuzz_sink sink, void *arg) {
    unsigned char buf[4096];
    size_t n;
    while ((n = uvtls_engine_take(e, buf, sizeof(buf))) > 0) {
        if (sink != NULL)
            sink(buf, n, arg);
    }
}

void fuzz_step(uvtls_engine *e, int is_server, uint8_t f0, uint8_t f1, fuzz_sink sink, void *arg) {
    (void)f0;
    for (int i = 0; i < 3; i++) {
        uvtls_engine_handshake(e);
        if (!is_server || !uvtls_engine_hello_waiting(e))
            break;
        answer_hello(e, f1);
    }
    drain(e, sink, arg);
    unsigned char buf[2048];
    for (int i = 0; i < 64; i++) {
        ssize_t n = uvtls_engine_read(e, buf, sizeof(buf));
        if (n <= 0)
            break;
        /* Echo a little back, as an application would. */
        if (uvtls_engine_state_get(e) == UVTLS_ENGINE_ESTABLISHED)
            uvtls_engine_write(e, buf, n > 32 ? 32 : (size_t)n);
    }
    drain(e, sink, arg);
    size_t len = 0;
    free(uvtls_engine_take_new_session(e, &len));
    free(uvtls_engine_take_keylog(e, &len));
}

void fuzz_getters(uvtls_engine *e) {
    const char *a, *b, *c;
    size_t len = 0;
    unsigned char buf[128];
    char text[1024];
    (void)uvtls_engine_state_get(e);
    (void)uvtls_engine_verify_result(e);
    (void)uvtls_engine_cipher(e, &a, &b, &c);
    (void)uvtls_engine_protocol(e);
    free(uvtls_engine_session(e, &len));
    (void)uvtls_engine_session_reused(e);
    (void)uvtls_engine_servername(e);
    (void)uvtls_engine_alpn_selected(e, &len);
    (void)uvtls_engine_npn_selected(e, &len);
    (void)uvtls_engine_ticket(e, &len);
    (void)uvtls_engine_ocsp_response(e, &len);
    (void)uvtls_engine_finished(e, buf, sizeof(buf));
    (void)uvtls_engine_peer_finished(e, buf, sizeof(buf));
    (void)uvtls_engine_shared_sigalgs(e, text, sizeof(text));
    int size = 0;
    (void)uvtls_engine_ephemeral_key(e, &a, &b, &size);
    if (uvtls_engine_state_get(e) == UVTLS_ENGINE_ESTABLISHED) {
        uvtls_error err;
        uvtls_engine_export_keying_material(e, buf, 32, "EXPORTER-fuzz", 13, "ctx", 3, 1, &err);
    }
    uvtls_cert_chain_free(uvtls_engine_peer_chain(e, 0));
    uvtls_cert_chain_free(uvtls_engine_peer_chain(e, 1));
    uvtls_cert_chain_free(uvtls_engine_own_chain(e));
#ifdef HAVE_DESCRIBE
    /* The CA names of a CertificateRequest come from the peer (in TLS 1.2 unencrypted, so the
     * mutations reach them) and are turned into RFC 4514 strings. */
    (void)uvtls_engine_negotiated_group(e);
    char **names = NULL;
    size_t count = 0;
    if (uvtls_engine_cert_request(e, &names, &count) == 1) {
        for (size_t i = 0; i < count; i++)
            len += strlen(names[i]);
        uvtls_strings_free(names, count);
    }
#endif
    ERR_clear_error();
}

/* --- chunking ------------------------------------------------------------------------------- */

void fuzz_chunker_init(fuzz_chunker *c, uint8_t seed) {
    c->seed = seed;
    c->state = 0x12345678u ^ seed * 0x01000193u;
}

size_t fuzz_chunker_next(fuzz_chunker *c, size_t left) {
    if (c->seed == 0)
        return left;
    c->state ^= c->state << 13;
    c->state ^= c->state >> 17;
    c->state ^= c->state << 5;
    size_t limit;
    switch (c->seed & 3) {
    case 1:
        limit = 1; /* a byte at a time */
        break;
    case 2:
        limit = 16;
        break;
    case 3:
        limit = 700;
        break;
    default:
        limit = 5000;
        break;
    }
    size_t n = 1 + c->state % limit;
    return n < left ? n : left;
}
