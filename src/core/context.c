/* context: SSL_CTX construction with Node's option semantics. */
#include "core/context_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/opensslv.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/extensions.h"
#include "core/tickets.h"
#include "core/verify.h"

struct uvtls_context {
    SSL_CTX *ssl_ctx;
    int refs;
    /* The cert store is the shared default roots until the first `ca`, CRL or PKCS#12 CA needs a
     * store of this context's own: those must never leak into other contexts. */
    int store_is_shared;
    int store_has_default_roots;
    /* Key types (EVP_PKEY_*) of the certificates and keys loaded, for uvtls_context_check_keys:
     * OpenSSL offers no way to list its per-type slots. */
    int cert_types[8], key_types[8];
    int n_cert_types, n_key_types;
    uvtls_ticket_keys ticket_keys;
    /* Handshake steps run on pool threads (src/net/handshake_pool.h) while the owner may rotate
     * the keys (setTicketKeys) on the loop thread: the keys are read and written under it. */
    CRYPTO_RWLOCK *ticket_lock;
    /* The session id context set by the owner (sessionIdContext, createServer's default). */
    unsigned char sid_ctx[SSL_MAX_SID_CTX_LENGTH];
    unsigned sid_ctx_len;
    int sid_ctx_set;
};

struct uvtls_trust_store {
    X509_STORE *store;
};

static const char *const STAGE = "context";

static void note_type(int *types, int *n, const EVP_PKEY *k) {
    int id = k ? EVP_PKEY_get_base_id(k) : 0;
    for (int i = 0; i < *n; i++) {
        if (types[i] == id)
            return;
    }
    if (*n < 8)
        types[(*n)++] = id;
}

static int has_type(const int *types, int n, int id) {
    for (int i = 0; i < n; i++) {
        if (types[i] == id)
            return 1;
    }
    return 0;
}

SSL_CTX *uvtls_context_ssl_ctx(uvtls_context *ctx) {
    return ctx->ssl_ctx;
}

uvtls_context *uvtls_context_from_ssl_ctx(const SSL_CTX *c) {
    return SSL_CTX_get_app_data(c);
}

void uvtls_context_copy_ticket_keys(uvtls_context *ctx, uvtls_ticket_keys *out) {
    CRYPTO_THREAD_read_lock(ctx->ticket_lock);
    *out = ctx->ticket_keys;
    CRYPTO_THREAD_unlock(ctx->ticket_lock);
}

void uvtls_context_store_ticket_keys(uvtls_context *ctx, const uvtls_ticket_keys *keys) {
    CRYPTO_THREAD_write_lock(ctx->ticket_lock);
    ctx->ticket_keys = *keys;
    CRYPTO_THREAD_unlock(ctx->ticket_lock);
}

uvtls_context *uvtls_context_new(uvtls_error *err) {
    uvtls_context *ctx = calloc(1, sizeof(*ctx));
    if (ctx == NULL) {
        uvtls_error_set(err, STAGE, "ERR_UVTLS_OUT_OF_MEMORY", "out of memory");
        return NULL;
    }
    ctx->ticket_lock = CRYPTO_THREAD_lock_new();
    ctx->ssl_ctx = ctx->ticket_lock != NULL ? SSL_CTX_new(TLS_method()) : NULL;
    if (ctx->ssl_ctx == NULL) {
        CRYPTO_THREAD_lock_free(ctx->ticket_lock);
        free(ctx);
        uvtls_error_openssl(err, STAGE, "ERR_UVTLS_OPENSSL", "SSL_CTX_new failed");
        return NULL;
    }
    ctx->refs = 1;
    SSL_CTX *c = ctx->ssl_ctx;
    /* The app data slot (ex_data index 0) is reserved by OpenSSL and has no callbacks. uvtls
     * registers no ex_data index or callback of its own: those are process-wide and would
     * outlive the addon once a worker that loaded it exits (see tickets.c). */
    SSL_CTX_set_app_data(c, ctx);
    SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(c, TLS1_3_VERSION);
    /* No compression (CRIME); no renegotiation started by clients (a cheap DoS lever). */
    SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    /* Idle connections keep no record buffers; partial writes let the engine hand over whatever
     * was encrypted. */
    SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                            SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* Never let OpenSSL prompt on the terminal for a passphrase. */
    SSL_CTX_set_default_passwd_cb(c, NULL);
    uvtls_verify_install(c);
    uvtls_extensions_install(c);
    if (uvtls_tickets_install(c, ctx) < 0) {
        uvtls_context_unref(ctx);
        uvtls_error_set(err, STAGE, "ERR_UVTLS_OUT_OF_MEMORY", "cannot make ticket keys");
        return NULL;
    }
    return ctx;
}

