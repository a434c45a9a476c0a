// Calls into JavaScript from libuv callbacks, each in its own handle scope; a JS exception there
// becomes an uncaught exception, as in Node.
#include "binding/js_call.h"

#include "binding/addon.h"

namespace uvtls {

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

namespace {

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

} // namespace

// Calls fn.apply(self, args). Raw Node-API on purpose: a worker may be terminated while the
// callback runs, and node-addon-api's failure path then aborts the process (it cannot build an
// Error from a termination). The function is the one JS assigned to `onevent`, kept by the
// handle: no property lookup per event.
bool CallOnEvent(napi_env env, napi_value self, napi_value fn, size_t argc,
                 const napi_value *argv) {
    if (GetAddonData(env)->tearing_down || fn == nullptr)
        return false;
    napi_value result;
    if (napi_make_callback(env, nullptr, self, fn, argc, argv, &result) != napi_ok) {
        ReportFailedCall(env);
        return false;
    }
    return true;
}

bool CallOnEvent(Napi::Env env, Napi::Object self, napi_value fn,
                 const std::vector<napi_value> &args) {
    return CallOnEvent(env, self, fn, args.size(), args.data());
}

// napi_unwrap is one of the calls Node refuses once JS can no longer run (as
// napi_define_properties, which CanCallJS uses), and it only reads a private field.
bool CanCallJSOn(napi_env env, napi_value wrapped) {
    void *native = nullptr;
    return !GetAddonData(env)->tearing_down && napi_unwrap(env, wrapped, &native) == napi_ok;
}

} // namespace uvtls
