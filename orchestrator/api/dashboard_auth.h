#pragma once
// How a browser logs into ppcsd's dashboard (pure: no HTTP here). `ppcs-cluster dashboard` asks
// ppcsd, with the API token, for a one-time login code; the browser trades that code, once and
// within a short time, for a session that travels in an HttpOnly cookie. The API token never
// appears in a URL, and a code that leaked through a browser's history is worthless once used.

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace ppcs::api {

inline constexpr std::chrono::seconds kLoginCodeLifetime{120};
inline constexpr std::chrono::seconds kSessionLifetime{12 * 3600};
inline constexpr std::size_t kMaxLoginCodes = 16;  // codes waiting to be used; the oldest goes first
inline constexpr std::size_t kMaxSessions = 64;    // open sessions; the oldest goes first

using SteadyNow = std::function<std::chrono::steady_clock::time_point()>;

// Random secrets (common/token.h's generator) that each expire `lifetime` after they were issued,
// at most `most` at once (issuing one more drops the oldest). Thread-safe. Comparisons take time
// that depends only on the lengths of what is compared.
class ExpiringSecrets {
public:
    ExpiringSecrets(std::chrono::seconds lifetime, std::size_t most, SteadyNow now = std::chrono::steady_clock::now);

    // A new secret, valid from now for lifetime().
    Result<std::string> issue();
    // True, once, for a secret issued and not expired: it is forgotten at once (single use).
    // False for anything else: wrong, expired or already redeemed.
    bool redeem(std::string_view secret);
    // True while the secret is issued and not expired (it stays valid).
    bool holds(std::string_view secret);
    std::chrono::seconds lifetime() const { return lifetime_; }

private:
    struct Entry {
        std::string secret;
        std::chrono::steady_clock::time_point expires;
    };
    // The position of a live secret, or entries_.size(); drops expired ones first. mutex_ held.
    std::size_t findLive(std::string_view secret);

    std::chrono::seconds lifetime_;
    std::size_t most_;
    SteadyNow now_;
    std::mutex mutex_;
    std::vector<Entry> entries_;  // oldest first
};

// The name of the session cookie of the ppcsd listening on port: cookies do not tell ports apart,
// so two ppcsd on one machine (a user's and a test's) would otherwise take each other's.
std::string sessionCookieName(int port);

// The Set-Cookie value that opens a session: HttpOnly (no script reads it), SameSite=Strict (no
// other site's page sends it), Path=/, Max-Age of the session's lifetime.
std::string sessionCookie(const std::string& name, const std::string& session, std::chrono::seconds maxAge);

// The values of cookie `name` in a Cookie header ("a=1; b=2"), in order, leaving out the empty
// ones and those that are not a plain token (letters, digits, '-', '_'); none for a header over
// 8 KiB. Several: another site on 127.0.0.1 (cookies do not tell ports apart) may have set one
// of that name with a longer path, which the browser sends first.
std::vector<std::string> cookieValues(std::string_view header, std::string_view name);
// The first of cookieValues, if any.
std::optional<std::string> cookieValue(std::string_view header, std::string_view name);

}  // namespace ppcs::api
