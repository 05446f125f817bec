//! `shannon sample`: text generated from a model file through a softmax temperature
//! (`shannon_model::sample` does the sampling).

use std::path::PathBuf;

pub use shannon_model::sample::SampleConfig;

use shannon_eval::words::letter_like;

use crate::{model_file, ConfigError, Progress, Result};

/// Defaults: the model itself (τ = 1), seed 0, 10 sentences of at most 100 tokens.
pub const DEFAULT: SampleConfig = SampleConfig { temperature: 1.0, seed: 0, sentences: 10, max_tokens: 100 };

/// A `sample` job: the model file, what to generate, and what goes between tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleJob {
    /// The model file.
    pub model: PathBuf,
    /// Temperature, seed and lengths.
    pub sample: SampleConfig,
    /// Put between tokens; `None`: nothing for models of characters, bytes or letters (as the model file
    /// records its tokenizer), a space otherwise.
    pub separator: Option<String>,
}

impl SampleJob {
    /// The defaults for `model`.
    pub fn new(model: PathBuf) -> SampleJob {
        SampleJob { model, sample: DEFAULT, separator: None }
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
    let (vocab, model, tokenizer) = model_file::load_model(&job.model)?;
    let letters = tokenizer.is_some_and(|t| letter_like(t.kind));
    let separator = job.separator.clone().unwrap_or_else(|| if letters { String::new() } else { " ".into() });
    Ok(shannon_model::sample::sample(&model, &vocab, &job.sample, &separator))
}
