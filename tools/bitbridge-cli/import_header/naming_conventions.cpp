#include "naming_conventions.h"

#include <cctype>
#include <set>

namespace bitbridge::importer {
namespace {

bool endsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

bool countLike(const std::string& name) {
  static const std::set<std::string> exact = {"n", "len", "length", "size", "count", "cap", "capacity",
                                              "nbytes", "bytes", "num", "sz", "nelem", "nelems", "nitems", "nmemb"};
  return exact.count(name) || endsWith(name, "len") || endsWith(name, "length") || endsWith(name, "size") ||
         endsWith(name, "count") || endsWith(name, "cap") || endsWith(name, "capacity");
}

}  // namespace

std::string normalizedName(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (c != '_') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool isCount(const CType& t) { return t.kind == CType::Kind::Int && t.platformType != "wchar"; }

bool namedLength(const std::string& pointer, const std::string& count) {
  for (const char* tail : {"len", "length", "size", "count", "cap", "capacity", "bytes", "n", "sz"}) {
    if (count == pointer + tail) return true;
  }
  return count == "n" + pointer || count == "num" + pointer;
}

std::optional<size_t> lengthParameter(const CFunction& f, size_t i) {
  std::string pointer = normalizedName(f.params[i].name);
  std::set<size_t> claimed;  // named after another pointer: not ours
  for (size_t j = 0; j < f.params.size(); ++j) {
    if (!isCount(*f.params[j].type)) continue;
    std::string count = normalizedName(f.params[j].name);
    if (!pointer.empty() && namedLength(pointer, count)) return j;
    for (size_t k = 0; k < f.params.size(); ++k) {
      if (k != i && f.params[k].type->kind == CType::Kind::Pointer && !f.params[k].name.empty() &&
          namedLength(normalizedName(f.params[k].name), count)) {
        claimed.insert(j);
      }
    }
  }
  for (size_t j = i + 1; j < f.params.size() && j <= i + 3; ++j) {
    if (isCount(*f.params[j].type) && !claimed.count(j) && countLike(normalizedName(f.params[j].name))) return j;
  }
  return std::nullopt;
}

bool releasesByName(const std::string& function) {
  std::string n = normalizedName(function);
  for (const char* verb : {"close", "free", "destroy", "release", "delete", "dispose", "unref", "finalize", "finalise"}) {
    if (n.find(verb) != std::string::npos) return true;
  }
  return false;
}

}  // namespace bitbridge::importer
