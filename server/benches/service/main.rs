//! Benchmarks of the running service: `POST /v1/payments` throughput and latency, and start-up
//! time to ready. A plain main (no libtest harness), run by scripts/bench:
//!
//! ```text
//! cargo build --release -p cardseal-server
//! cargo bench -p cardseal-server --bench service -- payments [--bits 3072] [--out FILE]
//! cargo bench -p cardseal-server --bench service -- startup [--runs 20] [--out FILE]
//! ```
//!
//! The service is the release binary, started on 127.0.0.1 with a data directory made for the
//! run and the per-shop rate limit off (`--rate-limit 0`), so the limit does not cap the load.
//! Every payment has its own checkout session, envelope and Idempotency-Key, made before the
//! timed phase: sessions through the API, envelopes sealed natively with cardseal-core.

mod fixtures;
mod http;
mod load;
mod service;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use cardseal_core::envelope;
use cardseal_core::key::{PrivateKey, PublicKey};
use serde_json::{Value, json};

use fixtures::Shop;
use load::Phase;
use service::{Service, ServiceConfig};

/// The origin the benchmark shop is registered with and envelopes are sealed for.
const SHOP_ORIGIN: &str = "http://127.0.0.1:8081";
/// Payments sent before any timed phase, to warm caches, the database and the connection pool.
const WARM_UP_PAYMENTS: usize = 300;
/// Maximum duration of a closed-loop phase, whatever its request count.
const CLOSED_PHASE_LIMIT: Duration = Duration::from_secs(60);

struct Options {
    command: String,
    binary: PathBuf,
    work_dir: PathBuf,
    port: u16,
    bits: u32,
    out: Option<PathBuf>,
    /// Closed-loop connection counts.
    levels: Vec<usize>,
    /// Target duration of each closed-loop phase, used to size its request count.
    phase_secs: f64,
    /// Open-loop rates as fractions of the highest closed-loop throughput.
    fractions: Vec<f64>,
    open_secs: f64,
    workers: usize,
    capacity_secs: f64,
    runs: usize,
    startup_bits: Vec<u32>,
}

fn main() {
    let options = parse_options();
    std::fs::create_dir_all(&options.work_dir).expect("cannot create the work directory");
    let report = match options.command.as_str() {
        "payments" => payments(&options),
        "startup" => startup(&options),
        other => usage(other),
    };
    if let Some(path) = &options.out {
        let text = serde_json::to_string_pretty(&report).expect("report JSON");
        std::fs::write(path, text + "\n").expect("cannot write the --out file");
    }
}

