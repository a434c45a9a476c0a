/* describe: a certificate as diagnostic fields. See describe.h. */
#include "core/describe.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/engine_internal.h"

static char *dup_bytes(const char *s, size_t len) {
    char *out = malloc(len + 1);
    if (out == NULL)
        return NULL;
    memcpy(out, s, len);
    out[len] = '\0';
    return out;
}

static char *dup_str(const char *s) {
    return dup_bytes(s, strlen(s));
}

/* What a memory BIO holds, as a malloc'ed string. */
static char *bio_text(BIO *bio) {
    char *p = NULL;
    long n = BIO_get_mem_data(bio, &p);
    return n < 0 ? NULL : dup_bytes(n == 0 ? "" : p, (size_t)n);
}

char *uvtls_name_rfc4514(const void *name) {
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL)
        return NULL;
    /* RFC 2253/4514 rendering (reversed RDN order, ',' and '+' separators, escaping of the
     * special characters), but with ESC_MSB off: non-ASCII characters stay UTF-8 instead of
     * becoming \XX escapes, which is what a person reading a diagnostic wants. */
    unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
    char *out = NULL;
    if (X509_NAME_print_ex(bio, name, 0, flags) >= 0)
        out = bio_text(bio);
    BIO_free(bio);
    return out;
}

/* Room for the dotted form of any OID seen in practice; longer ones get a buffer of their own. */
enum { OID_TEXT_INLINE = 128 };

static char *obj_dotted(const ASN1_OBJECT *obj) {
    char buf[OID_TEXT_INLINE];
    int n = OBJ_obj2txt(buf, sizeof(buf), obj, 1);
    if (n < 0)
        return NULL;
    if ((size_t)n >= sizeof(buf)) {
        char *big = malloc((size_t)n + 1);
        if (big != NULL)
            OBJ_obj2txt(big, n + 1, obj, 1);
        return big;
    }
    return dup_str(buf);
}

static char *hex_of(const unsigned char *p, size_t len, int colons) {
    static const char digits[] = "0123456789ABCDEF";
    char *out = malloc(len * 3 + 1);
    if (out == NULL)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < len; i++) {
        if (colons && i > 0)
            out[j++] = ':';
        out[j++] = digits[p[i] >> 4];
        out[j++] = digits[p[i] & 15];
    }
    out[j] = '\0';
    return out;
}

/* The bytes of an IA5String name as they are, length in *len: a NUL inside must survive, so
 * that "admin\0.evil.com" never reads as "admin". */
static char *asn1_string_text(const ASN1_STRING *s, size_t *len) {
    *len = (size_t)ASN1_STRING_length(s);
    return dup_bytes((const char *)ASN1_STRING_get0_data(s), *len);
}

/* The text of a string-typed value converted to UTF-8 (BMPString, T61String and the others
 * included), length in *len; NULL when it is not a string type or not valid in its type, in
 * which case the caller shows the DER. */
static char *string_value(const ASN1_TYPE *t, size_t *len) {
    if (t == NULL)
        return NULL;
    switch (t->type) {
    case V_ASN1_UTF8STRING:
    case V_ASN1_IA5STRING:
    case V_ASN1_PRINTABLESTRING:
    case V_ASN1_VISIBLESTRING:
    case V_ASN1_T61STRING:
    case V_ASN1_BMPSTRING:
    case V_ASN1_UNIVERSALSTRING: {
        unsigned char *utf8 = NULL;
        int n = ASN1_STRING_to_UTF8(&utf8, t->value.asn1_string);
        char *out = n >= 0 ? dup_bytes((const char *)utf8, (size_t)n) : NULL;
        OPENSSL_free(utf8);
        ERR_clear_error();
        if (out != NULL)
            *len = (size_t)n;
        return out;
    }
    default:
        return NULL;
    }
}

static char *ip_text(const ASN1_OCTET_STRING *ip) {
    char buf[INET6_ADDRSTRLEN];
    const unsigned char *p = ASN1_STRING_get0_data(ip);
    int len = ASN1_STRING_length(ip);
    if (len == 4 && inet_ntop(AF_INET, p, buf, sizeof(buf)) != NULL)
        return dup_str(buf);
    if (len == 16 && inet_ntop(AF_INET6, p, buf, sizeof(buf)) != NULL)
        return dup_str(buf);
    /* Not an address (a name constraint's address/mask has no place in a SAN): show the bytes. */
    return hex_of(p, (size_t)len, 0);
}

/* Any DER as "HEX:..." for values we cannot show as text. */
static char *der_hex(int len, unsigned char *der) {
    char *hex = len > 0 ? hex_of(der, (size_t)len, 0) : NULL;
    OPENSSL_free(der);
    return hex;
}

