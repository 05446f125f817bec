//! End-to-end tests of the `shannon` binary and of the pipeline against reference outputs.

mod arpa;
mod batch;
mod cli;
mod code;
mod distances;
mod documents;
mod entropy;
mod golden;
mod hf;
mod index;
mod kenlm;
mod kenlm_python;
mod manners;
mod models;
mod newcomer;
mod pipeline;
mod readme;
mod render;
mod specials;
mod spill;
