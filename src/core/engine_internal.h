/* Core-internal: an engine's SSL object and the per-connection state of the handshake features.
 * Only src/core includes this; src/net and src/binding use engine.h and extensions.h. */
#ifndef UVTLS_CORE_ENGINE_INTERNAL_H
#define UVTLS_CORE_ENGINE_INTERNAL_H

#include <openssl/ssl.h>

#include "core/engine.h"

/* Borrowed: valid until uvtls_engine_free(). */
SSL *uvtls_engine_ssl(const uvtls_engine *e);

/* Room for the group name OpenSSL reports for an EC key ("brainpoolP512r1" and the like). */
enum { UVTLS_GROUP_NAME_MAX = 64 };

/* New sessions kept for the owner at most: a TLS 1.3 server sends two tickets by default; a
 * peer that sends a flood of them only replaces the oldest. */
enum { UVTLS_NEW_SESSIONS_MAX = 8 };
/* Longest session id TLS allows (SSL_MAX_SSL_SESSION_ID_LENGTH). */
enum { UVTLS_SESSION_ID_MAX = 32 };

/* Per-connection state of the handshake features, kept inside the engine: one member per
 * feature file (alpn_npn.c, hello.c, sessions.c, psk.c, ocsp.c, keylog.c), each freed by that
 * file's *_free function (extensions.c: uvtls_handshake_ext_free). */
typedef struct uvtls_handshake_ext {
    struct uvtls_alpn_state { /* alpn_npn.c */
        unsigned char *offer; /* server: ALPN protocols we accept, wire format */
        size_t offer_len;
        unsigned reject : 1;      /* server: refuse every protocol (an empty list) */
        unsigned char *npn_offer; /* NPN protocols, wire format (server: advertised; client:
                                     wanted) */
        size_t npn_offer_len;
    } alpn;
    struct uvtls_hello_state { /* hello.c: the ClientHello pause and what it reports */
        unsigned sni_pause : 1, ocsp_pause : 1, resume_pause : 1; /* reasons to pause */
        unsigned waiting : 1, resolved : 1;
        unsigned ocsp_requested : 1; /* the client asked for OCSP stapling */
        char *servername;
        unsigned char *alpn; /* the client's ALPN list, wire format */
        size_t alpn_len;
        unsigned char session_id[UVTLS_SESSION_ID_MAX];
        size_t session_id_len;
    } hello;
    struct uvtls_sessions_state {     /* sessions.c */
        unsigned server_sessions : 1; /* server: collect new sessions for the owner */
        /* New sessions not yet taken by the owner, oldest first (a FIFO of at most
         * UVTLS_NEW_SESSIONS_MAX; see uvtls_engine_take_new_session()). */
        struct uvtls_new_session {
            unsigned char *der;
            size_t len;
            unsigned char id[UVTLS_SESSION_ID_MAX];
            size_t id_len;
        } fifo[UVTLS_NEW_SESSIONS_MAX];
        size_t head, count;
        unsigned char *resume_data; /* server: DER the owner found for the hello's session id */
        size_t resume_data_len;
        unsigned char taken_id[UVTLS_SESSION_ID_MAX]; /* id of the session taken last */
        size_t taken_id_len;
    } sessions;
    struct uvtls_psk_state { /* psk.c */
        int (*handler)(uvtls_engine *e, const char *identity_or_hint, unsigned char *psk,
                       size_t *psk_len, char *identity, size_t identity_cap, void *user);
        void *user;
        /* A PSK callback supplied a key during this handshake: a PSK authenticates the peer. */
        unsigned used : 1;
    } psk;
    struct uvtls_ocsp_state {    /* ocsp.c */
        unsigned char *response; /* server: to staple; set during the hello pause */
        size_t response_len;
        uvtls_ocsp_handler handler; /* client: told inside the handshake (may be NULL) */
        void *handler_arg;
    } ocsp;
    struct uvtls_keylog_state { /* keylog.c */
        unsigned on : 1;
        char *lines;
        size_t len;
        void *trace_bio; /* BIO * for SSL_trace output (enableTrace), or NULL */
    } keylog;
    struct uvtls_peer_state { /* engine.c, verify.c */
        /* Client: the server sent a CertificateRequest (see uvtls_engine_cert_request()). */
        unsigned cert_request_seen : 1;
        /* Fail the handshake when the peer's chain does not verify (verify.c). */
        unsigned reject_unauthorized : 1;
    } peer;
} uvtls_handshake_ext;

/* The engine's feature state; the const form for getters. */
uvtls_handshake_ext *uvtls_engine_ext(uvtls_engine *e);
const uvtls_handshake_ext *uvtls_engine_ext_const(const uvtls_engine *e);
/* The engine an SSL belongs to (NULL for an SSL uvtls did not make). */
uvtls_engine *uvtls_engine_from_ssl(const SSL *ssl);
void uvtls_handshake_ext_free(uvtls_handshake_ext *x);
/* Serves the connection with `ctx` from now on (SNI); the engine takes a reference. */
void uvtls_engine_switch_context(uvtls_engine *e, uvtls_context *ctx);

#endif
