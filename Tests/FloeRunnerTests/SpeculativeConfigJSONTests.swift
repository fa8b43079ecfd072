import FloeEngine
import FloeRunner
import Testing

@Suite struct SpeculativeConfigJSONTests {
    @Test func arcticKeysParseWithArcticDefaults() throws {
        let defaults = try SpeculativeConfig(json: #"{"method": "suffix"}"#)
        #expect(defaults == SpeculativeConfig())
        #expect(defaults.numSpeculativeTokens == 16 && defaults.disableByBatchSize == 64 && defaults.hardDisableByBatchSize == nil)
        #expect(defaults.suffixCacheMaxDepth == 64 && defaults.suffixCacheMaxRequests == 100_000)
        #expect(defaults.suffixMaxSpecFactor == 1 && defaults.suffixMaxSpecOffset == 0 && defaults.suffixMinTokenProbability == 0.1)
        let custom = try SpeculativeConfig(json: """
            {"method": "suffix", "num_speculative_tokens": 8, "suffix_cache_max_depth": 32, "suffix_speculative_tokens": 12,
             "suffix_max_spec_factor": 2.5, "suffix_max_spec_offset": -1, "suffix_min_token_prob": 0.2,
             "suffix_cache_max_requests": 0, "disable_by_batch_size": 16, "hard_disable_by_batch_size": 48}
            """)
        #expect(custom.numSpeculativeTokens == 8 && custom.draftWidth == 12 && custom.suffixCacheMaxDepth == 32)
        #expect(custom.suffixMaxSpecFactor == 2.5 && custom.suffixMaxSpecOffset == -1 && custom.suffixMinTokenProbability == 0.2)
        #expect(custom.suffixCacheMaxRequests == 0 && custom.disableByBatchSize == 16 && custom.hardDisableByBatchSize == 48)
        #expect(custom.draftingRequestLimit(batchSize: 20) == 16 && custom.draftingRequestLimit(batchSize: 48) == 0)
        #expect(try SpeculativeConfig(json: #"{"enable_suffix_decoding": true}"#) == SpeculativeConfig())
    }

    @Test(arguments: [
        (#"{"method": "suffix", "num_speculative_token": 3}"#, "unknown key(s) num_speculative_token"),
        (#"{"method": "eagle"}"#, "method \"eagle\""),
        (#"{"num_speculative_tokens": 0}"#, "num_speculative_tokens must be at least 1"),
        (#"{"num_speculative_tokens": 2.5}"#, "num_speculative_tokens must be an integer"),
        (#"{"num_speculative_tokens": true}"#, "num_speculative_tokens must be an integer"),
        (#"{"suffix_min_token_prob": 1.5}"#, "suffix_min_token_prob must be in [0, 1]"),
        (#"{"suffix_cache_max_requests": -2}"#, "suffix_cache_max_requests must be -1"),
        (#"{"suffix_cache_max_depth": 0}"#, "suffix_cache_max_depth must be at least 1"),
        (#"{"method": 3}"#, "method must be a string"),
        (#"["suffix"]"#, "expected a JSON object"),
        (#"{"method": "suffix""#, "expected a JSON object"),
    ])
    func invalidConfigsGiveErrorsNamingTheProblem(json: String, message: String) {
        do {
            _ = try SpeculativeConfig(json: json)
            Issue.record("\(json) was accepted")
        } catch {
            #expect(error.description.contains(message), "\(error.description)")
        }
    }
}
