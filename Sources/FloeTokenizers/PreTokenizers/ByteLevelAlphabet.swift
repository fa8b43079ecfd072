/// GPT-2's reversible byte <-> printable-character table: printable Latin-1 bytes stand for
/// themselves, the other 68 bytes (controls, space, DEL, NBSP, soft hyphen) are shifted to
/// U+0100 and up, so every byte sequence becomes a string of visible characters ("Ġ" = space).
enum ByteLevelAlphabet {
    static let characters: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var shifted: UInt32 = 256
        for byte in 0..<256 {
            let isPrintable = (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
            if isPrintable {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                table[byte] = Unicode.Scalar(shifted)!
                shifted += 1
            }
        }
        return table
    }()

    /// Inverse of `characters`, indexed by scalar value (all values are below 324).
    static let bytes: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for (byte, scalar) in characters.enumerated() {
            table[Int(scalar.value)] = Int16(byte)
        }
        return table
    }()

    static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let v = Int(scalar.value)
        guard v < bytes.count, bytes[v] >= 0 else { return nil }
        return UInt8(bytes[v])
    }

    /// The byte-level spelling of `text`'s UTF-8 bytes.
    static func encode(_ text: some StringProtocol) -> String {
        var view = String.UnicodeScalarView()
        for byte in text.utf8 {
            view.append(characters[Int(byte)])
        }
        return String(view)
    }
}
