#include "schema_draft.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <optional>
#include <regex>
#include <set>

#include "names.h"
#include "naming_conventions.h"

namespace bitbridge::importer {
namespace {

using Kind = CType::Kind;

bool isScalar(const CType& t) {
  return t.kind == Kind::Int || t.kind == Kind::Float || t.kind == Kind::Bool || t.kind == Kind::Enum;
}

// What a parameter or field drafts to.
struct Draft {
  std::string type;                      ///< capnp type
  std::vector<std::string> annotations;  ///< "$C.out", ...
  std::vector<std::string> questions;    ///< text after "QUESTION(id): "
  bool out = false;                      ///< gets a result field of the same name
  bool callback = false;                 ///< a callback (function pointer) parameter
  std::string unbound;                   ///< non-empty: bind cannot call it, why
};

class Drafter {
 public:
  Drafter(const CModel& model, const DraftOptions& options) : model_(model), options_(options) {
    // Names of types first: functions and structs refer to them.
    for (const auto& name : model_.recordOrder) {
      const CRecord& r = model_.records.at(name);
      if (r.complete && !internal(name)) recordNames_[name] = types_.unique(capnpName(name, true));
    }
    for (const auto& name : model_.enumOrder) enumNames_[name] = types_.unique(capnpName(name, true));
    for (const auto& name : model_.callbackOrder) {
      callbackNames_[name] = types_.unique(capnpName(name, true));
    }
    interfaceName_ = options_.interfaceName.empty()
                         ? types_.unique(capnpName(stem(options_.headerName), true))
                         : options_.interfaceName;
  }

  SchemaFile draft() {
    SchemaFile file;
    file.preamble = preamble();
    for (const auto& name : model_.enumOrder) file.top.push_back(enumBlock(model_.enums.at(name)));
    for (const auto& name : model_.recordOrder) {
      if (recordNames_.count(name)) file.top.push_back(recordBlock(model_.records.at(name)));
    }
    for (const auto& name : model_.callbackOrder) {
      file.top.push_back(callbackBlock(model_.callbacks.at(name)));
    }
    Block iface{"interface", interfaceName_, "", ""};
    iface.text = markerLine("", "interface", interfaceName_, "") + "interface " + interfaceName_ + " {\n";
    file.interface = iface;
    unsigned ordinal = 0;
    NameScope methods;
    for (const CFunction& f : model_.functions) file.methods.push_back(functionBlock(f, methods, ordinal));
    return file;
  }

 private:
  static std::string stem(const std::string& file) {
    std::string base = file.substr(file.find_last_of("/\\") + 1);
    return base.substr(0, base.find('.'));
  }
  static bool internal(const std::string& name) { return name.rfind("__", 0) == 0; }

  std::string preamble() const {
    std::string text =
        "# Drafted by `bitbridge import-header` from " + options_.headerName + " (read as " +
        model_.targetTriple + ").\n"
        "# Yours to edit and keep: `bitbridge import-header ... --update THIS_FILE` drafts the header\n"
        "# again and keeps every block whose C declaration (on its `# bitbridge:` line) is unchanged\n"
        "# exactly as you left it. Keep the `# bitbridge:` lines.\n"
        "#   QUESTION lines: a decision the header cannot settle; the DEFAULT drafted is bindable.\n"
        "#     Answer one by fixing the annotations, then delete the line.\n"
        "#   NOT BOUND lines: drafted commented out, as bind cannot call it (the reason follows).\n"
        "# Annotations: /bitbridge/c.capnp; docs/reference.md \"Binding a C library\".\n";
    if (options_.library) {
      text += "# Library: " + options_.library->path + ": " + options_.library->description +
              ", loaded by " + options_.library->host + ".\n";
    }
    std::string ns;
    for (char c : stem(options_.headerName)) {
      ns += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
    }
    if (ns.empty() || std::isdigit(static_cast<unsigned char>(ns[0]))) ns = "h_" + ns;
    text += "@" + hexId(fileIdFor(stem(options_.headerName))) + ";\n\n"
            "using Cxx = import \"/capnp/c++.capnp\";\n"
            "using C = import \"/bitbridge/c.capnp\";\n"
            "$Cxx.namespace(\"" + ns + "_schema\");\n\n";
    return text;
  }

  // ---- types ----

  std::optional<std::string> enumType(const std::string& name) const {
    // A C enum becomes a capnp enum only when its values are 0, 1, 2, ... in order: bind
    // passes a capnp enum as its ordinal.
    const CEnum& e = model_.enums.at(name);
    for (size_t i = 0; i < e.values.size(); ++i) {
      if (e.values[i].second != static_cast<int64_t>(i)) return std::nullopt;
    }
    if (e.values.empty()) return std::nullopt;
    return enumNames_.at(name);
  }

