#include "common/result.h"

#include "common/enum_names.h"

namespace ppcs {
namespace {

constexpr NameTable<ErrorCode, 9> kCodeNames{{
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

std::string_view errorCodeName(ErrorCode code) { return nameIn(kCodeNames, code, "failed"); }

std::optional<ErrorCode> errorCodeFromName(std::string_view name) { return valueIn(kCodeNames, name); }

Error Error::context(std::string_view what) const {
    std::string combined(what);
    combined += ": ";
    combined += message;
    return Error{code, std::move(combined)};
}

}  // namespace ppcs
