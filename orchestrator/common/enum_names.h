#pragma once
// The spellings of an enum's values, in one table per enum, and the two lookups every such enum
// needs: value -> name (with a fallback for a value missing from the table) and name -> value.

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace ppcs {

template <class Enum, std::size_t N>
using NameTable = std::array<std::pair<Enum, std::string_view>, N>;

template <class Enum, std::size_t N>
constexpr std::string_view nameIn(const NameTable<Enum, N>& table, Enum value, std::string_view fallback) {
    for (const auto& [known, name] : table)
        if (known == value) return name;
    return fallback;
}

// nullopt for a name the table does not hold (exact, case-sensitive match).
template <class Enum, std::size_t N>
constexpr std::optional<Enum> valueIn(const NameTable<Enum, N>& table, std::string_view name) {
    for (const auto& [value, known] : table)
        if (known == name) return value;
    return std::nullopt;
}

}  // namespace ppcs
