// Conversions between core values and JS values.
#include "binding/convert.h"

#include "binding/addon.h"

namespace uvtls {

Napi::Error MakeError(Napi::Env env, const uvtls_error &err) {
    Napi::Error e = Napi::Error::New(env, err.message[0] ? err.message : err.code);
    Napi::Object o = e.Value();
    o.Set("code", err.code);
    if (err.hint != nullptr)
        o.Set("hint", err.hint);
    if (err.stage != nullptr)
        o.Set("stage", err.stage);
    if (err.library[0] != '\0')
        o.Set("library", err.library);
    if (err.reason[0] != '\0')
        o.Set("reason", err.reason);
    return e;
}

void ThrowError(Napi::Env env, const uvtls_error &err) {
    throw MakeError(env, err);
}

Napi::Object NullProtoObject(Napi::Env env) {
    Napi::Value created = GetAddonData(env)->object_create.Call({env.Null()});
    return created.As<Napi::Object>();
}

static Napi::Object FieldsToJS(Napi::Env env, const uvtls_cert_fields &fields) {
    // Node's rule: a key seen once maps to a string, a repeated key to an array of strings.
    Napi::Object obj = NullProtoObject(env);
    for (size_t i = 0; i < fields.count; i++) {
        const uvtls_cert_field &f = fields.items[i];
        // With its length: a value may hold NUL, and must not be cut short there.
        Napi::String value = Napi::String::New(env, f.value, f.value_len);
        if (!obj.HasOwnProperty(f.key)) {
            obj.Set(f.key, value);
            continue;
        }
        Napi::Value existing = obj.Get(f.key);
        if (existing.IsArray()) {
            Napi::Array arr = existing.As<Napi::Array>();
            arr.Set(arr.Length(), value);
        } else {
            Napi::Array arr = Napi::Array::New(env, 2);
            arr.Set(uint32_t(0), existing);
            arr.Set(uint32_t(1), value);
            obj.Set(f.key, arr);
        }
    }
    return obj;
}

static Napi::Object InfoAccessToJS(Napi::Env env, const uvtls_cert_fields &fields) {
    // Every infoAccess value is an array, even with one entry, as in Node.
    Napi::Object obj = NullProtoObject(env);
    for (size_t i = 0; i < fields.count; i++) {
        const uvtls_cert_field &f = fields.items[i];
        Napi::Array arr =
            obj.HasOwnProperty(f.key) ? obj.Get(f.key).As<Napi::Array>() : Napi::Array::New(env);
        arr.Set(arr.Length(), Napi::String::New(env, f.value, f.value_len));
        obj.Set(f.key, arr);
    }
    return obj;
}

static Napi::Object CertToJS(Napi::Env env, const uvtls_cert_info *c) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("subject", FieldsToJS(env, c->subject));
    o.Set("issuer", FieldsToJS(env, c->issuer));
    if (c->subjectaltname != nullptr)
        o.Set("subjectaltname", c->subjectaltname);
    if (c->has_info_access)
        o.Set("infoAccess", InfoAccessToJS(env, c->info_access));
    o.Set("ca", Napi::Boolean::New(env, c->ca));
    if (c->key_type == UVTLS_KEY_RSA) {
        o.Set("modulus", c->modulus);
        o.Set("bits", c->bits);
        o.Set("exponent", c->exponent);
        o.Set("pubkey", Napi::Buffer<unsigned char>::Copy(env, c->pubkey, c->pubkey_len));
    } else if (c->key_type == UVTLS_KEY_EC) {
        o.Set("bits", c->bits);
        if (c->pubkey != nullptr)
            o.Set("pubkey", Napi::Buffer<unsigned char>::Copy(env, c->pubkey, c->pubkey_len));
        if (c->asn1_curve != nullptr)
            o.Set("asn1Curve", c->asn1_curve);
        if (c->nist_curve != nullptr)
            o.Set("nistCurve", c->nist_curve);
    }
    o.Set("valid_from", c->valid_from);
    o.Set("valid_to", c->valid_to);
    o.Set("fingerprint", c->fingerprint);
    o.Set("fingerprint256", c->fingerprint256);
    o.Set("fingerprint512", c->fingerprint512);
    if (c->has_ext_key_usage) {
        Napi::Array eku = Napi::Array::New(env, c->ext_key_usage_count);
        for (size_t i = 0; i < c->ext_key_usage_count; i++)
            eku.Set(uint32_t(i), c->ext_key_usage[i]);
        o.Set("ext_key_usage", eku);
    }
    o.Set("serialNumber", c->serial_number);
    o.Set("raw", Napi::Buffer<unsigned char>::Copy(env, c->raw, c->raw_len));
    return o;
}

Napi::Value ChainToJS(Napi::Env env, const uvtls_cert_chain *chain) {
    if (chain == nullptr || chain->count == 0)
        return env.Undefined();
    Napi::Object first = CertToJS(env, chain->certs[0]);
    Napi::Object prev = first;
    for (size_t i = 1; i < chain->count; i++) {
        Napi::Object next = CertToJS(env, chain->certs[i]);
        prev.Set("issuerCertificate", next);
        prev = next;
    }
    if (chain->last_is_self_issued)
        prev.Set("issuerCertificate", prev);
    return first;
}

const char *BytesOf(const Napi::Value &value, std::string &holder, size_t *len) {
    if (value.IsBuffer()) {
        Napi::Buffer<char> buf = value.As<Napi::Buffer<char>>();
        *len = buf.Length();
        return buf.Data();
    }
    if (value.IsTypedArray()) {
        Napi::TypedArray ta = value.As<Napi::TypedArray>();
        Napi::ArrayBuffer ab = ta.ArrayBuffer();
        *len = ta.ByteLength();
        return static_cast<const char *>(ab.Data()) + ta.ByteOffset();
    }
    holder = value.ToString().Utf8Value();
    *len = holder.size();
    return holder.c_str();
}

} // namespace uvtls
