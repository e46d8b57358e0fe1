// Resuming a run from a checkpoint and writing its checkpoints: what a checkpoint holds, and the
// checks that it belongs to this run (its fingerprint) and is consistent with the problem.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

#include "outer/tune_run.hpp"
#include "shine/outer/checkpoint.hpp"

namespace shine::outer {
namespace detail {

// Continues from `checkpoint` instead of starting afresh (before `run`).
void Run::restore(const TuneCheckpoint& checkpoint) {
  // One checksum pass over the data: the constructor's, when an observer wants checkpoints.
  if (fingerprint_.empty()) fingerprint_ = fingerprint(problem_, options_);
  const Fingerprint& expected = fingerprint_;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const std::string& key = expected[i].first;
    const std::string& value = expected[i].second;
    const auto found = std::find_if(checkpoint.fingerprint.begin(), checkpoint.fingerprint.end(),
                                    [&key](const auto& entry) { return entry.first == key; });
    const std::string saved =
        found == checkpoint.fingerprint.end() ? std::string("(missing)") : found->second;
    if (saved != value) {
      throw ResumeError("the checkpoint was made with " + key + " = " + saved + ", this run has " +
                        key + " = " + value + ": resume with the same data and options");
    }
  }
  const Index dim = folds_.front()->inner.dim();
  const auto check = [](bool ok, const std::string& what) {
    if (!ok) throw ResumeError("inconsistent checkpoint: " + what);
  };
  check(checkpoint.folds.size() + 1 == folds_.size(),
        "it holds " + std::to_string(checkpoint.folds.size() + 1) + " folds, the problem has " +
            std::to_string(folds_.size()));
  // The state of fold f: the checkpoint's own fields for the first, `folds` for the others.
  const auto fold_state = [&checkpoint](std::size_t f) {
    if (f == 0) {
      return TuneCheckpoint::Fold{checkpoint.w,         checkpoint.q,
                                  checkpoint.q_from_cg, checkpoint.initial_gradient_norm,
                                  checkpoint.memory_s,  checkpoint.memory_y};
    }
    return checkpoint.folds[f - 1];
  };
  for (std::size_t f = 0; f < folds_.size(); ++f) {
    const TuneCheckpoint::Fold saved = fold_state(f);
    const std::string which = folds_.size() > 1 ? " (fold " + std::to_string(f + 1) + ")" : "";
    check(saved.w.size() == dim, "w has " + std::to_string(saved.w.size()) +
                                     " entries, the problem needs " + std::to_string(dim) + which);
    check(saved.w.allFinite(), "w is not finite" + which);
    check(saved.q.size() == 0 || saved.q.size() == dim, "q has the wrong size" + which);
    check(saved.memory_s.size() == saved.memory_y.size(), "memory has unpaired vectors" + which);
  }
  const TuneResult& saved = checkpoint.result;
  check(!saved.has_result ||
            (saved.best_iteration >= 0 && saved.best_iteration < checkpoint.evaluations() &&
             saved.theta.size() == k_ && saved.w.size() == dim),
        "the best result does not match the records");
  if (is_hypergradient_method(options_.method)) {
    check(checkpoint.theta.size() == k_, "theta has " + std::to_string(checkpoint.theta.size()) +
                                             " entries, the problem has " + std::to_string(k_));
    check(checkpoint.theta.allFinite() &&
              checkpoint.theta.minCoeff() >= options_.step.lower_bound &&
              checkpoint.theta.maxCoeff() <= options_.step.upper_bound,
          "theta is not finite or outside the bounds");
    check(std::isfinite(checkpoint.epsilon) && checkpoint.epsilon > 0.0,
          "the tolerance is not positive");
    theta_ = checkpoint.theta;
    epsilon_ = checkpoint.epsilon;
    step_.restore(checkpoint.lipschitz, checkpoint.previous_loss);
    if (secant_ && checkpoint.secant.radius > 0.0) {
      try {
        secant_->restore(checkpoint.secant);
      } catch (const std::invalid_argument& error) {
        check(false, error.what());
      }
    }
  }
  for (std::size_t f = 0; f < folds_.size(); ++f) {
    FoldState& fold = *folds_[f];
    TuneCheckpoint::Fold state = fold_state(f);
    if (is_hypergradient_method(options_.method)) {
      fold.initial_gradient_norm = state.initial_gradient_norm;
      fold.have_q = state.q.size() == dim;
      if (fold.have_q) fold.q_previous = state.q;
      fold.q_from_cg = fold.have_q && state.q_from_cg;
    }
    if (warm_memory_ && !state.memory_s.empty()) {
      fold.memory =
          inner::LbfgsMemory(dim, lbfgs_.memory, lbfgs_.initial_hessian, lbfgs_.curvature_epsilon);
      for (std::size_t i = 0; i < state.memory_s.size(); ++i) {
        check(state.memory_s[i].size() == dim && state.memory_y[i].size() == dim,
              "a memory pair has the wrong size");
        fold.memory.add_pair(state.memory_s[i], state.memory_y[i]);
      }
    }
    fold.w = std::move(state.w);
  }
  result_ = saved;
  // The checkpoint of the evaluation that converged: the run was over (its message is rebuilt).
  converged_ =
      secant_ && !saved.records.empty() && saved.records.back().step == StepOutcome::Converged;
  polishing_ =
      secant_ && !saved.records.empty() && saved.records.back().step == StepOutcome::Confirm;
  result_.termination = Termination::MaxIterations;
  result_.message.clear();
  elapsed_offset_ = saved.elapsed_seconds;
  resumed_ = true;
}

// The carried state of `fold` as a checkpoint stores it.
TuneCheckpoint::Fold Run::fold_checkpoint(const FoldState& fold) const {
  TuneCheckpoint::Fold state;
  state.w = fold.w;
  if (is_hypergradient_method(options_.method)) {
    if (fold.have_q) state.q = fold.q_previous;
    state.q_from_cg = fold.q_from_cg;
    state.initial_gradient_norm = fold.initial_gradient_norm;
  }
  if (warm_memory_) {
    for (int i = 0; i < fold.memory.size(); ++i) {
      state.memory_s.push_back(fold.memory.s(i));
      state.memory_y.push_back(fold.memory.y(i));
    }
  }
  return state;
}

// Passes the state after an evaluation to the observers that asked for it (outside the timed
// region).
void Run::checkpoint() {
  if (!wants_checkpoints_) return;
  const Timer excluded;
  TuneCheckpoint state;
  state.fingerprint = fingerprint_;
  state.result = result_;
  state.result.elapsed_seconds = elapsed();
  if (is_hypergradient_method(options_.method)) {
    state.theta = theta_;
    state.epsilon = epsilon_;
    state.lipschitz = step_.lipschitz();
    state.previous_loss = step_.previous_loss();
    if (secant_) state.secant = secant_->state();
  }
  TuneCheckpoint::Fold first = fold_checkpoint(*folds_.front());
  state.w = std::move(first.w);
  state.q = std::move(first.q);
  state.q_from_cg = first.q_from_cg;
  state.initial_gradient_norm = first.initial_gradient_norm;
  state.memory_s = std::move(first.memory_s);
  state.memory_y = std::move(first.memory_y);
  for (std::size_t f = 1; f < folds_.size(); ++f)
    state.folds.push_back(fold_checkpoint(*folds_[f]));
  for (Observer* observer : observers_) {
    if (observer->wants_checkpoints()) observer->on_checkpoint(state);
  }
  excluded_seconds_ += excluded.seconds();
}

}  // namespace detail
}  // namespace shine::outer
