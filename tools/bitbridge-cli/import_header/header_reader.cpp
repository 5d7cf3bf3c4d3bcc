#include "header_reader.h"

#include <clang-c/Index.h>

#include <functional>
#include <regex>
#include <set>

#include "bitbridge/error.h"

namespace bitbridge::importer {
namespace {

std::string take(CXString s) {
  const char* c = clang_getCString(s);
  std::string out = c ? c : "";
  clang_disposeString(s);
  return out;
}

// RAII for the index and the translation unit: libclang hands out C handles.
struct Index {
  CXIndex index = clang_createIndex(/*excludeDeclarationsFromPCH=*/0, /*displayDiagnostics=*/0);
  ~Index() { clang_disposeIndex(index); }
};
struct Unit {
  CXTranslationUnit unit = nullptr;
  ~Unit() {
    if (unit) clang_disposeTranslationUnit(unit);
  }
};

// Typedef names whose width follows the platform, as /bitbridge/c.capnp's $type spells them.
// They are recognised on the typedef chain, since their canonical type (unsigned long, int)
// would otherwise say "fixed width" on one platform and something else on another.
const std::map<std::string, std::string>& platformTypedefs() {
  static const std::map<std::string, std::string> names = {
      {"size_t", "size"},     {"ssize_t", "ssize"},     {"ptrdiff_t", "ssize"},
      {"intptr_t", "intptr"}, {"uintptr_t", "uintptr"}, {"wchar_t", "wchar"}};
  return names;
}

// int8_t ... uint64_t and their glibc spellings (__int64_t), least/fast variants, off64_t.
bool fixedWidth(const std::string& name) {
  static const std::regex re(R"(^_*u?int(_least|_fast)?(8|16|32|64)_t$|^_*off64_t$)");
  return std::regex_match(name, re);
}

class Reader {
 public:
  explicit Reader(CModel& model) : model_(model) {}

