// The one way the Conn and Server handles call into JavaScript: `self.onevent(kind, ...)`, made
// safe for an environment that is going away (a worker being terminated) and for exceptions.
#ifndef UVTLS_BINDING_JS_CALL_H
#define UVTLS_BINDING_JS_CALL_H

#include <napi.h>

#include <vector>

namespace uvtls {

// False once the environment can no longer run JS (torn down, or a worker being terminated).
bool CanCallJS(napi_env env);
// The same question, answered through `wrapped` (an object of one of our wrap classes) without
// allocating anything: for the per-event path. Needs an open handle scope.
bool CanCallJSOn(napi_env env, napi_value wrapped);
// Calls the `onevent` function JS gave the handle (OnEventTarget). Never lets anything unwind
// into libuv. Returns false when the call failed (JS threw: reported as an uncaught exception).
bool CallOnEvent(Napi::Env env, Napi::Object self, napi_value fn,
                 const std::vector<napi_value> &args);
bool CallOnEvent(napi_env env, napi_value self, napi_value fn, size_t argc, const napi_value *argv);

// The `onevent` property of the Conn and Server handles: JS assigns a function, the handle keeps
// it (a strong reference, released at CLOSE), and every event calls it without a property
// lookup. A wrap class inherits this and lists `InstanceAccessor("onevent", &W::GetOnEvent,
// &W::SetOnEvent)`.
class EventTarget {
  public:
    Napi::Value GetOnEvent(const Napi::CallbackInfo &info) {
        return onevent_.IsEmpty() ? info.Env().Undefined() : onevent_.Value();
    }
    void SetOnEvent(const Napi::CallbackInfo &, const Napi::Value &value) {
        if (value.IsFunction())
            onevent_ = Napi::Persistent(value.As<Napi::Function>());
        else
            onevent_.Reset();
    }

  protected:
    Napi::FunctionReference onevent_;
};

} // namespace uvtls

#endif