uvtls_context *uvtls_context_ref(uvtls_context *ctx) {
    ctx->refs++;
    return ctx;
}

void uvtls_context_unref(uvtls_context *ctx) {
    if (ctx == NULL || --ctx->refs > 0)
        return;
    /* An SSL that switched away from this SSL_CTX (SNI) may still hold a reference to it; it
     * must not find the freed context through the app data. */
    SSL_CTX_set_app_data(ctx->ssl_ctx, NULL);
    SSL_CTX_free(ctx->ssl_ctx);
    OPENSSL_cleanse(&ctx->ticket_keys, sizeof(ctx->ticket_keys));
    CRYPTO_THREAD_lock_free(ctx->ticket_lock);
    free(ctx);
}

static int version_rank(int v) {
    return v == TLS1_3_VERSION ? 3 : v == TLS1_2_VERSION ? 2 : 0;
}

static const char *version_name(int v) {
    return v == TLS1_3_VERSION ? "TLSv1.3" : v == TLS1_2_VERSION ? "TLSv1.2" : "unknown";
}

int uvtls_context_set_protocol_range(uvtls_context *ctx, int min_version, int max_version,
                                     uvtls_error *err) {
    if (version_rank(min_version) == 0 || version_rank(max_version) == 0)
        return uvtls_error_set(err, STAGE, "ERR_TLS_INVALID_PROTOCOL_VERSION",
                               "only TLSv1.2 and TLSv1.3 are supported");
    if (version_rank(min_version) > version_rank(max_version))
        return uvtls_error_set(err, STAGE, "ERR_TLS_PROTOCOL_VERSION_CONFLICT",
                               "minVersion %s is above maxVersion %s", version_name(min_version),
                               version_name(max_version));
    if (!SSL_CTX_set_min_proto_version(ctx->ssl_ctx, min_version) ||
        !SSL_CTX_set_max_proto_version(ctx->ssl_ctx, max_version))
        return uvtls_error_openssl(err, STAGE, "ERR_TLS_INVALID_PROTOCOL_VERSION",
                                   "cannot set protocol versions");
    return 0;
}

int uvtls_context_min_version(const uvtls_context *ctx) {
    return (int)SSL_CTX_get_min_proto_version(ctx->ssl_ctx);
}

int uvtls_context_max_version(const uvtls_context *ctx) {
    return (int)SSL_CTX_get_max_proto_version(ctx->ssl_ctx);
}

/* Passphrase callback: copies the caller's passphrase, or fails without prompting. */
static int passphrase_cb(char *buf, int size, int rwflag, void *userdata) {
    (void)rwflag;
    /* Without a passphrase, try the empty one: decryption then fails with "bad decrypt", the
     * same result (and error code) Node gives, instead of a prompt on the terminal. */
    const char *pass = userdata ? userdata : "";
    if (size <= 0)
        return -1;
    size_t n = strlen(pass);
    if (n > (size_t)size)
        n = (size_t)size;
    /* NOLINTNEXTLINE(bugprone-not-null-terminated-result): OpenSSL takes the length */
    memcpy(buf, pass, n);
    return (int)n;
}

static BIO *bio_from(const void *data, size_t len, uvtls_error *err) {
    if (len > INT32_MAX) {
        uvtls_error_set(err, STAGE, "ERR_OUT_OF_RANGE", "input of %zu bytes is too large", len);
        return NULL;
    }
    BIO *bio = BIO_new_mem_buf(data, (int)len);
    if (bio == NULL)
        uvtls_error_openssl(err, STAGE, "ERR_UVTLS_OUT_OF_MEMORY", "out of memory");
    return bio;
}

static int contains(const void *data, size_t len, const char *needle) {
    const size_t m = strlen(needle);
    for (size_t i = 0; i + m <= len; i++) {
        if (memcmp((const char *)data + i, needle, m) == 0)
            return 1;
    }
    return 0;
}

