/* keylog: debugging aids. Key log lines (SSLKEYLOGFILE format, Node's 'keylog') and
 * enableTrace(). */
#ifndef UVTLS_CORE_KEYLOG_H
#define UVTLS_CORE_KEYLOG_H

#include <stddef.h>

#include "core/engine.h"

/* Collect NSS key log lines. */
void uvtls_engine_set_keylog(uvtls_engine *e, int on);
/* The lines collected so far, as one malloc'ed buffer of '\n'-terminated lines the caller frees
 * with free(), or NULL when there are none. */
char *uvtls_engine_take_keylog(uvtls_engine *e, size_t *len);
/* enableTrace(): every handshake message decoded to stderr (OpenSSL's SSL_trace), as Node.
 * Returns 0, or -1 when out of memory. */
int uvtls_engine_enable_trace(uvtls_engine *e);

#endif
