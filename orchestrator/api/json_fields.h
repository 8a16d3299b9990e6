#pragma once
// Typed, strict reading of request bodies, for api/*.cpp only (it includes nlohmann/json).

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>

#include "common/result.h"

namespace ppcs::api::fields {

using nlohmann::json;

// Parses an object; malformed JSON or another JSON type is a usage error naming `what`.
inline Result<json> parseObject(std::string_view body, std::string_view what) {
    json value = json::parse(body.begin(), body.end(), nullptr, false);
    if (value.is_discarded() || !value.is_object())
        return makeError(ErrorCode::usage, std::string(what) + ": the body is not a JSON object");
    return value;
}

inline Status rejectUnknown(const json& object, const std::set<std::string>& known, std::string_view what) {
    for (const auto& item : object.items())
        if (!known.count(item.key())) return makeError(ErrorCode::usage, std::string(what) + ": unknown field '" + item.key() + "'");
    return {};
}

// Reads an optional field of the given JSON type into out; a present field of another type fails.
template <class T>
Status readOptional(const json& object, const char* key, json::value_t type, T& out, std::string_view what) {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) return {};
    bool typeOk = it->type() == type || (type == json::value_t::number_float && it->is_number()) ||
                  (type == json::value_t::number_integer && it->is_number_integer());
    if (!typeOk) return makeError(ErrorCode::usage, std::string(what) + ": field '" + key + "' has the wrong type");
    if constexpr (std::is_same_v<T, int>) {
        auto wide = it->get<std::int64_t>();
        if (wide < INT32_MIN || wide > INT32_MAX) return makeError(ErrorCode::usage, std::string(what) + ": field '" + key + "' is out of range");
        out = static_cast<int>(wide);
    } else {
        out = it->get<T>();
    }
    return {};
}

}  // namespace ppcs::api::fields
