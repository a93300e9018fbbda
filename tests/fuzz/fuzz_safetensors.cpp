// libFuzzer entry: arbitrary bytes as a safetensors file. Anything but a
// clean tb::Error (a crash, an out-of-bounds read, a hang) is a bug.
#include "common/error.h"
#include "io/safetensors.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    try {
        auto file = tb::io::SafetensorsFile::fromBytes(
            std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.safetensors");
        // Touch the first and last byte of every tensor: ASan flags any view
        // that the validation let point outside the buffer.
        volatile uint8_t sink = 0;
        for (const auto& t : file->tensors())
            if (t.end > t.begin) {
                sink = sink + file->data(t)[0];
                sink = sink + file->data(t)[t.end - t.begin - 1];
            }
    } catch (const tb::Error&) {
    }
    return 0;
}
