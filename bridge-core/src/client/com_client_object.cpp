// Objects of this process passed to COM code as arguments (ComVariant::clientObject): a
// Dispatch server of this process whose getIdsOfNames says which names the handler answers and
// whose invoke calls the handler, which the host stands in for with an IDispatch of its own
// (host/com/client_object-win32.h). Portable. Thread: the Host's (the server runs on its event
// loop). Lifetime: the capability lives while this process's ComVariants or the host's stand-in
// hold it; the handler with it.
#include "client/com_client_object.h"

#include <spdlog/logger.h>

#include <algorithm>

#include "bitbridge/com.capnp.h"
#include "bitbridge/error.h"
#include "bitbridge/host.h"
#include "common/com_variant_wire.h"

namespace bitbridge {
namespace {

// Names are short: what COM code asks for is refused beyond this (GetIDsOfNames answers unknown).
constexpr size_t kMaxNameLength = 1024;

class ClientDispatchServer final : public proto::Dispatch::Server {
 public:
  ClientDispatchServer(Host* host, std::vector<std::string> names, ComCallHandler handler)
      : host_(host), names_(std::move(names)), handler_(std::move(handler)) {}

 protected:
  // DISPIDs: a name's position in names_ plus one (0 is DISPID_VALUE, the default member);
  // -1 (DISPID_UNKNOWN) for other names and for parameter names.
  kj::Promise<void> getIdsOfNames(GetIdsOfNamesContext context) override {
    auto names = context.getParams().getNames();
    auto ids = context.getResults().initIds(names.size());
    for (unsigned i = 0; i < names.size(); ++i) {
      ids.set(i, i == 0 ? idOf(names[i]) : -1);
    }
    return kj::READY_NOW;
  }

  kj::Promise<void> invoke(InvokeContext context) override {
    auto params = context.getParams();
    ComCall call;
    call.kind = invokeKindFromWire(params.getKind());
    std::string asked = params.getName();
    if (!asked.empty()) {
      int32_t id = idOf(params.getName());
      if (id < 0) {
        throwAsKj(Error(ErrorKind::NotFound,
                        "the client's object has no member '" + asked + "'",
                        "list the member in ComVariant::clientObject's names"));
      }
      call.name = names_[static_cast<size_t>(id - 1)];
    }
    std::string label = "the client's object." + (call.name.empty() ? "[default]" : call.name);
    if (params.getNamedArgs().size() > 0) {
      throwAsKj(Error(ErrorKind::Unimplemented, label + ": named arguments",
                      "pass the client's object its arguments by position"));
    }
    // Objects among the arguments are the host's: callable here as ComObjects.
    Host* host = host_;
    UnwrapComObject unwrap = [host](capnp::Capability::Client object, bool) {
      return ComVariant(ComObject(*host, kj::mv(object))).objectHandle();
    };
    try {
      unsigned i = 0;
      for (auto arg : params.getArgs()) {
        call.args.push_back(
            variantFromWire(arg, unwrap, "argument " + std::to_string(++i) + " of " + label));
      }
    } catch (const Error& error) {
      throwAsKj(error);
    }
    ComVariant result;
    try {
      result = handler_(call);
    } catch (const Error& error) {
      host_->logger()->error("{} failed: {}", label, error.message());
      throwAsKj(Error(error.kind(), label + " failed: " + error.message(), error.hint()));
    } catch (const std::exception& error) {
      host_->logger()->error("{} threw: {}", label, error.what());
      throwAsKj(Error(ErrorKind::Remote, label + " threw: " + error.what(),
                      "catch errors in ComCallHandler"));
    }
    WrapComObject refuse = [label](const std::shared_ptr<ComObjectHandle>&,
                                   bool) -> capnp::Capability::Client {
      throw Error(ErrorKind::Unimplemented, label + ": an object in its answer",
                  "answer plain values (numbers, text, arrays)");
    };
    try {
      auto results = context.getResults();
      variantToWire(result, results.initResult(), refuse);
      auto byRef = results.initByRef(static_cast<unsigned>(call.args.size()));
      for (unsigned i = 0; i < call.args.size(); ++i) {
        const ComVariant& value = call.args[i];
        if (value.type() == VariantType::Object || value.type() == VariantType::Unknown) {
          byRef[i].setEmpty();  // the host leaves object arguments alone
        } else {
          variantToWire(value, byRef[i], refuse);
        }
      }
    } catch (const Error& error) {
      host_->logger()->error("{}", error.message());
      throwAsKj(error);
    }
    return kj::READY_NOW;
  }

  kj::Promise<void> className(ClassNameContext context) override {
    context.getResults().setName("client object");
    return kj::READY_NOW;
  }

 private:
  int32_t idOf(capnp::Text::Reader name) const {
    if (name.size() > kMaxNameLength) return -1;
    std::string text = name;
    for (size_t i = 0; i < names_.size(); ++i) {
      if (sameComName(names_[i], text)) return static_cast<int32_t>(i + 1);
    }
    return -1;
  }

  Host* host_;  // outlives the server (com.h: objects must not outlive their Host)
  std::vector<std::string> names_;
  ComCallHandler handler_;
};

// What a ComVariant holds for an object of this process.
struct ClientCallbackHandle final : ComObjectHandle {
  ClientCallbackHandle(std::vector<std::string> names, ComCallHandler handler)
      : names(std::move(names)), handler(std::move(handler)) {}
  ~ClientCallbackHandle() noexcept override {}
  std::vector<std::string> names;
  ComCallHandler handler;
  Host* host = nullptr;  // the Host its capability was made for
  kj::Maybe<capnp::Capability::Client> capability;
};

}  // namespace

uint32_t wireAnswerTimeout(Host& host) {
  auto limit = host.comAnswerTimeout().count();
  if (limit <= 0) return 0;
  return static_cast<uint32_t>(std::min<int64_t>(limit, int64_t{0xFFFFFFFE}));
}

ComVariant ComVariant::clientObject(std::vector<std::string> names, ComCallHandler handler) {
  if (!handler) {
    throw Error(ErrorKind::BadConfiguration, "ComVariant::clientObject needs a handler",
                "pass a function that receives ComCall& and returns a ComVariant");
  }
  return object(std::make_shared<ClientCallbackHandle>(std::move(names), std::move(handler)), true);
}

kj::Maybe<capnp::Capability::Client> clientObjectCapability(
    const std::shared_ptr<ComObjectHandle>& handle, Host& host, const std::string& where) {
  auto* client = dynamic_cast<ClientCallbackHandle*>(handle.get());
  if (client == nullptr) return nullptr;
  if (client->host != nullptr && client->host != &host) {
    throw Error(ErrorKind::BadConfiguration,
                where + ": this client object was passed to another Host before",
                "make one ComVariant::clientObject per Host");
  }
  KJ_IF_MAYBE(made, client->capability) {
    capnp::Capability::Client copy = *made;
    return kj::mv(copy);
  }
  client->host = &host;
  capnp::Capability::Client made =
      kj::heap<ClientDispatchServer>(&host, client->names, client->handler);
  client->capability = capnp::Capability::Client(made);
  return kj::mv(made);
}

}  // namespace bitbridge
