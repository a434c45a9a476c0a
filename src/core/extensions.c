/* extensions: ALPN, the SNI pause, keylog, sessions, negotiated-value getters. */
#include "core/extensions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>

#include "core/context_internal.h"
#include "core/engine_internal.h"

void uvtls_handshake_ext_free(uvtls_handshake_ext *x) {
    free(x->alpn_offer);
    free(x->hello_servername);
    free(x->keylog_lines);
    for (size_t i = 0; i < x->new_sessions_count; i++)
        free(x->new_sessions[(x->new_sessions_head + i) % UVTLS_NEW_SESSIONS_MAX].der);
    free(x->npn_offer);
    free(x->ocsp_response);
    free(x->hello_alpn);
    free(x->resume_data);
    BIO_free(x->trace_bio);
    memset(x, 0, sizeof(*x));
}

/* Replaces an owned byte buffer with a copy of `src` (len 0: none). Returns 0 or -1 (memory). */
static int replace_bytes(unsigned char **dst, size_t *dst_len, const void *src, size_t len) {
    unsigned char *copy = len > 0 ? malloc(len) : NULL;
    if (len > 0 && copy == NULL)
        return -1;
    if (copy != NULL)
        memcpy(copy, src, len);
    free(*dst);
    *dst = copy;
    *dst_len = len;
    return 0;
}

/* --- ALPN ----------------------------------------------------------------------------------- */

static int valid_wire(const unsigned char *p, size_t len) {
    size_t i = 0;
    while (i < len) {
        if (p[i] == 0 || i + 1 + p[i] > len)
            return 0;
        i += 1 + (size_t)p[i];
    }
    return len > 0;
}

int uvtls_engine_set_alpn(uvtls_engine *e, const unsigned char *wire, size_t len,
                          uvtls_error *err) {
    if (len == 0 && uvtls_engine_is_server(e)) {
        uvtls_handshake_ext *x = uvtls_engine_ext(e);
        free(x->alpn_offer);
        x->alpn_offer = NULL;
        x->alpn_offer_len = 0;
        x->alpn_reject = 1;
        return 0;
    }
    if (!valid_wire(wire, len) || len > 0xffff)
        return uvtls_error_set(err, "handshake", "ERR_INVALID_ARG_VALUE",
                               "ALPN protocol names must be 1 to 255 bytes each");
    if (!uvtls_engine_is_server(e)) {
        if (SSL_set_alpn_protos(uvtls_engine_ssl(e), wire, (unsigned)len) != 0)
            return uvtls_error_openssl(err, "handshake", "ERR_INVALID_ARG_VALUE",
                                       "cannot set ALPN protocols");
        return 0;
    }
    uvtls_handshake_ext *x = uvtls_engine_ext(e);
    /* NOLINTNEXTLINE(clang-analyzer-optin.portability.UnixAPI): valid_wire() rejects 0 */
    unsigned char *copy = malloc(len);
    if (copy == NULL)
        return uvtls_error_set(err, "handshake", "ERR_UVTLS_OUT_OF_MEMORY", "out of memory");
    memcpy(copy, wire, len);
    free(x->alpn_offer);
    x->alpn_offer = copy;
    x->alpn_offer_len = len;
    return 0;
}

