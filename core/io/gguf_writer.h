#pragma once
// GGUF files (version 3), the format llama.cpp and Ollama load:
// https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
// Little-endian: magic "GGUF", version, tensor count, key/value count, the
// key/value pairs, the tensor infos (dimensions innermost first, offsets
// relative to the data section), padding to general.alignment, then each
// tensor's bytes at an aligned offset. No LibTorch here.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tb::io {

// Value types of the key/value section (gguf_metadata_value_type).
enum class GgufValueType : uint32_t {
    U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, Bool = 7,
    String = 8, Array = 9, U64 = 10, I64 = 11, F64 = 12
};

// Tensor element types (ggml_type); only the unquantised ones are written.
enum class GgmlType : uint32_t { F32 = 0, F16 = 1, BF16 = 30 };

size_t ggmlTypeSize(GgmlType type);

// IEEE half and bfloat16 from float, rounding to nearest even (NaN stays NaN),
// and back.
uint16_t floatToF16(float value);
uint16_t floatToBf16(float value);
float f16ToFloat(uint16_t bits);
float bf16ToFloat(uint16_t bits);

class GgufWriter {
public:
    // ALIGNMENT is written as general.alignment (the first key) and used for
    // the data section and every tensor's offset; a power of two.
    explicit GgufWriter(uint32_t alignment = 32);

    void addU32(const std::string& key, uint32_t value);
    void addI32(const std::string& key, int32_t value);
    void addU64(const std::string& key, uint64_t value);
    void addF32(const std::string& key, float value);
    void addBool(const std::string& key, bool value);
    void addString(const std::string& key, const std::string& value);
    void addStrings(const std::string& key, const std::vector<std::string>& values);
    void addF32s(const std::string& key, const std::vector<float>& values);
    void addI32s(const std::string& key, const std::vector<int32_t>& values);

    // SHAPE outermost first, as PyTorch and safetensors write it (the file
    // gets it reversed). BYTES is called once, while writing, and must return
    // exactly numel × ggmlTypeSize(type) bytes: tensors are produced one at a
    // time, so a model is never held twice in memory.
    void addTensor(const std::string& name, GgmlType type, const std::vector<int64_t>& shape,
                   std::function<std::string()> bytes);

    size_t tensorCount() const { return m_tensors.size(); }

    // The whole file written atomically (io/atomic_file.h). Throws tb::Error
    // naming the tensor whose bytes have the wrong size. PROGRESS, when set,
    // is called before each tensor's data is produced (to check for cancel).
    void write(const std::string& path, const std::function<void(const std::string& tensor)>& progress = {}) const;
    // The same bytes in memory (small files, tests).
    std::string serialize() const;

private:
    struct Tensor {
        std::string name;
        GgmlType type;
        std::vector<int64_t> shape;
        uint64_t nbytes = 0;
        uint64_t offset = 0;
        std::function<std::string()> bytes;
    };
    void addKey(const std::string& key, GgufValueType type, const std::string& valueBytes);
    std::string header() const;
    template <typename Sink>
    void emit(Sink&& sink, const std::function<void(const std::string&)>& progress) const;

    uint32_t m_alignment;
    std::vector<std::string> m_keys; // each: key string + type + value, encoded
    std::vector<Tensor> m_tensors;
    uint64_t m_dataSize = 0;
};

} // namespace tb::io
