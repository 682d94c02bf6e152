//! A real SMTP server for the mail tests: `tests/mail_sink.py` (aiosmtpd, installed by
//! `scripts/tools.sh test` into `$CARGO_TARGET_DIR/mail-venv`), on a free loopback port,
//! writing each message it accepts to a folder of its own.

use crate::common::TempDir;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct MailSink {
    pub port: u16,
    dir: TempDir,
    child: Child,
}

/// How the sink answers.
#[derive(Clone, Copy, Default)]
pub struct Behaviour {
    /// The first this many messages get a 451 (try again later).
    pub refuse: u32,
    /// Every message gets a 550.
    pub reject: bool,
}

fn python() -> std::path::PathBuf {
    if let Ok(p) = std::env::var("CRM_TEST_MAIL_PYTHON") {
        return p.into();
    }
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    let p = std::path::Path::new(&target).join("mail-venv/bin/python");
    assert!(
        p.exists(),
        "the mail tests need aiosmtpd: run `scripts/tools.sh test` (it makes {})",
        p.display()
    );
    p
}

impl MailSink {
    pub fn start(how: Behaviour) -> MailSink {
        let dir = TempDir::new();
        let mut cmd = Command::new(python());
        cmd.arg("tests/mail_sink.py")
            .arg("--dir")
            .arg(dir.path())
            .arg("--refuse")
            .arg(how.refuse.to_string());
        if how.reject {
            cmd.arg("--reject");
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the mail sink");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("sink stdout"))
            .read_line(&mut line)
            .expect("sink port");
        let port = line.trim().parse().expect("the sink prints its port");
        MailSink { port, dir, child }
    }

    /// The `CRM_SMTP_URL` that reaches it.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=off", self.port)
    }

    /// The files of the messages it accepted so far, in order.
    fn names(&self) -> Vec<std::path::PathBuf> {
        let mut names: Vec<_> = std::fs::read_dir(self.dir.path())
            .expect("sink dir")
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        names.sort();
        names
    }

    /// The messages it accepted so far, in order.
    pub fn messages(&self) -> Vec<String> {
        self.names()
            .iter()
            .map(|p| std::fs::read_to_string(p).expect("message"))
            .collect()
    }

    /// The messages it accepted so far as a mail client reads them (the sink's `.json`:
    /// `to`, `subject`, `text`, `html`, decoded by Python's MIME parser).
    pub fn read(&self) -> Vec<serde_json::Value> {
        self.names()
            .iter()
            .map(|p| {
                let text = std::fs::read_to_string(p.with_extension("json")).expect("decoded");
                serde_json::from_str(&text).expect("sink json")
            })
            .collect()
    }

    /// Waits (up to 10 s) until it has accepted `n` messages, and returns them.
    pub fn wait_for(&self, n: usize) -> Vec<String> {
        let started = Instant::now();
        loop {
            let got = self.messages();
            if got.len() >= n || started.elapsed() > Duration::from_secs(10) {
                return got;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for MailSink {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of header `name` in a raw message (unfolded), if it has one.
pub fn header(message: &str, name: &str) -> Option<String> {
    let head = message.split("\r\n\r\n").next().unwrap_or(message);
    let mut value: Option<String> = None;
    for line in head.split("\r\n") {
        if let Some(v) = value.as_mut()
            && (line.starts_with(' ') || line.starts_with('\t'))
        {
            v.push(' ');
            v.push_str(line.trim());
            continue;
        }
        if value.is_some() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case(name)
        {
            value = Some(v.trim().to_string());
        }
    }
    value
}

/// The first link in `text` that starts with `prefix`.
pub fn link_in(text: &str, prefix: &str) -> Option<String> {
    let at = text.find(prefix)?;
    let link: String = text[at..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '<')
        .collect();
    Some(link)
}
