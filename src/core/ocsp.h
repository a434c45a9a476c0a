/* ocsp: OCSP stapling (Node's requestOCSP / 'OCSPResponse' / 'OCSPRequest').
 *
 * A client asks with uvtls_engine_request_ocsp() and reads the stapled response after the
 * handshake. A server with the OCSP pause on pauses at the ClientHello of clients that ask
 * (uvtls_engine_hello_ocsp_requested() in hello.h) and staples what was set before resuming.
 * Returned pointers are borrowed until the engine is freed.
 */
#ifndef UVTLS_CORE_OCSP_H
#define UVTLS_CORE_OCSP_H

#include <stddef.h>

#include "core/engine.h"

void uvtls_engine_request_ocsp(uvtls_engine *e);
/* Client: called inside the handshake, as soon as the server's certificate status has been
 * read and before our Finished is written, with the stapled response (NULL, 0: none). The
 * handler may run the owner's code, which may close the connection: the handshake then ends
 * without our Finished ever being sent. */
void uvtls_engine_set_ocsp_handler(uvtls_engine *e, uvtls_ocsp_handler fn, void *arg);
/* Client: the stapled response the server sent, or NULL. */
const unsigned char *uvtls_engine_ocsp_response(const uvtls_engine *e, size_t *len);
void uvtls_engine_set_ocsp_pause(uvtls_engine *e, int on);
/* Server: the response to staple (len 0: none). Returns 0, or -1 when out of memory. */
int uvtls_engine_set_ocsp_response(uvtls_engine *e, const void *der, size_t len);

#endif
