#include "host/com/com_record-win32.h"

#include <oleauto.h>

#include <cctype>
#include <cstring>
#include <vector>

#include "bitbridge/error.h"
#include "common/com_variant_wire.h"
#include "common/platform/com_errors-win32.h"
#include "common/platform/text-win32.h"
#include "host/com/com_native-win32.h"
#include "host/com/type_text-win32.h"

namespace bitbridge {
namespace {

// Releases a COM reference at the end of a scope.
template <typename T>
struct Held {
  T* pointer = nullptr;
  Held() = default;
  explicit Held(T* owned) : pointer(owned) {}
  Held(const Held&) = delete;
  Held& operator=(const Held&) = delete;
  ~Held() {
    if (pointer != nullptr) pointer->Release();
  }
  T* operator->() const { return pointer; }
};

// A TYPEATTR for the length of a scope.
struct Attributes {
  ITypeInfo* info;
  TYPEATTR* attributes = nullptr;
  explicit Attributes(ITypeInfo* info) : info(info) {
    if (FAILED(info->GetTypeAttr(&attributes))) attributes = nullptr;
  }
  Attributes(const Attributes&) = delete;
  Attributes& operator=(const Attributes&) = delete;
  ~Attributes() {
    if (attributes != nullptr) info->ReleaseTypeAttr(attributes);
  }
  TYPEATTR* operator->() const { return attributes; }
  explicit operator bool() const { return attributes != nullptr; }
};

// A VARDESC for the length of a scope.
struct Field {
  ITypeInfo* info;
  VARDESC* var = nullptr;
  Field(ITypeInfo* info, UINT index) : info(info) {
    if (FAILED(info->GetVarDesc(index, &var))) var = nullptr;
  }
  Field(const Field&) = delete;
  Field& operator=(const Field&) = delete;
  ~Field() {
    if (var != nullptr) info->ReleaseVarDesc(var);
  }
};

bool isNullGuid(const GUID& guid) {
  static const GUID none{};
  return std::memcmp(&guid, &none, sizeof(GUID)) == 0;
}

// "{LIBID} major.minor" of a library.
std::string libraryText(ITypeLib* library) {
  TLIBATTR* attributes = nullptr;
  if (library == nullptr || FAILED(library->GetLibAttr(&attributes))) return {};
  std::string out = guidText(attributes->guid) + " " + std::to_string(attributes->wMajorVerNum) +
                    "." + std::to_string(attributes->wMinorVerNum);
  library->ReleaseTLibAttr(attributes);
  return out;
}

std::string containingLibraryText(ITypeInfo* info) {
  ITypeLib* library = nullptr;
  UINT index = 0;
  if (FAILED(info->GetContainingTypeLib(&library, &index)) || library == nullptr) return {};
  std::string out = libraryText(library);
  library->Release();
  return out;
}

GUID parseGuid(const std::string& text, const std::string& where, const std::string& what) {
  GUID guid{};
  std::wstring wide = widen(text);
  if (text.size() != 38 || text.front() != '{' || FAILED(::IIDFromString(wide.c_str(), &guid))) {
    throw Error(ErrorKind::BadConfiguration,
                where + ": " + what + " '" + text + "' is not a GUID",
                "write it as {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}, or leave it empty");
  }
  return guid;
}

// "{LIBID} major.minor" (the $Com.typeLibrary annotation's form).
struct LibraryId {
  GUID guid{};
  unsigned major = 0, minor = 0;
};

LibraryId parseLibrary(const std::string& text, const std::string& where) {
  auto bad = [&] {
    return Error(ErrorKind::BadConfiguration,
                 where + ": the type library '" + text + "' is not \"{LIBID} major.minor\"",
                 "write it as the $Com.typeLibrary annotation import-typelib writes, or leave it "
                 "empty for the called object's own library");
  };
  size_t space = text.find(' ');
  if (space == std::string::npos) throw bad();
  LibraryId id;
  id.guid = parseGuid(text.substr(0, space), where, "the type library's LIBID");
  std::string version = text.substr(space + 1);
  size_t dot = version.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == version.size() || dot > 5 ||
      version.size() - dot - 1 > 5) {
    throw bad();
  }
  for (size_t i = 0; i < version.size(); ++i) {
    if (i != dot && !std::isdigit(static_cast<unsigned char>(version[i]))) throw bad();
  }
  id.major = static_cast<unsigned>(std::stoul(version.substr(0, dot)));
  id.minor = static_cast<unsigned>(std::stoul(version.substr(dot + 1)));
  if (id.major > 0xFFFF || id.minor > 0xFFFF) throw bad();
  return id;
}

// VB6's name of a field type, for messages.
std::string typeText(VARTYPE vt) {
  switch (vt) {
    case VT_I2: return "Integer";
    case VT_I4: case VT_INT: return "Long";
    case VT_R4: return "Single";
    case VT_R8: return "Double";
    case VT_CY: return "Currency";
    case VT_DATE: return "Date";
    case VT_BSTR: return "String";
    case VT_BOOL: return "Boolean";
    case VT_VARIANT: return "Variant";
    case VT_UI1: return "Byte";
    case VT_DECIMAL: return "Decimal";
    case VT_DISPATCH: return "Object";
    case VT_UNKNOWN: return "IUnknown";
    case VT_I8: return "LongLong";
    case VT_ERROR: return "Error";
    default: return "VARTYPE " + std::to_string(vt);
  }
}

// Bytes a field of scalar type `vt` takes in a record, or 0 when it is not a scalar carried.
size_t scalarSize(VARTYPE vt) {
  switch (vt) {
    case VT_I1: case VT_UI1: return 1;
    case VT_I2: case VT_UI2: case VT_BOOL: return 2;
    case VT_I4: case VT_UI4: case VT_INT: case VT_UINT: case VT_R4: case VT_ERROR: return 4;
    case VT_I8: case VT_UI8: case VT_R8: case VT_CY: case VT_DATE: return 8;
    case VT_DECIMAL: return sizeof(DECIMAL);
    case VT_BSTR: case VT_DISPATCH: case VT_UNKNOWN: return sizeof(void*);
    default: return 0;
  }
}

// VT_INT and VT_UINT are VT_I4 and VT_UI4 in a VARIANT here (automation's own reading).
VARTYPE variantVt(VARTYPE vt) {
  if (vt == VT_INT) return VT_I4;
  if (vt == VT_UINT) return VT_UI4;
  return vt;
}

void* payload(VARIANT& v) { return &V_I8(&v); }

[[noreturn]] void fieldError(const std::string& where, const std::string& what) {
  throw Error(ErrorKind::BadConfiguration, where + ": " + what,
              "give every field of the record, in the order its Type declares them, with values "
              "of the fields' types (nested records as records, dynamic arrays as arrays)");
}

[[noreturn]] void notCarried(const std::string& where, const std::string& what) {
  throw Error(ErrorKind::Remote, where + ": " + what + ", which bitbridge does not carry",
              "use records of automation types (numbers, String, Variant, nested records, "
              "dynamic arrays)");
}

// The type a VT_USERDEFINED field refers to, with its attributes; throws Remote naming `where`
// when the library cannot resolve it.
struct ReferencedType {
  ReferencedType(ITypeInfo* owner, const TYPEDESC& type, const std::string& where)
      : info(resolve(owner, type, where)), attributes(info.pointer) {
    if (!attributes) notCarried(where, "a field whose type has no attributes");
  }
  static ITypeInfo* resolve(ITypeInfo* owner, const TYPEDESC& type, const std::string& where) {
    ITypeInfo* raw = nullptr;
    if (FAILED(owner->GetRefTypeInfo(type.hreftype, &raw)) || raw == nullptr) {
      notCarried(where, "a field whose type the type library cannot resolve");
    }
    return raw;
  }
  Held<ITypeInfo> info;
  Attributes attributes;
};

void clearRecord(ITypeInfo* info, void* data, unsigned depth);

// Frees what a field of type `type` holds at `slot` (owned by `owner`'s record), and zeroes it.
void clearField(ITypeInfo* owner, const TYPEDESC& type, void* slot, unsigned depth) {
  switch (type.vt) {
    case VT_BSTR:
      ::SysFreeString(*static_cast<BSTR*>(slot));
      *static_cast<BSTR*>(slot) = nullptr;
      return;
    case VT_DISPATCH:
    case VT_UNKNOWN: {
      auto* unknown = *static_cast<IUnknown**>(slot);
      if (unknown != nullptr) unknown->Release();
      *static_cast<IUnknown**>(slot) = nullptr;
      return;
    }
    case VT_VARIANT: clearNative(*static_cast<VARIANT*>(slot)); return;
    case VT_SAFEARRAY: {
      auto* array = *static_cast<SAFEARRAY**>(slot);
      if (array != nullptr) destroyRecordArray(array);  // any array; records element by element
      *static_cast<SAFEARRAY**>(slot) = nullptr;
      return;
    }
    case VT_USERDEFINED: {
      ITypeInfo* raw = nullptr;
      if (depth > kMaxVariantDepth || FAILED(owner->GetRefTypeInfo(type.hreftype, &raw))) return;
      Held<ITypeInfo> ref(raw);
      Attributes attributes(raw);
      if (!attributes) return;
      if (attributes->typekind == TKIND_RECORD) {
        clearRecord(raw, slot, depth + 1);
      } else if (attributes->typekind == TKIND_ALIAS) {
        clearField(raw, attributes->tdescAlias, slot, depth + 1);
      }
      return;
    }
    default: return;  // plain data
  }
}

void clearRecord(ITypeInfo* info, void* data, unsigned depth) {
  Attributes attributes(info);
  if (!attributes) return;
  for (UINT i = 0; i < attributes->cVars; ++i) {
    Field field(info, i);
    if (field.var == nullptr || field.var->varkind != VAR_PERINSTANCE) continue;
    clearField(info, field.var->elemdescVar.tdesc,
               static_cast<unsigned char*>(data) + field.var->oInst, depth);
  }
}

void writeRecord(ITypeInfo* info, const ComRecord& value, void* data, RecordTypes& types,
                 const std::string& where, unsigned depth);

// Writes `value` into the zeroed field of type `type` at `slot` of a record of `owner`.
void writeField(ITypeInfo* owner, const TYPEDESC& type, void* slot, const ComVariant& value,
                RecordTypes& types, const std::string& where, unsigned depth) {
  if (depth > kMaxVariantDepth) fieldError(where, "records nested too deep");
  switch (type.vt) {
    case VT_USERDEFINED: {
      ReferencedType ref(owner, type, where);
      ITypeInfo* raw = ref.info.pointer;
      switch (ref.attributes->typekind) {
        case TKIND_RECORD: {
          std::string name = typeInfoName(raw);
          if (value.type() != VariantType::Record) {
            fieldError(where, "the field is a record " + name + ", given " + value.describe());
          }
          const ComRecord& nested = value.record();
          if (!nested.name.empty() && !sameComName(nested.name, name)) {
            fieldError(where, "the field is a record " + name + ", given a record " + nested.name);
          }
          writeRecord(raw, nested, slot, types, where, depth + 1);
          return;
        }
        case TKIND_ENUM: {
          TYPEDESC asLong{};
          asLong.vt = VT_I4;
          writeField(owner, asLong, slot, value, types, where, depth);
          return;
        }
        case TKIND_ALIAS:
          writeField(raw, ref.attributes->tdescAlias, slot, value, types, where, depth + 1);
          return;
        default:
          notCarried(where, "a field of interface type " + typeInfoName(raw));
      }
    }
    case VT_VARIANT:
      toNative(value, *static_cast<VARIANT*>(slot), where, &types);
      return;
    case VT_SAFEARRAY: {
      if (value.type() == VariantType::Empty) return;  // an unallocated dynamic array
      VARTYPE element = type.lptdesc != nullptr ? type.lptdesc->vt : VARTYPE{VT_EMPTY};
      if (element == VT_USERDEFINED) {
        // A field that is an array of records (Parts() As Part): the array's record must be
        // the field's.
        ReferencedType ref(owner, *type.lptdesc, where);
        std::string name = typeInfoName(ref.info.pointer);
        if (ref.attributes->typekind != TKIND_RECORD) {
          notCarried(where, "a field that is an array of " + name);
        }
        if (value.type() != VariantType::Array || value.array().elementType != VT_RECORD ||
            (!value.array().recordType.name.empty() &&
             !sameComName(value.array().recordType.name, name))) {
          fieldError(where, "the field is an array of records " + name + ", given " +
                                value.describe());
        }
        element = VT_RECORD;
      }
      if (element == VT_PTR || element == VT_CARRAY) {
        notCarried(where, "a field that is an array of pointers");
      }
      if (value.type() != VariantType::Array || value.array().elementType != element) {
        fieldError(where, "the field is an array of " + typeText(element) + ", given " +
                              value.describe());
      }
      VARIANT array;
      ::VariantInit(&array);
      toNative(value, array, where, &types);
      *static_cast<SAFEARRAY**>(slot) = V_ARRAY(&array);  // ownership moves
      return;
    }
    case VT_CARRAY:
      notCarried(where, "a fixed-size array field (Dim A(n) inside a Type)");
    default: break;
  }
  size_t size = scalarSize(type.vt);
  if (size == 0) notCarried(where, "a field of " + typeText(type.vt));
  if (value.type() == VariantType::Record || value.type() == VariantType::Array) {
    fieldError(where, "the field is a " + typeText(type.vt) + ", given " + value.describe());
  }
  VARIANT converted;
  ::VariantInit(&converted);
  try {
    toNative(value, converted, where, &types);
  } catch (...) {
    clearNative(converted);
    throw;
  }
  HRESULT hr = ::VariantChangeType(&converted, &converted, 0, variantVt(type.vt));
  if (FAILED(hr)) {
    clearNative(converted);
    fieldError(where, "the field is a " + typeText(type.vt) + ", and " + value.describe() +
                          " does not convert to it (" + hresultText(hr) + ")");
  }
  if (type.vt == VT_DECIMAL) {
    std::memcpy(slot, &V_DECIMAL(&converted), sizeof(DECIMAL));
  } else {
    std::memcpy(slot, payload(converted), size);
  }
  if (type.vt == VT_BSTR || type.vt == VT_DISPATCH || type.vt == VT_UNKNOWN) {
    V_VT(&converted) = VT_EMPTY;  // ownership moved into the field
  }
  ::VariantClear(&converted);
}

void writeRecord(ITypeInfo* info, const ComRecord& value, void* data, RecordTypes& types,
                 const std::string& where, unsigned depth) {
  Attributes attributes(info);
  std::string name = typeInfoName(info);
  if (!attributes) notCarried(where + ", record " + name, "a record without attributes");
  std::vector<std::string> names;
  for (UINT i = 0; i < attributes->cVars; ++i) {
    Field field(info, i);
    names.push_back(field.var != nullptr ? typeInfoName(info, field.var->memid) : "?");
  }
  if (value.fields.size() != attributes->cVars) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    fieldError(where, "record " + name + " has " + std::to_string(attributes->cVars) +
                          " fields (" + list + "), " + std::to_string(value.fields.size()) +
                          " given");
  }
  for (UINT i = 0; i < attributes->cVars; ++i) {
    Field field(info, i);
    if (field.var == nullptr || field.var->varkind != VAR_PERINSTANCE) {
      notCarried(where + ", record " + name, "a field that is not per instance");
    }
    const ComRecordField& given = value.fields[i];
    std::string fieldWhere = where + ", record " + name + " field " + names[i];
    if (!given.name.empty() && !sameComName(given.name, names[i])) {
      fieldError(fieldWhere, "field " + std::to_string(i + 1) + " is " + names[i] + ", given '" +
                                 given.name + "'");
    }
    writeField(info, field.var->elemdescVar.tdesc,
               static_cast<unsigned char*>(data) + field.var->oInst, given.value, types,
               fieldWhere, depth);
  }
}

