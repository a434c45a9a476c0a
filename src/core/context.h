/* context: a shared, reference-counted TLS configuration (one SSL_CTX).
 *
 * Built once by createSecureContext() and shared by every connection that uses it; an engine
 * takes a reference for its lifetime. Setters are called while building, before the first
 * engine is created; they are not safe to call while handshakes run on another thread (uvtls
 * uses each context from one event loop thread).
 *
 * Every setter returns 0 on success, or -1 with `err` filled (Node's code plus a hint).
 */
#ifndef UVTLS_CORE_CONTEXT_H
#define UVTLS_CORE_CONTEXT_H

#include <stddef.h>

#include "core/errors.h"

typedef struct uvtls_context uvtls_context;
/* A set of trusted certificates that several contexts can share (Node's default roots). */
typedef struct uvtls_trust_store uvtls_trust_store;

/* TLS protocol versions as on the wire (0x0303 = TLS 1.2, 0x0304 = TLS 1.3). */
enum { UVTLS_TLS1_2 = 0x0303, UVTLS_TLS1_3 = 0x0304 };

/* Returns a new context with one reference, TLS 1.2..1.3, no certificate and an empty trust
 * store; NULL with `err` filled on failure. Server connections on a context without a session id
 * context of its own get a default one (servers that request certificates need one to resume). */
uvtls_context *uvtls_context_new(uvtls_error *err);
uvtls_context *uvtls_context_ref(uvtls_context *ctx);
/* Drops a reference; frees the context when it was the last. NULL is allowed. */
void uvtls_context_unref(uvtls_context *ctx);

int uvtls_context_set_protocol_range(uvtls_context *ctx, int min_version, int max_version,
                                     uvtls_error *err);
/* A private key in PEM. `passphrase` may be NULL; an encrypted key then fails (it never prompts
 * on the terminal). Checked against the certificate of the same type when one is loaded. */
int uvtls_context_add_key(uvtls_context *ctx, const void *pem, size_t len, const char *passphrase,
                          uvtls_error *err);
/* A certificate in PEM, optionally followed by the intermediates of its chain. */
int uvtls_context_add_cert(uvtls_context *ctx, const void *pem, size_t len, uvtls_error *err);
/* Trusted CA certificates in PEM (one or more). The first call replaces the shared default
 * roots, as Node's `ca` option does. Also sent as acceptable CA names when a server asks for a
 * client certificate. */
int uvtls_context_add_ca(uvtls_context *ctx, const void *pem, size_t len, uvtls_error *err);
/* Node's `secureContext.context.addCACert()`: adds trusted CAs and keeps those trusted so far
 * (the default roots included; the shared roots themselves are never modified). */
int uvtls_context_add_ca_cert(uvtls_context *ctx, const void *pem, size_t len, uvtls_error *err);
/* `allowPartialTrustChain`: a trusted intermediate is enough to end a chain. */
void uvtls_context_allow_partial_trust_chain(uvtls_context *ctx);
/* One or more CRLs in PEM; turns on revocation checking for the whole chain. */
int uvtls_context_add_crl(uvtls_context *ctx, const void *pem, size_t len, uvtls_error *err);
/* PKCS#12 (DER): key, certificate and chain; CA certificates inside are also trusted. */
int uvtls_context_add_pkcs12(uvtls_context *ctx, const void *der, size_t len,
                             const char *passphrase, uvtls_error *err);
/* After keys and certificates: each certificate has its key and each key its certificate. */
int uvtls_context_check_keys(uvtls_context *ctx, uvtls_error *err);
/* Cipher lists: `tls12` in OpenSSL's cipher-list syntax and `tls13` as TLS 1.3 suite names;
 * NULL leaves that half unchanged. */
int uvtls_context_set_ciphers(uvtls_context *ctx, const char *tls12, const char *tls13,
                              uvtls_error *err);
/* Key exchange groups, ':'-separated, or "auto" for OpenSSL's default list. */
int uvtls_context_set_groups(uvtls_context *ctx, const char *groups, uvtls_error *err);
int uvtls_context_set_sigalgs(uvtls_context *ctx, const char *sigalgs, uvtls_error *err);
/* DH parameters in PEM for DHE suites, or the literal "auto". At least 1024 bits. */
int uvtls_context_set_dhparam(uvtls_context *ctx, const void *pem, size_t len, uvtls_error *err);
int uvtls_context_set_session_id_context(uvtls_context *ctx, const void *id, size_t len,
                                         uvtls_error *err);
/* Adds SSL_OP_* bits (Node's `secureOptions`). */
void uvtls_context_set_options(uvtls_context *ctx, long options);
void uvtls_context_set_honor_cipher_order(uvtls_context *ctx, int on);
/* Shares `store` as this context's trusted roots (until uvtls_context_add_ca). */
void uvtls_context_use_trust_store(uvtls_context *ctx, uvtls_trust_store *store);
int uvtls_context_min_version(const uvtls_context *ctx);
int uvtls_context_max_version(const uvtls_context *ctx);

/* DER of this context's certificate (issuer = 0) or of the next certificate of its chain
 * (issuer = 1), malloc'ed for the caller to free(); NULL when there is none. */
unsigned char *uvtls_context_certificate_der(uvtls_context *ctx, int issuer, size_t *len);

/* A trust store from concatenated PEM certificates. Returns one reference or NULL + err. */
uvtls_trust_store *uvtls_trust_store_new(const void *pem, size_t len, uvtls_error *err);
void uvtls_trust_store_unref(uvtls_trust_store *store);

/* OpenSSL versions: the one these headers describe and the one running. Returns 0 when they
 * agree on major.minor.patch, else -1 with `err` filled. */
int uvtls_openssl_version_check(uvtls_error *err);
const char *uvtls_openssl_version_text(void);

#endif
