//! What a command found and did: a readable table for people and stable JSON for machines.

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;

/// The state of one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// In place.
    Done,
    /// `apply` will do it.
    Todo,
    /// Only a person can do it, in the ConnectWise UI (instructions are printed).
    UiOnly,
    /// Checked and wrong (verify), or failed (apply).
    Failed,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Todo => "to do",
            Self::UiOnly => "UI only",
            Self::Failed => "FAILED",
        }
    }
}

/// One step of the procedure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepReport {
    /// `S0` … `S9.8`, or a row's `Module > Function` where the profile names no step.
    pub id: String,
    /// What the step is.
    pub title: String,
    /// Its state.
    pub status: Status,
    /// What was found, what will change, or exactly what is missing.
    pub detail: String,
}

/// A command's report.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// `plan`, `apply` or `verify`.
    pub command: &'static str,
    /// Whether everything the procedure requires holds (verify), or nothing failed.
    pub ok: bool,
    /// The API root talked to.
    pub server: String,
    /// Whether the server is mock-connectwise.
    pub mock: bool,
    /// The profile checked against (verify).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub profile: String,
    /// One row per step.
    pub steps: Vec<StepReport>,
    /// Changes made (apply).
    pub changes: Vec<String>,
    /// What a person must do in the ConnectWise UI.
    pub instructions: Vec<String>,
    /// Not failures, but worth knowing (excess privileges).
    pub warnings: Vec<String>,
}

impl Report {
    /// The report as a table plus its lists.
    pub fn render(&self) -> String {
        let mut table = Table::new();
        table.load_style(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic).set_width(140);
        table.set_header(["step", "what", "status", "detail"]);
        for s in &self.steps {
            table.add_row([s.id.as_str(), s.title.as_str(), s.status.label(), s.detail.as_str()]);
        }
        let profile = if self.profile.is_empty() { String::new() } else { format!(", profile '{}'", self.profile) };
        let mock = if self.mock { " (mock)" } else { "" };
        let mut out = format!("{} against {}{mock}{profile}\n{table}\n", self.command, self.server);
        for (head, lines) in
            [("changes", &self.changes), ("do in the ConnectWise UI", &self.instructions), ("warnings", &self.warnings)]
        {
            if !lines.is_empty() {
                out.push_str(&format!("\n{head}:\n"));
                for l in lines {
                    out.push_str(&format!("  - {l}\n"));
                }
            }
        }
        let count = |st: Status| self.steps.iter().filter(|s| s.status == st).count();
        let summary = format!(
            "{} done, {} to do, {} UI only, {} failed",
            count(Status::Done),
            count(Status::Todo),
            count(Status::UiOnly),
            count(Status::Failed)
        );
        out.push_str(&format!("\nresult: {} ({summary})\n", if self.ok { "OK" } else { "NOT OK" }));
        out
    }

    /// The step with this id.
    pub fn step(&self, id: &str) -> Option<&StepReport> {
        self.steps.iter().find(|s| s.id == id)
    }
}
