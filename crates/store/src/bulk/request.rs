//! Reading a `_bulk` body: NDJSON action lines (`index`, `create`, `delete`, `update`) each followed by its
//! document line (not `delete`). The usual action line is read without building a JSON tree; anything
//! else goes to a general parser that also words the errors. A last action without its document line is
//! dropped, as ES drops it. A malformed action line fails the whole
//! request ([`BulkError`]): as in ES, the pairing of later lines can no longer be trusted.

use std::borrow::Cow;

use serde_json::Value;

use crate::bulk::error::BulkError;

/// A `_bulk` action.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Action {
    Index,
    Create,
    Delete,
    Update,
}

impl Action {
    /// Its name in the body and the response.
    pub fn name(self) -> &'static str {
        match self {
            Action::Index => "index",
            Action::Create => "create",
            Action::Delete => "delete",
            Action::Update => "update",
        }
    }
}

/// One action of a body: its target, `_id`, ingest pipeline and compare-and-set condition as given, and
/// its document line (none for `delete`).
pub struct Op<'a> {
    pub action: Action,
    pub index: Option<String>,
    pub id: Option<String>,
    pub pipeline: Option<String>,
    pub cas: Cas,
    pub source: Option<&'a [u8]>,
}

/// `if_seq_no` and `if_primary_term` of an action: it applies only if the document's are these.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cas {
    pub if_seq_no: Option<u64>,
    pub if_primary_term: Option<u64>,
}

/// The actions of a `_bulk` body, each with its document line (borrowed).
pub fn parse_ops(body: &[u8]) -> Result<Vec<Op<'_>>, BulkError> {
    let mut lines = body
        .split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix(b"\r").unwrap_or(l)))
        .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace));
    let mut ops = Vec::new();
    while let Some((lineno, line)) = lines.next() {
        let (
            action,
            ActionTarget {
                index,
                id,
                pipeline,
                cas,
            },
        ) = match ActionLine::parse(line) {
            Some(usual) => usual,
            None => parse_action(line, lineno)?,
        };
        let source = if action == Action::Delete {
            None
        } else {
            match lines.next() {
                Some((_, l)) => Some(l),
                // As ES's parser: a last action without its document line is dropped, the rest runs.
                None => break,
            }
        };
        ops.push(Op {
            action,
            index,
            id,
            pipeline,
            cas,
            source,
        });
    }
    Ok(ops)
}

/// What an action line names besides its action.
struct ActionTarget {
    index: Option<String>,
    id: Option<String>,
    pipeline: Option<String>,
    cas: Cas,
}

/// The action, `_index`, `_id` and `pipeline` of an action line of any shape, or what is wrong with it.
fn parse_action(line: &[u8], lineno: usize) -> Result<(Action, ActionTarget), BulkError> {
    let meta: Value = serde_json::from_slice(line).map_err(|source| BulkError::ActionNotJson {
        line: lineno,
        source,
    })?;
    let Value::Object(map) = meta else {
        return Err(BulkError::ActionNotAnObject { line: lineno });
    };
    let mut entries = map.into_iter();
    let (Some((name, params)), None) = (entries.next(), entries.next()) else {
        return Err(BulkError::NotOneAction { line: lineno });
    };
    let action = match name.as_str() {
        "index" => Action::Index,
        "create" => Action::Create,
        "delete" => Action::Delete,
        "update" => Action::Update,
        other => {
            return Err(BulkError::UnknownAction {
                line: lineno,
                action: other.to_string(),
            })
        }
    };
    let Value::Object(params) = params else {
        return Err(BulkError::ParamsNotAnObject {
            line: lineno,
            action: name,
        });
    };
    let index = params
        .get("_index")
        .and_then(Value::as_str)
        .map(str::to_string);
    let id = match params.get("_id") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let pipeline = params
        .get("pipeline")
        .and_then(Value::as_str)
        .map(str::to_string);
    let cas = Cas {
        if_seq_no: params.get("if_seq_no").and_then(Value::as_u64),
        if_primary_term: params.get("if_primary_term").and_then(Value::as_u64),
    };
    Ok((
        action,
        ActionTarget {
            index,
            id,
            pipeline,
            cas,
        },
    ))
}