  // A scalar's capnp type and its $type annotation, if any.
  Draft scalar(const CType& t) const {
    Draft d;
    if (t.kind == Kind::Bool) {
      d.type = "Bool";
    } else if (t.kind == Kind::Float) {
      d.type = t.bytes == 4 ? "Float32" : "Float64";
      if (t.bytes != 4 && t.bytes != 8) d.unbound = "`" + t.spelling + "` (long double) has no Cap'n Proto type";
    } else if (t.kind == Kind::Enum) {
      if (auto e = enumType(t.name)) {
        d.type = *e;
      } else {
        d.type = "Int32";  // a C enum is an int; its values are listed beside the enum's block
      }
    } else if (t.platformType == "wchar") {
      d.type = "UInt32";
      d.annotations.push_back("$C.type(wchar)");
    } else if (!t.platformType.empty()) {
      bool isSigned = t.platformType == "long" || t.platformType == "ssize" || t.platformType == "intptr";
      d.type = isSigned ? "Int64" : "UInt64";
      d.annotations.push_back("$C.type(" + t.platformType + ")");
    } else {
      switch (t.bytes) {
        case 1: d.type = t.isSigned ? "Int8" : "UInt8"; break;
        case 2: d.type = t.isSigned ? "Int16" : "UInt16"; break;
        case 4: d.type = t.isSigned ? "Int32" : "UInt32"; break;
        case 8: d.type = t.isSigned ? "Int64" : "UInt64"; break;
        default: d.unbound = "`" + t.spelling + "` is " + std::to_string(t.bytes) + " bytes wide";
      }
    }
    return d;
  }

  // Why a struct cannot be bound, or "" when it can.
  std::string recordProblem(const std::string& name, std::set<std::string> seen = {}) const {
    const CRecord& r = model_.records.at(name);
    if (internal(name)) return "`" + name + "` is a compiler-internal type (a va_list?)";
    if (!r.complete) return "struct " + name + " is only declared, not defined, in what was read";
    if (r.isUnion) return "union " + name + ": bind has no unions";
    if (r.fields.empty()) return "struct " + name + " has no fields";
    if (!seen.insert(name).second) return "struct " + name + " contains itself";
    for (const CField& f : r.fields) {
      if (f.bitField) return "struct " + name + " has a bit-field (`" + f.name + "`): bind has none";
      const CType& t = *f.type;
      if (t.kind == Kind::Record) {
        if (auto p = recordProblem(t.name, seen); !p.empty()) return p;
      } else if (t.kind == Kind::Array) {
        if (t.arraySize == 0) return "struct " + name + " ends in a flexible array (`" + f.name + "[]`)";
        const CType& e = *t.pointee;
        if (e.kind == Kind::Record) {
          if (auto p = recordProblem(e.name, seen); !p.empty()) return p;
        } else if (!isScalar(e)) {
          return "struct " + name + ": `" + t.spelling + " " + f.name + "` is an array of pointers or arrays";
        }
      } else if (!isScalar(t) && t.kind != Kind::Pointer) {
        return "struct " + name + ": `" + t.spelling + " " + f.name + "` has no Cap'n Proto form";
      }
    }
    return "";
  }

  // An opaque handle's kind: the typedef of the pointer (`gzFile`) or the struct's name.
  static std::optional<std::string> handleKind(const CType& pointer) {
    if (pointer.kind != Kind::Pointer) return std::nullopt;
    const CType& p = *pointer.pointee;
    if (!pointer.pointerTypedef.empty() && p.kind == Kind::Record) return pointer.pointerTypedef;
    if (p.kind == Kind::Record) return p.name;  // complete or not: decided by the caller
    return std::nullopt;
  }

  bool isOpaque(const CType& pointer) const {
    if (pointer.kind != Kind::Pointer || pointer.pointee->kind != Kind::Record) return false;
    const CRecord& r = model_.records.at(pointer.pointee->name);
    // A typedef'd pointer to a struct (`gzFile`) is the handle idiom even when the struct is
    // visible: callers are not meant to look inside.
    return !r.complete || !pointer.pointerTypedef.empty();
  }

  // ---- structs, enums, callbacks ----

  Block enumBlock(const CEnum& e) {
    Block b{"enum", e.name, e.signature, markerLine("", "enum", e.name, e.signature)};
    std::string name = enumNames_.at(e.name);
    if (!enumType(e.name)) {
      // Not 0, 1, 2...: parameters of this type are drafted as Int32, and the values are
      // kept here for reference (capnp enums cannot have other values).
      b.text += "# C enum " + e.name + " is passed as Int32; its values:\n";
      for (const auto& [n, v] : e.values) b.text += "#   " + n + " = " + std::to_string(v) + "\n";
      b.text += "\n";
      return b;
    }
    b.text += "enum " + name + " {\n";
    NameScope scope;
    unsigned i = 0;
    for (const auto& [n, v] : e.values) {
      b.text += "  " + scope.unique(capnpName(n, false)) + " @" + std::to_string(i++) + ";  # " + n + "\n";
    }
    b.text += "}\n\n";
    return b;
  }

