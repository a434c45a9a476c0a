/* helpers: test certificates, ready-made contexts, and two engines talking in memory. */
#ifndef UVTLS_TEST_HELPERS_H
#define UVTLS_TEST_HELPERS_H

#include <stddef.h>

#include "core/context.h"
#include "core/engine.h"
#include "core/errors.h"

/* A file from the certificate dir ($UVTLS_TEST_CERTS, filled by make-certs.sh). */
typedef struct blob {
    char *data; /* NUL-terminated for convenience; `len` excludes the NUL */
    size_t len;
} blob;

/* Reads a certificate file; exits the whole run when it is missing (the setup is broken, no test
 * result would mean anything). Free with blob_free(). */
blob cert_file(const char *name);
void blob_free(blob *b);

/* A context built from certificate file names; NULL skips that item. Keys are loaded after their
 * certificate, in the order createSecureContext() uses. Reports any failure as a check failure
 * and returns NULL. */
uvtls_context *make_context(const char *cert, const char *key, const char *ca);

/* The usual pair: a server with server.pem and a client that trusts ca.pem. */
uvtls_context *make_server_context(void);
uvtls_context *make_client_context(void);

/* Engines with the given options; report failure as a check failure. */
uvtls_engine *make_server(uvtls_context *ctx, int request_cert, int reject_unauthorized);
uvtls_engine *make_client(uvtls_context *ctx, int reject_unauthorized);

/* Moves all ciphertext `from` has queued into `to`, `chunk` bytes per feed, and lets `to` advance
 * its handshake after each feed (while it is handshaking). Bytes the receiver refuses (it failed)
 * are dropped, as a closed socket would. Returns the number of bytes taken from `from`. */
size_t shuttle(uvtls_engine *from, uvtls_engine *to, size_t chunk);

/* Runs both handshakes, shuttling whole buffers, until neither is handshaking or nothing moves. */
void handshake_pair(uvtls_engine *client, uvtls_engine *server);
/* The same with `chunk`-sized feeds. */
void handshake_pair_chunked(uvtls_engine *client, uvtls_engine *server, size_t chunk);

/* Reads all cleartext available now into buf. Returns the byte count; `*last` gets the final
 * uvtls_engine_read() result (UVTLS_AGAIN, UVTLS_EOF or UVTLS_FAIL). */
size_t read_available(uvtls_engine *e, char *buf, size_t cap, long *last);

#endif
