#include "support/fake_engine.h"

#include <algorithm>
#include <cstdio>
#include <thread>
#include <utility>

#include "common/strings.h"
#include "common/tar_reader.h"

namespace ppcs::testing {
namespace {

constexpr const char* kTaskNameLabel = "com.docker.swarm.task.name";
constexpr const char* kHostKeyPath = "/etc/ssh/ssh_host_ed25519_key.pub";

bool labelsMatch(const docker::Labels& have, const docker::Labels& filter) {
    for (const auto& [key, value] : filter) {
        auto found = have.find(key);
        if (found == have.end() || (!value.empty() && found->second != value)) return false;
    }
    return true;
}

// The objects of a name- or id-keyed map whose labels hold every pair of the filter.
template <class Objects>
std::vector<typename Objects::mapped_type> withLabels(const Objects& objects, const docker::Labels& filter) {
    std::vector<typename Objects::mapped_type> found;
    for (const auto& entry : objects)
        if (labelsMatch(entry.second.labels, filter)) found.push_back(entry.second);
    return found;
}

// "key=value,key=value": what a call with a label filter is about, in the call log.
std::string describeLabels(const docker::Labels& filter) {
    std::string text;
    for (const auto& [key, value] : filter) text += (text.empty() ? "" : ",") + key + "=" + value;
    return text;
}

bool listed(const std::map<std::string, std::vector<std::string>>& filters, const std::string& key, const std::string& value) {
    auto found = filters.find(key);
    return found == filters.end() || std::find(found->second.begin(), found->second.end(), value) != found->second.end();
}

std::string joinPath(const std::string& dir, const std::string& path) {
    if (!path.empty() && path.front() == '/') return path;
    std::string relative = path.rfind("./", 0) == 0 ? path.substr(2) : path;
    return dir.empty() || dir.back() == '/' ? dir + relative : dir + "/" + relative;
}

docker::ExecOutcome exited(int code, std::string out = "", std::string err = "") {
    return docker::ExecOutcome{code, std::move(out), std::move(err)};
}

// The script name a fixed `sh -c SCRIPT NAME args...` exec carries ("ppcs-install", ...).
std::string scriptName(const std::vector<std::string>& argv) {
    return argv.size() >= 4 && argv[0] == "sh" && argv[1] == "-c" ? argv[3] : "";
}

}  // namespace

FakeEngine::FakeEngine() {
    docker::SwarmNode local;
    local.id = kLocalNode;
    local.hostname = "fakehost";
    local.role = "manager";
    local.state = "ready";
    local.availability = "active";
    local.nanoCpus = 4000000000;
    local.memoryBytes = 8LL << 30;
    local.address = "127.0.0.1";
    nodes_.push_back(local);
}

// ---- Scripting, simulation, inspection ----

void FakeEngine::failNext(const std::string& call, Error error, const std::string& target) {
    std::lock_guard<std::mutex> lock(mutex_);
    failures_.push_back({call, target, std::move(error)});
}

void FakeEngine::listNoNetworkNext() {
    std::lock_guard<std::mutex> lock(mutex_);
    noNetworkNext_ = true;
}

void FakeEngine::holdTask(const std::string& service, int slot, const std::string& state, const std::string& message) {
    std::lock_guard<std::mutex> lock(mutex_);
    held_[{service, slot}] = {state, message};
}

void FakeEngine::releaseTask(const std::string& service, int slot) {
    std::lock_guard<std::mutex> lock(mutex_);
    held_.erase({service, slot});
    for (auto& [id, service] : services_) reconcile(service);
}

void FakeEngine::onExec(ExecHandler handler) {
    std::lock_guard<std::mutex> lock(mutex_);
    handlers_.push_back(std::move(handler));
}

void FakeEngine::addImage(docker::ImageInfo image) {
    std::lock_guard<std::mutex> lock(mutex_);
    images_[image.id] = std::move(image);
}

void FakeEngine::startProcess(const std::string& containerId, const std::string& name, std::int64_t job) {
    std::lock_guard<std::mutex> lock(mutex_);
    containers_[containerId].processes.emplace(name, job);
    changed_.notify_all();
}

bool FakeEngine::waitForProcessGone(const std::string& containerId, const std::string& name, std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, limit, [&] {
        auto found = containers_.find(containerId);
        return found == containers_.end() || found->second.processes.count(name) == 0;
    });
}

