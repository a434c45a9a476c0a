// Server handles over src/net/server.c; see server_wrap.h.
#include "binding/server_wrap.h"

#include <string>

#include "binding/addon.h"
#include "binding/conn_wrap.h"
#include "binding/context_wrap.h"
#include "binding/convert.h"
#include "binding/js_call.h"

extern "C" {
#include "net/address.h"
}

namespace uvtls {

Napi::Function ServerWrap::Define(Napi::Env env) {
    return DefineClass(
        env, "Server",
        {
            InstanceAccessor("onevent", &ServerWrap::GetOnEvent, &ServerWrap::SetOnEvent),
            InstanceMethod("listen", &ServerWrap::Listen),
            InstanceMethod("listenPipe", &ServerWrap::ListenPipe),
            InstanceMethod("address", &ServerWrap::Address),
            InstanceMethod("close", &ServerWrap::Close),
            InstanceMethod("connections", &ServerWrap::Connections),
            InstanceMethod("setMaxConnections", &ServerWrap::SetMaxConnections),
            InstanceMethod("setContext", &ServerWrap::SetContext),
            InstanceMethod("ref", &ServerWrap::Ref),
            InstanceMethod("unref", &ServerWrap::Unref),
            InstanceMethod("setALPNProtocols", &ServerWrap::SetALPNProtocols),
            InstanceMethod("setSniPause", &ServerWrap::SetSniPause),
            InstanceMethod("setKeylog", &ServerWrap::SetKeylog),
            InstanceMethod("setOcspPause", &ServerWrap::SetOcspPause),
            InstanceMethod("setSessionCache", &ServerWrap::SetSessionCache),
            InstanceMethod("setReportAccept", &ServerWrap::SetReportAccept),
            InstanceMethod("setTrace", &ServerWrap::SetTrace),
        });
}

// new Server(secureContext, {requestCert, rejectUnauthorized, handshakeTimeout, maxConnections,
//                            noDelay, keepAlive, keepAliveInitialDelay, pipe, ipv6Only, reusePort,
//                            handshakeThreads, offloadAlways})
ServerWrap::ServerWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<ServerWrap>(info) {
    Napi::Env env = info.Env();
    TagThis<ServerWrap>(info);
    SecureContextWrap *ctx = SecureContextWrap::Unwrap(info[0].As<Napi::Object>());
    Napi::Object opts = info[1].As<Napi::Object>();
    uvtls_server_options o = {};
    o.request_cert = opts.Get("requestCert").ToBoolean().Value();
    o.reject_unauthorized = opts.Get("rejectUnauthorized").ToBoolean().Value();
    o.handshake_timeout_ms = opts.Get("handshakeTimeout").ToNumber().Uint32Value();
    Napi::Value max = opts.Get("maxConnections");
    o.max_connections = max.IsNumber() ? max.ToNumber().Int32Value() : -1;
    o.no_delay = opts.Get("noDelay").ToBoolean().Value();
    o.keep_alive = opts.Get("keepAlive").ToBoolean().Value();
    o.keep_alive_delay_s = opts.Get("keepAliveInitialDelay").ToNumber().Uint32Value() / 1000;
    o.pipe = opts.Get("pipe").ToBoolean().Value();
    o.ipv6_only = opts.Get("ipv6Only").ToBoolean().Value();
    o.reuse_port = opts.Get("reusePort").ToBoolean().Value();
    o.handshake_threads = opts.Get("handshakeThreads").ToNumber().Uint32Value();
    o.offload_always = opts.Get("offloadAlways").ToBoolean().Value();
    uvtls_error err;
    server_ = uvtls_server_new(GetAddonData(env)->loop, ctx->context(), &o, OnEvent, this, &err);
    if (server_ == nullptr)
        ThrowError(env, err);
    self_ = Napi::Persistent(Value());
}

ServerWrap::~ServerWrap() {
    if (server_ != nullptr)
        uvtls_server_close(server_);
}

void ServerWrap::OnEvent(uvtls_server *s, uvtls_server_event ev, uvtls_conn *conn,
                         const uvtls_error *err, void *user) {
    ServerWrap *self = static_cast<ServerWrap *>(user);
    Napi::Env env = self->Env();
    bool js = CanCallJS(env);
    if (ev == UVTLS_SERVER_CLOSE) {
        self->server_ = nullptr;
        if (js && !self->onevent_.IsEmpty()) {
            try {
                Napi::HandleScope scope(env);
                CallOnEvent(env, self->Value(), self->onevent_.Value(),
                            {Napi::Number::New(env, UVTLS_SERVER_CLOSE)});
            } catch (const Napi::Error &) {
            }
        }
        self->onevent_.Reset();
        self->self_.Reset();
        return;
    }
    if (!js || self->onevent_.IsEmpty()) {
        // Nobody can take the connection: the server closes it (it still reports to the server).
        if (ev == UVTLS_SERVER_SECURE || ev == UVTLS_SERVER_CLIENT_HELLO ||
            ev == UVTLS_SERVER_CONNECTION)
            uvtls_conn_close(conn);
        return;
    }
    bool adopted = false;
    try {
        Napi::HandleScope scope(env);
        Napi::Object obj = self->Value();
        napi_value fn = self->onevent_.Value();
        napi_value kind = Napi::Number::New(env, ev);
        switch (ev) {
        case UVTLS_SERVER_SECURE: {
            Napi::Object wrap = ConnWrap::FromAccepted(env, conn, s);
            adopted = true;
            CallOnEvent(env, obj, fn, {kind, wrap});
            break;
        }
        case UVTLS_SERVER_CLIENT_HELLO: {
            Napi::Object wrap = ConnWrap::FromAccepted(env, conn, s);
            adopted = true;
            const char *name = uvtls_engine_hello_servername(uvtls_conn_engine(conn));
            // A throw while JS set the paused handshake up leaves it with nobody to resume it:
            // that connection closes (its socket hears CLOSE); the exception is uncaught.
            if (!CallOnEvent(env, obj, fn,
                             {kind, wrap,
                              name ? Napi::Value(Napi::String::New(env, name)) : env.Undefined()}))
                uvtls_conn_close(conn);
            break;
        }
        case UVTLS_SERVER_CONNECTION: {
            // JS takes the connection at once (Node's 'connection'): its socket hears the rest.
            Napi::Object wrap = ConnWrap::FromAccepted(env, conn, s);
            adopted = true;
            CallOnEvent(env, obj, fn, {kind, wrap});
            break;
        }
        case UVTLS_SERVER_CLIENT_ERROR:
            CallOnEvent(env, obj, fn,
                        {kind, MakeError(env, *err).Value(), ConnWrap::FromAccepted(env, conn, s)});
            break;
        case UVTLS_SERVER_ERROR:
            CallOnEvent(env, obj, fn, {kind, MakeError(env, *err).Value()});
            break;
        case UVTLS_SERVER_CLOSE:
        case UVTLS_SERVER_EVENT_COUNT:
            break;
        }
    } catch (const Napi::Error &) {
        if ((ev == UVTLS_SERVER_SECURE || ev == UVTLS_SERVER_CLIENT_HELLO ||
             ev == UVTLS_SERVER_CONNECTION) &&
            !adopted)
            uvtls_conn_close(conn);
    }
}

uvtls_server *ServerWrap::Live(const Napi::CallbackInfo &info) {
    if (server_ == nullptr) {
        uvtls_error err;
        uvtls_error_set(&err, "listen", "ERR_SERVER_NOT_RUNNING", "Server is not running.");
        ThrowError(info.Env(), err);
    }
    return server_;
}

Napi::Value ServerWrap::Listen(const Napi::CallbackInfo &info) {
    uvtls_server *s = Live(info);
    struct sockaddr_storage addr;
    int r = uvtls_net_address_parse(info[0].ToString().Utf8Value().c_str(),
                                    info[1].ToNumber().Int32Value(), &addr);
    if (r < 0)
        ThrowUv(info.Env(), r, "listen");
    uvtls_error err;
    if (uvtls_server_listen(s, reinterpret_cast<struct sockaddr *>(&addr),
                            info[2].IsNumber() ? info[2].ToNumber().Int32Value() : 511, &err) < 0)
        ThrowError(info.Env(), err);
    return info.Env().Undefined();
}

Napi::Value ServerWrap::ListenPipe(const Napi::CallbackInfo &info) {
    uvtls_server *s = Live(info);
    std::string path = info[0].ToString().Utf8Value();
    uvtls_error err;
    if (uvtls_server_listen_pipe(
            s, path.c_str(), info[1].IsNumber() ? info[1].ToNumber().Int32Value() : 511, &err) < 0)
        ThrowError(info.Env(), err);
    return info.Env().Undefined();
}

Napi::Value ServerWrap::Address(const Napi::CallbackInfo &info) {
    struct sockaddr_storage ss;
    if (server_ == nullptr || uvtls_server_sockname(server_, &ss) < 0)
        return info.Env().Null();
    return SockaddrToJS(info.Env(), ss);
}

Napi::Value ServerWrap::Close(const Napi::CallbackInfo &info) {
    if (server_ != nullptr)
        uvtls_server_close(server_);
    return info.Env().Undefined();
}

Napi::Value ServerWrap::Connections(const Napi::CallbackInfo &info) {
    return Napi::Number::New(info.Env(),
                             server_ ? static_cast<double>(uvtls_server_connections(server_)) : 0);
}

Napi::Value ServerWrap::SetMaxConnections(const Napi::CallbackInfo &info) {
    if (server_ != nullptr)
        uvtls_server_set_max_connections(server_,
                                         info[0].IsNumber() ? info[0].ToNumber().Int32Value() : -1);
    return info.Env().Undefined();
}

Napi::Value ServerWrap::SetContext(const Napi::CallbackInfo &info) {
    SecureContextWrap *ctx = SecureContextWrap::Unwrap(info[0].As<Napi::Object>());
    uvtls_server_set_context(Live(info), ctx->context());
    return info.Env().Undefined();
}

Napi::Value ServerWrap::Ref(const Napi::CallbackInfo &info) {
    if (server_ != nullptr)
        uvtls_server_ref(server_);
    return info.Env().Undefined();
}

Napi::Value ServerWrap::Unref(const Napi::CallbackInfo &info) {
    if (server_ != nullptr)
        uvtls_server_unref(server_);
    return info.Env().Undefined();
}

Napi::Value ServerWrap::SetALPNProtocols(const Napi::CallbackInfo &info) {
    std::string holder;
    size_t len = 0;
    const char *wire =
        info[0].IsUndefined() || info[0].IsNull() ? nullptr : BytesOf(info[0], holder, &len);
    if (uvtls_server_set_alpn(Live(info), reinterpret_cast<const unsigned char *>(wire), len) < 0)
        throw Napi::Error::New(info.Env(), "out of memory");
    return info.Env().Undefined();
}

Napi::Value ServerWrap::SetSniPause(const Napi::CallbackInfo &info) {
    uvtls_server_set_sni_pause(Live(info), info[0].ToBoolean().Value());
    return info.Env().Undefined();
}

// setSessionCache(resumeSession, newSession): which external-cache events the server has.
Napi::Value ServerWrap::SetSessionCache(const Napi::CallbackInfo &info) {
    uvtls_server_set_session_cache(Live(info), info[0].ToBoolean().Value(),
                                   info[1].ToBoolean().Value());
    return info.Env().Undefined();
}

Napi::Value ServerWrap::SetReportAccept(const Napi::CallbackInfo &info) {
    uvtls_server_set_report_accept(Live(info), info[0].ToBoolean().Value());
    return info.Env().Undefined();
}

Napi::Value ServerWrap::SetTrace(const Napi::CallbackInfo &info) {
    uvtls_server_set_trace(Live(info), info[0].ToBoolean().Value());
    return info.Env().Undefined();
}

Napi::Value ServerWrap::SetOcspPause(const Napi::CallbackInfo &info) {
    uvtls_server_set_ocsp_pause(Live(info), info[0].ToBoolean().Value());
    return info.Env().Undefined();
}

Napi::Value ServerWrap::SetKeylog(const Napi::CallbackInfo &info) {
    uvtls_server_set_keylog(Live(info), info[0].ToBoolean().Value());
    return info.Env().Undefined();
}

} // namespace uvtls
