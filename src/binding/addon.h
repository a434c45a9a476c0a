// Per-environment state of the addon. Each Node environment (the main thread and every worker)
// gets its own AddonData through napi instance data, so nothing here is shared across threads.
#ifndef UVTLS_BINDING_ADDON_H
#define UVTLS_BINDING_ADDON_H

#include <napi.h>

#include <vector>

extern "C" {
#include "core/context.h"
#include "net/loop.h"
}

namespace uvtls {

struct AddonData {
    Napi::FunctionReference secure_context_ctor;
    Napi::FunctionReference engine_ctor;
    Napi::FunctionReference conn_ctor;
    Napi::FunctionReference server_ctor;
    // The libuv side: Node's own loop, shared buffers, and every open handle. Heap-allocated and
    // freed by the environment's async cleanup hook once its last handle has closed.
    uvtls_loop *loop = nullptr;
    bool tearing_down = false;             // the environment is going away: no more calls into JS
    Napi::FunctionReference object_create; // Object.create, for null-prototype objects
    // Node's default roots, parsed once per environment and shared by every context without `ca`.
    uvtls_trust_store *default_roots = nullptr;
    // Scratch space for reading cleartext; one per environment, reused by every engine.
    std::vector<char> scratch = std::vector<char>(64 * 1024);

    ~AddonData() {
        uvtls_trust_store_unref(default_roots);
    }
};

inline AddonData *GetAddonData(Napi::Env env) {
    return env.GetInstanceData<AddonData>();
}

} // namespace uvtls

#endif
