/* sessions: the new-session FIFO, client resumption and the server's external session cache. */
#include "core/sessions.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "core/ext_internal.h"

int uvtls_engine_set_session(uvtls_engine *e, const void *der, size_t len, uvtls_error *err) {
    const unsigned char *p = der;
    SSL_SESSION *s = len <= LONG_MAX ? d2i_SSL_SESSION(NULL, &p, (long)len) : NULL;
    if (s == NULL)
        return uvtls_error_openssl(err, UVTLS_STAGE(HANDSHAKE), UVTLS_CODE(ERR_INVALID_ARG_VALUE),
                                   "the session is not a valid TLS session");
    int ok = SSL_set_session(uvtls_engine_ssl(e), s);
    SSL_SESSION_free(s);
    if (!ok)
        return uvtls_error_openssl(err, UVTLS_STAGE(HANDSHAKE), UVTLS_CODE(ERR_INVALID_ARG_VALUE),
                                   "cannot use the session");
    return 0;
}

/* Every ticket of a batch is kept, in order, for one 'session' event each (as Node); the queue
 * is bounded: beyond UVTLS_NEW_SESSIONS_MAX the oldest is dropped. */
static int on_new_session(SSL *ssl, SSL_SESSION *sess) {
    uvtls_engine *e = uvtls_engine_from_ssl(ssl);
    if (e == NULL)
        return 0;
    struct uvtls_sessions_state *q = &uvtls_engine_ext(e)->sessions;
    if (uvtls_engine_is_server(e) && !q->server_sessions)
        return 0;
    int n = i2d_SSL_SESSION(sess, NULL);
    unsigned char *buf = n > 0 ? malloc((size_t)n) : NULL;
    if (buf == NULL)
        return 0;
    unsigned char *p = buf;
    i2d_SSL_SESSION(sess, &p);
    if (q->count == UVTLS_NEW_SESSIONS_MAX) {
        free(q->fifo[q->head].der);
        q->head = (q->head + 1) % UVTLS_NEW_SESSIONS_MAX;
        q->count--;
    }
    struct uvtls_new_session *slot = &q->fifo[(q->head + q->count) % UVTLS_NEW_SESSIONS_MAX];
    slot->der = buf;
    slot->len = (size_t)n;
    unsigned id_len = 0;
    const unsigned char *id = SSL_SESSION_get_id(sess, &id_len);
    if (id_len > sizeof(slot->id))
        id_len = 0;
    memcpy(slot->id, id, id_len);
    slot->id_len = id_len;
    q->count++;
    return 0; /* we keep no reference to `sess` */
}

unsigned char *uvtls_engine_take_new_session(uvtls_engine *e, size_t *len) {
    struct uvtls_sessions_state *q = &uvtls_engine_ext(e)->sessions;
    *len = 0;
    if (q->count == 0)
        return NULL;
    struct uvtls_new_session *slot = &q->fifo[q->head];
    unsigned char *s = slot->der;
    *len = slot->len;
    memcpy(q->taken_id, slot->id, slot->id_len);
    q->taken_id_len = slot->id_len;
    memset(slot, 0, sizeof(*slot));
    q->head = (q->head + 1) % UVTLS_NEW_SESSIONS_MAX;
    q->count--;
    return s;
}

void uvtls_engine_set_session_cache(uvtls_engine *e, int resume_pause, int server_sessions) {
    uvtls_handshake_ext *x = uvtls_engine_ext(e);
    x->hello.resume_pause = resume_pause != 0;
    x->sessions.server_sessions = server_sessions != 0;
}

const unsigned char *uvtls_engine_new_session_id(const uvtls_engine *e, size_t *len) {
    const struct uvtls_sessions_state *q = &uvtls_engine_ext_const(e)->sessions;
    *len = q->taken_id_len;
    return q->taken_id;
}

int uvtls_engine_set_resume_session(uvtls_engine *e, const void *der, size_t len) {
    struct uvtls_sessions_state *q = &uvtls_engine_ext(e)->sessions;
    return uvtls_bytes_replace(&q->resume_data, &q->resume_data_len, der, len);
}

/* Server: the session the owner looked up during the pause, if it is the one asked for. */
static SSL_SESSION *get_session(SSL *ssl, const unsigned char *id, int id_len, int *copy) {
    *copy = 0; /* OpenSSL owns what we return */
    const uvtls_engine *e = uvtls_engine_from_ssl(ssl);
    const struct uvtls_sessions_state *q = e ? &uvtls_engine_ext_const(e)->sessions : NULL;
    if (q == NULL || q->resume_data == NULL || q->resume_data_len > LONG_MAX)
        return NULL;
    const unsigned char *p = q->resume_data;
    SSL_SESSION *s = d2i_SSL_SESSION(NULL, &p, (long)q->resume_data_len);
    if (s == NULL) {
        ERR_clear_error();
        return NULL;
    }
    unsigned n = 0;
    const unsigned char *sid = SSL_SESSION_get_id(s, &n);
    if ((int)n != id_len || memcmp(sid, id, n) != 0) {
        SSL_SESSION_free(s);
        return NULL;
    }
    return s;
}

const unsigned char *uvtls_engine_ticket(const uvtls_engine *e, size_t *len) {
    const SSL_SESSION *s = SSL_get_session(uvtls_engine_ssl(e));
    const unsigned char *tick = NULL;
    size_t n = 0;
    if (s == NULL || !SSL_SESSION_has_ticket(s))
        return NULL;
    SSL_SESSION_get0_ticket(s, &tick, &n);
    *len = n;
    return tick;
}

unsigned char *uvtls_session_ticket(const unsigned char *der, size_t len, size_t *ticket_len) {
    if (len > LONG_MAX)
        return NULL;
    const unsigned char *p = der;
    SSL_SESSION *s = d2i_SSL_SESSION(NULL, &p, (long)len);
    ERR_clear_error(); /* a session that does not parse is "no ticket", not an error */
    if (s == NULL)
        return NULL;
    const unsigned char *tick = NULL;
    size_t n = 0;
    unsigned char *copy = NULL;
    if (SSL_SESSION_has_ticket(s)) {
        SSL_SESSION_get0_ticket(s, &tick, &n);
        copy = n > 0 ? malloc(n) : NULL;
        if (copy != NULL) {
            memcpy(copy, tick, n);
            *ticket_len = n;
        }
    }
    SSL_SESSION_free(s);
    return copy;
}

void uvtls_sessions_install(SSL_CTX *c) {
    /* Clients hear of every new session; servers keep no session cache in memory (stateless
     * tickets need none), so 100k connections do not mean 100k cached sessions. */
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_SERVER |
                                          SSL_SESS_CACHE_NO_INTERNAL);
    SSL_CTX_sess_set_new_cb(c, on_new_session);
    SSL_CTX_sess_set_get_cb(c, get_session);
}

void uvtls_sessions_free(struct uvtls_sessions_state *s) {
    for (size_t i = 0; i < s->count; i++)
        free(s->fifo[(s->head + i) % UVTLS_NEW_SESSIONS_MAX].der);
    free(s->resume_data);
}
