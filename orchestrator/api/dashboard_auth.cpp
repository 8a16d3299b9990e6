#include "api/dashboard_auth.h"

#include <algorithm>

#include "common/token.h"

namespace ppcs::api {

ExpiringSecrets::ExpiringSecrets(std::chrono::seconds lifetime, std::size_t most, SteadyNow now)
    : lifetime_(lifetime), most_(std::max<std::size_t>(most, 1)), now_(std::move(now)) {}

Result<std::string> ExpiringSecrets::issue() {
    auto secret = generateToken();
    if (!secret) return secret.error();
    std::lock_guard<std::mutex> lock(mutex_);
    findLive("");  // drops the expired ones
    if (entries_.size() >= most_) entries_.erase(entries_.begin(), entries_.begin() + (entries_.size() - most_ + 1));
    entries_.push_back(Entry{*secret, now_() + lifetime_});
    return secret;
}

bool ExpiringSecrets::redeem(std::string_view secret) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = findLive(secret);
    if (found == entries_.size()) return false;
    entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(found));
    return true;
}

bool ExpiringSecrets::holds(std::string_view secret) {
    std::lock_guard<std::mutex> lock(mutex_);
    return findLive(secret) != entries_.size();
}

std::size_t ExpiringSecrets::findLive(std::string_view secret) {
    auto now = now_();
    entries_.erase(std::remove_if(entries_.begin(), entries_.end(), [now](const Entry& entry) { return entry.expires <= now; }),
                   entries_.end());
    // Every entry is compared, so that the time taken does not tell which one matched.
    std::size_t found = entries_.size();
    for (std::size_t i = 0; i < entries_.size(); ++i)
        if (constantTimeEquals(entries_[i].secret, secret) && !secret.empty()) found = i;
    return found;
}

std::string sessionCookieName(int port) { return "ppcs_session_" + std::to_string(port); }

std::string sessionCookie(const std::string& name, const std::string& session, std::chrono::seconds maxAge) {
    return name + "=" + session + "; Path=/; Max-Age=" + std::to_string(maxAge.count()) + "; HttpOnly; SameSite=Strict";
}

namespace {

constexpr std::size_t kMaxCookieHeader = 8 * 1024;

bool plainToken(std::string_view value) {
    return !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
}

std::string_view trimmed(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

}  // namespace

std::vector<std::string> cookieValues(std::string_view header, std::string_view name) {
    std::vector<std::string> values;
    if (header.size() > kMaxCookieHeader || name.empty()) return values;
    while (!header.empty()) {
        auto end = header.find(';');
        std::string_view pair = trimmed(header.substr(0, end));
        header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
        auto equals = pair.find('=');
        if (equals == std::string_view::npos || trimmed(pair.substr(0, equals)) != name) continue;
        std::string_view value = trimmed(pair.substr(equals + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
        if (plainToken(value)) values.emplace_back(value);
    }
    return values;
}

std::optional<std::string> cookieValue(std::string_view header, std::string_view name) {
    auto values = cookieValues(header, name);
    if (values.empty()) return std::nullopt;
    return values.front();
}

}  // namespace ppcs::api
