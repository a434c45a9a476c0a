/* certgen: keys and certificates with OpenSSL's C API. See certgen.h. */
#include "core/certgen.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define STAGE UVTLS_STAGE(CERTIFICATE)

/* A random serial number: 16 bytes (128 bits, above the 64 the CA/Browser rules ask for). */
enum { SERIAL_RANDOM_BYTES = 16 };
/* "subject attribute <name>" in an error message; a longer name is cut there. */
enum { ATTRIBUTE_WHAT_MAX = 96 };

/* Fills `err` with ERR_INVALID_ARG_VALUE, naming OpenSSL's reason when there is one. */
static int bad_arg(uvtls_error *err, const char *what, const char *value) {
    const char *reason = ERR_reason_error_string(ERR_peek_error());
    uvtls_error_set(err, STAGE, UVTLS_CODE(ERR_INVALID_ARG_VALUE), "invalid %s \"%s\"%s%s", what,
                    value ? value : "", reason ? ": " : "", reason ? reason : "");
    ERR_clear_error();
    return -1;
}

static char *bio_text(BIO *bio) {
    char *p = NULL;
    long n = BIO_get_mem_data(bio, &p);
    if (n <= 0)
        return NULL;
    char *out = malloc((size_t)n + 1);
    if (out == NULL)
        return NULL;
    memcpy(out, p, (size_t)n);
    out[n] = '\0';
    return out;
}

char *uvtls_keygen_pem(uvtls_keygen_type type, int bits, uvtls_error *err) {
    EVP_PKEY *key = NULL;
    ERR_clear_error();
    if (type == UVTLS_KEYGEN_EC) {
        key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    } else if (type == UVTLS_KEYGEN_RSA) {
        if (bits == 0)
            bits = UVTLS_RSA_DEFAULT_BITS;
        if (bits < UVTLS_RSA_MIN_BITS || bits > UVTLS_RSA_MAX_BITS) {
            uvtls_error_set(err, STAGE, UVTLS_CODE(ERR_INVALID_ARG_VALUE),
                            "RSA key size must be between %d and %d bits, got %d",
                            UVTLS_RSA_MIN_BITS, UVTLS_RSA_MAX_BITS, bits);
            return NULL;
        }
        key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
    } else {
        uvtls_error_set(err, STAGE, UVTLS_CODE(ERR_INVALID_ARG_VALUE), "unknown key type %d",
                        (int)type);
        return NULL;
    }
    BIO *bio = BIO_new(BIO_s_mem());
    char *pem = NULL;
    /* PEM_write_bio_PrivateKey writes PKCS#8 ("BEGIN PRIVATE KEY"), unencrypted with no cipher. */
    if (key != NULL && bio != NULL && PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL))
        pem = bio_text(bio);
    BIO_free(bio);
    EVP_PKEY_free(key);
    if (pem == NULL)
        uvtls_error_openssl(err, STAGE, UVTLS_CODE(ERR_UVTLS_KEYGEN), "key generation failed");
    ERR_clear_error();
    return pem;
}

/* Never prompt on a terminal for a passphrase: an encrypted key is an error here. */
static int no_passphrase(char *buf, int size, int rwflag, void *u) {
    (void)buf, (void)size, (void)rwflag, (void)u;
    return -1;
}

static EVP_PKEY *read_key(const char *pem, size_t len, const char *what, uvtls_error *err) {
    BIO *bio = pem != NULL && len <= INT_MAX ? BIO_new_mem_buf(pem, (int)len) : NULL;
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) : NULL;
    BIO_free(bio);
    if (key == NULL) {
        uvtls_error_openssl(err, STAGE, UVTLS_CODE(ERR_UVTLS_BAD_KEY),
                            "could not read the private key");
        /* Say which of the two keys was bad, in words, with OpenSSL's reason for detail. */
        snprintf(err->message, sizeof(err->message),
                 "%s is not a readable unencrypted private key in PEM%s%.128s%s", what,
                 err->reason[0] ? " (" : "", err->reason, err->reason[0] ? ")" : "");
        uvtls_error_set_hint(err, "Pass an unencrypted private key in PEM (-----BEGIN PRIVATE "
                                  "KEY-----), for example one made by generateKey().");
    }
    return key;
}

