/* errors: one place that turns OpenSSL and verification failures into {code, message, hint}.
 *
 * Return convention of src/core: a function that can fail returns 0 (or a count, a length or
 * an object) on success and -1 (or NULL) on failure, with the uvtls_error it takes filled;
 * every uvtls_error_* setter returns -1 so that `return uvtls_error_set(...)` is the failure.
 * The engine's I/O functions add their own results (UVTLS_AGAIN, UVTLS_FAIL, UVTLS_EOF; see
 * engine.h).
 *
 * `code` is the string Node.js uses for the same failure, so existing error handling keeps
 * working; `hint` is one sentence naming the likely cause and the fix. An uvtls_error is a plain
 * value with fixed-size buffers: it owns no heap memory and needs no free.
 */
#ifndef UVTLS_CORE_ERRORS_H
#define UVTLS_CORE_ERRORS_H

#include <stddef.h>

#include "core/error_codes.h"

typedef struct uvtls_error {
    char code[96];        /* Node's code, e.g. "ERR_OSSL_PEM_NO_START_LINE"; "" when no error */
    char message[320];    /* human-readable, as Node words it where Node has a message */
    char library[64];     /* OpenSSL library name ("PEM routines"), "" when not from OpenSSL */
    char reason[128];     /* OpenSSL reason ("no start line"), "" when not from OpenSSL */
    const char *hint;     /* static storage; NULL when there is nothing useful to add */
    const char *stage;    /* static: a UVTLS_ERROR_STAGES text (error_codes.h), or a syscall */
    long verify_result;   /* X509_V_* for certificate verification failures, else 0 */
    unsigned long packed; /* OpenSSL packed error (ERR_get_error), 0 when none */
} uvtls_error;

/* Early-return guards in the style of s2n: each failing check records nothing by itself; the
 * callee has already filled the error. They keep the happy path flat. */
#define UVTLS_GUARD(expr)                                                                          \
    do {                                                                                           \
        if ((expr) < 0)                                                                            \
            return -1;                                                                             \
    } while (0)

void uvtls_error_clear(uvtls_error *err);
int uvtls_error_is_set(const uvtls_error *err);

/* Fills `err` from the earliest entry of this thread's OpenSSL error queue (the root cause, which
 * is also the entry Node reports), then empties the queue. When the queue is empty, the fallback
 * code and message are used. Returns -1 so callers can `return uvtls_error_openssl(...)`. */
int uvtls_error_openssl(uvtls_error *err, const char *stage, const char *fallback_code,
                        const char *fallback_message);

/* Fills `err` with an uvtls/Node code and a printf-style message. The hint is looked up by code.
 * Returns -1. */
int uvtls_error_set(uvtls_error *err, const char *stage, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Fills `err` for a certificate verification result (X509_V_ERR_*). Returns -1. */
int uvtls_error_verify(uvtls_error *err, long verify_result);

/* Node's name for a verification result ("CERT_HAS_EXPIRED"); "UNSPECIFIED" for unknown ones.
 * X509_V_OK has no name: NULL. Static storage. */
const char *uvtls_verify_code(long verify_result);

/* Which side of a connection an error happened on: some codes mean different things to a
 * client and a server (a server judges the client's certificate against its own `ca`). */
typedef enum uvtls_side {
    UVTLS_SIDE_ANY = 0,
    UVTLS_SIDE_CLIENT = 1,
    UVTLS_SIDE_SERVER = 2
} uvtls_side;

/* The hint for a code, or NULL. Static storage. */
const char *uvtls_error_hint(const char *code);
/* The hint for a code on one side: the side's own hint when the table has one, else the
 * general one (uvtls_error_hint), or NULL. Static storage. */
const char *uvtls_error_hint_side(const char *code, uvtls_side side);

/* Replaces the hint (for callers that know more than the code says, e.g. that a DER file was
 * given where PEM is expected). */
void uvtls_error_set_hint(uvtls_error *err, const char *hint);

#endif
