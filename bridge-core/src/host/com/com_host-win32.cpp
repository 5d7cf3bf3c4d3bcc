// Windows hosts' ComHost: one apartment thread per ComHostState (StaThread: a private host's
// connection, or every connection of a shared host) on which every object the clients create,
// and every object those return, is created, called and released; the Dispatch capability
// (schemas/bitbridge/com.capnp) over each object's IDispatch; objects kept per key; objects the
// client passes back as arguments recognised as the host's own (CapabilityServerSet).
//
// Thread assumptions: servers and conversions to and from the wire run on the RPC thread; every
// COM call runs in a StaThread job, which owns what it touches (shared_ptr), so a client that
// gives up on a call frees nothing the apartment still uses.
#include <windows.h>
#include <objbase.h>
#include <oleauto.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <vector>

#include <spdlog/logger.h>

#include "bitbridge/arch.h"
#include "bitbridge/binary_header.h"
#include "bitbridge/com.capnp.h"
#include "bitbridge/error.h"
#include "common/com_variant_wire.h"
#include "common/platform/com_errors-win32.h"
#include "common/platform/text-win32.h"
#include "host/com/client_object-win32.h"
#include "host/com/com_events-win32.h"
#include "host/com/com_host.h"
#include "host/com/com_native-win32.h"
#include "host/com/com_record-win32.h"
#include "host/com/invoke_error-win32.h"
#include "host/com/loop_inbox.h"
#include "host/com/sta_thread-win32.h"
#include "host/com/typelib_class-win32.h"
#include "host/dll_load-win32.h"

namespace bitbridge {
namespace {

// Items one enumerate() returns at most when the client sets no limit: a runaway enumerator
// (one that never says S_FALSE) must not fill the host's memory.
constexpr uint32_t kMaxEnumeratedItems = 1u << 20;

// The class name ITypeInfo gives, or `fallback`. On the apartment thread.
std::string typeName(IDispatch* dispatch, const std::string& fallback) {
  ITypeInfo* info = nullptr;
  if (FAILED(dispatch->GetTypeInfo(0, LOCALE_USER_DEFAULT, &info)) || info == nullptr) {
    return fallback;
  }
  BSTR name = nullptr;
  std::string out = fallback;
  if (SUCCEEDED(info->GetDocumentation(MEMBERID_NIL, &name, nullptr, nullptr, nullptr)) &&
      name != nullptr) {
    out = narrow(std::wstring(name, ::SysStringLen(name)));
    ::SysFreeString(name);
  }
  info->Release();
  return out;
}

// Whether `type` (VT_USERDEFINED, in `info`) is a record. On the apartment thread.
bool isRecord(ITypeInfo* info, const TYPEDESC& type) {
  ITypeInfo* ref = nullptr;
  if (FAILED(info->GetRefTypeInfo(type.hreftype, &ref)) || ref == nullptr) return false;
  TYPEATTR* attributes = nullptr;
  bool record = false;
  if (SUCCEEDED(ref->GetTypeAttr(&attributes))) {
    record = attributes->typekind == TKIND_RECORD;
    ref->ReleaseTypeAttr(attributes);
  }
  ref->Release();
  return record;
}

// For method `memberId` of `dispatch`'s type information: the element type of each of the first
// `count` parameters that is ByRef ([in, out] pointer to an automation type, VT_RECORD for a
// pointer to a record: VB6's ByRef p As SomeType, VT_ARRAY | element for a pointer to a
// SAFEARRAY, VT_RECORD as element for records), VT_EMPTY for the others, or all VT_EMPTY when
// there is no type information. On the apartment thread.
std::vector<VARTYPE> byRefParameters(IDispatch* dispatch, DISPID memberId, size_t count) {
  std::vector<VARTYPE> types(count, VT_EMPTY);
  ITypeInfo* info = nullptr;
  if (FAILED(dispatch->GetTypeInfo(0, LOCALE_USER_DEFAULT, &info)) || info == nullptr) {
    return types;
  }
  TYPEATTR* attributes = nullptr;
  if (SUCCEEDED(info->GetTypeAttr(&attributes))) {
    for (UINT f = 0; f < attributes->cFuncs; ++f) {
      FUNCDESC* function = nullptr;
      if (FAILED(info->GetFuncDesc(f, &function))) continue;
      bool found = function->memid == memberId &&
                   (function->invkind & (INVOKE_FUNC | INVOKE_PROPERTYGET)) != 0;
      if (found) {
        for (size_t p = 0; p < count && p < static_cast<size_t>(function->cParams); ++p) {
          const ELEMDESC& parameter = function->lprgelemdescParam[p];
          USHORT flags = parameter.paramdesc.wParamFlags;
          if (parameter.tdesc.vt == VT_PTR && (flags & PARAMFLAG_FOUT) != 0 &&
              (flags & PARAMFLAG_FRETVAL) == 0 && parameter.tdesc.lptdesc != nullptr) {
            VARTYPE inner = parameter.tdesc.lptdesc->vt;
            if (inner == VT_VARIANT || (inner != VT_PTR && inner != VT_USERDEFINED &&
                                        inner != VT_SAFEARRAY && inner != VT_CARRAY &&
                                        elementTypeKnown(inner))) {
              types[p] = inner;
            } else if (inner == VT_USERDEFINED && isRecord(info, *parameter.tdesc.lptdesc)) {
              types[p] = VT_RECORD;
            } else if (inner == VT_SAFEARRAY && parameter.tdesc.lptdesc->lptdesc != nullptr) {
              // VB6's `pts() As Point` / `a() As Long` (arrays are always ByRef in VB6).
              const TYPEDESC& element = *parameter.tdesc.lptdesc->lptdesc;
              if (element.vt == VT_USERDEFINED && isRecord(info, element)) {
                types[p] = VT_ARRAY | VT_RECORD;
              } else if (element.vt != VT_USERDEFINED && elementTypeKnown(element.vt)) {
                types[p] = VT_ARRAY | element.vt;
              }
            }
          }
        }
      }
      info->ReleaseFuncDesc(function);
      if (found) break;
    }
    info->ReleaseTypeAttr(attributes);
  }
  info->Release();
  return types;
}

// VARIANTs owned by one call, cleared in the apartment however the call ends.
struct VariantStore {
  explicit VariantStore(size_t count) : values(count) {
    for (auto& v : values) ::VariantInit(&v);
  }
  ~VariantStore() {
    for (auto& v : values) clearNative(v);
  }
  std::vector<VARIANT> values;
};

WORD invokeFlags(proto::InvokeKind kind) {
  switch (kind) {
    case proto::InvokeKind::METHOD: return DISPATCH_METHOD | DISPATCH_PROPERTYGET;  // as VB does
    case proto::InvokeKind::PROPERTY_GET: return DISPATCH_PROPERTYGET;
    case proto::InvokeKind::PROPERTY_PUT: return DISPATCH_PROPERTYPUT;
    case proto::InvokeKind::PROPERTY_PUT_REF: return DISPATCH_PROPERTYPUTREF;
  }
  return DISPATCH_METHOD;
}

// One IDispatch::Invoke: its inputs decoded on the RPC thread, run in the apartment, its
// outputs read back on the RPC thread.
struct InvokeCall {
  std::shared_ptr<NativeObject> object;
  std::string className;  // as known at creation; the type library's name is preferred
  std::string member;
  proto::InvokeKind kind = proto::InvokeKind::METHOD;
  std::vector<ComVariant> args;
  std::vector<std::pair<std::string, ComVariant>> named;
  ComVariant result;
  std::vector<ComVariant> byRef;

