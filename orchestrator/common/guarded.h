#pragma once
// Thread bodies of the daemon run through runGuarded: an exception that would end the process
// (std::terminate, taking every job and request with it) is logged instead and the body ends.
// Code inside still reports failures with Result; this is the last line, not error handling.

#include <exception>
#include <string>

#include "common/log.h"

namespace ppcs {

template <class Body>
void runGuarded(const std::string& what, Body&& body) noexcept {
    try {
        body();
    } catch (const std::exception& e) {
        log::error(what + ": unexpected failure, caught so that ppcsd goes on: " + e.what());
    } catch (...) {
        log::error(what + ": unexpected failure, caught so that ppcsd goes on");
    }
}

}  // namespace ppcs
