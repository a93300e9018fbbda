#pragma once
// The one exception type that core throws for bad input. Its message is a
// single line a person can act on: the file, the offset/line/field, what was
// expected and what was found.
#include <stdexcept>
#include <string>

namespace tb {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

} // namespace tb
