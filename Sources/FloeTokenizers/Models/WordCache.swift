import Synchronization

/// Thread-safe piece -> ids memo shared by all callers of one model. Natural text repeats its
/// words constantly, so most pieces skip BPE entirely. Like HF, the cache stops growing when
/// full instead of evicting, which keeps lookups a single dictionary probe under the lock.
final class WordCache: Sendable {
    private let storage = Mutex<[String: [Int32]]>([:])
    let capacity: Int
    /// Longer pieces are rare and costly to hash; they are not worth keeping.
    let maxKeyLength: Int

    init(capacity: Int = 16_384, maxKeyLength: Int = 256) {
        self.capacity = capacity
        self.maxKeyLength = maxKeyLength
    }

    func lookup(_ key: String) -> [Int32]? {
        storage.withLock { $0[key] }
    }

    func insert(_ key: String, _ value: [Int32]) {
        guard key.utf8.count <= maxKeyLength else { return }
        storage.withLock { cache in
            if cache.count < capacity { cache[key] = value }
        }
    }

    /// Appends the ids of `piece` to `ids`: from the cache, or computed by `compute` and cached.
    func append(_ piece: String, into ids: inout [Int], compute: () -> [Int32]) {
        let pieceIDs = lookup(piece) ?? {
            let computed = compute()
            insert(piece, computed)
            return computed
        }()
        ids.append(contentsOf: pieceIDs.lazy.map(Int.init))
    }
}
