// The shine command-line tool: a thin layer over the library.
#include <iostream>
#include <string>

#include "cli.hpp"

int main(int argc, char** argv) {
  return shine::cli::run(argc, argv, std::cout, std::cerr);
}
