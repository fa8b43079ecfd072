import FloeRunner
import Testing

@Suite struct KVCacheBudgetTests {
    @Test(arguments: [
        ("2GiB", KVCacheBudget.bytes(2 << 30)), ("512MB", .bytes(512_000_000)), ("1048576", .bytes(1_048_576)),
        ("64M", .bytes(64 << 20)), ("0.25", .fractionOfAvailableMemory(0.25)), ("30%", .fractionOfAvailableMemory(0.3)),
    ])
    func parses(_ text: String, _ expected: KVCacheBudget) throws {
        #expect(try KVCacheBudget(parsing: text) == expected)
    }

    @Test(arguments: ["", "lots", "-1GB", "0", "150%", "1.5.2"])
    func rejectsNonsense(_ text: String) {
        #expect(throws: EngineOptionsError.self) { try KVCacheBudget(parsing: text) }
    }

    @Test func fractionResolvesAgainstAvailableMemory() throws {
        let bytes = try KVCacheBudget.fractionOfAvailableMemory(0.01).resolvedBytes()
        #expect(bytes > 0)
    }
}
