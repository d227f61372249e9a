//! Tests of the `wi` binary: each runs the built program against its own
//! in-process dev server on 127.0.0.1 and checks stdout, stderr, the exit code
//! and what reached the server.

mod completion;
mod delegate;
mod egress;
mod env;
mod exchange;
mod exit_codes;
mod help;
mod outbound;
mod readme;
mod support;
mod token;