ComRecord readRecord(ITypeInfo* info, const void* data,
                     const std::shared_ptr<StaThread>& apartment, unsigned depth);

// Reads the field of type `type` at `slot` of a record of `owner`.
ComVariant readField(ITypeInfo* owner, const TYPEDESC& type, const void* slot,
                     const std::shared_ptr<StaThread>& apartment, const std::string& where,
                     unsigned depth) {
  if (depth > kMaxVariantDepth) notCarried(where, "records nested too deep");
  switch (type.vt) {
    case VT_USERDEFINED: {
      ReferencedType ref(owner, type, where);
      ITypeInfo* raw = ref.info.pointer;
      switch (ref.attributes->typekind) {
        case TKIND_RECORD: return ComVariant(readRecord(raw, slot, apartment, depth + 1));
        case TKIND_ENUM: {
          TYPEDESC asLong{};
          asLong.vt = VT_I4;
          return readField(owner, asLong, slot, apartment, where, depth);
        }
        case TKIND_ALIAS:
          return readField(raw, ref.attributes->tdescAlias, slot, apartment, where, depth + 1);
        default: notCarried(where, "a field of interface type " + typeInfoName(raw));
      }
    }
    case VT_VARIANT: return fromNative(*static_cast<const VARIANT*>(slot), apartment);
    case VT_SAFEARRAY: {
      auto* array = *static_cast<SAFEARRAY* const*>(slot);
      if (array == nullptr) return ComVariant();
      VARTYPE element = type.lptdesc != nullptr ? type.lptdesc->vt : VARTYPE{VT_EMPTY};
      if (element == VT_USERDEFINED) element = VT_RECORD;  // the array says which record
      VARIANT view;  // borrowed: not cleared
      ::VariantInit(&view);
      V_VT(&view) = static_cast<VARTYPE>(VT_ARRAY | element);
      V_ARRAY(&view) = array;
      return fromNative(view, apartment);
    }
    case VT_CARRAY: notCarried(where, "a fixed-size array field (Dim A(n) inside a Type)");
    default: break;
  }
  size_t size = scalarSize(type.vt);
  if (size == 0) notCarried(where, "a field of " + typeText(type.vt));
  VARIANT view;  // borrowed: not cleared (fromNative copies strings, AddRefs objects)
  ::VariantInit(&view);
  if (type.vt == VT_DECIMAL) {
    std::memcpy(&V_DECIMAL(&view), slot, sizeof(DECIMAL));
  } else {
    std::memcpy(payload(view), slot, size);
  }
  V_VT(&view) = variantVt(type.vt);
  return fromNative(view, apartment);
}

