/* fuzz_common: what the fuzz targets and the seed generator share.
 *
 * Determinism is the point of most of this file. A recorded handshake only makes a useful seed if
 * the engine under test answers it exactly as it did while recording: same random numbers, same
 * keys, same certificate, same clock. So every target replaces OpenSSL's random source with
 * seeded streams (one per side, restarted for each input), builds its keys and certificate from
 * that stream at start-up, and pins time() to one instant. Nothing here is fit for production:
 * these helpers exist only in the fuzz binaries and the corpus generator.
 *
 * Input layout for the engine targets: 4 header bytes, then the peer's bytes.
 *   [0], [1]  feature bits (FUZZ_S_* for the server target, FUZZ_C_* for the client target)
 *   [2]       chunking seed: 0 feeds the rest at once, else a PRNG picks the chunk sizes
 *   [3]       the chunk after which the engine shuts down (with FUZZ_*_SHUTDOWN)
 */
#ifndef UVTLS_FUZZ_COMMON_H
#define UVTLS_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "core/context.h"
#include "core/engine.h"

enum { FUZZ_SIDE_INIT = 0, FUZZ_SIDE_CLIENT = 1, FUZZ_SIDE_SERVER = 2, FUZZ_SIDES = 3 };

/* Random bytes come from the stream of `side` until the next call. */
void fuzz_rand_use(int side);
/* Restarts the stream of `side` from its seed. */
void fuzz_rand_reset(int side);

enum { FUZZ_HEADER = 4 };

/* Server feature bits: byte 0. */
enum {
    FUZZ_S_SNI_PAUSE = 1 << 0,
    FUZZ_S_ALPN = 1 << 1,        /* accepts "h2", "http/1.1" */
    FUZZ_S_ALPN_REJECT = 1 << 2, /* an ALPNCallback that refuses everything */
    FUZZ_S_PSK = 1 << 3,
    FUZZ_S_PSK_FOUND = 1 << 4, /* the PSK handler knows identity "client1" */
    FUZZ_S_RESUME_PAUSE = 1 << 5,
    FUZZ_S_SERVER_SESSIONS = 1 << 6,
    FUZZ_S_REQUEST_CERT = 1 << 7,
};
/* Server feature bits: byte 1. */
enum {
    FUZZ_S_REJECT = 1 << 0,      /* reject unauthorized client certificates */
    FUZZ_S_SWITCH_CTX = 1 << 1,  /* at the hello pause, serve with the TLS 1.2 context */
    FUZZ_S_RESUME_DATA = 1 << 2, /* at the hello pause, hand over the cached session */
    FUZZ_S_OCSP = 1 << 3,        /* pause for OCSP requests and staple a response */
    FUZZ_S_KEYLOG = 1 << 4,
    FUZZ_S_EOF = 1 << 5,      /* the transport ends after the last chunk */
    FUZZ_S_SHUTDOWN = 1 << 6, /* close_notify after chunk [3] */
    FUZZ_S_TLS12 = 1 << 7,    /* start with the TLS 1.2 context (PSK and CBC suites) */
};
/* Client feature bits: byte 0. */
enum {
    FUZZ_C_VERIFY = 1 << 0,    /* rejectUnauthorized */
    FUZZ_C_NO_TRUST = 1 << 1,  /* the client does not trust the server's certificate */
    FUZZ_C_SESSION13 = 1 << 2, /* resume the TLS 1.3 session made at start-up */
    FUZZ_C_SESSION12 = 1 << 3, /* resume the TLS 1.2 session made at start-up */
    FUZZ_C_ALPN = 1 << 4,
    FUZZ_C_PSK = 1 << 5,
    FUZZ_C_SNI = 1 << 6,
    FUZZ_C_OCSP = 1 << 7,
};
/* Client feature bits: byte 1. */
enum {
    FUZZ_C_TLS12 = 1 << 0, /* at most TLS 1.2, PSK and CBC suites offered */
    FUZZ_C_EOF = 1 << 1,
    FUZZ_C_SHUTDOWN = 1 << 2,
    FUZZ_C_KEYLOG = 1 << 3,
    FUZZ_C_MUTUAL = 1 << 4, /* the client has a certificate */
};

typedef struct fuzz_world {
    char *cert_pem, *key_pem; /* the one EC P-256 self-signed certificate, as PEM */
    size_t cert_pem_len, key_pem_len;
    unsigned char *cert_der;
    size_t cert_der_len;
    uvtls_context *server;   /* TLS 1.2..1.3, trusts its own certificate for client certs */
    uvtls_context *server12; /* TLS 1.2 only, PSK and CBC suites too */
    /* Clients indexed by (tls12 << 2 | mutual << 1 | trusting). */
    uvtls_context *client[8];
    unsigned char *session13, *session12; /* client sessions (DER) from a start-up handshake */
    size_t session13_len, session12_len;
    unsigned char *session12_noticket; /* TLS 1.2 without a ticket: resumed by session id */
    size_t session12_noticket_len;
    unsigned char *server_session; /* the server's side of session12_noticket (DER) */
    size_t server_session_len;
} fuzz_world;

/* Builds the world once (idempotent); aborts on failure, since no input could mean anything. */
const fuzz_world *fuzz_setup(void);

uvtls_context *fuzz_client_context(int flags0, int flags1);

/* Engines configured from header bytes. */
uvtls_engine *fuzz_server_new(uint8_t f0, uint8_t f1);
uvtls_engine *fuzz_client_new(uint8_t f0, uint8_t f1);

/* Output of an engine step goes here (the targets drop it; the generator forwards it). */
typedef void (*fuzz_sink)(const void *data, size_t len, void *arg);

/* One round after new input: runs the handshake, answers a ClientHello pause as the flags say,
 * drains ciphertext into `sink`, reads cleartext and answers the first of it with an echo. */
void fuzz_step(uvtls_engine *e, int is_server, uint8_t f0, uint8_t f1, fuzz_sink sink, void *arg);

/* Calls every getter of an engine, as the binding would after a handshake. */
void fuzz_getters(uvtls_engine *e);

/* Chunk sizes from a seed. */
typedef struct fuzz_chunker {
    uint32_t state;
    uint8_t seed;
} fuzz_chunker;
void fuzz_chunker_init(fuzz_chunker *c, uint8_t seed);
size_t fuzz_chunker_next(fuzz_chunker *c, size_t left);

#endif
