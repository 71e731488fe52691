//! Test harness: starts the real `cardseal-server` binary on 127.0.0.1 with a temporary data
//! directory, talks HTTP to it, seals envelopes with cardseal-core, and checks afterwards that no
//! test card number or CVC reached the log output or the SQLite files.

#![allow(dead_code)]

use std::fs::{self, OpenOptions};
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cardseal_core::card::{Card, CardInput, YearMonth};
use cardseal_core::envelope::{Binding, seal};
use cardseal_core::key::PublicKey;
use serde_json::{Value, json};

pub const BIN: &str = env!("CARGO_BIN_EXE_cardseal-server");
/// Origin registered for the test shop.
pub const SHOP_ORIGIN: &str = "http://127.0.0.1:8081";
/// Maximum wait for the server to start or stop, generous because the tests may run on a loaded
/// 2-core machine.
const START_TIMEOUT: Duration = Duration::from_secs(120);
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// A public test card of the simulated acquirer, with a CVC made for the tests.
#[derive(Debug, Clone, Copy)]
pub struct TestCard {
    pub number: &'static str,
    pub cvc: &'static str,
    pub brand: &'static str,
}

pub const JCB_APPROVED: TestCard = TestCard {
    number: "3560000000000006",
    cvc: "979",
    brand: "jcb",
};
pub const VISA_APPROVED: TestCard = TestCard {
    number: "4560000000000004",
    cvc: "868",
    brand: "visa",
};
pub const MASTERCARD_APPROVED: TestCard = TestCard {
    number: "5560000000000001",
    cvc: "757",
    brand: "mastercard",
};
pub const AMEX_APPROVED: TestCard = TestCard {
    number: "376000000000006",
    cvc: "6464",
    brand: "amex",
};
pub const DINERS_APPROVED: TestCard = TestCard {
    number: "36600000000005",
    cvc: "535",
    brand: "diners",
};
pub const JCB_DECLINED: TestCard = TestCard {
    number: "3560000000000014",
    cvc: "979",
    brand: "jcb",
};
pub const JCB_INSUFFICIENT: TestCard = TestCard {
    number: "3560000000000022",
    cvc: "979",
    brand: "jcb",
};
pub const VISA_EXPIRED_CARD: TestCard = TestCard {
    number: "4560000000000038",
    cvc: "868",
    brand: "visa",
};
pub const VISA_PROCESSING_ERROR: TestCard = TestCard {
    number: "4560000000000046",
    cvc: "868",
    brand: "visa",
};
pub const DINERS_SLOW: TestCard = TestCard {
    number: "36600000000054",
    cvc: "535",
    brand: "diners",
};

/// Every card the tests use, for the final search.
pub const ALL_CARDS: [TestCard; 10] = [
    JCB_APPROVED,
    VISA_APPROVED,
    MASTERCARD_APPROVED,
    AMEX_APPROVED,
    DINERS_APPROVED,
    JCB_DECLINED,
    JCB_INSUFFICIENT,
    VISA_EXPIRED_CARD,
    VISA_PROCESSING_ERROR,
    DINERS_SLOW,
];

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// Returns an expiry three years ahead, as `MM/YY`.
pub fn future_expiry() -> String {
    let today = YearMonth::from_unix_seconds(now()).expect("valid date");
    format!("{:02}/{:02}", today.month(), (today.year() + 3) % 100)
}

/// Parses a test card valid today.
pub fn card(test: TestCard) -> Card {
    card_with_expiry(
        test,
        &future_expiry(),
        YearMonth::from_unix_seconds(now()).unwrap(),
    )
}

/// Parses a test card with a given expiry, validated as of `today`.
pub fn card_with_expiry(test: TestCard, expiry: &str, today: YearMonth) -> Card {
    let input = CardInput {
        number: test.number,
        expiry,
        cvc: test.cvc,
        holder: Some("TARO YAMADA"),
    };
    Card::parse(&input, today).expect("test card parses")
}

/// Seals a card for a session.
pub fn seal_card(
    card: &Card,
    session_id: &str,
    origin: &str,
    issued_at: u64,
    key: &PublicKey,
) -> String {
    let binding = Binding {
        session_id: session_id.into(),
        origin: origin.into(),
        issued_at,
    };
    seal(card, &binding, key).expect("seal").into_string()
}

