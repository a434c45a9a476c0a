/* keylog: key log lines collected per engine, and SSL_trace output. */
#include "core/keylog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>

#include "core/ext_internal.h"

void uvtls_engine_set_keylog(uvtls_engine *e, int on) {
    uvtls_engine_ext(e)->keylog.on = on != 0;
}

static void on_keylog(const SSL *ssl, const char *line) {
    uvtls_engine *e = uvtls_engine_from_ssl(ssl);
    struct uvtls_keylog_state *k = e ? &uvtls_engine_ext(e)->keylog : NULL;
    if (k == NULL || !k->on)
        return;
    size_t n = strlen(line);
    char *buf = realloc(k->lines, k->len + n + 1);
    if (buf == NULL)
        return; /* a lost debugging line is better than a failed handshake */
    /* NOLINTNEXTLINE(bugprone-not-null-terminated-result): lines counted, no NUL */
    memcpy(buf + k->len, line, n);
    buf[k->len + n] = '\n';
    k->lines = buf;
    k->len += n + 1;
}

char *uvtls_engine_take_keylog(uvtls_engine *e, size_t *len) {
    struct uvtls_keylog_state *k = &uvtls_engine_ext(e)->keylog;
    char *lines = k->lines;
    *len = k->len;
    k->lines = NULL;
    k->len = 0;
    return lines;
}

/* SSL_trace, minus what its own failures leave on OpenSSL's error queue: a trace line that could
 * not be written (stderr is a full non-blocking pipe) must not become the handshake's error. */
static void trace_quietly(int write_p, int version, int content_type, const void *buf, size_t len,
                          SSL *ssl, void *arg) {
    ERR_set_mark();
    SSL_trace(write_p, version, content_type, buf, len, ssl, arg);
    ERR_pop_to_mark();
}

int uvtls_engine_enable_trace(uvtls_engine *e) {
    struct uvtls_keylog_state *k = &uvtls_engine_ext(e)->keylog;
    if (k->trace_bio != NULL)
        return 0;
    BIO *bio = BIO_new_fp(stderr, BIO_NOCLOSE);
    if (bio == NULL)
        return -1;
    k->trace_bio = bio;
    SSL_set_msg_callback(uvtls_engine_ssl(e), trace_quietly);
    SSL_set_msg_callback_arg(uvtls_engine_ssl(e), bio);
    return 0;
}

void uvtls_keylog_install(SSL_CTX *c) {
    SSL_CTX_set_keylog_callback(c, on_keylog);
}

void uvtls_keylog_free(struct uvtls_keylog_state *s) {
    free(s->lines);
    BIO_free(s->trace_bio);
}
