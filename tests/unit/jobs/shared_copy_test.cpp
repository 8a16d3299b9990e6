// Copies between this host and the shared folder: which remote paths are accepted, where a copy
// lands, what a hostile archive cannot do, and the engine calls a copy makes (fake transport).

#include "jobs/shared_copy.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/files.h"
#include "common/tar.h"
#include "jobs/local_download.h"
#include "model/copy_request.h"
#include "support/engine_bytes.h"
#include "support/fake_transport.h"
#include "support/scratch_dir.h"

using namespace ppcs;
using namespace ppcs::jobs;
using namespace ppcs::model;

namespace {

class Scratch : public testing::ScratchDir {
public:
    Scratch() : ScratchDir("copy-test") {}
    std::string read(const std::string& name) const {
        std::ifstream in(path + "/" + name, std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }
    bool exists(const std::string& name) const {
        struct stat info {};
        return ::lstat((path + "/" + name).c_str(), &info) == 0;
    }
};

// Feeds archive to a writer for target, in pieces of 100 bytes.
Status extract(const std::string& archive, const std::string& target, TreeTally* tally = nullptr) {
    LocalTreeWriter writer(target);
    TarStreamReader reader(writer.handler());
    for (std::size_t at = 0; at < archive.size(); at += 100)
        if (auto fed = reader.feed(std::string_view(archive).substr(at, 100)); !fed) return fed;
    if (tally) *tally = writer.tally();
    return reader.finish();
}

std::string archiveOf(const std::vector<TarEntry>& entries) {
    TarWriter writer;
    for (const auto& entry : entries) REQUIRE(writer.add(entry));
    return writer.finish();
}

// An archive of directory top holding a link name -> target.
std::string linkArchive(const std::string& top, const std::string& name, const std::string& target) {
    std::string archive = archiveOf({{TarEntry::Kind::directory, top, "", 0755, 0, 0}});
    archive.resize(archive.size() - 1024);  // drop the end marker
    return archive + testing::tarHeaderBlock(top + "/" + name, '2', 0, target) + std::string(1024, '\0');
}

// The replies of one exec printing out, exit 0.
void expectExec(testing::FakeTransport& transport, const std::string& container, const std::string& out) {
    transport.expectJson("POST", "/v1.41/containers/" + container + "/exec", 201, R"({"Id":"e1"})");
    transport.expect("POST", "/v1.41/exec/e1/start", testing::FakeReply{200, {}, {testing::execFrame(out)}});
    transport.expectJson("GET", "/v1.41/exec/e1/json", 200, R"({"Running":false,"ExitCode":0})");
}

}  // namespace

TEST_CASE("a path in the shared folder never names a place outside it", "[jobs][copy]") {
    CHECK(*sharedRelativePath("data/in.txt") == "data/in.txt");
    CHECK(*sharedRelativePath("./data//in.txt/") == "data/in.txt");
    CHECK(*sharedRelativePath("") == "");
    CHECK(*sharedRelativePath(".") == "");
    CHECK(*sharedRelativePath("/usr/local/var/mpishare/jobs/7") == "jobs/7");
    CHECK(*sharedRelativePath("/usr/local/var/mpishare") == "");
    for (const char* bad :
         {"../etc", "data/../../etc", "/etc/passwd", "/usr/local/var/mpishare-other/x", "/usr/local/var/mpishare/../x"}) {
        auto refused = sharedRelativePath(bad);
        INFO(bad);
        REQUIRE_FALSE(refused);
        CHECK(refused.error().code == ErrorCode::usage);
    }
    CHECK_FALSE(sharedRelativePath(std::string("a\0b", 3)));
    CHECK(sharedBaseName("") == "mpishare");
    CHECK(sharedBaseName("jobs/7") == "7");
    CopyRequest request;
    request.localPath = "relative/path";
    CHECK_FALSE(validateCopyRequest(request));
    request.localPath = "/tmp/x";
    request.remotePath = "a/../b";
    CHECK_FALSE(validateCopyRequest(request));
    request.remotePath = "a/b";
    CHECK(validateCopyRequest(request));
}

TEST_CASE("a copy lands inside a local directory, or as the named path", "[jobs][copy]") {
    Scratch scratch;
    CHECK(*localCopyTarget(scratch.path, "out.txt") == scratch.path + "/out.txt");
    CHECK(*localCopyTarget(scratch.path + "/new.txt", "out.txt") == scratch.path + "/new.txt");
    auto noParent = localCopyTarget(scratch.path + "/missing/new.txt", "out.txt");
    REQUIRE_FALSE(noParent);
    CHECK(noParent.error().message == "no directory " + scratch.path + "/missing to copy into");
}

TEST_CASE("an archive from a container is written below its target and nowhere else", "[jobs][copy]") {
    Scratch scratch;
    SECTION("a tree: the top entry becomes the target, modes kept without set-id bits") {
        TreeTally tally;
        REQUIRE(extract(archiveOf({{TarEntry::Kind::directory, "7", "", 0755, 0, 0},
                                   {TarEntry::Kind::directory, "7/sub", "", 0755, 0, 0},
                                   {TarEntry::Kind::file, "7/sub/result.txt", "42\n", 04755, 0, 0},
                                   {TarEntry::Kind::file, "7/empty", "", 0600, 0, 0}}),
                        scratch.path + "/out", &tally));
        CHECK(scratch.read("out/sub/result.txt") == "42\n");
        struct stat info {};
        REQUIRE(::stat((scratch.path + "/out/sub/result.txt").c_str(), &info) == 0);
        CHECK((info.st_mode & 07777) == 0755);
        CHECK(tally.files == 2);
        CHECK(tally.directories == 2);
        CHECK(tally.bytes == 3);
    }
    SECTION("a single file becomes the target file, replacing an old one") {
        std::ofstream(scratch.path + "/result.txt") << "old content that is longer";
        REQUIRE(extract(archiveOf({{TarEntry::Kind::file, "result.txt", "new", 0644, 0, 0}}), scratch.path + "/result.txt"));
        CHECK(scratch.read("result.txt") == "new");
    }
    SECTION("a link in the archive is skipped, never created") {
        TreeTally tally;
        REQUIRE(extract(linkArchive("7", "escape", "/etc"), scratch.path + "/out", &tally));
        CHECK_FALSE(scratch.exists("out/escape"));
        CHECK(tally.skipped == 1);
    }
    SECTION("entries outside the top entry, or with '..', are refused") {
        auto outside =
            extract(archiveOf({{TarEntry::Kind::directory, "7", "", 0755, 0, 0}, {TarEntry::Kind::file, "8/x", "x", 0644, 0, 0}}),
                    scratch.path + "/out");
        REQUIRE_FALSE(outside);
        CHECK(outside.error().message.find("outside its top entry") != std::string::npos);
        CHECK_FALSE(scratch.exists("8"));
    }
    SECTION("an existing link below the target is not followed") {
        REQUIRE(::mkdir((scratch.path + "/out").c_str(), 0755) == 0);
        REQUIRE(::symlink("/tmp", (scratch.path + "/out/sub").c_str()) == 0);
        REQUIRE(::symlink((scratch.path + "/victim").c_str(), (scratch.path + "/out/file").c_str()) == 0);
        auto viaDir = extract(
            archiveOf({{TarEntry::Kind::directory, "7", "", 0755, 0, 0}, {TarEntry::Kind::directory, "7/sub", "", 0755, 0, 0}}),
            scratch.path + "/out");
        REQUIRE_FALSE(viaDir);
        CHECK(viaDir.error().message.find("is not a directory") != std::string::npos);
        auto viaFile = extract(
            archiveOf({{TarEntry::Kind::directory, "7", "", 0755, 0, 0}, {TarEntry::Kind::file, "7/file", "x", 0644, 0, 0}}),
            scratch.path + "/out");
        REQUIRE_FALSE(viaFile);
        CHECK(viaFile.error().message.find("is a link") != std::string::npos);
        CHECK_FALSE(scratch.exists("victim"));
    }
}

TEST_CASE("cp out: the head resolves the path, the archive of the resolved path is streamed to disk", "[jobs][copy]") {
    Scratch scratch;
    auto transport = std::make_shared<testing::FakeTransport>();
    transport->expect("GET", "/_ping", testing::pingReply("1.41"));
    expectExec(*transport, "head1", "/usr/local/var/mpishare/jobs/7\ndirectory\ndirectory\n");
    std::string archive =
        archiveOf({{TarEntry::Kind::directory, "7", "", 0755, 0, 0}, {TarEntry::Kind::file, "7/out.txt", "result", 0644, 0, 0}});
    transport->expect("GET", "/v1.41/containers/head1/archive",
                      testing::FakeReply{200, {}, {archive.substr(0, 700), archive.substr(700)}});
    auto engine = docker::EngineClient::connect(transport);
    REQUIRE(engine);
    auto report = copyOutOfCluster(*engine, "head1", "jobs/7", scratch.path + "/job7");
    REQUIRE(report);
    CHECK(scratch.read("job7/out.txt") == "result");
    CHECK(report->tally.files == 1);
    auto gets = transport->requestsTo("GET", "/v1.41/containers/head1/archive");
    REQUIRE(gets.size() == 1);
    CHECK(gets[0].target.find("path=%2Fusr%2Flocal%2Fvar%2Fmpishare%2Fjobs%2F7") != std::string::npos);
}

TEST_CASE("cp: a path that a link leads out of the shared folder is refused before any copy", "[jobs][copy]") {
    Scratch scratch;
    std::ofstream(scratch.path + "/data.txt") << "data";
    auto transport = std::make_shared<testing::FakeTransport>();
    transport->expect("GET", "/_ping", testing::pingReply("1.41"));
    expectExec(*transport, "head1", "/etc\ndirectory\ndirectory\n");
    auto engine = docker::EngineClient::connect(transport);
    REQUIRE(engine);
    std::vector<cluster::Member> members{
        {model::MemberRole::head, 0, "demo-head", "10.128.0.2", "running", "", "head1", "n1", 2, true}};
    CopyRequest request{"demo", CopyDirection::intoCluster, scratch.path + "/data.txt", "evil"};
    auto refused = copyIntoCluster(*engine, members, request);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::usage);
    CHECK(refused.error().message == ":evil leads outside the shared folder (to /etc): refused");
    CHECK(transport->requestsTo("PUT", "/v1.41/containers/head1/archive").empty());
}