  Draft fieldDraft(const CRecord& r, const CField& f) const {
    const CType& t = *f.type;
    if (isScalar(t)) return scalar(t);
    Draft d;
    if (t.kind == Kind::Record) {
      d.type = recordNames_.at(t.name);
    } else if (t.kind == Kind::Array) {
      const CType& e = *t.pointee;
      std::string n = std::to_string(t.arraySize);
      if (e.kind == Kind::Int && e.isCharacter) {
        d.type = e.isPlainChar ? "Text" : "Data";
      } else if (e.kind == Kind::Record) {
        d.type = "List(" + recordNames_.at(e.name) + ")";
      } else {
        Draft s = scalar(e);
        if (!s.annotations.empty()) d.questions.push_back("`" + t.spelling + "`: an array of a platform-sized type; bind lays out inline arrays of fixed-width types only. DEFAULT: " + s.type);
        d.type = "List(" + s.type + ")";
      }
      d.annotations.push_back("$C.array(" + n + ")");
    } else if (t.kind == Kind::Pointer) {
      const CType& p = *t.pointee;
      if (p.kind == Kind::Function) {
        d.type = "UInt64";
        d.annotations.push_back("$C.handle(\"" + (p.name.empty() ? std::string("callback") : p.name) + "\")");
        d.questions.push_back("a callback (function pointer) inside a struct: kept as an opaque pointer "
                              "so the layout is right; only token 0 (NULL) can be set. DEFAULT: NULL");
      } else if (p.kind == Kind::Int && p.isCharacter) {
        bool bytes = !p.isPlainChar;
        d.type = bytes ? "Data" : "Text";
        if (bytes) lengthNote(r, f, d);
      } else if (p.kind == Kind::Void) {
        d.type = "UInt64";
        d.annotations.push_back("$C.handle(\"void\")");
        d.questions.push_back("`" + t.spelling + "`: what does it point to? DEFAULT: an opaque pointer (token; 0 is NULL)");
      } else if (auto kind = handleKind(t); kind && isOpaque(t)) {
        d.type = "UInt64";
        d.annotations.push_back("$C.handle(\"" + *kind + "\")");
      } else if (isScalar(p) && scalar(p).annotations.empty() && scalar(p).unbound.empty()) {
        d.type = "List(" + scalar(p).type + ")";
        lengthNote(r, f, d);
      } else if (p.kind == Kind::Record && recordNames_.count(p.name) && recordProblem(p.name).empty()) {
        d.type = "List(" + recordNames_.at(p.name) + ")";
        lengthNote(r, f, d);
      } else {
        d.type = "UInt64";
        d.annotations.push_back("$C.handle(\"pointer\")");
        d.questions.push_back("`" + t.spelling + "`: no Cap'n Proto form; kept as an opaque pointer so the layout is right. DEFAULT: token 0 (NULL)");
      }
    }
    return d;
  }

  // A pointer field of a struct: its length field, if one is named after it.
  void lengthNote(const CRecord& r, const CField& f, Draft& d) const {
    for (const CField& other : r.fields) {
      if (&other != &f && isCount(*other.type) && namedLength(normalizedName(f.name), normalizedName(other.name))) {
        d.questions.push_back("`" + f.type->spelling + " " + f.name + "`: a pointer to an array; its length is probably `" + other.name +
                              "`, which you may mark `$C.lengthOf(\"" + capnpName(f.name, false) + "\")`. DEFAULT: not linked");
        return;
      }
    }
    d.questions.push_back("`" + f.type->spelling + " " + f.name + "`: a pointer to an array of unknown length. DEFAULT: as sent; on the way back it stays unset");
  }

  Block recordBlock(const CRecord& r) {
    Block b{"struct", r.name, r.signature, markerLine("", "struct", r.name, r.signature)};
    std::string name = recordNames_.at(r.name);
    std::string problem = recordProblem(r.name);
    std::string body = "struct " + name + " {\n";
    NameScope scope;
    unsigned i = 0;
    std::vector<std::string> questions;
    for (const CField& f : r.fields) {
      Draft d = fieldDraft(r, f);
      std::string field = scope.unique(capnpName(f.name.empty() ? "field" : f.name, false));
      for (const auto& q : d.questions) body += "  # QUESTION(" + r.name + "." + f.name + "): " + q + "\n";
      body += "  " + field + " @" + std::to_string(i++) + " :" + (d.type.empty() ? "UInt64" : d.type);
      for (const auto& a : d.annotations) body += " " + a;
      body += ";  # " + f.type->spelling + " " + f.name + "\n";
    }
    body += "}\n";
    if (problem.empty()) {
      b.text += body + "\n";
    } else {
      b.text += "# NOT BOUND(" + r.name + "): " + problem + "; functions that use it are drafted commented out\n";
      b.text += commentOut(body, "") + "\n";
    }
    return b;
  }

