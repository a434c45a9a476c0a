/* errors: verification codes, OpenSSL error queue -> Node codes, hints. */
#include <limits.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "core/errors.h"
#include "harness.h"

/* Leaves one real PEM "no start line" error on this thread's queue, as a failed parse would. */
static void push_pem_no_start_line(void) {
    static const char garbage[] = "this is not a certificate\n";
    BIO *bio = BIO_new_mem_buf(garbage, (int)sizeof(garbage) - 1);
    X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    X509_free(x); /* NULL, but keep the test honest if OpenSSL ever parses it */
    BIO_free(bio);
}

TEST_IMPL(verify_code_ok_has_no_name) {
    CHECK(uvtls_verify_code(X509_V_OK) == NULL);
}

TEST_IMPL(verify_code_known_results) {
    CHECK_STR_EQ(uvtls_verify_code(X509_V_ERR_CERT_HAS_EXPIRED), "CERT_HAS_EXPIRED");
    CHECK_STR_EQ(uvtls_verify_code(10), "CERT_HAS_EXPIRED");
    CHECK_STR_EQ(uvtls_verify_code(21), "UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    CHECK_STR_EQ(uvtls_verify_code(X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT),
                 "DEPTH_ZERO_SELF_SIGNED_CERT");
    CHECK_STR_EQ(uvtls_verify_code(X509_V_ERR_HOSTNAME_MISMATCH), "HOSTNAME_MISMATCH");
    CHECK_STR_EQ(uvtls_verify_code(X509_V_ERR_EC_KEY_EXPLICIT_PARAMS), "EC_KEY_EXPLICIT_PARAMS");
}

TEST_IMPL(verify_code_unknown_is_unspecified) {
    CHECK_STR_EQ(uvtls_verify_code(-1), "UNSPECIFIED");
    CHECK_STR_EQ(uvtls_verify_code(9999), "UNSPECIFIED");
    CHECK_STR_EQ(uvtls_verify_code(LONG_MAX), "UNSPECIFIED");
    CHECK_STR_EQ(uvtls_verify_code(LONG_MIN), "UNSPECIFIED");
}

TEST_IMPL(error_openssl_derives_code_from_queue) {
    ERR_clear_error();
    push_pem_no_start_line();
    REQUIRE(ERR_peek_error() != 0);

    uvtls_error err;
    CHECK_INT_EQ(uvtls_error_openssl(&err, "context", "FALLBACK", "fallback"), -1);
    CHECK_ERR_CODE(&err, "ERR_OSSL_PEM_NO_START_LINE");
    CHECK_STR_EQ(err.library, "PEM routines");
    CHECK_STR_EQ(err.reason, "no start line");
    CHECK_STR_EQ(err.stage, "context");
    CHECK(err.packed != 0);
    CHECK_STR_CONTAINS(err.message, "no start line");
    CHECK(err.hint != NULL);
    CHECK(uvtls_error_is_set(&err));
    /* The queue is emptied so the next failure does not report this one. */
    CHECK(ERR_peek_error() == 0);
}

TEST_IMPL(error_openssl_reports_earliest_entry) {
    ERR_clear_error();
    push_pem_no_start_line();
    ERR_raise(ERR_LIB_SSL, SSL_R_WRONG_VERSION_NUMBER);

    uvtls_error err;
    uvtls_error_openssl(&err, "read", "FALLBACK", "fallback");
    /* The root cause is the first entry: Node reports that one too. */
    CHECK_ERR_CODE(&err, "ERR_OSSL_PEM_NO_START_LINE");
    CHECK(ERR_peek_error() == 0);
}

TEST_IMPL(error_openssl_ssl_library_has_no_ossl_prefix) {
    /* libssl registers its reason strings when initialized (SSL_CTX_new does it, and Node has
     * long done it before any addon runs); this test may run before any context exists. */
    OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS, NULL);
    ERR_clear_error();
    ERR_raise(ERR_LIB_SSL, SSL_R_WRONG_VERSION_NUMBER);

    uvtls_error err;
    uvtls_error_openssl(&err, "handshake", "FALLBACK", "fallback");
    CHECK_ERR_CODE(&err, "ERR_SSL_WRONG_VERSION_NUMBER");
    CHECK_STR_EQ(err.library, "SSL routines");
    CHECK(err.hint != NULL);
    CHECK(ERR_peek_error() == 0);
}

TEST_IMPL(error_openssl_empty_queue_uses_fallback) {
    ERR_clear_error();
    uvtls_error err;
    CHECK_INT_EQ(uvtls_error_openssl(&err, "write", "ECONNRESET", "socket hang up"), -1);
    CHECK_ERR_CODE(&err, "ECONNRESET");
    CHECK_STR_EQ(err.message, "socket hang up");
    CHECK_STR_EQ(err.library, "");
    CHECK_STR_EQ(err.reason, "");
    CHECK_INT_EQ(err.packed, 0);
    CHECK_STR_EQ(err.stage, "write");
    /* The hint follows the code even when the code is the fallback. */
    CHECK(err.hint == uvtls_error_hint("ECONNRESET"));
}

