// The core's error tables (src/core/error_codes.h, errors.c) exported to JS, so lib/ names
// codes, stages and hints from the one C definition.
#include "binding/errors_export.h"

#include <string>

extern "C" {
#include "core/errors.h"
}

namespace uvtls {

namespace {

// A frozen object: lib/ reads these tables and must not be able to change them for everyone.
Napi::Object Frozen(Napi::Env env, Napi::Object o) {
    Napi::Function freeze =
        env.Global().Get("Object").As<Napi::Object>().Get("freeze").As<Napi::Function>();
    return freeze.Call({o}).As<Napi::Object>();
}

Napi::Value HintFor(const Napi::CallbackInfo &info) {
    std::string code = info[0].ToString().Utf8Value();
    uvtls_side side = UVTLS_SIDE_ANY;
    if (info.Length() > 1 && info[1].IsString()) {
        std::string s = info[1].As<Napi::String>().Utf8Value();
        side = s == "server" ? UVTLS_SIDE_SERVER : s == "client" ? UVTLS_SIDE_CLIENT : side;
    }
    const char *hint = uvtls_error_hint_side(code.c_str(), side);
    return hint ? Napi::Value(Napi::String::New(info.Env(), hint)) : info.Env().Undefined();
}

} // namespace

void RegisterErrors(Napi::Env env, Napi::Object exports) {
    Napi::Object codes = Napi::Object::New(env);
    for (int i = 0; i < UVTLS_CODE_COUNT; i++) {
        const char *name = uvtls_code_name(static_cast<uvtls_code>(i));
        codes.Set(name, name);
    }
    Napi::Object stages = Napi::Object::New(env);
#define UVTLS_STAGE_EXPORT(name, text) stages.Set(#name, text);
    UVTLS_ERROR_STAGES(UVTLS_STAGE_EXPORT)
#undef UVTLS_STAGE_EXPORT
    exports.Set("codes", Frozen(env, codes));
    exports.Set("stages", Frozen(env, stages));
    exports.Set("hintFor", Napi::Function::New(env, HintFor, "hintFor"));
}

} // namespace uvtls
