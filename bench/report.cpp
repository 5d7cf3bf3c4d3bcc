#include "report.h"

#include <fstream>

#include <sstream>

namespace bitbridge::bench {
namespace {

const CaseResult* findCase(const std::vector<NamedResult>& results, const std::string& name) {
  for (const auto& entry : results) {
    if (entry.name == name && entry.result.error.empty()) return &entry.result;
  }
  return nullptr;
}

std::string formatNumber(double value) {
  char text[32];
  if (value >= 100000) {
    std::snprintf(text, sizeof(text), "%.0f", value);
  } else if (value >= 100) {
    std::snprintf(text, sizeof(text), "%.1f", value);
  } else {
    std::snprintf(text, sizeof(text), "%.2f", value);
  }
  return text;
}

// A ratio or target: three decimals below 1 (1/6 = 0.167), otherwise as formatNumber.
std::string formatRatio(double value) {
  if (value >= 1) return formatNumber(value);
  char text[32];
  std::snprintf(text, sizeof(text), "%.3f", value);
  return text;
}

}  // namespace

bool Ratio::met() const {
  if (!value || goal.empty()) return false;
  return goal == "<=" ? *value <= target : *value >= target;
}

std::vector<Ratio> computeRatios(const std::vector<NamedResult>& results) {
  auto p50 = [&](const char* name) -> std::optional<double> {
    const CaseResult* r = findCase(results, name);
    if (r && r->latency && r->latency->p50 > 0) return r->latency->p50;
    return std::nullopt;
  };
  auto rate = [&](const char* name) -> std::optional<double> {
    const CaseResult* r = findCase(results, name);
    if (r && r->callsPerSecond && *r->callsPerSecond > 0) return r->callsPerSecond;
    return std::nullopt;
  };
  auto quotient = [](std::optional<double> a, std::optional<double> b) -> std::optional<double> {
    if (a && b) return *a / *b;
    return std::nullopt;
  };
  std::vector<Ratio> ratios;
  // The targets of the issue.
  ratios.push_back({"bitbridge_vs_capnp_p50", "bitbridge_uds_64to32 p50 / capnp_ezrpc_uds p50",
                    quotient(p50("bitbridge_uds_64to32"), p50("capnp_ezrpc_uds")), "x", "<=", 1.15});
  ratios.push_back({"shm_vs_uds_p50", "bitbridge_shm_64to32 p50 / bitbridge_uds_64to32 p50",
                    quotient(p50("bitbridge_shm_64to32"), p50("bitbridge_uds_64to32")), "x", "<=",
                    1.0 / 6});
  ratios.push_back({"pipelined_vs_sequential",
                    "pipelined_64to32 calls/s / bitbridge_uds_64to32 calls/s",
                    quotient(rate("pipelined_64to32"), rate("bitbridge_uds_64to32")), "x", ">=", 10});
  auto cold = p50("cold_start");
  ratios.push_back({"cold_start_p50_ms", "cold_start p50",
                    cold ? std::optional<double>(*cold / 1000.0) : std::nullopt, "ms", "<=", 15});
  const CaseResult* rss = findCase(results, "idle_rss_host32");
  ratios.push_back({"idle_rss_host32_mib", "idle_rss_host32 VmRSS",
                    rss && rss->kib ? std::optional<double>(*rss->kib / 1024.0) : std::nullopt,
                    "MiB", "<=", 6});
  ratios.push_back({"bind_vs_component_add_p50",
                    "bind_host_thread_add_64to32 p50 / component_add_64to32 p50",
                    quotient(p50("bind_host_thread_add_64to32"), p50("component_add_64to32")), "x",
                    "<=", 1.1});
  ratios.push_back({"bind_vs_component_sum1000_p50",
                    "bind_host_thread_sum1000_64to32 p50 / component_sum1000_64to32 p50",
                    quotient(p50("bind_host_thread_sum1000_64to32"), p50("component_sum1000_64to32")),
                    "x", "<=", 1.1});
  // Context without a target: where the time goes.
  ratios.push_back({"bind_library_thread_vs_component_add_p50",
                    "bind_add_64to32 p50 / component_add_64to32 p50 (default: library thread)",
                    quotient(p50("bind_add_64to32"), p50("component_add_64to32")), "x", "", 0});
  ratios.push_back({"bind_library_thread_vs_component_sum1000_p50",
                    "bind_sum1000_64to32 p50 / component_sum1000_64to32 p50",
                    quotient(p50("bind_sum1000_64to32"), p50("component_sum1000_64to32")), "x", "",
                    0});
  ratios.push_back({"bind_bulk_1gib_vs_add_p50",
                    "bind_bulk_1gib_64to32 p50 / bind_add_64to32 p50 (1 GiB by reference ~ one call)",
                    quotient(p50("bind_bulk_1gib_64to32"), p50("bind_add_64to32")), "x", "", 0});
  ratios.push_back({"bind_callback_vs_add_p50",
                    "bind_callback_64to32 p50 / bind_add_64to32 p50 (a call + one callback round "
                    "trip / a plain bound call)",
                    quotient(p50("bind_callback_64to32"), p50("bind_add_64to32")), "x", "", 0});
  // The fast lane (issue 19): bound null call p50 <= 2 us (about 15x the spin floor), >= 300 000
  // sequential calls/s, 1000 doubles in and out <= 2x the null call.
  ratios.push_back({"lane_add_64to32_p50_us", "bind_lane_add_64to32 p50",
                    p50("bind_lane_add_64to32"), "us", "<=", 2});
  ratios.push_back({"lane_add_32to64_p50_us", "bind_lane_add_32to64 p50",
                    p50("bind_lane_add_32to64"), "us", "<=", 2});
  ratios.push_back({"lane_add_64to32_calls_per_s", "bind_lane_add_64to32 calls/s",
                    rate("bind_lane_add_64to32"), "/s", ">=", 300000});
  ratios.push_back({"lane_add_vs_spin_p50", "bind_lane_add_64to32 p50 / floor_spin p50",
                    quotient(p50("bind_lane_add_64to32"), p50("floor_spin")), "x", "<=", 15});
  ratios.push_back({"lane_scale1000_vs_add_p50",
                    "bind_lane_scale1000_64to32 p50 / bind_lane_add_64to32 p50",
                    quotient(p50("bind_lane_scale1000_64to32"), p50("bind_lane_add_64to32")), "x",
                    "<=", 2});
  ratios.push_back({"lane_scale1000_vs_add_32to64_p50",
                    "bind_lane_scale1000_32to64 p50 / bind_lane_add_32to64 p50",
                    quotient(p50("bind_lane_scale1000_32to64"), p50("bind_lane_add_32to64")), "x",
                    "<=", 2});
  ratios.push_back({"lane_scale1000_vs_copy_floor_p50",
                    "bind_lane_scale1000_64to32 p50 / floor_spin_copy1000 p50 (the lane's array "
                    "call against its copies alone)",
                    quotient(p50("bind_lane_scale1000_64to32"), p50("floor_spin_copy1000")), "x",
                    "", 0});
  ratios.push_back({"copy_floor_vs_spin_p50",
                    "floor_spin_copy1000 p50 / floor_spin p50 (what carrying the arrays costs "
                    "the hardware)",
                    quotient(p50("floor_spin_copy1000"), p50("floor_spin")), "x", "", 0});
  ratios.push_back({"lane_vs_rpc_add_p50", "bind_lane_add_64to32 p50 / bind_add_64to32 p50",
                    quotient(p50("bind_lane_add_64to32"), p50("bind_add_64to32")), "x", "", 0});
  ratios.push_back({"lane_vs_shm_rpc_add_p50", "bind_lane_add_64to32 p50 / bind_shm_add_64to32 p50",
                    quotient(p50("bind_lane_add_64to32"), p50("bind_shm_add_64to32")), "x", "", 0});
  ratios.push_back({"bitbridge_32to64_vs_capnp_p50", "bitbridge_uds_32to64 p50 / capnp_ezrpc_uds p50",
                    quotient(p50("bitbridge_uds_32to64"), p50("capnp_ezrpc_uds")), "x", "", 0});
  ratios.push_back({"bitbridge_vs_capnp_64to32_p50",
                    "bitbridge_uds_64to32 p50 / capnp_ezrpc_uds_64to32 p50",
                    quotient(p50("bitbridge_uds_64to32"), p50("capnp_ezrpc_uds_64to32")), "x", "", 0});
  ratios.push_back({"shm_vs_uds_32to64_p50", "bitbridge_shm_32to64 p50 / bitbridge_uds_32to64 p50",
                    quotient(p50("bitbridge_shm_32to64"), p50("bitbridge_uds_32to64")), "x", "", 0});
  ratios.push_back({"shm_vs_capnp_p50", "bitbridge_shm_64to32 p50 / capnp_ezrpc_uds p50",
                    quotient(p50("bitbridge_shm_64to32"), p50("capnp_ezrpc_uds")), "x", "", 0});
  ratios.push_back({"pipelined_shm_vs_sequential_shm",
                    "pipelined_shm_64to32 calls/s / bitbridge_shm_64to32 calls/s",
                    quotient(rate("pipelined_shm_64to32"), rate("bitbridge_shm_64to32")), "x", "", 0});
  ratios.push_back({"pipelined_shm_vs_sequential",
                    "pipelined_shm_64to32 calls/s / bitbridge_uds_64to32 calls/s",
                    quotient(rate("pipelined_shm_64to32"), rate("bitbridge_uds_64to32")), "x", "", 0});
  ratios.push_back({"capnp_pipelined_vs_sequential",
                    "capnp_ezrpc_pipelined calls/s / capnp_ezrpc_uds calls/s",
                    quotient(rate("capnp_ezrpc_pipelined"), rate("capnp_ezrpc_uds")), "x", "", 0});
  ratios.push_back({"capnp_vs_socketpair_p50", "capnp_ezrpc_uds p50 / floor_socketpair p50",
                    quotient(p50("capnp_ezrpc_uds"), p50("floor_socketpair")), "x", "", 0});
  ratios.push_back({"socketpair_vs_spin_p50", "floor_socketpair p50 / floor_spin p50",
                    quotient(p50("floor_socketpair"), p50("floor_spin")), "x", "", 0});
  ratios.push_back({"shm_vs_spin_p50", "bitbridge_shm_64to32 p50 / floor_spin p50",
                    quotient(p50("bitbridge_shm_64to32"), p50("floor_spin")), "x", "", 0});
  ratios.push_back({"cold_start_vs_exec_true_p50", "cold_start p50 / exec_true p50",
                    quotient(p50("cold_start"), p50("exec_true")), "x", "", 0});
  return ratios;
}

void printTable(std::FILE* out, const std::vector<NamedResult>& results) {
  std::fprintf(out, "%-22s %8s %9s %9s %9s %9s %11s %8s\n", "case", "calls", "p50", "p99",
               "p99.9", "max", "calls/s", "KiB");
  std::fprintf(out, "%-22s %8s %9s %9s %9s %9s %11s %8s\n", "", "", "(us)", "(us)", "(us)", "(us)",
               "", "");
  for (const auto& [name, r] : results) {
    if (!r.error.empty()) {
      std::fprintf(out, "%-22s FAILED: %s\n", name.c_str(), r.error.c_str());
      continue;
    }
    auto cell = [](bool present, double value) { return present ? formatNumber(value) : "-"; };
    std::string calls = r.calls > 0 ? std::to_string(r.calls) : "-";
    bool lat = r.latency.has_value();
    Latency l = r.latency.value_or(Latency{});
    std::fprintf(out, "%-22s %8s %9s %9s %9s %9s %11s %8s\n", name.c_str(), calls.c_str(),
                 cell(lat, l.p50).c_str(), cell(lat, l.p99).c_str(), cell(lat, l.p999).c_str(),
                 cell(lat, l.max).c_str(),
                 r.callsPerSecond ? formatNumber(*r.callsPerSecond).c_str() : "-",
                 r.kib ? formatNumber(*r.kib).c_str() : "-");
    for (const auto& [key, value] : r.extra) {
      std::fprintf(out, "%-22s   %s = %s\n", "", key.c_str(), formatNumber(value).c_str());
    }
    if (!r.p50ByRound.empty()) {
      std::string line;
      for (double p50 : r.p50ByRound) line += (line.empty() ? "" : ", ") + formatNumber(p50);
      std::fprintf(out, "%-22s   p50 by round (us): %s\n", "", line.c_str());
    }
    if (!r.rssByMapping.empty()) {
      std::string line;
      for (const auto& [mapping, kib] : r.rssByMapping) {
        line += (line.empty() ? "" : ", ") + mapping + " " + formatNumber(kib);
      }
      std::fprintf(out, "%-22s   resident KiB by mapping: %s\n", "", line.c_str());
    }
  }
}

void printRatios(std::FILE* out, const std::vector<Ratio>& ratios) {
  std::fprintf(out, "\n%-32s %10s  %-10s %s\n", "figure", "value", "target", "");
  for (const auto& ratio : ratios) {
    std::string value = ratio.value ? formatRatio(*ratio.value) + " " + ratio.unit : "n/a";
    std::string target = ratio.goal.empty() ? "" : ratio.goal + " " + formatRatio(ratio.target);
    const char* verdict = ratio.goal.empty() ? "" : !ratio.value ? "not measured"
                                                    : ratio.met()  ? "met"
                                                                   : "MISSED";
    std::fprintf(out, "%-32s %10s  %-10s %-13s %s\n", ratio.key.c_str(), value.c_str(),
                 target.c_str(), verdict, ratio.what.c_str());
  }
}

std::string toJson(const std::vector<NamedResult>& results, const std::vector<Ratio>& ratios,
                   const std::vector<std::pair<std::string, std::string>>& machine) {
  std::ostringstream out;
  out << "{\n  \"cases\": {";
  const char* separator = "\n";
  for (const auto& [name, r] : results) {
    out << separator << "    " << jsonQuote(name) << ": {";
    separator = ",\n";
    std::vector<std::pair<std::string, std::string>> fields;
    if (!r.error.empty()) fields.emplace_back("error", jsonQuote(r.error));
    if (r.calls > 0) fields.emplace_back("calls", jsonNumber(static_cast<double>(r.calls)));
    if (r.latency) {
      fields.emplace_back("p50_us", jsonNumber(r.latency->p50));
      fields.emplace_back("p99_us", jsonNumber(r.latency->p99));
      fields.emplace_back("p999_us", jsonNumber(r.latency->p999));
      fields.emplace_back("max_us", jsonNumber(r.latency->max));
    }
    if (r.callsPerSecond) fields.emplace_back("calls_per_s", jsonNumber(*r.callsPerSecond));
    if (r.kib) fields.emplace_back("kib", jsonNumber(*r.kib));
    for (const auto& [key, value] : r.extra) fields.emplace_back(key, jsonNumber(value));
    if (!r.p50ByRound.empty()) {
      std::string array = "[";
      for (double p50 : r.p50ByRound) array += (array.size() > 1 ? ", " : "") + jsonNumber(p50);
      fields.emplace_back("p50_by_round_us", array + "]");
    }
    if (!r.rssByMapping.empty()) {
      std::string object = "{";
      for (const auto& [mapping, kib] : r.rssByMapping) {
        object += (object.size() > 1 ? ", " : "") + jsonQuote(mapping) + ": " + jsonNumber(kib);
      }
      fields.emplace_back("rss_by_mapping_kib", object + "}");
    }
    const char* comma = "";
    for (const auto& [key, value] : fields) {
      out << comma << jsonQuote(key) << ": " << value;
      comma = ", ";
    }
    out << "}";
  }
  out << "\n  },\n  \"ratios\": {";
  separator = "\n";
  for (const auto& ratio : ratios) {
    out << separator << "    " << jsonQuote(ratio.key) << ": {\"what\": " << jsonQuote(ratio.what);
    separator = ",\n";
    if (ratio.value) out << ", \"value\": " << jsonNumber(*ratio.value);
    out << ", \"unit\": " << jsonQuote(ratio.unit);
    if (!ratio.goal.empty()) {
      out << ", \"goal\": " << jsonQuote(ratio.goal) << ", \"target\": " << jsonNumber(ratio.target);
      if (ratio.value) out << ", \"met\": " << (ratio.met() ? "true" : "false");
    }
    out << "}";
  }
  out << "\n  },\n  \"machine\": {";
  separator = "\n";
  for (const auto& [key, value] : machine) {
    out << separator << "    " << jsonQuote(key) << ": " << value;
    separator = ",\n";
  }
  out << "\n  }\n}\n";
  return out.str();
}

CaseResult caseFromJson(const JsonValue& value) {
  CaseResult r;
  if (value.type != JsonValue::Type::Object) {
    r.error = "the sibling's result is not a JSON object";
    return r;
  }
  auto number = [&](const char* key) -> std::optional<double> {
    const JsonValue* field = value.find(key);
    if (field && field->type == JsonValue::Type::Number) return field->number;
    return std::nullopt;
  };
  if (const JsonValue* error = value.find("error")) r.error = error->string;
  if (auto calls = number("calls")) r.calls = static_cast<uint64_t>(*calls);
  if (auto p50 = number("p50_us")) {
    r.latency = Latency{*p50, number("p99_us").value_or(0), number("p999_us").value_or(0),
                        number("max_us").value_or(0)};
  }
  r.callsPerSecond = number("calls_per_s");
  r.kib = number("kib");
  static const char* const known[] = {"error", "calls", "p50_us", "p99_us", "p999_us",
                                      "max_us", "calls_per_s", "kib"};
  if (const JsonValue* byRound = value.find("p50_by_round_us")) {
    for (const auto& p50 : byRound->array) r.p50ByRound.push_back(p50.number);
  }
  if (const JsonValue* mappings = value.find("rss_by_mapping_kib")) {
    for (const auto& [mapping, kib] : mappings->object) {
      if (kib.type == JsonValue::Type::Number) r.rssByMapping.emplace_back(mapping, kib.number);
    }
  }
  for (const auto& [key, field] : value.object) {
    bool isKnown = false;
    for (const char* k : known) isKnown = isKnown || key == k;
    if (!isKnown && field.type == JsonValue::Type::Number) r.extra.emplace_back(key, field.number);
  }
  return r;
}

std::string fileValue(const std::string& file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size(), key) != 0) continue;
    auto sep = line.find_first_of(":=", key.size());
    if (sep == std::string::npos) continue;
    std::string value = line.substr(sep + 1);
    auto begin = value.find_first_not_of(" \t\"");
    auto end = value.find_last_not_of(" \t\"");
    return begin == std::string::npos ? "" : value.substr(begin, end - begin + 1);
  }
  return "";
}

}  // namespace bitbridge::bench