/* Server preference: the first of our protocols that the client also offers. */
static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg) {
    (void)arg;
    uvtls_engine *e = uvtls_engine_from_ssl(ssl);
    uvtls_handshake_ext *x = e ? uvtls_engine_ext(e) : NULL;
    if (x != NULL && x->alpn_reject)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    if (x == NULL || x->alpn_offer == NULL)
        return SSL_TLSEXT_ERR_NOACK;
    for (size_t i = 0; i < x->alpn_offer_len; i += 1 + (size_t)x->alpn_offer[i]) {
        const unsigned char *ours = x->alpn_offer + i;
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

const unsigned char *uvtls_engine_hello_alpn(const uvtls_engine *e, size_t *len) {
    const uvtls_handshake_ext *x = uvtls_engine_ext(e);
    *len = x->hello_alpn_len;
    return x->hello_alpn;
}

const unsigned char *uvtls_engine_alpn_selected(const uvtls_engine *e, size_t *len) {
    const unsigned char *p = NULL;
    unsigned n = 0;
    SSL_get0_alpn_selected(uvtls_engine_ssl(e), &p, &n);
    *len = n;
    return n > 0 ? p : NULL;
}

/* --- SNI pause ------------------------------------------------------------------------------ */

void uvtls_engine_set_sni_pause(uvtls_engine *e, int on) {
    uvtls_engine_ext(e)->sni_pause = on != 0;
}

int uvtls_engine_hello_waiting(const uvtls_engine *e) {
    return uvtls_engine_ext(e)->hello_waiting;
}

const char *uvtls_engine_hello_servername(const uvtls_engine *e) {
    const uvtls_handshake_ext *x = uvtls_engine_ext(e);
    return x->hello_servername;
}

/* server_name extension: list length (2), then entries of type (1), length (2), name. */
static char *parse_server_name(const unsigned char *p, size_t len) {
    if (len < 5 || p[2] != 0)
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

static int on_client_hello(SSL *ssl, int *alert, void *arg) {
    (void)alert;
    (void)arg;
    uvtls_engine *e = uvtls_engine_from_ssl(ssl);
    uvtls_handshake_ext *x = e ? uvtls_engine_ext(e) : NULL;
    if (x == NULL || x->hello_resolved)
        return SSL_CLIENT_HELLO_SUCCESS;
    if (!x->hello_waiting && x->ocsp_pause) {
        const unsigned char *p = NULL;
        size_t len = 0;
        x->ocsp_requested = SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_status_request, &p, &len);
    }
    if (!x->hello_waiting && x->resume_pause) {
        const unsigned char *sid = NULL;
        size_t n = SSL_client_hello_get0_session_id(ssl, &sid);
        if (n > sizeof(x->hello_session_id))
            n = 0;
        memcpy(x->hello_session_id, sid, n);
        x->hello_session_id_len = n;
    }
    if (!x->sni_pause && !(x->ocsp_pause && x->ocsp_requested) &&
        !(x->resume_pause && x->hello_session_id_len > 0))
        return SSL_CLIENT_HELLO_SUCCESS;
    if (!x->hello_waiting) {
        const unsigned char *p = NULL;
        size_t len = 0;
        if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &len) == 1)
            x->hello_servername = parse_server_name(p, len);
        /* ALPN extension: a 2-byte length, then the wire-format list. */
        if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_application_layer_protocol_negotiation, &p,
                                      &len) == 1 &&
            len > 2 && valid_wire(p + 2, len - 2) && (x->hello_alpn = malloc(len - 2)) != NULL) {
            memcpy(x->hello_alpn, p + 2, len - 2);
            x->hello_alpn_len = len - 2;
        }
        x->hello_waiting = 1;
    }
    return SSL_CLIENT_HELLO_RETRY;
}

int uvtls_engine_resume_hello(uvtls_engine *e, uvtls_context *ctx) {
    uvtls_handshake_ext *x = uvtls_engine_ext(e);
    if (!x->hello_waiting)
        return -1;
    if (ctx != NULL)
        uvtls_engine_switch_context(e, ctx);
    x->hello_waiting = 0;
    x->hello_resolved = 1;
    return 0;
}

/* --- keylog --------------------------------------------------------------------------------- */

void uvtls_engine_set_keylog(uvtls_engine *e, int on) {
    uvtls_engine_ext(e)->keylog = on != 0;
}

static void on_keylog(const SSL *ssl, const char *line) {
    uvtls_engine *e = uvtls_engine_from_ssl(ssl);
    uvtls_handshake_ext *x = e ? uvtls_engine_ext(e) : NULL;
    if (x == NULL || !x->keylog)
        return;
    size_t n = strlen(line);
    char *buf = realloc(x->keylog_lines, x->keylog_len + n + 1);
    if (buf == NULL)
        return; /* a lost debugging line is better than a failed handshake */
    /* NOLINTNEXTLINE(bugprone-not-null-terminated-result): lines counted, no NUL */
    memcpy(buf + x->keylog_len, line, n);
    buf[x->keylog_len + n] = '\n';
    x->keylog_lines = buf;
    x->keylog_len += n + 1;
}

char *uvtls_engine_take_keylog(uvtls_engine *e, size_t *len) {
    uvtls_handshake_ext *x = uvtls_engine_ext(e);
    char *lines = x->keylog_lines;
    *len = x->keylog_len;
    x->keylog_lines = NULL;
    x->keylog_len = 0;
    return lines;
}

/* --- sessions ------------------------------------------------------------------------------- */

