// ITypeLib -> TypeLibModel with oleaut32. Dual interfaces are read from their vtable half (its
// functions carry the [out, retval] parameter and the DISPIDs, and only the interface's own
// members, not IDispatch's); dispinterfaces from their dispatch functions and properties.
#include "typelib_reader.h"

#include <windows.h>
#include <objbase.h>
#include <oleauto.h>

#include <cstdio>
#include <set>

#include "bitbridge/error.h"

namespace bitbridge::typelib {
namespace {

// What IUnknown and IDispatch bring to a dispinterface that declares them: not the class's own.
const std::set<std::string> kInherited{"QueryInterface", "AddRef", "Release", "GetTypeInfoCount",
                                       "GetTypeInfo", "GetIDsOfNames", "Invoke"};

// UTF-16 <-> UTF-8 here, so that the tool needs nothing of bitbridge-core's internals.
std::string narrow(const std::wstring& wide) {
  if (wide.empty()) return {};
  int size = ::WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()),
                                   nullptr, 0, nullptr, nullptr);
  std::string out(static_cast<size_t>(size), '\0');
  ::WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()), &out[0], size,
                        nullptr, nullptr);
  return out;
}

std::wstring widen(const std::string& utf8) {
  if (utf8.empty()) return {};
  int size = ::MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()),
                                   nullptr, 0);
  std::wstring out(static_cast<size_t>(size), L'\0');
  ::MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), &out[0], size);
  return out;
}

std::string text(BSTR value) {
  if (value == nullptr) return {};
  std::string out = narrow(std::wstring(value, ::SysStringLen(value)));
  ::SysFreeString(value);
  return out;
}

std::string guidText(REFGUID guid) {
  wchar_t buffer[64];
  ::StringFromGUID2(guid, buffer, 64);
  return narrow(buffer);
}

// "Name {LIBID} major.minor" of a library, for messages about records of another library.
std::string libraryText(ITypeLib* library) {
  BSTR name = nullptr;
  library->GetDocumentation(-1, &name, nullptr, nullptr, nullptr);
  std::string out = text(name);
  TLIBATTR* attributes = nullptr;
  if (SUCCEEDED(library->GetLibAttr(&attributes))) {
    out += " " + guidText(attributes->guid) + " " + std::to_string(attributes->wMajorVerNum) +
           "." + std::to_string(attributes->wMinorVerNum);
    library->ReleaseTLibAttr(attributes);
  }
  return out;
}

// Releases what a TypeInfo hands out, whatever path the reader takes.
struct Info {
  explicit Info(ITypeInfo* info) : info(info) { info->GetTypeAttr(&attributes); }
  ~Info() {
    if (attributes != nullptr) info->ReleaseTypeAttr(attributes);
    info->Release();
  }
  Info(const Info&) = delete;
  Info& operator=(const Info&) = delete;
  std::string name(MEMBERID member = MEMBERID_NIL) const {
    BSTR n = nullptr;
    info->GetDocumentation(member, &n, nullptr, nullptr, nullptr);
    return text(n);
  }
  std::string doc(MEMBERID member = MEMBERID_NIL) const {
    BSTR d = nullptr;
    info->GetDocumentation(member, nullptr, &d, nullptr, nullptr);
    return text(d);
  }
  ITypeInfo* info;
  TYPEATTR* attributes = nullptr;
};

class Reader {
 public:
  explicit Reader(ITypeLib* library) : library_(library) {}

  TypeLibModel read() {
    TypeLibModel model;
    TLIBATTR* attributes = nullptr;
    if (SUCCEEDED(library_->GetLibAttr(&attributes))) {
      model.libid = guidText(attributes->guid);
      model.major = attributes->wMajorVerNum;
      model.minor = attributes->wMinorVerNum;
      library_->ReleaseTLibAttr(attributes);
    }
    BSTR name = nullptr, doc = nullptr;
    library_->GetDocumentation(-1, &name, &doc, nullptr, nullptr);
    model.name = text(name);
    model.doc = text(doc);
    for (UINT i = 0; i < library_->GetTypeInfoCount(); ++i) {
      ITypeInfo* raw = nullptr;
      if (FAILED(library_->GetTypeInfo(i, &raw))) continue;
      Info info(raw);
      if (info.attributes == nullptr) continue;
      switch (info.attributes->typekind) {
        case TKIND_ENUM: model.enums.push_back(readEnum(info)); break;
        case TKIND_RECORD: model.records.push_back(readRecord(info)); break;
        case TKIND_DISPATCH: model.interfaces.push_back(readDispatch(info)); break;
        case TKIND_INTERFACE:
          if ((info.attributes->wTypeFlags & TYPEFLAG_FDUAL) == 0) {
            model.skipped.push_back(info.name() + ": a vtable-only interface (not callable "
                                                  "through IDispatch)");
          }
          break;  // a dual one is listed as its TKIND_DISPATCH too
        case TKIND_COCLASS: model.classes.push_back(readClass(info)); break;
        default: break;  // aliases are followed where used; modules and unions are not COM calls
      }
    }
    return model;
  }

