// In-process COM objects (ActiveX DLLs, VB6 classes, Scripting.Dictionary...) created in a host
// of their bitness and called by late binding (IDispatch), from a client of either bitness.
//
//   bitbridge::HostOptions options;
//   options.arch = bitbridge::Arch::x86;                    // the DLL's bitness (or legacyLibrary)
//   auto host = bitbridge::Host::spawn(runtime, options);
//   bitbridge::ComObject dict = host.createComObject("Scripting.Dictionary");
//   dict.call("Add", {"a", 1});
//   int64_t n = dict.get("Count").asInt();
//   for (const auto& key : dict.enumerate()) ...
//
// Windows hosts only (a Linux host answers Unimplemented). The schema on the wire is
// schemas/bitbridge/com.capnp. Threading and lifetime: a ComObject belongs to the thread of the
// Host it came from and must not outlive that Host, nor be used after the Host was moved (it
// keeps a pointer to it). Releasing the last copy of a ComObject releases the COM object in the
// host (on its apartment thread).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <capnp/capability.h>

#include "bitbridge/detail/capnp_schema.h"
#include "bitbridge/export.h"

namespace bitbridge {

class Host;
class ComObject;

/// Which alternative a ComVariant holds: the automation types of a VARIANT.
enum class VariantType : uint8_t {
  Empty, Null, I1, I2, I4, I8, UI1, UI2, UI4, UI8, R4, R8, Currency, Date, Decimal, Bool,
  BStr, Error, Missing, Array, Object, Unknown, Nothing, Record,
};

/// Stable name of a VariantType ("i4", "bstr", ...), for messages.
BITBRIDGE_API const char* variantTypeName(VariantType type);

/// VT_DECIMAL: a 96-bit magnitude divided by 10^scale.
struct ComDecimal {
  uint8_t scale = 0;
  bool negative = false;
  uint32_t hi32 = 0;
  uint64_t lo64 = 0;
};

/// One dimension of a SAFEARRAY.
struct ComBound {
  int32_t lower = 0;
  uint32_t count = 0;
};

/// Something that holds an object reference inside a ComVariant: the client's ComObject, or the
/// host's COM pointer. Opaque to users; destroyed when the last ComVariant holding it goes.
class BITBRIDGE_API ComObjectHandle {
 public:
  virtual ~ComObjectHandle();
};

struct ComSafeArray;
struct ComRecord;
class ComVariant;

/// How a member is invoked (IDispatch::Invoke's wFlags).
enum class InvokeKind : uint8_t { Method, PropertyGet, PropertyPut, PropertyPutRef };

/// A call COM code made on an object of this process (ComVariant::clientObject).
struct ComCall {
  std::string name;  ///< the member, as the handler's names spell it ("" = the default member)
  InvokeKind kind = InvokeKind::Method;
  /// The arguments, first first (a property put's value last). The handler may change them:
  /// those the caller passed by reference get the new values.
  std::vector<ComVariant> args;
};

/// Answers calls on an object of this process passed to COM code: returns the call's result
/// (an empty ComVariant for a Sub). Runs on the Host's thread, inside whatever wait it is in
/// (as ComEventHandler); it must not wait itself. The host's apartment waits for it (up to
/// HostOptions::comAnswerTimeout, then the COM caller gets RPC_E_TIMEOUT); an exception it throws
/// is logged here and reaches the COM caller as DISP_E_EXCEPTION with its message. Objects in
/// what it answers are not carried (the caller gets DISP_E_EXCEPTION saying so).
using ComCallHandler = std::function<ComVariant(ComCall& call)>;

/// A VARIANT by value: plain data copied, strings as exact UTF-16, arrays with their element
/// type and bounds, records (VB6 Types, ComRecord) with their fields, objects by reference
/// (ComObject).
class BITBRIDGE_API ComVariant {
 public:
  ComVariant() = default;  // VT_EMPTY
  ComVariant(int32_t value) : type_(VariantType::I4), int_(value) {}
  ComVariant(int64_t value) : type_(VariantType::I8), int_(value) {}
  ComVariant(double value) : type_(VariantType::R8), real_(value) {}
  ComVariant(bool value) : type_(VariantType::Bool), int_(value ? 1 : 0) {}
  /// UTF-8 text as a BSTR (throws Error BadConfiguration for text that is not UTF-8).
  ComVariant(const char* text);
  ComVariant(const std::string& text);
  ComVariant(std::u16string units) : type_(VariantType::BStr), units_(std::move(units)) {}
  /// NUL-terminated UTF-16 text (u"text") as a BSTR; a null pointer is an empty BSTR. Without
  /// this, u"text" would silently become a bool.
  ComVariant(const char16_t* units)
      : type_(VariantType::BStr), units_(units != nullptr ? std::u16string(units) : std::u16string()) {}
  /// Any other pointer would convert to bool: refused at compile time.
  template <typename T>
  ComVariant(const T*) = delete;
  ComVariant(ComSafeArray array);
  ComVariant(ComRecord record);
  ComVariant(const ComObject& object);

