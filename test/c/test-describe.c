/* describe: the diagnostic description of a certificate, and the engine's negotiated group and
 * received CertificateRequest. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/certgen.h"
#include "core/describe.h"
#include "harness.h"
#include "helpers.h"

static char *self_signed(const char *key, const uvtls_name_attr *name, size_t n, int is_ca) {
    uvtls_error err;
    uvtls_cert_spec s = {.key_pem = key,
                         .key_pem_len = strlen(key),
                         .subject = name,
                         .subject_count = n,
                         .days = 2,
                         .is_ca = is_ca,
                         .path_length = -1};
    char *pem = uvtls_cert_issue_pem(&s, &err);
    if (pem == NULL)
        harness_fail(__FILE__, __LINE__, "issue: %s %s", err.code, err.message);
    return pem;
}

static const char *const usages[] = {"digitalSignature", "contentCommitment", "keyAgreement"};
static const char *const ekus[] = {"serverAuth", "clientAuth", "1.2.3.4"};
static const uvtls_san_spec sans[] = {{"dns", "a.example"},
                                      {"ip", "2001:db8:0:0:0:0:0:1"},
                                      {"ip", "10.0.0.1"},
                                      {"email", "me@example.com"},
                                      {"uri", "https://example.com/x"}};

TEST_IMPL(describe_generated_leaf) {
    uvtls_error err;
    char *ca_key = uvtls_keygen_pem(UVTLS_KEYGEN_EC, 0, &err);
    char *key = uvtls_keygen_pem(UVTLS_KEYGEN_RSA, 0, &err);
    REQUIRE(ca_key != NULL && key != NULL);
    uvtls_name_attr ca_name[] = {{"O", "Example", 0}, {"CN", "Root", 0}};
    char *ca = self_signed(ca_key, ca_name, 2, 1);
    REQUIRE(ca != NULL);
    uvtls_name_attr name[] = {{"C", "US", 0}, {"O", "Example", 0}, {"CN", "client1", 0}};
    uvtls_cert_spec s = {.key_pem = key,
                         .key_pem_len = strlen(key),
                         .subject = name,
                         .subject_count = 3,
                         .days = 5,
                         .path_length = -1,
                         .sans = sans,
                         .san_count = 5,
                         .ext_key_usage = ekus,
                         .ext_key_usage_count = 3,
                         .key_usage = usages,
                         .key_usage_count = 3,
                         .issuer_cert_pem = ca,
                         .issuer_cert_pem_len = strlen(ca),
                         .issuer_key_pem = ca_key,
                         .issuer_key_pem_len = strlen(ca_key)};
    time_t before = time(NULL);
    char *pem = uvtls_cert_issue_pem(&s, &err);
    REQUIRE(pem != NULL);
    uvtls_cert_description *d = uvtls_cert_describe(pem, strlen(pem), &err);
    REQUIRE(d != NULL);
    CHECK_STR_EQ(d->subject, "CN=client1,O=Example,C=US");
    CHECK_STR_EQ(d->issuer, "CN=Root,O=Example");
    CHECK_STR_EQ(d->common_name, "client1");
    REQUIRE(d->san_count == 5);
    CHECK_STR_EQ(d->sans[0].type, "dns");
    CHECK_STR_EQ(d->sans[0].value, "a.example");
    CHECK_STR_EQ(d->sans[1].type, "ip");
    CHECK_STR_EQ(d->sans[1].value, "2001:db8::1"); /* compressed, as inet_ntop writes it */
    CHECK_STR_EQ(d->sans[2].value, "10.0.0.1");
    CHECK_STR_EQ(d->sans[3].type, "email");
    CHECK_STR_EQ(d->sans[3].value, "me@example.com");
    CHECK_STR_EQ(d->sans[4].type, "uri");
    CHECK_STR_EQ(d->sans[4].value, "https://example.com/x");
    CHECK(d->sans[0].oid == NULL);
    CHECK(d->has_key_usage);
    REQUIRE(d->key_usage_count == 3);
    CHECK_STR_EQ(d->key_usage[0], "digitalSignature");
    CHECK_STR_EQ(d->key_usage[1], "nonRepudiation");
    CHECK_STR_EQ(d->key_usage[2], "keyAgreement");
    CHECK(d->has_ext_key_usage);
    REQUIRE(d->ext_key_usage_count == 3);
    CHECK_STR_EQ(d->ext_key_usage[0], "serverAuth");
    CHECK_STR_EQ(d->ext_key_usage[1], "clientAuth");
    CHECK_STR_EQ(d->ext_key_usage[2], "1.2.3.4");
    CHECK(!d->is_ca);
    CHECK_INT_EQ(d->path_length, -1);
    /* notBefore is an hour back; notAfter `days` from now (a few seconds of slack). */
    long long nb = d->not_before_ms / 1000, na = d->not_after_ms / 1000;
    CHECK(nb >= (long long)before - 3600 - 5 && nb <= (long long)before - 3600 + 5);
    CHECK(na >= (long long)before + 5 * 86400 - 5 && na <= (long long)before + 5 * 86400 + 5);
    CHECK_INT_EQ(strlen(d->fingerprint256), 32 * 3 - 1);
    CHECK_STR_EQ(d->key_type, "rsa");
    CHECK_INT_EQ(d->key_bits, 2048);
    CHECK(d->key_curve == NULL);
    CHECK(!d->self_issued);
    CHECK(!d->self_signed);
    uvtls_cert_description_free(d);

    d = uvtls_cert_describe(ca, strlen(ca), &err);
    REQUIRE(d != NULL);
    CHECK(d->is_ca);
    CHECK(d->self_issued && d->self_signed);
    CHECK_STR_EQ(d->key_type, "ec");
    CHECK_STR_EQ(d->key_curve, "prime256v1");
    CHECK_INT_EQ(d->key_bits, 256);
    CHECK_INT_EQ(d->key_usage_count, 2); /* the CA default: keyCertSign, cRLSign */
    CHECK_STR_EQ(d->key_usage[0], "keyCertSign");
    CHECK(!d->has_ext_key_usage);
    CHECK_INT_EQ(d->san_count, 0);
    uvtls_cert_description_free(d);
    free(pem);
    free(ca);
    free(key);
    free(ca_key);
}