TEST_IMPL(error_set_formats_message_and_looks_up_hint) {
    uvtls_error err;
    CHECK_INT_EQ(
        uvtls_error_set(&err, "context", "ERR_UVTLS_MISSING_KEY", "got %d of %s", 3, "keys"), -1);
    CHECK_ERR_CODE(&err, "ERR_UVTLS_MISSING_KEY");
    CHECK_STR_EQ(err.message, "got 3 of keys");
    CHECK(err.hint != NULL && err.hint == uvtls_error_hint("ERR_UVTLS_MISSING_KEY"));
    CHECK_INT_EQ(err.packed, 0);

    uvtls_error_set(&err, "context", "ERR_SOMETHING_WITHOUT_HINT", "x");
    CHECK(err.hint == NULL);
}

TEST_IMPL(error_set_truncates_long_message) {
    char long_text[1000];
    memset(long_text, 'a', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    uvtls_error err;
    uvtls_error_set(&err, "context", "ERR_X", "%s", long_text);
    CHECK_INT_EQ(strlen(err.message), sizeof(err.message) - 1);
}

TEST_IMPL(error_clear_and_is_set) {
    uvtls_error err;
    uvtls_error_set(&err, "context", "ERR_X", "x");
    CHECK(uvtls_error_is_set(&err));
    uvtls_error_clear(&err);
    CHECK(!uvtls_error_is_set(&err));
    CHECK_STR_EQ(err.code, "");
    CHECK(err.hint == NULL);
    CHECK(err.stage == NULL);
}

TEST_IMPL(error_verify_fills_result) {
    ERR_clear_error();
    uvtls_error err;
    CHECK_INT_EQ(uvtls_error_verify(&err, X509_V_ERR_CERT_HAS_EXPIRED), -1);
    CHECK_ERR_CODE(&err, "CERT_HAS_EXPIRED");
    CHECK_INT_EQ(err.verify_result, X509_V_ERR_CERT_HAS_EXPIRED);
    CHECK_STR_EQ(err.stage, "verify");
    CHECK_STR_EQ(err.message, "certificate has expired");
    CHECK(err.hint != NULL);

    uvtls_error_verify(&err, 9999);
    CHECK_ERR_CODE(&err, "UNSPECIFIED");
    CHECK_INT_EQ(err.verify_result, 9999);
}

TEST_IMPL(error_set_hint_replaces_hint) {
    uvtls_error err;
    uvtls_error_set(&err, "context", "ERR_OSSL_PEM_NO_START_LINE", "x");
    CHECK(err.hint != NULL);
    uvtls_error_set_hint(&err, "custom");
    CHECK_STR_EQ(err.hint, "custom");
    uvtls_error_set_hint(&err, NULL);
    CHECK(err.hint == NULL);
}

TEST_IMPL(hints_exist_for_key_codes) {
    static const char *const codes[] = {
        "DEPTH_ZERO_SELF_SIGNED_CERT",
        "SELF_SIGNED_CERT_IN_CHAIN",
        "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
        "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
        "CERT_HAS_EXPIRED",
        "CERT_REVOKED",
        "ERR_OSSL_PEM_NO_START_LINE",
        "ERR_OSSL_BAD_DECRYPT",
        "ERR_OSSL_X509_KEY_VALUES_MISMATCH",
        "ERR_SSL_NO_CIPHER_MATCH",
        "ERR_TLS_PROTOCOL_VERSION_CONFLICT",
        "ERR_TLS_INVALID_PROTOCOL_VERSION",
        "ERR_UVTLS_MISSING_KEY",
        "ERR_UVTLS_MISSING_CERT",
        "ERR_SSL_WRONG_VERSION_NUMBER",
        "ERR_SSL_HTTP_REQUEST",
        "ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE",
        "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA",
        "ECONNRESET",
        "hint:ecdhCurve",
        "hint:dhparam",
        "hint:crl",
    };
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        const char *hint = uvtls_error_hint(codes[i]);
        if (hint == NULL) {
            harness_fail(__FILE__, __LINE__, "no hint for %s", codes[i]);
            continue;
        }
        /* One sentence that ends like one. */
        CHECK(strlen(hint) > 20);
        CHECK(hint[strlen(hint) - 1] == '.');
    }
}

TEST_IMPL(hints_never_suggest_disabling_verification) {
    static const char *const codes[] = {
        "DEPTH_ZERO_SELF_SIGNED_CERT",       "SELF_SIGNED_CERT_IN_CHAIN",
        "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
        "UNABLE_TO_GET_ISSUER_CERT",         "CERT_HAS_EXPIRED",
        "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA",
    };
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        const char *hint = uvtls_error_hint(codes[i]);
        CHECK(hint != NULL && strstr(hint, "rejectUnauthorized") == NULL);
    }
}

TEST_IMPL(hint_unknown_code_is_null) {
    CHECK(uvtls_error_hint("ERR_NOT_A_REAL_CODE") == NULL);
    CHECK(uvtls_error_hint("") == NULL);
}
