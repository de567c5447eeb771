//! The standard `process_*` metrics of this process, read from `/proc/self` (Linux).
//!
//! A missing or unreadable file leaves its metric out rather than reporting a wrong zero.

use super::text::MetricsText;

/// Appends `process_cpu_seconds_total`, `process_resident_memory_bytes`, `process_virtual_memory_bytes`,
/// `process_open_fds`, `process_threads` and `process_start_time_seconds`.
pub fn write(out: &mut MetricsText) {
    // SAFETY: sysconf has no memory-safety preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    // SAFETY: as above.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(1) as f64;
    if let Some(stat) = read_stat() {
        out.counter(
            "process_cpu_seconds_total",
            "Total user and system CPU time spent in seconds.",
            (stat.utime + stat.stime) as f64 / ticks,
        );
        out.gauge(
            "process_resident_memory_bytes",
            "Resident memory size in bytes.",
            stat.rss_pages as f64 * page,
        );
        out.gauge(
            "process_virtual_memory_bytes",
            "Virtual memory size in bytes.",
            stat.vsize as f64,
        );
        out.gauge(
            "process_threads",
            "Number of OS threads in the process.",
            stat.threads as f64,
        );
        if let Some(boot) = boot_time() {
            out.gauge(
                "process_start_time_seconds",
                "Start time of the process since unix epoch in seconds.",
                boot + stat.start_ticks as f64 / ticks,
            );
        }
    }
    if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
        out.gauge(
            "process_open_fds",
            "Number of open file descriptors.",
            fds.count() as f64,
        );
    }
}

/// Fields of `/proc/self/stat` used above.
#[derive(Debug, PartialEq, Eq)]
pub struct ProcStat {
    pub utime: u64,
    pub stime: u64,
    pub threads: u64,
    pub start_ticks: u64,
    pub vsize: u64,
    pub rss_pages: u64,
}

fn read_stat() -> Option<ProcStat> {
    parse_stat(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

/// Parses `/proc/<pid>/stat` (the command name may contain spaces and parentheses).
pub fn parse_stat(text: &str) -> Option<ProcStat> {
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the command: field 3 (state) is index 0, so field N is index N - 3.
    let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    Some(ProcStat {
        utime: field(14)?,
        stime: field(15)?,
        threads: field(20)?,
        start_ticks: field(22)?,
        vsize: field(23)?,
        rss_pages: field(24)?,
    })
}

fn boot_time() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_odd_command_names() {
        let text = "42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 5 0 1234 1000000 250 18446744073709551615";
        let s = parse_stat(text).expect("parses");
        assert_eq!(
            s,
            ProcStat {
                utime: 7,
                stime: 3,
                threads: 5,
                start_ticks: 1234,
                vsize: 1_000_000,
                rss_pages: 250
            }
        );
    }

    #[test]
    fn own_process_metrics_are_present() {
        let mut m = MetricsText::new();
        write(&mut m);
        let text = m.finish();
        assert!(text.contains("process_resident_memory_bytes "), "{text}");
        assert!(text.contains("process_cpu_seconds_total "), "{text}");
    }
}
