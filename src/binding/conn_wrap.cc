// Conn handles over src/net/conn.c; see conn_wrap.h.
#include "binding/conn_wrap.h"

#include <string>
#include <vector>

#include "binding/addon.h"
#include "binding/context_wrap.h"
#include "binding/convert.h"
#include "binding/engine_info.h"
#include "binding/js_call.h"

extern "C" {
#include "net/address.h"
}

namespace uvtls {

namespace {

// The accepted conn that the Conn constructor being run by ConnWrap::FromAccepted takes over.
// One per thread, as each environment (main thread, worker) runs on its own.
thread_local struct {
    uvtls_conn *conn;
    uvtls_server *server;
} adopting = {nullptr, nullptr};

bool Flag(const Napi::Object &opts, const char *name) {
    return opts.Get(name).ToBoolean().Value();
}

} // namespace

Napi::Function ConnWrap::Define(Napi::Env env) {
    std::vector<Napi::ClassPropertyDescriptor<ConnWrap>> props = {
        InstanceAccessor("onevent", &ConnWrap::GetOnEvent, &ConnWrap::SetOnEvent),
        InstanceMethod("connect", &ConnWrap::Connect),
        InstanceMethod("connectPipe", &ConnWrap::ConnectPipe),
        InstanceMethod("start", &ConnWrap::Start),
        InstanceMethod("feed", &ConnWrap::Feed),
        InstanceMethod("feedEof", &ConnWrap::FeedEof),
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

// new Conn(secureContext, {isServer, requestCert, rejectUnauthorized, servername, pipe,
//                          external, handshakeTimeout, alpn, sniPause, ocspPause, resumePause,
//                          serverSessions, keylog, trace}), or
// new Conn()  (from ConnWrap::FromAccepted, which hands the conn over through `adopting`).
// A socket conn is a client (connect() next); an external one either side (start() next).
ConnWrap::ConnWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<ConnWrap>(info) {
    Napi::Env env = info.Env();
    TagThis<ConnWrap>(info);
    if (info.Length() == 0 && adopting.conn != nullptr) {
        Adopt(adopting.conn, adopting.server);
        adopting = {};
        return;
    }
    SecureContextWrap *ctx = UnwrapChecked<SecureContextWrap>(info[0], "secureContext");
    if (!info[1].IsObject())
        throw Napi::TypeError::New(env, "Conn(secureContext, options)");
    Napi::Object opts = info[1].As<Napi::Object>();
    std::string servername;
    if (opts.Get("servername").IsString())
        servername = opts.Get("servername").As<Napi::String>().Utf8Value();
    // The core (and OpenSSL) take C strings: a NUL would send a shorter name than the one the
    // host-name check compares against.
    if (servername.find('\0') != std::string::npos)
        ThrowInvalidArgValue(env, "servername must not contain a NUL character");
    std::string alpn_holder;
    size_t alpn_len = 0;
    Napi::Value alpn = opts.Get("alpn");
    const char *alpn_wire = alpn.IsBuffer() ? BytesOf(alpn, alpn_holder, &alpn_len) : nullptr;
    uvtls_conn_options o = {};
    o.external = Flag(opts, "external");
    o.engine.is_server = o.external && Flag(opts, "isServer");
    o.engine.request_cert = Flag(opts, "requestCert");
    o.engine.reject_unauthorized = Flag(opts, "rejectUnauthorized");
    o.engine.servername = servername.empty() ? nullptr : servername.c_str();
    o.pipe = Flag(opts, "pipe");
    o.handshake_timeout_ms = opts.Get("handshakeTimeout").ToNumber().Uint32Value();
    o.alpn = reinterpret_cast<const unsigned char *>(alpn_wire);
    o.alpn_len = alpn_len;
    o.sni_pause = Flag(opts, "sniPause");
    o.ocsp_pause = Flag(opts, "ocspPause");
    o.resume_pause = Flag(opts, "resumePause");
    o.server_sessions = Flag(opts, "serverSessions");
    o.keylog = Flag(opts, "keylog");
    uvtls_error err;
    uvtls_conn *c =
        uvtls_conn_new(GetAddonData(env)->loop, ctx->context(), &o, nullptr, nullptr, &err);
    if (c == nullptr)
        ThrowError(env, err);
    if (Flag(opts, "trace"))
        uvtls_engine_enable_trace(uvtls_conn_engine(c)); // from the first byte
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

void ConnWrap::OnClose(uvtls_conn *c) {
    Napi::Env env = Env();
    // The bookkeeping happens whether or not JS can still hear about it.
    uvtls_server *server = server_;
    bytes_read_ = uvtls_conn_bytes_read(c);
    bytes_written_ = uvtls_conn_bytes_written(c);
    conn_ = nullptr;
    server_ = nullptr;
    if (CanCallJS(env) && !onevent_.IsEmpty()) {
        try {
            Napi::HandleScope scope(env);
            CallOnEvent(env, Value(), onevent_.Value(), {Napi::Number::New(env, UVTLS_CONN_CLOSE)});
        } catch (const Napi::Error &) {
            // the environment stopped running JS meanwhile
        }
    }
    onevent_.Reset();
    self_.Reset();
    if (server != nullptr)
        uvtls_server_conn_closed(server);
}

// Each event is one call: onevent(kind[, a[, b]]), its arguments on the stack. Bytes (DATA,
// SESSION, OUTPUT) are copied into a Buffer before any JavaScript runs: they may sit in a buffer
// the loop shares. The large ones go into recycled blocks (buffer_pool.h). Nothing else is
// allocated per event (the kind and counts are small integers).
void ConnWrap::OnEvent(uvtls_conn *c, uvtls_conn_event ev, const uvtls_conn_event_data *d,
                       void *user) {
    ConnWrap *self = static_cast<ConnWrap *>(user);
    if (ev == UVTLS_CONN_CLOSE) {
        self->OnClose(c);
        return;
    }
    Napi::Env env = self->Env();
    AddonData *addon = GetAddonData(env);
    if (self->onevent_.IsEmpty() || addon->tearing_down)
        return;
    try {
        Napi::HandleScope scope(env);
        napi_value obj = self->Value();
        if (!CanCallJSOn(env, obj))
            return;
        napi_value args[3];
        size_t argc = 1;
        args[0] = Napi::Number::New(env, ev);
        switch (ev) {
        case UVTLS_CONN_DATA:
        case UVTLS_CONN_OUTPUT:
            args[argc++] = addon->buffers->Copy(env, d->data, d->len);
            break;
        case UVTLS_CONN_SESSION:
            args[argc++] = Napi::Buffer<char>::Copy(env, d->data, d->len);
            break;
        case UVTLS_CONN_ERROR:
            args[argc++] = MakeError(env, *d->error).Value();
            break;
        case UVTLS_CONN_WRITTEN:
            args[argc++] = Napi::Number::New(env, static_cast<double>(d->count));
            args[argc++] = Napi::Number::New(env, d->status);
            break;
        case UVTLS_CONN_OCSP_RESPONSE:
            args[argc++] =
                d->data ? Napi::Value(Napi::Buffer<char>::Copy(env, d->data, d->len)) : env.Null();
            break;
        case UVTLS_CONN_CLIENT_HELLO:
            args[argc++] =
                d->data ? Napi::Value(Napi::String::New(env, d->data, d->len)) : env.Undefined();
            break;
        default:
            break;
        }
        CallOnEvent(env, obj, self->onevent_.Value(), argc, args);
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
    if (uvtls_conn_is_closing(c)) {
        uvtls_error err; // closed by destroy(), its CLOSE not delivered yet
        uvtls_error_set(&err, "write", "ERR_SOCKET_CLOSED", "Socket is closed");
        ThrowError(info.Env(), err);
    }
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

// start(): an external conn's transport is ready (a client sends its ClientHello now).
Napi::Value ConnWrap::Start(const Napi::CallbackInfo &info) {
    int r = uvtls_conn_start(Live(info));
    if (r < 0 && r != UV_EALREADY)
        ThrowUv(info.Env(), r, "start");
    return info.Env().Undefined();
}

// feed(buffer): ciphertext an external transport received. Its effects arrive as events.
Napi::Value ConnWrap::Feed(const Napi::CallbackInfo &info) {
    if (conn_ == nullptr)
        return info.Env().Undefined(); // late bytes after a close have nowhere to go
    std::string holder;
    size_t len = 0;
    const char *data = BytesOf(info[0], holder, &len);
    int r = uvtls_conn_feed(conn_, data, len);
    if (r < 0 && r != UV_EPIPE)
        ThrowUv(info.Env(), r, "read");
    return info.Env().Undefined();
}

Napi::Value ConnWrap::FeedEof(const Napi::CallbackInfo &info) {
    if (conn_ != nullptr)
        uvtls_conn_feed_eof(conn_);
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