  Block callbackBlock(const CCallback& cb) {
    Block b{"callback", cb.name, cb.signature, markerLine("", "callback", cb.name, cb.signature)};
    const CType& fn = *cb.function;
    std::vector<std::string> questions;
    std::string problem;
    if (!fn.callingConvention.empty() && fn.callingConvention != "stdcall") {
      problem = "its calling convention is " + fn.callingConvention + "; bind has cdecl and stdcall";
    }
    std::string text = "interface " + callbackNames_.at(cb.name) +
                       (fn.callingConvention == "stdcall" ? " $C.stdcall" : "") + " {\n  call @0 (";
    bool userTaken = false;
    for (size_t i = 0; i < fn.params.size(); ++i) {
      const CType& t = *fn.params[i];
      std::string field = "arg" + std::to_string(i);
      std::string type = callbackValue(t, field, userTaken, questions, problem);
      if (type == "Void $C.user") field = "user";
      text += std::string(i ? ", " : "") + field + " :" + type;
    }
    text += ")";
    if (fn.result && fn.result->kind != Kind::Void) {
      const CType& r = *fn.result;
      std::string type;
      if (isScalar(r) && scalar(r).unbound.empty()) {
        Draft s = scalar(r);
        type = s.type;
        for (const auto& an : s.annotations) type += " " + an;
      } else if (r.kind == Kind::Pointer) {
        type = "UInt64 $C.type(uintptr)";
        questions.push_back("it returns a pointer (`" + r.spelling + "`): drafted as a number of the pointer's width");
      } else {
        problem = "its result `" + r.spelling + "` has no callback form (numbers, Bool, enums, pointers as numbers)";
      }
      text += " -> (result :" + type + ")";
    }
    text += ";\n}\n";
    b.text += "# A callback type (" + cb.signature + "): the client passes an object implementing\n"
              "# this interface; the library gets a C function pointer that calls it.\n";
    for (const auto& q : questions) b.text += "# QUESTION(" + cb.name + "): " + q + "\n";
    if (problem.empty()) {
      b.text += text + "\n";
    } else {
      b.text += "# NOT BOUND(" + cb.name + "): " + problem + "; functions that take it are drafted commented out\n";
      b.text += commentOut(text, "") + "\n";
      callbackProblems_[cb.name] = problem;
    }
    return b;
  }

  // One parameter of a callback: what bind passes to the client (c.capnp "Callbacks": numbers,
  // Bool, enums, const char* as Text, const S* as S, the void* context as Void $user).
  std::string callbackValue(const CType& t, const std::string& field, bool& userTaken,
                            std::vector<std::string>& questions, std::string& problem) {
    if (isScalar(t) && scalar(t).unbound.empty()) {
      Draft s = scalar(t);
      std::string type = s.type;
      for (const auto& a : s.annotations) type += " " + a;
      return type;
    }
    if (t.kind == Kind::Pointer) {
      const CType& p = *t.pointee;
      if (p.kind == Kind::Void && !userTaken) {
        userTaken = true;
        questions.push_back("`" + t.spelling + "` (" + field + ") is the context the library passes back (the `void*` "
                            "given when the callback was registered)? DEFAULT: yes (Void $C.user: the client never sees "
                            "it; the bound function's context parameter gets $C.userFor)");
        return "Void $C.user";
      }
      if (p.kind == Kind::Int && p.isPlainChar && p.isConst) return "Text";
      if (p.kind == Kind::Record && p.isConst && recordNames_.count(p.name) && recordProblem(p.name).empty()) {
        return recordNames_.at(p.name);
      }
      questions.push_back("`" + t.spelling + "` (" + field + "): a pointer the client cannot follow. DEFAULT: its value, "
                          "as a number of the pointer's width");
      return "UInt64 $C.type(uintptr)";
    }
    problem = "its parameter `" + t.spelling + "` has no callback form";
    return "UInt64";
  }

  // The function that undoes a registration, by the usual pairs of names (set/clear,
  // register/unregister, add/remove, ...): for $C.releasedBy.
  std::optional<std::string> unregisterFunction(const std::string& name) const {
    static const std::vector<std::pair<std::string, std::vector<std::string>>> pairs = {
        {"register", {"unregister", "deregister"}}, {"Register", {"Unregister", "Deregister"}},
        {"set", {"clear", "unset", "remove", "reset"}}, {"Set", {"Clear", "Unset", "Remove", "Reset"}},
        {"add", {"remove", "del", "delete"}}, {"Add", {"Remove", "Del", "Delete"}},
        {"install", {"uninstall", "remove"}}, {"Install", {"Uninstall", "Remove"}},
        {"subscribe", {"unsubscribe"}}, {"Subscribe", {"Unsubscribe"}},
        {"attach", {"detach"}}, {"Attach", {"Detach"}},
        {"connect", {"disconnect"}}, {"Connect", {"Disconnect"}}};
    for (const auto& [verb, undos] : pairs) {
      size_t at = name.find(verb);
      if (at == std::string::npos) continue;
      for (const auto& undo : undos) {
        std::string candidate = name.substr(0, at) + undo + name.substr(at + verb.size());
        for (const auto& f : model_.functions) {
          if (f.name == candidate) return candidate;
        }
      }
    }
    return std::nullopt;
  }