  // In the apartment.
  void run() {
    auto* dispatch = static_cast<IDispatch*>(object->pointer());
    bool put = kind == proto::InvokeKind::PROPERTY_PUT || kind == proto::InvokeKind::PROPERTY_PUT_REF;
    if (put && args.empty()) {
      throw Error(ErrorKind::BadConfiguration,
                  className + "." + member + ": a property put needs the value as last argument",
                  "ComObject::put(name, value)");
    }
    // Member, then named parameters, to DISPIDs in one GetIDsOfNames.
    DISPID memberId = DISPID_VALUE;
    std::vector<DISPID> namedIds;
    if (!member.empty()) {
      std::vector<std::wstring> names{widen(member)};
      for (const auto& n : named) names.push_back(widen(n.first));
      std::vector<LPOLESTR> pointers;
      for (auto& n : names) pointers.push_back(&n[0]);
      std::vector<DISPID> ids(names.size(), DISPID_UNKNOWN);
      HRESULT found = dispatch->GetIDsOfNames(IID_NULL, pointers.data(),
                                              static_cast<UINT>(pointers.size()),
                                              LOCALE_USER_DEFAULT, ids.data());
      if (FAILED(found)) {
        EXCEPINFO none{};
        HRESULT code = found == DISP_E_UNKNOWNNAME && ids[0] == DISPID_UNKNOWN
                           ? DISP_E_MEMBERNOTFOUND : found;
        Error error = invokeError(code, none, 0, 0, typeName(dispatch, className), member);
        if (ids[0] != DISPID_UNKNOWN) {
          throw Error(ErrorKind::Remote, error.message() + ": a named argument is not a "
                      "parameter of this member", "check the parameter names");
        }
        throw error;
      }
      memberId = ids[0];
      namedIds.assign(ids.begin() + 1, ids.end());
    } else if (!named.empty()) {
      throw Error(ErrorKind::BadConfiguration,
                  className + ": named arguments need the member's name",
                  "call the default member by its name");
    }
    if (put) namedIds.push_back(DISPID_PROPERTYPUT);

    // rgvarg holds the named arguments first, then the positional ones last to first; a
    // put's value is its one named argument (DISPID_PROPERTYPUT). Method arguments go by
    // reference (VT_BYREF | VT_VARIANT, as VBScript passes variables) so that what a ByRef
    // parameter writes comes back; the values live in `store`.
    size_t positional = args.size() - (put ? 1 : 0);
    // Records among the arguments are laid out from the object's own type library.
    RecordTypes records(dispatch, typeName(dispatch, className));
    VariantStore store(args.size() + named.size());
    std::vector<VARIANT> passed(store.values.size());
    for (auto& v : passed) ::VariantInit(&v);
    size_t slot = 0;
    for (size_t i = 0; i < named.size(); ++i, ++slot) {
      toNative(named[i].second, store.values[slot], "named argument " + named[i].first,
               &records);
      passed[slot] = store.values[slot];  // a shallow view: store owns it
    }
    if (put) {
      toNative(args.back(), store.values[slot], "the value put", &records);
      passed[slot] = store.values[slot];
      ++slot;
    }
    // ByRef parameters ([in, out] T*, VB6's default) get a reference to a value of exactly
    // their type, in `store`, so that what they write comes back (VB6's own late binding
    // passes its variables so); every other argument goes by value. The type library says
    // which are which; without one, everything goes by value.
    std::vector<VARTYPE> byRefTypes =
        kind == proto::InvokeKind::METHOD ? byRefParameters(dispatch, memberId, positional)
                                          : std::vector<VARTYPE>(positional, VT_EMPTY);
    for (size_t i = 0; i < positional; ++i, ++slot) {
      size_t index = positional - 1 - i;
      VARIANT& value = store.values[slot];
      toNative(args[index], value, "argument " + std::to_string(index + 1) + " of " + member,
               &records);
      VARTYPE target = byRefTypes[index];
      bool missing = V_VT(&value) == VT_ERROR && V_ERROR(&value) == DISP_E_PARAMNOTFOUND;
      if (target == VT_RECORD && V_VT(&value) == VT_RECORD) {
        // A record by reference: the same record (pvRecord, pRecInfo), which store owns; what
        // the member writes into it is read back below.
        V_VT(&passed[slot]) = VT_BYREF | VT_RECORD;
        V_RECORD(&passed[slot]) = V_RECORD(&value);
        V_RECORDINFO(&passed[slot]) = V_RECORDINFO(&value);
      } else if (target == VT_RECORD) {
        passed[slot] = value;  // not a record: Invoke calls it a type mismatch
      } else if ((target & VT_ARRAY) != 0 && V_VT(&value) == target) {
        // An array by reference: the member may change its elements or replace it (ReDim);
        // store owns whichever array is there after the call.
        V_VT(&passed[slot]) = VT_BYREF | target;
        V_ARRAYREF(&passed[slot]) = &V_ARRAY(&value);
      } else if ((target & VT_ARRAY) != 0) {
        passed[slot] = value;  // another array or none: Invoke calls it a type mismatch
      } else if (target == VT_VARIANT && !missing) {
        V_VT(&passed[slot]) = VT_BYREF | VT_VARIANT;
        V_VARIANTREF(&passed[slot]) = &value;
      } else if (target != VT_EMPTY && !missing &&
                 SUCCEEDED(::VariantChangeType(&value, &value, 0, target))) {
        V_VT(&passed[slot]) = VT_BYREF | target;
        V_BYREF(&passed[slot]) = target == VT_DECIMAL ? static_cast<void*>(&V_DECIMAL(&value))
                                                      : static_cast<void*>(&V_I8(&value));
      } else {
        // By value; a value that does not convert is left for Invoke to call a type mismatch.
        passed[slot] = value;  // a shallow view: store owns it
      }
    }
    DISPPARAMS parameters{};
    parameters.rgvarg = passed.empty() ? nullptr : passed.data();
    parameters.cArgs = static_cast<UINT>(passed.size());
    parameters.rgdispidNamedArgs = namedIds.empty() ? nullptr : namedIds.data();
    parameters.cNamedArgs = static_cast<UINT>(namedIds.size());
    VARIANT answer;
    ::VariantInit(&answer);
    EXCEPINFO exception{};
    UINT argumentError = 0;
    HRESULT hr = dispatch->Invoke(memberId, IID_NULL, LOCALE_USER_DEFAULT, invokeFlags(kind),
                                  &parameters, put ? nullptr : &answer, &exception,
                                  &argumentError);
    if (FAILED(hr)) {
      clearNative(answer);
      // argumentError indexes rgvarg; positional ones start after the named and the put value.
      UINT named = static_cast<UINT>(passed.size() - positional);
      UINT positionalError = argumentError >= named ? argumentError - named
                                                    : static_cast<UINT>(positional);
      throw invokeError(hr, exception, positionalError, static_cast<unsigned>(positional),
                        typeName(dispatch, className), member);
    }
    try {
      result = fromNative(answer, object->apartment());
    } catch (...) {
      clearNative(answer);
      throw;
    }
    clearNative(answer);
    // Positional arguments in the client's order, after the call.
    for (size_t i = 0; i < positional; ++i) {
      size_t storeSlot = named.size() + (put ? 1 : 0) + (positional - 1 - i);
      byRef.push_back(fromNative(store.values[storeSlot], object->apartment()));
    }
  }
};

// Keys of sharedComObject one host keeps at most, and how long one key may be: what a client
// sends must not grow the host without bound.
constexpr size_t kMaxKeyedObjects = 1024;
constexpr size_t kMaxKeyLength = 256;

std::string lowerAscii(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// An object kept for a key (Host::sharedComObject) until the host exits.
struct KeyedObject {
  std::string classId, path;                    // what created it, for the mismatch check
  std::shared_ptr<NativeObject> object;          // set once created
  kj::Maybe<kj::ForkedPromise<void>> creating;   // the creation; later callers wait on a branch
  bool failed = false;                           // the creation failed: the next call retries
};

// com_host.h's ComHostState on Windows. RPC thread only (the apartment runs the COM calls).
// Lifetime: shared by the ComHost of each connection using it, by every capability made for
// its objects (through ComConnection) and, in a shared host, by SharedInstances until the host
// exits. Destroyed on the RPC thread: the objects kept per key are released then, their
// Releases posted to the apartment, whose thread runs queued jobs before it ends. Nothing that
// lives in the apartment (event sinks, client-object stand-ins, queued jobs) owns it, so the
// last reference is dropped on the RPC thread, which joins the apartment thread: the host does
// not exit before every Release queued there has run.
class ComHostStateWin32 final : public ComHostState {
 public:
  // Started on the first object, so that a host that serves no COM starts no thread.
  const std::shared_ptr<StaThread>& apartment() {
    if (apartment_ == nullptr) apartment_ = std::make_shared<StaThread>();
    return apartment_;
  }

 private:
  std::shared_ptr<StaThread> apartment_;

 public:
  // Every Dispatch capability this host hands out is made here, so that one coming back as an
  // argument can be recognised (getLocalServer) and unwrapped to its IDispatch.
  capnp::CapabilityServerSet<proto::Dispatch> servers;
  std::map<std::string, KeyedObject> keyed;  // Host::sharedComObject
};

// What every object of one connection shares: the way from the apartment back to this
// connection's RPC side (events), the log, and the host's COM state.
struct ComConnection {
  std::shared_ptr<LoopInbox> inbox;
  std::shared_ptr<spdlog::logger> logger;
  std::shared_ptr<ComHostStateWin32> state;
  // The client's objects this connection stood in for (RPC thread only): cleared when it
  // closes, so that stand-ins COM code keeps afterwards hold no capability.
  std::vector<std::weak_ptr<ClientLink>> clientLinks;
};

// What every capability the host makes for a COM object is: the object behind it, for when the
// client passes it back as an argument.
class HostObject : public proto::Dispatch::Server {
 public:
  virtual const std::shared_ptr<NativeObject>& native() const = 0;
};

// A COM object without IDispatch (a bare IUnknown), held for the client: it can pass it back
// to the host; calls on it answer Unimplemented.
class HeldUnknown final : public HostObject {
 public:
  explicit HeldUnknown(std::shared_ptr<NativeObject> object) : object_(std::move(object)) {}
  const std::shared_ptr<NativeObject>& native() const override { return object_; }

 private:
  std::shared_ptr<NativeObject> object_;
};

// Makes the stand-in for an object of the client (RPC thread).
using StandIn = std::function<std::shared_ptr<NativeObject>(proto::Dispatch::Client,
                                                            const std::string& where)>;

// Resolves every object the client passed (RPC thread): a capability this host made (any
// connection of it: one state, one apartment) is passed as its COM object itself, not as a
// proxy; any other is an object of the client, passed as a stand-in (`standIn`). A capability
// of this host living in another apartment, or a broken one, is refused, naming the argument.
kj::Promise<void> resolvePassed(std::shared_ptr<ComHostStateWin32> state,
                                std::vector<std::shared_ptr<PassedObject>> passed,
                                std::shared_ptr<StaThread> apartment, StandIn standIn) {
  if (passed.empty()) return kj::READY_NOW;
  auto promises = kj::heapArrayBuilder<kj::Promise<void>>(passed.size());
  for (auto& object : passed) {
    auto refuse = [object](const std::string& why) {
      throwAsKj(Error(ErrorKind::BadConfiguration,
                      object->where + ": the object is not one of this host's COM objects (" +
                          why + ")",
                      "pass an object created by the same Host (createComObject, "
                      "sharedComObject, or returned by one of its objects) and still held"));
    };
    auto client = object->capability.castAs<proto::Dispatch>();
    promises.add(state->servers.getLocalServer(client).then(
        [state, object, apartment, refuse, client, standIn](
            kj::Maybe<proto::Dispatch::Server&> server) mutable {
          KJ_IF_MAYBE(found, server) {
            auto* host = dynamic_cast<HostObject*>(found);
            if (host != nullptr && host->native()->apartment() == apartment) {
              object->target = host->native();
              return;
            }
            refuse("it lives in another apartment of this host");
          }
          object->target = standIn(kj::mv(client), object->where);
        },
        [refuse](kj::Exception&& exception) {
          refuse(std::string("the reference is broken: ") + exception.getDescription().cStr());
        }));
  }
  return kj::joinPromises(promises.finish());
}

class DispatchServer final : public HostObject {
 public:
  DispatchServer(std::shared_ptr<NativeObject> object, std::string className,
                 std::shared_ptr<ComConnection> connection)
      : object_(std::move(object)), className_(std::move(className)),
        connection_(std::move(connection)),
        wrap_([weak = std::weak_ptr<ComConnection>(connection_)](
                  const std::shared_ptr<ComObjectHandle>& handle, bool dispatch) {
          auto connection = weak.lock();
          if (connection == nullptr) {
            throw Error(ErrorKind::Disconnected,
                        "the connection of this object's client has closed",
                        "nothing to do: its client is gone");
          }
          return wrapObject(handle, dispatch, connection);
        }) {}

 protected:
  kj::Promise<void> invoke(InvokeContext context) override {
    auto params = context.getParams();
    auto call = std::make_shared<InvokeCall>();
    call->object = object_;
    call->className = className_;
    call->member = params.getName();
    call->kind = params.getKind();
    // Objects among the arguments are held as PassedObjects, resolved to this host's own
    // objects before the call goes to the apartment.
    std::vector<std::shared_ptr<PassedObject>> passed;
    std::string where;
    UnwrapComObject unwrap = [&passed, &where](capnp::Capability::Client object, bool) {
      auto held = std::make_shared<PassedObject>(kj::mv(object), where);
      passed.push_back(held);
      return std::shared_ptr<ComObjectHandle>(held);
    };
    try {
      unsigned i = 0;
      for (auto arg : params.getArgs()) {
        where = "argument " + std::to_string(++i) + " of " + call->member;
        call->args.push_back(variantFromWire(arg, unwrap, where));
      }
      for (auto arg : params.getNamedArgs()) {
        where = "named argument " + std::string(arg.getName()) + " of " + call->member;
        call->named.emplace_back(arg.getName(), variantFromWire(arg.getValue(), unwrap, where));
      }
    } catch (const Error& error) {
      throwAsKj(error);
    }
    auto apartment = object_->apartment();
    ClientObjectContext standIns{apartment, connection_->inbox, wrap_, connection_->logger,
                                 params.getAnswerTimeoutMs()};
    StandIn standIn = [connection = connection_, standIns](proto::Dispatch::Client client,
                                                           const std::string& where) {
      std::shared_ptr<ClientLink> link;
      auto made = standInForClientObject(kj::mv(client), standIns, where, link);
      auto& links = connection->clientLinks;
      links.erase(std::remove_if(links.begin(), links.end(),
                                 [](const std::weak_ptr<ClientLink>& l) { return l.expired(); }),
                  links.end());
      links.push_back(link);
      connection->logger->debug("{}: an object of the client, passed as a stand-in", where);
      return made;
    };
    return resolvePassed(connection_->state, std::move(passed), apartment, std::move(standIn))
        .then([apartment, call] { return apartment->run([call] { call->run(); }); })
        .then([context, call, wrap = wrap_, connection = connection_]() mutable {
      auto results = context.getResults();
      variantToWire(call->result, results.initResult(), wrap);
      auto byRef = results.initByRef(static_cast<unsigned>(call->byRef.size()));
      for (unsigned i = 0; i < call->byRef.size(); ++i) {
        variantToWire(call->byRef[i], byRef[i], wrap);
      }
    });
  }

  kj::Promise<void> getIdsOfNames(GetIdsOfNamesContext context) override {
    struct Lookup {
      std::shared_ptr<NativeObject> object;
      std::vector<std::wstring> names;
      std::vector<DISPID> ids;
      HRESULT result = S_OK;
    };
    auto lookup = std::make_shared<Lookup>();
    lookup->object = object_;
    for (auto name : context.getParams().getNames()) lookup->names.push_back(widen(name));
    return object_->apartment()->run([lookup] {
      std::vector<LPOLESTR> pointers;
      for (auto& n : lookup->names) pointers.push_back(&n[0]);
      lookup->ids.assign(pointers.size(), DISPID_UNKNOWN);
      lookup->result = static_cast<IDispatch*>(lookup->object->pointer())
                           ->GetIDsOfNames(IID_NULL, pointers.data(),
                                           static_cast<UINT>(pointers.size()),
                                           LOCALE_USER_DEFAULT, lookup->ids.data());
    }).then([context, lookup, this]() mutable {
      if (FAILED(lookup->result) && lookup->result != DISP_E_UNKNOWNNAME) {
        EXCEPINFO none{};
        throwAsKj(invokeError(lookup->result, none, 0, 0, className_, "GetIDsOfNames"));
      }
      // Unknown names come back as DISPID_UNKNOWN (-1), as IDispatch reports them.
      auto ids = context.getResults().initIds(static_cast<unsigned>(lookup->ids.size()));
      for (unsigned i = 0; i < lookup->ids.size(); ++i) ids.set(i, lookup->ids[i]);
    });
  }

  kj::Promise<void> enumerate(EnumerateContext context) override {
    struct Enumeration {
      std::shared_ptr<NativeObject> object;
      std::string className;
      uint32_t limit = 0;
      std::vector<ComVariant> items;
    };
    auto e = std::make_shared<Enumeration>();
    e->object = object_;
    e->className = className_;
    e->limit = context.getParams().getLimit();
    return object_->apartment()->run([e] {
      auto* dispatch = static_cast<IDispatch*>(e->object->pointer());
      DISPPARAMS none{};
      VARIANT answer;
      ::VariantInit(&answer);
      EXCEPINFO exception{};
      UINT argumentError = 0;
      HRESULT hr = dispatch->Invoke(DISPID_NEWENUM, IID_NULL, LOCALE_USER_DEFAULT,
                                    DISPATCH_METHOD | DISPATCH_PROPERTYGET, &none, &answer,
                                    &exception, &argumentError);
      if (FAILED(hr)) {
        Error error = invokeError(hr, exception, 0, 0, typeName(dispatch, e->className),
                                  "_NewEnum");
        throw Error(ErrorKind::Remote, error.message() + ": the object is not a collection",
                    "enumerate collections only (classes with a _NewEnum member)");
      }
      IEnumVARIANT* items = nullptr;
      IUnknown* unknown = (V_VT(&answer) == VT_UNKNOWN || V_VT(&answer) == VT_DISPATCH)
                              ? V_UNKNOWN(&answer) : nullptr;
      if (unknown == nullptr ||
          FAILED(unknown->QueryInterface(IID_IEnumVARIANT, reinterpret_cast<void**>(&items)))) {
        ::VariantClear(&answer);
        throw Error(ErrorKind::Remote,
                    typeName(dispatch, e->className) + "._NewEnum returned no IEnumVARIANT",
                    "the class's enumerator is not an automation one");
      }
      ::VariantClear(&answer);
      uint32_t limit = e->limit == 0 ? kMaxEnumeratedItems : e->limit;
      try {
        for (;;) {
          if (e->items.size() >= limit) {
            if (e->limit == 0) {
              throw Error(ErrorKind::Overloaded,
                          "the enumeration goes past " + std::to_string(kMaxEnumeratedItems) +
                              " items",
                          "pass a limit and enumerate in parts, or use the collection's Item");
            }
            break;
          }
          VARIANT item;
          ::VariantInit(&item);
          ULONG fetched = 0;
          HRESULT next = items->Next(1, &item, &fetched);
          if (next != S_OK || fetched == 0) {
            ::VariantClear(&item);
            break;
          }
          try {
            e->items.push_back(fromNative(item, e->object->apartment()));
          } catch (...) {
            ::VariantClear(&item);
            throw;
          }
          ::VariantClear(&item);
        }
      } catch (...) {
        items->Release();
        throw;
      }
      items->Release();
    }).then([context, e, wrap = wrap_]() mutable {
      auto list = context.getResults().initItems(static_cast<unsigned>(e->items.size()));
      for (unsigned i = 0; i < e->items.size(); ++i) variantToWire(e->items[i], list[i], wrap);
    });
  }

  kj::Promise<void> className(ClassNameContext context) override {
    auto name = std::make_shared<std::string>(className_);
    auto object = object_;
    return object_->apartment()->run([object, name] {
      *name = typeName(static_cast<IDispatch*>(object->pointer()), *name);
    }).then([context, name]() mutable { context.getResults().setName(*name); });
  }

  kj::Promise<void> advise(AdviseContext context) override {
    auto params = context.getParams();
    return adviseEvents(object_, className_, params.getSink(), params.getInterfaceId(),
                        params.getAnswerTimeoutMs(), connection_->inbox, wrap_,
                        connection_->logger)
        .then([context](Advised advised) mutable {
          auto results = context.getResults();
          results.setConnection(kj::mv(advised.connection));
          results.setInterfaceId(advised.interfaceId);
          results.setInterfaceName(advised.interfaceName);
        });
  }

 public:
  // Makes the capability for an object a call returned (RPC thread).
  static capnp::Capability::Client wrapObject(const std::shared_ptr<ComObjectHandle>& handle,
                                              bool dispatch,
                                              const std::shared_ptr<ComConnection>& connection) {
    auto native = std::dynamic_pointer_cast<NativeObject>(handle);
    if (dispatch && native->isDispatch()) {
      return connection->state->servers.add(
          kj::heap<DispatchServer>(native, std::string("object"), connection));
    }
    return connection->state->servers.add(kj::heap<HeldUnknown>(native));
  }

  const std::shared_ptr<NativeObject>& native() const override { return object_; }

 private:
  std::shared_ptr<NativeObject> object_;
  std::string className_;  // what the client asked for (ProgID/CLSID), or "object"
  std::shared_ptr<ComConnection> connection_;
  // Objects in results and events become DispatchServers of connection_. It holds the
  // connection weakly: copies live in event sinks and client-object stand-ins, which COM code
  // keeps in the apartment, and an owning reference from there (connection -> host state ->
  // apartment) would keep the apartment thread from being joined when the host exits, so the
  // Releases queued there could be cut short by the process exit.
  WrapComObject wrap_;
};

// How the class is found: in the registry view of this host's bitness, or in a DLL file.
struct Activation {
  std::string classId;
  std::string path;  // empty: registered
  IDispatch* dispatch = nullptr;  // owned; taken by a NativeObject on the RPC thread

  std::string bits() const { return std::to_string(sizeof(void*) * 8) + "-bit"; }

  CLSID parseClsid() const {
    CLSID clsid{};
    std::wstring wide = widen(classId);
    if (!classId.empty() && classId.front() == '{') {
      if (FAILED(::CLSIDFromString(wide.c_str(), &clsid))) {
        throw Error(ErrorKind::BadConfiguration, "'" + classId + "' is not a CLSID",
                    "write it as {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}");
      }
      return clsid;
    }
    if (!path.empty()) return classIdFromTypeLibrary(path, classId);  // "Project.Class"
    HRESULT hr = ::CLSIDFromProgID(wide.c_str(), &clsid);
    if (FAILED(hr)) {
      throw Error(ErrorKind::NotFound,
                  "no COM class '" + classId + "' is registered in the " + bits() +
                      " registry view (" + hresultText(hr) + ")",
                  "register the DLL with the regsvr32 of its bitness, spawn the host of the "
                  "class's bitness (HostOptions::arch), or create it from its file with its CLSID");
    }
    return clsid;
  }

  // In the apartment.
  void run() {
    CLSID clsid = parseClsid();
    HRESULT hr = S_OK;
    if (path.empty()) {
      hr = ::CoCreateInstance(clsid, nullptr, CLSCTX_INPROC_SERVER, IID_IDispatch,
                              reinterpret_cast<void**>(&dispatch));
      if (hr == REGDB_E_CLASSNOTREG) {
        throw Error(ErrorKind::NotFound,
                    "COM class " + classId + " has no in-process server registered in the " +
                        bits() + " registry view (" + hresultText(hr) + ")",
                    "spawn the host of the DLL's bitness (HostOptions::arch), register it with "
                    "that bitness's regsvr32, or create it from its file");
      }
    } else {
      // Never unloaded, like components: instances may outlive any one client's objects.
      HMODULE module = loadDllExplainingFailure(path, "ActiveX DLL").module;
      using GetClassObject = HRESULT(STDAPICALLTYPE*)(REFCLSID, REFIID, void**);
      auto entry = reinterpret_cast<GetClassObject>(
          reinterpret_cast<void*>(::GetProcAddress(module, "DllGetClassObject")));
      if (entry == nullptr) {
        throw Error(ErrorKind::BadConfiguration,
                    path + " is not an in-process COM server: it exports no DllGetClassObject",
                    "pass an ActiveX DLL (bitbridge inspect lists a DLL's exports)");
      }
      IClassFactory* factory = nullptr;
      hr = entry(clsid, IID_IClassFactory, reinterpret_cast<void**>(&factory));
      if (hr == CLASS_E_CLASSNOTAVAILABLE) {
        throw Error(ErrorKind::NotFound,
                    path + " does not offer COM class " + classId + " (" + hresultText(hr) + ")",
                    "check the CLSID against the DLL's type library");
      }
      if (SUCCEEDED(hr)) {
        hr = factory->CreateInstance(nullptr, IID_IDispatch, reinterpret_cast<void**>(&dispatch));
        factory->Release();
      }
    }
    if (hr == E_NOINTERFACE) {
      throw Error(ErrorKind::BadConfiguration,
                  "COM class " + classId + " has no IDispatch, so it cannot be called by name",
                  "late binding needs an automation (dual or dispatch) class");
    }
    if (FAILED(hr) || dispatch == nullptr) {
      throw Error(ErrorKind::BadConfiguration,
                  "cannot create COM class " + classId + (path.empty() ? "" : " from " + path) +
                      ": " + hresultText(hr),
                  "check the class's own requirements (licence, dependencies, registration)");
    }
  }
};

// Creates class `classId` (from `path` if not empty) in `apartment` (RPC thread).
kj::Promise<std::shared_ptr<NativeObject>> activate(std::shared_ptr<StaThread> apartment,
                                                    const std::string& classId,
                                                    const std::string& path,
                                                    std::shared_ptr<spdlog::logger> logger) {
  auto activation = std::make_shared<Activation>();
  activation->classId = classId;
  activation->path = path;
  return apartment->run([activation] { activation->run(); })
      .then([activation, apartment, logger] {
        logger->info("created COM object {}{}", activation->classId,
                     activation->path.empty() ? std::string() : " from " + activation->path);
        return std::make_shared<NativeObject>(activation->dispatch, true, apartment);
      });
}

// The object kept for `key`, created by the first call (RPC thread). Callers that arrive while
// it is being created wait for that creation rather than making a second object.
kj::Promise<std::shared_ptr<NativeObject>> keyedObject(std::shared_ptr<ComHostStateWin32> state,
                                                       const std::string& key,
                                                       const std::string& classId,
                                                       const std::string& path,
                                                       std::shared_ptr<spdlog::logger> logger) {
  auto found = state->keyed.find(key);
  if (found != state->keyed.end() && found->second.failed) {
    state->keyed.erase(found);  // not inside its own creation: that has ended
    found = state->keyed.end();
  }
  if (found != state->keyed.end()) {
    KeyedObject& entry = found->second;
    if (lowerAscii(entry.classId) != lowerAscii(classId) || entry.path != path) {
      throwAsKj(Error(ErrorKind::BadConfiguration,
                      "the shared COM object '" + key + "' is a " + entry.classId +
                          (entry.path.empty() ? "" : " from " + entry.path) + ", not a " +
                          classId + (path.empty() ? "" : " from " + path),
                      "use another key for another class (keys are per host)"));
    }
    if (entry.object != nullptr) return entry.object;
    KJ_IF_MAYBE(creating, entry.creating) {
      return creating->addBranch().then([state, key, classId, path, logger] {
        return keyedObject(state, key, classId, path, logger);
      });
    }
  }
  if (state->keyed.size() >= kMaxKeyedObjects) {
    throwAsKj(Error(ErrorKind::Overloaded,
                    "this host keeps " + std::to_string(kMaxKeyedObjects) +
                        " shared COM objects already",
                    "reuse keys (each object lives until the host exits)"));
  }
  KeyedObject& entry = state->keyed[key];
  entry.classId = classId;
  entry.path = path;
  auto created = activate(state->apartment(), classId, path, logger)
                     .then(
                         [state, key](std::shared_ptr<NativeObject> object) {
                           state->keyed[key].object = std::move(object);
                         },
                         [state, key](kj::Exception&& exception) {
                           state->keyed[key].failed = true;
                           kj::throwFatalException(kj::mv(exception));
                         })
                     .fork();
  auto mine = created.addBranch();
  entry.creating = kj::mv(created);
  return mine.then([state, key] { return state->keyed[key].object; });
}

class ComHostWin32 final : public ComHost {
 public:
  ComHostWin32(std::shared_ptr<spdlog::logger> logger, std::shared_ptr<ComHostStateWin32> state)
      : connection_(std::make_shared<ComConnection>()) {
    connection_->logger = std::move(logger);
    connection_->state = std::move(state);
    connection_->inbox = std::make_shared<LoopInbox>();
    inboxServed_ = connection_->inbox->serve().eagerlyEvaluate([logger = connection_->logger](
                                                                   kj::Exception&& exception) {
      logger->error("COM event delivery stopped: {}", exception.getDescription().cStr());
    });
  }
  ~ComHostWin32() noexcept override {
    // The client's objects first: stand-ins that COM code keeps answer RPC_E_DISCONNECTED from
    // now on, and release nothing off this thread. Then the serving promise (it refers to the
    // inbox), then refuse what apartments post later: an event fired now is dropped and its
    // apartment stops waiting.
    for (auto& weak : connection_->clientLinks) {
      if (auto link = weak.lock()) link->object = nullptr;
    }
    connection_->clientLinks.clear();
    inboxServed_ = nullptr;
    connection_->inbox->close();
  }

  kj::Promise<capnp::Capability::Client> create(const std::string& classId,
                                                const std::string& path,
                                                const std::string& key) override {
    auto state = connection_->state;
    try {
      if (key.size() > kMaxKeyLength) {
        throw Error(ErrorKind::BadConfiguration,
                    "a shared COM object's key of " + std::to_string(key.size()) +
                        " bytes (at most " + std::to_string(kMaxKeyLength) + ")",
                    "use a shorter key");
      }
      // Before anything is loaded: the usual clear error for a DLL of the other bitness.
      if (!path.empty()) requireHostable(path, currentArch(), BinaryRole::LegacyLibrary);
      state->apartment();  // started here, where its failure is reported as an Error
    } catch (const Error& error) {
      throwAsKj(error);
    }
    auto connection = connection_;
    auto made = key.empty() ? activate(state->apartment(), classId, path, connection->logger)
                            : keyedObject(state, key, classId, path, connection->logger);
    return made.then([connection, classId](std::shared_ptr<NativeObject> object)
                         -> capnp::Capability::Client {
      return connection->state->servers.add(
          kj::heap<DispatchServer>(std::move(object), classId, connection));
    });
  }

 private:
  std::shared_ptr<ComConnection> connection_;
  kj::Maybe<kj::Promise<void>> inboxServed_;  // runs what the apartment posts (events)
};

}  // namespace

std::shared_ptr<ComHostState> makeComHostState() { return std::make_shared<ComHostStateWin32>(); }

std::unique_ptr<ComHost> makeComHost(std::shared_ptr<spdlog::logger> logger,
                                     std::shared_ptr<ComHostState> state) {
  if (state == nullptr) state = makeComHostState();
  return std::make_unique<ComHostWin32>(std::move(logger),
                                        std::static_pointer_cast<ComHostStateWin32>(state));
}

}  // namespace bitbridge
