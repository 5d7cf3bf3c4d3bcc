#include "proxy_source.h"

#include <regex>
#include <sstream>
#include <utility>
#include <vector>

#include "bitbridge/error.h"
#include "client/proxy/proxy_plan.h"

namespace bitbridge::proxygen {
namespace {

// A C++ string literal of `s`.
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

// A function returning a pointer (text or an opaque handle) fails with a pointer: a number
// other than 0 there (an interface-wide `result = "-1"` reaching it) would otherwise surface
// as a C++ error in the generated source. Refused here, naming the method and the fix.
void requirePointerFailure(const proxy::MethodPlan& plan, const proxy::FailureDecl& failure) {
  bool pointer = plan.resultRole == proxy::ResultRole::Text ||
                 plan.resultRole == proxy::ResultRole::Handle;
  static const std::regex number(R"(\s*[-+]?\s*[0-9][0-9.xXa-fA-FuUlL]*\s*)");
  static const std::regex zero(R"(\s*0[uUlL]*\s*)");
  if (!pointer || !failure.declared || !std::regex_match(failure.result, number) ||
      std::regex_match(failure.result, zero)) {
    return;
  }
  throw Error(ErrorKind::BadConfiguration,
              plan.name + " returns a pointer, but its $C.onFailure gives it result = \"" +
                  failure.result + "\", a number",
              "give the method a $C.onFailure of its own with result = \"NULL\" (a method's "
              "$C.onFailure takes the place of its interface's)");
}

std::string failureText(const proxy::FailureDecl& f) {
  std::string text;
  if (!f.result.empty()) text = "result = " + f.result;
  if (!f.errnoExpr.empty()) text += (text.empty() ? "" : ", ") + std::string("errno = ") + f.errnoExpr;
  return text.empty() ? "nothing to return" : text;
}

// The vendor's deallocator `fn` ($C.freeWith("fn")), defined by the proxy with the header's own
// signature: the program frees with it what the proxy handed it (malloc'd copies; the host
// already gave the library's own block to the library's `fn`). Its return value, if any, is
// zero.
void freeFunction(std::ostringstream& out, const std::string& fn, bool stdcall,
                  const ProxySourceOptions& options) {
  std::string f = "decltype(&::" + fn + ")";
  out << "// " << fn << ": the deallocator $C.freeWith(\"" << fn << "\") names; it frees the proxy's copies\n"
      << "static_assert(bp::Signature<" << f << ">::arity == 1 && std::is_pointer_v<bp::Arg<" << f << ", 0>>, "
      << quoted(fn + ": " + options.schemaFile + " names it in $C.freeWith, so the proxy defines it, and "
                "the library's header must declare it as a function of one pointer")
      << ");\n"
      << "extern \"C\" BITBRIDGE_PROXY_EXPORT bp::Result<" << f << "> "
      << (stdcall ? "BITBRIDGE_PROXY_STDCALL " : "") << fn << "(bp::Arg<" << f << ", 0> a0) {\n"
      << "  proxyState().release(" << quoted(fn) << ", const_cast<void*>(static_cast<const void*>(a0)));\n"
      << "  return bp::ResultSlot<bp::Result<" << f << ">>().take();\n"
      << "}\n\n";
}

}  // namespace

std::string proxySource(capnp::InterfaceSchema iface, const ProxySourceOptions& options) {
  std::string ifaceName = iface.getUnqualifiedName();
  std::string cxxIface = (options.cxxNamespace.empty() ? "" : "::" + options.cxxNamespace) + "::" + ifaceName;
  auto methods = iface.getMethods();

  std::ostringstream specs, functions;
  uint32_t index = 0;
  // $C.freeWith functions other than `free`, in first-named order, with whether the method
  // naming them is __stdcall: the proxy defines them (freeFunction below).
  std::vector<std::pair<std::string, bool>> freeFunctions;
  auto needsFree = [&](const std::string& fn, bool stdcall) {
    if (fn.empty() || fn == "free") return;
    for (const auto& f : freeFunctions) {
      if (f.first == fn) return;
    }
    freeFunctions.emplace_back(fn, stdcall);
  };
  // Layouts in the generator's ABI, used for the refusals only: the proxy lays out the
  // program's structs again in the program's own bitness (proxy.cpp).
  cbind::StructLayouts structs;
  for (auto method : methods) {
    proxy::MethodPlan plan = proxy::planMethod(iface, method, structs);  // refuses what cannot be converted
    proxy::FailureDecl failure = proxy::failureOf(iface, method);
    requirePointerFailure(plan, failure);
    const std::string& sym = plan.symbol;
    std::string f = "decltype(&::" + sym + ")";
    needsFree(plan.resultFreeWith, plan.stdcall);
    for (const auto& p : plan.params) needsFree(p.freeWith, plan.stdcall);
    size_t n = plan.params.size();
    specs << "      bp::methodSpec<" << f << ">(" << quoted(sym) << ", " << method.getIndex() << ", "
          << (failure.declared ? "true" : "false") << ", " << quoted(failureText(failure)) << "),\n";

    functions << "// " << plan.name << "\n"
              << "static_assert(bp::Signature<" << f << ">::arity == " << n << ", "
              << quoted(sym + ": the library's header declares another number of parameters than " +
                        options.schemaFile + "'s " + plan.name + " (" + std::to_string(n) + ")")
              << ");\n"
              << "extern \"C\" BITBRIDGE_PROXY_EXPORT bp::Result<" << f << "> "
              << (plan.stdcall ? "BITBRIDGE_PROXY_STDCALL " : "") << sym << "(";
    for (size_t i = 0; i < n; ++i) {
      functions << (i ? ", " : "") << "bp::Arg<" << f << ", " << i << "> a" << i;
    }
    functions << ") {\n"
              << "  using R = bp::Result<" << f << ">;\n"
              << "  const void* const args[] = {";
    if (n == 0) functions << "nullptr";
    for (size_t i = 0; i < n; ++i) functions << (i ? ", " : "") << "&a" << i;
    functions << "};\n"
              << "  bp::ResultSlot<R> r;\n";
    if (!failure.declared) {
      functions << "  proxyState().call(" << index << ", args, r.address());  // aborts on failure: no $C.onFailure\n"
                << "  return r.take();\n";
    } else {
      functions << "  if (proxyState().call(" << index << ", args, r.address())) return r.take();\n";
      if (!failure.errnoExpr.empty()) functions << "  errno = (" << failure.errnoExpr << ");\n";
      if (failure.result.empty()) {
        functions << "  static_assert(std::is_void_v<R>, "
                  << quoted(sym + " returns a value, but its $C.onFailure in " + options.schemaFile +
                            " gives no result: add result = \"<a C value>\"")
                  << ");\n"
                  << "  return r.take();\n";
      } else {
        functions << "  return static_cast<R>(" << failure.result << ");\n";
      }
    }
    functions << "}\n\n";
    ++index;
  }
  for (const auto& [fn, stdcall] : freeFunctions) freeFunction(functions, fn, stdcall, options);

  std::ostringstream out;
  out << "// Generated by `bitbridge proxy` from " << options.schemaFile << " (interface " << ifaceName
      << "): do not edit.\n"
      << "// A drop-in " << options.name << ": each function of " << options.header
      << ", with its own C signature, forwarded through bitbridge\n"
      << "// to the real library bound in a host of its bitness (docs/reference.md \"Drop-in proxy "
         "libraries\").\n"
      << "#include <cerrno>\n"
      << "#include <cstdlib>\n"
      << "#include <type_traits>\n\n"
      << "#include <bitbridge/proxy.h>\n\n"
      << "#include " << quoted(options.schemaInclude) << "\n\n"
      // A vendor's C header need not say extern \"C\" for C++ readers: without it the
      // definitions below would clash with its declarations (C++ linkage).
      << "extern \"C\" {\n"
      << "#include " << quoted(options.header) << "\n"
      << "}\n\n"
      << "#ifndef BITBRIDGE_PROXY_LIBRARY\n"
      << "#define BITBRIDGE_PROXY_LIBRARY " << quoted(options.library) << "\n"
      << "#endif\n"
      << "#if defined(_WIN32)\n"
      << "#define BITBRIDGE_PROXY_EXPORT __declspec(dllexport)\n"
      << "#define BITBRIDGE_PROXY_STDCALL __stdcall  // $C.stdcall: matters on 32-bit x86 only\n"
      << "#else\n"
      << "#define BITBRIDGE_PROXY_STDCALL\n"
      << "#define BITBRIDGE_PROXY_EXPORT __attribute__((visibility(\"default\")))\n"
      << "#endif\n\n"
      << "namespace {\n"
      << "namespace bp = ::bitbridge::proxy;\n\n"
      << "// Created on the first call, never destroyed (bitbridge/proxy.h: the program may call\n"
      << "// from static destructors and atexit handlers).\n"
      << "bp::Proxy& proxyState() {\n"
      << "  static const bp::MethodSpec methods[] = {\n"
      << specs.str()
      << "  };\n"
      << "  static bp::Proxy* const instance = new bp::Proxy(bp::ProxySpec{\n"
      << "      " << quoted(options.name) << ", BITBRIDGE_PROXY_LIBRARY,\n"
      << "      ::capnp::Schema::from<" << cxxIface << ">().asInterface(), methods,\n"
      << "      " << index << ", " << quoted(options.schemaFile) << "});\n"
      << "  // At exit the program's stored callbacks stop (bitbridge/proxy.h). Registered at the\n"
      << "  // first call: it runs before the statics constructed earlier are destroyed.\n"
      << "  static const bool stopsAtExit = std::atexit([] { proxyState().programExiting(); }) == 0;\n"
      << "  (void)stopsAtExit;\n"
      << "  return *instance;\n"
      << "}\n\n"
      << "}  // namespace\n\n"
      << functions.str();
  return out.str();
}

}  // namespace bitbridge::proxygen
