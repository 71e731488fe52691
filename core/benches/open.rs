//! Throughput of `open` beside the raw aws-lc-rs RSA-OAEP decryption it is built on.
//!
//! For each key size (2048, 3072, 4096 bits) one key and one sealed envelope are made, then these
//! variants run on the same key and the same ciphertext:
//!
//! - `raw_oaep`: aws-lc-rs `OaepPrivateDecryptingKey::decrypt` of the encrypted key alone, the
//!   floor that `open` can approach;
//! - `raw_jwe`: `raw_oaep` plus AES-256-GCM decryption of the payload with aws-lc-rs, which is
//!   all the cryptography a JWE decryption needs;
//! - `open`: `ParsedEnvelope::open` (unwrap with the constant-time fallback CEK, AES-GCM, payload
//!   decoding and card validation);
//! - `parse_open`: `envelope::open` on the compact text (strict parsing, key lookup, issue-time
//!   check, then `open`), which is what the service calls per payment.
//!
//! Variants are interleaved round by round, so a change in machine load hits all of them alike.
//! The figure per variant is the median of its rounds. Each round gives two rates:
//! operations per wall-clock second (with `--threads N`, the total of N threads running at once)
//! and operations per second of CPU time the bench threads got, which time lost to other
//! processes does not lower.
//!
//! Run: `cargo bench -p cardseal-core --features open --bench open -- [--rounds R]
//! [--round-ms MS] [--threads N] [--bits 2048,3072] [--out FILE.json]`.
//! Instruction counts per operation: build with `--no-run`, then run the executable under
//! `valgrind --tool=callgrind --toggle-collect='open::run_once'` with `--count N --only VARIANT`.

use std::hint::black_box;
use std::io::Write;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::rsa::{OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, PrivateDecryptingKey};
use cardseal_core::card::{Card, CardInput, YearMonth};
use cardseal_core::envelope::{self, Binding, OpenPolicy, ParsedEnvelope};
use cardseal_core::key::PrivateKey;

/// Public test card (Visa test range), never a real card.
const TEST_CARD_NUMBER: &str = "4111 1111 1111 1111";
const TEST_SESSION_ID: &str = "cs_bench_open";
const TEST_ORIGIN: &str = "http://127.0.0.1:8081";
const CEK_LEN: usize = 32;
const MAX_MODULUS_BYTES: usize = 512;

const DEFAULT_ROUNDS: usize = 7;
const DEFAULT_ROUND_MS: u64 = 1000;
const WARM_UP: Duration = Duration::from_millis(300);

struct Options {
    rounds: usize,
    round: Duration,
    threads: usize,
    bits: Vec<usize>,
    out: Option<String>,
    /// Fixed-count mode: run each variant this many times, once, for instruction counting.
    count: Option<u64>,
    /// Variants to run in fixed-count mode; all when empty.
    only: Vec<String>,
}

/// One key size's fixtures: the same key in cardseal and in raw aws-lc-rs, and one envelope.
struct Fixture {
    bits: usize,
    key: PrivateKey,
    raw: OaepPrivateDecryptingKey,
    envelope: String,
    parsed: ParsedEnvelope,
    now: u64,
}

#[derive(Clone, Copy)]
enum Variant {
    RawOaep,
    RawJwe,
    Open,
    ParseOpen,
}

const VARIANTS: [Variant; 4] = [
    Variant::RawOaep,
    Variant::RawJwe,
    Variant::Open,
    Variant::ParseOpen,
];

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::RawOaep => "raw_oaep",
            Variant::RawJwe => "raw_jwe",
            Variant::Open => "open",
            Variant::ParseOpen => "parse_open",
        }
    }
}

