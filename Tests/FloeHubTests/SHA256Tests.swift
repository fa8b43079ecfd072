import FloeHub
import Testing

/// FIPS 180-4 / NIST test vectors.
struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func nistVectors(message: String, digest: String) {
        #expect(SHA256.hex(of: Array(message.utf8)) == digest)
    }

    @Test func millionAsInUnevenChunksMatchTheVector() {
        var hasher = SHA256()
        var left = 1_000_000
        var size = 1
        while left > 0 {
            let take = min(size, left)
            hasher.update([UInt8](repeating: UInt8(ascii: "a"), count: take))
            left -= take
            size = size * 3 % 1000 + 1  // 1, 4, 13, ... crosses block edges in every way
        }
        #expect(hasher.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
