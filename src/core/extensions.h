/* extensions: what a handshake negotiates besides keys and certificates: ALPN, the SNI pause
 * that lets the owner pick a context per host name, keylog lines, sessions, and the getters
 * that read negotiated values (finished messages, keying material, ephemeral key, sigalgs).
 *
 * Nothing here calls the owner. Where OpenSSL asks a question the owner must answer (which
 * certificate for this host name?), the handshake pauses: uvtls_engine_hello_waiting() turns
 * true, the owner answers with uvtls_engine_resume_hello() and runs the handshake again.
 * Buffers returned by *_take_* functions are malloc'ed and freed by the caller with free().
 */
#ifndef UVTLS_CORE_EXTENSIONS_H
#define UVTLS_CORE_EXTENSIONS_H

#include <stddef.h>

#include "core/engine.h"

/* ALPN protocols in wire format (length-prefixed names). A client offers them; a server
 * accepts the first of its own list that the client offered, and without overlap fails the
 * handshake with the no_application_protocol alert, as Node does. */
int uvtls_engine_set_alpn(uvtls_engine *e, const unsigned char *wire, size_t len, uvtls_error *err);
/* Server: at the ClientHello pause, the protocols the client offers (wire format) or NULL. */
const unsigned char *uvtls_engine_hello_alpn(const uvtls_engine *e, size_t *len);
/* Server: an empty list (len 0) refuses every protocol the client offers (ALPNCallback saying
 * no): the handshake fails with no_application_protocol. */
/* The negotiated protocol (not NUL-terminated) or NULL; borrowed until the engine is freed. */
const unsigned char *uvtls_engine_alpn_selected(const uvtls_engine *e, size_t *len);

/* Server: pause at the ClientHello so the owner can choose a context for its host name. */
void uvtls_engine_set_sni_pause(uvtls_engine *e, int on);
int uvtls_engine_hello_waiting(const uvtls_engine *e);
/* The host name the client asked for at the pause, or NULL. Borrowed. */
const char *uvtls_engine_hello_servername(const uvtls_engine *e);
/* Ends the pause; `ctx` (may be NULL: keep the current one) serves this connection. Run
 * uvtls_engine_handshake() afterwards. */
int uvtls_engine_resume_hello(uvtls_engine *e, uvtls_context *ctx);

/* Keylog: collect NSS key log lines (SSLKEYLOGFILE format). Taken as one buffer of
 * '\n'-terminated lines, or NULL when none. */
void uvtls_engine_set_keylog(uvtls_engine *e, int on);
char *uvtls_engine_take_keylog(uvtls_engine *e, size_t *len);

/* Client: resume this session (DER, from getSession()/'session'). */
int uvtls_engine_set_session(uvtls_engine *e, const void *der, size_t len, uvtls_error *err);
/* The next new session (DER) not yet taken, oldest first, or NULL when there is none; the caller
 * frees it with free(). A client gets every session the server issued (a TLS 1.3 server sends
 * two tickets by default: call this until NULL and report each one, as Node emits one 'session'
 * per ticket). A server with `server_sessions` gets the sessions it issued. At most
 * UVTLS_NEW_SESSIONS_MAX (8) wait; beyond that the oldest is dropped, so a peer cannot grow the
 * queue. */
unsigned char *uvtls_engine_take_new_session(uvtls_engine *e, size_t *len);
/* Server-side external session cache. With `resume_pause`, a ClientHello that carries a
 * session id pauses (uvtls_engine_hello_session_id()) so the owner can look the session up and
 * hand it over with uvtls_engine_set_resume_session() before resuming. With `server_sessions`,
 * new sessions are collected for the owner (uvtls_engine_take_new_session(), and their id with
 * uvtls_engine_new_session_id()). */
void uvtls_engine_set_session_cache(uvtls_engine *e, int resume_pause, int server_sessions);
const unsigned char *uvtls_engine_hello_session_id(const uvtls_engine *e, size_t *len);
int uvtls_engine_set_resume_session(uvtls_engine *e, const void *der, size_t len);
/* The id of the session uvtls_engine_take_new_session() returned last. Borrowed. */
const unsigned char *uvtls_engine_new_session_id(const uvtls_engine *e, size_t *len);