static X509 *read_cert(const char *pem, size_t len, uvtls_error *err) {
    BIO *bio = pem != NULL && len <= INT_MAX ? BIO_new_mem_buf(pem, (int)len) : NULL;
    X509 *x = bio ? PEM_read_bio_X509(bio, NULL, no_passphrase, NULL) : NULL;
    BIO_free(bio);
    if (x == NULL) {
        uvtls_error_openssl(err, STAGE, UVTLS_CODE(ERR_UVTLS_BAD_CERTIFICATE),
                            "could not read the issuer certificate");
        uvtls_error_set_hint(err, "Pass the issuing CA's certificate in PEM (-----BEGIN "
                                  "CERTIFICATE-----) together with its private key.");
    }
    return x;
}

static int set_serial(X509 *x, const char *hex, uvtls_error *err) {
    BIGNUM *bn = NULL;
    if (hex != NULL) {
        size_t n = strlen(hex);
        size_t ok = strspn(hex, "0123456789abcdefABCDEF");
        /* RFC 5280: positive, at most 20 octets. */
        if (n == 0 || ok != n || n > 40 || !BN_hex2bn(&bn, hex) || BN_is_zero(bn)) {
            BN_free(bn);
            return bad_arg(err, "serial (1 to 40 hex digits, not zero)", hex);
        }
    } else {
        unsigned char buf[SERIAL_RANDOM_BYTES];
        if (RAND_bytes(buf, sizeof(buf)) != 1)
            return uvtls_error_openssl(err, STAGE, UVTLS_CODE(ERR_UVTLS_KEYGEN), "no random bytes");
        buf[0] = (unsigned char)((buf[0] & 0x7f) | 0x40); /* positive, and a full 16 bytes */
        bn = BN_bin2bn(buf, sizeof(buf), NULL);
    }
    ASN1_INTEGER *serial = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
    int rc = serial != NULL && X509_set_serialNumber(x, serial) ? 0 : -1;
    ASN1_INTEGER_free(serial);
    BN_free(bn);
    if (rc < 0)
        uvtls_error_openssl(err, STAGE, UVTLS_CODE(ERR_UVTLS_OUT_OF_MEMORY), "out of memory");
    return rc;
}

static int set_subject(X509 *x, const uvtls_cert_spec *spec, uvtls_error *err) {
    X509_NAME *name = X509_get_subject_name(x);
    for (size_t i = 0; i < spec->subject_count; i++) {
        const uvtls_name_attr *a = &spec->subject[i];
        if (a->key == NULL || a->value == NULL)
            return bad_arg(err, "subject attribute", a->key);
        /* A name OpenSSL knows or a dotted OID (which has no NID unless OpenSSL knows it). */
        ASN1_OBJECT *obj = OBJ_txt2obj(a->key, 0);
        ASN1_OBJECT_free(obj);
        if (obj == NULL)
            return bad_arg(err, "subject attribute name", a->key);
        int set = a->same_rdn && i > 0 ? -1 : 0;
        if (!X509_NAME_add_entry_by_txt(name, a->key, MBSTRING_UTF8,
                                        (const unsigned char *)a->value, -1, -1, set)) {
            char what[ATTRIBUTE_WHAT_MAX];
            snprintf(what, sizeof(what), "subject attribute %s", a->key);
            return bad_arg(err, what, a->value);
        }
    }
    return 0;
}

/* Adds `value` (an i2d-able extension structure) under `nid`; frees nothing. */
static int add_ext(X509 *x, int nid, void *value, int critical, uvtls_error *err) {
    if (X509_add1_ext_i2d(x, nid, value, critical, X509V3_ADD_REPLACE) != 1)
        return uvtls_error_openssl(err, STAGE, UVTLS_CODE(ERR_UVTLS_OUT_OF_MEMORY),
                                   "could not add a certificate extension");
    return 0;
}