  std::shared_ptr<CType> type(CXType t) {
    auto out = std::make_shared<CType>();
    out->spelling = take(clang_getTypeSpelling(t));
    out->isConst = clang_isConstQualifiedType(t) != 0;
    // Walk typedefs first: they carry the names (size_t, gzFile, callback types) that the
    // canonical type has lost.
    std::string pointerTypedef;
    std::string functionTypedef;
    bool fixed = false;
    CXType walk = t;
    for (int depth = 0; depth < 32; ++depth) {
      if (walk.kind == CXType_Elaborated) {
        walk = clang_Type_getNamedType(walk);
        continue;
      }
      if (walk.kind != CXType_Typedef) break;
      std::string name = take(clang_getTypedefName(walk));
      // int64_t is `long` on LP64 and `long long` on i386: a fixed-width name wins over the
      // builtin it happens to be on the target that was read.
      if (fixedWidth(name)) fixed = true;
      auto platform = platformTypedefs().find(name);
      if (platform != platformTypedefs().end() && out->platformType.empty()) {
        out->platformType = platform->second;
      }
      CXType under = clang_getTypedefDeclUnderlyingType(clang_getTypeDeclaration(walk));
      CXType underCanon = clang_getCanonicalType(under);
      if (underCanon.kind == CXType_Pointer) {
        CXType pointee = clang_getCanonicalType(clang_getPointeeType(underCanon));
        if (pointee.kind == CXType_Record && pointerTypedef.empty()) pointerTypedef = name;
        if ((pointee.kind == CXType_FunctionProto || pointee.kind == CXType_FunctionNoProto) &&
            functionTypedef.empty()) {
          functionTypedef = name;
          noteCallback(name, pointee);
        }
      }
      walk = under;
    }
    CXType canon = clang_getCanonicalType(t);
    switch (canon.kind) {
      case CXType_Void: out->kind = CType::Kind::Void; break;
      case CXType_Bool: out->kind = CType::Kind::Bool; out->bytes = 1; break;
      case CXType_Char_S: case CXType_SChar: case CXType_Char_U: case CXType_UChar:
        out->isCharacter = true;
        out->isPlainChar = canon.kind == CXType_Char_S || canon.kind == CXType_Char_U;
        [[fallthrough]];
      case CXType_Short: case CXType_UShort: case CXType_Int: case CXType_UInt:
      case CXType_LongLong: case CXType_ULongLong: case CXType_Long: case CXType_ULong:
      case CXType_WChar: case CXType_Char16: case CXType_Char32:
        out->kind = CType::Kind::Int;
        out->bytes = static_cast<unsigned>(clang_Type_getSizeOf(canon));
        out->isSigned = canon.kind == CXType_Char_S || canon.kind == CXType_SChar ||
                        canon.kind == CXType_Short || canon.kind == CXType_Int ||
                        canon.kind == CXType_Long || canon.kind == CXType_LongLong ||
                        canon.kind == CXType_WChar;
        if (out->platformType.empty() && !fixed && canon.kind == CXType_Long) out->platformType = "long";
        if (out->platformType.empty() && !fixed && canon.kind == CXType_ULong) out->platformType = "ulong";
        if (out->platformType.empty() && canon.kind == CXType_WChar) out->platformType = "wchar";
        break;
      case CXType_Float: case CXType_Double:
        out->kind = CType::Kind::Float;
        out->bytes = static_cast<unsigned>(clang_Type_getSizeOf(canon));
        break;
      case CXType_Enum:
        out->kind = CType::Kind::Enum;
        out->name = noteEnum(clang_getTypeDeclaration(canon), t);
        break;
      case CXType_Record:
        out->kind = CType::Kind::Record;
        out->name = noteRecord(clang_getTypeDeclaration(canon), t);
        break;
      case CXType_Pointer:
        out->kind = CType::Kind::Pointer;
        out->pointerTypedef = pointerTypedef;
        out->pointee = type(pointeeOf(t));
        if (out->pointee->kind == CType::Kind::Function && out->pointee->name.empty()) {
          out->pointee->name = functionTypedef;
        }
        break;
      case CXType_ConstantArray: case CXType_IncompleteArray:
        out->kind = CType::Kind::Array;
        out->pointee = type(clang_getArrayElementType(canon));
        out->arraySize = canon.kind == CXType_ConstantArray
                             ? static_cast<uint64_t>(clang_getArraySize(canon)) : 0;
        break;
      case CXType_FunctionProto: case CXType_FunctionNoProto:
        out->kind = CType::Kind::Function;
        fillFunction(*out, canon);
        break;
      default: out->kind = CType::Kind::Other; break;
    }
    return out;
  }

  void function(CXCursor cursor) {
    CFunction f;
    f.name = take(clang_getCursorSpelling(cursor));
    CXType ftype = clang_getCursorType(cursor);
    f.result = type(clang_getCursorResultType(cursor));
    f.variadic = clang_Cursor_isVariadic(cursor) != 0;
    f.callingConvention = convention(clang_getFunctionTypeCallingConv(ftype));
    int n = clang_Cursor_getNumArguments(cursor);
    std::string params;
    for (int i = 0; i < n; ++i) {
      CXCursor arg = clang_Cursor_getArgument(cursor, static_cast<unsigned>(i));
      CParam p{take(clang_getCursorSpelling(arg)), type(clang_getCursorType(arg))};
      // A function pointer written out in the parameter (`void (*cb)(int, void*)`) has no
      // typedef to name its interface: it gets one from the function and the parameter.
      if (p.type->kind == CType::Kind::Pointer && p.type->pointee &&
          p.type->pointee->kind == CType::Kind::Function && p.type->pointee->name.empty()) {
        std::string name = f.name + "_" + (p.name.empty() ? "arg" + std::to_string(i) : p.name);
        CXType pointee = clang_getCanonicalType(
            clang_getPointeeType(clang_getCanonicalType(clang_getCursorType(arg))));
        noteCallback(name, pointee);
        model_.callbacks[name].signature =
            "parameter " + (p.name.empty() ? "#" + std::to_string(i) : p.name) + " of " + f.name + ": " +
            p.type->spelling;
        p.type->pointee->name = name;
      }
      params += (i ? ", " : "") + p.type->spelling + (p.name.empty() ? "" : " " + p.name);
      f.params.push_back(std::move(p));
    }
    if (f.variadic) params += n ? ", ..." : "...";
    if (n == 0 && !f.variadic) params = "void";
    f.declaration = f.result->spelling + " " + f.name + "(" + params + ")";
    f.signature = f.declaration + (f.callingConvention.empty() ? "" : " " + f.callingConvention);
    f.comment = take(clang_Cursor_getBriefCommentText(cursor));
    model_.functions.push_back(std::move(f));
  }

