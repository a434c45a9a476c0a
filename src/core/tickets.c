/* tickets: per-context ticket keys, kept in SSL_CTX ex_data. */
#include "core/tickets.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "core/context_internal.h"

typedef struct ticket_keys {
    unsigned char name[16];
    unsigned char hmac[16];
    unsigned char aes[16];
} ticket_keys;

static int keys_index = -1;

static void free_keys(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp) {
    (void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
    if (ptr != NULL)
        OPENSSL_clear_free(ptr, sizeof(ticket_keys));
}

static ticket_keys *keys_of(SSL_CTX *c) {
    return SSL_CTX_get_ex_data(c, keys_index);
}

/* Encrypts new tickets with our keys; decrypts only tickets named with our key name (others
 * fall back to a full handshake). */
static int ticket_cb(SSL *ssl, unsigned char name[16], unsigned char iv[EVP_MAX_IV_LENGTH],
                     EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc) {
    ticket_keys *k = keys_of(SSL_get_SSL_CTX(ssl));
    if (k == NULL)
        return -1;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, k->hmac, sizeof(k->hmac)),
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    if (enc) {
        memcpy(name, k->name, 16);
        if (RAND_bytes(iv, 16) != 1 ||
            EVP_EncryptInit_ex(cctx, EVP_aes_128_cbc(), NULL, k->aes, iv) != 1 ||
            EVP_MAC_CTX_set_params(hctx, params) != 1)
            return -1;
        return 1;
    }
    if (memcmp(name, k->name, 16) != 0)
        return 0;
    if (EVP_MAC_CTX_set_params(hctx, params) != 1 ||
        EVP_DecryptInit_ex(cctx, EVP_aes_128_cbc(), NULL, k->aes, iv) != 1)
        return -1;
    return 1;
}

int uvtls_tickets_install(void *ssl_ctx) {
    SSL_CTX *c = ssl_ctx;
    if (keys_index < 0)
        keys_index = SSL_CTX_get_ex_new_index(0, "uvtls ticket keys", NULL, NULL, free_keys);
    ticket_keys *k = OPENSSL_malloc(sizeof(*k));
    if (k == NULL || RAND_bytes((unsigned char *)k, sizeof(*k)) != 1) {
        OPENSSL_free(k);
        return -1;
    }
    SSL_CTX_set_ex_data(c, keys_index, k);
    SSL_CTX_set_tlsext_ticket_key_evp_cb(c, ticket_cb);
    return 0;
}

int uvtls_context_set_ticket_keys(uvtls_context *ctx, const unsigned char *keys, size_t len,
                                  uvtls_error *err) {
    if (len != UVTLS_TICKET_KEYS_LEN)
        return uvtls_error_set(err, "context", "ERR_INVALID_ARG_VALUE",
                               "Ticket keys length must be 48 bytes");
    ticket_keys *k = keys_of(uvtls_context_ssl_ctx(ctx));
    if (k == NULL)
        return uvtls_error_set(err, "context", "ERR_UVTLS_OUT_OF_MEMORY", "no ticket keys");
    memcpy(k, keys, sizeof(*k));
    return 0;
}

void uvtls_context_get_ticket_keys(uvtls_context *ctx, unsigned char out[UVTLS_TICKET_KEYS_LEN]) {
    ticket_keys *k = keys_of(uvtls_context_ssl_ctx(ctx));
    if (k != NULL)
        memcpy(out, k, sizeof(*k));
    else
        memset(out, 0, UVTLS_TICKET_KEYS_LEN);
}

void uvtls_context_set_session_timeout(uvtls_context *ctx, long seconds) {
    SSL_CTX_set_timeout(uvtls_context_ssl_ctx(ctx), seconds);
}
