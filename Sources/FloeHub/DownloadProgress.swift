import Foundation

/// A one-line progress bar on stderr for a file download, redrawn at most ten times a second.
/// When stderr is not a terminal (logs, CI) it prints one line when the file starts and one
/// when it ends, so logs stay readable.
struct DownloadProgress {
    let file: String
    let total: Int
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let started = ContinuousClock.now
    private var lastDraw = ContinuousClock.now - .seconds(1)
    private let resumedFrom: Int

    init(file: String, total: Int, resumedFrom: Int) {
        self.file = file
        self.total = total
        self.resumedFrom = resumedFrom
        if !isTerminal {
            let resumed = resumedFrom > 0 ? ", resuming at \(Self.megabytes(resumedFrom))" : ""
            Self.write("downloading \(file) (\(Self.megabytes(total))\(resumed))\n")
        }
    }

    mutating func update(done: Int) {
        guard isTerminal, ContinuousClock.now - lastDraw >= .milliseconds(100) else { return }
        lastDraw = .now
        draw(done: done)
    }

    func finish(done: Int) {
        if isTerminal {
            draw(done: done)
            Self.write("\n")
        } else {
            Self.write("downloaded \(file) (\(Self.megabytes(done)))\n")
        }
    }

    private func draw(done: Int) {
        let fraction = total > 0 ? min(Double(done) / Double(total), 1) : 1
        let width = 30
        let filled = Int(fraction * Double(width))
        let elapsed = (ContinuousClock.now - started).seconds
        let rate = elapsed > 0 ? Double(done - resumedFrom) / elapsed : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let percent = String(Int(fraction * 100))
        let padded = String(repeating: " ", count: 3 - percent.count) + percent
        Self.write(
            "\r\(file) [\(bar)] \(padded)% \(Self.megabytes(done))/\(Self.megabytes(total)) \(Self.megabytes(Int(rate)))/s\u{1B}[K")
    }

    private static func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }

    private static func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
