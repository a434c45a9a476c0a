// The core's error model for JS: the code and stage tables and the hint table.
#ifndef UVTLS_BINDING_ERRORS_EXPORT_H
#define UVTLS_BINDING_ERRORS_EXPORT_H

#include <napi.h>

namespace uvtls {

// Sets exports.codes ({ERR_X: 'ERR_X', ...}), exports.stages ({HANDSHAKE: 'handshake', ...})
// and exports.hintFor(code[, side]) (side: 'client' or 'server').
void RegisterErrors(Napi::Env env, Napi::Object exports);

} // namespace uvtls

#endif
