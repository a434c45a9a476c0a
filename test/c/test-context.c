/* context: construction, every setter's success and failure, trust stores. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "core/context.h"
#include "harness.h"
#include "helpers.h"

static const char garbage[] = "definitely not PEM\n";

/* A fresh context, or a failed REQUIRE in the caller. */
static uvtls_context *new_context(void) {
    uvtls_error err;
    uvtls_error_clear(&err);
    uvtls_context *ctx = uvtls_context_new(&err);
    if (ctx == NULL)
        harness_fail(__FILE__, __LINE__, "uvtls_context_new: %s", err.code);
    return ctx;
}

/* Loads a certificate file with add_cert; 0 or -1 with `err` filled. */
static int add_cert_file(uvtls_context *ctx, const char *name, uvtls_error *err) {
    blob b = cert_file(name);
    int rc = uvtls_context_add_cert(ctx, b.data, b.len, err);
    blob_free(&b);
    return rc;
}

static int add_key_file(uvtls_context *ctx, const char *name, const char *passphrase,
                        uvtls_error *err) {
    blob b = cert_file(name);
    int rc = uvtls_context_add_key(ctx, b.data, b.len, passphrase, err);
    blob_free(&b);
    return rc;
}

TEST_IMPL(context_new_and_unref) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    /* The documented defaults: TLS 1.2 .. 1.3. */
    CHECK_INT_EQ(uvtls_context_min_version(ctx), UVTLS_TLS1_2);
    CHECK_INT_EQ(uvtls_context_max_version(ctx), UVTLS_TLS1_3);
    uvtls_context_unref(ctx);
    uvtls_context_unref(NULL); /* allowed */
}

TEST_IMPL(context_ref_keeps_it_alive) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    CHECK(uvtls_context_ref(ctx) == ctx);
    uvtls_context_unref(ctx);
    /* Still one reference: using it must be fine (ASan would flag a use after free). */
    CHECK_INT_EQ(uvtls_context_max_version(ctx), UVTLS_TLS1_3);
    uvtls_context_unref(ctx);
}

TEST_IMPL(context_protocol_range_ok) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    uvtls_error err;
    CHECK_INT_EQ(uvtls_context_set_protocol_range(ctx, UVTLS_TLS1_3, UVTLS_TLS1_3, &err), 0);
    CHECK_INT_EQ(uvtls_context_min_version(ctx), UVTLS_TLS1_3);
    CHECK_INT_EQ(uvtls_context_max_version(ctx), UVTLS_TLS1_3);
    CHECK_INT_EQ(uvtls_context_set_protocol_range(ctx, UVTLS_TLS1_2, UVTLS_TLS1_2, &err), 0);
    CHECK_INT_EQ(uvtls_context_max_version(ctx), UVTLS_TLS1_2);
    uvtls_context_unref(ctx);
}

TEST_IMPL(context_protocol_range_conflict) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    uvtls_error err;
    CHECK_INT_EQ(uvtls_context_set_protocol_range(ctx, UVTLS_TLS1_3, UVTLS_TLS1_2, &err), -1);
    CHECK_ERR_CODE(&err, "ERR_TLS_PROTOCOL_VERSION_CONFLICT");
    CHECK(err.hint != NULL);
    CHECK_STR_EQ(err.stage, "context");
    /* A rejected range changes nothing. */
    CHECK_INT_EQ(uvtls_context_min_version(ctx), UVTLS_TLS1_2);
    CHECK_INT_EQ(uvtls_context_max_version(ctx), UVTLS_TLS1_3);
    uvtls_context_unref(ctx);
}

TEST_IMPL(context_protocol_range_invalid_version) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    uvtls_error err;
    /* TLS 1.0 (0x0301) is a real version but not one uvtls supports. */
    CHECK_INT_EQ(uvtls_context_set_protocol_range(ctx, 0x0301, UVTLS_TLS1_3, &err), -1);
    CHECK_ERR_CODE(&err, "ERR_TLS_INVALID_PROTOCOL_VERSION");
    CHECK(err.hint != NULL);
    CHECK_INT_EQ(uvtls_context_set_protocol_range(ctx, UVTLS_TLS1_2, 0x0305, &err), -1);
    CHECK_ERR_CODE(&err, "ERR_TLS_INVALID_PROTOCOL_VERSION");
    CHECK_INT_EQ(uvtls_context_set_protocol_range(ctx, 0, 0, &err), -1);
    CHECK_ERR_CODE(&err, "ERR_TLS_INVALID_PROTOCOL_VERSION");
    uvtls_context_unref(ctx);
}

