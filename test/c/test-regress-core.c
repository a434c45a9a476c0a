/* Regression tests for issue 11 (core items): every new session of a batch is kept, in order and
 * bounded (item 17). */
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "core/context_internal.h"
#include "core/engine_internal.h"
#include "core/extensions.h"
#include "harness.h"
#include "helpers.h"

/* A TLS 1.3 handshake where the server sends `tickets` session tickets; the client has read
 * them all when this returns. */
static int handshake_with_tickets(uvtls_context **cctx, uvtls_context **sctx, uvtls_engine **c,
                                  uvtls_engine **s, size_t tickets) {
    *cctx = make_client_context();
    *sctx = make_server_context();
    if (*cctx == NULL || *sctx == NULL)
        return -1;
    SSL_CTX_set_num_tickets(uvtls_context_ssl_ctx(*sctx), tickets);
    *c = make_client(*cctx, 1);
    *s = make_server(*sctx, 0, 0);
    if (*c == NULL || *s == NULL)
        return -1;
    handshake_pair(*c, *s);
    shuttle(*s, *c, 16384);
    char buf[256];
    long last = 0;
    read_available(*c, buf, sizeof(buf), &last); /* processes the NewSessionTicket messages */
    CHECK_INT_EQ(last, UVTLS_AGAIN);
    return uvtls_engine_state_get(*c) == UVTLS_ENGINE_ESTABLISHED ? 0 : -1;
}

static size_t take_all(uvtls_engine *e, unsigned char **firsts, size_t cap) {
    size_t n = 0, len = 0;
    unsigned char *der;
    while ((der = uvtls_engine_take_new_session(e, &len)) != NULL) {
        CHECK(len > 0);
        if (firsts != NULL && n < cap)
            firsts[n] = der;
        else
            free(der);
        n++;
        if (n > 1000)
            break; /* never: the queue is bounded */
    }
    return n;
}

TEST_IMPL(regress_new_sessions_fifo_keeps_each_ticket) {
    uvtls_context *cctx = NULL, *sctx = NULL;
    uvtls_engine *c = NULL, *s = NULL;
    if (handshake_with_tickets(&cctx, &sctx, &c, &s, 2) == 0) {
        unsigned char *got[4] = {0};
        size_t len = 0;
        CHECK_INT_EQ(take_all(c, got, 4), 2);
        /* Two different tickets, then nothing more. */
        CHECK(got[0] != NULL && got[1] != NULL);
        CHECK(uvtls_engine_take_new_session(c, &len) == NULL);
        CHECK_INT_EQ(len, 0);
        free(got[0]);
        free(got[1]);
    } else {
        harness_fail(__FILE__, __LINE__, "handshake failed");
    }
    uvtls_engine_free(c);
    uvtls_engine_free(s);
    uvtls_context_unref(cctx);
    uvtls_context_unref(sctx);
}

TEST_IMPL(regress_new_sessions_fifo_is_bounded) {
    uvtls_context *cctx = NULL, *sctx = NULL;
    uvtls_engine *c = NULL, *s = NULL;
    if (handshake_with_tickets(&cctx, &sctx, &c, &s, 20) == 0) {
        /* 20 tickets arrived; the 8 newest wait, the oldest were dropped. */
        CHECK_INT_EQ(take_all(c, NULL, 0), UVTLS_NEW_SESSIONS_MAX);
    } else {
        harness_fail(__FILE__, __LINE__, "handshake failed");
    }
    /* Tickets left untaken are freed with the engine (LeakSanitizer checks). */
    uvtls_engine_free(c);
    uvtls_engine_free(s);
    uvtls_context_unref(cctx);
    uvtls_context_unref(sctx);
}

TEST_IMPL(regress_new_sessions_freed_untaken) {
    uvtls_context *cctx = NULL, *sctx = NULL;
    uvtls_engine *c = NULL, *s = NULL;
    CHECK(handshake_with_tickets(&cctx, &sctx, &c, &s, 3) == 0);
    uvtls_engine_free(c);
    uvtls_engine_free(s);
    uvtls_context_unref(cctx);
    uvtls_context_unref(sctx);
}
