// `bitbridge`: the command-line tool installed with bitbridge. One subcommand so far,
// `inspect`; later ones are added to the table below. main() only dispatches.
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "inspect_command.h"

namespace {

void usage(std::ostream& out) {
  out << "usage: bitbridge COMMAND [ARGS...]\n"
         "commands:\n"
         "  inspect FILE...   what bitbridge knows about a library, component or executable\n"
         "                    (`bitbridge inspect --help` for its options)\n";
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
