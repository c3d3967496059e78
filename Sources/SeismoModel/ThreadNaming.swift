import CSeismoThreadName

/// Names the calling thread for the kernel (`top -H`, `/proc/PID/task/*/comm`, perf's
/// per-thread reports). Foundation's `Thread.name` does not reach the kernel on Linux: a
/// thread started by Foundation keeps the name of whichever thread created it, often a
/// Dispatch worker's "com.apple.root.default-qos". The kernel keeps 15 bytes.
public func nameCurrentThread(_ name: String) {
    seismo_name_current_thread(name)
}
