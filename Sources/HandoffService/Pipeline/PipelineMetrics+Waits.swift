public import HandoffCore

// MARK: - Wait estimates

extension PipelineMetrics {
    /// A handoff of this instance was accepted: how far its estimate at creation was off.
    public func waitScored(queue: String, estimate: WaitEstimate?, waited: Double) {
        recorder("handoffd_wait_seconds", [("queue", queue)]).record(waited)
        guard let predicted = estimate?.seconds else { return }
        recorder("handoffd_wait_estimate_error_seconds", [("queue", queue)]).record(abs(predicted - waited))
        if let low = estimate?.p10, let high = estimate?.p90 {
            counter("handoffd_wait_estimates_scored_total", [("queue", queue), ("in_interval", waited >= low && waited <= high ? "true" : "false")]).increment()
        }
    }

    /// From a global-log record's timestamp to its application in the queue view (last batch).
    public func globalView(delayMilliseconds: Int64) {
        gauge("handoffd_global_view_delay_seconds").record(Double(delayMilliseconds) / 1000)
    }
}
