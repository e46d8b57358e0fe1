#include "shine/objective/objective_options.hpp"

#include "core/check.hpp"

namespace shine::objective {

void ObjectiveOptions::validate() const {
  require(num_threads >= 0, "ObjectiveOptions::num_threads", num_threads,
          "must be >= 0 (0 = all cores)");
}

}  // namespace shine::objective
