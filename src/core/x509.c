/* x509: X509 -> uvtls_cert_info, following the format rules of Node's getPeerCertificate(). */
#include "core/x509.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/engine_internal.h"

/* A growable string; every append fails softly by setting `oom`. */
typedef struct strbuf {
    char *data;
    size_t len, cap;
    int oom;
} strbuf;

static void sb_append(strbuf *sb, const char *s, size_t n) {
    if (sb->oom)
        return;
    if (sb->len + n + 1 > sb->cap) {
        size_t cap = sb->cap ? sb->cap * 2 : 64;
        while (cap < sb->len + n + 1)
            cap *= 2;
        char *p = realloc(sb->data, cap);
        if (p == NULL) {
            sb->oom = 1;
            return;
        }
        sb->data = p;
        sb->cap = cap;
    }
    memcpy(sb->data + sb->len, s, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

static void sb_puts(strbuf *sb, const char *s) {
    sb_append(sb, s, strlen(s));
}

static char *sb_finish_len(strbuf *sb, size_t *len) {
    *len = sb->oom ? 0 : sb->len;
    if (sb->oom) {
        free(sb->data);
        return NULL;
    }
    if (sb->data == NULL)
        return strdup("");
    return sb->data;
}

static char *sb_finish(strbuf *sb) {
    size_t len;
    return sb_finish_len(sb, &len);
}

/* --- names ---------------------------------------------------------------------------------- */

static int push_field(uvtls_cert_fields *f, char *key, char *value, size_t value_len) {
    uvtls_cert_field *items = realloc(f->items, (f->count + 1) * sizeof(*items));
    if (items == NULL || key == NULL || value == NULL) {
        if (items != NULL)
            f->items = items;
        free(key);
        free(value);
        return -1;
    }
    f->items = items;
    f->items[f->count].key = key;
    f->items[f->count].value = value;
    f->items[f->count].value_len = value_len;
    f->count++;
    return 0;
}

static void free_fields(uvtls_cert_fields *f) {
    for (size_t i = 0; i < f->count; i++) {
        free(f->items[i].key);
        free(f->items[i].value);
    }
    free(f->items);
    f->items = NULL;
    f->count = 0;
}

static char *object_key(const ASN1_OBJECT *obj) {
    int nid = OBJ_obj2nid(obj);
    if (nid != NID_undef)
        return strdup(OBJ_nid2sn(nid));
    char buf[128];
    OBJ_obj2txt(buf, sizeof(buf), obj, 1);
    return strdup(buf);
}

static int name_fields(const X509_NAME *name, uvtls_cert_fields *out) {
    int n = X509_NAME_entry_count(name);
    for (int i = 0; i < n; i++) {
        const X509_NAME_ENTRY *entry = X509_NAME_get_entry(name, i);
        unsigned char *utf8 = NULL;
        int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
        if (len < 0) {
            ERR_clear_error();
            continue; /* a value OpenSSL cannot decode: leave it out, as Node does */
        }
        char *value = malloc((size_t)len + 1);
        if (value != NULL) {
            memcpy(value, utf8, (size_t)len);
            value[len] = '\0';
        }
        OPENSSL_free(utf8);
        /* `len` counts every byte, NUL included: the value keeps its full length. */
        if (push_field(out, object_key(X509_NAME_ENTRY_get_object(entry)), value, (size_t)len) < 0)
            return -1;
    }
    return 0;
}

/* --- subjectAltName and infoAccess ---------------------------------------------------------- */

/* Node prints names as they are when that is unambiguous, and otherwise as a JSON string, so that
 * a name holding ", DNS:" can never pass for a second name. */
static int alt_name_is_plain(const unsigned char *s, size_t n, int utf8) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == '"' || c == '\\' || c == ',' || c == '\'')
            return 0;
        if (utf8 ? (c < ' ' || c == 0x7f) : (c < ' ' || c > '~'))
            return 0;
    }
    return 1;
}

