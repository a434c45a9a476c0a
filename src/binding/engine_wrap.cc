// Engine: moves Buffers in and out of a core engine.
#include "binding/engine_wrap.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "binding/addon.h"
#include "binding/context_wrap.h"
#include "binding/convert.h"
#include "binding/engine_info.h"

extern "C" {
#include "core/extensions.h"
}

namespace uvtls {

Napi::Function EngineWrap::Define(Napi::Env env) {
    std::vector<Napi::ClassPropertyDescriptor<EngineWrap>> props = {
        InstanceMethod("feed", &EngineWrap::Feed),
        InstanceMethod("feedEof", &EngineWrap::FeedEof),
        InstanceMethod("handshake", &EngineWrap::Handshake),
        InstanceMethod("read", &EngineWrap::Read),
        InstanceMethod("write", &EngineWrap::Write),
        InstanceMethod("take", &EngineWrap::Take),
        InstanceMethod("shutdown", &EngineWrap::Shutdown),
        InstanceMethod("state", &EngineWrap::State),
        InstanceMethod("error", &EngineWrap::Error),
        InstanceMethod("destroy", &EngineWrap::Destroy),
        InstanceMethod("enablePsk", &EngineWrap::EnablePsk),
    };
    AddEngineMethods<EngineWrap>(props);
    return DefineClass(env, "Engine", props);
}

// new Engine(secureContext, {isServer, requestCert, rejectUnauthorized, servername})
EngineWrap::EngineWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<EngineWrap>(info) {
    Napi::Env env = info.Env();
    TagThis<EngineWrap>(info);
    SecureContextWrap *ctx = UnwrapChecked<SecureContextWrap>(info[0], "secureContext");
    if (!info[1].IsObject())
        throw Napi::TypeError::New(env, "Engine(secureContext, options)");
    Napi::Object opts = info[1].As<Napi::Object>();
    std::string servername;
    if (opts.Get("servername").IsString())
        servername = opts.Get("servername").As<Napi::String>().Utf8Value();
    // The core (and OpenSSL) take C strings: a NUL would send a shorter name than the one the
    // host-name check compares against.
    if (servername.find('\0') != std::string::npos)
        ThrowInvalidArgValue(env, "servername must not contain a NUL character");
    uvtls_engine_options o = {};
    o.is_server = opts.Get("isServer").ToBoolean().Value();
    o.request_cert = opts.Get("requestCert").ToBoolean().Value();
    o.reject_unauthorized = opts.Get("rejectUnauthorized").ToBoolean().Value();
    o.servername = servername.empty() ? nullptr : servername.c_str();
    uvtls_error err;
    engine_ = uvtls_engine_new(ctx->context(), &o, &err);
    if (engine_ == nullptr)
        ThrowError(env, err);
}

EngineWrap::~EngineWrap() {
    uvtls_engine_free(engine_);
}

uvtls_engine *EngineWrap::Live(const Napi::CallbackInfo &info) {
    if (engine_ == nullptr)
        throw Napi::Error::New(info.Env(), "the TLS engine was destroyed");
    return engine_;
}

// Marks a call that may run JS (a PSK callback) while the engine is on the stack: a destroy()
// from that JS is deferred to the end of the call instead of freeing the engine under OpenSSL.
struct EngineWrap::BusyScope {
    EngineWrap *w;
    explicit BusyScope(EngineWrap *wrap) : w(wrap) {
        w->busy_++;
    }
    ~BusyScope() {
        if (--w->busy_ == 0 && w->destroy_pending_) {
            w->destroy_pending_ = false;
            uvtls_engine_free(w->engine_);
            w->engine_ = nullptr;
        }
    }
};

Napi::Value EngineWrap::Feed(const Napi::CallbackInfo &info) {
    uvtls_engine *e = Live(info);
    BusyScope busy(this);
    std::string holder;
    size_t len = 0;
    const char *data = BytesOf(info[0], holder, &len);
    if (uvtls_engine_feed(e, data, len) == 0)
        uvtls_engine_handshake(e);
    return Napi::Number::New(info.Env(), uvtls_engine_state_get(e));
}

Napi::Value EngineWrap::FeedEof(const Napi::CallbackInfo &info) {
    uvtls_engine *e = Live(info);
    BusyScope busy(this);
    uvtls_engine_feed_eof(e);
    uvtls_engine_handshake(e);
    return Napi::Number::New(info.Env(), uvtls_engine_state_get(e));
}

Napi::Value EngineWrap::Handshake(const Napi::CallbackInfo &info) {
    uvtls_engine *e = Live(info);
    BusyScope busy(this);
    return Napi::Number::New(info.Env(), uvtls_engine_handshake(e));
}

// Returns all cleartext available now as one Buffer, null when there is none yet, false at the
// end of the stream (close_notify or transport end). Failures leave the engine in the error
// state, which the caller reads from state()/error().
Napi::Value EngineWrap::Read(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    uvtls_engine *e = Live(info);
    BusyScope busy(this);
    std::vector<char> &scratch = GetAddonData(env)->scratch;
    std::vector<char> more; // only when one scratch buffer is not enough
    size_t filled = 0;
    ssize_t n = 0;
    for (;;) {
        if (filled == scratch.size()) {
            more.insert(more.end(), scratch.begin(), scratch.end());
            filled = 0;
        }
        n = uvtls_engine_read(e, scratch.data() + filled, scratch.size() - filled);
        if (n <= 0)
            break;
        filled += static_cast<size_t>(n);
    }
    if (more.empty() && filled == 0)
        return n == UVTLS_EOF ? Napi::Value(Napi::Boolean::New(env, false)) : env.Null();
    if (more.empty())
        return Napi::Buffer<char>::Copy(env, scratch.data(), filled);
    more.insert(more.end(), scratch.data(), scratch.data() + filled);
    return Napi::Buffer<char>::Copy(env, more.data(), more.size());
}

Napi::Value EngineWrap::Write(const Napi::CallbackInfo &info) {
    uvtls_engine *e = Live(info);
    std::string holder;
    size_t len = 0;
    const char *data = BytesOf(info[0], holder, &len);
    return Napi::Number::New(info.Env(), static_cast<double>(uvtls_engine_write(e, data, len)));
}

Napi::Value EngineWrap::Take(const Napi::CallbackInfo &info) {
    uvtls_engine *e = Live(info);
    size_t pending = uvtls_engine_pending(e);
    if (pending == 0)
        return info.Env().Null();
    Napi::Buffer<char> out = Napi::Buffer<char>::New(info.Env(), pending);
    size_t got = uvtls_engine_take(e, out.Data(), pending);
    if (got < pending)
        return Napi::Buffer<char>::Copy(info.Env(), out.Data(), got);
    return out;
}

Napi::Value EngineWrap::Shutdown(const Napi::CallbackInfo &info) {
    uvtls_engine *e = Live(info);
    uvtls_engine_shutdown(e);
    return Napi::Number::New(info.Env(), uvtls_engine_state_get(e));
}

Napi::Value EngineWrap::State(const Napi::CallbackInfo &info) {
    if (engine_ == nullptr)
        return Napi::Number::New(info.Env(), UVTLS_ENGINE_CLOSED);
    return Napi::Number::New(info.Env(), uvtls_engine_state_get(engine_));
}

Napi::Value EngineWrap::Error(const Napi::CallbackInfo &info) {
    if (engine_ == nullptr || uvtls_engine_state_get(engine_) != UVTLS_ENGINE_ERROR)
        return info.Env().Null();
    return MakeError(info.Env(), *uvtls_engine_error(engine_)).Value();
}

// Frees the session now instead of at garbage collection: a destroyed socket should not hold
// OpenSSL memory until the next GC.
Napi::Value EngineWrap::Destroy(const Napi::CallbackInfo &info) {
    if (busy_ > 0) {
        destroy_pending_ = true;
        return info.Env().Undefined();
    }
    uvtls_engine_free(engine_);
    engine_ = nullptr;
    return info.Env().Undefined();
}

// enablePsk([identityHint]): from now on the handshake asks `this.onpsk` for keys.
Napi::Value EngineWrap::EnablePsk(const Napi::CallbackInfo &info) {
    uvtls_engine *e = Live(info);
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