/* The session ticket the server sent (getTLSTicket), or NULL. Borrowed. */
const unsigned char *uvtls_engine_ticket(const uvtls_engine *e, size_t *len);

/* Finished messages; copies up to `cap` bytes, returns the full length (0 before the
 * handshake). */
size_t uvtls_engine_finished(const uvtls_engine *e, void *buf, size_t cap);
size_t uvtls_engine_peer_finished(const uvtls_engine *e, void *buf, size_t cap);
/* RFC 5705 exporter. `label` is `label_len` bytes (it may hold NUL: it is used whole, never cut
 * at a NUL). Returns 0 or -1 with err. */
int uvtls_engine_export_keying_material(const uvtls_engine *e, void *out, size_t len,
                                        const char *label, size_t label_len, const void *context,
                                        size_t context_len, int use_context, uvtls_error *err);
/* Client: the server's ephemeral key: type "ECDH"/"DH", curve name (ECDH) and size in bits;
 * returns UVTLS_EPHEMERAL_KEY. When the key exchange used a group without a classic ephemeral
 * key (ML-KEM, hybrids such as X25519MLKEM768): type "TLSGroup", name = the group's name,
 * size = -1; returns UVTLS_EPHEMERAL_GROUP. Returns -1 when there is none (server side, or
 * before the handshake). `name` and `type` are static strings or owned by the session. */
enum { UVTLS_EPHEMERAL_KEY = 0, UVTLS_EPHEMERAL_GROUP = 1 };
int uvtls_engine_ephemeral_key(const uvtls_engine *e, const char **type, const char **name,
                               int *size);
/* Shared signature algorithms as Node names them ("RSA-PSS+SHA256", "ECDSA+SHA256"),
 * ':'-separated into `buf`. Returns the count. */
int uvtls_engine_shared_sigalgs(const uvtls_engine *e, char *buf, size_t cap);
int uvtls_engine_set_max_send_fragment(uvtls_engine *e, size_t size);

/* NPN (TLS 1.2, the classic NPNProtocols): a server advertises its list; a client picks the
 * first protocol of the server's list that it also speaks (its own first without overlap). */
int uvtls_engine_set_npn(uvtls_engine *e, const unsigned char *wire, size_t len, uvtls_error *err);
const unsigned char *uvtls_engine_npn_selected(const uvtls_engine *e, size_t *len);

/* PSK. The handler runs inside the handshake: on a client with the server's identity hint
 * (may be NULL), filling `identity` (NUL-terminated, < identity_cap) and `psk`; on a server with
 * the client's identity, filling `psk`. It returns 0, or -1 to refuse (the handshake fails).
 * `*psk_len` holds the capacity on entry. The engine must not be freed inside the handler. */
typedef int (*uvtls_psk_handler)(uvtls_engine *e, const char *identity_or_hint, unsigned char *psk,
                                 size_t *psk_len, char *identity, size_t identity_cap, void *user);
int uvtls_engine_set_psk(uvtls_engine *e, uvtls_psk_handler handler, void *user,
                         const char *identity_hint, uvtls_error *err);

/* OCSP stapling. A client asks with uvtls_engine_request_ocsp() and reads the stapled response
 * after the handshake. A server with ocsp_pause set pauses at the ClientHello of clients that
 * ask (uvtls_engine_hello_ocsp_requested()), and staples what was set before resuming. */
void uvtls_engine_request_ocsp(uvtls_engine *e);
const unsigned char *uvtls_engine_ocsp_response(const uvtls_engine *e, size_t *len);
void uvtls_engine_set_ocsp_pause(uvtls_engine *e, int on);
int uvtls_engine_hello_ocsp_requested(const uvtls_engine *e);
int uvtls_engine_set_ocsp_response(uvtls_engine *e, const void *der, size_t len);

/* enableTrace(): every handshake message decoded to stderr (OpenSSL's SSL_trace), as Node. */
int uvtls_engine_enable_trace(uvtls_engine *e);

/* Installed once per SSL_CTX (by uvtls_context_new). */
void uvtls_extensions_install(void *ssl_ctx);

#endif