static int add_basic_constraints(X509 *x, const uvtls_cert_spec *spec, uvtls_error *err) {
    if (spec->path_length >= 0 && !spec->is_ca) {
        uvtls_error_set(err, STAGE, UVTLS_CODE(ERR_INVALID_ARG_VALUE),
                        "pathLength only applies to a CA certificate (isCA: true)");
        return -1;
    }
    BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
    if (bc == NULL)
        return uvtls_error_openssl(err, STAGE, UVTLS_CODE(ERR_UVTLS_OUT_OF_MEMORY),
                                   "out of memory");
    bc->ca = spec->is_ca ? 0xFF : 0;
    int rc = 0;
    if (spec->is_ca && spec->path_length >= 0) {
        bc->pathlen = ASN1_INTEGER_new();
        if (bc->pathlen == NULL || !ASN1_INTEGER_set(bc->pathlen, spec->path_length))
            rc = uvtls_error_openssl(err, STAGE, UVTLS_CODE(ERR_UVTLS_OUT_OF_MEMORY),
                                     "out of memory");
    }
    if (rc == 0)
        rc = add_ext(x, NID_basic_constraints, bc, 1, err);
    BASIC_CONSTRAINTS_free(bc);
    return rc;
}

/* Bit numbers of the KeyUsage BIT STRING (RFC 5280, 4.2.1.3). */
static int key_usage_bit(const char *name) {
    static const char *const names[] = {
        "digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment", "keyAgreement",
        "keyCertSign",      "cRLSign",        "encipherOnly",    "decipherOnly",
    };
    if (strcmp(name, "contentCommitment") == 0) /* the newer name of nonRepudiation */
        return 1;
    for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++) {
        if (strcmp(name, names[i]) == 0)
            return i;
    }
    return -1;
}

static int add_key_usage(X509 *x, const uvtls_cert_spec *spec, EVP_PKEY *subject_key,
                         uvtls_error *err) {
    static const char *const ca_default[] = {"keyCertSign", "cRLSign"};
    static const char *const rsa_default[] = {"digitalSignature", "keyEncipherment"};
    static const char *const sig_default[] = {"digitalSignature"};
    const char *const *names = spec->key_usage;
    size_t count = spec->key_usage_count;
    if (count == 0 && spec->is_ca) {
        names = ca_default, count = 2;
    } else if (count == 0 && EVP_PKEY_get_base_id(subject_key) == EVP_PKEY_RSA) {
        names = rsa_default, count = 2;
    } else if (count == 0) {
        names = sig_default, count = 1;
    }
    ASN1_BIT_STRING *bits = ASN1_BIT_STRING_new();
    if (bits == NULL)
        return uvtls_error_openssl(err, STAGE, UVTLS_CODE(ERR_UVTLS_OUT_OF_MEMORY),
                                   "out of memory");
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        int bit = names[i] ? key_usage_bit(names[i]) : -1;
        if (bit < 0)
            rc = bad_arg(err, "keyUsage name", names[i]);
        else if (!ASN1_BIT_STRING_set_bit(bits, bit, 1))
            rc = uvtls_error_openssl(err, STAGE, UVTLS_CODE(ERR_UVTLS_OUT_OF_MEMORY),
                                     "out of memory");
    }
    if (rc == 0)
        rc = add_ext(x, NID_key_usage, bits, 1, err);
    ASN1_BIT_STRING_free(bits);
    return rc;
}