static int describe_san(uvtls_san_entry *out, const GENERAL_NAME *gn) {
    memset(out, 0, sizeof(*out));
    /* Set by the types whose text comes from the certificate and may hold a NUL; the others
     * (addresses, OIDs, hex, RFC 4514) never do. */
    size_t len = SIZE_MAX;
    switch (gn->type) {
    case GEN_DNS:
        out->type = "dns";
        out->value = asn1_string_text(gn->d.dNSName, &len);
        break;
    case GEN_EMAIL:
        out->type = "email";
        out->value = asn1_string_text(gn->d.rfc822Name, &len);
        break;
    case GEN_URI:
        out->type = "uri";
        out->value = asn1_string_text(gn->d.uniformResourceIdentifier, &len);
        break;
    case GEN_IPADD:
        out->type = "ip";
        out->value = ip_text(gn->d.iPAddress);
        break;
    case GEN_DIRNAME:
        out->type = "dirname";
        out->value = uvtls_name_rfc4514(gn->d.directoryName);
        break;
    case GEN_RID:
        out->type = "rid";
        out->value = obj_dotted(gn->d.registeredID);
        break;
    case GEN_OTHERNAME: {
        out->type = "other_name";
        out->oid = obj_dotted(gn->d.otherName->type_id);
        if (out->oid == NULL)
            return -1;
        out->value = string_value(gn->d.otherName->value, &len);
        if (out->value == NULL) {
            unsigned char *der = NULL;
            int der_len = i2d_ASN1_TYPE(gn->d.otherName->value, &der);
            char *hex = der_hex(der_len, der);
            size_t cap = strlen(out->oid) + (hex ? strlen(hex) : 0) + 16;
            out->value = malloc(cap);
            if (out->value != NULL)
                snprintf(out->value, cap, "OID:%s;HEX:%s", out->oid, hex ? hex : "");
            free(hex);
        }
        break;
    }
    default: {
        /* x400Address, ediPartyName: rare enough that the raw DER is an honest rendering. */
        out->type = "other";
        unsigned char *der = NULL;
        int der_len = i2d_GENERAL_NAME((GENERAL_NAME *)gn, &der);
        out->value = der_hex(der_len, der);
        break;
    }
    }
    if (out->value == NULL)
        return -1;
    out->value_len = len != SIZE_MAX ? len : strlen(out->value);
    return 0;
}

static int describe_sans(uvtls_cert_description *d, X509 *x) {
    int crit = -1;
    GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
    if (names == NULL) /* absent; or present twice or unreadable, which must not read as none */
        return crit == -1 ? 0 : -1;
    int n = sk_GENERAL_NAME_num(names);
    int rc = 0;
    d->sans = n > 0 ? calloc((size_t)n, sizeof(*d->sans)) : NULL;
    if (n > 0 && d->sans == NULL)
        rc = -1;
    for (int i = 0; rc == 0 && i < n; i++) {
        rc = describe_san(&d->sans[i], sk_GENERAL_NAME_value(names, i));
        d->san_count = (size_t)i + 1; /* the failed entry too: its oid may need freeing */
    }
    GENERAL_NAMES_free(names);
    return rc;
}

static const struct {
    uint32_t bit;
    const char *name;
} key_usages[UVTLS_KEY_USAGE_MAX] = {
    {KU_DIGITAL_SIGNATURE, "digitalSignature"},
    {KU_NON_REPUDIATION, "nonRepudiation"},
    {KU_KEY_ENCIPHERMENT, "keyEncipherment"},
    {KU_DATA_ENCIPHERMENT, "dataEncipherment"},
    {KU_KEY_AGREEMENT, "keyAgreement"},
    {KU_KEY_CERT_SIGN, "keyCertSign"},
    {KU_CRL_SIGN, "cRLSign"},
    {KU_ENCIPHER_ONLY, "encipherOnly"},
    {KU_DECIPHER_ONLY, "decipherOnly"},
};

static int describe_usages(uvtls_cert_description *d, X509 *x) {
    uint32_t flags = X509_get_extension_flags(x);
    if (flags & EXFLAG_KUSAGE) {
        uint32_t ku = X509_get_key_usage(x);
        d->has_key_usage = 1;
        for (size_t i = 0; i < UVTLS_KEY_USAGE_MAX; i++) {
            if (ku & key_usages[i].bit)
                d->key_usage[d->key_usage_count++] = key_usages[i].name;
        }
    }
    int crit = -1;
    EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL);
    if (eku == NULL)
        return crit == -1 ? 0 : -1; /* absent, or present but unreadable */
    int n = sk_ASN1_OBJECT_num(eku);
    int rc = 0;
    d->has_ext_key_usage = 1;
    d->ext_key_usage = n > 0 ? calloc((size_t)n, sizeof(char *)) : NULL;
    if (n > 0 && d->ext_key_usage == NULL)
        rc = -1;
    for (int i = 0; rc == 0 && i < n; i++) {
        const ASN1_OBJECT *obj = sk_ASN1_OBJECT_value(eku, i);
        int nid = OBJ_obj2nid(obj);
        char *s = nid != NID_undef ? dup_str(OBJ_nid2sn(nid)) : obj_dotted(obj);
        if (s == NULL)
            rc = -1;
        else
            d->ext_key_usage[d->ext_key_usage_count++] = s;
    }
    sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
    return rc;
}

