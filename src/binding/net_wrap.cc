// Conn and Server handles over src/net. Calls into JS happen only from libuv callbacks, each in
// its own handle scope; a JS exception there becomes an uncaught exception, as in Node.
#include "binding/net_wrap.h"

#include <cstring>
#include <string>
#include <vector>

#include "binding/addon.h"
#include "binding/context_wrap.h"
#include "binding/convert.h"
#include "binding/engine_info.h"

namespace uvtls {

namespace {

// The accepted conn that the Conn constructor being run by ConnWrap::FromAccepted takes over.
// One per thread, as each environment (main thread, worker) runs on its own.
thread_local struct {
    uvtls_conn *conn;
    uvtls_server *server;
} adopting = {nullptr, nullptr};

enum ConnEventKind {
    kConnect,
    kSecure,
    kData,
    kEnd,
    kError,
    kWritten,
    kTimeout,
    kClose,
    kClientHello,
    kSession
};
enum ServerEventKind {
    kServerSecure,
    kServerClientError,
    kServerError,
    kServerClose,
    kServerClientHello
};

// False once the environment can no longer run JS: torn down, or a worker being terminated
// (then every call that may run JS fails, and node-addon-api turns some of those failures into a
// fatal error, so we must not start). napi_define_properties checks exactly that, and, unlike an
// assignment, never runs JS itself (no setter inherited from Object.prototype): the probe runs
// while a conn's cleartext still sits in the loop's shared buffer (DATA, copied right after).
bool CanCallJS(napi_env env) {
    if (GetAddonData(env)->tearing_down)
        return false;
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) != napi_ok)
        return false;
    napi_value obj, undef;
    bool ok =
        napi_create_object(env, &obj) == napi_ok && napi_get_undefined(env, &undef) == napi_ok;
    if (ok) {
        napi_property_descriptor probe = {"p",     nullptr, nullptr,      nullptr,
                                          nullptr, undef,   napi_default, nullptr};
        ok = napi_define_properties(env, obj, 1, &probe) == napi_ok;
    }
    napi_close_handle_scope(env, scope);
    return ok;
}

// A call into JS failed. A JS exception becomes an uncaught exception, as for Node's own
// callbacks; the "exception" of an environment that stopped running JS is dropped.
void ReportFailedCall(napi_env env) {
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) != napi_ok || !pending)
        return;
    napi_value exception;
    if (napi_get_and_clear_last_exception(env, &exception) != napi_ok)
        return;
    if (CanCallJS(env))
        napi_fatal_exception(env, exception);
}

// Calls self.onevent(args...). Raw Node-API on purpose: a worker may be terminated while the
// callback runs, and node-addon-api's failure path then aborts the process (it cannot build an
// Error from a termination). Never lets anything unwind into libuv. Returns false when the call
// failed (JS threw: already reported as an uncaught exception).
bool CallOnEvent(Napi::Env env, Napi::Object self, const std::vector<napi_value> &args) {
    if (GetAddonData(env)->tearing_down)
        return false;
    napi_value fn, result;
    napi_valuetype type = napi_undefined;
    if (napi_get_named_property(env, self, "onevent", &fn) != napi_ok ||
        napi_typeof(env, fn, &type) != napi_ok) {
        ReportFailedCall(env);
        return false;
    }
    if (type != napi_function)
        return true;
    if (napi_make_callback(env, nullptr, self, fn, args.size(), args.data(), &result) != napi_ok) {
        ReportFailedCall(env);
        return false;
    }
    return true;
}

} // namespace

// ----------------------------------------------------------------------------------------------
// Conn

