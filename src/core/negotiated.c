/* negotiated: values the handshake settled that Node's getters report (finished messages,
 * keying material, the ephemeral key, shared signature algorithms) and the record size. */
#include "core/negotiated.h"

#include <stdio.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include "core/engine_internal.h"

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
        return uvtls_error_openssl(err, UVTLS_STAGE(READ), UVTLS_CODE(ERR_TLS_INVALID_STATE),
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
            char group[UVTLS_GROUP_NAME_MAX];
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
