#include "import_typelib_command.h"

#include <fstream>

#include "bitbridge/error.h"
#include "inspect_command.h"  // the exit codes
#include "typelib_reader.h"
#include "typelib_schema.h"

namespace bitbridge::typelib {
namespace {

const char kUsage[] =
    "usage: bitbridge import-typelib FILE [-o OUT] [--namespace NS]\n"
    "  Writes a Cap'n Proto schema for the type library FILE (a .tlb, or a DLL/OCX with one\n"
    "  embedded): its dispatch and dual interfaces (methods and properties with typed\n"
    "  parameters, DISPIDs as annotations), enums, records and class IDs. To stdout, or to OUT.\n"
    "  --namespace NS: the generated C++ goes in namespace NS (legacy::accounts), not the global one.\n"
    "  Needs the Windows build (oleaut32); on Linux run it under Wine:\n"
    "    tools/windows/wine-run.sh build-windows/stage/bin/x86_64/bitbridge.exe import-typelib FILE\n";

}  // namespace

int runImportTypeLib(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string input, output, cxxNamespace;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "-h" || args[i] == "--help") {
      out << kUsage;
      return cli::kExitOk;
    }
    if (args[i] == "-o" && i + 1 < args.size()) {
      output = args[++i];
    } else if (args[i] == "--namespace" && i + 1 < args.size()) {
      cxxNamespace = args[++i];
      if (!isCxxNamespace(cxxNamespace)) {
        err << "bitbridge import-typelib: --namespace '" << cxxNamespace
            << "' is not a C++ namespace (fix: identifiers joined by ::, e.g. legacy::accounts)\n";
        return cli::kExitUsage;
      }
    } else if (!args[i].empty() && args[i][0] == '-') {
      err << "bitbridge import-typelib: unknown option '" << args[i] << "'\n" << kUsage;
      return cli::kExitUsage;
    } else if (input.empty()) {
      input = args[i];
    } else {
      err << "bitbridge import-typelib: one type library at a time\n" << kUsage;
      return cli::kExitUsage;
    }
  }
  if (input.empty()) {
    err << kUsage;
    return cli::kExitUsage;
  }
  std::string schema;
  try {
    // The file's name only: the same library gives the same schema wherever it lies.
    std::string name = input.substr(input.find_last_of("/\\") + 1);
    schema = writeSchema(readTypeLib(input), name, cxxNamespace);
  } catch (const Error& error) {
    err << "bitbridge import-typelib: " << error.what() << "\n";
    return cli::kExitProblem;
  }
  if (output.empty()) {
    out << schema;
    return cli::kExitOk;
  }
  std::ofstream file(output, std::ios::binary);
  file << schema;
  if (!file.flush()) {
    err << "bitbridge import-typelib: cannot write " << output << " (fix: check the directory "
        << "exists and is writable)\n";
    return cli::kExitProblem;
  }
  return cli::kExitOk;
}

}  // namespace bitbridge::typelib
