import Hummingbird
import NIOCore

/// Hummingbird's basic context plus the request's connection, so a non-streaming generation can
/// notice that its client hung up (see `ClientHangUpDetector`) and abort, freeing its KV
/// blocks, instead of computing an answer nobody reads.
struct FloeRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
