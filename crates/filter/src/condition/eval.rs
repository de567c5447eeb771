//! Evaluating a condition against an event's fields.
//!
//! Comparisons follow Logstash: values of different kinds are not equal (`"200" == 200` is false); numbers
//! compare by value whatever their representation; `<`/`>` order two numbers or two strings and are false for
//! anything else; a missing field equals nothing, so `!=`, `!~` and `not in` are true for it.

use super::{CompareOp, Condition, Operand};
use crate::fields::Fields;
use serde_json::Value;
use std::cmp::Ordering;

pub(super) fn eval(condition: &Condition, fields: &Fields) -> bool {
    match condition {
        Condition::And(a, b) => eval(a, fields) && eval(b, fields),
        Condition::Or(a, b) => eval(a, fields) || eval(b, fields),
        Condition::Xor(a, b) => eval(a, fields) != eval(b, fields),
        Condition::Nand(a, b) => !(eval(a, fields) && eval(b, fields)),
        Condition::Not(inner) => !eval(inner, fields),
        Condition::Compare { left, op, right } => {
            let (left, right) = (resolve(left, fields), resolve(right, fields));
            match op {
                CompareOp::Eq => equal(left, right),
                CompareOp::Ne => !equal(left, right),
                CompareOp::Lt => order(left, right) == Some(Ordering::Less),
                CompareOp::Gt => order(left, right) == Some(Ordering::Greater),
                CompareOp::Le => {
                    matches!(order(left, right), Some(Ordering::Less | Ordering::Equal))
                }
                CompareOp::Ge => {
                    matches!(
                        order(left, right),
                        Some(Ordering::Greater | Ordering::Equal)
                    )
                }
            }
        }
        Condition::Match {
            left,
            regex,
            negated,
        } => {
            let matched = match resolve(left, fields) {
                Some(Value::String(text)) => regex.is_match(text),
                _ => false,
            };
            matched != *negated
        }
        Condition::In {
            item,
            collection,
            negated,
        } => contains(resolve(collection, fields), resolve(item, fields)) != *negated,
        Condition::Truthy(operand) => !matches!(
            resolve(operand, fields),
            None | Some(Value::Null) | Some(Value::Bool(false))
        ),
    }
}

fn resolve<'a>(operand: &'a Operand, fields: &'a Fields) -> Option<&'a Value> {
    match operand {
        Operand::Field(field) => field.get(fields),
        Operand::Value(value) => Some(value),
    }
}

fn equal(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => values_equal(a, b),
        _ => false,
    }
}

fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| values_equal(a, b))
        }
        _ => a == b,
    }
}

fn order(a: Option<&Value>, b: Option<&Value>) -> Option<Ordering> {
    match (a?, b?) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => Some(x.cmp(&y)),
            _ => x.as_f64()?.partial_cmp(&y.as_f64()?),
        },
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// `item in collection`: an element of a list, a substring of a string, or a key of an object.
fn contains(collection: Option<&Value>, item: Option<&Value>) -> bool {
    let (Some(collection), Some(item)) = (collection, item) else {
        return false;
    };
    match collection {
        Value::Array(items) => items.iter().any(|element| values_equal(element, item)),
        Value::String(text) => item.as_str().is_some_and(|needle| text.contains(needle)),
        Value::Object(map) => item.as_str().is_some_and(|key| map.contains_key(key)),
        other => values_equal(other, item),
    }
}
