#pragma once
// JSON messages of the file operations (kCopyFiles in operations.h):
//   copy  <- CopyRequest {"cluster", "direction": "in"|"out", "local_path", "remote_path"}
//         -> stream: progress phase "copy", then a CopyReport {"local_path", "remote_path",
//            "files", "directories", "bytes", "skipped", "hosts"}

#include <string>
#include <string_view>

#include "common/result.h"
#include "jobs/copy_request.h"

namespace ppcs::api {

std::string encodeCopyRequest(const jobs::CopyRequest& request);
// Usage errors for malformed JSON, unknown fields, wrong types and what validateCopyRequest refuses.
Result<jobs::CopyRequest> decodeCopyRequest(std::string_view body);
std::string encodeCopyReport(const jobs::CopyReport& report);
Result<jobs::CopyReport> decodeCopyReport(std::string_view body);

}  // namespace ppcs::api
