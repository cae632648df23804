//! Marathon 1.4.10's answers, judged by panteras before anything is sent:
//! every case of `../shared/marathon/1.4.10/validation-cases/` (found by
//! listing the folder) gets the status Marathon gives it, and a refusal
//! the same detail paths (by their start where the case says they are
//! inferred) and messages.

mod common;

use std::collections::BTreeSet;

use panteras::app::accept::{Mode, judge};
use serde_json::Value;

fn cases() -> Vec<(String, Value)> {
    let dir = common::shared().join("marathon/1.4.10/validation-cases");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                serde_json::from_str(&text).unwrap(),
            )
        })
        .collect()
}

/// What panteras says of one case, or why it differs from Marathon.
fn grade(case: &Value) -> Result<(), String> {
    let url = case["url"].as_str().unwrap();
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let mode = match (
        case["method"].as_str().unwrap(),
        query.contains("partialUpdate=false"),
    ) {
        ("POST", _) => Mode::Create,
        (_, true) => Mode::Replace,
        _ => Mode::Update,
    };
    let url_id = path.strip_prefix("/v2/apps").filter(|id| !id.is_empty());
    let existing = case.get("existing");
    let refused = judge(&case["app"], mode, url_id, existing);
    let expect = &case["expect"];
    let status = expect["status"].as_u64().unwrap() as u16;
    if matches!(status, 200 | 201 | 409) {
        return if refused.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "Marathon accepts it ({status}); panteras refuses: {refused:?}"
            ))
        };
    }
    if refused.is_empty() {
        return Err(format!("Marathon answers {status}; panteras accepts it"));
    }
    if let Some(other) = refused.iter().find(|r| r.status != status) {
        return Err(format!(
            "Marathon answers {status}; panteras {}: {other:?}",
            other.status
        ));
    }
    let ours: BTreeSet<String> = refused.iter().filter_map(|r| r.path.clone()).collect();
    let theirs: BTreeSet<String> = expect["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    if case["confidence"] == "inferred" {
        let prefixes: Vec<&str> = expect["path_prefixes"]
            .as_array()
            .unwrap_or(expect["paths"].as_array().unwrap())
            .iter()
            .filter_map(Value::as_str)
            .collect();
        if theirs.is_empty() && !ours.is_empty() {
            return Err(format!("Marathon gives no detail; panteras {ours:?}"));
        }
        if let Some(odd) = ours
            .iter()
            .find(|p| !prefixes.iter().any(|x| p.starts_with(x)))
        {
            return Err(format!(
                "path {odd} does not start with one of {prefixes:?}"
            ));
        }
        if let Some(prefix) = expect["message_prefix"].as_str()
            && !refused.iter().any(|r| r.message.starts_with(prefix))
        {
            return Err(format!("no message starts with {prefix:?}: {refused:?}"));
        }
        return Ok(());
    }
    if ours != theirs {
        return Err(format!("paths {ours:?}, Marathon's {theirs:?}"));
    }
    let messages: BTreeSet<(String, String)> = refused
        .iter()
        .map(|r| (r.path.clone().unwrap_or_default(), r.message.clone()))
        .collect();
    let mut expected = BTreeSet::new();
    for detail in expect["details"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        for error in detail["errors"].as_array().unwrap() {
            expected.insert((
                detail["path"].as_str().unwrap().to_string(),
                error.as_str().unwrap().to_string(),
            ));
        }
    }
    if let Some(message) = expect["message"].as_str()
        && expect.get("details").is_none()
    {
        if !refused.iter().any(|r| r.message == message) {
            return Err(format!("message {message:?} not said: {refused:?}"));
        }
    } else if !expected.is_empty() && messages != expected {
        return Err(format!("messages {messages:?}, Marathon's {expected:?}"));
    }
    Ok(())
}

#[test]
fn every_validation_case_gets_marathons_answer() {
    let cases = cases();
    assert!(cases.len() >= 80, "{} cases", cases.len());
    let wrong: Vec<String> = cases
        .iter()
        .filter_map(|(name, case)| grade(case).err().map(|why| format!("{name}: {why}")))
        .collect();
    assert!(
        wrong.is_empty(),
        "{} of {} cases differ:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}
