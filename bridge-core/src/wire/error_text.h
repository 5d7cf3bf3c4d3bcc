// How a bitbridge::Error crosses the process boundary: as the text of a Cap'n Proto exception,
// "bitbridge:<kind>: <message>\nfix: <hint>", which the other side decodes back into the same
// kind, message and hint (common/error.cpp). The kind names are errorKindName()'s
// (bitbridge/error.h); they are part of this contract, as are these separators.
#pragma once

#include <string_view>

namespace bitbridge::error_text {

/// Starts an encoded error: "bitbridge:" then the kind's name, ": " and the message.
inline constexpr std::string_view kWirePrefix = "bitbridge:";
/// Separates the message from the hint in an encoded error.
inline constexpr std::string_view kHintSeparator = "\nfix: ";
/// Error::what() starts like this; a component's thrown Error arrives in this form too.
inline constexpr std::string_view kWhatPrefix = "bitbridge: ";
/// In what(), the hint is the last " (fix: ...)".
inline constexpr std::string_view kWhatHint = " (fix: ";

}  // namespace bitbridge::error_text

