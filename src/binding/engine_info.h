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

Napi::Value GetPeerCertificate(const Napi::CallbackInfo &info, uvtls_engine *e);
Napi::Value GetCertificate(const Napi::CallbackInfo &info, uvtls_engine *e);
Napi::Value GetCipher(const Napi::CallbackInfo &info, uvtls_engine *e);
Napi::Value GetProtocol(const Napi::CallbackInfo &info, uvtls_engine *e);
Napi::Value GetSession(const Napi::CallbackInfo &info, uvtls_engine *e);
Napi::Value IsSessionReused(const Napi::CallbackInfo &info, uvtls_engine *e);
Napi::Value GetServername(const Napi::CallbackInfo &info, uvtls_engine *e);
Napi::Value VerifyError(const Napi::CallbackInfo &info, uvtls_engine *e);
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
Napi::Value SetNPNProtocols(const Napi::CallbackInfo &info, uvtls_engine *e);
Napi::Value NpnProtocol(const Napi::CallbackInfo &info, uvtls_engine *e);
Napi::Value RequestOCSP(const Napi::CallbackInfo &info, uvtls_engine *e);
Napi::Value GetOCSPResponse(const Napi::CallbackInfo &info, uvtls_engine *e);
Napi::Value SetOCSPResponse(const Napi::CallbackInfo &info, uvtls_engine *e);
Napi::Value HelloOCSPRequested(const Napi::CallbackInfo &info, uvtls_engine *e);
Napi::Value HelloALPN(const Napi::CallbackInfo &info, uvtls_engine *e);
Napi::Value EnableTrace(const Napi::CallbackInfo &info, uvtls_engine *e);
Napi::Value HelloSessionId(const Napi::CallbackInfo &info, uvtls_engine *e);
Napi::Value SetResumeSession(const Napi::CallbackInfo &info, uvtls_engine *e);
Napi::Value NewSessionId(const Napi::CallbackInfo &info, uvtls_engine *e);
// Diagnostics: the key exchange group ('X25519') or null; on a client, the server's
// CertificateRequest as { caNames: [RFC 4514 strings] } or null.
Napi::Value GetNegotiatedGroup(const Napi::CallbackInfo &info, uvtls_engine *e);
Napi::Value GetCertificateRequest(const Napi::CallbackInfo &info, uvtls_engine *e);
// Whether the peer ended with close_notify (a clean end) rather than a bare transport close.
Napi::Value PeerClosedCleanly(const Napi::CallbackInfo &info, uvtls_engine *e);
// getPeerChain('sent' | 'verified'): the peer's certificates as DER Buffers, leaf first: the
// ones it sent, or the chain verification built (which may hold certificates from our store).
Napi::Value GetPeerChain(const Napi::CallbackInfo &info, uvtls_engine *e);

// PSK: the engine's handler calls `handle.onpsk(identityOrHint)` synchronously, inside the
// handshake. A server's onpsk returns the key (Buffer) or null; a client's returns
// {psk, identity} or null. A throw fails the handshake; the thrown value is left on the handle as
// `pskError` for the JS layer to report.
struct PskBridge {
    Napi::Env env;
    Napi::ObjectReference handle;
};
int PskHandler(uvtls_engine *e, const char *identity_or_hint, unsigned char *psk, size_t *psk_len,
               char *identity, size_t identity_cap, void *user);

// Adds the methods above to a class's property list. `Wrap::CallEngine<M>` is the class's
// adapter: it finds the handle's engine (throwing when closed) and calls M.
template <typename Wrap>
void AddEngineMethods(std::vector<Napi::ClassPropertyDescriptor<Wrap>> &props) {
    props.push_back(
        Wrap::InstanceMethod("getPeerCertificate", &Wrap::template CallEngine<GetPeerCertificate>));
    props.push_back(
        Wrap::InstanceMethod("getCertificate", &Wrap::template CallEngine<GetCertificate>));
    props.push_back(Wrap::InstanceMethod("getCipher", &Wrap::template CallEngine<GetCipher>));
    props.push_back(Wrap::InstanceMethod("getProtocol", &Wrap::template CallEngine<GetProtocol>));
    props.push_back(Wrap::InstanceMethod("getSession", &Wrap::template CallEngine<GetSession>));
    props.push_back(
        Wrap::InstanceMethod("isSessionReused", &Wrap::template CallEngine<IsSessionReused>));
    props.push_back(
        Wrap::InstanceMethod("getServername", &Wrap::template CallEngine<GetServername>));
    props.push_back(Wrap::InstanceMethod("verifyError", &Wrap::template CallEngine<VerifyError>));
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
    props.push_back(
        Wrap::InstanceMethod("setNPNProtocols", &Wrap::template CallEngine<SetNPNProtocols>));
    props.push_back(Wrap::InstanceMethod("npnProtocol", &Wrap::template CallEngine<NpnProtocol>));
    props.push_back(Wrap::InstanceMethod("requestOCSP", &Wrap::template CallEngine<RequestOCSP>));
    props.push_back(
        Wrap::InstanceMethod("getOCSPResponse", &Wrap::template CallEngine<GetOCSPResponse>));
    props.push_back(
        Wrap::InstanceMethod("setOCSPResponse", &Wrap::template CallEngine<SetOCSPResponse>));
    props.push_back(
        Wrap::InstanceMethod("helloOCSPRequested", &Wrap::template CallEngine<HelloOCSPRequested>));
    props.push_back(Wrap::InstanceMethod("helloALPN", &Wrap::template CallEngine<HelloALPN>));
    props.push_back(Wrap::InstanceMethod("enableTrace", &Wrap::template CallEngine<EnableTrace>));
    props.push_back(
        Wrap::InstanceMethod("helloSessionId", &Wrap::template CallEngine<HelloSessionId>));
    props.push_back(
        Wrap::InstanceMethod("setResumeSession", &Wrap::template CallEngine<SetResumeSession>));
    props.push_back(Wrap::InstanceMethod("newSessionId", &Wrap::template CallEngine<NewSessionId>));
    props.push_back(
        Wrap::InstanceMethod("getNegotiatedGroup", &Wrap::template CallEngine<GetNegotiatedGroup>));
    props.push_back(Wrap::InstanceMethod("getCertificateRequest",
                                         &Wrap::template CallEngine<GetCertificateRequest>));
    props.push_back(
        Wrap::InstanceMethod("peerClosedCleanly", &Wrap::template CallEngine<PeerClosedCleanly>));
    props.push_back(Wrap::InstanceMethod("getPeerChain", &Wrap::template CallEngine<GetPeerChain>));
}

} // namespace uvtls

#endif
