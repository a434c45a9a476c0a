/* peer_chain: the peer's sent and verified chains as DER (see peer_chain.h). */
#include "core/peer_chain.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "core/engine_internal.h"

void uvtls_der_list_free(uvtls_der_list *list) {
    if (list == NULL)
        return;
    for (size_t i = 0; i < list->count; i++)
        /* NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage): der[0..count) are all set */
        OPENSSL_free(list->der[i]);
    free(list->der);
    free(list->len);
    memset(list, 0, sizeof(*list));
}

int uvtls_engine_peer_chain_der(const uvtls_engine *e, uvtls_peer_chain_kind kind,
                                uvtls_der_list *out) {
    memset(out, 0, sizeof(*out));
    SSL *ssl = uvtls_engine_ssl(e);
    STACK_OF(X509) *chain = NULL;
    if (kind == UVTLS_PEER_CHAIN_VERIFIED) {
        chain = SSL_get0_verified_chain(ssl);
    } else {
        chain = SSL_get_peer_cert_chain(ssl);
        /* On a server the peer chain leaves out the leaf; a client's includes it. Put the
         * leaf first on both so "sent" reads the same way on either side. */
        X509 *leaf = SSL_get0_peer_certificate(ssl);
        if (SSL_is_server(ssl) && leaf != NULL) {
            int n = i2d_X509(leaf, NULL);
            unsigned char *der = NULL;
            if (n <= 0 || (out->der = malloc(sizeof(*out->der))) == NULL ||
                (out->len = malloc(sizeof(*out->len))) == NULL || i2d_X509(leaf, &der) != n) {
                OPENSSL_free(der);
                goto oom;
            }
            out->der[0] = der;
            out->len[0] = (size_t)n;
            out->count = 1;
        }
    }
    int total = chain == NULL ? 0 : sk_X509_num(chain);
    size_t cap = out->count + (size_t)total;
    if (cap > UVTLS_PEER_CHAIN_MAX)
        cap = UVTLS_PEER_CHAIN_MAX;
    if (cap > out->count) {
        unsigned char **der = realloc(out->der, cap * sizeof(*der));
        if (der == NULL)
            goto oom;
        out->der = der;
        size_t *len = realloc(out->len, cap * sizeof(*len));
        if (len == NULL)
            goto oom;
        out->len = len;
    }
    for (int i = 0; i < total && out->count < cap; i++) {
        unsigned char *der = NULL;
        int n = i2d_X509(sk_X509_value(chain, i), &der);
        if (n <= 0)
            goto oom;
        out->der[out->count] = der;
        out->len[out->count] = (size_t)n;
        out->count++;
    }
    return 0;
oom:
    uvtls_der_list_free(out);
    ERR_clear_error();
    return -1;
}
