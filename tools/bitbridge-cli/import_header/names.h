// Cap'n Proto names for C names: capnp wants camelCase fields and methods, UpperCamel types,
// and no underscores; C headers are mostly snake_case. Deterministic, so reruns agree.
#pragma once

#include <cstdint>
#include <set>
#include <string>

namespace bitbridge::importer {

/// "calc_add" -> "calcAdd" (upper=false) or "CalcAdd" (upper=true); "Z_OK" -> "zOk".
std::string capnpName(const std::string& cName, bool upper);

/// Hands out names unique within one scope (a struct, a parameter list, the interface):
/// a second "x" becomes "x2", then "x3".
class NameScope {
 public:
  std::string unique(const std::string& name);
  void reserve(const std::string& name) { used_.insert(name); }

 private:
  std::set<std::string> used_;
};

/// A Cap'n Proto file id derived from `seed` (the header's file name): the same header gives
/// the same id on every machine and every rerun, with the top bit set as capnp requires.
uint64_t fileIdFor(const std::string& seed);

/// "0x" + 16 hex digits.
std::string hexId(uint64_t id);

}  // namespace bitbridge::importer
