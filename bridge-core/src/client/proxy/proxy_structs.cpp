// proxy_structs.h
#include "client/proxy/proxy_structs.h"

#include <cstring>

#include "bitbridge/error.h"
#include "common/cabi/c_values.h"

namespace bitbridge::proxy {
namespace {

// The proxy's stand-ins as the struct codec sees them ($C.handle members, c_values.h): a member
// read from the program's struct must be a stand-in this proxy handed out; a token coming back
// gets its stand-in. Lives for one call, on the proxy's thread.
class StandInCodec final : public cbind::HandleCodec {
 public:
  explicit StandInCodec(HandleTable& table) : table_(table) {}

  uint64_t tokenFor(const std::string& kind, void* pointer) override {
    auto token = table_.tokenFor(pointer);
    if (!token) {
      throw Error(ErrorKind::BadConfiguration,
                  "a " + kind + " handle in a struct: " + std::to_string(reinterpret_cast<uintptr_t>(pointer)) +
                      " is not a handle this proxy handed out (never returned through it, "
                      "already released, or from before its host was restarted)");
    }
    return *token;
  }
  void* pointerFor(const std::string&, uint64_t token, bool, const std::string&) const override {
    return table_.pointerFor(token);
  }

 private:
  HandleTable& table_;
};

// What the struct codec (c_values.h) needs for one conversion: scratch memory (decoding uses
// none) and the stand-ins.
struct StructCodec {
  explicit StructCodec(HandleTable& handles) : standIns(handles) {}
  cbind::CallScratch scratch;
  StandInCodec standIns;
  cbind::CodecContext context{scratch, standIns, "the program"};
};

}  // namespace

void structToRequest(const cbind::StructLayout& layout, const void* at,
                     capnp::DynamicStruct::Builder request, capnp::StructSchema::Field field,
                     HandleTable& handles) {
  StructCodec codec(handles);
  cbind::decodeStruct(layout, static_cast<const unsigned char*>(at),
                      request.init(field).as<capnp::DynamicStruct>(), codec.context);
}

void structsToList(const cbind::StructLayout& layout, const void* at, uint32_t count,
                   capnp::DynamicList::Builder list, HandleTable& handles) {
  StructCodec codec(handles);
  cbind::CValueType element;
  element.layout = &layout;
  cbind::decodeList(element, static_cast<const unsigned char*>(at), count, list, codec.context);
}

void structFromResponse(const cbind::StructLayout& layout, capnp::DynamicValue::Reader value,
                        void* at, HandleTable& handles, const std::string& where) {
  StructCodec codec(handles);
  unsigned char* c = codec.scratch.allocate(layout.size);
  cbind::encodeStruct(layout, value.as<capnp::DynamicStruct>(), c, codec.context, where);
  std::memcpy(at, c, layout.size);
}

}  // namespace bitbridge::proxy