TEST_IMPL(context_add_cert_and_key_ok) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    uvtls_error err;
    CHECK_INT_EQ(add_cert_file(ctx, "server.pem", &err), 0);
    CHECK_INT_EQ(add_key_file(ctx, "server.key", NULL, &err), 0);
    CHECK_INT_EQ(uvtls_context_check_keys(ctx, &err), 0);
    uvtls_context_unref(ctx);
}

TEST_IMPL(context_add_cert_with_chain_ok) {
    /* A leaf followed by its intermediates (here: the root) is one `cert` value. */
    blob leaf = cert_file("server.pem"), ca = cert_file("ca.pem");
    size_t len = leaf.len + ca.len;
    char *pem = malloc(len);
    REQUIRE(pem != NULL);
    memcpy(pem, leaf.data, leaf.len);
    memcpy(pem + leaf.len, ca.data, ca.len);
    uvtls_context *ctx = new_context();
    uvtls_error err;
    if (ctx != NULL)
        CHECK_INT_EQ(uvtls_context_add_cert(ctx, pem, len, &err), 0);
    uvtls_context_unref(ctx);
    free(pem);
    blob_free(&leaf);
    blob_free(&ca);
}

TEST_IMPL(context_add_cert_garbage) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    uvtls_error err;
    CHECK_INT_EQ(uvtls_context_add_cert(ctx, garbage, sizeof(garbage) - 1, &err), -1);
    CHECK_ERR_CODE(&err, "ERR_OSSL_PEM_NO_START_LINE");
    CHECK(err.hint != NULL);
    CHECK_STR_EQ(err.stage, "context");
    uvtls_context_unref(ctx);
}

TEST_IMPL(context_add_cert_empty) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    uvtls_error err;
    uvtls_error_clear(&err);
    CHECK_INT_EQ(uvtls_context_add_cert(ctx, "", 0, &err), -1);
    CHECK(uvtls_error_is_set(&err));
    uvtls_context_unref(ctx);
}

TEST_IMPL(context_add_cert_der_hints_at_der) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    blob der = cert_file("server.der");
    uvtls_error err;
    CHECK_INT_EQ(uvtls_context_add_cert(ctx, der.data, der.len, &err), -1);
    CHECK_ERR_CODE(&err, "ERR_OSSL_PEM_NO_START_LINE");
    CHECK_STR_CONTAINS(err.hint, "DER");
    CHECK_STR_CONTAINS(err.hint, "openssl x509 -inform der");
    blob_free(&der);
    uvtls_context_unref(ctx);
}

TEST_IMPL(context_add_key_garbage) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    uvtls_error err;
    uvtls_error_clear(&err);
    CHECK_INT_EQ(uvtls_context_add_key(ctx, garbage, sizeof(garbage) - 1, NULL, &err), -1);
    /* OpenSSL 3's decoders report "unsupported" for data they cannot read; Node has that code. */
    CHECK_ERR_CODE(&err, "ERR_OSSL_UNSUPPORTED");
    CHECK(err.hint != NULL);
    uvtls_context_unref(ctx);
}

TEST_IMPL(context_add_key_encrypted_without_passphrase) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    uvtls_error err;
    uvtls_error_clear(&err);
    CHECK_INT_EQ(add_cert_file(ctx, "server.pem", &err), 0);
    /* Must fail at once: no prompt (the runner has no terminal, so a prompt would fail too, but
     * a prompt attempt would print "Enter PEM pass phrase" to stderr). */
    CHECK_INT_EQ(add_key_file(ctx, "server-enc.key", NULL, &err), -1);
    /* Node's result for a missing passphrase too. */
    CHECK_ERR_CODE(&err, "ERR_OSSL_BAD_DECRYPT");
    CHECK_STR_CONTAINS(err.hint, "passphrase");
    uvtls_context_unref(ctx);
}

/* About 1 in 256 wrong passphrases decrypt to garbage with valid padding, which OpenSSL then
 * reports as a decoder error; uvtls must still name the passphrase. 1,500 tries make a miss of
 * that case very unlikely. */