  void typedefDecl(CXCursor cursor) {
    // Function-pointer typedefs of the header are callbacks even when no function uses them.
    CXType under = clang_getCanonicalType(clang_getTypedefDeclUnderlyingType(cursor));
    if (under.kind != CXType_Pointer) return;
    CXType pointee = clang_getCanonicalType(clang_getPointeeType(under));
    if (pointee.kind == CXType_FunctionProto || pointee.kind == CXType_FunctionNoProto) {
      noteCallback(take(clang_getCursorSpelling(cursor)), pointee);
    }
  }

  void recordDecl(CXCursor cursor) {
    // Structs and enums the header defines are drafted even when no function uses them: a
    // user binding by hand (or a later version of the header) may need them.
    if (!clang_isCursorDefinition(cursor)) return;
    std::string name = take(clang_getCursorSpelling(cursor));
    if (name.empty() || anonymous(name)) return;  // named later through its typedef, if used
    CXCursorKind kind = clang_getCursorKind(cursor);
    if (kind == CXCursor_EnumDecl) noteEnum(cursor, clang_getCursorType(cursor));
    else noteRecord(cursor, clang_getCursorType(cursor));
  }

 private:
  static bool anonymous(const std::string& name) {
    return name.find("(unnamed") != std::string::npos ||
           name.find("(anonymous") != std::string::npos;
  }

  // The pointee of `t`, keeping its sugar (typedef names) when `t` is sugared itself.
  static CXType pointeeOf(CXType t) {
    for (int depth = 0; depth < 32; ++depth) {
      if (t.kind == CXType_Pointer) return clang_getPointeeType(t);
      if (t.kind == CXType_Elaborated) t = clang_Type_getNamedType(t);
      else if (t.kind == CXType_Typedef) t = clang_getTypedefDeclUnderlyingType(clang_getTypeDeclaration(t));
      else break;
    }
    return clang_getPointeeType(clang_getCanonicalType(t));
  }

  static std::string convention(CXCallingConv cc) {
    switch (cc) {
      case CXCallingConv_C: case CXCallingConv_Default: case CXCallingConv_Invalid:
      case CXCallingConv_Unexposed: return "";
      case CXCallingConv_X86StdCall: return "stdcall";
      case CXCallingConv_X86FastCall: return "fastcall";
      case CXCallingConv_X86ThisCall: return "thiscall";
      case CXCallingConv_X86VectorCall: return "vectorcall";
      default: return "convention " + std::to_string(static_cast<int>(cc));
    }
  }

  void fillFunction(CType& out, CXType canon) {
    out.result = type(clang_getResultType(canon));
    out.callingConvention = convention(clang_getFunctionTypeCallingConv(canon));
    int n = clang_getNumArgTypes(canon);
    for (int i = 0; i < n; ++i) out.params.push_back(type(clang_getArgType(canon, static_cast<unsigned>(i))));
  }