Napi::Function ConnWrap::Define(Napi::Env env) {
    std::vector<Napi::ClassPropertyDescriptor<ConnWrap>> props = {
        InstanceMethod("connect", &ConnWrap::Connect),
        InstanceMethod("connectPipe", &ConnWrap::ConnectPipe),
        InstanceMethod("write", &ConnWrap::Write),
        InstanceMethod("shutdown", &ConnWrap::Shutdown),
        InstanceMethod("close", &ConnWrap::Close),
        InstanceMethod("readStart", &ConnWrap::ReadStart),
        InstanceMethod("readStop", &ConnWrap::ReadStop),
        InstanceMethod("setTimeout", &ConnWrap::SetTimeout),
        InstanceMethod("setNoDelay", &ConnWrap::SetNoDelay),
        InstanceMethod("setKeepAlive", &ConnWrap::SetKeepAlive),
        InstanceMethod("ref", &ConnWrap::Ref),
        InstanceMethod("unref", &ConnWrap::Unref),
        InstanceMethod("queued", &ConnWrap::Queued),
        InstanceMethod("bytesRead", &ConnWrap::BytesRead),
        InstanceMethod("bytesWritten", &ConnWrap::BytesWritten),
        InstanceMethod("peername", &ConnWrap::PeerName),
        InstanceMethod("sockname", &ConnWrap::SockName),
        InstanceMethod("resumeHello", &ConnWrap::ResumeHello),
        InstanceMethod("enablePsk", &ConnWrap::EnablePsk),
    };
    AddEngineMethods<ConnWrap>(props);
    return DefineClass(env, "Conn", props);
}

// new Conn(secureContext, {requestCert, rejectUnauthorized, servername, pipe})  (a client), or
// new Conn()  (from ConnWrap::FromAccepted, which hands the conn over through `adopting`)
ConnWrap::ConnWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<ConnWrap>(info) {
    Napi::Env env = info.Env();
    TagThis<ConnWrap>(info);
    if (info.Length() == 0 && adopting.conn != nullptr) {
        Adopt(adopting.conn, adopting.server);
        adopting = {};
        return;
    }
    if (!info[0].IsObject() || !info[1].IsObject())
        throw Napi::TypeError::New(env, "Conn(secureContext, options)");
    SecureContextWrap *ctx = SecureContextWrap::Unwrap(info[0].As<Napi::Object>());
    Napi::Object opts = info[1].As<Napi::Object>();
    std::string servername;
    if (opts.Get("servername").IsString())
        servername = opts.Get("servername").As<Napi::String>().Utf8Value();
    if (servername.find('\0') != std::string::npos)
        ThrowInvalidArgValue(env, "servername must not contain a NUL character");
    uvtls_conn_options o = {};
    o.engine.is_server = 0;
    o.engine.request_cert = 0;
    o.engine.reject_unauthorized = opts.Get("rejectUnauthorized").ToBoolean().Value();
    o.engine.servername = servername.empty() ? nullptr : servername.c_str();
    o.pipe = opts.Get("pipe").ToBoolean().Value();
    uvtls_error err;
    uvtls_conn *c =
        uvtls_conn_new(GetAddonData(env)->loop, ctx->context(), &o, nullptr, nullptr, &err);
    if (c == nullptr)
        ThrowError(env, err);
    Adopt(c, nullptr);
}

void ConnWrap::Adopt(uvtls_conn *conn, uvtls_server *server) {
    conn_ = conn;
    server_ = server;
    uvtls_conn_set_callback(conn_, OnEvent, this);
    self_ = Napi::Persistent(Value()); // released at CLOSE
}

ConnWrap::~ConnWrap() {
    // The strong reference keeps us alive while the conn is open, so the conn is gone by now;
    // the guard covers environment teardown, where finalizers run before handles close.
    if (conn_ != nullptr) {
        uvtls_conn_set_callback(conn_, nullptr, nullptr);
        uvtls_conn_close(conn_);
    }
}

Napi::Object ConnWrap::FromAccepted(Napi::Env env, uvtls_conn *conn, uvtls_server *server) {
    // No napi External per connection: it costs an allocation that lives until a GC, and the
    // constructor runs synchronously on this thread anyway.
    adopting = {conn, server};
    Napi::Object wrap;
    try {
        wrap = GetAddonData(env)->conn_ctor.New({});
    } catch (...) {
        adopting = {};
        throw;
    }
    adopting = {};
    return wrap;
}

