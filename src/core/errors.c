/* errors: OpenSSL error queue and verification results -> Node's codes, plus hints. */
#include "core/errors.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

/* Node's verification codes are the X509_V_ERR_ macro names without the prefix, indexed here by
 * their numeric value (the values are part of OpenSSL's stable ABI). */
static const char *const verify_codes[] = {
    [X509_V_ERR_UNSPECIFIED] = "UNSPECIFIED",
    [X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT] = "UNABLE_TO_GET_ISSUER_CERT",
    [X509_V_ERR_UNABLE_TO_GET_CRL] = "UNABLE_TO_GET_CRL",
    [X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE] = "UNABLE_TO_DECRYPT_CERT_SIGNATURE",
    [X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE] = "UNABLE_TO_DECRYPT_CRL_SIGNATURE",
    [X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY] = "UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY",
    [X509_V_ERR_CERT_SIGNATURE_FAILURE] = "CERT_SIGNATURE_FAILURE",
    [X509_V_ERR_CRL_SIGNATURE_FAILURE] = "CRL_SIGNATURE_FAILURE",
    [X509_V_ERR_CERT_NOT_YET_VALID] = "CERT_NOT_YET_VALID",
    [X509_V_ERR_CERT_HAS_EXPIRED] = "CERT_HAS_EXPIRED",
    [X509_V_ERR_CRL_NOT_YET_VALID] = "CRL_NOT_YET_VALID",
    [X509_V_ERR_CRL_HAS_EXPIRED] = "CRL_HAS_EXPIRED",
    [X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD] = "ERROR_IN_CERT_NOT_BEFORE_FIELD",
    [X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD] = "ERROR_IN_CERT_NOT_AFTER_FIELD",
    [X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD] = "ERROR_IN_CRL_LAST_UPDATE_FIELD",
    [X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD] = "ERROR_IN_CRL_NEXT_UPDATE_FIELD",
    [X509_V_ERR_OUT_OF_MEM] = "OUT_OF_MEM",
    [X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT] = "DEPTH_ZERO_SELF_SIGNED_CERT",
    [X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN] = "SELF_SIGNED_CERT_IN_CHAIN",
    [X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY] = "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    [X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE] = "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    [X509_V_ERR_CERT_CHAIN_TOO_LONG] = "CERT_CHAIN_TOO_LONG",
    [X509_V_ERR_CERT_REVOKED] = "CERT_REVOKED",
    [X509_V_ERR_NO_ISSUER_PUBLIC_KEY] = "NO_ISSUER_PUBLIC_KEY",
    [X509_V_ERR_PATH_LENGTH_EXCEEDED] = "PATH_LENGTH_EXCEEDED",
    [X509_V_ERR_INVALID_PURPOSE] = "INVALID_PURPOSE",
    [X509_V_ERR_CERT_UNTRUSTED] = "CERT_UNTRUSTED",
    [X509_V_ERR_CERT_REJECTED] = "CERT_REJECTED",
    [X509_V_ERR_SUBJECT_ISSUER_MISMATCH] = "SUBJECT_ISSUER_MISMATCH",
    [X509_V_ERR_AKID_SKID_MISMATCH] = "AKID_SKID_MISMATCH",
    [X509_V_ERR_AKID_ISSUER_SERIAL_MISMATCH] = "AKID_ISSUER_SERIAL_MISMATCH",
    [X509_V_ERR_KEYUSAGE_NO_CERTSIGN] = "KEYUSAGE_NO_CERTSIGN",
    [X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER] = "UNABLE_TO_GET_CRL_ISSUER",
    [X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION] = "UNHANDLED_CRITICAL_EXTENSION",
    [X509_V_ERR_KEYUSAGE_NO_CRL_SIGN] = "KEYUSAGE_NO_CRL_SIGN",
    [X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION] = "UNHANDLED_CRITICAL_CRL_EXTENSION",
    [X509_V_ERR_INVALID_NON_CA] = "INVALID_NON_CA",
    [X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED] = "PROXY_PATH_LENGTH_EXCEEDED",
    [X509_V_ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE] = "KEYUSAGE_NO_DIGITAL_SIGNATURE",
    [X509_V_ERR_PROXY_CERTIFICATES_NOT_ALLOWED] = "PROXY_CERTIFICATES_NOT_ALLOWED",
    [X509_V_ERR_INVALID_EXTENSION] = "INVALID_EXTENSION",
    [X509_V_ERR_INVALID_POLICY_EXTENSION] = "INVALID_POLICY_EXTENSION",
    [X509_V_ERR_NO_EXPLICIT_POLICY] = "NO_EXPLICIT_POLICY",
    [X509_V_ERR_DIFFERENT_CRL_SCOPE] = "DIFFERENT_CRL_SCOPE",
    [X509_V_ERR_UNSUPPORTED_EXTENSION_FEATURE] = "UNSUPPORTED_EXTENSION_FEATURE",
    [X509_V_ERR_UNNESTED_RESOURCE] = "UNNESTED_RESOURCE",
    [X509_V_ERR_PERMITTED_VIOLATION] = "PERMITTED_VIOLATION",
    [X509_V_ERR_EXCLUDED_VIOLATION] = "EXCLUDED_VIOLATION",
    [X509_V_ERR_SUBTREE_MINMAX] = "SUBTREE_MINMAX",
    [X509_V_ERR_APPLICATION_VERIFICATION] = "APPLICATION_VERIFICATION",
    [X509_V_ERR_UNSUPPORTED_CONSTRAINT_TYPE] = "UNSUPPORTED_CONSTRAINT_TYPE",
    [X509_V_ERR_UNSUPPORTED_CONSTRAINT_SYNTAX] = "UNSUPPORTED_CONSTRAINT_SYNTAX",
    [X509_V_ERR_UNSUPPORTED_NAME_SYNTAX] = "UNSUPPORTED_NAME_SYNTAX",
    [X509_V_ERR_CRL_PATH_VALIDATION_ERROR] = "CRL_PATH_VALIDATION_ERROR",
    [X509_V_ERR_PATH_LOOP] = "PATH_LOOP",
    [X509_V_ERR_HOSTNAME_MISMATCH] = "HOSTNAME_MISMATCH",
    [X509_V_ERR_EMAIL_MISMATCH] = "EMAIL_MISMATCH",
    [X509_V_ERR_IP_ADDRESS_MISMATCH] = "IP_ADDRESS_MISMATCH",
    [X509_V_ERR_EE_KEY_TOO_SMALL] = "EE_KEY_TOO_SMALL",
    [X509_V_ERR_CA_KEY_TOO_SMALL] = "CA_KEY_TOO_SMALL",
    [X509_V_ERR_CA_MD_TOO_WEAK] = "CA_MD_TOO_WEAK",
    [X509_V_ERR_INVALID_CALL] = "INVALID_CALL",
    [X509_V_ERR_STORE_LOOKUP] = "STORE_LOOKUP",
    [X509_V_ERR_INVALID_CA] = "INVALID_CA",
    [X509_V_ERR_EC_KEY_EXPLICIT_PARAMS] = "EC_KEY_EXPLICIT_PARAMS",
};

