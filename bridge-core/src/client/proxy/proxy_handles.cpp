#include "client/proxy/proxy_handles.h"

namespace bitbridge::proxy {

void* HandleTable::pointerFor(uint64_t token) {
  if (token == 0) return nullptr;
  auto it = pointers_.find(token);
  if (it != pointers_.end()) return reinterpret_cast<void*>(it->second);
  uintptr_t p = next_;
  next_ += 16;
  pointers_.emplace(token, p);
  tokens_.emplace(p, token);
  return reinterpret_cast<void*>(p);
}

std::optional<uint64_t> HandleTable::tokenFor(const void* pointer) const {
  if (pointer == nullptr) return 0;
  auto it = tokens_.find(reinterpret_cast<uintptr_t>(pointer));
  if (it == tokens_.end()) return std::nullopt;
  return it->second;
}

void HandleTable::release(const void* pointer) {
  auto it = tokens_.find(reinterpret_cast<uintptr_t>(pointer));
  if (it == tokens_.end()) return;
  pointers_.erase(it->second);
  tokens_.erase(it);
}

void HandleTable::clear() {
  tokens_.clear();
  pointers_.clear();
}

}  // namespace bitbridge::proxy