ComRecord readRecord(ITypeInfo* info, const void* data,
                     const std::shared_ptr<StaThread>& apartment, unsigned depth) {
  ComRecord record;
  record.name = typeInfoName(info);
  record.typeLibrary = containingLibraryText(info);
  Attributes attributes(info);
  std::string where = "record " + record.name;
  if (!attributes) notCarried(where, "a record without attributes");
  if (!isNullGuid(attributes->guid)) record.guid = guidText(attributes->guid);
  for (UINT i = 0; i < attributes->cVars; ++i) {
    Field field(info, i);
    if (field.var == nullptr || field.var->varkind != VAR_PERINSTANCE) {
      notCarried(where, "a field that is not per instance");
    }
    std::string name = typeInfoName(info, field.var->memid);
    record.fields.push_back(
        {name, readField(info, field.var->elemdescVar.tdesc,
                         static_cast<const unsigned char*>(data) + field.var->oInst, apartment,
                         where + " field " + name, depth)});
  }
  return record;
}

}  // namespace

RecordTypes::RecordTypes(IDispatch* object, std::string className)
    : object_(object), className_(std::move(className)) {}

RecordTypes::RecordTypes(ITypeLib* library, std::string className)
    : object_(nullptr), className_(std::move(className)), own_(library), ownLooked_(true) {
  if (own_ != nullptr) own_->AddRef();
}

