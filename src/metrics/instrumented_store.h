// A Store decorator that times write-transaction commits (the fsync'd path)
// into a histogram; reads pass through untouched.
#pragma once

#include <memory>

#include "metrics/registry.h"
#include "store/store.h"

namespace coffer::metrics {

// The returned store refers to `inner`, which must outlive it.
std::unique_ptr<store::Store> InstrumentStore(store::Store& inner, HistogramFamily& commits);

}  // namespace coffer::metrics
