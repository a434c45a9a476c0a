/* address: sockaddr <-> text, and libuv error numbers -> Node's codes. */
#include "net/address.h"

#include <string.h>

int uvtls_net_address_format(const struct sockaddr *sa, uvtls_net_address *out) {
    memset(out, 0, sizeof(*out));
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)(const void *)sa;
        out->family = "IPv6";
        out->port = ntohs(a->sin6_port);
        return uv_ip6_name(a, out->host, sizeof(out->host));
    }
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)(const void *)sa;
        out->family = "IPv4";
        out->port = ntohs(a->sin_port);
        return uv_ip4_name(a, out->host, sizeof(out->host));
    }
    return UV_EAFNOSUPPORT;
}

int uvtls_net_address_parse(const char *ip, int port, struct sockaddr_storage *out) {
    memset(out, 0, sizeof(*out));
    if (strchr(ip, ':') != NULL)
        return uv_ip6_addr(ip, port, (struct sockaddr_in6 *)(void *)out);
    return uv_ip4_addr(ip, port, (struct sockaddr_in *)(void *)out);
}

const char *uvtls_net_error_name(int status) {
    switch (status) {
#define UVTLS_NET_ERROR_NAME(name, text)                                                           \
    case UV_##name:                                                                                \
        return #name;
        UV_ERRNO_MAP(UVTLS_NET_ERROR_NAME)
#undef UVTLS_NET_ERROR_NAME
    default:
        return "UNKNOWN";
    }
}

int uvtls_net_error(uvtls_error *err, const char *syscall, int status, const char *detail) {
    const char *name = uvtls_net_error_name(status);
    if (detail != NULL)
        uvtls_error_set(err, syscall, name, "%s %s %s", syscall, name, detail);
    else
        uvtls_error_set(err, syscall, name, "%s %s", syscall, name);
    return status;
}
