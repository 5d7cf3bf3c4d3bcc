// What `bitbridge import-typelib` reads from a type library, independent of oleaut32: the
// reader (typelib_reader-win32.cpp) fills it from ITypeLib, the writer (typelib_schema.cpp)
// turns it into a Cap'n Proto schema. Portable, so that the writer is tested everywhere.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bitbridge::typelib {

/// A parameter's, result's or field's automation type.
struct TlType {
  enum class Kind : uint8_t {
    Scalar,     // vt: an integer, real, BOOL, BSTR, CY, DATE, ERROR, DECIMAL
    Variant,    // VARIANT
    Array,      // SAFEARRAY (carried as a Variant: element type and bounds kept)
    Object,     // IDispatch/IUnknown, or an interface of the library (`name`)
    Enum,       // an enum of the library (`name`)
    Record,     // a record (struct) (`name`): its struct, carried as Variant.record
    RecordList, // SAFEARRAY of a record (`name`): List(struct), carried as Variant.array of records
    Unsupported // what automation cannot pass (`name` says what)
  };
  Kind kind = Kind::Variant;
  uint16_t vt = 12;   // VARTYPE for Scalar (VT_I4 = 3, ...)
  std::string name;   // the library's type name (Object, Enum, Record), or what is unsupported
  // For Record and RecordList: "Name {LIBID} major.minor" of the library declaring the record
  // when it is another library than the one read (VB6's records of a referenced project).
  std::string otherLibrary;
};

struct TlParam {
  std::string name;   // as in the library; may be empty
  TlType type;
  bool in = true;
  bool out = false;   // [out] (with `in`: [in, out], VB6's ByRef)
  bool optional = false;
};

struct TlMember {
  enum class Kind : uint8_t { Method, PropertyGet, PropertyPut, PropertyPutRef };
  int32_t dispid = 0;
  Kind kind = Kind::Method;
  std::string name;
  std::vector<TlParam> params;     // in declaration order, without the [retval] one
  std::optional<TlType> result;    // [out, retval], or a dispinterface method's return type
  std::string doc;                 // helpstring
};

struct TlInterface {
  std::string name;
  std::string iid;                 // "{...}"
  std::string doc;
  bool dual = false;
  std::vector<TlMember> members;   // in the library's order (the writer sorts)
};

struct TlEnum {
  std::string name;
  std::string doc;
  std::vector<std::pair<std::string, int32_t>> values;  // in declaration order
};

struct TlRecord {
  std::string name;
  std::string doc;
  std::vector<std::pair<std::string, TlType>> fields;   // in declaration order
};

struct TlClass {
  std::string name;
  std::string clsid;
  std::string defaultInterface;    // may be empty
  std::string sourceInterface;     // the default [source] one; may be empty
};

struct TypeLibModel {
  std::string name;
  std::string libid;               // "{...}"
  uint16_t major = 0;
  uint16_t minor = 0;
  std::string doc;
  std::vector<TlEnum> enums;
  std::vector<TlRecord> records;
  std::vector<TlInterface> interfaces;   // dispatch and dual interfaces, in the library's order
  std::vector<TlClass> classes;
  std::vector<std::string> skipped;      // types not written, with why (vtable-only interfaces...)
};

}  // namespace bitbridge::typelib
