#pragma once
// The slice of SentencePiece that Tunebench uses, behind an interface that
// the separately loaded module libtunebench_spm.so implements.
//
// Why a module: Debian's libsentencepiece carries its own private protobuf
// 3.14 runtime and exports its symbols, while LibTorch loads the system
// libprotobuf 3.21. Linked into one program, one copy's symbols interpose the
// other's and the process crashes at start-up or refuses the model. Loaded
// with dlopen(RTLD_LOCAL | RTLD_DEEPBIND), sentencepiece binds to its own
// copy and stays out of the global symbol scope.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tb::tok {

class SpmProcessor {
public:
    virtual ~SpmProcessor() = default;
    // Each returns an empty string on success, else SentencePiece's message.
    virtual std::string load(std::string_view serialized) = 0;
    virtual std::string encode(std::string_view text, std::vector<int>* ids) const = 0;
    virtual std::string decode(const std::vector<int>& ids, std::string* text) const = 0;
    virtual int pieceSize() const = 0;
    virtual int bosId() const = 0;
    virtual int eosId() const = 0;
    virtual int unkId() const = 0;
    virtual int pieceToId(std::string_view piece) const = 0;
    virtual std::string idToPiece(int id) const = 0;
    virtual bool isControl(int id) const = 0;
};

// Loads the module on first use; throws tb::Error saying where it looked.
std::unique_ptr<SpmProcessor> createSpmProcessor();

} // namespace tb::tok

// The module's one entry point.
extern "C" tb::tok::SpmProcessor* tunebench_spm_create();