TEST_CASE("cp in: into a directory under the local name, or as a new name in an existing directory", "[jobs][copy]") {
    Scratch scratch;
    std::ofstream(scratch.path + "/data.txt") << "data";
    auto transport = std::make_shared<testing::FakeTransport>();
    transport->expect("GET", "/_ping", testing::pingReply("1.41"));
    expectExec(*transport, "head1", "/usr/local/var/mpishare/inputs\ndirectory\ndirectory\n");
    transport->expectJson("PUT", "/v1.41/containers/head1/archive", 200, "");
    expectExec(*transport, "head1", "/usr/local/var/mpishare/inputs/renamed.txt\nmissing\ndirectory\n");
    transport->expectJson("PUT", "/v1.41/containers/head1/archive", 200, "");
    auto engine = docker::EngineClient::connect(transport);
    REQUIRE(engine);
    std::vector<cluster::Member> members{
        {model::MemberRole::head, 0, "demo-head", "10.128.0.2", "running", "", "head1", "n1", 2, true}};
    auto into = copyIntoCluster(*engine, members, {"demo", CopyDirection::intoCluster, scratch.path + "/data.txt", "inputs"});
    REQUIRE(into);
    CHECK(into->remotePath == "inputs/data.txt");
    CHECK(into->tally.bytes == 4);
    auto renamed =
        copyIntoCluster(*engine, members, {"demo", CopyDirection::intoCluster, scratch.path + "/data.txt", "inputs/renamed.txt"});
    REQUIRE(renamed);
    CHECK(renamed->remotePath == "inputs/renamed.txt");
    auto puts = transport->requestsTo("PUT", "/v1.41/containers/head1/archive");
    REQUIRE(puts.size() == 2);
    CHECK(puts[0].target.find("path=%2Fusr%2Flocal%2Fvar%2Fmpishare%2Finputs") != std::string::npos);
    auto entries = readTar(puts[1].body);
    REQUIRE(entries);
    REQUIRE(entries->size() == 1);
    CHECK(entries->front().path == "renamed.txt");
    CHECK(entries->front().uid == 1000);
}
