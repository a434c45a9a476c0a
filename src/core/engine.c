/* engine: an SSL object between two memory BIOs. See engine.h for the data flow. */
#include "core/engine_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>

#include "core/context_internal.h"
#include "core/bios.h"
#include "core/verify.h"

struct uvtls_engine {
    SSL *ssl;
    BIO *in;  /* ciphertext from the peer; owned by ssl */
    BIO *out; /* ciphertext to the peer; owned by ssl */
    uvtls_context *ctx;
    uvtls_engine_state state;
    uvtls_error error;
    unsigned is_server : 1;
    unsigned eof_fed : 1;     /* the transport ended */
    unsigned peer_closed : 1; /* close_notify received */
    unsigned sent_close : 1;  /* close_notify queued */
    uvtls_handshake_ext ext;
};

SSL *uvtls_engine_ssl(const uvtls_engine *e) {
    return e->ssl;
}

uvtls_handshake_ext *uvtls_engine_ext(uvtls_engine *e) {
    return &e->ext;
}

const uvtls_handshake_ext *uvtls_engine_ext_const(const uvtls_engine *e) {
    return &e->ext;
}

uvtls_engine *uvtls_engine_from_ssl(const SSL *ssl) {
    return SSL_get_app_data(ssl);
}

void uvtls_engine_switch_context(uvtls_engine *e, uvtls_context *ctx) {
    if (ctx == e->ctx)
        return;
    SSL_set_SSL_CTX(e->ssl, uvtls_context_ssl_ctx(ctx));
    /* SSL_set_SSL_CTX carries the new context's session id context over only when the SSL had
     * the old context's; set it explicitly so resumption is judged by the serving context. */
    if (e->is_server)
        uvtls_context_apply_session_id_context(ctx, e->ssl);
    uvtls_context_ref(ctx);
    uvtls_context_unref(e->ctx);
    e->ctx = ctx;
}

/* Client: OpenSSL calls this when a CertificateRequest arrives, whether or not a certificate is
 * configured. It only records that the request came (a diagnostic); returning 1 lets OpenSSL go
 * on exactly as it would without the callback. */
static int note_cert_request(SSL *ssl, void *arg) {
    (void)arg;
    uvtls_engine *e = SSL_get_app_data(ssl);
    if (e != NULL)
        e->ext.peer.cert_request_seen = 1;
    return 1;
}

uvtls_engine *uvtls_engine_new(uvtls_context *ctx, const uvtls_engine_options *opts,
                               uvtls_error *err) {
    uvtls_engine *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        uvtls_error_set(err, UVTLS_STAGE(HANDSHAKE), UVTLS_CODE(ERR_UVTLS_OUT_OF_MEMORY),
                        "out of memory");
        return NULL;
    }
    e->ssl = SSL_new(uvtls_context_ssl_ctx(ctx));
    e->in = uvtls_input_bio_new();
    e->out = uvtls_output_bio_new();
    if (e->ssl == NULL || e->in == NULL || e->out == NULL) {
        BIO_free(e->in);
        BIO_free(e->out);
        SSL_free(e->ssl);
        free(e);
        uvtls_error_openssl(err, UVTLS_STAGE(HANDSHAKE), UVTLS_CODE(ERR_UVTLS_OUT_OF_MEMORY),
                            "out of memory");
        return NULL;
    }
    SSL_set_bio(e->ssl, e->in, e->out);
    SSL_set_app_data(e->ssl, e);
    e->ctx = uvtls_context_ref(ctx);
    e->is_server = opts->is_server != 0;
    uvtls_verify_configure(e->ssl, opts->is_server, opts->request_cert, opts->reject_unauthorized);
    if (e->is_server) {
        SSL_set_accept_state(e->ssl);
        uvtls_context_apply_session_id_context(ctx, e->ssl);
    } else {
        SSL_set_connect_state(e->ssl);
        SSL_set_cert_cb(e->ssl, note_cert_request, NULL);
        if (opts->servername != NULL && opts->servername[0] != '\0' &&
            !SSL_set_tlsext_host_name(e->ssl, opts->servername)) {
            uvtls_error_openssl(err, UVTLS_STAGE(HANDSHAKE), UVTLS_CODE(ERR_INVALID_ARG_VALUE),
                                "invalid servername");
            uvtls_engine_free(e);
            return NULL;
        }
    }
    e->state = UVTLS_ENGINE_HANDSHAKING;
    return e;
}