void ConnWrap::OnEvent(uvtls_conn *c, uvtls_conn_event ev, const uvtls_conn_event_data *d,
                       void *user) {
    ConnWrap *self = static_cast<ConnWrap *>(user);
    Napi::Env env = self->Env();
    if (ev == UVTLS_CONN_CLOSE) {
        // The bookkeeping happens whether or not JS can still hear about it.
        uvtls_server *server = self->server_;
        self->bytes_read_ = uvtls_conn_bytes_read(c);
        self->bytes_written_ = uvtls_conn_bytes_written(c);
        self->conn_ = nullptr;
        self->server_ = nullptr;
        if (CanCallJS(env)) {
            try {
                Napi::HandleScope scope(env);
                CallOnEvent(env, self->Value(), {Napi::Number::New(env, kClose)});
            } catch (const Napi::Error &) {
                // the environment stopped running JS meanwhile
            }
        }
        self->self_.Reset();
        if (server != nullptr)
            uvtls_server_conn_closed(server);
        return;
    }
    if (!CanCallJS(env))
        return;
    try {
        Napi::HandleScope scope(env);
        Napi::Object obj = self->Value();
        switch (ev) {
        case UVTLS_CONN_CONNECT:
            CallOnEvent(env, obj, {Napi::Number::New(env, kConnect)});
            break;
        case UVTLS_CONN_SECURE:
            CallOnEvent(env, obj, {Napi::Number::New(env, kSecure)});
            break;
        case UVTLS_CONN_DATA:
            CallOnEvent(
                env, obj,
                {Napi::Number::New(env, kData), Napi::Buffer<char>::Copy(env, d->data, d->len)});
            break;
        case UVTLS_CONN_END:
            CallOnEvent(env, obj, {Napi::Number::New(env, kEnd)});
            break;
        case UVTLS_CONN_ERROR:
            CallOnEvent(env, obj,
                        {Napi::Number::New(env, kError), MakeError(env, *d->error).Value()});
            break;
        case UVTLS_CONN_WRITTEN:
            CallOnEvent(env, obj,
                        {Napi::Number::New(env, kWritten),
                         Napi::Number::New(env, static_cast<double>(d->count)),
                         Napi::Number::New(env, d->status)});
            break;
        case UVTLS_CONN_TIMEOUT:
            CallOnEvent(env, obj, {Napi::Number::New(env, kTimeout)});
            break;
        case UVTLS_CONN_CLIENT_HELLO:
            CallOnEvent(
                env, obj,
                {Napi::Number::New(env, kClientHello),
                 d->data ? Napi::Value(Napi::String::New(env, d->data, d->len)) : env.Undefined()});
            break;
        case UVTLS_CONN_SESSION:
            CallOnEvent(
                env, obj,
                {Napi::Number::New(env, kSession), Napi::Buffer<char>::Copy(env, d->data, d->len)});
            break;
        case UVTLS_CONN_CLOSE:
            break;
        }
    } catch (const Napi::Error &) {
        // Building the arguments failed: the environment stopped running JS meanwhile. A C++
        // exception must never unwind into libuv.
    }
}

// resumeHello(secureContext | null): ends the SNI pause, with another context or the same.
Napi::Value ConnWrap::ResumeHello(const Napi::CallbackInfo &info) {
    uvtls_conn *c = Live(info);
    uvtls_context *ctx = nullptr;
    if (info[0].IsObject())
        ctx = SecureContextWrap::Unwrap(info[0].As<Napi::Object>())->context();
    uvtls_conn_resume_hello(c, ctx);
    return info.Env().Undefined();
}

uvtls_conn *ConnWrap::Live(const Napi::CallbackInfo &info) {
    if (conn_ == nullptr) {
        uvtls_error err;
        uvtls_error_set(&err, "write", "ERR_SOCKET_CLOSED", "Socket is closed");
        ThrowError(info.Env(), err);
    }
    return conn_;
}

Napi::Value ConnWrap::Connect(const Napi::CallbackInfo &info) {
    uvtls_conn *c = Live(info);
    struct sockaddr_storage addr, local;
    std::string ip = info[0].ToString().Utf8Value();
    int r = uvtls_net_address_parse(ip.c_str(), info[1].ToNumber().Int32Value(), &addr);
    if (r < 0)
        ThrowUv(info.Env(), r, "connect");
    bool has_local = info[2].IsString();
    if (has_local) {
        r = uvtls_net_address_parse(info[2].ToString().Utf8Value().c_str(),
                                    info[3].IsNumber() ? info[3].ToNumber().Int32Value() : 0,
                                    &local);
        if (r < 0)
            ThrowUv(info.Env(), r, "bind");
    }
    r = uvtls_conn_connect(c, reinterpret_cast<struct sockaddr *>(&addr),
                           has_local ? reinterpret_cast<struct sockaddr *>(&local) : nullptr);
    if (r < 0)
        ThrowUv(info.Env(), r, "connect");
    return info.Env().Undefined();
}

