#include "cli.hpp"

#include <exception>
#include <new>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "commands/commands.hpp"
#include "common.hpp"
#include "shine/data/libsvm_io.hpp"

namespace shine::cli {
namespace {

void print_usage(std::ostream& out) {
  out << "shine " << kVersion
      << ": tune the L2 regularization of logistic regression by bi-level optimization\n"
         "\n"
         "usage: shine COMMAND [OPTIONS]\n"
         "\n"
         "Commands:\n"
         "  tune TRAIN                tune lambda on a validation set (SHINE, HOAG, grid, ...)\n"
         "  fit TRAIN --lambda L      fit one model at a given lambda and save it\n"
         "  predict MODEL DATA        labels or probabilities of a saved model, with metrics\n"
         "  reproduce --dataset NAME  the SHINE paper's bi-level benchmark: tables and figure\n"
         "  data info|convert|split   inspect, convert and split LIBSVM datasets\n"
         "\n"
         "Examples:\n"
         "  shine tune datasets/spamassassin/spamassassin.uni.svm.xz --model model.json\n"
         "  shine fit train.svm --lambda 0.01 --model model.json\n"
         "  shine predict model.json test.svm --output predictions.txt\n"
         "  shine reproduce --dataset 20news --seeds 0-9 --out results/20news\n"
         "\n"
         "Run 'shine COMMAND --help' for the options and examples of a command.\n"
         "\n"
         "Exit codes:\n"
         "  0    success\n"
         "  2    usage error: unknown command or option, or an option value out of range\n"
         "  3    input error: a file cannot be read or is malformed\n"
         "  4    no usable result (e.g. every evaluation failed)\n"
         "  130  interrupted by Ctrl-C or SIGTERM (what was found is still written)\n";
}

}  // namespace

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  try {
    if (argc < 2) {
      print_usage(err);
      return kUsageError;
    }
    const std::string_view command = argv[1];
    const Arguments rest(argv + 2, argv + argc);
    if (command == "--help" || command == "-h" || command == "help") {
      print_usage(out);
      return kSuccess;
    }
    if (command == "--version") {
      out << "shine " << kVersion << '\n';
      return kSuccess;
    }
    if (command == "data") return data_command(rest, out, err);
    if (command == "tune") return tune_command(rest, out, err);
    if (command == "fit") return fit_command(rest, out, err);
    if (command == "predict") return predict_command(rest, out, err);
    if (command == "reproduce") return reproduce_command(rest, out, err);
    err << "shine: unknown command '" << command << "' (run 'shine --help')\n";
    return kUsageError;
  } catch (const UsageError& e) {
    err << "shine: " << e.what() << '\n';
    return kUsageError;
  } catch (const std::invalid_argument& e) {
    // Option structs report out-of-range values this way.
    err << "shine: " << e.what() << '\n';
    return kUsageError;
  } catch (const data::ParseError& e) {
    err << "shine: " << e.what() << '\n';
    return kInputError;
  } catch (const std::bad_alloc&) {
    err << "shine: out of memory: the data does not fit; use a machine with more memory or a "
           "smaller file\n";
    return kInputError;
  } catch (const std::exception& e) {
    err << "shine: " << e.what() << '\n';
    return kInputError;
  }
}

}  // namespace shine::cli
