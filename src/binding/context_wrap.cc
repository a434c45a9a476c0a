// SecureContext: JS setters over the core context. Every setter throws the core's error.
#include "binding/context_wrap.h"

#include <cstdlib>
#include <string>

#include "binding/addon.h"
#include "binding/convert.h"

namespace uvtls {

Napi::Function SecureContextWrap::Define(Napi::Env env) {
    return DefineClass(
        env, "SecureContext",
        {
            InstanceMethod("setProtocolRange", &SecureContextWrap::SetProtocolRange),
            InstanceMethod("addKey", &SecureContextWrap::AddKey),
            InstanceMethod("addCert", &SecureContextWrap::AddCert),
            InstanceMethod("addCA", &SecureContextWrap::AddCA),
            // Node's name on its native context (secureContext.context.addCACert(pem)).
            InstanceMethod("addCACert", &SecureContextWrap::AddCACert),
            InstanceMethod("setAllowPartialTrustChain",
                           &SecureContextWrap::SetAllowPartialTrustChain),
            InstanceMethod("addCRL", &SecureContextWrap::AddCRL),
            InstanceMethod("addPKCS12", &SecureContextWrap::AddPKCS12),
            InstanceMethod("checkKeys", &SecureContextWrap::CheckKeys),
            InstanceMethod("setCiphers", &SecureContextWrap::SetCiphers),
            InstanceMethod("setGroups", &SecureContextWrap::SetGroups),
            InstanceMethod("setSigalgs", &SecureContextWrap::SetSigalgs),
            InstanceMethod("setDHParam", &SecureContextWrap::SetDHParam),
            InstanceMethod("setSessionIdContext", &SecureContextWrap::SetSessionIdContext),
            InstanceMethod("setOptions", &SecureContextWrap::SetOptions),
            InstanceMethod("setHonorCipherOrder", &SecureContextWrap::SetHonorCipherOrder),
            InstanceMethod("useDefaultRoots", &SecureContextWrap::UseDefaultRoots),
            InstanceMethod("getMinVersion", &SecureContextWrap::GetMinVersion),
            InstanceMethod("getMaxVersion", &SecureContextWrap::GetMaxVersion),
            InstanceMethod("setTicketKeys", &SecureContextWrap::SetTicketKeys),
            InstanceMethod("getTicketKeys", &SecureContextWrap::GetTicketKeys),
            InstanceMethod("setSessionTimeout", &SecureContextWrap::SetSessionTimeout),
            InstanceMethod("getCertificateDER", &SecureContextWrap::GetCertificateDER),
        });
}

SecureContextWrap::SecureContextWrap(const Napi::CallbackInfo &info)
    : Napi::ObjectWrap<SecureContextWrap>(info) {
    TagThis<SecureContextWrap>(info);
    uvtls_error err;
    ctx_ = uvtls_context_new(&err);
    if (ctx_ == nullptr)
        ThrowError(info.Env(), err);
}

SecureContextWrap::~SecureContextWrap() {
    uvtls_context_unref(ctx_);
}

// Runs a core setter and turns its failure into a JS exception.
#define CALL_CORE(env, expr)                                                                       \
    do {                                                                                           \
        uvtls_error err_;                                                                          \
        if ((expr) < 0)                                                                            \
            ThrowError((env), err_);                                                               \
    } while (0)
#define ERR (&err_)

static std::string OptionalString(const Napi::Value &v) {
    return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
}

Napi::Value SecureContextWrap::SetProtocolRange(const Napi::CallbackInfo &info) {
    int min = info[0].As<Napi::Number>().Int32Value();
    int max = info[1].As<Napi::Number>().Int32Value();
    CALL_CORE(info.Env(), uvtls_context_set_protocol_range(ctx_, min, max, ERR));
    return info.Env().Undefined();
}

Napi::Value SecureContextWrap::AddKey(const Napi::CallbackInfo &info) {
    std::string holder;
    size_t len = 0;
    const char *pem = BytesOf(info[0], holder, &len);
    std::string pass = OptionalString(info[1]);
    CALL_CORE(info.Env(), uvtls_context_add_key(ctx_, pem, len,
                                                info[1].IsString() ? pass.c_str() : nullptr, ERR));
    return info.Env().Undefined();
}

Napi::Value SecureContextWrap::AddCert(const Napi::CallbackInfo &info) {
    std::string holder;
    size_t len = 0;
    const char *pem = BytesOf(info[0], holder, &len);
    CALL_CORE(info.Env(), uvtls_context_add_cert(ctx_, pem, len, ERR));
    return info.Env().Undefined();
}

Napi::Value SecureContextWrap::AddCA(const Napi::CallbackInfo &info) {
    std::string holder;
    size_t len = 0;
    const char *pem = BytesOf(info[0], holder, &len);
    CALL_CORE(info.Env(), uvtls_context_add_ca(ctx_, pem, len, ERR));
    return info.Env().Undefined();
}

// Node checks the argument in JS before its native call; this is reached directly by users
// (secureContext.context.addCACert), so the type is checked here.
Napi::Value SecureContextWrap::AddCACert(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!info[0].IsString() && !info[0].IsTypedArray() && !info[0].IsDataView() &&
        !info[0].IsArrayBuffer()) {
        Napi::TypeError e = Napi::TypeError::New(
            env, "The \"cert\" argument must be of type string or an instance of Buffer, "
                 "TypedArray, or DataView");
        e.Set("code", Napi::String::New(env, "ERR_INVALID_ARG_TYPE"));
        throw e;
    }
    std::string holder;
    size_t len = 0;
    const char *pem = BytesOf(info[0], holder, &len);
    CALL_CORE(env, uvtls_context_add_ca_cert(ctx_, pem, len, ERR));
    return env.Undefined();
}

