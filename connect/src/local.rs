//! Where a tunnel meets a program on this machine: a TCP address, or a Unix socket.
//!
//! A TCP port on loopback is open to every user of the machine, and a listener a program binds
//! on all interfaces (as MPyC binds its own) to the network. A Unix socket in a directory only
//! its owner can enter is reachable by that user's processes alone, and costs the kernel less per
//! message than a loopback TCP connection: `mpc-id run` puts MPyC's connections on such sockets.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};

/// A local program's address: where a tunnel's end connects, or where a forwarder listens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LocalAddr {
    /// A TCP address (on loopback, normally).
    Tcp(SocketAddr),
    /// A Unix socket's path (in a directory only this user can enter, normally).
    Unix(PathBuf),
}

impl fmt::Display for LocalAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocalAddr::Tcp(addr) => write!(f, "{addr}"),
            LocalAddr::Unix(path) => write!(f, "{}", path.display()),
        }
    }
}

impl From<SocketAddr> for LocalAddr {
    fn from(addr: SocketAddr) -> Self {
        LocalAddr::Tcp(addr)
    }
}

/// A connection with a local program, of either kind.
pub(crate) enum LocalStream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl LocalStream {
    /// Connects to `addr` (once: callers retry).
    pub(crate) async fn connect(addr: &LocalAddr) -> std::io::Result<Self> {
        Ok(match addr {
            LocalAddr::Tcp(addr) => {
                let tcp = TcpStream::connect(addr).await?;
                // Every MPyC message is small and waited for: Nagle's delay would be on each.
                let _ = tcp.set_nodelay(true);
                LocalStream::Tcp(tcp)
            }
            LocalAddr::Unix(path) => LocalStream::Unix(UnixStream::connect(path).await?),
        })
    }

    /// The two halves, each owned (no lock between them, unlike a generic split).
    pub(crate) fn into_split(self) -> (Box<dyn AsyncRead + Send + Unpin>, Box<dyn AsyncWrite + Send + Unpin>) {
        match self {
            LocalStream::Tcp(tcp) => {
                let (read, write) = tcp.into_split();
                (Box::new(read), Box::new(write))
            }
            LocalStream::Unix(unix) => {
                let (read, write) = unix.into_split();
                (Box::new(read), Box::new(write))
            }
        }
    }
}

/// A listener of either kind.
pub(crate) enum LocalListener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

impl LocalListener {
    /// The next connection, and who made it (for logs).
    pub(crate) async fn accept(&self) -> std::io::Result<(LocalStream, String)> {
        match self {
            LocalListener::Tcp(listener) => {
                let (tcp, from) = listener.accept().await?;
                let _ = tcp.set_nodelay(true);
                Ok((LocalStream::Tcp(tcp), from.to_string()))
            }
            LocalListener::Unix(listener) => {
                let (unix, _) = listener.accept().await?;
                Ok((LocalStream::Unix(unix), "a local program".to_owned()))
            }
        }
    }
}