static void print_alt_name(strbuf *sb, const unsigned char *s, size_t n, int utf8,
                           const char *prefix) {
    if (alt_name_is_plain(s, n, utf8)) {
        if (prefix != NULL) {
            sb_puts(sb, prefix);
            sb_puts(sb, ":");
        }
        sb_append(sb, (const char *)s, n);
        return;
    }
    sb_puts(sb, "\"");
    if (prefix != NULL) {
        sb_puts(sb, prefix);
        sb_puts(sb, ":");
    }
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == '\\') {
            sb_puts(sb, "\\\\");
        } else if (c == '"') {
            sb_puts(sb, "\\\"");
        } else if ((c >= ' ' && c != ',' && c <= '~') || (utf8 && (c & 0x80))) {
            sb_append(sb, (const char *)&c, 1);
        } else {
            /* Commas too: some code still splits this string at commas. */
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
            sb_append(sb, u, sizeof(u));
        }
    }
    sb_puts(sb, "\"");
}

static void print_ia5(strbuf *sb, const ASN1_STRING *s) {
    print_alt_name(sb, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s), 0, NULL);
}

static int print_general_name(strbuf *sb, const GENERAL_NAME *gen) {
    char buf[256];
    switch (gen->type) {
    case GEN_DNS:
        sb_puts(sb, "DNS:");
        print_ia5(sb, gen->d.dNSName);
        return 0;
    case GEN_EMAIL:
        sb_puts(sb, "email:");
        print_ia5(sb, gen->d.rfc822Name);
        return 0;
    case GEN_URI:
        sb_puts(sb, "URI:");
        print_ia5(sb, gen->d.uniformResourceIdentifier);
        return 0;
    case GEN_DIRNAME:
        sb_puts(sb, "DirName:");
        if (X509_NAME_oneline(gen->d.directoryName, buf, sizeof(buf)) == NULL)
            return -1;
        print_alt_name(sb, (const unsigned char *)buf, strlen(buf), 0, NULL);
        return 0;
    case GEN_IPADD: {
        const unsigned char *b = ASN1_STRING_get0_data(gen->d.iPAddress);
        int len = ASN1_STRING_length(gen->d.iPAddress);
        sb_puts(sb, "IP Address:");
        if (len == 4) {
            snprintf(buf, sizeof(buf), "%d.%d.%d.%d", b[0], b[1], b[2], b[3]);
        } else if (len == 16) {
            size_t off = 0;
            for (int j = 0; j < 8; j++)
                off += (size_t)snprintf(buf + off, sizeof(buf) - off, j ? ":%X" : "%X",
                                        (unsigned)(b[2 * j] << 8 | b[2 * j + 1]));
        } else {
            snprintf(buf, sizeof(buf), "<invalid length=%d>", len);
        }
        sb_puts(sb, buf);
        return 0;
    }
    case GEN_RID:
        i2t_ASN1_OBJECT(buf, sizeof(buf), gen->d.registeredID);
        sb_puts(sb, "Registered ID:");
        sb_puts(sb, buf);
        return 0;
    case GEN_OTHERNAME: {
        /* The othername forms OpenSSL 3 knows, printed as OpenSSL prints them. */
        const char *prefix = NULL;
        int unicode = 1;
        switch (OBJ_obj2nid(gen->d.otherName->type_id)) {
        case NID_id_on_SmtpUTF8Mailbox:
            prefix = " SmtpUTF8Mailbox";
            break;
        case NID_XmppAddr:
            prefix = " XmppAddr";
            break;
        case NID_SRVName:
            prefix = " SRVName";
            unicode = 0;
            break;
        case NID_ms_upn:
            prefix = " UPN";
            break;
        case NID_NAIRealm:
            prefix = " NAIRealm";
            break;
        default:
            break;
        }
        const ASN1_TYPE *v = gen->d.otherName->value;
        if (prefix == NULL || (unicode && v->type != V_ASN1_UTF8STRING) ||
            (!unicode && v->type != V_ASN1_IA5STRING)) {
            sb_puts(sb, "othername:<unsupported>");
            return 0;
        }
        const ASN1_STRING *s = unicode ? v->value.utf8string : v->value.ia5string;
        sb_puts(sb, "othername:");
        print_alt_name(sb, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s), unicode,
                       prefix);
        return 0;
    }
    case GEN_X400:
        sb_puts(sb, "X400Name:<unsupported>");
        return 0;
    case GEN_EDIPARTY:
        sb_puts(sb, "EdiPartyName:<unsupported>");
        return 0;
    default:
        return -1;
    }
}