  static ComVariant null();
  static ComVariant missing();  ///< an optional argument left out (DISP_E_PARAMNOTFOUND)
  static ComVariant nothing();  ///< VB6 Nothing (a null object)
  static ComVariant error(int32_t scode);
  /// Integers of a given width (VariantType I1..UI8); the value must fit (else BadConfiguration).
  static ComVariant integer(VariantType type, int64_t value);
  static ComVariant unsignedInteger(uint64_t value);  ///< VT_UI8
  static ComVariant single(float value);
  static ComVariant currency(int64_t scaledBy10000);
  static ComVariant date(double oleDate);
  static ComVariant decimal(ComDecimal value);
  /// Internal: an object reference held by `handle` (VariantType Object or Unknown).
  static ComVariant object(std::shared_ptr<ComObjectHandle> handle, bool dispatch = true);
  /// An object of this process, to pass as an argument (VB6's `ByVal Sink As Object`): COM
  /// code calls it by name, during the call it is passed to or later, and `handler` answers on
  /// the Host's thread (see ComCallHandler). `names`: the members it answers (compared as VB
  /// does, ignoring ASCII case); COM code asking for another gets DISP_E_UNKNOWNNAME. It is
  /// released when both this process and the COM code have let go of it.
  static ComVariant clientObject(std::vector<std::string> names, ComCallHandler handler);

  VariantType type() const { return type_; }
  bool isEmpty() const { return type_ == VariantType::Empty; }
  /// Any integer type, Bool (0/1), Currency (truncated), Error (the SCODE); else BadConfiguration
  /// naming the type held.
  int64_t asInt() const;
  uint64_t asUInt64() const;  ///< UI8 exactly; other integers as asInt()
  double asDouble() const;    ///< R4, R8, Date, any integer
  bool asBool() const;
  /// Currency exactly: the value times 10,000 (CY.int64).
  int64_t currencyScaled() const;
  /// The BSTR's exact UTF-16 code units (embedded NULs kept).
  const std::u16string& bstr() const;
  /// The BSTR as UTF-8, up to an embedded NUL if any.
  std::string text() const;
  const ComSafeArray& array() const;
  /// The record (VariantType Record); throws BadConfiguration for anything else.
  const ComRecord& record() const;
  const ComDecimal& decimal() const;
  /// The object (VariantType Object), callable; throws BadConfiguration for anything else.
  ComObject asObject() const;
  const std::shared_ptr<ComObjectHandle>& objectHandle() const { return object_; }
  /// A short description for messages and tests: "i4 42", "bstr \"a\"", "array(12)[3]".
  std::string describe() const;

