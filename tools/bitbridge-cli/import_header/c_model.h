// What `bitbridge import-header` learns from a C header: the functions, structs, enums and
// function-pointer typedefs, as plain data. header_reader.cpp fills it from libclang;
// schema_draft.cpp turns it into schema text. Keeping libclang out of this file lets the
// mapping rules be read (and changed) without knowing libclang's API.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace bitbridge::importer {

struct CType {
  enum class Kind { Void, Bool, Int, Float, Enum, Record, Pointer, Array, Function, Other };
  Kind kind = Kind::Other;
  std::string spelling;      ///< as written in the header ("const Bytef *")
  bool isConst = false;      ///< this type itself is const-qualified
  bool isSigned = false;     ///< Int
  unsigned bytes = 0;        ///< Int/Float: sizeof in the parsed target
  /// Int: a C type whose width is the host's, as /bitbridge/c.capnp's $type names it ("long",
  /// "ulong", "size", "ssize", "intptr", "uintptr", "wchar"), found on the typedef chain
  /// (size_t) or from the builtin (long). Empty for fixed-width types.
  std::string platformType;
  bool isCharacter = false;  ///< Int: plain char / signed char / unsigned char (bytes, text)
  /// Int: plain `char` (neither signed nor unsigned written): text. `unsigned char`, uint8_t,
  /// Bytef and `signed char` are bytes.
  bool isPlainChar = false;
  std::string name;          ///< Enum/Record: the key into CModel's maps; Function: typedef name
  /// Pointer: a typedef names this pointer type itself (`typedef struct gz_s* gzFile`), the
  /// usual way a C API spells an opaque handle.
  std::string pointerTypedef;
  std::shared_ptr<CType> pointee;  ///< Pointer, Array: the element
  uint64_t arraySize = 0;          ///< Array
  /// Function (the pointee of a function pointer): its result and parameters.
  std::shared_ptr<CType> result;
  std::vector<std::shared_ptr<CType>> params;
  std::string callingConvention;  ///< Function: "" (cdecl), "stdcall", or the unsupported one's name
};

struct CParam {
  std::string name;  ///< as in the header; empty when unnamed
  std::shared_ptr<CType> type;
};

struct CFunction {
  std::string name;
  std::string declaration;        ///< one line, as the header declares it (for comments)
  std::string signature;          ///< what must stay equal for `--update` to keep the user's text
  std::shared_ptr<CType> result;
  std::vector<CParam> params;
  bool variadic = false;
  std::string callingConvention;  ///< "" (cdecl), "stdcall", or an unsupported convention's name
  std::string comment;            ///< the header's doc comment, if any (brief)
};

struct CField {
  std::string name;
  std::shared_ptr<CType> type;
  bool bitField = false;
};

struct CRecord {
  std::string name;          ///< tag or typedef name
  bool isUnion = false;
  bool complete = false;     ///< defined (not just declared) in what was parsed
  std::vector<CField> fields;
  std::string signature;
};

struct CEnum {
  std::string name;
  std::vector<std::pair<std::string, int64_t>> values;
  std::string signature;
};

struct CCallback {
  std::string name;          ///< the typedef's name
  std::shared_ptr<CType> function;
  std::string signature;
};

struct CModel {
  std::string headerPath;
  std::string targetTriple;  ///< what clang parsed for ("x86_64-pc-linux-gnu")
  unsigned pointerBits = 0;
  std::vector<CFunction> functions;           ///< header order
  std::map<std::string, CRecord> records;     ///< by name
  std::vector<std::string> recordOrder;       ///< first-seen order
  std::map<std::string, CEnum> enums;
  std::vector<std::string> enumOrder;
  std::map<std::string, CCallback> callbacks; ///< function-pointer typedefs, by name
  std::vector<std::string> callbackOrder;
};

}  // namespace bitbridge::importer
