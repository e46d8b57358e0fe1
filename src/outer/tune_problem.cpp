// The checks of a tuning problem's data and feature groups (see tune_problem.hpp).
#include "shine/outer/tune_problem.hpp"

#include <stdexcept>
#include <string>

#include "core/check.hpp"

namespace shine::outer {

void TuneProblem::validate() const {
  if (!folds.empty()) {
    if (train == nullptr) {
      throw std::invalid_argument(
          "TuneProblem: cross-validation needs `train`, all the training rows (for the refit)");
    }
    if (validation != nullptr) {
      throw std::invalid_argument(
          "TuneProblem: give either a validation set or cross-validation folds, not both");
    }
    if (folds.size() < 2) {
      throw std::invalid_argument("TuneProblem: cross-validation needs at least 2 folds, got " +
                                  std::to_string(folds.size()));
    }
    for (std::size_t k = 0; k < folds.size(); ++k) {
      const std::string which = "TuneProblem: fold " + std::to_string(k + 1) + ": ";
      if (folds[k].train == nullptr || folds[k].validation == nullptr) {
        throw std::invalid_argument(which + "train and validation datasets are required");
      }
      if (data::global_rows(*folds[k].train) == 0 || data::global_rows(*folds[k].validation) == 0) {
        throw std::invalid_argument(which + "a part is empty: use fewer folds or more rows");
      }
      for (const data::Dataset* part : {folds[k].train, folds[k].validation}) {
        if (part->features() != train->features()) {
          throw std::invalid_argument(which + "a part has " + std::to_string(part->features()) +
                                      " features but the training set has " +
                                      std::to_string(train->features()));
        }
      }
    }
  } else if (train == nullptr || validation == nullptr) {
    throw std::invalid_argument("TuneProblem: train and validation datasets are required");
  }
  // Rows spread over processes: the whole dataset's rows (a process may hold none).
  if (data::global_rows(*train) == 0) {
    throw std::invalid_argument("TuneProblem: the training set is empty");
  }
  if (validation != nullptr && data::global_rows(*validation) == 0) {
    throw std::invalid_argument("TuneProblem: the validation set is empty");
  }
  const auto check_features = [this](const data::Dataset& other, const char* what) {
    if (other.features() != train->features()) {
      throw std::invalid_argument(
          std::string("TuneProblem: the ") + what + " set has " + std::to_string(other.features()) +
          " features but the training set has " + std::to_string(train->features()) +
          "; read it with the training feature count");
    }
  };
  if (validation != nullptr) check_features(*validation, "validation");
  if (test != nullptr) check_features(*test, "test");
  if (!group_of.empty()) {
    require(static_cast<Index>(group_of.size()) == train->features(), "TuneProblem::group_of size",
            group_of.size(), "must equal the number of features");
    require(groups >= 1, "TuneProblem::groups", groups, "must be >= 1");
    for (std::size_t j = 0; j < group_of.size(); ++j) {
      if (group_of[j] < 0 || group_of[j] >= groups) {
        throw std::invalid_argument("TuneProblem::group_of[" + std::to_string(j) +
                                    "] = " + std::to_string(group_of[j]) + ": must be in [0, " +
                                    std::to_string(groups) + ")");
      }
    }
  }
}

}  // namespace shine::outer
