// The local-tree tar stream: the same bytes TarWriter makes, pieces of bounded size however large
// the files, links and special files refused, and an upload that a stop abandons.

#include "jobs/local_upload.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <memory>

#include "common/files.h"
#include "common/tar.h"
#include "support/fake_transport.h"
#include "support/scratch_dir.h"

using namespace ppcs;
using namespace ppcs::jobs;

namespace {

// A scratch directory, removed at the end.
class ScratchDir : public testing::ScratchDir {
public:
    ScratchDir() : testing::ScratchDir("upload-test") {}
    const std::string& path() const { return testing::ScratchDir::path; }
    std::string write(const std::string& name, const std::string& content, mode_t mode = 0644) const {
        std::string file = path() + "/" + name;
        (void)std::system(("mkdir -p \"$(dirname '" + file + "')\"").c_str());
        std::ofstream(file, std::ios::binary) << content;
        REQUIRE(::chmod(file.c_str(), mode) == 0);
        return file;
    }
};

// The archive as the job runner made it before streaming: every file read whole into a TarWriter.
void addWhole(TarWriter& tar, const std::string& path, const std::string& prefix) {
    struct stat info {};
    REQUIRE(::lstat(path.c_str(), &info) == 0);
    if (S_ISREG(info.st_mode)) {
        auto content = readFile(path);
        REQUIRE(content);
        REQUIRE(tar.add({TarEntry::Kind::file, prefix, *content, (info.st_mode & 0111) ? 0755u : 0644u, 1000, 1000}));
        return;
    }
    REQUIRE(tar.add({TarEntry::Kind::directory, prefix, "", 0755, 1000, 1000}));
    std::vector<std::string> names;
    DIR* dir = ::opendir(path.c_str());
    REQUIRE(dir != nullptr);
    while (dirent* entry = ::readdir(dir))
        if (std::string(entry->d_name) != "." && std::string(entry->d_name) != "..") names.push_back(entry->d_name);
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    for (const auto& name : names) addWhole(tar, path + "/" + name, prefix + "/" + name);
}

struct Drained {
    std::string archive;
    std::size_t pieces = 0;
    std::size_t largestPiece = 0;
};

// Every piece of the stream, concatenated.
Drained drain(LocalTarStream& stream) {
    Drained drained;
    std::string piece;
    for (bool more = true; more;) {
        auto next = stream.next(piece);
        REQUIRE(next);
        more = *next;
        drained.archive += piece;
        ++drained.pieces;
        drained.largestPiece = std::max(drained.largestPiece, piece.size());
    }
    return drained;
}

// A field of /proc/self/status in kB (VmHWM: the peak resident set so far).
long statusKb(const std::string& field) {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind(field + ":", 0) == 0) return std::atol(line.c_str() + field.size() + 1);
    return -1;
}

}  // namespace

TEST_CASE("the streamed tar of a local tree is byte-identical to TarWriter's", "[jobs][upload]") {
    ScratchDir scratch;
    std::string big(3 * kUploadChunkBytes + 777, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 131) % 251);
    scratch.write("project/Makefile", "prog: prog.c\n\tmpicc -o prog prog.c\n");
    scratch.write("project/run.sh", "#!/bin/sh\necho hi\n", 0750);
    scratch.write("project/data/big.bin", big);
    scratch.write("project/data/empty", "");
    scratch.write("project/data/deeper/exactly-one-block", std::string(512, 'x'));
    scratch.write("project/" + std::string(120, 'n') + "/long-name.txt", "a name past 100 bytes, split at a '/'\n");

    auto stream = LocalTarStream::open({scratch.path() + "/project", "jobs/7/project", {"jobs", "jobs/7"}});
    REQUIRE(stream);
    auto drained = drain(*stream);

    TarWriter whole;
    REQUIRE(whole.add({TarEntry::Kind::directory, "jobs", "", 0755, 1000, 1000}));
    REQUIRE(whole.add({TarEntry::Kind::directory, "jobs/7", "", 0755, 1000, 1000}));
    addWhole(whole, scratch.path() + "/project", "jobs/7/project");
    std::string expected = whole.finish();
    CHECK(drained.archive.size() == expected.size());
    CHECK(drained.archive == expected);
    CHECK(stream->archiveBytes() == expected.size());
    CHECK(drained.largestPiece <= kUploadChunkBytes);
    CHECK(drained.pieces >= 4);
    auto entries = readTar(drained.archive);
    REQUIRE(entries);
    CHECK(entries->size() == 12);

    // A single file is an archive of that file alone.
    auto single = LocalTarStream::open({scratch.path() + "/project/run.sh", "jobs/8/run.sh", {}});
    REQUIRE(single);
    auto file = readTar(drain(*single).archive);
    REQUIRE(file);
    REQUIRE(file->size() == 1);
    CHECK(file->front().mode == 0755);
    CHECK(file->front().uid == 1000);
    CHECK(file->front().content == "#!/bin/sh\necho hi\n");
}

