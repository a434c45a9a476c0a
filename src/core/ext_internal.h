/* Core-internal glue between the handshake feature files (alpn_npn.c, hello.c, sessions.c,
 * psk.c, ocsp.c, keylog.c) and extensions.c, which installs their OpenSSL callbacks once per
 * SSL_CTX and frees their per-connection state. Not for src/net or src/binding.
 *
 * Return convention (as everywhere in src/core): 0 on success, -1 on failure.
 */
#ifndef UVTLS_CORE_EXT_INTERNAL_H
#define UVTLS_CORE_EXT_INTERNAL_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "core/engine_internal.h"

/* Longest wire-format protocol list ALPN and NPN carry (a 16-bit length on the wire). */
enum { UVTLS_WIRE_LIST_MAX = 0xffff };

/* Whether `p` is a non-empty list of length-prefixed names, none empty, none overrunning. */
int uvtls_wire_valid(const unsigned char *p, size_t len);
/* Replaces an owned byte buffer with a copy of `src` (len 0: none). Returns 0 or -1 (memory). */
int uvtls_bytes_replace(unsigned char **dst, size_t *dst_len, const void *src, size_t len);

/* Each feature's OpenSSL callbacks on a context, and its per-connection state's release. */
void uvtls_alpn_npn_install(SSL_CTX *c);
void uvtls_alpn_npn_free(struct uvtls_alpn_state *s);
void uvtls_hello_install(SSL_CTX *c);
void uvtls_hello_free(struct uvtls_hello_state *s);
void uvtls_sessions_install(SSL_CTX *c);
void uvtls_sessions_free(struct uvtls_sessions_state *s);
void uvtls_ocsp_install(SSL_CTX *c);
void uvtls_ocsp_free(struct uvtls_ocsp_state *s);
void uvtls_keylog_install(SSL_CTX *c);
void uvtls_keylog_free(struct uvtls_keylog_state *s);

#endif