static const char *const code_names[] = {
#define UVTLS_CODE_TEXT(code) [UVTLS_CODE_##code] = #code,
    UVTLS_ERROR_CODES(UVTLS_CODE_TEXT)
#undef UVTLS_CODE_TEXT
};

static const char *const stage_names[] = {
#define UVTLS_STAGE_TEXT(name, text) [UVTLS_STAGE_##name] = (text),
    UVTLS_ERROR_STAGES(UVTLS_STAGE_TEXT)
#undef UVTLS_STAGE_TEXT
};

const char *uvtls_code_name(uvtls_code code) {
    return (unsigned)code < UVTLS_CODE_COUNT ? code_names[code] : NULL;
}

const char *uvtls_stage_name(uvtls_stage stage) {
    return (unsigned)stage < UVTLS_STAGE_COUNT ? stage_names[stage] : NULL;
}

typedef struct hint_entry {
    const char *code;
    const char *hint;
} hint_entry;

/* One sentence each: the likely cause and the option that fixes it. Never "turn verification
 * off": a hint that teaches rejectUnauthorized:false teaches people to ship insecure code. */
static const hint_entry hints[] = {
    /* certificate verification */
    {"DEPTH_ZERO_SELF_SIGNED_CERT",
     "The peer presented a self-signed certificate; pass that certificate (or the CA that should "
     "have signed it) in the `ca` option."},
    {"SELF_SIGNED_CERT_IN_CHAIN",
     "The peer's chain ends in a root CA you do not trust; add that root CA's certificate to the "
     "`ca` option."},
    {"UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
     "The CA that issued the peer's certificate is not in your trust store; pass the issuing CA "
     "in the `ca` option."},
    {"UNABLE_TO_VERIFY_LEAF_SIGNATURE",
     "The CA that issued the peer's certificate is unknown here: the peer sent no intermediate "
     "CA (configure it to send its full chain, certificate followed by intermediates) or its "
     "issuing CA is missing from `ca`."},
    {"UNABLE_TO_GET_ISSUER_CERT",
     "The chain could not be completed up to a trusted root; check that `ca` holds the right CA "
     "and that the peer sends its intermediates."},
    {"CERT_HAS_EXPIRED",
     "The peer's certificate has expired (or this machine's clock is wrong); renew the "
     "certificate or fix the clock."},
    {"CERT_NOT_YET_VALID",
     "The peer's certificate is not valid yet; this machine's clock is probably behind, or the "
     "certificate was issued with a future start date."},
    {"CERT_REVOKED", "The peer's certificate is listed in a CRL you passed in `crl`; issue a new "
                     "certificate for the peer."},
    {"UNABLE_TO_GET_CRL",
     "CRL checking is on but no CRL from the peer's CA was given; add that CA's CRL to `crl`."},
    {"CRL_HAS_EXPIRED", "The CRL passed in `crl` is past its next-update time; fetch a fresh one."},
    {"INVALID_PURPOSE",
     "The certificate's extended key usage does not allow this role (serverAuth for servers, "
     "clientAuth for clients); issue one with the right extendedKeyUsage."},
    {"INVALID_CA",
     "A certificate in the chain acts as a CA but is not marked CA:TRUE; re-issue the "
     "intermediate with basicConstraints CA:TRUE."},
    {"CERT_SIGNATURE_FAILURE",
     "A signature in the peer's chain does not verify; the chain is corrupted or mixes "
     "certificates from different CAs."},
    {"EE_KEY_TOO_SMALL", "The peer's key is too small for OpenSSL's security level; use an RSA key "
                         "of at least 2048 bits or an EC key."},
    {"CA_MD_TOO_WEAK",
     "A CA in the chain signs with a weak digest (MD5/SHA-1); re-issue it with SHA-256."},
    /* context construction */
    {"ERR_OSSL_PEM_NO_START_LINE",
     "The data is not PEM (no '-----BEGIN' line); pass the PEM text, or convert DER/PKCS#12 "
     "files with `openssl x509 -inform der` / `openssl pkcs12`."},
    {"ERR_OSSL_PEM_BAD_BASE64_DECODE",
     "The PEM block is damaged (bad base64); copy the file again without edits."},
    {"ERR_OSSL_BAD_DECRYPT",
     "The private key could not be decrypted: the `passphrase` is wrong for this key."},
    {"ERR_OSSL_EVP_BAD_DECRYPT",
     "The private key could not be decrypted: the `passphrase` is wrong for this key."},
    {"ERR_OSSL_PKCS12_MAC_VERIFY_FAILURE", "The PFX/PKCS#12 file could not be opened: the "
                                           "`passphrase` is wrong for this file."},
    {"ERR_OSSL_X509_KEY_VALUES_MISMATCH",
     "The private key does not belong to the certificate; pass the key that was generated with "
     "this certificate's request (compare `openssl x509 -noout -pubkey` with `openssl pkey "
     "-pubout`)."},
    {"ERR_SSL_NO_CIPHER_MATCH",
     "None of the names in `ciphers` is a cipher OpenSSL knows; list them with `openssl ciphers` "
     "or use tls.getCiphers()."},
    {"ERR_TLS_PROTOCOL_VERSION_CONFLICT",
     "`minVersion` must not be above `maxVersion`; use e.g. minVersion 'TLSv1.2' and maxVersion "
     "'TLSv1.3'."},
    {"ERR_TLS_INVALID_PROTOCOL_VERSION",
     "Use 'TLSv1.2' or 'TLSv1.3'; older protocol versions are insecure and not supported."},
    /* hints that depend on the option, not the (generic) code: looked up by these keys */
    {"hint:ecdhCurve", "Use curve names such as 'X25519', 'prime256v1' (P-256) or 'secp384r1', "
                       "separated by ':', or 'auto'."},
    {"hint:sigalgs",
     "Use signature algorithm names such as 'ECDSA+SHA256:RSA-PSS+SHA256', separated by ':'."},
    {"hint:dhparam", "Pass DH parameters in PEM ('-----BEGIN DH PARAMETERS-----'), e.g. from "
                     "`openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048`, or "
                     "'auto'."},
    {"hint:crl", "Pass the CRL in PEM ('-----BEGIN X509 CRL-----'); convert a DER CRL with "
                 "`openssl crl -inform der -in crl.der -out crl.pem`."},
    {"ERR_OSSL_UNSUPPORTED",
     "The private key could not be decoded: it is not PEM, or it is encrypted and needs the "
     "right `passphrase`; convert DER keys with `openssl pkey -inform der`."},
    {"ERR_SSL_NO_CIPHERS_AVAILABLE",
     "No cipher is usable with the enabled protocol versions; TLS 1.2 ciphers use OpenSSL names "
     "(ECDHE-RSA-AES128-GCM-SHA256), only TLS 1.3 suites start with TLS_."},
    {"ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED",
     "The peer says our certificate was revoked; issue a new certificate."},
    {"ERR_TLS_INVALID_PROTOCOL_METHOD",
     "Use minVersion/maxVersion ('TLSv1.2', 'TLSv1.3') instead of secureProtocol."},
    {"hint:pfx",
     "The `pfx` data is not a PKCS#12 file (or is truncated); pass the binary .p12/.pfx file "
     "contents as a Buffer."},
    {"ERR_UVTLS_MISSING_KEY", "Pass the certificate's private key in `key` (or use `pfx`)."},
    {"ERR_UVTLS_MISSING_CERT", "Pass the certificate that belongs to the key in `cert` (or use "
                               "`pfx`)."},
    /* handshake */
    {"ERR_SSL_WRONG_VERSION_NUMBER",
     "The peer does not speak TLS on this port (plain TCP, HTTP or another protocol); check the "
     "port number, e.g. 5671 for AMQPS, 8883 for MQTTS, 443 for HTTPS."},
    {"ERR_SSL_HTTP_REQUEST", "A plain HTTP request arrived on a TLS port; the client should use "
                             "https:// (or TLS) for this port."},
    {"ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE",
     "The server requires a client certificate and the client sent none; give the client `cert` "
     "and `key`."},
    {"ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED",
     "The server requires a client certificate; pass `cert` and `key` to the client."},
    {"ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE",
     "The peer rejected our certificate; check that it trusts the CA that issued it."},
    {"ERR_SSL_TLSV1_ALERT_UNKNOWN_CA",
     "The peer does not trust the CA that issued our certificate; add our CA to the peer's "
     "trusted CAs (its `ca` option or CA file)."},
    {"ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED",
     "The peer says our certificate has expired; renew it (or fix the peer's clock)."},
    {"ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE",
     "The peer cannot use our certificate for this role; check its key usage and extended key "
     "usage (clientAuth / serverAuth)."},
    {"ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE",
     "The peer refused the handshake: it may require a client certificate (pass `cert` and "
     "`key`), or the peers share no cipher, group or signature algorithm (compare `ciphers`, "
     "`ecdhCurve` and `sigalgs` on both sides)."},
    {"ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN",
     "The peer could not accept our certificate; check that it trusts our CA and that the "
     "certificate's key usage fits its role."},
    {"ERR_SSL_TLSV1_ALERT_ACCESS_DENIED",
     "The peer accepted our certificate but refuses this identity access; check the peer's "
     "access rules for our certificate's subject."},
    {"ERR_SSL_NO_SUITABLE_SIGNATURE_ALGORITHM",
     "The peers share no signature algorithm usable with the certificate's key; compare "
     "`sigalgs` on both sides or use an RSA/ECDSA P-256 certificate."},
    {"ERR_SSL_NO_SHARED_CIPHER", "The client offered no cipher this server allows; compare the "
                                 "`ciphers` options of both sides."},
    {"ERR_SSL_UNSUPPORTED_PROTOCOL",
     "The peers have no TLS version in common; check `minVersion`/`maxVersion` on both sides "
     "(uvtls needs TLSv1.2 or newer)."},
    {"ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION",
     "The peer supports no TLS version we offer; check `minVersion`/`maxVersion` on both sides "
     "(uvtls needs TLSv1.2 or newer)."},
    {"ERR_SSL_NO_PROTOCOLS_AVAILABLE",
     "No TLS version is enabled; check `minVersion`, `maxVersion` and the cipher list."},
    {"ERR_SSL_UNEXPECTED_EOF_WHILE_READING",
     "The peer closed the connection without a TLS close_notify; it may have crashed or "
     "rejected us (e.g. our client certificate)."},
    {"ERR_SSL_PACKET_LENGTH_TOO_LONG",
     "The peer sent bytes that are not TLS records; check that both sides speak TLS on this "
     "port."},
    {"ERR_SSL_RECORD_LAYER_FAILURE", "The peer sent bytes that are not valid TLS records."},
    {"ERR_SSL_NO_APPLICATION_PROTOCOL",
     "The client offered no protocol in this server's `ALPNProtocols`; add the client's protocol "
     "to the server's list or fix the client's."},
    {"ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL",
     "The server supports none of the protocols in `ALPNProtocols`; offer one the server "
     "accepts (e.g. 'http/1.1', 'h2', 'mqtt', 'amqp')."},
    {"ERR_SSL_TLSV1_ALERT_UNKNOWN_PSK_IDENTITY",
     "The server does not know our PSK identity; check the identity `pskCallback` returns and "
     "the server's key table."},
    {"ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC",
     "The peers derived different keys: with PSK, both sides must use the same key for the "
     "identity."},
    {"ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR",
     "The peer could not verify our handshake: with PSK, both sides must use the same key for "
     "the identity."},
    {"ERR_TLS_RENEGOTIATION_DISABLED",
     "Renegotiation is refused by uvtls; open a new connection instead (TLS 1.3 has no "
     "renegotiation at all)."},
    {"ERR_TLS_HANDSHAKE_TIMEOUT",
     "The peer did not finish the TLS handshake in time; it may not speak TLS on this port, or "
     "it is slow (raise `handshakeTimeout`)."},
    {"ERR_TLS_CERT_ALTNAME_INVALID",
     "The certificate does not name the host we connected to; connect with a name the "
     "certificate holds (see its subjectAltName), or set `servername` to it."},
    {"ECONNREFUSED", "Nothing is listening on that port; check the port (usual TLS ports: 5671 "
                     "AMQPS, 8883 MQTTS, 443 HTTPS) and that the server is running."},
    {"ENOTFOUND", "The host name could not be resolved; check its spelling and DNS."},
    {"EAI_AGAIN", "DNS did not answer in time; check the resolver and network, then retry."},
    {"ETIMEDOUT", "The peer did not answer; a firewall may drop the packets, or the host is down."},
    {"EHOSTUNREACH", "No route to the host; check the address and the network."},
    {"EPIPE", "The peer closed the connection while we were writing; check the peer's logs."},
    {"ECONNRESET", "The peer closed the connection during the handshake; it may have rejected our "
                   "certificate or protocol version, check the peer's logs."},
};