TEST_CASE("links and special files are refused before anything is read", "[jobs][upload]") {
    ScratchDir scratch;
    scratch.write("project/Makefile", "all:\n");
    REQUIRE(::symlink("/etc/passwd", (scratch.path() + "/project/passwd").c_str()) == 0);
    auto linked = LocalTarStream::open({scratch.path() + "/project", "p", {}});
    REQUIRE_FALSE(linked);
    CHECK(linked.error().code == ErrorCode::usage);
    CHECK(linked.error().message ==
          "'" + scratch.path() + "/project/passwd' is a link or special file: only plain files are copied");

    REQUIRE(::unlink((scratch.path() + "/project/passwd").c_str()) == 0);
    REQUIRE(::mkfifo((scratch.path() + "/project/fifo").c_str(), 0644) == 0);
    auto fifo = LocalTarStream::open({scratch.path() + "/project", "p", {}});
    REQUIRE_FALSE(fifo);
    CHECK(fifo.error().message.find("fifo' is a link or special file") != std::string::npos);

    // A link named directly is refused too, and so is a path that is not there.
    REQUIRE(::symlink(scratch.path().c_str(), (scratch.path() + "/dir-link").c_str()) == 0);
    CHECK(LocalTarStream::open({scratch.path() + "/dir-link", "p", {}}).error().code == ErrorCode::usage);
    auto missing = LocalTarStream::open({scratch.path() + "/absent", "p", {}});
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message == "'" + scratch.path() + "/absent' does not exist");
}

TEST_CASE("a large sparse file is streamed in bounded pieces, never read whole", "[jobs][upload]") {
    ScratchDir scratch;
    constexpr std::uint64_t kSize = 512ULL * 1024 * 1024 + 3;
    std::string data = scratch.write("data/sparse.bin", "");
    {
        int fd = ::open(data.c_str(), O_WRONLY);
        REQUIRE(fd >= 0);
        REQUIRE(::ftruncate(fd, static_cast<off_t>(kSize)) == 0);
        REQUIRE(::pwrite(fd, "END", 3, static_cast<off_t>(kSize - 3)) == 3);
        ::close(fd);
    }
    scratch.write("data/Makefile", "all:\n");
    auto stream = LocalTarStream::open({scratch.path() + "/data", "jobs/1/data", {}});
    REQUIRE(stream);
    CHECK(stream->archiveBytes() == 3 * kTarBlock + 512 + kSize + tarPadding(kSize) + 2 * kTarBlock);

    long peakBefore = statusKb("VmHWM");
    std::string piece;
    std::uint64_t total = 0;
    std::size_t largest = 0;
    std::string tail;
    for (bool more = true; more;) {
        auto next = stream->next(piece);
        REQUIRE(next);
        more = *next;
        total += piece.size();
        largest = std::max(largest, piece.size());
        // Only the last 4 KiB of each piece are kept: no 1 MiB copy per piece (under ASan, freed
        // blocks wait in a quarantine and would count as the stream's).
        tail += piece.size() > 4096 ? piece.substr(piece.size() - 4096) : piece;
        if (tail.size() > 4096) tail.erase(0, tail.size() - 4096);
    }
    long peakAfter = statusKb("VmHWM");
    CHECK(total == stream->archiveBytes());
    CHECK(largest == kUploadChunkBytes);
    // The file's last bytes, its padding and the end marker close the archive.
    std::size_t endOfContent = 4096 - 2 * kTarBlock - tarPadding(kSize);
    CHECK(tail.substr(endOfContent - 3, 3) == "END");
    INFO("peak RSS before " << peakBefore << " kB, after " << peakAfter << " kB");
    CHECK(peakAfter - peakBefore < 32 * 1024);
}

