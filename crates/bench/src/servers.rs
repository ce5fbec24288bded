//! Starting, timing and stopping the two servers under test.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use http::StatusCode;

use crate::requests;

/// A server gets this long to answer its first request before the run is abandoned.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Pause between readiness polls: short enough that it adds at most ~1 ms to a ready time.
const POLL_INTERVAL: Duration = Duration::from_millis(1);
/// How long a server may take to exit on SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ServerKind {
    Nimbus,
    Moto,
}

impl ServerKind {
    pub fn name(self) -> &'static str {
        match self {
            ServerKind::Nimbus => "nimbus",
            ServerKind::Moto => "moto",
        }
    }
}

/// A server to benchmark: which one, and the executable that starts it.
#[derive(Debug, Clone)]
pub struct ServerSpec {
    pub kind: ServerKind,
    pub binary: PathBuf,
}

impl ServerSpec {
    fn command(&self, addr: SocketAddr, data_dir: Option<&Path>) -> Command {
        let mut command = Command::new(&self.binary);
        match (self.kind, data_dir) {
            // --ephemeral: a fresh temporary data directory, as a test run would use. It
            // skips fsyncs (its files die with the process), so durable writes need a dir.
            (ServerKind::Nimbus, None) => {
                command.args(["serve", "--ephemeral", "--bind", &addr.to_string()])
            }
            // S3 streams request bodies past --max-body-mib (256 MiB by default, a limit for
            // the other services' buffered bodies), so the 1 GiB uploads need no larger one.
            (ServerKind::Nimbus, Some(dir)) => command.args([
                "serve",
                "--data-dir",
                &dir.display().to_string(),
                "--bind",
                &addr.to_string(),
            ]),
            // moto keeps its state in memory: it has no data directory.
            (ServerKind::Moto, _) => {
                command.args(["-H", &addr.ip().to_string(), "-p", &addr.port().to_string()])
            }
        };
        // Neither output is read; a pipe left unread would stall moto, which logs every
        // request line to stderr.
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    }

    /// Starts the server and polls it with a signed `sts:GetCallerIdentity` until it
    /// answers 200. The ready time runs from just before the spawn to that answer.
    pub async fn start(&self) -> anyhow::Result<(RunningServer, Duration)> {
        self.start_in(None).await
    }

    /// [`ServerSpec::start`], with Nimbus's state durable in `data_dir` if given.
    pub async fn start_in(
        &self,
        data_dir: Option<&Path>,
    ) -> anyhow::Result<(RunningServer, Duration)> {
        let addr = free_local_addr()?;
        let probe = requests::get_caller_identity(addr)?;
        let mut command = self.command(addr, data_dir);
        let started = Instant::now();
        let child = command
            .spawn()
            .with_context(|| format!("starting {}", self.binary.display()))?;
        let mut server = RunningServer {
            kind: self.kind,
            addr,
            child: Some(child),
        };
        loop {
            let failure = match requests::send_once(addr, &probe).await {
                Ok(answer) if answer.status == StatusCode::OK => {
                    return Ok((server, started.elapsed()));
                }
                Ok(answer) => format!(
                    "{}: {}",
                    answer.status,
                    String::from_utf8_lossy(&answer.body)
                ),
                Err(error) => format!("{error:#}"),
            };
            if let Some(status) = server.child_mut().try_wait()? {
                bail!(
                    "{} exited ({status}) before answering; run {:?} by hand to see why",
                    self.kind.name(),
                    command
                );
            }
            if started.elapsed() > READY_TIMEOUT {
                bail!(
                    "{} not ready after {READY_TIMEOUT:?}; last answer: {failure}",
                    self.kind.name()
                );
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// A one-line version string for the report.
    pub fn version(&self) -> String {
        let version = match self.kind {
            ServerKind::Nimbus => command_output(Command::new(&self.binary).arg("--version")),
            ServerKind::Moto => {
                // moto_server is a script of the venv's Python; ask that Python.
                let script = "import sys; from importlib.metadata import version as v; \
                              print(f'moto {v(\"moto\")}, werkzeug {v(\"werkzeug\")}, Python {sys.version.split()[0]}')";
                command_output(Command::new(python_next_to(&self.binary)).args(["-c", script]))
            }
        };
        version.unwrap_or_else(|| format!("{} (version unknown)", self.binary.display()))
    }
}

/// A started server; stopped when dropped, so a failed run leaves nothing behind.
pub struct RunningServer {
    pub kind: ServerKind,
    pub addr: SocketAddr,
    child: Option<Child>,
}

impl RunningServer {
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    fn child_mut(&mut self) -> &mut Child {
        self.child.as_mut().expect("child is present until stop")
    }

    /// SIGTERM (so Nimbus removes its ephemeral directory), then SIGKILL if it lingers.
    pub fn stop(mut self) -> anyhow::Result<()> {
        self.stop_inner()
    }

    fn stop_inner(&mut self) -> anyhow::Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        if child.try_wait()?.is_some() {
            return Ok(());
        }
        // std can only SIGKILL, and unsafe (libc::kill) is forbidden: kill(1) sends SIGTERM.
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        child.kill()?;
        child.wait()?;
        Ok(())
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Err(error) = self.stop_inner() {
            eprintln!("warning: stopping {}: {error:#}", self.kind.name());
        }
    }
}

/// A loopback port nobody listens on now. Another process could take it before the
/// server binds it; on a benchmark machine that does not happen.
fn free_local_addr() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("finding a free port")?;
    Ok(listener.local_addr()?)
}

fn python_next_to(script: &Path) -> PathBuf {
    let sibling = script.with_file_name("python");
    if sibling.exists() {
        sibling
    } else {
        PathBuf::from("python3")
    }
}

fn command_output(command: &mut Command) -> Option<String> {
    let output = command.stderr(Stdio::null()).output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    (output.status.success() && !text.is_empty()).then_some(text)
}
