// libFuzzer target: the encoders of what a job sends back (its outcome, the stream events that
// carry its output, its record and stored output) given arbitrary bytes where a program, its
// arguments, its messages and its output go: invalid UTF-8, NUL bytes, output that is not JSON.
// Properties: every encoder returns (never throws), what it returns decodes again, and text that
// was valid UTF-8 comes back unchanged.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "api/job_messages.h"
#include "api/messages.h"

namespace {

using namespace ppcs;

// The input cut at each NUL byte; missing fields are empty.
struct Fields {
    std::vector<std::string> parts;
    std::string at(std::size_t index) const { return index < parts.size() ? parts[index] : std::string(); }
};

Fields splitInput(const std::uint8_t* data, std::size_t size) {
    Fields fields;
    fields.parts.emplace_back();
    for (std::size_t i = 0; i < size; ++i) {
        if (data[i] == 0)
            fields.parts.emplace_back();
        else
            fields.parts.back().push_back(static_cast<char>(data[i]));
    }
    return fields;
}

// RFC 3629 UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool isValidUtf8(const std::string& text) {
    std::size_t i = 0;
    while (i < text.size()) {
        auto byte = static_cast<unsigned char>(text[i]);
        std::size_t length = byte < 0x80                    ? 1
                             : byte >= 0xC2 && byte <= 0xDF ? 2
                             : byte >= 0xE0 && byte <= 0xEF ? 3
                             : byte >= 0xF0 && byte <= 0xF4 ? 4
                                                            : 0;
        if (length == 0 || i + length > text.size()) return false;
        for (std::size_t k = 1; k < length; ++k)
            if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
        auto second = static_cast<unsigned char>(text[i + 1 < text.size() ? i + 1 : i]);
        if ((byte == 0xE0 && second < 0xA0) || (byte == 0xED && second > 0x9F) || (byte == 0xF0 && second < 0x90) ||
            (byte == 0xF4 && second > 0x8F))
            return false;
        i += length;
    }
    return true;
}

bool allValid(const std::vector<std::string>& texts) {
    for (const auto& text : texts)
        if (!isValidUtf8(text)) return false;
    return true;
}

// A state chosen by the input: every one of them travels and reads back the same.
model::JobState stateOf(const std::string& text) {
    return static_cast<model::JobState>(text.size() % (static_cast<std::size_t>(model::JobState::interrupted) + 1));
}

void checkOutcome(const Fields& fields) {
    model::JobOutcome outcome{static_cast<std::int64_t>(fields.parts.size()), static_cast<int>(fields.at(0).size() % 256),
                              stateOf(fields.at(1)), fields.at(2), 1.5};
    auto decoded = api::decodeJobOutcome(api::encodeJobOutcome(outcome));
    if (!decoded) __builtin_trap();
    if (decoded->state != outcome.state) __builtin_trap();
    if (allValid({outcome.message}) && decoded->message != outcome.message) __builtin_trap();
}

void checkStreamEvents(const Fields& fields) {
    api::StreamEvent output;
    output.phase = fields.at(3).size() % 2 == 0 ? model::Phase::standardOutput : model::Phase::standardError;
    output.text = fields.at(4);
    auto decoded = api::decodeStreamEvent(api::encodeStreamEvent(output));
    if (!decoded || decoded->kind != api::StreamEvent::Kind::progress || decoded->phase != output.phase) __builtin_trap();
    if (isValidUtf8(output.text) && decoded->text != output.text) __builtin_trap();
    api::StreamEvent failure;
    failure.kind = api::StreamEvent::Kind::error;
    failure.error = makeError(ErrorCode::failed, fields.at(1));
    auto failed = api::decodeStreamEvent(api::encodeStreamEvent(failure));
    if (!failed || failed->kind != api::StreamEvent::Kind::error) __builtin_trap();
    if (isValidUtf8(fields.at(1)) && failed->error.message != fields.at(1)) __builtin_trap();
}

model::JobRecord recordOf(const Fields& fields) {
    model::JobRecord record;
    record.id = 3;
    record.cluster = fields.at(5);
    record.program = fields.at(0);
    for (std::size_t i = 6; i < fields.parts.size() && i < 14; ++i) record.args.push_back(fields.parts[i]);
    record.np = 2;
    record.startedAt = fields.at(3);
    record.exitCode = 1;
    record.state = stateOf(fields.at(2));
    record.message = fields.at(1);
    return record;
}

void checkRecords(const Fields& fields) {
    auto record = recordOf(fields);
    std::vector<model::OutputChunk> output;
    for (std::size_t i = 4; i < fields.parts.size(); ++i) output.push_back({i % 2 == 1, fields.parts[i]});
    auto log = api::decodeJobLog(api::encodeJobLog(record, output));
    if (!log || log->second.size() != output.size() || log->first.state != record.state) __builtin_trap();
    for (std::size_t i = 0; i < output.size(); ++i)
        if (log->second[i].isErr != output[i].isErr || (isValidUtf8(output[i].data) && log->second[i].data != output[i].data))
            __builtin_trap();
    auto list = api::decodeJobList(api::encodeJobList({record, record}));
    if (!list || list->size() != 2 || (*list)[0].state != record.state) __builtin_trap();
    std::vector<std::string> texts{record.cluster, record.program, record.startedAt, record.message};
    texts.insert(texts.end(), record.args.begin(), record.args.end());
    if (!allValid(texts)) return;
    const auto& again = (*list)[0];
    if (again.program != record.program || again.args != record.args || again.message != record.message) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto fields = splitInput(data, size);
    checkOutcome(fields);
    checkStreamEvents(fields);
    checkRecords(fields);
    return 0;
}
