//! `gatehouse serve` as a child process on a fresh SQLite database: started with JSON logs on a
//! free port, its log lines read on a thread, and killed when the test ends, passed or not.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

/// A running server.
pub struct Served {
    /// The process.
    pub child: Child,
    /// Its API port on 127.0.0.1.
    pub port: u16,
    /// Its log lines from the one that named the port on.
    pub lines: mpsc::Receiver<String>,
    /// The lines before that.
    pub early: Vec<String>,
    reader: Option<JoinHandle<()>>,
}

impl Served {
    /// `gatehouse serve` in `dir` with `env` on top of the test defaults (`APP_ENV=test`,
    /// `sqlite://gatehouse.db`, port 0, bcrypt cost 4, JSON logs) and nothing else of ours.
    pub fn start(dir: &Path, env: &[(&str, &std::ffi::OsStr)]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .arg("serve")
            .current_dir(dir)
            .env_clear()
            .envs([
                ("APP_ENV", "test"),
                ("DATABASE_URL", "sqlite://gatehouse.db"),
                ("APP__SERVER__PORT", "0"),
                ("APP__AUTH__BCRYPT_COST", "4"),
                ("APP__LOG__FORMAT", "json"),
            ])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server starts");
        let stderr = child.stderr.take().expect("stderr");
        let (lines_tx, lines) = mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = lines_tx.send(line);
            }
        });
        let mut early = Vec::new();
        let port = loop {
            let line = lines.recv_timeout(Duration::from_secs(30)).expect("a log line before the server is ready");
            early.push(line.clone());
            if let Some(at) = line.find("http://127.0.0.1:") {
                break line[at + 17..].chars().take_while(char::is_ascii_digit).collect::<String>().parse::<u16>().expect("port");
            }
        };
        Self { child, port, lines, early, reader: Some(reader) }
    }

    /// Waits until the log ends (the process exited) and returns what was still unread.
    pub fn rest_of_the_log(&mut self) -> Vec<String> {
        if let Some(reader) = self.reader.take() {
            reader.join().expect("reader");
        }
        self.lines.try_iter().collect()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 exchange; returns the raw response.
pub fn http(port: u16, request: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("receive");
    response
}

/// `POST path` with a JSON `body`; returns the raw response.
pub fn post_json(port: u16, path: &str, body: &str) -> String {
    http(
        port,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}
