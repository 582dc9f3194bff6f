import Foundation
import HandoffCore

/// A day of a support queue, simulated event by event, written as the CloudEvents the chat frontend
/// and the agent desktops would publish: customers asking for a person (Poisson arrivals with a daily
/// curve and a spike), agents logging in and out in two shifts, lognormal handle times, customers
/// abandoning after exponential patience, a few seconds for an agent to pick a chat up.
///
/// The parameters and seeds were fixed before the estimator was run against it.
struct WaitSimulation {
    struct Shift {
        var agents: Int
        /// Hours after the start of the day.
        var from: Double
        var to: Double
    }

    var start = Timestamp(rfc3339: "2026-03-02T08:00:00Z")!
    var hours = 12.0
    /// Arrivals per minute at (hour, rate) points, linear in between.
    var rateCurve: [(Double, Double)] = [(0, 0.8), (2, 1.0), (4, 1.0), (5, 0.95), (6, 0.95), (7, 1.1), (12, 0.8)]
    /// Hours [from, to) when arrivals are multiplied by `spikeFactor`.
    var spike = (from: 2.5, to: 3.5)
    var spikeFactor = 1.8
    var meanHandle = 420.0
    var handleCV = 0.8
    var meanPatience = 900.0
    var pickup = (5.0, 20.0)
    var shifts = [Shift(agents: 8, from: 0, to: 6), Shift(agents: 9, from: 5.9, to: 12)]
    var queueHint = "support"

    struct Outcome {
        var lines: [String]
        var customers = 0
        var abandoned = 0
    }

    func rate(at hour: Double) -> Double {
        var base = rateCurve.last!.1
        for (index, point) in rateCurve.enumerated().dropLast() where hour >= point.0 && hour < rateCurve[index + 1].0 {
            let next = rateCurve[index + 1]
            base = point.1 + (next.1 - point.1) * (hour - point.0) / (next.0 - point.0)
        }
        return hour >= spike.from && hour < spike.to ? base * spikeFactor : base
    }