static char *subject_alt_name(const X509 *cert) {
    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    if (names == NULL) {
        ERR_clear_error();
        return NULL;
    }
    strbuf sb = {0};
    for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
        if (i > 0)
            sb_puts(&sb, ", ");
        if (print_general_name(&sb, sk_GENERAL_NAME_value(names, i)) < 0)
            break;
    }
    GENERAL_NAMES_free(names);
    return sb_finish(&sb);
}

/* Undoes print_alt_name()'s JSON quoting, as Node's JS layer does for infoAccess values. The
 * result may hold NUL (an escaped \u0000): its full length goes to `*out_len`. */
static char *unquote_json(const char *s, size_t *out_len) {
    size_t n = strlen(s);
    if (n < 2 || s[0] != '"' || s[n - 1] != '"') {
        *out_len = n;
        return strdup(s);
    }
    strbuf sb = {0};
    for (size_t i = 1; i + 1 < n; i++) {
        if (s[i] != '\\') {
            sb_append(&sb, s + i, 1);
        } else if (s[i + 1] == 'u' && i + 5 < n) {
            char hex[5] = {s[i + 2], s[i + 3], s[i + 4], s[i + 5], 0};
            unsigned long cp = strtoul(hex, NULL, 16);
            char out[3];
            size_t len = 1;
            if (cp < 0x80) {
                out[0] = (char)cp;
            } else { /* Latin-1 range only, so two UTF-8 bytes suffice */
                out[0] = (char)(0xC0 | (cp >> 6));
                out[1] = (char)(0x80 | (cp & 0x3F));
                len = 2;
            }
            sb_append(&sb, out, len);
            i += 5;
        } else {
            sb_append(&sb, s + i + 1, 1);
            i++;
        }
    }
    return sb_finish_len(&sb, out_len);
}

static int info_access(const X509 *cert, uvtls_cert_info *info) {
    AUTHORITY_INFO_ACCESS *descs = X509_get_ext_d2i(cert, NID_info_access, NULL, NULL);
    if (descs == NULL) {
        ERR_clear_error();
        return 0;
    }
    info->has_info_access = 1;
    int rc = 0;
    for (int i = 0; rc == 0 && i < sk_ACCESS_DESCRIPTION_num(descs); i++) {
        ACCESS_DESCRIPTION *desc = sk_ACCESS_DESCRIPTION_value(descs, i);
        char method[80];
        i2t_ASN1_OBJECT(method, sizeof(method), desc->method);
        strbuf line = {0};
        sb_puts(&line, method);
        sb_puts(&line, " - ");
        if (print_general_name(&line, desc->location) < 0) {
            free(sb_finish(&line));
            break;
        }
        char *text = sb_finish(&line);
        if (text == NULL)
            return -1;
        /* Key: everything up to the first ':' ("OCSP - URI"); value: the rest. */
        char *colon = strchr(text, ':');
        if (colon != NULL) {
            *colon = '\0';
            size_t value_len = 0;
            char *value = unquote_json(colon + 1, &value_len);
            rc = push_field(&info->info_access, strdup(text), value, value_len);
        }
        free(text);
    }
    AUTHORITY_INFO_ACCESS_free(descs);
    return rc;
}

/* --- public key ----------------------------------------------------------------------------- */

static char *bn_to_hex(const BIGNUM *bn) {
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL)
        return NULL;
    BN_print(bio, bn);
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    char *out = malloc((size_t)n + 1);
    if (out != NULL) {
        memcpy(out, data, (size_t)n);
        out[n] = '\0';
    }
    BIO_free(bio);
    return out;
}