Napi::Value SecureContextWrap::SetAllowPartialTrustChain(const Napi::CallbackInfo &info) {
    uvtls_context_allow_partial_trust_chain(ctx_);
    return info.Env().Undefined();
}

Napi::Value SecureContextWrap::AddCRL(const Napi::CallbackInfo &info) {
    std::string holder;
    size_t len = 0;
    const char *pem = BytesOf(info[0], holder, &len);
    CALL_CORE(info.Env(), uvtls_context_add_crl(ctx_, pem, len, ERR));
    return info.Env().Undefined();
}

Napi::Value SecureContextWrap::AddPKCS12(const Napi::CallbackInfo &info) {
    std::string holder;
    size_t len = 0;
    const char *der = BytesOf(info[0], holder, &len);
    std::string pass = OptionalString(info[1]);
    CALL_CORE(info.Env(), uvtls_context_add_pkcs12(
                              ctx_, der, len, info[1].IsString() ? pass.c_str() : nullptr, ERR));
    return info.Env().Undefined();
}

Napi::Value SecureContextWrap::CheckKeys(const Napi::CallbackInfo &info) {
    CALL_CORE(info.Env(), uvtls_context_check_keys(ctx_, ERR));
    return info.Env().Undefined();
}

Napi::Value SecureContextWrap::SetCiphers(const Napi::CallbackInfo &info) {
    std::string tls12 = OptionalString(info[0]);
    std::string tls13 = OptionalString(info[1]);
    CALL_CORE(info.Env(),
              uvtls_context_set_ciphers(ctx_, info[0].IsString() ? tls12.c_str() : nullptr,
                                        info[1].IsString() ? tls13.c_str() : nullptr, ERR));
    return info.Env().Undefined();
}

Napi::Value SecureContextWrap::SetGroups(const Napi::CallbackInfo &info) {
    std::string groups = OptionalString(info[0]);
    CALL_CORE(info.Env(), uvtls_context_set_groups(ctx_, groups.c_str(), ERR));
    return info.Env().Undefined();
}

Napi::Value SecureContextWrap::SetSigalgs(const Napi::CallbackInfo &info) {
    std::string sigalgs = OptionalString(info[0]);
    CALL_CORE(info.Env(), uvtls_context_set_sigalgs(ctx_, sigalgs.c_str(), ERR));
    return info.Env().Undefined();
}