static int looks_like_pem(const void *data, size_t len) {
    return contains(data, len, "-----BEGIN");
}

/* When PEM parsing failed, tell people whether they handed us DER or PKCS#12, the two formats
 * most often given by mistake, and which command converts them. */
static void hint_for_non_pem(uvtls_error *err, const void *data, size_t len, const char *what) {
    if (len == 0 || looks_like_pem(data, len))
        return;
    const unsigned char *p = data;
    PKCS12 *p12 = len <= INT32_MAX ? d2i_PKCS12(NULL, &p, (long)len) : NULL;
    if (p12 != NULL) {
        PKCS12_free(p12);
        uvtls_error_set_hint(err, "This is a PKCS#12 (PFX) file; pass it as `pfx` with its "
                                  "`passphrase`, or convert it with `openssl pkcs12 -in f.p12 "
                                  "-nodes -out f.pem`.");
    } else if (((const unsigned char *)data)[0] == 0x30) {
        if (strcmp(what, "key") == 0)
            uvtls_error_set_hint(err, "This looks like a DER (binary) key; convert it to PEM with "
                                      "`openssl pkey -inform der -in key.der -out key.pem`.");
        else
            uvtls_error_set_hint(err,
                                 "This looks like a DER (binary) certificate; convert it to PEM "
                                 "with `openssl x509 -inform der -in cert.der -out cert.pem`.");
    }
    ERR_clear_error();
}

int uvtls_context_add_key(uvtls_context *ctx, const void *pem, size_t len, const char *passphrase,
                          uvtls_error *err) {
    BIO *bio = bio_from(pem, len, err);
    if (bio == NULL)
        return -1;
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, passphrase_cb, (void *)passphrase);
    BIO_free(bio);
    if (key == NULL) {
        uvtls_error_openssl(err, STAGE, "ERR_OSSL_PEM_NO_START_LINE", "cannot read private key");
        hint_for_non_pem(err, pem, len, "key");
        /* A wrong passphrase usually fails the padding check ("bad decrypt"), but about one time
         * in 256 the garbage passes it and the decoder fails instead ("unsupported"). Either way
         * the cause is the passphrase: say so every time. */
        if (contains(pem, len, "ENCRYPTED") && strcmp(err->code, "ERR_OSSL_BAD_DECRYPT") != 0) {
            snprintf(err->code, sizeof(err->code), "%s", "ERR_OSSL_BAD_DECRYPT");
            uvtls_error_set_hint(err, uvtls_error_hint("ERR_OSSL_BAD_DECRYPT"));
        }
        return -1;
    }
    int ok = SSL_CTX_use_PrivateKey(ctx->ssl_ctx, key);
    if (ok)
        note_type(ctx->key_types, &ctx->n_key_types, key);
    EVP_PKEY_free(key);
    if (!ok)
        return uvtls_error_openssl(err, STAGE, "ERR_OSSL_X509_KEY_VALUES_MISMATCH",
                                   "private key does not match the certificate");
    return 0;
}

int uvtls_context_add_cert(uvtls_context *ctx, const void *pem, size_t len, uvtls_error *err) {
    BIO *bio = bio_from(pem, len, err);
    if (bio == NULL)
        return -1;
    X509 *leaf = PEM_read_bio_X509_AUX(bio, NULL, passphrase_cb, NULL);
    if (leaf == NULL) {
        BIO_free(bio);
        uvtls_error_openssl(err, STAGE, "ERR_OSSL_PEM_NO_START_LINE", "cannot read certificate");
        hint_for_non_pem(err, pem, len, "cert");
        return -1;
    }
    STACK_OF(X509) *chain = sk_X509_new_null();
    X509 *extra;
    while (chain != NULL && (extra = PEM_read_bio_X509(bio, NULL, passphrase_cb, NULL)) != NULL) {
        if (!sk_X509_push(chain, extra)) {
            X509_free(extra);
            break;
        }
    }
    BIO_free(bio);
    /* The loop ends on "no start line" at the end of the data; anything else is damage. */
    unsigned long last = ERR_peek_last_error();
    int ok = chain != NULL && (last == 0 || (ERR_GET_LIB(last) == ERR_LIB_PEM &&
                                             ERR_GET_REASON(last) == PEM_R_NO_START_LINE));
    if (!ok) {
        X509_free(leaf);
        sk_X509_pop_free(chain, X509_free);
        return uvtls_error_openssl(err, STAGE, "ERR_OSSL_PEM_NO_START_LINE",
                                   "cannot read certificate chain");
    }
    ERR_clear_error();
    /* Not SSL_CTX_use_cert_and_key(leaf, NULL, ...): with no key it would take the
     * certificate's public key as the private key and drop a key loaded earlier. */
    /* No intermediates given: the chain is left unset (not empty), so OpenSSL builds it at
     * handshake time from the trusted certificates, as in Node (intermediates given in `ca`
     * are sent). An empty stack would turn that off. */
    ok = SSL_CTX_use_certificate(ctx->ssl_ctx, leaf) == 1 &&
         SSL_CTX_set1_chain(ctx->ssl_ctx, sk_X509_num(chain) > 0 ? chain : NULL) == 1;
    if (ok)
        note_type(ctx->cert_types, &ctx->n_cert_types, X509_get0_pubkey(leaf));
    X509_free(leaf);
    sk_X509_pop_free(chain, X509_free);
    if (!ok)
        return uvtls_error_openssl(err, STAGE, "ERR_UVTLS_BAD_CERTIFICATE",
                                   "cannot use certificate");
    return 0;
}

