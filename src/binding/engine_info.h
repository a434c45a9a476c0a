// Getters over a core engine, shared by the Engine (JS duplex) and Conn (libuv) handles.
#ifndef UVTLS_BINDING_ENGINE_INFO_H
#define UVTLS_BINDING_ENGINE_INFO_H

#include <napi.h>

extern "C" {
#include "core/engine.h"
}

namespace uvtls {

Napi::Value PeerCertificateOf(Napi::Env env, const uvtls_engine *e, bool detailed);
Napi::Value CertificateOf(Napi::Env env, const uvtls_engine *e);
Napi::Value CipherOf(Napi::Env env, const uvtls_engine *e);
Napi::Value ProtocolOf(Napi::Env env, const uvtls_engine *e);
Napi::Value SessionOf(Napi::Env env, const uvtls_engine *e);
Napi::Value VerifyErrorOf(Napi::Env env, const uvtls_engine *e);
Napi::Value ServernameOf(Napi::Env env, const uvtls_engine *e);

} // namespace uvtls

#endif
