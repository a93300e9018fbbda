// The safetensors reader and writer against byte layouts written out by hand
// from the format specification.
#include "common/error.h"
#include "io/safetensors.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cstring>
#include <filesystem>

using namespace tb::io;

namespace {

// 8-byte little-endian length, header, data: assembled byte by byte here so
// the test does not depend on the writer.
std::string rawFile(const std::string& header, const std::string& data)
{
    std::string out;
    uint64_t n = header.size();
    for (int i = 0; i < 8; ++i)
        out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    return out + header + data;
}

std::string floats(std::initializer_list<float> values)
{
    std::string s;
    for (float v : values)
        s.append(reinterpret_cast<const char*>(&v), sizeof v);
    return s;
}

QString errorOf(const std::string& bytes)
{
    try {
        SafetensorsFile::fromBytes(bytes, "bad.safetensors");
    } catch (const tb::Error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

} // namespace

class TestSafetensors : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void readsHandWrittenFile()
    {
        const std::string header =
            R"({"__metadata__":{"format":"pt"},"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]},)"
            R"("a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}})";
        auto f = SafetensorsFile::fromBytes(rawFile(header, floats({1, 2, 3, -4.5f, 8})), "x");
        QCOMPARE(f->tensors().size(), size_t(2));
        QCOMPARE(f->metadata().at("format"), std::string("pt"));
        const TensorInfo* b = f->find("b");
        QVERIFY(b);
        QCOMPARE(b->shape, std::vector<int64_t>({2}));
        float v[2];
        std::memcpy(v, f->data(*b), 8);
        QCOMPARE(v[0], -4.5f);
        QCOMPARE(v[1], 8.0f);
    }

    void writerOutputMatchesSpecLayout()
    {
        // One BF16 tensor [2] with bits 0x3f80 (1.0) and 0xc000 (-2.0).
        const uint16_t bits[2] = {0x3f80, 0xc000};
        const std::string out = serializeSafetensors({{"w", DType::BF16, {2}, bits, 4}});
        const std::string json = R"({"w":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}})";
        std::string padded = json;
        while (padded.size() % 8)
            padded.push_back(' ');
        QCOMPARE(out, rawFile(padded, std::string("\x80\x3f\x00\xc0", 4)));
    }

    void roundTripThroughDiskIsAtomic()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("m.safetensors").toStdString();
        std::vector<float> a = {0.5f, -1.0f, 2.0f, 3.0f, 4.0f, 5.0f};
        std::vector<int64_t> ids = {7, -9};
        writeSafetensors(path, {{"layer.weight", DType::F32, {2, 3}, a.data(), a.size() * 4},
                                {"ids", DType::I64, {2}, ids.data(), 16}},
                         {{"format", "pt"}});
        // Only the final file remains: no temporary left beside it.
        int entries = 0;
        for (auto& e : std::filesystem::directory_iterator(dir.path().toStdString())) {
            (void)e;
            ++entries;
        }
        QCOMPARE(entries, 1);
        auto f = SafetensorsFile::open(path);
        const TensorInfo* w = f->find("layer.weight");
        QVERIFY(w);
        QCOMPARE(w->shape, std::vector<int64_t>({2, 3}));
        QVERIFY(std::memcmp(f->data(*w), a.data(), 24) == 0);
        const TensorInfo* i = f->find("ids");
        QCOMPARE(i->dtype, DType::I64);
        QVERIFY(std::memcmp(f->data(*i), ids.data(), 16) == 0);
    }

    void mappedTensorsAreCopyOnWrite()
    {
        // Parameters may live in the mapping (model/causal_lm.cpp); writing to
        // one (an in-place LoRA merge) changes this process's copy, never the file.
        QTemporaryDir dir;
        const std::string path = dir.filePath("m.safetensors").toStdString();
        std::vector<float> a = {1.0f, 2.0f, 3.0f};
        writeSafetensors(path, {{"w", DType::F32, {3}, a.data(), 12}});
        auto f = SafetensorsFile::open(path);
        QVERIFY(f->mapped());
        QVERIFY(!SafetensorsFile::fromBytes(serializeSafetensors({{"w", DType::F32, {3}, a.data(), 12}}), "x")->mapped());
        auto* w = const_cast<float*>(reinterpret_cast<const float*>(f->data(*f->find("w"))));
        w[1] = 42.0f;
        QCOMPARE(w[1], 42.0f);
        auto again = SafetensorsFile::open(path);
        float v[3];
        std::memcpy(v, again->data(*again->find("w")), 12);
        QCOMPARE(v[1], 2.0f);
    }

    void releasedPagesAreReadFromTheFileAgain()
    {
        // 1 MiB of floats i: after a write the pages are private copies;
        // releasing them drops the copies (and their resident memory), so
        // the mapping shows the file's values again. Partial pages at the
        // ends are kept: they may hold a neighbouring tensor.
        QTemporaryDir dir;
        const std::string path = dir.filePath("m.safetensors").toStdString();
        std::vector<float> a(1 << 18);
        for (size_t i = 0; i < a.size(); ++i)
            a[i] = static_cast<float>(i);
        writeSafetensors(path, {{"w", DType::F32, {int64_t(a.size())}, a.data(), a.size() * 4}});
        auto f = SafetensorsFile::open(path);
        const TensorInfo* info = f->find("w");
        auto* w = const_cast<float*>(reinterpret_cast<const float*>(f->data(*info)));
        for (size_t i = 0; i < a.size(); ++i)
            w[i] = -1.0f;
        releaseMappedPages(w, a.size() * 4);
        const size_t middle = a.size() / 2;
        QCOMPARE(w[middle], static_cast<float>(middle)); // dropped: the file's value
        QCOMPARE(w[0], -1.0f);                           // first page is partial (after the header): kept
        QCOMPARE(w[a.size() - 1], -1.0f);                // so is the last
        releaseMappedPages(w, 0);                        // nothing to do
    }

    void rejectsBadInput_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("expected");
        const std::string ok = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
        auto add = [](const char* name, const std::string& bytes, const char* expected) {
            QTest::newRow(name) << QByteArray(bytes.data(), int(bytes.size())) << QString(expected);
        };
        add("too short", "abc", "expected at least 8");
        add("header past end", rawFile(ok, floats({1, 2})).substr(0, 30), "runs past the end of the file");
        add("truncated data", rawFile(ok, floats({1})), "data_offsets end 8 is past the end");
        add("unknown dtype", rawFile(R"({"a":{"dtype":"F7","shape":[1],"data_offsets":[0,4]}})", floats({1})),
            "unknown dtype 'F7'");
        add("size mismatch", rawFile(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", floats({1, 2})),
            "holds 8 bytes but shape [3] of F32 needs 12");
        add("overlap",
            rawFile(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                    floats({1, 2})),
            "overlaps");
        add("hole",
            rawFile(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", floats({1, 2})),
            "belong to no tensor");
        add("reversed offsets", rawFile(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", floats({1, 2})),
            "end before they begin");
        add("malformed json", rawFile(R"({"a":)", ""), "malformed");
        add("negative shape", rawFile(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", floats({1})),
            "non-negative integers");
        add("huge header", std::string("\xff\xff\xff\xff\xff\xff\x00\x00", 8) + "{}", "exceeds");
    }
    void rejectsBadInput()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, expected);
        const QString message = errorOf(bytes.toStdString());
        QVERIFY2(message.contains(expected), qPrintable("got: " + message));
        QVERIFY2(message.startsWith("bad.safetensors: "), qPrintable(message));
        QVERIFY(!message.contains('\n'));
    }
};

QTEST_GUILESS_MAIN(TestSafetensors)
#include "tst_safetensors.moc"
