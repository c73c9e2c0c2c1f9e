//! Turning serde parse errors into field problems with a JSON path and a plain message.

use super::{FieldProblem, NO_FIELD};

pub(super) fn translate_error(
    err: serde_path_to_error::Error<serde_json::Error>,
    json: &str,
) -> FieldProblem {
    let path = field_path(err.path());
    let inner = err.into_inner();
    match inner.classify() {
        serde_json::error::Category::Data => {
            translate_data(&path, &message_without_position(&inner))
        }
        _ => json_problem(&inner, json),
    }
}

/// A syntax problem, located by its column in characters (serde_json counts bytes).
pub(super) fn json_problem(err: &serde_json::Error, json: &str) -> FieldProblem {
    let message = message_without_position(err);
    let byte = err.column().saturating_sub(1);
    let column = json.char_indices().take_while(|(at, _)| *at < byte).count() + 1;
    FieldProblem::new(
        NO_FIELD,
        format!("malformed JSON: {message} (column {column})"),
    )
}

fn message_without_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(at) if err.line() > 0 => text[..at].to_owned(),
        _ => text,
    }
}

fn field_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => push_key(&mut out, key),
            Segment::Unknown => push_key(&mut out, "?"),
        }
    }
    out
}

fn push_key(path: &mut String, key: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    // An empty key still needs a visible name.
    path.push_str(if key.is_empty() { "\"\"" } else { key });
}

fn join_field(path: &str, key: &str) -> String {
    let key = if key.is_empty() { "\"\"" } else { key };
    let already_there = path == key || path.ends_with(&format!(".{key}"));
    if already_there {
        return path.to_owned();
    }
    let mut out = path.to_owned();
    push_key(&mut out, key);
    out
}

fn or_no_field(path: &str) -> String {
    if path.is_empty() {
        NO_FIELD.to_owned()
    } else {
        path.to_owned()
    }
}

/// Between the first pair of backticks of a serde message.
fn quoted(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

fn translate_data(path: &str, message: &str) -> FieldProblem {
    if let Some(rest) = message.strip_prefix("missing field ") {
        let key = quoted(rest).unwrap_or(rest);
        return FieldProblem::new(join_field(path, key), "missing required field");
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let key = quoted(rest).unwrap_or(rest);
        return FieldProblem::new(join_field(path, key), "unknown field");
    }
    if let Some(rest) = message.strip_prefix("duplicate field ") {
        let key = quoted(rest).unwrap_or(rest);
        return FieldProblem::new(join_field(path, key), "field appears twice");
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (found, expected) = rest
            .split_once(", expected ")
            .unwrap_or((rest, "another type"));
        let message = format!(
            "wrong type: expected {}, found {}",
            expected_name(expected),
            found_name(found)
        );
        return FieldProblem::new(or_no_field(path), message);
    }
    if let Some(rest) = message.strip_prefix("invalid value: integer ") {
        let number = quoted(rest).unwrap_or(rest);
        let message = if number.starts_with('-') {
            format!("must not be negative, found {number}")
        } else {
            format!("number out of range, found {number}")
        };
        return FieldProblem::new(or_no_field(path), message);
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let value = quoted(rest).unwrap_or(rest);
        let expected = rest
            .split_once(", expected ")
            .map_or("", |(_, e)| e)
            .replace('`', "");
        let message = format!("unknown value \"{value}\", expected {expected}");
        return FieldProblem::new(or_no_field(path), message);
    }
    FieldProblem::new(or_no_field(path), message.to_owned())
}

fn expected_name(expected: &str) -> String {
    match expected {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a non-negative integer".to_owned(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "an integer".to_owned(),
        "f32" | "f64" => "a number".to_owned(),
        "a sequence" => "an array".to_owned(),
        "a map" => "an object".to_owned(),
        other if other.starts_with("struct ") => "an object".to_owned(),
        other => other.to_owned(),
    }
}

fn found_name(found: &str) -> String {
    match found {
        "sequence" => "an array".to_owned(),
        "map" => "an object".to_owned(),
        "null" => "null".to_owned(),
        other => other.replace('`', ""),
    }
}