int uvtls_engine_set_session(uvtls_engine *e, const void *der, size_t len, uvtls_error *err) {
    const unsigned char *p = der;
    SSL_SESSION *s = len <= 0x7fffffff ? d2i_SSL_SESSION(NULL, &p, (long)len) : NULL;
    if (s == NULL)
        return uvtls_error_openssl(err, "handshake", "ERR_INVALID_ARG_VALUE",
                                   "the session is not a valid TLS session");
    int ok = SSL_set_session(uvtls_engine_ssl(e), s);
    SSL_SESSION_free(s);
    if (!ok)
        return uvtls_error_openssl(err, "handshake", "ERR_INVALID_ARG_VALUE",
                                   "cannot use the session");
    return 0;
}

static int on_new_session(SSL *ssl, SSL_SESSION *sess) {
    uvtls_engine *e = uvtls_engine_from_ssl(ssl);
    if (e == NULL || (uvtls_engine_is_server(e) && !uvtls_engine_ext(e)->server_sessions))
        return 0;
    int n = i2d_SSL_SESSION(sess, NULL);
    unsigned char *buf = n > 0 ? malloc((size_t)n) : NULL;
    if (buf == NULL)
        return 0;
    unsigned char *p = buf;
    i2d_SSL_SESSION(sess, &p);
    uvtls_handshake_ext *x = uvtls_engine_ext(e);
    /* Every ticket of a batch is kept, in order, for one 'session' event each (as Node); the
     * queue is bounded: beyond UVTLS_NEW_SESSIONS_MAX the oldest is dropped. */
    if (x->new_sessions_count == UVTLS_NEW_SESSIONS_MAX) {
        free(x->new_sessions[x->new_sessions_head].der);
        x->new_sessions_head = (x->new_sessions_head + 1) % UVTLS_NEW_SESSIONS_MAX;
        x->new_sessions_count--;
    }
    struct uvtls_new_session *slot =
        &x->new_sessions[(x->new_sessions_head + x->new_sessions_count) % UVTLS_NEW_SESSIONS_MAX];
    slot->der = buf;
    slot->len = (size_t)n;
    unsigned id_len = 0;
    const unsigned char *id = SSL_SESSION_get_id(sess, &id_len);
    if (id_len > sizeof(slot->id))
        id_len = 0;
    memcpy(slot->id, id, id_len);
    slot->id_len = id_len;
    x->new_sessions_count++;
    return 0; /* we keep no reference to `sess` */
}

void uvtls_engine_set_session_cache(uvtls_engine *e, int resume_pause, int server_sessions) {
    uvtls_handshake_ext *x = uvtls_engine_ext(e);
    x->resume_pause = resume_pause != 0;
    x->server_sessions = server_sessions != 0;
}

const unsigned char *uvtls_engine_hello_session_id(const uvtls_engine *e, size_t *len) {
    const uvtls_handshake_ext *x = uvtls_engine_ext(e);
    *len = x->hello_session_id_len;
    return x->hello_session_id_len > 0 ? x->hello_session_id : NULL;
}

const unsigned char *uvtls_engine_new_session_id(const uvtls_engine *e, size_t *len) {
    const uvtls_handshake_ext *x = uvtls_engine_ext(e);
    *len = x->new_session_id_len;
    return x->new_session_id;
}

int uvtls_engine_set_resume_session(uvtls_engine *e, const void *der, size_t len) {
    uvtls_handshake_ext *x = uvtls_engine_ext(e);
    return replace_bytes(&x->resume_data, &x->resume_data_len, der, len);
}