/* The same verification failure seen from the server: it judged the CLIENT's certificate
 * against its own `ca`, so the fix is on the server's side or in the client's certificate. */
static const hint_entry server_hints[] = {
    {"DEPTH_ZERO_SELF_SIGNED_CERT",
     "The client presented a self-signed certificate; add it (or better, the CA that should sign "
     "client certificates) to the server's `ca` option."},
    {"SELF_SIGNED_CERT_IN_CHAIN", "The client certificate chains up to a root CA this server does "
                                  "not trust; add that root CA to the server's `ca` option."},
    {"UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
     "The client certificate was issued by a CA this server does not trust; add the CA that "
     "issues client certificates to the server's `ca` option."},
    {"UNABLE_TO_VERIFY_LEAF_SIGNATURE",
     "The client certificate was issued by a CA this server does not trust (or the client did "
     "not send its intermediate CA); add the issuing CA to the server's `ca` option, or have the "
     "client send its full chain in `cert`."},
    {"UNABLE_TO_GET_ISSUER_CERT", "The client certificate's chain does not reach a CA this server "
                                  "trusts; add the client CA to the server's `ca` option."},
    {"CERT_HAS_EXPIRED", "The client's certificate has expired (or this machine's clock is wrong); "
                         "renew the client certificate or fix the clock."},
    {"CERT_NOT_YET_VALID",
     "The client's certificate is not valid yet: this machine's clock is probably behind, or the "
     "certificate was issued with a future start date."},
    {"INVALID_PURPOSE",
     "The client's certificate may not be used for client authentication (its extendedKeyUsage "
     "lacks clientAuth); issue it with `extendedKeyUsage = clientAuth`."},
    {"CERT_REVOKED", "The client's certificate is listed in a CRL passed in `crl`; issue the "
                     "client a new certificate."},
};

