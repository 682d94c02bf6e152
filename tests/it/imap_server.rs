//! A real IMAP server for the mailbox tests: a private Dovecot (Debian's `dovecot-imapd`,
//! installed by `scripts/tools.sh test`) on a free loopback port, with its own configuration,
//! state and mail under a temporary folder, and one user `support` / `secret`. Messages are
//! put in with IMAP APPEND, as a mail server delivers them.

use crate::common::TempDir;
use async_imap::types::Flag;
use futures::TryStreamExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

pub const USER: &str = "support";
pub const PASSWORD: &str = "secret";

pub struct ImapServer {
    pub port: u16,
    dir: TempDir,
    child: Child,
}

/// Dovecot's own binary: on the PATH of root, or where Debian puts it.
fn dovecot() -> std::path::PathBuf {
    for p in ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"] {
        if std::path::Path::new(p).exists() {
            return p.into();
        }
    }
    panic!(
        "the mailbox tests need Dovecot: run `scripts/tools.sh test` (it installs dovecot-imapd)"
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

/// Dovecot reads the mail as `nobody`.
const MAIL_UID: u32 = 65534;

fn own(path: &std::path::Path) {
    let status = Command::new("chown")
        .arg("-R")
        .arg(format!("{MAIL_UID}:{MAIL_UID}"))
        .arg(path)
        .status()
        .expect("chown");
    assert!(status.success(), "chown {}", path.display());
}

impl ImapServer {
    pub fn start() -> ImapServer {
        use std::os::unix::fs::PermissionsExt;
        let dir = TempDir::new();
        let d = dir.path();
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        for sub in ["run", "state", "mail", "home"] {
            std::fs::create_dir_all(d.join(sub)).expect("dovecot dir");
        }
        own(&d.join("mail"));
        own(&d.join("home"));
        std::fs::write(d.join("passwd"), format!("{USER}:{{PLAIN}}{PASSWORD}\n")).expect("passwd");
        let port = free_port();
        let p = d.display();
        let conf = format!(
            "base_dir = {p}/run\n\
             state_dir = {p}/state\n\
             log_path = {p}/dovecot.log\n\
             protocols = imap\n\
             listen = 127.0.0.1\n\
             ssl = no\n\
             disable_plaintext_auth = no\n\
             auth_mechanisms = plain login\n\
             mail_location = maildir:{p}/mail/%u\n\
             first_valid_uid = 100\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {p}/passwd\n}}\n\
             userdb {{\n  driver = static\n  args = uid={MAIL_UID} gid={MAIL_UID} home={p}/home/%u\n}}\n\
             service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n}}\n"
        );
        std::fs::write(d.join("dovecot.conf"), conf).expect("dovecot.conf");
        let child = Command::new(dovecot())
            .arg("-F")
            .arg("-c")
            .arg(d.join("dovecot.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start dovecot");
        let mut server = ImapServer { port, dir, child };
        let until = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("dovecot stopped ({status}): {}", server.log());
            }
            assert!(
                Instant::now() < until,
                "dovecot did not listen: {}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    /// The `CRM_IMAP_URL` of `folder` (polling rarely: news must come by IDLE).
    pub fn url(&self, folder: &str) -> String {
        format!(
            "imap://{USER}:{PASSWORD}@127.0.0.1:{}/{folder}?tls=off&poll=3600",
            self.port
        )
    }

    async fn session(&self) -> async_imap::Session<TcpStream> {
        let tcp = TcpStream::connect(("127.0.0.1", self.port))
            .await
            .expect("connect to dovecot");
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await.expect("greeting");
        client
            .login(USER, PASSWORD)
            .await
            .map_err(|(e, _)| e)
            .expect("sign in to dovecot")
    }

    /// Makes `folder` (new, or again after [`Self::remove`]: a new UIDVALIDITY).
    pub async fn create(&self, folder: &str) {
        let mut s = self.session().await;
        s.create(folder).await.expect("CREATE");
        s.logout().await.expect("LOGOUT");
    }

    /// Removes `folder` and everything in it.
    pub async fn remove(&self, folder: &str) {
        let mut s = self.session().await;
        s.delete(folder).await.expect("DELETE");
        s.logout().await.expect("LOGOUT");
    }

    /// Delivers one message to `folder`.
    pub async fn deliver(&self, folder: &str, raw: &[u8]) {
        let mut s = self.session().await;
        s.append(folder, None, None, raw).await.expect("APPEND");
        s.logout().await.expect("LOGOUT");
    }

    /// How many messages of `folder` are marked read.
    pub async fn seen(&self, folder: &str) -> usize {
        let mut s = self.session().await;
        let selected = s.select(folder).await.expect("SELECT");
        if selected.exists == 0 {
            return 0;
        }
        let flags: Vec<_> = s
            .fetch("1:*", "FLAGS")
            .await
            .expect("FETCH")
            .try_collect()
            .await
            .expect("FETCH flags");
        let seen = flags
            .iter()
            .filter(|f| f.flags().any(|x| x == Flag::Seen))
            .count();
        s.logout().await.expect("LOGOUT");
        seen
    }
}

impl Drop for ImapServer {
    fn drop(&mut self) {
        // SIGTERM lets Dovecot stop its own processes; then wait so the folder can go.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
