// Per-environment state of the addon. Each Node environment (the main thread and every worker)
// gets its own AddonData through napi instance data, so nothing here is shared across threads.
#ifndef UVTLS_BINDING_ADDON_H
#define UVTLS_BINDING_ADDON_H

#include <napi.h>

#include <string>
#include <vector>

#include "binding/buffer_pool.h"

extern "C" {
#include "core/context.h"
#include "net/loop.h"
}

namespace uvtls {

struct AddonData {
    Napi::FunctionReference secure_context_ctor;
    Napi::FunctionReference conn_ctor;
    Napi::FunctionReference server_ctor;
    // The libuv side: Node's own loop, shared buffers, and every open handle. Heap-allocated and
    // freed by the environment's async cleanup hook once its last handle has closed.
    uvtls_loop *loop = nullptr;
    bool tearing_down = false;             // the environment is going away: no more calls into JS
    Napi::FunctionReference object_create; // Object.create, for null-prototype objects
    // Node's default roots, parsed once per environment and shared by every context without `ca`.
    uvtls_trust_store *default_roots = nullptr;
    // How the running Node shapes the plain objects of getPeerCertificate() and
    // getEphemeralKeyInfo(), asked once through `shape_probe` (lib/x509-shape.js) on first use.
    Napi::FunctionReference shape_probe;
    bool shape_known = false;
    // Non-empty: Node sets every one of these keys, in this order, undefined when it does not
    // apply (Node 24+). Empty: Node sets only the keys that apply, in its older order.
    std::vector<std::string> cert_keys;
    // getEphemeralKeyInfo() has Node 24's fixed {type, name, size} shape and names key exchanges
    // without a classic ephemeral key (ML-KEM and hybrids) {type: 'TLSGroup'}.
    bool ephemeral_fixed = false;

    // Blocks for the Buffers of DATA and OUTPUT events (buffer_pool.h); outlives this object
    // while any of its blocks is held by a Buffer.
    BufferPool *buffers = new BufferPool();

    ~AddonData() {
        buffers->Release();
        uvtls_trust_store_unref(default_roots);
    }
};

inline AddonData *GetAddonData(Napi::Env env) {
    return env.GetInstanceData<AddonData>();
}

// --- Type tags ------------------------------------------------------------------------------
// Every object a wrap class hands to JS carries its class's type tag, set in the constructor
// (TagThis), and every unwrap checks it first (UnwrapChecked): a Conn passed where a
// SecureContext is expected, or a method called on a foreign `this`
// (`Conn.prototype.write.call(secureContext)`), is a TypeError instead of a pointer of the
// wrong type. napi_unwrap alone cannot tell the classes apart: it returns whatever was wrapped.
//
// Each wrap class shadows ObjectWrap<T>::Unwrap with a checked one:
//     static T *Unwrap(Napi::Object o) { return UnwrapChecked<T>(o, "this"); }
// node-addon-api's method trampolines call `T::Unwrap(this)`, so that single line checks the
// receiver of every instance method too.

class SecureContextWrap;
class ConnWrap;
class ServerWrap;

// The tag and class name of each wrap class (random 128-bit values, one per class).
template <typename T> struct TypeTagOf;
template <> struct TypeTagOf<SecureContextWrap> {
    static constexpr napi_type_tag tag = {0x7576746c73435458ULL, 0x9d2b5a0c41e86f13ULL};
    static constexpr const char *name = "SecureContext";
};
template <> struct TypeTagOf<ConnWrap> {
    static constexpr napi_type_tag tag = {0x7576746c73434f4eULL, 0xc04e1b97a62d58f3ULL};
    static constexpr const char *name = "Conn";
};
template <> struct TypeTagOf<ServerWrap> {
    static constexpr napi_type_tag tag = {0x7576746c73535256ULL, 0x58a3e7d1094cb26eULL};
    static constexpr const char *name = "Server";
};

// Whether `value` is an object carrying `tag`.
bool HasTypeTag(Napi::Env env, napi_value value, const napi_type_tag &tag);
// TypeError with Node's code ERR_INVALID_ARG_TYPE: `what` must be a `cls`.
[[noreturn]] void ThrowInvalidArgType(Napi::Env env, const char *what, const char *cls);
// TypeError with Node's code ERR_INVALID_ARG_VALUE and `message`.
[[noreturn]] void ThrowInvalidArgValue(Napi::Env env, const char *message);

// In a wrap class's constructor, after ObjectWrap<T>'s: tags the new object as a T.
template <typename T> void TagThis(const Napi::CallbackInfo &info) {
    napi_status s = napi_type_tag_object(info.Env(), info.This(), &TypeTagOf<T>::tag);
    if (s != napi_ok)
        throw Napi::Error::New(info.Env(), "uvtls: cannot tag a native object");
}

// The T wrapped in `value`, or a TypeError naming `what` (an argument name, or "this") when
// `value` is anything else: never a pointer of another class.
template <typename T> T *UnwrapChecked(const Napi::Value &value, const char *what) {
    Napi::Env env = value.Env();
    if (!HasTypeTag(env, value, TypeTagOf<T>::tag))
        ThrowInvalidArgType(env, what, TypeTagOf<T>::name);
    T *unwrapped = Napi::ObjectWrap<T>::Unwrap(value.As<Napi::Object>());
    if (unwrapped == nullptr)
        ThrowInvalidArgType(env, what, TypeTagOf<T>::name);
    return unwrapped;
}

} // namespace uvtls

#endif
