// Server: the JS handle of a listener (src/net/server.c). Events reach JS through the function
// JS assigns to `onevent(kind, ...)`; the kinds are exported as `binding.events.server`.
#ifndef UVTLS_BINDING_SERVER_WRAP_H
#define UVTLS_BINDING_SERVER_WRAP_H

#include <napi.h>

#include "binding/addon.h"
#include "binding/js_call.h"

extern "C" {
#include "net/server.h"
}

namespace uvtls {

class ServerWrap : public Napi::ObjectWrap<ServerWrap>, public EventTarget {
  public:
    static Napi::Function Define(Napi::Env env);
    explicit ServerWrap(const Napi::CallbackInfo &info);
    static ServerWrap *Unwrap(Napi::Object o) {
        return UnwrapChecked<ServerWrap>(o, "this");
    }
    ~ServerWrap() override;

  private:
    static void OnEvent(uvtls_server *s, uvtls_server_event ev, uvtls_conn *conn,
                        const uvtls_error *err, void *user);
    uvtls_server *Live(const Napi::CallbackInfo &info);
    Napi::Value Listen(const Napi::CallbackInfo &info);
    Napi::Value ListenPipe(const Napi::CallbackInfo &info);
    Napi::Value Address(const Napi::CallbackInfo &info);
    Napi::Value Close(const Napi::CallbackInfo &info);
    Napi::Value Connections(const Napi::CallbackInfo &info);
    Napi::Value SetMaxConnections(const Napi::CallbackInfo &info);
    Napi::Value SetContext(const Napi::CallbackInfo &info);
    Napi::Value Ref(const Napi::CallbackInfo &info);
    Napi::Value Unref(const Napi::CallbackInfo &info);
    Napi::Value SetALPNProtocols(const Napi::CallbackInfo &info);
    Napi::Value SetSniPause(const Napi::CallbackInfo &info);
    Napi::Value SetKeylog(const Napi::CallbackInfo &info);
    Napi::Value SetOcspPause(const Napi::CallbackInfo &info);
    Napi::Value SetSessionCache(const Napi::CallbackInfo &info);
    Napi::Value SetReportAccept(const Napi::CallbackInfo &info);
    Napi::Value SetTrace(const Napi::CallbackInfo &info);

    uvtls_server *server_ = nullptr;
    Napi::ObjectReference self_;
};

} // namespace uvtls

#endif
