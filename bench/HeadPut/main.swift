// Head.put micro-benchmark: ns per put for in-order 1 Hz writes, with and without late
// writes. Run: ENABLE_BENCHMARKS=1 swift build -c release --product seismo-headbench
//              .build/release/seismo-headbench [series] [seconds]
import SeismoStore

let args = CommandLine.arguments
let series = args.count > 1 ? Int(args[1]) ?? 10_000 : 10_000
let seconds = args.count > 2 ? Int(args[2]) ?? 600 : 600

for round in 1...3 {
    for (name, lateEvery) in [("in-order", 0), ("1% late (100 s back)", 100)] {
        let r = HeadPutBenchmark.run(series: series, seconds: seconds, lateEvery: lateEvery)
        let perPut = r.nanoseconds / Double(r.puts)
        print("round \(round) \(name): \(r.puts) puts, \(String(format: "%.2f", perPut)) ns/put, \(r.headSamples) samples in head")
    }
}