TEST_IMPL(context_add_key_many_wrong_passphrases_all_bad_decrypt) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    uvtls_error err;
    CHECK_INT_EQ(add_cert_file(ctx, "server.pem", &err), 0);
    int other = 0;
    for (int i = 0; i < 1500; i++) {
        char pass[32];
        snprintf(pass, sizeof(pass), "wrong-%d", i);
        uvtls_error_clear(&err);
        if (add_key_file(ctx, "server-enc.key", pass, &err) != -1 ||
            strcmp(err.code, "ERR_OSSL_BAD_DECRYPT") != 0)
            other++;
    }
    CHECK_INT_EQ(other, 0);
    uvtls_context_unref(ctx);
}

TEST_IMPL(context_add_key_encrypted_wrong_passphrase) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    uvtls_error err;
    uvtls_error_clear(&err);
    CHECK_INT_EQ(add_cert_file(ctx, "server.pem", &err), 0);
    CHECK_INT_EQ(add_key_file(ctx, "server-enc.key", "wrong", &err), -1);
    CHECK_ERR_CODE(&err, "ERR_OSSL_BAD_DECRYPT");
    CHECK_STR_CONTAINS(err.hint, "passphrase");
    uvtls_context_unref(ctx);
}

TEST_IMPL(context_add_key_encrypted_right_passphrase) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    uvtls_error err;
    CHECK_INT_EQ(add_cert_file(ctx, "server.pem", &err), 0);
    CHECK_INT_EQ(add_key_file(ctx, "server-enc.key", "secret", &err), 0);
    CHECK_INT_EQ(uvtls_context_check_keys(ctx, &err), 0);
    uvtls_context_unref(ctx);
}

TEST_IMPL(context_add_key_mismatch) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    uvtls_error err;
    CHECK_INT_EQ(add_cert_file(ctx, "server.pem", &err), 0);
    /* Same type (EC P-256), different key. */
    CHECK_INT_EQ(add_key_file(ctx, "client.key", NULL, &err), -1);
    CHECK_ERR_CODE(&err, "ERR_OSSL_X509_KEY_VALUES_MISMATCH");
    CHECK(err.hint != NULL);
    uvtls_context_unref(ctx);
}

TEST_IMPL(context_check_keys_cert_without_key) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    uvtls_error err;
    uvtls_error_clear(&err);
    CHECK_INT_EQ(add_cert_file(ctx, "server.pem", &err), 0);
    CHECK_INT_EQ(uvtls_context_check_keys(ctx, &err), -1);
    CHECK_ERR_CODE(&err, "ERR_UVTLS_MISSING_KEY");
    CHECK(err.hint != NULL);
    uvtls_context_unref(ctx);
}

TEST_IMPL(context_check_keys_key_without_cert) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    uvtls_error err;
    uvtls_error_clear(&err);
    CHECK_INT_EQ(add_key_file(ctx, "server.key", NULL, &err), 0);
    CHECK_INT_EQ(uvtls_context_check_keys(ctx, &err), -1);
    CHECK_ERR_CODE(&err, "ERR_UVTLS_MISSING_CERT");
    uvtls_context_unref(ctx);
}

TEST_IMPL(context_check_keys_empty_ok) {
    /* A client context has neither: nothing to check. */
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    uvtls_error err;
    CHECK_INT_EQ(uvtls_context_check_keys(ctx, &err), 0);
    uvtls_context_unref(ctx);
}

TEST_IMPL(context_set_ciphers_ok) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    uvtls_error err;
    CHECK_INT_EQ(uvtls_context_set_ciphers(ctx, "ECDHE-ECDSA-AES128-GCM-SHA256",
                                           "TLS_AES_128_GCM_SHA256", &err),
                 0);
    CHECK_INT_EQ(uvtls_context_set_ciphers(ctx, NULL, NULL, &err), 0);
    uvtls_context_unref(ctx);
}

TEST_IMPL(context_set_ciphers_bogus) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    uvtls_error err;
    CHECK_INT_EQ(uvtls_context_set_ciphers(ctx, "BOGUS-CIPHER", NULL, &err), -1);
    CHECK_ERR_CODE(&err, "ERR_SSL_NO_CIPHER_MATCH");
    CHECK(err.hint != NULL);
    uvtls_context_unref(ctx);
}

