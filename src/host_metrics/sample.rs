//! Reading host metrics from `/proc` and `statvfs(3)` and shaping them as ECS / Metricbeat documents.
//!
//! One sample yields: one `metricset.name = "host"` document (CPU, load, memory, swap), one `filesystem`
//! document per real mounted file system and one `network` document per interface. CPU percentages are the
//! share of the jiffies since the previous sample (`pct` is a fraction: 0.25 = 25 %; `total.pct` goes up to
//! the number of cores, `total.norm.pct` up to 1); network fields are the kernel's cumulative counters.
//! Every parser takes the file's text, so it is tested without `/proc`.

use crate::event::timestamp;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::ffi::CString;

/// CPU jiffies from the `cpu` line of `/proc/stat`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuTimes {
    pub user: u64,
    pub nice: u64,
    pub system: u64,
    pub idle: u64,
    pub iowait: u64,
    pub irq: u64,
    pub softirq: u64,
    pub steal: u64,
}

impl CpuTimes {
    fn total(&self) -> u64 {
        self.user
            + self.nice
            + self.system
            + self.idle
            + self.iowait
            + self.irq
            + self.softirq
            + self.steal
    }
}

/// (aggregate times, number of cores) from `/proc/stat`.
pub fn parse_cpu(stat: &str) -> Option<(CpuTimes, usize)> {
    let mut times = None;
    let mut cores = 0;
    for line in stat.lines() {
        let mut parts = line.split_whitespace();
        match parts.next() {
            Some("cpu") => {
                let v: Vec<u64> = parts.filter_map(|p| p.parse().ok()).collect();
                let at = |i: usize| v.get(i).copied().unwrap_or(0);
                times = Some(CpuTimes {
                    user: at(0),
                    nice: at(1),
                    system: at(2),
                    idle: at(3),
                    iowait: at(4),
                    irq: at(5),
                    softirq: at(6),
                    steal: at(7),
                });
            }
            Some(name) if name.starts_with("cpu") => cores += 1,
            _ => {}
        }
    }
    times.map(|t| (t, cores.max(1)))
}

/// (load 1, 5, 15) from `/proc/loadavg`.
pub fn parse_loadavg(text: &str) -> Option<(f64, f64, f64)> {
    let mut parts = text.split_whitespace().map(|p| p.parse::<f64>().ok());
    Some((parts.next()??, parts.next()??, parts.next()??))
}

/// Memory in bytes from `/proc/meminfo`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Memory {
    pub total: u64,
    pub free: u64,
    pub available: u64,
    pub swap_total: u64,
    pub swap_free: u64,
}

pub fn parse_meminfo(text: &str) -> Memory {
    let mut m = Memory::default();
    for line in text.lines() {
        let mut parts = line.split_whitespace();
        let (Some(name), Some(value)) = (parts.next(), parts.next()) else {
            continue;
        };
        let bytes = value.parse::<u64>().unwrap_or(0) * 1024;
        match name {
            "MemTotal:" => m.total = bytes,
            "MemFree:" => m.free = bytes,
            "MemAvailable:" => m.available = bytes,
            "SwapTotal:" => m.swap_total = bytes,
            "SwapFree:" => m.swap_free = bytes,
            _ => {}
        }
    }
    m
}

/// One interface's counters from `/proc/net/dev`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    pub name: String,
    /// bytes, packets, errors, dropped (received).
    pub rx: [u64; 4],
    /// bytes, packets, errors, dropped (sent).
    pub tx: [u64; 4],
}

pub fn parse_net_dev(text: &str) -> Vec<Interface> {
    text.lines()
        .filter_map(|line| {
            let (name, rest) = line.split_once(':')?;
            let v: Vec<u64> = rest
                .split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect();
            if v.len() < 12 {
                return None;
            }
            Some(Interface {
                name: name.trim().to_string(),
                rx: [v[0], v[1], v[2], v[3]],
                tx: [v[8], v[9], v[10], v[11]],
            })
        })
        .collect()
}

