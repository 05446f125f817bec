//! `shannon prune`: a model file pruned by relative entropy (Stolcke 1998, as SRILM's `ngram -prune`),
//! written as ARPA.

use std::path::PathBuf;

use crate::compare::check_threshold;
use crate::{model_file, ConfigError, Error, Progress, Result};

/// A `prune` configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct PruneConfig {
    /// The model file.
    pub model: PathBuf,
    /// Remove every n-gram whose removal alone adds less than this relative entropy (nats).
    pub threshold: f64,
    /// Where the pruned model goes (ARPA).
    pub output: PathBuf,
}

impl PruneConfig {
    /// Checks every setting.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_threshold("threshold", self.threshold)
    }
}

/// What pruning removed.
#[derive(Debug, Clone, PartialEq)]
pub struct PruneSummary {
    /// N-grams removed per order.
    pub removed: Vec<u64>,
    /// N-grams left, all orders.
    pub left: u64,
    /// Stolcke's estimate of KL(original ‖ pruned), bits.
    pub predicted_kl_bits: f64,
}

/// Prunes the model and writes the result.
pub fn run(config: &PruneConfig, _progress: &dyn Progress) -> Result<PruneSummary> {
    config.validate()?;
    let (vocab, model, tokenizer) = model_file::load_model(&config.model)?;
    let pruned = shannon_model::prune::prune(&model, config.threshold).ok_or_else(|| {
        Error::Input(format!(
            "{}: model has no backoff form (mle and add-k models cannot be pruned)",
            config.model.display()
        ))
    })?;
    let buf = crate::build::encode(&pruned.model, &vocab, tokenizer.as_ref(), crate::build::Format::Arpa)?;
    shannon_report::write_atomic(&config.output, &buf)?;
    Ok(PruneSummary {
        removed: pruned.removed,
        left: pruned.model.summary().ngrams.iter().sum(),
        predicted_kl_bits: pruned.predicted_kl_nats / std::f64::consts::LN_2,
    })
}
