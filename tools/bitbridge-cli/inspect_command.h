// `bitbridge inspect [--json] [--no-load] [--exports] FILE...`: parses its arguments, inspects
// each file and prints the report. Exit status: 0 every file is fine, 1 a file has a problem
// (unreadable, missing or wrong-bitness dependency, not loadable), 2 a usage error.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace bitbridge::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitProblem = 1;
inline constexpr int kExitUsage = 2;

/// `args` are the words after "inspect".
int runInspect(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// The usage text of `bitbridge inspect`.
const char* inspectUsage();

}  // namespace bitbridge::cli