  // A name for a struct/union/enum: its tag, or the typedef it was reached through when it
  // has none (`typedef struct { ... } point;`).
  static std::string declName(CXCursor decl, CXType asWritten) {
    std::string name = take(clang_getCursorSpelling(decl));
    if (!name.empty() && !anonymous(name)) return name;
    CXType walk = asWritten;
    while (walk.kind == CXType_Elaborated) walk = clang_Type_getNamedType(walk);
    if (walk.kind == CXType_Typedef) return take(clang_getTypedefName(walk));
    return "anonymous" + std::to_string(clang_hashCursor(decl));
  }

  std::string noteRecord(CXCursor decl, CXType asWritten) {
    std::string usr = take(clang_getCursorUSR(decl));
    if (auto it = names_.find(usr); it != names_.end()) return it->second;
    std::string name = declName(decl, asWritten);
    names_[usr] = name;
    CRecord record;
    record.name = name;
    record.isUnion = clang_getCursorKind(decl) == CXCursor_UnionDecl;
    CXCursor def = clang_getCursorDefinition(decl);
    record.complete = !clang_Cursor_isNull(def) && !clang_isInvalid(clang_getCursorKind(def));
    model_.recordOrder.push_back(name);
    model_.records[name] = record;  // placeholder first: a struct may point to itself
    if (record.complete) {
      std::vector<CXCursor> fields;
      clang_visitChildren(def, [](CXCursor c, CXCursor, CXClientData data) {
        if (clang_getCursorKind(c) == CXCursor_FieldDecl) static_cast<std::vector<CXCursor>*>(data)->push_back(c);
        return CXChildVisit_Continue;
      }, &fields);
      record.signature = std::string(record.isUnion ? "union " : "struct ") + name + " {";
      for (CXCursor c : fields) {
        CField f{take(clang_getCursorSpelling(c)), type(clang_getCursorType(c)),
                 clang_Cursor_isBitField(c) != 0};
        record.signature += " " + f.type->spelling + " " + f.name + (f.bitField ? ":bits" : "") + ";";
        record.fields.push_back(std::move(f));
      }
      record.signature += " }";
    } else {
      record.signature = "struct " + name + " (opaque)";
    }
    model_.records[name] = std::move(record);
    return name;
  }

  std::string noteEnum(CXCursor decl, CXType asWritten) {
    std::string usr = take(clang_getCursorUSR(decl));
    if (auto it = names_.find(usr); it != names_.end()) return it->second;
    std::string name = declName(decl, asWritten);
    names_[usr] = name;
    CEnum e;
    e.name = name;
    clang_visitChildren(decl, [](CXCursor c, CXCursor, CXClientData data) {
      if (clang_getCursorKind(c) == CXCursor_EnumConstantDecl) {
        static_cast<CEnum*>(data)->values.emplace_back(take(clang_getCursorSpelling(c)),
                                                       clang_getEnumConstantDeclValue(c));
      }
      return CXChildVisit_Continue;
    }, &e);
    e.signature = "enum " + name + " {";
    for (const auto& [n, v] : e.values) e.signature += " " + n + "=" + std::to_string(v);
    e.signature += " }";
    model_.enumOrder.push_back(name);
    model_.enums[name] = std::move(e);
    return name;
  }

  void noteCallback(const std::string& name, CXType functionType) {
    if (name.empty() || model_.callbacks.count(name)) return;
    CCallback cb;
    cb.name = name;
    model_.callbacks[name] = cb;  // placeholder: a callback may take its own type
    model_.callbackOrder.push_back(name);
    auto fn = std::make_shared<CType>();
    fn->kind = CType::Kind::Function;
    fn->spelling = take(clang_getTypeSpelling(functionType));
    fn->name = name;
    fillFunction(*fn, functionType);
    cb.function = fn;
    cb.signature = "typedef " + fn->spelling + " " + name;
    model_.callbacks[name] = std::move(cb);
  }