  // Whether a word of the name (snake_case or CamelCase) is a verb of registration.
  static bool registersSomething(const std::string& name) {
    std::vector<std::string> words(1);
    for (size_t i = 0; i < name.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(name[i]);
      bool boundary = c == '_' || (std::isupper(c) && i > 0 && std::islower(static_cast<unsigned char>(name[i - 1])));
      if (boundary && !words.back().empty()) words.emplace_back();
      if (c != '_') words.back() += static_cast<char>(std::tolower(c));
    }
    for (const auto& word : words) {
      for (const char* verb : {"register", "set", "add", "install", "subscribe", "attach", "connect", "hook", "on"}) {
        if (word == verb) return true;
      }
    }
    return false;
  }

  // A `void*` parameter next to a callback, named like a context: the library's `void* user`.
  static bool looksLikeContext(const std::string& cName) {
    std::string lower;
    for (char c : cName) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const char* word : {"user", "ctx", "context", "data", "arg", "cookie", "param", "opaque", "closure", "client", "self", "state"}) {
      if (lower.find(word) != std::string::npos) return true;
    }
    return false;
  }

  // ---- functions ----

  struct Param {
    std::string cName;
    std::string name;  // capnp
    Draft draft;
    std::vector<std::string> extra;  // annotations added by other parameters ($C.lengthOf)
  };

