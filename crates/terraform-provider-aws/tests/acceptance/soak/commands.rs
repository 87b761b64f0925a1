//! Terraform commands run in the background with their output drained as it comes (50 copies
//! print more than a pipe holds), a bound on how long each may take, and Ctrl-C on request.

use crate::support::{Run, Spawned, Tf};
use std::io::Read;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A command still running after this is stuck: it is interrupted and reported, so a hang fails
/// the soak instead of blocking the test binary for ever.
const STEP_LIMIT: Duration = Duration::from_secs(900);
/// After Ctrl-C on a stuck command, how long Terraform gets before it is killed.
const AFTER_INTERRUPT_LIMIT: Duration = Duration::from_secs(60);

pub struct Running {
    spawned: Spawned,
    stdout: JoinHandle<String>,
    stderr: JoinHandle<String>,
    pub started: Instant,
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

impl Running {
    pub fn start(tf: &Tf, args: &[&str]) -> Running {
        let started = Instant::now();
        let mut spawned = tf.spawn(args);
        let stdout = drain(spawned.child.stdout.take());
        let stderr = drain(spawned.child.stderr.take());
        Running {
            spawned,
            stdout,
            stderr,
            started,
        }
    }

    /// Whether the command is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.spawned.child.try_wait(), Ok(None))
    }

    /// Ctrl-C, as a user in a terminal gives it.
    pub fn interrupt(&self) {
        self.spawned.interrupt();
    }

    /// Waits for the end. A command past `STEP_LIMIT` is interrupted, then killed, and `stuck`
    /// receives what happened.
    pub fn finish(mut self, stuck: &mut Vec<String>, what: &str) -> (Run, Duration) {
        let mut deadline = self.started + STEP_LIMIT;
        let mut interrupted = false;
        let status = loop {
            match self.spawned.child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) => {}
                Err(e) => panic!("waiting for terraform ({what}): {e}"),
            }
            if Instant::now() > deadline {
                if interrupted {
                    let _ = self.spawned.child.kill();
                    stuck.push(format!(
                        "{what}: still running {AFTER_INTERRUPT_LIMIT:?} after Ctrl-C; killed"
                    ));
                    deadline += Duration::from_secs(3600);
                } else {
                    stuck.push(format!(
                        "{what}: still running after {STEP_LIMIT:?}; interrupted"
                    ));
                    self.spawned.interrupt();
                    interrupted = true;
                    deadline = Instant::now() + AFTER_INTERRUPT_LIMIT;
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let took = self.started.elapsed();
        let run = Run {
            code: status.code().unwrap_or(-1),
            stdout: self.stdout.join().unwrap_or_default(),
            stderr: self.stderr.join().unwrap_or_default(),
        };
        (run, took)
    }
}

/// Terraform's error diagnostics, each flattened to one line (summary, the resource it names,
/// the detail), so a report says which copy failed and why.
pub fn errors(run: &Run) -> String {
    let text = run.text();
    let mut found: Vec<String> = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in text.lines() {
        let l = line.trim_start_matches(['│', '╷', ' ']).trim();
        if l.starts_with("Error:") {
            if let Some(block) = current.take() {
                found.push(block.join(" "));
            }
            current = Some(vec![l]);
        } else if line.trim_start().starts_with('╵') {
            if let Some(block) = current.take() {
                found.push(block.join(" "));
            }
        } else if let Some(block) = current.as_mut() {
            // The source snippet says nothing the "with <address>" line does not.
            let snippet = l.starts_with("on ")
                || l.split(':')
                    .next()
                    .is_some_and(|n| n.trim().parse::<u32>().is_ok());
            if !l.is_empty() && !snippet {
                block.push(l);
            }
        }
    }
    if let Some(block) = current {
        found.push(block.join(" "));
    }
    if found.is_empty() {
        let tail: Vec<&str> = text.lines().rev().take(8).collect();
        return tail.into_iter().rev().collect::<Vec<_>>().join(" | ");
    }
    found
        .iter()
        .map(|e| e.chars().take(400).collect::<String>())
        .collect::<Vec<_>>()
        .join(" | ")
}
