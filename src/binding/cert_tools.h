// Module-level certificate tools: describeCertificate, generateKey, issueCertificate.
#ifndef UVTLS_BINDING_CERT_TOOLS_H
#define UVTLS_BINDING_CERT_TOOLS_H

#include <napi.h>

namespace uvtls {

// Adds the three functions to the module's exports.
void RegisterCertTools(Napi::Env env, Napi::Object exports);

} // namespace uvtls

#endif
