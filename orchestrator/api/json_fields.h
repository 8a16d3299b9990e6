#pragma once
// Typed, strict reading of request bodies, for api/*.cpp only (it includes nlohmann/json).

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>

#include "common/result.h"
#include "model/cluster_status.h"

namespace ppcs::api::fields {

using nlohmann::json;

// Every JSON text the API sends is written here. Job output, engine messages and user input may
// hold any bytes: invalid UTF-8 is replaced by U+FFFD instead of throwing (json::dump() throws
// type_error.316, which outside a route would end ppcsd). indent < 0: one line.
inline std::string dumpJson(const json& value, int indent = -1) {
    return value.dump(indent, ' ', false, json::error_handler_t::replace);
}

// Parses an object; malformed JSON or another JSON type is a usage error naming `what`.
inline Result<json> parseObject(std::string_view body, std::string_view what) {
    json value = json::parse(body.begin(), body.end(), nullptr, false);
    if (value.is_discarded() || !value.is_object())
        return makeError(ErrorCode::usage, std::string(what) + ": the body is not a JSON object");
    return value;
}

inline Status rejectUnknown(const json& object, const std::set<std::string>& known, std::string_view what) {
    for (const auto& item : object.items())
        if (!known.count(item.key()))
            return makeError(ErrorCode::usage, std::string(what) + ": unknown field '" + item.key() + "'");
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
        if (wide < INT32_MIN || wide > INT32_MAX)
            return makeError(ErrorCode::usage, std::string(what) + ": field '" + key + "' is out of range");
        out = static_cast<int>(wide);
    } else {
        out = it->get<T>();
    }
    return {};
}

// An optional "mpi" field spelled as model::mpiName spells it; any other text is a usage error.
template <class T>
Status readMpi(const json& object, T& out, std::string_view what) {
    std::string name;
    if (auto read = readOptional(object, "mpi", json::value_t::string, name, what); !read || name.empty()) return read;
    auto mpi = model::mpiFromName(name);
    if (!mpi) return makeError(ErrorCode::usage, std::string(what) + ": mpi must be openmpi or mpich, not '" + name + "'");
    out = *mpi;
    return {};
}

// An optional "backend" field spelled as model::backendName spells it; any other text is a usage
// error.
inline Status readBackend(const json& object, std::optional<model::Backend>& out, std::string_view what) {
    std::string name;
    if (auto read = readOptional(object, "backend", json::value_t::string, name, what); !read || name.empty()) return read;
    auto backend = model::backendFromName(name);
    if (!backend)
        return makeError(ErrorCode::usage, std::string(what) + ": backend must be swarm or containers, not '" + name + "'");
    out = *backend;
    return {};
}

// object[key] as a T, or fallback when the key is missing or holds another type. Never throws
// (nlohmann's json::value() throws on a type mismatch).
template <class T>
T valueOr(const json& object, const char* key, T fallback) {
    if (!object.is_object()) return fallback;
    auto it = object.find(key);
    if (it == object.end()) return fallback;
    if constexpr (std::is_same_v<T, std::string>) {
        return it->is_string() ? it->get<std::string>() : fallback;
    } else if constexpr (std::is_same_v<T, bool>) {
        return it->is_boolean() ? it->get<bool>() : fallback;
    } else if constexpr (std::is_same_v<T, double>) {
        return it->is_number() ? it->get<double>() : fallback;
    } else if constexpr (std::is_integral_v<T>) {
        if (!it->is_number_integer()) return fallback;
        auto wide = it->get<std::int64_t>();
        if (wide < std::numeric_limits<T>::min() || wide > std::numeric_limits<T>::max()) return fallback;
        return static_cast<T>(wide);
    } else {
        if (!it->is_array()) return fallback;
        T values;
        for (const auto& item : *it) {
            if (!item.is_string()) return fallback;
            values.push_back(item.get<std::string>());
        }
        return values;
    }
}

inline std::string stringOr(const json& object, const char* key) { return valueOr<std::string>(object, key, ""); }

// A member's role as roleName writes it; anything else reads as a node.
inline model::MemberRole roleOr(const json& object, const char* key) {
    return model::roleFromName(stringOr(object, key)).value_or(model::MemberRole::node);
}

}  // namespace ppcs::api::fields
