#include "common/token.h"

#include <sys/random.h>

#include <cerrno>
#include <cstring>

#include "common/strings.h"

namespace ppcs {

Result<std::string> generateToken() {
    unsigned char bytes[32];
    std::size_t filled = 0;
    while (filled < sizeof bytes) {
        ssize_t n = ::getrandom(bytes + filled, sizeof bytes - filled, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return makeError(ErrorCode::failed, std::string("read random bytes: ") + std::strerror(errno));
        filled += static_cast<std::size_t>(n);
    }
    return toHex(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
    unsigned char difference = a.size() == b.size() ? 0 : 1;
    std::size_t length = a.size() < b.size() ? a.size() : b.size();
    for (std::size_t i = 0; i < length; ++i) difference |= static_cast<unsigned char>(a[i] ^ b[i]);
    return difference == 0;
}

bool bearerMatches(std::string_view header, std::string_view expected) {
    constexpr std::string_view scheme = "Bearer ";
    if (expected.empty() || !startsWith(header, scheme)) return false;
    return constantTimeEquals(header.substr(scheme.size()), expected);
}

}  // namespace ppcs