RecordTypes::~RecordTypes() {
  if (own_ != nullptr) own_->Release();
}

ITypeLib* RecordTypes::ownLibrary() {
  if (ownLooked_) return own_;
  ownLooked_ = true;
  ITypeInfo* raw = nullptr;
  if (object_ == nullptr || FAILED(object_->GetTypeInfo(0, LOCALE_USER_DEFAULT, &raw)) ||
      raw == nullptr) {
    return nullptr;
  }
  Held<ITypeInfo> info(raw);
  UINT index = 0;
  if (FAILED(raw->GetContainingTypeLib(&own_, &index))) own_ = nullptr;
  return own_;
}

ITypeInfo* RecordTypes::find(const ComRecord& record, const std::string& where) {
  std::string label = "record " + (record.name.empty() ? record.guid : record.name);
  ITypeLib* own = ownLibrary();
  std::string ownText = libraryText(own);
  ITypeLib* library = own;
  Held<ITypeLib> registered;
  if (record.typeLibrary.empty()) {
    if (own == nullptr) {
      throw Error(ErrorKind::BadConfiguration,
                  where + ": " + label + ": " + className_ +
                      " has no type information to find it in",
                  "name the record's type library (\"{LIBID} major.minor\")");
    }
  } else {
    LibraryId id = parseLibrary(record.typeLibrary, where);
    std::string wanted = guidText(id.guid) + " " + std::to_string(id.major) + "." +
                         std::to_string(id.minor);
    if (!sameComName(wanted, ownText)) {
      HRESULT hr = ::LoadRegTypeLib(id.guid, static_cast<WORD>(id.major),
                                    static_cast<WORD>(id.minor), 0, &registered.pointer);
      if (FAILED(hr) || registered.pointer == nullptr) {
        throw Error(ErrorKind::NotFound,
                    where + ": " + label + " of type library " + record.typeLibrary +
                        ": that is not the type library of " + className_ +
                        (ownText.empty() ? std::string() : " (" + ownText + ")") +
                        ", and no such library is registered (" + hresultText(hr) + ")",
                    "pass records the called object's own type library declares (leave "
                    "typeLibrary empty), or register the library that declares them");
      }
      library = registered.pointer;
    }
  }
  std::string libraryName = libraryText(library);
  ITypeInfo* info = nullptr;
  if (!record.guid.empty()) {
    GUID guid = parseGuid(record.guid, where, "the record's GUID");
    if (FAILED(library->GetTypeInfoOfGuid(guid, &info)) || info == nullptr) {
      throw Error(ErrorKind::NotFound,
                  where + ": type library " + libraryName + " declares no " + label +
                      " with GUID " + record.guid,
                  "check the record's GUID against the type library (import-typelib lists it)");
    }
  } else {
    UINT count = library->GetTypeInfoCount();
    for (UINT i = 0; i < count && info == nullptr; ++i) {
      TYPEKIND kind{};
      if (FAILED(library->GetTypeInfoType(i, &kind)) || kind != TKIND_RECORD) continue;
      BSTR name = nullptr;
      if (FAILED(library->GetDocumentation(static_cast<INT>(i), &name, nullptr, nullptr,
                                           nullptr))) {
        continue;
      }
      std::string text = name != nullptr ? narrow(std::wstring(name, ::SysStringLen(name))) : "";
      ::SysFreeString(name);
      if (sameComName(text, record.name) && FAILED(library->GetTypeInfo(i, &info))) {
        info = nullptr;
      }
    }
    if (info == nullptr) {
      throw Error(ErrorKind::NotFound,
                  where + ": type library " + libraryName + " declares no " + label,
                  "use the name of a Type of the object's library (import-typelib lists them)");
    }
  }
  Held<ITypeInfo> found(info);
  Attributes attributes(info);
  if (!attributes || attributes->typekind != TKIND_RECORD) {
    throw Error(ErrorKind::BadConfiguration,
                where + ": " + record.guid + " in type library " + libraryName + " is " +
                    typeInfoName(info) + ", which is not a record",
                "pass the GUID of a Type (a record)");
  }
  std::string name = typeInfoName(info);
  if (!record.name.empty() && !sameComName(record.name, name)) {
    throw Error(ErrorKind::BadConfiguration,
                where + ": the record with GUID " + record.guid + " is " + name + ", not " +
                    record.name,
                "give the record's own name, or leave the name or the GUID empty");
  }
  found.pointer = nullptr;  // the caller's reference now
  return info;
}