/* UTF-8 stays UTF-8, a multi-valued RDN joins with '+', a comma is escaped, and the CN is the
 * most specific one. */
TEST_IMPL(describe_names_rfc4514) {
    uvtls_error err;
    char *key = uvtls_keygen_pem(UVTLS_KEYGEN_EC, 0, &err);
    REQUIRE(key != NULL);
    uvtls_name_attr name[] = {{"C", "DE", 0},
                              {"O", "Acme, Inc.", 0},
                              {"CN", "outer", 0},
                              {"OU", "Eng", 0},
                              {"CN", "J\xc3\xbcrgen \xe2\x9c\x93", 1}};
    char *pem = self_signed(key, name, 5, 0);
    REQUIRE(pem != NULL);
    uvtls_cert_description *d = uvtls_cert_describe(pem, strlen(pem), &err);
    REQUIRE(d != NULL);
    /* Inside an RDN the order is DER's SET OF order, so either is right. */
    const char *a = "OU=Eng+CN=J\xc3\xbcrgen \xe2\x9c\x93,CN=outer,O=Acme\\, Inc.,C=DE";
    const char *b = "CN=J\xc3\xbcrgen \xe2\x9c\x93+OU=Eng,CN=outer,O=Acme\\, Inc.,C=DE";
    if (strcmp(d->subject, a) != 0)
        CHECK_STR_EQ(d->subject, b);
    CHECK_STR_EQ(d->subject, d->issuer);
    CHECK_STR_EQ(d->common_name, "J\xc3\xbcrgen \xe2\x9c\x93");
    CHECK(d->has_key_usage); /* certgen always writes keyUsage */
    uvtls_cert_description_free(d);
    free(pem);

    /* No CN at all. */
    uvtls_name_attr no_cn[] = {{"O", "Only Org", 0}};
    pem = self_signed(key, no_cn, 1, 0);
    REQUIRE(pem != NULL);
    d = uvtls_cert_describe(pem, strlen(pem), &err);
    REQUIRE(d != NULL);
    CHECK(d->common_name == NULL);
    CHECK_STR_EQ(d->subject, "O=Only Org");
    uvtls_cert_description_free(d);
    free(pem);
    free(key);
}