  Draft paramDraft(const CFunction& f, size_t i, std::vector<Param>& params, bool& releaseTaken) {
    const CType& t = *f.params[i].type;
    const std::string& cName = f.params[i].name.empty() ? "arg" + std::to_string(i) : f.params[i].name;
    auto length = lengthParameter(f, i);
    auto lengthName = [&] { return params[*length].name; };
    // The length parameter of an input array is filled by the host ($lengthOf) unless another
    // input array already took it; then this array checks against it ($length).
    auto inputLength = [&](Draft& d, const std::string& what) {
      if (!length) {
        d.questions.push_back("`" + t.spelling + " " + cName + "`: " + what + " of unknown length. DEFAULT: as many elements as the "
                              "client sends, not passed to the function (add $C.terminated if it ends at a zero element)");
        return;
      }
      auto& extra = params[*length].extra;
      bool taken = std::any_of(extra.begin(), extra.end(), [](const std::string& a) { return a.rfind("$C.lengthOf", 0) == 0; });
      if (taken) d.annotations.push_back("$C.length(\"" + lengthName() + "\")");
      else extra.push_back("$C.lengthOf(\"" + params[i].name + "\")");
      d.questions.push_back("`" + t.spelling + " " + cName + "`: " + what + "; its length is `" + f.params[*length].name +
                            "`? DEFAULT: yes (" + (taken ? "$C.length" : "$C.lengthOf, filled by the host") + ")");
    };
    auto outBuffer = [&](Draft& d, const std::string& unit) {
      d.out = true;
      d.annotations.push_back("$C.out");
      if (length) {
        d.annotations.push_back("$C.length(\"" + lengthName() + "\")");
        d.questions.push_back("`" + t.spelling + " " + cName + "`: a buffer the function fills, of `" + f.params[*length].name +
                              "` " + unit + "? DEFAULT: yes ($C.out $C.length); $C.inout if it also reads what is there");
      } else {
        d.annotations.push_back("$C.capacity(256)");
        d.questions.push_back("`" + t.spelling + " " + cName + "`: a buffer the function fills? Its size is not in the header. "
                              "DEFAULT: 256 " + unit + " ($C.out $C.capacity(256)); $C.inout if it also reads it, "
                              "$C.length(\"<parameter>\") if a parameter gives the size");
      }
    };

    if (isScalar(t)) return scalar(t);
    Draft d;
    if (t.kind == Kind::Record) {
      if (auto p = recordProblem(t.name); !p.empty()) {
        d.unbound = p;
        d.type = "UInt64";
        return d;
      }
      d.type = recordNames_.at(t.name);
      d.annotations.push_back("$C.byValue");
      return d;
    }
    if (t.kind != Kind::Pointer) {
      d.type = "UInt64";
      d.unbound = "parameter `" + t.spelling + " " + cName + "` has no Cap'n Proto form";
      return d;
    }
    const CType& p = *t.pointee;
    if (p.kind == Kind::Function) {
      if (p.name.empty() || !callbackNames_.count(p.name)) {
        d.type = "UInt64";
        d.unbound = "its callback parameter `" + t.spelling + " " + cName + "` has no type the header names";
        return d;
      }
      d.type = callbackNames_.at(p.name);
      d.callback = true;
      if (auto problem = callbackProblems_.find(p.name); problem != callbackProblems_.end()) {
        d.unbound = "its callback " + p.name + ": " + problem->second;
        return d;
      }
      d.annotations.push_back("$C.nullable");
      if (!registersSomething(f.name)) {
        d.questions.push_back("`" + cName + "` is called only while " + f.name + " runs (a comparator, an enumeration)? "
                              "DEFAULT: yes (no $C.callback: freed when the call returns); if the library keeps it, "
                              "$C.callback(released) $C.releasedBy(\"<method that unregisters it>\") or $C.callback(host). "
                              "$C.nullable: drop it if NULL is not allowed");
      } else if (auto undo = unregisterFunction(f.name)) {
        d.annotations.push_back("$C.callback(released)");
        d.annotations.push_back("$C.releasedBy(\"" + capnpName(*undo, false) + "\")");
        d.questions.push_back("`" + cName + "` is kept by the library until " + *undo + " is called? DEFAULT: yes, from "
                              "the names ($C.callback(released) $C.releasedBy); $C.callback(host) if it is never "
                              "forgotten, no $C.callback if it is used only during the call. $C.nullable: drop it if "
                              "NULL is not allowed");
      } else {
        d.annotations.push_back("$C.callback(host)");
        d.questions.push_back("`" + cName + "` is kept by the library (" + f.name + " registers it) and nothing in the "
                              "header unregisters it? DEFAULT: yes ($C.callback(host): valid until the host exits); "
                              "$C.callback(released) $C.releasedBy(\"<method>\") if a function forgets it, no "
                              "$C.callback if it is used only during the call. $C.nullable: drop it if NULL is not allowed");
      }
      return d;
    }
    if (auto kind = handleKind(t); kind && isOpaque(t)) {
      d.type = "UInt64";
      d.annotations.push_back("$C.handle(\"" + *kind + "\")");
      if (model_.records.at(p.name).complete) {
        d.questions.push_back("`" + t.spelling + " " + cName + "` points to a struct the header defines: an opaque "
                              "handle, or a struct the caller fills? DEFAULT: a handle (a token from the function "
                              "that creates it); if the caller fills it, draft it as the struct (" +
                              (recordNames_.count(p.name) ? recordNames_.at(p.name) : p.name) + " $C.inout)");
      }
      if (!releaseTaken && releasesByName(f.name)) {
        releaseTaken = true;
        d.annotations.push_back("$C.releases");
        d.questions.push_back("does " + f.name + " free `" + cName + "`? DEFAULT: yes, from its name ($C.releases: the token is void after the call)");
      }
      return d;
    }
    if (p.kind == Kind::Pointer) {
      const CType& pp = *p.pointee;
      if (auto kind = handleKind(p); kind && isOpaque(p)) {
        d.type = "UInt64";
        d.annotations.push_back("$C.handle(\"" + *kind + "\")");
        d.annotations.push_back("$C.out");
        d.out = true;
        return d;
      }
      if (pp.kind == Kind::Int && pp.isCharacter) {
        if (p.isConst) {
          d.type = "List(Text)";
          d.questions.push_back("`" + t.spelling + " " + cName + "`: an array of strings. DEFAULT: followed by NULL (bind always "
                                "adds it); a count parameter, if any, is yours to set");
          return d;
        }
        d.type = "Text";
        d.out = true;
        d.annotations.push_back("$C.out");
        d.questions.push_back("`" + t.spelling + " " + cName + "`: the function points it at a string? Who frees that string? "
                              "DEFAULT: the library keeps it (copied, never freed); add $C.freeWith(\"free\") (or the "
                              "library's own free function) if the caller must free it");
        return d;
      }
      d.type = "UInt64";
      d.unbound = "parameter `" + t.spelling + " " + cName + "`: a pointer to a pointer has no bind form";
      return d;
    }
    bool wide = p.kind == Kind::Int && p.platformType == "wchar";
    if (p.kind == Kind::Int && (p.isCharacter || wide)) {
      bool bytes = !wide && !p.isPlainChar;
      d.type = bytes ? "Data" : "Text";
      if (wide) d.annotations.push_back("$C.type(wchar)");
      if (p.isConst) {
        if (bytes) inputLength(d, "input bytes");
        return d;
      }
      outBuffer(d, wide ? "wchar_t units" : "bytes");
      return d;
    }
    if (p.kind == Kind::Void) {
      if (length) {
        d.type = "Data";
        if (p.isConst) inputLength(d, "input bytes");
        else outBuffer(d, "bytes");
        return d;
      }
      d.type = "UInt64";
      d.annotations.push_back("$C.handle(\"void\")");
      d.annotations.push_back("$C.nullable");
      d.questions.push_back("`" + t.spelling + " " + cName + "`: what does it point to? DEFAULT: an opaque pointer, passed as a "
                            "token (0 is NULL; others only as the library handed them out); Data with a length if it is bytes");
      return d;
    }
    std::string element;
    if (isScalar(p)) {
      Draft s = scalar(p);
      if (!s.unbound.empty()) return s;
      element = s.type;
      if (!s.annotations.empty()) {
        // A platform-sized value through a pointer: one value ($out/$inout keep $type), never
        // an array (bind lists are fixed-width).
        d = s;
        d.out = true;
        d.annotations.push_back(p.isConst ? "$C.inout" : "$C.out");
        d.questions.push_back("`" + t.spelling + " " + cName + "`: one value the function " + (p.isConst ? "reads" : "writes") +
                              "? DEFAULT: " + (p.isConst ? "$C.inout" : "$C.out") + "; $C.inout if it reads it too");
        return d;
      }
    } else if (p.kind == Kind::Record) {
      if (auto problem = recordProblem(p.name); !problem.empty()) {
        d.type = "UInt64";
        d.unbound = problem;
        return d;
      }
      element = recordNames_.at(p.name);
    } else {
      d.type = "UInt64";
      d.unbound = "parameter `" + t.spelling + " " + cName + "` has no bind form";
      return d;
    }
    if (p.isConst) {
      if (length || p.kind != Kind::Record) {
        d.type = "List(" + element + ")";
        inputLength(d, "an input array");
      } else {
        d.type = element;  // const S*: bind's default for a struct parameter
      }
      return d;
    }
    if (length) {
      d.type = "List(" + element + ")";
      outBuffer(d, "elements");
      return d;
    }
    d.type = element;
    d.out = true;
    bool record = p.kind == Kind::Record;
    d.annotations.push_back(record ? "$C.inout" : "$C.out");
    d.questions.push_back("`" + t.spelling + " " + cName + "`: " +
                          (record ? "a struct the function reads and writes? DEFAULT: $C.inout; $C.out if it only writes it"
                                  : "one value the function writes? DEFAULT: $C.out; $C.inout if it reads it too, "
                                    "List(" + element + ") if it is an array"));
    return d;
  }