 private:
  TlType typeOf(ITypeInfo* context, const TYPEDESC& desc) {
    TlType type;
    switch (desc.vt) {
      case VT_VARIANT: type.kind = TlType::Kind::Variant; return type;
      case VT_SAFEARRAY: {
        // An array of a record is typed (List of its struct); any other element stays a Variant.
        if (desc.lptdesc != nullptr && desc.lptdesc->vt == VT_USERDEFINED) {
          TlType element = typeOf(context, *desc.lptdesc);
          if (element.kind == TlType::Kind::Record) {
            element.kind = TlType::Kind::RecordList;
            return element;
          }
        }
        type.kind = TlType::Kind::Array;
        return type;
      }
      case VT_DISPATCH:
      case VT_UNKNOWN: type.kind = TlType::Kind::Object; return type;
      case VT_PTR: {
        // A pointer to an interface is the object, one to a record the record (VB6 passes its
        // Types by reference only: `[in] Point*` for a Property Let); any other pointer here is
        // not automation.
        TlType inner = typeOf(context, *desc.lptdesc);
        if (inner.kind == TlType::Kind::Object || inner.kind == TlType::Kind::Record) return inner;
        type.kind = TlType::Kind::Unsupported;
        type.name = "a pointer to " + describe(inner);
        return type;
      }
      case VT_USERDEFINED: {
        ITypeInfo* raw = nullptr;
        if (FAILED(context->GetRefTypeInfo(desc.hreftype, &raw))) break;
        Info ref(raw);
        if (ref.attributes == nullptr) break;
        switch (ref.attributes->typekind) {
          case TKIND_ALIAS: return typeOf(ref.info, ref.attributes->tdescAlias);
          case TKIND_ENUM: type.kind = TlType::Kind::Enum; type.name = ref.name(); return type;
          case TKIND_RECORD: {
            type.kind = TlType::Kind::Record;
            type.name = ref.name();
            ITypeLib* owner = nullptr;
            UINT index = 0;
            if (SUCCEEDED(ref.info->GetContainingTypeLib(&owner, &index))) {
              if (owner != library_) type.otherLibrary = libraryText(owner);
              owner->Release();
            }
            return type;
          }
          case TKIND_DISPATCH:
          case TKIND_INTERFACE:
          case TKIND_COCLASS: {
            type.kind = TlType::Kind::Object;
            // Typed only when it is one of this library's dispatch interfaces.
            ITypeLib* owner = nullptr;
            UINT index = 0;
            if (SUCCEEDED(ref.info->GetContainingTypeLib(&owner, &index))) {
              if (owner == library_ && ref.attributes->typekind != TKIND_COCLASS &&
                  (ref.attributes->typekind == TKIND_DISPATCH ||
                   (ref.attributes->wTypeFlags & TYPEFLAG_FDUAL) != 0)) {
                type.name = ref.name();
              }
              owner->Release();
            }
            return type;
          }
          default: break;
        }
        break;
      }
      case VT_I1: case VT_I2: case VT_I4: case VT_I8: case VT_INT: case VT_UI1: case VT_UI2:
      case VT_UI4: case VT_UI8: case VT_UINT: case VT_R4: case VT_R8: case VT_BOOL: case VT_BSTR:
      case VT_CY: case VT_DATE: case VT_ERROR: case VT_DECIMAL: case VT_HRESULT:
        type.kind = TlType::Kind::Scalar;
        type.vt = desc.vt;
        return type;
      default: break;
    }
    type.kind = TlType::Kind::Unsupported;
    type.name = "VARTYPE " + std::to_string(desc.vt);
    return type;
  }

