/* fuzz-regressions: inputs the fuzz targets (test/fuzz/) once crashed on, as plain unit tests,
 * so that the C suite catches a regression even where nobody runs the fuzzers. */
#include <stdlib.h>
#include <string.h>

#include "core/describe.h"
#include "core/extensions.h"
#include "core/x509.h"
#include "harness.h"
#include "helpers.h"

/* Every getter the binding exposes, on an engine in whatever state it is in: none may crash. */
static void call_every_getter(uvtls_engine *e) {
    const char *a = NULL, *b = NULL, *v = NULL;
    size_t len = 0;
    unsigned char buf[64];
    char text[256];
    int size = 0;
    uvtls_error err;
    (void)uvtls_engine_cipher(e, &a, &b, &v);
    (void)uvtls_engine_protocol(e);
    free(uvtls_engine_session(e, &len));
    (void)uvtls_engine_session_reused(e);
    (void)uvtls_engine_servername(e);
    (void)uvtls_engine_verify_result(e);
    (void)uvtls_engine_alpn_selected(e, &len);
    (void)uvtls_engine_npn_selected(e, &len);
    (void)uvtls_engine_ticket(e, &len);
    (void)uvtls_engine_ocsp_response(e, &len);
    (void)uvtls_engine_finished(e, buf, sizeof(buf));
    (void)uvtls_engine_peer_finished(e, buf, sizeof(buf));
    (void)uvtls_engine_shared_sigalgs(e, text, sizeof(text));
    (void)uvtls_engine_ephemeral_key(e, &a, &b, &size);
    (void)uvtls_engine_export_keying_material(e, buf, 16, "EXPORTER-x", 10, NULL, 0, 0, &err);
    uvtls_cert_chain_free(uvtls_engine_peer_chain(e, 0));
    uvtls_cert_chain_free(uvtls_engine_peer_chain(e, 1));
    uvtls_cert_chain_free(uvtls_engine_own_chain(e));
    char **names = NULL;
    size_t count = 0;
    if (uvtls_engine_cert_request(e, &names, &count) == 1)
        uvtls_strings_free(names, count);
}

/* fuzz_engine_server, input e1 60 af ab (no bytes, then the transport's end): the negotiated
 * group getter read OpenSSL's session, which a server has not made before a ClientHello, and
 * crashed on NULL. Reachable from JS as getConnectionInfo() in a tlsClientError listener. */
TEST_IMPL(fuzz_regression_group_without_client_hello) {
    uvtls_context *ctx = make_server_context();
    REQUIRE(ctx != NULL);

    uvtls_engine *eof = make_server(ctx, 0, 0);
    uvtls_engine *garbage = make_server(ctx, 0, 0);
    uvtls_engine *shut = make_server(ctx, 0, 0);
    REQUIRE(eof != NULL && garbage != NULL && shut != NULL);

    uvtls_engine_feed_eof(eof);
    CHECK_INT_EQ(uvtls_engine_handshake(eof), UVTLS_ENGINE_ERROR);
    CHECK_STR_EQ(uvtls_engine_error(eof)->code, "ECONNRESET");

    static const char http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    CHECK_INT_EQ(uvtls_engine_feed(garbage, http, sizeof(http) - 1), 0);
    CHECK_INT_EQ(uvtls_engine_handshake(garbage), UVTLS_ENGINE_ERROR);

    uvtls_engine_shutdown(shut);
    CHECK_INT_EQ(uvtls_engine_state_get(shut), UVTLS_ENGINE_CLOSED);

    uvtls_engine *all[] = {eof, garbage, shut};
    for (size_t i = 0; i < 3; i++) {
        CHECK(uvtls_engine_negotiated_group(all[i]) == NULL);
        call_every_getter(all[i]);
        uvtls_engine_free(all[i]);
    }
    uvtls_context_unref(ctx);
}
