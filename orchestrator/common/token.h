#pragma once
// Bearer tokens for ppcsd's API.

#include <string>
#include <string_view>

#include "common/result.h"

namespace ppcs {

// 32 random bytes from the kernel, as 64 hex digits.
Result<std::string> generateToken();

// Compares in time that depends only on the lengths, never on where the first difference is.
bool constantTimeEquals(std::string_view a, std::string_view b);

// Checks an "Authorization" header value against the expected token: "Bearer <token>".
bool bearerMatches(std::string_view header, std::string_view expected);

}  // namespace ppcs
