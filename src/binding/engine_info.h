// Getters over a core engine, shared by the Engine (JS duplex) and Conn (libuv) handles.
#ifndef UVTLS_BINDING_ENGINE_INFO_H
#define UVTLS_BINDING_ENGINE_INFO_H

#include <napi.h>

#include <vector>

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

namespace uvtls {

// Engine methods shared by the Engine and Conn handles: each takes the call's arguments and the
// handle's engine. Registered on both classes through a small template (see EngineMethods).
using EngineMethod = Napi::Value (*)(const Napi::CallbackInfo &info, uvtls_engine *e);

Napi::Value SetALPNProtocols(const Napi::CallbackInfo &info, uvtls_engine *e);
Napi::Value AlpnProtocol(const Napi::CallbackInfo &info, uvtls_engine *e);
Napi::Value SetSession(const Napi::CallbackInfo &info, uvtls_engine *e);
Napi::Value SetKeylog(const Napi::CallbackInfo &info, uvtls_engine *e);
Napi::Value TakeKeylog(const Napi::CallbackInfo &info, uvtls_engine *e);
Napi::Value GetTLSTicket(const Napi::CallbackInfo &info, uvtls_engine *e);
Napi::Value GetFinished(const Napi::CallbackInfo &info, uvtls_engine *e);
Napi::Value GetPeerFinished(const Napi::CallbackInfo &info, uvtls_engine *e);
Napi::Value ExportKeyingMaterial(const Napi::CallbackInfo &info, uvtls_engine *e);
Napi::Value GetEphemeralKeyInfo(const Napi::CallbackInfo &info, uvtls_engine *e);
Napi::Value GetSharedSigalgs(const Napi::CallbackInfo &info, uvtls_engine *e);
Napi::Value SetMaxSendFragment(const Napi::CallbackInfo &info, uvtls_engine *e);
Napi::Value TakeSession(const Napi::CallbackInfo &info, uvtls_engine *e);

// Adds the methods above to a class's property list. `Wrap::CallEngine<M>` is the class's
// adapter: it finds the handle's engine (throwing when closed) and calls M.
template <typename Wrap>
void AddEngineMethods(std::vector<Napi::ClassPropertyDescriptor<Wrap>> &props) {
    props.push_back(
        Wrap::InstanceMethod("setALPNProtocols", &Wrap::template CallEngine<SetALPNProtocols>));
    props.push_back(Wrap::InstanceMethod("alpnProtocol", &Wrap::template CallEngine<AlpnProtocol>));
    props.push_back(Wrap::InstanceMethod("setSession", &Wrap::template CallEngine<SetSession>));
    props.push_back(Wrap::InstanceMethod("setKeylog", &Wrap::template CallEngine<SetKeylog>));
    props.push_back(Wrap::InstanceMethod("takeKeylog", &Wrap::template CallEngine<TakeKeylog>));
    props.push_back(Wrap::InstanceMethod("getTLSTicket", &Wrap::template CallEngine<GetTLSTicket>));
    props.push_back(Wrap::InstanceMethod("getFinished", &Wrap::template CallEngine<GetFinished>));
    props.push_back(
        Wrap::InstanceMethod("getPeerFinished", &Wrap::template CallEngine<GetPeerFinished>));
    props.push_back(Wrap::InstanceMethod("exportKeyingMaterial",
                                         &Wrap::template CallEngine<ExportKeyingMaterial>));
    props.push_back(Wrap::InstanceMethod("getEphemeralKeyInfo",
                                         &Wrap::template CallEngine<GetEphemeralKeyInfo>));
    props.push_back(
        Wrap::InstanceMethod("getSharedSigalgs", &Wrap::template CallEngine<GetSharedSigalgs>));
    props.push_back(
        Wrap::InstanceMethod("setMaxSendFragment", &Wrap::template CallEngine<SetMaxSendFragment>));
    props.push_back(Wrap::InstanceMethod("takeSession", &Wrap::template CallEngine<TakeSession>));
}

} // namespace uvtls

#endif
