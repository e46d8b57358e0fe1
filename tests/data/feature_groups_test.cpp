// Feature-group files: the map they give, and every malformed line reported with file and line.
#include "shine/data/feature_groups.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "shine/data/libsvm_io.hpp"

namespace shine::data {
namespace {

std::string write_groups(const std::string& text) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("shine-groups-" + std::to_string(::getpid()) + ".txt"))
                               .string();
  std::ofstream(path) << text;
  return path;
}

TEST(FeatureGroups, MapsListedFeaturesAndGivesTheRestTheirOwnGroup) {
  const std::string path =
      write_groups("# frequency bands\n1 frequent\n2 frequent\n\n4 rare\n9 x\n");
  const FeatureGroups g = read_feature_groups(path, 5);
  ASSERT_EQ(g.group_of.size(), 5u);
  EXPECT_EQ(g.names, (std::vector<std::string>{"frequent", "rare", "(unlisted)"}));
  EXPECT_EQ(g.group_of, (std::vector<std::int32_t>{0, 0, 2, 1, 2}));
  EXPECT_EQ(g.unlisted, 2);
  EXPECT_EQ(g.ignored, 1);  // feature 9 is beyond the 5 features
  std::filesystem::remove(path);
}

TEST(FeatureGroups, ReportsMalformedLinesWithTheirPosition) {
  for (const auto& [text, line, message] :
       std::vector<std::tuple<std::string, std::int64_t, std::string>>{
           {"1 a\n2\n", 2, "found only '2'"},
           {"1 a b\n", 1, "third field"},
           {"0 a\n", 1, "not a positive integer"},
           {"1 a\n1 b\n", 2, "listed twice"},
           {"# nothing\n", 0, "no 'FEATURE GROUP' line"}}) {
    const std::string path = write_groups(text);
    try {
      (void)read_feature_groups(path, 3);
      ADD_FAILURE() << text;
    } catch (const ParseError& e) {
      EXPECT_EQ(e.line(), line) << text;
      EXPECT_NE(e.problem().find(message), std::string::npos) << e.what();
    }
    std::filesystem::remove(path);
  }
  EXPECT_THROW((void)read_feature_groups("/nonexistent/groups.txt", 3), std::runtime_error);
}

}  // namespace
}  // namespace shine::data
