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

Napi::Value SockaddrToJS(Napi::Env env, const struct sockaddr_storage &ss) {
    uvtls_net_address a;
    if (uvtls_net_address_format(reinterpret_cast<const struct sockaddr *>(&ss), &a) < 0)
        return env.Undefined();
    Napi::Object o = Napi::Object::New(env);
    o.Set("address", a.host);
    o.Set("family", a.family);
    o.Set("port", a.port);
    return o;
}

void ThrowUv(Napi::Env env, int r, const char *syscall) {
    uvtls_error err;
    uvtls_net_error(&err, syscall, r, nullptr);
    ThrowError(env, err);
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

AddonData &NodeShape(Napi::Env env) {
    AddonData *data = GetAddonData(env);
    if (data->shape_known || data->shape_probe.IsEmpty())
        return *data;
    data->shape_known = true; // once, even if the probe fails: then the older shape stays
    try {
        Napi::Value got = data->shape_probe.Call({});
        if (got.IsObject()) {
            Napi::Object o = got.As<Napi::Object>();
            Napi::Value keys = o.Get("certKeys");
            if (keys.IsArray()) {
                Napi::Array arr = keys.As<Napi::Array>();
                for (uint32_t i = 0; i < arr.Length(); i++)
                    data->cert_keys.push_back(arr.Get(i).ToString().Utf8Value());
            }
            data->ephemeral_fixed = o.Get("ephemeralFixed").ToBoolean().Value();
        }
    } catch (const Napi::Error &) {
        // A Node without X509Certificate#toLegacyObject predates the fixed shapes.
        data->cert_keys.clear();
        data->ephemeral_fixed = false;
    }
    data->shape_probe.Reset();
    return *data;
}

static Napi::Object CertToJS(Napi::Env env, const uvtls_cert_info *c) {
    // The values that apply to this certificate, in Node's older order (the order of the keys
    // that apply when Node omits the others).
    std::vector<std::pair<const char *, Napi::Value>> v;
    v.reserve(20);
    v.emplace_back("subject", FieldsToJS(env, c->subject));
    v.emplace_back("issuer", FieldsToJS(env, c->issuer));
    if (c->subjectaltname != nullptr)
        v.emplace_back("subjectaltname", Napi::String::New(env, c->subjectaltname));
    if (c->has_info_access)
        v.emplace_back("infoAccess", InfoAccessToJS(env, c->info_access));
    v.emplace_back("ca", Napi::Boolean::New(env, c->ca));
    if (c->key_type == UVTLS_KEY_RSA) {
        v.emplace_back("modulus", Napi::String::New(env, c->modulus));
        v.emplace_back("bits", Napi::Number::New(env, c->bits));
        v.emplace_back("exponent", Napi::String::New(env, c->exponent));
        v.emplace_back("pubkey", Napi::Buffer<unsigned char>::Copy(env, c->pubkey, c->pubkey_len));
    } else if (c->key_type == UVTLS_KEY_EC) {
        v.emplace_back("bits", Napi::Number::New(env, c->bits));
        if (c->pubkey != nullptr)
            v.emplace_back("pubkey",
                           Napi::Buffer<unsigned char>::Copy(env, c->pubkey, c->pubkey_len));
        if (c->asn1_curve != nullptr)
            v.emplace_back("asn1Curve", Napi::String::New(env, c->asn1_curve));
        if (c->nist_curve != nullptr)
            v.emplace_back("nistCurve", Napi::String::New(env, c->nist_curve));
    }
    v.emplace_back("valid_from", Napi::String::New(env, c->valid_from));
    v.emplace_back("valid_to", Napi::String::New(env, c->valid_to));
    v.emplace_back("fingerprint", Napi::String::New(env, c->fingerprint));
    v.emplace_back("fingerprint256", Napi::String::New(env, c->fingerprint256));
    v.emplace_back("fingerprint512", Napi::String::New(env, c->fingerprint512));
    if (c->has_ext_key_usage) {
        Napi::Array eku = Napi::Array::New(env, c->ext_key_usage_count);
        for (size_t i = 0; i < c->ext_key_usage_count; i++)
            eku.Set(uint32_t(i), c->ext_key_usage[i]);
        v.emplace_back("ext_key_usage", eku);
    }
    v.emplace_back("serialNumber", Napi::String::New(env, c->serial_number));
    v.emplace_back("raw", Napi::Buffer<unsigned char>::Copy(env, c->raw, c->raw_len));

    Napi::Object o = Napi::Object::New(env);
    const std::vector<std::string> &keys = NodeShape(env).cert_keys;
    if (keys.empty()) {
        for (auto &kv : v)
            o.Set(kv.first, kv.second);
        return o;
    }
    // Node's fixed shape: each of its keys, in its order, undefined when it does not apply.
    // issuerCertificate is linked by ChainToJS, last, as Node does.
    for (const std::string &key : keys) {
        if (key == "issuerCertificate")
            continue;
        Napi::Value value = env.Undefined();
        for (auto &kv : v) {
            if (key == kv.first) {
                value = kv.second;
                break;
            }
        }
        o.Set(key, value);
    }
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