fn payments(options: &Options) -> Value {
    let data_dir = fresh_dir(options, &format!("payments-{}", options.bits));
    let listen = listen_address(options.port);
    let shop = Shop {
        api_key: service::add_shop(&options.binary, &data_dir, SHOP_ORIGIN),
        origin: SHOP_ORIGIN.to_owned(),
    };
    let config = ServiceConfig {
        binary: options.binary.clone(),
        data_dir: data_dir.clone(),
        listen,
        key_bits: options.bits,
        extra: vec!["--rate-limit".into(), "0".into()],
        log_file: options
            .work_dir
            .join(format!("payments-{}.log", options.bits)),
    };
    let mut server = Service::spawn(&config);
    server.wait_ready(listen, Instant::now());
    let pid = server.pid();

    // The key the service seals to, public from the JWKS and private from its key store.
    let jwks = http::get(listen, "/.well-known/jwks.json").expect("JWKS request failed");
    let public = PublicKey::from_jwks(jwks.text(), None).expect("JWKS unreadable");
    let pem_path = data_dir.join("keys").join(format!("{}.pem", public.kid()));
    let pem = std::fs::read_to_string(&pem_path).expect("private key file unreadable");
    let private = PrivateKey::from_pkcs8_pem(&pem, public.kid()).expect("private key unreadable");
    println!(
        "service: {} (pid {pid}), key {} ({} bits), rate limit off",
        options.binary.display(),
        public.kid(),
        public.modulus_bits()
    );

    // The cryptography's capacity, measured now on this key with the service idle.
    let sample = fixtures::seal_envelopes(&["cs_capacity".to_owned()], &public, SHOP_ORIGIN, 0);
    let parsed = envelope::parse(&sample[0]).expect("sample envelope unparsable");
    let capacity_time = Duration::from_secs_f64(options.capacity_secs);
    service::wait_quiet(pid);
    let ((open_1, open_cpu), _) = undisturbed("open on 1 thread", pid, || {
        service::other_cpu_during(pid, || open_rate(&parsed, &private, 1, capacity_time))
    });
    let ((open_2, _), _) = undisturbed("open on 2 threads", pid, || {
        service::other_cpu_during(pid, || open_rate(&parsed, &private, 2, capacity_time))
    });
    println!(
        "open (ParsedEnvelope::open, same key): {open_1:.1}/s on 1 thread ({open_cpu:.1} per CPU-second), {open_2:.1}/s on 2 threads"
    );

    let mut card_counter = 0;
    let mut batch = 0;
    let mut prepare = |count: usize, tag: &str| {
        // A phase measured again needs new Idempotency-Keys, since its sessions are new.
        batch += 1;
        let tag = format!("{tag}-{batch}");
        let sessions = fixtures::create_sessions(listen, &shop, count, &tag);
        let envelopes = fixtures::seal_envelopes(&sessions, &public, &shop.origin, card_counter);
        card_counter += count;
        fixtures::payment_requests(&shop, &sessions, &envelopes, &tag)
    };

    let warm = prepare(WARM_UP_PAYMENTS, "warm");
    let phase = load::closed_loop(listen, pid, &warm, 8, CLOSED_PHASE_LIMIT);
    require_success(&mut server, "warm-up", &phase);

    let mut closed = Vec::new();
    let mut best = 0.0_f64;
    for &concurrency in &options.levels {
        let count = ((open_2 * options.phase_secs) as usize).max(200);
        let ((phase, capacity), attempts) =
            undisturbed(&format!("closed c={concurrency}"), pid, || {
                let requests = prepare(count, &format!("closed{concurrency}"));
                settle(pid);
                // The machine's speed drifts by several percent within a minute, so the phase is
                // compared with the capacity measured right before and right after it.
                let (before, _) = open_rate(&parsed, &private, 2, capacity_time);
                println!("closed c={concurrency}: timing started");
                let phase =
                    load::closed_loop(listen, pid, &requests, concurrency, CLOSED_PHASE_LIMIT);
                let (after, _) = open_rate(&parsed, &private, 2, capacity_time);
                let other = phase.other_cpu / phase.elapsed.as_secs_f64();
                ((phase, (before, after)), other)
            });
        print_phase(&format!("closed c={concurrency:<3}"), &phase, false);
        let (before, after) = capacity;
        let adjacent = (before + after) / 2.0;
        println!(
            "closed c={concurrency:<3}: open on 2 threads {before:.1}/s before, {after:.1}/s after; the rest takes {:.1}% of that capacity",
            (1.0 - phase.throughput() / adjacent) * 100.0
        );
        write_timeline(options, &format!("closed-{concurrency}"), &phase);
        require_success(&mut server, "closed loop", &phase);
        best = best.max(phase.throughput());
        closed.push(phase_json(
            &phase,
            json!({
                "concurrency": concurrency,
                "attempts": attempts,
                "open_2_threads_before": before,
                "open_2_threads_after": after,
            }),
        ));
    }

    let mut open = Vec::new();
    for &fraction in &options.fractions {
        let rate = best * fraction;
        let count = (rate * options.open_secs).ceil() as usize;
        let limit = Duration::from_secs_f64(options.open_secs * 3.0);
        let label = format!("open {:.0}%", fraction * 100.0);
        let (phase, attempts) = undisturbed(&label, pid, || {
            let requests = prepare(count, &format!("open{}", (fraction * 100.0) as u32));
            settle(pid);
            println!("{label}: timing started");
            let phase = load::open_loop(listen, pid, &requests, rate, options.workers, limit);
            let other = phase.other_cpu / phase.elapsed.as_secs_f64();
            (phase, other)
        });
        write_timeline(
            options,
            &format!("open-{}", (fraction * 100.0) as u32),
            &phase,
        );
        print_phase(
            &format!("open {:>3.0}% {rate:>6.1}/s", fraction * 100.0),
            &phase,
            true,
        );
        require_success(&mut server, "open loop", &phase);
        open.push(phase_json(
            &phase,
            json!({"fraction": fraction, "target_rate": rate, "workers": options.workers, "attempts": attempts}),
        ));
    }

    server.stop();
    json!({
        "bits": public.modulus_bits(),
        "kid": public.kid(),
        "open_1_thread": open_1,
        "open_per_cpu_second": open_cpu,
        "open_2_threads": open_2,
        "max_throughput": best,
        "closed": closed,
        "open_loop": open,
    })
}

