#pragma once
// Safetensors reader (memory-mapped, every header field validated) and
// writer (atomic). Format: https://github.com/huggingface/safetensors#format
// 8-byte little-endian header size N, N bytes of JSON, then the byte buffer.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tb::io {

enum class DType { Bool, U8, I8, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64, F8E4M3, F8E5M2 };

std::optional<DType> dtypeFromName(std::string_view name); // "F32", "BF16", ...
std::string dtypeName(DType dtype);
size_t dtypeSize(DType dtype);

struct TensorInfo {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    uint64_t begin = 0; // offset within the byte buffer (after the header)
    uint64_t end = 0;
    int64_t numel() const;
};

class SafetensorsFile {
public:
    // Maps the file copy-on-write (MAP_PRIVATE): tensors may be used in place
    // as parameters, and writing to one (an in-place LoRA merge, an optimiser
    // step) copies that page; the file never changes. Throws tb::Error naming
    // the file and the problem (byte offset, tensor, expected vs found).
    static std::unique_ptr<SafetensorsFile> open(const std::string& path);
    // Parses bytes held in memory (copied); `sourceName` appears in errors.
    static std::unique_ptr<SafetensorsFile> fromBytes(std::string_view bytes, const std::string& sourceName);
    ~SafetensorsFile();
    SafetensorsFile(const SafetensorsFile&) = delete;
    SafetensorsFile& operator=(const SafetensorsFile&) = delete;

    const std::string& path() const { return m_path; }
    const std::vector<TensorInfo>& tensors() const { return m_tensors; }
    const TensorInfo* find(std::string_view name) const;
    const uint8_t* data(const TensorInfo& info) const { return m_buffer + info.begin; }
    const std::map<std::string, std::string>& metadata() const { return m_metadata; }
    // True when the data is the memory-mapped file (open()), not a copy (fromBytes()).
    bool mapped() const { return m_map != nullptr; }

private:
    SafetensorsFile() = default;
    void parse(const uint8_t* bytes, uint64_t size);

    std::string m_path;
    void* m_map = nullptr;
    size_t m_mapSize = 0;
    std::string m_owned; // fromBytes() keeps its copy here
    const uint8_t* m_buffer = nullptr;
    std::vector<TensorInfo> m_tensors;
    std::map<std::string, size_t> m_index;
    std::map<std::string, std::string> m_metadata;
};

// Gives back to the kernel the pages wholly inside [data, data + bytes) of a
// file mapping (madvise MADV_DONTNEED): a tensor already copied out of the
// mapping stops counting towards the resident memory. Reading it again reads
// the file. Only for memory from SafetensorsFile::open(); a no-op for 0 bytes.
void releaseMappedPages(const void* data, size_t bytes);

struct TensorToWrite {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    const void* data = nullptr;
    size_t nbytes = 0;
};

// Header + buffer as one string (tensors sorted by name, header padded to 8).
std::string serializeSafetensors(const std::vector<TensorToWrite>& tensors,
                                 const std::map<std::string, std::string>& metadata = {});
// Writes atomically (temporary file, then rename).
void writeSafetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

} // namespace tb::io