  Draft resultDraft(const CFunction& f) const {
    const CType& t = *f.result;
    if (t.kind == Kind::Void) return {};
    if (isScalar(t)) return scalar(t);
    Draft d;
    if (t.kind == Kind::Record) {
      d.unbound = recordProblem(t.name);
      d.type = d.unbound.empty() ? recordNames_.at(t.name) : "UInt64";
      return d;
    }
    if (t.kind == Kind::Pointer) {
      const CType& p = *t.pointee;
      if (auto kind = handleKind(t); kind && isOpaque(t)) {
        d.type = "UInt64";
        d.annotations.push_back("$C.handle(\"" + *kind + "\")");
        return d;
      }
      bool wide = p.kind == Kind::Int && p.platformType == "wchar";
      if (p.kind == Kind::Int && (p.isPlainChar || wide)) {
        d.type = "Text";
        if (wide) d.annotations.push_back("$C.type(wchar)");
        if (!p.isConst) {
          d.questions.push_back("returns `" + t.spelling + "`: who frees the string? DEFAULT: the library keeps it (copied, "
                                "never freed); add $C.freeWith(\"free\") (or the library's own free function) to the result "
                                "if the caller must free it");
        }
        return d;
      }
      if (p.kind == Kind::Void) {
        d.type = "UInt64";
        d.annotations.push_back("$C.handle(\"void\")");
        d.questions.push_back("returns `" + t.spelling + "`: what does it point to? DEFAULT: an opaque pointer, as a token");
        return d;
      }
    }
    d.type = "UInt64";
    d.unbound = "its result `" + t.spelling + "` has no bind form (only numbers, structs, strings and handles)";
    return d;
  }

  // The text as comments, "# " inserted after `indent`, so that uncommenting is deleting it.
  static std::string commentOut(const std::string& text, const std::string& indent) {
    std::string out;
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
      out += indent + "# " + (line.rfind(indent, 0) == 0 ? line.substr(indent.size()) : line) + "\n";
      start = end == std::string::npos ? text.size() : end + 1;
    }
    return out;
  }

