/* Core-internal access to an engine's SSL object for the x509 module. Not for src/binding/. */
#ifndef UVTLS_CORE_ENGINE_INTERNAL_H
#define UVTLS_CORE_ENGINE_INTERNAL_H

#include <openssl/ssl.h>

#include "core/engine.h"

/* Borrowed: valid until uvtls_engine_free(). */
SSL *uvtls_engine_ssl(const uvtls_engine *e);

#endif
