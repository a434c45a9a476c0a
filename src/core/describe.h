/* describe: one certificate as plain diagnostic fields (RFC 4514 names, SANs by type, key
 * usages by name, validity as milliseconds), plus two diagnostic getters of an engine: the
 * negotiated key exchange group and the CertificateRequest a client received.
 *
 * Unlike x509.h (which reproduces Node's getPeerCertificate() object), the fields here are meant
 * for people reading them: names are RFC 4514 strings with UTF-8 kept as UTF-8.
 * Everything a description holds is owned by it and freed by uvtls_cert_description_free().
 */
#ifndef UVTLS_CORE_DESCRIBE_H
#define UVTLS_CORE_DESCRIBE_H

#include <stddef.h>
#include <stdint.h>

#include "core/engine.h"
#include "core/errors.h"

typedef struct uvtls_san_entry {
    const char *type; /* static: "dns", "ip", "email", "uri", "other_name", "dirname", "rid",
                         "other" */
    char *value;      /* UTF-8 text; see describeCertificate in the binding for the forms */
    size_t value_len; /* bytes of value: a name taken from the certificate may hold a NUL */
    char *oid;        /* other_name: the type-id OID (dotted); NULL otherwise */
} uvtls_san_entry;

enum { UVTLS_KEY_USAGE_MAX = 9 };

typedef struct uvtls_cert_description {
    char *subject;          /* RFC 4514, most specific RDN first */
    char *issuer;           /* RFC 4514 */
    char *common_name;      /* the last CN in DER order, or NULL */
    size_t common_name_len; /* may hold a NUL ("admin\0.evil"): never use strlen() on it */
    uvtls_san_entry *sans;
    size_t san_count;
    int has_key_usage;                          /* the extension is present */
    const char *key_usage[UVTLS_KEY_USAGE_MAX]; /* static names, RFC 5280 order */
    size_t key_usage_count;
    int has_ext_key_usage;
    char **ext_key_usage; /* "serverAuth" for known purposes, dotted OIDs otherwise */
    size_t ext_key_usage_count;
    int is_ca;
    long path_length; /* -1: no limit given */
    int64_t not_before_ms, not_after_ms;
    char *serial_number; /* upper-case hex */
    char fingerprint256[100];
    const char *key_type; /* static: "rsa", "ec", "ed25519", "other" */
    int key_bits;
    const char *key_curve; /* static short name ("prime256v1") for EC keys, else NULL */
    int self_issued;       /* subject == issuer */
    int self_signed;       /* the signature verifies with the certificate's own key */
} uvtls_cert_description;

/* Describes a certificate given as DER (or, for convenience, as one PEM block). Returns NULL with
 * `err` set (code ERR_UVTLS_BAD_CERTIFICATE) when the bytes are not a certificate, or when out
 * of memory. */
uvtls_cert_description *uvtls_cert_describe(const void *data, size_t len, uvtls_error *err);
void uvtls_cert_description_free(uvtls_cert_description *d);

/* `name` is an X509_NAME *, opaque here so callers need no OpenSSL header. Returns a malloc'ed
 * RFC 4514 string (free with free()), or NULL when out of memory. */
char *uvtls_name_rfc4514(const void *name);

/* The key exchange group the handshake negotiated ("X25519", "prime256v1", "ffdhe2048"), or
 * NULL before the handshake or when OpenSSL does not know it. Static storage, or owned by the
 * engine's context for provider-defined groups (X25519MLKEM768): copy it before the engine goes. */
const char *uvtls_engine_negotiated_group(const uvtls_engine *e);

/* Client: whether the server sent a CertificateRequest. Returns 1 and the CA names it listed
 * (RFC 4514, malloc'ed array of malloc'ed strings, free with uvtls_strings_free(); *names may be
 * NULL with *count 0) or 0 when there was none (always 0 on a server), -1 when out of memory. */
int uvtls_engine_cert_request(const uvtls_engine *e, char ***names, size_t *count);
void uvtls_strings_free(char **strings, size_t count);

#endif