std::string FakeEngine::killTask(const std::string& serviceName, int slot) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [id, service] : services_) {
        if (service.info.name != serviceName) continue;
        for (auto& task : tasks_) {
            if (task.serviceId != id || task.slot != slot || task.desiredState != "running" || task.state != "running") continue;
            std::string dead = task.containerId;
            docker::EngineEvent event{"container", "die", dead, containers_[dead].summary.labels, 0};
            event.attributes["exitCode"] = "137";
            event.timeNano = static_cast<std::int64_t>(std::time(nullptr)) * 1000000000 + static_cast<std::int64_t>(++counter_);
            stopTask(task, "failed");
            events_.push_back(std::move(event));
            reconcile(service);
            changed_.notify_all();
            return dead;
        }
    }
    return "";
}

std::vector<EngineCall> FakeEngine::calls() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_;
}

std::vector<EngineCall> FakeEngine::callsNamed(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<EngineCall> found;
    for (const auto& call : calls_)
        if (name.empty() || call.name == name) found.push_back(call);
    return found;
}

void FakeEngine::clearCalls() {
    std::lock_guard<std::mutex> lock(mutex_);
    calls_.clear();
}

std::optional<std::string> FakeEngine::file(const std::string& path) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = files_.find(path);
    if (found == files_.end()) return std::nullopt;
    return found->second;
}

std::vector<std::string> FakeEngine::serviceNames() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> names;
    for (const auto& [id, service] : services_) names.push_back(service.info.name);
    std::sort(names.begin(), names.end());
    return names;
}

std::vector<std::string> FakeEngine::networkNames() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> names;
    for (const auto& [id, network] : networks_) names.push_back(network.name);
    return names;
}

std::vector<std::string> FakeEngine::volumeNames() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> names;
    for (const auto& [name, volume] : volumes_) names.push_back(name);
    return names;
}

std::vector<std::string> FakeEngine::secretNames() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> names;
    for (const auto& [id, secret] : secrets_) names.push_back(secret.name);
    return names;
}

std::map<int, std::string> FakeEngine::runningContainers(const std::string& serviceName) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::map<int, std::string> running;
    for (const auto& task : tasks_) {
        auto service = services_.find(task.serviceId);
        if (service != services_.end() && service->second.info.name == serviceName && task.state == "running")
            running[task.slot] = task.containerId;
    }
    return running;
}

// ---- Internals ----

std::optional<Error> FakeEngine::record(const std::string& name, const std::string& target, std::vector<std::string> argv) {
    calls_.push_back({name, target, std::move(argv)});
    for (auto failure = failures_.begin(); failure != failures_.end(); ++failure)
        if (failure->call == name && target.find(failure->target) != std::string::npos) {
            Error error = failure->error;
            failures_.erase(failure);
            return error;
        }
    return std::nullopt;
}

std::string FakeEngine::newId(const std::string& prefix) {
    char digits[17];
    std::snprintf(digits, sizeof digits, "%016llx", static_cast<unsigned long long>(++counter_));
    // Container IDs are 64 hex digits, as the engine's are, unique in their first 12 (the hostfile
    // names them by that prefix).
    return prefix == "container" ? std::string(digits + 4) + std::string(52, 'c') : prefix + "-" + digits;
}

std::string FakeEngine::nextAddress(const std::string& networkId) {
    auto network = networks_.find(networkId);
    if (network == networks_.end() || network->second.subnets.empty()) return "";
    const std::string& cidr = network->second.subnets.front();
    auto octets = split(cidr.substr(0, cidr.find('/')), '.');
    if (octets.size() != 4) return "";
    int host = std::atoi(octets[3].c_str()) + 2 + addressesGiven_[networkId]++;
    int third = std::atoi(octets[2].c_str()) + host / 256;
    return octets[0] + "." + octets[1] + "." + std::to_string(third) + "." + std::to_string(host % 256) +
           cidr.substr(cidr.find('/'));
}

