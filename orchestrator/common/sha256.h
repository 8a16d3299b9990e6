#pragma once
// SHA-256 (FIPS 180-4), used to fingerprint image build contexts. Incremental: update() any
// number of times, then hexDigest() once.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace ppcs {

class Sha256 {
public:
    Sha256();
    void update(std::string_view bytes);
    // Finishes the hash and returns 64 lower-case hex digits. The object is spent afterwards.
    std::string hexDigest();

private:
    void compressBlock(const unsigned char* block);

    std::array<std::uint32_t, 8> state_;
    std::array<unsigned char, 64> buffer_{};
    std::size_t buffered_ = 0;
    std::uint64_t totalBytes_ = 0;
};

std::string sha256Hex(std::string_view bytes);

}  // namespace ppcs
