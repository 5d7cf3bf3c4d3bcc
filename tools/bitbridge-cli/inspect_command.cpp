#include "inspect_command.h"

#include "inspection.h"
#include "report.h"

namespace bitbridge::cli {

const char* inspectUsage() {
  return "usage: bitbridge inspect [--json] [--no-load] [--exports] FILE...\n"
         "  Prints what bitbridge knows about each library, component or executable (ELF or\n"
         "  PE): format, machine, bitness, .NET flags, the host it needs, whether it is a\n"
         "  bitbridge component and its classes, its exports, and its dependencies resolved\n"
         "  as that host resolves them.\n"
         "  --json       machine-readable output (schema bitbridge-inspect/1)\n"
         "  --no-load    do not start a host to list a component's classes (loading runs\n"
         "               the library's initialisers)\n"
         "  --exports    list every exported symbol (text output; JSON always lists them)\n"
         "  exit status: 0 all fine, 1 a file has a problem, 2 usage error\n";
}

int runInspect(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  InspectOptions options;
  bool endOfOptions = false;
  for (const std::string& arg : args) {
    if (!endOfOptions && arg.size() > 1 && arg[0] == '-') {
      if (arg == "--json") {
        options.json = true;
      } else if (arg == "--no-load") {
        options.load = false;
      } else if (arg == "--exports") {
        options.listExports = true;
      } else if (arg == "--") {
        endOfOptions = true;
      } else if (arg == "-h" || arg == "--help") {
        out << inspectUsage();
        return kExitOk;
      } else {
        err << "bitbridge inspect: unknown option " << arg << "\n" << inspectUsage();
        return kExitUsage;
      }
      continue;
    }
    options.files.push_back(arg);
  }
  if (options.files.empty()) {
    err << "bitbridge inspect: no FILE given\n" << inspectUsage();
    return kExitUsage;
  }

  SearchEnvironment environment = nativeSearchEnvironment();
  std::vector<FileReport> reports;
  bool ok = true;
  for (const std::string& file : options.files) {
    reports.push_back(inspectFile(file, options, environment));
    ok = ok && reports.back().problems.empty();
  }
  if (options.json) {
    writeJson(out, reports);
  } else {
    writeText(out, reports, options);
  }
  out.flush();
  return ok ? kExitOk : kExitProblem;
}

}  // namespace bitbridge::cli
