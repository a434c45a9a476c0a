/* Core-internal view of a context for the engine and x509 modules. Not for src/binding/. */
#ifndef UVTLS_CORE_CONTEXT_INTERNAL_H
#define UVTLS_CORE_CONTEXT_INTERNAL_H

#include <openssl/ssl.h>

#include "core/context.h"

/* Borrowed: valid while the caller holds a reference to `ctx`. */
SSL_CTX *uvtls_context_ssl_ctx(uvtls_context *ctx);

#endif