void recordToNative(const ComRecord& value, VARIANT& out, RecordTypes& types,
                    const std::string& where) {
  Held<ITypeInfo> info(types.find(value, where));
  IRecordInfo* recordInfo = nullptr;
  HRESULT hr = ::GetRecordInfoFromTypeInfo(info.pointer, &recordInfo);
  if (FAILED(hr) || recordInfo == nullptr) {
    throw Error(ErrorKind::Remote,
                where + ": no IRecordInfo for record " + typeInfoName(info.pointer) + " (" +
                    hresultText(hr) + ")",
                "the record's type information is incomplete");
  }
  Attributes attributes(info.pointer);
  size_t size = attributes ? attributes->cbSizeInstance : 0;
  void* data = ::CoTaskMemAlloc(size == 0 ? 1 : size);
  if (data == nullptr) {
    recordInfo->Release();
    throw Error(ErrorKind::Overloaded, where + ": out of memory for a record", "retry later");
  }
  std::memset(data, 0, size);
  // Owned by `out` from here: a failure below frees what was written through clearNative.
  V_VT(&out) = VT_RECORD;
  V_RECORD(&out) = data;
  V_RECORDINFO(&out) = recordInfo;
  try {
    writeRecord(info.pointer, value, data, types, where, 0);
  } catch (...) {
    clearNative(out);
    throw;
  }
}