Napi::Value ConnWrap::ConnectPipe(const Napi::CallbackInfo &info) {
    std::string path = info[0].ToString().Utf8Value();
    uvtls_conn_connect_pipe(Live(info), path.c_str());
    return info.Env().Undefined();
}

// Returns true when the data already reached the kernel, false when one WRITTEN event will
// report it. Throws on failure.
Napi::Value ConnWrap::Write(const Napi::CallbackInfo &info) {
    uvtls_conn *c = Live(info);
    std::string holder;
    size_t len = 0;
    const char *data = BytesOf(info[0], holder, &len);
    int r = uvtls_conn_write(c, data, len);
    if (r < 0)
        ThrowUv(info.Env(), r, "write");
    return Napi::Boolean::New(info.Env(), r == 1);
}

Napi::Value ConnWrap::Shutdown(const Napi::CallbackInfo &info) {
    if (conn_ != nullptr)
        uvtls_conn_shutdown(conn_);
    return info.Env().Undefined();
}

Napi::Value ConnWrap::Close(const Napi::CallbackInfo &info) {
    if (conn_ != nullptr)
        uvtls_conn_close(conn_);
    return info.Env().Undefined();
}

Napi::Value ConnWrap::ReadStart(const Napi::CallbackInfo &info) {
    if (conn_ != nullptr)
        uvtls_conn_read_start(conn_);
    return info.Env().Undefined();
}

Napi::Value ConnWrap::ReadStop(const Napi::CallbackInfo &info) {
    if (conn_ != nullptr)
        uvtls_conn_read_stop(conn_);
    return info.Env().Undefined();
}

Napi::Value ConnWrap::SetTimeout(const Napi::CallbackInfo &info) {
    if (conn_ != nullptr)
        uvtls_conn_set_timeout(conn_, info[0].ToNumber().Uint32Value());
    return info.Env().Undefined();
}

Napi::Value ConnWrap::SetNoDelay(const Napi::CallbackInfo &info) {
    if (conn_ != nullptr)
        uvtls_conn_set_nodelay(conn_, info[0].ToBoolean().Value());
    return info.Env().Undefined();
}

Napi::Value ConnWrap::SetKeepAlive(const Napi::CallbackInfo &info) {
    if (conn_ != nullptr)
        uvtls_conn_set_keepalive(conn_, info[0].ToBoolean().Value(),
                                 info[1].ToNumber().Uint32Value());
    return info.Env().Undefined();
}

Napi::Value ConnWrap::Ref(const Napi::CallbackInfo &info) {
    if (conn_ != nullptr)
        uvtls_conn_ref(conn_);
    return info.Env().Undefined();
}

Napi::Value ConnWrap::Unref(const Napi::CallbackInfo &info) {
    if (conn_ != nullptr)
        uvtls_conn_unref(conn_);
    return info.Env().Undefined();
}

Napi::Value ConnWrap::Queued(const Napi::CallbackInfo &info) {
    return Napi::Number::New(info.Env(), conn_ ? static_cast<double>(uvtls_conn_queued(conn_)) : 0);
}

Napi::Value ConnWrap::BytesRead(const Napi::CallbackInfo &info) {
    return Napi::Number::New(
        info.Env(), static_cast<double>(conn_ ? uvtls_conn_bytes_read(conn_) : bytes_read_));
}

Napi::Value ConnWrap::BytesWritten(const Napi::CallbackInfo &info) {
    return Napi::Number::New(
        info.Env(), static_cast<double>(conn_ ? uvtls_conn_bytes_written(conn_) : bytes_written_));
}

Napi::Value ConnWrap::PeerName(const Napi::CallbackInfo &info) {
    struct sockaddr_storage ss;
    if (conn_ == nullptr || uvtls_conn_peername(conn_, &ss) < 0)
        return info.Env().Undefined();
    return SockaddrToJS(info.Env(), ss);
}