fn startup(options: &Options) -> Value {
    let listen = listen_address(options.port);
    let mut fresh = serde_json::Map::new();
    let mut existing = serde_json::Map::new();

    for &bits in &options.startup_bits {
        let config = |data_dir: PathBuf| ServiceConfig {
            binary: options.binary.clone(),
            data_dir,
            listen,
            key_bits: bits,
            extra: Vec::new(),
            log_file: options.work_dir.join(format!("startup-{bits}.log")),
        };

        // A fresh data directory each time: database creation and a new RSA key.
        let mut times = Vec::new();
        for run in 0..options.runs {
            let data_dir = fresh_dir(options, &format!("startup-fresh-{bits}-{run}"));
            times.push(time_start(&config(data_dir), listen));
        }
        print_times(&format!("start, fresh data dir, {bits}-bit key"), &times);
        fresh.insert(bits.to_string(), json!(times));

        // The same data directory again and again: open the database, load the key.
        let data_dir = fresh_dir(options, &format!("startup-existing-{bits}"));
        time_start(&config(data_dir.clone()), listen);
        let times: Vec<f64> = (0..options.runs)
            .map(|_| time_start(&config(data_dir.clone()), listen))
            .collect();
        print_times(&format!("start, existing data dir, {bits}-bit key"), &times);
        existing.insert(bits.to_string(), json!(times));
    }
    json!({"fresh_ms": fresh, "existing_ms": existing, "runs": options.runs})
}

/// Spawns the service, waits for `/readyz` to return 200, stops it; returns milliseconds.
fn time_start(config: &ServiceConfig, listen: SocketAddr) -> f64 {
    let start = Instant::now();
    let mut server = Service::spawn(config);
    let ready = server.wait_ready(listen, start);
    server.stop();
    ready.as_secs_f64() * 1000.0
}

/// Rates of `ParsedEnvelope::open` on `threads` threads for about `duration`: operations per
/// wall-clock second over all threads, and operations per second of CPU time the threads got.
fn open_rate(
    parsed: &envelope::ParsedEnvelope,
    key: &PrivateKey,
    threads: usize,
    duration: Duration,
) -> (f64, f64) {
    parsed.open(key).expect("sample envelope does not open");
    let start = Instant::now();
    let counts: Vec<(u64, u64)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let cpu_start = thread_cpu_ns();
                    let mut count = 0;
                    while start.elapsed() < duration {
                        std::hint::black_box(parsed.open(key).ok());
                        count += 1;
                    }
                    (count, thread_cpu_ns() - cpu_start)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("open thread panicked"))
            .collect()
    });
    let operations: u64 = counts.iter().map(|(count, _)| count).sum();
    let cpu_ns: u64 = counts.iter().map(|(_, ns)| ns).sum();
    (
        operations as f64 / start.elapsed().as_secs_f64(),
        operations as f64 / (cpu_ns.max(1) as f64 / 1e9),
    )
}

/// CPU time of the calling thread in nanoseconds, from Linux's /proc/thread-self/schedstat.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .expect("cannot read /proc/thread-self/schedstat")
}

/// Writes each payment's due time and latency as CSV into the work directory, to see when slow
/// responses happened.
fn write_timeline(options: &Options, name: &str, phase: &Phase) {
    let mut text = String::from("due_s,latency_ms\n");
    for (due, latency) in &phase.timeline {
        text.push_str(&format!("{due:.6},{latency:.3}\n"));
    }
    let path = options.work_dir.join(format!("timeline-{name}.csv"));
    std::fs::write(path, text).expect("cannot write a timeline file");
}

/// CPU that other processes may use during a measurement without spoiling it: a tenth of a core.
const MAX_OTHER_CPU: f64 = 0.1;
/// Measurements made at most before one is kept however busy the machine was.
const MAX_ATTEMPTS: usize = 3;

