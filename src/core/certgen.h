/* certgen: private keys and X.509v3 certificates for development and tests (a CA, servers and
 * clients signed by it), made with OpenSSL's C API only.
 *
 * Strings returned are malloc'ed, NUL-terminated PEM; the caller frees them with free().
 * Spec structures are borrowed for the duration of the call only. Every failure returns NULL
 * with `err` filled (code, message, hint) and leaves OpenSSL's error queue empty.
 */
#ifndef UVTLS_CORE_CERTGEN_H
#define UVTLS_CORE_CERTGEN_H

#include <stddef.h>

#include "core/errors.h"

typedef enum { UVTLS_KEYGEN_EC = 1, UVTLS_KEYGEN_RSA = 2 } uvtls_keygen_type;

enum { UVTLS_RSA_MIN_BITS = 2048, UVTLS_RSA_MAX_BITS = 8192, UVTLS_RSA_DEFAULT_BITS = 2048 };

/* A new private key as unencrypted PKCS#8 PEM. EC keys are P-256; RSA `bits` must lie in
 * [UVTLS_RSA_MIN_BITS, UVTLS_RSA_MAX_BITS] (0 means the default). */
char *uvtls_keygen_pem(uvtls_keygen_type type, int bits, uvtls_error *err);

typedef struct uvtls_name_attr {
    const char *key;   /* "CN", "O", "OU", "L", "ST", "C", "emailAddress" (any name OpenSSL
                          knows, or a dotted OID) */
    const char *value; /* UTF-8 */
    int same_rdn;      /* join the previous attribute's RDN (a multi-valued RDN) */
} uvtls_name_attr;

typedef struct uvtls_san_spec {
    const char *type;  /* "dns", "ip", "email", "uri" */
    const char *value; /* ip: IPv4 or IPv6 text */
} uvtls_san_spec;

typedef struct uvtls_cert_spec {
    const char *key_pem; /* the subject's private key; its public half goes into the cert */
    size_t key_pem_len;
    const uvtls_name_attr *subject; /* in DER order (least specific first) */
    size_t subject_count;
    int days; /* validity from now; notBefore is an hour back to allow for clock skew */
    int is_ca;
    int path_length; /* CA only; -1 for no limit */
    const uvtls_san_spec *sans;
    size_t san_count;
    const char *const *ext_key_usage; /* short names ("serverAuth") or dotted OIDs */
    size_t ext_key_usage_count;       /* 0: no extendedKeyUsage extension */
    const char *const *key_usage;     /* RFC 5280 names ("digitalSignature") */
    size_t key_usage_count;           /* 0: the default for a CA / leaf with this key type */
    const char *issuer_cert_pem;      /* both NULL: self-signed */
    size_t issuer_cert_pem_len;
    const char *issuer_key_pem;
    size_t issuer_key_pem_len;
    const char *serial_hex; /* NULL: 16 random bytes, positive */
} uvtls_cert_spec;

/* Issues (signs with SHA-256, or the key's own scheme for Ed25519/Ed448) a certificate for
 * `spec`. basicConstraints and keyUsage are critical; subjectKeyIdentifier and
 * authorityKeyIdentifier are always present. */
char *uvtls_cert_issue_pem(const uvtls_cert_spec *spec, uvtls_error *err);

#endif
