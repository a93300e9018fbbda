#pragma once
// What a piece of code keeps allocated, for tests that check memory against
// a hand count of the tensors it holds.
#include <malloc.h>

#include <cstdint>

namespace tb::test {

// Bytes malloc has handed out and not taken back (arena and mmap'd blocks).
inline int64_t heapInUse()
{
    const struct mallinfo2 mi = mallinfo2();
    return static_cast<int64_t>(mi.uordblks + mi.hblkhd);
}

} // namespace tb::test
