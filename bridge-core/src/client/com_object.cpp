// ComObject (bitbridge/com.h): late-bound calls on a COM object in a host, over the Dispatch
// capability (schemas/bitbridge/com.capnp). Portable: against a Linux host, creating one already
// fails (Unimplemented). Thread: the Host's (every call waits on its event loop).
#include "bitbridge/com.h"

#include <spdlog/logger.h>

#include <algorithm>

#include "bitbridge/com.capnp.h"
#include "bitbridge/error.h"
#include "bitbridge/host.h"
#include "client/com_client_object.h"
#include "common/com_variant_wire.h"

namespace bitbridge {
namespace {

// What a client's ComVariant holds for an object: the capability and the Host to wait on.
// Dropping the last one drops the capability, and the host releases the COM object.
struct ClientObjectHandle final : ComObjectHandle {
  ClientObjectHandle(Host* host, capnp::Capability::Client object)
      : host(host), object(kj::mv(object)) {}
  // Dropping a capability does not throw; the base's destructor is noexcept.
  ~ClientObjectHandle() noexcept override {}
  Host* host;  // outlives the handle (com.h: a ComObject must not outlive its Host)
  capnp::Capability::Client object;
};

// The client's EventSink: hands each event to the user's handler (on the Host's thread, inside
// its event loop) and sends back the arguments as the handler left them (by-reference write-back).
class EventSinkServer final : public proto::EventSink::Server {
 public:
  EventSinkServer(Host* host, ComEventHandler handler) : host_(host), handler_(std::move(handler)) {}

 protected:
  kj::Promise<void> event(EventContext context) override {
    auto params = context.getParams();
    ComEvent event;
    event.dispid = params.getDispid();
    event.name = params.getName();
    std::string label = event.name.empty() ? "event " + std::to_string(event.dispid)
                                           : "event " + event.name;
    UnwrapComObject unwrap = [host = host_](capnp::Capability::Client object, bool) {
      return std::make_shared<ClientObjectHandle>(host, kj::mv(object));
    };
    try {
      unsigned i = 0;
      for (auto arg : params.getArgs()) {
        event.args.push_back(
            variantFromWire(arg, unwrap, "argument " + std::to_string(++i) + " of " + label));
      }
    } catch (const Error& error) {
      throwAsKj(error);
    }
    // A handler's failure goes to the source (the host fails its call to the sink with
    // DISP_E_EXCEPTION) and to this process's log, since nobody here waits for it.
    try {
      handler_(event);
    } catch (const Error& error) {
      host_->logger()->error("the handler of {} failed: {}", label, error.message());
      throwAsKj(Error(error.kind(), "the client's handler of " + label + " failed: " +
                                        error.message(), error.hint()));
    } catch (const std::exception& error) {
      host_->logger()->error("the handler of {} threw: {}", label, error.what());
      throwAsKj(Error(ErrorKind::Remote,
                      "the client's handler of " + label + " threw: " + error.what(),
                      "catch errors in ComEventHandler"));
    }
    // Given back: the handler's values (objects are not given back by reference).
    WrapComObject refuse = [](const std::shared_ptr<ComObjectHandle>&, bool) -> capnp::Capability::Client {
      throw Error(ErrorKind::Unimplemented, "an object given back by reference from an event handler",
                  "give back plain values");
    };
    auto byRef = context.getResults().initByRef(static_cast<unsigned>(event.args.size()));
    for (unsigned i = 0; i < event.args.size(); ++i) {
      const ComVariant& value = event.args[i];
      if (value.type() == VariantType::Object || value.type() == VariantType::Unknown) {
        byRef[i].setEmpty();  // the host leaves object arguments alone
        continue;
      }
      try {
        variantToWire(value, byRef[i], refuse);
      } catch (const Error& error) {
        throwAsKj(error);
      }
    }
    return kj::READY_NOW;
  }