Napi::Value ConnWrap::SockName(const Napi::CallbackInfo &info) {
    struct sockaddr_storage ss;
    if (conn_ == nullptr || uvtls_conn_sockname(conn_, &ss) < 0)
        return info.Env().Undefined();
    return SockaddrToJS(info.Env(), ss);
}

// ----------------------------------------------------------------------------------------------
// Server

Napi::Function ServerWrap::Define(Napi::Env env) {
    return DefineClass(env, "Server",
                       {
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
                       });
}

// new Server(secureContext, {requestCert, rejectUnauthorized, handshakeTimeout, maxConnections,
//                            noDelay, keepAlive, keepAliveInitialDelay, pipe, ipv6Only, reusePort})
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
        if (js) {
            try {
                Napi::HandleScope scope(env);
                CallOnEvent(env, self->Value(), {Napi::Number::New(env, kServerClose)});
            } catch (const Napi::Error &) {
            }
        }
        self->self_.Reset();
        return;
    }
    if (!js) {
        // Nobody can take the connection: the server closes it (it still reports to the server).
        if (ev == UVTLS_SERVER_SECURE || ev == UVTLS_SERVER_CLIENT_HELLO)
            uvtls_conn_close(conn);
        return;
    }
    bool adopted = false;
    try {
        Napi::HandleScope scope(env);
        Napi::Object obj = self->Value();
        switch (ev) {
        case UVTLS_SERVER_SECURE: {
            Napi::Object wrap = ConnWrap::FromAccepted(env, conn, s);
            adopted = true;
            CallOnEvent(env, obj, {Napi::Number::New(env, kServerSecure), wrap});
            break;
        }
        case UVTLS_SERVER_CLIENT_HELLO: {
            Napi::Object wrap = ConnWrap::FromAccepted(env, conn, s);
            adopted = true;
            const char *name = uvtls_engine_hello_servername(uvtls_conn_engine(conn));
            // A throw while JS set the paused handshake up leaves it with nobody to resume it:
            // that connection closes (its socket hears CLOSE); the exception is uncaught.
            if (!CallOnEvent(env, obj,
                             {Napi::Number::New(env, kServerClientHello), wrap,
                              name ? Napi::Value(Napi::String::New(env, name)) : env.Undefined()}))
                uvtls_conn_close(conn);
            break;
        }
        case UVTLS_SERVER_CLIENT_ERROR:
            CallOnEvent(env, obj,
                        {Napi::Number::New(env, kServerClientError), MakeError(env, *err).Value(),
                         ConnWrap::FromAccepted(env, conn, s)});
            break;
        case UVTLS_SERVER_ERROR:
            CallOnEvent(env, obj,
                        {Napi::Number::New(env, kServerError), MakeError(env, *err).Value()});
            break;
        case UVTLS_SERVER_CLOSE:
            break;
        }
    } catch (const Napi::Error &) {
        if ((ev == UVTLS_SERVER_SECURE || ev == UVTLS_SERVER_CLIENT_HELLO) && !adopted)
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

Napi::Value ServerWrap::SetOcspPause(const Napi::CallbackInfo &info) {
    uvtls_server_set_ocsp_pause(Live(info), info[0].ToBoolean().Value());
    return info.Env().Undefined();
}

Napi::Value ServerWrap::SetKeylog(const Napi::CallbackInfo &info) {
    uvtls_server_set_keylog(Live(info), info[0].ToBoolean().Value());
    return info.Env().Undefined();
}

// enablePsk([identityHint]): from now on the handshake asks `this.onpsk` for keys.
Napi::Value ConnWrap::EnablePsk(const Napi::CallbackInfo &info) {
    uvtls_engine *e = uvtls_conn_engine(Live(info));
    psk_.reset(new PskBridge{info.Env(), Napi::Weak(info.This().As<Napi::Object>())});
    std::string hint = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : std::string();
    if (hint.find('\0') != std::string::npos)
        ThrowInvalidArgValue(info.Env(), "pskIdentityHint must not contain a NUL character");
    uvtls_error err;
    if (uvtls_engine_set_psk(e, PskHandler, psk_.get(), info[0].IsString() ? hint.c_str() : nullptr,
                             &err) < 0)
        ThrowError(info.Env(), err);
    return info.Env().Undefined();
}

} // namespace uvtls
