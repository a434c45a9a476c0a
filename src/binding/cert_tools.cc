// Module-level certificate tools over src/core/describe and src/core/certgen. The core does the
// work; this file only checks and converts JS values.
#include "binding/cert_tools.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "binding/convert.h"

extern "C" {
#include "core/certgen.h"
#include "core/describe.h"
}

namespace uvtls {

namespace {

// Node's convention for a bad option: a TypeError (wrong type, unknown name) or a RangeError
// (number out of range), with code ERR_INVALID_ARG_VALUE.
[[noreturn]] void ThrowArg(Napi::Env env, bool range, const std::string &message) {
    Napi::Error e = range ? Napi::Error(Napi::RangeError::New(env, message))
                          : Napi::Error(Napi::TypeError::New(env, message));
    e.Value().Set("code", "ERR_INVALID_ARG_VALUE");
    throw e;
}

// Core errors; the core reports bad option values as ERR_INVALID_ARG_VALUE, which JS callers
// expect as a TypeError like Node's own.
[[noreturn]] void ThrowCore(Napi::Env env, const uvtls_error &err) {
    if (std::strcmp(err.code, "ERR_INVALID_ARG_VALUE") != 0)
        ThrowError(env, err);
    Napi::Error e = Napi::TypeError::New(env, err.message);
    e.Value().Set("code", err.code);
    if (err.hint != nullptr)
        e.Value().Set("hint", err.hint);
    throw e;
}

// An integer in [lo, hi]. Range first: casting NaN, an infinity or a huge double to an integer
// type is undefined behaviour in C++.
bool IsIntIn(double v, double lo, double hi) {
    return v >= lo && v <= hi && v == std::floor(v);
}

// The core takes C strings: a NUL inside would silently cut a name or SAN short ("good.com\0x"
// issued as "good.com"), so it is refused.
std::string CString(Napi::Env env, Napi::Value v, const std::string &what) {
    std::string s = v.As<Napi::String>().Utf8Value();
    if (s.find('\0') != std::string::npos)
        ThrowArg(env, false, what + " must not contain a NUL character");
    return s;
}

Napi::Value DescriptionToJS(Napi::Env env, const uvtls_cert_description *d) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("subject", d->subject);
    o.Set("issuer", d->issuer);
    // With the lengths: a NUL in a CN or SAN reaches JS as "\0", never cutting the name short.
    o.Set("commonName",
          d->common_name ? Napi::Value(Napi::String::New(env, d->common_name, d->common_name_len))
                         : env.Null());
    Napi::Array sans = Napi::Array::New(env, d->san_count);
    for (size_t i = 0; i < d->san_count; i++) {
        Napi::Object s = Napi::Object::New(env);
        s.Set("type", d->sans[i].type);
        s.Set("value", Napi::String::New(env, d->sans[i].value, d->sans[i].value_len));
        if (d->sans[i].oid != nullptr)
            s.Set("oid", d->sans[i].oid);
        sans.Set(uint32_t(i), s);
    }
    o.Set("subjectAltNames", sans);
    if (d->has_key_usage) {
        Napi::Array ku = Napi::Array::New(env, d->key_usage_count);
        for (size_t i = 0; i < d->key_usage_count; i++)
            ku.Set(uint32_t(i), d->key_usage[i]);
        o.Set("keyUsage", ku);
    } else {
        o.Set("keyUsage", env.Null());
    }
    if (d->has_ext_key_usage) {
        Napi::Array eku = Napi::Array::New(env, d->ext_key_usage_count);
        for (size_t i = 0; i < d->ext_key_usage_count; i++)
            eku.Set(uint32_t(i), d->ext_key_usage[i]);
        o.Set("extKeyUsage", eku);
    } else {
        o.Set("extKeyUsage", env.Null());
    }
    o.Set("isCA", d->is_ca != 0);
    o.Set("pathLength", d->path_length >= 0
                            ? Napi::Value(Napi::Number::New(env, double(d->path_length)))
                            : env.Null());
    o.Set("notBefore", double(d->not_before_ms));
    o.Set("notAfter", double(d->not_after_ms));
    o.Set("serialNumber", d->serial_number);
    o.Set("fingerprint256", d->fingerprint256);
    Napi::Object key = Napi::Object::New(env);
    key.Set("type", d->key_type);
    key.Set("bits", d->key_bits);
    key.Set("curve",
            d->key_curve ? Napi::Value(Napi::String::New(env, d->key_curve)) : env.Undefined());
    o.Set("publicKey", key);
    o.Set("selfIssued", d->self_issued != 0);
    o.Set("selfSigned", d->self_signed != 0);
    return o;
}

Napi::Value DescribeCertificate(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!info[0].IsTypedArray() && !info[0].IsString())
        ThrowArg(env, false, "describeCertificate(der): der must be a Buffer or Uint8Array");
    std::string holder;
    size_t len = 0;
    const char *bytes = BytesOf(info[0], holder, &len);
    uvtls_error err;
    uvtls_error_clear(&err);
    uvtls_cert_description *d = uvtls_cert_describe(bytes, len, &err);
    if (d == nullptr)
        ThrowError(env, err);
    std::unique_ptr<uvtls_cert_description, void (*)(uvtls_cert_description *)> owned(
        d, uvtls_cert_description_free);
    return DescriptionToJS(env, d);
}