/* A NUL inside a CN or an IA5String SAN is kept with its length (so "adm\0in" never reads as
 * "adm"), and otherName strings of any string type come out as UTF-8. */
static void check_nul_and_string_types(EVP_PKEY *key) {
    X509 *x = X509_new();
    REQUIRE(x != NULL);
    X509_set_version(x, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 8);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME_add_entry_by_NID(X509_get_subject_name(x), NID_commonName, MBSTRING_UTF8,
                               (const unsigned char *)"adm\0in", 6, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    GENERAL_NAME *dns = GENERAL_NAME_new();
    ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
    REQUIRE(gens != NULL && dns != NULL && ia5 != NULL);
    ASN1_STRING_set(ia5, "good.com\0evil.com", 17);
    GENERAL_NAME_set0_value(dns, GEN_DNS, ia5);
    sk_GENERAL_NAME_push(gens, dns);
    /* otherNames: a BMPString "hi", then a UTF8String that is not UTF-8 (shown as DER). */
    static const struct {
        int type;
        const char *bytes;
        int len;
    } others[] = {{V_ASN1_BMPSTRING, "\0h\0i", 4}, {V_ASN1_UTF8STRING, "\xff", 1}};
    for (size_t i = 0; i < 2; i++) {
        ASN1_TYPE *v = ASN1_TYPE_new();
        ASN1_STRING *str = ASN1_STRING_type_new(others[i].type);
        GENERAL_NAME *gn = GENERAL_NAME_new();
        REQUIRE(v != NULL && str != NULL && gn != NULL);
        ASN1_STRING_set(str, others[i].bytes, others[i].len);
        ASN1_TYPE_set(v, others[i].type, str);
        GENERAL_NAME_set0_othername(gn, OBJ_txt2obj("1.2.3.9", 1), v);
        sk_GENERAL_NAME_push(gens, gn);
    }
    X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_REPLACE);
    GENERAL_NAMES_free(gens);
    REQUIRE(X509_sign(x, key, EVP_sha256()) > 0);
    unsigned char *der = NULL;
    int len = i2d_X509(x, &der);
    REQUIRE(len > 0);
    uvtls_error err;
    uvtls_cert_description *d = uvtls_cert_describe(der, (size_t)len, &err);
    REQUIRE(d != NULL);
    CHECK_INT_EQ(d->common_name_len, 6);
    CHECK(memcmp(d->common_name, "adm\0in", 6) == 0);
    CHECK_STR_EQ(d->subject, "CN=adm\\00in");
    REQUIRE(d->san_count == 3);
    CHECK_INT_EQ(d->sans[0].value_len, 17);
    CHECK(memcmp(d->sans[0].value, "good.com\0evil.com", 17) == 0);
    CHECK_STR_EQ(d->sans[1].value, "hi");
    CHECK_INT_EQ(d->sans[1].value_len, 2);
    CHECK_STR_EQ(d->sans[2].value, "OID:1.2.3.9;HEX:0C01FF");
    CHECK_INT_EQ(d->sans[2].value_len, strlen(d->sans[2].value));
    uvtls_cert_description_free(d);
    OPENSSL_free(der);
    der = NULL;

    /* A second subjectAltName extension: an error, not "no SANs" nor only one of them. */
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, "DNS:b.example");
    REQUIRE(ext != NULL);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    REQUIRE(X509_sign(x, key, EVP_sha256()) > 0);
    len = i2d_X509(x, &der);
    REQUIRE(len > 0);
    CHECK(uvtls_cert_describe(der, (size_t)len, &err) == NULL);
    CHECK_ERR_CODE(&err, "ERR_UVTLS_BAD_CERTIFICATE");
    OPENSSL_free(der);
    X509_free(x);
}

