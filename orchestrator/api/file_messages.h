#pragma once
// JSON messages of the file operations (kCopyFiles in operations.h):
//   copy  <- CopyRequest {"cluster", "direction": "in"|"out", "local_path", "remote_path"}
//         -> stream: progress phase "copy", then a CopyReport {"local_path", "remote_path",
//            "files", "directories", "bytes", "skipped", "hosts"}

#include <string>
#include <string_view>

#include "common/result.h"
#include "model/copy_request.h"

namespace ppcs::api {

std::string encodeCopyRequest(const model::CopyRequest& request);
// Usage errors for malformed JSON, unknown fields, wrong types and what validateCopyRequest refuses.
Result<model::CopyRequest> decodeCopyRequest(std::string_view body);
std::string encodeCopyReport(const model::CopyReport& report);
Result<model::CopyReport> decodeCopyReport(std::string_view body);

}  // namespace ppcs::api