/// Repeats `measure` while other processes used more than `MAX_OTHER_CPU` during it, up to
/// `MAX_ATTEMPTS` times. `measure` returns its result and the other processes' CPU (cores).
fn undisturbed<T>(
    label: &str,
    server_pid: u32,
    mut measure: impl FnMut() -> (T, f64),
) -> (T, usize) {
    for attempt in 1..=MAX_ATTEMPTS {
        let (value, other) = measure();
        if other <= MAX_OTHER_CPU || attempt == MAX_ATTEMPTS {
            if other > MAX_OTHER_CPU {
                println!(
                    "{label}: other processes used {:.0} ms/s of CPU in every attempt; kept the last",
                    other * 1000.0
                );
            }
            return (value, attempt);
        }
        println!(
            "{label}: other processes used {:.0} ms/s of CPU; measuring again",
            other * 1000.0
        );
        service::wait_quiet(server_pid);
    }
    unreachable!("the last attempt always returns")
}

/// Waits until the set-up work of a phase is done and the machine is quiet.
fn settle(server_pid: u32) {
    std::thread::sleep(Duration::from_millis(500));
    service::wait_quiet(server_pid);
}

/// Stops the service and exits when any payment of the phase failed.
fn require_success(server: &mut Service, phase_name: &str, phase: &Phase) {
    if phase.failures > 0 {
        eprintln!(
            "{phase_name}: {} of {} payments failed; first: {}",
            phase.failures,
            phase.sent,
            phase.first_failure.as_deref().unwrap_or("")
        );
        // `exit` skips destructors, so the service is stopped here.
        server.terminate();
        std::process::exit(1);
    }
}

fn phase_json(phase: &Phase, mut extra: Value) -> Value {
    let ms = |latencies: &[u64], q| Phase::percentile_ms(latencies, q);
    let fields = json!({
        "sent": phase.sent,
        "approved": phase.approved,
        "failures": phase.failures,
        "elapsed_s": phase.elapsed.as_secs_f64(),
        "throughput": phase.throughput(),
        "p50_ms": ms(&phase.latencies, 0.50),
        "p90_ms": ms(&phase.latencies, 0.90),
        "p99_ms": ms(&phase.latencies, 0.99),
        "p999_ms": ms(&phase.latencies, 0.999),
        "max_ms": ms(&phase.latencies, 1.0),
        "service_p50_ms": ms(&phase.service_latencies, 0.50),
        "service_p99_ms": ms(&phase.service_latencies, 0.99),
        "server_cpu_s": phase.server_cpu,
        "client_cpu_s": phase.client_cpu,
        "other_cpu_s": phase.other_cpu,
        "steal_s": phase.steal,
        "server_written_bytes_per_payment": phase.server_written as f64 / phase.approved.max(1) as f64,
        "server_write_calls_per_payment": phase.server_write_calls as f64 / phase.approved.max(1) as f64,
        "server_storage_bytes_per_payment": phase.server_storage_written as f64 / phase.approved.max(1) as f64,
        "server_cpu_ms_per_payment": phase.server_cpu * 1000.0 / phase.approved.max(1) as f64,
    });
    if let (Some(object), Value::Object(more)) = (extra.as_object_mut(), fields) {
        object.extend(more);
    }
    extra
}

fn print_phase(label: &str, phase: &Phase, open_loop: bool) {
    let ms = |q| Phase::percentile_ms(&phase.latencies, q);
    println!(
        "{label}: {:>7.1} payments/s  p50 {:>6.2} ms  p90 {:>6.2}  p99 {:>6.2}  max {:>7.2}  server CPU {:.2} ms/payment, load generator {:.2} ms/payment, other {:.0} ms/s, steal {:.0} ms/s, server writes {:.1} KB in {:.1} calls per payment{}",
        phase.throughput(),
        ms(0.5),
        ms(0.9),
        ms(0.99),
        ms(1.0),
        phase.server_cpu * 1000.0 / phase.approved.max(1) as f64,
        phase.client_cpu * 1000.0 / phase.approved.max(1) as f64,
        phase.other_cpu * 1000.0 / phase.elapsed.as_secs_f64(),
        phase.steal * 1000.0 / phase.elapsed.as_secs_f64(),
        phase.server_written as f64 / 1000.0 / phase.approved.max(1) as f64,
        phase.server_write_calls as f64 / phase.approved.max(1) as f64,
        if open_loop {
            format!(
                "  (from send: p50 {:.2} p99 {:.2})",
                Phase::percentile_ms(&phase.service_latencies, 0.5),
                Phase::percentile_ms(&phase.service_latencies, 0.99)
            )
        } else {
            String::new()
        }
    );
}

