// See address.h.
#include "binding/address.h"

#include <cstring>

#include "binding/convert.h"

namespace uvtls {

Napi::Value SockaddrToJS(Napi::Env env, const struct sockaddr_storage &ss) {
    char host[64] = "";
    int port = 0;
    const char *family = "IPv4";
    if (ss.ss_family == AF_INET6) {
        const auto *a = reinterpret_cast<const struct sockaddr_in6 *>(&ss);
        uv_ip6_name(a, host, sizeof(host));
        port = ntohs(a->sin6_port);
        family = "IPv6";
    } else if (ss.ss_family == AF_INET) {
        const auto *a = reinterpret_cast<const struct sockaddr_in *>(&ss);
        uv_ip4_name(a, host, sizeof(host));
        port = ntohs(a->sin_port);
    } else {
        return env.Undefined();
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("address", host);
    o.Set("family", family);
    o.Set("port", port);
    return o;
}

int ParseAddress(const std::string &ip, int port, struct sockaddr_storage *out) {
    std::memset(out, 0, sizeof(*out));
    if (ip.find(':') != std::string::npos)
        return uv_ip6_addr(ip.c_str(), port, reinterpret_cast<struct sockaddr_in6 *>(out));
    return uv_ip4_addr(ip.c_str(), port, reinterpret_cast<struct sockaddr_in *>(out));
}

[[noreturn]] void ThrowUv(Napi::Env env, int r, const char *syscall) {
    uvtls_error err;
    uvtls_error_set(&err, syscall, uv_err_name(r), "%s %s", syscall, uv_err_name(r));
    ThrowError(env, err);
}

} // namespace uvtls
