// buffer_pool: recycled blocks for the Buffers of DATA and OUTPUT events. See buffer_pool.h.
#include "binding/buffer_pool.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

namespace uvtls {

struct BufferPool::Block {
    BufferPool *pool;
    size_t cls;
    size_t used; // bytes the Buffer holds: what is wiped when the block comes back
    alignas(16) char data[1];
};

BufferPool::Block *BufferPool::Take(size_t cls) {
    if (!free_[cls].empty()) {
        Block *b = free_[cls].back();
        free_[cls].pop_back();
        return b;
    }
    Block *b = static_cast<Block *>(std::malloc(offsetof(Block, data) + kClassSize[cls]));
    if (b != nullptr) {
        b->pool = this;
        b->cls = cls;
    }
    return b;
}

Napi::Value BufferPool::Copy(Napi::Env env, const char *data, size_t len) {
    size_t cls = 0;
    while (cls < kClasses && kClassSize[cls] < len)
        cls++;
    Block *b = len >= kSmall && cls < kClasses && !released_ ? Take(cls) : nullptr;
    if (b == nullptr)
        return Napi::Buffer<char>::Copy(env, data, len);
    std::memcpy(b->data, data, len);
    b->used = len;
    napi_value out;
    napi_status st = napi_create_external_buffer(env, len, b->data, Returned, nullptr, &out);
    if (st != napi_ok) {
        // A runtime without external buffers (napi_no_external_buffers_allowed): copy.
        Put(b, len);
        if (st == napi_pending_exception)
            throw Napi::Error::New(env);
        return Napi::Buffer<char>::Copy(env, data, len);
    }
    out_++;
    // Told to V8 as memory this Buffer holds, so that the collector runs (and blocks come back)
    // as often as it would for the same bytes in ordinary Buffers.
    int64_t ignored;
    napi_adjust_external_memory(env, static_cast<int64_t>(kClassSize[b->cls]), &ignored);
    return Napi::Value(env, out);
}

void BufferPool::Returned(napi_env env, void *data, void * /*hint*/) {
    Block *b = reinterpret_cast<Block *>(static_cast<char *>(data) - offsetof(Block, data));
    BufferPool *pool = b->pool;
    int64_t ignored;
    napi_adjust_external_memory(env, -static_cast<int64_t>(kClassSize[b->cls]), &ignored);
    pool->out_--;
    pool->Put(b, b->used);
    if (pool->released_ && pool->out_ == 0)
        delete pool;
}

void BufferPool::Put(Block *b, size_t used) {
    if (released_ || free_[b->cls].size() >= kKeep) {
        std::free(b);
        return;
    }
    std::memset(b->data, 0, used);
    try {
        free_[b->cls].push_back(b);
    } catch (const std::bad_alloc &) {
        std::free(b);
    }
}

void BufferPool::Release() {
    released_ = true;
    for (auto &list : free_) {
        for (Block *b : list)
            std::free(b);
        list.clear();
    }
    if (out_ == 0)
        delete this;
}

} // namespace uvtls
