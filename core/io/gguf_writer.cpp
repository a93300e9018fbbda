#include "io/gguf_writer.h"

#include "common/error.h"
#include "io/atomic_file.h"

#include <cerrno>
#include <cstring>
#include <set>

namespace tb::io {

namespace {

template <typename T>
void putLe(std::string& out, T value)
{
    // Every supported host is little-endian, as GGUF is; memcpy keeps it
    // free of aliasing and alignment questions.
    char bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    out.append(bytes, sizeof(T));
}

void putString(std::string& out, const std::string& s)
{
    putLe<uint64_t>(out, s.size());
    out += s;
}

uint64_t alignUp(uint64_t n, uint64_t alignment) { return (n + alignment - 1) / alignment * alignment; }

uint32_t floatBits(float f)
{
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

float bitsFloat(uint32_t u)
{
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

} // namespace

size_t ggmlTypeSize(GgmlType type)
{
    switch (type) {
    case GgmlType::F32: return 4;
    case GgmlType::F16:
    case GgmlType::BF16: return 2;
    }
    return 0;
}

uint16_t floatToF16(float value)
{
    const uint32_t x = floatBits(value);
    const uint32_t sign = (x >> 16) & 0x8000u;
    const uint32_t absx = x & 0x7fffffffu;
    if (absx >= 0x7f800000u) // Inf or NaN (NaN keeps a quiet payload bit)
        return static_cast<uint16_t>(sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u : 0u));
    if (absx >= 0x477ff000u) // rounds to >= 65520: overflow to Inf
        return static_cast<uint16_t>(sign | 0x7c00u);
    if (absx < 0x38800000u) { // below the smallest normal half (2^-14): subnormal or zero
        // value / 2^-24 rounded to nearest even, done in float arithmetic
        // (exact: the addition of 0.5f shifts the mantissa into place).
        const float f = bitsFloat(absx) + 0.5f;
        return static_cast<uint16_t>(sign | (floatBits(f) - floatBits(0.5f)));
    }
    const uint32_t mantOdd = (absx >> 13) & 1u;
    uint32_t h = absx + 0xc8000fffu + mantOdd; // rebias exponent (-112 << 23) and round to nearest even
    h >>= 13;
    return static_cast<uint16_t>(sign | h);
}

float f16ToFloat(uint16_t bits)
{
    const uint32_t sign = (bits & 0x8000u) << 16;
    const uint32_t exp = (bits >> 10) & 0x1fu;
    const uint32_t mant = bits & 0x3ffu;
    if (exp == 0) {
        const float f = static_cast<float>(mant) * (1.0f / 16777216.0f); // mant × 2^-24
        return bitsFloat(sign | floatBits(f));
    }
    if (exp == 31)
        return bitsFloat(sign | 0x7f800000u | (mant << 13));
    return bitsFloat(sign | ((exp + 112u) << 23) | (mant << 13));
}

uint16_t floatToBf16(float value)
{
    const uint32_t x = floatBits(value);
    if ((x & 0x7fffffffu) > 0x7f800000u) // NaN: keep it a (quiet) NaN
        return static_cast<uint16_t>((x >> 16) | 0x40u);
    return static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

float bf16ToFloat(uint16_t bits) { return bitsFloat(static_cast<uint32_t>(bits) << 16); }

GgufWriter::GgufWriter(uint32_t alignment) : m_alignment(alignment)
{
    if (alignment == 0 || (alignment & (alignment - 1)) != 0)
        throw Error("GGUF alignment must be a power of two, found " + std::to_string(alignment));
    addU32("general.alignment", alignment);
}

void GgufWriter::addKey(const std::string& key, GgufValueType type, const std::string& valueBytes)
{
    std::string kv;
    putString(kv, key);
    putLe<uint32_t>(kv, static_cast<uint32_t>(type));
    kv += valueBytes;
    m_keys.push_back(std::move(kv));
}

void GgufWriter::addU32(const std::string& key, uint32_t value)
{
    std::string v;
    putLe(v, value);
    addKey(key, GgufValueType::U32, v);
}

void GgufWriter::addI32(const std::string& key, int32_t value)
{
    std::string v;
    putLe(v, value);
    addKey(key, GgufValueType::I32, v);
}

void GgufWriter::addU64(const std::string& key, uint64_t value)
{
    std::string v;
    putLe(v, value);
    addKey(key, GgufValueType::U64, v);
}

void GgufWriter::addF32(const std::string& key, float value)
{
    std::string v;
    putLe(v, value);
    addKey(key, GgufValueType::F32, v);
}

void GgufWriter::addBool(const std::string& key, bool value)
{
    addKey(key, GgufValueType::Bool, std::string(1, value ? '\1' : '\0'));
}

void GgufWriter::addString(const std::string& key, const std::string& value)
{
    std::string v;
    putString(v, value);
    addKey(key, GgufValueType::String, v);
}

void GgufWriter::addStrings(const std::string& key, const std::vector<std::string>& values)
{
    std::string v;
    putLe<uint32_t>(v, static_cast<uint32_t>(GgufValueType::String));
    putLe<uint64_t>(v, values.size());
    for (const auto& s : values)
        putString(v, s);
    addKey(key, GgufValueType::Array, v);
}

void GgufWriter::addF32s(const std::string& key, const std::vector<float>& values)
{
    std::string v;
    putLe<uint32_t>(v, static_cast<uint32_t>(GgufValueType::F32));
    putLe<uint64_t>(v, values.size());
    for (float f : values)
        putLe(v, f);
    addKey(key, GgufValueType::Array, v);
}

void GgufWriter::addI32s(const std::string& key, const std::vector<int32_t>& values)
{
    std::string v;
    putLe<uint32_t>(v, static_cast<uint32_t>(GgufValueType::I32));
    putLe<uint64_t>(v, values.size());
    for (int32_t i : values)
        putLe(v, i);
    addKey(key, GgufValueType::Array, v);
}

void GgufWriter::addTensor(const std::string& name, GgmlType type, const std::vector<int64_t>& shape,
                           std::function<std::string()> bytes)
{
    for (const auto& t : m_tensors)
        if (t.name == name)
            throw Error("GGUF tensor '" + name + "' is added twice");
    if (name.size() >= 64) // GGML_MAX_NAME: llama.cpp refuses longer names
        throw Error("GGUF tensor name '" + name + "' is longer than 63 bytes");
    uint64_t numel = 1;
    for (int64_t d : shape) {
        if (d <= 0)
            throw Error("GGUF tensor '" + name + "' has a dimension of " + std::to_string(d));
        numel *= static_cast<uint64_t>(d);
    }
    Tensor t{name, type, shape, numel * ggmlTypeSize(type), alignUp(m_dataSize, m_alignment), std::move(bytes)};
    m_dataSize = t.offset + t.nbytes;
    m_tensors.push_back(std::move(t));
}

std::string GgufWriter::header() const
{
    std::string out = "GGUF";
    putLe<uint32_t>(out, 3);
    putLe<uint64_t>(out, m_tensors.size());
    putLe<uint64_t>(out, m_keys.size());
    std::set<std::string> seen;
    for (const auto& kv : m_keys) {
        uint64_t len;
        std::memcpy(&len, kv.data(), 8);
        if (!seen.insert(kv.substr(8, len)).second)
            throw Error("GGUF key '" + kv.substr(8, len) + "' is set twice");
        out += kv;
    }
    for (const auto& t : m_tensors) {
        putString(out, t.name);
        putLe<uint32_t>(out, static_cast<uint32_t>(t.shape.size()));
        for (auto it = t.shape.rbegin(); it != t.shape.rend(); ++it) // ne[0] is the innermost dimension
            putLe<uint64_t>(out, static_cast<uint64_t>(*it));
        putLe<uint32_t>(out, static_cast<uint32_t>(t.type));
        putLe<uint64_t>(out, t.offset);
    }
    out.resize(alignUp(out.size(), m_alignment), '\0');
    return out;
}

template <typename Sink>
void GgufWriter::emit(Sink&& sink, const std::function<void(const std::string&)>& progress) const
{
    sink(header());
    uint64_t at = 0;
    for (const auto& t : m_tensors) {
        if (progress)
            progress(t.name);
        sink(std::string(t.offset - at, '\0'));
        const std::string bytes = t.bytes();
        if (bytes.size() != t.nbytes)
            throw Error("GGUF tensor '" + t.name + "': " + std::to_string(bytes.size()) + " bytes produced, " +
                        std::to_string(t.nbytes) + " expected");
        sink(bytes);
        at = t.offset + t.nbytes;
    }
    // The file ends aligned as well, as gguf-py writes it.
    sink(std::string(alignUp(at, m_alignment) - at, '\0'));
}

void GgufWriter::write(const std::string& path, const std::function<void(const std::string&)>& progress) const
{
    writeFileAtomic(path, [&](std::FILE* file) {
        emit(
            [&](const std::string& bytes) {
                if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), file) != bytes.size())
                    throw Error("cannot write " + path + ": " + std::strerror(errno));
            },
            progress);
    });
}

std::string GgufWriter::serialize() const
{
    std::string out;
    emit([&](const std::string& bytes) { out += bytes; }, {});
    return out;
}

} // namespace tb::io