TEST_IMPL(context_set_groups_ok) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    uvtls_error err;
    CHECK_INT_EQ(uvtls_context_set_groups(ctx, "auto", &err), 0);
    CHECK_INT_EQ(uvtls_context_set_groups(ctx, "X25519:P-256", &err), 0);
    uvtls_context_unref(ctx);
}

TEST_IMPL(context_set_groups_bogus) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    uvtls_error err;
    CHECK_INT_EQ(uvtls_context_set_groups(ctx, "nope", &err), -1);
    CHECK_ERR_CODE(&err, "ERR_CRYPTO_OPERATION_FAILED");
    CHECK_STR_CONTAINS(err.message, "nope");
    CHECK(err.hint != NULL && err.hint == uvtls_error_hint("hint:ecdhCurve"));
    uvtls_context_unref(ctx);
}

TEST_IMPL(context_set_sigalgs) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    uvtls_error err;
    CHECK_INT_EQ(uvtls_context_set_sigalgs(ctx, "ECDSA+SHA256:RSA-PSS+SHA256", &err), 0);
    CHECK_INT_EQ(uvtls_context_set_sigalgs(ctx, "NOPE+SHA1", &err), -1);
    CHECK_ERR_CODE(&err, "ERR_CRYPTO_OPERATION_FAILED");
    CHECK(err.hint != NULL && err.hint == uvtls_error_hint("hint:sigalgs"));
    uvtls_context_unref(ctx);
}

TEST_IMPL(context_set_dhparam_ok) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    uvtls_error err;
    CHECK_INT_EQ(uvtls_context_set_dhparam(ctx, "auto", 4, &err), 0);
    blob dh = cert_file("dh.pem");
    CHECK_INT_EQ(uvtls_context_set_dhparam(ctx, dh.data, dh.len, &err), 0);
    blob_free(&dh);
    uvtls_context_unref(ctx);
}

TEST_IMPL(context_set_dhparam_garbage) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    uvtls_error err;
    CHECK_INT_EQ(uvtls_context_set_dhparam(ctx, garbage, sizeof(garbage) - 1, &err), -1);
    CHECK_ERR_CODE(&err, "ERR_INVALID_ARG_VALUE");
    CHECK(err.hint != NULL && err.hint == uvtls_error_hint("hint:dhparam"));
    /* A certificate is PEM but not DH parameters. */
    blob cert = cert_file("server.pem");
    CHECK_INT_EQ(uvtls_context_set_dhparam(ctx, cert.data, cert.len, &err), -1);
    CHECK_ERR_CODE(&err, "ERR_INVALID_ARG_VALUE");
    blob_free(&cert);
    uvtls_context_unref(ctx);
}

TEST_IMPL(context_add_ca_ok) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    uvtls_error err;
    blob ca = cert_file("ca.pem");
    CHECK_INT_EQ(uvtls_context_add_ca(ctx, ca.data, ca.len, &err), 0);
    /* The same CA twice is accepted, as in Node. */
    CHECK_INT_EQ(uvtls_context_add_ca(ctx, ca.data, ca.len, &err), 0);
    blob_free(&ca);
    uvtls_context_unref(ctx);
}

TEST_IMPL(context_add_ca_garbage) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    uvtls_error err;
    uvtls_error_clear(&err);
    CHECK_INT_EQ(uvtls_context_add_ca(ctx, garbage, sizeof(garbage) - 1, &err), -1);
    CHECK_ERR_CODE(&err, "ERR_OSSL_PEM_NO_START_LINE");
    CHECK(err.hint != NULL);
    uvtls_context_unref(ctx);
}

TEST_IMPL(context_add_crl_ok) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    uvtls_error err;
    blob crl = cert_file("crl.pem");
    CHECK_INT_EQ(uvtls_context_add_crl(ctx, crl.data, crl.len, &err), 0);
    blob_free(&crl);
    uvtls_context_unref(ctx);
}

TEST_IMPL(context_add_crl_garbage) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    uvtls_error err;
    CHECK_INT_EQ(uvtls_context_add_crl(ctx, garbage, sizeof(garbage) - 1, &err), -1);
    CHECK_ERR_CODE(&err, "ERR_CRYPTO_OPERATION_FAILED");
    CHECK(err.hint != NULL && err.hint == uvtls_error_hint("hint:crl"));
    uvtls_context_unref(ctx);
}

