/// A data-protection request (`support.customer.erase`): forget every conversation of one customer,
/// tombstone their stored state and cancel their pending callbacks.
///
/// The request lands on one partition of the conversations topic (keyed by the customer id), but the
/// customer's conversations may live on any partition: the instance that reads the request sends a copy
/// to every other partition, and each partition's owner erases what it holds.
public struct CustomerErase: Sendable, Equatable {
    /// The CloudEvents `id` of the request; its copies carry it as `erase_id`.
    public var id: String
    public var customerID: String
    public var time: Timestamp
    /// The partition a copy was sent to; nil on the request itself (which must still be spread).
    public var partition: Int?

    public init(id: String, customerID: String, time: Timestamp, partition: Int? = nil) {
        self.id = id
        self.customerID = customerID
        self.time = time
        self.partition = partition
    }

    /// The request as a CloudEvent envelope: the original (no ``partition``), or a copy for one partition
    /// (with its own id, and `erase_id` and `partition` in its data).
    public func envelope(source: String) -> JSONValue {
        var data: [String: JSONValue] = ["customer_id": .string(customerID)]
        if let partition {
            data["erase_id"] = .string(id)
            data["partition"] = .number(Double(partition))
        }
        return .object([
            "specversion": .string("1.0"),
            "id": .string(partition.map { "\(id)/p\($0)" } ?? id),
            "source": .string(source),
            "type": .string(EventType.customerErase),
            "time": .string(time.rfc3339),
            "subject": .string(customerID),
            "datacontenttype": .string("application/json"),
            "data": .object(data),
        ])
    }

    /// The copy for one partition (produced to that partition explicitly).
    public func copy(forPartition partition: Int, source: String) -> JSONValue {
        CustomerErase(id: id, customerID: customerID, time: time, partition: partition).envelope(source: source)
    }
}