static void describe_basic_constraints(uvtls_cert_description *d, X509 *x) {
    d->path_length = -1;
    BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
    if (bc == NULL)
        return;
    d->is_ca = bc->ca != 0;
    if (d->is_ca && bc->pathlen != NULL) {
        long v = ASN1_INTEGER_get(bc->pathlen);
        d->path_length = v < 0 ? -1 : v;
    }
    BASIC_CONSTRAINTS_free(bc);
}

/* Milliseconds since 1970 without timegm() (not POSIX): the difference to the epoch. */
static int time_ms(const ASN1_TIME *t, int64_t *ms) {
    ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
    int days = 0, secs = 0;
    int ok = epoch != NULL && ASN1_TIME_diff(&days, &secs, epoch, t);
    ASN1_TIME_free(epoch);
    if (!ok)
        return -1;
    *ms = ((int64_t)days * 86400 + secs) * 1000;
    return 0;
}

static void describe_key(uvtls_cert_description *d, X509 *x) {
    EVP_PKEY *key = X509_get0_pubkey(x);
    d->key_type = "other";
    if (key == NULL)
        return;
    d->key_bits = EVP_PKEY_get_bits(key);
    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
        d->key_type = "rsa";
        break;
    case EVP_PKEY_EC: {
        char group[UVTLS_GROUP_NAME_MAX];
        d->key_type = "ec";
        if (EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof(group), NULL)) {
            int nid = OBJ_txt2nid(group);
            d->key_curve = nid != NID_undef ? OBJ_nid2sn(nid) : NULL;
        }
        break;
    }
    case EVP_PKEY_ED25519:
        d->key_type = "ed25519";
        break;
    default:
        break;
    }
}

/* The last CN in DER order: the most specific one, which RFC 4514 prints first. */
static int common_name(uvtls_cert_description *d, const X509_NAME *name) {
    int last = -1;
    for (int i = -1; (i = X509_NAME_get_index_by_NID(name, NID_commonName, i)) >= 0;)
        last = i;
    if (last < 0)
        return 0;
    const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, last));
    unsigned char *utf8 = NULL;
    int n = ASN1_STRING_to_UTF8(&utf8, s);
    if (n < 0)
        return -1;
    d->common_name = dup_bytes((const char *)utf8, (size_t)n);
    d->common_name_len = (size_t)n;
    OPENSSL_free(utf8);
    return d->common_name == NULL ? -1 : 0;
}

/* memmem() is a GNU extension; the core sticks to POSIX. */
static int contains(const void *data, size_t len, const char *needle) {
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++) {
        if (memcmp((const char *)data + i, needle, n) == 0)
            return 1;
    }
    return 0;
}

static X509 *parse(const void *data, size_t len) {
    const unsigned char *p = data;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (x != NULL && p != (const unsigned char *)data + len) {
        X509_free(x); /* trailing bytes: not one certificate */
        x = NULL;
    }
    if (x == NULL && len <= INT_MAX && contains(data, len, "-----BEGIN")) {
        BIO *bio = BIO_new_mem_buf(data, (int)len);
        x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
        BIO_free(bio);
    }
    return x;
}

static int describe(uvtls_cert_description *d, X509 *x) {
    int64_t ms = 0;
    d->subject = uvtls_name_rfc4514(X509_get_subject_name(x));
    d->issuer = uvtls_name_rfc4514(X509_get_issuer_name(x));
    if (d->subject == NULL || d->issuer == NULL)
        return -1;
    UVTLS_GUARD(common_name(d, X509_get_subject_name(x)));
    UVTLS_GUARD(describe_sans(d, x));
    UVTLS_GUARD(describe_usages(d, x));
    describe_basic_constraints(d, x);
    UVTLS_GUARD(time_ms(X509_get0_notBefore(x), &ms));
    d->not_before_ms = ms;
    UVTLS_GUARD(time_ms(X509_get0_notAfter(x), &ms));
    d->not_after_ms = ms;

    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *hex = bn ? BN_bn2hex(bn) : NULL;
    BN_free(bn);
    if (hex == NULL)
        return -1;
    d->serial_number = dup_str(hex);
    OPENSSL_free(hex);
    if (d->serial_number == NULL)
        return -1;

    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (!X509_digest(x, EVP_sha256(), md, &md_len))
        return -1;
    char *fp = hex_of(md, md_len, 1);
    if (fp == NULL)
        return -1;
    snprintf(d->fingerprint256, sizeof(d->fingerprint256), "%s", fp);
    free(fp);

    describe_key(d, x);
    d->self_issued = X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
    EVP_PKEY *key = X509_get0_pubkey(x);
    d->self_signed = key != NULL && X509_verify(x, key) == 1;
    return 0;
}

