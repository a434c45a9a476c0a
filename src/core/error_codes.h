/* error_codes: the error codes uvtls raises itself and the stages an error can come from,
 * each defined once here. The binding exports both tables to JS (binding.codes, binding.stages),
 * so lib/ uses the same names.
 *
 * A code's C name is its Node string: UVTLS_CODE(ERR_INVALID_ARG_VALUE) is
 * "ERR_INVALID_ARG_VALUE", and a misspelt code does not compile. Codes derived at run time
 * (OpenSSL's "ERR_SSL_<REASON>", verification results such as "CERT_HAS_EXPIRED", libuv's
 * "ECONNREFUSED") are not listed: errors.c and net/address.c compute them, as Node does.
 */
#ifndef UVTLS_CORE_ERROR_CODES_H
#define UVTLS_CORE_ERROR_CODES_H

/* X(code): every code uvtls sets by name. */
#define UVTLS_ERROR_CODES(X)                                                                       \
    X(ERR_INVALID_ARG_TYPE)                                                                        \
    X(ERR_INVALID_ARG_VALUE)                                                                       \
    X(ERR_OUT_OF_RANGE)                                                                            \
    X(ERR_CRYPTO_OPERATION_FAILED)                                                                 \
    X(ERR_SOCKET_CLOSED)                                                                           \
    X(ERR_SERVER_NOT_RUNNING)                                                                      \
    X(ERR_TLS_CERT_ALTNAME_INVALID)                                                                \
    X(ERR_TLS_HANDSHAKE_BUFFER_LIMIT)                                                              \
    X(ERR_TLS_HANDSHAKE_TIMEOUT)                                                                   \
    X(ERR_TLS_INVALID_PROTOCOL_METHOD)                                                             \
    X(ERR_TLS_INVALID_PROTOCOL_VERSION)                                                            \
    X(ERR_TLS_INVALID_STATE)                                                                       \
    X(ERR_TLS_PROTOCOL_VERSION_CONFLICT)                                                           \
    X(ERR_TLS_RENEGOTIATION_DISABLED)                                                              \
    X(ERR_UVTLS_BAD_CERTIFICATE)                                                                   \
    X(ERR_UVTLS_BAD_DHPARAM)                                                                       \
    X(ERR_UVTLS_BAD_KEY)                                                                           \
    X(ERR_UVTLS_BAD_PFX)                                                                           \
    X(ERR_UVTLS_IDENTITY_NOT_FOUND)                                                                \
    X(ERR_UVTLS_KEYGEN)                                                                            \
    X(ERR_UVTLS_MISSING_CERT)                                                                      \
    X(ERR_UVTLS_MISSING_KEY)                                                                       \
    X(ERR_UVTLS_NO_PEER_CERTIFICATE)                                                               \
    X(ERR_UVTLS_NOT_ESTABLISHED)                                                                   \
    X(ERR_UVTLS_OPENSSL)                                                                           \
    X(ERR_UVTLS_OPENSSL_MISMATCH)                                                                  \
    X(ERR_UVTLS_OUT_OF_MEMORY)                                                                     \
    X(ERR_UVTLS_SIGN)                                                                              \
    X(ERR_UVTLS_TLS)                                                                               \
    X(ECONNRESET)

/* X(NAME, "text"): where an error happened (uvtls_error.stage, err.stage in JS). */
#define UVTLS_ERROR_STAGES(X)                                                                      \
    X(LOAD, "load")                                                                                \
    X(CONTEXT, "context")                                                                          \
    X(CERTIFICATE, "certificate")                                                                  \
    X(LISTEN, "listen")                                                                            \
    X(ACCEPT, "accept")                                                                            \
    X(CONNECT, "connect")                                                                          \
    X(HANDSHAKE, "handshake")                                                                      \
    X(VERIFY, "verify")                                                                            \
    X(READ, "read")                                                                                \
    X(WRITE, "write")                                                                              \
    X(CLOSE, "close")

typedef enum uvtls_code {
#define UVTLS_CODE_ENUM(code) UVTLS_CODE_##code,
    UVTLS_ERROR_CODES(UVTLS_CODE_ENUM)
#undef UVTLS_CODE_ENUM
        UVTLS_CODE_COUNT
} uvtls_code;

typedef enum uvtls_stage {
#define UVTLS_STAGE_ENUM(name, text) UVTLS_STAGE_##name,
    UVTLS_ERROR_STAGES(UVTLS_STAGE_ENUM)
#undef UVTLS_STAGE_ENUM
        UVTLS_STAGE_COUNT
} uvtls_stage;

/* The Node string of a code / the text of a stage. Static storage; NULL when out of range. */
const char *uvtls_code_name(uvtls_code code);
const char *uvtls_stage_name(uvtls_stage stage);

/* For call sites: UVTLS_CODE(ERR_INVALID_ARG_VALUE), UVTLS_STAGE(HANDSHAKE). */
#define UVTLS_CODE(code) uvtls_code_name(UVTLS_CODE_##code)
#define UVTLS_STAGE(name) uvtls_stage_name(UVTLS_STAGE_##name)

#endif