/* Gives this context a store of its own. The shared default roots must never be modified, and
 * `ca` replaces them: `keep_roots` says whether the roots seen so far stay trusted. CRLs and
 * verification flags always carry over. */
static int own_store(uvtls_context *ctx, int keep_roots, uvtls_error *err) {
    if (!ctx->store_has_default_roots)
        return 0; /* already our own, without roots to drop */
    if (!ctx->store_is_shared && keep_roots)
        return 0;
    X509_STORE *old = SSL_CTX_get_cert_store(ctx->ssl_ctx);
    X509_STORE *store = X509_STORE_new();
    if (store == NULL)
        return uvtls_error_openssl(err, STAGE, "ERR_UVTLS_OUT_OF_MEMORY", "out of memory");
    if (old != NULL) {
        STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(old);
        for (int i = 0; i < sk_X509_OBJECT_num(objs); i++) {
            X509_OBJECT *obj = sk_X509_OBJECT_value(objs, i);
            X509 *x = X509_OBJECT_get0_X509(obj);
            X509_CRL *crl = X509_OBJECT_get0_X509_CRL(obj);
            if (x != NULL && keep_roots)
                X509_STORE_add_cert(store, x);
            if (crl != NULL)
                X509_STORE_add_crl(store, crl);
        }
        X509_STORE_set1_param(store, X509_STORE_get0_param(old));
    }
    SSL_CTX_set_cert_store(ctx->ssl_ctx, store); /* frees the old one (or drops its ref) */
    ctx->store_is_shared = 0;
    ctx->store_has_default_roots = keep_roots;
    return 0;
}

static int add_trusted(uvtls_context *ctx, X509 *x) {
    X509_STORE *store = SSL_CTX_get_cert_store(ctx->ssl_ctx);
    /* A duplicate is not an error: Node accepts the same CA twice. */
    if (!X509_STORE_add_cert(store, x))
        ERR_clear_error();
    return SSL_CTX_add_client_CA(ctx->ssl_ctx, x);
}

/* Adds every certificate of a PEM bundle to the trust store, as Node's addCACert does:
 * `TRUSTED CERTIFICATE` blocks are read too (PEM_read_bio_X509_AUX), and PEM blocks of other
 * kinds (a key, parameters) are skipped. PEM holding no certificate at all adds nothing (Node
 * then trusts nothing extra: the peer fails verification, so this is never less safe). Data
 * that is not PEM at all (DER, PKCS#12, a file name given as `ca`) is refused with a hint:
 * that is always a mistake, and silently trusting nothing would hide it. */
