/* fuzz_engine_server / fuzz_engine_client: one engine fed the fuzz input as the peer's bytes.
 *
 * Built twice from this file (FUZZ_SERVER set or not). The header bytes choose the features
 * and the callback answers (see fuzz_common.h); the rest is fed in chunks the way a socket would
 * deliver it, with the engine run after every chunk exactly as src/net/conn.c runs it. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_common.h"

#ifdef FUZZ_SERVER
enum { IS_SERVER = 1, SIDE = FUZZ_SIDE_SERVER, F1_EOF = FUZZ_S_EOF, F1_SHUTDOWN = FUZZ_S_SHUTDOWN };
#else
enum { IS_SERVER = 0, SIDE = FUZZ_SIDE_CLIENT, F1_EOF = FUZZ_C_EOF, F1_SHUTDOWN = FUZZ_C_SHUTDOWN };
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_setup();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < FUZZ_HEADER)
        return 0;
    fuzz_setup();
    fuzz_rand_reset(SIDE);
    fuzz_rand_use(SIDE);
    uint8_t f0 = data[0], f1 = data[1];
    uvtls_engine *e = IS_SERVER ? fuzz_server_new(f0, f1) : fuzz_client_new(f0, f1);
    fuzz_chunker ch;
    fuzz_chunker_init(&ch, data[2]);
    const uint8_t *p = data + FUZZ_HEADER;
    size_t left = size - FUZZ_HEADER;
    /* A client speaks first: its ClientHello is ready after one run. */
    fuzz_step(e, IS_SERVER, f0, f1, NULL, NULL);
    for (unsigned chunk = 0; left > 0; chunk++) {
        size_t n = fuzz_chunker_next(&ch, left);
        if (uvtls_engine_feed(e, p, n) < 0)
            break; /* the engine failed or ended: a socket would be closed now */
        p += n;
        left -= n;
        fuzz_step(e, IS_SERVER, f0, f1, NULL, NULL);
        if ((f1 & F1_SHUTDOWN) && chunk == data[3]) {
            uvtls_engine_shutdown(e);
            fuzz_step(e, IS_SERVER, f0, f1, NULL, NULL);
        }
    }
    if (f1 & F1_EOF) {
        uvtls_engine_feed_eof(e);
        fuzz_step(e, IS_SERVER, f0, f1, NULL, NULL);
    }
    fuzz_getters(e);
    if (getenv("FUZZ_DEBUG") != NULL) {
        const uvtls_error *err = uvtls_engine_error(e);
        fprintf(stderr, "state %d protocol %s reused %d code %s %s\n", uvtls_engine_state_get(e),
                uvtls_engine_protocol(e) ? uvtls_engine_protocol(e) : "-",
                uvtls_engine_session_reused(e), err->code, err->message);
    }
    uvtls_engine_free(e);
    return 0;
}