/// File system types that are not storage.
const PSEUDO_FS: &[&str] = &[
    "proc",
    "sysfs",
    "devtmpfs",
    "devpts",
    "tmpfs",
    "cgroup",
    "cgroup2",
    "securityfs",
    "debugfs",
    "tracefs",
    "pstore",
    "bpf",
    "mqueue",
    "hugetlbfs",
    "autofs",
    "binfmt_misc",
    "fusectl",
    "configfs",
    "nsfs",
    "rpc_pipefs",
    "ramfs",
    "rootfs",
    "sockfs",
    "pipefs",
    "efivarfs",
    "selinuxfs",
    "fuse.lxcfs",
    "squashfs",
];

/// (device, mount point, type) of real file systems in `/proc/self/mounts`, one per device.
pub fn parse_mounts(text: &str, only: &[String]) -> Vec<(String, String, String)> {
    let mut seen = HashSet::new();
    text.lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let device = parts.next()?.to_string();
            let mount = parts.next()?.replace("\\040", " ");
            let kind = parts.next()?.to_string();
            Some((device, mount, kind))
        })
        .filter(|(_, mount, kind)| {
            if only.is_empty() {
                !PSEUDO_FS.contains(&kind.as_str())
            } else {
                only.iter().any(|m| m == mount)
            }
        })
        .filter(|(device, _, _)| seen.insert(device.clone()))
        .collect()
}

/// (total, free, available) bytes of the file system at `mount`.
fn statvfs(mount: &str) -> Option<(u64, u64, u64)> {
    let path = CString::new(mount).ok()?;
    // SAFETY: statvfs writes only into the zeroed struct we own; the path is NUL-terminated.
    let mut buf: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    if unsafe { libc::statvfs(path.as_ptr(), &mut buf) } != 0 {
        return None;
    }
    let unit = buf.f_frsize as u64;
    Some((
        buf.f_blocks as u64 * unit,
        buf.f_bfree as u64 * unit,
        buf.f_bavail as u64 * unit,
    ))
}

fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        ((part as f64 / whole as f64) * 10_000.0).round() / 10_000.0
    }
}

/// Keeps the previous CPU sample between calls.
pub struct Sampler {
    previous_cpu: Option<CpuTimes>,
    mount_points: Vec<String>,
}

impl Sampler {
    pub fn new(mount_points: Vec<String>) -> Sampler {
        let previous_cpu = read("/proc/stat")
            .and_then(|s| parse_cpu(&s))
            .map(|(t, _)| t);
        Sampler {
            previous_cpu,
            mount_points,
        }
    }