ComVariant recordFromNative(const VARIANT& in, const std::shared_ptr<StaThread>& apartment) {
  void* data = V_RECORD(&in);
  IRecordInfo* recordInfo = V_RECORDINFO(&in);
  if (data == nullptr || recordInfo == nullptr) return ComVariant();
  ITypeInfo* raw = nullptr;
  if (FAILED(recordInfo->GetTypeInfo(&raw)) || raw == nullptr) {
    notCarried("a record", "a record without type information");
  }
  Held<ITypeInfo> info(raw);
  return ComVariant(readRecord(raw, data, apartment, 0));
}

SAFEARRAY* recordArrayToNative(const ComSafeArray& array, RecordTypes& types,
                               const std::string& where) {
  Held<ITypeInfo> info(types.find(array.recordType, where));
  std::string name = typeInfoName(info.pointer);
  Attributes attributes(info.pointer);
  if (!attributes) notCarried(where + ", record " + name, "a record without attributes");
  GUID guid = attributes->guid;
  std::string library = containingLibraryText(info.pointer);
  // Every element must be of the array's record: a name, GUID or library an element gives
  // must be the array's.
  for (size_t i = 0; i < array.elements.size(); ++i) {
    const ComRecord& element = array.elements[i].record();
    std::string elementWhere = where + ", element " + std::to_string(i);
    bool otherName = !element.name.empty() && !sameComName(element.name, name);
    bool otherGuid = !element.guid.empty() && parseGuid(element.guid, elementWhere,
                                                        "the record's GUID") != guid;
    bool otherLibrary = !element.typeLibrary.empty() &&
                        !sameComName(element.typeLibrary, array.recordType.typeLibrary) &&
                        !sameComName(element.typeLibrary, library);
    if (otherName || otherGuid || otherLibrary) {
      throw Error(ErrorKind::BadConfiguration,
                  elementWhere + ": a record " +
                      (element.name.empty() ? element.guid : element.name) +
                      (otherLibrary ? " of type library " + element.typeLibrary : std::string()) +
                      " in an array of " + name + " (" + library + ")",
                  "give every element the array's record type (or leave the elements' name, "
                  "GUID and library empty)");
    }
  }
  IRecordInfo* recordInfo = nullptr;
  HRESULT hr = ::GetRecordInfoFromTypeInfo(info.pointer, &recordInfo);
  if (FAILED(hr) || recordInfo == nullptr) {
    throw Error(ErrorKind::Remote,
                where + ": no IRecordInfo for record " + name + " (" + hresultText(hr) + ")",
                "the record's type information is incomplete");
  }
  std::vector<SAFEARRAYBOUND> bounds;
  for (const auto& bound : array.bounds) bounds.push_back({bound.count, bound.lower});
  SAFEARRAY* native = ::SafeArrayCreateEx(VT_RECORD, static_cast<UINT>(bounds.size()),
                                          bounds.data(), recordInfo);
  recordInfo->Release();  // the array holds its own reference
  if (native == nullptr) {
    throw Error(ErrorKind::Overloaded,
                where + ": cannot allocate an array of " + std::to_string(array.elements.size()) +
                    " records " + name + " of " + std::to_string(attributes->cbSizeInstance) +
                    " bytes each",
                "pass fewer records at a time");
  }
  void* data = nullptr;
  if (FAILED(::SafeArrayAccessData(native, &data))) {
    ::SafeArrayDestroy(native);  // no element written yet: nothing of ours to free
    throw Error(ErrorKind::Remote, where + ": cannot reach the array's data", "retry");
  }
  size_t size = ::SafeArrayGetElemsize(native);
  auto* bytes = static_cast<unsigned char*>(data);
  std::memset(bytes, 0, size * array.elements.size());
  ::SafeArrayUnaccessData(native);
  try {
    for (size_t i = 0; i < array.elements.size(); ++i) {
      writeRecord(info.pointer, array.elements[i].record(), bytes + i * size, types,
                  where + ", element " + std::to_string(i), 0);
    }
  } catch (...) {
    destroyRecordArray(native);  // frees what was written (the rest is zero)
    throw;
  }
  return native;
}

