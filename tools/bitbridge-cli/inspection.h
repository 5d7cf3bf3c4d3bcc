// What `bitbridge inspect` learns about one file: header, exports, host, component classes and
// dependencies, plus the problems that make it fail to load. Built by inspectFile(), printed
// by report_text.cpp / report_json.cpp.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "class_listing.h"
#include "common/binary/binary_image.h"
#include "common/binary/dependency_resolver.h"
#include "common/binary/search_environment.h"
#include "host_requirement.h"

namespace bitbridge::cli {

struct InspectOptions {
  bool json = false;          ///< --json
  bool load = true;           ///< --no-load clears it: no host is started
  bool listExports = false;   ///< --exports: text output lists every export (JSON always does)
  std::vector<std::string> files;
};

struct FileReport {
  std::string path;
  std::optional<Error> error;        ///< the file could not be read or parsed
  std::optional<BinaryImage> image;
  HostRequirement host;
  ClassListing classes;              ///< components only; Skipped otherwise
  std::vector<Dependency> dependencies;
  /// How the dependencies were resolved ("as bitbridge-host32 resolves them", ...).
  std::string resolution;
  /// One line per problem; empty when the file is fine.
  std::vector<std::string> problems;
};

/// Inspects one file. Never throws bitbridge::Error: a file that cannot be read is a report
/// with `error` set.
FileReport inspectFile(const std::string& path, const InspectOptions& options,
                       const SearchEnvironment& environment);

}  // namespace bitbridge::cli
