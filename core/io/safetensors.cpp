#include "io/safetensors.h"
#include "io/json_error.h"

#include "common/error.h"
#include "io/atomic_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tb::io {

namespace {

struct DTypeEntry {
    DType dtype;
    const char* name;
    size_t size;
};

constexpr DTypeEntry kDTypes[] = {
    {DType::Bool, "BOOL", 1}, {DType::U8, "U8", 1},         {DType::I8, "I8", 1},
    {DType::I16, "I16", 2},   {DType::U16, "U16", 2},       {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2}, {DType::I32, "I32", 4},       {DType::U32, "U32", 4},
    {DType::F32, "F32", 4},   {DType::F64, "F64", 8},       {DType::I64, "I64", 8},
    {DType::U64, "U64", 8},   {DType::F8E4M3, "F8_E4M3", 1}, {DType::F8E5M2, "F8_E5M2", 1},
};

// A header larger than this is not a real model file; refuse before parsing.
constexpr uint64_t kMaxHeaderBytes = 100ull * 1024 * 1024;

} // namespace

std::optional<DType> dtypeFromName(std::string_view name)
{
    for (const auto& e : kDTypes)
        if (name == e.name)
            return e.dtype;
    return std::nullopt;
}

std::string dtypeName(DType dtype)
{
    for (const auto& e : kDTypes)
        if (e.dtype == dtype)
            return e.name;
    return "?";
}

size_t dtypeSize(DType dtype)
{
    for (const auto& e : kDTypes)
        if (e.dtype == dtype)
            return e.size;
    return 0;
}

int64_t TensorInfo::numel() const
{
    int64_t n = 1;
    for (int64_t d : shape)
        n *= d;
    return n;
}

std::unique_ptr<SafetensorsFile> SafetensorsFile::open(const std::string& path)
{
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw Error(path + ": cannot open: " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        ::close(fd);
        throw Error(path + ": cannot stat: " + std::strerror(errno));
    }
    std::unique_ptr<SafetensorsFile> file(new SafetensorsFile);
    file->m_path = path;
    const auto size = static_cast<uint64_t>(st.st_size);
    if (size > 0) {
        // Writable but private: writes copy the page, the file stays as it is.
        void* map = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            ::close(fd);
            throw Error(path + ": cannot map: " + std::strerror(errno));
        }
        file->m_map = map;
        file->m_mapSize = size;
    }
    ::close(fd);
    file->parse(static_cast<const uint8_t*>(file->m_map), size);
    return file;
}

std::unique_ptr<SafetensorsFile> SafetensorsFile::fromBytes(std::string_view bytes, const std::string& sourceName)
{
    std::unique_ptr<SafetensorsFile> file(new SafetensorsFile);
    file->m_path = sourceName;
    file->m_owned.assign(bytes.data(), bytes.size());
    file->parse(reinterpret_cast<const uint8_t*>(file->m_owned.data()), file->m_owned.size());
    return file;
}

SafetensorsFile::~SafetensorsFile()
{
    if (m_map)
        ::munmap(m_map, m_mapSize);
}