static int add_ext_key_usage(X509 *x, const uvtls_cert_spec *spec, uvtls_error *err) {
    if (spec->ext_key_usage_count == 0)
        return 0;
    EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
    if (eku == NULL)
        return uvtls_error_openssl(err, STAGE, UVTLS_CODE(ERR_UVTLS_OUT_OF_MEMORY),
                                   "out of memory");
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < spec->ext_key_usage_count; i++) {
        const char *name = spec->ext_key_usage[i];
        /* no_name = 0: short names ("serverAuth") and long names as well as dotted OIDs. */
        ASN1_OBJECT *obj = name ? OBJ_txt2obj(name, 0) : NULL;
        if (obj == NULL)
            rc = bad_arg(err, "extKeyUsage", name);
        else if (!sk_ASN1_OBJECT_push(eku, obj)) {
            ASN1_OBJECT_free(obj);
            rc = uvtls_error_openssl(err, STAGE, UVTLS_CODE(ERR_UVTLS_OUT_OF_MEMORY),
                                     "out of memory");
        }
    }
    if (rc == 0)
        rc = add_ext(x, NID_ext_key_usage, eku, 0, err);
    sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
    return rc;
}

static GENERAL_NAME *make_san(const uvtls_san_spec *s, uvtls_error *err) {
    if (s->type == NULL || s->value == NULL) {
        bad_arg(err, "subjectAltName entry", s->type);
        return NULL;
    }
    int type;
    if (strcmp(s->type, "dns") == 0)
        type = GEN_DNS;
    else if (strcmp(s->type, "email") == 0)
        type = GEN_EMAIL;
    else if (strcmp(s->type, "uri") == 0)
        type = GEN_URI;
    else if (strcmp(s->type, "ip") == 0)
        type = GEN_IPADD;
    else {
        bad_arg(err, "subjectAltName type (dns, ip, email or uri)", s->type);
        return NULL;
    }
    if (type != GEN_IPADD && s->value[0] == '\0') {
        bad_arg(err, "empty subjectAltName", s->type);
        return NULL;
    }
    /* dNSName, rfc822Name and URI are IA5Strings (ASCII): UTF-8 there would make a certificate
     * that other implementations reject or read differently. */
    for (const unsigned char *p = (const unsigned char *)s->value; type != GEN_IPADD && *p; p++) {
        if (*p >= 0x80) {
            bad_arg(err, "non-ASCII subjectAltName", s->value);
            uvtls_error_set_hint(err, "DNS names, e-mail addresses and URIs in a certificate are "
                                      "ASCII: write an internationalised name in its xn-- "
                                      "(punycode) form, e.g. with url.domainToASCII().");
            return NULL;
        }
    }
    GENERAL_NAME *gn = GENERAL_NAME_new();
    ASN1_STRING *v = NULL;
    if (gn != NULL && type == GEN_IPADD) {
        v = a2i_IPADDRESS(s->value);
        if (v == NULL) {
            GENERAL_NAME_free(gn);
            bad_arg(err, "IP address in subjectAltName", s->value);
            uvtls_error_set_hint(err, "Give an IPv4 address (127.0.0.1) or an IPv6 address "
                                      "(::1) without brackets, port or prefix length.");
            return NULL;
        }
    } else if (gn != NULL) {
        v = ASN1_IA5STRING_new();
        if (v != NULL && !ASN1_STRING_set(v, s->value, -1)) {
            ASN1_STRING_free(v);
            v = NULL;
        }
    }
    if (gn == NULL || v == NULL) {
        GENERAL_NAME_free(gn);
        uvtls_error_openssl(err, STAGE, UVTLS_CODE(ERR_UVTLS_OUT_OF_MEMORY), "out of memory");
        return NULL;
    }
    GENERAL_NAME_set0_value(gn, type, v);
    return gn;
}