void FakeEngine::stopTask(docker::TaskInfo& task, const std::string& state) {
    task.state = state;
    task.desiredState = "shutdown";
    auto container = containers_.find(task.containerId);
    if (container != containers_.end()) {
        container->second.summary.state = "exited";
        container->second.processes.clear();
    }
}

void FakeEngine::startTask(Service& service, int slot) {
    docker::TaskInfo task;
    task.id = newId("task");
    task.serviceId = service.info.id;
    task.nodeId = kLocalNode;
    task.slot = slot;
    task.desiredState = "running";
    auto held = held_.find({service.info.name, slot});
    if (held != held_.end()) {
        task.state = held->second.first;
        task.message = held->second.second;
        tasks_.push_back(task);
        return;
    }
    task.state = "running";
    task.message = "started";
    task.containerId = newId("container");
    for (const auto& network : service.spec.networkIds) task.addresses[network] = {nextAddress(network)};
    Container container;
    container.summary.id = task.containerId;
    container.summary.names = {"/" + service.info.name + "." + std::to_string(slot) + "." + task.id};
    container.summary.state = "running";
    container.summary.labels = service.spec.containerLabels;
    container.summary.labels[kTaskNameLabel] = service.info.name + "." + std::to_string(slot) + "." + task.id;
    container.summary.labels["com.docker.swarm.service.id"] = service.info.id;
    containers_[task.containerId] = container;
    tasks_.push_back(task);
}

void FakeEngine::reconcile(Service& service) {
    std::set<int> present;
    for (auto& task : tasks_) {
        if (task.serviceId != service.info.id || task.desiredState != "running") continue;
        if (task.slot > static_cast<int>(service.info.replicas)) {
            stopTask(task, "shutdown");
            containers_.erase(task.containerId);
        } else if (task.state != "running" && !held_.count({service.info.name, task.slot})) {
            stopTask(task, "shutdown");  // a held task released: replaced by a running one
        } else {
            present.insert(task.slot);
        }
    }
    for (int slot = 1; slot <= static_cast<int>(service.info.replicas); ++slot)
        if (!present.count(slot)) startTask(service, slot);
}

// ---- Execs as the node image answers them ----