static int rsa_fields(EVP_PKEY *pkey, uvtls_cert_info *info) {
    BIGNUM *n = NULL, *e = NULL;
    int rc = -1;
    if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) ||
        !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e))
        goto done;
    info->key_type = UVTLS_KEY_RSA;
    info->bits = BN_num_bits(n);
    info->modulus = bn_to_hex(n);
    char exp[32];
    snprintf(exp, sizeof(exp), "0x%llx", (unsigned long long)BN_get_word(e));
    info->exponent = strdup(exp);
    int len = i2d_PUBKEY(pkey, NULL);
    if (len > 0 && (info->pubkey = malloc((size_t)len)) != NULL) {
        unsigned char *p = info->pubkey;
        info->pubkey_len = (size_t)i2d_PUBKEY(pkey, &p);
    }
    rc = info->modulus && info->exponent && info->pubkey ? 0 : -1;
done:
    BN_free(n);
    BN_free(e);
    ERR_clear_error();
    return rc;
}

static int ec_fields(EVP_PKEY *pkey, uvtls_cert_info *info) {
    char group[80];
    size_t len = 0;
    info->key_type = UVTLS_KEY_EC;
    info->bits = EVP_PKEY_get_bits(pkey);
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                       NULL)) {
        int nid = OBJ_txt2nid(group);
        if (nid != NID_undef) {
            info->asn1_curve = OBJ_nid2sn(nid);
            info->nist_curve = EC_curve_nid2nist(nid);
        }
    }
    if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0, &len) &&
        (info->pubkey = malloc(len)) != NULL) {
        EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, info->pubkey, len,
                                        &info->pubkey_len);
    }
    ERR_clear_error();
    return 0;
}

/* --- the rest ------------------------------------------------------------------------------- */

static void print_time(const ASN1_TIME *t, char *out, size_t cap) {
    BIO *bio = BIO_new(BIO_s_mem());
    out[0] = '\0';
    if (bio == NULL)
        return;
    ASN1_TIME_print(bio, t);
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    snprintf(out, cap, "%.*s", (int)n, data);
    BIO_free(bio);
}

static void fingerprint(const X509 *cert, const EVP_MD *md, char *out, size_t cap) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    static const char hex[] = "0123456789ABCDEF";
    out[0] = '\0';
    if (!X509_digest(cert, md, digest, &n) || n * 3 > cap)
        return;
    for (unsigned i = 0; i < n; i++) {
        out[3 * i] = hex[digest[i] >> 4];
        out[3 * i + 1] = hex[digest[i] & 0xf];
        out[3 * i + 2] = i + 1 < n ? ':' : '\0';
    }
}

static int ext_key_usage(const X509 *cert, uvtls_cert_info *info) {
    EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(cert, NID_ext_key_usage, NULL, NULL);
    if (eku == NULL) {
        ERR_clear_error();
        return 0;
    }
    int n = sk_ASN1_OBJECT_num(eku);
    info->has_ext_key_usage = 1;
    info->ext_key_usage = calloc((size_t)n + 1, sizeof(char *));
    int rc = info->ext_key_usage ? 0 : -1;
    for (int i = 0; rc == 0 && i < n; i++) {
        char buf[128];
        OBJ_obj2txt(buf, sizeof(buf), sk_ASN1_OBJECT_value(eku, i), 1);
        if ((info->ext_key_usage[i] = strdup(buf)) == NULL)
            rc = -1;
        else
            info->ext_key_usage_count++;
    }
    sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
    return rc;
}

static char *serial_number(const X509 *cert) {
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    if (bn == NULL)
        return NULL;
    char *hex = BN_bn2hex(bn);
    BN_free(bn);
    char *out = hex ? strdup(hex) : NULL;
    OPENSSL_free(hex);
    return out;
}

