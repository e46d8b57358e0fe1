// The `shine` command line, driven in-process: exit codes, messages and files it writes.
#include <gtest/gtest.h>

#include <string>

#include "cli_support.hpp"
#include "shine/data/libsvm_io.hpp"

namespace shine::cli {
namespace {

using namespace test_support;

class CliData : public CliTest {};

TEST_F(CliData, UsageHelpAndVersion) {
  auto r = shine({});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("usage: shine COMMAND"), std::string::npos);
  r = shine({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("Exit codes"), std::string::npos);
  r = shine({"--version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out.rfind("shine ", 0), 0U);
  r = shine({"frobnicate"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown command 'frobnicate'"), std::string::npos);
  r = shine({"data", "info", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("Examples:"), std::string::npos);
  r = shine({"data", "shuffle"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown data command 'shuffle'"), std::string::npos);
}

TEST_F(CliData, InfoDescribesTheShippedDataset) {
  const auto r = shine({"data", "info", shipped()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("rows       6,046"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("features   176,112"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("non-zeros  1,711,194"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("+1: 1,896"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(xz"), std::string::npos) << r.out;
}

TEST_F(CliData, InfoByRegistryNameChecksTheShape) {
  const auto r = shine({"data", "info", "spamassassin"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("registry   matches 'spamassassin'"), std::string::npos) << r.out;
}

TEST_F(CliData, UnknownSourceListsTheRegisteredNames) {
  const auto r = shine({"data", "info", "no-such-thing"});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("neither a file nor a registered dataset"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("real-sim"), std::string::npos) << r.err;
}

TEST_F(CliData, MalformedFileIsAnInputErrorWithItsPosition) {
  const auto path = write("bad.svm", "+1 1:0.5 3:1\n-1 0:2\n");
  const auto r = shine({"data", "info", path.string()});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find(path.string() + ":2:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("start at 1"), std::string::npos) << r.err;
}

TEST_F(CliData, BadOptionValuesAreUsageErrors) {
  auto r = shine({"data", "info", shipped(), "--features", "-3"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--features must be > 0, got -3"), std::string::npos) << r.err;
  r = shine({"data", "split", shipped(), "--out", dir_.string(), "--split", "0.9,0.2"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--split"), std::string::npos) << r.err;
  r = shine({"data", "split", shipped(), "--out", dir_.string(), "--split", "0.9,0.2,0.1"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("sum to 1"), std::string::npos) << r.err;
  r = shine({"data", "info", shipped(), "--bogus"});
  EXPECT_EQ(r.code, 2);
  r = shine({"data", "split", shipped()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--out"), std::string::npos) << r.err;
}

TEST_F(CliData, ConvertRoundTripsLabelsAndValues) {
  const auto input = write("in.svm", "2 1:0.25 4:1e-300\n1 2:3.5 # comment\n2 3:-7\n");
  const auto output = dir_ / "out.svm.gz";
  const auto r = shine({"data", "convert", input.string(), output.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto a = data::read_libsvm(input);
  data::ReadReport report;
  const auto b = data::read_libsvm(output, {}, &report);
  EXPECT_EQ(report.compression, data::Compression::Gzip);
  EXPECT_EQ(a.labels.negative, b.labels.negative);
  EXPECT_EQ(a.labels.positive, b.labels.positive);
  EXPECT_EQ(a.y, b.y);
  EXPECT_TRUE(a.X.isApprox(b.X, 0.0));
  EXPECT_EQ(b.X.coeff(0, 3), 1e-300);
}

TEST_F(CliData, SplitWritesThreeDisjointParts) {
  const auto r = shine(
      {"data", "split", shipped(), "--out", dir_.string(), "--seed", "3", "--format", "svm.xz"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto train = data::read_libsvm(dir_ / "spamassassin.train.svm.xz", {.n_features = 176112});
  const auto validation =
      data::read_libsvm(dir_ / "spamassassin.validation.svm.xz", {.n_features = 176112});
  const auto test = data::read_libsvm(dir_ / "spamassassin.test.svm.xz", {.n_features = 176112});
  EXPECT_EQ(validation.rows(), 302);
  EXPECT_EQ(test.rows(), 302);
  EXPECT_EQ(train.rows() + validation.rows() + test.rows(), 6046);
  EXPECT_EQ(train.nnz() + validation.nnz() + test.nnz(), 1711194);
  EXPECT_EQ(train.positives() + validation.positives() + test.positives(), 1896);
}

}  // namespace
}  // namespace shine::cli
