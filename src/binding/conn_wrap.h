// Conn: the JS handle of one TLS connection driven by src/net/conn.c, whatever carries it: a
// socket of its own (libuv), or a JavaScript stream (`external`: lib/js-transport.js,
// lib/securepair.js feed it and send what it hands out). Events reach JS through the function
// JS assigns to `onevent(kind, ...)`; the kinds are exported as `binding.events.conn`.
#ifndef UVTLS_BINDING_CONN_WRAP_H
#define UVTLS_BINDING_CONN_WRAP_H

#include <napi.h>

#include <memory>

#include "binding/addon.h"
#include "binding/js_call.h"
#include "binding/engine_info.h"

extern "C" {
#include "core/extensions.h"
#include "net/conn.h"
#include "net/server.h"
}

namespace uvtls {

class ConnWrap : public Napi::ObjectWrap<ConnWrap>, public EventTarget {
  public:
    static Napi::Function Define(Napi::Env env);
    explicit ConnWrap(const Napi::CallbackInfo &info);
    // Checked: only an object made by this class unwraps (see TypeTagOf in addon.h).
    static ConnWrap *Unwrap(Napi::Object o) {
        return UnwrapChecked<ConnWrap>(o, "this");
    }
    template <EngineMethod M> Napi::Value CallEngine(const Napi::CallbackInfo &info) {
        return M(info, uvtls_conn_engine(Live(info)));
    }
    ~ConnWrap() override;
    // Wraps a conn accepted by `server` (it now reports to this wrapper).
    static Napi::Object FromAccepted(Napi::Env env, uvtls_conn *conn, uvtls_server *server);

  private:
    static void OnEvent(uvtls_conn *c, uvtls_conn_event ev, const uvtls_conn_event_data *d,
                        void *user);
    void OnClose(uvtls_conn *c);
    uvtls_conn *Live(const Napi::CallbackInfo &info);
    void Adopt(uvtls_conn *conn, uvtls_server *server);
    Napi::Value Connect(const Napi::CallbackInfo &info);
    Napi::Value ConnectPipe(const Napi::CallbackInfo &info);
    Napi::Value Start(const Napi::CallbackInfo &info);
    Napi::Value Feed(const Napi::CallbackInfo &info);
    Napi::Value FeedEof(const Napi::CallbackInfo &info);
    Napi::Value Write(const Napi::CallbackInfo &info);
    Napi::Value Shutdown(const Napi::CallbackInfo &info);
    Napi::Value Close(const Napi::CallbackInfo &info);
    Napi::Value ReadStart(const Napi::CallbackInfo &info);
    Napi::Value ReadStop(const Napi::CallbackInfo &info);
    Napi::Value SetTimeout(const Napi::CallbackInfo &info);
    Napi::Value SetNoDelay(const Napi::CallbackInfo &info);
    Napi::Value SetKeepAlive(const Napi::CallbackInfo &info);
    Napi::Value Ref(const Napi::CallbackInfo &info);
    Napi::Value Unref(const Napi::CallbackInfo &info);
    Napi::Value Queued(const Napi::CallbackInfo &info);
    Napi::Value BytesRead(const Napi::CallbackInfo &info);
    Napi::Value BytesWritten(const Napi::CallbackInfo &info);
    Napi::Value PeerName(const Napi::CallbackInfo &info);
    Napi::Value SockName(const Napi::CallbackInfo &info);
    Napi::Value ResumeHello(const Napi::CallbackInfo &info);
    Napi::Value EnablePsk(const Napi::CallbackInfo &info);

    uvtls_conn *conn_ = nullptr;
    uvtls_server *server_ = nullptr; // the server that accepted us, told when we close
    Napi::ObjectReference self_;     // strong while the conn is open: an open socket stays alive
    std::unique_ptr<PskBridge> psk_;
    uint64_t bytes_read_ = 0; // the conn's counters, kept at CLOSE
    uint64_t bytes_written_ = 0;
};

} // namespace uvtls

#endif