uvtls_cert_info *uvtls_cert_info_new(const void *cert_ptr) {
    const X509 *cert = cert_ptr;
    uvtls_cert_info *info = calloc(1, sizeof(*info));
    if (info == NULL)
        return NULL;
    int rc = 0;
    rc |= name_fields(X509_get_subject_name(cert), &info->subject);
    rc |= name_fields(X509_get_issuer_name(cert), &info->issuer);
    info->subjectaltname = subject_alt_name(cert);
    rc |= info_access(cert, info);
    info->ca = X509_check_ca((X509 *)cert) == 1;
    EVP_PKEY *pkey = X509_get0_pubkey(cert);
    if (pkey != NULL) {
        int id = EVP_PKEY_get_base_id(pkey);
        if (id == EVP_PKEY_RSA)
            rc |= rsa_fields(pkey, info);
        else if (id == EVP_PKEY_EC)
            rc |= ec_fields(pkey, info);
    }
    print_time(X509_get0_notBefore(cert), info->valid_from, sizeof(info->valid_from));
    print_time(X509_get0_notAfter(cert), info->valid_to, sizeof(info->valid_to));
    fingerprint(cert, EVP_sha1(), info->fingerprint, sizeof(info->fingerprint));
    fingerprint(cert, EVP_sha256(), info->fingerprint256, sizeof(info->fingerprint256));
    fingerprint(cert, EVP_sha512(), info->fingerprint512, sizeof(info->fingerprint512));
    rc |= ext_key_usage(cert, info);
    info->serial_number = serial_number(cert);
    int len = i2d_X509(cert, NULL);
    if (len > 0 && (info->raw = malloc((size_t)len)) != NULL) {
        unsigned char *p = info->raw;
        info->raw_len = (size_t)i2d_X509(cert, &p);
    }
    ERR_clear_error();
    if (rc != 0 || info->serial_number == NULL || info->raw == NULL) {
        uvtls_cert_info_free(info);
        return NULL;
    }
    return info;
}

void uvtls_cert_info_free(uvtls_cert_info *info) {
    if (info == NULL)
        return;
    free_fields(&info->subject);
    free_fields(&info->issuer);
    free_fields(&info->info_access);
    free(info->subjectaltname);
    free(info->modulus);
    free(info->exponent);
    free(info->pubkey);
    for (size_t i = 0; i < info->ext_key_usage_count; i++)
        free(info->ext_key_usage[i]);
    free(info->ext_key_usage);
    free(info->serial_number);
    free(info->raw);
    free(info);
}

/* --- chains --------------------------------------------------------------------------------- */

static int chain_push(uvtls_cert_chain *chain, const X509 *cert) {
    uvtls_cert_info *info = uvtls_cert_info_new(cert);
    uvtls_cert_info **certs = /* NOLINTNEXTLINE(bugprone-sizeof-expression): pointer array */
        info ? realloc(chain->certs, (chain->count + 1) * sizeof(*certs)) : NULL;
    if (certs == NULL) {
        uvtls_cert_info_free(info);
        return -1;
    }
    chain->certs = certs;
    chain->certs[chain->count++] = info;
    return 0;
}

static int self_issued(X509 *cert) {
    return X509_check_issued(cert, cert) == X509_V_OK;
}

/* A chain longer than this is not a chain anyone issued on purpose; OpenSSL's own verification
 * depth limit is 100. */
enum { CHAIN_MAX_DEPTH = 100 };

/* Whether `x` is already in `walked` (the same certificate, by content). */
static int already_walked(STACK_OF(X509) * walked, const X509 *x) {
    for (int i = 0; i < sk_X509_num(walked); i++) {
        if (X509_cmp(sk_X509_value(walked, i), x) == 0)
            return 1;
    }
    return 0;
}

/* Follows issuers first among what the peer sent, then in our trust store, as Node does; the
 * result is the chain the peer proved, not necessarily one that verifies.
 *
 * The walk is bounded: it stops at a certificate seen before and at CHAIN_MAX_DEPTH. Both
 * happen with ordinary set-ups: a trusted self-signed certificate whose keyUsage lacks
 * keyCertSign is not "self-issued" to X509_check_issued(), yet the store returns it as its own
 * issuer; two CAs that cross-sign each other name each other forever. */
