//! A minimal blocking HTTP/1.1 client for loopback load: keep-alive connections, requests
//! written as prepared bytes, responses read by Content-Length.
//!
//! It does only what the service's answers need (no chunked bodies, no redirects), so its own
//! cost per request is a write and a read or two, far below the service's.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Maximum size of a response head, in bytes. The service's heads are a few hundred bytes.
const MAX_HEAD_LEN: usize = 16 * 1024;
/// Time allowed for one response before the connection counts as failed.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// One response: status code and body.
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap_or("")
    }
}

/// A keep-alive connection to the service.
pub struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Connection {
    pub fn open(addr: SocketAddr) -> io::Result<Connection> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(READ_TIMEOUT))?;
        Ok(Connection {
            stream,
            buffer: Vec::with_capacity(4096),
        })
    }

    /// Sends one complete request and reads its response.
    pub fn send(&mut self, request: &[u8]) -> io::Result<Response> {
        self.stream.write_all(request)?;
        self.read_response()
    }

    fn read_response(&mut self) -> io::Result<Response> {
        self.buffer.clear();
        let head_end = loop {
            if let Some(end) = find_head_end(&self.buffer) {
                break end;
            }
            if self.buffer.len() > MAX_HEAD_LEN {
                return Err(invalid("response head too long"));
            }
            self.fill()?;
        };

        let head = std::str::from_utf8(&self.buffer[..head_end])
            .map_err(|_| invalid("response head is not UTF-8"))?;
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| invalid("no status code"))?;
        let length = head
            .lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
            .and_then(|(_, value)| value.trim().parse::<usize>().ok())
            .ok_or_else(|| invalid("no Content-Length"))?;

        let body_start = head_end + 4;
        while self.buffer.len() < body_start + length {
            self.fill()?;
        }
        let body = self.buffer[body_start..body_start + length].to_vec();
        Ok(Response { status, body })
    }

    fn fill(&mut self) -> io::Result<()> {
        let mut chunk = [0u8; 4096];
        let read = self.stream.read(&mut chunk)?;
        if read == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        self.buffer.extend_from_slice(&chunk[..read]);
        Ok(())
    }
}

fn find_head_end(buffer: &[u8]) -> Option<usize> {
    buffer.windows(4).position(|window| window == b"\r\n\r\n")
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

/// Writes a request with a body; `headers` are extra `Name: value` lines.
pub fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() {
        text.push_str("Content-Type: application/json\r\n");
    }
    text.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    text.into_bytes()
}

/// One GET on a fresh connection.
pub fn get(addr: SocketAddr, path: &str) -> io::Result<Response> {
    Connection::open(addr)?.send(&request("GET", path, &[], ""))
}