/* Server: the session the owner looked up during the pause, if it is the one asked for. */
static SSL_SESSION *get_session(SSL *ssl, const unsigned char *id, int id_len, int *copy) {
    *copy = 0; /* OpenSSL owns what we return */
    uvtls_engine *e = uvtls_engine_from_ssl(ssl);
    uvtls_handshake_ext *x = e ? uvtls_engine_ext(e) : NULL;
    if (x == NULL || x->resume_data == NULL)
        return NULL;
    const unsigned char *p = x->resume_data;
    SSL_SESSION *s = d2i_SSL_SESSION(NULL, &p, (long)x->resume_data_len);
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

unsigned char *uvtls_engine_take_new_session(uvtls_engine *e, size_t *len) {
    uvtls_handshake_ext *x = uvtls_engine_ext(e);
    *len = 0;
    if (x->new_sessions_count == 0)
        return NULL;
    struct uvtls_new_session *slot = &x->new_sessions[x->new_sessions_head];
    unsigned char *s = slot->der;
    *len = slot->len;
    memcpy(x->new_session_id, slot->id, slot->id_len);
    x->new_session_id_len = slot->id_len;
    memset(slot, 0, sizeof(*slot));
    x->new_sessions_head = (x->new_sessions_head + 1) % UVTLS_NEW_SESSIONS_MAX;
    x->new_sessions_count--;
    return s;
}

const unsigned char *uvtls_engine_ticket(const uvtls_engine *e, size_t *len) {
    SSL_SESSION *s = SSL_get_session(uvtls_engine_ssl(e));
    const unsigned char *tick = NULL;
    size_t n = 0;
    if (s == NULL || !SSL_SESSION_has_ticket(s))
        return NULL;
    SSL_SESSION_get0_ticket(s, &tick, &n);
    *len = n;
    return tick;
}

/* --- negotiated values ---------------------------------------------------------------------- */

size_t uvtls_engine_finished(const uvtls_engine *e, void *buf, size_t cap) {
    return SSL_get_finished(uvtls_engine_ssl(e), buf, cap);
}

size_t uvtls_engine_peer_finished(const uvtls_engine *e, void *buf, size_t cap) {
    return SSL_get_peer_finished(uvtls_engine_ssl(e), buf, cap);
}

int uvtls_engine_export_keying_material(const uvtls_engine *e, void *out, size_t len,
                                        const char *label, size_t label_len, const void *context,
                                        size_t context_len, int use_context, uvtls_error *err) {
    if (SSL_export_keying_material(uvtls_engine_ssl(e), out, len, label, label_len, context,
                                   context_len, use_context) != 1)
        return uvtls_error_openssl(err, "read", "ERR_TLS_INVALID_STATE",
                                   "keying material is only available after the handshake");
    return 0;
}

int uvtls_engine_ephemeral_key(const uvtls_engine *e, const char **type, const char **name,
                               int *size) {
    EVP_PKEY *key = NULL;
    if (uvtls_engine_is_server(e))
        return -1;
    if (!SSL_get_peer_tmp_key(uvtls_engine_ssl(e), &key)) {
        ERR_clear_error();
#if OPENSSL_VERSION_NUMBER >= 0x30200000L
        /* ML-KEM and hybrid groups leave no peer key OpenSSL can hand out; the negotiated group
         * still names the key exchange. Before the handshake there is no group. */
        const char *group = SSL_get0_group_name(uvtls_engine_ssl(e));
        if (group != NULL && SSL_is_init_finished(uvtls_engine_ssl(e))) {
            *type = "TLSGroup";
            *name = group;
            *size = -1;
            return UVTLS_EPHEMERAL_GROUP;
        }
#endif
        return -1;
    }
    int id = EVP_PKEY_get_base_id(key);
    *size = EVP_PKEY_get_bits(key);
    *name = NULL;
    if (id == EVP_PKEY_DH) {
        *type = "DH";
    } else {
        *type = "ECDH";
        if (id == EVP_PKEY_EC) {
            char group[64];
            if (EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof(group), NULL))
                *name = OBJ_nid2sn(OBJ_txt2nid(group));
        } else {
            *name = OBJ_nid2sn(id); /* X25519, X448 */
        }
    }
    EVP_PKEY_free(key);
    ERR_clear_error();
    return UVTLS_EPHEMERAL_KEY;
}

int uvtls_engine_shared_sigalgs(const uvtls_engine *e, char *buf, size_t cap) {
    SSL *ssl = uvtls_engine_ssl(e);
    int n = SSL_get_shared_sigalgs(ssl, 0, NULL, NULL, NULL, NULL, NULL);
    size_t used = 0;
    if (cap > 0)
        buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        int sign = 0, hash = 0;
        SSL_get_shared_sigalgs(ssl, i, &sign, &hash, NULL, NULL, NULL);
        const char *s;
        switch (sign) {
        case EVP_PKEY_RSA:
            s = "RSA";
            break;
        case EVP_PKEY_RSA_PSS:
            s = "RSA-PSS";
            break;
        case EVP_PKEY_DSA:
            s = "DSA";
            break;
        case EVP_PKEY_EC:
            s = "ECDSA";
            break;
        case NID_ED25519:
            s = "Ed25519";
            break;
        case NID_ED448:
            s = "Ed448";
            break;
        default:
            s = OBJ_nid2sn(sign);
            break;
        }
        const char *h = OBJ_nid2sn(hash);
        int w = snprintf(buf + used, cap > used ? cap - used : 0, "%s%s+%s", i ? ":" : "",
                         s ? s : "UNDEF", h ? h : "UNDEF");
        if (w > 0)
            used += (size_t)w;
    }
    return n;
}

