//! Fuzzes the policy loader: the input is written as `powerbase.yaml` into an otherwise empty
//! workspace, which is loaded, and when it loads, its expressions and report templates compiled
//! (what `powerbase check` does before touching data). Every problem must come back as a
//! diagnostic; none may panic. Data files named by the policy are not opened.

#![no_main]

use libfuzzer_sys::fuzz_target;
use powerbase::report::Templates;
use powerbase::{engine, workspace};

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join(workspace::POLICY_FILE), data).expect("writing the policy");
    let problems = match workspace::load(dir.path()) {
        Ok(ws) => {
            let mut problems = ws.problems.clone();
            problems.extend(engine::compile(&ws, &[]).err().unwrap_or_default());
            problems.extend(Templates::load(&ws).err().unwrap_or_default());
            problems
        }
        Err(problems) => problems,
    };
    // The messages are what a consultant reads: formatting them must not panic either.
    for p in &problems {
        let _ = p.to_string();
    }
});
