/* verify: see verify.h for why verification is done this way. */
#include "core/verify.h"

#include <stdint.h>

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "core/engine_internal.h"

/* Per-certificate callback: keep going whatever fails, so the final error is the last one
 * recorded, exactly what Node reports as authorizationError. */
static int continue_on_error(int preverify_ok, X509_STORE_CTX *store_ctx) {
    (void)preverify_ok;
    (void)store_ctx;
    return 1;
}

/* Whole-chain callback: verify, then decide whether the handshake may go on. */
static int verify_chain(X509_STORE_CTX *store_ctx, void *arg) {
    (void)arg;
    SSL *ssl = X509_STORE_CTX_get_ex_data(store_ctx, SSL_get_ex_data_X509_STORE_CTX_idx());
    int ok = X509_verify_cert(store_ctx);
    if (ok <= 0 && X509_STORE_CTX_get_error(store_ctx) == X509_V_OK)
        X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_UNSPECIFIED);
    long result = X509_STORE_CTX_get_error(store_ctx);
    /* The policy lives in the engine (found through the SSL's app data), not in an ex_data index:
     * indexes are process-wide and set up lazily, which is not thread-safe across workers. */
    const uvtls_engine *e = ssl != NULL ? uvtls_engine_from_ssl(ssl) : NULL;
    int reject = e != NULL && uvtls_engine_ext_const(e)->peer.reject_unauthorized;
    if (result != X509_V_OK && reject)
        return 0; /* OpenSSL sends the alert that matches `result` */
    return 1;
}

void uvtls_verify_install(SSL_CTX *ctx) {
    SSL_CTX_set_cert_verify_callback(ctx, verify_chain, NULL);
}

void uvtls_verify_configure(SSL *ssl, int is_server, int request_cert, int reject_unauthorized) {
    int mode = SSL_VERIFY_NONE;
    if (!is_server) {
        mode = SSL_VERIFY_PEER;
    } else if (request_cert) {
        mode = SSL_VERIFY_PEER;
        if (reject_unauthorized)
            mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    }
    SSL_set_verify(ssl, mode, continue_on_error);
    uvtls_engine *e = uvtls_engine_from_ssl(ssl);
    if (e != NULL)
        uvtls_engine_ext(e)->peer.reject_unauthorized = reject_unauthorized != 0;
}

long uvtls_verify_result(const SSL *ssl) {
    X509 *peer = SSL_get0_peer_certificate(ssl);
    if (peer != NULL)
        return SSL_get_verify_result(ssl);
    /* No certificate is expected when a pre-shared key authenticated the peer: a TLS 1.2 PSK
     * suite, a TLS 1.3 handshake on an external PSK (our PSK callback supplied the key), or a
     * session that was itself established on a PSK (it carries the PSK identity).
     *
     * Stricter than Node: a resumed TLS 1.3 session is NOT enough by itself. Node counts every
     * resumed TLS 1.3 session as authorized, so a client that never sent a certificate to a
     * requestCert server (authorized === false on its first connection) became authorized on
     * resumption, with an empty peer certificate. Here `authorized` needs a verified certificate
     * (restored with the session when there was one) or a PSK behind the session. */
    const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl);
    if (cipher != NULL && SSL_CIPHER_get_auth_nid(cipher) == NID_auth_psk)
        return X509_V_OK;
    const uvtls_engine *e = uvtls_engine_from_ssl(ssl);
    if (e != NULL && uvtls_engine_ext_const(e)->psk.used)
        return X509_V_OK;
    if (SSL_get_psk_identity(ssl) != NULL)
        return X509_V_OK;
    return X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT;
}
