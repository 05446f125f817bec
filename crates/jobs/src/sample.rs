//! `shannon sample`: text generated from a model file through a softmax temperature
//! (`shannon_model::sample` does the sampling).

use std::path::PathBuf;

pub use shannon_model::sample::SampleConfig;

use crate::{model_file, ConfigError, Progress, Result};

/// Defaults: the model itself (τ = 1), seed 0, 10 sentences of at most 100 tokens, a space between tokens.
pub const DEFAULT: SampleConfig = SampleConfig { temperature: 1.0, seed: 0, sentences: 10, max_tokens: 100 };

/// A `sample` job: the model file, what to generate, and what goes between tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleJob {
    /// The model file.
    pub model: PathBuf,
    /// Temperature, seed and lengths.
    pub sample: SampleConfig,
    /// Put between tokens (`""` for character models).
    pub separator: String,
}

impl SampleJob {
    /// The defaults for `model`.
    pub fn new(model: PathBuf) -> SampleJob {
        SampleJob { model, sample: DEFAULT, separator: " ".into() }
    }

    /// Checks every setting.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let t = self.sample.temperature;
        if t >= 0.0 && t.is_finite() {
            Ok(())
        } else {
            Err(ConfigError::new("temperature", format!("must be a number ≥ 0, got {t}")))
        }
    }
}

/// Generates the text: one sentence per line.
pub fn run(job: &SampleJob, _progress: &dyn Progress) -> Result<String> {
    job.validate()?;
    let (vocab, model) = model_file::load_model(&job.model)?;
    Ok(shannon_model::sample::sample(&model, &vocab, &job.sample, &job.separator))
}
