#include "cli.hpp"

#include <exception>
#include <ostream>
#include <string>
#include <string_view>

namespace shine::cli {
namespace {

constexpr std::string_view kVersion = "0.1.0";

void print_usage(std::ostream& out) {
  out << "usage: shine COMMAND [OPTIONS]\n"
         "\n"
         "Commands:\n"
         "  data info|convert|split   inspect, convert and split LIBSVM datasets\n"
         "\n"
         "Run 'shine COMMAND --help' for the options of a command.\n"
         "\n"
         "Exit codes: 0 success, 2 usage or option error, 3 input or data error,\n"
         "            4 no usable result, 130 interrupted.\n";
}

}  // namespace

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  try {
    if (argc < 2) {
      print_usage(err);
      return kUsageError;
    }
    const std::string_view command = argv[1];
    if (command == "--help" || command == "-h" || command == "help") {
      print_usage(out);
      return kSuccess;
    }
    if (command == "--version") {
      out << "shine " << kVersion << '\n';
      return kSuccess;
    }
    err << "shine: unknown command '" << command << "' (run 'shine --help')\n";
    return kUsageError;
  } catch (const std::exception& e) {
    err << "shine: " << e.what() << '\n';
    return kInputError;
  }
}

}  // namespace shine::cli
