// ns per GroupScorer.update for one group of `seriesCount` members (the built-in rule's
// shape: every series of an instance in one group), both combinations, beside a scan
// of all members per update (what GroupScorer did before it kept a running sum), so
// the difference is measured in the same run.
import Dispatch
import SeismoDetect

/// The previous definition: a scan over every member per update.
struct ScanningGroup {
    var scores: [Double]
    var seconds: [Int64]
    var newest = Int64.min
    init(members: Int) {
        scores = Array(repeating: 0, count: members)
        seconds = Array(repeating: .min, count: members)
    }
    mutating func update(member: Int, second: Int64, score: Double) -> Double {
        scores[member] = score
        seconds[member] = second
        newest = max(newest, second)
        var quiet = 1.0
        for i in 0..<scores.count where scores[i] >= 0.5 && newest - seconds[i] <= 60 { quiet *= 1 - min(scores[i], 1 - 1e-12) }
        return 1 - quiet
    }
}

func measureGroups(members: Int, seconds: Int) {
    func run(_ name: String, _ update: (Int, Int64, Double) -> Double) {
        var rng = XorShift(s: 0x9e37_79b9_7f4a_7c15)
        var checksum = 0.0
        let wall = DispatchTime.now().uptimeNanoseconds
        let cpu = threadCPUNanoseconds()
        for second in 0..<seconds {
            for m in 0..<members {
                let u = rng.next()
                checksum += update(m, Int64(second), u > 0.995 ? 0.95 : u * 0.4)
            }
        }
        let n = Double(members * seconds)
        let wallNs = Double(DispatchTime.now().uptimeNanoseconds - wall) / n
        let cpuNs = Double(threadCPUNanoseconds() - cpu) / n
        print("group \(name.rightPadded(22)) members \(members): \(String(oneDecimal(wallNs)).leftPadded(9)) ns/update wall, \(String(oneDecimal(cpuNs)).leftPadded(9)) cpu   (\(Int(checksum)))")
    }
    var noisy = GroupScorer(memberCount: members)
    run("noisy_or (running sum)") { noisy.update(member: $0, second: $1, score: $2) }
    var count = GroupScorer(memberCount: members, combination: .count)
    run("count") { count.update(member: $0, second: $1, score: $2) }
    var scan = ScanningGroup(members: members)
    run("noisy_or (scan, before)") { scan.update(member: $0, second: $1, score: $2) }
}

