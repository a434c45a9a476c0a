/* Core-internal access to an engine's SSL object for the x509 module. Not for src/binding/. */
#ifndef UVTLS_CORE_ENGINE_INTERNAL_H
#define UVTLS_CORE_ENGINE_INTERNAL_H

#include <openssl/ssl.h>

#include "core/engine.h"

/* Borrowed: valid until uvtls_engine_free(). */
SSL *uvtls_engine_ssl(const uvtls_engine *e);

/* New sessions kept for the owner at most: a TLS 1.3 server sends two tickets by default; a
 * peer that sends a flood of them only replaces the oldest. */
enum { UVTLS_NEW_SESSIONS_MAX = 8 };

/* Per-connection state of the handshake extensions (extensions.c), kept inside the engine. */
typedef struct uvtls_handshake_ext {
    unsigned char *alpn_offer; /* server: protocols we accept, wire format */
    size_t alpn_offer_len;
    unsigned sni_pause : 1, hello_waiting : 1, hello_resolved : 1, keylog : 1;
    char *hello_servername;
    char *keylog_lines;
    size_t keylog_len;
    /* New sessions not yet taken by the owner, oldest first (a FIFO of at most
     * UVTLS_NEW_SESSIONS_MAX; see uvtls_engine_take_new_session()). */
    struct uvtls_new_session {
        unsigned char *der;
        size_t len;
        unsigned char id[32];
        size_t id_len;
    } new_sessions[UVTLS_NEW_SESSIONS_MAX];
    size_t new_sessions_head, new_sessions_count;
    unsigned char *npn_offer; /* NPN protocols, wire format (server: advertised; client: wanted) */
    size_t npn_offer_len;
    unsigned char *ocsp_response; /* server: to staple; set during the hello pause */
    size_t ocsp_response_len;
    unsigned ocsp_pause : 1, ocsp_requested : 1, alpn_reject : 1;
    unsigned char *hello_alpn; /* the client's ALPN list at the pause, wire format */
    size_t hello_alpn_len;
    void *trace_bio; /* BIO * for SSL_trace output (enableTrace), or NULL */
    /* Server-side external session cache (Node's newSession / resumeSession). */
    unsigned resume_pause : 1, server_sessions : 1;
    unsigned char hello_session_id[32];
    size_t hello_session_id_len;
    unsigned char *resume_data; /* DER the owner found for hello_session_id */
    size_t resume_data_len;
    unsigned char new_session_id[32]; /* id of the session taken last */
    size_t new_session_id_len;
    int (*psk)(uvtls_engine *e, const char *identity_or_hint, unsigned char *psk, size_t *psk_len,
               char *identity, size_t identity_cap, void *user);
    void *psk_user;
    /* Client: the server sent a CertificateRequest (see uvtls_engine_cert_request()). */
    unsigned cert_request_seen : 1;
    /* Fail the handshake when the peer's chain does not verify (verify.c). */
    unsigned reject_unauthorized : 1;
    /* A PSK callback supplied a key during this handshake: a PSK authenticates the peer. */
    unsigned psk_used : 1;
} uvtls_handshake_ext;

uvtls_handshake_ext *uvtls_engine_ext(const uvtls_engine *e);
/* The engine an SSL belongs to (NULL for an SSL uvtls did not make). */
uvtls_engine *uvtls_engine_from_ssl(const SSL *ssl);
void uvtls_handshake_ext_free(uvtls_handshake_ext *x);
/* Serves the connection with `ctx` from now on (SNI); the engine takes a reference. */
void uvtls_engine_switch_context(uvtls_engine *e, uvtls_context *ctx);

#endif