 private:
  VariantType type_ = VariantType::Empty;
  int64_t int_ = 0;
  uint64_t uint_ = 0;
  double real_ = 0;
  std::u16string units_;
  ComDecimal decimal_;
  std::shared_ptr<ComSafeArray> array_;
  std::shared_ptr<ComRecord> record_;
  std::shared_ptr<ComObjectHandle> object_;
};

/// One field of a ComRecord.
struct ComRecordField {
  std::string name;  ///< "" when passing: by position; records the host returns name them all
  ComVariant value;
};

/// VT_RECORD: a VB6 `Type` (an IDL struct of the object's type library), by value. To pass one,
/// give its name and every field in the order the library declares them (a nested record is a
/// ComRecord in turn, a dynamic array field a ComSafeArray); the host lays it out as the library
/// says, converts each field to the field's type, and refuses a wrong field count, a value that
/// does not convert, or a record its library does not declare, naming the record and the field.
/// A method's ByRef record parameter comes back changed in ComInvokeResult::byRef.
///
///   bitbridge::ComRecord point{"", "", "Point", {{"X", 1}, {"Y", 2.5}, {"Name", "a"}}};
///   auto moved = sample.invoke("MovePoint", bitbridge::InvokeKind::Method, {point, 10});
///   int64_t x = moved.byRef[0].record().field("X").asInt();
struct BITBRIDGE_API ComRecord {
  /// "{LIBID} major.minor" of the library declaring it; empty: the called object's own library.
  std::string typeLibrary;
  std::string guid;  ///< "{GUID}" of the record; empty: found by name
  std::string name;
  std::vector<ComRecordField> fields;
  /// The field named `fieldName` (case-insensitive, as VB); throws NotFound naming the record.
  const ComVariant& field(const std::string& fieldName) const;
  ComVariant& field(const std::string& fieldName);
};

/// VT_ARRAY: elements in SafeArray order (column-major: the first index varies fastest).
/// An array of records (VB6's `Points() As Point`, elementType 36 = VT_RECORD) names its record
/// in `recordType` (type library, GUID, name; no fields) and holds ComRecords of that type, which
/// may leave their own library, GUID and name empty; the host lays each out as the library says
/// and refuses an element of another record type, naming its index.
///
///   auto points = bitbridge::ComSafeArray::ofRecords({"", "", "Point", {}}, {p1, p2}, 1);
///   auto scaled = sample.invoke("ScalePoints", bitbridge::InvokeKind::Method, {points, 3});
///   const auto& back = scaled.byRef[0].array();  // bounds kept: back.bounds[0].lower == 1
struct BITBRIDGE_API ComSafeArray {
  uint16_t elementType = 12;  // VT_VARIANT
  std::vector<ComBound> bounds;
  std::vector<ComVariant> elements;
  /// For elementType 36 (VT_RECORD): which record the elements are (no fields).
  ComRecord recordType;
  /// A one-dimensional array of VARIANTs with lower bound 0, as VB6's Array(...) makes.
  static ComSafeArray ofVariants(std::vector<ComVariant> elements);
  /// A one-dimensional array of records of type `type` (its fields ignored), from index `lower`.
  static ComSafeArray ofRecords(ComRecord type, std::vector<ComRecord> elements,
                                int32_t lower = 0);
};

struct ComInvokeResult {
  ComVariant result;
  /// One per positional argument: its value after the call (what a ByRef parameter wrote back).
  std::vector<ComVariant> byRef;
};

/// One event a COM object fired through a connection point (ComObject::advise).
struct ComEvent {
  int32_t dispid = 0;
  /// The event's name from the event interface's type information ("" when there is none).
  std::string name;
  /// The arguments, first first. A handler may change those the source passes by reference
  /// (VB6's default ByRef, e.g. `Cancel As Boolean`): the changed values go back to the source.
  std::vector<ComVariant> args;
};

/// Receives events. Called on the Host's thread, from inside whatever wait that thread is in
/// (Host::wait on any call, or Host::waitUntil), one event at a time, in the order fired. The
/// host's apartment waits for the handler (so by-reference arguments come back), hence a handler
/// should be short. It must not wait itself (no Host::wait and no synchronous ComObject call:
/// Cap'n Proto's event loop does not nest); record what happened, or send calls without
/// waiting. An exception it throws is reported to the host (logged there) and not to the
/// source.
using ComEventHandler = std::function<void(ComEvent& event)>;

/// An event connection (ComObject::advise). Copies share it; unadvise() or dropping the last
/// copy disconnects (dropping: the host unadvises soon after, without waiting). Must not outlive
/// the Host.
class BITBRIDGE_API ComEventConnection {
 public:
  ComEventConnection() = default;
  /// Disconnects now: no event is delivered after this returns. Idempotent.
  void unadvise();
  bool connected() const { return connection_ != nullptr; }
  /// The event interface connected: "{IID}" and its name (the IID when it has no type info).
  const std::string& interfaceId() const { return interfaceId_; }
  const std::string& interfaceName() const { return interfaceName_; }

 private:
  friend class ComObject;
  Host* host_ = nullptr;
  // Held by pointer: Client's copy constructor takes a non-const reference, which clang will not
  // pair with std::optional's const one (GCC lets it pass until a copy is made).
  std::shared_ptr<capnp::Capability::Client> connection_;
  std::string interfaceId_;
  std::string interfaceName_;
};

/// A COM object in a host, called by name through IDispatch. Copies share the object.
/// Errors: bitbridge::Error, Remote for what the object raised (the message names the class,
/// member, source, description, help context and HRESULT) and for DISP_E_MEMBERNOTFOUND,
/// DISP_E_BADPARAMCOUNT, DISP_E_TYPEMISMATCH... named as such.
class BITBRIDGE_API ComObject {
 public:
  ComObject(Host& host, capnp::Capability::Client object);