ComVariant recordArrayFromNative(SAFEARRAY* native, const std::shared_ptr<StaThread>& apartment) {
  IRecordInfo* recordInfo = nullptr;
  if ((native->fFeatures & FADF_RECORD) == 0 ||
      FAILED(::SafeArrayGetRecordInfo(native, &recordInfo)) || recordInfo == nullptr) {
    notCarried("an array of records", "an array of records without record information");
  }
  ITypeInfo* raw = nullptr;
  HRESULT hr = recordInfo->GetTypeInfo(&raw);
  recordInfo->Release();
  if (FAILED(hr) || raw == nullptr) {
    notCarried("an array of records", "an array of records without type information");
  }
  Held<ITypeInfo> info(raw);
  Attributes attributes(raw);
  std::string name = typeInfoName(raw);
  size_t size = ::SafeArrayGetElemsize(native);
  if (!attributes || size != attributes->cbSizeInstance) {
    notCarried("an array of records " + name,
               "elements of " + std::to_string(size) + " bytes for a record of " +
                   std::to_string(attributes ? attributes->cbSizeInstance : 0));
  }
  ComSafeArray array;
  array.elementType = VT_RECORD;
  array.recordType.name = name;
  array.recordType.typeLibrary = containingLibraryText(raw);
  if (!isNullGuid(attributes->guid)) array.recordType.guid = guidText(attributes->guid);
  size_t total = 0;
  array.bounds = nativeBounds(native, total);
  void* data = nullptr;
  if (total > 0 && FAILED(::SafeArrayAccessData(native, &data))) {
    notCarried("an array of records " + name, "an array whose data cannot be reached");
  }
  auto* bytes = static_cast<const unsigned char*>(data);
  try {
    for (size_t i = 0; i < total; ++i) {
      array.elements.emplace_back(readRecord(raw, bytes + i * size, apartment, 0));
    }
  } catch (...) {
    if (total > 0) ::SafeArrayUnaccessData(native);
    throw;
  }
  if (total > 0) ::SafeArrayUnaccessData(native);
  return ComVariant(std::move(array));
}

