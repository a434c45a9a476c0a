/* Core-internal view of a context for the engine and x509 modules. Not for src/binding/. */
#ifndef UVTLS_CORE_CONTEXT_INTERNAL_H
#define UVTLS_CORE_CONTEXT_INTERNAL_H

#include <openssl/ssl.h>

#include "core/context.h"

/* Borrowed: valid while the caller holds a reference to `ctx`. */
SSL_CTX *uvtls_context_ssl_ctx(uvtls_context *ctx);
/* The context an SSL_CTX belongs to (its app data), or NULL for one uvtls did not make or whose
 * context is being freed. */
uvtls_context *uvtls_context_from_ssl_ctx(const SSL_CTX *c);

/* Server: gives `ssl` the context's session id context, or a default when it has none. */
void uvtls_context_apply_session_id_context(uvtls_context *ctx, SSL *ssl);

/* Session ticket keys: 16 bytes of key name, 16 of HMAC secret, 16 of AES key. */
typedef struct uvtls_ticket_keys {
    unsigned char name[16];
    unsigned char hmac[16];
    unsigned char aes[16];
} uvtls_ticket_keys;
/* The context's keys, read or replaced whole: safe from any thread while the caller holds a
 * reference to `ctx` (handshake steps run on pool threads while the owner rotates keys). */
void uvtls_context_copy_ticket_keys(uvtls_context *ctx, uvtls_ticket_keys *out);
void uvtls_context_store_ticket_keys(uvtls_context *ctx, const uvtls_ticket_keys *keys);

#endif