static int add_pem_cas(uvtls_context *ctx, const void *pem, size_t len, uvtls_error *err) {
    BIO *bio = bio_from(pem, len, err);
    if (bio == NULL)
        return -1;
    int count = 0;
    X509 *x;
    while ((x = PEM_read_bio_X509_AUX(bio, NULL, passphrase_cb, NULL)) != NULL) {
        int ok = add_trusted(ctx, x);
        X509_free(x);
        if (!ok) {
            BIO_free(bio);
            return uvtls_error_openssl(err, STAGE, "ERR_UVTLS_BAD_CERTIFICATE",
                                       "cannot add certificate");
        }
        count++;
    }
    BIO_free(bio);
    unsigned long last = ERR_peek_last_error();
    int at_end = last == 0 ||
                 (ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE);
    if (!at_end || (count == 0 && !looks_like_pem(pem, len))) {
        uvtls_error_openssl(err, STAGE, "ERR_OSSL_PEM_NO_START_LINE", "cannot read certificate");
        hint_for_non_pem(err, pem, len, "ca");
        return -1;
    }
    ERR_clear_error();
    return 0;
}

int uvtls_context_add_ca(uvtls_context *ctx, const void *pem, size_t len, uvtls_error *err) {
    UVTLS_GUARD(own_store(ctx, 0, err));
    return add_pem_cas(ctx, pem, len, err);
}

int uvtls_context_add_ca_cert(uvtls_context *ctx, const void *pem, size_t len, uvtls_error *err) {
    UVTLS_GUARD(own_store(ctx, 1, err));
    return add_pem_cas(ctx, pem, len, err);
}

void uvtls_context_allow_partial_trust_chain(uvtls_context *ctx) {
    /* On the context's verification parameters, which every SSL inherits: the store may still
     * be the shared default roots, which must not change. */
    X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx->ssl_ctx), X509_V_FLAG_PARTIAL_CHAIN);
}

int uvtls_context_add_crl(uvtls_context *ctx, const void *pem, size_t len, uvtls_error *err) {
    UVTLS_GUARD(own_store(ctx, 1, err));
    X509_STORE *store = SSL_CTX_get_cert_store(ctx->ssl_ctx);
    BIO *bio = bio_from(pem, len, err);
    if (bio == NULL)
        return -1;
    int count = 0;
    X509_CRL *crl;
    while ((crl = PEM_read_bio_X509_CRL(bio, NULL, passphrase_cb, NULL)) != NULL) {
        X509_STORE_add_crl(store, crl);
        X509_CRL_free(crl);
        count++;
    }
    BIO_free(bio);
    if (count == 0) {
        ERR_clear_error();
        uvtls_error_set(err, STAGE, "ERR_CRYPTO_OPERATION_FAILED", "Failed to parse CRL");
        uvtls_error_set_hint(err, uvtls_error_hint("hint:crl"));
        return -1;
    }
    ERR_clear_error();
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    return 0;
}

/* Node's errors for a PFX that parses badly: legacy encryption OpenSSL 3 no longer loads, or a
 * bundle without its key or certificate. Anything else keeps OpenSSL's own reason. */
static int pkcs12_error(uvtls_error *err, int parsed, int no_key) {
    if (parsed) {
        ERR_clear_error();
        uvtls_error_set(err, STAGE, "ERR_CRYPTO_OPERATION_FAILED",
                        no_key ? "Unable to load private key from PFX data"
                               : "Unable to load certificate from PFX data");
        uvtls_error_set_hint(err,
                             "The PFX holds no private key or no certificate; export it again "
                             "with both (`openssl pkcs12 -export -inkey key.pem -in cert.pem`).");
        return -1;
    }
    unsigned long e = ERR_peek_error();
    if (ERR_GET_REASON(e) == ERR_R_UNSUPPORTED) {
        ERR_clear_error();
        uvtls_error_set(err, STAGE, "ERR_CRYPTO_UNSUPPORTED_OPERATION",
                        "Unsupported PKCS12 PFX data");
        uvtls_error_set_hint(err,
                             "The PFX uses legacy encryption (RC2 or 3DES) that OpenSSL 3 does not "
                             "load; convert it: `openssl pkcs12 -legacy -in old.pfx -nodes | "
                             "openssl pkcs12 -export -out new.pfx`.");
        return -1;
    }
    return uvtls_error_openssl(err, STAGE, "ERR_UVTLS_BAD_PFX", "cannot read PFX data");
}