TEST_IMPL(context_add_pkcs12_ok) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    uvtls_error err;
    blob p12 = cert_file("server.p12");
    CHECK_INT_EQ(uvtls_context_add_pkcs12(ctx, p12.data, p12.len, "secret", &err), 0);
    CHECK_INT_EQ(uvtls_context_check_keys(ctx, &err), 0);
    blob_free(&p12);
    uvtls_context_unref(ctx);
}

TEST_IMPL(context_add_pkcs12_wrong_passphrase) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    uvtls_error err;
    blob p12 = cert_file("server.p12");
    CHECK_INT_EQ(uvtls_context_add_pkcs12(ctx, p12.data, p12.len, "wrong", &err), -1);
    CHECK_ERR_CODE(&err, "ERR_OSSL_PKCS12_MAC_VERIFY_FAILURE");
    CHECK(err.hint != NULL);
    blob_free(&p12);
    uvtls_context_unref(ctx);
}

TEST_IMPL(context_add_pkcs12_garbage) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    uvtls_error err;
    CHECK_INT_EQ(uvtls_context_add_pkcs12(ctx, garbage, sizeof(garbage) - 1, NULL, &err), -1);
    CHECK_ERR_CODE(&err, "ERR_OSSL_ASN1_NOT_ENOUGH_DATA");
    uvtls_context_unref(ctx);
}

TEST_IMPL(context_add_pkcs12_garbage_has_hint) {
    /* errors.c has a hint for data that is not PKCS#12, but keyed on the fallback code
     * ERR_OSSL_PKCS12_NOT_ENOUGH_DATA, which is never produced: OpenSSL reports the ASN.1
     * decoder's error. */
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    uvtls_error err;
    CHECK_INT_EQ(uvtls_context_add_pkcs12(ctx, garbage, sizeof(garbage) - 1, NULL, &err), -1);
    CHECK_STR_CONTAINS(err.hint, "PKCS#12");
    uvtls_context_unref(ctx);
}

TEST_IMPL(context_session_id_context) {
    uvtls_context *ctx = new_context();
    REQUIRE(ctx != NULL);
    uvtls_error err;
    CHECK_INT_EQ(uvtls_context_set_session_id_context(ctx, "app", 3, &err), 0);
    char too_long[64] = {0};
    CHECK_INT_EQ(uvtls_context_set_session_id_context(ctx, too_long, sizeof(too_long), &err), -1);
    CHECK_ERR_CODE(&err, "ERR_OUT_OF_RANGE");
    uvtls_context_unref(ctx);
}

TEST_IMPL(trust_store_new_and_unref) {
    blob ca = cert_file("ca.pem");
    uvtls_error err;
    uvtls_error_clear(&err);
    uvtls_trust_store *store = uvtls_trust_store_new(ca.data, ca.len, &err);
    CHECK(store != NULL);
    CHECK(!uvtls_error_is_set(&err));
    uvtls_trust_store_unref(store);
    uvtls_trust_store_unref(NULL); /* allowed */
    blob_free(&ca);
}

TEST_IMPL(trust_store_outlives_its_creator) {
    /* A context shares the store: dropping the creator's reference must not free it under the
     * context (ASan checks), nor keep it alive after the context is gone (LSan checks). */
    blob ca = cert_file("ca.pem");
    uvtls_error err;
    uvtls_trust_store *store = uvtls_trust_store_new(ca.data, ca.len, &err);
    blob_free(&ca);
    REQUIRE(store != NULL);
    uvtls_context *a = new_context(), *b = new_context();
    if (a != NULL)
        uvtls_context_use_trust_store(a, store);
    if (b != NULL)
        uvtls_context_use_trust_store(b, store);
    uvtls_trust_store_unref(store);
    uvtls_context_unref(a);
    uvtls_context_unref(b);
}

TEST_IMPL(openssl_version_matches) {
    uvtls_error err;
    uvtls_error_clear(&err);
    CHECK_INT_EQ(uvtls_openssl_version_check(&err), 0);
    CHECK_STR_PREFIX(uvtls_openssl_version_text(), "OpenSSL 3.");
}
