//! Starting and stopping the real `cardseal-server` binary on 127.0.0.1 with a data directory
//! made for the benchmark.

use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::http;

/// Time allowed from spawn to a ready service; a fresh 4096-bit key can take seconds.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Pause between readiness probes: short, so start-up times are read to about a millisecond.
const PROBE_INTERVAL: Duration = Duration::from_micros(500);
/// Time allowed for a graceful stop after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// Settings every benchmark run of the service uses.
pub struct ServiceConfig {
    pub binary: PathBuf,
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub key_bits: u32,
    /// Extra `serve` flags.
    pub extra: Vec<String>,
    pub log_file: PathBuf,
}

/// A running service; stopped with SIGTERM when dropped.
pub struct Service {
    child: Child,
}

impl Service {
    /// Spawns `serve` and returns at once.
    pub fn spawn(config: &ServiceConfig) -> Service {
        let log = File::options()
            .create(true)
            .append(true)
            .open(&config.log_file)
            .expect("cannot open the service log file");
        let child = Command::new(&config.binary)
            .arg("--data-dir")
            .arg(&config.data_dir)
            .arg("serve")
            .arg("--listen")
            .arg(config.listen.to_string())
            .arg("--dev-key-bits")
            .arg(config.key_bits.to_string())
            .args(&config.extra)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("cannot share the log file"))
            .stderr(log)
            .spawn()
            .expect("cannot start cardseal-server");
        Service { child }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Polls `GET /readyz` until it returns 200; returns the time from `since`.
    pub fn wait_ready(&mut self, listen: SocketAddr, since: Instant) -> Duration {
        loop {
            if let Ok(response) = http::get(listen, "/readyz")
                && response.status == 200
            {
                return since.elapsed();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("cardseal-server exited before it was ready: {status}");
            }
            assert!(
                since.elapsed() < READY_TIMEOUT,
                "cardseal-server was not ready within {READY_TIMEOUT:?}"
            );
            std::thread::sleep(PROBE_INTERVAL);
        }
    }

    /// Sends SIGTERM and waits for the process to end; kills it if it takes too long.
    pub fn stop(mut self) {
        self.terminate();
    }

    /// Sends SIGTERM and waits for the service to exit, unless it has already.
    pub fn terminate(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let pid = libc::pid_t::try_from(self.child.id()).expect("pid out of range");
        // SAFETY: kill(2) with the id of a child this process spawned and has not yet reaped.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// Registers a shop with `origin` in the data directory and returns its API key.
pub fn add_shop(binary: &Path, data_dir: &Path, origin: &str) -> String {
    let output = Command::new(binary)
        .arg("--data-dir")
        .arg(data_dir)
        .args([
            "shops",
            "add",
            "--name",
            "bench shop",
            "--origin",
            origin,
            "--json",
        ])
        .output()
        .expect("cannot run cardseal-server shops add");
    assert!(
        output.status.success(),
        "shops add failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let value: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("shops add printed no JSON");
    value["api_key"]
        .as_str()
        .expect("shops add printed no api_key")
        .to_owned()
}

/// CPU time (user + system) a process has used so far, from /proc/PID/stat.
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // utime and stime are fields 14 and 15 of stat(5); `fields` starts at field 3.
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&index| fields.get(index)?.parse::<u64>().ok())
        .sum();
    // SAFETY: sysconf only reads a system constant.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    ticks as f64 / per_second.max(1) as f64
}

/// CPU time of the whole machine so far, from the first line of /proc/stat: (busy, steal) in
/// seconds. Busy counts user, nice, system, irq and softirq time; steal is time the hypervisor
/// gave this machine's virtual CPUs to others.
pub fn machine_cpu_seconds() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let fields: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|field| field.parse().ok())
        .collect();
    let field = |index: usize| fields.get(index).copied().unwrap_or(0);
    // Order in proc(5): user nice system idle iowait irq softirq steal.
    let busy = field(0) + field(1) + field(2) + field(5) + field(6);
    // SAFETY: sysconf only reads a system constant.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    (busy as f64 / per_second, field(7) as f64 / per_second)
}

/// Output of a process so far, from /proc/PID/io: (bytes passed to write calls, write system
/// calls, bytes the process caused to be written to storage).
pub fn io_counters(pid: u32) -> (u64, u64, u64) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or(0)
    };
    (field("wchar:"), field("syscw:"), field("write_bytes:"))
}

/// CPU that neither the service nor this process used, in cores (CPU seconds per second), while
/// `work` ran. Returns `work`'s result with it.
pub fn other_cpu_during<T>(server_pid: u32, work: impl FnOnce() -> T) -> (T, f64) {
    let ours = || cpu_seconds(server_pid) + cpu_seconds(std::process::id());
    let (machine_before, _) = machine_cpu_seconds();
    let ours_before = ours();
    let start = Instant::now();

    let value = work();

    let elapsed = start.elapsed().as_secs_f64();
    let (machine_after, _) = machine_cpu_seconds();
    let other = (machine_after - machine_before) - (ours() - ours_before);
    (value, (other / elapsed).max(0.0))
}

/// Maximum wait for other processes to go quiet before measuring anyway.
const QUIET_TIMEOUT: Duration = Duration::from_secs(600);
/// Window over which quietness is judged.
const QUIET_WINDOW: Duration = Duration::from_secs(2);
/// Other processes' CPU below which the machine counts as quiet, in cores.
const QUIET_CPU: f64 = 0.05;

/// Waits until other processes use less than `QUIET_CPU` over `QUIET_WINDOW`, or `QUIET_TIMEOUT`.
pub fn wait_quiet(server_pid: u32) {
    let start = Instant::now();
    loop {
        let ((), other) = other_cpu_during(server_pid, || std::thread::sleep(QUIET_WINDOW));
        if other < QUIET_CPU {
            return;
        }
        if start.elapsed() > QUIET_TIMEOUT {
            println!(
                "machine still busy ({:.0} ms/s of other CPU); measuring anyway",
                other * 1000.0
            );
            return;
        }
        println!(
            "machine busy ({:.0} ms/s of other CPU); waiting",
            other * 1000.0
        );
    }
}