std::optional<docker::ExecOutcome> FakeEngine::builtInAnswer(const ExecCall& call) {
    const auto& argv = call.spec.cmd;
    if (argv.empty()) return exited(127, "", "no command");
    std::lock_guard<std::mutex> lock(mutex_);
    auto& processes = containers_[call.containerId].processes;
    if (argv[0] == "cat" && argv.size() == 2) {
        if (argv[1] == kHostKeyPath) return exited(0, "ssh-ed25519 KEY" + call.containerId.substr(0, 12) + " root@fake\n");
        auto found = files_.find(argv[1]);
        if (found == files_.end()) return exited(1, "", "cat: " + argv[1] + ": No such file or directory");
        return exited(0, found->second);
    }
    // -x PATTERN: whole names, alternatives separated by '|' (the only regular expression used).
    auto matching = [&](const std::string& pattern) {
        std::size_t count = 0;
        for (const auto& name : split(pattern, '|')) count += processes.count(name);
        return count;
    };
    if (argv[0] == "pgrep" && argv.size() == 3 && argv[1] == "-x") return exited(matching(argv[2]) ? 0 : 1);
    if (argv[0] == "pkill" && argv.size() == 4 && argv[2] == "-x") {
        bool any = false;
        for (const auto& name : split(argv[3], '|')) any = processes.erase(name) > 0 || any;
        changed_.notify_all();
        return exited(any ? 0 : 1);
    }
    if (argv[0] == "ssh-keyscan") {
        std::string out;
        for (std::size_t i = 5; i < argv.size(); ++i) out += argv[i] + " ssh-ed25519 KEYSCANNED\n";
        return exited(0, out);
    }
    std::string script = scriptName(argv);
    if (script == "ppcs-install") {
        // sh -c SCRIPT ppcs-install SUFFIX EXPECTED PATH...: each PATH+SUFFIX renamed to PATH; with
        // EXPECTED, only while that file holds what EXPECTED+SUFFIX.was holds (else exit 3).
        const std::string& suffix = argv.at(4);
        if (const std::string& expected = argv.at(5); !expected.empty()) {
            std::string path = joinPath(call.spec.workingDir, expected);
            auto was = files_.find(path + suffix + ".was");
            if (was == files_.end()) return exited(1, "", "cmp: " + expected + suffix + ".was: No such file or directory");
            auto current = files_.find(path);
            bool unchanged = (current == files_.end() ? std::string() : current->second) == was->second;
            files_.erase(was);
            if (!unchanged) {
                for (std::size_t i = 6; i < argv.size(); ++i) files_.erase(joinPath(call.spec.workingDir, argv[i]) + suffix);
                return exited(3);
            }
        }
        for (std::size_t i = 6; i < argv.size(); ++i) {
            std::string path = joinPath(call.spec.workingDir, argv[i]);
            auto incoming = files_.find(path + suffix);
            if (incoming == files_.end()) return exited(1, "", "mv: cannot stat '" + argv[i] + suffix + "'");
            files_[path] = incoming->second;
            files_.erase(incoming);
        }
        return exited(0);
    }
    if (script == "ppcs-verify" || script == "ppcs-replicate") return exited(0);  // every ssh accepted, every copy made
    if (argv.size() == 7 && argv[0] == "sh" && argv[2].find("PPCS_JOB_ID") != std::string::npos) {
        // Signalling a job's processes: sh -c SCRIPT sh SIGNAL JOB NAMES (an empty JOB: every
        // job's; empty NAMES: any name), never ssh or sshd.
        const std::string &signal = argv[4], &job = argv[5], &names = argv[6];
        auto named = split(names, '|');
        bool found = false;
        for (auto process = processes.begin(); process != processes.end();) {
            bool matches = process->first != "ssh" && process->first != "sshd" &&
                           (names.empty() || std::find(named.begin(), named.end(), process->first) != named.end()) &&
                           (job.empty() || std::to_string(process->second) == job);
            found = found || matches;
            process = matches && signal != "none" ? processes.erase(process) : std::next(process);
        }
        changed_.notify_all();
        return exited(found ? 0 : 1);
    }
    return std::nullopt;
}

docker::ExecOutcome FakeEngine::answerExec(const ExecCall& call) {
    std::vector<ExecHandler> handlers;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        handlers = handlers_;
    }
    for (auto handler = handlers.rbegin(); handler != handlers.rend(); ++handler)
        if (auto answer = (*handler)(call)) return *answer;
    if (auto answer = builtInAnswer(call)) return *answer;
    return exited(0);
}

// ---- docker::Engine: images ----

Result<std::optional<docker::ImageInfo>> FakeEngine::inspectImage(const std::string& nameOrId) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("inspectImage", nameOrId)) return *failure;
    for (const auto& [id, image] : images_)
        if (id == nameOrId || std::find(image.repoTags.begin(), image.repoTags.end(), nameOrId) != image.repoTags.end())
            return std::optional<docker::ImageInfo>(image);
    return std::optional<docker::ImageInfo>();
}

Status FakeEngine::pullImage(const std::string& image, const std::string& tag, const docker::ProgressSink&,
                             std::chrono::seconds) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("pullImage", image + ":" + tag)) return *failure;
    return makeError(ErrorCode::notFound, "fake engine: no registry to pull " + image + ":" + tag + " from");
}

Result<std::string> FakeEngine::importImage(std::string, const std::string& repo, const std::string& tag,
                                            const std::vector<std::string>&, const docker::ProgressSink&) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("importImage", repo + ":" + tag)) return *failure;
    std::string id = "sha256:" + newId("image");
    images_[id] = docker::ImageInfo{id, {repo + ":" + tag}, {}, 0, ""};
    return id;
}