int uvtls_engine_set_max_send_fragment(uvtls_engine *e, size_t size) {
    return SSL_set_max_send_fragment(uvtls_engine_ssl(e), size) == 1 ? 0 : -1;
}

/* --- NPN ----------------------------------------------------------------------------------- */

static int set_wire(unsigned char **dst, size_t *dst_len, const unsigned char *wire, size_t len,
                    uvtls_error *err) {
    if (!valid_wire(wire, len) || len > 0xffff)
        return uvtls_error_set(err, "handshake", "ERR_INVALID_ARG_VALUE",
                               "protocol names must be 1 to 255 bytes each");
    unsigned char *copy = malloc(len);
    if (copy == NULL)
        return uvtls_error_set(err, "handshake", "ERR_UVTLS_OUT_OF_MEMORY", "out of memory");
    memcpy(copy, wire, len);
    free(*dst);
    *dst = copy;
    *dst_len = len;
    return 0;
}

int uvtls_engine_set_npn(uvtls_engine *e, const unsigned char *wire, size_t len, uvtls_error *err) {
    uvtls_handshake_ext *x = uvtls_engine_ext(e);
    return set_wire(&x->npn_offer, &x->npn_offer_len, wire, len, err);
}

static int npn_advertise(SSL *ssl, const unsigned char **out, unsigned int *outlen, void *arg) {
    (void)arg;
    uvtls_engine *e = uvtls_engine_from_ssl(ssl);
    uvtls_handshake_ext *x = e ? uvtls_engine_ext(e) : NULL;
    if (x == NULL || x->npn_offer == NULL)
        return SSL_TLSEXT_ERR_NOACK;
    *out = x->npn_offer;
    *outlen = (unsigned)x->npn_offer_len;
    return SSL_TLSEXT_ERR_OK;
}

static int npn_select(SSL *ssl, unsigned char **out, unsigned char *outlen, const unsigned char *in,
                      unsigned int inlen, void *arg) {
    (void)arg;
    uvtls_engine *e = uvtls_engine_from_ssl(ssl);
    uvtls_handshake_ext *x = e ? uvtls_engine_ext(e) : NULL;
    if (x == NULL || x->npn_offer == NULL)
        return SSL_TLSEXT_ERR_NOACK;
    /* The server's preference, as classic Node: the first protocol of the server's list that we
     * also speak; without overlap, our first protocol (NPN's rule). */
    SSL_select_next_proto(out, outlen, in, inlen, x->npn_offer, (unsigned)x->npn_offer_len);
    return SSL_TLSEXT_ERR_OK;
}

const unsigned char *uvtls_engine_npn_selected(const uvtls_engine *e, size_t *len) {
    const unsigned char *p = NULL;
    unsigned n = 0;
    SSL_get0_next_proto_negotiated(uvtls_engine_ssl(e), &p, &n);
    *len = n;
    return n > 0 ? p : NULL;
}

/* --- PSK ------------------------------------------------------------------------------------ */

static unsigned int psk_client(SSL *ssl, const char *hint, char *identity,
                               unsigned int max_identity_len, unsigned char *psk,
                               unsigned int max_psk_len) {
    uvtls_engine *e = uvtls_engine_from_ssl(ssl);
    uvtls_handshake_ext *x = e ? uvtls_engine_ext(e) : NULL;
    if (x == NULL || x->psk == NULL || max_identity_len == 0)
        return 0;
    size_t len = max_psk_len;
    identity[0] = '\0';
    if (x->psk(e, hint, psk, &len, identity, max_identity_len, x->psk_user) < 0 ||
        len > max_psk_len)
        return 0;
    x->psk_used = len > 0;
    return (unsigned)len;
}

static unsigned int psk_server(SSL *ssl, const char *identity, unsigned char *psk,
                               unsigned int max_psk_len) {
    uvtls_engine *e = uvtls_engine_from_ssl(ssl);
    uvtls_handshake_ext *x = e ? uvtls_engine_ext(e) : NULL;
    if (x == NULL || x->psk == NULL)
        return 0;
    size_t len = max_psk_len;
    if (x->psk(e, identity, psk, &len, NULL, 0, x->psk_user) < 0 || len > max_psk_len)
        return 0;
    x->psk_used = len > 0;
    return (unsigned)len;
}