// Frees a malloc'ed PEM from the core after copying it into a JS string.
Napi::String TakePem(Napi::Env env, char *pem) {
    Napi::String s = Napi::String::New(env, pem);
    std::free(pem);
    return s;
}

Napi::Value GenerateKey(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject())
        ThrowArg(env, false, "generateKey(options): options must be an object like { type: 'ec' }");
    Napi::Object opts = info[0].As<Napi::Object>();
    Napi::Value type = opts.Get("type");
    std::string t = type.IsString() ? type.As<Napi::String>().Utf8Value() : "";
    uvtls_keygen_type kt;
    if (t == "ec")
        kt = UVTLS_KEYGEN_EC;
    else if (t == "rsa")
        kt = UVTLS_KEYGEN_RSA;
    else
        ThrowArg(env, false, "options.type must be 'ec' or 'rsa'");
    int bits = 0;
    Napi::Value b = opts.Get("bits");
    if (!b.IsUndefined()) {
        if (!b.IsNumber())
            ThrowArg(env, false, "options.bits must be a number");
        double v = b.As<Napi::Number>().DoubleValue();
        if (kt == UVTLS_KEYGEN_EC && v != 256)
            ThrowArg(env, true, "options.bits must be 256 (P-256) for an EC key");
        if (kt == UVTLS_KEYGEN_RSA && !IsIntIn(v, UVTLS_RSA_MIN_BITS, UVTLS_RSA_MAX_BITS))
            ThrowArg(env, true, "options.bits must be an integer from 2048 to 8192 for RSA");
        bits = kt == UVTLS_KEYGEN_RSA ? int(v) : 0;
    }
    uvtls_error err;
    uvtls_error_clear(&err);
    char *pem = uvtls_keygen_pem(kt, bits, &err);
    if (pem == nullptr)
        ThrowCore(env, err);
    Napi::Object out = Napi::Object::New(env);
    out.Set("keyPem", TakePem(env, pem));
    return out;
}

// A string option, or "" when absent (undefined/null); anything else is a TypeError.
std::string OptionalString(Napi::Env env, Napi::Object o, const char *name, bool *present) {
    Napi::Value v = o.Get(name);
    *present = false;
    if (v.IsUndefined() || v.IsNull())
        return "";
    if (!v.IsString())
        ThrowArg(env, false, std::string("spec.") + name + " must be a string");
    *present = true;
    return CString(env, v, std::string("spec.") + name);
}

std::vector<std::string> StringList(Napi::Env env, Napi::Object o, const char *name) {
    std::vector<std::string> out;
    Napi::Value v = o.Get(name);
    if (v.IsUndefined() || v.IsNull())
        return out;
    if (!v.IsArray())
        ThrowArg(env, false, std::string("spec.") + name + " must be an array of strings");
    Napi::Array a = v.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
        Napi::Value item = a.Get(i);
        if (!item.IsString())
            ThrowArg(env, false, std::string("spec.") + name + " must be an array of strings");
        out.push_back(CString(env, item, std::string("spec.") + name + " entries"));
    }
    return out;
}

