/* alpn_npn: ALPN and NPN lists on the engine and the OpenSSL callbacks that negotiate them. */
#include "core/alpn_npn.h"

#include <stdlib.h>
#include <string.h>

#include "core/ext_internal.h"

/* Checks a wire-format list; `what` names it in the error message. Returns 0 or -1 with err. */
static int check_wire(const unsigned char *wire, size_t len, const char *what, uvtls_error *err) {
    if (!uvtls_wire_valid(wire, len) || len > UVTLS_WIRE_LIST_MAX)
        return uvtls_error_set(err, UVTLS_STAGE(HANDSHAKE), UVTLS_CODE(ERR_INVALID_ARG_VALUE),
                               "%s names must be 1 to 255 bytes each", what);
    return 0;
}

/* Keeps a copy of a checked list in `*dst`. */
static int keep_wire(unsigned char **dst, size_t *dst_len, const unsigned char *wire, size_t len,
                     uvtls_error *err) {
    if (uvtls_bytes_replace(dst, dst_len, wire, len) < 0)
        return uvtls_error_set(err, UVTLS_STAGE(HANDSHAKE), UVTLS_CODE(ERR_UVTLS_OUT_OF_MEMORY),
                               "out of memory");
    return 0;
}

int uvtls_engine_set_alpn(uvtls_engine *e, const unsigned char *wire, size_t len,
                          uvtls_error *err) {
    struct uvtls_alpn_state *a = &uvtls_engine_ext(e)->alpn;
    int server = uvtls_engine_is_server(e);
    if (server && len == 0) {
        a->reject = 1;
        return keep_wire(&a->offer, &a->offer_len, NULL, 0, err);
    }
    UVTLS_GUARD(check_wire(wire, len, "ALPN protocol", err));
    if (server) {
        a->reject = 0;
        return keep_wire(&a->offer, &a->offer_len, wire, len, err);
    }
    if (SSL_set_alpn_protos(uvtls_engine_ssl(e), wire, (unsigned)len) != 0)
        return uvtls_error_openssl(err, UVTLS_STAGE(HANDSHAKE), UVTLS_CODE(ERR_INVALID_ARG_VALUE),
                                   "cannot set ALPN protocols");
    return 0;
}

/* Server preference: the first of our protocols that the client also offers. */
static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg) {
    (void)arg;
    const uvtls_engine *e = uvtls_engine_from_ssl(ssl);
    const struct uvtls_alpn_state *a = e ? &uvtls_engine_ext_const(e)->alpn : NULL;
    if (a != NULL && a->reject)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    if (a == NULL || a->offer == NULL)
        return SSL_TLSEXT_ERR_NOACK;
    for (size_t i = 0; i < a->offer_len; i += 1 + (size_t)a->offer[i]) {
        const unsigned char *ours = a->offer + i;
        for (unsigned j = 0; j < inlen; j += 1u + in[j]) {
            if (j + 1u + in[j] > inlen)
                break;
            if (in[j] == ours[0] && memcmp(in + j + 1, ours + 1, ours[0]) == 0) {
                *out = in + j + 1;
                *outlen = in[j];
                return SSL_TLSEXT_ERR_OK;
            }
        }
    }
    return SSL_TLSEXT_ERR_ALERT_FATAL; /* no_application_protocol */
}

const unsigned char *uvtls_engine_alpn_selected(const uvtls_engine *e, size_t *len) {
    const unsigned char *p = NULL;
    unsigned n = 0;
    SSL_get0_alpn_selected(uvtls_engine_ssl(e), &p, &n);
    *len = n;
    return n > 0 ? p : NULL;
}

int uvtls_engine_set_npn(uvtls_engine *e, const unsigned char *wire, size_t len, uvtls_error *err) {
    struct uvtls_alpn_state *a = &uvtls_engine_ext(e)->alpn;
    UVTLS_GUARD(check_wire(wire, len, "protocol", err));
    return keep_wire(&a->npn_offer, &a->npn_offer_len, wire, len, err);
}

static int npn_advertise(SSL *ssl, const unsigned char **out, unsigned int *outlen, void *arg) {
    (void)arg;
    const uvtls_engine *e = uvtls_engine_from_ssl(ssl);
    const struct uvtls_alpn_state *a = e ? &uvtls_engine_ext_const(e)->alpn : NULL;
    if (a == NULL || a->npn_offer == NULL)
        return SSL_TLSEXT_ERR_NOACK;
    *out = a->npn_offer;
    *outlen = (unsigned)a->npn_offer_len;
    return SSL_TLSEXT_ERR_OK;
}

static int npn_select(SSL *ssl, unsigned char **out, unsigned char *outlen, const unsigned char *in,
                      unsigned int inlen, void *arg) {
    (void)arg;
    const uvtls_engine *e = uvtls_engine_from_ssl(ssl);
    const struct uvtls_alpn_state *a = e ? &uvtls_engine_ext_const(e)->alpn : NULL;
    if (a == NULL || a->npn_offer == NULL)
        return SSL_TLSEXT_ERR_NOACK;
    /* The server's preference, as classic Node: the first protocol of the server's list that we
     * also speak; without overlap, our first protocol (NPN's rule). */
    SSL_select_next_proto(out, outlen, in, inlen, a->npn_offer, (unsigned)a->npn_offer_len);
    return SSL_TLSEXT_ERR_OK;
}

const unsigned char *uvtls_engine_npn_selected(const uvtls_engine *e, size_t *len) {
    const unsigned char *p = NULL;
    unsigned n = 0;
    SSL_get0_next_proto_negotiated(uvtls_engine_ssl(e), &p, &n);
    *len = n;
    return n > 0 ? p : NULL;
}

void uvtls_alpn_npn_install(SSL_CTX *c) {
    SSL_CTX_set_alpn_select_cb(c, select_alpn, NULL);
    SSL_CTX_set_next_protos_advertised_cb(c, npn_advertise, NULL);
    SSL_CTX_set_next_proto_select_cb(c, npn_select, NULL);
}

void uvtls_alpn_npn_free(struct uvtls_alpn_state *s) {
    free(s->offer);
    free(s->npn_offer);
}