/// The usual action line (`index`, `create` or `delete` with string `_index` / `_id`), read without
/// building a JSON tree. Anything else is left to the general parser, [`parse_action`], which also words
/// the errors.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionLine<'a> {
    #[serde(borrow, default)]
    index: Option<ActionMeta<'a>>,
    #[serde(borrow, default)]
    create: Option<ActionMeta<'a>>,
    #[serde(borrow, default)]
    delete: Option<ActionMeta<'a>>,
}

#[derive(serde::Deserialize)]
struct ActionMeta<'a> {
    #[serde(rename = "_index", borrow, default)]
    index: Option<Cow<'a, str>>,
    #[serde(rename = "_id", borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pipeline: Option<Cow<'a, str>>,
    #[serde(default)]
    if_seq_no: Option<u64>,
    #[serde(default)]
    if_primary_term: Option<u64>,
}

impl ActionLine<'_> {
    /// The action, `_index`, `_id` and `pipeline` of `line`, if it has the usual shape.
    fn parse(line: &[u8]) -> Option<(Action, ActionTarget)> {
        let parsed: ActionLine<'_> = serde_json::from_slice(line).ok()?;
        let (action, meta) = match (parsed.index, parsed.create, parsed.delete) {
            (Some(m), None, None) => (Action::Index, m),
            (None, Some(m), None) => (Action::Create, m),
            (None, None, Some(m)) => (Action::Delete, m),
            _ => return None,
        };
        Some((
            action,
            ActionTarget {
                index: meta.index.map(Cow::into_owned),
                id: meta.id.map(Cow::into_owned),
                pipeline: meta.pipeline.map(Cow::into_owned),
                cas: Cas {
                    if_seq_no: meta.if_seq_no,
                    if_primary_term: meta.if_primary_term,
                },
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_action_line_fails_request() {
        assert!(parse_ops(b"{\"index\":{}}\n{}\n{nope\n{}\n").is_err());
        assert!(parse_ops(b"{\"frob\":{}}\n{}\n").is_err());
        let ops = parse_ops(b"{\"index\":{\"_id\":\"1\"}}\n{\"a\":1}\n{\"delete\":{\"_id\":2}}\n")
            .unwrap_or_default();
        assert_eq!(ops.len(), 2);
        assert_eq!(ops[1].id.as_deref(), Some("2"));
    }

    #[test]
    fn usual_and_unusual_action_lines_parse_alike() {
        let body = concat!(
            "{\"index\":{\"_index\":\"a\",\"_id\":\"x\\\"1\"}}\n{}\n",
            "{\"create\":{\"_id\":\"y\",\"routing\":\"r\"}}\n{}\n",
            "{\"delete\":{\"_index\":\"b\",\"_id\":\"z\"}}\n",
            "{\"index\":{\"_id\":7}}\n{}\n",
            "{\"update\":{\"_id\":\"u\"}}\n{}\n",
        );
        let ops = parse_ops(body.as_bytes()).unwrap_or_default();
        let seen: Vec<(Action, Option<&str>, Option<&str>, bool)> = ops
            .iter()
            .map(|o| {
                (
                    o.action,
                    o.index.as_deref(),
                    o.id.as_deref(),
                    o.source.is_some(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (Action::Index, Some("a"), Some("x\"1"), true),
                (Action::Create, None, Some("y"), true),
                (Action::Delete, Some("b"), Some("z"), false),
                (Action::Index, None, Some("7"), true),
                (Action::Update, None, Some("u"), true),
            ]
        );
        assert!(parse_ops(b"{\"index\":{},\"create\":{}}\n{}\n").is_err());
    }

    /// As ES's `BulkRequestParser`: the document line of the last action missing, that action is dropped
    /// and those before it run.
    #[test]
    fn a_last_action_without_its_document_is_dropped() {
        let ops =
            parse_ops(b"{\"index\":{\"_id\":\"1\"}}\n{\"a\":1}\n{\"index\":{\"_id\":\"2\"}}\n")
                .unwrap_or_default();
        let ids: Vec<Option<&str>> = ops.iter().map(|o| o.id.as_deref()).collect();
        assert_eq!(ids, [Some("1")]);
        assert!(parse_ops(b"{\"index\":{}}\n").is_ok_and(|ops| ops.is_empty()));
    }
}
