// c_handles.h
#include "host/bind/c_handles.h"

#include <random>

#include "bitbridge/error.h"

namespace bitbridge::cbind {

HandleTable::HandleTable() {
  std::random_device random;
  next_ = (uint64_t(random()) << 32) ^ random();
}

uint64_t HandleTable::tokenFor(const std::string& kind, void* pointer) {
  if (pointer == nullptr) return 0;
  std::lock_guard<std::mutex> lock(mutex_);
  auto key = std::make_pair(kind, pointer);
  auto known = byPointer_.find(key);
  if (known != byPointer_.end()) return known->second;
  uint64_t token;
  do {
    token = ++next_;
  } while (token == 0 || byToken_.count(token) != 0);
  byToken_.emplace(token, Entry{kind, pointer});
  byPointer_.emplace(std::move(key), token);
  return token;
}

void* HandleTable::pointerFor(const std::string& kind, uint64_t token, bool nullable,
                              const std::string& where) const {
  if (token == 0) {
    if (nullable) return nullptr;
    throw Error(ErrorKind::BadConfiguration, where + ": a null " + kind + " handle (token 0)",
                "pass a token the library handed out; annotate the parameter $nullable if NULL "
                "is allowed");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  auto entry = byToken_.find(token);
  if (entry == byToken_.end()) {
    throw Error(ErrorKind::BadConfiguration,
                where + ": token " + std::to_string(token) + " is not a " + kind +
                    " handle of this binding (never handed out, or already released)",
                "pass a token this binding returned and has not released");
  }
  if (entry->second.kind != kind) {
    throw Error(ErrorKind::BadConfiguration,
                where + ": token " + std::to_string(token) + " is a " + entry->second.kind +
                    " handle, not a " + kind + " handle");
  }
  return entry->second.pointer;
}

void HandleTable::release(uint64_t token) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto entry = byToken_.find(token);
  if (entry == byToken_.end()) return;
  byPointer_.erase(std::make_pair(entry->second.kind, entry->second.pointer));
  byToken_.erase(entry);
}

}  // namespace bitbridge::cbind