Napi::Value IssueCertificate(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject())
        ThrowArg(env, false, "issueCertificate(spec): spec must be an object");
    Napi::Object spec = info[0].As<Napi::Object>();
    uvtls_cert_spec s;
    std::memset(&s, 0, sizeof(s));
    s.path_length = -1;

    bool present = false;
    std::string key = OptionalString(env, spec, "keyPem", &present);
    if (!present)
        ThrowArg(env, false, "spec.keyPem (the subject's private key in PEM) is required");
    s.key_pem = key.data();
    s.key_pem_len = key.size();

    // Subject: keys in insertion order; a value may be an array for a repeated attribute.
    std::vector<std::string> names, values;
    Napi::Value subject = spec.Get("subject");
    if (!subject.IsUndefined() && !subject.IsNull()) {
        if (!subject.IsObject() || subject.IsArray())
            ThrowArg(env, false, "spec.subject must be an object like { CN: 'name' }");
        Napi::Object so = subject.As<Napi::Object>();
        Napi::Array keys = so.GetPropertyNames();
        for (uint32_t i = 0; i < keys.Length(); i++) {
            std::string k = CString(env, keys.Get(i).ToString(), "spec.subject keys");
            Napi::Value v = so.Get(k);
            // Each item is checked as it is read: a huge sparse array fails at its first hole
            // instead of being gathered first.
            bool many = v.IsArray();
            uint32_t n = many ? v.As<Napi::Array>().Length() : 1;
            for (uint32_t j = 0; j < n; j++) {
                Napi::Value item = many ? v.As<Napi::Array>().Get(j) : v;
                if (!item.IsString())
                    ThrowArg(env, false, "spec.subject." + k + " must be a string");
                names.push_back(k);
                values.push_back(CString(env, item, "spec.subject." + k));
            }
        }
    }
    std::vector<uvtls_name_attr> attrs(names.size());
    for (size_t i = 0; i < names.size(); i++)
        attrs[i] = uvtls_name_attr{names[i].c_str(), values[i].c_str(), 0};
    s.subject = attrs.data();
    s.subject_count = attrs.size();

    Napi::Value days = spec.Get("days");
    if (!days.IsNumber())
        ThrowArg(env, false, "spec.days must be a number of days");
    double d = days.As<Napi::Number>().DoubleValue();
    if (!IsIntIn(d, 1, 36500))
        ThrowArg(env, true, "spec.days must be an integer from 1 to 36500");
    s.days = int(d);
    s.is_ca = spec.Get("isCA").ToBoolean().Value();
    Napi::Value pl = spec.Get("pathLength");
    if (!pl.IsUndefined() && !pl.IsNull()) {
        if (!pl.IsNumber())
            ThrowArg(env, false, "spec.pathLength must be a number");
        double p = pl.As<Napi::Number>().DoubleValue();
        if (!IsIntIn(p, 0, 1000))
            ThrowArg(env, true, "spec.pathLength must be an integer from 0 to 1000");
        s.path_length = int(p);
    }

    std::vector<std::string> san_types, san_values;
    Napi::Value sans = spec.Get("sans");
    if (!sans.IsUndefined() && !sans.IsNull()) {
        if (!sans.IsArray())
            ThrowArg(env, false, "spec.sans must be an array of { type, value }");
        Napi::Array a = sans.As<Napi::Array>();
        for (uint32_t i = 0; i < a.Length(); i++) {
            Napi::Value item = a.Get(i);
            if (!item.IsObject())
                ThrowArg(env, false, "spec.sans entries must be objects { type, value }");
            Napi::Value t = item.As<Napi::Object>().Get("type");
            Napi::Value v = item.As<Napi::Object>().Get("value");
            if (!t.IsString() || !v.IsString())
                ThrowArg(env, false, "spec.sans entries need string type and value");
            san_types.push_back(CString(env, t, "spec.sans[].type"));
            san_values.push_back(CString(env, v, "spec.sans[].value"));
        }
    }
    std::vector<uvtls_san_spec> san_specs(san_types.size());
    for (size_t i = 0; i < san_types.size(); i++)
        san_specs[i] = uvtls_san_spec{san_types[i].c_str(), san_values[i].c_str()};
    s.sans = san_specs.data();
    s.san_count = san_specs.size();

    std::vector<std::string> eku = StringList(env, spec, "extKeyUsage");
    std::vector<const char *> eku_c;
    eku_c.reserve(eku.size());
    for (const std::string &x : eku)
        eku_c.push_back(x.c_str());
    s.ext_key_usage = eku_c.data();
    s.ext_key_usage_count = eku_c.size();
    Napi::Value ku_v = spec.Get("keyUsage");
    std::vector<std::string> ku = StringList(env, spec, "keyUsage");
    if (ku_v.IsArray() && ku.empty())
        ThrowArg(env, false, "spec.keyUsage must name at least one usage (or be left out)");
    std::vector<const char *> ku_c;
    ku_c.reserve(ku.size());
    for (const std::string &x : ku)
        ku_c.push_back(x.c_str());
    s.key_usage = ku_c.data();
    s.key_usage_count = ku_c.size();

    bool has_icert = false, has_ikey = false, has_serial = false;
    std::string icert = OptionalString(env, spec, "issuerCertPem", &has_icert);
    std::string ikey = OptionalString(env, spec, "issuerKeyPem", &has_ikey);
    std::string serial = OptionalString(env, spec, "serial", &has_serial);
    if (has_icert) {
        s.issuer_cert_pem = icert.data();
        s.issuer_cert_pem_len = icert.size();
    }
    if (has_ikey) {
        s.issuer_key_pem = ikey.data();
        s.issuer_key_pem_len = ikey.size();
    }
    if (has_serial)
        s.serial_hex = serial.c_str();

    uvtls_error err;
    uvtls_error_clear(&err);
    char *pem = uvtls_cert_issue_pem(&s, &err);
    if (pem == nullptr)
        ThrowCore(env, err);
    Napi::Object out = Napi::Object::New(env);
    out.Set("certPem", TakePem(env, pem));
    return out;
}

} // namespace

void RegisterCertTools(Napi::Env env, Napi::Object exports) {
    exports.Set("describeCertificate", Napi::Function::New(env, DescribeCertificate));
    exports.Set("generateKey", Napi::Function::New(env, GenerateKey));
    exports.Set("issueCertificate", Napi::Function::New(env, IssueCertificate));
}

} // namespace uvtls
