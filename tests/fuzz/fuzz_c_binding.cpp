// Fuzz target: what a client sends to bind a C library and to call it (Host::bind): the schema
// nodes (loaded and checked by bind_schema.h), the plan made from their /bitbridge/c.capnp
// annotations (c_binding_plan.h), and a call's parameters converted to C values with every
// range, length, null and handle check (c_values.h) -- everything a host does before the
// library is called, through dryRunCall (c_binding.h), which never loads or calls anything.
//
// Input layout:
//   [0, 4)         n, little-endian: the size of the bind message
//   [4, 4 + n)     a Cap'n Proto message (flat: segment table first) whose root is Host.bind's
//                  params (library, interfaceId, nodes: each node a flat message, as sent)
//   [4 + n]        the method to call (index, modulo the interface's method count)
//   [4 + n + 1, )  a flat message whose root is that method's params
// Bytes are truncated to whole words. Errors (bitbridge::Error, kj::Exception) are the
// expected outcome of most inputs; a crash, a hang or a sanitizer report is a finding.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <cstring>

#include <capnp/serialize.h>
#include <kj/exception.h>

#include "bitbridge/error.h"
#include "bitbridge/host.capnp.h"
#include "host/bind/bind_schema.h"
#include "host/bind/c_binding.h"
#include "host/bind/c_binding_plan.h"

namespace {

kj::Array<capnp::word> wordsOf(const uint8_t* data, size_t size) {
  auto words = kj::heapArray<capnp::word>(size / sizeof(capnp::word));
  if (words.size() > 0) std::memcpy(words.begin(), data, words.size() * sizeof(capnp::word));
  return words;
}

capnp::ReaderOptions limits() {
  capnp::ReaderOptions options;
  options.traversalLimitInWords = 1 << 20;  // what a fuzzed input can make a host walk
  options.nestingLimit = 32;
  return options;
}

void run(const uint8_t* data, size_t size) {
  if (size < 4) return;
  uint32_t n = uint32_t(data[0]) | uint32_t(data[1]) << 8 | uint32_t(data[2]) << 16 |
               uint32_t(data[3]) << 24;
  if (n > size - 4) n = static_cast<uint32_t>(size - 4);
  auto bindWords = wordsOf(data + 4, n);
  if (bindWords.size() == 0) return;
  capnp::FlatArrayMessageReader bindMessage(bindWords, limits());
  auto bind = bindMessage.getRoot<bitbridge::proto::Host::BindParams>();
  auto schemas = bitbridge::loadBindSchema(bind.getNodes(), bind.getInterfaceId(), "fuzz");
  capnp::Schema schema = schemas->get(bind.getInterfaceId());
  if (!schema.getProto().isInterface()) return;
  capnp::InterfaceSchema iface = schema.asInterface();
  size_t rest = size - 4 - n;
  const uint8_t* call = data + 4 + n;
  auto methods = iface.getMethods();
  if (rest < 1 || methods.size() == 0) {
    bitbridge::cbind::planLibrary(iface);  // the plan alone
    return;
  }
  uint16_t method = static_cast<uint16_t>(call[0] % methods.size());
  auto paramWords = wordsOf(call + 1, rest - 1);
  if (paramWords.size() == 0) {
    bitbridge::cbind::planLibrary(iface);
    return;
  }
  capnp::FlatArrayMessageReader paramMessage(paramWords, limits());
  auto params = paramMessage.getRoot<capnp::DynamicStruct>(methods[method].getParamType());
  bitbridge::dryRunCall(iface, method, params);
}

}  // namespace

// BITBRIDGE_FUZZ_TRACE=1: say how far an input got (to check that seeds reach the conversion).
void trace(const char* outcome, const std::string& detail) {
  if (std::getenv("BITBRIDGE_FUZZ_TRACE") != nullptr) {
    std::fprintf(stderr, "fuzz_c_binding: %s %s\n", outcome, detail.c_str());
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    run(data, size);
    trace("accepted", "");
  } catch (const bitbridge::Error& e) {
    trace("refused:", e.what());
  } catch (const kj::Exception& e) {
    trace("refused (kj):", e.getDescription().cStr());
  }
  return 0;
}
