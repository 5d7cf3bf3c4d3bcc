// Early-bound events (ComObject::advise(InterfaceSchema, handler), bitbridge/com.h): an EventSink
// of this process that turns each event the host delivers into a call of the handler's method of
// the event's DISPID, on an event interface `bitbridge import-typelib` wrote, and the method's
// ByRef results back into the answer's byRef list. One mechanism with the late-bound advise: the
// host needs no schema. Portable. Thread: the Host's (the sink runs on its event loop).
#include <spdlog/logger.h>

#include <capnp/dynamic.h>

#include <vector>

#include "bitbridge/com.capnp.h"
#include "bitbridge/com.h"
#include "bitbridge/error.h"
#include "bitbridge/host.h"
#include "client/com_client_object.h"
#include "client/com_typed_wire.h"

namespace bitbridge {
namespace {

using namespace com_schema;

std::string interfaceComName(capnp::InterfaceSchema schema) {
  return comNameOr(schema.getProto().getAnnotations(), schema.getShortDisplayName());
}

std::string memberComName(capnp::InterfaceSchema::Method method) {
  return comNameOr(method.getProto().getAnnotations(), method.getProto().getName());
}

// Where a ByRef results field's value goes in the answer: the position of its parameter.
struct ByRefOutput {
  capnp::StructSchema::Field field;
  unsigned position;
};

class TypedEventSink final : public proto::EventSink::Server {
 public:
  TypedEventSink(capnp::InterfaceSchema schema, capnp::Capability::Client handler,
                 std::shared_ptr<spdlog::logger> logger, uint32_t answerTimeoutMs)
      : schema_(schema), handler_(handler.castAs<capnp::DynamicCapability>(schema)),
        logger_(std::move(logger)), interface_(interfaceComName(schema)),
        answerTimeoutMs_(answerTimeoutMs) {}

 protected:
  kj::Promise<void> event(EventContext context) override {
    auto params = context.getParams();
    int32_t dispid = params.getDispid();
    std::string label = "event " + interface_ + "." +
                        (params.getName().size() > 0 ? std::string(params.getName().cStr())
                                                     : "DISPID " + std::to_string(dispid));
    try {
      capnp::InterfaceSchema::Method method = methodOf(dispid, label);
      label = "event " + interface_ + "." + memberComName(method);
      auto request = handler_.newRequest(method);
      auto fields = method.getParamType().getFields();
      auto args = params.getArgs();
      if (args.size() != fields.size()) {
        throw Error(ErrorKind::Remote,
                    label + ": the source passed " + std::to_string(args.size()) +
                        " argument(s), the interface declares " + std::to_string(fields.size()),
                    "import the type library again (its events changed?)");
      }
      for (unsigned i = 0; i < fields.size(); ++i) {
        typedResultFromWire(fields[i], args[i], request,
                            "argument " + std::string(fields[i].getProto().getName().cStr()) +
                                " of " + label,
                            answerTimeoutMs_);
      }
      std::vector<ByRefOutput> outputs;
      for (auto field : method.getResultType().getFields()) {
        if (!has(field.getProto().getAnnotations(), kByRef)) continue;
        KJ_IF_MAYBE(param, method.getParamType().findFieldByName(field.getProto().getName())) {
          outputs.push_back({field, param->getIndex()});
        }
      }
      return request.send().then(
          [context, outputs, label](capnp::Response<capnp::DynamicStruct>&& response) mutable {
            // Every argument goes back as it came, but for the ByRef ones the handler set.
            auto args = context.getParams().getArgs();
            auto byRef = context.getResults().initByRef(args.size());
            for (unsigned i = 0; i < args.size(); ++i) byRef.setWithCaveats(i, args[i]);
            try {
              for (const auto& output : outputs) {
                if (!response.has(output.field, capnp::HasMode::NON_DEFAULT)) continue;
                unsigned at = output.position;
                typedParamToWire(output.field, response, byRef[at],
                                 [byRef, at](proto::Variant::Reader given) mutable {
                                   byRef.setWithCaveats(at, given);
                                 },
                                 "by-reference " +
                                     std::string(output.field.getProto().getName().cStr()) +
                                     " of " + label);
              }
            } catch (const Error& error) {
              throwAsKj(error);
            }
          },
          [logger = logger_, label](kj::Exception&& exception) {
            logger->error("the handler of {} failed: {}", label,
                          exception.getDescription().cStr());
            // Said as the late-bound handler's failure is: the client's code failed (Remote).
            throwAsKj(Error(ErrorKind::Remote,
                            "the client's handler of " + label + " failed: " +
                                exception.getDescription().cStr(),
                            "catch errors in the handler's methods"));
          });
    } catch (const Error& error) {
      logger_->error("{} not delivered: {}", label, error.message());
      throwAsKj(error);
    }
  }

 private:
  // The handler's method for `dispid` ($Com.dispid).
  capnp::InterfaceSchema::Method methodOf(int32_t dispid, const std::string& label) const {
    for (auto method : schema_.getMethods()) {
      KJ_IF_MAYBE(value, annotation(method.getProto().getAnnotations(), kDispid)) {
        if (value->getInt32() == dispid) return method;
      }
    }
    throw Error(ErrorKind::Unimplemented,
                label + " (DISPID " + std::to_string(dispid) + ") has no method in interface " +
                    schema_.getShortDisplayName().cStr(),
                "import the type library again (its events changed?)");
  }

  capnp::InterfaceSchema schema_;
  capnp::DynamicCapability::Client handler_;
  std::shared_ptr<spdlog::logger> logger_;
  std::string interface_;  // the event interface's COM name, for messages
  uint32_t answerTimeoutMs_;  // for objects arriving in events, typed in turn
};

}  // namespace

ComEventConnection ComObject::advise(capnp::InterfaceSchema events,
                                     capnp::Capability::Client handler) {
  KJ_IF_MAYBE(iid, annotation(events.getProto().getAnnotations(), kIid)) {
    return connectSink(kj::heap<TypedEventSink>(events, kj::mv(handler), host_->logger(),
                                                wireAnswerTimeout(*host_)),
                       iid->getText());
  }
  throw Error(ErrorKind::BadConfiguration,
              std::string("interface ") + events.getShortDisplayName().cStr() +
                  " is not an event interface bitbridge import-typelib wrote (it has no $Com.iid)",
              "generate the schema with bitbridge import-typelib from the class's type library");
}

}  // namespace bitbridge
