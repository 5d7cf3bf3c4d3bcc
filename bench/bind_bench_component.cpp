// The hand-written component a user would write for bind_bench_lib.c before Host::bind: each
// method copies its parameters into C values and calls the function, on the RPC thread. The
// bind bench cases (cases_bind.cpp) measure Host::bind against it.
#include <vector>

#include <bitbridge/component.h>

#include "bind_bench.capnp.h"

extern "C" {
int32_t bb_add(int32_t a, int32_t b);
double bb_sum(const double* xs, int32_t n);
}

namespace {

class BindBenchImpl final : public bitbridge_bench::BindBench::Server {
 protected:
  kj::Promise<void> add(AddContext context) override {
    auto params = context.getParams();
    context.getResults().setResult(bb_add(params.getA(), params.getB()));
    return kj::READY_NOW;
  }
  kj::Promise<void> sum(SumContext context) override {
    auto list = context.getParams().getXs();
    std::vector<double> xs(list.size());
    for (uint32_t i = 0; i < list.size(); ++i) xs[i] = list[i];
    context.getResults().setResult(bb_sum(xs.data(), static_cast<int32_t>(xs.size())));
    return kj::READY_NOW;
  }
};

}  // namespace

BITBRIDGE_COMPONENT(bitbridge::serve<BindBenchImpl>("bind-bench"))