Napi::Value SecureContextWrap::SetDHParam(const Napi::CallbackInfo &info) {
    std::string holder;
    size_t len = 0;
    const char *pem = BytesOf(info[0], holder, &len);
    CALL_CORE(info.Env(), uvtls_context_set_dhparam(ctx_, pem, len, ERR));
    return info.Env().Undefined();
}

Napi::Value SecureContextWrap::SetSessionIdContext(const Napi::CallbackInfo &info) {
    std::string holder;
    size_t len = 0;
    const char *id = BytesOf(info[0], holder, &len);
    CALL_CORE(info.Env(), uvtls_context_set_session_id_context(ctx_, id, len, ERR));
    return info.Env().Undefined();
}

Napi::Value SecureContextWrap::SetOptions(const Napi::CallbackInfo &info) {
    uvtls_context_set_options(ctx_, (long)info[0].As<Napi::Number>().Int64Value());
    return info.Env().Undefined();
}

Napi::Value SecureContextWrap::SetHonorCipherOrder(const Napi::CallbackInfo &info) {
    uvtls_context_set_honor_cipher_order(ctx_, info[0].ToBoolean().Value());
    return info.Env().Undefined();
}

// The roots are parsed on first use and then shared: per context they would cost ~1 ms and
// ~200 KiB each.
Napi::Value SecureContextWrap::UseDefaultRoots(const Napi::CallbackInfo &info) {
    AddonData *data = GetAddonData(info.Env());
    if (data->default_roots == nullptr) {
        std::string holder;
        size_t len = 0;
        const char *pem = BytesOf(info[0], holder, &len);
        uvtls_error err;
        data->default_roots = uvtls_trust_store_new(pem, len, &err);
        if (data->default_roots == nullptr)
            ThrowError(info.Env(), err);
    }
    uvtls_context_use_trust_store(ctx_, data->default_roots);
    return info.Env().Undefined();
}

Napi::Value SecureContextWrap::GetMinVersion(const Napi::CallbackInfo &info) {
    return Napi::Number::New(info.Env(), uvtls_context_min_version(ctx_));
}

Napi::Value SecureContextWrap::GetMaxVersion(const Napi::CallbackInfo &info) {
    return Napi::Number::New(info.Env(), uvtls_context_max_version(ctx_));
}

Napi::Value SecureContextWrap::SetTicketKeys(const Napi::CallbackInfo &info) {
    std::string holder;
    size_t len = 0;
    const char *keys = BytesOf(info[0], holder, &len);
    CALL_CORE(info.Env(), uvtls_context_set_ticket_keys(
                              ctx_, reinterpret_cast<const unsigned char *>(keys), len, ERR));
    return info.Env().Undefined();
}

Napi::Value SecureContextWrap::GetTicketKeys(const Napi::CallbackInfo &info) {
    Napi::Buffer<unsigned char> out =
        Napi::Buffer<unsigned char>::New(info.Env(), UVTLS_TICKET_KEYS_LEN);
    uvtls_context_get_ticket_keys(ctx_, out.Data());
    return out;
}

Napi::Value SecureContextWrap::SetSessionTimeout(const Napi::CallbackInfo &info) {
    uvtls_context_set_session_timeout(ctx_, info[0].ToNumber().Int64Value());
    return info.Env().Undefined();
}

// getCertificateDER(issuer): the certificate (false) or its issuer from the chain (true), or null.
Napi::Value SecureContextWrap::GetCertificateDER(const Napi::CallbackInfo &info) {
    size_t len = 0;
    unsigned char *der = uvtls_context_certificate_der(ctx_, info[0].ToBoolean().Value(), &len);
    if (der == nullptr)
        return info.Env().Null();
    Napi::Value out = Napi::Buffer<unsigned char>::Copy(info.Env(), der, len);
    free(der);
    return out;
}

} // namespace uvtls