  CModel& model_;
  std::map<std::string, std::string> names_;  // USR -> name given
};

std::string diagnostics(CXTranslationUnit unit, bool errorsOnly) {
  std::string out;
  unsigned n = clang_getNumDiagnostics(unit);
  for (unsigned i = 0; i < n; ++i) {
    CXDiagnostic d = clang_getDiagnostic(unit, i);
    if (!errorsOnly || clang_getDiagnosticSeverity(d) >= CXDiagnostic_Error) {
      out += "\n  " + take(clang_formatDiagnostic(d, CXDiagnostic_DisplaySourceLocation |
                                                         CXDiagnostic_DisplayColumn));
    }
    clang_disposeDiagnostic(d);
  }
  return out;
}

}  // namespace

CModel readHeader(const std::string& header, const std::vector<std::string>& clangArgs) {
  std::vector<const char*> args;
  bool language = false;
  for (const auto& a : clangArgs) {
    if (a == "-x" || a.rfind("-x", 0) == 0) language = true;
  }
  // A .h file is parsed as C unless the user says otherwise: the schema describes a C ABI.
  if (!language) {
    args.push_back("-x");
    args.push_back("c");
  }
  for (const auto& a : clangArgs) args.push_back(a.c_str());

  Index index;
  Unit unit;
  CXErrorCode code = clang_parseTranslationUnit2(
      index.index, header.c_str(), args.data(), static_cast<int>(args.size()), nullptr, 0,
      CXTranslationUnit_SkipFunctionBodies,
      &unit.unit);
  if (code != CXError_Success || unit.unit == nullptr) {
    throw Error(ErrorKind::BadConfiguration,
                "cannot read " + header + ": libclang could not parse it (error " +
                    std::to_string(static_cast<int>(code)) + ")",
                "check that the file exists and is readable");
  }
  std::string errors = diagnostics(unit.unit, true);
  if (!errors.empty()) {
    throw Error(ErrorKind::BadConfiguration, header + " does not parse as C:" + errors,
                "pass what the header needs to compile after `--`: include paths, defines, "
                "the target (e.g. `-- -I/opt/vendor/include -DVENDOR_STATIC -m32`)");
  }

  CModel model;
  model.headerPath = header;
  CXTargetInfo target = clang_getTranslationUnitTargetInfo(unit.unit);
  model.targetTriple = take(clang_TargetInfo_getTriple(target));
  model.pointerBits = static_cast<unsigned>(clang_TargetInfo_getPointerWidth(target));
  clang_TargetInfo_dispose(target);

  Reader reader(model);
  struct Visit {
    Reader* reader;
    std::set<std::string> seen;  // a function declared twice is drafted once
  } visit{&reader, {}};
  clang_visitChildren(clang_getTranslationUnitCursor(unit.unit),
      [](CXCursor c, CXCursor, CXClientData data) {
        auto& v = *static_cast<Visit*>(data);
        // The header and the vendor's headers it includes; not the system's (<stdint.h>,
        // anything found through the system include paths or -isystem).
        CXSourceLocation at = clang_getCursorLocation(c);
        bool vendor = clang_Location_isFromMainFile(at) != 0 || clang_Location_isInSystemHeader(at) == 0;
        if (!vendor) return CXChildVisit_Continue;
        switch (clang_getCursorKind(c)) {
          case CXCursor_FunctionDecl: {
            // Only what a library can export: a static or inline function has no symbol.
            if (clang_getCursorLinkage(c) != CXLinkage_External) break;
            if (clang_Cursor_isFunctionInlined(c)) break;
            std::string name = take(clang_getCursorSpelling(c));
            if (v.seen.insert(name).second) v.reader->function(c);
            break;
          }
          case CXCursor_TypedefDecl: v.reader->typedefDecl(c); break;
          case CXCursor_StructDecl: case CXCursor_UnionDecl: case CXCursor_EnumDecl:
            v.reader->recordDecl(c);
            break;
          default: break;
        }
        return CXChildVisit_Continue;
      },
      &visit);
  return model;
}

}  // namespace bitbridge::importer
