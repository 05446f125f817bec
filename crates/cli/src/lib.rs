//! The `shannon` binary's library half: validated configuration and the stages joined together. Only
//! this crate (and the benches) join stages; `main.rs` parses arguments, prints and exits.

pub mod pipeline;
