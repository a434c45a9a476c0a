/* alpn_npn: application protocol negotiation, ALPN (RFC 7301) and the older NPN.
 *
 * Lists are in wire format: each name preceded by its length (1 to 255 bytes). Setters return 0,
 * or -1 with `err` filled. Returned pointers are borrowed until the engine is freed.
 */
#ifndef UVTLS_CORE_ALPN_NPN_H
#define UVTLS_CORE_ALPN_NPN_H

#include <stddef.h>

#include "core/engine.h"

/* ALPN protocols. A client offers them; a server accepts the first of its own list that the
 * client offered, and without overlap fails the handshake with the no_application_protocol
 * alert, as Node does. Server: an empty list (len 0) refuses every protocol the client offers
 * (ALPNCallback saying no): the handshake fails with no_application_protocol. */
int uvtls_engine_set_alpn(uvtls_engine *e, const unsigned char *wire, size_t len, uvtls_error *err);
/* The negotiated protocol (not NUL-terminated) or NULL. */
const unsigned char *uvtls_engine_alpn_selected(const uvtls_engine *e, size_t *len);

/* NPN (TLS 1.2, the classic NPNProtocols): a server advertises its list; a client picks the
 * first protocol of the server's list that it also speaks (its own first without overlap). */
int uvtls_engine_set_npn(uvtls_engine *e, const unsigned char *wire, size_t len, uvtls_error *err);
const unsigned char *uvtls_engine_npn_selected(const uvtls_engine *e, size_t *len);

#endif
