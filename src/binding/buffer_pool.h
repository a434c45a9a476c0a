// buffer_pool: the Buffers that carry a connection's bytes (DATA, OUTPUT) into JavaScript.
//
// A fresh Buffer per event means a malloc of up to 64 KiB that V8 frees in bulk at its next
// scavenge; glibc then gives the top of the heap back to the kernel and the next events fault
// every page in again (docs/performance.md, "the slow mode"). Large events are instead copied
// into blocks that come back when their Buffer is collected (an external Buffer's finalizer) and
// are handed out again while their pages are still mapped. Small events (most of an IoT
// connection's) are plain copies, so a short message never pins a large block.
//
// One pool per environment, used on its JS thread only (Node runs external Buffers' finalizers
// there). A block is wiped when it comes back: no block on the free list holds one connection's
// bytes while JavaScript runs. The pool outlives the environment's AddonData while any of its
// blocks is still out (Release()).
#ifndef UVTLS_BINDING_BUFFER_POOL_H
#define UVTLS_BINDING_BUFFER_POOL_H

#include <napi.h>

#include <cstddef>
#include <vector>

namespace uvtls {

class BufferPool {
  public:
    BufferPool() = default;
    BufferPool(const BufferPool &) = delete;
    BufferPool &operator=(const BufferPool &) = delete;

    // A Buffer holding a copy of `len` bytes at `data`.
    Napi::Value Copy(Napi::Env env, const char *data, size_t len);
    // The environment is going away: free what is kept; the pool deletes itself once every
    // block that is out has come back (at once when none is).
    void Release();

  private:
    struct Block;
    ~BufferPool() = default;
    Block *Take(size_t cls);
    static void Returned(napi_env env, void *data, void *hint);
    void Put(Block *b, size_t used);

    // Size classes: a 16 KiB TLS record's worth, and the loop's 64 KiB batch.
    static constexpr size_t kClasses = 2;
    static constexpr size_t kClassSize[kClasses] = {16 * 1024, 64 * 1024};
    // Below this an event is a plain copy; kept blocks per class at most (1.25 MiB in all).
    static constexpr size_t kSmall = 4 * 1024;
    static constexpr size_t kKeep = 16;

    std::vector<Block *> free_[kClasses];
    size_t out_ = 0; // blocks held by live Buffers
    bool released_ = false;
};

} // namespace uvtls

#endif
