#include "shine/data/libsvm_io.hpp"