static int add_sans(X509 *x, const uvtls_cert_spec *spec, uvtls_error *err) {
    if (spec->san_count == 0)
        return 0;
    GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
    if (names == NULL)
        return uvtls_error_openssl(err, STAGE, UVTLS_CODE(ERR_UVTLS_OUT_OF_MEMORY),
                                   "out of memory");
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < spec->san_count; i++) {
        GENERAL_NAME *gn = make_san(&spec->sans[i], err);
        if (gn == NULL)
            rc = -1;
        else if (!sk_GENERAL_NAME_push(names, gn)) {
            GENERAL_NAME_free(gn);
            rc = uvtls_error_openssl(err, STAGE, UVTLS_CODE(ERR_UVTLS_OUT_OF_MEMORY),
                                     "out of memory");
        }
    }
    /* RFC 5280 4.2.1.6: critical when the subject is empty, as the SAN is then the identity. */
    int critical = X509_NAME_entry_count(X509_get_subject_name(x)) == 0;
    if (rc == 0)
        rc = add_ext(x, NID_subject_alt_name, names, critical, err);
    GENERAL_NAMES_free(names);
    return rc;
}

/* RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING. */
static ASN1_OCTET_STRING *key_id(X509 *cert) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!X509_pubkey_digest(cert, EVP_sha1(), md, &len))
        return NULL;
    ASN1_OCTET_STRING *id = ASN1_OCTET_STRING_new();
    if (id != NULL && !ASN1_OCTET_STRING_set(id, md, (int)len)) {
        ASN1_OCTET_STRING_free(id);
        id = NULL;
    }
    return id;
}

/* subjectKeyIdentifier for `x`, and authorityKeyIdentifier naming the issuer's key: the issuer
 * certificate's own SKID when it has one (so chains built by other tools link up), else the
 * same hash of its key. */
static int add_key_ids(X509 *x, X509 *issuer, uvtls_error *err) {
    ASN1_OCTET_STRING *skid = key_id(x);
    int rc = skid ? add_ext(x, NID_subject_key_identifier, skid, 0, err)
                  : uvtls_error_openssl(err, STAGE, UVTLS_CODE(ERR_UVTLS_OUT_OF_MEMORY),
                                        "out of memory");
    ASN1_OCTET_STRING_free(skid);
    if (rc < 0)
        return rc;
    X509 *from = issuer ? issuer : x;
    AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
    if (akid == NULL)
        return uvtls_error_openssl(err, STAGE, UVTLS_CODE(ERR_UVTLS_OUT_OF_MEMORY),
                                   "out of memory");
    akid->keyid = X509_get_ext_d2i(from, NID_subject_key_identifier, NULL, NULL);
    if (akid->keyid == NULL)
        akid->keyid = key_id(from);
    rc = akid->keyid ? add_ext(x, NID_authority_key_identifier, akid, 0, err)
                     : uvtls_error_openssl(err, STAGE, UVTLS_CODE(ERR_UVTLS_OUT_OF_MEMORY),
                                           "out of memory");
    AUTHORITY_KEYID_free(akid);
    return rc;
}

static int check_spec(const uvtls_cert_spec *spec, uvtls_error *err) {
    if ((spec->issuer_cert_pem == NULL) != (spec->issuer_key_pem == NULL)) {
        uvtls_error_set(err, STAGE, UVTLS_CODE(ERR_INVALID_ARG_VALUE),
                        "issuerCertPem and issuerKeyPem go together: give both, or neither "
                        "for a self-signed certificate");
        return -1;
    }
    /* Upper bound: X509_time_adj_ex takes days as long, but beyond 9999-12-31 GeneralizedTime
     * ends; 100 years is plenty for a test PKI. */
    if (spec->days < 1 || spec->days > 36500) {
        uvtls_error_set(err, STAGE, UVTLS_CODE(ERR_INVALID_ARG_VALUE),
                        "days must be between 1 and 36500, got %d", spec->days);
        return -1;
    }
    return 0;
}

