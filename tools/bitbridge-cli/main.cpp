// `bitbridge`: the command-line tool installed with bitbridge: `inspect`, `proxy`, `import-typelib`
// (reads with the Windows build), and `import-header`
// where libclang is (the 64-bit Linux build). main() only dispatches.
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "import_typelib_command.h"
#include "inspect_command.h"
#include "proxy_command.h"
#ifdef BITBRIDGE_HAVE_IMPORT_HEADER
#include "import_header_command.h"
#endif

namespace {

void usage(std::ostream& out) {
  out << "usage: bitbridge COMMAND [ARGS...]\n"
         "commands:\n"
         "  inspect FILE...   what bitbridge knows about a library, component or executable\n"
         "                    (`bitbridge inspect --help` for its options)\n"
         "  import-header HEADER [--library FILE] [--update SCHEMA] [-o OUT] [-- CLANG ARGS]\n"
         "                    draft an annotated schema for Host::bind from a C header\n"
         "                    (`bitbridge import-header --help`; 64-bit Linux build only)\n"
         "  import-typelib FILE [-o OUT]\n"
         "                    write a Cap'n Proto schema for a COM type library's interfaces\n"
         "                    (`bitbridge import-typelib --help`; reads with the Windows build)\n"
         "  proxy SCHEMA --header HEADER [-I DIR]... [-o OUT]\n"
         "                    write the C++ source of a drop-in proxy library from a bind schema\n"
         "                    (`bitbridge proxy --help`)\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    usage(std::cerr);
    return bitbridge::cli::kExitUsage;
  }
  const std::string command = args.front();
  args.erase(args.begin());
  if (command == "inspect") return bitbridge::cli::runInspect(args, std::cout, std::cerr);
  if (command == "proxy") return bitbridge::proxygen::runProxy(args, std::cout, std::cerr);
  if (command == "import-typelib") {
    return bitbridge::typelib::runImportTypeLib(args, std::cout, std::cerr);
  }
  if (command == "import-header") {
#ifdef BITBRIDGE_HAVE_IMPORT_HEADER
    return bitbridge::importer::runImportHeader(args, std::cout, std::cerr);
#else
    std::cerr << "bitbridge: import-header is not in this build: it reads headers with libclang, "
                 "which only the 64-bit Linux build links (fix: run the 64-bit `bitbridge`; "
                 "pass -m32 after `--`, or --library, for a 32-bit library's header)\n";
    return bitbridge::cli::kExitProblem;
#endif
  }
  if (command == "-h" || command == "--help" || command == "help") {
    usage(std::cout);
    return bitbridge::cli::kExitOk;
  }
  if (command == "--version") {
    std::cout << "bitbridge " << BITBRIDGE_VERSION << "\n";
    return bitbridge::cli::kExitOk;
  }
  std::cerr << "bitbridge: unknown command '" << command << "'\n";
  usage(std::cerr);
  return bitbridge::cli::kExitUsage;
}
