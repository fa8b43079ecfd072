/// A model named by its Hugging Face Hub repo id, as `floe serve` takes it.
///
/// Syntax: `org/name` (a safetensors model: config, tokenizer, weights) or `org/name:file.gguf`
/// (one GGUF file of the repo, which may sit in a folder: `org/name:q4/model.gguf`). The
/// revision (branch, tag or commit) comes from `--revision`, `main` by default.
public struct HubModelReference: Sendable, Equatable {
    public var repo: String
    public var revision: String
    /// The GGUF file to take; nil takes the safetensors model.
    public var ggufFile: String?

    public init(repo: String, revision: String = "main", ggufFile: String? = nil) throws(HubError) {
        let parts = repo.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(Self.isRepoCharacter) }),
            parts.allSatisfy({ !$0.hasPrefix(".") && !$0.hasPrefix("-") })
        else {
            throw .invalidReference("'\(repo)' is not a repo id of the form org/name")
        }
        guard !revision.isEmpty, !revision.contains("..") else { throw .invalidReference("bad revision '\(revision)'") }
        if let ggufFile {
            guard ggufFile.hasSuffix(".gguf"), !ggufFile.hasPrefix("/"), !ggufFile.split(separator: "/").contains("..") else {
                throw .invalidReference("'\(ggufFile)' is not a .gguf file path inside the repo")
            }
        }
        self.repo = repo
        self.revision = revision
        self.ggufFile = ggufFile
    }

    /// Parses `org/name` or `org/name:file.gguf`; nil when `text` does not look like a repo id
    /// at all (so the caller can report a missing local path instead).
    public static func parse(_ text: String, revision: String = "main", ggufFile: String? = nil) throws(HubError)
        -> HubModelReference?
    {
        var repo = Substring(text)
        var file = ggufFile
        if let colon = text.firstIndex(of: ":") {
            repo = text[..<colon]
            let named = String(text[text.index(after: colon)...])
            if let ggufFile, ggufFile != named {
                throw .invalidReference("'\(text)' names a GGUF file and --gguf-file names another ('\(ggufFile)')")
            }
            file = named
        }
        let parts = repo.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(isRepoCharacter) }) else { return nil }
        return try HubModelReference(repo: String(repo), revision: revision, ggufFile: file)
    }

    /// The hub's rule for repo id characters.
    static func isRepoCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == "_" || c == ".")
    }

    /// A 40-hex-digit commit id needs no ref lookup.
    var revisionIsCommit: Bool { revision.count == 40 && revision.allSatisfy(\.isHexDigit) }
}
