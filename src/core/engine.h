/* engine: one TLS session over memory buffers, with no I/O of its own.
 *
 * The caller moves bytes; the engine only transforms them:
 *
 *     ciphertext from the peer -> uvtls_engine_feed()  -> uvtls_engine_read()  -> cleartext
 *     cleartext from the app   -> uvtls_engine_write() -> uvtls_engine_take()  -> ciphertext
 *
 * After every feed the caller runs uvtls_engine_handshake() (while handshaking) or
 * uvtls_engine_read() (afterwards), then sends whatever uvtls_engine_pending() reports. The same
 * engine serves a libuv socket, a JS duplex and a secure pair.
 *
 * Return conventions: setters and commands return 0, or -1 on failure (see uvtls_engine_error()
 * for why). The I/O functions return a byte count or one of UVTLS_AGAIN (0: nothing now, feed
 * more), UVTLS_FAIL (-1: the engine is in UVTLS_ENGINE_ERROR) and UVTLS_EOF (-2: the peer ended).
 * uvtls_engine_take() returns a size_t: 0 means nothing was taken, and the engine's state says
 * whether that is because nothing was pending or because it failed.
 *
 * Ownership: the engine holds a reference to its context. Buffers passed in are copied before
 * the call returns, except those lent with uvtls_engine_lend(). Nothing here calls back into the
 * caller, so every function may be called from any callback of the caller's own.
 */
#ifndef UVTLS_CORE_ENGINE_H
#define UVTLS_CORE_ENGINE_H

#include <stddef.h>
#include <sys/types.h>

#include "core/context.h"
#include "core/errors.h"

typedef struct uvtls_engine uvtls_engine;
/* See uvtls_engine_set_ocsp_handler() in ocsp.h. */
typedef void (*uvtls_ocsp_handler)(void *arg, const unsigned char *response, size_t len);

typedef enum uvtls_engine_state {
    UVTLS_ENGINE_HANDSHAKING = 0,
    UVTLS_ENGINE_ESTABLISHED = 1,
    UVTLS_ENGINE_CLOSING = 2, /* one side has sent close_notify */
    UVTLS_ENGINE_CLOSED = 3,  /* both sides have, or the engine was shut down */
    UVTLS_ENGINE_ERROR = 4,   /* see uvtls_engine_error() */
} uvtls_engine_state;

/* uvtls_engine_read() and uvtls_engine_write() results besides a byte count. */
enum { UVTLS_AGAIN = 0, UVTLS_FAIL = -1, UVTLS_EOF = -2 };

typedef struct uvtls_engine_options {
    int is_server;
    int request_cert;        /* server: ask the client for a certificate */
    int reject_unauthorized; /* fail the handshake when the peer does not verify */
    const char *servername;  /* client: SNI host name; NULL or "" for none */
} uvtls_engine_options;

/* Returns a new engine, or NULL with `err` filled. A client engine has its ClientHello ready in
 * uvtls_engine_pending() as soon as uvtls_engine_handshake() has run once. */
uvtls_engine *uvtls_engine_new(uvtls_context *ctx, const uvtls_engine_options *opts,
                               uvtls_error *err);
void uvtls_engine_free(uvtls_engine *e);

/* Ciphertext from the peer. Returns 0, or -1 when the engine cannot take it (closed, error). */
int uvtls_engine_feed(uvtls_engine *e, const void *data, size_t len);
/* Ciphertext from the peer, read in place: the bytes must stay valid and unchanged until
 * uvtls_engine_end_loan(), which copies only what the engine did not consume (a record the
 * transport cut, records a paused reader left). The data path's way in: most reads end on a
 * record boundary and are never copied. Both return 0, or -1 as uvtls_engine_feed() does (a
 * failed end_loan leaves the engine in UVTLS_ENGINE_ERROR and the loan dropped). A feed or a
 * new lend during a loan ends it first. */
int uvtls_engine_lend(uvtls_engine *e, const void *data, size_t len);
int uvtls_engine_end_loan(uvtls_engine *e);
/* The transport ended (TCP FIN). Reads then report UVTLS_EOF; during the handshake the engine
 * fails with ECONNRESET, as Node does. */
