//! End-to-end tests of the `shannon` binary and of the pipeline against reference outputs.

mod cli;
mod kenlm;
