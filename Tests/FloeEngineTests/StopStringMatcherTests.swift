import Testing
@testable import FloeEngine

@Suite struct StopStringMatcherTests {
    func feed(_ matcher: inout StopStringMatcher, _ chunks: [String]) -> [StopStringMatcher.Step] {
        chunks.map { matcher.append($0) }
    }

    @Test func partialMatchIsHeldBackAcrossChunks() {
        var matcher = StopStringMatcher(stopStrings: ["STOP"])
        let steps = feed(&matcher, ["abc ST", "O", "P and more"])
        #expect(steps.map(\.text) == ["abc ", "", ""])
        #expect(steps.last?.matchedStopString == "STOP")
        #expect(matcher.isStopped)
        #expect(matcher.append("later").text == "")
    }

    @Test func heldTextIsReleasedWhenTheMatchFails() {
        var matcher = StopStringMatcher(stopStrings: ["STOP"])
        #expect(feed(&matcher, ["abc ST", "x", "S"]).map(\.text) == ["abc ", "STx", ""])
        #expect(matcher.flush() == "S")
    }

    @Test func earliestOfSeveralStopStringsWins() {
        var matcher = StopStringMatcher(stopStrings: ["world", "lo w", "\n\n"])
        let step = matcher.append("hello world")
        #expect(step == StopStringMatcher.Step(text: "hel", matchedStopString: "lo w"))
    }

    @Test func overlappingPrefixesHoldTheLongestCandidate() {
        var matcher = StopStringMatcher(stopStrings: ["aab", "ab!"])
        #expect(feed(&matcher, ["xa", "a", "b"]).map(\.text) == ["x", "", ""])
        #expect(matcher.isStopped)
    }

    @Test func includingTheStopStringEmitsUpToItsEnd() {
        var matcher = StopStringMatcher(stopStrings: ["STOP"], includesStopString: true)
        let steps = feed(&matcher, ["abc ST", "OP tail"])
        #expect(steps.map(\.text) == ["abc ST", "OP"])
        #expect(steps.last?.matchedStopString == "STOP")
    }

    @Test func matchesInsideGraphemeClustersAndMultibyteText() {
        var matcher = StopStringMatcher(stopStrings: ["\n"])
        #expect(matcher.append("line\r\nnext") == StopStringMatcher.Step(text: "line\r", matchedStopString: "\n"))
        var unicode = StopStringMatcher(stopStrings: ["éé"])
        #expect(feed(&unicode, ["caf", "é", "!é", "é"]).map(\.text) == ["caf", "", "é!", ""])
    }

    @Test func noStopStringsPassesEverythingThrough() {
        var matcher = StopStringMatcher(params: SamplingParams())
        #expect(feed(&matcher, ["a", "b"]).map(\.text) == ["a", "b"])
    }
}