  Block functionBlock(const CFunction& f, NameScope& methods, unsigned& ordinal) {
    Block b{"fn", f.name, f.signature, markerLine("  ", "fn", f.name, f.signature)};
    std::vector<std::string> unbound;
    std::vector<std::string> notes;  // function-level questions
    if (f.variadic) unbound.push_back("it is variadic (`...`): bind calls fixed parameter lists only");
    std::string convention = f.callingConvention;
    if (options_.library) {
      const ExportStatus& s = options_.library->functions.at(f.name);
      if (s.state == ExportStatus::State::Missing) {
        const auto& byNumber = options_.library->ordinalOnly;
        unbound.push_back(options_.library->path + " does not export it by name" +
                          (byNumber.empty() ? std::string()
                                            : "; it exports " + ordinalList(byNumber) +
                                                  " by number only: if it is one of those, add $C.ordinal(N) and uncomment it"));
      } else if (s.state == ExportStatus::State::Decorated && convention.empty()) {
        convention = "stdcall";
        notes.push_back("the library exports it as `" + s.symbol + "`, a __stdcall name, though the header (as read) "
                        "says cdecl. DEFAULT: $C.stdcall");
      }
    }
    if (!convention.empty() && convention != "stdcall") {
      unbound.push_back("its calling convention is " + convention + "; bind has cdecl and stdcall");
    }

    NameScope scope;
    std::vector<Param> params;
    for (size_t i = 0; i < f.params.size(); ++i) {
      std::string c = f.params[i].name.empty() ? "arg" + std::to_string(i) : f.params[i].name;
      params.push_back({c, scope.unique(capnpName(c, false)), {}, {}});
    }
    bool releaseTaken = false;
    for (size_t i = 0; i < f.params.size(); ++i) {
      params[i].draft = paramDraft(f, i, params, releaseTaken);
      if (!params[i].draft.unbound.empty()) unbound.push_back(params[i].draft.unbound);
    }
    // A `void*` context next to a callback is the library's `void* user`: bind passes its own
    // and hands it back to the callback ($C.userFor), so the client never sees a host pointer.
    // The one right after the callback, else one named like a context.
    auto opaque = [&](size_t j) {
      const Draft& d = params[j].draft;
      return !d.callback && d.type == "UInt64" && !d.annotations.empty() && d.annotations[0] == "$C.handle(\"void\")";
    };
    for (size_t i = 0; i < params.size(); ++i) {
      if (!params[i].draft.callback || !params[i].draft.unbound.empty()) continue;
      std::vector<size_t> order;
      if (i + 1 < params.size()) order.push_back(i + 1);
      for (size_t j = 0; j < params.size(); ++j) {
        if (j != i + 1 && looksLikeContext(params[j].cName)) order.push_back(j);
      }
      for (size_t j : order) {
        if (j == i || !opaque(j)) continue;
        Draft& d = params[j].draft;
        d = Draft{};
        d.type = "Void";
        d.annotations.push_back("$C.userFor(\"" + params[i].name + "\")");
        d.questions.push_back("`" + params[j].cName + "` is the context the library passes back to `" + params[i].cName +
                              "`? DEFAULT: yes ($C.userFor: bind passes a context of its own; the callback's Void "
                              "$C.user parameter receives it)");
        break;
      }
    }
    Draft result = resultDraft(f);
    if (!result.unbound.empty()) unbound.push_back(result.unbound);
    for (const auto& q : result.questions) notes.push_back(q);
    // An out parameter named `result` would clash with the return value's field.
    for (auto& p : params) {
      if (p.draft.out && p.name == "result" && f.result->kind != Kind::Void) p.name = scope.unique("resultOut");
    }

    std::string method = methods.unique(capnpName(f.name, false));
    std::string text;
    if (!f.comment.empty()) text += "  # " + f.comment + "\n";
    for (const auto& n : notes) text += "  # QUESTION(" + f.name + "): " + n + "\n";
    std::string body = "  " + method + " @" + std::to_string(ordinal) + " (";
    for (size_t i = 0; i < params.size(); ++i) {
      const Param& p = params[i];
      body += "\n";
      for (const auto& q : p.draft.questions) body += "      # QUESTION(" + f.name + "." + p.cName + "): " + q + "\n";
      body += "      " + p.name + " :" + p.draft.type;
      for (const auto& a : p.draft.annotations) body += " " + a;
      for (const auto& a : p.extra) body += " " + a;
      if (i + 1 < params.size()) body += ",";
    }
    if (!params.empty()) body += "\n  ";
    body += ") -> (";
    std::vector<std::string> results;
    if (f.result->kind != Kind::Void) {
      std::string r = "result :" + result.type;
      for (const auto& a : result.annotations) r += " " + a;
      results.push_back(r);
    }
    for (const auto& p : params) {
      if (p.draft.out) results.push_back(p.name + " :" + p.draft.type);
    }
    for (size_t i = 0; i < results.size(); ++i) body += (i ? ", " : "") + results[i];
    body += ")";
    if (convention == "stdcall") body += " $C.stdcall";
    body += " $C.symbol(\"" + f.name + "\");\n";
    if (unbound.empty()) {
      ++ordinal;
      text += body;
    } else {
      for (const auto& u : unbound) text += "  # NOT BOUND(" + f.name + "): " + u + "\n";
      text += commentOut(body, "  ");
    }
    b.text += text + "\n";
    return b;
  }

  const CModel& model_;
  const DraftOptions& options_;
  NameScope types_;
  std::map<std::string, std::string> recordNames_, enumNames_, callbackNames_;
  std::map<std::string, std::string> callbackProblems_;  // callbacks bind cannot take, why
  std::string interfaceName_;
};

}  // namespace

SchemaFile draftSchema(const CModel& model, const DraftOptions& options) {
  return Drafter(model, options).draft();
}

size_t countQuestions(const std::string& text) {
  size_t count = 0;
  for (size_t at = text.find("QUESTION("); at != std::string::npos; at = text.find("QUESTION(", at + 1)) ++count;
  return count;
}

}  // namespace bitbridge::importer
