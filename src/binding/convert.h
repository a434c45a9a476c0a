// Conversions between core values and JS values.
#ifndef UVTLS_BINDING_CONVERT_H
#define UVTLS_BINDING_CONVERT_H

#include <napi.h>

extern "C" {
#include "core/errors.h"
#include "core/x509.h"
#include "net/address.h"
}

namespace uvtls {

// A JS Error carrying code, hint, stage and (for OpenSSL errors) library and reason.
Napi::Error MakeError(Napi::Env env, const uvtls_error &err);
// Throws MakeError(err) as a C++ exception (node-addon-api turns it into a JS exception).
[[noreturn]] void ThrowError(Napi::Env env, const uvtls_error &err);
// The certificate object of Node's getPeerCertificate(); with a chain, linked through
// issuerCertificate, the last pointing at itself when it is self-issued.
Napi::Value ChainToJS(Napi::Env env, const uvtls_cert_chain *chain);
Napi::Object NullProtoObject(Napi::Env env);
// The addon data, with the running Node's object shapes (cert_keys, ephemeral_fixed) learnt on
// first use from the probe lib/x509-shape.js registered through setShapeProbe().
struct AddonData;
AddonData &NodeShape(Napi::Env env);
// Node's address object ({address, family, port}) for an IPv4/IPv6 sockaddr; undefined for
// other families.
Napi::Value SockaddrToJS(Napi::Env env, const struct sockaddr_storage &ss);
// Throws a failed system call (`r` a libuv error) as Node reports it: "connect ECONNREFUSED".
[[noreturn]] void ThrowUv(Napi::Env env, int r, const char *syscall);
// Borrowed view of a string or Buffer argument's bytes (strings are copied into `holder`).
const char *BytesOf(const Napi::Value &value, std::string &holder, size_t *len);

} // namespace uvtls

#endif
