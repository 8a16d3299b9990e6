#include "cluster/keys.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "common/files.h"

namespace ppcs::cluster {

Result<KeyPair> generateClusterKey(image::ProcessRunner& runner, const std::string& comment) {
    char pattern[] = "/tmp/ppcs-key-XXXXXX";
    if (::mkdtemp(pattern) == nullptr)
        return makeError(ErrorCode::failed, "make the cluster key: cannot create a temporary directory");
    std::string dir = pattern;
    std::string keyPath = dir + "/id_ed25519";
    auto outcome = runner.run(
        {{"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", keyPath}, std::chrono::seconds(30)}, nullptr);
    Result<KeyPair> result = makeError(ErrorCode::failed, "make the cluster key: ssh-keygen failed");
    if (!outcome) {
        result = outcome.error().context("make the cluster key (apt-get install openssh-client)");
    } else if (outcome->exitCode == 0) {
        auto privateKey = readFile(keyPath);
        auto publicKey = readFile(keyPath + ".pub");
        if (privateKey && publicKey) result = KeyPair{*privateKey, *publicKey};
    } else {
        result = makeError(ErrorCode::failed, "make the cluster key: ssh-keygen exited " + std::to_string(outcome->exitCode) +
                                                  ": " + outcome->lastLines);
    }
    std::remove(keyPath.c_str());
    std::remove((keyPath + ".pub").c_str());
    ::rmdir(dir.c_str());
    return result;
}

}  // namespace ppcs::cluster
