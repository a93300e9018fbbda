// libtunebench_spm.so: SentencePiece behind tb::tok::SpmProcessor (see spm_shim.h).
#include "spm_shim.h"

#include <sentencepiece_processor.h>

namespace {

class Processor final : public tb::tok::SpmProcessor {
public:
    std::string load(std::string_view serialized) override
    {
        const auto s = m_p.LoadFromSerializedProto(serialized);
        return s.ok() ? std::string() : s.ToString();
    }
    std::string encode(std::string_view text, std::vector<int>* ids) const override
    {
        const auto s = m_p.Encode(text, ids);
        return s.ok() ? std::string() : s.ToString();
    }
    std::string decode(const std::vector<int>& ids, std::string* text) const override
    {
        const auto s = m_p.Decode(ids, text);
        return s.ok() ? std::string() : s.ToString();
    }
    int pieceSize() const override { return m_p.GetPieceSize(); }
    int bosId() const override { return m_p.bos_id(); }
    int eosId() const override { return m_p.eos_id(); }
    int unkId() const override { return m_p.unk_id(); }
    int pieceToId(std::string_view piece) const override { return m_p.PieceToId(piece); }
    std::string idToPiece(int id) const override { return m_p.IdToPiece(id); }
    bool isControl(int id) const override { return m_p.IsControl(id); }

private:
    sentencepiece::SentencePieceProcessor m_p;
};

} // namespace

extern "C" __attribute__((visibility("default"))) tb::tok::SpmProcessor* tunebench_spm_create()
{
    return new Processor;
}
