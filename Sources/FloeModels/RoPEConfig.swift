import Foundation

/// Rotary position embedding parameters and the per-pair inverse frequencies they give.
public struct RoPEConfig: Sendable, Equatable {
    public enum Scaling: Sendable, Equatable {
        case none
        /// Llama 3.1's frequency-dependent scaling (`rope_type: "llama3"`).
        case llama3(factor: Float, lowFrequencyFactor: Float, highFrequencyFactor: Float, originalMaxPositions: Int)
    }

    public var theta: Float
    public var scaling: Scaling

    public init(theta: Float, scaling: Scaling = .none) {
        self.theta = theta
        self.scaling = scaling
    }

    /// `1 / theta^(2i / headDim)` for each rotated pair `i`, scaled as configured; computed in
    /// double precision and rounded once, as transformers computes them in float32 from int64
    /// exponents.
    public func inverseFrequencies(headDim: Int) -> [Float] {
        let half = headDim / 2
        var frequencies = (0..<half).map { i -> Float in
            // transformers: 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim)), all float32.
            let exponent = Float(2 * i) / Float(headDim)
            return 1 / Float(pow(Double(theta), Double(exponent)))
        }
        if case .llama3(let factor, let low, let high, let original) = scaling {
            let lowWavelength = Float(original) / low
            let highWavelength = Float(original) / high
            frequencies = frequencies.map { frequency in
                let wavelength = 2 * Float.pi / frequency
                if wavelength < highWavelength { return frequency }
                if wavelength > lowWavelength { return frequency / factor }
                let smooth = (Float(original) / wavelength - low) / (high - low)
                return (1 - smooth) * frequency / factor + smooth * frequency
            }
        }
        return frequencies
    }
}
