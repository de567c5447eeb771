//! Integration tests of the HTTP layer over real sockets: one binary, one module per concern.

mod common;
mod emfile;
mod hostile;
mod lifecycle;
mod protocol;
mod tls;
