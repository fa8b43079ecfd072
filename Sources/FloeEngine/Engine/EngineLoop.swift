/// The engine thread's state and its step: admit, schedule, execute, update, deliver.
///
/// Confined to the engine thread (not `Sendable`): only `EngineMailbox` crosses threads.
final class EngineLoop {
    private struct Stream {
        var continuation: EngineMailbox.Continuation
        /// Child request ids still unfinished.
        var unfinished: Set<RequestID>
    }

    private var scheduler: Scheduler
    private let executor: any ModelExecutor
    private let mailbox: EngineMailbox
    private var streams: [RequestID: Stream] = [:]
    /// Scheduler request id → (client id, sample index).
    private var owners: [RequestID: (client: RequestID, sampleIndex: Int)] = [:]
    /// Stream operations of this iteration, handed to `delivery` at its end.
    private var pending: [OutputDelivery.Operation] = []
    private let delivery: OutputDelivery

    init(scheduler: Scheduler, executor: any ModelExecutor, mailbox: EngineMailbox) {
        self.scheduler = scheduler
        self.executor = executor
        self.mailbox = mailbox
        delivery = OutputDelivery(mailbox: mailbox)
    }

    func run() {
        defer {
            delivery.send(pending)
            delivery.drain()
            mailbox.markExited()
        }
        var madeProgress = true
        while true {
            let inbox = mailbox.take(waitingIfEmpty: !scheduler.hasUnfinishedRequests || !madeProgress)
            if inbox.isShutDown {
                // Requests posted together with the shutdown end with it too.
                for submission in inbox.submissions {
                    pending += [.finish(submission.continuation, EngineError.shutDown), .release(submission.request.id)]
                }
                for id in Array(streams.keys) { endStream(id, error: EngineError.shutDown) }
                return
            }
            inbox.submissions.forEach(admit)
            for (id, reason) in inbox.finishes { finishClientRequest(id, reason: reason) }
            madeProgress = scheduler.hasUnfinishedRequests ? step() : true
            mailbox.stats = scheduler.stats
            delivery.send(pending)
            pending.removeAll(keepingCapacity: true)
        }
    }

    /// One step; false when nothing could be scheduled.
    private func step() -> Bool {
        let output = scheduler.schedule()
        // Nothing to run (only if an executor returned no token for a request that needed
        // one): nothing changes until a request arrives or finishes, so the loop waits for
        // the inbox instead of spinning.
        guard !output.isEmpty else {
            _ = scheduler.update(from: ModelRunnerOutput(sampledTokens: [:]))
            return false
        }
        let result: ModelRunnerOutput
        do {
            result = try executor.execute(output)
        } catch {
            let failed = scheduler.failStep()
            let clients = Set(failed.compactMap { owners[$0]?.client })
            for client in clients { endStream(client, error: EngineError.executorFailed(String(describing: error))) }
            return true
        }
        let updates = scheduler.update(from: result)
        // Publish stats before waking clients, so a caller that awaited its output sees them.
        mailbox.stats = scheduler.stats
        for update in updates { deliver(update) }
        return true
    }

    private func admit(_ submission: EngineMailbox.Submission) {
        let request = submission.request
        let children = Request.parallelSamples(
            of: request.id, promptTokenIDs: request.promptTokenIDs, params: request.params, eosTokenIDs: request.eosTokenIDs)
        var added: [RequestID] = []
        do {
            for child in children {
                try scheduler.add(child)
                added.append(child.id)
            }
        } catch {
            // Checked before posting, so only a clash with an internal child id lands here: the
            // children added so far go, the clashing id belongs to another request.
            scheduler.finish(added, reason: .abort)
            pending += [.finish(submission.continuation, EngineError.rejected(error)), .release(request.id)]
            return
        }
        for child in children { owners[child.id] = (request.id, child.sampleIndex) }
        streams[request.id] = Stream(continuation: submission.continuation, unfinished: Set(children.map(\.id)))
    }

    private func deliver(_ update: RequestStepOutput) {
        guard let owner = owners[update.id], var stream = streams[owner.client] else { return }
        pending.append(.yield(stream.continuation,
            RequestOutput(
                requestID: owner.client, sampleIndex: owner.sampleIndex, newTokenIDs: update.newTokenIDs,
                logprobs: update.logprobs, promptLogprobs: update.promptLogprobs, finishReason: update.finishReason,
                stopTokenID: update.stopTokenID)))
        guard update.isFinished else { return }
        owners[update.id] = nil
        stream.unfinished.remove(update.id)
        streams[owner.client] = stream
        if stream.unfinished.isEmpty { endStream(owner.client, error: nil) }
    }

    /// A client abort or a stop string: ends every unfinished sample of a client request, or
    /// just one sample when `id` names a child (a stop string found in sample `i` of `n`).
    private func finishClientRequest(_ id: RequestID, reason: FinishReason) {
        let samples: [RequestID]
        if let stream = streams[id] {
            samples = stream.unfinished.sorted { owners[$0]!.sampleIndex < owners[$1]!.sampleIndex }
        } else if let owner = owners[id], streams[owner.client]?.unfinished.contains(id) == true {
            samples = [id]
        } else {
            return
        }
        scheduler.finish(samples, reason: reason)
        for sample in samples { deliver(RequestStepOutput(id: sample, newTokenIDs: [], finishReason: reason)) }
    }

    /// Closes a client's stream, first ending any sample still in the scheduler.
    private func endStream(_ client: RequestID, error: (any Error)?) {
        guard let stream = streams.removeValue(forKey: client) else { return }
        scheduler.finish(stream.unfinished, reason: .abort)
        for id in stream.unfinished { owners[id] = nil }
        pending += [.finish(stream.continuation, error), .release(client)]
    }
}
