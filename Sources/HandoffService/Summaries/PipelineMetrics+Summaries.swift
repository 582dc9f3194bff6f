public import HandoffLLM

// MARK: - Model summaries

extension PipelineMetrics {
    /// One summary finished: which source the agent got, facts proposed and kept (their ratio is the
    /// summary fact retention, distinct from the bot's answer faithfulness), model latency.
    public func summary(_ outcome: LLMSummarizer.Outcome, ahead: Bool) {
        let purpose = ahead ? "ahead" : "handoff"
        counter("handoffd_summaries_total", [("source", outcome.summary.source), ("purpose", purpose)]).increment()
        if outcome.figures.fallbackReason != nil { counter("handoffd_summary_fallbacks_total", [("purpose", purpose)]).increment() }
        counter("handoffd_summary_facts_proposed_total").increment(by: outcome.figures.factsProposed)
        counter("handoffd_summary_facts_kept_total").increment(by: outcome.figures.factsKept)
        counter("handoffd_summary_sentences_removed_total").increment(by: outcome.figures.sentencesRemoved)
        let latency = outcome.latency.components
        recorder("handoffd_llm_latency_seconds").record(Double(latency.seconds) + Double(latency.attoseconds) / 1e18)
    }

    /// How a handoff got its summary at the moment it was published.
    /// - Parameter how: `ready` (written ahead, published at once), `model` (arrived within the
    ///   deadline), `deadline` (went out extractive; an update follows), `unavailable` (queue full or no model).
    public func handoffSummary(_ how: String) {
        counter("handoffd_handoff_summaries_total", [("at_publication", how)]).increment()
    }
}
