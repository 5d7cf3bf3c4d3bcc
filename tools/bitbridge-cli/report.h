// The two renderings of `bitbridge inspect`'s findings: text for people (like dumpbin/ldd) and
// JSON for programs (schema in docs/reference.md, "bitbridge inspect").
#pragma once

#include <ostream>
#include <vector>

#include "inspection.h"

namespace bitbridge::cli {

void writeText(std::ostream& out, const std::vector<FileReport>& reports,
               const InspectOptions& options);

/// One JSON document: {"schema": "bitbridge-inspect/1", "ok": ..., "files": [...]}.
void writeJson(std::ostream& out, const std::vector<FileReport>& reports);

}  // namespace bitbridge::cli
