#include "proxy_command.h"

#include <cstdio>
#include <fstream>

#include <capnp/schema-parser.h>

#include "bitbridge/error.h"
#include "proxy_source.h"
#include "stdio_schema_file.h"

namespace bitbridge::proxygen {
namespace {

constexpr uint64_t kCxxNamespace = 0xb9c6f99ebf805f2cull;  // /capnp/c++.capnp $namespace

void usage(std::ostream& out) {
  out << "usage: bitbridge proxy SCHEMA --header HEADER [--interface NAME] [--name NAME]\n"
         "                       [--library PATH] [--schema-include FILE] [-I DIR]... [-o OUT]\n"
         "Writes the C++ source of a drop-in proxy library: every method of the bind schema's\n"
         "interface as an exported C function with HEADER's signature, forwarded through\n"
         "bitbridge to the real library in a host of its bitness.\n"
         "  --header HEADER      the vendor's header, as the source #includes it\n"
         "  --interface NAME     the interface (default: the schema's only one)\n"
         "  --name NAME          the proxy's name, in log lines and BITBRIDGE_PROXY_<NAME>_LIBRARY\n"
         "                       (default: HEADER's base name)\n"
         "  --library PATH       the library the host binds unless that variable says otherwise\n"
         "  --schema-include F   the schema's generated C++ header (default: SCHEMA's name + .h)\n"
         "  -I DIR               a capnp import directory (for /capnp/c++.capnp, /bitbridge/c.capnp)\n"
         "  -o OUT               write there (default: standard output)\n";
}

std::string baseName(const std::string& path) {
  auto slash = path.find_last_of("/\\");
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

int runProxy(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string schemaPath, outPath, ifaceName;
  ProxySourceOptions options;
  std::vector<std::string> importDirs;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string& into) {
      if (i + 1 >= args.size()) return false;
      into = args[++i];
      return true;
    };
    bool ok = true;
    if (a == "-h" || a == "--help") {
      usage(out);
      return 0;
    } else if (a == "--header") ok = value(options.header);
    else if (a == "--interface") ok = value(ifaceName);
    else if (a == "--name") ok = value(options.name);
    else if (a == "--library") ok = value(options.library);
    else if (a == "--schema-include") ok = value(options.schemaInclude);
    else if (a == "-o") ok = value(outPath);
    else if (a == "-I") {
      std::string dir;
      ok = value(dir);
      importDirs.push_back(dir);
    } else if (a.rfind("-I", 0) == 0) importDirs.push_back(a.substr(2));
    else if (!a.empty() && a[0] == '-') {
      err << "bitbridge proxy: unknown option '" << a << "'\n";
      usage(err);
      return 2;
    } else if (schemaPath.empty()) schemaPath = a;
    else ok = false;
    if (!ok) {
      err << "bitbridge proxy: '" << a << "' needs a value, or is one argument too many\n";
      usage(err);
      return 2;
    }
  }
  if (schemaPath.empty() || options.header.empty()) {
    err << "bitbridge proxy: a SCHEMA and --header are required\n";
    usage(err);
    return 2;
  }
  if (options.name.empty()) {
    options.name = baseName(options.header);
    auto dot = options.name.rfind('.');
    if (dot != std::string::npos) options.name.resize(dot);
  }
  options.schemaFile = baseName(schemaPath);
  if (options.schemaInclude.empty()) options.schemaInclude = options.schemaFile + ".h";

  std::string source;
  try {
    // Read with stdio, not KJ's disk filesystem: see stdio_schema_file.h (Wine).
    capnp::SchemaParser parser;
    auto file = parser.parseFile(kj::heap<StdioSchemaFile>(schemaPath, importDirs));
    for (auto a : file.getProto().getAnnotations()) {
      if (a.getId() == kCxxNamespace) options.cxxNamespace = a.getValue().getText();
    }
    while (!options.cxxNamespace.empty() && options.cxxNamespace.front() == ':') options.cxxNamespace.erase(0, 1);
    std::vector<capnp::InterfaceSchema> found;
    std::string names;
    for (auto nested : file.getAllNested()) {
      if (!nested.getProto().isInterface()) continue;
      std::string n = nested.getProto().getDisplayName().slice(nested.getProto().getDisplayNamePrefixLength()).cStr();
      names += (names.empty() ? "" : ", ") + n;
      if (ifaceName.empty() || n == ifaceName) found.push_back(nested.asInterface());
    }
    if (ifaceName.empty() && found.size() > 1) {
      // A callback's interface is a parameter type of the library's: when exactly one interface
      // is no parameter of another, it is the library's.
      std::vector<capnp::InterfaceSchema> library;
      for (auto candidate : found) {
        bool isParameter = false;
        for (auto other : found) {
          for (auto method : other.getMethods()) {
            for (auto field : method.getParamType().getFields()) {
              auto type = field.getType();
              if (type.isInterface() && type.asInterface() == candidate) isParameter = true;
            }
          }
        }
        if (!isParameter) library.push_back(candidate);
      }
      if (!library.empty()) {
        found = library;
        names.clear();
        for (auto i : found) names += (names.empty() ? "" : ", ") + std::string(i.getUnqualifiedName().cStr());
      }
    }
    if (found.size() != 1) {
      err << "bad-configuration: " << schemaPath << ": "
          << (ifaceName.empty() ? (found.empty() ? std::string("declares no interface at its top level")
                                                 : "declares " + std::to_string(found.size()) + " interfaces (" + names +
                                                       ") that no other one takes as a callback; choose one with --interface")
                                : "declares no interface '" + ifaceName + "' at its top level (it has: " + names + ")")
          << "\n";
      return 1;
    }
    if (found[0].getMethods().size() == 0) {
      err << "bad-configuration: " << schemaPath << ": interface " << found[0].getUnqualifiedName().cStr()
          << " has no method, so the proxy would export nothing\n";
      return 1;
    }
    source = proxySource(found[0], options);
  } catch (const Error& e) {
    err << e.what() << "\n";
    return 1;
  } catch (const kj::Exception& e) {
    err << "bad-configuration: " << schemaPath << " does not parse as a Cap'n Proto schema: "
        << e.getDescription().cStr() << "\n";
    return 1;
  }

  if (outPath.empty()) {
    out << source;
    return 0;
  }
  // Written beside and renamed: a build interrupted here leaves no half file to compile.
  std::string tmp = outPath + ".tmp";
  {
    std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
    file << source;
    if (!file.flush()) {
      err << "bitbridge proxy: cannot write " << tmp << "\n";
      return 1;
    }
  }
  // Windows' rename does not replace an existing file (a rebuild): remove it, then again.
  bool renamed = std::rename(tmp.c_str(), outPath.c_str()) == 0 ||
                 (std::remove(outPath.c_str()) == 0 && std::rename(tmp.c_str(), outPath.c_str()) == 0);
  if (!renamed) {
    std::remove(tmp.c_str());
    err << "bitbridge proxy: cannot rename " << tmp << " to " << outPath << "\n";
    return 1;
  }
  return 0;
}

}  // namespace bitbridge::proxygen
