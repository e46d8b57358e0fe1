#pragma once
// The number of fields of an aggregate, counted at compile time: the largest N for which T can be
// brace-initialized from N values of a type convertible to anything. Tests compare it with the
// rows of a table that must list every field, so that a new field without a row fails them.

#include <cstddef>
#include <utility>

namespace shine::test {

struct AnyField {
  template <typename T>
  operator T() const;  // declared only: used in unevaluated contexts
};

template <typename T, std::size_t... I>
constexpr bool brace_initializable(std::index_sequence<I...>) {
  return requires {
    T{(static_cast<void>(I), AnyField{})...};
  };
}

template <typename T, std::size_t N = 0>
constexpr std::size_t aggregate_field_count() {
  if constexpr (!brace_initializable<T>(std::make_index_sequence<N + 1>{})) {
    return N;
  } else {
    return aggregate_field_count<T, N + 1>();
  }
}

}  // namespace shine::test
