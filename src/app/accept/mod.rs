//! What Marathon 1.4.10 answers an app definition, judged here before it is
//! sent: Marathon does not apply its JSON schema; it reads the body with its
//! own readers (400, or 500 for one case), then checks the app it read
//! (422). Each refusal carries Marathon's status and detail path, and the
//! JSON pointer into the plan where its line is.
//!
//! The rules are those of `marathon/1.4.10/validation.md`, in the order
//! Marathon applies them: [`read`] then [`validate`].

mod read;
mod validate;

use serde_json::Value;

/// How the app is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `POST /v2/apps`.
    Create,
    /// `PUT /v2/apps/{id}?partialUpdate=false`: what `panteras app deploy`
    /// sends; read and checked as a POST.
    Replace,
    /// `PUT /v2/apps/{id}` (an update of the stored app, or of Marathon's
    /// defaults when there is none): what marathon_deploy sends.
    Update,
}

/// One thing Marathon would refuse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// 400 (reading), 422 (checking) or 500.
    pub status: u16,
    /// Marathon's detail path (`""` for the body as a whole, none for an
    /// answer with a message only).
    pub path: Option<String>,
    /// Where in the plan: a JSON pointer.
    pub pointer: String,
    pub message: String,
}

impl Refusal {
    /// Marathon's status and detail path: `400 at /instances`.
    pub fn answer(&self) -> String {
        match self.path.as_deref() {
            Some("") | None => self.status.to_string(),
            Some(path) => format!("{} at {path}", self.status),
        }
    }

    /// Marathon's message; its reading errors, Play JSON's keys, in words.
    pub fn words(&self) -> String {
        let words = match self.message.as_str() {
            "error.expected.jsnumber" => "a number is expected",
            "error.expected.int" | "error.expected.long" => "a whole number is expected",
            "error.expected.jsstring" => "text is expected",
            "error.expected.jsboolean" => "true or false is expected",
            "error.expected.jsarray" => "a list is expected",
            "error.expected.jsobject" => "a map is expected",
            "error.path.missing" => "missing",
            "error.minLength" => "must not be empty",
            "error.pattern" => "not of the form Marathon takes",
            "" => return "refused".to_string(),
            other => return other.to_string(),
        };
        format!("{words} ({})", self.message)
    }

    fn new(status: u16, path: &str, pointer: &str, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            path: Some(path.to_string()),
            pointer: pointer.to_string(),
            message: message.into(),
        }
    }

    fn bare(status: u16, pointer: &str, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            path: None,
            pointer: pointer.to_string(),
            message: message.into(),
        }
    }
}

/// Everything Marathon 1.4.10 refuses in `app` sent as `mode` (for
/// [`Mode::Update`], onto `stored` when an app of that id exists). Empty
/// when it accepts it. `url_id` is the id a PUT names.
pub fn judge(
    app: &Value,
    mode: Mode,
    url_id: Option<&str>,
    stored: Option<&Value>,
) -> Vec<Refusal> {
    let refused = read::read(app, mode);
    if !refused.is_empty() {
        return refused;
    }
    let mut app = app.clone();
    if let (Some(id), Some(object)) = (url_id, app.as_object_mut()) {
        object.insert("id".into(), Value::String(id.to_string()));
    }
    if mode == Mode::Update {
        let refused = read::update(&app, stored);
        if !refused.is_empty() {
            return refused;
        }
        if let Some(stored) = stored {
            app = merged(stored, &app);
        }
    }
    validate::validate(&app, mode)
}

/// `update`'s members over `stored`'s.
fn merged(stored: &Value, update: &Value) -> Value {
    let mut out = stored.clone();
    if let (Some(out), Some(update)) = (out.as_object_mut(), update.as_object()) {
        for (key, value) in update {
            if !value.is_null() {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    out
}

/// A member, `null` counted as absent.
fn get<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    value.get(key).filter(|v| !v.is_null())
}

/// A number as Marathon reads a whole one: its value must be whole (`2.0`
/// is 2) and fit in `bits`.
fn whole(value: &Value, bits: u32) -> Option<i64> {
    let n = value.as_f64()?;
    let most = 2f64.powi(bits as i32 - 1);
    (n.fract() == 0.0 && n >= -most && n < most).then_some(n as i64)
}

/// The app's id made absolute and tidied as Marathon does: empty, `.` and
/// `..` segments resolved against `base` (the root, or the app's own id
/// for a dependency).
pub fn canonical(id: &str, base: &[String]) -> Vec<String> {
    let mut parts: Vec<String> = if id.starts_with('/') {
        Vec::new()
    } else {
        base.to_vec()
    };
    for part in id.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other.to_string()),
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_tidied_as_marathon_tidies_them() {
        assert_eq!(canonical("shop/web", &[]), ["shop", "web"]);
        assert_eq!(canonical("/a/./b//c/../d/", &[]), ["a", "b", "d"]);
        assert_eq!(canonical("/..", &[]), Vec::<String>::new());
        assert_eq!(canonical("../x", &["a".into(), "b".into()]), ["a", "x"]);
    }

    #[test]
    fn an_update_that_scales_keeps_what_the_stored_app_runs() {
        let scale = serde_json::json!({"id": "/shop/web", "instances": 3});
        assert!(judge(&scale, Mode::Update, Some("/shop/web"), None).is_empty());
        let refused = judge(&scale, Mode::Replace, Some("/shop/web"), None);
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert_eq!(refused[0].path.as_deref(), Some("/"));
    }

    #[test]
    fn whole_numbers_are_read_by_value() {
        assert_eq!(whole(&serde_json::json!(2.0), 32), Some(2));
        assert_eq!(whole(&serde_json::json!(2.5), 32), None);
        assert_eq!(whole(&serde_json::json!(3_000_000_000u64), 32), None);
        assert_eq!(whole(&serde_json::json!("2"), 32), None);
    }
}