  static std::string describe(const TlType& type) {
    return type.name.empty() ? "VARTYPE " + std::to_string(type.vt) : type.name;
  }

  TlEnum readEnum(const Info& info) {
    TlEnum out;
    out.name = info.name();
    out.doc = info.doc();
    for (UINT v = 0; v < info.attributes->cVars; ++v) {
      VARDESC* var = nullptr;
      if (FAILED(info.info->GetVarDesc(v, &var))) continue;
      int32_t value = 0;
      if (var->varkind == VAR_CONST && var->lpvarValue != nullptr) {
        VARIANT number;
        ::VariantInit(&number);
        if (SUCCEEDED(::VariantChangeType(&number, var->lpvarValue, 0, VT_I4))) value = V_I4(&number);
      }
      out.values.emplace_back(info.name(var->memid), value);
      info.info->ReleaseVarDesc(var);
    }
    return out;
  }

  TlRecord readRecord(const Info& info) {
    TlRecord out;
    out.name = info.name();
    out.doc = info.doc();
    for (UINT v = 0; v < info.attributes->cVars; ++v) {
      VARDESC* var = nullptr;
      if (FAILED(info.info->GetVarDesc(v, &var))) continue;
      out.fields.emplace_back(info.name(var->memid), typeOf(info.info, var->elemdescVar.tdesc));
      info.info->ReleaseVarDesc(var);
    }
    return out;
  }

  TlClass readClass(const Info& info) {
    TlClass out;
    out.name = info.name();
    out.clsid = guidText(info.attributes->guid);
    for (UINT t = 0; t < info.attributes->cImplTypes; ++t) {
      INT flags = 0;
      HREFTYPE ref = 0;
      ITypeInfo* raw = nullptr;
      if (FAILED(info.info->GetImplTypeFlags(t, &flags)) || (flags & IMPLTYPEFLAG_FDEFAULT) == 0 ||
          FAILED(info.info->GetRefTypeOfImplType(t, &ref)) ||
          FAILED(info.info->GetRefTypeInfo(ref, &raw))) {
        continue;
      }
      Info implemented(raw);
      ((flags & IMPLTYPEFLAG_FSOURCE) != 0 ? out.sourceInterface : out.defaultInterface) =
          implemented.name();
    }
    return out;
  }

  TlInterface readDispatch(const Info& info) {
    TlInterface out;
    out.name = info.name();
    out.iid = guidText(info.attributes->guid);
    out.doc = info.doc();
    out.dual = (info.attributes->wTypeFlags & TYPEFLAG_FDUAL) != 0;
    if (out.dual) {
      // The vtable half: its own functions with their [out, retval] parameters.
      HREFTYPE ref = 0;
      ITypeInfo* raw = nullptr;
      if (SUCCEEDED(info.info->GetRefTypeOfImplType(static_cast<UINT>(-1), &ref)) &&
          SUCCEEDED(info.info->GetRefTypeInfo(ref, &raw))) {
        Info vtable(raw);
        if (vtable.attributes != nullptr) readFunctions(vtable, out);
        return out;
      }
    }
    readFunctions(info, out);
    // A dispinterface's properties: get, and put unless read-only.
    for (UINT v = 0; v < info.attributes->cVars; ++v) {
      VARDESC* var = nullptr;
      if (FAILED(info.info->GetVarDesc(v, &var))) continue;
      TlMember get;
      get.dispid = var->memid;
      get.kind = TlMember::Kind::PropertyGet;
      get.name = info.name(var->memid);
      get.doc = info.doc(var->memid);
      get.result = typeOf(info.info, var->elemdescVar.tdesc);
      if ((var->wVarFlags & VARFLAG_FREADONLY) == 0) {
        TlMember put = get;
        put.kind = TlMember::Kind::PropertyPut;
        put.doc.clear();
        TlParam value;
        value.name = "value";
        value.type = *get.result;
        put.params.push_back(value);
        put.result.reset();
        out.members.push_back(put);
      }
      out.members.push_back(get);
      info.info->ReleaseVarDesc(var);
    }
    return out;
  }

