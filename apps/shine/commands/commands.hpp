#pragma once
// One function per top-level command; each receives the arguments after its name.

#include <iosfwd>
#include <string>
#include <vector>

namespace shine::cli {

using Arguments = std::vector<std::string>;

/// `shine data info|convert|split ...`
int data_command(const Arguments& args, std::ostream& out, std::ostream& err);

/// `shine tune TRAIN ...`: tune lambda on a validation set.
int tune_command(const Arguments& args, std::ostream& out, std::ostream& err);

/// `shine fit TRAIN --lambda L --model FILE`: fit one model.
int fit_command(const Arguments& args, std::ostream& out, std::ostream& err);

/// `shine predict MODEL DATA`: labels or probabilities, and metrics when DATA has labels.
int predict_command(const Arguments& args, std::ostream& out, std::ostream& err);

/// `shine reproduce --dataset NAME`: the SHINE paper's bi-level protocol, tables and figure.
int reproduce_command(const Arguments& args, std::ostream& out, std::ostream& err);

}  // namespace shine::cli
