//! Progress display (indicatif) for the run list and for long single runs.
//!
//! On a terminal, bars are drawn on stderr; elsewhere (CI logs, pipes) they are hidden and
//! one plain line per finished run is printed instead, so logs stay readable.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

/// The progress display of one `icnet` invocation.
pub struct Progress {
    multi: MultiProgress,
    interactive: bool,
}

impl Progress {
    /// Draws on stderr when it is a terminal; otherwise prints plain log lines.
    pub fn stderr() -> Self {
        let interactive = std::io::stderr().is_terminal();
        let target = if interactive {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Progress {
            multi: MultiProgress::with_draw_target(target),
            interactive,
        }
    }

    /// A display that shows nothing (tests, `icnet list`).
    pub fn hidden() -> Self {
        Progress {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::hidden()),
            interactive: false,
        }
    }

    /// Prints a line above the bars (or to stderr when not interactive).
    pub fn log(&self, message: impl AsRef<str>) {
        if self.interactive {
            let _ = self.multi.println(message.as_ref());
        } else {
            eprintln!("{}", message.as_ref());
        }
    }

    /// A bar counting `total` runs of one experiment.
    pub fn runs_bar(&self, experiment: &str, total: u64) -> ProgressBar {
        let bar = self.multi.add(ProgressBar::new(total));
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix:>8} [{elapsed_precise}] {bar:30.cyan/blue} {pos}/{len} runs {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_prefix(experiment.to_string());
        bar.enable_steady_tick(Duration::from_millis(250));
        bar
    }

    /// A per-run bar; it stays empty until the experiment calls [`RunProgress::set_total`].
    pub fn run_bar(&self, label: &str) -> RunProgress {
        let bar = self.multi.add(ProgressBar::new(0));
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix:>8} {bar:30.green/white} {pos}/{len} {msg} ({eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_prefix("  run");
        bar.set_message(label.to_string());
        RunProgress { bar: Some(bar) }
    }
}

/// Progress of one run, handed to [`crate::Experiment::execute`] through its context.
pub struct RunProgress {
    bar: Option<ProgressBar>,
}

impl RunProgress {
    /// A progress sink that shows nothing.
    pub fn hidden() -> Self {
        RunProgress { bar: None }
    }

    /// Sets the number of work units (epochs, steps, …) of the run.
    pub fn set_total(&self, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(total);
        }
    }

    /// Marks `n` more work units done.
    pub fn inc(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    /// Sets the work units done (a resumed run starts part-way).
    pub fn set_position(&self, done: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
        }
    }

    /// Sets the message shown next to the bar (e.g. the current loss).
    pub fn set_message(&self, message: impl Into<String>) {
        if let Some(bar) = &self.bar {
            bar.set_message(message.into());
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
