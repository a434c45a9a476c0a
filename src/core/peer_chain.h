/* peer_chain: the peer's certificates exactly as they reached us, apart from the chain that
 * verification built from them.
 *
 * Diagnostics must not present a certificate the peer never sent as "sent": OpenSSL's verified
 * chain may have been completed from the local trust store (an intermediate or the root found in
 * `ca`), while the peer chain is only what arrived in the Certificate message. Both are returned
 * as DER so the caller can compare them byte for byte.
 */
#ifndef UVTLS_CORE_PEER_CHAIN_H
#define UVTLS_CORE_PEER_CHAIN_H

#include <stddef.h>

#include "core/engine.h"

typedef enum {
    UVTLS_PEER_CHAIN_SENT = 0,     /* the Certificate message, leaf first, in the peer's order */
    UVTLS_PEER_CHAIN_VERIFIED = 1, /* the chain verification built (leaf to anchor or to where it
                                      stopped); present even when verification failed */
} uvtls_peer_chain_kind;

typedef struct uvtls_der_list {
    unsigned char **der; /* malloc'ed DER encodings */
    size_t *len;
    size_t count;
} uvtls_der_list;

/* Fills `out` (zeroed first) with one chain of the engine's peer. Returns 0 (count may be 0: no
 * certificate, or before the handshake) or -1 when out of memory (out left empty). At most
 * UVTLS_PEER_CHAIN_MAX certificates are returned: the peer controls the length. The caller
 * frees `out` with uvtls_der_list_free(). */
enum { UVTLS_PEER_CHAIN_MAX = 32 };
int uvtls_engine_peer_chain_der(const uvtls_engine *e, uvtls_peer_chain_kind kind,
                                uvtls_der_list *out);
void uvtls_der_list_free(uvtls_der_list *list);

#endif
