#pragma once
// Small string helpers shared by every module.

#include <string>
#include <string_view>
#include <vector>

namespace ppcs {

std::string_view trim(std::string_view text);
bool startsWith(std::string_view text, std::string_view prefix);
bool endsWith(std::string_view text, std::string_view suffix);
// Splits on every occurrence of sep; empty fields are kept.
std::vector<std::string> split(std::string_view text, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
std::string toHex(std::string_view bytes);
// Standard base64 with padding (RFC 4648), as the Engine API wants for secret data.
std::string base64Encode(std::string_view bytes);
// Percent-encodes everything but RFC 3986 unreserved characters, for URL query values.
std::string percentEncode(std::string_view text);
// Cuts text to at most max characters, marking the cut with "...".
std::string truncateForDisplay(std::string_view text, std::size_t max);

}  // namespace ppcs
