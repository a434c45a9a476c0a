// Getters over a core engine, shared by the Engine and Conn handles.
#include "binding/engine_info.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include "binding/addon.h"
#include "binding/convert.h"

extern "C" {
#include "core/x509.h"
}

namespace uvtls {

Napi::Value PeerCertificateOf(Napi::Env env, const uvtls_engine *e, bool detailed) {
    uvtls_cert_chain *chain = uvtls_engine_peer_chain(e, detailed);
    Napi::Value out = ChainToJS(env, chain);
    uvtls_cert_chain_free(chain);
    return out;
}

Napi::Value CertificateOf(Napi::Env env, const uvtls_engine *e) {
    uvtls_cert_chain *chain = uvtls_engine_own_chain(e);
    Napi::Value out = ChainToJS(env, chain);
    uvtls_cert_chain_free(chain);
    return out;
}

Napi::Value CipherOf(Napi::Env env, const uvtls_engine *e) {
    const char *name, *standard, *version;
    if (uvtls_engine_cipher(e, &name, &standard, &version) < 0)
        return env.Undefined();
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", name);
    o.Set("standardName", standard);
    o.Set("version", version);
    return o;
}

Napi::Value ProtocolOf(Napi::Env env, const uvtls_engine *e) {
    const char *p = uvtls_engine_protocol(e);
    return p ? Napi::Value(Napi::String::New(env, p)) : env.Null();
}

Napi::Value SessionOf(Napi::Env env, const uvtls_engine *e) {
    size_t len = 0;
    unsigned char *der = uvtls_engine_session(e, &len);
    if (der == nullptr)
        return env.Undefined();
    Napi::Value out = Napi::Buffer<unsigned char>::Copy(env, der, len);
    free(der);
    return out;
}

// The verification failure as an Error (code = Node's authorizationError), or null.
Napi::Value VerifyErrorOf(Napi::Env env, const uvtls_engine *e) {
    long result = uvtls_engine_verify_result(e);
    if (result == 0)
        return env.Null();
    uvtls_error err;
    uvtls_error_verify(&err, result);
    return MakeError(env, err).Value();
}

Napi::Value ServernameOf(Napi::Env env, const uvtls_engine *e) {
    const char *name = uvtls_engine_servername(e);
    return name ? Napi::Value(Napi::String::New(env, name))
                : Napi::Value(Napi::Boolean::New(env, false));
}

} // namespace uvtls

extern "C" {
#include "core/describe.h"
#include "core/extensions.h"
}

