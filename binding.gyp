{
  # The C core (src/core) is plain C11 over OpenSSL; only src/binding talks to Node.
  # OpenSSL is not linked here: Node exports its own OpenSSL symbols and the headers come with
  # Node's headers, so the addon always uses the OpenSSL inside the running node binary.
  "variables": {
    "uvtls_werror%": "<!(node -p \"process.env.CI === 'true' ? 1 : 0\")",
    "uvtls_asan%": 0
  },
  "target_defaults": {
    "sources": [
      "src/core/errors.c",
      "src/core/context.c",
      "src/core/engine.c",
      "src/core/bios.c",
      "src/core/byte_queue.c",
      "src/core/verify.c",
      "src/core/x509.c",
      "src/core/extensions.c",
      "src/core/alpn_npn.c",
      "src/core/hello.c",
      "src/core/sessions.c",
      "src/core/psk.c",
      "src/core/ocsp.c",
      "src/core/keylog.c",
      "src/core/negotiated.c",
      "src/core/tickets.c",
      "src/core/describe.c",
      "src/core/certgen.c",
      "src/core/peer_chain.c",
      "src/net/loop.c",
      "src/net/handshake_pool.c",
      "src/net/conn.c",
      "src/net/server.c",
      "src/net/address.c",
      "src/binding/addon.cc",
      "src/binding/convert.cc",
      "src/binding/context_wrap.cc",
      "src/binding/conn_wrap.cc",
      "src/binding/buffer_pool.cc",
      "src/binding/engine_info.cc",
      "src/binding/cert_tools.cc",
      "src/binding/errors_export.cc",
      "src/binding/js_call.cc",
      "src/binding/server_wrap.cc"
    ],
    "include_dirs": ["src"],
    "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
    # NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS: while a worker is being terminated JS can no longer
    # run; node-addon-api must then drop an exception instead of aborting the process.
    "defines": ["NAPI_VERSION=8", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
    "cflags": ["-Wall", "-Wextra", "-fvisibility=hidden"],
    "cflags_c": ["-std=c11", "-D_POSIX_C_SOURCE=200809L"],
    "cflags_cc": ["-std=c++17"],
    "conditions": [
      ["uvtls_werror==1", { "cflags": ["-Werror"] }]
    ]
  },
  "targets": [
    {
      "target_name": "uvtls"
    }
  ],
  "conditions": [
    ["uvtls_asan==1", {
      "targets": [{
        "target_name": "uvtls_asan",
        "cflags": ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=undefined", "-g", "-O1"],
        "ldflags": ["-fsanitize=address,undefined"]
      }]
    }]
  ]
}
