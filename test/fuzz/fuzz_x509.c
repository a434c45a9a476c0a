/* fuzz_x509: certificates from hostile bytes.
 *
 * DER input goes through d2i_X509 and the conversion to Node's certificate object
 * (uvtls_cert_info_new), and through the diagnostic description when the core has it. Input
 * that contains a PEM header also goes through the context loaders for certificates, CA lists,
 * CRLs and keys, which are where createSecureContext() options end up. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "core/context.h"
#include "core/x509.h"
#ifdef HAVE_DESCRIBE
#include "core/describe.h"
#endif

static int has_pem_header(const uint8_t *data, size_t size) {
    static const char tag[] = "-----BEGIN";
    for (size_t i = 0; i + sizeof(tag) - 1 <= size; i++) {
        if (memcmp(data + i, tag, sizeof(tag) - 1) == 0)
            return 1;
    }
    return 0;
}

static void walk(const uvtls_cert_info *info) {
    /* Touch every string so that ASan sees any that is unterminated or freed. */
    size_t total = 0;
    for (size_t i = 0; i < info->subject.count; i++)
        total += strlen(info->subject.items[i].key) + strlen(info->subject.items[i].value);
    for (size_t i = 0; i < info->issuer.count; i++)
        total += strlen(info->issuer.items[i].key) + strlen(info->issuer.items[i].value);
    for (size_t i = 0; i < info->info_access.count; i++)
        total += strlen(info->info_access.items[i].key) + strlen(info->info_access.items[i].value);
    for (size_t i = 0; i < info->ext_key_usage_count; i++)
        total += strlen(info->ext_key_usage[i]);
    if (info->subjectaltname)
        total += strlen(info->subjectaltname);
    if (info->modulus)
        total += strlen(info->modulus);
    if (info->exponent)
        total += strlen(info->exponent);
    if (info->serial_number)
        total += strlen(info->serial_number);
    total += strlen(info->valid_from) + strlen(info->valid_to) + strlen(info->fingerprint) +
             strlen(info->fingerprint256) + strlen(info->fingerprint512);
    if (info->pubkey_len > 0 && info->pubkey == NULL)
        __builtin_trap();
    (void)total;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const unsigned char *p = data;
    X509 *x = d2i_X509(NULL, &p, (long)size);
    if (x != NULL) {
        uvtls_cert_info *info = uvtls_cert_info_new(x);
        if (info != NULL) {
            walk(info);
            uvtls_cert_info_free(info);
        }
        X509_free(x);
    }
#ifdef HAVE_DESCRIBE
    uvtls_error derr;
    uvtls_cert_description *d = uvtls_cert_describe(data, size, &derr);
    if (d != NULL) {
        size_t total = strlen(d->subject) + strlen(d->issuer);
        for (size_t i = 0; i < d->san_count; i++)
            total += strlen(d->sans[i].type) + strlen(d->sans[i].value);
        (void)total;
        uvtls_cert_description_free(d);
    }
#endif
    if (has_pem_header(data, size)) {
        uvtls_error err;
        uvtls_context *ctx = uvtls_context_new(&err);
        if (ctx != NULL) {
            uvtls_context_add_cert(ctx, data, size, &err);
            uvtls_context_add_ca(ctx, data, size, &err);
            uvtls_context_add_crl(ctx, data, size, &err);
            uvtls_context_add_key(ctx, data, size, "fuzz", &err);
            uvtls_context_check_keys(ctx, &err);
            uvtls_context_unref(ctx);
        }
    }
    ERR_clear_error();
    return 0;
}
