/* address: socket addresses and libuv errors as Node shows them.
 *
 * Return convention (as all of src/net): 0 on success, a negative libuv error (UV_E*) on
 * failure. Strings returned are static.
 */
#ifndef UVTLS_NET_ADDRESS_H
#define UVTLS_NET_ADDRESS_H

#include <uv.h>

#include "core/errors.h"

/* Room for any IPv6 text form uv_ip6_name() produces, with its NUL. */
enum { UVTLS_NET_HOST_MAX = 64 };

/* The fields of Node's address() object. */
typedef struct uvtls_net_address {
    char host[UVTLS_NET_HOST_MAX]; /* "127.0.0.1", "::1" */
    int port;
    const char *family; /* "IPv4" / "IPv6" */
} uvtls_net_address;

/* An IPv4 or IPv6 sockaddr to its text form. Returns 0, or UV_EAFNOSUPPORT for other
 * families (Unix sockets have no address object). */
int uvtls_net_address_format(const struct sockaddr *sa, uvtls_net_address *out);
/* "127.0.0.1" or "::1" (an IPv6 literal has a ':') plus a port to a sockaddr. Returns 0 or
 * UV_EINVAL. */
int uvtls_net_address_parse(const char *ip, int port, struct sockaddr_storage *out);

/* Node's code for a libuv error ("ECONNREFUSED", "EOF"); "UNKNOWN" for a number libuv does not
 * name. Unlike uv_err_name(), never allocates. */
const char *uvtls_net_error_name(int status);
/* Fills `err` as Node reports a failed system call: code = the error's name, message
 * "<syscall> <name>[ <detail>]", stage = `syscall` (static). Returns `status`, so callers can
 * `return uvtls_net_error(...)`. `detail` may be NULL. */
int uvtls_net_error(uvtls_error *err, const char *syscall, int status, const char *detail);

#endif