    func run(seed: UInt64) -> Outcome {
        var random = SplitMix64(seed: seed)
        var events: [(time: Double, order: Int, line: String)] = []
        var order = 0
        func emit(_ seconds: Double, _ type: String, subject: String, _ data: [String: JSONValue]) {
            order += 1
            let time = start.adding(milliseconds: Int64((seconds * 1000).rounded()))
            let envelope: JSONValue = .object([
                "specversion": .string("1.0"), "id": .string("sim-\(seed)-\(order)"), "source": .string("urn:sim"), "type": .string(type),
                "time": .string(time.rfc3339), "subject": .string(subject), "data": .object(data),
            ])
            events.append((seconds, order, JSONWriter.string(envelope)))
        }
        func exponential(_ mean: Double) -> Double { -mean * log(1 - Double.random(in: 0..<1, using: &random)) }
        func lognormal() -> Double {
            let sigma2 = log(1 + handleCV * handleCV)
            let mu = log(meanHandle) - sigma2 / 2
            // Box–Muller.
            let u1 = Double.random(in: Double.ulpOfOne..<1, using: &random), u2 = Double.random(in: 0..<1, using: &random)
            return exp(mu + sigma2.squareRoot() * (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2))
        }

        // Arrivals by thinning a Poisson process at the curve's maximum rate.
        let end = hours * 3600
        let maxRate = (rateCurve.map(\.1).max() ?? 1) * spikeFactor / 60
        var arrivals: [Double] = []
        var clock = 0.0
        while true {
            clock += exponential(1 / maxRate)
            if clock >= end { break }
            if Double.random(in: 0..<1, using: &random) < rate(at: clock / 3600) / 60 / maxRate { arrivals.append(clock) }
        }

        enum Happening { case arrival(Int), done(agent: Int), patienceOut(Int), login(Int), logout(Int) }
        var agenda: [(time: Double, seq: Int, what: Happening)] = []
        var seq = 0
        func schedule(_ time: Double, _ what: Happening) {
            seq += 1
            agenda.append((time, seq, what))
        }
        var agents: [(id: String, loggedIn: Bool, busy: Bool, leaving: Bool)] = []
        for shift in shifts {
            for _ in 0..<shift.agents {
                let index = agents.count
                agents.append(("agent-\(index)", false, false, false))
                // Agents arrive and leave over ±10 minutes around the shift's edges.
                schedule(max(0, shift.from * 3600 + Double.random(in: -600...600, using: &random)), .login(index))
                if shift.to < hours { schedule(shift.to * 3600 + Double.random(in: -600...600, using: &random), .logout(index)) }
            }
        }
        for (index, time) in arrivals.enumerated() { schedule(time, .arrival(index)) }
        var waiting: [Int] = []
        var abandonedSet: Set<Int> = []
        var outcome = Outcome(lines: [])

        func conversation(_ customer: Int) -> String { "sim-\(seed)-c\(customer)" }
        func status(_ agent: Int, _ value: String, at time: Double) {
            emit(time, EventType.agentStatus, subject: agents[agent].id, [
                "agent_id": .string(agents[agent].id), "status": .string(value), "queues": .array([.string(queueHint)]), "capacity": .number(1),
            ])
        }
        func serve(_ customer: Int, by agent: Int, at time: Double) {
            agents[agent].busy = true
            let accepted = time + Double.random(in: pickup.0...pickup.1, using: &random)
            emit(accepted, EventType.handoffAccepted, subject: conversation(customer), ["conversation_id": .string(conversation(customer)), "agent_id": .string(agents[agent].id)])
            let finished = accepted + lognormal()
            emit(finished, EventType.handoffCompleted, subject: conversation(customer), [
                "conversation_id": .string(conversation(customer)), "agent_id": .string(agents[agent].id), "handback": .bool(false),
            ])
            schedule(finished, .done(agent: agent))
        }
        func nextWaiting() -> Int? {
            while let first = waiting.first {
                waiting.removeFirst()
                if !abandonedSet.contains(first) { return first }
            }
            return nil
        }
        func freeAgent() -> Int? { agents.indices.first { agents[$0].loggedIn && !agents[$0].busy && !agents[$0].leaving } }

        while !agenda.isEmpty {
            let nextIndex = agenda.indices.min { (agenda[$0].time, agenda[$0].seq) < (agenda[$1].time, agenda[$1].seq) }!
            let (time, _, what) = agenda.remove(at: nextIndex)
            switch what {
            case .arrival(let customer):
                outcome.customers += 1
                let id = conversation(customer)
                emit(time, EventType.conversationStarted, subject: id, [
                    "conversation_id": .string(id), "customer_id": .string("cust-\(customer)"), "channel": .string("web"), "locale": .string("en-GB"),
                ])
                // The handoff is created by this message (an explicit request): its time is the arrival.
                emit(time + 1, EventType.customerMessage, subject: id, [
                    "conversation_id": .string(id), "message_id": .string("\(id)-m1"), "text": .string("I want to talk to a person please"),
                ])
                if let agent = freeAgent(), waiting.isEmpty {
                    serve(customer, by: agent, at: time + 1)
                } else {
                    waiting.append(customer)
                    schedule(time + 1 + exponential(meanPatience), .patienceOut(customer))
                }
            case .patienceOut(let customer):
                guard waiting.contains(customer) else { break }
                waiting.removeAll { $0 == customer }
                abandonedSet.insert(customer)
                outcome.abandoned += 1
                emit(time, EventType.handoffAbandoned, subject: conversation(customer), ["conversation_id": .string(conversation(customer))])
            case .done(let agent):
                agents[agent].busy = false
                if agents[agent].leaving {
                    agents[agent].loggedIn = false
                    status(agent, "offline", at: time)
                } else if let customer = nextWaiting() {
                    serve(customer, by: agent, at: time)
                }
            case .login(let agent):
                agents[agent].loggedIn = true
                status(agent, "available", at: time)
                if let customer = nextWaiting() { serve(customer, by: agent, at: time) }
            case .logout(let agent):
                agents[agent].leaving = true
                status(agent, "away", at: time)
                if !agents[agent].busy {
                    agents[agent].loggedIn = false
                }
            }
        }
        outcome.lines = events.sorted { ($0.time, $0.order) < ($1.time, $1.order) }.map(\.line)
        return outcome
    }
}

/// A small, good, seedable generator (Vigna's SplitMix64): the same seed gives the same day everywhere.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
