#pragma once
// A seeded generator whose output is fixed by this file, not by the standard
// library: std::shuffle and std::uniform_int_distribution differ between
// libstdc++, libc++ and MSVC, and every data-parallel rank (and a resumed run on
// another machine) must draw the same permutation from the same seed.
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace tb::data {

// SplitMix64 (Steele, Lea, Flood 2014; the seeding generator of xoshiro).
class Rng {
public:
    explicit Rng(uint64_t seed) : m_state(seed) {}

    uint64_t next()
    {
        uint64_t z = (m_state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }

    // Uniform in [0, bound) without modulo bias; bound > 0.
    uint64_t below(uint64_t bound)
    {
        const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
        uint64_t x = next();
        while (x >= limit)
            x = next();
        return x % bound;
    }

    // Fisher-Yates.
    template <typename T>
    void shuffle(std::vector<T>& items)
    {
        for (size_t i = items.size(); i > 1; --i)
            std::swap(items[i - 1], items[below(i)]);
    }

private:
    uint64_t m_state;
};

// A seed for one stream derived from a base seed, so that e.g. epoch 3's order
// does not depend on how many numbers epoch 2 drew.
inline uint64_t deriveSeed(uint64_t seed, uint64_t stream)
{
    Rng rng(seed ^ (stream * 0xD1B54A32D192ED03ull + 0x8CB92BA72F3D8DD7ull));
    return rng.next();
}

} // namespace tb::data