static int build(X509 *x, const uvtls_cert_spec *spec, EVP_PKEY *subject_key, X509 *issuer,
                 EVP_PKEY *signer, uvtls_error *err) {
    if (!X509_set_version(x, X509_VERSION_3) || !X509_set_pubkey(x, subject_key) ||
        X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
        X509_time_adj_ex(X509_getm_notAfter(x), spec->days, 0, NULL) == NULL)
        return uvtls_error_openssl(err, STAGE, UVTLS_CODE(ERR_UVTLS_OUT_OF_MEMORY),
                                   "out of memory");
    UVTLS_GUARD(set_serial(x, spec->serial_hex, err));
    UVTLS_GUARD(set_subject(x, spec, err));
    X509_NAME *issuer_name = issuer ? X509_get_subject_name(issuer) : X509_get_subject_name(x);
    if (!X509_set_issuer_name(x, issuer_name))
        return uvtls_error_openssl(err, STAGE, UVTLS_CODE(ERR_UVTLS_OUT_OF_MEMORY),
                                   "out of memory");
    UVTLS_GUARD(add_basic_constraints(x, spec, err));
    UVTLS_GUARD(add_key_usage(x, spec, subject_key, err));
    UVTLS_GUARD(add_ext_key_usage(x, spec, err));
    UVTLS_GUARD(add_sans(x, spec, err));
    UVTLS_GUARD(add_key_ids(x, issuer, err));
    /* Ed25519/Ed448 sign the message itself: they take no separate digest. */
    int id = EVP_PKEY_get_base_id(signer);
    const EVP_MD *md = id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448 ? NULL : EVP_sha256();
    if (X509_sign(x, signer, md) <= 0)
        return uvtls_error_openssl(err, STAGE, UVTLS_CODE(ERR_UVTLS_SIGN),
                                   "could not sign the certificate");
    return 0;
}

char *uvtls_cert_issue_pem(const uvtls_cert_spec *spec, uvtls_error *err) {
    ERR_clear_error();
    if (check_spec(spec, err) < 0)
        return NULL;
    EVP_PKEY *subject_key = read_key(spec->key_pem, spec->key_pem_len, "keyPem", err);
    EVP_PKEY *issuer_key = NULL;
    X509 *issuer = NULL, *x = NULL;
    char *pem = NULL;
    if (subject_key == NULL)
        goto done;
    if (spec->issuer_cert_pem != NULL) {
        issuer = read_cert(spec->issuer_cert_pem, spec->issuer_cert_pem_len, err);
        if (issuer == NULL)
            goto done;
        issuer_key = read_key(spec->issuer_key_pem, spec->issuer_key_pem_len, "issuerKeyPem", err);
        if (issuer_key == NULL)
            goto done;
        /* A certificate signed with a key that is not the issuer's would never verify. */
        if (X509_check_private_key(issuer, issuer_key) != 1) {
            /* One code whatever OpenSSL says (key values or key types differ). */
            ERR_clear_error();
            uvtls_error_set(err, STAGE, "ERR_OSSL_X509_KEY_VALUES_MISMATCH",
                            "issuerKeyPem is not the private key of issuerCertPem");
            uvtls_error_set_hint(err, "Pass the CA's own key as issuerKeyPem (the key the CA "
                                      "certificate was issued for), not the subject's key.");
            goto done;
        }
        if (!X509_check_ca(issuer)) {
            uvtls_error_set(err, STAGE, UVTLS_CODE(ERR_INVALID_ARG_VALUE),
                            "issuerCertPem is not a CA certificate (basicConstraints CA:TRUE)");
            goto done;
        }
    }
    x = X509_new();
    if (x == NULL) {
        uvtls_error_openssl(err, STAGE, UVTLS_CODE(ERR_UVTLS_OUT_OF_MEMORY), "out of memory");
        goto done;
    }
    if (build(x, spec, subject_key, issuer, issuer_key ? issuer_key : subject_key, err) == 0) {
        BIO *bio = BIO_new(BIO_s_mem());
        if (bio != NULL && PEM_write_bio_X509(bio, x))
            pem = bio_text(bio);
        BIO_free(bio);
        if (pem == NULL)
            uvtls_error_openssl(err, STAGE, UVTLS_CODE(ERR_UVTLS_OUT_OF_MEMORY), "out of memory");
    }
done:
    X509_free(x);
    X509_free(issuer);
    EVP_PKEY_free(issuer_key);
    EVP_PKEY_free(subject_key);
    ERR_clear_error();
    return pem;
}
