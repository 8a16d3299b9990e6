#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <tuple>

#include "common/files.h"
#include "jobs/job_request.h"
#include "jobs/job_runner.h"
#include "jobs/job_store.h"
#include "support/run_process.h"
#include "support/scratch_dir.h"

using namespace ppcs;
using namespace ppcs::jobs;

TEST_CASE("programs resolve in the documented order", "[jobs]") {
    JobRequest request;
    request.program = "hello_world";
    CHECK(resolveProgram(request, false, false)->kind == ProgramKind::example);
    request.program = "./prog.c";
    request.localPath = "/home/u/prog.c";
    CHECK(resolveProgram(request, true, false)->kind == ProgramKind::cSource);
    request.localPath = "/home/u/prog.cpp";
    CHECK(resolveProgram(request, true, false)->kind == ProgramKind::cxxSource);
    request.localPath = "/home/u/script.py";
    auto python = resolveProgram(request, true, false);
    CHECK(python->kind == ProgramKind::python);
    CHECK(python->name == "script.py");
    request.localPath = "/home/u/project/";
    auto directory = resolveProgram(request, false, true);
    CHECK(directory->kind == ProgramKind::makeDirectory);
    CHECK(directory->name == "project");
    request.localPath = "/home/u/notes.txt";
    CHECK(resolveProgram(request, true, false).error().message.find("not a .c, .cc, .cpp, Fortran (.f, .f90, ...) or .py") !=
          std::string::npos);
    request.localPath.clear();
    request.program = "/usr/bin/hostname";
    CHECK(resolveProgram(request, false, false)->kind == ProgramKind::imagePath);
    request.program = "no_such_program";
    auto unknown = resolveProgram(request, false, false);
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().message.find("hello_world, any_source, pingpong, allgather_matvec") != std::string::npos);
    request.isCommand = true;
    CHECK(resolveProgram(request, false, false)->kind == ProgramKind::command);
}

TEST_CASE("an absolute path that is no local source runs the image's file, even when this host has one", "[jobs]") {
    auto resolveAt = [](const std::string& program, const std::string& localPath, bool isRegularFile) {
        JobRequest request;
        request.program = program;
        request.localPath = localPath;
        return resolveProgram(request, isRegularFile, false);
    };
    // localPath is what the CLI's realpath made of the program on this host.
    for (auto [program, localPath, isFile] :
         {std::tuple{"/bin/hostname", "/usr/bin/hostname", true}, {"/usr/lib", "/usr/lib", false}}) {
        INFO(program);
        auto resolved = resolveAt(program, localPath, isFile);
        REQUIRE(resolved);
        CHECK(resolved->kind == ProgramKind::imagePath);
        CHECK(resolved->name == program);
    }
    CHECK(resolveAt("/home/u/prog.c", "/home/u/prog.c", true)->kind == ProgramKind::cSource);
    auto relative = resolveAt("./hostname", "/home/u/hostname", true);
    REQUIRE_FALSE(relative);
    CHECK(relative.error().message.find("is a local file but not a .c, .cc, .cpp, Fortran (.f, .f90, ...) or .py source") !=
          std::string::npos);
}

