//! Running commands and the external test servers.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// Runs `command`, echoing it first, and fails when it exits non-zero.
pub(crate) fn run(command: &mut Command) -> anyhow::Result<()> {
    eprintln!("$ {}", describe(command));
    let status = command
        .status()
        .with_context(|| format!("failed to start `{}`", describe(command)))?;
    if !status.success() {
        bail!("`{}` failed with {status}", describe(command));
    }
    Ok(())
}

/// Formats a command as a shell would show it.
pub(crate) fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for argument in command.get_args() {
        text.push(' ');
        text.push_str(&argument.to_string_lossy());
    }
    text
}

/// Returns a `cargo` command that uses the same toolchain as this process.
pub(crate) fn cargo() -> Command {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    Command::new(program)
}

/// Reports whether `program` can be started (`program --version` succeeds).
pub(crate) fn available(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Picks a free TCP port on 127.0.0.1 by binding port 0 and releasing it.
pub(crate) fn free_port() -> anyhow::Result<u16> {
    let listener =
        TcpListener::bind("127.0.0.1:0").context("failed to bind a port on 127.0.0.1")?;
    Ok(listener.local_addr()?.port())
}

/// A child process killed when dropped.
pub(crate) struct Server {
    name: &'static str,
    child: Child,
}

impl Server {
    /// Starts `command` with its output piped, and waits until a line of its standard output
    /// contains `ready_marker` (then returns that line) or until `port` accepts connections.
    pub(crate) fn start(
        name: &'static str,
        command: &mut Command,
        wait: Wait<'_>,
        timeout: Duration,
    ) -> anyhow::Result<(Self, String)> {
        eprintln!("$ {}", describe(command));
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("failed to start {name}: `{}`", describe(command)))?;
        let stdout = child.stdout.take().context("child stdout was not piped")?;
        let (sender, receiver) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                eprintln!("[{name}] {line}");
                if sender.send(line).is_err() {
                    // Nobody waits for lines any more; keep draining so the child never blocks.
                }
            }
        });
        let mut server = Server { name, child };
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = server.child.try_wait()? {
                bail!("{name} exited with {status} before it was ready");
            }
            match wait {
                Wait::Line(marker) => {
                    if let Ok(line) = receiver.recv_timeout(Duration::from_millis(100))
                        && line.contains(marker)
                    {
                        return Ok((server, line));
                    }
                }
                Wait::Port(port) => {
                    let address = SocketAddr::from(([127, 0, 0, 1], port));
                    if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                        return Ok((server, format!("127.0.0.1:{port}")));
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
            if Instant::now() > deadline {
                bail!("{} was not ready within {timeout:?}", server.name);
            }
        }
    }
}

/// How [`Server::start`] decides that a server is ready.
#[derive(Clone, Copy)]
pub(crate) enum Wait<'a> {
    /// A line of standard output contains this text.
    Line(&'a str),
    /// The port accepts TCP connections.
    Port(u16),
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Err(error) = self.child.kill() {
            eprintln!("stopping {} failed: {error}", self.name);
        }
        let _ = self.child.wait();
    }
}

/// Returns the path as a string for messages.
pub(crate) fn show(path: &Path) -> String {
    path.display().to_string()
}