Result<std::string> FakeEngine::buildImage(const docker::BuildParams& params, const docker::ProgressSink&) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("buildImage", "")) return *failure;
    std::string id = "sha256:" + newId("image");
    images_[id] = docker::ImageInfo{id, {}, params.labels, 0, ""};
    return id;
}

Status FakeEngine::tagImage(const std::string& imageId, const std::string& repo, const std::string& tag) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("tagImage", repo + ":" + tag)) return *failure;
    auto image = images_.find(imageId);
    if (image == images_.end()) return makeError(ErrorCode::notFound, "fake engine: no image " + imageId);
    image->second.repoTags.push_back(repo + ":" + tag);
    return {};
}

Result<std::string> FakeEngine::pushImage(const std::string& repo, const std::string& tag, const docker::ProgressSink&) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("pushImage", repo + ":" + tag)) return *failure;
    return std::string("sha256:pushed");
}

Status FakeEngine::removeImage(const std::string& nameOrId, bool) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("removeImage", nameOrId)) return *failure;
    return images_.erase(nameOrId) ? Status{} : Status(makeError(ErrorCode::notFound, "fake engine: no image " + nameOrId));
}

Status FakeEngine::saveImage(const std::string& nameOrId, const docker::BodySink&) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("saveImage", nameOrId)) return *failure;
    return makeError(ErrorCode::failed, "fake engine: saveImage is not faked");
}

Status FakeEngine::loadImage(const docker::BodySource&) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("loadImage", "")) return *failure;
    return makeError(ErrorCode::failed, "fake engine: loadImage is not faked");
}

// ---- Containers ----

Result<std::string> FakeEngine::createContainer(const docker::ContainerSpec& spec) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("createContainer", spec.name)) return *failure;
    std::string id = newId("container");
    Container container;
    container.summary.id = id;
    container.summary.names = {"/" + spec.name};
    container.summary.image = spec.image;
    container.summary.state = "created";
    container.summary.labels = spec.labels;
    // An address on its network from the start, as a bridge network gives one at start.
    if (!spec.networkMode.empty())
        container.summary.addresses[spec.networkMode] = "10.99.0." + std::to_string(containers_.size() + 2);
    containers_[id] = container;
    return id;
}

Status FakeEngine::startContainer(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("startContainer", id)) return *failure;
    auto found = containers_.find(id);
    if (found == containers_.end()) return makeError(ErrorCode::notFound, "fake engine: no container " + id);
    found->second.summary.state = "running";
    return {};
}

Status FakeEngine::removeContainer(const std::string& id, bool) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("removeContainer", id)) return *failure;
    return containers_.erase(id) ? Status{} : Status(makeError(ErrorCode::notFound, "fake engine: no container " + id));
}

Status FakeEngine::killContainer(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("killContainer", id)) return *failure;
    auto found = containers_.find(id);
    if (found == containers_.end()) return makeError(ErrorCode::notFound, "fake engine: no container " + id);
    found->second.summary.state = "exited";
    found->second.processes.clear();
    changed_.notify_all();
    return {};
}

Result<docker::ContainerStats> FakeEngine::containerStats(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("containerStats", id)) return *failure;
    if (!containers_.count(id)) return makeError(ErrorCode::notFound, "fake engine: no container " + id);
    return docker::ContainerStats{};
}

Status FakeEngine::followEvents(const std::map<std::string, std::vector<std::string>>& filters, std::int64_t,
                                std::chrono::seconds, const std::function<bool(const docker::EngineEvent&)>& onEvent) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (auto failure = record("followEvents", "")) return *failure;
    // A short wait stands for the engine's idle limit: the caller reconnects, as it would.
    changed_.wait_for(lock, std::chrono::milliseconds(20), [this] { return !events_.empty(); });
    while (!events_.empty()) {
        auto event = events_.front();
        events_.pop_front();
        if (!listed(filters, "type", event.type) || !listed(filters, "event", event.action)) continue;
        lock.unlock();
        bool more = onEvent(event);
        lock.lock();
        if (!more) return {};
    }
    return makeError(ErrorCode::timeout, "fake engine: no event");
}

