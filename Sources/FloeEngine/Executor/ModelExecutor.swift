/// Runs scheduled steps on a model: the only way the engine reaches tensors.
///
/// Called by `EngineCore` on its own thread, one step at a time, so implementations need no
/// locking. Sampling happens in the executor, as in vLLM's model runner, because that is where
/// the logits are (on the device, for GPU runners): for each scheduled request with
/// `needsLogits` it returns the sampled token, with log-probabilities when the request's
/// params ask for them. Per-request sampler state belongs to the executor: it creates it when
/// a `ScheduledRequest` carries `newRequest` and drops it for `finishedRequestIDs` and
/// `preemptedRequestIDs` (`RequestSamplers` does this bookkeeping).
///
/// Throwing fails every request of the step (their streams end with the error, their blocks
/// are freed) and the engine carries on with the rest.
public protocol ModelExecutor: AnyObject {
    func execute(_ output: SchedulerOutput) throws -> ModelRunnerOutput
}
