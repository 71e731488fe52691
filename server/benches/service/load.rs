//! Closed-loop and open-loop load over keep-alive connections on loopback.
//!
//! Closed loop: N connections each send their next request as soon as the previous response
//! arrives; the total rate at saturation is the throughput. Open loop: requests are due at a fixed
//! rate whatever the service does, and each latency counts from the moment its request was due,
//! so a slow answer that delays the next send is not hidden (no coordinated omission).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use crate::http::Connection;
use crate::service::{cpu_seconds, io_counters, machine_cpu_seconds};

/// Marker found in the body of every approved payment response.
const APPROVED: &str = "\"status\":\"approved\"";
/// Delay before the first open-loop request is due, so the workers are connected and waiting.
const OPEN_LOOP_LEAD: Duration = Duration::from_millis(100);

/// The result of one phase.
pub struct Phase {
    pub sent: usize,
    pub approved: usize,
    pub failures: usize,
    /// The first failure seen, status and body start, for the report.
    pub first_failure: Option<String>,
    pub elapsed: Duration,
    /// Latencies in microseconds, sorted; for open-loop phases counted from the due time.
    pub latencies: Vec<u64>,
    /// Open loop only: latencies from the actual send, sorted.
    pub service_latencies: Vec<u64>,
    /// Each payment's due time (seconds from the phase start) and latency (ms), in due order.
    pub timeline: Vec<(f64, f64)>,
    pub server_cpu: f64,
    pub client_cpu: f64,
    /// CPU time used by everything else on the machine during the phase (other processes,
    /// interrupts), in seconds: the benchmark needs this near zero.
    pub other_cpu: f64,
    /// CPU time the hypervisor gave to other guests during the phase, in seconds.
    pub steal: f64,
    /// The service's output during the phase: bytes passed to write calls (database and log),
    /// write system calls, and bytes written to storage.
    pub server_written: u64,
    pub server_write_calls: u64,
    pub server_storage_written: u64,
}

impl Phase {
    pub fn throughput(&self) -> f64 {
        self.approved as f64 / self.elapsed.as_secs_f64()
    }

    /// Returns the latency at quantile `q` (0 to 1) in milliseconds, by the nearest-rank method.
    pub fn percentile_ms(latencies: &[u64], q: f64) -> f64 {
        if latencies.is_empty() {
            return f64::NAN;
        }
        let rank = ((q * latencies.len() as f64).ceil() as usize).clamp(1, latencies.len());
        latencies[rank - 1] as f64 / 1000.0
    }
}

/// Per-worker tallies, merged at the end of a phase.
#[derive(Default)]
struct Tally {
    approved: usize,
    failures: usize,
    first_failure: Option<String>,
    latencies: Vec<u64>,
    service_latencies: Vec<u64>,
    timeline: Vec<(Instant, u64)>,
}

impl Tally {
    fn record(
        &mut self,
        outcome: Result<(u16, bool, String), String>,
        due: Instant,
        sent: Instant,
    ) {
        let done = Instant::now();
        match outcome {
            Ok((201, true, _)) => {
                self.approved += 1;
                self.latencies.push(micros(done - due));
                self.service_latencies.push(micros(done - sent));
                self.timeline.push((due, micros(done - due)));
            }
            Ok((status, _, body)) => self.fail(format!("{status} {body}")),
            Err(error) => self.fail(error),
        }
    }

    fn fail(&mut self, description: String) {
        self.failures += 1;
        if self.first_failure.is_none() {
            self.first_failure = Some(description.chars().take(300).collect());
        }
    }

    fn merge(&mut self, other: Tally) {
        self.approved += other.approved;
        self.failures += other.failures;
        if self.first_failure.is_none() {
            self.first_failure = other.first_failure;
        }
        self.latencies.extend(other.latencies);
        self.service_latencies.extend(other.service_latencies);
        self.timeline.extend(other.timeline);
    }
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

/// Sends one payment, reconnecting once if the connection was lost.
fn pay(
    addr: SocketAddr,
    connection: &mut Option<Connection>,
    request: &[u8],
) -> Result<(u16, bool, String), String> {
    if connection.is_none() {
        *connection = Some(Connection::open(addr).map_err(|e| format!("connect: {e}"))?);
    }
    let open = connection.as_mut().expect("connection was just opened");
    match open.send(request) {
        Ok(response) => {
            let text = response.text();
            Ok((response.status, text.contains(APPROVED), text.to_owned()))
        }
        Err(error) => {
            *connection = None;
            Err(format!("request: {error}"))
        }
    }
}

/// Sends every request over `concurrency` connections, each waiting for its response before the
/// next; stops taking new requests at `deadline`.
pub fn closed_loop(
    addr: SocketAddr,
    server_pid: u32,
    requests: &[Vec<u8>],
    concurrency: usize,
    deadline: Duration,
) -> Phase {
    let next = AtomicUsize::new(0);
    let before = CpuSnapshot::take(server_pid);
    let start = Instant::now();

    let tally = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..concurrency)
            .map(|_| {
                let next = &next;
                scope.spawn(move || {
                    let mut tally = Tally::default();
                    let mut connection = Connection::open(addr).ok();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        if index >= requests.len() || start.elapsed() > deadline {
                            return tally;
                        }
                        let sent = Instant::now();
                        let outcome = pay(addr, &mut connection, &requests[index]);
                        tally.record(outcome, sent, sent);
                    }
                })
            })
            .collect();
        merge(
            workers
                .into_iter()
                .map(|w| w.join().expect("load worker panicked")),
        )
    });

    finish(tally, start, server_pid, before)
}

