/* tickets: per-context ticket keys, kept in the uvtls_context itself.
 *
 * Not in SSL_CTX ex_data with a free callback: such a callback is registered in the process-wide
 * OpenSSL and runs for every SSL_CTX freed anywhere in the process (Node's own too), so once a
 * worker that loaded uvtls exits and the addon is unloaded, the next SSL_CTX_free would jump into
 * unmapped code. The context owns its keys and frees them itself; the ticket callback finds them
 * through the SSL_CTX's app data slot, which OpenSSL reserves without callbacks. */
#include "core/tickets.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "core/context_internal.h"

/* OpenSSL's ticket callback: a 16-byte key name and the IV of AES-128-CBC (one AES block). */
enum { TICKET_NAME_LEN = 16, TICKET_IV_LEN = 16 };

/* A copy: the owner may replace the keys meanwhile (another thread runs this step). */
static int keys_of(SSL_CTX *c, uvtls_ticket_keys *out) {
    uvtls_context *ctx = uvtls_context_from_ssl_ctx(c);
    if (ctx == NULL)
        return -1;
    uvtls_context_copy_ticket_keys(ctx, out);
    return 0;
}

/* Encrypts new tickets with our keys; decrypts only tickets named with our key name (others
 * fall back to a full handshake). */
static int ticket_cb(SSL *ssl, unsigned char name[TICKET_NAME_LEN],
                     unsigned char iv[EVP_MAX_IV_LENGTH], EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx,
                     int enc) {
    uvtls_ticket_keys keys;
    if (keys_of(SSL_get_SSL_CTX(ssl), &keys) < 0)
        return -1;
    uvtls_ticket_keys *k = &keys;
    /* OSSL_PARAM takes a mutable pointer it never writes through: a local copy, not a cast. */
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, k->hmac, sizeof(k->hmac)),
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    int r = 1;
    if (enc) {
        memcpy(name, k->name, TICKET_NAME_LEN);
        if (RAND_bytes(iv, TICKET_IV_LEN) != 1 ||
            EVP_EncryptInit_ex(cctx, EVP_aes_128_cbc(), NULL, k->aes, iv) != 1 ||
            EVP_MAC_CTX_set_params(hctx, params) != 1)
            r = -1;
    } else if (memcmp(name, k->name, TICKET_NAME_LEN) != 0) {
        r = 0;
    } else if (EVP_MAC_CTX_set_params(hctx, params) != 1 ||
               EVP_DecryptInit_ex(cctx, EVP_aes_128_cbc(), NULL, k->aes, iv) != 1) {
        r = -1;
    }
    OPENSSL_cleanse(&keys, sizeof(keys)); /* the copy lives on this stack only */
    return r;
}

_Static_assert(sizeof(((uvtls_ticket_keys *)NULL)->name) == TICKET_NAME_LEN,
               "a ticket key name is OpenSSL's 16 bytes");

int uvtls_tickets_install(void *ssl_ctx, uvtls_context *ctx) {
    uvtls_ticket_keys keys;
    if (RAND_bytes((unsigned char *)&keys, sizeof(keys)) != 1)
        return -1;
    uvtls_context_store_ticket_keys(ctx, &keys);
    OPENSSL_cleanse(&keys, sizeof(keys));
    SSL_CTX_set_tlsext_ticket_key_evp_cb(ssl_ctx, ticket_cb);
    return 0;
}

int uvtls_context_set_ticket_keys(uvtls_context *ctx, const unsigned char *keys, size_t len,
                                  uvtls_error *err) {
    if (len != UVTLS_TICKET_KEYS_LEN)
        return uvtls_error_set(err, UVTLS_STAGE(CONTEXT), UVTLS_CODE(ERR_INVALID_ARG_VALUE),
                               "Ticket keys length must be 48 bytes");
    uvtls_ticket_keys k;
    memcpy(&k, keys, sizeof(k));
    uvtls_context_store_ticket_keys(ctx, &k);
    OPENSSL_cleanse(&k, sizeof(k));
    return 0;
}

void uvtls_context_get_ticket_keys(uvtls_context *ctx, unsigned char out[UVTLS_TICKET_KEYS_LEN]) {
    uvtls_ticket_keys k;
    uvtls_context_copy_ticket_keys(ctx, &k);
    memcpy(out, &k, sizeof(k));
    OPENSSL_cleanse(&k, sizeof(k));
}

void uvtls_context_set_session_timeout(uvtls_context *ctx, long seconds) {
    SSL_CTX_set_timeout(uvtls_context_ssl_ctx(ctx), seconds);
}
