#pragma once
// The per-cluster SSH key pair, made with the host's ssh-keygen (an argv, never a shell). The
// private key goes into a Swarm secret and is never written anywhere else that outlives the call.

#include <string>

#include "common/result.h"
#include "image/process_runner.h"

namespace ppcs::cluster {

struct KeyPair {
    std::string privateKey;  // OpenSSH format
    std::string publicKey;   // "ssh-ed25519 AAAA... comment"
};

Result<KeyPair> generateClusterKey(image::ProcessRunner& runner, const std::string& comment);

}  // namespace ppcs::cluster
