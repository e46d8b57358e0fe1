// `shine data`: inspect, convert and split LIBSVM datasets.
#include <boost/program_options.hpp>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <ostream>
#include <utility>

#include "commands.hpp"
#include "common.hpp"
#include "registry.hpp"
#include "shine/data/split.hpp"

namespace shine::cli {
namespace {

namespace po = boost::program_options;
namespace fs = std::filesystem;

constexpr const char* kDataUsage =
    "usage: shine data info NAME|FILE [--features N]\n"
    "       shine data convert INPUT OUTPUT [--features N] [--pm1-labels]\n"
    "       shine data split INPUT --out DIR [--split 0.9,0.05,0.05] [--seed S] [--stratify]\n"
    "                        [--format svm|svm.xz|svm.bz2|svm.gz]\n"
    "\n"
    "NAME is a dataset of datasets/registry.json (e.g. spamassassin, 20news, real-sim); FILE is\n"
    "a LIBSVM/SVMlight file, plain or compressed with xz, bzip2 or gzip (detected by content).\n"
    "\n"
    "Examples:\n"
    "  shine data info spamassassin\n"
    "  shine data convert train.svm.bz2 train.svm\n"
    "  shine data split datasets/spamassassin/spamassassin.uni.svm.xz --out parts --seed 1\n";

data::ReadOptions read_options(const po::variables_map& vm) {
  data::ReadOptions options;
  if (vm.count("features") != 0U) {
    const auto features = vm["features"].as<long long>();
    if (features <= 0) {
      throw UsageError("--features must be > 0, got " + std::to_string(features));
    }
    options.n_features = features;
  }
  return options;
}

// Loads `source` with the --features count of `vm`. The reader words an entry beyond a forced
// feature count in terms of its ReadOptions; here it is said in terms of the option.
LoadedData load_with_features(const std::string& source, const po::variables_map& vm) {
  const data::ReadOptions options = read_options(vm);
  try {
    return load_dataset(source, options);
  } catch (const data::FeatureBeyondCountError& e) {
    throw data::ParseError(e.file(), e.line(), e.column(),
                           "index " + std::to_string(e.index()) + " is beyond --features " +
                               std::to_string(e.limit()) +
                               ": give a larger --features, or leave it out to use the largest "
                               "index in the file");
  }
}

// --seed as a whole number >= 0 (Boost.Program_options reads "-1" as 2^64 - 1).
std::uint64_t seed_option(const po::variables_map& vm) {
  return parse_seed(vm["seed"].as<std::string>(), "--seed");
}

void add_features_option(po::options_description& options) {
  options.add_options()("features", po::value<long long>(),
                        "force the feature count (indices beyond it are an error)");
}

void describe(const LoadedData& loaded, std::ostream& out) {
  const data::Dataset& d = loaded.data;
  const double rows = static_cast<double>(d.rows());
  const double cells = rows * static_cast<double>(d.features());
  const Index positives = d.positives();
  char line[256];
  out << "dataset    " << d.name << '\n';
  out << "file       " << loaded.path.string() << " (" << data::to_string(loaded.report.compression)
      << ", " << human_bytes(static_cast<double>(loaded.report.text_bytes)) << " of text)\n";
  out << "rows       " << with_commas(d.rows()) << '\n';
  out << "features   " << with_commas(d.features()) << '\n';
  std::snprintf(line, sizeof line, "%.4g %% dense, %.1f per row",
                cells > 0 ? 100.0 * static_cast<double>(d.nnz()) / cells : 0.0,
                rows > 0 ? static_cast<double>(d.nnz()) / rows : 0.0);
  out << "non-zeros  " << with_commas(d.nnz()) << " (" << line << ")\n";
  std::snprintf(line, sizeof line, "+1: %s (%.1f %%), -1: %s (%.1f %%)",
                with_commas(positives).c_str(),
                rows > 0 ? 100.0 * static_cast<double>(positives) / rows : 0.0,
                with_commas(d.rows() - positives).c_str(),
                rows > 0 ? 100.0 * (rows - static_cast<double>(positives)) / rows : 0.0);
  out << "labels     " << line << "; mapping " << d.labels.to_string() << '\n';
  out << "memory     " << human_bytes(static_cast<double>(d.memory_bytes()))
      << " (CSR of X and of its transpose)\n";
  std::snprintf(line, sizeof line, "%.2f s (%.0f MB/s of text)", loaded.seconds,
                loaded.seconds > 0
                    ? static_cast<double>(loaded.report.text_bytes) / 1e6 / loaded.seconds
                    : 0.0);
  out << "loaded in  " << line << '\n';
}

// Compares a registry dataset with its recorded shape; returns false on a mismatch.
bool check_against_registry(const LoadedData& loaded, std::ostream& out) {
  if (loaded.registry_name.empty()) return true;
  const data::Registry registry = data::Registry::load_default();
  const data::RegistryEntry* entry = registry.find(loaded.registry_name);
  if (entry == nullptr) return true;
  std::string problems;
  if (loaded.data.rows() != entry->rows) problems += " rows";
  if (loaded.report.max_index > entry->features) problems += " features";
  if (entry->nnz && loaded.data.nnz() != *entry->nnz) problems += " non-zeros";
  if (entry->positives && loaded.data.positives() != *entry->positives) problems += " positives";
  out << "registry   " << (problems.empty() ? "matches '" : "DIFFERS from '") << entry->name
      << "' (" << with_commas(entry->rows) << " x " << with_commas(entry->features) << ")"
      << (problems.empty() ? "" : ": check" + problems) << '\n';
  return problems.empty();
}

int info(const Arguments& args, std::ostream& out) {
  po::options_description options("shine data info options");
  add_features_option(options);
  po::variables_map vm;
  if (!parse_options(args, options, {"source"}, vm, out, kDataUsage)) return 0;
  const LoadedData loaded = load_with_features(vm["source"].as<std::string>(), vm);
  describe(loaded, out);
  return check_against_registry(loaded, out) ? 0 : 3;
}

int convert(const Arguments& args, std::ostream& out) {
  po::options_description options("shine data convert options");
  add_features_option(options);
  options.add_options()("pm1-labels", "write labels as -1/+1 instead of the original values");
  po::variables_map vm;
  if (!parse_options(args, options, {"input", "output"}, vm, out, kDataUsage)) return 0;
  check_output_path(vm["output"].as<std::string>(), "OUTPUT");
  const LoadedData loaded = load_with_features(vm["input"].as<std::string>(), vm);
  data::WriteOptions write;
  write.original_labels = vm.count("pm1-labels") == 0U;
  const fs::path output = vm["output"].as<std::string>();
  data::write_libsvm(loaded.data, output, write);
  out << "wrote " << output.string() << ": " << with_commas(loaded.data.rows()) << " rows, "
      << with_commas(loaded.data.features()) << " features, " << with_commas(loaded.data.nnz())
      << " non-zeros\n";
  return 0;
}

int split(const Arguments& args, std::ostream& out) {
  po::options_description options("shine data split options");
  add_features_option(options);
  options.add_options()("out", po::value<std::string>(), "output folder (created if needed)")(
      "split", po::value<std::string>()->default_value("0.9,0.05,0.05"),
      "train,validation,test fractions")("seed", po::value<std::string>()->default_value("0"),
                                         "seed of the permutation")(
      "stratify", "keep the class balance in every part")(
      "format", po::value<std::string>()->default_value("svm"),
      "output format: svm, svm.xz, svm.bz2 or svm.gz");
  po::variables_map vm;
  if (!parse_options(args, options, {"input"}, vm, out, kDataUsage)) return 0;
  if (vm.count("out") == 0U) throw UsageError("--out DIR is required (see --help)");
  const std::string format = vm["format"].as<std::string>();
  if (format != "svm" && format != "svm.xz" && format != "svm.bz2" && format != "svm.gz") {
    throw UsageError("--format must be svm, svm.xz, svm.bz2 or svm.gz, got '" + format + "'");
  }
  const auto fractions = parse_fractions(vm["split"].as<std::string>(), "--split");
  data::SplitOptions split_options;
  split_options.train = fractions[0];
  split_options.validation = fractions[1];
  split_options.test = fractions[2];
  split_options.seed = seed_option(vm);
  split_options.stratify = vm.count("stratify") != 0U;
  try {
    split_options.validate();
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--split: ") + e.what());
  }
  const fs::path dir = vm["out"].as<std::string>();
  {
    // Checked before any data is read; created only once the split has succeeded.
    std::error_code ec;
    if (dir.empty()) throw UsageError("--out needs a folder name");
    if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
      throw UsageError("--out " + dir.string() + ": not a folder; give a folder name");
    }
  }
  LoadedData loaded = load_with_features(vm["input"].as<std::string>(), vm);
  // Consuming split: the source and its three parts are never all in memory at once.
  const data::Split parts = data::split_dataset(std::move(loaded.data), split_options);
  {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
      throw std::runtime_error("--out " + dir.string() +
                               ": cannot create the folder: " + ec.message());
    }
  }
  std::string stem = loaded.path.filename().string();
  stem = stem.substr(0, stem.find('.'));
  const std::pair<const char*, const data::Dataset*> named[] = {
      {"train", &parts.train}, {"validation", &parts.validation}, {"test", &parts.test}};
  for (const auto& [role, part] : named) {
    if (part->rows() == 0) continue;
    const fs::path path = dir / (stem + "." + role + "." + format);
    data::write_libsvm(*part, path);
    out << role << (std::string(12 - std::string(role).size(), ' ')) << with_commas(part->rows())
        << " rows (" << with_commas(part->positives()) << " positive) -> " << path.string() << '\n';
  }
  return 0;
}

}  // namespace

int data_command(const Arguments& args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    (args.empty() ? err : out) << kDataUsage;
    return args.empty() ? 2 : 0;
  }
  const Arguments rest(args.begin() + 1, args.end());
  if (args[0] == "info") return info(rest, out);
  if (args[0] == "convert") return convert(rest, out);
  if (args[0] == "split") return split(rest, out);
  throw UsageError("unknown data command '" + args[0] + "': use info, convert or split");
}

}  // namespace shine::cli
