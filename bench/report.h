// Output of bitbridge-bench: the table, the ratios the project's targets are stated in, the
// machine description, and the JSON document (and reading a case back from the sibling's JSON).
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness.h"
#include "json.h"

namespace bitbridge::bench {

struct NamedResult {
  std::string name;
  CaseResult result;
};

/// A figure derived from several cases, compared with the target it is stated against.
struct Ratio {
  std::string key;          ///< JSON name, e.g. "bitbridge_vs_capnp_p50"
  std::string what;         ///< how it is computed, for people
  std::optional<double> value;
  std::string unit;         ///< "x", "ms", "MiB"
  std::string goal;         ///< "<=" or ">=", empty when there is no target
  double target = 0;
  bool met() const;
};

std::vector<Ratio> computeRatios(const std::vector<NamedResult>& results);

/// Ordered (key, JSON-encoded value) pairs: CPU model, cores, kernel, OS, date, build type...
std::vector<std::pair<std::string, std::string>> machineInfo();

/// The first line of `file` (e.g. /proc/cpuinfo, /etc/os-release) that starts with `key`: the part
/// after the first ':' or '=', trimmed of blanks and quotes; "" when absent. Used by machineInfo()
/// on both platforms (under Wine, Linux's /proc is Z:\proc).
std::string fileValue(const std::string& file, const std::string& key);

void printTable(std::FILE* out, const std::vector<NamedResult>& results);
void printRatios(std::FILE* out, const std::vector<Ratio>& ratios);

std::string toJson(const std::vector<NamedResult>& results, const std::vector<Ratio>& ratios,
                   const std::vector<std::pair<std::string, std::string>>& machine);

/// A case object of the JSON document back into a CaseResult.
CaseResult caseFromJson(const JsonValue& value);

}  // namespace bitbridge::bench