fn main() {
    let options = parse_options();
    let mut results = Vec::new();

    for &bits in &options.bits {
        let fixture = Fixture::new(bits);
        check(&fixture);
        if let Some(count) = options.count {
            run_counted(&fixture, &options, count);
            continue;
        }

        let mut rates: Vec<Vec<Rate>> = vec![Vec::new(); VARIANTS.len()];
        for &variant in &VARIANTS {
            run_for(&fixture, variant, options.threads, WARM_UP);
        }
        for _ in 0..options.rounds {
            for (index, &variant) in VARIANTS.iter().enumerate() {
                rates[index].push(run_for(&fixture, variant, options.threads, options.round));
            }
        }

        let wall = |index: usize| rates[index].iter().map(|r| r.wall).collect::<Vec<_>>();
        let cpu = |index: usize| rates[index].iter().map(|r| r.cpu).collect::<Vec<_>>();
        let raw_cpu = median(&cpu(0));
        for (index, &variant) in VARIANTS.iter().enumerate() {
            let rate = median(&wall(index));
            let per_cpu = median(&cpu(index));
            println!(
                "rsa{bits:<5} {:<11} {:>8.1} ops/s wall, {:>8.1} ops per CPU-second ({:>6.1} us CPU/op, x{:.3} of raw_oaep; rounds spread {:.1}% wall, {:.1}% CPU)",
                variant.name(),
                rate,
                per_cpu,
                1e6 / per_cpu,
                per_cpu / raw_cpu,
                spread(&wall(index)) * 100.0,
                spread(&cpu(index)) * 100.0,
            );
            let list = |values: Vec<f64>| {
                values
                    .iter()
                    .map(|r| format!("{r:.2}"))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            results.push(format!(
                "{{\"bits\":{bits},\"variant\":\"{}\",\"threads\":{},\"ops_per_sec\":{rate:.2},\"ops_per_cpu_sec\":{per_cpu:.2},\"rounds_wall\":[{}],\"rounds_cpu\":[{}]}}",
                variant.name(),
                options.threads,
                list(wall(index)),
                list(cpu(index)),
            ));
        }
    }

    if let Some(path) = &options.out {
        let mut file = std::fs::File::create(path).expect("cannot create the --out file");
        writeln!(file, "[{}]", results.join(",\n")).expect("cannot write the --out file");
    }
}

impl Fixture {
    fn new(bits: usize) -> Fixture {
        let kid = format!("bench-{bits}");
        let key = PrivateKey::generate(bits, &kid).expect("key generation failed");

        // The raw key is the same key, read back from its PKCS#8 form.
        let pem = key.to_pkcs8_pem().expect("key export failed");
        let (_, der) = spki::der::pem::decode_vec(pem.as_bytes()).expect("PEM decoding failed");
        let raw = PrivateDecryptingKey::from_pkcs8(&der).expect("PKCS#8 import failed");
        let raw = OaepPrivateDecryptingKey::new(raw).expect("OAEP key failed");

        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock before 1970")
            .as_secs();
        let today = YearMonth::from_unix_seconds(now).expect("date out of range");
        let input = CardInput {
            number: TEST_CARD_NUMBER,
            expiry: "12/39",
            cvc: "123",
            holder: Some("TARO YAMADA"),
        };
        let card = Card::parse(&input, today).expect("test card rejected");
        let binding = Binding {
            session_id: TEST_SESSION_ID.to_owned(),
            origin: TEST_ORIGIN.to_owned(),
            issued_at: now,
        };
        let envelope = envelope::seal(&card, &binding, key.public_key())
            .expect("sealing failed")
            .into_string();
        let parsed = envelope::parse(&envelope).expect("parsing failed");

        Fixture {
            bits,
            key,
            raw,
            envelope,
            parsed,
            now,
        }
    }
}

/// Proves each variant decrypts the fixture, so no variant is timed on a failing path.
fn check(fixture: &Fixture) {
    let mut out = [0u8; MAX_MODULUS_BYTES];
    let cek = fixture
        .raw
        .decrypt(
            &OAEP_SHA256_MGF1SHA256,
            fixture.parsed.encrypted_key(),
            &mut out,
            None,
        )
        .expect("raw unwrap failed");
    assert_eq!(
        cek.len(),
        CEK_LEN,
        "rsa{}: unwrapped key length",
        fixture.bits
    );
    assert!(raw_jwe(fixture) > 0, "raw JWE decryption failed");
    fixture.parsed.open(&fixture.key).expect("open failed");
    parse_open(fixture).expect("parse and open failed");
}

/// Runs `variant` on `threads` threads for about `duration` and returns the total rate.
/// One round's rates: operations per wall-clock second over all threads, and operations per
/// second of CPU time the bench threads got, which time spent waiting for a core does not lower.
#[derive(Clone, Copy)]
struct Rate {
    wall: f64,
    cpu: f64,
}

/// Runs `variant` on `threads` threads for about `duration`.
fn run_for(fixture: &Fixture, variant: Variant, threads: usize, duration: Duration) -> Rate {
    let start = Instant::now();
    let counts: Vec<(u64, u64)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| scope.spawn(|| run_thread(fixture, variant, duration)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("bench thread panicked"))
            .collect()
    });
    let elapsed = start.elapsed().as_secs_f64();
    let operations: u64 = counts.iter().map(|(count, _)| count).sum();
    let cpu_ns: u64 = counts.iter().map(|(_, ns)| ns).sum();
    Rate {
        wall: operations as f64 / elapsed,
        cpu: operations as f64 / (cpu_ns.max(1) as f64 / 1e9),
    }
}

/// Returns the operations done and the CPU time this thread got, in nanoseconds.
fn run_thread(fixture: &Fixture, variant: Variant, duration: Duration) -> (u64, u64) {
    // The clock is read every few operations; one RSA private-key operation takes hundreds of
    // microseconds, so the check costs nothing measurable.
    const BATCH: u64 = 4;
    let cpu_start = thread_cpu_ns();
    let start = Instant::now();
    let mut count = 0;
    while start.elapsed() < duration {
        for _ in 0..BATCH {
            run_once(fixture, variant);
        }
        count += BATCH;
    }
    (count, thread_cpu_ns().saturating_sub(cpu_start))
}

