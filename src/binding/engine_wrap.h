// Engine: the JS handle of one core uvtls_engine, used by secure pairs and (later) by sockets
// that wrap a JS duplex. All ciphertext and cleartext moves through Buffers; the handle never
// calls into JS, so JS may destroy it from anywhere.
#ifndef UVTLS_BINDING_ENGINE_WRAP_H
#define UVTLS_BINDING_ENGINE_WRAP_H

#include <napi.h>

#include <memory>

#include "binding/addon.h"
#include "binding/engine_info.h"

extern "C" {
#include "core/engine.h"
}

namespace uvtls {

class EngineWrap : public Napi::ObjectWrap<EngineWrap> {
  public:
    static Napi::Function Define(Napi::Env env);
    explicit EngineWrap(const Napi::CallbackInfo &info);
    // Checked unwrap (see TypeTagOf in addon.h); shadows ObjectWrap's unchecked one.
    static EngineWrap *Unwrap(Napi::Object o) {
        return UnwrapChecked<EngineWrap>(o, "engine");
    }
    template <EngineMethod M> Napi::Value CallEngine(const Napi::CallbackInfo &info) {
        return M(info, Live(info));
    }
    ~EngineWrap() override;

  private:
    uvtls_engine *Live(const Napi::CallbackInfo &info);
    Napi::Value Feed(const Napi::CallbackInfo &info);
    Napi::Value FeedEof(const Napi::CallbackInfo &info);
    Napi::Value Handshake(const Napi::CallbackInfo &info);
    Napi::Value Read(const Napi::CallbackInfo &info);
    Napi::Value Write(const Napi::CallbackInfo &info);
    Napi::Value Take(const Napi::CallbackInfo &info);
    Napi::Value Shutdown(const Napi::CallbackInfo &info);
    Napi::Value State(const Napi::CallbackInfo &info);
    Napi::Value Error(const Napi::CallbackInfo &info);
    Napi::Value Destroy(const Napi::CallbackInfo &info);

    Napi::Value EnablePsk(const Napi::CallbackInfo &info);

    struct BusyScope;
    uvtls_engine *engine_ = nullptr;
    int busy_ = 0;
    bool destroy_pending_ = false;
    std::unique_ptr<PskBridge> psk_;
};

} // namespace uvtls

#endif
