#pragma once
// Fan-out with a bound: work on many members at once without a thread (and an engine connection)
// per member, however large the cluster.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace ppcs {

// Calls fn(i) for every i in [0, count), on at most maxWorkers threads at a time, and returns
// once every call has returned. fn must not throw; calls for different i may run concurrently.
template <class Fn>
void forEachBounded(std::size_t count, std::size_t maxWorkers, const Fn& fn) {
    std::atomic<std::size_t> next{0};
    auto work = [&] {
        for (std::size_t i = next++; i < count; i = next++) fn(i);
    };
    std::vector<std::thread> workers;
    std::size_t threads = std::min(count, std::max<std::size_t>(maxWorkers, 1));
    for (std::size_t t = 1; t < threads; ++t) workers.emplace_back(work);
    if (threads > 0) work();  // this thread is one of the workers
    for (auto& worker : workers) worker.join();
}

}  // namespace ppcs