Result<std::vector<docker::EngineEvent>> FakeEngine::pastEvents(const std::map<std::string, std::vector<std::string>>&,
                                                                std::int64_t, double) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("pastEvents", "")) return *failure;
    return std::vector<docker::EngineEvent>{};
}

Result<std::vector<docker::ContainerSummary>> FakeEngine::listContainers(const docker::Labels& labelFilter, bool all) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("listContainers", labelFilter.count("ppcs.cluster") ? labelFilter.at("ppcs.cluster") : ""))
        return *failure;
    std::vector<docker::ContainerSummary> found;
    for (const auto& [id, container] : containers_)
        if ((all || container.summary.state == "running") && labelsMatch(container.summary.labels, labelFilter))
            found.push_back(container.summary);
    return found;
}

Status FakeEngine::putArchive(const std::string& containerId, const std::string& dir, std::string tar) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("putArchive", containerId)) return *failure;
    auto container = containers_.find(containerId);
    if (container == containers_.end()) return makeError(ErrorCode::notFound, "fake engine: no container " + containerId);
    std::string path;
    std::string content;
    bool isFile = false;
    TarStreamReader reader({[&](const TarStreamEntry& entry) -> Status {
                                path = joinPath(dir, entry.path);
                                content.clear();
                                isFile = entry.kind == TarStreamEntry::Kind::file;
                                return {};
                            },
                            [&](std::string_view piece) -> Status {
                                content.append(piece);
                                return {};
                            },
                            [&]() -> Status {
                                if (isFile) files_[path] = content;
                                return {};
                            }});
    if (auto fed = reader.feed(tar); !fed) return fed;
    return reader.finish();
}

Status FakeEngine::putArchiveStream(const std::string& containerId, const std::string& dir, const docker::BodySource& source) {
    std::string tar;
    for (bool more = true; more;) {
        std::string piece;
        auto next = source(piece);
        if (!next) return next.error().context("PUT archive of " + containerId);
        tar += piece;
        more = *next;
    }
    return putArchive(containerId, dir, std::move(tar));
}

Status FakeEngine::getArchive(const std::string& containerId, const std::string& path, const docker::BodySink&) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("getArchive", containerId + ":" + path)) return *failure;
    return makeError(ErrorCode::failed, "fake engine: getArchive is not faked");
}

// ---- Execs ----

Result<std::string> FakeEngine::createExec(const std::string& containerId, const docker::ExecSpec& spec) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("createExec", containerId, spec.cmd)) return *failure;
    auto container = containers_.find(containerId);
    if (container == containers_.end()) return makeError(ErrorCode::notFound, "No such container: " + containerId);
    if (container->second.summary.state != "running")
        return makeError(ErrorCode::conflict, "container " + containerId + " is not running");
    std::string id = newId("exec");
    execs_[id] = Exec{ExecCall{containerId, spec}, std::nullopt};
    return id;
}

Status FakeEngine::startExec(const std::string& execId, const docker::OutputSink& sink, std::chrono::seconds) {
    ExecCall call;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (auto failure = record("startExec", execId)) return *failure;
        auto exec = execs_.find(execId);
        if (exec == execs_.end()) return makeError(ErrorCode::notFound, "No such exec instance: " + execId);
        call = exec->second.call;
    }
    auto outcome = answerExec(call);
    if (!outcome.out.empty() && !sink(docker::OutputStream::out, outcome.out)) return {};
    if (!outcome.err.empty()) (void)sink(docker::OutputStream::err, outcome.err);  // the end either way
    std::lock_guard<std::mutex> lock(mutex_);
    execs_[execId].exitCode = outcome.exitCode;
    return {};
}