TEST_CASE("mpirun's argv: NP, slots, mapping, and user arguments untouched", "[jobs]") {
    JobRequest request;
    auto argv = buildLauncherArgv(model::MpiKind::openmpi, request, 20, 10, "/share/jobs/7/.ppcs-hostfile",
                                  {"hello_world", "a b", ";", "$(rm -rf /)"});
    REQUIRE(argv);
    CHECK(*argv == std::vector<std::string>{"mpirun", "-n", "20", "--hostfile", "/share/jobs/7/.ppcs-hostfile", "hello_world",
                                            "a b", ";", "$(rm -rf /)"});
    request.np = 21;
    auto tooMany = buildLauncherArgv(model::MpiKind::openmpi, request, 20, 10, "/share/jobs/7/.ppcs-hostfile", {"x"});
    REQUIRE_FALSE(tooMany);
    CHECK(tooMany.error().message == "-n 21 is more than the cluster's 20 slots: add --oversubscribe to run anyway");
    request.oversubscribe = true;
    request.perNode = 3;
    request.tagOutput = true;
    auto mapped = buildLauncherArgv(model::MpiKind::openmpi, request, 20, 10, "/share/jobs/7/.ppcs-hostfile", {"x"});
    REQUIRE(mapped);
    CHECK(*mapped == std::vector<std::string>{"mpirun", "-n", "21", "--hostfile", "/share/jobs/7/.ppcs-hostfile",
                                              "--oversubscribe", "--map-by", "ppr:3:node", "--tag-output", "x"});
    request.perNode = 2;
    CHECK_FALSE(buildLauncherArgv(model::MpiKind::openmpi, request, 20, 10, "/share/jobs/7/.ppcs-hostfile", {"x"}));
    CHECK_FALSE(buildLauncherArgv(model::MpiKind::openmpi, JobRequest{}, 0, 1, "/h", {"x"}));
}

TEST_CASE("job requests are checked before anything runs", "[jobs]") {
    JobRequest request;
    request.program = "hello_world";
    CHECK(validateJobRequest(request));
    auto bad = [&](auto change) {
        JobRequest copy = request;
        change(copy);
        return !validateJobRequest(copy);
    };
    CHECK(bad([](JobRequest& r) { r.np = -1; }));
    CHECK(bad([](JobRequest& r) { r.program = ""; }));
    CHECK(bad([](JobRequest& r) { r.program = "--help"; }));
    CHECK(bad([](JobRequest& r) { r.cluster = "Bad Name"; }));
    CHECK(bad([](JobRequest& r) { r.exe = "../x"; }));
    CHECK(bad([](JobRequest& r) { r.timeoutSeconds = -5; }));
    CHECK(bad([](JobRequest& r) { r.args = {std::string("a\0b", 3)}; }));
}

TEST_CASE("a crashed rank is named with its node", "[jobs]") {
    std::vector<cluster::Member> members{{model::MemberRole::head, 0, "demo-head", "10.128.0.2"},
                                         {model::MemberRole::node, 1, "demo-node-1", "10.128.0.3"}};
    std::string stderrText =
        "--------------------------------------------------------------------------\n"
        "mpirun noticed that process rank 3 with PID 0 on node 10.128.0.3 exited on signal 11 (Segmentation fault).\n";
    CHECK(describeCrash(stderrText, members) ==
          "rank 3 on demo-node-1 (10.128.0.3) was killed by signal 11 (Segmentation fault)");
    CHECK(describeCrash("all good\n", members).empty());
    // A job may print anything: a huge "node" token cannot exhaust the stack, and a report after
    // it is still found.
    std::string huge = "process rank 1 with PID 1 on node " + std::string(70000, 'x') + " exited on signal 9 (Killed)\n";
    CHECK(describeCrash(huge, members).empty());
    CHECK(describeCrash(huge + stderrText, members) ==
          "rank 3 on demo-node-1 (10.128.0.3) was killed by signal 11 (Segmentation fault)");
}