/* Seen from the client, where the general hint does not say enough. */
static const hint_entry client_hints[] = {
    {"INVALID_PURPOSE",
     "The server's certificate may not be used by a server (its extendedKeyUsage lacks "
     "serverAuth, e.g. a client certificate installed on the server); issue it with "
     "`extendedKeyUsage = serverAuth`."},
};

void uvtls_error_clear(uvtls_error *err) {
    memset(err, 0, sizeof(*err));
}

int uvtls_error_is_set(const uvtls_error *err) {
    return err->code[0] != '\0';
}

static const char *hint_in(const hint_entry *table, size_t n, const char *code) {
    for (size_t i = 0; i < n; i++) {
        if (strcmp(table[i].code, code) == 0)
            return table[i].hint;
    }
    return NULL;
}

static const char *hint_exact(const char *code) {
    return hint_in(hints, sizeof(hints) / sizeof(hints[0]), code);
}

const char *uvtls_error_hint(const char *code) {
    const char *hint = hint_exact(code);
    if (hint != NULL)
        return hint;
    /* OpenSSL 3.2 renamed the reasons of the SSL 3.0-era alerts from "sslv3 alert ..." to
     * "ssl/tls alert ...", so Node on OpenSSL 3.5 (Node 22+) reports e.g.
     * ERR_SSL_SSL/TLS_ALERT_HANDSHAKE_FAILURE where Node 20 says
     * ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE. The code stays the running OpenSSL's, as Node's;
     * the hint is the same for both spellings. */
    static const char renamed[] = "ERR_SSL_SSL/TLS_ALERT_";
    if (strncmp(code, renamed, sizeof(renamed) - 1) == 0) {
        char old_name[sizeof(((const uvtls_error *)NULL)->code)];
        int n = snprintf(old_name, sizeof(old_name), "ERR_SSL_SSLV3_ALERT_%s",
                         code + sizeof(renamed) - 1);
        if (n > 0 && (size_t)n < sizeof(old_name))
            return hint_exact(old_name);
    }
    return NULL;
}

