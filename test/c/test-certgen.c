/* certgen: keys and certificates made with the C API form a PKI that OpenSSL verifies and that
 * carries a real handshake through the engine. */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/certgen.h"
#include "core/describe.h"
#include "harness.h"
#include "helpers.h"

/* A key, its certificate, both PEM (malloc'ed). */
typedef struct issued {
    char *key;
    char *cert;
} issued;

static void issued_free(issued *i) {
    free(i->key);
    free(i->cert);
    i->key = i->cert = NULL;
}

static X509 *pem_cert(const char *pem) {
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    return x;
}

static const char *const server_eku[] = {"serverAuth"};
static const char *const client_eku[] = {"clientAuth"};
static const uvtls_san_spec server_sans[] = {{"dns", "localhost"}, {"ip", "127.0.0.1"}};

/* CA, server (localhost, 127.0.0.1, serverAuth) and client (clientAuth), all of `type`. */
static int make_pki(uvtls_keygen_type type, issued *ca, issued *server, issued *client) {
    uvtls_error err;
    memset(ca, 0, sizeof(*ca));
    memset(server, 0, sizeof(*server));
    memset(client, 0, sizeof(*client));
    ca->key = uvtls_keygen_pem(type, 0, &err);
    server->key = uvtls_keygen_pem(type, 0, &err);
    client->key = uvtls_keygen_pem(type, 0, &err);
    if (!ca->key || !server->key || !client->key)
        return -1;
    uvtls_name_attr ca_name[] = {{"C", "US", 0}, {"O", "Example", 0}, {"CN", "Test CA", 0}};
    uvtls_cert_spec spec = {.key_pem = ca->key,
                            .key_pem_len = strlen(ca->key),
                            .subject = ca_name,
                            .subject_count = 3,
                            .days = 30,
                            .is_ca = 1,
                            .path_length = 0};
    ca->cert = uvtls_cert_issue_pem(&spec, &err);
    if (ca->cert == NULL)
        return -1;
    uvtls_name_attr server_name[] = {{"CN", "localhost", 0}};
    uvtls_cert_spec s = {.key_pem = server->key,
                         .key_pem_len = strlen(server->key),
                         .subject = server_name,
                         .subject_count = 1,
                         .days = 10,
                         .path_length = -1,
                         .sans = server_sans,
                         .san_count = 2,
                         .ext_key_usage = server_eku,
                         .ext_key_usage_count = 1,
                         .issuer_cert_pem = ca->cert,
                         .issuer_cert_pem_len = strlen(ca->cert),
                         .issuer_key_pem = ca->key,
                         .issuer_key_pem_len = strlen(ca->key)};
    server->cert = uvtls_cert_issue_pem(&s, &err);
    uvtls_name_attr client_name[] = {{"CN", "client1", 0}};
    uvtls_cert_spec c = s;
    c.key_pem = client->key;
    c.key_pem_len = strlen(client->key);
    c.subject = client_name;
    c.sans = NULL;
    c.san_count = 0;
    c.ext_key_usage = client_eku;
    client->cert = uvtls_cert_issue_pem(&c, &err);
    return server->cert && client->cert ? 0 : -1;
}

static void free_pki(issued *ca, issued *server, issued *client) {
    issued_free(ca);
    issued_free(server);
    issued_free(client);
}

/* X509_verify_cert of `leaf` against `ca_pem` for a purpose; the X509_V_ result. */
static int verify(const char *ca_pem, const char *leaf_pem, int purpose) {
    X509 *ca = pem_cert(ca_pem), *leaf = pem_cert(leaf_pem);
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    int result = -1;
    if (ca && leaf && store && ctx && X509_STORE_add_cert(store, ca) &&
        X509_STORE_CTX_init(ctx, store, leaf, NULL)) {
        X509_STORE_CTX_set_purpose(ctx, purpose);
        X509_verify_cert(ctx);
        result = X509_STORE_CTX_get_error(ctx);
    }
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    X509_free(ca);
    X509_free(leaf);
    ERR_clear_error();
    return result;
}

