/* extensions: installs every handshake feature's OpenSSL callbacks on a context, frees their
 * per-connection state, and holds the two byte helpers the features share. The features
 * themselves live one per file (see extensions.h). */
#include "core/extensions.h"

#include <stdlib.h>
#include <string.h>

#include "core/ext_internal.h"

int uvtls_wire_valid(const unsigned char *p, size_t len) {
    size_t i = 0;
    while (i < len) {
        if (p[i] == 0 || i + 1 + p[i] > len)
            return 0;
        i += 1 + (size_t)p[i];
    }
    return len > 0;
}

int uvtls_bytes_replace(unsigned char **dst, size_t *dst_len, const void *src, size_t len) {
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

void uvtls_handshake_ext_free(uvtls_handshake_ext *x) {
    uvtls_alpn_npn_free(&x->alpn);
    uvtls_hello_free(&x->hello);
    uvtls_sessions_free(&x->sessions);
    uvtls_ocsp_free(&x->ocsp);
    uvtls_keylog_free(&x->keylog);
    memset(x, 0, sizeof(*x));
}

void uvtls_extensions_install(void *ssl_ctx) {
    SSL_CTX *c = ssl_ctx;
    uvtls_alpn_npn_install(c);
    uvtls_hello_install(c);
    uvtls_sessions_install(c);
    uvtls_ocsp_install(c);
    uvtls_keylog_install(c);
}
