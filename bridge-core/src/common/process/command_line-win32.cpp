// Quoting for CreateProcessW command lines (command_line-win32.h).
#include "common/process/command_line-win32.h"

#include "common/platform/text-win32.h"

namespace bitbridge {

std::wstring quoteArgument(const std::wstring& argument) {
  if (!argument.empty() && argument.find_first_of(L" \t\n\v\"") == std::wstring::npos) {
    return argument;
  }
  std::wstring quoted = L"\"";
  for (auto it = argument.begin();; ++it) {
    size_t backslashes = 0;
    while (it != argument.end() && *it == L'\\') {
      ++it;
      ++backslashes;
    }
    if (it == argument.end()) {
      quoted.append(backslashes * 2, L'\\');
      break;
    }
    if (*it == L'"') {
      quoted.append(backslashes * 2 + 1, L'\\');
    } else {
      quoted.append(backslashes, L'\\');
    }
    quoted.push_back(*it);
  }
  quoted.push_back(L'"');
  return quoted;
}

std::wstring commandLine(const std::string& executable, const std::vector<std::string>& arguments) {
  std::wstring line = quoteArgument(widen(executable));
  for (const auto& argument : arguments) line += L" " + quoteArgument(widen(argument));
  return line;
}

}  // namespace bitbridge