/// Finds the address in the service's `listening` log line, in JSON or text format.
fn listen_address(line: &str) -> Option<String> {
    if let Ok(value) = serde_json::from_str::<Value>(line) {
        if value["fields"]["message"] != "listening" {
            return None;
        }
        return value["fields"]["listen"].as_str().map(str::to_owned);
    }
    if !line.contains(" listening ") {
        return None;
    }
    let rest = line.split(" listen=").nth(1)?;
    Some(rest.split_whitespace().next()?.to_owned())
}

/// Credentials printed by `shops add --json`.
#[derive(Debug, Clone)]
pub struct ShopCredentials {
    pub shop_id: String,
    pub api_key: String,
}

/// A running (or stopped) service with its data directory and captured log.
pub struct Platform {
    pub data_dir: tempfile::TempDir,
    pub log_path: PathBuf,
    pub base: String,
    pub client: reqwest::Client,
    args: Vec<String>,
    child: Option<Child>,
    /// Card numbers and CVCs this platform saw, searched for when it is checked.
    pub used_cards: Vec<TestCard>,
}

impl Platform {
    /// Starts a service on a free port with a new data directory. Extra `serve` flags in `args`.
    pub async fn start(args: &[&str]) -> Platform {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let log_path = data_dir.path().join("service.log");
        let mut platform = Platform {
            data_dir,
            log_path,
            base: String::new(),
            client: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("client"),
            args: args.iter().map(|s| s.to_string()).collect(),
            child: None,
            used_cards: Vec::new(),
        };
        platform.launch();
        platform
    }

    pub fn data(&self) -> &Path {
        self.data_dir.path()
    }

