/// Byte-pair encoding (HF `BPE`): covers GPT-2 style byte-level BPE (after `ByteLevel`
/// pre-tokenization every piece is spelled in the byte alphabet) and SentencePiece-style BPE
/// (pieces are raw text with "▁", unknown characters become `<0xNN>` byte tokens when
/// `byteFallback` is set).
public final class BPEModel: TokenizerModel {
    public struct Options: Sendable {
        public var unknownToken: String?
        public var byteFallback = false
        public var fuseUnknown = false
        /// Llama 3: a piece that is itself a vocabulary entry is emitted as is, unmerged.
        public var ignoreMerges = false
        public var continuingSubwordPrefix: String?
        public var endOfWordSuffix: String?

        public init() {}
    }

    let vocab: [String: Int]
    let tokens: [String?]
    private let rules: MergeTable
    /// Ids of single-scalar tokens: the starting symbols of every word.
    private let scalarIDs: [UInt32: Int32]
    /// `scalarIDs` for the Basic Multilingual Plane as an array (-1: none): one load per character.
    private let bmpScalarIDs: [Int32]
    /// `<0xNN>` token per byte, -1 where absent; empty without byte fallback.
    let byteIDs: [Int32]
    let unknownID: Int32?
    let options: Options
    private let cache = WordCache()

    public var vocabularySize: Int { vocab.count }

    /// - Parameter merges: pairs of vocabulary tokens, highest priority first.
    public convenience init(vocab: [String: Int], merges: [(String, String)], options: Options = Options())
        throws(TokenizerError)
    {
        let prefixLength = options.continuingSubwordPrefix?.unicodeScalars.count ?? 0
        var rules: [UInt64: BPEMerger.Rule] = [:]
        rules.reserveCapacity(merges.count)
        for (rank, (left, right)) in merges.enumerated() {
            guard let a = vocab[left], let b = vocab[right] else {
                throw .invalidField("model.merges", reason: "merge '\(left) \(right)' uses a token not in the vocabulary")
            }
            let merged = left + String(right.unicodeScalars.dropFirst(prefixLength))
            guard let id = vocab[merged] else {
                throw .invalidField("model.merges", reason: "merge result '\(merged)' is not in the vocabulary")
            }
            let key = BPEMerger.key(Int32(a), Int32(b))
            // The first (highest-priority) occurrence wins, as in HF.
            if rules[key] == nil {
                rules[key] = BPEMerger.Rule(rank: UInt32(rank), newID: Int32(id))
            }
        }
        try self.init(vocab: vocab, rules: rules, options: options)
    }

    /// - Parameter rules: merge rules keyed by `BPEMerger.key(left, right)`.
    init(vocab: [String: Int], rules: [UInt64: BPEMerger.Rule], options: Options) throws(TokenizerError) {
        self.vocab = vocab
        self.rules = MergeTable(rules)
        self.options = options
        let maxID = vocab.values.max() ?? -1
        guard maxID < Int(Int32.max), vocab.values.allSatisfy({ $0 >= 0 }) else {
            throw .invalidField("model.vocab", reason: "token ids must be in 0..<2^31")
        }
        var tokens = [String?](repeating: nil, count: maxID + 1)
        var scalarIDs: [UInt32: Int32] = [:]
        for (token, id) in vocab {
            tokens[id] = token
            var scalars = token.unicodeScalars.makeIterator()
            if let first = scalars.next(), scalars.next() == nil {
                scalarIDs[first.value] = Int32(id)
            }
        }
        self.tokens = tokens
        self.scalarIDs = scalarIDs
        var bmp = [Int32](repeating: -1, count: 0x10000)
        for (value, id) in scalarIDs where value < 0x10000 { bmp[Int(value)] = id }
        bmpScalarIDs = bmp
        if options.byteFallback {
            byteIDs = (0..<256).map { byte in
                vocab[Self.byteTokenName(UInt8(byte))].map(Int32.init) ?? -1
            }
        } else {
            byteIDs = []
        }
        if let unknown = options.unknownToken {
            guard let id = vocab[unknown] else {
                throw .invalidField("model.unk_token", reason: "'\(unknown)' is not in the vocabulary")
            }
            unknownID = Int32(id)
        } else {
            unknownID = nil
        }
    }

    /// SentencePiece's name for a raw byte token, e.g. `<0x0A>`.
    static func byteTokenName(_ byte: UInt8) -> String {
        let hex = String(byte, radix: 16, uppercase: true)
        return "<0x" + (byte < 16 ? "0" : "") + hex + ">"
    }

    public func id(for token: String) -> Int? { vocab[token] }

    public func token(for id: Int) -> String? {
        id >= 0 && id < tokens.count ? tokens[id] : nil
    }

    public func tokenize(_ piece: String, into ids: inout [Int]) {
        guard !piece.isEmpty else { return }
        if options.ignoreMerges, let id = vocab[piece] {
            ids.append(id)
            return
        }
        cache.append(piece, into: &ids) {
            var symbols = initialSymbols(piece)
            BPEMerger.merge(&symbols, rules: rules)
            return symbols
        }
    }

    /// One symbol per character (or per byte via fallback, or a fused unknown), as HF's
    /// `merge_word` builds them.
    func initialSymbols(_ piece: String) -> [Int32] {
        var symbols: [Int32] = []
        symbols.reserveCapacity(piece.utf8.count)
        var pendingUnknown = false
        let affixed = options.continuingSubwordPrefix?.isEmpty == false || options.endOfWordSuffix?.isEmpty == false
        let scalars = piece.unicodeScalars
        var index = scalars.startIndex
        while index != scalars.endIndex {
            let scalar = scalars[index]
            let nextIndex = scalars.index(after: index)
            var id: Int32?
            if affixed {
                var text = String(scalar)
                if index != scalars.startIndex, let prefix = options.continuingSubwordPrefix { text = prefix + text }
                if nextIndex == scalars.endIndex, let suffix = options.endOfWordSuffix { text += suffix }
                id = vocab[text].map(Int32.init)
            } else {
                if scalar.value < 0x10000 {
                    let found = bmpScalarIDs[Int(scalar.value)]
                    id = found >= 0 ? found : nil
                } else {
                    id = scalarIDs[scalar.value]
                }
            }
            index = nextIndex
            if let id {
                if pendingUnknown, let unknownID { symbols.append(unknownID) }
                pendingUnknown = false
                symbols.append(id)
                continue
            }
            if !byteIDs.isEmpty {
                let bytes = UTF8.encode(scalar)!.map { byteIDs[Int($0)] }
                if !bytes.contains(-1) {
                    if pendingUnknown, let unknownID { symbols.append(unknownID) }
                    pendingUnknown = false
                    symbols.append(contentsOf: bytes)
                    continue
                }
            }
            // Without an unknown token HF drops the character.
            guard let unknownID else { continue }
            if pendingUnknown && !options.fuseUnknown { symbols.append(unknownID) }
            pendingUnknown = true
        }
        if pendingUnknown, let unknownID { symbols.append(unknownID) }
        return symbols
    }
}