uvtls_cert_chain *uvtls_engine_peer_chain(const uvtls_engine *e, int detailed) {
    SSL *ssl = uvtls_engine_ssl(e);
    X509 *leaf = SSL_get0_peer_certificate(ssl);
    if (leaf == NULL)
        return NULL;
    uvtls_cert_chain *chain = calloc(1, sizeof(*chain));
    if (chain == NULL || chain_push(chain, leaf) < 0)
        goto oom;
    if (!detailed)
        return chain;

    STACK_OF(X509) *walked = sk_X509_new_null(); /* borrowed pointers, for the repeat check */
    STACK_OF(X509) *sent = SSL_get_peer_cert_chain(ssl); /* includes the leaf on a client */
    STACK_OF(X509) *pool = sk_X509_new_null();
    if (pool == NULL || walked == NULL || !sk_X509_push(walked, leaf)) {
        sk_X509_free(pool);
        sk_X509_free(walked);
        goto oom;
    }
    for (int i = 0; sent != NULL && i < sk_X509_num(sent); i++) {
        X509 *x = sk_X509_value(sent, i);
        if (X509_cmp(x, leaf) != 0)
            sk_X509_push(pool, x); /* borrowed: the SSL keeps them alive */
    }
    X509 *current = leaf;
    X509_up_ref(current);
    int own_issuer = 0; /* the walk ended at a certificate that names itself as issuer */
    for (int found = 1; found && !self_issued(current) && chain->count < CHAIN_MAX_DEPTH;) {
        found = 0;
        for (int i = 0; i < sk_X509_num(pool); i++) {
            X509 *candidate = sk_X509_value(pool, i);
            if (X509_check_issued(candidate, current) != X509_V_OK)
                continue;
            sk_X509_delete(pool, i);
            if (already_walked(walked, candidate))
                break; /* a loop among what the peer sent */
            X509_up_ref(candidate);
            X509_free(current);
            current = candidate;
            found = sk_X509_push(walked, current) && chain_push(chain, current) == 0;
            break;
        }
    }
    sk_X509_free(pool);

    /* Certificates from the store are kept referenced until the walk ends (`held`), so the
     * repeat check never compares against a freed one. */
    STACK_OF(X509) *held = sk_X509_new_null();
    X509_STORE *store = SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl));
    X509_STORE_CTX *sctx = X509_STORE_CTX_new();
    if (held != NULL && sctx != NULL && X509_STORE_CTX_init(sctx, store, current, NULL)) {
        while (!self_issued(current) && chain->count < CHAIN_MAX_DEPTH) {
            X509 *issuer = NULL;
            if (X509_STORE_CTX_get1_issuer(&issuer, sctx, current) <= 0 || issuer == NULL)
                break;
            if (X509_cmp(issuer, current) == 0)
                own_issuer = 1;
            if (already_walked(walked, issuer) || !sk_X509_push(held, issuer)) {
                X509_free(issuer);
                break;
            }
            X509_up_ref(issuer);
            X509_free(current);
            current = issuer;
            if (!sk_X509_push(walked, current) || chain_push(chain, current) < 0)
                break;
        }
    }
    X509_STORE_CTX_free(sctx);
    chain->last_is_self_issued = self_issued(current) || own_issuer;
    X509_free(current);
    sk_X509_pop_free(held, X509_free);
    sk_X509_free(walked);
    ERR_clear_error();
    return chain;
oom:
    uvtls_cert_chain_free(chain);
    ERR_clear_error();
    return NULL;
}

uvtls_cert_chain *uvtls_engine_own_chain(const uvtls_engine *e) {
    X509 *own = SSL_get_certificate(uvtls_engine_ssl(e));
    if (own == NULL)
        return NULL;
    uvtls_cert_chain *chain = calloc(1, sizeof(*chain));
    if (chain == NULL || chain_push(chain, own) < 0) {
        uvtls_cert_chain_free(chain);
        return NULL;
    }
    return chain;
}

void uvtls_cert_chain_free(uvtls_cert_chain *chain) {
    if (chain == NULL)
        return;
    for (size_t i = 0; i < chain->count; i++)
        uvtls_cert_info_free(chain->certs[i]);
    free(chain->certs);
    free(chain);
}
