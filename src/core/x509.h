/* x509: certificates as plain fields, the same fields Node's getPeerCertificate() returns.
 *
 * Everything in a uvtls_cert_info is owned by it and freed by uvtls_cert_info_free(); strings
 * are NUL-terminated UTF-8. A certificate's attribute values may themselves hold NUL bytes (a
 * CN of "localhost\0.attacker.example" is a classic forgery): field values therefore come with
 * their length, and the binding must use it, never strlen(). The binding turns these into JS
 * objects; the field names follow Node's property names.
 */
#ifndef UVTLS_CORE_X509_H
#define UVTLS_CORE_X509_H

#include <stddef.h>

#include "core/engine.h"

typedef struct uvtls_cert_field {
    char *key;        /* "CN", "OU", an OID like "1.2.3.4" when OpenSSL has no name for it */
    char *value;      /* NUL-terminated for convenience, but may contain NUL: see value_len */
    size_t value_len; /* the full length in bytes */
} uvtls_cert_field;

/* An ordered list of key/value pairs; keys may repeat (two OUs). */
typedef struct uvtls_cert_fields {
    uvtls_cert_field *items;
    size_t count;
} uvtls_cert_fields;

typedef enum { UVTLS_KEY_OTHER = 0, UVTLS_KEY_RSA = 1, UVTLS_KEY_EC = 2 } uvtls_key_type;

typedef struct uvtls_cert_info {
    uvtls_cert_fields subject;
    uvtls_cert_fields issuer;
    char *subjectaltname; /* Node's escaped "DNS:a, IP Address:1.2.3.4"; NULL: none */
    int has_info_access;
    uvtls_cert_fields info_access; /* "OCSP - URI" -> "http://..." */
    int ca;
    uvtls_key_type key_type;
    int bits;
    char *modulus;          /* RSA: upper-case hex */
    char *exponent;         /* RSA: "0x10001" */
    const char *asn1_curve; /* EC: "prime256v1" (static) */
    const char *nist_curve; /* EC: "P-256" or NULL (static) */
    unsigned char *pubkey;  /* RSA: SubjectPublicKeyInfo DER; EC: the public point */
    size_t pubkey_len;
    char valid_from[40];
    char valid_to[40];
    char fingerprint[64]; /* SHA-1, "AB:CD:..." */
    char fingerprint256[100];
    char fingerprint512[196];
    int has_ext_key_usage;
    char **ext_key_usage; /* dotted OIDs */
    size_t ext_key_usage_count;
    char *serial_number; /* upper-case hex */
    unsigned char *raw;  /* DER */
    size_t raw_len;
} uvtls_cert_info;

/* A chain from the leaf towards the root, as Node links `issuerCertificate`. */
typedef struct uvtls_cert_chain {
    uvtls_cert_info **certs;
    size_t count;
    int last_is_self_issued; /* the last certificate is its own issuer (a root) */
} uvtls_cert_chain;

/* `cert` is an X509 *; declared opaque so that callers need no OpenSSL header. Returns NULL when
 * out of memory. */
uvtls_cert_info *uvtls_cert_info_new(const void *cert);
void uvtls_cert_info_free(uvtls_cert_info *info);

/* The peer's certificate (detailed = 0) or its whole chain, completed with issuers from the
 * context's trust store (detailed = 1). NULL when the peer sent no certificate. */
uvtls_cert_chain *uvtls_engine_peer_chain(const uvtls_engine *e, int detailed);
/* Our own certificate (getCertificate()); NULL when the context has none. */
uvtls_cert_chain *uvtls_engine_own_chain(const uvtls_engine *e);
void uvtls_cert_chain_free(uvtls_cert_chain *chain);

#endif
