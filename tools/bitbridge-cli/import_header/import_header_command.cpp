#include "import_header_command.h"

#include <fstream>
#include <optional>
#include <sstream>

#include "bitbridge/error.h"
#include "export_check.h"
#include "header_reader.h"
#include "schema_draft.h"
#include "schema_update.h"

namespace bitbridge::importer {
namespace {

constexpr int kOk = 0;
constexpr int kProblem = 1;
constexpr int kUsage = 2;

struct Options {
  std::string header;
  std::optional<std::string> library, update, output, interfaceName;
  std::vector<std::string> clangArgs;
  bool force = false;
};

std::string readText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(ErrorKind::NotFound, "cannot read " + path, "check the path given to --update");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void writeText(const std::string& path, const std::string& text) {
  // Written beside the target, then renamed: an interrupted run leaves the user's file whole.
  std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw Error(ErrorKind::BadConfiguration, "cannot write " + temp, "check the directory of -o");
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    throw Error(ErrorKind::BadConfiguration, "cannot replace " + path, "check the directory of -o");
  }
}

std::string list(const std::vector<std::string>& names) {
  if (names.empty()) return "none";
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

const char* importHeaderUsage() {
  return "usage: bitbridge import-header HEADER [--library FILE] [--update SCHEMA] [-o OUT]\n"
         "                                [--interface NAME] [-- CLANG ARGS...]\n"
         "Drafts an annotated Cap'n Proto schema for Host::bind from a C header (read with libclang):\n"
         "one method per function, its structs, enums and callback types. Decisions the header\n"
         "cannot settle are marked `# QUESTION(...)` with the default drafted; what bind cannot call\n"
         "is drafted commented out under `# NOT BOUND(...)`.\n"
         "  --library FILE    check the functions against the exports of the real library, name the\n"
         "                    host that loads it, and read the header for its bitness (-m32/-m64)\n"
         "  --update SCHEMA   merge into a schema drafted before and edited since: unchanged\n"
         "                    declarations keep your text, new ones are added, changed and removed\n"
         "                    ones are flagged (CHANGED / REMOVED); written back to SCHEMA unless -o\n"
         "  -o OUT            write the schema to OUT (default: standard output); a schema drafted\n"
         "                    before is not overwritten without --update (merge) or --force\n"
         "  --interface NAME  the interface's name (default: from the header's file name)\n"
         "  -- CLANG ARGS     passed to clang: -I, -D, -m32, --target=i686-w64-mingw32, ...\n";
}

int runImportHeader(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Options options;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::optional<std::string>& slot) {
      if (i + 1 >= args.size()) {
        err << "bitbridge import-header: " << a << " needs a value\n" << importHeaderUsage();
        return false;
      }
      slot = args[++i];
      return true;
    };
    if (a == "--") {
      options.clangArgs.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    if (a == "-h" || a == "--help") {
      out << importHeaderUsage();
      return kOk;
    }
    if (a == "--force") {
      options.force = true;
    } else if (a == "--library") {
      if (!value(options.library)) return kUsage;
    } else if (a == "--update") {
      if (!value(options.update)) return kUsage;
    } else if (a == "-o" || a == "--output") {
      if (!value(options.output)) return kUsage;
    } else if (a == "--interface") {
      if (!value(options.interfaceName)) return kUsage;
    } else if (!a.empty() && a[0] == '-') {
      err << "bitbridge import-header: unknown option '" << a << "' (clang's options go after `--`)\n"
          << importHeaderUsage();
      return kUsage;
    } else if (options.header.empty()) {
      options.header = a;
    } else {
      err << "bitbridge import-header: one header at a time ('" << options.header << "' and '" << a
          << "'); a header that includes the others drafts them all\n";
      return kUsage;
    }
  }
  if (options.header.empty()) {
    err << "bitbridge import-header: no header given\n" << importHeaderUsage();
    return kUsage;
  }

  try {
    std::vector<std::string> clangArgs = options.clangArgs;
    if (options.library) {
      for (auto& a : targetArgsFor(*options.library, clangArgs)) clangArgs.push_back(a);
    }
    CModel model = readHeader(options.header, clangArgs);
    std::optional<LibraryCheck> library;
    if (options.library) library = checkLibrary(*options.library, model);

    DraftOptions draftOptions;
    draftOptions.headerName = options.header.substr(options.header.find_last_of('/') + 1);
    draftOptions.interfaceName = options.interfaceName.value_or("");
    draftOptions.library = library ? &*library : nullptr;
    SchemaFile schema = draftSchema(model, draftOptions);

    UpdateReport report;
    if (options.update) {
      SchemaFile existing = parseSchemaFile(readText(*options.update), *options.update);
      schema = mergeUpdate(existing, schema, report);
    }
    std::string text = render(schema);
    std::optional<std::string> target = options.output ? options.output : options.update;
    // A rerun without --update onto a schema drafted before would throw the user's answers
    // away: refused unless asked for.
    if (target && !options.force && target != options.update && std::ifstream(*target).good() &&
        readText(*target).find("# bitbridge:interface") != std::string::npos) {
      throw Error(ErrorKind::BadConfiguration,
                  *target + " is a schema drafted before (it has `# bitbridge:` markers); writing over it would "
                            "lose the answers edited into it",
                  "--update " + *target + " keeps them; --force overwrites it");
    }
    if (target) writeText(*target, text);
    else out << text;

    size_t bound = 0;
    size_t unbound = 0;
    for (const auto& b : schema.methods) {
      if (b.ordinal()) ++bound;
      else if (b.kind == "fn") ++unbound;
    }
    err << "bitbridge import-header: " << model.functions.size() << " functions from " << options.header << " ("
        << model.targetTriple << "): " << bound << " methods, " << unbound
        << " drafted commented out (NOT BOUND); " << countQuestions(text) << " QUESTION lines to answer"
        << (target ? " in " + *target : "") << "\n";
    if (options.update) {
      err << "  kept as edited: " << report.kept.size() << "; added: " << list(report.added)
          << "; changed: " << list(report.changed) << "; removed: " << list(report.removed) << "\n";
    }
    if (library) {
      err << "  " << library->path << ": " << library->description << ", loaded by " << library->host
          << " (HostOptions::legacyLibrary = this path picks it)\n";
      if (!library->missing.empty()) {
        err << "bitbridge import-header: " << library->path << " does not export " << library->missing.size()
            << " function(s) of the header: " << list(library->missing)
            << " (drafted commented out; fix: check that the header and the library are the same version"
            << (library->ordinalOnly.empty() ? std::string()
                                             : "; it exports " + ordinalList(library->ordinalOnly) +
                                                   " by number only: $C.ordinal(N) binds one of those")
            << ")\n";
        return kProblem;
      }
    }
    return kOk;
  } catch (const Error& e) {
    err << e.what() << "\n";
    return kProblem;
  }
}

}  // namespace bitbridge::importer