/// CPU time of the calling thread in nanoseconds: the first field of Linux's
/// /proc/thread-self/schedstat (time spent on a CPU).
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .expect("cannot read /proc/thread-self/schedstat")
}

/// Runs each selected variant `count` times on this thread. Under
/// `valgrind --tool=callgrind --toggle-collect=open::run_once` the instruction counts per
/// operation are exact and unaffected by other work on the machine.
fn run_counted(fixture: &Fixture, options: &Options, count: u64) {
    for &variant in &VARIANTS {
        if !options.only.is_empty() && !options.only.iter().any(|name| name == variant.name()) {
            continue;
        }
        let start = Instant::now();
        for _ in 0..count {
            run_once(fixture, variant);
        }
        let per_op = start.elapsed().as_secs_f64() * 1e6 / count as f64;
        println!(
            "rsa{} {:<11} {count} operations, {per_op:.1} us/op",
            fixture.bits,
            variant.name()
        );
    }
}

// Never inlined, so that callgrind can count exactly the instructions of the operations.
#[inline(never)]
fn run_once(fixture: &Fixture, variant: Variant) {
    match variant {
        Variant::RawOaep => {
            let mut out = [0u8; MAX_MODULUS_BYTES];
            let cek = fixture.raw.decrypt(
                &OAEP_SHA256_MGF1SHA256,
                black_box(fixture.parsed.encrypted_key()),
                &mut out,
                None,
            );
            black_box(cek.map(|c| c.len()).ok());
        }
        Variant::RawJwe => {
            black_box(raw_jwe(fixture));
        }
        Variant::Open => {
            black_box(fixture.parsed.open(black_box(&fixture.key)).ok());
        }
        Variant::ParseOpen => {
            black_box(parse_open(fixture).ok());
        }
    }
}

/// The cryptography of a JWE decryption with aws-lc-rs alone; returns the plaintext length.
fn raw_jwe(fixture: &Fixture) -> usize {
    let parsed = &fixture.parsed;
    let mut out = [0u8; MAX_MODULUS_BYTES];
    let Ok(cek) = fixture.raw.decrypt(
        &OAEP_SHA256_MGF1SHA256,
        parsed.encrypted_key(),
        &mut out,
        None,
    ) else {
        return 0;
    };
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, cek).expect("AES key"));
    let mut buffer = Vec::with_capacity(parsed.ciphertext().len() + parsed.tag().len());
    buffer.extend_from_slice(parsed.ciphertext());
    buffer.extend_from_slice(parsed.tag());
    key.open_in_place(
        Nonce::assume_unique_for_key(*parsed.iv()),
        Aad::from(parsed.protected().as_bytes()),
        &mut buffer,
    )
    .map(|plaintext| plaintext.len())
    .unwrap_or(0)
}

fn parse_open(fixture: &Fixture) -> Result<envelope::Opened, envelope::Error> {
    let policy = OpenPolicy {
        max_age_secs: 600,
        clock_skew_secs: 120,
    };
    envelope::open(
        black_box(&fixture.envelope),
        |kid| (kid == fixture.key.kid()).then_some(&fixture.key),
        &policy,
        fixture.now,
    )
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[middle]
    } else {
        (sorted[middle - 1] + sorted[middle]) / 2.0
    }
}

/// (max - min) / median of the rounds: how steady the machine was.
fn spread(values: &[f64]) -> f64 {
    let max = values.iter().copied().fold(f64::MIN, f64::max);
    let min = values.iter().copied().fold(f64::MAX, f64::min);
    (max - min) / median(values)
}

fn parse_options() -> Options {
    let mut options = Options {
        rounds: DEFAULT_ROUNDS,
        round: Duration::from_millis(DEFAULT_ROUND_MS),
        threads: 1,
        bits: vec![2048, 3072, 4096],
        out: None,
        count: None,
        only: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage(&arg));
        match arg.as_str() {
            "--rounds" => options.rounds = value().parse().unwrap_or_else(|_| usage("--rounds")),
            "--round-ms" => {
                let ms = value().parse().unwrap_or_else(|_| usage("--round-ms"));
                options.round = Duration::from_millis(ms);
            }
            "--threads" => options.threads = value().parse().unwrap_or_else(|_| usage("--threads")),
            "--bits" => {
                options.bits = value()
                    .split(',')
                    .map(|b| b.trim().parse().unwrap_or_else(|_| usage("--bits")))
                    .collect();
            }
            "--out" => options.out = Some(value()),
            "--count" => options.count = Some(value().parse().unwrap_or_else(|_| usage("--count"))),
            "--only" => options.only = value().split(',').map(str::to_owned).collect(),
            // `cargo bench` passes --bench to every bench target.
            "--bench" => {}
            _ => usage(&arg),
        }
    }
    options
}

fn usage(arg: &str) -> ! {
    eprintln!(
        "open bench: bad argument {arg}\nusage: open [--rounds R] [--round-ms MS] [--threads N] [--bits 2048,3072,4096] [--out FILE]\n       open --count N [--only raw_oaep,open] [--bits ...]"
    );
    std::process::exit(2)
}
