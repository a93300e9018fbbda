#include "spm_shim.h"

#include "common/error.h"

#include <dlfcn.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>

namespace fs = std::filesystem;

namespace tb::tok {

namespace {
// RTLD_DEEPBIND keeps the module's protobuf apart from LibTorch's. The
// sanitizer runtimes refuse DEEPBIND (google/sanitizers#611); sanitizer
// builds load without it, which is safe where LibTorch is not loaded (the
// torch-free tests) and may clash where it is.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int kBindFlags = 0;
#else
constexpr int kBindFlags = RTLD_DEEPBIND;
#endif

using CreateFn = SpmProcessor* (*)();

std::vector<std::string> candidates()
{
    std::vector<std::string> out;
    if (const char* env = std::getenv("TUNEBENCH_SPM_MODULE"))
        out.emplace_back(env);
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        out.push_back((exe.parent_path() / "libtunebench_spm.so").string());
        out.push_back((exe.parent_path().parent_path() / "lib" / "tunebench" / "libtunebench_spm.so").string());
    }
#ifdef TB_SPM_BUILD_PATH
    out.emplace_back(TB_SPM_BUILD_PATH);
#endif
    return out;
}

CreateFn loadModule()
{
    static std::once_flag once;
    static CreateFn create = nullptr;
    static std::string failure;
    std::call_once(once, [] {
        std::string tried;
        for (const auto& path : candidates()) {
            if (!fs::exists(path)) {
                tried += (tried.empty() ? "" : ", ") + path;
                continue;
            }
            void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | kBindFlags);
            if (!handle) {
                failure = std::string("cannot load ") + path + ": " + ::dlerror();
                return;
            }
            create = reinterpret_cast<CreateFn>(::dlsym(handle, "tunebench_spm_create"));
            if (!create)
                failure = path + " has no tunebench_spm_create";
            return;
        }
        failure = "SentencePiece support module libtunebench_spm.so not found (looked at: " + tried +
                  "; set TUNEBENCH_SPM_MODULE to its path)";
    });
    if (!create)
        throw Error(failure);
    return create;
}

} // namespace

std::unique_ptr<SpmProcessor> createSpmProcessor()
{
    return std::unique_ptr<SpmProcessor>(loadModule()());
}

} // namespace tb::tok
