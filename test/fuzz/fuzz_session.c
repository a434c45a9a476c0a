/* fuzz_session: TLS sessions (DER) from hostile bytes.
 *
 * Sessions come back into the engine from outside: a client's `session` option (often read from
 * a cache or a file) and a server's external session cache (resumeSession answers). Both are
 * parsed by the engine: uvtls_engine_set_session() on a client, and on a server the session
 * handed over at the ClientHello pause, decoded inside OpenSSL's get-session callback and
 * matched against the id the client sent. Each input is tried both ways, then the engines run a
 * handshake with the world's peers so that an accepted session is really used. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <openssl/err.h>

#include "core/extensions.h"
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_setup();
    return 0;
}

static void forward(const void *data, size_t len, void *arg) {
    uvtls_engine_feed(arg, data, len);
}

/* Runs the two engines against each other until nothing moves. */
static void converse(uvtls_engine *c, uvtls_engine *s, uint8_t sf0, uint8_t sf1) {
    for (int round = 0; round < 8; round++) {
        size_t before = uvtls_engine_pending(c) + uvtls_engine_pending(s);
        fuzz_rand_use(FUZZ_SIDE_CLIENT);
        fuzz_step(c, 0, 0, 0, forward, s);
        fuzz_rand_use(FUZZ_SIDE_SERVER);
        fuzz_step(s, 1, sf0, sf1, forward, c);
        if (before == 0 && uvtls_engine_pending(c) == 0 && uvtls_engine_pending(s) == 0 &&
            round > 1)
            break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const fuzz_world *w = fuzz_setup();
    uvtls_error err;
    fuzz_rand_reset(FUZZ_SIDE_CLIENT);
    fuzz_rand_reset(FUZZ_SIDE_SERVER);

    /* A client resuming the input as its session, against the TLS 1.2..1.3 server. */
    fuzz_rand_use(FUZZ_SIDE_CLIENT);
    uvtls_engine *c = fuzz_client_new(FUZZ_C_VERIFY | FUZZ_C_SNI, 0);
    uvtls_engine_set_session(c, data, size, &err);
    fuzz_rand_use(FUZZ_SIDE_SERVER);
    uvtls_engine *s = fuzz_server_new(0, 0);
    converse(c, s, 0, 0);
    fuzz_getters(c);
    uvtls_engine_free(c);
    uvtls_engine_free(s);

    /* A server whose external cache answers with the input for a client resuming by id. */
    uint8_t sf0 = FUZZ_S_RESUME_PAUSE, sf1 = FUZZ_S_TLS12;
    fuzz_rand_use(FUZZ_SIDE_CLIENT);
    c = fuzz_client_new(FUZZ_C_SNI, FUZZ_C_TLS12);
    uvtls_engine_set_session(c, w->session12_noticket, w->session12_noticket_len, &err);
    fuzz_rand_use(FUZZ_SIDE_SERVER);
    s = fuzz_server_new(sf0, sf1);
    uvtls_engine_set_resume_session(s, data, size);
    converse(c, s, sf0, sf1);
    fuzz_getters(s);
    uvtls_engine_free(c);
    uvtls_engine_free(s);
    ERR_clear_error();
    return 0;
}