Result<docker::ExecState> FakeEngine::inspectExec(const std::string& execId) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("inspectExec", execId)) return *failure;
    auto exec = execs_.find(execId);
    if (exec == execs_.end()) return makeError(ErrorCode::notFound, "No such exec instance: " + execId);
    return docker::ExecState{!exec->second.exitCode.has_value(), exec->second.exitCode};
}

Result<std::unique_ptr<docker::ByteStream>> FakeEngine::startExecAttached(const std::string& execId, bool, std::chrono::seconds) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("startExecAttached", execId)) return *failure;
    return makeError(ErrorCode::failed, "fake engine: attached execs are not faked");
}

Status FakeEngine::resizeExec(const std::string& execId, int, int) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("resizeExec", execId)) return *failure;
    return {};
}

// ---- Swarm ----

Result<docker::EngineInfo> FakeEngine::info() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("info", "")) return *failure;
    docker::EngineInfo info;
    info.swarmState = "active";
    info.swarmManager = true;
    info.swarmNodeId = kLocalNode;
    info.swarmNodeAddr = "127.0.0.1";
    info.cpus = 4;
    info.memoryBytes = 8LL << 30;
    return info;
}

Status FakeEngine::initSwarm(const std::string& listenAddr, const std::string&) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("initSwarm", listenAddr)) return *failure;
    return {};
}

Result<std::vector<docker::SwarmNode>> FakeEngine::listNodes() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("listNodes", "")) return *failure;
    return nodes_;
}

Result<docker::SwarmJoinInfo> FakeEngine::swarmJoinInfo() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("swarmJoinInfo", "")) return *failure;
    return docker::SwarmJoinInfo{"SWMTKN-worker", "SWMTKN-manager"};
}

Status FakeEngine::setNodeLabels(const std::string& nodeId, const docker::Labels& labels) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("setNodeLabels", nodeId)) return *failure;
    for (auto& node : nodes_)
        if (node.id == nodeId) {
            for (const auto& [key, value] : labels) node.labels[key] = value;
            return {};
        }
    return makeError(ErrorCode::notFound, "fake engine: no node " + nodeId);
}

Result<std::string> FakeEngine::createNetwork(const docker::NetworkSpec& spec) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("createNetwork", spec.name)) return *failure;
    for (const auto& [id, network] : networks_)
        if (network.name == spec.name)
            return makeError(ErrorCode::conflict, "network with name " + spec.name + " already exists");
    std::string id = newId("network");
    networks_[id] = docker::NetworkInfo{id, spec.name, spec.labels,
                                        spec.subnet.empty() ? std::vector<std::string>{} : std::vector<std::string>{spec.subnet}};
    return id;
}

Result<std::vector<docker::NetworkInfo>> FakeEngine::listNetworks(const docker::Labels& labelFilter) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("listNetworks", "")) return *failure;
    if (std::exchange(noNetworkNext_, false)) return std::vector<docker::NetworkInfo>{};
    return withLabels(networks_, labelFilter);
}

Status FakeEngine::removeNetwork(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("removeNetwork", networks_.count(id) ? networks_.at(id).name : id)) return *failure;
    return networks_.erase(id) ? Status{} : Status(makeError(ErrorCode::notFound, "network " + id + " not found"));
}

Status FakeEngine::createVolume(const std::string& name, const docker::Labels& labels) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("createVolume", name)) return *failure;
    volumes_[name] = docker::VolumeInfo{name, labels};
    return {};
}

Result<std::vector<docker::VolumeInfo>> FakeEngine::listVolumes(const docker::Labels& labelFilter) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("listVolumes", "")) return *failure;
    return withLabels(volumes_, labelFilter);
}

Status FakeEngine::removeVolume(const std::string& name) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("removeVolume", name)) return *failure;
    return volumes_.erase(name) ? Status{} : Status(makeError(ErrorCode::notFound, "get " + name + ": no such volume"));
}

Result<std::string> FakeEngine::createSecret(const std::string& name, const std::string&, const docker::Labels& labels) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("createSecret", name)) return *failure;
    std::string id = newId("secret");
    secrets_[id] = docker::SecretInfo{id, name, labels};
    return id;
}