/* SAN types certgen does not write, made with OpenSSL directly: otherName (text and not),
 * registeredID, directoryName. */
TEST_IMPL(describe_other_sans) {
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *x = X509_new();
    REQUIRE(key != NULL && x != NULL);
    X509_set_version(x, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
                               (const unsigned char *)"sans", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_EXTENSION *ext =
        X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name,
                            "otherName:1.3.6.1.4.1.311.20.2.3;UTF8:user@example.com,"
                            "otherName:1.2.3.4;INTEGER:42,RID:1.2.3.5,DNS:b.example");
    REQUIRE(ext != NULL);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    /* A directoryName, added through the GENERAL_NAMES structure. */
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    REQUIRE(gens != NULL);
    X509_NAME *dn = X509_NAME_new();
    X509_NAME_add_entry_by_txt(dn, "O", MBSTRING_UTF8, (const unsigned char *)"Dir", -1, -1, 0);
    X509_NAME_add_entry_by_txt(dn, "CN", MBSTRING_UTF8, (const unsigned char *)"x+y", -1, -1, 0);
    GENERAL_NAME *gn = GENERAL_NAME_new();
    GENERAL_NAME_set0_value(gn, GEN_DIRNAME, dn);
    sk_GENERAL_NAME_push(gens, gn);
    X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_REPLACE);
    GENERAL_NAMES_free(gens);
    REQUIRE(X509_sign(x, key, EVP_sha256()) > 0);
    unsigned char *der = NULL;
    int len = i2d_X509(x, &der);
    REQUIRE(len > 0);

    uvtls_error err;
    uvtls_cert_description *d = uvtls_cert_describe(der, (size_t)len, &err);
    REQUIRE(d != NULL);
    REQUIRE(d->san_count == 5);
    CHECK_STR_EQ(d->sans[0].type, "other_name");
    CHECK_STR_EQ(d->sans[0].oid, "1.3.6.1.4.1.311.20.2.3");
    CHECK_STR_EQ(d->sans[0].value, "user@example.com");
    CHECK_STR_EQ(d->sans[1].type, "other_name");
    CHECK_STR_EQ(d->sans[1].oid, "1.2.3.4");
    CHECK_STR_EQ(d->sans[1].value, "OID:1.2.3.4;HEX:02012A");
    CHECK_STR_EQ(d->sans[2].type, "rid");
    CHECK_STR_EQ(d->sans[2].value, "1.2.3.5");
    CHECK_STR_EQ(d->sans[3].type, "dns");
    CHECK_STR_EQ(d->sans[4].type, "dirname");
    CHECK_STR_EQ(d->sans[4].value, "CN=x\\+y,O=Dir");
    /* No keyUsage / extKeyUsage / basicConstraints extensions here. */
    CHECK(!d->has_key_usage && !d->has_ext_key_usage && !d->is_ca);
    CHECK(d->self_signed && d->self_issued);
    CHECK_STR_EQ(d->serial_number, "07");
    uvtls_cert_description_free(d);

    /* Trailing bytes and truncations are not a certificate. */
    unsigned char *longer = malloc((size_t)len + 1);
    REQUIRE(longer != NULL);
    memcpy(longer, der, (size_t)len);
    longer[len] = 0;
    CHECK(uvtls_cert_describe(longer, (size_t)len + 1, &err) == NULL);
    CHECK_ERR_CODE(&err, "ERR_UVTLS_BAD_CERTIFICATE");
    for (int cut = 0; cut < len; cut += 17) {
        CHECK(uvtls_cert_describe(der, (size_t)cut, &err) == NULL);
        CHECK_ERR_CODE(&err, "ERR_UVTLS_BAD_CERTIFICATE");
    }
    free(longer);
    OPENSSL_free(der);
    X509_free(x);
    check_nul_and_string_types(key);
    EVP_PKEY_free(key);
}

