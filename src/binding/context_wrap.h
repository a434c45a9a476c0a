// SecureContext: the JS handle of a core uvtls_context. lib/secure-context.js validates the
// options and calls these setters one by one, in Node's order.
#ifndef UVTLS_BINDING_CONTEXT_WRAP_H
#define UVTLS_BINDING_CONTEXT_WRAP_H

#include <napi.h>

#include "binding/addon.h"

extern "C" {
#include "core/context.h"
#include "core/tickets.h"
}

namespace uvtls {

class SecureContextWrap : public Napi::ObjectWrap<SecureContextWrap> {
  public:
    static Napi::Function Define(Napi::Env env);
    explicit SecureContextWrap(const Napi::CallbackInfo &info);
    ~SecureContextWrap() override;
    // Checked: a TypeError unless `o` is a SecureContext (see TypeTagOf in addon.h). Shadows
    // ObjectWrap's unchecked Unwrap, for the method trampolines and for every caller.
    static SecureContextWrap *Unwrap(Napi::Object o) {
        return UnwrapChecked<SecureContextWrap>(o, "secureContext");
    }
    uvtls_context *context() const {
        return ctx_;
    }

  private:
    Napi::Value SetProtocolRange(const Napi::CallbackInfo &info);
    Napi::Value AddKey(const Napi::CallbackInfo &info);
    Napi::Value AddCert(const Napi::CallbackInfo &info);
    Napi::Value AddCA(const Napi::CallbackInfo &info);
    Napi::Value AddCACert(const Napi::CallbackInfo &info);
    Napi::Value SetAllowPartialTrustChain(const Napi::CallbackInfo &info);
    Napi::Value AddCRL(const Napi::CallbackInfo &info);
    Napi::Value AddPKCS12(const Napi::CallbackInfo &info);
    Napi::Value CheckKeys(const Napi::CallbackInfo &info);
    Napi::Value SetCiphers(const Napi::CallbackInfo &info);
    Napi::Value SetGroups(const Napi::CallbackInfo &info);
    Napi::Value SetSigalgs(const Napi::CallbackInfo &info);
    Napi::Value SetDHParam(const Napi::CallbackInfo &info);
    Napi::Value SetSessionIdContext(const Napi::CallbackInfo &info);
    Napi::Value SetOptions(const Napi::CallbackInfo &info);
    Napi::Value SetHonorCipherOrder(const Napi::CallbackInfo &info);
    Napi::Value UseDefaultRoots(const Napi::CallbackInfo &info);
    Napi::Value GetMinVersion(const Napi::CallbackInfo &info);
    Napi::Value GetMaxVersion(const Napi::CallbackInfo &info);
    Napi::Value SetTicketKeys(const Napi::CallbackInfo &info);
    Napi::Value GetTicketKeys(const Napi::CallbackInfo &info);
    Napi::Value SetSessionTimeout(const Napi::CallbackInfo &info);
    Napi::Value GetCertificateDER(const Napi::CallbackInfo &info);

    uvtls_context *ctx_ = nullptr;
};

} // namespace uvtls

#endif