  /// Calls method `name` ("" = the default member) with positional and named arguments.
  ComVariant call(const std::string& name, std::vector<ComVariant> args = {},
                  std::vector<std::pair<std::string, ComVariant>> named = {});
  /// Reads property `name` (with index arguments, e.g. Item(key)).
  ComVariant get(const std::string& name, std::vector<ComVariant> args = {});
  /// Writes property `name` (index arguments first, then the value).
  void put(const std::string& name, ComVariant value, std::vector<ComVariant> args = {});
  /// Set obj.name = object.
  void putRef(const std::string& name, ComVariant value, std::vector<ComVariant> args = {});
  /// The general form: the result and every argument's value after the call (ByRef write-back).
  ComInvokeResult invoke(const std::string& name, InvokeKind kind, std::vector<ComVariant> args,
                         std::vector<std::pair<std::string, ComVariant>> named = {});
  /// DISPIDs of a member and its parameter names.
  std::vector<int32_t> idsOfNames(const std::vector<std::string>& names);
  /// Every item of the collection (For Each: _NewEnum, IEnumVARIANT), at most `limit` (0: all).
  std::vector<ComVariant> enumerate(uint32_t limit = 0);
  /// The class name the host knows the object by (for messages).
  std::string className();
  /// Connects `handler` to the object's events (IConnectionPointContainer): the event
  /// interface `interfaceId` ("{IID}"), or by default the class's default source interface
  /// (from IProvideClassInfo or its type library). Events are delivered while the connection
  /// lives, see ComEventHandler. Throws Error: BadConfiguration (the class has no connection
  /// points, or names no default event interface: pass its IID), NotFound (no connection point
  /// for that interface), Remote (the object refused the sink).
  ComEventConnection advise(ComEventHandler handler, const std::string& interfaceId = {});
  /// Early-bound events: connects `handler`, a server of an event interface `bitbridge
  /// import-typelib` wrote (the library's source dispinterface, e.g. SampleEvents for VB6's
  /// `Event Renaming(ByVal NewName As String, Cancel As Boolean)`), to the object's connection
  /// point for that interface ($Com.iid). Each event calls the handler's method of its DISPID
  /// ($Com.dispid) with the event's arguments as the method's params, on the Host's thread as
  /// ComEventHandler runs (one at a time, in order; the method may return a promise: the host's
  /// apartment waits for it, up to HostOptions::comAnswerTimeout). A ByRef parameter is also
  /// in the method's results: what the method sets there goes back to the source (VB6's
  /// `Cancel = True`); a results field left at its default (0, false, unset) leaves the
  /// source's value as it was. A method that throws (or rejects) fails the source's call to
  /// the sink with DISP_E_EXCEPTION carrying its description, and is logged here. Throws as
  /// the late-bound advise does, and BadConfiguration for an interface without $Com.iid.
  ///
  ///   class Handler final : public SampleEvents::Server {
  ///     kj::Promise<void> renaming(RenamingContext context) override {
  ///       if (context.getParams().getNewName() == "forbidden") context.getResults().setCancel(true);
  ///       return kj::READY_NOW;
  ///     }
  ///   };
  ///   auto connection = sample.advise<SampleEvents>(kj::heap<Handler>());
  ComEventConnection advise(capnp::InterfaceSchema events, capnp::Capability::Client handler);
  template <typename Events>
  ComEventConnection advise(typename Events::Client handler) {
    return advise(capnp::Schema::from<Events>().asInterface(), kj::mv(handler));
  }
  /// Early binding: this object through `schema`, an interface `bitbridge import-typelib`
  /// wrote for its dispatch interface. Calls on the capability are turned, in this process,
  /// into the same late-bound calls as invoke() (by the schema's $Com annotations: COM name,
  /// property get/put, VARTYPEs, ByRef parameters read back), so the host needs nothing more;
  /// results of an interface type of the library are typed in turn. Wait on calls with
  /// Host::wait as usual. Throws BadConfiguration for an interface without $Com.iid.
  capnp::Capability::Client typed(capnp::InterfaceSchema schema) const;
  template <typename Interface>
  typename Interface::Client as() const {
    return typed(capnp::Schema::from<Interface>().asInterface()).template castAs<Interface>();
  }
  /// The Cap'n Proto capability (bitbridge::proto::Dispatch, bitbridge/com.capnp.h).
  capnp::Capability::Client capability() const;

 private:
  /// Advises `sink` (an EventSink server of this process) on `interfaceId`.
  ComEventConnection connectSink(capnp::Capability::Client sink, const std::string& interfaceId);

  Host* host_;
  std::shared_ptr<ComObjectHandle> handle_;
  friend class ComVariant;
};

}  // namespace bitbridge
