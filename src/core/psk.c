/* psk: OpenSSL's PSK callbacks, forwarded to the owner's handler. */
#include "core/psk.h"

#include "core/ext_internal.h"

/* Asks the owner's handler; returns the key length OpenSSL expects (0 refuses). */
static unsigned int ask(SSL *ssl, const char *identity_or_hint, unsigned char *psk,
                        unsigned int max_psk_len, char *identity, size_t identity_cap) {
    uvtls_engine *e = uvtls_engine_from_ssl(ssl);
    struct uvtls_psk_state *k = e ? &uvtls_engine_ext(e)->psk : NULL;
    if (k == NULL || k->handler == NULL)
        return 0;
    size_t len = max_psk_len;
    if (k->handler(e, identity_or_hint, psk, &len, identity, identity_cap, k->user) < 0 ||
        len > max_psk_len)
        return 0;
    k->used = len > 0;
    return (unsigned)len;
}

static unsigned int psk_client(SSL *ssl, const char *hint, char *identity,
                               unsigned int max_identity_len, unsigned char *psk,
                               unsigned int max_psk_len) {
    if (max_identity_len == 0)
        return 0;
    identity[0] = '\0';
    return ask(ssl, hint, psk, max_psk_len, identity, max_identity_len);
}

static unsigned int psk_server(SSL *ssl, const char *identity, unsigned char *psk,
                               unsigned int max_psk_len) {
    return ask(ssl, identity, psk, max_psk_len, NULL, 0);
}

int uvtls_engine_set_psk(uvtls_engine *e, uvtls_psk_handler handler, void *user,
                         const char *identity_hint, uvtls_error *err) {
    struct uvtls_psk_state *k = &uvtls_engine_ext(e)->psk;
    SSL *ssl = uvtls_engine_ssl(e);
    k->handler = handler;
    k->user = user;
    if (uvtls_engine_is_server(e)) {
        SSL_set_psk_server_callback(ssl, handler ? psk_server : NULL);
        if (identity_hint != NULL && !SSL_use_psk_identity_hint(ssl, identity_hint))
            return uvtls_error_openssl(err, UVTLS_STAGE(HANDSHAKE),
                                       UVTLS_CODE(ERR_INVALID_ARG_VALUE),
                                       "invalid pskIdentityHint");
    } else {
        SSL_set_psk_client_callback(ssl, handler ? psk_client : NULL);
    }
    return 0;
}