int uvtls_context_add_pkcs12(uvtls_context *ctx, const void *der, size_t len,
                             const char *passphrase, uvtls_error *err) {
    BIO *bio = bio_from(der, len, err);
    if (bio == NULL)
        return -1;
    PKCS12 *p12 = d2i_PKCS12_bio(bio, NULL);
    BIO_free(bio);
    if (p12 == NULL) {
        uvtls_error_openssl(err, STAGE, "ERR_OSSL_PKCS12_NOT_ENOUGH_DATA", "cannot read PFX data");
        uvtls_error_set_hint(err, uvtls_error_hint("hint:pfx"));
        return -1;
    }
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    STACK_OF(X509) *extra = NULL;
    int ok = PKCS12_parse(p12, passphrase ? passphrase : "", &key, &cert, &extra);
    PKCS12_free(p12);
    if (!ok || key == NULL || cert == NULL) {
        EVP_PKEY_free(key);
        X509_free(cert);
        sk_X509_pop_free(extra, X509_free);
        return pkcs12_error(err, ok, key == NULL);
    }
    ok = SSL_CTX_use_cert_and_key(ctx->ssl_ctx, cert, key, extra, 1) == 1;
    if (ok) {
        note_type(ctx->cert_types, &ctx->n_cert_types, key);
        note_type(ctx->key_types, &ctx->n_key_types, key);
    }
    /* CA certificates shipped in the bundle are trusted and named to clients, as in Node. */
    for (int i = 0; ok && i < sk_X509_num(extra); i++) {
        X509 *ca = sk_X509_value(extra, i);
        if (X509_check_ca(ca) != 1)
            continue;
        if (own_store(ctx, 1, err) < 0) {
            ok = -1;
            break;
        }
        add_trusted(ctx, ca);
    }
    EVP_PKEY_free(key);
    X509_free(cert);
    sk_X509_pop_free(extra, X509_free);
    if (ok < 0)
        return -1;
    if (!ok)
        return uvtls_error_openssl(err, STAGE, "ERR_OSSL_X509_KEY_VALUES_MISMATCH",
                                   "cannot use PFX key and certificate");
    return 0;
}

static const char *key_type_name(int id) {
    switch (id) {
    case EVP_PKEY_RSA:
        return "RSA";
    case EVP_PKEY_RSA_PSS:
        return "RSA-PSS";
    case EVP_PKEY_EC:
        return "EC";
    case EVP_PKEY_ED25519:
        return "Ed25519";
    case EVP_PKEY_ED448:
        return "Ed448";
    default:
        return "other";
    }
}

int uvtls_context_check_keys(uvtls_context *ctx, uvtls_error *err) {
    /* OpenSSL keeps one certificate/key pair per key type, so an RSA key next to an EC
     * certificate is accepted quietly and the server later fails every handshake. Check each
     * slot now. */
    const char *lone_cert = NULL, *lone_key = NULL;
    for (int i = 0; i < ctx->n_cert_types; i++) {
        if (!has_type(ctx->key_types, ctx->n_key_types, ctx->cert_types[i]))
            lone_cert = key_type_name(ctx->cert_types[i]);
    }
    for (int i = 0; i < ctx->n_key_types; i++) {
        if (!has_type(ctx->cert_types, ctx->n_cert_types, ctx->key_types[i]))
            lone_key = key_type_name(ctx->key_types[i]);
    }
    if (lone_cert != NULL && lone_key != NULL)
        return uvtls_error_set(err, STAGE, "ERR_OSSL_X509_KEY_VALUES_MISMATCH",
                               "key values mismatch: the private key is %s but the certificate "
                               "is %s",
                               lone_key, lone_cert);
    if (lone_cert != NULL)
        return uvtls_error_set(err, STAGE, "ERR_UVTLS_MISSING_KEY",
                               "a certificate was given without its private key");
    if (lone_key != NULL)
        return uvtls_error_set(err, STAGE, "ERR_UVTLS_MISSING_CERT",
                               "a private key was given without its certificate");
    return 0;
}

int uvtls_context_set_ciphers(uvtls_context *ctx, const char *tls12, const char *tls13,
                              uvtls_error *err) {
    if (tls12 != NULL && !SSL_CTX_set_cipher_list(ctx->ssl_ctx, tls12))
        return uvtls_error_openssl(err, STAGE, "ERR_SSL_NO_CIPHER_MATCH", "no cipher match");
    if (tls13 != NULL && !SSL_CTX_set_ciphersuites(ctx->ssl_ctx, tls13))
        return uvtls_error_openssl(err, STAGE, "ERR_SSL_NO_CIPHER_MATCH", "no cipher match");
    return 0;
}