    /// The documents of one sample.
    pub fn sample(&mut self, host: &str) -> Vec<Value> {
        let now = timestamp::now();
        let base = |metricset: &str| {
            json!({
                "@timestamp": now,
                "host": {"name": host},
                "event": {"dataset": "system.metrics", "module": "system", "kind": "metric"},
                "metricset": {"name": metricset},
            })
        };
        let mut events = Vec::new();
        let mut system = serde_json::Map::new();
        let mut host_doc = base("host");
        if let Some((cpu, cores)) = read("/proc/stat").and_then(|s| parse_cpu(&s)) {
            if let Some(before) = self.previous_cpu.replace(cpu) {
                let d = |a: u64, b: u64| a.saturating_sub(b);
                let total = d(cpu.total(), before.total());
                let idle = d(cpu.idle, before.idle) + d(cpu.iowait, before.iowait);
                let busy = total.saturating_sub(idle);
                let share = |part: u64| json!({"pct": pct(part, total) * cores as f64, "norm": {"pct": pct(part, total)}});
                system.insert(
                    "cpu".into(),
                    json!({
                        "cores": cores,
                        "total": share(busy),
                        "user": share(d(cpu.user, before.user)),
                        "system": share(d(cpu.system, before.system)),
                        "idle": share(d(cpu.idle, before.idle)),
                        "iowait": share(d(cpu.iowait, before.iowait)),
                        "steal": share(d(cpu.steal, before.steal)),
                    }),
                );
                host_doc["host"]["cpu"] = json!({"usage": pct(busy, total)});
            }
            if let Some((l1, l5, l15)) = read("/proc/loadavg").and_then(|s| parse_loadavg(&s)) {
                let c = cores as f64;
                system.insert(
                    "load".into(),
                    json!({"1": l1, "5": l5, "15": l15, "cores": cores,
                           "norm": {"1": l1 / c, "5": l5 / c, "15": l15 / c}}),
                );
            }
        }
        if let Some(m) = read("/proc/meminfo").map(|s| parse_meminfo(&s)) {
            let used = m.total.saturating_sub(m.free);
            let actual_used = m.total.saturating_sub(m.available);
            let swap_used = m.swap_total.saturating_sub(m.swap_free);
            system.insert(
                "memory".into(),
                json!({
                    "total": m.total, "free": m.free,
                    "used": {"bytes": used, "pct": pct(used, m.total)},
                    "actual": {"free": m.available, "used": {"bytes": actual_used, "pct": pct(actual_used, m.total)}},
                    "swap": {"total": m.swap_total, "free": m.swap_free,
                             "used": {"bytes": swap_used, "pct": pct(swap_used, m.swap_total)}},
                }),
            );
        }
        host_doc["system"] = Value::Object(system);
        events.push(host_doc);
        let mounts = read("/proc/self/mounts").unwrap_or_default();
        for (device, mount, kind) in parse_mounts(&mounts, &self.mount_points) {
            let Some((total, free, available)) = statvfs(&mount) else {
                continue;
            };
            if total == 0 {
                continue;
            }
            let used = total.saturating_sub(free);
            let mut doc = base("filesystem");
            doc["system"] = json!({"filesystem": {
                "device_name": device, "mount_point": mount, "type": kind,
                "total": total, "free": free, "available": available,
                "used": {"bytes": used, "pct": pct(used, total)},
            }});
            events.push(doc);
        }
        for iface in parse_net_dev(&read("/proc/net/dev").unwrap_or_default()) {
            let mut doc = base("network");
            doc["system"] = json!({"network": {
                "name": iface.name,
                "in": {"bytes": iface.rx[0], "packets": iface.rx[1], "errors": iface.rx[2], "dropped": iface.rx[3]},
                "out": {"bytes": iface.tx[0], "packets": iface.tx[1], "errors": iface.tx[2], "dropped": iface.tx[3]},
            }});
            events.push(doc);
        }
        events
    }
}

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_files() {
        let stat = "cpu  10 0 5 80 5 0 0 0 0 0\ncpu0 5 0 2 40 3 0 0 0 0 0\ncpu1 5 0 3 40 2 0 0 0 0 0\nintr 1\n";
        let (t, cores) = parse_cpu(stat).expect("cpu");
        assert_eq!((t.user, t.idle, t.total(), cores), (10, 80, 100, 2));
        assert_eq!(
            parse_loadavg("0.50 0.25 0.10 1/123 456\n"),
            Some((0.5, 0.25, 0.1))
        );
        let m = parse_meminfo("MemTotal: 1000 kB\nMemFree: 250 kB\nMemAvailable: 500 kB\n");
        assert_eq!(
            (m.total, m.free, m.available),
            (1_024_000, 256_000, 512_000)
        );
        let net = parse_net_dev(
            "Inter-|   Receive\n face |bytes\n  eth0: 100 2 0 0 0 0 0 0 300 4 0 1 0 0 0 0\n",
        );
        assert_eq!(net[0].name, "eth0");
        assert_eq!((net[0].rx[0], net[0].tx[0], net[0].tx[3]), (100, 300, 1));
        let mounts = parse_mounts(
            "proc /proc proc rw 0 0\n/dev/sda1 / ext4 rw 0 0\n/dev/sda1 /etc/hosts ext4 rw 0 0\n",
            &[],
        );
        assert_eq!(
            mounts,
            vec![("/dev/sda1".into(), "/".into(), "ext4".into())]
        );
    }

    #[test]
    fn a_sample_has_ecs_fields() {
        let mut s = Sampler::new(Vec::new());
        std::thread::sleep(std::time::Duration::from_millis(20));
        let events = s.sample("h1");
        let host = &events[0];
        assert_eq!(host["event"]["dataset"], "system.metrics");
        assert_eq!(host["host"]["name"], "h1");
        assert!(
            host["system"]["memory"]["used"]["pct"].is_number(),
            "{host}"
        );
        assert!(host["system"]["load"]["1"].is_number(), "{host}");
        assert!(
            host["system"]["cpu"]["total"]["norm"]["pct"].is_number(),
            "{host}"
        );
    }
}