void uvtls_engine_free(uvtls_engine *e) {
    if (e == NULL)
        return;
    SSL_free(e->ssl); /* frees both BIOs */
    uvtls_handshake_ext_free(&e->ext);
    uvtls_context_unref(e->ctx);
    free(e);
}

static int fail(uvtls_engine *e, const char *stage) {
    long verify = SSL_get_verify_result(e->ssl);
    unsigned long first = ERR_peek_error();
    if (ERR_GET_LIB(first) == ERR_LIB_SSL &&
        ERR_GET_REASON(first) == SSL_R_CERTIFICATE_VERIFY_FAILED && verify != X509_V_OK) {
        /* Report the verification result itself, with Node's code, not the SSL wrapper. */
        uvtls_error_verify(&e->error, verify);
    } else {
        uvtls_error_openssl(&e->error, stage, UVTLS_CODE(ERR_UVTLS_TLS), "TLS failure");
    }
    e->state = UVTLS_ENGINE_ERROR;
    return UVTLS_FAIL;
}

/* SSL_MODE_RELEASE_BUFFERS frees a record buffer once its record is consumed, but a read that
 * found no record at all (the next SSL_read after the last record, which is how every drain
 * ends) allocates the read buffer and keeps it: 16.7 KiB per idle connection, more than the rest
 * of an established SSL. With no ciphertext waiting, nothing is lost by freeing it; OpenSSL
 * refuses (returns 0) while a partial record or unsent output is held. */
static void release_record_buffers(uvtls_engine *e) {
    if (BIO_ctrl_pending(e->in) == 0)
        (void)SSL_free_buffers(e->ssl);
}

static void fail_reset(uvtls_engine *e) {
    ERR_clear_error();
    uvtls_error_set(&e->error, UVTLS_STAGE(HANDSHAKE), UVTLS_CODE(ECONNRESET),
                    "Client network socket disconnected before secure TLS connection was "
                    "established");
    e->state = UVTLS_ENGINE_ERROR;
}

static int input_failed(uvtls_engine *e) {
    uvtls_error_set(&e->error, UVTLS_STAGE(READ), UVTLS_CODE(ERR_UVTLS_OUT_OF_MEMORY),
                    "out of memory");
    e->state = UVTLS_ENGINE_ERROR;
    return -1;
}

int uvtls_engine_feed(uvtls_engine *e, const void *data, size_t len) {
    if (e->state == UVTLS_ENGINE_ERROR || e->eof_fed)
        return -1;
    return uvtls_input_bio_append(e->in, data, len) < 0 ? input_failed(e) : 0;
}

int uvtls_engine_lend(uvtls_engine *e, const void *data, size_t len) {
    if (e->state == UVTLS_ENGINE_ERROR || e->eof_fed)
        return -1;
    return uvtls_input_bio_lend(e->in, data, len) < 0 ? input_failed(e) : 0;
}

int uvtls_engine_end_loan(uvtls_engine *e) {
    if (e->state == UVTLS_ENGINE_ERROR) {
        (void)BIO_reset(e->in); /* nothing will read it again: drop the loan, copy nothing */
        return -1;
    }
    return uvtls_input_bio_end_loan(e->in) < 0 ? input_failed(e) : 0;
}

void uvtls_engine_feed_eof(uvtls_engine *e) {
    e->eof_fed = 1;
}

