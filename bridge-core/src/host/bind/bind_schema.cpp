// bind_schema.h
#include "host/bind/bind_schema.h"

#include <cstring>

#include <capnp/dynamic.h>
#include <capnp/serialize.h>

#include "bitbridge/error.h"

namespace bitbridge {
namespace {

void readEverything(capnp::DynamicStruct::Reader node);

void readEverything(capnp::DynamicValue::Reader value) {
  switch (value.getType()) {
    case capnp::DynamicValue::LIST:
      for (auto element : value.as<capnp::DynamicList>()) readEverything(element);
      break;
    case capnp::DynamicValue::STRUCT: readEverything(value.as<capnp::DynamicStruct>()); break;
    default: break;  // Text and Data were checked when get() made their readers
  }
}

// Reads every field of a schema node, so that a malformed pointer or a Text without its NUL
// throws here. Cap'n Proto's SchemaLoader names fields lazily in KJ_CONTEXTs while it
// validates; a name that fails to read there throws again while the context is being
// described, and again, until the stack overflows (found by fuzz_c_binding). Read first, that
// cannot happen. Bounded by the reader's traversal and nesting limits.
void readEverything(capnp::DynamicStruct::Reader node) {
  for (auto field : node.getSchema().getNonUnionFields()) readEverything(node.get(field));
  KJ_IF_MAYBE(active, node.which()) { readEverything(node.get(*active)); }
}

}  // namespace

std::shared_ptr<capnp::SchemaLoader> loadBindSchema(capnp::List<capnp::Data>::Reader nodes,
                                                    uint64_t interfaceId,
                                                    const std::string& library) {
  auto schemas = std::make_shared<capnp::SchemaLoader>();
  try {
    for (auto bytes : nodes) {
      // Copied to word alignment: a Data's bytes need not be aligned.
      kj::Array<capnp::word> words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
      if (bytes.size() == 0 || words.size() * sizeof(capnp::word) != bytes.size()) {
        throw Error(ErrorKind::MalformedPeer, "bind " + library + ": a schema node of " +
                                                  std::to_string(bytes.size()) +
                                                  " bytes is empty or not whole words");
      }
      std::memcpy(words.begin(), bytes.begin(), bytes.size());
      // A node's pointers may share targets (a message is a DAG), so reading it can cost more
      // than its size: bounded to a few times its size per node, every node, so that the work
      // of a bind stays proportional to what was sent (found by fuzz_c_binding: one node of
      // 50 KiB took seconds under the 512 MiB limit of calls).
      capnp::ReaderOptions options;
      options.traversalLimitInWords = 4 * words.size() + 1024;
      options.nestingLimit = 64;
      capnp::FlatArrayMessageReader message(words, options);
      auto node = message.getRoot<capnp::schema::Node>();
      readEverything(capnp::DynamicStruct::Reader(node));
      // Not checked by the loader, and Schema::getShortDisplayName() slices by it unchecked.
      if (node.getDisplayNamePrefixLength() > node.getDisplayName().size()) {
        throw Error(ErrorKind::MalformedPeer,
                    "bind " + library + ": a schema node's display name prefix (" +
                        std::to_string(node.getDisplayNamePrefixLength()) +
                        ") is longer than its name");
      }
      schemas->load(node);
    }
    schemas->get(interfaceId);
  } catch (const kj::Exception& e) {
    throw Error(ErrorKind::MalformedPeer,
                "bind " + library + ": the schema sent with it is not usable: " +
                    std::string(e.getDescription().cStr()));
  }
  return schemas;
}

}  // namespace bitbridge