const char *uvtls_error_hint_side(const char *code, uvtls_side side) {
    const char *hint = NULL;
    if (side == UVTLS_SIDE_SERVER)
        hint = hint_in(server_hints, sizeof(server_hints) / sizeof(server_hints[0]), code);
    else if (side == UVTLS_SIDE_CLIENT)
        hint = hint_in(client_hints, sizeof(client_hints) / sizeof(client_hints[0]), code);
    return hint != NULL ? hint : uvtls_error_hint(code);
}

void uvtls_error_set_hint(uvtls_error *err, const char *hint) {
    err->hint = hint;
}

const char *uvtls_verify_code(long verify_result) {
    if (verify_result == X509_V_OK)
        return NULL;
    size_t n = sizeof(verify_codes) / sizeof(verify_codes[0]);
    if (verify_result < 0 || (size_t)verify_result >= n || verify_codes[verify_result] == NULL)
        return "UNSPECIFIED";
    return verify_codes[verify_result];
}

/* Node builds its code from the library and the reason text: "ERR_OSSL_<LIB>_<REASON>", or
 * "ERR_SSL_<REASON>" for the SSL library, with the reason upper-cased and spaces turned into
 * underscores. */
static const char *library_ident(int lib) {
    switch (lib) {
    case ERR_LIB_SYS:
        return "SYS_";
    case ERR_LIB_BN:
        return "BN_";
    case ERR_LIB_RSA:
        return "RSA_";
    case ERR_LIB_DH:
        return "DH_";
    case ERR_LIB_EVP:
        return "EVP_";
    case ERR_LIB_BUF:
        return "BUF_";
    case ERR_LIB_OBJ:
        return "OBJ_";
    case ERR_LIB_PEM:
        return "PEM_";
    case ERR_LIB_DSA:
        return "DSA_";
    case ERR_LIB_X509:
        return "X509_";
    case ERR_LIB_ASN1:
        return "ASN1_";
    case ERR_LIB_CONF:
        return "CONF_";
    case ERR_LIB_CRYPTO:
        return "CRYPTO_";
    case ERR_LIB_EC:
        return "EC_";
    case ERR_LIB_SSL:
        return "SSL_";
    case ERR_LIB_BIO:
        return "BIO_";
    case ERR_LIB_PKCS7:
        return "PKCS7_";
    case ERR_LIB_X509V3:
        return "X509V3_";
    case ERR_LIB_PKCS12:
        return "PKCS12_";
    case ERR_LIB_RAND:
        return "RAND_";
    case ERR_LIB_DSO:
        return "DSO_";
    case ERR_LIB_ENGINE:
        return "ENGINE_";
    case ERR_LIB_OCSP:
        return "OCSP_";
    case ERR_LIB_UI:
        return "UI_";
    case ERR_LIB_COMP:
        return "COMP_";
    case ERR_LIB_ECDSA:
        return "ECDSA_";
    case ERR_LIB_ECDH:
        return "ECDH_";
    case ERR_LIB_OSSL_STORE:
        return "OSSL_STORE_";
    case ERR_LIB_FIPS:
        return "FIPS_";
    case ERR_LIB_CMS:
        return "CMS_";
    case ERR_LIB_TS:
        return "TS_";
    case ERR_LIB_HMAC:
        return "HMAC_";
    case ERR_LIB_CT:
        return "CT_";
    case ERR_LIB_ASYNC:
        return "ASYNC_";
    case ERR_LIB_KDF:
        return "KDF_";
    case ERR_LIB_SM2:
        return "SM2_";
    case ERR_LIB_USER:
        return "USER_";
    default:
        return "";
    }
}

