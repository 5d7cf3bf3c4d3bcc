// c_bulk_args.h: Bulk.BulkRef parameters resolved, checked and mapped on the RPC thread.
#include "host/bind/c_bulk_args.h"

#include <capnp/any.h>

#include "bitbridge/error.h"
#include "host/bulk_registry.h"

namespace bitbridge::cbind {
namespace {

std::string mib(uint64_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

// An Error raised by the bulk code (which names the segment) now names the parameter too.
[[noreturn]] void rethrowAt(const Error& e, const std::string& where) {
  throw Error(e.kind(), where + ": " + e.message(), e.hint());
}

}  // namespace

BulkArguments BulkArguments::resolve(const FunctionPlan& plan,
                                     const std::vector<std::string>& wheres,
                                     capnp::DynamicStruct::Reader params, BulkRegistry* registry) {
  BulkArguments result;
  if (!plan.hasBulkRefs) return result;
  result.args_.resize(plan.args.size());
  for (size_t i = 0; i < plan.args.size(); ++i) {
    const ArgPlan& arg = plan.args[i];
    if (arg.role != ArgRole::BulkRef) continue;
    const std::string& where = wheres[i];
    auto refuseNull = [&](const char* what) {
      throw Error(ErrorKind::BadConfiguration, where + what + ", and NULL is not allowed",
                  "pass a reference into a buffer of Host::allocate (BulkBuffer::ref), or "
                  "annotate the parameter $nullable if the function accepts NULL");
    };
    if (!params.has(arg.param)) {
      if (arg.nullable) continue;  // NULL
      refuseNull(" is not set");
    }
    // The planner checked that the client's BulkRef node is bitbridge's: read it as that type.
    capnp::AnyStruct::Reader any = params.get(arg.param).as<capnp::DynamicStruct>();
    BulkRef ref;
    try {
      ref = fromWire(any.as<proto::BulkRef>());  // another connection's segment: refused
    } catch (const Error& e) {
      rethrowAt(e, where);
    }
    if (ref.length == 0) {
      if (arg.nullable) continue;
      refuseNull(" is an empty bulk reference");
    }
    if (ref.offset % arg.elementSize != 0 || ref.length % arg.elementSize != 0) {
      throw Error(ErrorKind::BadConfiguration,
                  where + ": a bulk reference at offset " + std::to_string(ref.offset) + " of " +
                      std::to_string(ref.length) + " bytes is not a whole number of " +
                      std::to_string(arg.elementSize) + "-byte elements ($elementSize(" +
                      std::to_string(arg.elementSize) + "))",
                  "make the offset and length multiples of the element size");
    }
    if (ref.length > kMaxBulkArgumentBytes) {
      throw Error(ErrorKind::BadConfiguration,
                  where + ": a bulk reference of " + mib(ref.length) + " is more than a 32-bit "
                      "host maps at once for a C function (" + mib(kMaxBulkArgumentBytes) + ")",
                  "pass the array in parts (BulkBuffer::ref(offset, length), one call each), or "
                  "bind a 64-bit build of the library; BulkOptions::windowBytes does not apply "
                  "here, since the function needs the whole range at one address");
    }
    result.args_[i].bytes = ref.length;
    if (registry == nullptr) continue;  // a dry run: no segment to map
    try {
      BulkView view = registry->viewAtOnce(ref, kMaxBulkArgumentBytes);
      result.args_[i].pointer = view.data();
      result.views_.push_back(std::move(view));
    } catch (const Error& e) {
      rethrowAt(e, where);
    }
  }
  return result;
}

}  // namespace bitbridge::cbind
