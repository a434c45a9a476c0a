/* negotiated: getters for what a handshake settled, and the record size setting.
 *
 * Functions returning int return 0 (or a count, or an enum value where said), -1 on failure.
 * Returned strings are static or owned by the session (borrowed until the engine is freed).
 */
#ifndef UVTLS_CORE_NEGOTIATED_H
#define UVTLS_CORE_NEGOTIATED_H

#include <stddef.h>

#include "core/engine.h"

/* Finished messages; copies up to `cap` bytes, returns the full length (0 before the
 * handshake). */
size_t uvtls_engine_finished(const uvtls_engine *e, void *buf, size_t cap);
size_t uvtls_engine_peer_finished(const uvtls_engine *e, void *buf, size_t cap);
/* RFC 5705 exporter. `label` is `label_len` bytes (it may hold NUL: it is used whole, never cut
 * at a NUL). Returns 0 or -1 with err. */
int uvtls_engine_export_keying_material(const uvtls_engine *e, void *out, size_t len,
                                        const char *label, size_t label_len, const void *context,
                                        size_t context_len, int use_context, uvtls_error *err);
/* Client: the server's ephemeral key: type "ECDH"/"DH", curve name (ECDH) and size in bits;
 * returns UVTLS_EPHEMERAL_KEY. When the key exchange used a group without a classic ephemeral
 * key (ML-KEM, hybrids such as X25519MLKEM768): type "TLSGroup", name = the group's name,
 * size = -1; returns UVTLS_EPHEMERAL_GROUP. Returns -1 when there is none (server side, or
 * before the handshake). */
enum { UVTLS_EPHEMERAL_KEY = 0, UVTLS_EPHEMERAL_GROUP = 1 };
int uvtls_engine_ephemeral_key(const uvtls_engine *e, const char **type, const char **name,
                               int *size);
/* Shared signature algorithms as Node names them ("RSA-PSS+SHA256", "ECDSA+SHA256"),
 * ':'-separated into `buf` (cut at `cap`, always NUL-terminated when cap > 0). Returns the
 * count. */
int uvtls_engine_shared_sigalgs(const uvtls_engine *e, char *buf, size_t cap);
/* setMaxSendFragment. Returns 0, or -1 when OpenSSL refuses the size (outside 512..16384). */
int uvtls_engine_set_max_send_fragment(uvtls_engine *e, size_t size);

#endif
