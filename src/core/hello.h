/* hello: the ClientHello pause (server side).
 *
 * Nothing in the core calls the owner. Where OpenSSL asks a question the owner must answer
 * (which context for this host name? which stapled OCSP response? which cached session?), the
 * handshake pauses at the ClientHello: uvtls_engine_hello_waiting() turns true, the owner reads
 * what the client sent (host name, ALPN list, session id, whether it asked for OCSP), answers,
 * calls uvtls_engine_resume_hello() and runs uvtls_engine_handshake() again. Each reason to
 * pause is switched on by its own setter: SNI here, OCSP in ocsp.h, session lookup in
 * sessions.h. Returned pointers are borrowed until the engine is freed.
 */
#ifndef UVTLS_CORE_HELLO_H
#define UVTLS_CORE_HELLO_H

#include <stddef.h>

#include "core/engine.h"

/* Pause at every ClientHello so the owner can choose a context for its host name. */
void uvtls_engine_set_sni_pause(uvtls_engine *e, int on);
/* 1 while paused, else 0. */
int uvtls_engine_hello_waiting(const uvtls_engine *e);
/* The host name the client asked for at the pause, or NULL. */
const char *uvtls_engine_hello_servername(const uvtls_engine *e);
/* The protocols the client offers at the pause (ALPN wire format), or NULL. */
const unsigned char *uvtls_engine_hello_alpn(const uvtls_engine *e, size_t *len);
/* The session id the client offers at the pause (with a session-lookup pause), or NULL. */
const unsigned char *uvtls_engine_hello_session_id(const uvtls_engine *e, size_t *len);
/* Whether the client asked for OCSP stapling (with an OCSP pause). */
int uvtls_engine_hello_ocsp_requested(const uvtls_engine *e);
/* Ends the pause; `ctx` (may be NULL: keep the current one) serves this connection. Run
 * uvtls_engine_handshake() afterwards. Returns 0, or -1 when the engine was not paused. */
int uvtls_engine_resume_hello(uvtls_engine *e, uvtls_context *ctx);

#endif
