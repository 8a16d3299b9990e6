#include "model/host.h"

#include <algorithm>
#include <cctype>

#include "common/strings.h"

namespace ppcs::model {

Status validateHostName(const std::string& name) {
    bool valid = !name.empty() && name.size() <= 63 && std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '.' || c == '_' || c == '-';
    });
    if (!valid)
        return makeError(ErrorCode::usage, "host name '" + truncateForDisplay(name, 70) +
                                               "' is not valid: use 1-63 letters, digits, '.', '_' or '-'");
    return {};
}

}  // namespace ppcs::model