uvtls_cert_description *uvtls_cert_describe(const void *data, size_t len, uvtls_error *err) {
    ERR_clear_error();
    X509 *x = data != NULL && len > 0 ? parse(data, len) : NULL;
    if (x == NULL) {
        ERR_clear_error();
        uvtls_error_set(err, UVTLS_STAGE(CERTIFICATE), UVTLS_CODE(ERR_UVTLS_BAD_CERTIFICATE),
                        "the bytes are not an X.509 certificate (DER or PEM)");
        uvtls_error_set_hint(err, "Pass the certificate's DER bytes (for example "
                                  "X509Certificate.raw or a .der/.crt file read as a Buffer); "
                                  "a PEM file needs its -----BEGIN CERTIFICATE----- block.");
        return NULL;
    }
    uvtls_cert_description *d = calloc(1, sizeof(*d));
    int rc = d != NULL ? describe(d, x) : -1;
    X509_free(x);
    ERR_clear_error(); /* X509_verify of a non-self-signed certificate leaves errors behind */
    if (rc < 0) {
        uvtls_cert_description_free(d);
        uvtls_error_set(err, UVTLS_STAGE(CERTIFICATE), UVTLS_CODE(ERR_UVTLS_BAD_CERTIFICATE),
                        "the certificate could not be read (malformed field or out of memory)");
        return NULL;
    }
    return d;
}

void uvtls_strings_free(char **strings, size_t count) {
    if (strings == NULL)
        return;
    for (size_t i = 0; i < count; i++)
        free(strings[i]);
    free(strings);
}

void uvtls_cert_description_free(uvtls_cert_description *d) {
    if (d == NULL)
        return;
    free(d->subject);
    free(d->issuer);
    free(d->common_name);
    for (size_t i = 0; i < d->san_count; i++) {
        free(d->sans[i].value);
        free(d->sans[i].oid);
    }
    free(d->sans);
    uvtls_strings_free(d->ext_key_usage, d->ext_key_usage_count);
    free(d->serial_number);
    free(d);
}

const char *uvtls_engine_negotiated_group(const uvtls_engine *e) {
    /* OpenSSL 3.0 reads the group from the SSL's session without checking it: a server that
     * failed or was shut down before any ClientHello was processed (garbage bytes, an EOF) has
     * no session, and asking would dereference NULL (found by fuzz_engine_server). */
    if (uvtls_engine_state_get(e) == UVTLS_ENGINE_HANDSHAKING ||
        SSL_get_session(uvtls_engine_ssl(e)) == NULL)
        return NULL;
    int nid = SSL_get_negotiated_group(uvtls_engine_ssl(e));
    if (nid == NID_undef)
        return NULL;
    if (nid & TLSEXT_nid_unknown) {
#if OPENSSL_VERSION_NUMBER >= 0x30200000L
        /* Groups that only a provider defines (ML-KEM and hybrids such as X25519MLKEM768, the
         * default of OpenSSL 3.5) have no NID; OpenSSL still knows their TLS name. */
        return SSL_get0_group_name(uvtls_engine_ssl(e));
#else
        return NULL;
#endif
    }
    return OBJ_nid2sn(nid);
}

int uvtls_engine_cert_request(const uvtls_engine *e, char ***names, size_t *count) {
    *names = NULL;
    *count = 0;
    if (uvtls_engine_is_server(e) || !uvtls_engine_ext_const(e)->peer.cert_request_seen)
        return 0;
    const STACK_OF(X509_NAME) *cas = SSL_get0_peer_CA_list(uvtls_engine_ssl(e));
    int n = cas ? sk_X509_NAME_num(cas) : 0;
    if (n <= 0)
        return 1;
    char **out = calloc((size_t)n, sizeof(char *));
    if (out == NULL)
        return -1;
    for (int i = 0; i < n; i++) {
        out[i] = uvtls_name_rfc4514(sk_X509_NAME_value(cas, i));
        if (out[i] == NULL) {
            uvtls_strings_free(out, (size_t)i);
            return -1;
        }
    }
    *names = out;
    *count = (size_t)n;
    return 1;
}