int uvtls_engine_set_psk(uvtls_engine *e, uvtls_psk_handler handler, void *user,
                         const char *identity_hint, uvtls_error *err) {
    uvtls_handshake_ext *x = uvtls_engine_ext(e);
    SSL *ssl = uvtls_engine_ssl(e);
    x->psk = handler;
    x->psk_user = user;
    if (uvtls_engine_is_server(e)) {
        SSL_set_psk_server_callback(ssl, handler ? psk_server : NULL);
        if (identity_hint != NULL && !SSL_use_psk_identity_hint(ssl, identity_hint))
            return uvtls_error_openssl(err, "handshake", "ERR_INVALID_ARG_VALUE",
                                       "invalid pskIdentityHint");
    } else {
        SSL_set_psk_client_callback(ssl, handler ? psk_client : NULL);
    }
    return 0;
}

/* --- OCSP ----------------------------------------------------------------------------------- */

void uvtls_engine_request_ocsp(uvtls_engine *e) {
    SSL_set_tlsext_status_type(uvtls_engine_ssl(e), TLSEXT_STATUSTYPE_ocsp);
}

const unsigned char *uvtls_engine_ocsp_response(const uvtls_engine *e, size_t *len) {
    const unsigned char *p = NULL;
    long n = SSL_get_tlsext_status_ocsp_resp(uvtls_engine_ssl(e), &p);
    *len = n > 0 ? (size_t)n : 0;
    return n > 0 ? p : NULL;
}

void uvtls_engine_set_ocsp_pause(uvtls_engine *e, int on) {
    uvtls_engine_ext(e)->ocsp_pause = on != 0;
}

int uvtls_engine_hello_ocsp_requested(const uvtls_engine *e) {
    return uvtls_engine_ext(e)->ocsp_requested;
}

int uvtls_engine_set_ocsp_response(uvtls_engine *e, const void *der, size_t len) {
    uvtls_handshake_ext *x = uvtls_engine_ext(e);
    return replace_bytes(&x->ocsp_response, &x->ocsp_response_len, der, len);
}

/* Server: staple the response set during the pause. Client: accept whatever came; the owner
 * reads it (Node leaves judging the response to the application too). */
static int on_status(SSL *ssl, void *arg) {
    (void)arg;
    uvtls_engine *e = uvtls_engine_from_ssl(ssl);
    if (e == NULL || !uvtls_engine_is_server(e))
        return 1;
    uvtls_handshake_ext *x = uvtls_engine_ext(e);
    if (x->ocsp_response == NULL)
        return SSL_TLSEXT_ERR_NOACK;
    unsigned char *copy = OPENSSL_memdup(x->ocsp_response, x->ocsp_response_len);
    if (copy == NULL)
        return SSL_TLSEXT_ERR_NOACK;
    SSL_set_tlsext_status_ocsp_resp(ssl, copy, (long)x->ocsp_response_len); /* takes `copy` */
    return SSL_TLSEXT_ERR_OK;
}

int uvtls_engine_enable_trace(uvtls_engine *e) {
    uvtls_handshake_ext *x = uvtls_engine_ext(e);
    if (x->trace_bio != NULL)
        return 0;
    BIO *bio = BIO_new_fp(stderr, BIO_NOCLOSE);
    if (bio == NULL)
        return -1;
    x->trace_bio = bio;
    SSL_set_msg_callback(uvtls_engine_ssl(e), SSL_trace);
    SSL_set_msg_callback_arg(uvtls_engine_ssl(e), bio);
    return 0;
}

void uvtls_extensions_install(void *ssl_ctx) {
    SSL_CTX *c = ssl_ctx;
    SSL_CTX_set_next_protos_advertised_cb(c, npn_advertise, NULL);
    SSL_CTX_set_next_proto_select_cb(c, npn_select, NULL);
    SSL_CTX_set_tlsext_status_cb(c, on_status);
    SSL_CTX_set_alpn_select_cb(c, select_alpn, NULL);
    SSL_CTX_set_client_hello_cb(c, on_client_hello, NULL);
    SSL_CTX_set_keylog_callback(c, on_keylog);
    /* Clients hear of every new session; servers keep no session cache in memory (stateless
     * tickets need none), so 100k connections do not mean 100k cached sessions. */
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_SERVER |
                                          SSL_SESS_CACHE_NO_INTERNAL);
    SSL_CTX_sess_set_new_cb(c, on_new_session);
    SSL_CTX_sess_set_get_cb(c, get_session);
}
