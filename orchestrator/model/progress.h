#pragma once
// The one shape of progress reporting, from the image build and `up` in ppcsd to the lines the
// CLI shows: a phase ("build", "swarm", "ready", "compile", ...) and a line of text.

#include <functional>
#include <string>

namespace ppcs::model {

using Progress = std::function<void(const std::string& phase, const std::string& text)>;

}  // namespace ppcs::model
