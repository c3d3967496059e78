// The watch pipeline's per-sample detector work without the store: one BaselineState per
// series in one array, one count-combination GroupScorer per 377 series (the built-in
// rule's instance groups), samples one second apart, 60 % counters. Deterministic, so
// its instruction count under callgrind compares SeismoDetect versions (run it with two
// round counts and divide the difference by the extra updates); the checksum must not
// change when the detectors are only made faster.
//
//     seismo-detectbench pipeline [series] [rounds]
import SeismoDetect

@inline(never)
func runPipelineLoop(series seriesCount: Int, rounds: Int) {
    let groupSize = 377
    var rng = XorShift(s: 0x1234_5678_9abc_def1)
    var states = (0..<seriesCount).map { BaselineState(isCounter: $0 % 5 < 3) }
    var groups = (0..<(seriesCount + groupSize - 1) / groupSize).map { _ in
        GroupScorer(memberCount: groupSize, combination: .count)
    }
    var values = (0..<seriesCount).map { Double($0 % 1000) * 1000 }
    let parameters = PackedParameters.default
    var checksum = 0.0
    let cpu = threadCPUNanoseconds()
    for r in 0..<rounds {
        let second = Int64(1_800_000_000 + r)
        for i in 0..<seriesCount {
            // Counters grow by whole steps; gauges wander, with a rare spike.
            let u = UInt64(rng.next() * Double(1 << 24))
            if i % 5 < 3 {
                values[i] += Double(u % 1000)
            } else {
                values[i] = 5000 + Double(u % 100) + (u % 997 == 0 ? 50000 : 0)
            }
            if let s = states[i].update(second: second, value: values[i], parameters: parameters) {
                groups[i / groupSize].record(member: i % groupSize, second: second, score: s)
            }
        }
        for g in groups.indices { checksum += groups[g].groupScore() }
    }
    let ns = Double(threadCPUNanoseconds() - cpu) / Double(seriesCount * rounds)
    print("pipeline loop: \(seriesCount) series x \(rounds) rounds, \(oneDecimal(ns)) cpu ns/update, checksum \(checksum)")
}
