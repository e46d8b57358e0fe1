#include "shine/outer/protocol.hpp"

#include <array>
#include <cmath>
#include <cstdio>

namespace shine::outer {
namespace {

std::string number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", value);
  return buffer;
}

std::string percent(double fraction) {
  return number(std::round(fraction * 1000.0) / 10.0);
}

}  // namespace

data::SplitOptions paper_split(std::uint64_t seed) {
  data::SplitOptions split;
  split.train = 0.9;
  split.validation = 0.05;
  split.test = 0.05;
  split.seed = seed;
  return split;
}

TuneOptions paper_options(TuneMethod method, std::uint64_t seed) {
  TuneOptions o;
  o.method = method;
  o.max_iterations = 29;
  o.candidates = 10;
  o.initial_theta = 0.0;
  o.initial_weights = InitialWeights::Gaussian;
  o.seed = seed;
  o.step.rule = StepRule::Double;
  o.step.lower_bound = -12.0;
  o.step.upper_bound = 12.0;
  // The papers' inner stopping rule, as their formula reads (docs/hypergradients.md).
  o.inner_tolerance_rule = InnerToleranceRule::Paper;
  o.schedule.reset();                // exponential from 1e-3, rho 0.78 (0.9 for hoag)
  o.memory.reset();                  // 30 for the SHINE variants and jacobian-free, 10 otherwise
  o.lbfgs.diagonal_scaling = false;  // H0 = gamma I
  o.lbfgs.initial_hessian = inner::InitialHessian::ScaledIdentity;
  o.lbfgs.pair_precision = inner::PairPrecision::Double;  // the published code's float64 pairs
  return o;
}

std::string describe_protocol(const TuneOptions& options, const data::SplitOptions& split) {
  TuneOptions shine = options;
  shine.method = TuneMethod::Shine;
  TuneOptions hoag = options;
  hoag.method = TuneMethod::Hoag;
  const ToleranceSchedule schedule = shine.effective_schedule();
  std::string text = "split " + percent(split.train) + "/" + percent(split.validation) + "/" +
                     percent(split.test) + " seeded per seed; ";
  text += options.initial_weights == InitialWeights::Gaussian ? "w0 ~ N(0, I) seeded per seed; "
                                                              : "w0 = 0; ";
  text += "lambda0 = " + number(std::exp(options.initial_theta)) + "; ";
  text += std::to_string(options.max_iterations) +
          " outer iterations (grid, random: " + std::to_string(options.candidates) +
          " values of log lambda in [" + number(options.step.lower_bound) + ", " +
          number(options.step.upper_bound) + "]); ";
  text += "L-BFGS memory " + std::to_string(shine.effective_memory()) +
          " (SHINE variants, jacobian-free), " + std::to_string(hoag.effective_memory()) +
          " (hoag, grid, random); ";
  if (schedule.kind == ScheduleKind::Exponential) {
    text += "tolerance " + number(schedule.initial) + " * rho^k, rho = " + number(schedule.rho) +
            " (" + number(hoag.effective_schedule().rho) + " for hoag); ";
  } else {
    text += std::string(to_string(schedule.kind)) + " tolerance schedule from " +
            number(schedule.initial) + "; ";
  }
  text += "inner tolerance rule " + std::string(to_string(options.inner_tolerance_rule)) + "; ";
  text += std::string(to_string(options.step.rule)) + " adaptive step; H0 = ";
  const bool identity = options.lbfgs.initial_hessian == inner::InitialHessian::Identity;
  if (options.lbfgs.diagonal_scaling) {
    text += identity ? "Delta" : "gamma Delta";
  } else {
    text += identity ? "I" : "gamma I";
  }
  text += "; pairs " + std::string(inner::to_string(options.lbfgs.pair_precision));
  return text;
}

}  // namespace shine::outer