namespace uvtls {

Napi::Value GetPeerCertificate(const Napi::CallbackInfo &info, uvtls_engine *e) {
    return PeerCertificateOf(info.Env(), e, info[0].ToBoolean().Value());
}

Napi::Value GetCertificate(const Napi::CallbackInfo &info, uvtls_engine *e) {
    return CertificateOf(info.Env(), e);
}

Napi::Value GetCipher(const Napi::CallbackInfo &info, uvtls_engine *e) {
    return CipherOf(info.Env(), e);
}

Napi::Value GetProtocol(const Napi::CallbackInfo &info, uvtls_engine *e) {
    return ProtocolOf(info.Env(), e);
}

Napi::Value GetSession(const Napi::CallbackInfo &info, uvtls_engine *e) {
    return SessionOf(info.Env(), e);
}

Napi::Value IsSessionReused(const Napi::CallbackInfo &info, uvtls_engine *e) {
    return Napi::Boolean::New(info.Env(), uvtls_engine_session_reused(e));
}

Napi::Value GetServername(const Napi::CallbackInfo &info, uvtls_engine *e) {
    // A server whose handshake stopped at the ClientHello (an SNICallback that failed, a
    // 'tlsClientError' listener asking) knows the name from the hello only.
    if (uvtls_engine_servername(e) == nullptr && uvtls_engine_hello_servername(e) != nullptr)
        return Napi::String::New(info.Env(), uvtls_engine_hello_servername(e));
    return ServernameOf(info.Env(), e);
}

Napi::Value VerifyError(const Napi::CallbackInfo &info, uvtls_engine *e) {
    return VerifyErrorOf(info.Env(), e);
}

Napi::Value SetALPNProtocols(const Napi::CallbackInfo &info, uvtls_engine *e) {
    std::string holder;
    size_t len = 0;
    const char *wire = BytesOf(info[0], holder, &len);
    uvtls_error err;
    if (uvtls_engine_set_alpn(e, reinterpret_cast<const unsigned char *>(wire), len, &err) < 0)
        ThrowError(info.Env(), err);
    return info.Env().Undefined();
}

Napi::Value AlpnProtocol(const Napi::CallbackInfo &info, uvtls_engine *e) {
    size_t len = 0;
    const unsigned char *p = uvtls_engine_alpn_selected(e, &len);
    if (p == nullptr)
        return Napi::Boolean::New(info.Env(), false);
    return Napi::String::New(info.Env(), reinterpret_cast<const char *>(p), len);
}

Napi::Value SetSession(const Napi::CallbackInfo &info, uvtls_engine *e) {
    std::string holder;
    size_t len = 0;
    const char *der = BytesOf(info[0], holder, &len);
    uvtls_error err;
    if (uvtls_engine_set_session(e, der, len, &err) < 0)
        ThrowError(info.Env(), err);
    return info.Env().Undefined();
}

Napi::Value SetKeylog(const Napi::CallbackInfo &info, uvtls_engine *e) {
    uvtls_engine_set_keylog(e, info[0].ToBoolean().Value());
    return info.Env().Undefined();
}

// All keylog lines collected so far as one Buffer of '\n'-terminated lines, or null.
Napi::Value TakeKeylog(const Napi::CallbackInfo &info, uvtls_engine *e) {
    size_t len = 0;
    char *lines = uvtls_engine_take_keylog(e, &len);
    if (lines == nullptr)
        return info.Env().Null();
    Napi::Value out = Napi::Buffer<char>::Copy(info.Env(), lines, len);
    free(lines);
    return out;
}

Napi::Value GetTLSTicket(const Napi::CallbackInfo &info, uvtls_engine *e) {
    size_t len = 0;
    const unsigned char *t = uvtls_engine_ticket(e, &len);
    if (t == nullptr)
        return info.Env().Undefined();
    return Napi::Buffer<unsigned char>::Copy(info.Env(), t, len);
}

static Napi::Value Finished(Napi::Env env, uvtls_engine *e, bool peer) {
    unsigned char buf[128];
    size_t n = peer ? uvtls_engine_peer_finished(e, buf, sizeof(buf))
                    : uvtls_engine_finished(e, buf, sizeof(buf));
    if (n == 0)
        return env.Undefined();
    return Napi::Buffer<unsigned char>::Copy(env, buf, n < sizeof(buf) ? n : sizeof(buf));
}

Napi::Value GetFinished(const Napi::CallbackInfo &info, uvtls_engine *e) {
    return Finished(info.Env(), e, false);
}

Napi::Value GetPeerFinished(const Napi::CallbackInfo &info, uvtls_engine *e) {
    return Finished(info.Env(), e, true);
}

// exportKeyingMaterial(length, label[, context])
Napi::Value ExportKeyingMaterial(const Napi::CallbackInfo &info, uvtls_engine *e) {
    Napi::Env env = info.Env();
    size_t length = info[0].ToNumber().Uint32Value();
    std::string label = info[1].ToString().Utf8Value();
    std::string holder;
    size_t ctx_len = 0;
    const char *ctx = info[2].IsUndefined() ? nullptr : BytesOf(info[2], holder, &ctx_len);
    Napi::Buffer<unsigned char> out = Napi::Buffer<unsigned char>::New(env, length);
    uvtls_error err;
    // The label's full length: a NUL inside is part of the label, as in Node.
    if (uvtls_engine_export_keying_material(e, out.Data(), length, label.data(), label.size(), ctx,
                                            ctx_len, ctx != nullptr, &err) < 0)
        ThrowError(env, err);
    return out;
}

Napi::Value GetEphemeralKeyInfo(const Napi::CallbackInfo &info, uvtls_engine *e) {
    Napi::Env env = info.Env();
    const char *type = nullptr, *name = nullptr;
    int size = 0;
    Napi::Object o = Napi::Object::New(env);
    int rc = uvtls_engine_ephemeral_key(e, &type, &name, &size);
    if (rc < 0)
        return o; // Node: {} on the server side and before the handshake
    if (!NodeShape(env).ephemeral_fixed) {
        // Older Nodes know only DH and ECDH keys: {} for a key exchange by group alone.
        if (rc == UVTLS_EPHEMERAL_GROUP)
            return o;
        o.Set("type", type);
        if (name != nullptr)
            o.Set("name", name);
        o.Set("size", size);
        return o;
    }
    // Node 24+: always {type, name, size}, undefined where it does not apply.
    o.Set("type", type);
    o.Set("name", name != nullptr ? Napi::Value(Napi::String::New(env, name)) : env.Undefined());
    o.Set("size", size >= 0 ? Napi::Value(Napi::Number::New(env, size)) : env.Undefined());
    return o;
}

Napi::Value GetSharedSigalgs(const Napi::CallbackInfo &info, uvtls_engine *e) {
    char buf[2048];
    int n = uvtls_engine_shared_sigalgs(e, buf, sizeof(buf));
    Napi::Array out = Napi::Array::New(info.Env());
    if (n <= 0)
        return out;
    std::string all(buf);
    size_t start = 0;
    uint32_t i = 0;
    while (start <= all.size()) {
        size_t end = all.find(':', start);
        if (end == std::string::npos)
            end = all.size();
        out.Set(i++, all.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

Napi::Value SetMaxSendFragment(const Napi::CallbackInfo &info, uvtls_engine *e) {
    return Napi::Boolean::New(
        info.Env(), uvtls_engine_set_max_send_fragment(e, info[0].ToNumber().Uint32Value()) == 0);
}

// A session the server issued since the last call (DER), or null.
Napi::Value TakeSession(const Napi::CallbackInfo &info, uvtls_engine *e) {
    size_t len = 0;
    unsigned char *der = uvtls_engine_take_new_session(e, &len);
    if (der == nullptr)
        return info.Env().Null();
    Napi::Value out = Napi::Buffer<unsigned char>::Copy(info.Env(), der, len);
    free(der);
    return out;
}

Napi::Value SetNPNProtocols(const Napi::CallbackInfo &info, uvtls_engine *e) {
    std::string holder;
    size_t len = 0;
    const char *wire = BytesOf(info[0], holder, &len);
    uvtls_error err;
    if (uvtls_engine_set_npn(e, reinterpret_cast<const unsigned char *>(wire), len, &err) < 0)
        ThrowError(info.Env(), err);
    return info.Env().Undefined();
}

Napi::Value NpnProtocol(const Napi::CallbackInfo &info, uvtls_engine *e) {
    size_t len = 0;
    const unsigned char *p = uvtls_engine_npn_selected(e, &len);
    if (p == nullptr)
        return Napi::Boolean::New(info.Env(), false);
    return Napi::String::New(info.Env(), reinterpret_cast<const char *>(p), len);
}

Napi::Value RequestOCSP(const Napi::CallbackInfo &info, uvtls_engine *e) {
    uvtls_engine_request_ocsp(e);
    return info.Env().Undefined();
}

Napi::Value GetOCSPResponse(const Napi::CallbackInfo &info, uvtls_engine *e) {
    size_t len = 0;
    const unsigned char *p = uvtls_engine_ocsp_response(e, &len);
    if (p == nullptr)
        return info.Env().Undefined();
    return Napi::Buffer<unsigned char>::Copy(info.Env(), p, len);
}

Napi::Value SetOCSPResponse(const Napi::CallbackInfo &info, uvtls_engine *e) {
    std::string holder;
    size_t len = 0;
    const char *der = BytesOf(info[0], holder, &len);
    if (uvtls_engine_set_ocsp_response(e, der, len) < 0)
        throw Napi::Error::New(info.Env(), "out of memory");
    return info.Env().Undefined();
}

Napi::Value HelloOCSPRequested(const Napi::CallbackInfo &info, uvtls_engine *e) {
    return Napi::Boolean::New(info.Env(), uvtls_engine_hello_ocsp_requested(e));
}

Napi::Value HelloALPN(const Napi::CallbackInfo &info, uvtls_engine *e) {
    size_t len = 0;
    const unsigned char *wire = uvtls_engine_hello_alpn(e, &len);
    if (wire == nullptr)
        return info.Env().Null();
    return Napi::Buffer<unsigned char>::Copy(info.Env(), wire, len);
}

Napi::Value EnableTrace(const Napi::CallbackInfo &info, uvtls_engine *e) {
    if (uvtls_engine_enable_trace(e) < 0)
        throw Napi::Error::New(info.Env(), "cannot enable tracing");
    return info.Env().Undefined();
}

Napi::Value HelloSessionId(const Napi::CallbackInfo &info, uvtls_engine *e) {
    size_t len = 0;
    const unsigned char *id = uvtls_engine_hello_session_id(e, &len);
    if (id == nullptr)
        return info.Env().Null();
    return Napi::Buffer<unsigned char>::Copy(info.Env(), id, len);
}

Napi::Value SetResumeSession(const Napi::CallbackInfo &info, uvtls_engine *e) {
    std::string holder;
    size_t len = 0;
    const char *der = BytesOf(info[0], holder, &len);
    if (uvtls_engine_set_resume_session(e, der, len) < 0)
        throw Napi::Error::New(info.Env(), "out of memory");
    return info.Env().Undefined();
}

Napi::Value NewSessionId(const Napi::CallbackInfo &info, uvtls_engine *e) {
    size_t len = 0;
    const unsigned char *id = uvtls_engine_new_session_id(e, &len);
    return Napi::Buffer<unsigned char>::Copy(info.Env(), id, len);
}

int PskHandler(uvtls_engine *e, const char *identity_or_hint, unsigned char *psk, size_t *psk_len,
               char *identity, size_t identity_cap, void *user) {
    PskBridge *bridge = static_cast<PskBridge *>(user);
    Napi::Env env = bridge->env;
    if (GetAddonData(env)->tearing_down)
        return -1;
    bool server = uvtls_engine_is_server(e);
    Napi::HandleScope scope(env);
    Napi::Object handle = bridge->handle.Value();
    try {
        Napi::Value fn = handle.Get("onpsk");
        if (!fn.IsFunction())
            return -1;
        Napi::Value arg =
            identity_or_hint ? Napi::Value(Napi::String::New(env, identity_or_hint)) : env.Null();
        Napi::Value r = fn.As<Napi::Function>().Call(handle, {arg});
        Napi::Value key = r;
        if (!server) {
            if (!r.IsObject())
                return -1;
            Napi::Object o = r.As<Napi::Object>();
            std::string id = o.Get("identity").ToString().Utf8Value();
            // OpenSSL takes the identity as a C string: a NUL would silently send a shorter
            // identity than the one the application chose. Refuse it.
            if (id.find('\0') != std::string::npos) {
                Napi::TypeError te =
                    Napi::TypeError::New(env, "The PSK identity must not contain a NUL character");
                te.Set("code", "ERR_INVALID_ARG_VALUE");
                handle.Set("pskError", te.Value());
                return -1;
            }
            if (id.size() + 1 > identity_cap)
                return -1;
            std::memcpy(identity, id.c_str(), id.size() + 1);
            key = o.Get("psk");
        }
        if (!key.IsBuffer())
            return -1;
        Napi::Buffer<unsigned char> b = key.As<Napi::Buffer<unsigned char>>();
        if (b.Length() > *psk_len)
            return -1;
        std::memcpy(psk, b.Data(), b.Length());
        *psk_len = b.Length();
        return 0;
    } catch (const Napi::Error &err) {
        handle.Set("pskError", err.Value());
        return -1;
    }
}

Napi::Value GetNegotiatedGroup(const Napi::CallbackInfo &info, uvtls_engine *e) {
    const char *group = uvtls_engine_negotiated_group(e);
    return group ? Napi::Value(Napi::String::New(info.Env(), group)) : info.Env().Null();
}

Napi::Value GetCertificateRequest(const Napi::CallbackInfo &info, uvtls_engine *e) {
    Napi::Env env = info.Env();
    char **names = nullptr;
    size_t count = 0;
    int r = uvtls_engine_cert_request(e, &names, &count);
    if (r < 0)
        throw Napi::Error::New(env, "out of memory");
    if (r == 0)
        return env.Null();
    Napi::Array list = Napi::Array::New(env, count);
    for (size_t i = 0; i < count; i++)
        list.Set(uint32_t(i), names[i]);
    uvtls_strings_free(names, count);
    Napi::Object o = Napi::Object::New(env);
    o.Set("caNames", list);
    return o;
}

Napi::Value PeerClosedCleanly(const Napi::CallbackInfo &info, uvtls_engine *e) {
    return Napi::Boolean::New(info.Env(), uvtls_engine_peer_closed_cleanly(e) != 0);
}

} // namespace uvtls

extern "C" {
#include "core/peer_chain.h"
}

namespace uvtls {

Napi::Value GetPeerChain(const Napi::CallbackInfo &info, uvtls_engine *e) {
    Napi::Env env = info.Env();
    uvtls_peer_chain_kind kind = UVTLS_PEER_CHAIN_SENT;
    if (info[0].IsString() && info[0].As<Napi::String>().Utf8Value() == "verified")
        kind = UVTLS_PEER_CHAIN_VERIFIED;
    uvtls_der_list list;
    if (uvtls_engine_peer_chain_der(e, kind, &list) < 0)
        throw Napi::Error::New(env, "out of memory");
    try {
        Napi::Array out = Napi::Array::New(env, list.count);
        for (size_t i = 0; i < list.count; i++)
            out.Set(uint32_t(i), Napi::Buffer<unsigned char>::Copy(env, list.der[i], list.len[i]));
        uvtls_der_list_free(&list);
        return out;
    } catch (...) {
        uvtls_der_list_free(&list); // a failed allocation in JS must not leak the copies
        throw;
    }
}

} // namespace uvtls