void releaseMappedPages(const void* data, size_t bytes)
{
    static const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
    const auto begin = reinterpret_cast<uintptr_t>(data);
    const uintptr_t first = (begin + page - 1) / page * page; // pages shared with a neighbour stay
    const uintptr_t last = (begin + bytes) / page * page;
    if (bytes > 0 && last > first)
        ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

const TensorInfo* SafetensorsFile::find(std::string_view name) const
{
    auto it = m_index.find(std::string(name));
    return it == m_index.end() ? nullptr : &m_tensors[it->second];
}

void SafetensorsFile::parse(const uint8_t* bytes, uint64_t size)
{
    const std::string& p = m_path;
    if (size < 8)
        throw Error(p + ": not a safetensors file: " + std::to_string(size) +
                    " bytes, expected at least 8 (the header length)");
    uint64_t headerLen = 0;
    for (int i = 7; i >= 0; --i)
        headerLen = (headerLen << 8) | bytes[i];
    if (headerLen > kMaxHeaderBytes)
        throw Error(p + ": header length " + std::to_string(headerLen) + " at byte 0 exceeds the " +
                    std::to_string(kMaxHeaderBytes) + "-byte limit (corrupt or not safetensors)");
    if (headerLen > size - 8)
        throw Error(p + ": header length " + std::to_string(headerLen) + " at byte 0 runs past the end of the file (" +
                    std::to_string(size) + " bytes)");
    if (headerLen < 2 || bytes[8] != '{')
        throw Error(p + ": header at byte 8 does not start with '{' (not a safetensors file)");

    nlohmann::json header;
    try {
        header = nlohmann::json::parse(bytes + 8, bytes + 8 + headerLen);
    } catch (const nlohmann::json::parse_error& e) {
        throw Error(p + ": header JSON is malformed near byte " + std::to_string(8 + e.byte) + ": " + e.what());
    } catch (const nlohmann::json::exception& e) {
        throw Error(p + ": header: " + jsonErrorText(e, std::string_view(reinterpret_cast<const char*>(bytes), 8 + headerLen)));
    }
    if (!header.is_object())
        throw Error(p + ": header is not a JSON object");

    const uint64_t dataStart = 8 + headerLen;
    const uint64_t dataSize = size - dataStart;
    m_buffer = bytes + dataStart;

    for (auto it = header.begin(); it != header.end(); ++it) {
        const std::string& name = it.key();
        const auto& v = it.value();
        if (name == "__metadata__") {
            if (!v.is_object())
                throw Error(p + ": __metadata__: expected an object of strings, found " + std::string(v.type_name()));
            for (auto m = v.begin(); m != v.end(); ++m) {
                if (!m.value().is_string())
                    throw Error(p + ": __metadata__." + m.key() + ": expected a string, found " +
                                std::string(m.value().type_name()));
                m_metadata[m.key()] = m.value().get<std::string>();
            }
            continue;
        }
        const std::string where = p + ": tensor '" + name + "'";
        if (!v.is_object())
            throw Error(where + ": expected an object, found " + std::string(v.type_name()));
        TensorInfo info;
        info.name = name;

        auto dt = v.find("dtype");
        if (dt == v.end() || !dt->is_string())
            throw Error(where + ": missing string field 'dtype'");
        auto dtype = dtypeFromName(dt->get<std::string>());
        if (!dtype)
            throw Error(where + ": unknown dtype '" + dt->get<std::string>() +
                        "' (expected F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL, ...)");
        info.dtype = *dtype;

        auto sh = v.find("shape");
        if (sh == v.end() || !sh->is_array())
            throw Error(where + ": missing array field 'shape'");
        uint64_t numel = 1;
        for (const auto& d : *sh) {
            if (!d.is_number_unsigned())
                throw Error(where + ": shape entries must be non-negative integers, found " + d.dump());
            const uint64_t dim = d.get<uint64_t>();
            if (dim > (uint64_t(1) << 48) || (dim != 0 && numel > (uint64_t(1) << 56) / dim))
                throw Error(where + ": shape " + sh->dump() + " is implausibly large");
            numel *= dim;
            info.shape.push_back(static_cast<int64_t>(dim));
        }

        auto off = v.find("data_offsets");
        if (off == v.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
            !(*off)[1].is_number_unsigned())
            throw Error(where + ": 'data_offsets' must be [begin, end] with non-negative integers");
        info.begin = (*off)[0].get<uint64_t>();
        info.end = (*off)[1].get<uint64_t>();
        if (info.begin > info.end)
            throw Error(where + ": data_offsets [" + std::to_string(info.begin) + ", " + std::to_string(info.end) +
                        "] end before they begin");
        if (info.end > dataSize)
            throw Error(where + ": data_offsets end " + std::to_string(info.end) + " is past the end of the data (" +
                        std::to_string(dataSize) + " bytes after the header)");
        const uint64_t expected = numel * dtypeSize(info.dtype);
        if (info.end - info.begin != expected)
            throw Error(where + ": holds " + std::to_string(info.end - info.begin) + " bytes but shape " + sh->dump() +
                        " of " + dtypeName(info.dtype) + " needs " + std::to_string(expected));
        m_index[name] = m_tensors.size();
        m_tensors.push_back(std::move(info));
    }

    // The byte buffer must be covered exactly once: no overlaps, no holes.
    std::vector<const TensorInfo*> byOffset;
    for (const auto& t : m_tensors)
        byOffset.push_back(&t);
    std::sort(byOffset.begin(), byOffset.end(), [](const TensorInfo* a, const TensorInfo* b) {
        return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    uint64_t cursor = 0;
    const TensorInfo* prev = nullptr;
    for (const TensorInfo* t : byOffset) {
        if (t->begin < cursor)
            throw Error(p + ": tensor '" + t->name + "' (bytes " + std::to_string(t->begin) + "-" +
                        std::to_string(t->end) + ") overlaps tensor '" + (prev ? prev->name : "") + "' (ends at " +
                        std::to_string(cursor) + ")");
        if (t->begin > cursor)
            throw Error(p + ": bytes " + std::to_string(cursor) + "-" + std::to_string(t->begin) +
                        " of the data belong to no tensor (a hole before '" + t->name + "')");
        cursor = t->end;
        prev = t;
    }
    if (cursor != dataSize)
        throw Error(p + ": the data holds " + std::to_string(dataSize) + " bytes but the tensors cover " +
                    std::to_string(cursor) + " (truncated or trailing garbage)");
}

namespace {

// The header bytes (length prefix included) and the tensors in file order.
std::string buildHeader(const std::vector<TensorToWrite>& tensors, const std::map<std::string, std::string>& metadata,
                        std::vector<const TensorToWrite*>& sorted, uint64_t& dataBytes)
{
    sorted.clear();
    for (const auto& t : tensors)
        sorted.push_back(&t);
    std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->name < b->name; });

    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata.empty())
        header["__metadata__"] = metadata;
    uint64_t offset = 0;
    for (const auto* t : sorted) {
        uint64_t numel = 1;
        for (int64_t d : t->shape) {
            if (d < 0)
                throw Error("safetensors writer: tensor '" + t->name + "' has a negative dimension");
            numel *= static_cast<uint64_t>(d);
        }
        if (numel * dtypeSize(t->dtype) != t->nbytes)
            throw Error("safetensors writer: tensor '" + t->name + "' has " + std::to_string(t->nbytes) +
                        " bytes, its shape needs " + std::to_string(numel * dtypeSize(t->dtype)));
        if (t->name == "__metadata__" || header.contains(t->name))
            throw Error("safetensors writer: duplicate or reserved tensor name '" + t->name + "'");
        header[t->name] = {{"dtype", dtypeName(t->dtype)},
                           {"shape", t->shape},
                           {"data_offsets", {offset, offset + t->nbytes}}};
        offset += t->nbytes;
    }
    std::string json = header.dump();
    while (json.size() % 8 != 0)
        json.push_back(' ');
    std::string out;
    const uint64_t n = json.size();
    for (int i = 0; i < 8; ++i)
        out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    out += json;
    dataBytes = offset;
    return out;
}

} // namespace

std::string serializeSafetensors(const std::vector<TensorToWrite>& tensors,
                                 const std::map<std::string, std::string>& metadata)
{
    std::vector<const TensorToWrite*> sorted;
    uint64_t dataBytes = 0;
    std::string out = buildHeader(tensors, metadata, sorted, dataBytes);
    out.reserve(out.size() + dataBytes);
    for (const auto* t : sorted)
        out.append(static_cast<const char*>(t->data), t->nbytes);
    return out;
}

void writeSafetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                      const std::map<std::string, std::string>& metadata)
{
    std::vector<const TensorToWrite*> sorted;
    uint64_t dataBytes = 0;
    const std::string header = buildHeader(tensors, metadata, sorted, dataBytes);
    // Streamed tensor by tensor: a multi-GB export never needs a second copy in memory.
    writeFileAtomic(path, [&](std::FILE* f) {
        if (std::fwrite(header.data(), 1, header.size(), f) != header.size())
            throw Error(path + ": write failed");
        for (const auto* t : sorted)
            if (t->nbytes && std::fwrite(t->data, 1, t->nbytes, f) != t->nbytes)
                throw Error(path + ": write failed in tensor '" + t->name + "'");
    });
}

} // namespace tb::io