TEST_IMPL(describe_garbage) {
    uvtls_error err;
    static const char *inputs[] = {"", "garbage", "\x30\x82\xff\xff",
                                   "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                                   "-----BEGIN"};
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        CHECK(uvtls_cert_describe(inputs[i], strlen(inputs[i]), &err) == NULL);
        CHECK_ERR_CODE(&err, "ERR_UVTLS_BAD_CERTIFICATE");
        CHECK(err.hint != NULL);
    }
    CHECK(uvtls_cert_describe(NULL, 0, &err) == NULL);
    /* Random bytes, many times: never a crash, always the same error. */
    unsigned char buf[512];
    unsigned seed = 12345;
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < sizeof(buf); i++) {
            seed = seed * 1103515245u + 12345u;
            buf[i] = (unsigned char)(seed >> 16);
        }
        buf[0] = 0x30; /* look like a SEQUENCE, to get past the first byte */
        CHECK(uvtls_cert_describe(buf, 1 + seed % sizeof(buf), &err) == NULL);
    }
    CHECK_INT_EQ(ERR_peek_error(), 0);
    /* The fixtures from make-certs.sh (made by the openssl CLI) describe fine. */
    blob b = cert_file("server.pem");
    uvtls_cert_description *d = uvtls_cert_describe(b.data, b.len, &err);
    CHECK(d != NULL);
    if (d != NULL)
        CHECK_STR_EQ(d->common_name, "localhost");
    uvtls_cert_description_free(d);
    blob_free(&b);
}

static void pair_with(int request_cert, const char **group_c, const char **group_s, int *request,
                      char ***names, size_t *count, int *server_request) {
    uvtls_context *sctx = make_context("server.pem", "server.key", "ca.pem");
    uvtls_context *cctx = make_client_context();
    uvtls_engine *s = sctx ? make_server(sctx, request_cert, 0) : NULL;
    uvtls_engine *c = cctx ? make_client(cctx, 1) : NULL;
    *request = -2;
    if (s && c) {
        CHECK(uvtls_engine_negotiated_group(c) == NULL); /* before the handshake */
        handshake_pair(c, s);
        CHECK_INT_EQ(uvtls_engine_state_get(c), UVTLS_ENGINE_ESTABLISHED);
        *group_c = uvtls_engine_negotiated_group(c);
        *group_s = uvtls_engine_negotiated_group(s);
        *request = uvtls_engine_cert_request(c, names, count);
        char **none = NULL;
        size_t n = 0;
        *server_request = uvtls_engine_cert_request(s, &none, &n);
        uvtls_strings_free(none, n);
    }
    uvtls_engine_free(c);
    uvtls_engine_free(s);
    uvtls_context_unref(cctx);
    uvtls_context_unref(sctx);
}

TEST_IMPL(describe_engine_group_and_cert_request) {
    const char *gc = NULL, *gs = NULL;
    int request = 0, server_request = -1;
    char **names = NULL;
    size_t count = 0;
    pair_with(1, &gc, &gs, &request, &names, &count, &server_request);
    CHECK(gc != NULL && gs != NULL);
    CHECK_STR_EQ(gc, gs);
    CHECK_INT_EQ(request, 1);
    CHECK_INT_EQ(server_request, 0);
    REQUIRE(count >= 1);
    blob ca = cert_file("ca.pem");
    uvtls_error err;
    uvtls_cert_description *d = uvtls_cert_describe(ca.data, ca.len, &err);
    REQUIRE(d != NULL);
    CHECK_STR_EQ(names[0], d->subject);
    uvtls_cert_description_free(d);
    blob_free(&ca);
    uvtls_strings_free(names, count);

    pair_with(0, &gc, &gs, &request, &names, &count, &server_request);
    CHECK(gc != NULL);
    CHECK_INT_EQ(request, 0);
    CHECK(names == NULL);
    CHECK_INT_EQ(count, 0);
}
