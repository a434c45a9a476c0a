/* tickets: session ticket keys of a context, settable so that several processes (cluster
 * workers, reusePort servers, several hosts) resume each other's sessions.
 *
 * Keys are 48 bytes, as in Node: 16 bytes of key name, 16 of HMAC secret, 16 of AES key. */
#ifndef UVTLS_CORE_TICKETS_H
#define UVTLS_CORE_TICKETS_H

#include "core/context.h"

enum { UVTLS_TICKET_KEYS_LEN = 48 };

/* A context starts with random keys. */
int uvtls_context_set_ticket_keys(uvtls_context *ctx, const unsigned char *keys, size_t len,
                                  uvtls_error *err);
void uvtls_context_get_ticket_keys(uvtls_context *ctx, unsigned char out[UVTLS_TICKET_KEYS_LEN]);
/* Seconds a session or ticket stays valid (Node's sessionTimeout). */
void uvtls_context_set_session_timeout(uvtls_context *ctx, long seconds);

/* Installed once per SSL_CTX (by uvtls_context_new): gives `ctx` random keys and sets the
 * ticket callback on `ssl_ctx`, its SSL_CTX. Returns 0 or -1. */
int uvtls_tickets_install(void *ssl_ctx, uvtls_context *ctx);

#endif
