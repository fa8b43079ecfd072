import NIOCore
import Synchronization

/// Notices that an HTTP client closed its side of the connection.
///
/// Hummingbird allows remote half-closure, so a client that hangs up leaves the channel active
/// (`isActive` stays true) and only an `inputClosed` event tells. HTTP/1.1 clients do not
/// half-close while waiting for a response, so for a request in progress this means the client
/// is gone. One instance per connection, in the pipeline after the HTTP codec.
final class ClientHangUpDetector: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOAny

    private let closed = Atomic<Bool>(false)

    var clientHasHungUp: Bool { closed.load(ordering: .relaxed) }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed? = event as? ChannelEvent { closed.store(true, ordering: .relaxed) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed.store(true, ordering: .relaxed)
        context.fireChannelInactive()
    }
}