    fn launch(&mut self) {
        let mut command = Command::new(BIN);
        command
            .arg("--data-dir")
            .arg(self.data().join("d"))
            .arg("serve")
            .args(["--listen", "127.0.0.1:0", "--dev-key-bits", "2048"])
            .args(["--key-reload-interval", "1"])
            .args(&self.args)
            .args(if self.args.iter().any(|a| a == "--log-format") {
                &[][..]
            } else {
                &["--log-format", "json"][..]
            })
            .env_remove("CARDSEAL_ASSETS")
            .current_dir(self.data())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("start cardseal-server");
        let stderr = child.stderr.take().expect("stderr");

        let (sender, receiver) = mpsc::channel::<String>();
        let log_path = self.log_path.clone();
        std::thread::spawn(move || {
            let mut log = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&log_path)
                .expect("log file");
            let mut sender = Some(sender);
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let _ = writeln!(log, "{line}");
                if sender.is_none() {
                    continue;
                }
                if let Some(addr) = listen_address(&line)
                    && let Some(sender) = sender.take()
                {
                    let _ = sender.send(addr);
                }
            }
        });

        match receiver.recv_timeout(START_TIMEOUT) {
            Ok(addr) => self.base = format!("http://{addr}"),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "service did not start; log:\n{}",
                    fs::read_to_string(&self.log_path).unwrap_or_default()
                );
            }
        }
        self.child = Some(child);
    }

    /// Stops the service with SIGTERM and waits for it to exit.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pid = child.id() as libc::pid_t;
        // SAFETY: kill(2) with a pid this test spawned and still holds; no memory is shared.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let deadline = std::time::Instant::now() + STOP_TIMEOUT;
        loop {
            match child.try_wait() {
                Ok(Some(status)) => {
                    assert!(status.success(), "service exited with {status}");
                    return;
                }
                Ok(None) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("service did not stop after SIGTERM");
                }
            }
        }
    }

    /// Stops and starts the service on the same data directory (on a new port).
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }

    /// Sends SIGHUP so the service reloads its keys.
    pub fn reload_keys(&self) {
        let pid = self.child.as_ref().expect("running").id() as libc::pid_t;
        // SAFETY: as in `stop`.
        unsafe { libc::kill(pid, libc::SIGHUP) };
    }

    /// Runs an administrative command on this platform's data directory.
    pub fn cli(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .arg("--data-dir")
            .arg(self.data().join("d"))
            .args(args)
            .output()
            .expect("run cardseal-server")
    }

    /// Runs a command that must succeed and returns its standard output.
    pub fn cli_ok(&self, args: &[&str]) -> String {
        let output = self.cli(args);
        assert!(
            output.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("utf-8 output")
    }

    pub fn add_shop(&self, name: &str, origin: &str) -> ShopCredentials {
        let stdout = self.cli_ok(&["shops", "add", "--name", name, "--origin", origin, "--json"]);
        let value: Value = serde_json::from_str(&stdout).expect("shops add prints JSON");
        ShopCredentials {
            shop_id: value["shop_id"].as_str().expect("shop_id").into(),
            api_key: value["api_key"].as_str().expect("api_key").into(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn create_session(&self, shop: &ShopCredentials, amount: u64) -> String {
        let response = self
            .client
            .post(self.url("/v1/checkout-sessions"))
            .bearer_auth(&shop.api_key)
            .json(&json!({"amount": amount, "currency": "JPY", "order_reference": "A-1001"}))
            .send()
            .await
            .expect("request");
        assert_eq!(
            response.status(),
            201,
            "session creation failed: {}",
            response.text().await.unwrap_or_default()
        );
        let body: Value = response.json().await.expect("json");
        body["id"].as_str().expect("id").to_owned()
    }

    /// Fetches the JWKS and returns its first key (the active one).
    pub async fn active_key(&self) -> PublicKey {
        let jwks = self
            .client
            .get(self.url("/.well-known/jwks.json"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        PublicKey::from_jwks(&jwks, None).expect("JWKS has a key")
    }

    pub async fn jwks_kids(&self) -> Vec<String> {
        let jwks: Value = self
            .client
            .get(self.url("/.well-known/jwks.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Seals a test card valid today for `session_id` at the shop origin, issued now.
    pub async fn seal_for(&mut self, test: TestCard, session_id: &str) -> String {
        self.used_cards.push(test);
        let key = self.active_key().await;
        seal_card(&card(test), session_id, SHOP_ORIGIN, now(), &key)
    }

    pub async fn pay(
        &self,
        shop: &ShopCredentials,
        session_id: &str,
        envelope: &str,
        idempotency_key: &str,
    ) -> (u16, Value) {
        let response = self
            .client
            .post(self.url("/v1/payments"))
            .bearer_auth(&shop.api_key)
            .header("Idempotency-Key", idempotency_key)
            .json(&json!({"session_id": session_id, "envelope": envelope}))
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        let body = response.json().await.expect("json body");
        (status, body)
    }

    /// Reads one sample from `/metrics`; 0 when the series does not exist yet.
    pub async fn metric(&self, series: &str) -> f64 {
        let text = self
            .client
            .get(self.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|line| {
                line.strip_prefix(series)
                    .and_then(|rest| rest.strip_prefix(' '))
            })
            .map(|value| value.trim().parse().expect("numeric sample"))
            .unwrap_or(0.0)
    }

    /// Stops the service and checks that no card number or CVC used is in the log output or in
    /// any SQLite file, searching raw bytes.
    pub fn stop_and_check_secrets(mut self) {
        self.stop();
        let mut haystacks: Vec<(String, Vec<u8>)> =
            vec![("log".into(), fs::read(&self.log_path).expect("log file"))];
        for entry in fs::read_dir(self.data().join("d")).expect("data dir") {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with("cardseal.db") {
                haystacks.push((name, fs::read(&path).expect("db file")));
            }
        }
        assert!(
            haystacks.iter().any(|(name, _)| name == "cardseal.db"),
            "database file exists"
        );
        assert!(!haystacks[0].1.is_empty(), "log output was captured");

        let mut needles: Vec<Vec<u8>> = Vec::new();
        for card in ALL_CARDS.iter().chain(&self.used_cards) {
            needles.push(card.number.as_bytes().to_vec());
            // A CVC of 3 or 4 digits can occur by chance in timestamps, so it is searched in the
            // forms an echo would take: a JSON string and the payload member.
            needles.push(format!("\"{}\"", card.cvc).into_bytes());
            needles.push(format!("cvc\":\"{}", card.cvc).into_bytes());
            needles.push(format!("cvc={}", card.cvc).into_bytes());
        }
        for (name, haystack) in &haystacks {
            for needle in &needles {
                let found = haystack
                    .windows(needle.len())
                    .any(|w| w == needle.as_slice());
                assert!(
                    !found,
                    "{name} contains {}",
                    String::from_utf8_lossy(needle)
                );
            }
        }
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