  void readFunctions(const Info& info, TlInterface& out) {
    for (UINT f = 0; f < info.attributes->cFuncs; ++f) {
      FUNCDESC* function = nullptr;
      if (FAILED(info.info->GetFuncDesc(f, &function))) continue;
      TlMember member;
      member.dispid = function->memid;
      std::vector<BSTR> names(static_cast<size_t>(function->cParams) + 1, nullptr);
      UINT got = 0;
      info.info->GetNames(function->memid, names.data(), static_cast<UINT>(names.size()), &got);
      std::vector<std::string> texts;
      for (UINT n = 0; n < names.size(); ++n) texts.push_back(n < got ? text(names[n]) : "");
      member.name = texts[0];
      member.doc = info.doc(function->memid);
      switch (function->invkind) {
        case INVOKE_PROPERTYGET: member.kind = TlMember::Kind::PropertyGet; break;
        case INVOKE_PROPERTYPUT: member.kind = TlMember::Kind::PropertyPut; break;
        case INVOKE_PROPERTYPUTREF: member.kind = TlMember::Kind::PropertyPutRef; break;
        default: member.kind = TlMember::Kind::Method; break;
      }
      bool skip = kInherited.count(member.name) != 0 ||
                  (function->wFuncFlags & FUNCFLAG_FHIDDEN) != 0;
      for (SHORT p = 0; p < function->cParams && !skip; ++p) {
        const ELEMDESC& element = function->lprgelemdescParam[p];
        USHORT flags = element.paramdesc.wParamFlags;
        bool out = (flags & PARAMFLAG_FOUT) != 0;
        // [out] and [in, out] parameters are pointers to what they carry.
        const TYPEDESC& carried =
            out && element.tdesc.vt == VT_PTR ? *element.tdesc.lptdesc : element.tdesc;
        if ((flags & PARAMFLAG_FRETVAL) != 0) {
          member.result = typeOf(info.info, carried);
          continue;
        }
        TlParam param;
        param.name = texts[static_cast<size_t>(p) + 1];
        if (param.name.empty() && member.kind != TlMember::Kind::Method &&
            p == function->cParams - 1 && member.kind != TlMember::Kind::PropertyGet) {
          param.name = "value";  // a property put's value has no name in the library
        }
        param.in = (flags & PARAMFLAG_FIN) != 0 || !out;
        param.out = out;
        param.optional = (flags & (PARAMFLAG_FOPT | PARAMFLAG_FHASDEFAULT)) != 0;
        param.type = typeOf(info.info, carried);
        member.params.push_back(param);
      }
      // A dispinterface method declared with a return type (VB6's events, "void" or a value).
      VARTYPE returned = function->elemdescFunc.tdesc.vt;
      if (!skip && !member.result && returned != VT_VOID && returned != VT_HRESULT &&
          function->funckind == FUNC_DISPATCH) {
        member.result = typeOf(info.info, function->elemdescFunc.tdesc);
      }
      info.info->ReleaseFuncDesc(function);
      if (!skip) out.members.push_back(member);
    }
  }

  ITypeLib* library_;
};

std::string hex(HRESULT result) {
  char text[32];
  std::snprintf(text, sizeof(text), "HRESULT 0x%08lX", static_cast<unsigned long>(result));
  return text;
}

}  // namespace

TypeLibModel readTypeLib(const std::string& path) {
  // oleaut32 wants COM on the thread; the tool is single-threaded.
  HRESULT entered = ::CoInitializeEx(nullptr, COINIT_APARTMENTTHREADED);
  struct Leave {
    bool entered;
    ~Leave() {
      if (entered) ::CoUninitialize();
    }
  } leave{SUCCEEDED(entered)};
  ITypeLib* library = nullptr;
  HRESULT hr = ::LoadTypeLibEx(widen(path).c_str(), REGKIND_NONE, &library);
  if (FAILED(hr) || library == nullptr) {
    bool missing = ::GetFileAttributesW(widen(path).c_str()) == INVALID_FILE_ATTRIBUTES;
    throw Error(ErrorKind::NotFound,
                missing ? "no such file: " + path
                        : path + " holds no type library that oleaut32 can read (LoadTypeLibEx: " +
                              hex(hr) + ")",
                missing ? "check the path"
                        : "pass the .tlb, or the DLL/OCX with the type library embedded as "
                          "resource TYPELIB 1 (what VB6 and MIDL builds embed)");
  }
  TypeLibModel model = Reader(library).read();
  library->Release();
  return model;
}

}  // namespace bitbridge::typelib
