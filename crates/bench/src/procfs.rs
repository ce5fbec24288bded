//! What Linux's /proc says about a server: memory, CPU time, children, and the machine.
//!
//! Every figure is taken over the server's whole process tree, so a server that forks
//! workers is not flattered by measuring only its parent.

use std::time::Duration;

use anyhow::{Context, bail};

/// One process's `/proc/PID/stat` fields that the benchmark uses.
struct Stat {
    parent: u32,
    /// utime + stime, in clock ticks.
    cpu_ticks: u64,
}

fn read_stat(pid: u32) -> anyhow::Result<Stat> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat"))?)
}

fn parse_stat(text: &str) -> anyhow::Result<Stat> {
    // Field 2 (the command name) is in parentheses and may hold spaces or parentheses
    // itself, so fields are counted from the last ')'.
    let after_name = text
        .rfind(')')
        .map(|i| &text[i + 1..])
        .context("malformed /proc stat")?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
    let number = |index: usize| -> anyhow::Result<u64> {
        fields
            .get(index)
            .context("short /proc stat")?
            .parse::<u64>()
            .context("non-numeric /proc stat field")
    };
    Ok(Stat {
        parent: u32::try_from(number(1)?)?,
        cpu_ticks: number(11)? + number(12)?,
    })
}

/// `pid` and all its descendants alive now.
pub fn process_tree(pid: u32) -> Vec<u32> {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(child) = entry
                .file_name()
                .to_str()
                .and_then(|name| name.parse::<u32>().ok())
            else {
                continue;
            };
            if let Ok(stat) = read_stat(child) {
                parents.push((child, stat.parent));
            }
        }
    }
    let mut tree = vec![pid];
    let mut index = 0;
    while index < tree.len() {
        let parent = tree[index];
        tree.extend(
            parents
                .iter()
                .filter(|(_, p)| *p == parent)
                .map(|(child, _)| *child),
        );
        index += 1;
    }
    tree
}

/// Resident memory (VmRSS) of a process tree, in KiB.
pub fn rss_kib(tree: &[u32]) -> anyhow::Result<u64> {
    let mut total = 0;
    for pid in tree {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let line = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .context("no VmRSS line")?;
        let kib = line
            .trim_start_matches("VmRSS:")
            .trim()
            .trim_end_matches("kB")
            .trim();
        total += kib.parse::<u64>().context("VmRSS is not a number")?;
    }
    Ok(total)
}

/// Converts clock ticks to time; the tick rate comes from `getconf CLK_TCK` (100 on Linux).
#[derive(Debug, Clone, Copy)]
pub struct CpuClock {
    ticks_per_second: u64,
}

impl CpuClock {
    pub fn from_getconf() -> anyhow::Result<Self> {
        let output = std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .context("running getconf CLK_TCK")?;
        let ticks_per_second: u64 = String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .context("getconf CLK_TCK output")?;
        if ticks_per_second == 0 {
            bail!("getconf CLK_TCK said 0");
        }
        Ok(CpuClock { ticks_per_second })
    }

    /// User + system CPU time consumed so far by the processes in `tree`.
    pub fn cpu_time(&self, tree: &[u32]) -> anyhow::Result<Duration> {
        let mut ticks = 0;
        for pid in tree {
            ticks += read_stat(*pid)?.cpu_ticks;
        }
        Ok(self.ticks_to_duration(ticks))
    }

    /// User + system CPU time of the benchmark itself (the load generator).
    pub fn own_cpu_time(&self) -> anyhow::Result<Duration> {
        self.cpu_time(&[std::process::id()])
    }

    fn ticks_to_duration(&self, ticks: u64) -> Duration {
        Duration::from_micros(ticks * 1_000_000 / self.ticks_per_second)
    }

    pub fn tick(&self) -> Duration {
        self.ticks_to_duration(1)
    }
}

/// The machine a run happened on, for the report.
#[derive(Debug, Clone)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub memory_gib: f64,
    pub kernel: String,
}

impl Machine {
    pub fn describe() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map_or_else(
                || "unknown".to_owned(),
                |(_, model)| model.trim().to_owned(),
            );
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_kib: u64 = meminfo
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim()
            .to_owned();
        Machine {
            cpus: std::thread::available_parallelism().map_or(0, usize::from),
            cpu_model,
            memory_gib: memory_kib as f64 / (1024.0 * 1024.0),
            kernel,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_from_the_last_parenthesis() {
        // A command name with a space and a ')' in it, as a Python thread may have.
        let line = "4242 (moto (x) srv) S 17 4242 17 0 -1 4194560 900 0 0 0 123 45 0 0 20 0 3 0";
        let stat = parse_stat(line).unwrap();
        assert_eq!(stat.parent, 17);
        assert_eq!(stat.cpu_ticks, 168);
    }

    #[test]
    fn own_process_is_readable() {
        let clock = CpuClock {
            ticks_per_second: 100,
        };
        assert!(clock.own_cpu_time().is_ok());
        assert!(rss_kib(&[std::process::id()]).unwrap() > 0);
        assert_eq!(process_tree(std::process::id())[0], std::process::id());
    }
}