void destroyRecordArray(SAFEARRAY* native) {
  if (native == nullptr) return;
  IRecordInfo* recordInfo = nullptr;
  if ((native->fFeatures & FADF_RECORD) != 0 &&
      SUCCEEDED(::SafeArrayGetRecordInfo(native, &recordInfo)) && recordInfo != nullptr) {
    ITypeInfo* info = nullptr;
    void* data = nullptr;
    if (SUCCEEDED(recordInfo->GetTypeInfo(&info)) && info != nullptr &&
        SUCCEEDED(::SafeArrayAccessData(native, &data))) {
      size_t size = ::SafeArrayGetElemsize(native);
      size_t total = 0;
      nativeBounds(native, total);
      for (size_t i = 0; i < total; ++i) {
        clearRecord(info, static_cast<unsigned char*>(data) + i * size, 0);
      }
      ::SafeArrayUnaccessData(native);
    }
    if (info != nullptr) info->Release();
    recordInfo->Release();
    // SafeArrayDestroy would now call IRecordInfo::RecordClear on every (already cleared)
    // element, and Wine's RecordClear destroys a SAFEARRAY field through the field's address
    // even when it holds null. So the array stops being a record array first: its IRecordInfo
    // released, FADF_RECORD cleared; what is left is plain memory.
    ::SafeArraySetRecordInfo(native, nullptr);
    native->fFeatures &= static_cast<USHORT>(~FADF_RECORD);
  }
  ::SafeArrayDestroy(native);
}

void writeRecordInPlace(const ComRecord& value, void* data, IRecordInfo* recordInfo,
                        const std::string& where) {
  ITypeInfo* raw = nullptr;
  if (data == nullptr || recordInfo == nullptr || FAILED(recordInfo->GetTypeInfo(&raw)) ||
      raw == nullptr) {
    notCarried(where, "a by-reference record without type information");
  }
  Held<ITypeInfo> info(raw);
  std::string name = typeInfoName(raw);
  if (!value.name.empty() && !sameComName(value.name, name)) {
    fieldError(where, "the argument is a record " + name + ", given a record " + value.name);
  }
  Attributes attributes(raw);
  if (!attributes) notCarried(where + ", record " + name, "a record without attributes");
  ITypeLib* library = nullptr;
  UINT index = 0;
  if (FAILED(raw->GetContainingTypeLib(&library, &index))) library = nullptr;
  Held<ITypeLib> heldLibrary(library);
  RecordTypes types(library, "record " + name + "'s type library");
  // Written into a fresh copy first, so that a refusal leaves the caller's record as it was.
  size_t size = attributes->cbSizeInstance;
  std::vector<unsigned char> fresh(size == 0 ? 1 : size, 0);
  try {
    writeRecord(raw, value, fresh.data(), types, where, 0);
  } catch (...) {
    clearRecord(raw, fresh.data(), 0);
    throw;
  }
  clearRecord(raw, data, 0);
  std::memcpy(data, fresh.data(), size);  // ownership of the fields moves to `data`
}

void clearNative(VARIANT& value) {
  if (V_VT(&value) == (VT_ARRAY | VT_RECORD)) {
    destroyRecordArray(V_ARRAY(&value));
    V_VT(&value) = VT_EMPTY;
    return;
  }
  if (V_VT(&value) != VT_RECORD) {
    ::VariantClear(&value);
    return;
  }
  void* data = V_RECORD(&value);
  IRecordInfo* recordInfo = V_RECORDINFO(&value);
  if (recordInfo != nullptr) {
    ITypeInfo* info = nullptr;
    if (data != nullptr && SUCCEEDED(recordInfo->GetTypeInfo(&info)) && info != nullptr) {
      clearRecord(info, data, 0);
      info->Release();
    }
    recordInfo->Release();
  }
  ::CoTaskMemFree(data);
  V_VT(&value) = VT_EMPTY;
}

}  // namespace bitbridge