static void copy_string(char *dst, size_t cap, const char *src) {
    snprintf(dst, cap, "%s", src ? src : "");
}

static void code_from_packed(char *code, size_t cap, unsigned long packed, const char *reason) {
    int lib = ERR_GET_LIB(packed);
    const char *ident = library_ident(lib);
    const char *prefix = lib == ERR_LIB_SSL ? "" : "OSSL_";
    int n = snprintf(code, cap, "ERR_%s%s", prefix, ident);
    for (const char *r = reason; *r && n >= 0 && (size_t)n + 1 < cap; r++, n++)
        code[n] = (char)(*r == ' ' ? '_' : toupper((unsigned char)*r));
    if (n >= 0 && (size_t)n < cap)
        code[n] = '\0';
}

int uvtls_error_openssl(uvtls_error *err, const char *stage, const char *fallback_code,
                        const char *fallback_message) {
    uvtls_error_clear(err);
    err->stage = stage;
    unsigned long packed = ERR_get_error();
    if (packed == 0) {
        copy_string(err->code, sizeof(err->code), fallback_code);
        copy_string(err->message, sizeof(err->message), fallback_message);
    } else {
        const char *lib = ERR_lib_error_string(packed);
        const char *reason = ERR_reason_error_string(packed);
        err->packed = packed;
        copy_string(err->library, sizeof(err->library), lib);
        copy_string(err->reason, sizeof(err->reason), reason);
        if (reason != NULL)
            code_from_packed(err->code, sizeof(err->code), packed, reason);
        else
            copy_string(err->code, sizeof(err->code), fallback_code);
        ERR_error_string_n(packed, err->message, sizeof(err->message));
    }
    ERR_clear_error();
    err->hint = uvtls_error_hint(err->code);
    return -1;
}

int uvtls_error_set(uvtls_error *err, const char *stage, const char *code, const char *fmt, ...) {
    uvtls_error_clear(err);
    err->stage = stage;
    copy_string(err->code, sizeof(err->code), code);
    va_list ap;
    va_start(ap, fmt);
    /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive, see va_start */
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    err->hint = uvtls_error_hint(err->code);
    return -1;
}

int uvtls_error_verify(uvtls_error *err, long verify_result) {
    const char *code = uvtls_verify_code(verify_result);
    uvtls_error_set(err, UVTLS_STAGE(VERIFY), code ? code : "UNSPECIFIED", "%s",
                    X509_verify_cert_error_string(verify_result));
    err->verify_result = verify_result;
    ERR_clear_error();
    return -1;
}
