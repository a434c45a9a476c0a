/* extensions: everything a handshake negotiates besides keys and certificates, one feature per
 * header. This header includes them all, so a caller that wants several features (src/net,
 * src/binding) includes one file:
 *
 *   alpn_npn.h    ALPN and NPN
 *   hello.h       the server's ClientHello pause (SNI, OCSP and session-lookup questions)
 *   sessions.h    resumption, the new-session FIFO, the external session cache
 *   psk.h         pre-shared keys
 *   ocsp.h        OCSP stapling
 *   keylog.h      key log lines, enableTrace()
 *   negotiated.h  getters for negotiated values (finished, exporter, ephemeral key, sigalgs)
 *
 * Nothing here calls the owner, except the PSK handler the owner installs (psk.h). Return
 * convention, as in all of src/core: 0 on success, -1 on failure (with the uvtls_error filled
 * where the function takes one); getters return a borrowed pointer or NULL.
 */
#ifndef UVTLS_CORE_EXTENSIONS_H
#define UVTLS_CORE_EXTENSIONS_H

#include "core/alpn_npn.h"
#include "core/hello.h"
#include "core/keylog.h"
#include "core/negotiated.h"
#include "core/ocsp.h"
#include "core/psk.h"
#include "core/sessions.h"

/* Installs every feature's OpenSSL callbacks; once per SSL_CTX (by uvtls_context_new). */
void uvtls_extensions_install(void *ssl_ctx);

#endif