 private:
  Host* host_;  // outlives the sink (com.h: a connection must not outlive its Host)
  ComEventHandler handler_;
};

}  // namespace

ComObject::ComObject(Host& host, capnp::Capability::Client object)
    : host_(&host), handle_(std::make_shared<ClientObjectHandle>(&host, kj::mv(object))) {}

ComVariant::ComVariant(const ComObject& object)
    : type_(VariantType::Object), object_(object.handle_) {}

ComObject ComVariant::asObject() const {
  auto* handle = dynamic_cast<ClientObjectHandle*>(object_.get());
  if (type_ != VariantType::Object || handle == nullptr) {
    throw Error(ErrorKind::BadConfiguration,
                std::string("the variant holds ") + variantTypeName(type_) +
                    ", not an object reference",
                "check type() == VariantType::Object first (VB6 Nothing is VariantType::Nothing)");
  }
  return ComObject(*handle->host, handle->object);
}

capnp::Capability::Client ComObject::capability() const {
  return static_cast<ClientObjectHandle&>(*handle_).object;
}

ComInvokeResult ComObject::invoke(const std::string& name, InvokeKind kind,
                                  std::vector<ComVariant> args,
                                  std::vector<std::pair<std::string, ComVariant>> named) {
  auto dispatch = capability().castAs<proto::Dispatch>();
  auto request = dispatch.invokeRequest();
  request.setName(name);
  request.setKind(wireInvokeKind(kind));
  request.setAnswerTimeoutMs(wireAnswerTimeout(*host_));
  // An object argument is one of this Host's own objects (the host then passes the COM object
  // itself to the method, and checks again, since a peer may send any capability) or one of
  // this process (ComVariant::clientObject).
  std::string where;
  WrapComObject wrap = [this, &where](const std::shared_ptr<ComObjectHandle>& handle, bool) {
    // An object of this process (ComVariant::clientObject): the host stands in for it.
    auto own = clientObjectCapability(handle, *host_, where);
    KJ_IF_MAYBE(capability, own) { return kj::mv(*capability); }
    auto* client = dynamic_cast<ClientObjectHandle*>(handle.get());
    if (client == nullptr) {
      throw Error(ErrorKind::BadConfiguration,
                  where + ": a ComObject that holds no object (moved from)",
                  "pass a ComObject this Host created or returned");
    }
    if (client->host != host_) {
      throw Error(ErrorKind::BadConfiguration,
                  where + ": the object comes from another Host (pid " +
                      std::to_string(client->host->pid()) + "), and COM objects can be passed "
                      "only to objects of the host that holds them",
                  "create both objects through the same Host (a shared host's clients can "
                  "share one object with Host::sharedComObject)");
    }
    return client->object;
  };
  auto list = request.initArgs(static_cast<unsigned>(args.size()));
  for (unsigned i = 0; i < args.size(); ++i) {
    where = "argument " + std::to_string(i + 1) + " of " + name;
    variantToWire(args[i], list[i], wrap);
  }
  auto namedList = request.initNamedArgs(static_cast<unsigned>(named.size()));
  for (unsigned i = 0; i < named.size(); ++i) {
    where = "named argument " + named[i].first + " of " + name;
    namedList[i].setName(named[i].first);
    variantToWire(named[i].second, namedList[i].initValue(), wrap);
  }
  auto response = host_->wait(request.send());
  UnwrapComObject unwrap = [this](capnp::Capability::Client object, bool) {
    return std::make_shared<ClientObjectHandle>(host_, kj::mv(object));
  };
  ComInvokeResult result;
  result.result = variantFromWire(response.getResult(), unwrap, "the result of " + name);
  for (auto value : response.getByRef()) {
    result.byRef.push_back(variantFromWire(value, unwrap, "an argument of " + name));
  }
  return result;
}

ComVariant ComObject::call(const std::string& name, std::vector<ComVariant> args,
                           std::vector<std::pair<std::string, ComVariant>> named) {
  return invoke(name, InvokeKind::Method, std::move(args), std::move(named)).result;
}

ComVariant ComObject::get(const std::string& name, std::vector<ComVariant> args) {
  return invoke(name, InvokeKind::PropertyGet, std::move(args)).result;
}

void ComObject::put(const std::string& name, ComVariant value, std::vector<ComVariant> args) {
  args.push_back(std::move(value));
  invoke(name, InvokeKind::PropertyPut, std::move(args));
}

void ComObject::putRef(const std::string& name, ComVariant value, std::vector<ComVariant> args) {
  args.push_back(std::move(value));
  invoke(name, InvokeKind::PropertyPutRef, std::move(args));
}

std::vector<int32_t> ComObject::idsOfNames(const std::vector<std::string>& names) {
  auto request = capability().castAs<proto::Dispatch>().getIdsOfNamesRequest();
  auto list = request.initNames(static_cast<unsigned>(names.size()));
  for (unsigned i = 0; i < names.size(); ++i) list.set(i, names[i]);
  auto response = host_->wait(request.send());
  std::vector<int32_t> ids;
  for (auto id : response.getIds()) ids.push_back(id);
  return ids;
}

std::vector<ComVariant> ComObject::enumerate(uint32_t limit) {
  auto request = capability().castAs<proto::Dispatch>().enumerateRequest();
  request.setLimit(limit);
  auto response = host_->wait(request.send());
  UnwrapComObject unwrap = [this](capnp::Capability::Client object, bool) {
    return std::make_shared<ClientObjectHandle>(host_, kj::mv(object));
  };
  std::vector<ComVariant> items;
  unsigned i = 0;
  for (auto item : response.getItems()) {
    items.push_back(variantFromWire(item, unwrap, "item " + std::to_string(i++)));
  }
  return items;
}

ComEventConnection ComObject::advise(ComEventHandler handler, const std::string& interfaceId) {
  if (!handler) {
    throw Error(ErrorKind::BadConfiguration, "ComObject::advise needs a handler",
                "pass a function that receives ComEvent&");
  }
  return connectSink(kj::heap<EventSinkServer>(host_, std::move(handler)), interfaceId);
}

ComEventConnection ComObject::connectSink(capnp::Capability::Client sink,
                                          const std::string& interfaceId) {
  auto request = capability().castAs<proto::Dispatch>().adviseRequest();
  request.setSink(sink.castAs<proto::EventSink>());
  request.setInterfaceId(interfaceId);
  request.setAnswerTimeoutMs(wireAnswerTimeout(*host_));
  auto response = host_->wait(request.send());
  ComEventConnection connection;
  connection.host_ = host_;
  connection.connection_ = std::make_shared<capnp::Capability::Client>(response.getConnection());
  connection.interfaceId_ = response.getInterfaceId();
  connection.interfaceName_ = response.getInterfaceName();
  return connection;
}

void ComEventConnection::unadvise() {
  if (!connection_) return;
  auto request = connection_->castAs<proto::EventConnection>().unadviseRequest();
  connection_.reset();  // dropped whatever the answer: the host unadvises then anyway
  host_->wait(request.send());
}

std::string ComObject::className() {
  auto response = host_->wait(capability().castAs<proto::Dispatch>().classNameRequest().send());
  return response.getName();
}

}  // namespace bitbridge