fn print_times(label: &str, times: &[f64]) {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    println!(
        "{label}: median {:.1} ms, min {:.1}, max {:.1} ({} runs)",
        sorted[sorted.len() / 2],
        sorted[0],
        sorted[sorted.len() - 1],
        sorted.len()
    );
}

/// Returns the address to start the service on: `port`, or a port free right now when it is 0.
fn listen_address(port: u16) -> SocketAddr {
    let port = if port == 0 {
        let probe = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("no free port");
        probe.local_addr().expect("probe address").port()
    } else {
        port
    };
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// Creates an empty directory under the work directory and returns its path.
fn fresh_dir(options: &Options, name: &str) -> PathBuf {
    let dir = options.work_dir.join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).expect("cannot clear an old benchmark directory");
    }
    std::fs::create_dir_all(&dir).expect("cannot create a benchmark directory");
    dir
}

fn parse_options() -> Options {
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut options = Options {
        command: String::new(),
        binary: workspace.join("target/release/cardseal-server"),
        work_dir: std::env::temp_dir().join(format!("cardseal-bench-{}", std::process::id())),
        port: 0,
        bits: 3072,
        out: None,
        levels: vec![1, 2, 4, 8, 16, 32],
        phase_secs: 4.0,
        fractions: vec![0.25, 0.5, 0.75],
        open_secs: 10.0,
        workers: 64,
        capacity_secs: 3.0,
        runs: 20,
        startup_bits: vec![2048, 3072],
    };

    let list = |text: String, name: &str| -> Vec<String> {
        let items: Vec<String> = text.split(',').map(|s| s.trim().to_owned()).collect();
        if items.iter().any(String::is_empty) {
            usage(name);
        }
        items
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage(&arg));
        match arg.as_str() {
            "payments" | "startup" => options.command = arg.clone(),
            "--binary" => options.binary = PathBuf::from(value()),
            "--work-dir" => options.work_dir = PathBuf::from(value()),
            "--port" => options.port = number(value(), "--port"),
            "--bits" => options.bits = number(value(), "--bits"),
            "--out" => options.out = Some(PathBuf::from(value())),
            "--levels" => {
                options.levels = list(value(), "--levels")
                    .into_iter()
                    .map(|v| number(v, "--levels"))
                    .collect();
            }
            "--phase-secs" => options.phase_secs = number(value(), "--phase-secs"),
            "--fractions" => {
                options.fractions = list(value(), "--fractions")
                    .into_iter()
                    .map(|v| number(v, "--fractions"))
                    .collect();
            }
            "--open-secs" => options.open_secs = number(value(), "--open-secs"),
            "--workers" => options.workers = number(value(), "--workers"),
            "--capacity-secs" => options.capacity_secs = number(value(), "--capacity-secs"),
            "--runs" => options.runs = number(value(), "--runs"),
            "--startup-bits" => {
                options.startup_bits = list(value(), "--startup-bits")
                    .into_iter()
                    .map(|v| number(v, "--startup-bits"))
                    .collect();
            }
            // `cargo bench` passes --bench to every bench target.
            "--bench" => {}
            _ => usage(&arg),
        }
    }
    if options.command.is_empty() {
        usage("(no command)");
    }
    options
}

fn number<T: std::str::FromStr>(text: String, name: &str) -> T {
    text.parse().unwrap_or_else(|_| usage(name))
}

fn usage(arg: &str) -> ! {
    eprintln!(
        "service bench: bad argument {arg}\n\
         usage: service payments [--bits 3072] [--levels 1,2,4,8,16,32] [--phase-secs 4]\n\
         \x20        [--fractions 0.25,0.5,0.75] [--open-secs 10] [--workers 64] [--capacity-secs 3]\n\
         \x20      service startup [--runs 20] [--startup-bits 2048,3072]\n\
         common: [--binary PATH] [--work-dir DIR] [--port N (default: a free one)] [--out FILE.json]"
    );
    std::process::exit(2)
}