int uvtls_context_set_groups(uvtls_context *ctx, const char *groups, uvtls_error *err) {
    if (strcmp(groups, "auto") == 0)
        return 0;
    if (!SSL_CTX_set1_groups_list(ctx->ssl_ctx, groups)) {
        ERR_clear_error();
        uvtls_error_set(err, STAGE, "ERR_CRYPTO_OPERATION_FAILED",
                        "Failed to set ECDH curve: unknown curve in '%s'", groups);
        uvtls_error_set_hint(err, uvtls_error_hint("hint:ecdhCurve"));
        return -1;
    }
    return 0;
}

int uvtls_context_set_sigalgs(uvtls_context *ctx, const char *sigalgs, uvtls_error *err) {
    if (!SSL_CTX_set1_sigalgs_list(ctx->ssl_ctx, sigalgs)) {
        ERR_clear_error();
        uvtls_error_set(err, STAGE, "ERR_CRYPTO_OPERATION_FAILED",
                        "Failed to set sigalgs: unknown algorithm in '%s'", sigalgs);
        uvtls_error_set_hint(err, uvtls_error_hint("hint:sigalgs"));
        return -1;
    }
    return 0;
}

int uvtls_context_set_dhparam(uvtls_context *ctx, const void *pem, size_t len, uvtls_error *err) {
    if (len == 4 && memcmp(pem, "auto", 4) == 0) {
        SSL_CTX_set_dh_auto(ctx->ssl_ctx, 1);
        return 0;
    }
    BIO *bio = bio_from(pem, len, err);
    if (bio == NULL)
        return -1;
    EVP_PKEY *dh = PEM_read_bio_Parameters(bio, NULL);
    BIO_free(bio);
    if (dh == NULL || EVP_PKEY_get_base_id(dh) != EVP_PKEY_DH) {
        EVP_PKEY_free(dh);
        ERR_clear_error();
        uvtls_error_set(err, STAGE, "ERR_INVALID_ARG_VALUE", "cannot read DH parameters");
        uvtls_error_set_hint(err, uvtls_error_hint("hint:dhparam"));
        return -1;
    }
    int bits = EVP_PKEY_get_bits(dh);
    if (bits < 1024) {
        EVP_PKEY_free(dh);
        uvtls_error_set(err, STAGE, "ERR_INVALID_ARG_VALUE",
                        "DH parameter is less than 1024 bits (%d)", bits);
        uvtls_error_set_hint(err, uvtls_error_hint("hint:dhparam"));
        return -1;
    }
    if (!SSL_CTX_set0_tmp_dh_pkey(ctx->ssl_ctx, dh)) {
        EVP_PKEY_free(dh);
        return uvtls_error_openssl(err, STAGE, "ERR_UVTLS_BAD_DHPARAM", "cannot use DH parameters");
    }
    return 0; /* the context owns `dh` now */
}

int uvtls_context_set_session_id_context(uvtls_context *ctx, const void *id, size_t len,
                                         uvtls_error *err) {
    if (len > SSL_MAX_SID_CTX_LENGTH)
        return uvtls_error_set(err, STAGE, "ERR_OUT_OF_RANGE",
                               "sessionIdContext is longer than %d bytes", SSL_MAX_SID_CTX_LENGTH);
    if (!SSL_CTX_set_session_id_context(ctx->ssl_ctx, id, (unsigned)len))
        return uvtls_error_openssl(err, STAGE, "ERR_UVTLS_OPENSSL", "cannot set sessionIdContext");
    if (len > 0)
        memcpy(ctx->sid_ctx, id, len);
    ctx->sid_ctx_len = (unsigned)len;
    ctx->sid_ctx_set = 1;
    return 0;
}

void uvtls_context_apply_session_id_context(uvtls_context *ctx, SSL *ssl) {
    /* A server that asks for client certificates refuses to resume any session without a session
     * id context (ERR_SSL_SESSION_ID_CONTEXT_UNINITIALIZED), and a context may serve a server
     * however it was made (SNICallback, addContext, the secureContext option). A context without
     * one of its own serves with a default. Only on the SSL of a server: a client whose SSL has
     * a session id context refuses TLS 1.3 external-PSK sessions, which carry none. */
    static const unsigned char default_sid_ctx[] = "uvtls";
    if (ctx->sid_ctx_set)
        SSL_set_session_id_context(ssl, ctx->sid_ctx, ctx->sid_ctx_len);
    else
        SSL_set_session_id_context(ssl, default_sid_ctx, sizeof(default_sid_ctx) - 1);
}

