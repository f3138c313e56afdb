// libFuzzer target: the spool record reader (SpoolRecord.decodeAll, CRC32), compiled from
// Sources/HookwayIngress/Spool/SpoolRecord.swift and CRC32.swift, which need only the
// standard library.
//
// Invariants: record ends increase and stay inside the input; every decoded record encodes
// to a frame that decodes back to the same record; decoded + skipped never exceeds the input.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSpool(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // Half the inputs get a valid frame around them so the payload decoder is reached often.
    if let first = bytes.first, first & 1 == 1 {
        let payload = Array(bytes.dropFirst())
        var framed = Array("HWS1".utf8)
        SpoolRecord.append32(UInt32(payload.count), to: &framed)
        SpoolRecord.append32(CRC32.checksum(payload), to: &framed)
        bytes = framed + payload
    }
    let (records, skipped) = SpoolRecord.decodeAll(bytes)
    var last = 0
    var framedBytes = 0
    for (record, end) in records {
        precondition(end > last && end <= bytes.count, "record end \(end) out of order")
        last = end
        let encoded = record.encoded()
        framedBytes += encoded.count
        let again = SpoolRecord.decodeAll(encoded)
        precondition(again.records.count == 1 && again.records[0].record == record && again.skippedBytes == 0, "record does not round-trip")
    }
    precondition(skipped >= 0 && skipped <= bytes.count, "skipped \(skipped) of \(bytes.count)")
    return 0
}