uvtls_engine_state uvtls_engine_handshake(uvtls_engine *e) {
    if (e->state != UVTLS_ENGINE_HANDSHAKING)
        return e->state;
    ERR_clear_error();
    int r = SSL_do_handshake(e->ssl);
    if (r == 1) {
        e->state = UVTLS_ENGINE_ESTABLISHED;
        return e->state;
    }
    switch (SSL_get_error(e->ssl, r)) {
    case SSL_ERROR_WANT_CLIENT_HELLO_CB:
        break; /* paused for the owner: see uvtls_engine_hello_waiting() */
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        if (e->eof_fed && BIO_ctrl_pending(e->in) == 0)
            fail_reset(e);
        break;
    case SSL_ERROR_SSL:
        fail(e, UVTLS_STAGE(HANDSHAKE));
        break;
    default:
        if (e->eof_fed)
            fail_reset(e);
        else
            fail(e, UVTLS_STAGE(HANDSHAKE));
        break;
    }
    return e->state;
}

int uvtls_engine_next_step_is_costly(const uvtls_engine *e) {
    if (!e->is_server || e->state != UVTLS_ENGINE_HANDSHAKING)
        return 0;
    OSSL_HANDSHAKE_STATE st = SSL_get_state(e->ssl);
    if (st == TLS_ST_BEFORE || st == TLS_ST_SR_CLNT_HELLO)
        return 1;
    return (SSL_get_verify_mode(e->ssl) & SSL_VERIFY_PEER) != 0 &&
           SSL_get0_peer_certificate(e->ssl) == NULL;
}

static void note_peer_close(uvtls_engine *e) {
    e->peer_closed = 1;
    e->state = e->sent_close ? UVTLS_ENGINE_CLOSED : UVTLS_ENGINE_CLOSING;
}

ssize_t uvtls_engine_read(uvtls_engine *e, void *buf, size_t cap) {
    if (e->state == UVTLS_ENGINE_HANDSHAKING &&
        uvtls_engine_handshake(e) != UVTLS_ENGINE_ESTABLISHED)
        return e->state == UVTLS_ENGINE_ERROR ? UVTLS_FAIL : UVTLS_AGAIN;
    if (e->state == UVTLS_ENGINE_ERROR)
        return UVTLS_FAIL;
    if (e->peer_closed)
        return UVTLS_EOF;
    if (cap == 0)
        return UVTLS_AGAIN;
    size_t n = 0;
    ERR_clear_error();
    if (SSL_read_ex(e->ssl, buf, cap, &n) == 1)
        return (ssize_t)n;
    switch (SSL_get_error(e->ssl, 0)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        release_record_buffers(e);
        /* A transport that ended without close_notify is a truncation; Node ends the stream
         * normally in that case, and so do we (see uvtls_engine_peer_closed_cleanly()). */
        return e->eof_fed && BIO_ctrl_pending(e->in) == 0 ? UVTLS_EOF : UVTLS_AGAIN;
    case SSL_ERROR_ZERO_RETURN:
        note_peer_close(e);
        return UVTLS_EOF;
    default:
        return fail(e, UVTLS_STAGE(READ));
    }
}

ssize_t uvtls_engine_write(uvtls_engine *e, const void *data, size_t len) {
    if (e->state == UVTLS_ENGINE_ERROR)
        return UVTLS_FAIL;
    if (e->state == UVTLS_ENGINE_HANDSHAKING || e->sent_close) {
        uvtls_error_set(&e->error, UVTLS_STAGE(WRITE), UVTLS_CODE(ERR_UVTLS_NOT_ESTABLISHED),
                        e->sent_close ? "write after end" : "write before the handshake ended");
        return UVTLS_FAIL;
    }
    size_t done = 0;
    ERR_clear_error();
    while (done < len) {
        size_t n = 0;
        if (SSL_write_ex(e->ssl, (const char *)data + done, len - done, &n) != 1)
            return fail(e, UVTLS_STAGE(WRITE));
        done += n;
    }
    return (ssize_t)done;
}

