// Seeds for fuzz_c_binding (input layout in fuzz_c_binding.cpp): the bind message of
// c_binding_seed.capnp (every annotation in use) and of each schema-mistake interface, most
// followed by a call of one method: scalars, lists, out and in-out buffers, structs with inline
// arrays, a pointer+count and handles, strings, bulk references, wide text, callbacks.
#include <map>

#include "bitbridge/detail/capnp_schema.h"

#include <capnp/message.h>
#include <capnp/serialize.h>

#include "bitbridge/host.capnp.h"
#include "c_binding_seed.capnp.h"
#include "seeds.h"

namespace bitbridge::fuzz {
namespace {

void collect(capnp::Schema schema, std::map<uint64_t, capnp::Schema>& nodes);

void collectType(capnp::Type type, std::map<uint64_t, capnp::Schema>& nodes) {
  if (type.isStruct()) collect(type.asStruct(), nodes);
  if (type.isEnum()) collect(type.asEnum(), nodes);
  if (type.isInterface()) collect(type.asInterface(), nodes);  // a callback's
  if (type.isList()) collectType(type.asList().getElementType(), nodes);
}

// The nodes Host::bindAny sends: the interface and every struct, enum and interface it reaches.
void collect(capnp::Schema schema, std::map<uint64_t, capnp::Schema>& nodes) {
  if (!nodes.emplace(schema.getProto().getId(), schema).second) return;
  auto proto = schema.getProto();
  if (proto.isInterface()) {
    for (auto method : schema.asInterface().getMethods()) {
      collect(method.getParamType(), nodes);
      collect(method.getResultType(), nodes);
    }
  } else if (proto.isStruct()) {
    for (auto field : schema.asStruct().getFields()) collectType(field.getType(), nodes);
  }
}

// A message as FlatArrayMessageReader reads it (segment table first).
Bytes flat(capnp::MessageBuilder& message) {
  auto words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  return Bytes(bytes.begin(), bytes.end());
}

Bytes bindMessage(capnp::InterfaceSchema iface) {
  std::map<uint64_t, capnp::Schema> nodes;
  collect(iface, nodes);
  capnp::MallocMessageBuilder message;
  auto bind = message.initRoot<proto::Host::BindParams>();
  bind.setLibrary("libbind_test_lib.so");
  bind.setInterfaceId(iface.getProto().getId());
  auto list = bind.initNodes(static_cast<unsigned>(nodes.size()));
  unsigned i = 0;
  for (const auto& node : nodes) {
    capnp::MallocMessageBuilder one;
    one.setRoot(node.second.getProto());
    auto words = capnp::messageToFlatArray(one);  // as Host::bindAny sends them
    list.set(i++, words.asBytes());
  }
  return flat(message);
}

template <typename Interface>
Bytes input(uint8_t method, capnp::MessageBuilder* params) {
  Bytes bind = bindMessage(capnp::Schema::from<Interface>());
  Bytes b(4, 0);
  put32(b, 0, static_cast<uint32_t>(bind.size()));
  b.insert(b.end(), bind.begin(), bind.end());
  if (params != nullptr) {
    b.push_back(method);
    Bytes p = flat(*params);
    b.insert(b.end(), p.begin(), p.end());
  }
  return b;
}

uint8_t methodIndex(const char* name) {
  return static_cast<uint8_t>(
      capnp::Schema::from<fuzzseed::Library>().getMethodByName(name).getIndex());
}

}  // namespace

Seeds cBindingSeeds() {
  using fuzzseed::Library;
  Seeds s;
  {
    capnp::MallocMessageBuilder m;
    auto p = m.initRoot<Library::ScalarsParams>();
    p.setA(-1);
    p.setB(UINT64_MAX);
    p.setC(-128);
    p.setD(1.5f);
    p.setE(true);
    p.setF(fuzzseed::Color::BLUE);
    p.setG(-5);
    p.setH(7);
    s["gen-scalars"] = input<Library>(methodIndex("scalars"), &m);
  }
  {
    capnp::MallocMessageBuilder m;
    auto xs = m.initRoot<Library::ListParams>().initXs(3);
    for (unsigned i = 0; i < 3; ++i) xs.set(i, i);
    s["gen-list"] = input<Library>(methodIndex("list"), &m);
  }
  {
    capnp::MallocMessageBuilder m;
    auto p = m.initRoot<Library::ListGivenLengthParams>();
    p.initXs(2);
    p.setN(5);  // longer than the list: refused
    s["gen-list-given-length"] = input<Library>(methodIndex("listGivenLength"), &m);
  }
  {
    capnp::MallocMessageBuilder m;
    m.initRoot<Library::BoolListParams>().initFlags(9).set(8, true);
    s["gen-bool-list"] = input<Library>(methodIndex("boolList"), &m);
  }
  {
    capnp::MallocMessageBuilder m;
    m.initRoot<Library::OutBufferParams>().setCap(16);
    s["gen-out-buffer"] = input<Library>(methodIndex("outBuffer"), &m);
  }
  {
    capnp::MallocMessageBuilder m;
    auto p = m.initRoot<Library::InoutParams>();
    p.setV(1);
    p.initXs(2);
    p.setS("in-out text");
    s["gen-inout"] = input<Library>(methodIndex("inout"), &m);
  }
  {
    capnp::MallocMessageBuilder m;
    auto p = m.initRoot<Library::StructsParams>();
    p.initP().setX(1);
    p.initQ().setY(2);
    p.initS().setX(3);
    p.initPoints(2)[1].setY(4);
    s["gen-structs"] = input<Library>(methodIndex("structs"), &m);
  }
  {
    capnp::MallocMessageBuilder m;
    auto p = m.initRoot<Library::BoxParams>();
    auto box = p.initB();
    box.initCorner(2)[1].setY(4);
    box.setName("crate");
    p.initS().initItems(2);
    auto o = p.initO();
    o.initM().setTag('O');
    o.setLabel("outer");
    s["gen-box"] = input<Library>(methodIndex("box"), &m);
  }
  {
    capnp::MallocMessageBuilder m;
    auto p = m.initRoot<Library::HandlesParams>();
    p.setC(0);
    p.setD(12345);  // never handed out: refused
    s["gen-handles"] = input<Library>(methodIndex("handles"), &m);
  }
  {
    capnp::MallocMessageBuilder m;
    m.initRoot<Library::StringsParams>().setT("text");
    s["gen-strings"] = input<Library>(methodIndex("strings"), &m);
  }
  {
    capnp::MallocMessageBuilder m;
    auto p = m.initRoot<fuzzseed::BulkLibrary::BulkParams>();
    auto xs = p.initXs();
    xs.setSegment(12345);
    xs.setOffset(64);
    xs.setLength(64);
    p.setN(8);  // 8 doubles: as long as the reference
    s["gen-bulk"] = input<fuzzseed::BulkLibrary>(0, &m);
    p.setN(9);  // one more than referenced: refused
    s["gen-bulk-count-too-large"] = input<fuzzseed::BulkLibrary>(0, &m);
    xs.setLength(60);  // not a whole number of doubles: refused
    s["gen-bulk-ragged"] = input<fuzzseed::BulkLibrary>(0, &m);
  }
  {
    capnp::MallocMessageBuilder m;
    auto p = m.initRoot<fuzzseed::WideLibrary::WideParams>();
    p.setS("h\xC3\xA9llo");  // 5 units and the NUL: fits 8
    p.setC(0x41);
    s["gen-wide"] = input<fuzzseed::WideLibrary>(0, &m);
    p.setS("abcdefgh");  // 8 units and the NUL: refused
    s["gen-wide-too-long"] = input<fuzzseed::WideLibrary>(0, &m);
  }
  {
    // Callbacks: the function pointers are NULL in a dry run; the params carry no capability.
    capnp::MallocMessageBuilder m;
    m.initRoot<fuzzseed::CallbackLibrary::EachParams>();
    s["gen-callback"] = input<fuzzseed::CallbackLibrary>(0, &m);
  }
  s["gen-mistake-callback"] = input<fuzzseed::CallbackMistake>(0, nullptr);
  s["gen-mistake-bulk-out"] = input<fuzzseed::BulkRefOut>(0, nullptr);
  s["gen-plan-only"] = input<Library>(0, nullptr);
  s["gen-mistake-lengthof"] = input<fuzzseed::LengthOfNothing>(0, nullptr);
  s["gen-mistake-self-containing"] = input<fuzzseed::SelfContaining>(0, nullptr);
  s["gen-mistake-handle"] = input<fuzzseed::HandleNotUInt64>(0, nullptr);
  return s;
}

}  // namespace bitbridge::fuzz
