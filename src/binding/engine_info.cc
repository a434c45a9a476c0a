// Getters over a core engine, shared by the Engine and Conn handles.
#include "binding/engine_info.h"

#include <cstdlib>

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
