/* sessions: resumption on both sides and the queue of new sessions for the owner.
 *
 * Setters return 0, or -1 (with `err` filled where there is one). Buffers returned by
 * uvtls_engine_take_new_session() are malloc'ed and freed by the caller with free(); other
 * returned pointers are borrowed until the engine is freed.
 */
#ifndef UVTLS_CORE_SESSIONS_H
#define UVTLS_CORE_SESSIONS_H

#include <stddef.h>

#include "core/engine.h"

/* Client: resume this session (DER, from getSession()/'session'). */
int uvtls_engine_set_session(uvtls_engine *e, const void *der, size_t len, uvtls_error *err);
/* The next new session (DER) not yet taken, oldest first, or NULL when there is none. A client
 * gets every session the server issued (a TLS 1.3 server sends two tickets by default: call this
 * until NULL and report each one, as Node emits one 'session' per ticket). A server with
 * `server_sessions` gets the sessions it issued. At most UVTLS_NEW_SESSIONS_MAX (8) wait; beyond
 * that the oldest is dropped, so a peer cannot grow the queue. */
unsigned char *uvtls_engine_take_new_session(uvtls_engine *e, size_t *len);
/* Server-side external session cache. With `resume_pause`, a ClientHello that carries a
 * session id pauses (uvtls_engine_hello_session_id() in hello.h) so the owner can look the
 * session up and hand it over with uvtls_engine_set_resume_session() before resuming. With
 * `server_sessions`, new sessions are collected for the owner (uvtls_engine_take_new_session(),
 * and their id with uvtls_engine_new_session_id()). */
void uvtls_engine_set_session_cache(uvtls_engine *e, int resume_pause, int server_sessions);
/* Returns 0, or -1 when out of memory. */
int uvtls_engine_set_resume_session(uvtls_engine *e, const void *der, size_t len);
/* The id of the session uvtls_engine_take_new_session() returned last. */
const unsigned char *uvtls_engine_new_session_id(const uvtls_engine *e, size_t *len);
/* The session ticket the server sent (getTLSTicket), or NULL. */
const unsigned char *uvtls_engine_ticket(const uvtls_engine *e, size_t *len);
/* The ticket inside a serialized session (what a SESSION event carries): a malloc'd copy the
 * caller frees, or NULL when the session holds none or does not parse. */
unsigned char *uvtls_session_ticket(const unsigned char *der, size_t len, size_t *ticket_len);

#endif
