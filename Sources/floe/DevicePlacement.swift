import ArgumentParser

/// `--device` and `--dtype`, checked together: vLLM's names, and what each device can do.
struct DevicePlacement {
    static let devices = ["cpu", "cuda"]
    static let dtypes = ["auto", "float32", "bfloat16", "float16"]

    let device: String
    let dtype: String

    init(device: String, dtype: String) throws {
        let device = device.lowercased(), dtype = dtype.lowercased()
        guard Self.devices.contains(device) else {
            throw ValidationError("--device \(device): expected one of \(Self.devices.joined(separator: ", "))")
        }
        guard Self.dtypes.contains(dtype) else {
            throw ValidationError("--dtype \(dtype): expected one of \(Self.dtypes.joined(separator: ", "))")
        }
        if device == "cpu", !["auto", "float32"].contains(dtype) {
            throw ValidationError(
                "--dtype \(dtype) is not supported on --device cpu: the CPU backend computes in float32 (weights stay as stored); use auto or float32")
        }
        if device == "cuda" {
            throw ValidationError("--device cuda: this floe was built without the CUDA backend; use --device cpu")
        }
        self.device = device
        self.dtype = dtype
    }
}