TEST_CASE("a file that shrinks while it is copied fails the stream, naming it", "[jobs][upload]") {
    ScratchDir scratch;
    std::string file = scratch.write("p/big.bin", std::string(2 * kUploadChunkBytes, 'b'));
    auto stream = LocalTarStream::open({scratch.path() + "/p", "p", {}});
    REQUIRE(stream);
    std::string piece;
    REQUIRE(stream->next(piece));
    REQUIRE(::truncate(file.c_str(), 10) == 0);
    Result<bool> next = true;
    for (int i = 0; i < 4 && next && *next; ++i) next = stream->next(piece);
    REQUIRE_FALSE(next);
    CHECK(next.error().message == "'" + file + "' became shorter while it was copied");
}

TEST_CASE("a size past 8 GiB is written base-256, as GNU tar and Docker read it", "[jobs][upload]") {
    constexpr std::uint64_t kNineGiB = 9ULL << 30;
    auto header = encodeTarHeader({TarEntry::Kind::file, "huge.bin", kNineGiB, 0644, 1000, 1000});
    REQUIRE(header);
    CHECK(static_cast<unsigned char>((*header)[124]) == 0x80);
    std::uint64_t size = 0;
    for (int i = 125; i < 136; ++i) size = (size << 8) | static_cast<unsigned char>((*header)[i]);
    CHECK(size == kNineGiB);
    auto small = encodeTarHeader({TarEntry::Kind::file, "small.bin", 8, 0644, 1000, 1000});
    REQUIRE(small);
    CHECK(small->substr(124, 12) == std::string("00000000010") + '\0');
}

TEST_CASE("a local tree is uploaded piece by piece, and a stop abandons the upload unfinished", "[jobs][upload]") {
    ScratchDir scratch;
    scratch.write("p/Makefile", "all:\n");
    scratch.write("p/data.bin", std::string(kUploadChunkBytes + 10, 'd'));
    auto transport = std::make_shared<testing::FakeTransport>();
    transport->expect("GET", "/_ping", testing::pingReply("1.41"));
    transport->expectJson("PUT", "/v1.41/containers/head1/archive", 200, "");
    auto engine = docker::EngineClient::connect(transport);
    REQUIRE(engine);
    LocalUpload upload{scratch.path() + "/p", "jobs/3/p", {"jobs", "jobs/3"}};
    REQUIRE(uploadLocalTree(*engine, "head1", "/usr/local/var/mpishare", upload));
    auto sent = transport->requestsTo("PUT", "/v1.41/containers/head1/archive");
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].target == "/v1.41/containers/head1/archive?path=%2Fusr%2Flocal%2Fvar%2Fmpishare");
    CHECK(sent[0].contentType == "application/x-tar");
    auto stream = LocalTarStream::open(upload);
    REQUIRE(stream);
    CHECK(sent[0].body == drain(*stream).archive);
    CHECK(transport->largestUploadPiece == kUploadChunkBytes);

    int asked = 0;
    auto stopped = uploadLocalTree(*engine, "head1", "/usr/local/var/mpishare", upload, [&asked] { return ++asked > 1; });
    REQUIRE_FALSE(stopped);
    CHECK(stopped.error().message == "PUT /containers/head1/archive: the copy was abandoned");
    REQUIRE(transport->abandonedUploads.size() == 1);
    CHECK(transport->abandonedUploads[0].body.size() == kUploadChunkBytes);
}
