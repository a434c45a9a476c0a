/* psk: pre-shared keys (Node's pskCallback / pskIdentityHint). */
#ifndef UVTLS_CORE_PSK_H
#define UVTLS_CORE_PSK_H

#include <stddef.h>

#include "core/engine.h"

/* The handler runs inside the handshake: on a client with the server's identity hint (may be
 * NULL), filling `identity` (NUL-terminated, < identity_cap) and `psk`; on a server with the
 * client's identity, filling `psk`. It returns 0, or -1 to refuse (the handshake fails).
 * `*psk_len` holds the capacity on entry. The engine must not be freed inside the handler. */
typedef int (*uvtls_psk_handler)(uvtls_engine *e, const char *identity_or_hint, unsigned char *psk,
                                 size_t *psk_len, char *identity, size_t identity_cap, void *user);
/* A NULL handler switches PSK off. Returns 0, or -1 with err (an invalid identity hint). */
int uvtls_engine_set_psk(uvtls_engine *e, uvtls_psk_handler handler, void *user,
                         const char *identity_hint, uvtls_error *err);

#endif