Result<std::vector<docker::SecretInfo>> FakeEngine::listSecrets(const docker::Labels& labelFilter) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("listSecrets", "")) return *failure;
    return withLabels(secrets_, labelFilter);
}

Status FakeEngine::removeSecret(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("removeSecret", secrets_.count(id) ? secrets_.at(id).name : id)) return *failure;
    return secrets_.erase(id) ? Status{} : Status(makeError(ErrorCode::notFound, "secret " + id + " not found"));
}

// ---- Services and tasks ----

Result<std::string> FakeEngine::createService(const docker::ServiceSpec& spec) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("createService", spec.name)) return *failure;
    for (const auto& [id, service] : services_)
        if (service.info.name == spec.name) return makeError(ErrorCode::conflict, "service " + spec.name + " already exists");
    std::string id = newId("service");
    Service service{docker::ServiceInfo{id, 1, spec.name, spec.labels, spec.image, spec.replicas, "2024-01-01T00:00:00Z"}, spec};
    reconcile(services_[id] = service);
    return id;
}

Result<std::vector<docker::ServiceInfo>> FakeEngine::listServices(const docker::Labels& labelFilter) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("listServices", describeLabels(labelFilter))) return *failure;
    std::vector<docker::ServiceInfo> found;
    for (const auto& [id, service] : services_)
        if (labelsMatch(service.info.labels, labelFilter)) found.push_back(service.info);
    return found;
}

Result<docker::ServiceInfo> FakeEngine::inspectService(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("inspectService", id)) return *failure;
    auto found = services_.find(id);
    if (found == services_.end()) return makeError(ErrorCode::notFound, "service " + id + " not found");
    return found->second.info;
}

Status FakeEngine::scaleService(const std::string& id, std::uint64_t replicas) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = services_.find(id);
    if (auto failure = record("scaleService", found != services_.end() ? found->second.info.name : id)) return *failure;
    if (found == services_.end()) return makeError(ErrorCode::notFound, "service " + id + " not found");
    found->second.info.replicas = replicas;
    ++found->second.info.version;
    reconcile(found->second);
    return {};
}

Status FakeEngine::updateServiceLabels(const std::string& id,
                                       const std::function<Result<docker::Labels>(const docker::ServiceInfo&)>& decide) {
    docker::ServiceInfo read;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (auto failure = record("updateServiceLabels", id)) return *failure;
        auto found = services_.find(id);
        if (found == services_.end()) return makeError(ErrorCode::notFound, "service " + id + " not found");
        read = found->second.info;
    }
    auto labels = decide(read);
    if (!labels) return labels.error();
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = services_.find(id);
    if (found == services_.end()) return makeError(ErrorCode::notFound, "service " + id + " not found");
    for (const auto& [key, value] : *labels)
        if (value.empty())
            found->second.info.labels.erase(key);
        else
            found->second.info.labels[key] = value;
    ++found->second.info.version;
    return {};
}

Status FakeEngine::removeService(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = services_.find(id);
    if (auto failure = record("removeService", found != services_.end() ? found->second.info.name : id)) return *failure;
    if (found == services_.end()) return makeError(ErrorCode::notFound, "service " + id + " not found");
    for (auto task = tasks_.begin(); task != tasks_.end();) {
        if (task->serviceId != id) {
            ++task;
            continue;
        }
        containers_.erase(task->containerId);
        task = tasks_.erase(task);
    }
    services_.erase(found);
    changed_.notify_all();
    return {};
}

Result<std::vector<docker::TaskInfo>> FakeEngine::listTasks(const std::map<std::string, std::vector<std::string>>& filters) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failure = record("listTasks", "")) return *failure;
    std::vector<docker::TaskInfo> found;
    for (const auto& task : tasks_)
        if (listed(filters, "service", task.serviceId) && listed(filters, "desired-state", task.desiredState) &&
            listed(filters, "node", task.nodeId))
            found.push_back(task);
    return found;
}

}  // namespace ppcs::testing