/// Sends the requests at `rate` per second (evenly spaced) over up to `workers` connections.
pub fn open_loop(
    addr: SocketAddr,
    server_pid: u32,
    requests: &[Vec<u8>],
    rate: f64,
    workers: usize,
    deadline: Duration,
) -> Phase {
    let (sender, receiver) = mpsc::sync_channel::<(usize, Instant)>(requests.len());
    let receiver = Mutex::new(receiver);
    let interval = Duration::from_secs_f64(1.0 / rate);
    let before = CpuSnapshot::take(server_pid);
    let start = Instant::now();
    let first_due = start + OPEN_LOOP_LEAD;

    let tally = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let receiver = &receiver;
                scope.spawn(move || {
                    let mut tally = Tally::default();
                    let mut connection = Connection::open(addr).ok();
                    loop {
                        // The lock is held only while taking the next due request.
                        let job = receiver.lock().expect("queue lock").recv();
                        let Ok((index, due)) = job else {
                            return tally;
                        };
                        let sent = Instant::now();
                        let outcome = pay(addr, &mut connection, &requests[index]);
                        tally.record(outcome, due, sent);
                    }
                })
            })
            .collect();

        // The dispatcher sleeps until each request is due; a late wake-up only delays the send,
        // and the latency still counts from the due time.
        for index in 0..requests.len() {
            let due = first_due + interval.mul_f64(index as f64);
            if due.duration_since(start) > deadline {
                break;
            }
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            sender.send((index, due)).expect("workers stopped early");
        }
        drop(sender);
        merge(
            handles
                .into_iter()
                .map(|w| w.join().expect("load worker panicked")),
        )
    });

    // The phase's rate counts from the first due time, not from the workers' start.
    finish(tally, first_due, server_pid, before)
}

fn merge(tallies: impl Iterator<Item = Tally>) -> Tally {
    tallies.fold(Tally::default(), |mut all, one| {
        all.merge(one);
        all
    })
}

/// CPU counters at one moment: the service, this process, and the whole machine.
struct CpuSnapshot {
    server: f64,
    client: f64,
    machine: f64,
    steal: f64,
    io: (u64, u64, u64),
}

impl CpuSnapshot {
    fn take(server_pid: u32) -> CpuSnapshot {
        let (machine, steal) = machine_cpu_seconds();
        CpuSnapshot {
            server: cpu_seconds(server_pid),
            client: cpu_seconds(std::process::id()),
            machine,
            steal,
            io: io_counters(server_pid),
        }
    }
}

fn finish(mut tally: Tally, start: Instant, server_pid: u32, before: CpuSnapshot) -> Phase {
    let elapsed = start.elapsed();
    let after = CpuSnapshot::take(server_pid);
    tally.latencies.sort_unstable();
    tally.service_latencies.sort_unstable();
    tally.timeline.sort_unstable_by_key(|(due, _)| *due);
    let timeline = tally
        .timeline
        .iter()
        .map(|(due, latency)| {
            let offset = due.saturating_duration_since(start).as_secs_f64();
            (offset, *latency as f64 / 1000.0)
        })
        .collect();
    Phase {
        sent: tally.approved + tally.failures,
        approved: tally.approved,
        failures: tally.failures,
        first_failure: tally.first_failure,
        elapsed,
        latencies: tally.latencies,
        service_latencies: tally.service_latencies,
        timeline,
        server_cpu: after.server - before.server,
        client_cpu: after.client - before.client,
        other_cpu: (after.machine - before.machine)
            - (after.server - before.server)
            - (after.client - before.client),
        steal: after.steal - before.steal,
        server_written: after.io.0.saturating_sub(before.io.0),
        server_write_calls: after.io.1.saturating_sub(before.io.1),
        server_storage_written: after.io.2.saturating_sub(before.io.2),
    }
}
