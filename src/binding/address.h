// Socket addresses between JS and libuv: {address, family, port} objects, "::1"/"127.0.0.1"
// strings, and libuv failures thrown as Node-style errors ("connect ECONNREFUSED").
#ifndef UVTLS_BINDING_ADDRESS_H
#define UVTLS_BINDING_ADDRESS_H

#include <napi.h>
#include <uv.h>

#include <string>

namespace uvtls {

// {address, family, port}, or undefined for an address family other than IPv4/IPv6.
Napi::Value SockaddrToJS(Napi::Env env, const struct sockaddr_storage &ss);
// "127.0.0.1"/"::1" + port -> sockaddr. Returns 0 or a libuv error code.
int ParseAddress(const std::string &ip, int port, struct sockaddr_storage *out);
[[noreturn]] void ThrowUv(Napi::Env env, int r, const char *syscall);

} // namespace uvtls

#endif
