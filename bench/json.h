// Just enough JSON for the harness: writing its results and reading back the results of the
// sibling binary (bitbridge-bench32 / -bench64). Not a general-purpose library.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace bitbridge::bench {

struct JsonValue {
  enum class Type { Null, Bool, Number, String, Array, Object };
  Type type = Type::Null;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<JsonValue> array;
  std::vector<std::pair<std::string, JsonValue>> object;  // in document order

  /// The member `key` of an object, or nullptr (also when this is not an object).
  const JsonValue* find(const std::string& key) const;
};

/// Parses one JSON document (RFC 8259; \u escapes outside ASCII are kept as UTF-8).
/// Throws std::runtime_error naming the offset of the first error.
JsonValue parseJson(const std::string& text);

/// `text` as a JSON string literal, quotes included.
std::string jsonQuote(const std::string& text);
/// A finite number as JSON: integers exactly, others with 3 decimals (ns precision for µs).
std::string jsonNumber(double value);

}  // namespace bitbridge::bench
