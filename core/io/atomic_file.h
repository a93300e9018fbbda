#pragma once
// Files are never left half-written: content goes to a temporary file in the
// destination folder, is flushed to disk, then renamed over the target.
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

namespace tb::io {

// Calls write(FILE*) on a temporary file beside `path`, then renames it to
// `path`. If write throws or an I/O error occurs, the temporary file is
// removed, `path` is untouched, and tb::Error (or the original exception)
// propagates.
void writeFileAtomic(const std::string& path, const std::function<void(std::FILE*)>& write);
void writeFileAtomic(const std::string& path, std::string_view bytes);

// Whole file into memory; throws tb::Error naming the file.
std::string readFile(const std::string& path);

} // namespace tb::io
