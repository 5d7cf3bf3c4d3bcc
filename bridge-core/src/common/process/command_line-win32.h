// Command lines of processes started on Windows (CreateProcessW takes one string). Windows only.
#pragma once

#include <string>
#include <vector>

namespace bitbridge {

/// Quotes one argument so that CommandLineToArgvW / the C runtime read it back unchanged.
std::wstring quoteArgument(const std::wstring& argument);

/// `executable` and `arguments` (UTF-8), each quoted, joined by spaces.
std::wstring commandLine(const std::string& executable, const std::vector<std::string>& arguments);

}  // namespace bitbridge