void uvtls_context_set_options(uvtls_context *ctx, long options) {
    SSL_CTX_set_options(ctx->ssl_ctx, (uint64_t)options);
}

void uvtls_context_set_honor_cipher_order(uvtls_context *ctx, int on) {
    if (on)
        SSL_CTX_set_options(ctx->ssl_ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
    else
        SSL_CTX_clear_options(ctx->ssl_ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
}

void uvtls_context_use_trust_store(uvtls_context *ctx, uvtls_trust_store *store) {
    X509_STORE_up_ref(store->store);
    SSL_CTX_set_cert_store(ctx->ssl_ctx, store->store);
    ctx->store_is_shared = 1;
    ctx->store_has_default_roots = 1;
}

uvtls_trust_store *uvtls_trust_store_new(const void *pem, size_t len, uvtls_error *err) {
    uvtls_trust_store *ts = calloc(1, sizeof(*ts));
    if (ts == NULL || (ts->store = X509_STORE_new()) == NULL) {
        free(ts);
        uvtls_error_set(err, STAGE, "ERR_UVTLS_OUT_OF_MEMORY", "out of memory");
        return NULL;
    }
    BIO *bio = bio_from(pem, len, err);
    if (bio == NULL) {
        uvtls_trust_store_unref(ts);
        return NULL;
    }
    X509 *x;
    while ((x = PEM_read_bio_X509(bio, NULL, passphrase_cb, NULL)) != NULL) {
        X509_STORE_add_cert(ts->store, x);
        X509_free(x);
    }
    BIO_free(bio);
    ERR_clear_error();
    return ts;
}

void uvtls_trust_store_unref(uvtls_trust_store *store) {
    if (store == NULL)
        return;
    X509_STORE_free(store->store);
    free(store);
}

unsigned char *uvtls_context_certificate_der(uvtls_context *ctx, int issuer, size_t *len) {
    X509 *x = SSL_CTX_get0_certificate(ctx->ssl_ctx);
    X509 *found = NULL; /* an issuer looked up in the trust store (a reference we hold) */
    if (x != NULL && issuer) {
        STACK_OF(X509) *chain = NULL;
        SSL_CTX_get0_chain_certs(ctx->ssl_ctx, &chain);
        if (sk_X509_num(chain) > 0) {
            x = sk_X509_value(chain, 0);
        } else {
            /* No chain given: as Node, the issuer from the trusted certificates (`ca`), where
             * OpenSSL also finds it to build the chain it sends. */
            X509_STORE_CTX *sctx = X509_STORE_CTX_new();
            if (sctx != NULL &&
                X509_STORE_CTX_init(sctx, SSL_CTX_get_cert_store(ctx->ssl_ctx), x, NULL) == 1 &&
                X509_STORE_CTX_get1_issuer(&found, sctx, x) <= 0)
                found = NULL;
            X509_STORE_CTX_free(sctx);
            ERR_clear_error();
            x = found;
        }
    }
    int n = x != NULL ? i2d_X509(x, NULL) : -1;
    unsigned char *der = n > 0 ? malloc((size_t)n) : NULL;
    if (der != NULL) {
        unsigned char *p = der;
        i2d_X509(x, &p);
        *len = (size_t)n;
    }
    X509_free(found);
    return der;
}

const char *uvtls_openssl_version_text(void) {
    return OpenSSL_version(OPENSSL_VERSION);
}

int uvtls_openssl_version_check(uvtls_error *err) {
    /* 0xMNN00PP0L: compare major, minor and patch; ignore the status nibble. */
    unsigned long built = OPENSSL_VERSION_NUMBER >> 4;
    unsigned long running = OpenSSL_version_num() >> 4;
    if (built == running)
        return 0;
    return uvtls_error_set(err, "load", "ERR_UVTLS_OPENSSL_MISMATCH",
                           "uvtls was built against %s but the running Node uses %s; rebuild "
                           "with `npm rebuild uvtls`",
                           OPENSSL_VERSION_TEXT, OpenSSL_version(OPENSSL_VERSION));
}
