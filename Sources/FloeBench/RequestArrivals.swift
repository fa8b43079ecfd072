import FloeEngine
import Foundation

/// When requests are sent, as vLLM's `bench serve` spaces them: all at once for an infinite
/// rate, else gaps drawn from a gamma distribution with mean `1 / rate` and shape
/// `burstiness` (1 is a Poisson process; lower is burstier, higher more regular).
public struct RequestArrivals: Sendable {
    public var rate: Double
    public var burstiness: Double

    public init(rate: Double, burstiness: Double) throws {
        guard rate > 0 else { throw BenchError.invalid("--request-rate must be positive or inf, got \(rate)") }
        guard burstiness > 0 else { throw BenchError.invalid("--burstiness must be positive, got \(burstiness)") }
        self.rate = rate
        self.burstiness = burstiness
    }

    /// Seconds to wait before each request.
    public func gaps(count: Int, seed: UInt64) -> [Double] {
        guard rate.isFinite else { return [Double](repeating: 0, count: count) }
        var generator = SeededGenerator(seed: seed)
        let scale = 1 / (rate * burstiness)  // gamma(shape k, scale θ) has mean kθ = 1 / rate
        return (0..<count).map { _ in Self.gamma(shape: burstiness, using: &generator) * scale }
    }

    /// Marsaglia and Tsang's method (shape ≥ 1), boosted by U^(1/k) for shape < 1.
    static func gamma(shape: Double, using generator: inout SeededGenerator) -> Double {
        if shape < 1 {
            let u = uniform(&generator)
            return gamma(shape: shape + 1, using: &generator) * pow(u, 1 / shape)
        }
        let d = shape - 1.0 / 3, c = 1 / (9 * d).squareRoot()
        while true {
            var x = 0.0, v = 0.0
            repeat {
                x = normal(&generator)
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = uniform(&generator)
            if log(u) < 0.5 * x * x + d - d * v + d * log(v) { return d * v }
        }
    }

    /// Uniform in (0, 1).
    static func uniform(_ generator: inout SeededGenerator) -> Double {
        (Double(generator.next() >> 11) + 0.5) / Double(1 << 53)
    }

    static func normal(_ generator: inout SeededGenerator) -> Double {
        (-2 * log(uniform(&generator))).squareRoot() * cos(2 * .pi * uniform(&generator))
    }
}