ssize_t uvtls_engine_write_into(uvtls_engine *e, const void *data, size_t len, void *dest,
                                size_t cap, size_t *placed) {
    *placed = 0;
    /* Records may go to `dest` only when nothing pending must be sent before them. */
    int lend = cap > 0 && BIO_ctrl_pending(e->out) == 0;
    if (lend)
        uvtls_output_bio_lend(e->out, dest, cap);
    ssize_t r = uvtls_engine_write(e, data, len);
    if (lend)
        *placed = uvtls_output_bio_end_loan(e->out);
    return r;
}

size_t uvtls_engine_pending(const uvtls_engine *e) {
    return BIO_ctrl_pending(e->out);
}

size_t uvtls_engine_take(uvtls_engine *e, void *buf, size_t cap) {
    size_t got = 0;
    if (cap == 0 || BIO_ctrl_pending(e->out) == 0)
        return 0;
    if (BIO_read_ex(e->out, buf, cap, &got) != 1) {
        /* A memory BIO with bytes pending does not refuse a read; should it, the engine fails
         * rather than report "nothing pending" with the bytes stuck, and drops what it held so
         * that a caller looping while uvtls_engine_pending() > 0 stops. */
        uvtls_error_openssl(&e->error, UVTLS_STAGE(WRITE), UVTLS_CODE(ERR_UVTLS_TLS),
                            "cannot take ciphertext from the engine");
        e->state = UVTLS_ENGINE_ERROR;
        (void)BIO_reset(e->out);
        return 0;
    }
    return got;
}

int uvtls_engine_shutdown(uvtls_engine *e) {
    if (e->sent_close)
        return 0;
    e->sent_close = 1;
    if (e->state == UVTLS_ENGINE_HANDSHAKING || e->state == UVTLS_ENGINE_ERROR) {
        if (e->state == UVTLS_ENGINE_HANDSHAKING)
            e->state = UVTLS_ENGINE_CLOSED;
        return -1;
    }
    ERR_clear_error();
    int r = SSL_shutdown(e->ssl);
    ERR_clear_error(); /* a failed close_notify changes nothing for the caller */
    e->state = (r == 1 || e->peer_closed) ? UVTLS_ENGINE_CLOSED : UVTLS_ENGINE_CLOSING;
    return 0;
}

uvtls_engine_state uvtls_engine_state_get(const uvtls_engine *e) {
    return e->state;
}

const uvtls_error *uvtls_engine_error(const uvtls_engine *e) {
    return &e->error;
}

int uvtls_engine_is_server(const uvtls_engine *e) {
    return e->is_server;
}

int uvtls_engine_peer_closed_cleanly(const uvtls_engine *e) {
    return e->peer_closed;
}

long uvtls_engine_verify_result(const uvtls_engine *e) {
    return uvtls_verify_result(e->ssl);
}

int uvtls_engine_cipher(const uvtls_engine *e, const char **name, const char **standard_name,
                        const char **version) {
    const SSL_CIPHER *c = SSL_get_current_cipher(e->ssl);
    if (c == NULL)
        return -1;
    *name = SSL_CIPHER_get_name(c);
    *standard_name = SSL_CIPHER_standard_name(c);
    *version = SSL_CIPHER_get_version(c);
    return 0;
}

const char *uvtls_engine_protocol(const uvtls_engine *e) {
    if (e->state == UVTLS_ENGINE_HANDSHAKING)
        return NULL;
    return SSL_get_version(e->ssl);
}

unsigned char *uvtls_engine_session(const uvtls_engine *e, size_t *len) {
    SSL_SESSION *s = SSL_get_session(e->ssl);
    if (s == NULL)
        return NULL;
    int n = i2d_SSL_SESSION(s, NULL);
    if (n <= 0)
        return NULL;
    unsigned char *buf = malloc((size_t)n);
    unsigned char *p = buf;
    if (buf == NULL)
        return NULL;
    i2d_SSL_SESSION(s, &p);
    *len = (size_t)n;
    return buf;
}

int uvtls_engine_session_reused(const uvtls_engine *e) {
    return SSL_session_reused(e->ssl);
}

const char *uvtls_engine_servername(const uvtls_engine *e) {
    return SSL_get_servername(e->ssl, TLSEXT_NAMETYPE_host_name);
}