TEST_CASE("job records and output survive reopening the store", "[jobs][store]") {
    char pattern[] = "/tmp/ppcs-jobs-test-XXXXXX";
    std::string dir = ::mkdtemp(pattern);
    std::string path = dir + "/jobs.db";
    std::int64_t finished = 0, running = 0;
    {
        auto store = JobStore::open(path);
        REQUIRE(store);
        JobRecord record{0, "demo", "hello_world", {"a b"}, 4};
        auto startedNow = [&] {
            auto id = *(*store)->enqueue(record, "{}");
            REQUIRE(*(*store)->markStarted(id, 4));
            return id;
        };
        finished = startedNow();
        REQUIRE((*store)->appendOutput(finished, false, "hello\n"));
        REQUIRE((*store)->appendOutput(finished, true, "warn\n"));
        REQUIRE((*store)->appendOutput(finished, false, "bye\n"));
        REQUIRE((*store)->finish(finished, model::JobState::failed, 3, 1.5, ""));
        running = startedNow();
    }
    auto reopened = JobStore::open(path);
    REQUIRE(reopened);
    auto record = (*reopened)->get(finished);
    REQUIRE(record);
    CHECK(record->exitCode == 3);
    CHECK(record->args == std::vector<std::string>{"a b"});
    CHECK(record->state == model::JobState::failed);
    auto output = (*reopened)->output(finished);
    REQUIRE(output);
    REQUIRE(output->size() == 3);
    CHECK((*output)[1].isErr);
    CHECK((*output)[2].data == "bye\n");
    auto interrupted = (*reopened)->get(running);
    CHECK(interrupted->state == model::JobState::interrupted);
    CHECK_FALSE(interrupted->exitCode.has_value());
    auto listed = (*reopened)->list(10);
    REQUIRE(listed->size() == 2);
    CHECK(listed->front().id == running);
    CHECK((*reopened)->get(999).error().code == ErrorCode::notFound);
    std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("Fortran sources are built with mpifort", "[jobs]") {
    JobRequest request;
    request.program = "./hello.f90";
    for (const char* name : {"hello.f", "hello.f90", "hello.f95", "hello.f03", "hello.f08", "hello.F", "hello.F90"}) {
        request.localPath = std::string("/home/u/") + name;
        auto resolved = resolveProgram(request, true, false);
        REQUIRE(resolved);
        CHECK(resolved->kind == ProgramKind::fortranSource);
    }
    request.localPath = "/home/u/notes.cf";
    CHECK_FALSE(resolveProgram(request, true, false));
}

TEST_CASE("environment entries: names checked, values verbatim, files line by line", "[jobs][env]") {
    JobRequest request;
    request.program = "hello_world";
    request.env = {"GREETING=hello world", "QUOTED=\"a 'b' $HOME\"", "EMPTY=", "WITH_EQUALS=a=b"};
    CHECK(validateJobRequest(request));
    for (const char* bad : {"1ABC=x", "A-B=x", "=x", "NOEQUALS", "A B=x"}) {
        request.env = {bad};
        auto refused = validateJobRequest(request);
        REQUIRE_FALSE(refused);
        CHECK(refused.error().code == ErrorCode::usage);
    }
    request.env = {std::string("A=x\0y", 5)};
    CHECK_FALSE(validateJobRequest(request));

    auto parsed = parseEnvFile("# settings\n\nGREETING=hello world\r\nPRICE=$5 'each'\n  # indented comment\nPATHS=a:b\n");
    REQUIRE(parsed);
    CHECK(*parsed == std::vector<std::string>{"GREETING=hello world", "PRICE=$5 'each'", "PATHS=a:b"});
    auto broken = parseEnvFile("A=1\nexport B=2\n");
    REQUIRE_FALSE(broken);
    CHECK(broken.error().message.find("line 2:") == 0);
    auto noValue = parseEnvFile("A=1\nJUSTANAME\n");
    REQUIRE_FALSE(noValue);
    CHECK(noValue.error().message.find("line 2: -e takes NAME=VALUE") == 0);
}

TEST_CASE("ranks start in the job's folder unless --workdir says otherwise", "[jobs][workdir]") {
    JobRequest request;
    request.program = "hello_world";
    CHECK(rankWorkdir(request, "/share/jobs/7", "/share/jobs/7/project") == "/share/jobs/7/project");
    request.workdir = "data/out";
    CHECK(validateJobRequest(request));
    CHECK(rankWorkdir(request, "/share/jobs/7", "/share/jobs/7/project") == "/share/jobs/7/data/out");
    request.workdir = "/tmp";
    CHECK(rankWorkdir(request, "/share/jobs/7", "/share/jobs/7") == "/tmp");
    for (const char* bad : {"../other", "a/../../b", "/share/..", "a\nb"}) {
        request.workdir = bad;
        CHECK_FALSE(validateJobRequest(request));
    }
    request.workdir.clear();
    request.env = {"A=1 2", "B=$x"};
    auto argv = buildLauncherArgv(model::MpiKind::openmpi, request, 4, 2, "/h", {"prog"}, "/share/jobs/7");
    REQUIRE(argv);
    CHECK(*argv == std::vector<std::string>{"mpirun", "-n", "4", "--hostfile", "/h", "--wdir", "/share/jobs/7", "-x", "A=1 2",
                                            "-x", "B=$x", "prog"});
}

TEST_CASE("a directory without a Makefile runs its entry script, shipped whole", "[jobs]") {
    JobRequest request;
    request.program = "./bench";
    request.localPath = "/home/u/bench";
    auto single = resolveProgram(request, false, false, std::vector<std::string>{"osu_latency.py"});
    REQUIRE(single);
    CHECK(single->kind == ProgramKind::scriptDirectory);
    CHECK(single->name == "bench");
    CHECK(single->entry == "osu_latency.py");

    std::vector<std::string> two{"helpers.py", "main.py"};
    auto ambiguous = resolveProgram(request, false, false, two);
    REQUIRE_FALSE(ambiguous);
    CHECK(ambiguous.error().code == ErrorCode::usage);
    CHECK(ambiguous.error().message ==
          "'./bench' holds 2 .py scripts (helpers.py, main.py) and no Makefile: name the one to run with --exe");
    request.exe = "main.py";
    auto chosen = resolveProgram(request, false, false, two);
    REQUIRE(chosen);
    CHECK(chosen->entry == "main.py");
    request.exe = "other.py";
    CHECK(resolveProgram(request, false, false, two).error().message ==
          "'./bench' has no Python script 'other.py' (and no Makefile)");

    request.exe.clear();
    auto none = resolveProgram(request, false, false, std::vector<std::string>{});
    REQUIRE_FALSE(none);
    CHECK(none.error().message == "'./bench' is a local directory without a Makefile or a .py script");
    // A Makefile wins over scripts.
    CHECK(resolveProgram(request, false, true, two)->kind == ProgramKind::makeDirectory);
}

// The launcher's exec makes the job's folder and its hostfile itself: the script runs here as the
// head's sh would run it, every argument kept as given.
TEST_CASE("the launcher's exec makes the job's folder, writes its hostfile there and becomes the launcher", "[jobs]") {
    testing::ScratchDir scratch("launch");
    std::string folder = scratch.path + "/jobs/7";
    std::string hostfile = "10.0.0.2 slots=2   # demo-head\n'$(touch pwned)' \"\\\n";
    auto argv = launchInFolderArgv(folder, ".ppcs-hostfile", hostfile, {"sh", "-c", "pwd; echo \"$1\"; exit 3", "x", "a b"});
    REQUIRE(argv.size() > 7);
    CHECK(argv[0] == "sh");
    CHECK(argv[4] == folder);
    auto ran = testing::runProcess(argv);
    CHECK(ran.exitCode == 3);
    CHECK(ran.out == folder + "\na b\n");
    auto written = readFile(folder + "/.ppcs-hostfile");
    REQUIRE(written);
    CHECK(*written == hostfile);
    CHECK_FALSE(readFile(scratch.path + "/pwned"));
    CHECK_FALSE(readFile(folder + "/pwned"));

    // A folder that cannot be made: exit 1, the reason on stderr, nothing launched.
    auto blocked = launchInFolderArgv(folder + "/.ppcs-hostfile/sub", "h", "x", {"echo", "launched"});
    auto refused = testing::runProcess(blocked);
    CHECK(refused.exitCode == 1);
    CHECK(refused.out.empty());
    CHECK_FALSE(refused.err.empty());
}
