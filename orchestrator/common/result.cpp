#include "common/result.h"

#include <array>

namespace ppcs {
namespace {

struct CodeName {
    ErrorCode code;
    std::string_view name;
};

constexpr std::array<CodeName, 9> kCodeNames{{
    {ErrorCode::usage, "usage"},
    {ErrorCode::notFound, "not_found"},
    {ErrorCode::conflict, "conflict"},
    {ErrorCode::unauthorized, "unauthorized"},
    {ErrorCode::permissionDenied, "permission_denied"},
    {ErrorCode::tooLarge, "too_large"},
    {ErrorCode::unavailable, "unavailable"},
    {ErrorCode::timeout, "timeout"},
    {ErrorCode::failed, "failed"},
}};

}  // namespace

std::string_view errorCodeName(ErrorCode code) {
    for (const auto& entry : kCodeNames)
        if (entry.code == code) return entry.name;
    return "failed";
}

std::optional<ErrorCode> errorCodeFromName(std::string_view name) {
    for (const auto& entry : kCodeNames)
        if (entry.name == name) return entry.code;
    return std::nullopt;
}

Error Error::context(std::string_view what) const {
    std::string combined(what);
    combined += ": ";
    combined += message;
    return Error{code, std::move(combined)};
}

}  // namespace ppcs
