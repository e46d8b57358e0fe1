#pragma once
// One function per top-level command; each receives the arguments after its name.

#include <iosfwd>
#include <string>
#include <vector>

namespace shine::cli {

using Arguments = std::vector<std::string>;

/// `shine data info|convert|split ...`
int data_command(const Arguments& args, std::ostream& out, std::ostream& err);

}  // namespace shine::cli
