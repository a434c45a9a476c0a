/* hello: the ClientHello callback that pauses a server handshake for its owner. */
#include "core/hello.h"

#include <stdlib.h>
#include <string.h>

#include "core/ext_internal.h"

void uvtls_engine_set_sni_pause(uvtls_engine *e, int on) {
    uvtls_engine_ext(e)->hello.sni_pause = on != 0;
}

int uvtls_engine_hello_waiting(const uvtls_engine *e) {
    return uvtls_engine_ext_const(e)->hello.waiting;
}

const char *uvtls_engine_hello_servername(const uvtls_engine *e) {
    return uvtls_engine_ext_const(e)->hello.servername;
}

const unsigned char *uvtls_engine_hello_alpn(const uvtls_engine *e, size_t *len) {
    const struct uvtls_hello_state *h = &uvtls_engine_ext_const(e)->hello;
    *len = h->alpn_len;
    return h->alpn;
}

const unsigned char *uvtls_engine_hello_session_id(const uvtls_engine *e, size_t *len) {
    const struct uvtls_hello_state *h = &uvtls_engine_ext_const(e)->hello;
    *len = h->session_id_len;
    return h->session_id_len > 0 ? h->session_id : NULL;
}

int uvtls_engine_hello_ocsp_requested(const uvtls_engine *e) {
    return uvtls_engine_ext_const(e)->hello.ocsp_requested;
}

/* server_name extension: list length (2), then entries of type (1), length (2), name. Only a
 * single host_name entry without NUL is taken; anything else reads as no name. */
static char *parse_server_name(const unsigned char *p, size_t len) {
    if (len < 5 || p[2] != TLSEXT_NAMETYPE_host_name)
        return NULL;
    size_t n = (size_t)p[3] << 8 | p[4];
    if (n == 0 || 5 + n > len || memchr(p + 5, 0, n) != NULL)
        return NULL;
    char *name = malloc(n + 1);
    if (name != NULL) {
        memcpy(name, p + 5, n);
        name[n] = '\0';
    }
    return name;
}

/* Records what the owner will be asked about: the host name and the ALPN list. */
static void note_hello(SSL *ssl, struct uvtls_hello_state *h) {
    const unsigned char *p = NULL;
    size_t len = 0;
    if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &len) == 1)
        h->servername = parse_server_name(p, len);
    /* ALPN extension: a 2-byte length, then the wire-format list. Out of memory, the owner
     * sees no list (the buffer is left as it was: empty). */
    if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_application_layer_protocol_negotiation, &p,
                                  &len) == 1 &&
        len > 2 && uvtls_wire_valid(p + 2, len - 2))
        (void)uvtls_bytes_replace(&h->alpn, &h->alpn_len, p + 2, len - 2);
}

/* Runs once per ClientHello (again after each retry, until the owner resolved the pause). */
static int on_client_hello(SSL *ssl, int *alert, void *arg) {
    (void)alert;
    (void)arg;
    uvtls_engine *e = uvtls_engine_from_ssl(ssl);
    struct uvtls_hello_state *h = e ? &uvtls_engine_ext(e)->hello : NULL;
    if (h == NULL || h->resolved)
        return SSL_CLIENT_HELLO_SUCCESS;
    if (!h->waiting && h->ocsp_pause) {
        const unsigned char *p = NULL;
        size_t len = 0;
        h->ocsp_requested = SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_status_request, &p, &len);
    }
    if (!h->waiting && h->resume_pause) {
        const unsigned char *sid = NULL;
        size_t n = SSL_client_hello_get0_session_id(ssl, &sid);
        if (n > sizeof(h->session_id))
            n = 0;
        memcpy(h->session_id, sid, n);
        h->session_id_len = n;
    }
    if (!h->sni_pause && !(h->ocsp_pause && h->ocsp_requested) &&
        !(h->resume_pause && h->session_id_len > 0))
        return SSL_CLIENT_HELLO_SUCCESS;
    if (!h->waiting) {
        note_hello(ssl, h);
        h->waiting = 1;
    }
    return SSL_CLIENT_HELLO_RETRY;
}

int uvtls_engine_resume_hello(uvtls_engine *e, uvtls_context *ctx) {
    struct uvtls_hello_state *h = &uvtls_engine_ext(e)->hello;
    if (!h->waiting)
        return -1;
    if (ctx != NULL)
        uvtls_engine_switch_context(e, ctx);
    h->waiting = 0;
    h->resolved = 1;
    return 0;
}

void uvtls_hello_install(SSL_CTX *c) {
    SSL_CTX_set_client_hello_cb(c, on_client_hello, NULL);
}

void uvtls_hello_free(struct uvtls_hello_state *s) {
    free(s->servername);
    free(s->alpn);
}
