/* ocsp: the status-request extension on both sides. */
#include "core/ocsp.h"

#include <stdlib.h>

#include <openssl/crypto.h>

#include "core/ext_internal.h"

void uvtls_engine_request_ocsp(uvtls_engine *e) {
    SSL_set_tlsext_status_type(uvtls_engine_ssl(e), TLSEXT_STATUSTYPE_ocsp);
}

const unsigned char *uvtls_engine_ocsp_response(const uvtls_engine *e, size_t *len) {
    const unsigned char *p = NULL;
    long n = SSL_get_tlsext_status_ocsp_resp(uvtls_engine_ssl(e), &p);
    *len = n > 0 ? (size_t)n : 0;
    return n > 0 ? p : NULL;
}

void uvtls_engine_set_ocsp_handler(uvtls_engine *e, uvtls_ocsp_handler fn, void *arg) {
    struct uvtls_ocsp_state *o = &uvtls_engine_ext(e)->ocsp;
    o->handler = fn;
    o->handler_arg = arg;
}

void uvtls_engine_set_ocsp_pause(uvtls_engine *e, int on) {
    uvtls_engine_ext(e)->hello.ocsp_pause = on != 0;
}

int uvtls_engine_set_ocsp_response(uvtls_engine *e, const void *der, size_t len) {
    struct uvtls_ocsp_state *o = &uvtls_engine_ext(e)->ocsp;
    return uvtls_bytes_replace(&o->response, &o->response_len, der, len);
}

/* Server: staple the response set during the pause. Client: accept whatever came; the owner
 * reads it (Node leaves judging the response to the application too). */
static int on_status(SSL *ssl, void *arg) {
    (void)arg;
    const uvtls_engine *e = uvtls_engine_from_ssl(ssl);
    if (e == NULL)
        return 1;
    if (!uvtls_engine_is_server(e)) {
        const struct uvtls_ocsp_state *o = &uvtls_engine_ext_const(e)->ocsp;
        if (o->handler != NULL) {
            const unsigned char *p = NULL;
            long n = SSL_get_tlsext_status_ocsp_resp(ssl, &p);
            o->handler(o->handler_arg, n > 0 ? p : NULL, n > 0 ? (size_t)n : 0);
        }
        return 1;
    }
    const struct uvtls_ocsp_state *o = &uvtls_engine_ext_const(e)->ocsp;
    if (o->response == NULL)
        return SSL_TLSEXT_ERR_NOACK;
    unsigned char *copy = OPENSSL_memdup(o->response, o->response_len);
    if (copy == NULL)
        return SSL_TLSEXT_ERR_NOACK;
    SSL_set_tlsext_status_ocsp_resp(ssl, copy, (long)o->response_len); /* takes `copy` */
    return SSL_TLSEXT_ERR_OK;
}

void uvtls_ocsp_install(SSL_CTX *c) {
    SSL_CTX_set_tlsext_status_cb(c, on_status);
}

void uvtls_ocsp_free(struct uvtls_ocsp_state *s) {
    free(s->response);
}