static void check_chain(uvtls_keygen_type type) {
    issued ca, server, client;
    REQUIRE(make_pki(type, &ca, &server, &client) == 0);
    CHECK_STR_PREFIX(ca.key, "-----BEGIN PRIVATE KEY-----");
    CHECK_STR_PREFIX(ca.cert, "-----BEGIN CERTIFICATE-----");
    CHECK_INT_EQ(verify(ca.cert, server.cert, X509_PURPOSE_SSL_SERVER), X509_V_OK);
    CHECK_INT_EQ(verify(ca.cert, client.cert, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
    CHECK_INT_EQ(verify(ca.cert, ca.cert, X509_PURPOSE_ANY), X509_V_OK);
    /* The extended key usages are real restrictions, so the wrong purpose fails. */
    CHECK_INT_EQ(verify(ca.cert, client.cert, X509_PURPOSE_SSL_SERVER), X509_V_ERR_INVALID_PURPOSE);
    CHECK_INT_EQ(verify(ca.cert, server.cert, X509_PURPOSE_SSL_CLIENT), X509_V_ERR_INVALID_PURPOSE);
    /* Trusting only the client's certificate does not make the server's verify. */
    CHECK(verify(client.cert, server.cert, X509_PURPOSE_SSL_SERVER) != X509_V_OK);
    X509 *x = pem_cert(server.cert);
    REQUIRE(x != NULL);
    CHECK_INT_EQ(X509_check_host(x, "localhost", 0, 0, NULL), 1);
    CHECK_INT_EQ(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
    CHECK_INT_EQ(X509_check_host(x, "example.com", 0, 0, NULL), 0);
    CHECK_INT_EQ(X509_get_version(x), X509_VERSION_3);
    CHECK(X509_get_ext_by_NID(x, NID_subject_key_identifier, -1) >= 0);
    CHECK(X509_get_ext_by_NID(x, NID_authority_key_identifier, -1) >= 0);
    int crit = 0;
    BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
    CHECK(bc != NULL && bc->ca == 0);
    CHECK_INT_EQ(crit, 1);
    BASIC_CONSTRAINTS_free(bc);
    ASN1_BIT_STRING *ku = X509_get_ext_d2i(x, NID_key_usage, &crit, NULL);
    CHECK(ku != NULL);
    CHECK_INT_EQ(crit, 1);
    ASN1_BIT_STRING_free(ku);
    CHECK_INT_EQ(X509_get_signature_nid(x),
                 type == UVTLS_KEYGEN_RSA ? NID_sha256WithRSAEncryption : NID_ecdsa_with_SHA256);
    X509_free(x);
    free_pki(&ca, &server, &client);
}

TEST_IMPL(certgen_ec_chain_verifies) {
    check_chain(UVTLS_KEYGEN_EC);
}

TEST_IMPL(certgen_rsa_chain_verifies) {
    check_chain(UVTLS_KEYGEN_RSA);
}

static uvtls_context *context_of(const char *cert, const char *key, const char *ca) {
    uvtls_error err;
    uvtls_context *ctx = uvtls_context_new(&err);
    if (ctx == NULL)
        return NULL;
    if ((cert && uvtls_context_add_cert(ctx, cert, strlen(cert), &err) < 0) ||
        (key && uvtls_context_add_key(ctx, key, strlen(key), NULL, &err) < 0) ||
        (ca && uvtls_context_add_ca(ctx, ca, strlen(ca), &err) < 0)) {
        harness_fail(__FILE__, __LINE__, "context: %s %s", err.code, err.message);
        uvtls_context_unref(ctx);
        return NULL;
    }
    return ctx;
}

static void check_handshake(uvtls_keygen_type type) {
    issued ca, server, client;
    REQUIRE(make_pki(type, &ca, &server, &client) == 0);
    uvtls_context *sctx = context_of(server.cert, server.key, ca.cert);
    uvtls_context *cctx = context_of(client.cert, client.key, ca.cert);
    uvtls_engine *s = sctx ? make_server(sctx, 1, 1) : NULL;
    uvtls_engine *c = cctx ? make_client(cctx, 1) : NULL;
    if (s && c) {
        handshake_pair(c, s);
        CHECK_INT_EQ(uvtls_engine_state_get(c), UVTLS_ENGINE_ESTABLISHED);
        CHECK_INT_EQ(uvtls_engine_state_get(s), UVTLS_ENGINE_ESTABLISHED);
        CHECK_INT_EQ(uvtls_engine_verify_result(c), X509_V_OK);
        CHECK_INT_EQ(uvtls_engine_verify_result(s), X509_V_OK);
    }
    uvtls_engine_free(c);
    uvtls_engine_free(s);
    uvtls_context_unref(cctx);
    uvtls_context_unref(sctx);
    free_pki(&ca, &server, &client);
}

TEST_IMPL(certgen_ec_mutual_tls_handshake) {
    check_handshake(UVTLS_KEYGEN_EC);
}

TEST_IMPL(certgen_rsa_mutual_tls_handshake) {
    check_handshake(UVTLS_KEYGEN_RSA);
}

/* The client does not trust a CA it was not given: the generated PKI is not trusted by accident. */
TEST_IMPL(certgen_untrusted_ca_is_rejected) {
    issued ca, server, client, other, s2, c2;
    REQUIRE(make_pki(UVTLS_KEYGEN_EC, &ca, &server, &client) == 0);
    REQUIRE(make_pki(UVTLS_KEYGEN_EC, &other, &s2, &c2) == 0);
    uvtls_context *sctx = context_of(server.cert, server.key, NULL);
    uvtls_context *cctx = context_of(NULL, NULL, other.cert);
    uvtls_engine *s = sctx ? make_server(sctx, 0, 0) : NULL;
    uvtls_engine *c = cctx ? make_client(cctx, 1) : NULL;
    if (s && c) {
        handshake_pair(c, s);
        CHECK_INT_EQ(uvtls_engine_state_get(c), UVTLS_ENGINE_ERROR);
        CHECK_ERR_CODE(uvtls_engine_error(c), "UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    }
    uvtls_engine_free(c);
    uvtls_engine_free(s);
    uvtls_context_unref(cctx);
    uvtls_context_unref(sctx);
    free_pki(&ca, &server, &client);
    free_pki(&other, &s2, &c2);
}

TEST_IMPL(certgen_wrong_issuer_key) {
    issued ca, server, client;
    REQUIRE(make_pki(UVTLS_KEYGEN_EC, &ca, &server, &client) == 0);
    uvtls_error err;
    uvtls_name_attr name[] = {{"CN", "x", 0}};
    uvtls_cert_spec spec = {.key_pem = client.key,
                            .key_pem_len = strlen(client.key),
                            .subject = name,
                            .subject_count = 1,
                            .days = 1,
                            .path_length = -1,
                            .issuer_cert_pem = ca.cert,
                            .issuer_cert_pem_len = strlen(ca.cert),
                            .issuer_key_pem = server.key, /* not the CA's */
                            .issuer_key_pem_len = strlen(server.key)};
    CHECK(uvtls_cert_issue_pem(&spec, &err) == NULL);
    CHECK_ERR_CODE(&err, "ERR_OSSL_X509_KEY_VALUES_MISMATCH");
    CHECK(err.hint != NULL);
    CHECK_INT_EQ(ERR_peek_error(), 0);
    /* An RSA key for an EC CA: a different key type, the same error. */
    char *rsa = uvtls_keygen_pem(UVTLS_KEYGEN_RSA, 0, &err);
    REQUIRE(rsa != NULL);
    spec.issuer_key_pem = rsa;
    spec.issuer_key_pem_len = strlen(rsa);
    CHECK(uvtls_cert_issue_pem(&spec, &err) == NULL);
    CHECK_ERR_CODE(&err, "ERR_OSSL_X509_KEY_VALUES_MISMATCH");
    /* A leaf cannot issue: it is not a CA. */
    spec.issuer_cert_pem = server.cert;
    spec.issuer_cert_pem_len = strlen(server.cert);
    spec.issuer_key_pem = server.key;
    spec.issuer_key_pem_len = strlen(server.key);
    CHECK(uvtls_cert_issue_pem(&spec, &err) == NULL);
    CHECK_ERR_CODE(&err, "ERR_INVALID_ARG_VALUE");
    /* Only one half of the issuer. */
    spec.issuer_key_pem = NULL;
    CHECK(uvtls_cert_issue_pem(&spec, &err) == NULL);
    CHECK_ERR_CODE(&err, "ERR_INVALID_ARG_VALUE");
    free(rsa);
    free_pki(&ca, &server, &client);
}

/* Each bad field alone gives an error with a code, never a certificate or a crash. */
TEST_IMPL(certgen_bad_inputs) {
    uvtls_error err;
    char *key = uvtls_keygen_pem(UVTLS_KEYGEN_EC, 0, &err);
    REQUIRE(key != NULL);
    uvtls_name_attr name[] = {{"CN", "x", 0}};
    uvtls_cert_spec good = {.key_pem = key,
                            .key_pem_len = strlen(key),
                            .subject = name,
                            .subject_count = 1,
                            .days = 1,
                            .path_length = -1};
    char *pem = uvtls_cert_issue_pem(&good, &err);
    CHECK(pem != NULL);
    free(pem);

    uvtls_cert_spec s = good;
    s.key_pem = "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n";
    s.key_pem_len = strlen(s.key_pem);
    CHECK(uvtls_cert_issue_pem(&s, &err) == NULL);
    CHECK(err.code[0] != '\0' && err.hint != NULL);
    s.key_pem_len = 0;
    CHECK(uvtls_cert_issue_pem(&s, &err) == NULL);

    static const uvtls_san_spec bad_ip[] = {{"ip", "1.2.3"}};
    static const uvtls_san_spec bad_type[] = {{"x400", "a"}};
    static const uvtls_san_spec empty_dns[] = {{"dns", ""}};
    /* UTF-8 in an IA5String would make an invalid certificate: punycode is the way. */
    static const uvtls_san_spec utf8_dns[] = {{"dns", "b\xc3\xbc"
                                                      "cher.example"}};
    static const uvtls_san_spec utf8_email[] = {{"email", "j\xc3\xbcrgen@example.com"}};
    const uvtls_san_spec *bad_sans[] = {bad_ip, bad_type, empty_dns, utf8_dns, utf8_email};
    for (size_t i = 0; i < sizeof(bad_sans) / sizeof(bad_sans[0]); i++) {
        s = good;
        s.sans = bad_sans[i];
        s.san_count = 1;
        CHECK(uvtls_cert_issue_pem(&s, &err) == NULL);
        CHECK_ERR_CODE(&err, "ERR_INVALID_ARG_VALUE");
    }
    const char *bad_serials[] = {"",   "xyz", "0",
                                 "00", "-1",  "0123456789ABCDEF0123456789ABCDEF0123456789"};
    for (size_t i = 0; i < sizeof(bad_serials) / sizeof(bad_serials[0]); i++) {
        s = good;
        s.serial_hex = bad_serials[i];
        CHECK(uvtls_cert_issue_pem(&s, &err) == NULL);
        CHECK_ERR_CODE(&err, "ERR_INVALID_ARG_VALUE");
    }
    int bad_days[] = {0, -1, 36501};
    for (size_t i = 0; i < 3; i++) {
        s = good;
        s.days = bad_days[i];
        CHECK(uvtls_cert_issue_pem(&s, &err) == NULL);
        CHECK_ERR_CODE(&err, "ERR_INVALID_ARG_VALUE");
    }
    s = good;
    s.path_length = 1; /* on a leaf */
    CHECK(uvtls_cert_issue_pem(&s, &err) == NULL);
    CHECK_ERR_CODE(&err, "ERR_INVALID_ARG_VALUE");
    static const char *const bad_ku[] = {"signEverything"};
    s = good;
    s.key_usage = bad_ku;
    s.key_usage_count = 1;
    CHECK(uvtls_cert_issue_pem(&s, &err) == NULL);
    CHECK_ERR_CODE(&err, "ERR_INVALID_ARG_VALUE");
    static const char *const bad_eku[] = {"not an oid"};
    s = good;
    s.ext_key_usage = bad_eku;
    s.ext_key_usage_count = 1;
    CHECK(uvtls_cert_issue_pem(&s, &err) == NULL);
    CHECK_ERR_CODE(&err, "ERR_INVALID_ARG_VALUE");
    uvtls_name_attr bad_names[][1] = {{{"NotAnAttribute", "x", 0}}, {{"C", "USA", 0}}};
    for (size_t i = 0; i < 2; i++) {
        s = good;
        s.subject = bad_names[i];
        CHECK(uvtls_cert_issue_pem(&s, &err) == NULL);
        CHECK_ERR_CODE(&err, "ERR_INVALID_ARG_VALUE");
    }
    /* A dotted OID OpenSSL has no name for is a valid attribute type (certgen.h says so). */
    uvtls_name_attr oid_name[] = {{"1.3.6.1.4.1.99999.1", "device-7", 0}};
    s = good;
    s.subject = oid_name;
    pem = uvtls_cert_issue_pem(&s, &err);
    CHECK(pem != NULL);
    if (pem != NULL) {
        X509 *x = pem_cert(pem);
        char *dn = x ? uvtls_name_rfc4514(X509_get_subject_name(x)) : NULL;
        /* RFC 4514 2.4: a type given as an OID has its value as '#' and the BER in hex. */
        CHECK_STR_EQ(dn, "1.3.6.1.4.1.99999.1=#0C086465766963652D37");
        free(dn);
        X509_free(x);
    }
    free(pem);
    CHECK(uvtls_keygen_pem(UVTLS_KEYGEN_RSA, 1024, &err) == NULL);
    CHECK_ERR_CODE(&err, "ERR_INVALID_ARG_VALUE");
    CHECK(uvtls_keygen_pem(UVTLS_KEYGEN_RSA, 8193, &err) == NULL);
    CHECK(uvtls_keygen_pem((uvtls_keygen_type)7, 0, &err) == NULL);
    CHECK_INT_EQ(ERR_peek_error(), 0);
    free(key);
}

/* A given serial is used as is; the default one is random, positive and 16 bytes. */
TEST_IMPL(certgen_serial) {
    uvtls_error err;
    char *key = uvtls_keygen_pem(UVTLS_KEYGEN_EC, 0, &err);
    REQUIRE(key != NULL);
    uvtls_cert_spec s = {.key_pem = key, .key_pem_len = strlen(key), .days = 1, .path_length = -1};
    s.serial_hex = "0a1B";
    char *pem = uvtls_cert_issue_pem(&s, &err);
    REQUIRE(pem != NULL);
    uvtls_cert_description *d = uvtls_cert_describe(pem, strlen(pem), &err);
    REQUIRE(d != NULL);
    CHECK_STR_EQ(d->serial_number, "0A1B");
    uvtls_cert_description_free(d);
    free(pem);
    s.serial_hex = NULL;
    char *a = uvtls_cert_issue_pem(&s, &err);
    char *b = uvtls_cert_issue_pem(&s, &err);
    REQUIRE(a != NULL && b != NULL);
    uvtls_cert_description *da = uvtls_cert_describe(a, strlen(a), &err);
    uvtls_cert_description *db = uvtls_cert_describe(b, strlen(b), &err);
    REQUIRE(da != NULL && db != NULL);
    CHECK_INT_EQ(strlen(da->serial_number), 32);
    CHECK(strcmp(da->serial_number, db->serial_number) != 0);
    CHECK(da->serial_number[0] >= '4' && da->serial_number[0] <= '7');
    uvtls_cert_description_free(da);
    uvtls_cert_description_free(db);
    free(a);
    free(b);
    free(key);
}
