/* verify: certificate verification with Node's results and an earlier, louder failure.
 *
 * Node lets every handshake finish and then judges the verification result, so a rejected peer
 * sees a bare close. uvtls computes the same result (the last error X509_verify_cert records,
 * which is what Node reports), but when the connection rejects unauthorized peers it fails the
 * handshake itself: OpenSSL then sends the peer the matching alert (unknown_ca,
 * certificate_expired, ...) and no cleartext is ever exchanged with an unverified peer.
 */
#ifndef UVTLS_CORE_VERIFY_H
#define UVTLS_CORE_VERIFY_H

#include <openssl/ssl.h>

/* Called once per SSL_CTX when it is created. */
void uvtls_verify_install(SSL_CTX *ctx);

/* Sets the policy of one connection. A client always verifies the server's chain; a server asks
 * for a client certificate only with `request_cert`. With `reject_unauthorized`, a chain that
 * fails (or, on a server, a missing client certificate) fails the handshake. */
void uvtls_verify_configure(SSL *ssl, int is_server, int request_cert, int reject_unauthorized);

/* The result as Node reports it: X509_V_OK only when the peer's certificate (sent now, or
 * restored with a resumed session) verified, or a pre-shared key authenticated the peer. A
 * missing certificate is not "authorized", not even on a resumed TLS 1.3 session (stricter than
 * Node, see docs/compat.md). */
long uvtls_verify_result(const SSL *ssl);

#endif