void uvtls_engine_feed_eof(uvtls_engine *e);

/* Advances the handshake with what was fed. Returns the state afterwards. The engine touches
 * nothing outside itself and its context (whose shared parts OpenSSL locks), so a step may run
 * on any thread while no other thread uses this engine. */
uvtls_engine_state uvtls_engine_handshake(uvtls_engine *e);
/* Whether the next handshake step of a server is worth another thread: it reads the ClientHello
 * (our key share and, unless resumed, our signature follow) or the client's certificate (its
 * chain and signature are checked). The other steps are cheaper than handing them over. */
int uvtls_engine_next_step_is_costly(const uvtls_engine *e);

/* Cleartext from the peer into `buf`. Returns a byte count > 0, UVTLS_AGAIN when more
 * ciphertext is needed, UVTLS_EOF after the peer's close_notify or the transport's end, or
 * UVTLS_FAIL (see uvtls_engine_error()). Only returns bytes once the handshake is complete. */
ssize_t uvtls_engine_read(uvtls_engine *e, void *buf, size_t cap);

/* Cleartext to the peer. Returns the bytes consumed (all of them unless failing) or UVTLS_FAIL.
 * Requires the established state. */
ssize_t uvtls_engine_write(uvtls_engine *e, const void *data, size_t len);

/* uvtls_engine_write(), with the records placed straight into `dest` (at most `cap` bytes)
 * when nothing else is pending: *placed says how many bytes of ciphertext are there, to be sent
 * before whatever uvtls_engine_pending() reports afterwards. Saves a copy through the engine
 * and the buffer growth of a large write (the data path's way out). */
ssize_t uvtls_engine_write_into(uvtls_engine *e, const void *data, size_t len, void *dest,
                                size_t cap, size_t *placed);
/* Ciphertext waiting to be sent, and taking it out: up to `cap` bytes into `buf`, returning how
 * many. 0 when nothing is pending (or cap is 0); a failure also returns 0, moves the engine
 * into UVTLS_ENGINE_ERROR and drops the pending ciphertext (pending() is 0 afterwards, so a
 * `while (pending() > 0) take()` loop ends), so a caller that got 0 while
 * uvtls_engine_pending() was non-zero checks uvtls_engine_state_get(). */
size_t uvtls_engine_pending(const uvtls_engine *e);
size_t uvtls_engine_take(uvtls_engine *e, void *buf, size_t cap);

/* Queues close_notify. Returns 0, or -1 when there is no session to close. */
int uvtls_engine_shutdown(uvtls_engine *e);

uvtls_engine_state uvtls_engine_state_get(const uvtls_engine *e);
/* The error that moved the engine into UVTLS_ENGINE_ERROR. Borrowed. */
const uvtls_error *uvtls_engine_error(const uvtls_engine *e);
int uvtls_engine_is_server(const uvtls_engine *e);
/* Whether the peer's close_notify arrived (a clean end, as opposed to a truncation). */
int uvtls_engine_peer_closed_cleanly(const uvtls_engine *e);

/* After the handshake: the verification result as Node reports it (X509_V_OK = authorized). */
long uvtls_engine_verify_result(const uvtls_engine *e);
/* Negotiated cipher: OpenSSL name, IANA name and the protocol version that introduced it.
 * Static strings; NULL before the handshake. */
int uvtls_engine_cipher(const uvtls_engine *e, const char **name, const char **standard_name,
                        const char **version);
/* "TLSv1.2" / "TLSv1.3"; NULL before the handshake. Static. */
const char *uvtls_engine_protocol(const uvtls_engine *e);
/* The session in DER (as Node's getSession()). Returns a malloc'ed buffer the caller frees with
 * free(), or NULL when there is no session. */
unsigned char *uvtls_engine_session(const uvtls_engine *e, size_t *len);
int uvtls_engine_session_reused(const uvtls_engine *e);
const char *uvtls_engine_servername(const uvtls_engine *e);

#endif
