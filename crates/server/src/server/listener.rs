//! The listening socket a caller may hand to [`super::ServerBuilder::listener`]: std or tokio.

/// A listening socket handed to [`ServerBuilder::listener`]: std or tokio.
#[derive(Debug)]
pub enum Listener {
    Std(std::net::TcpListener),
    Tokio(tokio::net::TcpListener),
}

impl From<std::net::TcpListener> for Listener {
    fn from(listener: std::net::TcpListener) -> Listener {
        Listener::Std(listener)
    }
}

impl From<tokio::net::TcpListener> for Listener {
    fn from(listener: tokio::net::TcpListener) -> Listener {
        Listener::Tokio(listener)
    }
}

impl Listener {
    pub(super) fn into_tokio(self) -> std::io::Result<tokio::net::TcpListener> {
        match self {
            Listener::Tokio(listener) => Ok(listener),
            Listener::Std(listener) => {
                listener.set_nonblocking(true)?;
                tokio::net::TcpListener::from_std(listener)
            }
        }
    }
}
