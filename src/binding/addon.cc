// Module entry: checks the OpenSSL version, then exports the classes. Context-aware: all state
// lives in per-environment AddonData, so the addon loads in worker_threads too.
#include <napi.h>

#include <string>

#include "binding/addon.h"
#include "binding/cert_tools.h"
#include "binding/context_wrap.h"
#include "binding/convert.h"
#include "binding/conn_wrap.h"
#include "binding/errors_export.h"
#include "binding/server_wrap.h"

extern "C" {
#include "core/sessions.h"
#include "net/handshake_pool.h"
}

using namespace uvtls;

namespace {

struct Teardown {
    napi_async_cleanup_hook_handle hook;
    uvtls_loop *loop;
};

void LoopEmpty(void *arg) {
    Teardown *t = static_cast<Teardown *>(arg);
    napi_remove_async_cleanup_hook(t->hook);
    uvtls_loop_dispose(t->loop);
    delete t->loop;
    delete t;
}

void CloseAllHandles(napi_async_cleanup_hook_handle hook, void *arg) {
    AddonData *data = static_cast<AddonData *>(arg);
    data->tearing_down = true;
    Teardown *t = new Teardown{hook, data->loop};
    data->loop = nullptr;
    uvtls_loop_close_all(t->loop, LoopEmpty, t);
}

// {conn: {CONNECT: 0, ...}, server: {SECURE: 0, ...}}: the event kinds of src/net, by name, so
// that JavaScript never numbers them itself.
Napi::Object EventKinds(Napi::Env env) {
    Napi::Object conn = Napi::Object::New(env);
    for (int ev = 0; ev < UVTLS_CONN_EVENT_COUNT; ev++)
        conn.Set(uvtls_conn_event_name(ev), ev);
    Napi::Object server = Napi::Object::New(env);
    for (int ev = 0; ev < UVTLS_SERVER_EVENT_COUNT; ev++)
        server.Set(uvtls_server_event_name(ev), ev);
    Napi::Object kinds = Napi::Object::New(env);
    kinds.Set("conn", conn);
    kinds.Set("server", server);
    return kinds;
}

} // namespace

namespace uvtls {

bool HasTypeTag(Napi::Env env, napi_value value, const napi_type_tag &tag) {
    napi_valuetype type = napi_undefined;
    if (value == nullptr || napi_typeof(env, value, &type) != napi_ok ||
        (type != napi_object && type != napi_function))
        return false;
    bool result = false;
    return napi_check_object_type_tag(env, value, &tag, &result) == napi_ok && result;
}

void ThrowInvalidArgType(Napi::Env env, const char *what, const char *cls) {
    std::string message =
        std::string("The \"") + what + "\" argument must be a uvtls " + cls + " object";
    Napi::TypeError e = Napi::TypeError::New(env, message);
    e.Set("code", "ERR_INVALID_ARG_TYPE");
    throw e;
}

void ThrowInvalidArgValue(Napi::Env env, const char *message) {
    Napi::TypeError e = Napi::TypeError::New(env, message);
    e.Set("code", "ERR_INVALID_ARG_VALUE");
    throw e;
}

} // namespace uvtls

static Napi::Object InitUvtls(Napi::Env env, Napi::Object exports) {
    uvtls_error err;
    if (uvtls_openssl_version_check(&err) < 0)
        ThrowError(env, err);

    AddonData *data = new AddonData();
    env.SetInstanceData<AddonData>(data);
    uv_loop_t *uv = nullptr;
    if (napi_get_uv_event_loop(env, &uv) != napi_ok || uv == nullptr)
        throw Napi::Error::New(env, "uvtls: no libuv loop in this environment");
    data->loop = new uvtls_loop();
    uvtls_loop_init(data->loop, uv);
    // At teardown (process exit, worker exit) close every handle we still own, and let Node wait
    // for their close callbacks before the loop goes away.
    napi_async_cleanup_hook_handle hook = nullptr;
    napi_add_async_cleanup_hook(env, CloseAllHandles, data, &hook);
    Napi::Function create =
        env.Global().Get("Object").As<Napi::Object>().Get("create").As<Napi::Function>();
    data->object_create = Napi::Persistent(create);

    Napi::Function context = SecureContextWrap::Define(env);
    data->secure_context_ctor = Napi::Persistent(context);

    Napi::Function conn = ConnWrap::Define(env);
    data->conn_ctor = Napi::Persistent(conn);
    Napi::Function server = ServerWrap::Define(env);
    data->server_ctor = Napi::Persistent(server);
    exports.Set("Conn", conn);
    exports.Set("Server", server);
    exports.Set("SecureContext", context);
    exports.Set("events", EventKinds(env));
    // A server's handshake threads when its options name none, and the most it may ask for.
    Napi::Object threads = Napi::Object::New(env);
    threads.Set("default", uvtls_pool_default_threads());
    threads.Set("max", static_cast<unsigned>(UVTLS_POOL_MAX_THREADS));
    exports.Set("handshakeThreads", threads);
    RegisterCertTools(env, exports);
    exports.Set("opensslVersion", Napi::String::New(env, uvtls_openssl_version_text()));
    RegisterErrors(env, exports);
    // sessionTicket(sessionDer): the ticket a 'session' event's session holds (getTLSTicket()
    // while that event runs), or undefined.
    exports.Set("sessionTicket",
                Napi::Function::New(env, [](const Napi::CallbackInfo &info) -> Napi::Value {
                    if (!info[0].IsBuffer())
                        ThrowInvalidArgType(info.Env(), "session", "Buffer");
                    Napi::Buffer<unsigned char> der = info[0].As<Napi::Buffer<unsigned char>>();
                    size_t n = 0;
                    unsigned char *t = uvtls_session_ticket(der.Data(), der.Length(), &n);
                    if (t == nullptr)
                        return info.Env().Undefined();
                    Napi::Value out = Napi::Buffer<unsigned char>::Copy(info.Env(), t, n);
                    free(t);
                    return out;
                }));
    // lib/x509-shape.js: called once, on the first certificate or ephemeral-key object.
    exports.Set("setShapeProbe",
                Napi::Function::New(env, [](const Napi::CallbackInfo &info) -> Napi::Value {
                    AddonData *data = GetAddonData(info.Env());
                    if (!info[0].IsFunction())
                        ThrowInvalidArgType(info.Env(), "probe", "Function");
                    data->shape_probe = Napi::Persistent(info[0].As<Napi::Function>());
                    data->shape_known = false;
                    data->cert_keys.clear();
                    data->ephemeral_fixed = false;
                    return info.Env().Undefined();
                }));
    Napi::Object states = Napi::Object::New(env);
    states.Set("HANDSHAKING", int(UVTLS_ENGINE_HANDSHAKING));
    states.Set("ESTABLISHED", int(UVTLS_ENGINE_ESTABLISHED));
    states.Set("CLOSING", int(UVTLS_ENGINE_CLOSING));
    states.Set("CLOSED", int(UVTLS_ENGINE_CLOSED));
    states.Set("ERROR", int(UVTLS_ENGINE_ERROR));
    exports.Set("states", states);
    return exports;
}

NODE_API_MODULE(uvtls, InitUvtls)
