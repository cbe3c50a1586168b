//! The one stable hash of the crate: FNV-1a, 64 bits. Table ids
//! (`name@hash`) and inventory shards (`--shard K/N`) use it; both must give
//! the same answer on every machine and in every version, so it is pinned by
//! the published test vectors.

/// FNV-1a, 64 bits, of `bytes`.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_fnv1a_64() {
        // The published FNV-1a 64-bit test vectors: shards must not move.
        let cases: [(&str, u64); 3] =
            [("", 0xcbf2_9ce4_8422_2325), ("a", 0xaf63_dc4c_8601_ec8c), ("foobar", 0x8594_4171_f739_67e8)];
        for (text, want) in cases {
            assert_eq!(fnv1a(text.as_bytes()), want, "{text:?}");
        }
    }
}
